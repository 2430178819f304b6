/* sigstore_bundle: a Sigstore bundle (media types v0.1 to v0.3) checked
 * offline, in-process, for a subject digest, either against public keys
 * (cosign's key-based mode) or keylessly against a trusted root and the
 * identities an admin accepts.
 *
 * Content: a DSSE envelope holding an in-toto statement (what cosign 3
 * attaches to an image: one of its signatures over the DSSE
 * pre-authentication encoding "DSSEv1 SP len(type) SP type SP len(payload)
 * SP payload", then a statement (in-toto v1 or v0.1) naming the digest as a
 * subject, and with the predicate type asked for), or a message signature
 * (what `cosign sign-blob` makes: the messageDigest is the digest, SHA-256,
 * and the signature is over it).
 *
 * Key-based: the signature verifies with one of the keys; a bundle with a
 * certificate is refused. When a log is required (the policy gives a root of
 * logs), one of its entries must prove it, as for keyless.
 *
 * Keyless: the bundle's certificate (v0.3 "certificate", older
 * "x509CertificateChain": its first) signs the content; its identity (SAN
 * and OIDC issuer) is one the policy accepts, exactly; one of its
 * transparency-log entries (rekor.h) is from a log of the trusted root,
 * carries a verified inclusion proof and checkpoint (required after bundle
 * v0.1) and/or signed entry timestamp, and records this signature by this
 * certificate over this content (hashedrekord 0.0.1 or 0.0.2 for a
 * message, dsse 0.0.1, intoto 0.0.2 or hashedrekord 0.0.2 for an envelope). The times of
 * signing are the entry's integrated time when its signed entry timestamp
 * verified, and the time of every RFC 3161 timestamp in the bundle (each
 * must verify, rfc3161.h); there must be one at least, and the certificate
 * (sigstore_cert.h, SCTs included) and the log must have been valid at
 * each. Not covered: dsse 0.0.2 entries, SHA-384/512 message digests.
 *
 * Pure; thread-safe.
 */
#ifndef TG_SIGSTORE_BUNDLE_H
#define TG_SIGSTORE_BUNDLE_H

#include <stddef.h>

#include "common/tg_error.h"
#include "trustcache/cosign.h"
#include "trustcache/sigstore_cert.h"
#include "trustcache/sigstore_root.h"

#define TG_SIGSTORE_BUNDLE_MAX (1024u * 1024)
#define TG_SIGSTORE_BUNDLE_TYPE_PREFIX "application/vnd.dev.sigstore.bundle"
#define TG_SIGSTORE_BUNDLE_ENTRIES_MAX 8

/* cosign 3's image signatures: the statement's predicate type. */
#define TG_SIGSTORE_COSIGN_PREDICATE "https://sigstore.dev/cosign/sign/v1"

/* An identity a keyless signature may be made by: the certificate's SAN
 * (a URI or email address) and OIDC issuer, both compared exactly. */
typedef struct {
	const char *subject;
	const char *issuer;
} tg_sigstore_signer;

/* What verifies. keys set: key-based, with root the logs an entry must be
 * in (NULL: no entry required). keys NULL: keyless, root (certificate
 * authorities and logs) and 1 or more signers required. */
typedef struct {
	const tg_cosign_keys *keys;
	const tg_sigstore_root *root;
	const tg_sigstore_signer *signers;
	size_t n_signers;
	const char *predicate_type; /* DSSE: the required predicateType, or NULL */
} tg_sigstore_policy;

/* Who signed, for messages and the audit log. */
typedef struct {
	size_t key_index;              /* key-based: the key that verified */
	tg_sigstore_identity identity; /* keyless: the certificate's identity */
	long long integrated_time;     /* of the entry that proved it, or -1 */
	long long log_index;           /* likewise */
} tg_sigstore_verified;

/* Verify bundle (len bytes of JSON) under policy for subject_digest
 * ("sha256:<hex>"). *out (may be NULL) says who signed. Errors, each with
 * a message for a person: TG_EINVAL (not a bundle, no signature verifies,
 * another subject or identity, a log entry missing or not proving it, the
 * certificate not trusted at the logged time), TG_ETOOBIG, TG_ENOMEM. */
int tg_sigstore_bundle_verify(const char *bundle, size_t len, const tg_sigstore_policy *policy,
                              const char *subject_digest, tg_sigstore_verified *out,
                              tg_error *err);

#endif
