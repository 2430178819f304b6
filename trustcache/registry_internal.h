/* registry_internal: what registry.c (tags) and registry_content.c
 * (manifests, blobs, referrers) share. Not a public contract: see
 * registry.h and registry_content.h. */
#ifndef TG_REGISTRY_INTERNAL_H
#define TG_REGISTRY_INTERNAL_H

#include <stddef.h>

#include "common/tg_buf.h"
#include "common/tg_error.h"
#include "trustcache/registry.h"

/* The Accept header line for the four manifest types dockerd accepts. */
extern const char *const tgr_manifest_accept[];

/* distribution/reference grammar: a repository path, a tag or digest. */
int tgr_repository_valid(const char *repository);
int tgr_tag_valid(const char *tag);

/* base_url is "http(s)://host[:port]" with nothing that could change a
 * request built on it (query, fragment, credentials, spaces). */
int tgr_check_base_url(const char *base_url, tg_error *err);

/* host[:port] of a base URL, for messages. */
void tgr_registry_name(const char *base, char *out, size_t n);

/* The error for a non-200 answer about repo's tag (or digest). */
int tgr_status_error(long status, const char *reg, const char *repo, const char *tag,
                     tg_error *err);

/* "sha256:<hex>" of b's bytes. */
int tgr_sha256_digest(const tg_buf *b, char out[TG_REGISTRY_DIGEST_SIZE], tg_error *err);

#endif
