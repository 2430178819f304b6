/* Unit tests for trustcache/canonical_json and trustcache/b64: the bytes
 * Notary signs, and the base64 Go writes. */
#include "tg_test.h"

#include <jansson.h>

#include "trustcache/b64.h"
#include "trustcache/canonical_json.h"

struct cj_case {
	const char *json; /* input, parsed by jansson (JSON_DECODE_ANY) */
	int rc;
	const char *out; /* expected canonical bytes, or message fragment on error */
};

static const struct cj_case cj_cases[] = {
	{"{\"b\":1,\"a\":[true,false,null],\"c\":\"x\"}", 0, "{\"a\":[true,false,null],\"b\":1,\"c\":\"x\"}"},
	{"{ \"z\" : { \"y\" : [ 1 , -2 , 0 ] } }", 0, "{\"z\":{\"y\":[1,-2,0]}}"},
	{"{\"ab\":1,\"a\":2,\"B\":3,\"\":4}", 0, "{\"\":4,\"B\":3,\"a\":2,\"ab\":1}"},
	{"{\"\\u00e9\":1,\"z\":2}", 0, "{\"z\":2,\"\xc3\xa9\":1}"},
	{"\"a\\\"b\\\\c\"", 0, "\"a\\\"b\\\\c\""},
	{"\"\\n\\t\\r\\u0001<>&/\"", 0, "\"\n\t\r\x01<>&/\""},
	{"\"\\u2028\\u00e9\"", 0, "\"\xe2\x80\xa8\xc3\xa9\""},
	{"[]", 0, "[]"},
	{"{}", 0, "{}"},
	{"-0", 0, "0"},
	{"9007199254740992", 0, "9007199254740992"},
	{"-9007199254740992", 0, "-9007199254740992"},
	{"9007199254740993", TG_EAMBIGUOUS, "beyond 2^53"},
	{"1.5", TG_EINVAL, "not an integer literal"},
	{"1.0", TG_EINVAL, "not an integer literal"},
	{"1e3", TG_EINVAL, "not an integer literal"},
	{"{\"length\":527.25}", TG_EINVAL, "not an integer literal"},
};

static void test_canonical_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cj_cases) / sizeof(cj_cases[0]); i++) {
		const struct cj_case *c = &cj_cases[i];
		json_error_t jerr;
		json_t *v = json_loads(c->json, JSON_DECODE_ANY, &jerr);
		if (v == NULL)
			fail_msg("case %zu: jansson: %s", i, jerr.text);
		tg_buf b;
		tg_buf_init(&b, 1024);
		tg_error err;
		tg_error_clear(&err);
		int rc = tg_canonical_json_write(v, &b, &err);
		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %s, want %s (%s)", i, c->json, tg_code_name(rc),
				 tg_code_name(c->rc), err.msg);
		if (rc == 0) {
			if (b.len != strlen(c->out) || memcmp(b.data, c->out, b.len) != 0)
				fail_msg("case %zu: got %s want %s", i, tg_buf_str(&b), c->out);
		} else {
			assert_int_equal(err.code, c->rc);
			assert_contains(err.msg, c->out);
		}
		tg_buf_free(&b);
		json_decref(v);
	}
}

/* Strings with NUL are written raw too (jansson keeps the length). */
static void test_canonical_nul(void **state)
{
	json_t *v = json_loads("\"a\\u0000b\"", JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	assert_non_null(v);
	tg_buf b;
	tg_buf_init(&b, 64);
	assert_int_equal(tg_canonical_json_write(v, &b, NULL), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "\"a\0b\"", 5);
	tg_buf_free(&b);
	json_decref(v);
}

static void test_canonical_bounds(void **state)
{
	json_t *v = json_loads("{\"key\":\"0123456789\"}", 0, NULL);
	tg_buf b;
	tg_buf_init(&b, 10);
	tg_error err;
	assert_int_equal(tg_canonical_json_write(v, &b, &err), TG_ETOOBIG);
	assert_contains(err.msg, "exceeds 10 bytes");
	tg_buf_free(&b);
	json_decref(v);

	/* 40 nested arrays: over TG_CANONICAL_JSON_MAX_DEPTH */
	char deep[100];
	memset(deep, '[', 40);
	memset(deep + 40, ']', 40);
	deep[80] = '\0';
	v = json_loads(deep, 0, NULL);
	assert_non_null(v);
	tg_buf_init(&b, 1024);
	assert_int_equal(tg_canonical_json_write(v, &b, &err), TG_ETOOBIG);
	assert_contains(err.msg, "nesting deeper than 32");
	tg_buf_free(&b);
	json_decref(v);

	assert_int_equal(tg_canonical_json_write(NULL, &b, &err), TG_EINVAL);
}

/* Notary's files carry "signed" already canonical on the wire: re-encoding
 * each fixture's signed object must give back exactly those bytes. */
static void test_canonical_fixtures(void **state)
{
	static const char *const files[] = {
		"127.0.0.1_5005_acme_signed/root.json",
		"127.0.0.1_5005_acme_signed/timestamp.json",
		"127.0.0.1_5005_acme_signed/snapshot.json",
		"127.0.0.1_5005_acme_signed/targets.json",
		"127.0.0.1_5005_acme_signed/targets/releases.json",
		"127.0.0.1_5005_acme_signed/targets/alice.json",
		"127.0.0.1_5005_acme_tampered/root.json",
		"127.0.0.1_5005_acme_tampered/targets.json",
	};
	const char *fx = getenv("TG_FIXTURES");
	assert_non_null(fx);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/tuf/%s", fx, files[i]);
		size_t len;
		char *text = tg_test_read_file(path, &len);
		json_t *doc = json_loadb(text, len, 0, NULL);
		assert_non_null(doc);
		tg_buf b;
		tg_buf_init(&b, len);
		assert_int_equal(tg_canonical_json_write(json_object_get(doc, "signed"), &b, NULL), 0);
		const char *start = text + strlen("{\"signed\":");
		assert_memory_equal(text, "{\"signed\":", 10);
		assert_memory_equal(start, b.data, b.len);
		assert_memory_equal(start + b.len, ",\"signatures\":", 14);
		tg_buf_free(&b);
		json_decref(doc);
		free(text);
	}
}

struct b64_case {
	const char *in;
	int rc;
	const char *out;
	size_t out_len;
};

static const struct b64_case b64_cases[] = {
	{"", 0, "", 0},
	{"Zg==", 0, "f", 1},
	{"Zm8=", 0, "fo", 2},
	{"Zm9v", 0, "foo", 3},
	{"Zm9v\nYmFy\r\n", 0, "foobar", 6},
	{"+/+/", 0, "\xfb\xff\xbf", 3},
	{"Zh==", 0, "f", 1}, /* non-zero trailing bits: Go's StdEncoding accepts */
	{"Zg", TG_EINVAL, NULL, 0},
	{"Zg=", TG_EINVAL, NULL, 0},
	{"Z===", TG_EINVAL, NULL, 0},
	{"Zg=a", TG_EINVAL, NULL, 0},
	{"Zg==Zm9v", TG_EINVAL, NULL, 0},
	{"Zm9-", TG_EINVAL, NULL, 0}, /* URL alphabet is not standard base64 */
	{"Zm 9", TG_EINVAL, NULL, 0},
};

static void test_b64_decode(void **state)
{
	for (size_t i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		const struct b64_case *c = &b64_cases[i];
		unsigned char *out = NULL;
		size_t n = 99;
		tg_error err;
		int rc = tg_b64_decode(c->in, strlen(c->in), 64, &out, &n, &err);
		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %s", i, c->in, tg_code_name(rc));
		if (rc == 0) {
			assert_int_equal(n, c->out_len);
			assert_memory_equal(out, c->out, n);
			free(out);
		} else {
			assert_null(out);
			assert_int_equal(n, 99); /* out-params untouched on error */
		}
	}
	unsigned char *out = NULL;
	size_t n = 0;
	tg_error err;
	assert_int_equal(tg_b64_decode("Zm9vYmFy", 8, 5, &out, &n, &err), TG_ETOOBIG);
	assert_contains(err.msg, "more than 5 bytes");
}

static void test_b64_encode(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		tg_buf b;
		tg_buf_init(&b, 64);
		assert_int_equal(tg_b64_encode((const unsigned char *)plain[i], strlen(plain[i]), &b, NULL), 0);
		assert_string_equal(tg_buf_str(&b), enc[i]);
		tg_buf_free(&b);
	}
	tg_buf b;
	tg_buf_init(&b, 4);
	tg_error err;
	assert_int_equal(tg_b64_encode((const unsigned char *)"foob", 4, &b, &err), TG_ETOOBIG);
	tg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_cases),
		cmocka_unit_test(test_canonical_nul),
		cmocka_unit_test(test_canonical_bounds),
		cmocka_unit_test(test_canonical_fixtures),
		cmocka_unit_test(test_b64_decode),
		cmocka_unit_test(test_b64_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
