/* inspect_cache: what dockerd said about images, kept a short while, so
 * the I/O threads can decide a create without asking dockerd again (which
 * only a lookup thread may do).
 *
 * Why it is safe to keep: a name -> image answer can go stale when a tag
 * moves, so it is kept TG_INSPECT_IMAGE_TTL_MS at most, and every request
 * that can move a name (pull, tag, load, import, build, commit, image
 * removal) forgets all of them first. A stale answer could only let a
 * create through; the start that must follow asks dockerd which image the
 * container has, uncached. (Containers are not kept: a container name can
 * be taken by another container, even one named like an old ID.)
 *
 * Bounded (TG_INSPECT_CACHE_MAX entries; full means start over). Thread-safe.
 */
#ifndef TG_INSPECT_CACHE_H
#define TG_INSPECT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tg_error.h"

#define TG_INSPECT_IMAGE_TTL_MS 2000
#define TG_INSPECT_CACHE_MAX 4096
#define TG_INSPECT_DIGESTS_MAX 16
#define TG_INSPECT_TEXT_MAX 400

typedef struct tg_inspect_cache tg_inspect_cache;

/* An image as a decision needs it: its ID, repo digests and user. */
typedef struct tg_image_summary {
	char id[TG_INSPECT_TEXT_MAX];
	char user[TG_INSPECT_TEXT_MAX]; /* Config.User */
	size_t n_repo_digests;
	char repo_digests[TG_INSPECT_DIGESTS_MAX][TG_INSPECT_TEXT_MAX];
} tg_image_summary;

/* *out receives an empty cache (free with tg_inspect_cache_free).
 * Errors: TG_ENOMEM. */
int tg_inspect_cache_new(tg_inspect_cache **out, tg_error *err);

/* Accepts NULL. */
void tg_inspect_cache_free(tg_inspect_cache *c);

/* Keep what dockerd said about the image named name (as the request
 * wrote it) at now_ms (CLOCK_MONOTONIC). Silently keeps nothing when out
 * of memory or when a text is too long. */
void tg_inspect_cache_put_image(tg_inspect_cache *c, const char *name, const tg_image_summary *img,
                                int64_t now_ms);

/* The image answer for name, if younger than TG_INSPECT_IMAGE_TTL_MS. */
bool tg_inspect_cache_get_image(tg_inspect_cache *c, const char *name, int64_t now_ms,
                                tg_image_summary *out);

/* Keep whether dockerd uses containerd's image store (kept, and forgotten,
 * as image answers are). */
void tg_inspect_cache_put_store(tg_inspect_cache *c, bool containerd, int64_t now_ms);
bool tg_inspect_cache_get_store(tg_inspect_cache *c, int64_t now_ms, bool *containerd);

/* Forget every name -> image answer (a name may be about to move). */
void tg_inspect_cache_forget_images(tg_inspect_cache *c);

#endif
