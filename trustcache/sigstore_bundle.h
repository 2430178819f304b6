/* sigstore_bundle: a Sigstore bundle (v0.1 - v0.3 media types) whose
 * content is a DSSE envelope holding an in-toto statement - what cosign 3
 * attaches to an image - checked against public keys, in-process.
 *
 * Checked: the bundle's media type; the envelope's payload type
 * (application/vnd.in-toto+json); one of its signatures, over the DSSE
 * pre-authentication encoding
 *   "DSSEv1" SP len(type) SP type SP len(payload) SP payload
 * (not over the bare payload), by one of the keys (cosign.h's algorithms);
 * then the statement: an in-toto Statement (v1 or v0.1) with a subject whose
 * sha256 digest is the one asked for. Not checked: transparency-log entries
 * and signed timestamps (a bundle may carry them; they are ignored), and
 * certificate-based (keyless) verification material, which is refused.
 * Pure; thread-safe.
 */
#ifndef TG_SIGSTORE_BUNDLE_H
#define TG_SIGSTORE_BUNDLE_H

#include <stddef.h>

#include "common/tg_error.h"
#include "trustcache/cosign.h"

#define TG_SIGSTORE_BUNDLE_MAX (1024u * 1024)
#define TG_SIGSTORE_BUNDLE_TYPE_PREFIX "application/vnd.dev.sigstore.bundle"

/* cosign 3's image signatures: the statement's predicate type. */
#define TG_SIGSTORE_COSIGN_PREDICATE "https://sigstore.dev/cosign/sign/v1"

/* Verify bundle (len bytes of JSON) with keys for the subject digest
 * ("sha256:<hex>"); predicate_type, when not NULL, is the statement's
 * required predicateType (an image signature, not some other attestation
 * by the same key). *key_index (may be NULL) receives the key that
 * verified. Errors, each with a message for a person: TG_EINVAL (not a
 * bundle, not a DSSE in-toto bundle, keyless, no signature verifies, the
 * statement names other subjects), TG_ETOOBIG, TG_ENOMEM. */
int tg_sigstore_bundle_verify(const char *bundle, size_t len, const tg_cosign_keys *keys,
                              const char *subject_digest, const char *predicate_type,
                              size_t *key_index, tg_error *err);

#endif
