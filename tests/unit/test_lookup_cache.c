/* plugin/lookup_cache: which answers are reused, kept, or used stale. The
 * "lookup" is a counter with a scripted result. */
#include "tg_test.h"

#include <time.h>

#include "authz/policy.h"
#include "plugin/lookup_cache.h"

struct script {
	int result;  /* what the lookup returns */
	int calls;   /* how often it ran */
};

static int scripted_lookup(void *arg, tg_cache_value *out, tg_error *err)
{
	struct script *s = arg;
	s->calls++;
	if (s->result == TG_OK) {
		strcpy(out->digest, "sha256:aaaa");
		strcpy(out->signer, "targets");
		strcpy(out->detail, "1");
	} else {
		tg_error_set(err, s->result, "scripted failure %d", s->result);
	}
	return s->result;
}

static tg_policy *policy_with(const char *cache_json)
{
	char text[512];
	snprintf(text, sizeof(text), "{\"rules\": [], \"cache\": %s}", cache_json);
	tg_policy *p = NULL;
	tg_error err;
	if (tg_policy_parse(text, strlen(text), "t.json", &p, &err) != 0)
		fail_msg("%s", err.msg);
	return p;
}

static int ask(tg_cache *c, const tg_policy *p, const char *key, struct script *s,
               enum tg_lookup_source *src, tg_cache_value *v, tg_error *err)
{
	return tg_lookup_cached(c, p, key, TG_CACHE_TAG_TTL, tg_cache_monotonic_ms() + 1000,
	                        scripted_lookup, s, v, src, err);
}

static void test_hit_after_miss(void **state)
{
	tg_cache *c = NULL;
	tg_error err;
	assert_int_equal(tg_cache_new(100, &c, &err), 0);
	tg_policy *p = policy_with("{\"tag_ttl_seconds\": 60}");
	struct script s = {TG_OK, 0};
	enum tg_lookup_source src;
	tg_cache_value v;
	assert_int_equal(ask(c, p, "k", &s, &src, &v, &err), TG_OK);
	assert_int_equal(src, TG_LOOKUP_LIVE);
	assert_int_equal(ask(c, p, "k", &s, &src, &v, &err), TG_OK);
	assert_int_equal(src, TG_LOOKUP_HIT);
	assert_string_equal(v.digest, "sha256:aaaa");
	assert_int_equal(s.calls, 1);
	tg_policy_free(p);
	tg_cache_free(c);
}

static void test_negative_kept_failures_not(void **state)
{
	tg_cache *c = NULL;
	tg_error err;
	assert_int_equal(tg_cache_new(100, &c, &err), 0);
	tg_policy *p = policy_with("{\"negative_ttl_seconds\": 60}");
	enum tg_lookup_source src;
	tg_cache_value v;
	struct script no = {TG_ENOTFOUND, 0};
	assert_int_equal(ask(c, p, "unsigned", &no, &src, &v, &err), TG_ENOTFOUND);
	assert_int_equal(ask(c, p, "unsigned", &no, &src, &v, &err), TG_ENOTFOUND);
	assert_int_equal(no.calls, 1); /* "not signed" is kept */
	assert_contains(err.msg, "scripted failure");
	struct script down = {TG_EIO, 0};
	assert_int_equal(ask(c, p, "down", &down, &src, &v, &err), TG_EIO);
	assert_int_equal(ask(c, p, "down", &down, &src, &v, &err), TG_EIO);
	assert_int_equal(down.calls, 2); /* failures are looked up again */
	tg_policy_free(p);
	tg_cache_free(c);
}

/* A positive answer past its TTL: used when the server is unreachable and
 * the window allows, never for other failures, never without a window. */
static void test_stale_if_error(void **state)
{
	tg_cache *c = NULL;
	tg_error err;
	assert_int_equal(tg_cache_new(100, &c, &err), 0);
	tg_cache_value old = {TG_OK, "sha256:bbbb", "targets/releases", "2"};
	assert_int_equal(tg_cache_put(c, "k", &old, time(NULL) - 100, 10, 1, &err), 0);
	enum tg_lookup_source src;
	tg_cache_value v;
	tg_policy *no_window = policy_with("{\"stale_if_error_seconds\": 0}");
	struct script down = {TG_EIO, 0};
	assert_int_equal(ask(c, no_window, "k", &down, &src, &v, &err), TG_EIO); /* fail closed */
	tg_policy *window = policy_with("{\"stale_if_error_seconds\": 3600}");
	assert_int_equal(ask(c, window, "k", &down, &src, &v, &err), TG_OK);
	assert_int_equal(src, TG_LOOKUP_STALE);
	assert_string_equal(v.digest, "sha256:bbbb");
	assert_contains(v.detail, "cached 100 s ago, used because: scripted failure");
	struct script timeout = {TG_ETIMEOUT, 0};
	assert_int_equal(ask(c, window, "k", &timeout, &src, &v, &err), TG_OK);
	struct script bad = {TG_EINVAL, 0}; /* a bad signature is not "unreachable" */
	assert_int_equal(ask(c, window, "k", &bad, &src, &v, &err), TG_EINVAL);
	tg_policy *short_window = policy_with("{\"stale_if_error_seconds\": 60}");
	assert_int_equal(ask(c, short_window, "k", &down, &src, &v, &err), TG_EIO); /* too old */
	tg_policy_free(no_window);
	tg_policy_free(window);
	tg_policy_free(short_window);
	tg_cache_free(c);
}

static void test_without_cache(void **state)
{
	tg_policy *p = policy_with("{}");
	struct script s = {TG_OK, 0};
	enum tg_lookup_source src;
	tg_cache_value v;
	tg_error err;
	assert_int_equal(ask(NULL, p, "k", &s, &src, &v, &err), TG_OK);
	assert_int_equal(ask(NULL, p, "k", &s, &src, &v, &err), TG_OK);
	assert_int_equal(src, TG_LOOKUP_UNCACHED);
	assert_int_equal(s.calls, 2);
	tg_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_after_miss),
		cmocka_unit_test(test_negative_kept_failures_not),
		cmocka_unit_test(test_stale_if_error),
		cmocka_unit_test(test_without_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
