/* common/tg_json_out: JSON strings for the audit log and answers, valid
 * whatever bytes a request carried. */
#include "tg_test.h"

#include <jansson.h>

#include "common/tg_error.h"
#include "common/tg_json_out.h"

struct case_row {
	const char *in;   /* NULL: JSON null */
	const char *out;  /* exact JSON text */
};

static const struct case_row rows[] = {
	{"plain text", "\"plain text\""},
	{"", "\"\""},
	{NULL, "null"},
	{"say \"hi\"", "\"say \\\"hi\\\"\""},
	{"back\\slash", "\"back\\\\slash\""},
	{"a/b", "\"a/b\""},
	{"tab\tnl\ncr\r", "\"tab\\u0009nl\\u000acr\\u000d\""},
	{"\x01\x1f", "\"\\u0001\\u001f\""},
	{"caf\xc3\xa9", "\"caf\xc3\xa9\""},                      /* valid 2-byte */
	{"\xe2\x82\xac 5", "\"\xe2\x82\xac 5\""},                 /* valid 3-byte */
	{"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},             /* valid 4-byte */
	{"bad\xff", "\"bad\\ufffd\""},                              /* invalid byte */
	{"\xc0\x80", "\"\\ufffd\\ufffd\""},                         /* overlong NUL */
	{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},              /* surrogate */
	{"\xe2\x82", "\"\\ufffd\\ufffd\""},                         /* truncated */
	{"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},   /* past U+10FFFF */
};

static void test_strings(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tg_buf b;
		tg_buf_init(&b, 1024);
		assert_int_equal(tg_json_put_string(&b, rows[i].in), 0);
		if (strcmp(tg_buf_str(&b), rows[i].out) != 0)
			fail_msg("row %zu: got %s, want %s", i, tg_buf_str(&b), rows[i].out);
		/* and a JSON parser reads it back */
		json_error_t jerr;
		json_t *v = json_loads(tg_buf_str(&b), JSON_DECODE_ANY, &jerr);
		if (v == NULL)
			fail_msg("row %zu: %s is not valid JSON: %s", i, tg_buf_str(&b), jerr.text);
		json_decref(v);
		tg_buf_free(&b);
	}
}

static void test_fields_and_bounds(void **state)
{
	tg_buf b;
	tg_buf_init(&b, 64);
	assert_int_equal(tg_buf_puts(&b, "{"), 0);
	assert_int_equal(tg_json_put_field(&b, "a", "1", 1), 0);
	assert_int_equal(tg_json_put_field(&b, "b", NULL, 0), 0);
	assert_int_equal(tg_buf_puts(&b, "}"), 0);
	assert_string_equal(tg_buf_str(&b), "{\"a\":\"1\",\"b\":null}");
	char big[200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tg_json_put_string(&b, big), TG_ETOOBIG);
	tg_buf_clear(&b);
	assert_string_equal(tg_buf_str(&b), "");
	tg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_fields_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
