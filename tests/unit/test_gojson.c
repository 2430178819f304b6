/* Unit tests for authz/gojson: keys matched as Go's encoding/json matches them. */
#include "tg_test.h"

#include "authz/gojson.h"

struct match_case {
	const char *key;
	const char *field;
	int matches;
};

static const struct match_case match_cases[] = {
	{"Image", "Image", 1},
	{"image", "Image", 1},
	{"IMAGE", "Image", 1},
	{"iMaGe", "Image", 1},
	{"Images", "Image", 0},
	{"Imag", "Image", 0},
	{"", "Image", 0},
	{"Ho\xc5\xbftConfig", "HostConfig", 1},  /* U+017F LATIN SMALL LETTER LONG S */
	{"\xe2\x84\xaa" "ernelMemory", "KernelMemory", 1}, /* U+212A KELVIN SIGN */
	{"Privileged\xe2\x84\xaa", "Privileged", 0},
	{"\xc4\xb0mage", "Image", 0},            /* U+0130 has no simple fold to 'i' */
	{"\xc4\xb1mage", "Image", 0},            /* U+0131 dotless i: neither */
	{"Ima\xef\xbf\xbd" "e", "Image", 0},     /* U+FFFD */
	{"Privileged", "Privileged", 1},
	{"PRIVILEGED", "Privileged", 1},
};

static void test_key_matching(void **state)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		if (tg_gojson_key_matches(c->key, c->field) != c->matches)
			fail_msg("case %zu: key \"%s\" vs field %s: want %d", i, c->key, c->field, c->matches);
	}
}

struct get_case {
	const char *json;
	const char *path;
	int rc;
	const char *value; /* string value expected, NULL for absent */
};

static const struct get_case get_cases[] = {
	{"{\"Image\":\"a\"}", "Image", 0, "a"},
	{"{\"image\":\"a\"}", "Image", 0, "a"},
	{"{\"Image\":\"a\",\"IMAGE\":\"b\"}", "Image", TG_EAMBIGUOUS, NULL},
	{"{\"image\":\"a\",\"Ima\\u0067e\":\"b\"}", "Image", TG_EAMBIGUOUS, NULL},
	{"{\"Cmd\":[\"x\"]}", "Image", 0, NULL},
	{"{\"HostConfig\":{\"Privileged\":\"x\"}}", "HostConfig.Privileged", 0, "x"},
	{"{\"ho\\u017ftconfig\":{\"privileged\":\"x\"}}", "HostConfig.Privileged", 0, "x"},
	{"{\"HostConfig\":{\"Privileged\":\"x\"},\"hostconfig\":{}}", "HostConfig.Privileged",
	 TG_EAMBIGUOUS, NULL},
	{"{\"HostConfig\":null}", "HostConfig.Privileged", 0, NULL},
	{"{\"HostConfig\":\"str\"}", "HostConfig.Privileged", TG_EINVAL, NULL},
	{"{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"s\"}}}", "TaskTemplate.ContainerSpec.Image",
	 0, "s"},
	{"null", "Image", 0, NULL},
	{"[1]", "Image", TG_EINVAL, NULL},
};

static void test_get(void **state)
{
	for (size_t i = 0; i < sizeof(get_cases) / sizeof(get_cases[0]); i++) {
		const struct get_case *c = &get_cases[i];
		tg_jdoc doc;
		tg_error err;
		if (tg_jdoc_parse(c->json, strlen(c->json), &doc, &err) != 0)
			fail_msg("case %zu: bad test JSON: %s", i, err.msg);
		const tg_jnode *v = NULL;
		int rc = tg_gojson_get_path(tg_jdoc_root(&doc), c->path, &v, &err);
		if (rc != c->rc)
			fail_msg("case %zu (%s): got %d, want %d", i, c->json, rc, c->rc);
		if (rc == 0 && c->value == NULL)
			assert_null(v);
		if (rc == 0 && c->value != NULL)
			assert_string_equal(v->type == TG_JSTRING ? v->str : "(not a string)", c->value);
		if (rc == TG_EAMBIGUOUS)
			assert_contains(err.msg, "more than once");
		tg_jdoc_free(&doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_matching),
		cmocka_unit_test(test_get),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
