/* cosign: Sigstore cosign signatures checked with public keys (cosign's
 * key-based mode), in-process with OpenSSL. Pure: the caller fetches.
 *
 * cosign's classic layout: an image sha256:<hex> is signed by a manifest
 * under the tag "sha256-<hex>.sig" in the same repository. Each of its
 * layers is a simple-signing payload (media type
 * application/vnd.dev.cosign.simplesigning.v1+json) with its signature, in
 * base64, in the layer annotation "dev.cosignproject.cosign/signature". The
 * payload is JSON:
 *   {"critical": {"identity": {"docker-reference": "..."},
 *                 "image": {"docker-manifest-digest": "sha256:..."},
 *                 "type": "cosign container image signature"},
 *    "optional": {...}}
 * It signs an image when the signature over the exact payload bytes checks
 * with a trusted key and docker-manifest-digest is that image's digest (the
 * identity is not checked: cosign does not bind it either by default).
 * Keys are PEM public keys: ECDSA (P-256, P-384, P-521) and RSA verified over
 * SHA-256 (RSA with PKCS#1 v1.5), as cosign verifies, and Ed25519.
 *
 * A tg_cosign_keys is immutable once loaded: thread-safe to share.
 */
#ifndef TG_COSIGN_H
#define TG_COSIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/types.h>

#include "common/tg_error.h"
#include "trustcache/sigstore_root.h"

#define TG_COSIGN_SIG_TAG_SUFFIX ".sig"
#define TG_COSIGN_SIGNATURE_ANNOTATION "dev.cosignproject.cosign/signature"
#define TG_COSIGN_PAYLOAD_MAX (64u * 1024)
#define TG_COSIGN_KEYS_MAX 16
/* The Rekor entry of a classic signature: {"SignedEntryTimestamp": B64,
 * "Payload": {"body": B64, "integratedTime": N, "logIndex": N, "logID": HEX}} */
#define TG_COSIGN_BUNDLE_ANNOTATION "dev.sigstore.cosign/bundle"

typedef struct tg_cosign_keys tg_cosign_keys;

/* Load the PEM public keys in files[0..n) (1 .. TG_COSIGN_KEYS_MAX). *out
 * receives them (free with tg_cosign_keys_free). Errors: TG_EINVAL (a file
 * that is not a PEM public key of a supported type: its name is in the
 * message), TG_EIO (unreadable), TG_ENOMEM. */
int tg_cosign_keys_load(const char *const *files, size_t n, tg_cosign_keys **out,
                        tg_error *err);

void tg_cosign_keys_free(tg_cosign_keys *keys);

/* How many keys there are, and the i-th (borrowed, i < count). */
size_t tg_cosign_keys_count(const tg_cosign_keys *keys);
EVP_PKEY *tg_cosign_keys_at(const tg_cosign_keys *keys, size_t i);

/* Whether sig (raw bytes) is one of keys' signatures over msg (SHA-256;
 * Ed25519 as is); *key_index (may be NULL) receives which. */
bool tg_cosign_keys_verify(const tg_cosign_keys *keys, const unsigned char *msg, size_t len,
                           const unsigned char *sig, size_t sig_len, size_t *key_index);

/* Check one signature: payload (the exact layer bytes) signed as sig_b64
 * by one of keys, for the image image_digest. On TG_OK *key_index (may be
 * NULL) is the index of the key that verified. Errors, each with a message
 * for a person: TG_EINVAL (signature not base64, or no key verifies it;
 * payload not JSON, not a cosign container image signature, or for another
 * digest), TG_ETOOBIG (payload over TG_COSIGN_PAYLOAD_MAX), TG_ENOMEM. */
int tg_cosign_verify(const tg_cosign_keys *keys, const unsigned char *payload, size_t payload_len,
                     const char *sig_b64, const char *image_digest, size_t *key_index,
                     tg_error *err);

/* Check a classic signature's transparency-log entry (the layer annotation
 * TG_COSIGN_BUNDLE_ANNOTATION, as JSON text) offline: its signed entry
 * timestamp must verify with the key of one of logs' logs (named by the
 * entry's logID: the sha256 of the log's key), and the entry (a
 * hashedrekord) must record this signature (sig_b64) by signer over this
 * payload (its sha256). Errors: TG_EINVAL with the reason (no entry, unknown
 * log, bad SET, another signature, signer or payload, not a hashedrekord),
 * TG_ENOMEM. */
int tg_cosign_verify_tlog(const tg_sigstore_root *logs, const char *entry_json,
                          const unsigned char *payload, size_t payload_len, const char *sig_b64,
                          EVP_PKEY *signer, tg_error *err);

#endif
