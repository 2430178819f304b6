/* jdoc: a strict, fast JSON reader for the request path.
 *
 * Every Docker API request passes through trustgate, and a general JSON
 * library spends tens of microseconds on one AuthZReq (a hash table per
 * object, a malloc per value). jdoc reads a document in one pass into one
 * flat array of nodes with one allocation, and the request path looks
 * values up in it (gojson.h for Go's key matching).
 *
 * What it accepts is RFC 8259 JSON, and no more: one value with optional
 * whitespace around it. It refuses, with a message naming line and column:
 * invalid UTF-8 anywhere, control characters in strings, bad escapes, lone
 * or reversed UTF-16 surrogates, \u0000, nesting deeper than
 * TG_JDOC_MAX_DEPTH, an object with the same key twice (byte-exact; folding
 * duplicates are gojson's to find), and anything after the value. Go would
 * accept some of these (invalid UTF-8 and lone surrogates become U+FFFD,
 * a stream decoder ignores what follows); refusing them only denies more.
 *
 * Nodes are laid out in document order; a container is followed by its
 * subtree, and `span` skips over it. An object's children alternate key
 * (a string node) and value.
 *
 * A tg_jdoc is immutable once parsed: thread-safe to read.
 */
#ifndef TG_JDOC_H
#define TG_JDOC_H

#include <stddef.h>
#include <stdint.h>

#include "common/tg_error.h"

#define TG_JDOC_MAX_DEPTH 256
#define TG_JDOC_MAX_TEXT (64u * 1024 * 1024) /* larger input: TG_ETOOBIG */

enum tg_jtype {
	TG_JNULL,
	TG_JFALSE,
	TG_JTRUE,
	TG_JNUMBER,
	TG_JSTRING,
	TG_JARRAY,
	TG_JOBJECT,
};

typedef struct tg_jnode {
	/* TG_JSTRING: the decoded UTF-8, NUL-terminated (it holds no NUL).
	 * TG_JNUMBER: the number's text in the input, not terminated.
	 * Otherwise NULL. */
	const char *str;
	/* TG_JSTRING, TG_JNUMBER: bytes in str. TG_JARRAY: elements.
	 * TG_JOBJECT: members (key-value pairs). Otherwise 0. */
	uint32_t len;
	uint32_t span;  /* nodes in this subtree, this one included */
	uint8_t type;   /* enum tg_jtype */
} tg_jnode;

typedef struct tg_jdoc {
	tg_jnode *nodes; /* nodes[0] is the root */
	size_t n_nodes;
	char *strings;   /* decoded strings (owned) */
} tg_jdoc;

/* Parse text[0..len) into *doc (free with tg_jdoc_free). On error *doc is
 * left empty (nodes NULL). Errors: TG_EINVAL (not JSON as above; err says
 * what and where), TG_ETOOBIG, TG_ENOMEM. */
int tg_jdoc_parse(const char *text, size_t len, tg_jdoc *doc, tg_error *err);

/* Release what doc holds and leave it empty. Accepts an empty doc. */
void tg_jdoc_free(tg_jdoc *doc);

/* The root node of a parsed doc. */
static inline const tg_jnode *tg_jdoc_root(const tg_jdoc *doc)
{
	return doc->nodes;
}

/* The first child of an array or object (for an object, its first key),
 * or NULL when it has none. */
static inline const tg_jnode *tg_jnode_first(const tg_jnode *n)
{
	return (n->type == TG_JARRAY || n->type == TG_JOBJECT) && n->len > 0 ? n + 1 : NULL;
}

/* The node after n's subtree: n's next sibling when n is not its parent's
 * last child. Callers count children with the parent's len. */
static inline const tg_jnode *tg_jnode_skip(const tg_jnode *n)
{
	return n + n->span;
}

/* The value of obj's member whose key is exactly key, or NULL (also when
 * obj is not an object). */
const tg_jnode *tg_jnode_member(const tg_jnode *obj, const char *key);

#endif
