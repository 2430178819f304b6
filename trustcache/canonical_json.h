/* canonical_json: the bytes Notary signs.
 *
 * Notary (tuf/signed/verify.go) decodes a document's "signed" object into a
 * generic Go map and re-encodes it with json.MarshalCanonical from
 * github.com/docker/go/canonical/json; signatures cover those bytes, not the
 * bytes on the wire. This module produces the same bytes from a jansson
 * value:
 *   - no whitespace; object members sorted by key, byte-wise (Go's string
 *     '<'), shorter prefix first;
 *   - in strings only '\\' and '"' are escaped (as \\ and \"); control
 *     characters, '<', '>', '&', U+2028/9 and all other UTF-8 are written
 *     raw;
 *   - null, true, false as is; integers in decimal.
 * Numbers: Go holds them as float64. A jansson real is refused (TG_EINVAL),
 * even an integral one such as 1.0 (Go would write it as 1; Notary never
 * emits reals, so refusing costs nothing and keeps one reading). An integer
 * beyond +/-2^53 is refused as TG_EAMBIGUOUS: Go would round it, so the
 * signed bytes would differ from the value jansson read.
 *
 * Pure functions, thread-safe (the value is only read).
 */
#ifndef TG_CANONICAL_JSON_H
#define TG_CANONICAL_JSON_H

#include <jansson.h>

#include "common/tg_buf.h"
#include "common/tg_error.h"

/* Deepest nesting of arrays/objects accepted (TG_ETOOBIG beyond). */
#define TG_CANONICAL_JSON_MAX_DEPTH 32

/* Append the canonical JSON of v to out; out's max bounds the output
 * (TG_ETOOBIG). On error out may hold a partial prefix; the caller frees it
 * either way with tg_buf_free. v is borrowed.
 * Errors: TG_EINVAL (real number, NULL v), TG_EAMBIGUOUS (integer beyond
 * 2^53), TG_ETOOBIG (output or depth bound), TG_ENOMEM. */
int tg_canonical_json_write(const json_t *v, tg_buf *out, tg_error *err);

#endif
