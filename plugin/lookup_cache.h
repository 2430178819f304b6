/* lookup_cache: trust lookups through the trust cache, with the policy's
 * TTLs.
 *
 * A fresh answer is reused; otherwise one caller per key does the lookup
 * and concurrent callers for the same key wait for its answer (within
 * their deadline). Positive answers are kept for their TTL, "not signed"
 * for the short negative TTL; failures are not kept, but when the server
 * is unreachable (TG_EIO, TG_ETIMEOUT) a positive answer no older than the
 * policy's stale-if-error window is used instead, and said so.
 * Thread-safe.
 */
#ifndef TG_LOOKUP_CACHE_H
#define TG_LOOKUP_CACHE_H

#include <stdint.h>

#include "authz/policy.h"
#include "trustcache/cache.h"

/* The real lookup: fill *out (status = the return code) and return 0,
 * TG_ENOTFOUND (a valid "no"), or another code with err set. */
typedef int (*tg_lookup_fn)(void *arg, tg_cache_value *out, tg_error *err);

/* How a lookup was answered, for the audit log. */
enum tg_lookup_source { TG_LOOKUP_LIVE, TG_LOOKUP_HIT, TG_LOOKUP_SHARED, TG_LOOKUP_STALE,
                        TG_LOOKUP_UNCACHED };

const char *tg_lookup_source_name(enum tg_lookup_source s);

/* Answer key through cache (NULL: always live) by calling fn when needed.
 * ttl is the setting for positive answers (TG_CACHE_TAG_TTL or
 * TG_CACHE_VERDICT_TTL). Returns fn's code (or TG_ETIMEOUT when another
 * caller's lookup of the same key outlived deadline_ms); *out and *source
 * are always set, and err on failure. */
int tg_lookup_cached(tg_cache *cache, const tg_policy *policy, const char *key,
                     enum tg_cache_setting ttl, int64_t deadline_ms, tg_lookup_fn fn, void *arg,
                     tg_cache_value *out, enum tg_lookup_source *source, tg_error *err);

/* Answer key from a fresh cache entry only, with no lookup and no waiting
 * (for threads that must never block). Returns the entry's code (TG_OK or
 * TG_ENOTFOUND, *out and *source set as tg_lookup_cached sets them), or
 * TG_EWOULDBLOCK when cache is NULL or holds no fresh answer for key. */
int tg_lookup_cached_peek(tg_cache *cache, const char *key, tg_cache_value *out,
                          enum tg_lookup_source *source, tg_error *err);

#endif
