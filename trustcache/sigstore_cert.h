/* sigstore_cert: the signing certificate of a keyless Sigstore signature (a
 * Fulcio-style short-lived certificate), checked offline against a trusted
 * root at a given time, and the identity it certifies.
 *
 * Checked: the certificate chains (OpenSSL's X509_verify_cert, with the
 * chain's root as the only trust anchor and its other certificates as
 * intermediates) to one certificate authority of the trusted root that is
 * valid at that time, every certificate of the chain valid at that time; the
 * leaf allows code signing (extended key usage). The identity: the
 * certificate's one Subject Alternative Name (a URI or an email address)
 * and its OIDC issuer, from Fulcio's extension 1.3.6.1.4.1.57264.1.8 (a DER
 * UTF8String), else the older 1.3.6.1.4.1.57264.1.1 (the raw string).
 * When the root names certificate-transparency logs, one of the leaf's
 * embedded SCTs must verify with them (sct.h). Not checked: extended key
 * usage nesting in intermediates.
 *
 * Pure; thread-safe.
 */
#ifndef TG_SIGSTORE_CERT_H
#define TG_SIGSTORE_CERT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "common/tg_error.h"
#include "trustcache/sigstore_root.h"

#define TG_SIGSTORE_IDENTITY_MAX 1024

/* What a signing certificate certifies. */
typedef struct {
	char subject[TG_SIGSTORE_IDENTITY_MAX]; /* the SAN: URI or email address */
	char issuer[TG_SIGSTORE_IDENTITY_MAX];  /* the OIDC issuer */
} tg_sigstore_identity;

/* Check that leaf is a code-signing certificate issued through one of
 * root's certificate authorities and valid at time t. Errors: TG_EINVAL with
 * the reason (no authority valid at t, chain does not verify and why: e.g.
 * "certificate has expired" at t, not for code signing), TG_ENOMEM. */
int tg_sigstore_cert_verify(const tg_sigstore_root *root, X509 *leaf, time_t t, tg_error *err);

/* The identity leaf certifies, into *out. Errors: TG_EINVAL (no or several
 * SANs, an unsupported SAN type, no issuer extension, a value with a NUL
 * or too long). */
int tg_sigstore_cert_identity(X509 *leaf, tg_sigstore_identity *out, tg_error *err);

/* The DER certificate in der[0..len), or the first PEM certificate there
 * when it starts with "-----BEGIN". NULL when neither. */
X509 *tg_sigstore_cert_parse(const unsigned char *der, size_t len);

#endif
