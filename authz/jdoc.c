/* jdoc: see jdoc.h.
 *
 * A recursive-descent parser over the bytes, writing nodes into one array
 * that grows by doubling and decoded strings into one buffer sized to the
 * input (a decoded string plus its NUL never takes more bytes than the
 * quoted original, so that buffer never grows and string pointers stay put).
 */
#include "authz/jdoc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const unsigned char *start, *p, *end;
	tg_jnode *nodes;
	size_t n_nodes, cap;
	char *strings, *out;
	int depth;
	tg_error *err;
};

static int fail(struct parser *ps, const char *what)
{
	unsigned line = 1, column = 1;
	for (const unsigned char *q = ps->start; q < ps->p; q++) {
		if (*q == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	return tg_error_set(ps->err, TG_EINVAL, "%s at line %u, column %u", what, line, column);
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

/* A new node of type; its index in *index (the array may move). */
static int add_node(struct parser *ps, enum tg_jtype type, size_t *index)
{
	if (ps->n_nodes == ps->cap) {
		size_t cap = ps->cap * 2;
		tg_jnode *grown = realloc(ps->nodes, cap * sizeof(*grown));
		if (grown == NULL)
			return tg_error_set(ps->err, TG_ENOMEM, "out of memory");
		ps->nodes = grown;
		ps->cap = cap;
	}
	*index = ps->n_nodes++;
	ps->nodes[*index] = (tg_jnode){NULL, 0, 1, (uint8_t)type};
	return TG_OK;
}

static int parse_value(struct parser *ps);

/* ---- strings ------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

static int hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		unsigned d = (c >= '0' && c <= '9')   ? (unsigned)(c - '0')
		             : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
		             : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10)
		                                      : 16;
		if (d == 16)
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct parser *ps, unsigned cp)
{
	unsigned char *o = (unsigned char *)ps->out;
	if (cp < 0x80) {
		*o++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*o++ = (unsigned char)(0xC0 | cp >> 6);
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (unsigned char)(0xE0 | cp >> 12);
		*o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (unsigned char)(0xF0 | cp >> 18);
		*o++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	}
	ps->out = (char *)o;
}

/* \uXXXX at ps->p (past the backslash and 'u'), with its pair if a
 * surrogate. */
static int parse_unicode_escape(struct parser *ps)
{
	unsigned cp, low;
	if (hex4(ps->p, ps->end, &cp) != 0)
		return fail(ps, "\\u must be followed by four hex digits");
	ps->p += 4;
	if (cp == 0)
		return fail(ps, "\\u0000 is not accepted in a string");
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail(ps, "a low surrogate without a high one");
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    hex4(ps->p + 2, ps->end, &low) != 0 || low < 0xDC00 || low > 0xDFFF)
			return fail(ps, "a high surrogate without a low one");
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
	}
	put_utf8(ps, cp);
	return TG_OK;
}

static int parse_escape(struct parser *ps)
{
	if (ps->p >= ps->end)
		return fail(ps, "unterminated string");
	unsigned char c = *ps->p++;
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit = c != '\0' ? strchr(from, c) : NULL;
	if (hit != NULL) {
		*ps->out++ = to[hit - from];
		return TG_OK;
	}
	if (c == 'u')
		return parse_unicode_escape(ps);
	ps->p--;
	return fail(ps, "unknown escape in a string");
}

/* Bytes from p that need no attention in a string: not '"', '\\', a
 * control character or non-ASCII. Eight at a time while it can (strings
 * such as the base64 RequestBody are long). */
static size_t plain_run(const unsigned char *p, const unsigned char *end)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const unsigned char *q = p;
	while (end - q >= 8) {
		uint64_t x;
		memcpy(&x, q, sizeof(x));
		/* A byte below 0x20, or equal to '"' or '\\' (the zero-byte trick:
		 * exact on whether one exists), or one with its high bit set. */
		uint64_t quote = x ^ (ones * '"'), slash = x ^ (ones * '\\');
		uint64_t control = (x - ones * 0x20) & ~x;
		uint64_t special = control | ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | x;
		if ((special & highs) != 0)
			break;
		q += 8;
	}
	while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
		q++;
	return (size_t)(q - p);
}

/* A string at ps->p (on the opening quote). */
static int parse_string(struct parser *ps)
{
	size_t index = 0;
	int rc = add_node(ps, TG_JSTRING, &index);
	if (rc != TG_OK)
		return rc;
	char *begin = ps->out;
	ps->p++;
	for (;;) {
		/* The common run: plain ASCII, copied as is. */
		size_t run = plain_run(ps->p, ps->end);
		memcpy(ps->out, ps->p, run);
		ps->out += run;
		ps->p += run;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		unsigned char c = *ps->p;
		if (c == '"')
			break;
		if (c == '\\') {
			ps->p++;
			if ((rc = parse_escape(ps)) != TG_OK)
				return rc;
			continue;
		}
		if (c < 0x20)
			return fail(ps, "control character in a string");
		size_t n = utf8_sequence(ps->p, ps->end);
		if (n == 0)
			return fail(ps, "invalid UTF-8 in a string");
		memcpy(ps->out, ps->p, n);
		ps->out += n;
		ps->p += n;
	}
	ps->p++;
	*ps->out++ = '\0';
	ps->nodes[index].str = begin;
	ps->nodes[index].len = (uint32_t)(ps->out - begin - 1);
	return TG_OK;
}

/* ---- numbers and literals ----------------------------------------------- */

static bool is_digit_at(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static void skip_digits(struct parser *ps)
{
	while (is_digit_at(ps))
		ps->p++;
}

static int parse_number(struct parser *ps)
{
	const unsigned char *begin = ps->p;
	if (*ps->p == '-')
		ps->p++;
	if (!is_digit_at(ps))
		return fail(ps, "a number needs digits");
	if (*ps->p++ != '0')
		skip_digits(ps);
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!is_digit_at(ps))
			return fail(ps, "a number needs digits after '.'");
		skip_digits(ps);
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!is_digit_at(ps))
			return fail(ps, "a number needs digits in its exponent");
		skip_digits(ps);
	}
	size_t index = 0;
	int rc = add_node(ps, TG_JNUMBER, &index);
	if (rc == TG_OK) {
		ps->nodes[index].str = (const char *)begin;
		ps->nodes[index].len = (uint32_t)(ps->p - begin);
	}
	return rc;
}

static int parse_literal(struct parser *ps)
{
	static const struct {
		const char *text;
		enum tg_jtype type;
	} literals[] = {{"true", TG_JTRUE}, {"false", TG_JFALSE}, {"null", TG_JNULL}};
	for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
		size_t n = strlen(literals[i].text);
		if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, literals[i].text, n) == 0) {
			ps->p += n;
			size_t index = 0;
			return add_node(ps, literals[i].type, &index);
		}
	}
	return fail(ps, "unexpected character");
}

/* ---- containers --------------------------------------------------------- */

struct key_ref {
	const char *str;
	uint32_t len;
};

static int compare_keys(const struct key_ref *x, const struct key_ref *y)
{
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->str, y->str, x->len);
}

static uint32_t hash_key(const struct key_ref *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (uint32_t i = 0; i < k->len; i++)
		h = (h ^ (unsigned char)k->str[i]) * 16777619u;
	return h;
}

/* Refuse an object that has one key twice. Small objects compare
 * pairwise; larger ones go through an open-addressing hash set, so a body
 * with 100,000 keys cannot make trustgate spin. */
static int check_unique_keys(struct parser *ps, size_t object)
{
	uint32_t count = ps->nodes[object].len;
	if (count < 2)
		return TG_OK;
	size_t n_slots = 16;
	while (n_slots < 2 * (size_t)count)
		n_slots *= 2;
	struct key_ref stack_slots[128];
	struct key_ref *slots = n_slots <= 128 ? stack_slots : malloc(n_slots * sizeof(*slots));
	if (slots == NULL)
		return tg_error_set(ps->err, TG_ENOMEM, "out of memory");
	memset(slots, 0, n_slots * sizeof(*slots));
	const tg_jnode *k = &ps->nodes[object + 1];
	const char *dup = NULL;
	for (uint32_t i = 0; i < count && dup == NULL; i++, k = tg_jnode_skip(k + 1)) {
		struct key_ref key = {k->str, k->len};
		size_t at = hash_key(&key) & (n_slots - 1);
		while (slots[at].str != NULL && compare_keys(&slots[at], &key) != 0)
			at = (at + 1) & (n_slots - 1);
		if (slots[at].str != NULL)
			dup = key.str;
		slots[at] = key;
	}
	if (slots != stack_slots)
		free(slots);
	if (dup == NULL)
		return TG_OK;
	char what[128];
	snprintf(what, sizeof(what), "duplicate object key \"%.60s\" in the object ending", dup);
	return fail(ps, what);
}

/* An array or object at ps->p (on its opening bracket). */
static int parse_container(struct parser *ps, enum tg_jtype type)
{
	const char close = type == TG_JOBJECT ? '}' : ']';
	size_t index = 0;
	int rc = add_node(ps, type, &index);
	if (rc != TG_OK)
		return rc;
	if (++ps->depth > TG_JDOC_MAX_DEPTH)
		return fail(ps, "nested too deeply");
	ps->p++;
	skip_space(ps);
	uint32_t count = 0;
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
	} else {
		for (;;) {
			if (type == TG_JOBJECT) {
				skip_space(ps);
				if (ps->p >= ps->end || *ps->p != '"')
					return fail(ps, "expected a string key");
				if ((rc = parse_string(ps)) != TG_OK)
					return rc;
				skip_space(ps);
				if (ps->p >= ps->end || *ps->p != ':')
					return fail(ps, "expected ':' after a key");
				ps->p++;
			}
			if ((rc = parse_value(ps)) != TG_OK)
				return rc;
			count++;
			skip_space(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			if (ps->p < ps->end && *ps->p == close) {
				ps->p++;
				break;
			}
			return fail(ps, type == TG_JOBJECT ? "expected ',' or '}'"
			                                   : "expected ',' or ']'");
		}
	}
	ps->depth--;
	ps->nodes[index].len = count;
	ps->nodes[index].span = (uint32_t)(ps->n_nodes - index);
	return type == TG_JOBJECT ? check_unique_keys(ps, index) : TG_OK;
}

static int parse_value(struct parser *ps)
{
	skip_space(ps);
	if (ps->p >= ps->end)
		return fail(ps, "a value is missing");
	switch (*ps->p) {
	case '{':
		return parse_container(ps, TG_JOBJECT);
	case '[':
		return parse_container(ps, TG_JARRAY);
	case '"':
		return parse_string(ps);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(ps);
	default:
		return parse_literal(ps);
	}
}

int tg_jdoc_parse(const char *text, size_t len, tg_jdoc *doc, tg_error *err)
{
	memset(doc, 0, sizeof(*doc));
	if (len > TG_JDOC_MAX_TEXT)
		return tg_error_set(err, TG_ETOOBIG, "JSON text is larger than %u bytes",
		                    TG_JDOC_MAX_TEXT);
	struct parser ps = {(const unsigned char *)text, (const unsigned char *)text,
	                    (const unsigned char *)text + len, NULL, 0, len / 16 + 8, NULL, NULL,
	                    0, err};
	ps.nodes = malloc(ps.cap * sizeof(*ps.nodes));
	ps.strings = ps.out = malloc(len + 1);
	int rc = ps.nodes && ps.strings ? TG_OK : tg_error_set(err, TG_ENOMEM, "out of memory");
	if (rc == TG_OK)
		rc = parse_value(&ps);
	if (rc == TG_OK) {
		skip_space(&ps);
		if (ps.p != ps.end)
			rc = fail(&ps, "more text after the value");
	}
	if (rc != TG_OK) {
		free(ps.nodes);
		free(ps.strings);
		return rc;
	}
	doc->nodes = ps.nodes;
	doc->n_nodes = ps.n_nodes;
	doc->strings = ps.strings;
	return TG_OK;
}

void tg_jdoc_free(tg_jdoc *doc)
{
	free(doc->nodes);
	free(doc->strings);
	memset(doc, 0, sizeof(*doc));
}

const tg_jnode *tg_jnode_member(const tg_jnode *obj, const char *key)
{
	if (obj == NULL || obj->type != TG_JOBJECT)
		return NULL;
	size_t n = strlen(key);
	const tg_jnode *k = tg_jnode_first(obj);
	for (uint32_t i = 0; i < obj->len; i++, k = tg_jnode_skip(k + 1))
		if (k->len == n && memcmp(k->str, key, n) == 0)
			return k + 1;
	return NULL;
}
