/* registry_content: what signature checks read from a registry -
 * manifests, blobs and the artifacts that refer to an image (the OCI
 * referrers API, or its fallback tag schema) - each verified against its
 * digest and bounded in size.
 *
 * Content is addressed by digest, so what comes back is what was asked
 * for or an error: bytes whose sha256 differs from the digest asked for
 * are refused (a registry or proxy cannot substitute content). Nothing here
 * caches, trusts a signature or knows about policy. Thread-safe (after
 * tg_http_global_init).
 */
#ifndef TG_REGISTRY_CONTENT_H
#define TG_REGISTRY_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/tg_buf.h"
#include "common/tg_error.h"
#include "trustcache/http.h"
#include "trustcache/registry.h"

#define TG_REGISTRY_MEDIA_TYPE_MAX 256
#define TG_REGISTRY_REFERRERS_MAX 64

typedef struct tg_registry_content {
	tg_buf body;                                 /* the exact bytes (owned) */
	char media_type[TG_REGISTRY_MEDIA_TYPE_MAX]; /* Content-Type as sent, "" if none */
	char digest[TG_REGISTRY_DIGEST_SIZE];        /* sha256 of body */
} tg_registry_content;

/* GET repository's manifest ref (a tag, or "sha256:<hex>": then the bytes
 * must hash to it) from base_url ("http(s)://host[:port]"), at most
 * TG_REGISTRY_MANIFEST_MAX bytes, with the Accept of tg_registry.h plus
 * OCI artifact manifests. opts as for tg_registry_manifest_digest.
 * *out receives the content (free with tg_registry_content_free). Errors:
 * TG_EINVAL (bad arguments), TG_ENOTFOUND (HTTP 404), TG_EIO (other status,
 * content that does not match its digest, network), TG_ETOOBIG, TG_ETIMEOUT,
 * TG_ENOMEM. */
int tg_registry_fetch_manifest(const char *base_url, const char *repository, const char *ref,
                               const tg_http_options *opts, tg_registry_content *out,
                               tg_error *err);

/* GET the blob digest of repository, at most max bytes (0: 4 MiB); the
 * bytes must hash to digest. Errors as tg_registry_fetch_manifest. */
int tg_registry_fetch_blob(const char *base_url, const char *repository, const char *digest,
                           size_t max, const tg_http_options *opts, tg_registry_content *out,
                           tg_error *err);

void tg_registry_content_free(tg_registry_content *c);

/* A manifest that refers to an image (a signature, an attestation). */
typedef struct tg_registry_descriptor {
	char media_type[TG_REGISTRY_MEDIA_TYPE_MAX];
	char artifact_type[TG_REGISTRY_MEDIA_TYPE_MAX]; /* "" when not given */
	char digest[TG_REGISTRY_DIGEST_SIZE];
	long long size;
} tg_registry_descriptor;

typedef struct tg_registry_referrers {
	size_t n;
	tg_registry_descriptor items[TG_REGISTRY_REFERRERS_MAX];
	bool by_tag_schema; /* from the fallback tag "sha256-<hex>", not the API */
} tg_registry_referrers;

/* The manifests that refer to repository@digest:
 * `GET /v2/<repository>/referrers/<digest>`; where a registry has no
 * referrers API (404, as Debian's docker-registry), the index under the
 * fallback tag "sha256-<hex>". No index at all: n = 0, not an error.
 * Entries whose digest is malformed are left out. Errors as
 * tg_registry_fetch_manifest; TG_ETOOBIG past TG_REGISTRY_REFERRERS_MAX
 * entries; TG_EIO for an answer that is not an image index. */
int tg_registry_list_referrers(const char *base_url, const char *repository, const char *digest,
                               const tg_http_options *opts, tg_registry_referrers *out,
                               tg_error *err);

#endif
