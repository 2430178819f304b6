/* cache: see cache.h.
 *
 * One mutex guards everything: the hash table (chained, power-of-two
 * buckets), the LRU list (head = most recently used) and the table of
 * lookups in flight. Work under the lock is short and bounded: hashing is
 * done before taking it, entries are allocated before taking it, and the
 * slow parts of save and foreach (formatting, callbacks, disk) run on a
 * packed copy made under it.
 *
 * An entry is one allocation: the header, then the key and the value's
 * strings, each NUL-terminated, at their real length. A digest of the form
 * "sha256:<64 lowercase hex>" is stored as its 32 bytes.
 */
#include "trustcache/cache.h"
#include "trustcache/cache_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/tg_buf.h"

#define MIN_BUCKETS 64




/* ---- hashing: SipHash-2-4 (Aumasson and Bernstein), native byte order ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                   \
	do {                                                                           \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                   \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                     \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                     \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                   \
	} while (0)

static uint64_t siphash(const unsigned char *in, size_t len, uint64_t k0, uint64_t k1)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t full = len - len % 8;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m;
		memcpy(&m, in + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Length and hash of a key; TG_EINVAL (NULL or empty) or TG_ETOOBIG. */
int tgc_key_hash(const tg_cache *c, const char *key, size_t *klen, uint32_t *hash)
{
	if (key == NULL || key[0] == '\0')
		return TG_EINVAL;
	size_t n = strnlen(key, TG_CACHE_KEY_MAX + 1);
	if (n > TG_CACHE_KEY_MAX)
		return TG_ETOOBIG;
	*klen = n;
	*hash = (uint32_t)siphash((const unsigned char *)key, n, c->k0, c->k1);
	return TG_OK;
}

static void random_key(tg_cache *c)
{
	uint64_t k[2] = {0, 0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, k, sizeof(k)) == (ssize_t)sizeof(k);
	if (fd >= 0)
		close(fd);
	if (!ok) { /* still unpredictable enough to spread keys; not a secret */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k[0] ^= (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)c;
		k[1] ^= (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 32;
	}
	c->k0 = k[0];
	c->k1 = k[1];
}

/* ---- entries ---- */

const char *tgc_entry_key(const struct entry *e)
{
	return e->data;
}

static size_t digest_bytes(const struct entry *e)
{
	return e->dlen == DIGEST_PACKED ? 32 : e->dlen == DIGEST_IN_KEY ? 0 : (size_t)e->dlen + 1;
}

/* Whether the key's last field ("...\x1f<digest>") is the digest itself. */
static bool digest_ends_key(const char *key, size_t klen, const char *digest, size_t dlen)
{
	return dlen > 0 && klen > dlen && key[klen - dlen - 1] == '\x1f' &&
	       memchr(digest, '\x1f', dlen) == NULL && memcmp(key + klen - dlen, digest, dlen) == 0;
}

static size_t entry_size(const struct entry *e)
{
	return offsetof(struct entry, data) + e->klen + 1 + digest_bytes(e) + e->slen + 1 +
	       e->mlen + 1;
}

/* The room an entry takes in a snapshot (8-aligned, so records can be read
 * in place). */
size_t tgc_record_size(const struct entry *e)
{
	return (entry_size(e) + 7) & ~(size_t)7;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1; /* upper case is not packed: it would not come back the same */
}

/* Pack "sha256:<64 lowercase hex>" into 32 bytes; false when it is not that. */
static bool pack_digest(const char *d, size_t len, unsigned char out[32])
{
	size_t plen = sizeof(SHA256_PREFIX) - 1;
	if (len != plen + 64 || memcmp(d, SHA256_PREFIX, plen) != 0)
		return false;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(d[plen + 2 * i]), lo = hexval(d[plen + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

static void unpack_value(const struct entry *e, tg_cache_value *v)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = e->data + e->klen + 1;
	v->status = e->status;
	if (e->dlen == DIGEST_IN_KEY) {
		const char *last = strrchr(e->data, '\x1f') + 1; /* checked when made */
		memcpy(v->digest, last, (size_t)(e->data + e->klen - last) + 1);
	} else if (e->dlen == DIGEST_PACKED) {
		size_t plen = sizeof(SHA256_PREFIX) - 1;
		memcpy(v->digest, SHA256_PREFIX, plen);
		for (size_t i = 0; i < 32; i++) {
			v->digest[plen + 2 * i] = hex[(unsigned char)p[i] >> 4];
			v->digest[plen + 2 * i + 1] = hex[(unsigned char)p[i] & 15];
		}
		v->digest[plen + 64] = '\0';
	} else {
		memcpy(v->digest, p, (size_t)e->dlen + 1);
	}
	p += digest_bytes(e);
	memcpy(v->signer, p, (size_t)e->slen + 1);
	p += e->slen + 1;
	memcpy(v->detail, p, (size_t)e->mlen + 1);
}

static uint32_t clamp_time(int64_t t)
{
	return t < 0 ? 0 : t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* A new entry holding copies of key and *v. TG_EINVAL if a string of v is
 * not terminated in its array. */
int tgc_make_entry(const char *key, size_t klen, uint32_t hash, const tg_cache_value *v,
                      int64_t inserted, int64_t expires, int positive, struct entry **out)
{
	size_t dlen = strnlen(v->digest, sizeof(v->digest));
	size_t slen = strnlen(v->signer, sizeof(v->signer));
	size_t mlen = strnlen(v->detail, sizeof(v->detail));
	if (dlen == sizeof(v->digest) || slen == sizeof(v->signer) || mlen == sizeof(v->detail))
		return TG_EINVAL;
	unsigned char packed[32];
	bool in_key = digest_ends_key(key, klen, v->digest, dlen);
	bool is_packed = !in_key && pack_digest(v->digest, dlen, packed);
	size_t dbytes = in_key ? 0 : is_packed ? 32 : dlen + 1;
	struct entry *e = malloc(offsetof(struct entry, data) + klen + 1 + dbytes + slen + 1 + mlen + 1);
	if (e == NULL)
		return TG_ENOMEM;
	e->hnext = e->prev = e->next = NULL;
	e->inserted = clamp_time(inserted);
	e->expires = clamp_time(expires);
	e->hash = hash;
	e->status = v->status;
	e->klen = (uint16_t)klen;
	e->mlen = (uint16_t)mlen;
	e->dlen = in_key ? DIGEST_IN_KEY : is_packed ? DIGEST_PACKED : (uint8_t)dlen;
	e->slen = (uint8_t)slen;
	e->positive = positive ? 1 : 0;
	char *p = e->data;
	memcpy(p, key, klen + 1);
	p += klen + 1;
	memcpy(p, is_packed ? (const char *)packed : v->digest, dbytes);
	p += dbytes;
	memcpy(p, v->signer, slen + 1);
	p += slen + 1;
	memcpy(p, v->detail, mlen + 1);
	*out = e;
	return TG_OK;
}

/* ---- table and LRU list; all under c->lock ---- */

struct entry *tgc_find(const tg_cache *c, const char *key, size_t klen, uint32_t hash)
{
	for (struct entry *e = c->buckets[hash & (c->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == hash && e->klen == klen && memcmp(e->data, key, klen) == 0)
			return e;
	return NULL;
}

static void lru_unlink(tg_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_head(tg_cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
}

static void lru_push_tail(tg_cache *c, struct entry *e)
{
	e->next = NULL;
	e->prev = c->tail;
	if (c->tail)
		c->tail->next = e;
	else
		c->head = e;
	c->tail = e;
}

static void touch(tg_cache *c, struct entry *e)
{
	if (c->head != e) {
		lru_unlink(c, e);
		lru_push_head(c, e);
	}
}

/* Double the table while it has fewer buckets than entries and may grow.
 * A failed allocation keeps the old table: longer chains, still correct. */
static void maybe_grow(tg_cache *c)
{
	if (c->count <= c->nbuckets || c->nbuckets >= c->max_buckets)
		return;
	size_t n = c->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i];
		while (e != NULL) {
			struct entry *next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

void tgc_link_entry(tg_cache *c, struct entry *e, bool at_head)
{
	struct entry **b = &c->buckets[e->hash & (c->nbuckets - 1)];
	e->hnext = *b;
	*b = e;
	if (at_head)
		lru_push_head(c, e);
	else
		lru_push_tail(c, e);
	c->count++;
	c->bytes += tgc_record_size(e);
	maybe_grow(c);
}

/* Take e out of the table and the list and free it. */
static void remove_entry(tg_cache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->count--;
	c->bytes -= tgc_record_size(e);
	free(e);
}

/* ---- life ---- */

int tg_cache_new(size_t max_entries, tg_cache **out, tg_error *err)
{
	if (max_entries < 1 || max_entries > TG_CACHE_ENTRIES_MAX)
		return tg_error_set(err, TG_EINVAL, "cache size %zu is out of range (1 to %d)",
		                    max_entries, TG_CACHE_ENTRIES_MAX);
	tg_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	c->max_entries = max_entries;
	c->max_buckets = MIN_BUCKETS;
	while (c->max_buckets < max_entries)
		c->max_buckets *= 2;
	c->nbuckets = MIN_BUCKETS;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (c->buckets == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->buckets);
		free(c);
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	random_key(c);
	*out = c;
	return TG_OK;
}

static void flight_unref(struct tg_cache_ticket *f)
{
	if (--f->refs == 0) {
		pthread_cond_destroy(&f->cond);
		free(f);
	}
}

void tg_cache_free(tg_cache *c)
{
	if (c == NULL)
		return;
	struct entry *e = c->head;
	while (e != NULL) {
		struct entry *next = e->next;
		free(e);
		e = next;
	}
	for (size_t i = 0; i < FLIGHT_BUCKETS; i++) { /* unfinished tickets: a caller's bug */
		struct tg_cache_ticket *f = c->flights[i];
		while (f != NULL) {
			struct tg_cache_ticket *next = f->next;
			pthread_cond_destroy(&f->cond);
			free(f);
			f = next;
		}
	}
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ---- get and put ---- */

static void give(const struct entry *e, time_t now, tg_cache_value *value, time_t *age)
{
	if (value != NULL)
		unpack_value(e, value);
	if (age != NULL)
		*age = now > e->inserted ? (time_t)(now - e->inserted) : 0;
}

int tg_cache_get(tg_cache *c, const char *key, time_t now, tg_cache_value *value, time_t *age)
{
	size_t klen;
	uint32_t hash;
	if (c == NULL || tgc_key_hash(c, key, &klen, &hash) != TG_OK)
		return TG_ENOTFOUND;
	int rc = TG_ENOTFOUND;
	pthread_mutex_lock(&c->lock);
	struct entry *e = tgc_find(c, key, klen, hash);
	if (e != NULL && now < e->expires) {
		give(e, now, value, age);
		touch(c, e);
		rc = TG_OK;
	} else if (e != NULL && !e->positive) {
		remove_entry(c, e);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tg_cache_get_stale(tg_cache *c, const char *key, time_t now, time_t max_stale_seconds,
                       tg_cache_value *value, time_t *age)
{
	size_t klen;
	uint32_t hash;
	if (c == NULL || tgc_key_hash(c, key, &klen, &hash) != TG_OK)
		return TG_ENOTFOUND;
	int rc = TG_ENOTFOUND;
	pthread_mutex_lock(&c->lock);
	struct entry *e = tgc_find(c, key, klen, hash);
	if (e != NULL && e->positive &&
	    (now < e->expires || (max_stale_seconds > 0 && now - e->expires < max_stale_seconds))) {
		give(e, now, value, age);
		touch(c, e);
		rc = TG_OK;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Put e (not yet linked) into the cache, replacing its key and evicting the
 * least recently used entries past max_entries. Under the lock. */
static void insert_locked(tg_cache *c, struct entry *e)
{
	struct entry *old = tgc_find(c, tgc_entry_key(e), e->klen, e->hash);
	if (old != NULL)
		remove_entry(c, old);
	tgc_link_entry(c, e, true);
	while (c->count > c->max_entries)
		remove_entry(c, c->tail);
}

int tg_cache_put(tg_cache *c, const char *key, const tg_cache_value *value, time_t now,
                 time_t ttl_seconds, int positive, tg_error *err)
{
	if (c == NULL || value == NULL)
		return tg_error_set(err, TG_EINVAL, "cache put without a cache or value");
	size_t klen;
	uint32_t hash;
	int rc = tgc_key_hash(c, key, &klen, &hash);
	if (rc == TG_ETOOBIG)
		return tg_error_set(err, rc, "cache key longer than %d bytes", TG_CACHE_KEY_MAX);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "cache key is empty");
	if (ttl_seconds < 0 || (int64_t)now > INT64_MAX - (int64_t)ttl_seconds)
		return tg_error_set(err, TG_EINVAL, "cache time to live %lld is out of range",
		                    (long long)ttl_seconds);
	struct entry *e;
	rc = tgc_make_entry(key, klen, hash, value, now, (int64_t)now + ttl_seconds, positive, &e);
	if (rc == TG_EINVAL)
		return tg_error_set(err, rc, "cache value has a string not terminated in its field");
	if (rc != TG_OK)
		return tg_error_set(err, rc, "out of memory");
	pthread_mutex_lock(&c->lock);
	insert_locked(c, e);
	pthread_mutex_unlock(&c->lock);
	return TG_OK;
}

size_t tg_cache_flush(tg_cache *c, const char *prefix)
{
	if (c == NULL || prefix == NULL)
		return 0;
	size_t plen = strlen(prefix), removed = 0;
	pthread_mutex_lock(&c->lock);
	struct entry *e = c->head;
	while (e != NULL) {
		struct entry *next = e->next;
		if (e->klen >= plen && memcmp(e->data, prefix, plen) == 0) {
			remove_entry(c, e);
			removed++;
		}
		e = next;
	}
	pthread_mutex_unlock(&c->lock);
	return removed;
}

size_t tg_cache_count(tg_cache *c)
{
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	size_t n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* ---- snapshots: foreach and save ---- */

/* Copy every entry, most recently used first, into one block of records
 * (*len bytes; each record an entry whose links are meaningless). One big
 * allocation, so its memory goes back to the system when freed. */
int tgc_snapshot(tg_cache *c, char **out, size_t *len)
{
	pthread_mutex_lock(&c->lock);
	char *block = malloc(c->bytes ? c->bytes : 1);
	if (block == NULL) {
		pthread_mutex_unlock(&c->lock);
		return TG_ENOMEM;
	}
	size_t off = 0;
	for (const struct entry *e = c->head; e != NULL; e = e->next) {
		memcpy(block + off, e, entry_size(e));
		off += tgc_record_size(e);
	}
	pthread_mutex_unlock(&c->lock);
	*out = block;
	*len = off;
	return TG_OK;
}

void tgc_record_to_entry(const struct entry *r, tg_cache_entry *out)
{
	out->key = tgc_entry_key(r);
	unpack_value(r, &out->value);
	out->inserted = (time_t)r->inserted;
	out->expires = (time_t)r->expires;
	out->positive = r->positive;
}

int tg_cache_foreach(tg_cache *c, tg_cache_visit_fn fn, void *arg, tg_error *err)
{
	if (c == NULL || fn == NULL)
		return tg_error_set(err, TG_EINVAL, "cache foreach without a cache or function");
	char *block;
	size_t len;
	if (tgc_snapshot(c, &block, &len) != TG_OK)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	int rc = TG_OK;
	for (size_t off = 0; off < len && rc == 0;) {
		const struct entry *r = (const struct entry *)(const void *)(block + off);
		tg_cache_entry entry;
		tgc_record_to_entry(r, &entry);
		rc = fn(&entry, arg);
		off += tgc_record_size(r);
	}
	free(block);
	return rc;
}

/* ---- single flight ---- */

int64_t tg_cache_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct tg_cache_ticket **flight_slot(tg_cache *c, uint32_t hash)
{
	return &c->flights[hash % FLIGHT_BUCKETS];
}

static struct tg_cache_ticket *find_flight(tg_cache *c, const char *key, size_t klen,
                                           uint32_t hash)
{
	for (struct tg_cache_ticket *f = *flight_slot(c, hash); f != NULL; f = f->next)
		if (f->hash == hash && f->klen == klen && memcmp(f->key, key, klen) == 0)
			return f;
	return NULL;
}

static struct tg_cache_ticket *new_flight(tg_cache *c, const char *key, size_t klen,
                                          uint32_t hash)
{
	struct tg_cache_ticket *f = calloc(1, sizeof(*f) + klen + 1);
	if (f == NULL)
		return NULL;
	pthread_condattr_t attr;
	bool ok = pthread_condattr_init(&attr) == 0;
	if (ok) {
		ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
		     pthread_cond_init(&f->cond, &attr) == 0;
		pthread_condattr_destroy(&attr);
	}
	if (!ok) {
		free(f);
		return NULL;
	}
	f->cache = c;
	f->hash = hash;
	f->klen = klen;
	f->refs = 1;
	memcpy(f->key, key, klen + 1);
	return f;
}

/* Wait under c->lock until f is done or deadline_ms passes. */
static void wait_flight(tg_cache *c, struct tg_cache_ticket *f, int64_t deadline_ms)
{
	if (deadline_ms < 0)
		deadline_ms = 0;
	struct timespec ts = {.tv_sec = (time_t)(deadline_ms / 1000),
	                      .tv_nsec = (long)(deadline_ms % 1000) * 1000000L};
	while (!f->done) {
		if (pthread_cond_timedwait(&f->cond, &c->lock, &ts) != 0)
			break; /* ETIMEDOUT (or EINVAL: never wait without a bound) */
	}
}

int tg_cache_begin(tg_cache *c, const char *key, time_t now, int64_t deadline_ms,
                   tg_cache_ticket **ticket, tg_cache_value *value, tg_error *err)
{
	if (c == NULL || ticket == NULL)
		return tg_error_set(err, TG_EINVAL, "cache begin without a cache or ticket");
	size_t klen;
	uint32_t hash;
	int rc = tgc_key_hash(c, key, &klen, &hash);
	if (rc == TG_ETOOBIG)
		return tg_error_set(err, rc, "cache key longer than %d bytes", TG_CACHE_KEY_MAX);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "cache key is empty");

	pthread_mutex_lock(&c->lock);
	struct entry *e = tgc_find(c, key, klen, hash);
	if (e != NULL && now < e->expires) {
		give(e, now, value, NULL);
		touch(c, e);
		pthread_mutex_unlock(&c->lock);
		*ticket = NULL;
		return TG_OK;
	}
	struct tg_cache_ticket *f = find_flight(c, key, klen, hash);
	if (f == NULL) {
		f = new_flight(c, key, klen, hash);
		if (f == NULL) {
			pthread_mutex_unlock(&c->lock);
			return tg_error_set(err, TG_ENOMEM, "out of memory");
		}
		struct tg_cache_ticket **slot = flight_slot(c, hash);
		f->next = *slot;
		*slot = f;
		pthread_mutex_unlock(&c->lock);
		*ticket = f;
		return TG_OK;
	}

	f->refs++;
	f->waiting++;
	wait_flight(c, f, deadline_ms);
	f->waiting--;
	tg_cache_value result;
	char msg[TG_ERROR_MSG_MAX];
	if (f->done) {
		rc = f->code;
		if (rc == TG_OK)
			result = f->value;
		else
			memcpy(msg, f->msg, sizeof(msg));
	} else {
		rc = TG_ETIMEOUT;
	}
	flight_unref(f);
	pthread_mutex_unlock(&c->lock);

	if (rc == TG_ETIMEOUT)
		return tg_error_set(err, rc, "timed out waiting for the lookup of the same key");
	if (rc != TG_OK)
		return tg_error_set(err, rc, "%s", msg);
	if (value != NULL)
		*value = result;
	*ticket = NULL;
	return TG_OK;
}

void tg_cache_finish(tg_cache_ticket *f, int code, const tg_cache_value *value,
                     const tg_error *failure)
{
	if (f == NULL)
		return;
	tg_cache *c = f->cache;
	if (code == TG_OK && value == NULL)
		code = TG_EINVAL;
	pthread_mutex_lock(&c->lock);
	struct tg_cache_ticket **pp = flight_slot(c, f->hash);
	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	f->next = NULL;
	f->done = 1;
	f->code = code > 0 ? TG_EINVAL : code;
	if (f->code == TG_OK)
		f->value = *value;
	else if (failure != NULL && failure->msg[0] != '\0')
		snprintf(f->msg, sizeof(f->msg), "%s", failure->msg);
	else
		snprintf(f->msg, sizeof(f->msg), "lookup failed (%s)", tg_code_name(f->code));
	pthread_cond_broadcast(&f->cond);
	flight_unref(f);
	pthread_mutex_unlock(&c->lock);
}

size_t tg_cache_waiting(tg_cache *c, const char *key)
{
	size_t klen;
	uint32_t hash;
	if (c == NULL || tgc_key_hash(c, key, &klen, &hash) != TG_OK)
		return 0;
	pthread_mutex_lock(&c->lock);
	struct tg_cache_ticket *f = find_flight(c, key, klen, hash);
	size_t n = f ? (size_t)f->waiting : 0;
	pthread_mutex_unlock(&c->lock);
	return n;
}
