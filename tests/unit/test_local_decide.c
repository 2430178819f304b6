/* Unit tests for tg_authz_decide_local: a create or start decided on the
 * local image it will run (its repo digests, the name's "local_images"
 * setting, a trusted base), as a table of images and expected decisions. */
#include "tg_test.h"

#include "authz/decide.h"

static const char policy_text[] =
	"{\"verified_publishers\": [\"docker.io/vendor\"],"
	" \"rules\": ["
	"  {\"match\": \"*\", \"require\": \"publisher\"},"
	"  {\"match\": \"docker.io/myorg/*\", \"require\": \"publisher\", \"local_images\": \"allow\"},"
	"  {\"match\": \"registry.acme.io/team/*\", \"require\": \"allow\", \"local_images\": \"trusted_base\"},"
	"  {\"match\": \"registry.acme.io/release/*\", \"require\": \"signed\", \"trust_roots\": [\"acme\"]}"
	" ],"
	" \"trust_roots\": {\"acme\": {\"type\": \"notary\", \"server\": \"https://notary.acme.io\", \"tofu\": true}}}";

#define D1 "sha256:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"
#define ID "sha256:2ca0a06700050b2274881d01e3103875b1fc64a86faee19d5e961d4446884adb"

enum facts_kind { NO_FACTS, VERIFIED, NOT_SIGNED };

struct local_case {
	const char *name;      /* the name the image is used by, or NULL */
	bool found;
	const char *pulled[3]; /* repo digests */
	enum facts_kind facts; /* for every repo digest */
	enum tg_base_state base;
	enum tg_verdict verdict;
	bool needs_base;
	const char *msg;       /* substring of the message */
};

static const struct local_case cases[] = {
	/* a repo digest the rules trust decides, whatever the local name */
	{"evil/x:1", true, {"busybox@" D1}, NO_FACTS, TG_BASE_UNKNOWN, TG_VERDICT_ALLOW, false,
	 "the local image docker.io/evil/x:1 (sha256:2ca0a0670005...) was pulled as "
	 "docker.io/library/busybox@" D1 ": docker.io/library/busybox@" D1 " is an official image"},
	{"vendor/app:1", true, {"evil/miner@" D1, "vendor/app@" D1}, NO_FACTS, TG_BASE_UNKNOWN,
	 TG_VERDICT_ALLOW, false, "verified publisher \"docker.io/vendor\""},
	/* a trusted name on untrusted content (docker tag) */
	{"alpine:3", true, {"evil/miner@" D1}, NO_FACTS, TG_BASE_UNKNOWN, TG_VERDICT_DENY, false,
	 "container create of image alpine:3 is not allowed: the local image "
	 "docker.io/library/alpine:3 (sha256:2ca0a0670005...) was pulled as docker.io/evil/miner@" D1
	 ", which this host does not trust: no rule trusts publisher \"evil\""},
	/* made here (load, import, build, commit) */
	{"alpine:3", true, {NULL}, NO_FACTS, TG_BASE_UNKNOWN, TG_VERDICT_DENY, false,
	 "was not pulled from a registry (it was built, committed, loaded, imported or tagged on this "
	 "host), so nothing vouches for its content. Pull the trusted image with `docker pull "
	 "docker.io/library/alpine:3`"},
	{NULL, true, {NULL}, NO_FACTS, TG_BASE_UNKNOWN, TG_VERDICT_DENY, false, "sets \"local_images\""},
	{"myorg/tool:dev", true, {NULL}, NO_FACTS, TG_BASE_UNKNOWN, TG_VERDICT_ALLOW, false,
	 "allowed by rule \"docker.io/myorg/*\" (\"local_images\": \"allow\")"},
	{"registry.acme.io/team/svc:1", true, {NULL}, NO_FACTS, TG_BASE_UNKNOWN, TG_VERDICT_DENY, true,
	 "base image was not looked for"},
	{"registry.acme.io/team/svc:1", true, {NULL}, NO_FACTS, TG_BASE_FOUND, TG_VERDICT_ALLOW, false,
	 "is built on the trusted image docker.io/library/busybox@" D1},
	{"registry.acme.io/team/svc:1", true, {NULL}, NO_FACTS, TG_BASE_NONE, TG_VERDICT_DENY, false,
	 "do not start with those of any image this host trusts"},
	/* signed rules need the repo digest signed */
	{"registry.acme.io/release/app:1", true, {"registry.acme.io/release/app@" D1}, VERIFIED,
	 TG_BASE_UNKNOWN, TG_VERDICT_ALLOW, false, "is signed: " D1 " is signed as tag \"1\""},
	{"registry.acme.io/release/app:1", true, {"registry.acme.io/release/app@" D1}, NOT_SIGNED,
	 TG_BASE_UNKNOWN, TG_VERDICT_DENY, false, "is not signed"},
	{"registry.acme.io/release/app:1", true, {"registry.acme.io/release/app@" D1}, NO_FACTS,
	 TG_BASE_UNKNOWN, TG_VERDICT_DENY, false, "no signature lookup was made"},
	/* dockerd could not say */
	{"alpine:3", false, {NULL}, NO_FACTS, TG_BASE_UNKNOWN, TG_VERDICT_DENY, false,
	 "is not allowed: cannot ask dockerd"},
};

static tg_policy *load_policy(const char *text)
{
	tg_policy *p = NULL;
	tg_error err;
	if (tg_policy_parse(text, strlen(text), "p.json", &p, &err) != 0)
		fail_msg("%s", err.msg);
	return p;
}

static void fill_facts(enum facts_kind kind, tg_trust_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->n = 1;
	f->sig[0].root = "acme";
	f->sig[0].status = kind == VERIFIED ? TG_SIG_VERIFIED : TG_SIG_NOT_SIGNED;
	snprintf(f->sig[0].detail, sizeof(f->sig[0].detail), "%s",
	         kind == VERIFIED ? D1 " is signed as tag \"1\" by targets" : "digest is not signed");
}

static void make_image(const struct local_case *c, tg_trust_facts *facts, tg_local_image *img)
{
	memset(img, 0, sizeof(*img));
	img->found = c->found;
	snprintf(img->id, sizeof(img->id), "%s", c->found ? ID : "cannot ask dockerd: refused");
	tg_error err;
	for (size_t i = 0; i < 3 && c->pulled[i] != NULL; i++) {
		if (tg_reference_parse(c->pulled[i], &img->pulled[i], &err) != 0)
			fail_msg("%s: %s", c->pulled[i], err.msg);
		img->n_pulled++;
		if (c->facts != NO_FACTS) {
			fill_facts(c->facts, facts);
			img->pulled_facts[i] = facts;
		}
	}
	if (c->name != NULL) {
		img->has_name = true;
		assert_int_equal(tg_reference_parse(c->name, &img->name, &err), 0);
	}
	img->base = c->base;
	snprintf(img->base_id, sizeof(img->base_id), "sha256:00ff");
	snprintf(img->base_pulled, sizeof(img->base_pulled), "docker.io/library/busybox@%s", D1);
}

static void create_op(const char *name, tg_operation *op)
{
	memset(op, 0, sizeof(*op));
	op->kind = TG_OP_CREATE;
	snprintf(op->image, sizeof(op->image), "%s", name ? name : ID);
}

static void test_table(void **state)
{
	tg_policy *p = load_policy(policy_text);
	tg_decide_env env = {"trustgate"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct local_case *c = &cases[i];
		tg_trust_facts facts;
		tg_local_image img;
		tg_operation op;
		tg_decision d;
		make_image(c, &facts, &img);
		create_op(c->name, &op);
		tg_authz_decide_local(p, &env, &op, &img, &d);
		if (d.verdict != c->verdict || d.needs_base != c->needs_base ||
		    strstr(d.message, c->msg) == NULL)
			fail_msg("case %zu: got %s%s \"%s\"; want %s%s, message with \"%s\"", i,
			         tg_verdict_name(d.verdict), d.needs_base ? " (needs base)" : "", d.message,
			         tg_verdict_name(c->verdict), c->needs_base ? " (needs base)" : "", c->msg);
		assert_int_equal(d.allow, d.verdict == TG_VERDICT_ALLOW);
	}
	tg_policy_free(p);
}

/* A start names the container; its image and name come from dockerd. */
static void test_start(void **state)
{
	tg_policy *p = load_policy(policy_text);
	tg_decide_env env = {"trustgate"};
	tg_operation op;
	memset(&op, 0, sizeof(op));
	op.kind = TG_OP_START;
	snprintf(op.object, sizeof(op.object), "web");
	tg_trust_facts facts;
	tg_local_image img;
	make_image(&cases[3], &facts, &img); /* made here, named alpine:3 */
	tg_decision d;
	tg_authz_decide_local(p, &env, &op, &img, &d);
	assert_int_equal(d.verdict, TG_VERDICT_DENY);
	assert_contains(d.message, "container start of web is not allowed: the local image");
	tg_policy_free(p);
}

/* Audit mode allows what enforce would deny, and says so. */
static void test_audit_mode(void **state)
{
	char text[sizeof(policy_text) + 32];
	snprintf(text, sizeof(text), "{\"mode\": \"audit\",%s", policy_text + 1);
	tg_policy *p = load_policy(text);
	tg_decide_env env = {"trustgate"};
	tg_trust_facts facts;
	tg_local_image img;
	tg_operation op;
	tg_decision d;
	make_image(&cases[2], &facts, &img);
	create_op(cases[2].name, &op);
	tg_authz_decide_local(p, &env, &op, &img, &d);
	assert_int_equal(d.verdict, TG_VERDICT_AUDIT_DENY);
	assert_true(d.allow);
	/* a base still to be looked for is not turned into an allow */
	make_image(&cases[6], &facts, &img);
	create_op(cases[6].name, &op);
	tg_authz_decide_local(p, &env, &op, &img, &d);
	assert_true(d.needs_base);
	assert_false(d.allow);
	tg_policy_free(p);
}

/* The policy file rejects an unknown "local_images" value. */
static void test_policy_setting(void **state)
{
	const char *bad = "{\"rules\": [{\"match\": \"*\", \"require\": \"allow\", "
	                  "\"local_images\": \"sometimes\"}]}";
	tg_policy *p = NULL;
	tg_error err;
	assert_int_equal(tg_policy_parse(bad, strlen(bad), "p.json", &p, &err), TG_EINVAL);
	assert_contains(err.msg, "\"local_images\" must be one of");
}

/* On containerd's image store a repo digest proves nothing unless signed
 * (plugin/ leaves the others out); the message says so. */
static void test_containerd_store(void **state)
{
	tg_policy *p = load_policy(policy_text);
	tg_decide_env env = {"trustgate"};
	tg_trust_facts facts;
	tg_local_image img;
	tg_operation op;
	tg_decision d;
	make_image(&cases[3], &facts, &img); /* no repo digest left */
	img.digests_unproven = true;
	create_op(cases[3].name, &op);
	tg_authz_decide_local(p, &env, &op, &img, &d);
	assert_int_equal(d.verdict, TG_VERDICT_DENY);
	assert_contains(d.message, "has no signed repo digest, and dockerd's image store (containerd)");
	make_image(&cases[9], &facts, &img); /* a signed repo digest still counts */
	img.digests_unproven = true;
	create_op(cases[9].name, &op);
	tg_authz_decide_local(p, &env, &op, &img, &d);
	assert_int_equal(d.verdict, TG_VERDICT_ALLOW);
	tg_policy_free(p);
}

/* "exec": "check_image" decides an exec on the container's image; other
 * operations do not take that value. */
static void test_exec_check_image(void **state)
{
	char text[sizeof(policy_text) + 64];
	snprintf(text, sizeof(text), "{\"operations\": {\"exec\": \"check_image\"},%s",
	         policy_text + 1);
	tg_policy *p = load_policy(text);
	tg_decide_env env = {"trustgate"};
	tg_operation op;
	memset(&op, 0, sizeof(op));
	op.kind = TG_OP_EXEC;
	snprintf(op.method, sizeof(op.method), "POST");
	snprintf(op.object, sizeof(op.object), "web");
	tg_decision d;
	tg_authz_decide(p, &env, &op, NULL, NULL, &d);
	assert_true(d.needs_local_image);
	assert_false(d.allow);
	tg_trust_facts facts;
	tg_local_image img;
	make_image(&cases[3], &facts, &img); /* made here */
	tg_authz_decide_local(p, &env, &op, &img, &d);
	assert_int_equal(d.verdict, TG_VERDICT_DENY);
	assert_contains(d.message, "exec in container web is not allowed: the local image");
	make_image(&cases[0], &facts, &img); /* pulled official */
	tg_authz_decide_local(p, &env, &op, &img, &d);
	assert_int_equal(d.verdict, TG_VERDICT_ALLOW);
	tg_policy_free(p);
	/* without it an exec is the "exec" setting's */
	p = load_policy(policy_text);
	tg_authz_decide(p, &env, &op, NULL, NULL, &d);
	assert_false(d.needs_local_image);
	assert_int_equal(d.verdict, TG_VERDICT_ALLOW);
	tg_policy_free(p);
	const char *bad = "{\"operations\": {\"build\": \"check_image\"}}";
	tg_error err;
	assert_int_equal(tg_policy_parse(bad, strlen(bad), "p.json", &p, &err), TG_EINVAL);
	assert_contains(err.msg, "must be \"allow\" or \"deny\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_audit_mode),
		cmocka_unit_test(test_policy_setting),
		cmocka_unit_test(test_exec_check_image),
		cmocka_unit_test(test_containerd_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
