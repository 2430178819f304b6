/* registry: what a Docker registry (distribution API v2) says a tag points
 * to - the manifest digest - fetched over trustcache/http.
 *
 * `HEAD <base>/v2/<repository>/manifests/<tag>` with an Accept of the four
 * manifest types dockerd accepts answers with Docker-Content-Digest. A
 * registry that leaves the header out is asked with GET, and the digest is
 * the sha256 of the exact manifest bytes (that is what the digest means, so
 * it is also what a signature names). Bearer token authentication is done
 * by tg_http_get. Nothing here caches or knows about policy.
 */
#ifndef TG_REGISTRY_H
#define TG_REGISTRY_H

#include <stddef.h>

#include "common/tg_error.h"
#include "trustcache/http.h"

/* "sha256:" + 64 lower-case hex digits + NUL. */
#define TG_REGISTRY_DIGEST_SIZE 72

/* Largest manifest read when the digest must be computed. */
#define TG_REGISTRY_MANIFEST_MAX ((size_t)4 << 20)

/* Longest base URL tg_registry_base_url writes, terminator included. */
#define TG_REGISTRY_BASE_URL_MAX 300

/* Resolve repository:tag on the registry at base_url ("https://host[:port]",
 * no path; a trailing '/' is allowed) to its manifest digest.
 * repository is the path inside the registry ("acme/signed",
 * "library/alpine"); tag is a tag ("1", "latest") or a digest
 * ("sha256:<hex>", then the registry's answer must equal it).
 * opts (may be NULL) gives the CA file, deadline (for the whole lookup),
 * credentials or token; its head, headers and max_body are ignored.
 * On 0 digest_out holds "sha256:<64 lower hex>". Errors:
 *   TG_EINVAL    base_url, repository or tag malformed
 *   TG_ENOTFOUND the registry has no such manifest (HTTP 404):
 *                "registry 127.0.0.1:5005 has no tag \"1\" for acme/signed"
 *   TG_EIO       access refused (401/403 after authentication), another
 *                status, a malformed or inconsistent digest, or a network
 *                failure (message from tg_http_get, prefixed)
 *   TG_ETIMEOUT, TG_ETOOBIG, TG_ENOMEM as from tg_http_get.
 * Thread-safe (after tg_http_global_init). */
int tg_registry_manifest_digest(const char *base_url, const char *repository, const char *tag,
                                const tg_http_options *opts,
                                char digest_out[TG_REGISTRY_DIGEST_SIZE], tg_error *err);

/* Write the base URL of the registry named by host (a reference's domain,
 * "host[:port]" or "[v6]:port") into out (n bytes):
 *   "docker.io", "index.docker.io" -> "https://registry-1.docker.io"
 *   loopback ("localhost", "127.x.x.x", "[::1]", any port) -> "http://HOST",
 *     because dockerd treats those as insecure (plain http) registries by
 *     default (the name is not resolved: a name that merely resolves to
 *     127.0.0.1 still gets https)
 *   anything else -> "https://HOST".
 * Returns 0, TG_EINVAL (host empty or with characters a host cannot have)
 * or TG_ETOOBIG (out too small; out is then left untouched). Pure. */
int tg_registry_base_url(const char *host, char *out, size_t n);

/* Nonzero when s is "sha256:" followed by exactly 64 lower-case hex digits. */
int tg_registry_digest_valid(const char *s);

/* The digest of len bytes at data: "sha256:<64 lower hex>" into out.
 * Returns 0, or TG_ENOMEM when OpenSSL cannot compute it. Pure. */
int tg_registry_sha256(const void *data, size_t len, char out[TG_REGISTRY_DIGEST_SIZE]);

#endif
