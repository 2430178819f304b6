/* Unit tests for authz/jdoc, the strict JSON reader of the request path.
 *
 * The suite proves that jdoc reads RFC 8259 JSON into the node layout its
 * header promises (type, len, span, decoded strings, document order, member
 * lookup); that it refuses every kind of non-JSON the header names with
 * TG_EINVAL, a message and an empty doc; that it holds at its bounds (depth,
 * many keys, big strings and arrays, TG_JDOC_MAX_TEXT); and that on every
 * captured AuthZReq, its body and 20,000 deterministic mutants it accepts
 * exactly what jansson accepts (duplicates refused) and builds the same
 * tree. Expected structure is data: a dump of the nodes, "[2 #1 \"x\"]". */
#include "tg_test.h"

#include <errno.h>
#include <glob.h>
#include <stdbool.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "authz/jdoc.h"

/* ---- a dump of a subtree, checking the layout on the way ---- */

struct dump {
	char s[1024];
	size_t n;
	const char *text, *text_end; /* the input: number text must lie in it */
};

static void put(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct dump *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(d->s + d->n, sizeof(d->s) - d->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		d->n = d->n + (size_t)k < sizeof(d->s) ? d->n + (size_t)k : sizeof(d->s) - 1;
}

/* A string as "...": printable ASCII as is, other bytes (and " \\) as \xHH. */
static void put_string(struct dump *d, const tg_jnode *n)
{
	put(d, "\"");
	for (uint32_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->str[i];
		put(d, c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? "%c" : "\\x%02x", c);
	}
	put(d, "\"");
}

static void dump_node(struct dump *d, const tg_jnode *n);

/* "[len v v]" or "{len k:v k:v}", walked with tg_jnode_first/tg_jnode_skip;
 * false when span is not 1 + the children's spans. */
static bool dump_children(struct dump *d, const tg_jnode *n)
{
	bool obj = n->type == TG_JOBJECT;
	const tg_jnode *c = tg_jnode_first(n);
	uint64_t sum = 1;
	put(d, "%c%u", obj ? '{' : '[', (unsigned)n->len);
	for (uint32_t i = 0; i < n->len * (obj ? 2u : 1u); i++, c = tg_jnode_skip(c)) {
		put(d, obj && i % 2 ? ":" : " ");
		if (obj && i % 2 == 0 && c->type != TG_JSTRING)
			put(d, "!key");
		dump_node(d, c);
		sum += c->span;
	}
	put(d, "%c", obj ? '}' : ']');
	return sum == n->span;
}

/* Append n's subtree to d; a broken invariant appends "!bad". */
static void dump_node(struct dump *d, const tg_jnode *n)
{
	static const char *const names[] = {"null", "false", "true"};
	bool bad = n->type < TG_JARRAY && n->span != 1;
	switch (n->type) {
	case TG_JNULL: case TG_JFALSE: case TG_JTRUE:
		put(d, "%s", names[n->type]);
		bad |= n->len != 0 || n->str != NULL;
		break;
	case TG_JNUMBER:
		bad |= n->str < d->text || n->str + n->len > d->text_end;
		put(d, "#%.*s", bad ? 0 : (int)n->len, n->str);
		break;
	case TG_JSTRING:
		bad |= n->str == NULL || n->str[n->len] != '\0';
		if (!bad)
			put_string(d, n);
		break;
	case TG_JARRAY: case TG_JOBJECT:
		bad |= !dump_children(d, n);
		break;
	default:
		put(d, "!type%u", (unsigned)n->type);
	}
	if (bad)
		put(d, "!bad");
}

/* A heap copy of exactly len bytes, so the sanitizer sees any read past it. */
static char *copy_of(const char *text, size_t len)
{
	char *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, text, len);
	return p;
}

/* Parse json (failing the test on refusal) and dump the value at key, or
 * the root when key is NULL. */
static void dump_json(struct dump *d, const char *json, const char *key)
{
	tg_jdoc doc;
	tg_error err;
	size_t len = strlen(json);
	char *text = copy_of(json, len);
	if (tg_jdoc_parse(text, len, &doc, &err) != 0)
		fail_msg("refused %s: %s", json, err.msg);
	*d = (struct dump){.text = text, .text_end = text + len};
	const tg_jnode *n = key ? tg_jnode_member(tg_jdoc_root(&doc), key) : tg_jdoc_root(&doc);
	if (n != NULL)
		dump_node(d, n);
	if (doc.nodes[0].span != doc.n_nodes)
		put(d, "!n_nodes");
	tg_jdoc_free(&doc);
	free(text);
}

/* ---- 1. accepted documents ---- */

struct accept_case {
	const char *json, *key, *dump; /* dump of the root, or of the value at key ("" if none) */
};

#define A(json, dump) {json, NULL, dump}

static const struct accept_case accept_cases[] = {
	A("null", "null"), A("true", "true"), A("false", "false"), A("0", "#0"),
	A("-1.5e+3", "#-1.5e+3"), A("\"x\"", "\"x\""), A("  7 \n", "#7"), A("\"\"", "\"\""),
	A("[]", "[0]"), A("{ }", "{0}"), A(" \t\r\n[ 1 ,\n2 ] \r\n\t ", "[2 #1 #2]"),
	A("{ \"a\" : 1 ,\n\t\"b\"\r: [ 2 ,\r\n3 ] }", "{2 \"a\":#1 \"b\":[2 #2 #3]}"),
	A("[[],{},[[]],[{}]]", "[4 [0] {0} [1 [0]] [1 {0}]]"),
	A("{\"z\":1,\"a\":2,\"m\":3}", "{3 \"z\":#1 \"a\":#2 \"m\":#3}"),
	A("{\"b\":1,\"a\":{\"c\":[true,false,null]},\"\":\"\"}",
	  "{3 \"b\":#1 \"a\":{1 \"c\":[3 true false null]} \"\":\"\"}"),
	A("{\"a\":[{\"b\":[]}],\"c\":{}}", "{2 \"a\":[1 {1 \"b\":[0]}] \"c\":{0}}"),
	A("[0,-0,1e5,1E-5,0.5,-12.34e+56,1e-400,123456789012345678901234567890]",
	  "[8 #0 #-0 #1e5 #1E-5 #0.5 #-12.34e+56 #1e-400 #123456789012345678901234567890]"),
	A("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\x22\\x5c/\\x08\\x0c\\x0a\\x0d\\x09\""),
	A("\"\\u00e9\\ud83d\\ude00\"", "\"\\xc3\\xa9\\xf0\\x9f\\x98\\x80\""),
	A("\"\\u0041\\u00E9\\u20Ac\\uFFFF\"", "\"A\\xc3\\xa9\\xe2\\x82\\xac\\xef\\xbf\\xbf\""),
	A("\"\\u0001\\u007f\\u0080\\u07ff\\u0800\"", "\"\\x01\\x7f\\xc2\\x80\\xdf\\xbf\\xe0\\xa0\\x80\""),
	A("\"\\ud800\\udc00\\uDBFF\\uDFFF\"", "\"\\xf0\\x90\\x80\\x80\\xf4\\x8f\\xbf\\xbf\""),
	A("\"a\\u00e9b\\\\u0041\"", "\"a\\xc3\\xa9b\\x5cu0041\""),
	A("\"\xc3\xa9\xf0\x9f\x98\x80\x7f \xef\xbf\xbf\xf4\x8f\xbf\xbf\"",
	  "\"\\xc3\\xa9\\xf0\\x9f\\x98\\x80\\x7f \\xef\\xbf\\xbf\\xf4\\x8f\\xbf\\xbf\""),
	A("{\"\\u0061\":\"\xc3\xa9\",\"a\\u0062\":[\"\\n\"]}",
	  "{2 \"a\":\"\\xc3\\xa9\" \"ab\":[1 \"\\x0a\"]}"),
};

/* tg_jnode_member: the value of exactly that key, or none (""), also when
 * the root is not an object. */
#define M "{\"b\":1,\"a\":[2],\"ab\":\"x\",\"a\\u0062c\":{\"y\":4},\"\":null,\"k\":\"v\"}"

static const struct accept_case member_cases[] = {
	{M, "a", "[1 #2]"}, {M, "b", "#1"}, {M, "ab", "\"x\""}, {M, "abc", "{1 \"y\":#4}"},
	{M, "", "null"}, {M, "k", "\"v\""}, {M, "A", ""}, {M, "abcd", ""}, {M, "y", ""},
	{M, "v", ""}, {M, "x", ""}, {M, "a ", ""}, {"[\"a\",{\"a\":1}]", "a", ""},
	{"\"a\"", "a", ""}, {"1", "1", ""}, {"null", "", ""},
};

static void run_accept_table(const struct accept_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dump d;
		dump_json(&d, cases[i].json, cases[i].key);
		if (strcmp(d.s, cases[i].dump) != 0)
			fail_msg("case %zu (%s, key %s): got %s, want %s", i, cases[i].json,
			         cases[i].key ? cases[i].key : "-", d.s, cases[i].dump);
	}
}

static void test_accepted(void **state)
{
	run_accept_table(accept_cases, sizeof(accept_cases) / sizeof(accept_cases[0]));
}

static void test_member(void **state)
{
	run_accept_table(member_cases, sizeof(member_cases) / sizeof(member_cases[0]));
}

/* ---- 2. refused documents ---- */

struct refuse_case {
	const char *text;
	size_t len;
};
#define R(s) {s, sizeof(s) - 1}

static const struct refuse_case refuse_cases[] = {
	R(""), R(" "), R(" \t\r\n"), R("{} x"), R("1 2"), R("[] []"), R("nulll"), R("truex"),
	R("\xef\xbb\xbf{}"), R("'a'"), R("{'a':1}"), R("[1,]"), R("{\"a\":1,}"), R("[,1]"),
	R("{,}"), R("[1,,2]"), R("[1 2]"), R("{\"a\" 1}"), R("{\"a\":1 \"b\":2}"), R("{\"a\":}"),
	R("{:1}"), R("{1:1}"), R("{a:1}"), R("{null:1}"), R("NaN"), R("Infinity"), R("-Infinity"),
	R("+1"), R("01"), R("-01"), R("00"), R("1."), R(".5"), R("1e"), R("1e+"), R("1.e5"), R("-"),
	R("- 1"), R("0x10"), R("1_0"), R("tru"), R("nul"), R("True"), R("NULL"),
	R("\"a\x01" "b\""), R("\"a\nb\""), R("\"\x1f\""), R("\"\t\""), R("\"\\x\""), R("\"\\u12\""),
	R("\"\\u12G4\""), R("\"\\U0041\""), R("\"\\'\""), R("\"\\u0000\""), R("\"\\ud800\""),
	R("\"\\udc00\""), R("\"\\udc00\\ud800\""), R("\"\\ud800x\""), R("\"\\ud800\\u0041\""),
	R("\"\\ud800\\ud800\""), R("\"\\ud800\\n\""), R("\"\xff\""), R("\xff"), R("\"\x80\""),
	R("\"\xc0\xaf\""), R("\"\xc1\xbf\""), R("\"\xe0\x80\xaf\""), R("\"\xf0\x80\x80\xaf\""),
	R("\"\xe2\x82\""), R("\"\xe2\x82"), R("\"\xf0\x9f\x98"), R("[\"\xc3\"]"),
	R("\"\xed\xa0\x80\""), R("\"\xed\xbf\xbf\""), R("\"\xf4\x90\x80\x80\""),
	R("\"\xf5\x80\x80\x80\""), R("\"\xf8\x88\x80\x80\x80\""),
	R("{\"a\":1,\"a\":2}"), R("{\"a\":1,\"\\u0061\":2}"), R("{\"\\u00e9\":1,\"\xc3\xa9\":2}"),
	R("{\"a\":1,\"b\":2,\"a\":3}"), R("{\"x\":{\"a\":1,\"a\":2}}"), R("[{\"\":1,\"\":1}]"),
	R("\"abc"), R("[1,2"), R("{\"a\":1"), R("{\"a\""), R("{\"a\":"), R("["), R("{"), R("\"\\"),
	R("\"\\u00"), R("]"), R("}"), R("[}"), R("{]"),
	R("{\"a\":1}\0"), R("\0"), R("[\0]"), R("\"a\0b\""), R("1\0"),
};

/* Each must be TG_EINVAL with a message naming line and column (as the
 * header says), the doc left empty (it starts non-empty here) and safe to
 * free, twice. */
static void test_refused(void **state)
{
	static tg_jnode bogus;
	for (size_t i = 0; i < sizeof(refuse_cases) / sizeof(refuse_cases[0]); i++) {
		const struct refuse_case *c = &refuse_cases[i];
		char *text = copy_of(c->text, c->len);
		tg_jdoc doc = {&bogus, 1, (char *)"bogus"};
		tg_error err;
		tg_error_clear(&err);
		int rc = tg_jdoc_parse(text, c->len, &doc, &err);
		free(text);
		if (rc != TG_EINVAL || err.code != TG_EINVAL || !strstr(err.msg, "line") ||
		    !strstr(err.msg, "column"))
			fail_msg("case %zu (%.*s): got %d \"%s\", want TG_EINVAL and a message naming "
			         "line and column", i, (int)c->len, c->text, rc, err.msg);
		if (doc.nodes != NULL || doc.n_nodes != 0 || doc.strings != NULL)
			fail_msg("case %zu (%.*s): doc not left empty", i, (int)c->len, c->text);
		tg_jdoc_free(&doc);
		tg_jdoc_free(&doc);
	}
	tg_jdoc doc;
	tg_error err;
	assert_int_equal(tg_jdoc_parse("[1,\n2,\n x]", 10, &doc, &err), TG_EINVAL);
	assert_contains(err.msg, "line 3");
	assert_int_equal(tg_jdoc_parse("[", 1, &doc, NULL), TG_EINVAL);
	assert_int_equal(tg_jdoc_parse("[1]", 3, &doc, &err), 0);
	tg_jdoc_free(&doc);
	assert_null(doc.nodes);
	tg_jdoc_free(&doc);
}

/* ---- bounds: generated documents ---- */

/* head, unit count times ('#' in it is the index), tail, close count times.
 * When accepted: n_nodes, the root's len, and optionally the text of the
 * value at key (or of the root string) as value repeated. */
struct gen_case {
	const char *head, *unit; unsigned count; const char *tail, *close;
	int rc; size_t nodes; uint32_t len; const char *key, *value;
};

#define DEPTH TG_JDOC_MAX_DEPTH
#define KEYS "{\"k\":0", ",\"k#\":#", 5000

static const struct gen_case gen_cases[] = {
	{"", "[", DEPTH, "", "]", 0, DEPTH, 1, NULL, NULL},
	{"", "[", DEPTH + 1, "", "]", TG_EINVAL, 0, 0, NULL, NULL},
	{"", "{\"a\":", DEPTH - 1, "{}", "}", 0, 2 * DEPTH - 1, 1, NULL, NULL},
	{"", "{\"a\":", DEPTH, "{}", "}", TG_EINVAL, 0, 0, NULL, NULL},
	{KEYS, "}", "", 0, 2 * 5001 + 1, 5001, "k4999", "4999"},
	{KEYS, ",\"k17\":1}", "", TG_EINVAL, 0, 0, NULL, NULL},
	{KEYS, ",\"\\u006b4999\":1}", "", TG_EINVAL, 0, 0, NULL, NULL},
	{KEYS, ",\"k\":1}", "", TG_EINVAL, 0, 0, NULL, NULL},
	{"\"", "x", 1u << 20, "\"", "", 0, 1, 1u << 20, NULL, "x"},
	{"\"", "\\n", 1u << 20, "\"", "", 0, 1, 1u << 20, NULL, "\n"},
	{"\"", "\\ud83d\\ude00", 1u << 18, "\"", "", 0, 1, 1u << 20, NULL, "\xf0\x9f\x98\x80"},
	{"[0", ",#", 99999, "]", "", 0, 100001, 100000, NULL, NULL},
};

static char *generate(const struct gen_case *c, size_t *len)
{
	size_t cap = strlen(c->head) + strlen(c->tail) + 1 +
	             (size_t)c->count * (strlen(c->unit) + strlen(c->close) + 16);
	char *buf = malloc(cap), *p = buf;
	assert_non_null(buf);
	p += sprintf(p, "%s", c->head);
	for (unsigned i = 0; i < c->count; i++)
		for (const char *u = c->unit; *u != '\0'; u++)
			p += *u == '#' ? sprintf(p, "%u", i) : sprintf(p, "%c", *u);
	p += sprintf(p, "%s", c->tail);
	for (unsigned i = 0; i < c->count; i++)
		p += sprintf(p, "%s", c->close);
	*len = (size_t)(p - buf);
	return buf;
}

static void check_generated(size_t i, const struct gen_case *c, const tg_jdoc *doc)
{
	const tg_jnode *root = tg_jdoc_root(doc), *e = tg_jnode_first(root), *v = root;
	if (doc->n_nodes != c->nodes || root->len != c->len)
		fail_msg("case %zu: %zu nodes, root len %u", i, doc->n_nodes, (unsigned)root->len);
	for (uint32_t k = 0; e != NULL && k < root->len * (root->type == TG_JOBJECT ? 2u : 1u); k++)
		e = tg_jnode_skip(e);
	if (e != NULL && e != doc->nodes + doc->n_nodes)
		fail_msg("case %zu: walking the root's children ends off its subtree", i);
	if (c->key != NULL && (v = tg_jnode_member(root, c->key)) == NULL)
		fail_msg("case %zu: no member %s", i, c->key);
	size_t k = c->value ? strlen(c->value) : 0;
	for (size_t at = 0; k > 0 && (at == 0 || at < v->len); at += k)
		if (v->len - at < k || memcmp(v->str + at, c->value, k) != 0)
			fail_msg("case %zu: wrong text at byte %zu", i, at);
}

static void test_generated(void **state)
{
	for (size_t i = 0; i < sizeof(gen_cases) / sizeof(gen_cases[0]); i++) {
		size_t len;
		char *text = generate(&gen_cases[i], &len);
		tg_jdoc doc;
		tg_error err;
		int rc = tg_jdoc_parse(text, len, &doc, &err);
		if (rc != gen_cases[i].rc)
			fail_msg("case %zu: got %d (%s), want %d", i, rc, rc ? err.msg : "", gen_cases[i].rc);
		if (rc == 0)
			check_generated(i, &gen_cases[i], &doc);
		tg_jdoc_free(&doc);
		free(text);
	}
}

/* Length is checked before anything is read: the buffer holds 2 bytes. */
static void test_too_big(void **state)
{
	char *text = copy_of("{}", 2);
	static const size_t lens[] = {(size_t)TG_JDOC_MAX_TEXT + 1, SIZE_MAX};
	for (size_t i = 0; i < 2; i++) {
		tg_jdoc doc;
		tg_error err;
		assert_int_equal(tg_jdoc_parse(text, lens[i], &doc, &err), TG_ETOOBIG);
		assert_int_equal(err.code, TG_ETOOBIG);
		assert_null(doc.nodes);
	}
	free(text);
}

/* ---- 3. differential test against jansson ---- */

static struct input { char *text; size_t len; } corpus[1024];
static size_t n_corpus, compared, skipped, skipped_nul, trees;

static void add_input(const void *text, size_t len)
{
	if (n_corpus == sizeof(corpus) / sizeof(corpus[0]))
		fail_msg("too many inputs");
	corpus[n_corpus++] = (struct input){copy_of(text, len), len};
}

/* Every capture, sorted (so the mutants are the same everywhere), and each
 * one's base64 RequestBody decoded. Returns how many files. */
static size_t load_captures(void)
{
	char pattern[1024];
	assert_non_null(getenv("TG_FIXTURES"));
	snprintf(pattern, sizeof(pattern), "%s/authz-captures/*/*AuthZReq*.json", getenv("TG_FIXTURES"));
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		fail_msg("no captures match %s", pattern);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t len;
		char *text = tg_test_read_file(g.gl_pathv[i], &len);
		add_input(text, len);
		json_t *env = json_loadb(text, len, 0, NULL);
		const char *b64 = json_string_value(json_object_get(env, "RequestBody"));
		size_t n = b64 ? strlen(b64) : 0;
		unsigned char *body = malloc(n / 4 * 3 + 1);
		int k = b64 ? EVP_DecodeBlock(body, (const unsigned char *)b64, (int)n) : -1;
		if (k >= 0) /* less the zero bytes that '=' padding decodes to */
			add_input(body, (size_t)k - (n > 0 && b64[n - 1] == '=') - (n > 1 && b64[n - 2] == '='));
		else if (b64 != NULL)
			fail_msg("%s: RequestBody is not base64", g.gl_pathv[i]);
		free(body);
		json_decref(env);
		free(text);
	}
	size_t files = g.gl_pathc;
	globfree(&g);
	return files;
}

static bool same(const tg_jnode *n, const json_t *j, const char **why);

/* Elements in order, or members looked up by key in jansson (its order is
 * not the document's) and by tg_jnode_member; span must add up. */
static bool same_children(const tg_jnode *n, const json_t *j, const char **why)
{
	const tg_jnode *c = tg_jnode_first(n);
	uint64_t sum = 1;
	for (uint32_t i = 0; i < n->len; i++, sum += c->span, c = tg_jnode_skip(c)) {
		const json_t *jc = json_array_get(j, i);
		if (n->type == TG_JOBJECT) {
			*why = "a key jansson does not have, or tg_jnode_member misses";
			if (c->type != TG_JSTRING || c->span != 1 ||
			    (jc = json_object_getn(j, c->str, c->len)) == NULL ||
			    tg_jnode_member(n, c->str) != c + 1)
				return false;
			sum++;
			c++;
		}
		if (!same(c, jc, why))
			return false;
	}
	*why = "span";
	return sum == n->span;
}

/* The number text read as jansson reads it: strtoll for an integer. */
static bool same_number(const tg_jnode *n, const json_t *j)
{
	char *text = strndup(n->str, n->len), *end = text;
	assert_non_null(text);
	errno = 0;
	bool ok = json_is_integer(j) ? strtoll(text, &end, 10) == json_integer_value(j) && errno == 0
	                             : json_is_real(j) && strtod(text, &end) == json_real_value(j) &&
	                                       strpbrk(text, ".eE") != NULL;
	ok = ok && *end == '\0';
	free(text);
	return ok;
}

/* Whether jdoc's subtree at n holds what jansson's j holds; *why says
 * what differs when not. */
static bool same(const tg_jnode *n, const json_t *j, const char **why)
{
	*why = "type";
	switch (n->type) {
	case TG_JNULL: return json_is_null(j);
	case TG_JFALSE: return json_is_false(j);
	case TG_JTRUE: return json_is_true(j);
	case TG_JNUMBER: *why = "number"; return same_number(n, j);
	case TG_JSTRING:
		*why = "string";
		return json_is_string(j) && json_string_length(j) == n->len &&
		       memcmp(json_string_value(j), n->str, n->len) == 0;
	case TG_JARRAY:
		*why = "array size";
		return json_is_array(j) && json_array_size(j) == n->len && same_children(n, j, why);
	case TG_JOBJECT:
		*why = "object size";
		return json_is_object(j) && json_object_size(j) == n->len && same_children(n, j, why);
	}
	return false;
}

static void fail_on_input(const char *text, size_t len, const char *what)
{
	printf("mismatching input (%zu bytes, hex): ", len);
	for (size_t i = 0; i < len; i++)
		printf("%02x", (unsigned char)text[i]);
	printf("\n");
	fflush(stdout);
	fail_msg("jdoc and jansson disagree on the input above: %s", what);
}

/* Parse text with both; they must agree on accepting it, and on the tree.
 * Skipped: numbers jansson cannot hold ("too big", "overflow"), and NUL
 * bytes jansson drops after a number or literal ("1\0" is accepted). */
static void compare(const char *text, size_t len)
{
	tg_jdoc doc;
	tg_error err;
	json_error_t jerr;
	char what[700];
	int rc = tg_jdoc_parse(text, len, &doc, &err);
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	bool has_nul = memchr(text, '\0', len) != NULL;
	if (has_nul && rc == 0)
		fail_on_input(text, len, "jdoc accepted a raw NUL byte");
	if (rc != 0 && rc != TG_EINVAL)
		fail_on_input(text, len, "jdoc returned neither 0 nor TG_EINVAL");
	if (rc == 0 && j == NULL && (strstr(jerr.text, "too big") || strstr(jerr.text, "overflow")))
		skipped++;
	else if (has_nul && j != NULL)
		skipped_nul++;
	else if ((rc == 0) != (j != NULL)) {
		snprintf(what, sizeof(what), "jdoc: %s; jansson: %s", rc == 0 ? "accepted" : err.msg,
		         j != NULL ? "accepted" : jerr.text);
		fail_on_input(text, len, what);
	} else {
		const char *why = "span of the root";
		if (rc == 0 && (doc.nodes[0].span != doc.n_nodes || !same(doc.nodes, j, &why))) {
			snprintf(what, sizeof(what), "both accept, trees differ (%s)", why);
			fail_on_input(text, len, what);
		}
		compared++;
		trees += rc == 0;
	}
	tg_jdoc_free(&doc);
	json_decref(j);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_rand(void) /* xorshift64 */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char specials[] = "\"\\{}[],:0e-.\0\x80\xff";

/* One random edit of buf[0..*len); buf has room for 2 more bytes. */
static void mutate(char *buf, size_t *len)
{
	size_t n = *len, at = next_rand() % (n + 1);
	unsigned op = n == 0 ? 2 : (unsigned)(next_rand() % 6);
	if (at == n && op != 2)
		at--;
	switch (op) {
	case 0: buf[at] ^= (char)(1u << next_rand() % 8); break;
	case 1: buf[at] = (char)next_rand(); break;
	case 2: memmove(buf + at + 1, buf + at, n - at); buf[at] = (char)next_rand(); n++; break;
	case 3: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
	case 4: buf[at] = specials[next_rand() % (sizeof(specials) - 1)]; break;
	default: memmove(buf + at + 2, buf + at + 1, n - at - 1); memcpy(buf + at, "\\u", 2); n++;
	}
	*len = n;
}

static const char *const seeds[] = {
	"{\"a\":[1,-2.5e3,0.0,1E+2,true,false,null],\"b\":{\"c\":\"\\u00e9\\ud83d\\ude00\\n\\\"\"}}",
	"[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"\\/\\b\\f\\r\\t\\\\\",{},[]]",
	"\"\\u0041\"", "-0.5e-7", "{\"\":{\"\":[]},\"a\":1,\"b\":2}",
};

#define MUTANTS 20000

static void test_differential(void **state)
{
	size_t files = load_captures(), texts = n_corpus;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		add_input(seeds[i], strlen(seeds[i]));
	for (size_t i = 0; i < n_corpus; i++)
		compare(corpus[i].text, corpus[i].len);
	for (int m = 0; m < MUTANTS; m++) {
		const struct input *base = &corpus[next_rand() % n_corpus];
		char *buf = malloc(base->len + 7);
		assert_non_null(buf);
		size_t len = base->len;
		memcpy(buf, base->text, len);
		for (int e = 1 + (int)(next_rand() % 3); e > 0; e--)
			mutate(buf, &len);
		char *text = copy_of(buf, len);
		compare(text, len);
		free(text);
		free(buf);
	}
	printf("jdoc vs jansson: %zu capture files (%zu texts with bodies), %zu seeds, %d mutants: "
	       "compared %zu (%zu accepted by both, trees equal); skipped %zu (numbers jansson "
	       "cannot hold), %zu (NUL bytes jansson drops; jdoc refused them)\n",
	       files, texts, n_corpus - texts, MUTANTS, compared, trees, skipped, skipped_nul);
	for (size_t i = 0; i < n_corpus; i++)
		free(corpus[i].text);
	if (compared < 1000 || trees < 100)
		fail_msg("too few comparisons: %zu compared, %zu trees", compared, trees);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_member),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
