/* rfc3161: signed timestamps (RFC 3161 TimeStampResp, as Sigstore bundles
 * carry them in timestampVerificationData.rfc3161Timestamps) checked
 * offline against a trusted root's timestamp authorities.
 *
 * A timestamp proves when a signature existed: its message imprint must be
 * the hash (with the token's algorithm: SHA-256, -384 or -512) of the
 * signature's bytes; it must be signed by a timestamp authority of the root
 * whose validity window holds its time, with that authority's own
 * timestamping certificate (the first of its chain: another certificate
 * under the same CA is another authority), through that authority's chain
 * (the certificates in the token are used only as intermediates, never as
 * anchors), valid at that time, with the timeStamping extended key usage
 * (OpenSSL's TS_RESP_verify_response). Nothing may follow the response.
 *
 * Pure; thread-safe.
 */
#ifndef TG_RFC3161_H
#define TG_RFC3161_H

#include <stddef.h>
#include <time.h>

#include "common/tg_error.h"
#include "trustcache/sigstore_root.h"

/* Verify the DER TimeStampResp in der[0..len) for signature sig. On TG_OK
 * *when is the time it states. Errors: TG_EINVAL with the reason (not a
 * timestamp, for other bytes, no authority valid then, its signature or
 * chain does not verify), TG_ENOMEM. */
int tg_rfc3161_verify(const tg_sigstore_root *root, const unsigned char *der, size_t len,
                      const unsigned char *sig, size_t sig_len, time_t *when, tg_error *err);

#endif
