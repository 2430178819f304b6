/* tg_json_out: writing JSON text into a bounded buffer, for the lines and
 * answers trustgate produces on every request (audit log, AuthZ answers).
 *
 * Strings are escaped as JSON requires (quote, backslash, control
 * characters as \uXXXX) and any byte sequence that is not valid UTF-8 is
 * written as U+FFFD, so text that came from a request can always be logged
 * (a JSON library refuses such strings, and the line would be lost).
 * Not thread-safe per buffer; no global state.
 */
#ifndef TG_JSON_OUT_H
#define TG_JSON_OUT_H

#include "common/tg_buf.h"

/* Append s as a JSON string (with its quotes); NULL is written as null.
 * Returns 0, TG_ETOOBIG or TG_ENOMEM (as tg_buf_append). */
int tg_json_put_string(tg_buf *b, const char *s);

/* Append "name":value where value is the string s (NULL: null), preceded
 * by a comma unless first. Same returns. */
int tg_json_put_field(tg_buf *b, const char *name, const char *s, int first);

#endif
