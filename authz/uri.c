/* uri: see uri.h. Mirrors Go's url.ParseRequestURI + unescape, gorilla
 * mux's cleanPath check and dockerd's "/v{version:[0-9.]+}" route prefix. */
#include "authz/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string. plus_is_space is Go's query
 * mode. Returns TG_EINVAL on a bad escape or a decoded NUL (a C string
 * cannot carry it, and no Docker route needs it). */
static int unescape(const char *s, size_t n, bool plus_is_space, char **out)
{
	char *dst = malloc(n + 1);
	size_t o = 0;
	if (dst == NULL)
		return TG_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= n) {
				free(dst);
				return TG_EINVAL; /* '%' without two following characters */
			}
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(dst);
				return TG_EINVAL;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '\0') {
			free(dst);
			return TG_EINVAL;
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	*out = dst;
	return TG_OK;
}

/* Length of the "/v1.41" prefix dockerd's router strips, or 0. The route
 * variable is [0-9.]+ and must be followed by '/'. */
static size_t version_prefix_len(const char *path)
{
	if (path[0] != '/' || path[1] != 'v')
		return 0;
	size_t i = 2;
	while (path[i] == '.' || (path[i] >= '0' && path[i] <= '9'))
		i++;
	return (i > 2 && path[i] == '/') ? i : 0;
}

/* True when path is what Go's path.Clean returns for it (keeping a
 * trailing slash, as mux does): no empty, "." or ".." segments. */
static bool path_is_clean(const char *path)
{
	if (path[0] != '/')
		return false;
	const char *seg = path + 1;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (end != NULL && len == 0)
			return false; /* "//" */
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (end == NULL)
			return true;
		seg = end + 1;
	}
}

/* Point *start at the path of an origin- or absolute-form target. */
static int split_target(const char *uri, const char **start, tg_error *err)
{
	if (uri[0] == '/') {
		*start = uri;
		return TG_OK;
	}
	const char *scheme_end = strstr(uri, "://");
	if (scheme_end == NULL || scheme_end == uri)
		return tg_error_set(err, TG_EINVAL, "request URI \"%.80s\" is not a path", uri);
	for (const char *p = uri; p < scheme_end; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		          (p > uri && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'));
		if (!ok)
			return tg_error_set(err, TG_EINVAL, "request URI \"%.80s\" has a bad scheme", uri);
	}
	const char *slash = strpbrk(scheme_end + 3, "/?");
	if (slash == NULL || *slash == '?')
		return tg_error_set(err, TG_EINVAL, "request URI \"%.80s\" has no path", uri);
	*start = slash;
	return TG_OK;
}

int tg_uri_parse(const char *request_uri, tg_uri *out, tg_error *err)
{
	if (strlen(request_uri) > TG_URI_MAX)
		return tg_error_set(err, TG_ETOOBIG, "request URI is longer than %d bytes", TG_URI_MAX);
	const char *target = NULL;
	int rc = split_target(request_uri, &target, err);
	if (rc != TG_OK)
		return rc;
	const char *q = strchr(target, '?');
	size_t path_len = q ? (size_t)(q - target) : strlen(target);
	char *path = NULL;
	rc = unescape(target, path_len, false, &path);
	if (rc == TG_ENOMEM)
		return tg_error_set(err, rc, "out of memory");
	if (rc != TG_OK)
		return tg_error_set(err, rc, "request path \"%.*s\" has an invalid percent-escape",
		                    (int)(path_len > 200 ? 200 : path_len), target);
	if (!path_is_clean(path)) {
		tg_error_set(err, TG_EINVAL,
		             "request path \"%.200s\" is not canonical (dockerd would redirect it, not run it)",
		             path);
		free(path);
		return TG_EINVAL;
	}
	char *query = strdup(q ? q + 1 : "");
	if (query == NULL) {
		free(path);
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	size_t vlen = version_prefix_len(path);
	out->version[0] = '\0';
	if (vlen > 2 && vlen - 2 < sizeof(out->version))
		snprintf(out->version, sizeof(out->version), "%.*s", (int)(vlen - 2), path + 2);
	if (vlen > 0)
		memmove(path, path + vlen, strlen(path + vlen) + 1);
	out->path = path;
	out->raw_query = query;
	out->versioned = vlen > 0;
	return TG_OK;
}

/* The index-th value of key (0: url.Values.Get's), as tg_uri_query_get. */
static int query_find(const tg_uri *uri, const char *key, size_t index, char **value_out,
                      tg_error *err)
{
	size_t seen = 0;
	const char *q = uri->raw_query;
	char *found = NULL;
	if (strchr(q, ';') != NULL)
		return tg_error_set(err, TG_EINVAL,
		                    "request query contains ';', which dockerd refuses to parse");
	while (*q != '\0') {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', n);
		size_t klen = eq ? (size_t)(eq - q) : n;
		char *k = NULL, *v = NULL;
		int rc = unescape(q, klen, true, &k);
		if (rc == TG_OK)
			rc = eq ? unescape(eq + 1, n - klen - 1, true, &v) : ((v = strdup("")) ? TG_OK : TG_ENOMEM);
		if (rc != TG_OK) {
			free(k);
			free(found);
			return tg_error_set(err, rc, rc == TG_ENOMEM ? "out of memory"
			                    : "request query has an invalid percent-escape");
		}
		/* Keep scanning after a hit: a bad pair later still fails Go's parse. */
		if (found == NULL && klen > 0 && strcmp(k, key) == 0 && seen++ == index)
			found = v;
		else
			free(v);
		free(k);
		q += n;
		if (*q == '&')
			q++;
	}
	*value_out = found;
	return TG_OK;
}

int tg_uri_query_get(const tg_uri *uri, const char *key, char **value_out, tg_error *err)
{
	return query_find(uri, key, 0, value_out, err);
}

int tg_uri_query_get_nth(const tg_uri *uri, const char *key, size_t index, char **value_out,
                         tg_error *err)
{
	return query_find(uri, key, index, value_out, err);
}

void tg_uri_clear(tg_uri *uri)
{
	free(uri->path);
	free(uri->raw_query);
	uri->path = NULL;
	uri->raw_query = NULL;
}

bool tg_uri_version_below(const char *a, const char *b)
{
	for (int i = 0; i < 8 && (*a != '\0' || *b != '\0'); i++) {
		char *ea, *eb;
		unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
		if (x != y)
			return x < y;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if ((*a != '\0' && *a < '0') || (*a > '9') || (*b != '\0' && (*b < '0' || *b > '9')))
			break; /* not a version: compared as far as it is one */
	}
	return false;
}
