/* b64: standard base64 (RFC 4648 section 4, with '=' padding), as Go's
 * encoding/json reads and writes []byte fields in TUF metadata.
 *
 * Decoding follows Go's base64.StdEncoding: padding is required, CR and LF
 * anywhere in the input are skipped, and non-zero bits left over in the last
 * character are accepted (Go's decoder is not Strict). Anything else outside
 * the alphabet is an error. Encoding always gives canonical output, so
 * re-encoding decoded bytes reproduces what Go writes back.
 *
 * Pure functions, thread-safe.
 */
#ifndef TG_B64_H
#define TG_B64_H

#include <stddef.h>

#include "common/tg_buf.h"
#include "common/tg_error.h"

/* Decode the n characters at s. At most max bytes of output are accepted
 * (TG_ETOOBIG beyond). On success *out is a new malloc'd buffer the caller
 * frees with free() (never NULL, even for empty output) and *out_len its
 * length. Errors: TG_EINVAL (not base64), TG_ETOOBIG, TG_ENOMEM. */
int tg_b64_decode(const char *s, size_t n, size_t max, unsigned char **out,
		  size_t *out_len, tg_error *err);

/* Append the base64 of the n bytes at p to out (bounded by out->max).
 * Errors: TG_ETOOBIG, TG_ENOMEM. */
int tg_b64_encode(const unsigned char *p, size_t n, tg_buf *out, tg_error *err);

#endif
