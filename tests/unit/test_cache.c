/* trustcache/cache: expiry at its exact boundaries, negative entries,
 * stale-if-error (positive entries only), LRU order, flush, listing,
 * single-flight under threads (one leader, shared failures, deadlines),
 * persistence (round trip, corrupt and truncated files, size bounds) and
 * the memory of 100,000 entries. Times are passed in, so nothing sleeps
 * except the threaded tests. */
#include "tg_test.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trustcache/cache.h"

#define T0 ((time_t)1700000000)
#define SEP "\x1f"
#define DIGEST_A "sha256:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"
#define KEY_TAG "notary" SEP "acme-notary" SEP "docker.io/library/alpine" SEP "tag" SEP "3.19"

static tg_cache_value val(int status, const char *digest, const char *signer, const char *detail)
{
	tg_cache_value v;
	memset(&v, 0, sizeof(v));
	v.status = status;
	snprintf(v.digest, sizeof(v.digest), "%s", digest);
	snprintf(v.signer, sizeof(v.signer), "%s", signer);
	snprintf(v.detail, sizeof(v.detail), "%s", detail);
	return v;
}

static tg_cache *new_cache(size_t max)
{
	tg_cache *c = NULL;
	tg_error err;
	assert_int_equal(tg_cache_new(max, &c, &err), TG_OK);
	return c;
}

static void put(tg_cache *c, const char *key, int status, time_t now, time_t ttl, int positive)
{
	tg_error err;
	tg_cache_value v = val(status, DIGEST_A, "acme-ci", key);
	assert_int_equal(tg_cache_put(c, key, &v, now, ttl, positive, &err), TG_OK);
}

static void test_new_bounds(void **state)
{
	tg_cache *c = NULL;
	tg_error err;
	assert_int_equal(tg_cache_new(0, &c, &err), TG_EINVAL);
	assert_contains(err.msg, "out of range");
	assert_int_equal(tg_cache_new(TG_CACHE_ENTRIES_MAX + 1, &c, &err), TG_EINVAL);
	assert_null(c);
	tg_cache_free(NULL);
	c = new_cache(1);
	assert_int_equal(tg_cache_count(c), 0);
	tg_cache_free(c);
}

static void test_ttl_boundaries(void **state)
{
	tg_cache *c = new_cache(10);
	tg_error err;
	tg_cache_value v = val(1, DIGEST_A, "acme-ci", "signed by acme-ci"), got;
	time_t age = -1;
	assert_int_equal(tg_cache_put(c, KEY_TAG, &v, T0, 10, 1, &err), TG_OK);
	assert_int_equal(tg_cache_get(c, KEY_TAG, T0, &got, &age), TG_OK);
	assert_int_equal(age, 0);
	assert_int_equal(tg_cache_get(c, KEY_TAG, T0 + 9, &got, &age), TG_OK);
	assert_int_equal(age, 9);
	assert_int_equal(got.status, 1);
	assert_string_equal(got.digest, DIGEST_A);
	assert_string_equal(got.signer, "acme-ci");
	assert_string_equal(got.detail, "signed by acme-ci");
	assert_int_equal(tg_cache_get(c, KEY_TAG, T0 + 10, &got, &age), TG_ENOTFOUND);
	/* a clock that went back gives age 0, not a negative age */
	assert_int_equal(tg_cache_get(c, KEY_TAG, T0 - 5, NULL, &age), TG_OK);
	assert_int_equal(age, 0);
	/* ttl 0: never fresh */
	assert_int_equal(tg_cache_put(c, "zero", &v, T0, 0, 1, &err), TG_OK);
	assert_int_equal(tg_cache_get(c, "zero", T0, NULL, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_get(c, "absent", T0, NULL, NULL), TG_ENOTFOUND);
	tg_cache_free(c);
}

static void test_put_replaces_and_validates(void **state)
{
	tg_cache *c = new_cache(10);
	tg_error err;
	tg_cache_value v = val(7, "sha256:ABCD", "", ""), got;
	put(c, "k", 1, T0, 100, 1);
	assert_int_equal(tg_cache_put(c, "k", &v, T0 + 1, 5, 0, &err), TG_OK);
	assert_int_equal(tg_cache_count(c), 1);
	assert_int_equal(tg_cache_get(c, "k", T0 + 6, &got, NULL), TG_ENOTFOUND); /* new ttl */
	assert_int_equal(tg_cache_put(c, "k", &v, T0 + 1, 5, 0, &err), TG_OK);
	assert_int_equal(tg_cache_get(c, "k", T0 + 2, &got, NULL), TG_OK);
	assert_int_equal(got.status, 7);
	assert_string_equal(got.digest, "sha256:ABCD"); /* not a packable digest: kept as text */
	assert_string_equal(got.signer, "");

	char longkey[TG_CACHE_KEY_MAX + 2];
	memset(longkey, 'x', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(tg_cache_put(c, longkey, &v, T0, 5, 0, &err), TG_ETOOBIG);
	assert_contains(err.msg, "longer than 1024");
	longkey[TG_CACHE_KEY_MAX] = '\0'; /* exactly the limit */
	assert_int_equal(tg_cache_put(c, longkey, &v, T0, 5, 0, &err), TG_OK);
	assert_int_equal(tg_cache_get(c, longkey, T0, NULL, NULL), TG_OK);
	assert_int_equal(tg_cache_put(c, "", &v, T0, 5, 0, &err), TG_EINVAL);
	assert_int_equal(tg_cache_put(c, "k", &v, T0, -1, 0, &err), TG_EINVAL);
	assert_contains(err.msg, "time to live -1");
	memset(v.signer, 's', sizeof(v.signer)); /* not terminated */
	assert_int_equal(tg_cache_put(c, "k2", &v, T0, 5, 0, &err), TG_EINVAL);
	assert_contains(err.msg, "not terminated");
	assert_int_equal(tg_cache_get(c, "k2", T0, NULL, NULL), TG_ENOTFOUND);

	/* fields at their full length come back whole */
	memset(&v, 'd', sizeof(v));
	v.status = -3;
	v.digest[sizeof(v.digest) - 1] = v.signer[sizeof(v.signer) - 1] = '\0';
	v.detail[sizeof(v.detail) - 1] = '\0';
	assert_int_equal(tg_cache_put(c, "full", &v, T0, 5, 0, &err), TG_OK);
	assert_int_equal(tg_cache_get(c, "full", T0, &got, NULL), TG_OK);
	assert_memory_equal(&got, &v, sizeof(v));
	tg_cache_free(c);
}

static void test_negative_short_ttl(void **state)
{
	tg_cache *c = new_cache(10);
	tg_cache_value got;
	put(c, "neg", 2, T0, 5, 0);
	assert_int_equal(tg_cache_get(c, "neg", T0 + 4, &got, NULL), TG_OK);
	assert_int_equal(got.status, 2);
	/* never served stale, however wide the window */
	assert_int_equal(tg_cache_get_stale(c, "neg", T0 + 5, 3600, &got, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_count(c), 1);
	/* an expired negative entry is dropped when met */
	assert_int_equal(tg_cache_get(c, "neg", T0 + 5, &got, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_count(c), 0);
	tg_cache_free(c);
}

static void test_stale_window(void **state)
{
	tg_cache *c = new_cache(10);
	tg_cache_value got;
	time_t age;
	put(c, "pos", 1, T0, 10, 1);
	assert_int_equal(tg_cache_get_stale(c, "pos", T0 + 9, 60, &got, &age), TG_OK);
	assert_int_equal(tg_cache_get(c, "pos", T0 + 10, &got, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_count(c), 1); /* kept: it may serve stale */
	assert_int_equal(tg_cache_get_stale(c, "pos", T0 + 10, 60, &got, &age), TG_OK);
	assert_int_equal(age, 10);
	assert_int_equal(tg_cache_get_stale(c, "pos", T0 + 69, 60, &got, &age), TG_OK);
	assert_int_equal(age, 69);
	assert_int_equal(got.status, 1);
	assert_int_equal(tg_cache_get_stale(c, "pos", T0 + 70, 60, &got, &age), TG_ENOTFOUND);
	/* no window: fresh only */
	assert_int_equal(tg_cache_get_stale(c, "pos", T0 + 9, 0, &got, NULL), TG_OK);
	assert_int_equal(tg_cache_get_stale(c, "pos", T0 + 10, 0, &got, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_get_stale(c, "pos", T0 + 10, -5, &got, NULL), TG_ENOTFOUND);
	tg_cache_free(c);
}

static void test_digest_packing(void **state)
{
	tg_cache *c = new_cache(10);
	tg_error err;
	const char *digests[] = {DIGEST_A, "sha256:A9E892271FE32C878F0F87530483A8713C44225DAB6CA93E80BA274126791F84",
	                         "sha256:a9e8", "", "sha512:00", DIGEST_A "0"};
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++) {
		tg_cache_value v = val(0, digests[i], "", ""), got;
		assert_int_equal(tg_cache_put(c, "d", &v, T0, 5, 1, &err), TG_OK);
		assert_int_equal(tg_cache_get(c, "d", T0, &got, NULL), TG_OK);
		assert_string_equal(got.digest, digests[i]);
		/* A by-digest answer keeps its digest once, in the key. */
		char key[256];
		snprintf(key, sizeof(key), "repo" SEP "digest" SEP "%s", digests[i]);
		assert_int_equal(tg_cache_put(c, key, &v, T0, 5, 1, &err), TG_OK);
		assert_int_equal(tg_cache_get(c, key, T0, &got, NULL), TG_OK);
		assert_string_equal(got.digest, digests[i]);
	}
	tg_cache_free(c);
}

static void test_lru_eviction(void **state)
{
	tg_cache *c = new_cache(3);
	put(c, "a", 1, T0, 100, 1);
	put(c, "b", 1, T0, 100, 1);
	put(c, "c", 1, T0, 100, 1);
	assert_int_equal(tg_cache_get(c, "a", T0, NULL, NULL), TG_OK); /* a is now the newest */
	put(c, "d", 1, T0, 100, 1);                                     /* evicts b */
	assert_int_equal(tg_cache_count(c), 3);
	assert_int_equal(tg_cache_get(c, "b", T0, NULL, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_get_stale(c, "c", T0 + 200, 1000, NULL, NULL), TG_OK); /* a use */
	put(c, "e", 1, T0, 100, 1); /* evicts a */
	assert_int_equal(tg_cache_get(c, "a", T0, NULL, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_get(c, "c", T0, NULL, NULL), TG_OK);
	assert_int_equal(tg_cache_get(c, "d", T0, NULL, NULL), TG_OK);
	assert_int_equal(tg_cache_get(c, "e", T0, NULL, NULL), TG_OK);
	put(c, "d", 2, T0, 100, 1); /* replacing is a use, not a growth */
	put(c, "f", 1, T0, 100, 1); /* evicts c */
	assert_int_equal(tg_cache_get(c, "c", T0, NULL, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_count(c), 3);
	tg_cache_free(c);
}

/* Many keys, so the table grows, and eviction across it stays exact. */
static void test_growth_and_eviction_many(void **state)
{
	tg_cache *c = new_cache(1000);
	char key[64];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(c, key, i, T0, 100, 1);
		if (i % 7 == 0) { /* keep k0 alive by using it */
			assert_int_equal(tg_cache_get(c, "k0", T0, NULL, NULL), TG_OK);
		}
	}
	assert_int_equal(tg_cache_count(c), 1000);
	assert_int_equal(tg_cache_get(c, "k0", T0, NULL, NULL), TG_OK);
	assert_int_equal(tg_cache_get(c, "k4000", T0, NULL, NULL), TG_ENOTFOUND);
	for (int i = 4001; i < 5000; i++) {
		tg_cache_value got;
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(tg_cache_get(c, key, T0, &got, NULL), TG_OK);
		assert_int_equal(got.status, i);
	}
	tg_cache_free(c);
}

static void test_flush(void **state)
{
	tg_cache *c = new_cache(10);
	put(c, "notary" SEP "acme" SEP "a", 1, T0, 100, 1);
	put(c, "notary" SEP "acme" SEP "b", 1, T0, 100, 1);
	put(c, "notary" SEP "acme2" SEP "a", 1, T0, 100, 1);
	put(c, "registry" SEP "a", 1, T0, 100, 1);
	assert_int_equal(tg_cache_flush(c, "notary" SEP "acme" SEP), 2);
	assert_int_equal(tg_cache_get(c, "notary" SEP "acme2" SEP "a", T0, NULL, NULL), TG_OK);
	assert_int_equal(tg_cache_get(c, "notary" SEP "acme" SEP "a", T0, NULL, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_flush(c, "nothing"), 0);
	assert_int_equal(tg_cache_flush(c, "registry" SEP "a"), 1); /* a whole key is a prefix */
	assert_int_equal(tg_cache_flush(c, ""), 1);
	assert_int_equal(tg_cache_count(c), 0);
	put(c, "again", 1, T0, 100, 1); /* still usable */
	assert_int_equal(tg_cache_get(c, "again", T0, NULL, NULL), TG_OK);
	tg_cache_free(c);
}

struct listing {
	char keys[8][128];
	int n, stop_at;
	tg_cache *c;
};

static int list_one(const tg_cache_entry *e, void *arg)
{
	struct listing *l = arg;
	snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s:%d:%lld:%lld:%d", e->key, e->value.status,
	         (long long)(e->inserted - T0), (long long)(e->expires - T0), e->positive);
	l->n++;
	if (l->c != NULL) /* the callback runs without the lock */
		tg_cache_flush(l->c, "");
	return l->n == l->stop_at ? 42 : 0;
}

static void test_foreach(void **state)
{
	tg_cache *c = new_cache(10);
	tg_error err;
	struct listing l = {.stop_at = -1};
	assert_int_equal(tg_cache_foreach(c, list_one, &l, &err), TG_OK);
	assert_int_equal(l.n, 0);
	put(c, "a", 1, T0, 10, 1);
	put(c, "b", 2, T0 + 1, 20, 0);
	put(c, "c", 3, T0 + 2, 30, 1);
	assert_int_equal(tg_cache_get(c, "a", T0, NULL, NULL), TG_OK);
	assert_int_equal(tg_cache_foreach(c, list_one, &l, &err), TG_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.keys[0], "a:1:0:10:1");
	assert_string_equal(l.keys[1], "c:3:2:32:1");
	assert_string_equal(l.keys[2], "b:2:1:21:0");
	l = (struct listing){.stop_at = 2};
	assert_int_equal(tg_cache_foreach(c, list_one, &l, &err), 42);
	assert_int_equal(l.n, 2);
	l = (struct listing){.stop_at = -1, .c = c};
	assert_int_equal(tg_cache_foreach(c, list_one, &l, &err), TG_OK);
	assert_int_equal(l.n, 3); /* a snapshot: flushing during the walk changes nothing */
	assert_int_equal(tg_cache_count(c), 0);
	tg_cache_free(c);
}

/* ---- single flight ---- */

struct flight_test {
	tg_cache *c;
	const char *key;
	int threads;
	int fail;             /* the leader fails with TG_EIO */
	int64_t hang_ms;      /* the leader holds this long after everyone waits (0: no) */
	int64_t wait_ms;      /* each thread's deadline from its start */
	pthread_mutex_t lock; /* guards the counters */
	int lookups, ok, failed, timeouts, wrong;
	int64_t max_late_ms; /* longest wait past a thread's deadline */
	pthread_barrier_t start;
};

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *flight_thread(void *arg)
{
	struct flight_test *t = arg;
	pthread_barrier_wait(&t->start);
	int64_t deadline = tg_cache_monotonic_ms() + t->wait_ms;
	tg_cache_ticket *ticket = NULL;
	tg_cache_value v;
	tg_error err;
	int rc = tg_cache_begin(t->c, t->key, T0, deadline, &ticket, &v, &err);
	if (rc == TG_OK && ticket != NULL) {
		pthread_mutex_lock(&t->lock);
		t->lookups++;
		pthread_mutex_unlock(&t->lock);
		/* the "lookup": wait until every other thread waits on it */
		while (tg_cache_waiting(t->c, t->key) < (size_t)(t->threads - 1))
			sleep_ms(1);
		if (t->hang_ms > 0)
			sleep_ms(t->hang_ms);
		if (t->fail) {
			tg_error_set(&err, TG_EIO, "notary unreachable: connection refused");
			tg_cache_finish(ticket, TG_EIO, NULL, &err);
		} else {
			v = val(1, DIGEST_A, "acme-ci", "looked up once");
			tg_error perr;
			if (tg_cache_put(t->c, t->key, &v, T0, 60, 1, &perr) != TG_OK)
				abort();
			tg_cache_finish(ticket, TG_OK, &v, NULL);
		}
		rc = t->fail ? TG_EIO : TG_OK;
	}
	int64_t late = tg_cache_monotonic_ms() - deadline;
	pthread_mutex_lock(&t->lock);
	if (rc == TG_OK) {
		t->ok++;
		if (strcmp(v.detail, "looked up once") != 0 || strcmp(v.digest, DIGEST_A) != 0)
			t->wrong++;
	} else if (rc == TG_EIO) {
		t->failed++;
		if (strcmp(err.msg, "notary unreachable: connection refused") != 0)
			t->wrong++;
	} else if (rc == TG_ETIMEOUT) {
		t->timeouts++;
		if (late > t->max_late_ms)
			t->max_late_ms = late;
		if (late < 0) /* gave up before its deadline */
			t->wrong++;
	} else {
		t->wrong++;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void run_flight(struct flight_test *t)
{
	pthread_t th[64];
	assert_true(t->threads <= 64);
	pthread_mutex_init(&t->lock, NULL);
	pthread_barrier_init(&t->start, NULL, (unsigned)t->threads);
	for (int i = 0; i < t->threads; i++)
		assert_int_equal(pthread_create(&th[i], NULL, flight_thread, t), 0);
	for (int i = 0; i < t->threads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&t->start);
	pthread_mutex_destroy(&t->lock);
}

static void test_singleflight_one_leader(void **state)
{
	struct flight_test t = {.c = new_cache(100), .key = KEY_TAG, .threads = 50,
	                        .wait_ms = 30000};
	run_flight(&t);
	assert_int_equal(t.lookups, 1);
	assert_int_equal(t.ok, 50);
	assert_int_equal(t.wrong, 0);
	assert_int_equal(tg_cache_waiting(t.c, KEY_TAG), 0);
	/* later callers find the entry: no ticket, no lookup */
	tg_cache_ticket *ticket = (tg_cache_ticket *)&t;
	tg_cache_value v;
	tg_error err;
	assert_int_equal(tg_cache_begin(t.c, KEY_TAG, T0 + 1, 0, &ticket, &v, &err), TG_OK);
	assert_null(ticket);
	assert_string_equal(v.detail, "looked up once");
	tg_cache_free(t.c);
}

static void test_singleflight_failure_shared(void **state)
{
	struct flight_test t = {.c = new_cache(100), .key = KEY_TAG, .threads = 50, .fail = 1,
	                        .wait_ms = 30000};
	run_flight(&t);
	assert_int_equal(t.lookups, 1);
	assert_int_equal(t.failed, 50);
	assert_int_equal(t.wrong, 0);
	/* the failure is not remembered: the next caller leads a new lookup */
	tg_cache_ticket *ticket = NULL;
	tg_error err;
	assert_int_equal(tg_cache_begin(t.c, KEY_TAG, T0, 0, &ticket, NULL, &err), TG_OK);
	assert_non_null(ticket);
	tg_cache_finish(ticket, TG_ETIMEOUT, NULL, NULL);
	tg_cache_free(t.c);
}

static void test_singleflight_deadline(void **state)
{
	/* the leader hangs 400 ms after all wait; the others give up after 100 */
	struct flight_test t = {.c = new_cache(100), .key = KEY_TAG, .threads = 10,
	                        .hang_ms = 400, .wait_ms = 100};
	run_flight(&t);
	assert_int_equal(t.lookups, 1);
	assert_int_equal(t.ok, 1); /* the leader itself */
	assert_int_equal(t.timeouts, 9);
	assert_int_equal(t.wrong, 0);
	printf("# waiters returned at most %lld ms after their deadline\n", (long long)t.max_late_ms);
	assert_true(t.max_late_ms < 250);
	tg_cache_free(t.c);
}

static void test_singleflight_single_thread(void **state)
{
	tg_cache *c = new_cache(10);
	tg_cache_ticket *lead = NULL, *other = NULL;
	tg_error err;
	tg_cache_value v;
	assert_int_equal(tg_cache_begin(c, "k", T0, 0, &lead, &v, &err), TG_OK);
	assert_non_null(lead);
	/* a past deadline does not wait */
	int64_t t0 = tg_cache_monotonic_ms();
	assert_int_equal(tg_cache_begin(c, "k", T0, t0 - 1000, &other, &v, &err), TG_ETIMEOUT);
	assert_contains(err.msg, "timed out");
	assert_int_equal(tg_cache_begin(c, "k", T0, t0 + 50, &other, &v, &err), TG_ETIMEOUT);
	assert_true(tg_cache_monotonic_ms() - t0 >= 50);
	/* other keys are independent */
	assert_int_equal(tg_cache_begin(c, "k2", T0, 0, &other, &v, &err), TG_OK);
	assert_non_null(other);
	tg_cache_finish(other, TG_OK, NULL, NULL); /* no value: a failure, not a crash */
	tg_cache_finish(NULL, TG_OK, NULL, NULL);
	/* a failure without a message gets one */
	tg_cache_finish(lead, TG_EIO, NULL, NULL);
	assert_int_equal(tg_cache_begin(c, "", T0, 0, &other, &v, &err), TG_EINVAL);
	assert_int_equal(tg_cache_begin(c, NULL, T0, 0, &other, &v, &err), TG_EINVAL);
	assert_int_equal(tg_cache_waiting(c, "k"), 0);
	tg_cache_free(c);
}

/* Leaders and waiters come and go on a few keys, with entries that are
 * never fresh, so every call leads or waits: for the sanitizers. */
struct churn {
	tg_cache *c;
	pthread_mutex_t lock;
	int led, shared, failed, other;
};

static void *churn_thread(void *arg)
{
	struct churn *ch = arg;
	static const char *const keys[] = {"k0", "k1", "k2", "k3"};
	for (int i = 0; i < 300; i++) {
		const char *key = keys[i % 4];
		tg_cache_ticket *ticket = NULL;
		tg_cache_value v;
		tg_error err;
		int rc = tg_cache_begin(ch->c, key, T0, tg_cache_monotonic_ms() + 10000, &ticket, &v,
		                        &err);
		int *counter = &ch->other;
		if (rc == TG_OK && ticket != NULL) {
			v = val(i, DIGEST_A, "", key);
			if (i % 3 == 0) {
				tg_error_set(&err, TG_EIO, "down");
				tg_cache_finish(ticket, TG_EIO, NULL, &err);
			} else {
				tg_cache_put(ch->c, key, &v, T0, 0, 1, &err); /* never fresh */
				tg_cache_finish(ticket, TG_OK, &v, NULL);
			}
			counter = &ch->led;
		} else if (rc == TG_OK) {
			counter = strcmp(v.detail, key) == 0 ? &ch->shared : &ch->other;
		} else if (rc == TG_EIO) {
			counter = strcmp(err.msg, "down") == 0 ? &ch->failed : &ch->other;
		}
		pthread_mutex_lock(&ch->lock);
		(*counter)++;
		pthread_mutex_unlock(&ch->lock);
	}
	return NULL;
}

static void test_singleflight_churn(void **state)
{
	struct churn ch = {.c = new_cache(2)};
	pthread_t th[16];
	pthread_mutex_init(&ch.lock, NULL);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn_thread, &ch), 0);
	for (int i = 0; i < 16; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&ch.lock);
	printf("# churn: %d lookups led, %d results shared, %d failures shared\n", ch.led, ch.shared,
	       ch.failed);
	assert_int_equal(ch.other, 0);
	assert_int_equal(ch.led + ch.shared + ch.failed, 16 * 300);
	for (int i = 0; i < 4; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(tg_cache_waiting(ch.c, key), 0);
	}
	tg_cache_free(ch.c);
}

/* ---- persistence ---- */

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tg_test_cache.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
	DIR *d = opendir(tmpdir);
	if (d != NULL) {
		struct dirent *de;
		char path[512];
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	return 0;
}

static int count_files(void)
{
	DIR *d = opendir(tmpdir);
	int n = 0;
	for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
		n += de->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_persist_roundtrip(void **state)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/cache.json", tmpdir);
	tg_cache *c = new_cache(10);
	tg_error err;
	tg_cache_value v = val(1, DIGEST_A, "acme-ci", "quote \" backslash \\ tab \t é"), got;
	assert_int_equal(tg_cache_put(c, KEY_TAG, &v, T0, 60, 1, &err), TG_OK);
	put(c, "old-positive", 1, T0 - 1000, 60, 1);  /* expired 940 s before T0 */
	put(c, "old-negative", 2, T0 - 100, 60, 0);   /* expired */
	put(c, "fresh-negative", 2, T0 - 10, 60, 0);
	put(c, "future", 1, T0 + 100, 60, 1);         /* inserted after "now" of the load */
	assert_int_equal(tg_cache_get(c, KEY_TAG, T0, NULL, NULL), TG_OK); /* newest */
	char bad_utf8[] = "bad\xff";
	assert_int_equal(tg_cache_put(c, bad_utf8, &v, T0, 60, 1, &err), TG_OK);
	assert_int_equal(tg_cache_put(c, KEY_TAG, &v, T0, 60, 1, &err), TG_OK);
	assert_int_equal(tg_cache_save(c, path, 0, &err), TG_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_files(), 1); /* no temporary file left */
	tg_cache_free(c);

	/* stale window 1000 s: old-positive (940 s stale) is kept */
	c = new_cache(10);
	size_t loaded = 99;
	assert_int_equal(tg_cache_load(c, path, T0, 1000, 0, &loaded, &err), TG_OK);
	assert_int_equal(loaded, 3);
	assert_int_equal(tg_cache_get(c, KEY_TAG, T0 + 59, &got, NULL), TG_OK);
	assert_memory_equal(&got, &v, sizeof(v.status) + strlen(v.digest));
	assert_string_equal(got.signer, v.signer);
	assert_string_equal(got.detail, v.detail);
	assert_int_equal(tg_cache_get(c, "fresh-negative", T0, &got, NULL), TG_OK);
	assert_int_equal(got.status, 2);
	assert_int_equal(tg_cache_get(c, "old-negative", T0, NULL, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_get(c, "future", T0 + 100, NULL, NULL), TG_ENOTFOUND);
	assert_int_equal(tg_cache_get(c, "old-positive", T0, NULL, NULL), TG_ENOTFOUND);
	time_t age;
	assert_int_equal(tg_cache_get_stale(c, "old-positive", T0, 1000, &got, &age), TG_OK);
	assert_int_equal(age, 1000);
	tg_cache_free(c);

	/* a narrower window drops it; loading twice keeps the entries present */
	c = new_cache(10);
	put(c, "fresh-negative", 5, T0, 60, 0);
	assert_int_equal(tg_cache_load(c, path, T0, 100, 0, &loaded, &err), TG_OK);
	assert_int_equal(loaded, 1);
	assert_int_equal(tg_cache_get(c, "fresh-negative", T0, &got, NULL), TG_OK);
	assert_int_equal(got.status, 5); /* the entry in memory wins */
	assert_int_equal(tg_cache_load(c, path, T0, 100, 0, &loaded, &err), TG_OK);
	assert_int_equal(loaded, 0);
	assert_int_equal(tg_cache_count(c), 2);
	tg_cache_free(c);
}

/* A by-digest answer's digest, kept once in its key, comes back from a
 * saved file; a key ending in another field keeps its own digest. */
static void test_persist_digest_in_key(void **state)
{
	tg_cache *c = new_cache(10);
	tg_error err;
	const char *keys[] = {"r" SEP "digest" SEP DIGEST_A, "r" SEP "x" DIGEST_A,
	                      "r" SEP "digest" SEP "sha256:a9e8"};
	char path[512];
	snprintf(path, sizeof(path), "%s/digests.json", tmpdir);
	for (size_t i = 0; i < 3; i++) {
		tg_cache_value v = val(0, DIGEST_A, "s", "m");
		assert_int_equal(tg_cache_put(c, keys[i], &v, T0, 5, 1, &err), TG_OK);
	}
	assert_int_equal(tg_cache_save(c, path, 0, &err), TG_OK);
	tg_cache *loaded = new_cache(10);
	size_t n = 0;
	assert_int_equal(tg_cache_load(loaded, path, T0, 0, 0, &n, &err), TG_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) {
		tg_cache_value got;
		assert_int_equal(tg_cache_get(loaded, keys[i], T0, &got, NULL), TG_OK);
		assert_string_equal(got.digest, DIGEST_A);
		assert_string_equal(got.detail, "m");
	}
	tg_cache_free(loaded);
	tg_cache_free(c);
}

/* The most recently used entries are saved first and loaded first, so a
 * smaller cache keeps the newest and the LRU order survives. */
static void test_persist_order_and_bounds(void **state)
{
	char path[512], key[32];
	snprintf(path, sizeof(path), "%s/order.json", tmpdir);
	tg_cache *c = new_cache(100);
	tg_error err;
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(c, key, i, T0, 60, 1);
	}
	assert_int_equal(tg_cache_save(c, path, 0, &err), TG_OK);
	tg_cache_free(c);

	c = new_cache(4);
	size_t loaded;
	assert_int_equal(tg_cache_load(c, path, T0, 0, 0, &loaded, &err), TG_OK);
	assert_int_equal(loaded, 4);
	/* k9 .. k6 loaded, k6 the least recently used: the next put evicts it */
	put(c, "new", 1, T0, 60, 1);
	assert_int_equal(tg_cache_get(c, "k6", T0, NULL, NULL), TG_ENOTFOUND);
	for (int i = 7; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(tg_cache_get(c, key, T0, NULL, NULL), TG_OK);
	}
	tg_cache_free(c);

	/* a size bound on save leaves out the oldest */
	c = new_cache(100);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(c, key, i, T0, 60, 1);
	}
	assert_int_equal(tg_cache_save(c, path, 700, &err), TG_OK);
	tg_cache_free(c);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 700);
	c = new_cache(100);
	assert_int_equal(tg_cache_load(c, path, T0, 0, 0, &loaded, &err), TG_OK);
	assert_true(loaded >= 1 && loaded < 10);
	assert_int_equal(tg_cache_get(c, "k9", T0, NULL, NULL), TG_OK);
	assert_int_equal(tg_cache_get(c, "k0", T0, NULL, NULL), TG_ENOTFOUND);
	tg_cache_free(c);

	/* a file over the load bound is refused whole */
	c = new_cache(100);
	loaded = 99;
	assert_int_equal(tg_cache_load(c, path, T0, 0, (size_t)st.st_size - 1, &loaded, &err),
	                 TG_ETOOBIG);
	assert_contains(err.msg, "over the limit");
	assert_int_equal(loaded, 99); /* untouched */
	assert_int_equal(tg_cache_count(c), 0);
	assert_int_equal(tg_cache_load(c, path, T0, 0, (size_t)st.st_size, &loaded, &err), TG_OK);
	tg_cache_free(c);
}

#define HEADER "{\"format\":\"trustgate-cache\",\"version\":1}\n"
#define LINE(k, s) "{\"k\":\"" k "\",\"s\":" #s ",\"d\":\"" DIGEST_A "\",\"g\":\"acme\",\"m\":\"\"," \
	"\"i\":1700000000,\"e\":1700000060,\"p\":true}\n"

/* Files that are not what save writes: each is a table row of its text, the
 * expected code, how many entries survive, and a part of the warning. */
static void test_load_corrupt(void **state)
{
	static const struct {
		const char *text;
		int rc;
		size_t loaded;
		const char *msg;
	} cases[] = {
		{"", TG_EINVAL, 0, "not a trustgate cache file"},
		{"\x01\x02garbage\xff\n" LINE("a", 1), TG_EINVAL, 0, "not a trustgate cache file"},
		{"{\"format\":\"trustgate-cache\",\"version\":2}\n" LINE("a", 1), TG_EINVAL, 0,
		 "not a trustgate cache file"},
		{"{\"format\":\"trustgate-cache\",\"version\":1}", TG_EINVAL, 0,
		 "not a trustgate cache file"},
		{HEADER, TG_OK, 0, ""},
		{HEADER LINE("a", 1) LINE("b", 2), TG_OK, 2, ""},
		/* truncated last line, with and without a complete object */
		{HEADER LINE("a", 1) "{\"k\":\"b\",\"s\":2,\"d\":\"sha", TG_EINVAL, 1,
		 "line 3, truncated"},
		{HEADER LINE("a", 1) "{\"k\":\"b\",\"s\":2,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":true}", TG_EINVAL, 1, "truncated"},
		/* garbage and wrong types between good lines */
		{HEADER "garbage\n" LINE("a", 1) "\n[1,2]\n" LINE("b", 2), TG_EINVAL, 2,
		 "ignored 3 corrupt lines (first: line 2, not a JSON object); loaded 2 entries"},
		{HEADER "{\"k\":5,\"s\":1,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,\"e\":1700000060,"
		 "\"p\":true}\n" LINE("a", 1), TG_EINVAL, 1, "string member"},
		{HEADER "{\"k\":\"x\",\"s\":\"1\",\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":true}\n", TG_EINVAL, 0, "number or flag"},
		{HEADER "{\"k\":\"x\",\"s\":1,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":1}\n", TG_EINVAL, 0, "number or flag"},
		{HEADER "{\"k\":\"x\",\"s\":99999999999,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":true}\n", TG_EINVAL, 0, "number or flag"},
		{HEADER "{\"k\":\"x\",\"s\":1,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1600000000,\"p\":true}\n", TG_EINVAL, 0, "times are out of range"},
		{HEADER "{\"k\":\"x\",\"s\":1,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":-9223372036854775807,"
		 "\"e\":1700000060,\"p\":true}\n", TG_EINVAL, 0, "times are out of range"},
		{HEADER "{\"k\":\"\",\"s\":1,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":true}\n", TG_EINVAL, 0, "string member"},
		{HEADER "{\"k\":\"x\",\"s\":1,\"d\":\"0123456789012345678901234567890123456789012345678901"
		 "23456789012345678901234567890\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":true}\n", TG_EINVAL, 0, "too long"},
		{HEADER "{\"k\":\"x\",\"k\":\"y\",\"s\":1,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":true}\n", TG_EINVAL, 0, "not a JSON object"},
		{HEADER "{\"k\":\"x\\u0000y\",\"s\":1,\"d\":\"\",\"g\":\"\",\"m\":\"\",\"i\":1700000000,"
		 "\"e\":1700000060,\"p\":true}\n", TG_EINVAL, 0, "not a JSON object"},
	};
	char path[512];
	snprintf(path, sizeof(path), "%s/corrupt.json", tmpdir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(path, cases[i].text);
		tg_cache *c = new_cache(10);
		tg_error err;
		tg_error_clear(&err);
		size_t loaded = 99;
		int rc = tg_cache_load(c, path, T0, 0, 0, &loaded, &err);
		if (rc != cases[i].rc || loaded != cases[i].loaded)
			fail_msg("case %zu: %s, %zu loaded (%s)", i, tg_code_name(rc), loaded, err.msg);
		assert_contains(err.msg, cases[i].msg);
		assert_int_equal(tg_cache_count(c), cases[i].loaded);
		if (cases[i].loaded > 0) {
			tg_cache_value v;
			assert_int_equal(tg_cache_get(c, "a", T0, &v, NULL), TG_OK);
			assert_string_equal(v.digest, DIGEST_A);
		}
		tg_cache_free(c);
	}
	/* a missing file is a fresh start; a directory is not a cache file */
	tg_cache *c = new_cache(10);
	tg_error err;
	size_t loaded = 99;
	snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
	assert_int_equal(tg_cache_load(c, path, T0, 0, 0, &loaded, &err), TG_OK);
	assert_int_equal(loaded, 0);
	assert_int_equal(tg_cache_load(c, tmpdir, T0, 0, 0, &loaded, &err), TG_EINVAL);
	assert_contains(err.msg, "not a regular file");
	snprintf(path, sizeof(path), "%s/no-such-dir/cache.json", tmpdir);
	assert_int_equal(tg_cache_save(c, path, 0, &err), TG_EIO);
	assert_contains(err.msg, "cannot write");
	tg_cache_free(c);
}

/* ---- memory ---- */

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

/* 100,000 entries as trustgate makes them: half tag -> digest, half
 * digest -> verdict keys, each with a digest, a signer and a short detail. */
static void test_rss_100k(void **state)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	skip(); /* sanitizers' shadow memory and redzones change the numbers */
#endif
	long before = rss_kb();
	tg_cache *c = new_cache(100000);
	tg_error err;
	char key[256];
	tg_cache_value v = val(1, DIGEST_A, "acme-ci", "signed; targets/releases");
	for (int i = 0; i < 100000; i++) {
		if (i % 2)
			snprintf(key, sizeof(key), "notary" SEP "acme-notary" SEP
			         "registry.example.com/team%d/app%d" SEP "tag" SEP "v1.%d", i % 100, i, i);
		else
			snprintf(key, sizeof(key), "notary" SEP "acme-notary" SEP
			         "registry.example.com/team%d/app%d" SEP "digest" SEP "sha256:%064d",
			         i % 100, i, i);
		snprintf(v.digest, sizeof(v.digest), "sha256:%064d", i);
		assert_int_equal(tg_cache_put(c, key, &v, T0, 3600, 1, &err), TG_OK);
	}
	long after = rss_kb();
	assert_int_equal(tg_cache_count(c), 100000);
	double t0 = (double)clock();
	tg_cache_value got;
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "notary" SEP "acme-notary" SEP
		         "registry.example.com/team%d/app%d" SEP "tag" SEP "v1.%d", i % 100, i, i);
		int rc = tg_cache_get(c, key, T0, &got, NULL);
		assert_int_equal(rc, i % 2 ? TG_OK : TG_ENOTFOUND);
	}
	double per_get_ns = ((double)clock() - t0) / CLOCKS_PER_SEC * 1e9 / 100000;
	tg_cache_free(c);
	printf("# RSS: %ld kB before, %ld kB with 100,000 entries: +%.1f MB; %.0f ns CPU per get\n",
	       before, after, (double)(after - before) / 1024, per_get_ns);
	assert_true(after - before < 32 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bounds),
		cmocka_unit_test(test_ttl_boundaries),
		cmocka_unit_test(test_put_replaces_and_validates),
		cmocka_unit_test(test_negative_short_ttl),
		cmocka_unit_test(test_stale_window),
		cmocka_unit_test(test_digest_packing),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_growth_and_eviction_many),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_singleflight_one_leader),
		cmocka_unit_test(test_singleflight_failure_shared),
		cmocka_unit_test(test_singleflight_deadline),
		cmocka_unit_test(test_singleflight_single_thread),
		cmocka_unit_test(test_singleflight_churn),
		cmocka_unit_test_setup_teardown(test_persist_roundtrip, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_persist_digest_in_key, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_persist_order_and_bounds, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_load_corrupt, make_tmpdir, remove_tmpdir),
		cmocka_unit_test(test_rss_100k),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
