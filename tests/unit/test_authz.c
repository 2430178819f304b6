/* Unit tests for the authz pipeline: AuthZReq -> request -> operation ->
 * decision, as a table of requests and the verdicts and messages they must
 * get. Covers the decoding traps of shared/NOTES.md section 2. */
#include "tg_test.h"

#include <jansson.h>
#include <openssl/evp.h>

#include "authz/decide.h"
#include "authz/operation.h"
#include "authz/request.h"

static const char test_policy[] =
	"{\"verified_publishers\": [\"docker.io/vendor\", \"127.0.0.1:5000\"],"
	" \"rules\": ["
	"  {\"match\": \"*\", \"require\": \"publisher\"},"
	"  {\"match\": \"registry.acme.io/team/*\", \"require\": \"allow\"},"
	"  {\"match\": \"registry.acme.io/release/*\", \"require\": \"signed\", \"trust_roots\": [\"acme\"]},"
	"  {\"match\": \"docker.io/library/ubuntu\", \"require\": \"deny\", \"reason\": \"use the mirror\"}"
	" ],"
	" \"trust_roots\": {\"acme\": {\"type\": \"notary\", \"server\": \"https://notary.acme.io\", \"tofu\": true}}}";

#define CL0 "{\"Content-Length\":\"0\"}"
#define JSONH "{\"Content-Type\":\"application/json\"}"
#define D64 "sha256:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"

struct authz_case {
	const char *method, *uri, *headers; /* headers: JSON object text, NULL = none */
	const char *body;                    /* RequestBody before base64, NULL = absent */
	const char *op;                      /* tg_op_kind_token */
	enum tg_verdict verdict;
	const char *msg;                     /* substring of the decision message */
};

static const struct authz_case cases[] = {
	{"GET", "/_ping", NULL, NULL, "read", TG_VERDICT_ALLOW, "read-only"},
	{"HEAD", "/v1.41/containers/json?all=1", NULL, NULL, "read", TG_VERDICT_ALLOW, ""},
	/* pull */
	{"POST", "/v1.41/images/create?fromImage=alpine&tag=3.19", CL0, NULL, "pull", TG_VERDICT_ALLOW,
	 "docker.io/library/alpine:3.19 is an official image"},
	{"POST", "/v1.41/images/create?fromImage=evil%2Fminer&tag=latest", CL0, NULL, "pull",
	 TG_VERDICT_DENY, "pull of image docker.io/evil/miner:latest is not allowed: no rule trusts "
	                  "publisher \"evil\". To allow it, add \"docker.io/evil\" to \"verified_publishers\""},
	{"POST", "/v1.41/images/create?fromImage=vendor%2Fapp&tag=1", CL0, NULL, "pull",
	 TG_VERDICT_ALLOW, "verified publisher \"docker.io/vendor\""},
	{"POST", "/v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fapp&tag=1", CL0, NULL, "pull",
	 TG_VERDICT_ALLOW, "verified publisher \"127.0.0.1:5000\""},
	{"POST", "/v1.41/images/create?fromImage=127.0.0.1%3A50000%2Fapp&tag=1", CL0, NULL, "pull",
	 TG_VERDICT_DENY, "publisher \"127.0.0.1:50000\""},
	{"POST", "/v1.41/images/create?fromImage=registry.acme.io%2Fteam%2Fa%2Fb&tag=1", CL0, NULL,
	 "pull", TG_VERDICT_ALLOW, "allowed by rule \"registry.acme.io/team/*\""},
	{"POST", "/v1.41/images/create?fromImage=REGISTRY.ACME.IO%2Fteam%2Fapp&tag=1", CL0, NULL,
	 "pull", TG_VERDICT_ALLOW, "allowed by rule \"registry.acme.io/team/*\""},
	{"POST", "/v1.41/images/create?fromImage=registry.acme.io%2Frelease%2Fapp&tag=1", CL0, NULL,
	 "pull", TG_VERDICT_DENY, "requires a signature from trust root \"acme\", and no signature "
	                          "lookup was made"},
	{"POST", "/v1.41/images/create?fromImage=ubuntu&tag=24.04", CL0, NULL, "pull", TG_VERDICT_DENY,
	 "rule \"docker.io/library/ubuntu\" denies it (use the mirror)"},
	{"POST", "/v1.41/images/create?fromImage=alpine", CL0, NULL, "pull", TG_VERDICT_ALLOW,
	 "docker.io/library/alpine (all tags)"},
	{"POST", "/v1.41/images/create?fromImage=evil%2Fminer&tag=" D64, CL0, NULL, "pull",
	 TG_VERDICT_DENY, "docker.io/evil/miner@" D64},
	{"POST", "/v1.41/images/create?fromImage=alpine%3A&tag=", CL0, NULL, "pull", TG_VERDICT_ALLOW,
	 "docker.io/library/alpine (all tags)"},
	{"POST", "/v1.41/images/create?fromImage=alpine&fromImage=evil%2Fx&tag=1", CL0, NULL, "pull",
	 TG_VERDICT_ALLOW, "docker.io/library/alpine:1"},
	{"POST", "/v1.41/images/create?fromImage=evil%2Fx&fromImage=alpine&tag=1", CL0, NULL, "pull",
	 TG_VERDICT_DENY, "docker.io/evil/x:1"},
	{"POST", "/v1.41/images/create?fromImage=Evil%2FMiner&tag=1", CL0, NULL, "pull",
	 TG_VERDICT_DENY, "lowercase"},
	{"POST", "/v1.41/images/create?fromImage=alpine&tag=bad%3Atag", CL0, NULL, "pull",
	 TG_VERDICT_DENY, "pull of alpine:bad:tag is not allowed"},
	{"POST", "/v1.41/images/create?fromImage=alpine;x=1&tag=1", CL0, NULL, "pull", TG_VERDICT_DENY,
	 "';'"},
	/* a body the plugin cannot see may override the query (form bodies) */
	{"POST", "/v1.41/images/create?fromImage=alpine&tag=1", "{\"User-Agent\":\"curl\"}", NULL,
	 "pull", TG_VERDICT_DENY, "may carry a body that dockerd reads but trustgate cannot see"},
	{"POST", "/v1.41/images/create?fromImage=alpine&tag=1",
	 "{\"Content-Type\":\"application/x-www-form-urlencoded\",\"Content-Length\":\"18\"}", NULL,
	 "pull", TG_VERDICT_DENY, "cannot see"},
	{"POST", "/v1.41/images/create?fromImage=alpine&tag=1", JSONH, "{}", "pull", TG_VERDICT_ALLOW,
	 "official"},
	/* import, load, build, commit: content trustgate cannot check */
	{"POST", "/v1.41/images/create?fromSrc=-&repo=local%2Fimported%3A1&tag=",
	 "{\"Content-Type\":\"text/plain\"}", NULL, "import", TG_VERDICT_DENY,
	 "docker import is not allowed on this host: imported images come from a tar file"},
	{"POST", "/v1.41/images/load?quiet=1", "{\"Content-Type\":\"application/x-tar\"}", NULL, "load",
	 TG_VERDICT_DENY, "set \"operations\": {\"load\": \"allow\"} in test.json"},
	{"POST", "/v1.41/build?t=x", NULL, NULL, "build", TG_VERDICT_DENY, "docker build is not allowed"},
	{"POST", "/session", NULL, NULL, "build_session", TG_VERDICT_DENY, "{\"buildkit\": \"allow\"}"},
	{"POST", "/v1.41/commit?container=c&repo=local%2Fx&tag=1", JSONH, "null", "commit",
	 TG_VERDICT_DENY, "docker commit is not allowed"},
	/* create */
	{"POST", "/v1.41/containers/create?name=x", JSONH, "{\"Image\":\"alpine\",\"Cmd\":[\"sh\"]}",
	 "create", TG_VERDICT_DENY, "container create of alpine is not allowed: the local image it uses was not looked up"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"evil/miner\"}", "create",
	 TG_VERDICT_DENY, "container create of image docker.io/evil/miner:latest is not allowed"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"image\":\"evil/miner\"}", "create",
	 TG_VERDICT_DENY, "docker.io/evil/miner:latest"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"IMAGE\":\"alpine\"}", "create",
	 TG_VERDICT_DENY, "of alpine is not allowed: the local image"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"alpine\",\"IMAGE\":\"evil/miner\"}",
	 "create", TG_VERDICT_DENY, "sets \"Image\" more than once"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"alpine\",\"Image\":\"evil/miner\"}",
	 "create", TG_VERDICT_DENY, "not valid JSON: duplicate object key"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"alpine\"} {\"Image\":\"evil/x\"}",
	 "create", TG_VERDICT_DENY, "not valid JSON"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"alp\xffine\"}", "create",
	 TG_VERDICT_DENY, "not valid JSON"},
	{"POST", "/v1.41/containers/create", "{\"Content-Length\":\"1100111\",\"Content-Type\":"
	 "\"application/json\"}", NULL, "create", TG_VERDICT_DENY, "without its body"},
	{"POST", "/v1.41/containers/create", NULL, "", "create", TG_VERDICT_DENY, "not valid JSON"},
	{"POST", "/v1.41/containers/create", JSONH, "[\"alpine\"]", "create", TG_VERDICT_DENY,
	 "not a JSON object"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":5}", "create", TG_VERDICT_DENY,
	 "not a string"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"\"}", "create", TG_VERDICT_DENY,
	 "names no image"},
	{"POST", "/v1.41/containers/create", JSONH, "null", "create", TG_VERDICT_DENY, "names no image"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"" D64 "\"}", "create",
	 TG_VERDICT_DENY, "of " D64 " is not allowed: the local image it uses was not looked up"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84\"}",
	 "create", TG_VERDICT_DENY, "the local image it uses was not looked up"},
	{"POST", "/v1.41/containers/create", JSONH, "{\"Image\":\"ubuntu\"}", "create",
	 TG_VERDICT_DENY, "rule \"docker.io/library/ubuntu\" denies it"},
	{"POST", "/containers/create", JSONH, "{\"Image\":\"evil/miner\"}", "create", TG_VERDICT_DENY,
	 "docker.io/evil/miner:latest"},
	{"POST", "/v1.41/containers%2Fcreate", JSONH, "{\"Image\":\"evil/miner\"}", "create",
	 TG_VERDICT_DENY, "docker.io/evil/miner:latest"},
	{"POST", "http://docker/v1.41/containers/create", JSONH, "{\"Image\":\"evil/miner\"}", "create",
	 TG_VERDICT_DENY, "docker.io/evil/miner:latest"},
	{"POST", "//v1.41/containers/create", JSONH, "{\"Image\":\"alpine\"}", "unknown",
	 TG_VERDICT_DENY, "not canonical"},
	/* start, exec */
	{"POST", "/v1.41/containers/abc/start", NULL, NULL, "start", TG_VERDICT_DENY,
	 "container start of abc is not allowed: the local image it uses was not looked up"},
	{"POST", "/v1.41/containers/abc/exec", JSONH, "{\"Cmd\":[\"sh\"]}", "exec", TG_VERDICT_ALLOW,
	 "\"exec\": \"allow\""},
	{"POST", "/v1.41/containers/abc/exec", JSONH, NULL, "exec", TG_VERDICT_DENY, "without its body"},
	/* tag: the source must be trusted */
	{"POST", "/v1.41/images/alpine/tag?repo=local%2Fx&tag=1", CL0, NULL, "tag", TG_VERDICT_DENY,
	 "the local image it uses was not looked up"},
	{"POST", "/v1.41/images/evil%2Fminer%3A1/tag?repo=alpine&tag=latest", CL0, NULL, "tag",
	 TG_VERDICT_DENY, "docker tag of image docker.io/evil/miner:1 is not allowed"},
	{"POST", "/v1.41/images/evil/miner:1/tag?repo=alpine&tag=latest", CL0, NULL, "tag",
	 TG_VERDICT_DENY, "docker.io/evil/miner:1"},
	{"POST", "/v1.41/images/" D64 "/tag?repo=alpine", CL0, NULL, "tag", TG_VERDICT_DENY,
	 "the local image it uses was not looked up"},
	{"POST", "/v1.41/images/alpine/tag?repo=x", NULL, NULL, "tag", TG_VERDICT_DENY, "cannot see"},
	/* push */
	{"POST", "/v1.41/images/evil%2Fminer/push?tag=1", CL0, NULL, "push", TG_VERDICT_ALLOW, "push"},
	/* plugins: trustgate protects itself */
	{"POST", "/v1.41/plugins/trustgate/disable", CL0, NULL, "plugin_disable", TG_VERDICT_DENY,
	 "plugin disable of plugin \"trustgate\" is not allowed"},
	{"POST", "/v1.41/plugins/trustgate:latest/disable?force=1", CL0, NULL, "plugin_disable",
	 TG_VERDICT_DENY, "trust gate"},
	{"POST", "/v1.41/plugins/acme%2Ftrustgate%3Alatest/disable", CL0, NULL, "plugin_disable",
	 TG_VERDICT_DENY, "trust gate"},
	{"DELETE", "/v1.41/plugins/trustgate?force=1", NULL, NULL, "plugin_remove", TG_VERDICT_DENY,
	 "trust gate"},
	{"POST", "/v1.41/plugins/trustgate/set", JSONH, "[\"DEBUG=1\"]", "plugin_set", TG_VERDICT_DENY,
	 "trust gate"},
	{"POST", "/v1.41/plugins/trustgatex/disable", CL0, NULL, "plugin_disable", TG_VERDICT_ALLOW, ""},
	{"POST", "/v1.41/plugins/pull?remote=evil%2Fplugin&name=p", JSONH, "[]", "plugin_pull",
	 TG_VERDICT_DENY, "plugin install of image docker.io/evil/plugin:latest is not allowed"},
	{"POST", "/v1.41/plugins/pull?remote=vendor%2Fplugin%3A1", JSONH, "[]", "plugin_pull",
	 TG_VERDICT_ALLOW, "verified publisher"},
	{"POST", "/v1.41/plugins/create?name=x", NULL, NULL, "plugin_create", TG_VERDICT_DENY,
	 "plugin_create"},
	/* services */
	{"POST", "/v1.41/services/create", JSONH,
	 "{\"Name\":\"s\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"evil/miner:1@" D64 "\"}}}",
	 "service_create", TG_VERDICT_DENY, "service create of image docker.io/evil/miner:1@" D64},
	{"POST", "/v1.41/services/create", JSONH,
	 "{\"taskTemplate\":{\"containerspec\":{\"image\":\"alpine\"}}}", "service_create",
	 TG_VERDICT_ALLOW, "official"},
	{"POST", "/v1.41/services/abc/update?version=3", JSONH,
	 "{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"evil/miner\"}}}", "service_update",
	 TG_VERDICT_DENY, "docker.io/evil/miner:latest"},
	{"POST", "/v1.41/services/create", NULL, NULL, "service_create", TG_VERDICT_DENY,
	 "without its body"},
	/* everything else */
	{"DELETE", "/v1.41/containers/abc?force=1", NULL, NULL, "write", TG_VERDICT_ALLOW, ""},
	{"POST", "/v1.41/containers/abc/stop", NULL, NULL, "write", TG_VERDICT_ALLOW, ""},
};

static char *make_authz_req(const struct authz_case *c)
{
	json_t *obj = json_pack("{s:s, s:s}", "RequestMethod", c->method, "RequestUri", c->uri);
	if (c->headers != NULL)
		json_object_set_new(obj, "RequestHeaders", json_loads(c->headers, 0, NULL));
	if (c->body != NULL) {
		size_t n = strlen(c->body);
		char *b64 = malloc(4 * ((n + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)c->body, (int)n);
		json_object_set_new(obj, "RequestBody", json_string(b64));
		free(b64);
	}
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return text;
}

static void run_case(const tg_policy *policy, const struct authz_case *c, size_t i)
{
	char *text = make_authz_req(c);
	tg_authz_request *req = NULL;
	tg_error err;
	if (tg_authz_request_parse(text, strlen(text), &req, &err) != 0)
		fail_msg("case %zu: envelope rejected: %s", i, err.msg);
	tg_operation op;
	tg_error_clear(&err);
	tg_authz_decode(req, &op, &err);
	tg_decision d;
	tg_decide_env env = {"trustgate"};
	tg_authz_decide(policy, &env, &op, &err, NULL, &d);
	if (strcmp(tg_op_kind_token(op.kind), c->op) != 0 || d.verdict != c->verdict ||
	    strstr(d.message, c->msg) == NULL)
		fail_msg("case %zu %s %s: got op %s, %s: \"%s\"; want op %s, %s, message with \"%s\"", i,
		         c->method, c->uri, tg_op_kind_token(op.kind), tg_verdict_name(d.verdict), d.message,
		         c->op, tg_verdict_name(c->verdict), c->msg);
	assert_int_equal(d.allow, d.verdict != TG_VERDICT_DENY);
	tg_authz_request_free(req);
	free(text);
}

static void test_table(void **state)
{
	tg_policy *policy = NULL;
	tg_error err;
	if (tg_policy_parse(test_policy, strlen(test_policy), "test.json", &policy, &err) != 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(policy, &cases[i], i);
	tg_policy_free(policy);
}

/* A classic build is allowed by "operations", except into a name a rule
 * denies (every "t" counts, as dockerd tags with each); so are commits and
 * imports; a tag into such a name is denied too. */
static void test_build_targets(void **state)
{
	static const char build_policy[] =
		"{\"rules\": [{\"match\": \"*\", \"require\": \"publisher\"},"
		" {\"match\": \"docker.io/library/ubuntu\", \"require\": \"deny\", \"reason\": \"mirror\"}],"
		" \"operations\": {\"build\": \"allow\", \"commit\": \"allow\", \"import\": \"allow\"}}";
	static const struct authz_case builds[] = {
		{"POST", "/v1.41/build?t=local%2Fapp%3A1", NULL, NULL, "build", TG_VERDICT_ALLOW,
		 "\"build\": \"allow\""},
		{"POST", "/v1.41/build?t=local%2Fapp&t=ubuntu%3Alatest", NULL, NULL, "build",
		 TG_VERDICT_DENY, "docker build -t ubuntu:latest is not allowed: rule "
		 "\"docker.io/library/ubuntu\" denies that name (mirror)"},
		{"POST", "/v1.41/build?t=Bad%2FName", NULL, NULL, "build", TG_VERDICT_DENY,
		 "docker build -t Bad/Name is not allowed"},
		{"POST", "/v1.41/build", NULL, NULL, "build", TG_VERDICT_ALLOW, "allow"},
		{"POST", "/v1.41/build?remote=https%3A%2F%2Fgit.example%2Fx.git&t=a%2Fb", NULL, NULL,
		 "build", TG_VERDICT_DENY, "docker build from the remote context https://git.example/x.git "
		 "is not allowed"},
		{"POST", "/v1.41/build?remote=client-session&version=2", NULL, NULL, "build",
		 TG_VERDICT_DENY, "set \"operations\": {\"buildkit\": \"allow\"}"},
		/* tags, commits and imports into a denied name: a protected namespace */
		{"POST", "/v1.41/images/alpine/tag?repo=ubuntu&tag=1", CL0, NULL, "tag", TG_VERDICT_DENY,
		 "docker tag to ubuntu:1 is not allowed: rule \"docker.io/library/ubuntu\" denies that "
		 "name (mirror)"},
		{"POST", "/v1.41/commit?container=c1&repo=ubuntu&tag=x", JSONH, "{}", "commit",
		 TG_VERDICT_DENY, "docker commit to ubuntu:x is not allowed: rule"},
		{"POST", "/v1.41/images/create?fromSrc=-&repo=ubuntu&tag=x", NULL, NULL, "import",
		 TG_VERDICT_DENY, "docker import to ubuntu:x is not allowed: rule"},
	};
	tg_policy *policy = NULL;
	tg_error err;
	assert_int_equal(tg_policy_parse(build_policy, strlen(build_policy), "b.json", &policy, &err), 0);
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++)
		run_case(policy, &builds[i], i);
	tg_policy_free(policy);
}

/* "trust_roots_required": "any" is satisfied by one root's signature,
 * "all" by every root's; the first root missing explains the deny. */
static void test_signed_any_all(void **state)
{
	static const char text[] =
		"{\"rules\": [{\"match\": \"any.io/*\", \"require\": \"signed\", \"trust_roots\": [\"a\", \"b\"]},"
		" {\"match\": \"all.io/*\", \"require\": \"signed\", \"trust_roots\": [\"a\", \"b\"],"
		"  \"trust_roots_required\": \"all\"}],"
		" \"trust_roots\": {\"a\": {\"type\": \"notary\", \"server\": \"https://a\", \"tofu\": true},"
		"  \"b\": {\"type\": \"notary\", \"server\": \"https://b\", \"tofu\": true}}}";
	tg_policy *policy = NULL;
	tg_error err;
	assert_int_equal(tg_policy_parse(text, strlen(text), "s.json", &policy, &err), 0);
	tg_trust_facts facts;
	memset(&facts, 0, sizeof(facts));
	facts.n = 2;
	facts.sig[0].root = "a";
	facts.sig[0].status = TG_SIG_NOT_SIGNED;
	snprintf(facts.sig[0].detail, sizeof(facts.sig[0].detail), "a has no signature");
	facts.sig[1].root = "b";
	facts.sig[1].status = TG_SIG_VERIFIED;
	snprintf(facts.sig[1].detail, sizeof(facts.sig[1].detail), "b signed it");
	tg_operation op;
	memset(&op, 0, sizeof(op));
	op.kind = TG_OP_PULL;
	op.has_ref = true;
	tg_decision d;
	tg_decide_env env = {"trustgate"};
	assert_int_equal(tg_reference_parse("any.io/x:1", &op.ref, &err), 0);
	tg_authz_decide(policy, &env, &op, NULL, &facts, &d);
	assert_int_equal(d.verdict, TG_VERDICT_ALLOW);
	assert_contains(d.message, "b signed it");
	assert_int_equal(tg_reference_parse("all.io/x:1", &op.ref, &err), 0);
	tg_authz_decide(policy, &env, &op, NULL, &facts, &d);
	assert_int_equal(d.verdict, TG_VERDICT_DENY);
	assert_contains(d.message, "a has no signature (trust root \"a\")");
	facts.sig[0].status = TG_SIG_VERIFIED;
	tg_authz_decide(policy, &env, &op, NULL, &facts, &d);
	assert_int_equal(d.verdict, TG_VERDICT_ALLOW);
	assert_contains(d.message, "is signed by all 2 trust roots");
	tg_policy_free(policy);
	const char bad[] = "{\"rules\": [{\"match\": \"*\", \"require\": \"allow\", "
	                   "\"trust_roots_required\": \"all\"}]}";
	assert_int_equal(tg_policy_parse(bad, strlen(bad), "s.json", &policy, &err), TG_EINVAL);
	assert_contains(err.msg, "goes with \"trust_roots\"");
}

static void test_audit_mode_allows_and_marks(void **state)
{
	static const char audit_policy[] = "{\"mode\": \"audit\", \"rules\": [{\"match\": \"*\", "
	                                   "\"require\": \"publisher\"}]}";
	tg_policy *policy = NULL;
	tg_error err;
	assert_int_equal(tg_policy_parse(audit_policy, strlen(audit_policy), "a.json", &policy, &err), 0);
	tg_operation op;
	memset(&op, 0, sizeof(op));
	op.kind = TG_OP_PULL;
	assert_int_equal(tg_reference_parse("evil/miner:1", &op.ref, &err), 0);
	op.has_ref = true;
	tg_decision d;
	tg_decide_env env = {"trustgate"};
	tg_authz_decide(policy, &env, &op, NULL, NULL, &d);
	assert_int_equal(d.verdict, TG_VERDICT_AUDIT_DENY);
	assert_true(d.allow);
	assert_contains(d.message, "no rule trusts publisher \"evil\"");
	tg_policy_free(policy);
}

struct envelope_case {
	const char *text;
	const char *error;
};

static const struct envelope_case envelope_cases[] = {
	{"", "empty"},
	{"{", "not valid JSON"},
	{"[]", "not a JSON object"},
	{"{\"RequestUri\":\"/_ping\"}", "no RequestMethod"},
	{"{\"RequestMethod\":\"GET\"}", "no RequestUri"},
	{"{\"RequestMethod\":1,\"RequestUri\":\"/\"}", "RequestMethod is not a string"},
	{"{\"RequestMethod\":\"GET\",\"RequestUri\":\"/\",\"RequestHeaders\":[]}", "not an object"},
	{"{\"RequestMethod\":\"GET\",\"RequestUri\":\"/\",\"RequestHeaders\":{\"A\":1}}", "not a string"},
	{"{\"RequestMethod\":\"GET\",\"RequestUri\":\"/\",\"RequestBody\":\"abc\"}", "base64"},
	{"{\"RequestMethod\":\"GET\",\"RequestUri\":\"/\",\"RequestBody\":\"a!==\"}", "base64"},
	{"{\"RequestMethod\":\"GET\",\"RequestMethod\":\"POST\",\"RequestUri\":\"/\"}", "duplicate"},
};

static void test_envelope_errors(void **state)
{
	for (size_t i = 0; i < sizeof(envelope_cases) / sizeof(envelope_cases[0]); i++) {
		tg_authz_request *req = NULL;
		tg_error err;
		const char *t = envelope_cases[i].text;
		if (tg_authz_request_parse(t, strlen(t), &req, &err) == 0)
			fail_msg("envelope %zu should be rejected: %s", i, t);
		assert_null(req);
		assert_contains(err.msg, envelope_cases[i].error);
	}
}

static void test_body_base64_padding(void **state)
{
	static const char t[] = "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/\",\"RequestBody\":\"bnVsbAo=\"}";
	tg_authz_request *req = NULL;
	tg_error err;
	assert_int_equal(tg_authz_request_parse(t, strlen(t), &req, &err), 0);
	assert_int_equal(req->body_len, 5);
	assert_memory_equal(req->body, "null\n", 5);
	tg_authz_request_free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_audit_mode_allows_and_marks),
		cmocka_unit_test(test_build_targets),
		cmocka_unit_test(test_signed_any_all),
		cmocka_unit_test(test_envelope_errors),
		cmocka_unit_test(test_body_base64_padding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
