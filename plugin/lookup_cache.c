/* lookup_cache: see lookup_cache.h. */
#include "plugin/lookup_cache.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *tg_lookup_source_name(enum tg_lookup_source s)
{
	static const char *const names[] = {"miss", "hit", "shared", "stale", "off"};
	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static bool unreachable(int code)
{
	return code == TG_EIO || code == TG_ETIMEOUT;
}

/* A cached value as the lookup's result. */
static int replay(const tg_cache_value *v, tg_cache_value *out, tg_error *err)
{
	*out = *v;
	if (v->status != TG_OK)
		tg_error_set(err, v->status, "%s", v->detail);
	return v->status;
}

/* The server could not be reached: a positive answer within the window. */
static int try_stale(tg_cache *cache, const tg_policy *policy, const char *key, int code,
                     tg_cache_value *out, enum tg_lookup_source *source, tg_error *err)
{
	long window = tg_policy_cache_setting(policy, TG_CACHE_STALE_IF_ERROR);
	tg_cache_value stale;
	time_t age = 0;
	if (!unreachable(code) || window <= 0 ||
	    tg_cache_get_stale(cache, key, time(NULL), window, &stale, &age) != TG_OK)
		return code;
	char why[TG_ERROR_MSG_MAX];
	snprintf(why, sizeof(why), "%s", err->msg);
	*out = stale;
	snprintf(out->detail, sizeof(out->detail), "%.120s [cached %lld s ago, used because: %.100s]",
	         stale.detail, (long long)age, why);
	*source = TG_LOOKUP_STALE;
	return TG_OK;
}

/* This caller leads: look up, keep what may be kept, hand it to waiters. */
static int lead(tg_cache *cache, const tg_policy *policy, const char *key,
                enum tg_cache_setting ttl, tg_cache_ticket *ticket, tg_lookup_fn fn, void *arg,
                tg_cache_value *out, enum tg_lookup_source *source, tg_error *err)
{
	memset(out, 0, sizeof(*out));
	int rc = fn(arg, out, err);
	out->status = rc;
	tg_error ignore;
	if (rc == TG_OK)
		tg_cache_put(cache, key, out, time(NULL), tg_policy_cache_setting(policy, ttl), 1, &ignore);
	else if (rc == TG_ENOTFOUND) {
		snprintf(out->detail, sizeof(out->detail), "%.250s", err->msg);
		tg_cache_put(cache, key, out, time(NULL),
		             tg_policy_cache_setting(policy, TG_CACHE_NEGATIVE_TTL), 0, &ignore);
	}
	tg_cache_finish(ticket, rc, rc == TG_OK || rc == TG_ENOTFOUND ? out : NULL, err);
	*source = TG_LOOKUP_LIVE;
	return rc == TG_OK || rc == TG_ENOTFOUND ? rc
	                                         : try_stale(cache, policy, key, rc, out, source, err);
}

int tg_lookup_cached(tg_cache *cache, const tg_policy *policy, const char *key,
                     enum tg_cache_setting ttl, int64_t deadline_ms, tg_lookup_fn fn, void *arg,
                     tg_cache_value *out, enum tg_lookup_source *source, tg_error *err)
{
	if (cache == NULL) {
		*source = TG_LOOKUP_UNCACHED;
		memset(out, 0, sizeof(*out));
		return out->status = fn(arg, out, err);
	}
	tg_cache_ticket *ticket = NULL;
	tg_cache_value v;
	memset(&v, 0, sizeof(v));
	int rc = tg_cache_begin(cache, key, time(NULL), deadline_ms, &ticket, &v, err);
	if (rc == TG_OK && ticket != NULL)
		return lead(cache, policy, key, ttl, ticket, fn, arg, out, source, err);
	if (rc == TG_OK) {
		*source = TG_LOOKUP_HIT;
		return replay(&v, out, err);
	}
	*source = TG_LOOKUP_SHARED; /* another caller's failure (or "not signed") */
	memset(out, 0, sizeof(*out));
	out->status = rc;
	return try_stale(cache, policy, key, rc, out, source, err);
}

int tg_lookup_cached_peek(tg_cache *cache, const char *key, tg_cache_value *out,
                          enum tg_lookup_source *source, tg_error *err)
{
	tg_cache_value v;
	if (cache == NULL || tg_cache_get(cache, key, time(NULL), &v, NULL) != TG_OK)
		return tg_error_set(err, TG_EWOULDBLOCK, "no fresh cached answer");
	*source = TG_LOOKUP_HIT;
	return replay(&v, out, err);
}
