/* request: the AuthZReq message dockerd POSTs to the plugin, as data.
 *
 * dockerd encodes it with Go's json.Encoder from pkg/authorization's
 * Request struct: RequestMethod, RequestUri, RequestHeaders (canonical names,
 * one value each), RequestBody (base64; present only for JSON bodies it
 * forwarded). Every field is omitted when empty.
 *
 * Thread-safe; a tg_authz_request is immutable once parsed.
 */
#ifndef TG_REQUEST_H
#define TG_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "authz/jdoc.h"
#include "common/tg_error.h"

#define TG_REQUEST_MAX (8u * 1024 * 1024)     /* plugin message size cap */
#define TG_REQUEST_BODY_MAX (4u * 1024 * 1024) /* dockerd 29.3+ forwards at most 4 MiB */

typedef struct tg_authz_request {
	const char *method;      /* "POST" */
	const char *uri;         /* raw RequestUri */
	const tg_jnode *headers; /* object of strings, or NULL when there are none */
	unsigned char *body;     /* decoded RequestBody, NUL-terminated; NULL when absent */
	size_t body_len;
	tg_jdoc envelope;        /* the parsed message the fields above point into */
} tg_authz_request;

/* Parse an AuthZReq message. *out receives a new request (free with
 * tg_authz_request_free). Errors: TG_EINVAL (not JSON, not an object,
 * missing method or URI, wrong field types, bad base64), TG_ETOOBIG,
 * TG_ENOMEM. The message says what was wrong. */
int tg_authz_request_parse(const char *data, size_t len, tg_authz_request **out, tg_error *err);

/* Value of header name (compared case-insensitively), or NULL. Borrowed. */
const char *tg_authz_request_header(const tg_authz_request *req, const char *name);

void tg_authz_request_free(tg_authz_request *req);

#endif
