/* tg_buf: a growable byte buffer with a hard maximum.
 *
 * Every buffer filled from outside input has a limit; going over it is an
 * error (TG_ETOOBIG), never an endless reallocation. The content is always
 * NUL-terminated (the terminator is not counted in len), so text can be
 * handed to string functions. Not thread-safe; one owner at a time.
 */
#ifndef TG_BUF_H
#define TG_BUF_H

#include <stddef.h>

typedef struct tg_buf {
	char *data;  /* NULL until the first append; owned */
	size_t len;  /* bytes used, excluding the terminator */
	size_t cap;  /* bytes allocated */
	size_t max;  /* largest len allowed */
} tg_buf;

/* Start an empty buffer that may hold up to max bytes. No allocation. */
void tg_buf_init(tg_buf *b, size_t max);

/* Append n bytes. Returns 0, TG_ETOOBIG (len would pass max; b unchanged)
 * or TG_ENOMEM. */
int tg_buf_append(tg_buf *b, const void *p, size_t n);

/* Append a NUL-terminated string. Same returns as tg_buf_append. */
int tg_buf_puts(tg_buf *b, const char *s);

/* Append printf-style text. Same returns as tg_buf_append. */
int tg_buf_printf(tg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append the whole file at path. Returns 0, TG_EIO (cannot be opened or
 * read), TG_ETOOBIG (longer than what b may still hold) or TG_ENOMEM. */
int tg_buf_read_file(tg_buf *b, const char *path);

/* Text of the buffer: "" when empty, never NULL. Borrowed. */
const char *tg_buf_str(const tg_buf *b);

/* Empty the buffer, keeping its storage. */
void tg_buf_clear(tg_buf *b);

/* Free the storage and reset to empty (keeps max). Accepts NULL. */
void tg_buf_free(tg_buf *b);

#endif
