/* tg_error: the one error convention of trustgate.
 *
 * Functions that can fail return 0 (TG_OK) or a negative TG_E* code and, when
 * the caller passed a tg_error, fill it with the code and a human-readable
 * message. Codes pass upward unchanged. Out-parameters are set only on
 * success. A tg_error is caller-owned storage; nothing in it needs freeing.
 */
#ifndef TG_ERROR_H
#define TG_ERROR_H

#include <stddef.h>

enum tg_code {
	TG_OK = 0,
	TG_EINVAL = -1,     /* input is malformed or not allowed */
	TG_ENOMEM = -2,     /* allocation failed */
	TG_ETOOBIG = -3,    /* input exceeds a fixed bound */
	TG_EIO = -4,        /* file or socket error (errno text in message) */
	TG_ENOTFOUND = -5,  /* a looked-up thing is absent */
	TG_EAMBIGUOUS = -6, /* input could be read two ways; refused */
	TG_ETIMEOUT = -7,   /* a deadline passed */
	TG_EWOULDBLOCK = -8, /* the answer needs I/O the caller asked not to do */
};

#define TG_ERROR_MSG_MAX 512

typedef struct tg_error {
	int code;
	char msg[TG_ERROR_MSG_MAX];
} tg_error;

/* Record code and a printf-style message in err (err may be NULL).
 * Returns code, so callers can write `return tg_error_set(err, ...)`. */
int tg_error_set(tg_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reset err to TG_OK with an empty message (err may be NULL). */
void tg_error_clear(tg_error *err);

/* Short name of a code, e.g. "TG_EINVAL". Never NULL. */
const char *tg_code_name(int code);

#endif
