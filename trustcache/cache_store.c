/* cache_store: the trust cache on disk (see tg_cache_save and
 * tg_cache_load in cache.h): JSON lines behind a format header, written
 * atomically, read back keeping what is valid of a damaged file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/tg_buf.h"
#include "trustcache/cache.h"
#include "trustcache/cache_internal.h"

#define WRITE_CHUNK (64 * 1024)
#define FILE_VERSION 1
#define FILE_FORMAT "trustgate-cache"
/* ---- persistence ----
 *
 * The file is JSON lines: a header {"format":"trustgate-cache","version":1},
 * then one object per entry, most recently used first:
 * {"k":key,"s":status,"d":digest,"g":signer,"m":detail,"i":inserted,
 *  "e":expires,"p":positive}. Each line ends with '\n'; a last line without
 * one is a truncated write and is ignored.
 */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line for record r (without '\n'), or NULL if it cannot be written
 * (strings that are not UTF-8) or memory ran out. Freed with free(). */
static char *record_line(const struct entry *r)
{
	tg_cache_entry e;
	tgc_record_to_entry(r, &e);
	json_t *obj = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:I, s:b}", "k", e.key, "s",
	                        e.value.status, "d", e.value.digest, "g", e.value.signer, "m",
	                        e.value.detail, "i", (json_int_t)e.inserted, "e",
	                        (json_int_t)e.expires, "p", e.positive);
	char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(obj);
	return text;
}

/* Write the records of block to fd, at most max_bytes in all. */
static int write_records(int fd, const char *block, size_t len, size_t max_bytes)
{
	tg_buf out;
	tg_buf_init(&out, WRITE_CHUNK + 2 * (size_t)TG_ERROR_MSG_MAX + 16 * TG_CACHE_KEY_MAX);
	size_t total = 0;
	int rc = tg_buf_printf(&out, "{\"format\":\"%s\",\"version\":%d}\n", FILE_FORMAT, FILE_VERSION);
	total = out.len;
	for (size_t off = 0; off < len && rc == TG_OK;) {
		const struct entry *r = (const struct entry *)(const void *)(block + off);
		off += tgc_record_size(r);
		char *line = record_line(r);
		if (line == NULL)
			continue; /* not UTF-8 (or no memory): the entry is left out */
		size_t n = strlen(line);
		if (total > max_bytes || n + 1 > max_bytes - total) {
			free(line);
			break; /* the older entries do not fit */
		}
		rc = tg_buf_append(&out, line, n);
		if (rc == TG_OK)
			rc = tg_buf_append(&out, "\n", 1);
		free(line);
		total += n + 1;
		if (rc == TG_OK && out.len >= WRITE_CHUNK) {
			rc = write_all(fd, out.data, out.len) == 0 ? TG_OK : TG_EIO;
			out.len = 0; /* reuse the chunk */
			out.data[0] = '\0';
		}
	}
	if (rc == TG_OK && out.len > 0)
		rc = write_all(fd, out.data, out.len) == 0 ? TG_OK : TG_EIO;
	tg_buf_free(&out);
	return rc;
}

static void fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	int fd = open(dir, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int tg_cache_save(tg_cache *c, const char *path, size_t max_bytes, tg_error *err)
{
	if (c == NULL || path == NULL)
		return tg_error_set(err, TG_EINVAL, "cache save without a cache or path");
	if (max_bytes == 0)
		max_bytes = TG_CACHE_FILE_MAX;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return tg_error_set(err, TG_EIO, "cannot write %s: path too long", path);
	char *block;
	size_t len;
	if (tgc_snapshot(c, &block, &len) != TG_OK)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	int fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		int e = errno;
		free(block);
		return tg_error_set(err, TG_EIO, "cannot write %s: %s", tmp, strerror(e));
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	int rc = write_records(fd, block, len, max_bytes);
	free(block);
	int e = errno;
	if (rc == TG_OK && fsync(fd) != 0) {
		rc = TG_EIO;
		e = errno;
	}
	if (close(fd) != 0 && rc == TG_OK) {
		rc = TG_EIO;
		e = errno;
	}
	if (rc == TG_OK && rename(tmp, path) != 0) {
		rc = TG_EIO;
		e = errno;
	}
	if (rc != TG_OK) {
		unlink(tmp);
		if (rc == TG_ENOMEM)
			return tg_error_set(err, rc, "out of memory");
		return tg_error_set(err, TG_EIO, "cannot write %s: %s", path, strerror(e));
	}
	fsync_dir_of(path);
	return TG_OK;
}

/* Read the whole file (at most max_bytes) into a new NUL-terminated block. */
static int read_file(const char *path, size_t max_bytes, char **out, size_t *len, tg_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return TG_ENOTFOUND;
		return tg_error_set(err, TG_EIO, "cannot read cache file %s: %s", path, strerror(errno));
	}
	struct stat st;
	int rc = TG_OK;
	if (fstat(fd, &st) != 0)
		rc = tg_error_set(err, TG_EIO, "cannot read cache file %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = tg_error_set(err, TG_EINVAL, "cache file %s is not a regular file; ignored", path);
	else if ((uintmax_t)st.st_size > max_bytes)
		rc = tg_error_set(err, TG_ETOOBIG, "cache file %s is %jd bytes, over the limit of %zu; "
		                  "ignored", path, (intmax_t)st.st_size, max_bytes);
	char *data = NULL;
	size_t n = 0;
	if (rc == TG_OK) {
		size_t cap = (size_t)st.st_size + 1; /* +1: notice a file that grew meanwhile */
		data = malloc(cap + 1);
		if (data == NULL)
			rc = tg_error_set(err, TG_ENOMEM, "out of memory");
		while (rc == TG_OK && n < cap) {
			ssize_t r = read(fd, data + n, cap - n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				rc = tg_error_set(err, TG_EIO, "cannot read cache file %s: %s", path,
				                  strerror(errno));
			if (r <= 0)
				break;
			n += (size_t)r;
		}
		if (rc == TG_OK && n > max_bytes)
			rc = tg_error_set(err, TG_ETOOBIG, "cache file %s is over the limit of %zu bytes; "
			                  "ignored", path, max_bytes);
	}
	close(fd);
	if (rc != TG_OK) {
		free(data);
		return rc;
	}
	data[n] = '\0';
	*out = data;
	*len = n;
	return TG_OK;
}

/* A string member that fits a field of size cap (with its NUL). */
static const char *get_string(json_t *obj, const char *name, size_t cap)
{
	json_t *v = json_object_get(obj, name);
	if (!json_is_string(v) || json_string_length(v) >= cap ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

/* Parse one entry line. Returns NULL on success, or why the line is wrong. */
static const char *parse_line(const char *line, size_t n, tg_cache_value *v, const char **key,
                              int64_t *inserted, int64_t *expires, int *positive, json_t **obj)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	*obj = o;
	if (!json_is_object(o))
		return "not a JSON object";
	tg_cache_value val;
	memset(&val, 0, sizeof(val));
	const char *k = get_string(o, "k", TG_CACHE_KEY_MAX + 1);
	const char *d = get_string(o, "d", sizeof(val.digest));
	const char *g = get_string(o, "g", sizeof(val.signer));
	const char *m = get_string(o, "m", sizeof(val.detail));
	json_t *s = json_object_get(o, "s"), *i = json_object_get(o, "i");
	json_t *e = json_object_get(o, "e"), *p = json_object_get(o, "p");
	if (k == NULL || k[0] == '\0' || d == NULL || g == NULL || m == NULL)
		return "a string member is missing, of the wrong type or too long";
	if (!json_is_integer(s) || json_integer_value(s) < INT_MIN || json_integer_value(s) > INT_MAX ||
	    !json_is_integer(i) || !json_is_integer(e) || !json_is_boolean(p))
		return "a number or flag is missing or of the wrong type";
	if (json_integer_value(i) < 0 || json_integer_value(e) < json_integer_value(i))
		return "its times are out of range";
	val.status = (int)json_integer_value(s);
	memcpy(val.digest, d, strlen(d) + 1);
	memcpy(val.signer, g, strlen(g) + 1);
	memcpy(val.detail, m, strlen(m) + 1);
	*v = val;
	*key = k;
	*inserted = json_integer_value(i);
	*expires = json_integer_value(e);
	*positive = json_is_true(p);
	return NULL;
}

static bool header_ok(const char *line, size_t n)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, n, 0, &jerr);
	json_t *f = json_object_get(o, "format"), *v = json_object_get(o, "version");
	bool ok = json_is_string(f) && strcmp(json_string_value(f), FILE_FORMAT) == 0 &&
	          json_is_integer(v) && json_integer_value(v) == FILE_VERSION;
	json_decref(o);
	return ok;
}

/* Link e at the LRU tail unless its key is present or the cache is full.
 * Returns 1 if linked, 0 if not (e is freed), -1 if the cache is full. */
static int load_entry(tg_cache *c, struct entry *e)
{
	int r;
	pthread_mutex_lock(&c->lock);
	if (c->count >= c->max_entries) {
		r = -1;
	} else if (tgc_find(c, tgc_entry_key(e), e->klen, e->hash) != NULL) {
		r = 0;
	} else {
		tgc_link_entry(c, e, false);
		r = 1;
	}
	pthread_mutex_unlock(&c->lock);
	if (r != 1)
		free(e);
	return r;
}

int tg_cache_load(tg_cache *c, const char *path, time_t now, time_t max_stale_seconds,
                  size_t max_bytes, size_t *loaded, tg_error *err)
{
	if (c == NULL || path == NULL)
		return tg_error_set(err, TG_EINVAL, "cache load without a cache or path");
	if (max_bytes == 0)
		max_bytes = TG_CACHE_FILE_MAX;
	char *data = NULL;
	size_t len = 0;
	int rc = read_file(path, max_bytes, &data, &len, err);
	if (rc == TG_ENOTFOUND) {
		if (loaded)
			*loaded = 0;
		return TG_OK;
	}
	if (rc != TG_OK)
		return rc;

	const char *p = data, *end = data + len;
	const char *nl = memchr(p, '\n', len);
	if (nl == NULL || !header_ok(p, (size_t)(nl - p))) {
		free(data);
		if (loaded)
			*loaded = 0;
		return tg_error_set(err, TG_EINVAL, "cache file %s is not a trustgate cache file "
		                    "(bad or missing first line); ignored", path);
	}
	p = nl + 1;
	size_t lineno = 1, bad = 0, count = 0, first_bad = 0;
	const char *why = NULL;
	rc = TG_OK;
	while (p < end && rc == TG_OK) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *reason = NULL;
		json_t *obj = NULL;
		tg_cache_value v;
		const char *key = NULL;
		int64_t inserted = 0, expires = 0;
		int positive = 0;
		if (nl == NULL)
			reason = "truncated (no end of line)";
		else
			reason = parse_line(p, (size_t)(line_end - p), &v, &key, &inserted, &expires,
			                    &positive, &obj);
		bool useful = reason == NULL && inserted <= (int64_t)now &&
		              ((int64_t)now < expires ||
		               (positive && max_stale_seconds > 0 &&
		                (int64_t)now - expires < (int64_t)max_stale_seconds));
		if (reason != NULL) {
			if (bad++ == 0) {
				first_bad = lineno;
				why = reason;
			}
		} else if (useful) {
			size_t klen;
			uint32_t hash;
			struct entry *e = NULL;
			if (tgc_key_hash(c, key, &klen, &hash) == TG_OK &&
			    (rc = tgc_make_entry(key, klen, hash, &v, inserted, expires, positive, &e)) == TG_OK) {
				int r = load_entry(c, e);
				if (r == 1)
					count++;
				else if (r < 0)
					end = p; /* full: stop */
			}
		}
		json_decref(obj);
		p = nl ? nl + 1 : end;
	}
	free(data);
	if (rc == TG_ENOMEM)
		return tg_error_set(err, rc, "out of memory");
	if (loaded)
		*loaded = count;
	if (bad > 0)
		return tg_error_set(err, TG_EINVAL, "cache file %s: ignored %zu corrupt line%s (first: "
		                    "line %zu, %s); loaded %zu entries", path, bad, bad == 1 ? "" : "s",
		                    first_bad, why, count);
	return TG_OK;
}
