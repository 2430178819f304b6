/* b64: see b64.h. A table-free decoder: the alphabet is small enough that a
 * switch on character ranges is clearer than a 256-entry table. */
#include "trustcache/b64.h"

#include <stdlib.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of one base64 character, or -1. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Collect the significant characters (CR/LF dropped) into a new string. */
static int strip_newlines(const char *s, size_t n, char **out, size_t *out_len)
{
	char *t = malloc(n + 1);
	if (t == NULL)
		return TG_ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\r' && s[i] != '\n')
			t[m++] = s[i];
	}
	*out = t;
	*out_len = m;
	return TG_OK;
}

/* Decode one 4-character quantum at q into dst; returns bytes written or -1.
 * last says whether '=' padding may appear. */
static int decode_quantum(const char *q, int last, unsigned char *dst)
{
	int v[4];
	int pad = 0;
	for (int i = 0; i < 4; i++) {
		if (q[i] == '=' && last && i >= 2) {
			v[i] = 0;
			pad++;
			continue;
		}
		if (pad > 0)
			return -1; /* data after padding */
		v[i] = b64_value((unsigned char)q[i]);
		if (v[i] < 0)
			return -1;
	}
	unsigned long w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
			  ((unsigned long)v[2] << 6) | (unsigned long)v[3];
	dst[0] = (unsigned char)(w >> 16);
	dst[1] = (unsigned char)(w >> 8);
	dst[2] = (unsigned char)w;
	return 3 - pad;
}

int tg_b64_decode(const char *s, size_t n, size_t max, unsigned char **out,
		  size_t *out_len, tg_error *err)
{
	char *t = NULL;
	size_t m = 0;
	unsigned char *buf = NULL;
	int rc = strip_newlines(s, n, &t, &m);
	if (rc != TG_OK) {
		rc = tg_error_set(err, rc, "out of memory decoding base64");
		goto out;
	}
	if (m % 4 != 0) {
		rc = tg_error_set(err, TG_EINVAL, "base64: length %zu is not a multiple of 4", m);
		goto out;
	}
	if (m / 4 * 3 > max + 2) {
		rc = tg_error_set(err, TG_ETOOBIG, "base64: more than %zu bytes of data", max);
		goto out;
	}
	buf = malloc(m / 4 * 3 + 1);
	if (buf == NULL) {
		rc = tg_error_set(err, TG_ENOMEM, "out of memory decoding base64");
		goto out;
	}
	size_t len = 0;
	for (size_t i = 0; i < m; i += 4) {
		int k = decode_quantum(t + i, i + 4 == m, buf + len);
		if (k < 0) {
			rc = tg_error_set(err, TG_EINVAL, "base64: bad character near offset %zu", i);
			goto out;
		}
		len += (size_t)k;
	}
	if (len > max) {
		rc = tg_error_set(err, TG_ETOOBIG, "base64: more than %zu bytes of data", max);
		goto out;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = TG_OK;
out:
	free(buf);
	free(t);
	return rc;
}

int tg_b64_encode(const unsigned char *p, size_t n, tg_buf *out, tg_error *err)
{
	for (size_t i = 0; i < n; i += 3) {
		size_t left = n - i;
		unsigned long w = (unsigned long)p[i] << 16;
		if (left > 1)
			w |= (unsigned long)p[i + 1] << 8;
		if (left > 2)
			w |= p[i + 2];
		char q[4] = {alphabet[(w >> 18) & 63], alphabet[(w >> 12) & 63],
			     left > 1 ? alphabet[(w >> 6) & 63] : '=',
			     left > 2 ? alphabet[w & 63] : '='};
		int rc = tg_buf_append(out, q, sizeof(q));
		if (rc != TG_OK)
			return tg_error_set(err, rc, "base64 output exceeds %zu bytes", out->max);
	}
	return TG_OK;
}
