/* cache: trustgate's memory of trust facts, as a mechanism without policy.
 *
 * A thread-safe map from a string key (the caller builds it, e.g.
 * "notary\x1facme-notary\x1fdocker.io/library/alpine\x1ftag\x1f3.19") to a
 * small fixed record (tg_cache_value). The cache does not know what a key or
 * a status means: the caller chooses the time to live of each entry and
 * whether it is "positive" (may be used stale when the source of truth is
 * unreachable, see tg_cache_get_stale).
 *
 * - Bounded: at most max_entries entries; putting one more evicts the least
 *   recently used (a get counts as a use). O(1): hash table (SipHash-2-4 with
 *   a random per-cache key, so crafted image names cannot make long chains)
 *   plus a doubly linked list. The table doubles as entries arrive and never
 *   passes the power of two above max_entries.
 * - Compact: an entry is one allocation holding its key and the value's
 *   strings at their real length ("sha256:<64 hex>" digests in 32 bytes).
 * - Single-flight: tg_cache_begin makes one caller per key the leader, who
 *   looks up (with no lock held) and hands the result to tg_cache_finish;
 *   callers of the same key meanwhile wait for that result, each no longer
 *   than its own deadline.
 * - Persistent: tg_cache_save writes every entry atomically (temporary file,
 *   fsync, rename, mode 0600) as JSON lines; tg_cache_load reads such a file
 *   back, keeping what is valid of a corrupt or truncated one.
 *
 * Times: wall-clock seconds (time_t now) for ages and expiry, passed by the
 * caller; deadlines for waiting are CLOCK_MONOTONIC milliseconds
 * (tg_cache_monotonic_ms). No function reads the clock for its decisions
 * except the timed wait in tg_cache_begin.
 *
 * All functions are thread-safe on one cache, except tg_cache_free.
 */
#ifndef TG_CACHE_H
#define TG_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/tg_error.h"

#define TG_CACHE_KEY_MAX 1024                 /* longest key in bytes, without the NUL */
#define TG_CACHE_ENTRIES_MAX 10000000         /* largest max_entries accepted */
#define TG_CACHE_FILE_MAX (64u * 1024 * 1024) /* default bound of the on-disk file */

/* The record stored per key. Every string must be NUL-terminated inside its
 * array (tg_cache_put refuses one that is not). */
typedef struct tg_cache_value {
	int status;       /* the caller's meaning (verified, not signed, failed, ...) */
	char digest[80];  /* e.g. "sha256:..."; may be "" */
	char signer[64];  /* may be "" */
	char detail[256]; /* may be "" */
} tg_cache_value;

typedef struct tg_cache tg_cache;

/* A lookup this caller leads (see tg_cache_begin). Opaque. */
typedef struct tg_cache_ticket tg_cache_ticket;

/* One entry as shown to tg_cache_foreach. */
typedef struct tg_cache_entry {
	const char *key;      /* borrowed: valid during the callback only */
	tg_cache_value value;
	time_t inserted;      /* when it was put */
	time_t expires;       /* fresh while now < expires */
	int positive;         /* 1: may be served stale by tg_cache_get_stale */
} tg_cache_entry;

/* Called once per entry, most recently used first. Return 0 to go on;
 * anything else stops the walk and becomes tg_cache_foreach's return. */
typedef int (*tg_cache_visit_fn)(const tg_cache_entry *entry, void *arg);

/* Create an empty cache holding at most max_entries (1 ..
 * TG_CACHE_ENTRIES_MAX) entries. *out is freed with tg_cache_free.
 * Errors: TG_EINVAL (max_entries out of range), TG_ENOMEM. */
int tg_cache_new(size_t max_entries, tg_cache **out, tg_error *err);

/* Free the cache and its entries. Accepts NULL. No other call may be in
 * progress and every ticket must have been finished. */
void tg_cache_free(tg_cache *c);

/* Look up a fresh entry: one with now < expires. On TG_OK copies it to
 * *value and its age (now - inserted, at least 0) to *age; either output may
 * be NULL. Marks the entry as recently used. An expired entry that is not
 * positive is dropped on the way (it can serve nothing any more).
 * Returns TG_OK or TG_ENOTFOUND (absent, expired, or key invalid). */
int tg_cache_get(tg_cache *c, const char *key, time_t now, tg_cache_value *value, time_t *age);

/* Stale-if-error: look up a positive entry that is fresh or expired less
 * than max_stale_seconds ago (now < expires + max_stale_seconds). For use
 * when the source of truth cannot be reached; the caller says so in its
 * audit log. Outputs and returns as tg_cache_get; entries that are not
 * positive are never returned. max_stale_seconds <= 0: fresh entries only. */
int tg_cache_get_stale(tg_cache *c, const char *key, time_t now, time_t max_stale_seconds,
                       tg_cache_value *value, time_t *age);

/* Store a copy of *value under key (replacing any entry of that key), with
 * inserted = now and expires = now + ttl_seconds. positive (0 or 1) says
 * whether tg_cache_get_stale may serve it after expiry. Evicts the least
 * recently used entry when the cache is full.
 * Errors: TG_EINVAL (NULL argument, empty key, ttl < 0 or overflowing, a
 * string of *value not terminated in its array), TG_ETOOBIG (key longer
 * than TG_CACHE_KEY_MAX), TG_ENOMEM. */
int tg_cache_put(tg_cache *c, const char *key, const tg_cache_value *value, time_t now,
                 time_t ttl_seconds, int positive, tg_error *err);

/* Remove every entry whose key starts with prefix ("" removes all).
 * Lookups in flight are not affected. Returns how many were removed. */
size_t tg_cache_flush(tg_cache *c, const char *prefix);

/* Number of entries (fresh or not). */
size_t tg_cache_count(tg_cache *c);

/* Call fn for each entry, most recently used first, on a consistent
 * snapshot: the entries are copied under the lock and fn runs without it,
 * so fn may call into the cache. The copy takes about as much memory as the
 * entries themselves, for the duration of the call. Does not mark entries
 * as used. Returns TG_OK, TG_ENOMEM, or fn's non-zero return. */
int tg_cache_foreach(tg_cache *c, tg_cache_visit_fn fn, void *arg, tg_error *err);

/* CLOCK_MONOTONIC now, in milliseconds: the clock of begin's deadline. */
int64_t tg_cache_monotonic_ms(void);

/* Single-flight lookup of key. Exactly one of three things happens:
 *  - key has a fresh entry: TG_OK, *ticket = NULL, *value = the entry
 *    (as tg_cache_get, so a lookup that just finished is not repeated);
 *  - no lookup of key is in flight: TG_OK, *ticket != NULL: the caller is
 *    the leader. It must look the key up (no cache lock is held), store a
 *    result with tg_cache_put if it wants it kept, and then, success or
 *    not, call tg_cache_finish exactly once (put before finish, so that a
 *    caller arriving in between finds the entry and does not look up again);
 *  - another caller leads a lookup of key: wait, no later than deadline_ms
 *    (CLOCK_MONOTONIC ms; a past deadline does not wait), for it to finish.
 *    Its success gives TG_OK, *ticket = NULL and its value; its failure gives
 *    the leader's code and message (the waiters do not look up again).
 *    TG_ETIMEOUT when the deadline comes first.
 * value may be NULL if the caller only wants to know. Other errors:
 * TG_EINVAL (NULL argument, empty key), TG_ETOOBIG (key too long),
 * TG_ENOMEM. */
int tg_cache_begin(tg_cache *c, const char *key, time_t now, int64_t deadline_ms,
                   tg_cache_ticket **ticket, tg_cache_value *value, tg_error *err);

/* End the lookup a ticket leads and wake everyone waiting for it. code is
 * TG_OK with *value the result, or the negative code of the failure with
 * failure's message (failure may be NULL). The ticket is freed (once the
 * last waiter has left); it must not be used again. Accepts NULL. */
void tg_cache_finish(tg_cache_ticket *ticket, int code, const tg_cache_value *value,
                     const tg_error *failure);

/* Number of callers now waiting for the in-flight lookup of key (0 when
 * none is in flight). For metrics and tests. */
size_t tg_cache_waiting(tg_cache *c, const char *key);

/* Write all entries to path, replacing it atomically: a temporary file in
 * the same directory (mode 0600), fsync, rename, fsync of the directory.
 * The directory must exist. Most recently used entries come first; when the
 * file would pass max_bytes (0: TG_CACHE_FILE_MAX) the rest, the least
 * recently used, are left out. Entries whose strings are not UTF-8 are left
 * out (JSON cannot carry them).
 * Errors: TG_EIO, TG_ENOMEM. The previous file is untouched on error. */
int tg_cache_save(tg_cache *c, const char *path, size_t max_bytes, tg_error *err);

/* Read entries written by tg_cache_save into the cache, as less recently
 * used than any entry already there (a key already present keeps its entry).
 * Skips entries that can serve nothing at now: not positive and expired, or
 * positive and expired for max_stale_seconds or more, or inserted after now.
 * Stops when the cache is full. A missing file loads nothing and is TG_OK.
 * Returns:
 *  TG_OK;
 *  TG_EINVAL: a warning, never fatal: the file is not a cache file (nothing
 *    loaded) or some lines are corrupt, truncated or of the wrong types (the
 *    valid ones are loaded); the message says which and how many;
 *  TG_ETOOBIG: the file is larger than max_bytes (0: TG_CACHE_FILE_MAX);
 *    nothing loaded;
 *  TG_EIO, TG_ENOMEM.
 * *loaded (may be NULL) gets the number of entries loaded, also on
 * TG_EINVAL. */
int tg_cache_load(tg_cache *c, const char *path, time_t now, time_t max_stale_seconds,
                  size_t max_bytes, size_t *loaded, tg_error *err);

#endif
