/* tg_json_out: see tg_json_out.h. */
#include "common/tg_json_out.h"

#include <stdio.h>
#include <string.h>

#include "common/tg_error.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0)
		return 0;
	unsigned long cp = p[0] & (0x7F >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	static const unsigned long min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

int tg_json_put_string(tg_buf *b, const char *s)
{
	if (s == NULL)
		return tg_buf_puts(b, "null");
	int rc = tg_buf_append(b, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	while (rc == TG_OK && *p) {
		size_t run = 0; /* plain characters copied as they are */
		while (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
			run++;
		if (run > 0) {
			rc = tg_buf_append(b, p, run);
			p += run;
			continue;
		}
		char esc[8];
		size_t n = utf8_len(p);
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			rc = tg_buf_append(b, esc, 2);
			p++;
		} else if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			rc = tg_buf_append(b, esc, 6);
			p++;
		} else if (n > 0) {
			rc = tg_buf_append(b, p, n);
			p += n;
		} else {
			rc = tg_buf_puts(b, "\\ufffd");
			p++;
		}
	}
	return rc == TG_OK ? tg_buf_append(b, "\"", 1) : rc;
}

int tg_json_put_field(tg_buf *b, const char *name, const char *s, int first)
{
	int rc = first ? TG_OK : tg_buf_append(b, ",", 1);
	if (rc == TG_OK)
		rc = tg_json_put_string(b, name);
	if (rc == TG_OK)
		rc = tg_buf_append(b, ":", 1);
	return rc == TG_OK ? tg_json_put_string(b, s) : rc;
}
