/* tg_buf: see tg_buf.h. Growth doubles, capped at max + 1 (the terminator). */
#include "common/tg_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tg_error.h"

void tg_buf_init(tg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int reserve(tg_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return TG_ETOOBIG;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return TG_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
	char *p = realloc(b->data, cap);
	if (p == NULL)
		return TG_ENOMEM;
	b->data = p;
	b->cap = cap;
	return TG_OK;
}

int tg_buf_append(tg_buf *b, const void *p, size_t n)
{
	int rc = reserve(b, n);
	if (rc != TG_OK)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return TG_OK;
}

int tg_buf_puts(tg_buf *b, const char *s)
{
	return tg_buf_append(b, s, strlen(s));
}

int tg_buf_printf(tg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TG_EINVAL;
	int rc = reserve(b, (size_t)n);
	if (rc != TG_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return TG_OK;
}

const char *tg_buf_str(const tg_buf *b)
{
	return b->data ? b->data : "";
}

void tg_buf_clear(tg_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void tg_buf_free(tg_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int tg_buf_read_file(tg_buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return TG_EIO;
	char chunk[16384];
	size_t n;
	int rc = TG_OK;
	while (rc == TG_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = tg_buf_append(b, chunk, n);
	if (rc == TG_OK && ferror(f))
		rc = TG_EIO;
	fclose(f);
	return rc;
}
