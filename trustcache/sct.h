/* sct: the certificate-transparency proof embedded in a keyless signing
 * certificate (RFC 6962 signed certificate timestamps, extension
 * 1.3.6.1.4.1.11129.2.4.2), checked offline against a trusted root's
 * "ctlogs": Fulcio logs every certificate it issues in a CT log, so a
 * certificate without a valid SCT was not publicly logged.
 *
 * When the root names CT logs, one SCT at least must verify: v1, from a log
 * of the root (by log id) valid at the SCT's time, signed over the
 * precertificate entry (the issuer's key hash and the certificate's TBS
 * without the SCT extension). A root without CT logs (a private Sigstore
 * without CT) requires none.
 *
 * Pure; thread-safe.
 */
#ifndef TG_SCT_H
#define TG_SCT_H

#include <openssl/x509.h>

#include "common/tg_error.h"
#include "trustcache/sigstore_root.h"

/* Check leaf's SCTs; issuer is the certificate that issued it. Errors:
 * TG_EINVAL with the reason, TG_ENOMEM. */
int tg_sct_verify(const tg_sigstore_root *root, X509 *leaf, X509 *issuer, tg_error *err);

#endif
