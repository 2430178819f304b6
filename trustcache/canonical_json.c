/* canonical_json: see canonical_json.h. A recursive walk of the jansson tree;
 * recursion depth is bounded by TG_CANONICAL_JSON_MAX_DEPTH. Object keys are
 * taken with their lengths (jansson keeps them NUL-safe) and sorted with
 * memcmp, which is Go's byte-wise string order. */
#include "trustcache/canonical_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE_INT 9007199254740992LL /* 2^53: float64 holds every integer up to here */

struct member {
	const char *key;
	size_t len;
	json_t *value;
};

static int write_value(const json_t *v, tg_buf *out, int depth, tg_error *err);

static int put(tg_buf *out, const void *p, size_t n, tg_error *err)
{
	int rc = tg_buf_append(out, p, n);
	if (rc == TG_ETOOBIG)
		return tg_error_set(err, rc, "canonical JSON exceeds %zu bytes", out->max);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "out of memory writing canonical JSON");
	return TG_OK;
}

/* A string with only backslash and double quote escaped, as docker/go's
 * encodeState.string does when canonical is set. */
static int write_string(const char *s, size_t n, tg_buf *out, tg_error *err)
{
	int rc = put(out, "\"", 1, err);
	size_t start = 0;
	for (size_t i = 0; rc == TG_OK && i < n; i++) {
		if (s[i] != '\\' && s[i] != '"')
			continue;
		char esc[2] = {'\\', s[i]};
		rc = put(out, s + start, i - start, err);
		if (rc == TG_OK)
			rc = put(out, esc, 2, err);
		start = i + 1;
	}
	if (rc == TG_OK)
		rc = put(out, s + start, n - start, err);
	if (rc == TG_OK)
		rc = put(out, "\"", 1, err);
	return rc;
}

static int write_integer(const json_t *v, tg_buf *out, tg_error *err)
{
	json_int_t i = json_integer_value(v);
	if (i > MAX_SAFE_INT || i < -MAX_SAFE_INT)
		return tg_error_set(err, TG_EAMBIGUOUS,
				    "canonical JSON: integer %" JSON_INTEGER_FORMAT
				    " is beyond 2^53 and would be rounded by Notary",
				    i);
	char num[32];
	int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, i);
	return put(out, num, (size_t)n, err);
}

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Members of obj in canonical order, in a new array the caller frees. */
static int sorted_members(const json_t *obj, struct member **out, size_t *count, tg_error *err)
{
	size_t n = json_object_size(obj);
	struct member *m = calloc(n ? n : 1, sizeof(*m));
	if (m == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory writing canonical JSON");
	size_t i = 0;
	void *it = json_object_iter((json_t *)obj);
	while (it != NULL && i < n) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].value = json_object_iter_value(it);
		i++;
		it = json_object_iter_next((json_t *)obj, it);
	}
	qsort(m, i, sizeof(*m), member_cmp);
	*out = m;
	*count = i;
	return TG_OK;
}

static int write_object(const json_t *obj, tg_buf *out, int depth, tg_error *err)
{
	struct member *m = NULL;
	size_t n = 0;
	int rc = sorted_members(obj, &m, &n, err);
	if (rc != TG_OK)
		return rc;
	rc = put(out, "{", 1, err);
	for (size_t i = 0; rc == TG_OK && i < n; i++) {
		if (i > 0)
			rc = put(out, ",", 1, err);
		if (rc == TG_OK)
			rc = write_string(m[i].key, m[i].len, out, err);
		if (rc == TG_OK)
			rc = put(out, ":", 1, err);
		if (rc == TG_OK)
			rc = write_value(m[i].value, out, depth + 1, err);
	}
	if (rc == TG_OK)
		rc = put(out, "}", 1, err);
	free(m);
	return rc;
}

static int write_array(const json_t *arr, tg_buf *out, int depth, tg_error *err)
{
	int rc = put(out, "[", 1, err);
	size_t n = json_array_size(arr);
	for (size_t i = 0; rc == TG_OK && i < n; i++) {
		if (i > 0)
			rc = put(out, ",", 1, err);
		if (rc == TG_OK)
			rc = write_value(json_array_get(arr, i), out, depth + 1, err);
	}
	if (rc == TG_OK)
		rc = put(out, "]", 1, err);
	return rc;
}

static int write_value(const json_t *v, tg_buf *out, int depth, tg_error *err)
{
	if (v == NULL)
		return tg_error_set(err, TG_EINVAL, "canonical JSON: no value");
	if (depth > TG_CANONICAL_JSON_MAX_DEPTH)
		return tg_error_set(err, TG_ETOOBIG, "canonical JSON: nesting deeper than %d",
				    TG_CANONICAL_JSON_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return write_object(v, out, depth, err);
	case JSON_ARRAY:
		return write_array(v, out, depth, err);
	case JSON_STRING:
		return write_string(json_string_value(v), json_string_length(v), out, err);
	case JSON_INTEGER:
		return write_integer(v, out, err);
	case JSON_REAL:
		return tg_error_set(err, TG_EINVAL,
				    "canonical JSON: number %.17g is not an integer literal",
				    json_real_value(v));
	case JSON_TRUE:
		return put(out, "true", 4, err);
	case JSON_FALSE:
		return put(out, "false", 5, err);
	case JSON_NULL:
		return put(out, "null", 4, err);
	}
	return tg_error_set(err, TG_EINVAL, "canonical JSON: unknown value type");
}

int tg_canonical_json_write(const json_t *v, tg_buf *out, tg_error *err)
{
	return write_value(v, out, 0, err);
}
