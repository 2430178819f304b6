/* gojson: see gojson.h.
 *
 * Field names in Docker's API structs are ASCII. Under Unicode simple case
 * folding the only non-ASCII code points whose fold orbit contains an ASCII
 * letter are U+017F (s) and U+212A (k); every other non-ASCII code point can
 * never match an ASCII field name. jdoc has already rejected invalid UTF-8
 * and NUL, so keys here are well-formed C strings.
 */
#include "authz/gojson.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Decode one UTF-8 code point from *p and advance. Input is valid UTF-8. */
static unsigned long next_code_point(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long cp;
	int extra;
	if (s[0] < 0x80) {
		cp = s[0];
		extra = 0;
	} else if ((s[0] & 0xE0) == 0xC0) {
		cp = s[0] & 0x1F;
		extra = 1;
	} else if ((s[0] & 0xF0) == 0xE0) {
		cp = s[0] & 0x0F;
		extra = 2;
	} else {
		cp = s[0] & 0x07;
		extra = 3;
	}
	for (int i = 1; i <= extra && s[i] != '\0'; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	*p = s + 1 + extra;
	return cp;
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool code_point_folds_to(unsigned long cp, char field_char)
{
	char f = ascii_lower(field_char);
	if (cp < 0x80)
		return ascii_lower((char)cp) == f;
	return (cp == 0x17F && f == 's') || (cp == 0x212A && f == 'k');
}

int tg_gojson_key_matches(const char *key, const char *field)
{
	const unsigned char *k = (const unsigned char *)key;
	const char *f = field;
	while (*k != '\0' && *f != '\0') {
		if (!code_point_folds_to(next_code_point(&k), *f))
			return 0;
		f++;
	}
	return *k == '\0' && *f == '\0';
}

int tg_gojson_get(const tg_jnode *obj, const char *field, const tg_jnode **out, tg_error *err)
{
	if (obj == NULL || obj->type == TG_JNULL) {
		*out = NULL;
		return TG_OK;
	}
	if (obj->type != TG_JOBJECT)
		return tg_error_set(err, TG_EINVAL, "expected a JSON object holding \"%s\"", field);
	const char *first_key = NULL;
	const tg_jnode *k = tg_jnode_first(obj), *found = NULL;
	for (uint32_t i = 0; i < obj->len; i++, k = tg_jnode_skip(k + 1)) {
		const char *key = k->str;
		const tg_jnode *value = k + 1;
		if (!tg_gojson_key_matches(key, field))
			continue;
		if (found != NULL)
			return tg_error_set(err, TG_EAMBIGUOUS,
			                    "the JSON body sets \"%s\" more than once (as \"%.60s\" and \"%.60s\"); "
			                    "dockerd would use one of them, trustgate cannot tell which was meant",
			                    field, first_key, key);
		found = value;
		first_key = key;
	}
	*out = found;
	return TG_OK;
}

int tg_gojson_get_path(const tg_jnode *obj, const char *path, const tg_jnode **out,
                       tg_error *err)
{
	char field[128];
	const tg_jnode *cur = obj;
	const char *p = path;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n >= sizeof(field))
			return tg_error_set(err, TG_EINVAL, "bad field path \"%s\"", path);
		memcpy(field, p, n);
		field[n] = '\0';
		const tg_jnode *next = NULL;
		int rc = tg_gojson_get(cur, field, &next, err);
		if (rc != TG_OK)
			return rc;
		if (dot == NULL || next == NULL || next->type == TG_JNULL) {
			*out = (dot == NULL) ? next : NULL;
			return TG_OK;
		}
		if (next->type != TG_JOBJECT)
			return tg_error_set(err, TG_EINVAL, "\"%s\" in the JSON body is not an object", field);
		cur = next;
		p = dot + 1;
	}
}
