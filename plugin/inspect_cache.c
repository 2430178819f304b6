/* inspect_cache: see inspect_cache.h. A small chained hash table under one
 * mutex; values are one malloc'd block of '\n'-separated texts. */
#include "plugin/inspect_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024

struct item {
	struct item *next;
	int64_t stored_ms;
	char *key;
	char *value; /* id \n repo digest \n ... */
};

struct tg_inspect_cache {
	pthread_mutex_t lock;
	struct item *buckets[BUCKETS];
	size_t count;
};

int tg_inspect_cache_new(tg_inspect_cache **out, tg_error *err)
{
	tg_inspect_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return TG_OK;
}

static void free_item(struct item *it)
{
	free(it->key);
	free(it->value);
	free(it);
}

/* Drop every item; with c->lock held. */
static void drop_all(tg_inspect_cache *c)
{
	for (size_t b = 0; b < BUCKETS; b++) {
		while (c->buckets[b] != NULL) {
			struct item *it = c->buckets[b];
			c->buckets[b] = it->next;
			free_item(it);
		}
	}
	c->count = 0;
}

void tg_inspect_cache_free(tg_inspect_cache *c)
{
	if (c == NULL)
		return;
	drop_all(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static size_t bucket_of(const char *key)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % BUCKETS;
}

static struct item **find(tg_inspect_cache *c, const char *key)
{
	struct item **p = &c->buckets[bucket_of(key)];
	while (*p != NULL && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

/* Replace key's value (taking value), with c->lock held. */
static void store(tg_inspect_cache *c, const char *key, char *value, int64_t now)
{
	struct item **p = find(c, key);
	if (*p != NULL) {
		free((*p)->value);
		(*p)->value = value;
		(*p)->stored_ms = now;
		return;
	}
	if (c->count >= TG_INSPECT_CACHE_MAX)
		drop_all(c); /* full: start over (it is only a cache) */
	struct item *it = calloc(1, sizeof(*it));
	if (it == NULL || (it->key = strdup(key)) == NULL) {
		free(it);
		free(value);
		return;
	}
	it->value = value;
	it->stored_ms = now;
	p = find(c, key);
	*p = it;
	c->count++;
}

void tg_inspect_cache_put_image(tg_inspect_cache *c, const char *name, const tg_image_summary *img,
                                int64_t now_ms)
{
	size_t n = strlen(img->id) + strlen(img->user) + 2;
	for (size_t i = 0; i < img->n_repo_digests; i++)
		n += strlen(img->repo_digests[i]) + 1;
	/* lines: id, user, repo digests. A value with a line break of its own
	 * (an image's user is anyone's text) is not kept: it would shift them */
	bool one_line = strchr(img->id, '\n') == NULL && strchr(img->user, '\n') == NULL;
	for (size_t i = 0; i < img->n_repo_digests; i++)
		one_line = one_line && strchr(img->repo_digests[i], '\n') == NULL;
	char *value = one_line ? malloc(n) : NULL;
	if (value == NULL || strlen(name) >= TG_INSPECT_TEXT_MAX) {
		free(value);
		return;
	}
	size_t used = (size_t)snprintf(value, n, "%s\n%s", img->id, img->user);
	for (size_t i = 0; i < img->n_repo_digests; i++)
		used += (size_t)snprintf(value + used, n - used, "\n%s", img->repo_digests[i]);
	pthread_mutex_lock(&c->lock);
	store(c, name, value, now_ms);
	pthread_mutex_unlock(&c->lock);
}

/* Split value's next line into dst (TG_INSPECT_TEXT_MAX); false at the end. */
static bool next_line(const char **value, char *dst)
{
	if (*value == NULL)
		return false;
	const char *nl = strchr(*value, '\n');
	size_t n = nl ? (size_t)(nl - *value) : strlen(*value);
	snprintf(dst, TG_INSPECT_TEXT_MAX, "%.*s", (int)n, *value);
	*value = nl ? nl + 1 : NULL;
	return true;
}

bool tg_inspect_cache_get_image(tg_inspect_cache *c, const char *name, int64_t now_ms,
                                tg_image_summary *out)
{
	bool hit = false;
	pthread_mutex_lock(&c->lock);
	struct item *it = *find(c, name);
	if (it != NULL && now_ms - it->stored_ms < TG_INSPECT_IMAGE_TTL_MS) {
		const char *v = it->value;
		next_line(&v, out->id);
		if (!next_line(&v, out->user))
			out->user[0] = '\0';
		out->n_repo_digests = 0;
		while (out->n_repo_digests < TG_INSPECT_DIGESTS_MAX &&
		       next_line(&v, out->repo_digests[out->n_repo_digests]))
			out->n_repo_digests++;
		hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void tg_inspect_cache_forget_images(tg_inspect_cache *c)
{
	pthread_mutex_lock(&c->lock);
	drop_all(c);
	pthread_mutex_unlock(&c->lock);
}

/* Under a key no image name can have (names hold no control characters). */
#define STORE_KEY "\x01image-store"

void tg_inspect_cache_put_store(tg_inspect_cache *c, bool containerd, int64_t now_ms)
{
	tg_image_summary s;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", containerd ? "containerd" : "graphdriver");
	tg_inspect_cache_put_image(c, STORE_KEY, &s, now_ms);
}

bool tg_inspect_cache_get_store(tg_inspect_cache *c, int64_t now_ms, bool *containerd)
{
	tg_image_summary s;
	if (!tg_inspect_cache_get_image(c, STORE_KEY, now_ms, &s))
		return false;
	*containerd = strcmp(s.id, "containerd") == 0;
	return true;
}
