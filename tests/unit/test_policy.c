/* Unit tests for authz/policy: loading, validation with positions, matching. */
#include "tg_test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#define TEST_KEY "/tmp/tg-test-policy-cosign.pub"
#define TEST_ROOT "/tmp/tg-test-policy-trusted_root.json"
#define KEYLESS_ID "{\"subject\": \"https://github.com/acme/app/.github/workflows/r.yml@refs/heads/main\", " \
	"\"issuer\": \"https://token.actions.githubusercontent.com\"}"

#include <sys/stat.h>
#include <unistd.h>

#include "authz/decide.h"
#include "authz/policy.h"

static tg_policy *parse_ok(const char *text)
{
	tg_policy *p = NULL;
	tg_error err;
	if (tg_policy_parse(text, strlen(text), "test.json", &p, &err) != 0)
		fail_msg("policy should load: %s\n%s", err.msg, text);
	return p;
}

struct invalid_case {
	const char *text;
	const char *error; /* expected message, including "test.json:LINE:COL: " */
};

static const struct invalid_case invalid_cases[] = {
	{"{\"rules\": [}", "test.json:1:12: "},
	{"", "test.json:1:0: "},
	{"[]", "test.json:1:1: a policy must be a JSON object"},
	{"{}", "a policy needs \"rules\""},
	{"{\"rules\": [],\n \"mdoe\": \"audit\"}", "test.json:2:10: unknown key \"mdoe\""},
	{"{\"rules\": [], \"mode\": \"warn\"}", "test.json:1:23: \"mode\" must be \"enforce\" or \"audit\""},
	{"{\"rules\": [\n  {\"match\": \"*\", \"require\": \"allow\"},\n  {\"match\": \"a/*\", \"require\": \"sign\"}\n]}",
	 "test.json:3:31: \"require\" must be one of \"allow\", \"publisher\", \"signed\", \"deny\" (not \"sign\")"},
	{"{\"rules\": [{\"match\": \"Docker.io/*\", \"require\": \"allow\"}]}",
	 "test.json:1:22: \"match\" pattern \"Docker.io/*\" has upper-case letters"},
	{"{\"rules\": [{\"match\": \"\", \"require\": \"allow\"}]}", "\"match\" pattern is empty"},
	{"{\"rules\": [{\"require\": \"allow\"}]}", "test.json:1:12: rule 1 has no \"match\""},
	{"{\"rules\": [{\"match\": \"*\"}]}", "rule 1 has no \"require\""},
	{"{\"rules\": [{\"match\": \"*\", \"require\": \"allow\", \"extra\": 1}]}",
	 "test.json:1:56: unknown rule key \"extra\""},
	{"{\"rules\": [{\"match\": \"*\", \"require\": \"signed\"}]}", "names no \"trust_roots\""},
	{"{\"rules\": [{\"match\": \"*\", \"require\": \"signed\", \"trust_roots\": []}]}",
	 "\"trust_roots\" is empty"},
	{"{\"rules\": [{\"match\": \"*\", \"require\": \"allow\", \"trust_roots\": [\"a\"]}]}",
	 "only applies to rules with \"require\": \"signed\""},
	{"{\"rules\": [\"*\"]}", "test.json:1:12: each rule must be an object"},
	{"{\"rules\": {}}", "\"rules\" must be a list"},
	{"{\"rules\": [], \"verified_publishers\": [\"docker.io/a\", 3]}",
	 "test.json:1:54: \"verified_publishers\" entries must be strings"},
	{"{\"rules\": [], \"verified_publishers\": [\"docker.io/*\"]}", "may not contain wildcards"},
	{"{\"rules\": [], \"verified_publishers\": [\"docker.io/a/\"]}", "must not end with '/'"},
	{"{\"rules\": [], \"official_images\": \"yes\"}", "\"official_images\" must be true or false"},
	{"{\"rules\": [], \"operations\": {\"biuld\": \"allow\"}}", "unknown operation \"biuld\""},
	{"{\"rules\": [], \"operations\": {\"build\": true}}", "operation \"build\" must be \"allow\" or \"deny\""},
	{"{\"rules\": [], \"rules\": []}", "duplicate object key"},
	/* trust roots */
	{"{\"rules\": [\n {\"match\": \"*\", \"require\": \"signed\", \"trust_roots\": [\"nope\"]}]}",
	 "test.json:2:54: rule 1 names trust root \"nope\", which \"trust_roots\" does not define"},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"tofu\": true}}}",
	 "trust root \"n\" needs \"server\""},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"cosign\", \"server\": \"https://x\"}}}",
	 "trust root type must be \"notary\" or \"sigstore\""},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"server\": \"https://x\", \"tofu\": true}}}",
	 "needs \"type\": \"notary\""},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"ftp://x\"}}}",
	 "\"server\" must be an http:// or https:// URL"},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"https://x\"}}}",
	 "trusts no repository root: pin \"root_keys\" or \"root_ca\", or set \"tofu\": true"},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"https://x\", "
	 "\"root_keys\": [\"/nonexistent/root.pub\"]}}}",
	 "test.json:1:92: a key file \"/nonexistent/root.pub\" cannot be read"},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"https://x\", "
	 "\"root_ca\": \"relative.pem\"}}}", "\"root_ca\" must be an absolute file path"},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"https://x\", "
	 "\"tofu\": true, \"timeout_ms\": 5}}}", "\"timeout_ms\" must be a whole number from 100 to 60000"},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"https://x\", "
	 "\"tofu\": true, \"pin\": 1}}}", "unknown trust root key \"pin\""},
	/* sigstore roots: keys, and nothing of Notary's */
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\"}}}",
	 "sigstore trust root \"s\" needs either \"public_keys\""},
	/* keyless: a trusted root and identities */
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_ROOT "\"}}}", "needs either \"public_keys\" (1 to 16 PEM public key files: key-based) "
	 "or \"trusted_root\" and \"identities\" (keyless)"},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_ROOT "\", \"identities\": []}}}", "\"identities\" must be a list of 1 to 16 identities"},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_ROOT "\", \"identities\": [{\"subject\": \"x\"}]}}}", "an identity needs \"issuer\""},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_ROOT "\", \"identities\": [{\"subject\": \"x\", \"issuer\": \"\"}]}}}",
	 "an identity needs \"issuer\": a non-empty string"},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_ROOT "\", \"identities\": [{\"subject\": \"x\", \"issuer\": \"y\", \"san\": 1}]}}}",
	 "unknown identity key \"san\""},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_KEY "\", \"identities\": [" KEYLESS_ID "]}}}", "is not JSON"},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_ROOT "\", \"identities\": [" KEYLESS_ID "], \"public_keys\": [\"" TEST_KEY "\"]}}}",
	 "has both \"public_keys\" and \"identities\""},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", \"trusted_root\": \""
	 TEST_ROOT "\", \"rekor_public_key\": \"" TEST_KEY "\", \"public_keys\": [\"" TEST_KEY "\"]}}}",
	 "has both \"rekor_public_key\" and \"trusted_root\""},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"https://x\", "
	 "\"tofu\": true, \"trusted_root\": \"" TEST_ROOT "\"}}}", "belong to sigstore trust roots"},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", "
	 "\"public_keys\": [\"/nonexistent/cosign.pub\"]}}}", "a key file \"/nonexistent/cosign.pub\" cannot be read"},
	{"{\"rules\": [], \"trust_roots\": {\"s\": {\"type\": \"sigstore\", "
	 "\"public_keys\": [\"" TEST_KEY "\"], \"server\": \"https://x\"}}}",
	 "takes \"public_keys\", \"rekor_public_key\", \"trusted_root\", \"identities\" and "
	 "\"timeout_ms\" only"},
	{"{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": \"https://x\", "
	 "\"tofu\": true, \"public_keys\": [\"/etc/passwd\"]}}}", "\"public_keys\", \"rekor_public_key\", \"trusted_root\" and \"identities\" belong to sigstore"},
	{"{\"rules\": [], \"registries\": {\"r.io\": {}}}", "registry \"r.io\" needs \"url\""},
	{"{\"rules\": [], \"cache\": {\"tag_ttl\": 5}}", "unknown cache setting \"tag_ttl\""},
	{"{\"rules\": [], \"cache\": {\"max_entries\": 5}}",
	 "test.json:1:40: \"max_entries\" must be a whole number from 100 to 1000000"},
	{"{\"rules\": [], \"cache\": {\"stale_if_error_seconds\": -1}}", "from 0 to 604800"},
	{"{\"rules\": [], \"registries\": {\"r.io\": {\"url\": \"https://r.io\", \"user\": \"x\"}}}",
	 "unknown registry key \"user\""},
};

static void test_invalid(void **state)
{
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		tg_policy *p = NULL;
		tg_error err;
		int rc = tg_policy_parse(c->text, strlen(c->text), "test.json", &p, &err);
		if (rc != TG_EINVAL)
			fail_msg("case %zu should be rejected: %s", i, c->text);
		assert_null(p);
		assert_contains(err.msg, c->error);
	}
}

static void test_builtin(void **state)
{
	tg_policy *p = NULL;
	tg_error err;
	assert_int_equal(tg_policy_builtin(&p, &err), 0);
	assert_true(tg_policy_is_builtin(p));
	assert_int_equal(tg_policy_mode(p), TG_MODE_ENFORCE);
	assert_true(tg_policy_official_images(p));
	const tg_rule *r = tg_policy_match(p, "docker.io/evil/miner");
	assert_non_null(r);
	assert_int_equal(r->require, TG_REQUIRE_PUBLISHER);
	assert_false(tg_policy_operation_allowed(p, TG_SET_BUILD));
	assert_false(tg_policy_operation_allowed(p, TG_SET_LOAD));
	assert_true(tg_policy_operation_allowed(p, TG_SET_PUSH));
	assert_true(tg_policy_operation_allowed(p, TG_SET_OTHER_WRITES));
	tg_policy_free(p);
}

struct glob_case {
	const char *pattern, *name;
	bool match;
};

static const struct glob_case glob_cases[] = {
	{"*", "docker.io/library/alpine", true},
	{"docker.io/library/*", "docker.io/library/alpine", true},
	{"docker.io/library/*", "docker.io/library", false},
	{"docker.io/library/*", "docker.io/libraryx/alpine", false},
	{"registry.acme.io/team/*", "registry.acme.io/team/sub/app", true}, /* '*' crosses '/' */
	{"127.0.0.1:5000/*", "127.0.0.1:5000/app", true},
	{"127.0.0.1:5000/*", "127.0.0.1:50001/app", false},
	{"docker.io/library/alpine", "docker.io/library/alpine", true},
	{"docker.io/library/alpine", "docker.io/library/alpine2", false},
	{"docker.io/*/app", "docker.io/x/app", true},
	{"docker.io/*/app", "docker.io/x/app2", false},
	{"docker.io/?/app", "docker.io/x/app", true},
	{"docker.io/?/app", "docker.io/xy/app", false},
	{"*a*b*c", "xaybzc", true},
	{"*a*b*c", "xaybzcx", false},
};

static void test_glob(void **state)
{
	for (size_t i = 0; i < sizeof(glob_cases) / sizeof(glob_cases[0]); i++) {
		const struct glob_case *c = &glob_cases[i];
		if (tg_policy_glob_match(c->pattern, c->name) != c->match)
			fail_msg("glob %s vs %s: want %d", c->pattern, c->name, c->match);
	}
}

static void test_most_specific_wins(void **state)
{
	tg_policy *p = parse_ok("{\"rules\": ["
	                        "{\"match\": \"*\", \"require\": \"deny\"},"
	                        "{\"match\": \"docker.io/*\", \"require\": \"publisher\"},"
	                        "{\"match\": \"docker.io/acme/*\", \"require\": \"allow\"},"
	                        "{\"match\": \"docker.io/acme/app\", \"require\": \"deny\"},"
	                        "{\"match\": \"docker.io/acme/a??\", \"require\": \"publisher\"},"
	                        "{\"match\": \"docker.io/acme/*\", \"require\": \"deny\"}]}");
	assert_int_equal(tg_policy_match(p, "quay.io/x/y")->number, 1);
	assert_int_equal(tg_policy_match(p, "docker.io/x/y")->number, 2);
	assert_int_equal(tg_policy_match(p, "docker.io/acme/tool")->number, 3); /* first of equals */
	assert_int_equal(tg_policy_match(p, "docker.io/acme/app")->number, 4);  /* exact beats glob */
	assert_int_equal(tg_policy_match(p, "docker.io/acme/abc")->number, 5);  /* more literals */
	tg_policy_free(p);
	p = parse_ok("{\"rules\": [{\"match\": \"docker.io/library/*\", \"require\": \"allow\"}]}");
	assert_null(tg_policy_match(p, "docker.io/evil/x"));
	tg_policy_free(p);
}

static void test_verified_publishers(void **state)
{
	tg_policy *p = parse_ok("{\"rules\": [], \"verified_publishers\": [\"docker.io/bitnami\", "
	                        "\"127.0.0.1:5000\"], \"official_images\": false, \"mode\": \"audit\"}");
	assert_string_equal(tg_policy_verified_publisher(p, "docker.io/bitnami/redis"), "docker.io/bitnami");
	assert_string_equal(tg_policy_verified_publisher(p, "docker.io/bitnami/x/y"), "docker.io/bitnami");
	assert_null(tg_policy_verified_publisher(p, "docker.io/bitnamievil/redis"));
	assert_null(tg_policy_verified_publisher(p, "docker.io/bitnami"));
	assert_string_equal(tg_policy_verified_publisher(p, "127.0.0.1:5000/app"), "127.0.0.1:5000");
	assert_null(tg_policy_verified_publisher(p, "127.0.0.1:50000/app"));
	assert_false(tg_policy_official_images(p));
	assert_int_equal(tg_policy_mode(p), TG_MODE_AUDIT);
	tg_policy_free(p);
}

static void test_example_files_are_valid(void **state)
{
	const char *src = getenv("TG_SOURCE_DIR");
	assert_non_null(src);
	static const char *const files[] = {"contrib/policy.example.json",
	                                    "contrib/policy.strict.json"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", src, files[i]);
		tg_policy *p = NULL;
		tg_error err;
		if (tg_policy_load_file(path, &p, &err) != 0)
			fail_msg("%s", err.msg);
		tg_policy_free(p);
	}
}

/* The locked-down example's container rules, as the README describes them. */
static void test_strict_example_container_rules(void **state)
{
	const char *src = getenv("TG_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/contrib/policy.strict.json", src);
	tg_policy *p = NULL;
	tg_error err;
	if (tg_policy_load_file(path, &p, &err) != 0)
		fail_msg("%s", err.msg);
	tg_container_rules r;
	tg_policy_container_rules(p, NULL, &r);
	assert_int_equal(r.action[TG_HARD_RUN_AS_ROOT], TG_HARD_DENY);
	assert_int_equal(r.action[TG_HARD_READ_ONLY_ROOTFS], TG_HARD_DENY);
	assert_int_equal(r.action[TG_HARD_HOST_PID], TG_HARD_DENY);
	assert_int_equal(r.n_list[TG_HARD_WRITABLE_PATHS], 1);
	assert_string_equal(r.list[TG_HARD_WRITABLE_PATHS][0], "/srv/data");
	assert_string_equal(r.list[TG_HARD_ALLOWED_CAPS][0], "NET_BIND_SERVICE");
	tg_reference ref;
	assert_int_equal(tg_reference_parse("registry.acme.io/security/node-agent:1", &ref, &err), 0);
	const tg_rule *agent = tg_authz_rule_for(p, &ref);
	assert_non_null(agent);
	tg_policy_container_rules(p, agent, &r);
	assert_int_equal(r.action[TG_HARD_HOST_PID], TG_HARD_ALLOW);
	assert_int_equal(r.action[TG_HARD_HOST_NETWORK], TG_HARD_DENY); /* the rest inherited */
	assert_int_equal(r.n_list[TG_HARD_BIND_PATHS], 3);
	assert_int_equal(r.n_list[TG_HARD_WRITABLE_PATHS], 1);
	tg_policy_free(p);
}

/* text with every from replaced by to (a new string). */
static char *replace_all(const char *text, const char *from, const char *to)
{
	size_t n = 0;
	for (const char *at = strstr(text, from); at != NULL; at = strstr(at + 1, from))
		n++;
	size_t len = strlen(text) + n * strlen(to) + 1;
	char *out = malloc(len), *w = out;
	assert_non_null(out);
	for (const char *at; (at = strstr(text, from)) != NULL; text = at + strlen(from))
		w += sprintf(w, "%.*s%s", (int)(at - text), text, to);
	strcpy(w, text);
	return out;
}

/* The cosign example names a key and a trusted root under /etc/trustgate:
 * checked with those paths pointed at real files. */
static void test_cosign_example_is_valid(void **state)
{
	const char *src = getenv("TG_SOURCE_DIR");
	assert_non_null(src);
	char path[1024];
	snprintf(path, sizeof(path), "%s/contrib/policy.cosign.json", src);
	size_t len;
	char *text = tg_test_read_file(path, &len);
	char *with_key = replace_all(text, "/etc/trustgate/acme-cosign.pub", TEST_KEY);
	char *fixed = replace_all(with_key, "/etc/trustgate/sigstore/trusted_root.json", TEST_ROOT);
	assert_true(strcmp(fixed, text) != 0);
	tg_policy *p = NULL;
	tg_error err;
	if (tg_policy_parse(fixed, strlen(fixed), "policy.cosign.json", &p, &err) != 0)
		fail_msg("%s", err.msg);
	const tg_trust_root *r = tg_policy_trust_root(p, "acme-cosign");
	assert_non_null(r);
	assert_int_equal(r->type, TG_TRUST_ROOT_SIGSTORE);
	assert_int_equal(r->n_public_keys, 1);
	r = tg_policy_trust_root(p, "acme-ci-keyless");
	assert_non_null(r);
	assert_int_equal(r->n_public_keys, 0);
	assert_string_equal(r->trusted_root, TEST_ROOT);
	assert_int_equal(r->n_identities, 1);
	assert_string_equal(r->identities[0].issuer, "https://token.actions.githubusercontent.com");
	tg_policy_free(p);
	free(fixed);
	free(with_key);
	free(text);
}

static void test_trust_roots_and_registries(void **state)
{
	tg_policy *p = parse_ok(
		"{\"rules\": [{\"match\": \"*\", \"require\": \"signed\", \"trust_roots\": [\"a\", \"b\"]}],"
		" \"trust_roots\": {"
		"  \"a\": {\"type\": \"notary\", \"server\": \"https://notary.acme.io:4443/\", \"tofu\": true},"
		"  \"b\": {\"type\": \"notary\", \"server\": \"http://127.0.0.1:4443\", \"root_keys\": [\"/etc/passwd\"],"
		"         \"root_ca\": \"/etc/passwd\", \"timeout_ms\": 1500}},"
		" \"registries\": {\"Registry.Acme.io\": {\"url\": \"https://registry.acme.io\", \"ca\": \"/etc/passwd\"}}}");
	const tg_trust_root *a = tg_policy_trust_root(p, "a");
	assert_non_null(a);
	assert_string_equal(a->server, "https://notary.acme.io:4443"); /* trailing '/' dropped */
	assert_true(a->tofu);
	assert_int_equal(a->n_root_keys, 0);
	assert_int_equal(a->timeout_ms, 5000);
	const tg_trust_root *b = tg_policy_trust_root(p, "b");
	assert_false(b->tofu);
	assert_int_equal(b->n_root_keys, 1);
	assert_string_equal(b->root_keys[0], "/etc/passwd");
	assert_string_equal(b->root_ca, "/etc/passwd");
	assert_int_equal(b->timeout_ms, 1500);
	assert_null(tg_policy_trust_root(p, "c"));
	const tg_registry *r = tg_policy_registry(p, "REGISTRY.acme.io");
	assert_non_null(r);
	assert_string_equal(r->url, "https://registry.acme.io");
	assert_null(tg_policy_registry(p, "other.io"));
	assert_int_equal(tg_policy_cache_setting(p, TG_CACHE_TAG_TTL), 60); /* defaults */
	assert_int_equal(tg_policy_cache_setting(p, TG_CACHE_STALE_IF_ERROR), 0);
	tg_policy_free(p);
	p = parse_ok("{\"rules\": [], \"cache\": {\"tag_ttl_seconds\": 5, \"verdict_ttl_seconds\": 600,"
	             " \"negative_ttl_seconds\": 1, \"stale_if_error_seconds\": 3600, \"max_entries\": 500}}");
	assert_int_equal(tg_policy_cache_setting(p, TG_CACHE_TAG_TTL), 5);
	assert_int_equal(tg_policy_cache_setting(p, TG_CACHE_VERDICT_TTL), 600);
	assert_int_equal(tg_policy_cache_setting(p, TG_CACHE_NEGATIVE_TTL), 1);
	assert_int_equal(tg_policy_cache_setting(p, TG_CACHE_STALE_IF_ERROR), 3600);
	assert_int_equal(tg_policy_cache_setting(p, TG_CACHE_MAX_ENTRIES), 500);
	tg_policy_free(p);
}

/* Credentials must belong to root and be readable by root only. */
static void test_credentials_file_mode(void **state)
{
	char path[64], text[512];
	snprintf(path, sizeof(path), "/tmp/tg-cred-%d.json", (int)getpid());
	FILE *f = fopen(path, "w");
	fputs("{\"username\": \"u\", \"password\": \"p\"}", f);
	fclose(f);
	snprintf(text, sizeof(text),
	         "{\"rules\": [], \"trust_roots\": {\"n\": {\"type\": \"notary\", \"server\": "
	         "\"https://x\", \"tofu\": true, \"credentials\": \"%s\"}}}", path);
	tg_policy *p = NULL;
	tg_error err;
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(tg_policy_parse(text, strlen(text), "t.json", &p, &err), TG_EINVAL);
	assert_contains(err.msg, "must belong to root and be readable by root only");
	assert_int_equal(chmod(path, 0600), 0);
	if (getuid() != 0) { /* the accepted case needs the file to be root's */
		unlink(path);
		skip();
	}
	if (tg_policy_parse(text, strlen(text), "t.json", &p, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(tg_policy_trust_root(p, "n")->credentials, path);
	tg_policy_free(p);
	unlink(path);
}

static void test_missing_file(void **state)
{
	tg_policy *p = NULL;
	tg_error err;
	assert_int_equal(tg_policy_load_file("/nonexistent/policy.json", &p, &err), TG_EIO);
	assert_contains(err.msg, "/nonexistent/policy.json: cannot open");
}

/* A real PEM public key for sigstore roots (their keys are parsed at load). */
static int make_test_key(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *f = fopen(TEST_KEY, "w");
	int ok = k != NULL && f != NULL && PEM_write_PUBKEY(f, k) == 1;
	if (f != NULL)
		fclose(f);
	EVP_PKEY_free(k);
	/* the loader checks a trusted root's shape; trustcache parses the rest */
	f = fopen(TEST_ROOT, "w");
	ok = ok && f != NULL && fputs("{\"mediaType\": \"application/vnd.dev.sigstore.trustedroot+json;"
	                               "version=0.1\", \"tlogs\": [{}]}", f) >= 0;
	if (f != NULL)
		fclose(f);
	return ok ? 0 : -1;
}

static int remove_test_key(void **state)
{
	unlink(TEST_KEY);
	unlink(TEST_ROOT);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_most_specific_wins),
		cmocka_unit_test(test_verified_publishers),
		cmocka_unit_test(test_example_files_are_valid),
		cmocka_unit_test(test_strict_example_container_rules),
		cmocka_unit_test(test_cosign_example_is_valid),
		cmocka_unit_test(test_trust_roots_and_registries),
		cmocka_unit_test(test_credentials_file_mode),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, make_test_key, remove_test_key);
}
