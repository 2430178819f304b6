/* cache_internal: what cache.c (table, LRU, single flight) and
 * cache_store.c (save and load) share. Not a public contract: see cache.h. */
#ifndef TG_CACHE_INTERNAL_H
#define TG_CACHE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "trustcache/cache.h"

#define FLIGHT_BUCKETS 64
#define DIGEST_PACKED 0xFF /* entry.dlen: the digest is 32 raw bytes of sha256 */
#define DIGEST_IN_KEY 0xFE /* entry.dlen: the digest is the key's last field (by-digest
                            * answers): not stored twice */
#define SHA256_PREFIX "sha256:"

struct entry {
	struct entry *hnext;       /* next in the same bucket */
	struct entry *prev, *next; /* LRU list: prev is more recently used */
	uint32_t inserted, expires; /* seconds since the epoch, clamped to 0..UINT32_MAX
	                             * (2106): 8 bytes less on each of 100,000s */
	uint32_t hash;
	int32_t status;
	uint16_t klen, mlen; /* key, detail */
	uint8_t dlen, slen;  /* digest (or DIGEST_PACKED), signer */
	uint8_t positive;
	char data[]; /* key \0 digest [\0] signer \0 detail \0 */
};

struct tg_cache_ticket { /* one lookup in flight, shared by its leader and waiters */
	struct tg_cache_ticket *next; /* in the flight bucket, while in flight */
	tg_cache *cache;
	uint32_t hash;
	size_t klen;
	int refs;    /* leader (until finish) + waiters */
	int waiting; /* waiters */
	int done, code;
	tg_cache_value value;
	char msg[TG_ERROR_MSG_MAX];
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	char key[];
};

struct tg_cache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets, max_buckets;
	size_t count, max_entries;
	size_t bytes; /* sum of tgc_record_size() of all entries: the size of a snapshot */
	struct entry *head, *tail;
	struct tg_cache_ticket *flights[FLIGHT_BUCKETS];
	uint64_t k0, k1; /* SipHash key */
};

/* Helpers of cache.c that cache_store.c uses too (same locking rules as
 * in cache.c: table and list functions are called with c->lock held). */
int tgc_snapshot(tg_cache *c, char **out, size_t *len);
void tgc_record_to_entry(const struct entry *r, tg_cache_entry *out);
size_t tgc_record_size(const struct entry *e);
int tgc_make_entry(const char *key, size_t klen, uint32_t hash, const tg_cache_value *v,
                      int64_t inserted, int64_t expires, int positive, struct entry **out);
void tgc_link_entry(tg_cache *c, struct entry *e, bool at_head);
int tgc_key_hash(const tg_cache *c, const char *key, size_t *klen, uint32_t *hash);
struct entry *tgc_find(const tg_cache *c, const char *key, size_t klen, uint32_t hash);
const char *tgc_entry_key(const struct entry *e);

#endif
