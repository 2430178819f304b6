/* notary_state: see notary_state.h. */
#include "trustcache/notary_state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "trustcache/b64.h"

#define STATE_FILE_MAX (4 * 1024 * 1024)

static const char *const role_names[TG_NR_COUNT] = {"root", "timestamp", "snapshot", "targets",
                                                    "targets/releases"};

const char *tg_notary_role_name(enum tg_notary_role_index i)
{
	return i < TG_NR_COUNT ? role_names[i] : "?";
}

/* STATE_DIR/notary/NAME, and the file for gun in it ('/' and '%' escaped). */
static int state_paths(const char *state_dir, const char *name, const char *gun, char *dir,
                       char *file, tg_error *err)
{
	char escaped[PATH_MAX / 2];
	size_t o = 0;
	for (const char *p = gun; *p; p++) {
		if (o + 4 >= sizeof(escaped))
			return tg_error_set(err, TG_ETOOBIG, "repository name too long for a state file");
		if (*p == '/' || *p == '%') {
			o += (size_t)snprintf(escaped + o, 4, "%%%02X", (unsigned char)*p);
		} else {
			escaped[o++] = *p;
		}
	}
	escaped[o] = '\0';
	if (snprintf(dir, PATH_MAX, "%s/notary/%s", state_dir, name) >= PATH_MAX ||
	    snprintf(file, PATH_MAX, "%s/%s.json", dir, escaped) >= PATH_MAX)
		return tg_error_set(err, TG_ETOOBIG, "state path too long");
	return TG_OK;
}

static void mkdirs(const char *dir)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0700);
			*p = '/';
		}
	}
	mkdir(tmp, 0700);
}

static int parse_state(json_t *obj, const char *file, tg_notary_state *out, tg_error *err)
{
	json_t *root = json_object_get(obj, "root"), *versions = json_object_get(obj, "versions");
	if (!json_is_string(root) || !json_is_object(versions))
		return tg_error_set(err, TG_EINVAL, "trust state %s is corrupt; remove it to trust the "
		                    "repository's root again", file);
	unsigned char *bytes = NULL;
	size_t len = 0;
	int rc = tg_b64_decode(json_string_value(root), json_string_length(root), STATE_FILE_MAX,
	                       &bytes, &len, err);
	if (rc == TG_OK)
		rc = tg_buf_append(&out->root, bytes, len);
	free(bytes);
	if (rc != TG_OK)
		return tg_error_set(err, TG_EINVAL, "trust state %s is corrupt (root); remove it to trust "
		                    "the repository's root again", file);
	for (int i = 0; i < TG_NR_COUNT; i++) {
		json_t *v = json_object_get(versions, role_names[i]);
		out->versions[i] = json_is_integer(v) ? json_integer_value(v) : 0;
	}
	return TG_OK;
}

int tg_notary_state_read(const char *state_dir, const char *name, const char *gun,
                         tg_notary_state *out, tg_error *err)
{
	char dir[PATH_MAX], file[PATH_MAX];
	memset(out, 0, sizeof(*out));
	tg_buf_init(&out->root, STATE_FILE_MAX);
	int rc = state_paths(state_dir, name, gun, dir, file, err);
	if (rc != TG_OK)
		return rc;
	json_error_t jerr;
	json_t *obj = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		if (access(file, F_OK) != 0 && errno == ENOENT)
			return TG_OK;
		return tg_error_set(err, TG_EINVAL, "trust state %s is corrupt (%s); remove it to trust "
		                    "the repository's root again", file, jerr.text);
	}
	rc = parse_state(obj, file, out, err);
	json_decref(obj);
	return rc;
}

static int write_atomically(const char *file, const char *text, tg_error *err)
{
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", file, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return tg_error_set(err, TG_EIO, "cannot write %s: %s", tmp, strerror(errno));
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	int ok = w == (ssize_t)n && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, file) != 0) {
		int e = errno;
		unlink(tmp);
		return tg_error_set(err, TG_EIO, "cannot write %s: %s", file, strerror(e));
	}
	return TG_OK;
}

int tg_notary_state_write(const char *state_dir, const char *name, const char *gun,
                          const tg_notary_state *state, tg_error *err)
{
	char dir[PATH_MAX], file[PATH_MAX];
	int rc = state_paths(state_dir, name, gun, dir, file, err);
	if (rc != TG_OK)
		return rc;
	mkdirs(dir);
	tg_notary_state current;
	tg_error ignored;
	long long versions[TG_NR_COUNT];
	memcpy(versions, state->versions, sizeof(versions));
	if (tg_notary_state_read(state_dir, name, gun, &current, &ignored) == TG_OK)
		for (int i = 0; i < TG_NR_COUNT; i++)
			versions[i] = current.versions[i] > versions[i] ? current.versions[i] : versions[i];
	tg_notary_state_free(&current);
	tg_buf b64;
	tg_buf_init(&b64, STATE_FILE_MAX * 2);
	json_t *obj = NULL;
	char *text = NULL;
	rc = tg_b64_encode((const unsigned char *)tg_buf_str(&state->root), state->root.len, &b64, err);
	if (rc == TG_OK) {
		json_t *vs = json_object();
		for (int i = 0; i < TG_NR_COUNT; i++)
			json_object_set_new(vs, role_names[i], json_integer(versions[i]));
		obj = json_pack("{s:s, s:s, s:o}", "gun", gun, "root", tg_buf_str(&b64), "versions", vs);
		text = obj ? json_dumps(obj, JSON_INDENT(1)) : NULL;
		rc = text ? write_atomically(file, text, err) : tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	free(text);
	json_decref(obj);
	tg_buf_free(&b64);
	return rc;
}

void tg_notary_state_free(tg_notary_state *state)
{
	tg_buf_free(&state->root);
}
