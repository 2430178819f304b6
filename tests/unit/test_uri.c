/* Unit tests for authz/uri: request targets read as dockerd's router reads them. */
#include "tg_test.h"

#include "authz/uri.h"

struct path_case {
	const char *uri;
	int rc;
	const char *path;
	const char *query;
	bool versioned;
};

static const struct path_case path_cases[] = {
	{"/v1.41/containers/create?name=x", 0, "/containers/create", "name=x", true},
	{"/containers/create", 0, "/containers/create", "", false},
	{"/v1.24/_ping", 0, "/_ping", "", true},
	{"/v./containers/create", 0, "/containers/create", "", true}, /* [0-9.]+ accepts "." */
	{"/v/containers/create", 0, "/v/containers/create", "", false},
	{"/v1.41", 0, "/v1.41", "", false},
	{"/vx1/containers/create", 0, "/vx1/containers/create", "", false},
	{"http://localhost/v1.41/images/create?fromImage=a", 0, "/images/create", "fromImage=a", true},
	{"unix://x/v1.41/build", 0, "/build", "", true},
	{"/v1.41/images/127.0.0.1%3A5005%2Facme%2Funsigned%3A1/tag?repo=x", 0,
	 "/images/127.0.0.1:5005/acme/unsigned:1/tag", "repo=x", true},
	{"/v1.41/containers%2Fcreate", 0, "/containers/create", "", true},
	{"/v1.41/images/a+b/json", 0, "/images/a+b/json", "", true}, /* '+' is literal in paths */
	{"//v1.41/containers/create", TG_EINVAL, NULL, NULL, false},
	{"/v1.41/containers/../create", TG_EINVAL, NULL, NULL, false},
	{"/v1.41/./containers/create", TG_EINVAL, NULL, NULL, false},
	{"/v1.41/containers/%2e%2e/x", TG_EINVAL, NULL, NULL, false},
	{"/v1.41/containers/create%2F%2F", TG_EINVAL, NULL, NULL, false},
	{"/v1.41/bad%zzescape", TG_EINVAL, NULL, NULL, false},
	{"/v1.41/trunc%4", TG_EINVAL, NULL, NULL, false},
	{"/v1.41/nul%00byte", TG_EINVAL, NULL, NULL, false},
	{"containers/create", TG_EINVAL, NULL, NULL, false},
	{"*", TG_EINVAL, NULL, NULL, false},
	{"http://hostonly", TG_EINVAL, NULL, NULL, false},
	{"", TG_EINVAL, NULL, NULL, false},
};

static void test_paths(void **state)
{
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		tg_uri uri = {0};
		tg_error err;
		int rc = tg_uri_parse(c->uri, &uri, &err);
		if (rc != c->rc)
			fail_msg("%s: got %d (%s), want %d", c->uri, rc, rc ? err.msg : "", c->rc);
		if (rc == 0) {
			assert_string_equal(uri.path, c->path);
			assert_string_equal(uri.raw_query, c->query);
			assert_int_equal(uri.versioned, c->versioned);
		}
		tg_uri_clear(&uri);
	}
}

struct query_case {
	const char *query;
	const char *key;
	int rc;
	const char *value; /* NULL: absent */
};

static const struct query_case query_cases[] = {
	{"fromImage=alpine&tag=3", "fromImage", 0, "alpine"},
	{"fromImage=alpine&tag=3", "tag", 0, "3"},
	{"fromImage=a&fromImage=b", "fromImage", 0, "a"}, /* first value wins */
	{"fromImage=127.0.0.1%3A5005%2Facme%2Fsigned", "fromImage", 0, "127.0.0.1:5005/acme/signed"},
	{"tag=sha256%3Aabc", "tag", 0, "sha256:abc"},
	{"t=a+b", "t", 0, "a b"},
	{"from%49mage=x", "fromImage", 0, "x"}, /* keys are decoded too */
	{"fromimage=x", "fromImage", 0, NULL},   /* but matched exactly */
	{"fromImage", "fromImage", 0, ""},
	{"fromImage=", "fromImage", 0, ""},
	{"a=1&&b=2", "b", 0, "2"},
	{"", "fromImage", 0, NULL},
	{"fromImage=a;fromImage=b", "fromImage", TG_EINVAL, NULL},
	{"x=1;y=2&fromImage=a", "fromImage", TG_EINVAL, NULL},
	{"fromImage=a&bad=%zz", "fromImage", TG_EINVAL, NULL}, /* a later bad pair fails Go's parse */
	{"fromImage=%", "fromImage", TG_EINVAL, NULL},
};

static void test_queries(void **state)
{
	for (size_t i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		const struct query_case *c = &query_cases[i];
		char uri_text[256];
		snprintf(uri_text, sizeof(uri_text), "/images/create?%s", c->query);
		tg_uri uri = {0};
		tg_error err;
		assert_int_equal(tg_uri_parse(uri_text, &uri, &err), 0);
		char *value = (char *)"unset";
		int rc = tg_uri_query_get(&uri, c->key, &value, &err);
		if (rc != c->rc)
			fail_msg("%s [%s]: got %d, want %d", c->query, c->key, rc, c->rc);
		if (rc == 0 && c->value == NULL && value != NULL)
			fail_msg("%s [%s]: got \"%s\", want absent", c->query, c->key, value);
		if (rc == 0 && c->value != NULL) {
			assert_non_null(value);
			assert_string_equal(value, c->value);
		}
		if (rc == 0)
			free(value);
		tg_uri_clear(&uri);
	}
}

static void test_too_long(void **state)
{
	size_t n = TG_URI_MAX + 10;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	big[0] = '/';
	big[n] = '\0';
	tg_uri uri = {0};
	tg_error err;
	assert_int_equal(tg_uri_parse(big, &uri, &err), TG_ETOOBIG);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
