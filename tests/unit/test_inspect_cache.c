/* Unit tests for plugin/inspect_cache: image answers expire and are
 * forgotten when a name may move; a full cache starts over instead of
 * growing. */
#include "tg_test.h"

#include "plugin/inspect_cache.h"

static tg_inspect_cache *new_cache(void)
{
	tg_inspect_cache *c = NULL;
	tg_error err;
	assert_int_equal(tg_inspect_cache_new(&c, &err), 0);
	return c;
}

static tg_image_summary image(const char *id, int digests)
{
	tg_image_summary s;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", id);
	for (int i = 0; i < digests; i++)
		snprintf(s.repo_digests[s.n_repo_digests++], TG_INSPECT_TEXT_MAX, "repo%d@sha256:%d", i, i);
	return s;
}

static void test_image_ttl_and_forget(void **state)
{
	tg_inspect_cache *c = new_cache();
	tg_image_summary in = image("sha256:aa", 3), out;
	tg_inspect_cache_put_image(c, "busybox:1", &in, 1000);
	assert_true(tg_inspect_cache_get_image(c, "busybox:1", 1000 + TG_INSPECT_IMAGE_TTL_MS - 1, &out));
	assert_string_equal(out.id, "sha256:aa");
	assert_int_equal(out.n_repo_digests, 3);
	assert_string_equal(out.repo_digests[2], "repo2@sha256:2");
	assert_false(tg_inspect_cache_get_image(c, "busybox:1", 1000 + TG_INSPECT_IMAGE_TTL_MS, &out));
	assert_false(tg_inspect_cache_get_image(c, "busybox:2", 1000, &out));
	/* no repo digests: an image made here */
	tg_image_summary local = image("sha256:bb", 0);
	tg_inspect_cache_put_image(c, "local:1", &local, 5000);
	assert_true(tg_inspect_cache_get_image(c, "local:1", 5000, &out));
	assert_int_equal(out.n_repo_digests, 0);
	/* a name may move: every answer goes */
	tg_inspect_cache_forget_images(c);
	assert_false(tg_inspect_cache_get_image(c, "local:1", 5000, &out));
	tg_inspect_cache_put_image(c, "local:1", &local, 6000); /* and it can be kept again */
	assert_true(tg_inspect_cache_get_image(c, "local:1", 6000, &out));
	tg_inspect_cache_free(c);
}

static void test_bounded(void **state)
{
	tg_inspect_cache *c = new_cache();
	tg_image_summary in = image("sha256:aa", 1), out;
	char name[64];
	for (int i = 0; i <= TG_INSPECT_CACHE_MAX; i++) {
		snprintf(name, sizeof(name), "img%d", i);
		tg_inspect_cache_put_image(c, name, &in, 0);
	}
	/* the one past the bound started it over: only it is left */
	assert_true(tg_inspect_cache_get_image(c, name, 0, &out));
	assert_false(tg_inspect_cache_get_image(c, "img0", 0, &out));
	assert_false(tg_inspect_cache_get_image(c, "img4095", 0, &out));
	tg_inspect_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_ttl_and_forget),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
