/* container: see container.h. Every value is read with tg_gojson (Go's key
 * matching); a value of the wrong JSON type is refused, as Go's decoder
 * would fail the request. */
#include "authz/container.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/gojson.h"
#include "authz/jdoc.h"

/* ---- typed reads of one member ---- */

static int read_node(const tg_jnode *obj, const char *path, const tg_jnode **out, tg_error *err)
{
	return tg_gojson_get_path(obj, path, out, err);
}

static int read_bool(const tg_jnode *obj, const char *path, bool *out, tg_error *err)
{
	const tg_jnode *n = NULL;
	int rc = read_node(obj, path, &n, err);
	if (rc != TG_OK)
		return rc;
	if (n == NULL || n->type == TG_JNULL || n->type == TG_JFALSE || n->type == TG_JTRUE) {
		*out = n != NULL && n->type == TG_JTRUE;
		return TG_OK;
	}
	return tg_error_set(err, TG_EINVAL, "\"%s\" must be true or false", path);
}

/* A string member into out ("" when missing or null). */
static int read_string(const tg_jnode *obj, const char *path, char *out, size_t max,
                       bool *present, tg_error *err)
{
	const tg_jnode *n = NULL;
	int rc = read_node(obj, path, &n, err);
	out[0] = '\0';
	if (present != NULL)
		*present = n != NULL && n->type == TG_JSTRING;
	if (rc != TG_OK || n == NULL || n->type == TG_JNULL)
		return rc;
	if (n->type != TG_JSTRING)
		return tg_error_set(err, TG_EINVAL, "\"%s\" must be a string", path);
	if (n->len >= max)
		return tg_error_set(err, TG_ETOOBIG, "\"%s\" is longer than %zu bytes", path, max - 1);
	memcpy(out, n->str, n->len + 1);
	return TG_OK;
}

/* A list member: an array (or, with one_string, also a single string, as
 * Go's strslice reads CapAdd). *out is NULL when missing or null. */
static int read_list(const tg_jnode *obj, const char *path, bool one_string, size_t max,
                     const tg_jnode **out, tg_error *err)
{
	int rc = read_node(obj, path, out, err);
	if (rc != TG_OK || *out == NULL || (*out)->type == TG_JNULL) {
		*out = NULL;
		return rc;
	}
	if ((*out)->type == TG_JARRAY || (one_string && (*out)->type == TG_JSTRING))
		return (*out)->type == TG_JARRAY && (*out)->len > max
		               ? tg_error_set(err, TG_ETOOBIG, "\"%s\" has more than %zu entries", path,
		                              max)
		               : TG_OK;
	return tg_error_set(err, TG_EINVAL, "\"%s\" must be a list", path);
}

/* Visit each string of a list node (a lone string is a list of one). */
typedef int (*string_fn)(tg_container_spec *spec, const char *s, tg_error *err);

static int each_string(const tg_jnode *list, const char *path, tg_container_spec *spec,
                       string_fn fn, tg_error *err)
{
	if (list == NULL)
		return TG_OK;
	if (list->type == TG_JSTRING)
		return fn(spec, list->str, err);
	const tg_jnode *e = tg_jnode_first(list);
	for (uint32_t i = 0; i < list->len; i++, e = tg_jnode_skip(e)) {
		if (e->type != TG_JSTRING)
			return tg_error_set(err, TG_EINVAL, "\"%s\" must be a list of strings", path);
		int rc = fn(spec, e->str, err);
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

static int add_text(char (*list)[TG_CONTAINER_TEXT_MAX], size_t *n, size_t max, const char *s,
                    tg_error *err)
{
	if (*n >= max)
		return tg_error_set(err, TG_ETOOBIG, "more than %zu entries of one setting", max);
	if (strlen(s) >= TG_CONTAINER_TEXT_MAX)
		return tg_error_set(err, TG_ETOOBIG, "a setting's value is longer than %d bytes",
		                    TG_CONTAINER_TEXT_MAX - 1);
	snprintf(list[(*n)++], TG_CONTAINER_TEXT_MAX, "%s", s);
	return TG_OK;
}

/* ---- capabilities, devices, security options, environment ---- */

/* Docker's default capabilities: an exact "Capabilities" set adds the
 * others. */
static const char *const default_caps[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"};

/* "cap_net_admin", "NET_ADMIN", "CAP_NET_ADMIN" are one capability (dockerd
 * upper-cases and strips the prefix); "ALL" stays. */
static void normalize_cap(const char *in, char out[TG_CONTAINER_TEXT_MAX])
{
	size_t i = 0;
	for (; in[i] != '\0' && i < TG_CONTAINER_TEXT_MAX - 1; i++)
		out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
	out[i] = '\0';
	if (strncmp(out, "CAP_", 4) == 0)
		memmove(out, out + 4, strlen(out + 4) + 1);
}

static int add_cap(tg_container_spec *spec, const char *s, tg_error *err)
{
	char cap[TG_CONTAINER_TEXT_MAX];
	normalize_cap(s, cap);
	return add_text(spec->caps, &spec->n_caps, TG_CONTAINER_LIST_MAX, cap, err);
}

static int add_exact_cap(tg_container_spec *spec, const char *s, tg_error *err)
{
	char cap[TG_CONTAINER_TEXT_MAX];
	normalize_cap(s, cap);
	for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
		if (strcmp(cap, default_caps[i]) == 0)
			return TG_OK;
	return add_text(spec->caps, &spec->n_caps, TG_CONTAINER_LIST_MAX, cap, err);
}

static int add_device_rule(tg_container_spec *spec, const char *s, tg_error *err)
{
	char text[TG_CONTAINER_TEXT_MAX];
	snprintf(text, sizeof(text), "--device-cgroup-rule '%.200s'", s);
	return add_text(spec->devices, &spec->n_devices, TG_CONTAINER_LIST_MAX, text, err);
}

/* A custom seccomp profile (the CLI sends its JSON) whose default action
 * lets system calls through is seccomp turned off; so is one trustgate
 * cannot read. */
static bool seccomp_profile_allows(const char *json)
{
	tg_jdoc doc;
	tg_error ignore;
	const tg_jnode *action = NULL;
	if (tg_jdoc_parse(json, strlen(json), &doc, &ignore) != TG_OK)
		return true;
	bool allows = tg_gojson_get(tg_jdoc_root(&doc), "defaultAction", &action, &ignore) != TG_OK ||
	              action == NULL || action->type != TG_JSTRING ||
	              strcmp(action->str, "SCMP_ACT_ALLOW") == 0 ||
	              strcmp(action->str, "SCMP_ACT_LOG") == 0 ||
	              strcmp(action->str, "SCMP_ACT_TRACE") == 0 ||
	              strcmp(action->str, "SCMP_ACT_NOTIFY") == 0;
	tg_jdoc_free(&doc);
	return allows;
}

static bool go_false(const char *v)
{
	static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False"};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(v, f[i]) == 0)
			return true;
	return false;
}

/* Whether option key=value turns a protection off. */
static bool weakens(const char *key, const char *value, bool has_value)
{
	if (strcmp(key, "seccomp") == 0)
		return strcmp(value, "unconfined") == 0 ||
		       (strcmp(value, "builtin") != 0 && seccomp_profile_allows(value));
	if (strcmp(key, "apparmor") == 0 || strcmp(key, "systempaths") == 0)
		return strcmp(value, "unconfined") == 0;
	if (strcmp(key, "label") == 0) /* no labels, or SELinux's super-privileged type */
		return strcmp(value, "disable") == 0 || strncmp(value, "type:spc_t", 10) == 0;
	if (strcmp(key, "no-new-privileges") == 0)
		return has_value && go_false(value);
	if (strcmp(key, "writable-cgroups") == 0)
		return !has_value || !go_false(value);
	return false;
}

/* A security option that turns a protection off, as dockerd parses them:
 * "key=value", the old "key:value", and the bare "disable" (labels). */
static int add_security_opt(tg_container_spec *spec, const char *s, tg_error *err)
{
	char key[64] = "";
	const char *sep = strchr(s, '=');
	if (sep == NULL)
		sep = strchr(s, ':');
	size_t klen = sep ? (size_t)(sep - s) : strlen(s);
	if (klen >= sizeof(key))
		return tg_error_set(err, TG_EINVAL, "security option \"%.80s\" is not one dockerd knows", s);
	memcpy(key, s, klen);
	key[klen] = '\0';
	bool off = strcmp(s, "disable") == 0 || weakens(key, sep ? sep + 1 : "", sep != NULL);
	/* dockerd stores label=disable itself for privileged and host-namespace
	 * containers (judged at create): not a start's concern */
	if (!off || (spec->kind == TG_SPEC_START && (strcmp(s, "disable") == 0 ||
	                                             strcmp(key, "label") == 0)))
		return TG_OK;
	char text[TG_CONTAINER_TEXT_MAX];
	snprintf(text, sizeof(text), "--security-opt %.200s%s", s, strlen(s) > 200 ? "..." : "");
	return add_text(spec->weakened, &spec->n_weakened, TG_CONTAINER_LIST_MAX, text, err);
}

/* "NAME=value" with a value: its name. "NAME" alone or "NAME=" is not a
 * literal secret. */
static int add_env(tg_container_spec *spec, const char *s, tg_error *err)
{
	const char *eq = strchr(s, '=');
	if (eq == NULL || eq[1] == '\0' || eq == s)
		return TG_OK;
	char name[TG_CONTAINER_TEXT_MAX];
	if ((size_t)(eq - s) >= sizeof(name))
		return tg_error_set(err, TG_ETOOBIG, "an environment variable's name is longer than %zu "
		                    "bytes", sizeof(name) - 1);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
	return add_text(spec->env, &spec->n_env, TG_CONTAINER_ENV_MAX, name, err);
}

/* ---- mounts ---- */

static int add_mount(tg_container_spec *spec, const char *source, const char *target,
                     bool host_path, bool read_only, bool from_binds, tg_error *err)
{
	if (spec->n_mounts >= TG_CONTAINER_LIST_MAX)
		return tg_error_set(err, TG_ETOOBIG, "more than %d mounts", TG_CONTAINER_LIST_MAX);
	if (strlen(source) >= TG_CONTAINER_PATH_MAX || strlen(target) >= TG_CONTAINER_PATH_MAX)
		return tg_error_set(err, TG_ETOOBIG, "a mount path is longer than %d bytes",
		                    TG_CONTAINER_PATH_MAX - 1);
	tg_container_mount *m = &spec->mounts[spec->n_mounts++];
	memset(m, 0, sizeof(*m));
	snprintf(m->source, sizeof(m->source), "%s", source);
	snprintf(m->target, sizeof(m->target), "%s", target);
	m->host_path = host_path;
	m->read_only = read_only;
	m->from_binds = from_binds;
	return TG_OK;
}

/* A bind's mode, "opt[,opt...]", as dockerd's linux parser accepts it; *ro
 * when one of them is "ro". */
static bool bind_mode_valid(const char *mode, bool *ro)
{
	static const char *const known[] = {"rw", "ro", "z", "Z", "shared", "rshared", "slave",
	                                    "rslave", "private", "rprivate", "nocopy", "cached",
	                                    "delegated", "consistent"};
	char buf[128];
	*ro = false;
	if (strlen(mode) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", mode);
	for (char *save = NULL, *opt = strtok_r(buf, ",", &save); opt != NULL;
	     opt = strtok_r(NULL, ",", &save)) {
		size_t i = 0, n = sizeof(known) / sizeof(known[0]);
		while (i < n && strcmp(opt, known[i]) != 0)
			i++;
		if (i == n)
			return false;
		*ro = *ro || strcmp(opt, "ro") == 0;
	}
	return true;
}

/* One "-v" entry: "dst", "src:dst" or "src:dst:mode". */
static int add_bind(tg_container_spec *spec, const char *raw, tg_error *err)
{
	char buf[3 * TG_CONTAINER_PATH_MAX], *part[4] = {NULL, NULL, NULL, NULL};
	size_t n = 0;
	bool ro = false;
	if (strlen(raw) >= sizeof(buf))
		return tg_error_set(err, TG_ETOOBIG, "a bind is longer than %zu bytes", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", raw);
	for (char *p = buf; n < 4; n++) {
		part[n] = p;
		char *colon = strchr(p, ':');
		if (colon == NULL) {
			n++;
			break;
		}
		*colon = '\0';
		p = colon + 1;
	}
	if (part[0][0] == '\0' || n > 3 || (n == 2 && bind_mode_valid(part[1], &ro)) ||
	    (n == 3 && !bind_mode_valid(part[2], &ro)))
		return tg_error_set(err, TG_EINVAL, "the bind \"%.200s\" is not one dockerd accepts "
		                    "(HOST-PATH:CONTAINER-PATH[:ro])", raw);
	if (n == 1) /* an anonymous volume at that path */
		return add_mount(spec, "", part[0], false, false, true, err);
	if (part[0][0] != '/' && strlen(part[0]) >= TG_CONTAINER_TEXT_MAX)
		return tg_error_set(err, TG_ETOOBIG, "a volume name is longer than %d bytes",
		                    TG_CONTAINER_TEXT_MAX - 1);
	int rc = add_mount(spec, part[0], part[1], part[0][0] == '/', ro, true, err);
	if (rc == TG_OK && part[0][0] != '/') {
		spec->mounts[spec->n_mounts - 1].named_volume = true;
		snprintf(spec->mounts[spec->n_mounts - 1].volume, TG_CONTAINER_TEXT_MAX, "%.255s", part[0]);
	}
	return rc;
}

/* Whether a local volume's "o" options bind (mount --bind / rbind). */
static bool binds(const char *o)
{
	char buf[TG_CONTAINER_TEXT_MAX];
	snprintf(buf, sizeof(buf), "%s", o != NULL ? o : "");
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, "bind") == 0 || strcmp(t, "rbind") == 0)
			return true;
	return false;
}

int tg_container_volume_kind(const char *type, const char *o, const char *device,
                             enum tg_volume_kind *kind, char *host_path, size_t n,
                             tg_error *err)
{
	static const char *const remote[] = {"nfs", "nfs4", "cifs", "smb3"};
	type = type != NULL ? type : "";
	device = device != NULL ? device : "";
	*kind = TG_VOLUME_UNSAFE;
	if (binds(o)) { /* dockerd's working directory is "/" */
		if (device[0] == '\0')
			return TG_OK;
		if (strlen(device) + 2 > n)
			return tg_error_set(err, TG_ETOOBIG, "a volume's device path is longer than trustgate "
			                    "checks (%zu bytes)", n - 2);
		snprintf(host_path, n, "%s%s", device[0] == '/' ? "" : "/", device);
		*kind = TG_VOLUME_HOST_PATH;
		return TG_OK;
	}
	if ((type[0] == '\0' && device[0] == '\0') || strcmp(type, "tmpfs") == 0)
		*kind = TG_VOLUME_PLAIN;
	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		if (strcmp(type, remote[i]) == 0)
			*kind = TG_VOLUME_PLAIN;
	return TG_OK;
}

/* A "local" volume's options given in a --mount (VolumeOptions): classify
 * them into m. */
static int classify_volume_options(const tg_jnode *obj, tg_container_mount *m, tg_error *err)
{
	char driver[TG_CONTAINER_TEXT_MAX], path[TG_CONTAINER_PATH_MAX];
	int rc = read_string(obj, "VolumeOptions.DriverConfig.Name", driver, sizeof(driver), NULL, err);
	const tg_jnode *opts = NULL;
	if (rc == TG_OK)
		rc = read_node(obj, "VolumeOptions.DriverConfig.Options", &opts, err);
	if (rc != TG_OK || (driver[0] != '\0' && strcmp(driver, "local") != 0) || opts == NULL ||
	    opts->type != TG_JOBJECT)
		return rc; /* another driver: its own business; no options: a plain volume */
	const tg_jnode *t = tg_jnode_member(opts, "type"), *o = tg_jnode_member(opts, "o");
	const tg_jnode *d = tg_jnode_member(opts, "device");
	enum tg_volume_kind kind;
	rc = tg_container_volume_kind(t && t->type == TG_JSTRING ? t->str : NULL,
	                              o && o->type == TG_JSTRING ? o->str : NULL,
	                              d && d->type == TG_JSTRING ? d->str : NULL, &kind, path,
	                              sizeof(path), err);
	if (rc == TG_OK && kind == TG_VOLUME_HOST_PATH) {
		snprintf(m->source, sizeof(m->source), "%s", path);
		m->host_path = true;
	} else if (rc == TG_OK && kind == TG_VOLUME_UNSAFE) {
		snprintf(m->unsafe_type, sizeof(m->unsafe_type), "%.31s",
		         t && t->type == TG_JSTRING && t->str[0] ? t->str : "(no type)");
	}
	return rc;
}

/* One "--mount" object: {Type, Source, Target, ReadOnly, VolumeOptions}. */
static int add_mount_object(tg_container_spec *spec, const tg_jnode *m, tg_error *err)
{
	char type[32], source[TG_CONTAINER_PATH_MAX], target[TG_CONTAINER_PATH_MAX];
	bool ro = false;
	if (m->type != TG_JOBJECT)
		return tg_error_set(err, TG_EINVAL, "\"Mounts\" must be a list of objects");
	int rc = read_string(m, "Type", type, sizeof(type), NULL, err);
	if (rc == TG_OK)
		rc = read_string(m, "Source", source, sizeof(source), NULL, err);
	if (rc == TG_OK)
		rc = read_string(m, "Target", target, sizeof(target), NULL, err);
	if (rc == TG_OK)
		rc = read_bool(m, "ReadOnly", &ro, err);
	if (rc == TG_OK && strcmp(type, "volume") == 0 && strlen(source) >= TG_CONTAINER_TEXT_MAX)
		rc = tg_error_set(err, TG_ETOOBIG, "a volume name is longer than %d bytes",
		                  TG_CONTAINER_TEXT_MAX - 1);
	if (rc == TG_OK)
		rc = add_mount(spec, source, target, strcmp(type, "bind") == 0, ro, false, err);
	if (rc != TG_OK || strcmp(type, "volume") != 0)
		return rc;
	tg_container_mount *added = &spec->mounts[spec->n_mounts - 1];
	if (source[0] != '\0') { /* an existing volume of that name wins: looked up */
		added->named_volume = true;
		snprintf(added->volume, sizeof(added->volume), "%.255s", source);
	}
	return classify_volume_options(m, added, err);
}

static int read_mounts(const tg_jnode *obj, const char *path, tg_container_spec *spec,
                       tg_error *err)
{
	const tg_jnode *list = NULL;
	int rc = read_list(obj, path, false, TG_CONTAINER_LIST_MAX, &list, err);
	const tg_jnode *e = list ? tg_jnode_first(list) : NULL;
	for (uint32_t i = 0; rc == TG_OK && list != NULL && i < list->len; i++, e = tg_jnode_skip(e))
		rc = add_mount_object(spec, e, err);
	return rc;
}

/* ---- devices and namespaces ---- */

/* Devices [{PathOnHost, ...}] and DeviceRequests [{Driver, ...}] (--gpus). */
static int read_device_objects(const tg_jnode *hc, const char *path, const char *field,
                               const char *flag, tg_container_spec *spec, tg_error *err)
{
	const tg_jnode *list = NULL;
	int rc = read_list(hc, path, false, TG_CONTAINER_LIST_MAX, &list, err);
	const tg_jnode *e = list ? tg_jnode_first(list) : NULL;
	for (uint32_t i = 0; rc == TG_OK && list != NULL && i < list->len; i++, e = tg_jnode_skip(e)) {
		char name[200], text[TG_CONTAINER_TEXT_MAX];
		if (e->type != TG_JOBJECT)
			return tg_error_set(err, TG_EINVAL, "\"%s\" must be a list of objects", path);
		rc = read_string(e, field, name, sizeof(name), NULL, err);
		snprintf(text, sizeof(text), "%s %s", flag, name[0] ? name : "(all)");
		if (rc == TG_OK)
			rc = add_text(spec->devices, &spec->n_devices, TG_CONTAINER_LIST_MAX, text, err);
	}
	return rc;
}

static const char *const ns_fields[TG_NS_COUNT] = {"NetworkMode", "PidMode", "IpcMode",
                                                   "UTSMode", "UsernsMode", "CgroupnsMode"};
static const char *const ns_flags[TG_NS_COUNT] = {"--network host", "--pid host", "--ipc host",
                                                  "--uts host", "--userns host",
                                                  "--cgroupns host"};

const char *tg_host_ns_flag(enum tg_host_ns ns)
{
	return ns_flags[ns];
}

static int read_namespaces(const tg_jnode *hc, tg_container_spec *spec, tg_error *err)
{
	for (int ns = 0; ns < TG_NS_COUNT; ns++) {
		char mode[TG_CONTAINER_TEXT_MAX];
		int rc = read_string(hc, ns_fields[ns], mode, sizeof(mode), NULL, err);
		if (rc != TG_OK)
			return rc;
		spec->host_ns[ns] = strcmp(mode, "host") == 0;
		if (strncmp(mode, "container:", 10) == 0) /* another container's: which? */
			snprintf(spec->ns_container[ns], TG_CONTAINER_TEXT_MAX, "%s", mode + 10);
	}
	return TG_OK;
}

/* MaskedPaths / ReadonlyPaths set at all replace Docker's protected /proc
 * paths ("--security-opt systempaths=unconfined" sends them empty). */
static int read_proc_paths(const tg_jnode *hc, tg_container_spec *spec, tg_error *err)
{
	const char *fields[] = {"MaskedPaths", "ReadonlyPaths"};
	if (spec->kind == TG_SPEC_START)
		return TG_OK; /* dockerd stores its defaults there: judged at create */
	for (size_t i = 0; i < 2; i++) {
		const tg_jnode *list = NULL;
		char text[TG_CONTAINER_TEXT_MAX];
		int rc = read_list(hc, fields[i], false, TG_CONTAINER_LIST_MAX, &list, err);
		if (rc != TG_OK)
			return rc;
		snprintf(text, sizeof(text), "HostConfig.%s (what --security-opt "
		         "systempaths=unconfined sets)", fields[i]);
		if (list != NULL &&
		    (rc = add_text(spec->weakened, &spec->n_weakened, TG_CONTAINER_LIST_MAX, text, err)))
			return rc;
	}
	return TG_OK;
}

static int add_volumes_from(tg_container_spec *spec, const char *s, tg_error *err)
{
	return add_text(spec->volumes_from, &spec->n_volumes_from, TG_CONTAINER_LIST_MAX, s, err);
}

/* ---- the three request kinds ---- */

static int read_strings(const tg_jnode *obj, const char *path, bool one_string,
                        tg_container_spec *spec, string_fn fn, tg_error *err)
{
	const tg_jnode *list = NULL;
	size_t max = fn == add_env ? TG_CONTAINER_ENV_MAX : TG_CONTAINER_LIST_MAX;
	int rc = read_list(obj, path, one_string, max, &list, err);
	return rc == TG_OK ? each_string(list, path, spec, fn, err) : rc;
}

static int read_user_env(const tg_jnode *obj, const char *user_path, const char *env_path,
                         tg_container_spec *spec, tg_error *err)
{
	int rc = read_string(obj, user_path, spec->user, sizeof(spec->user), &spec->has_user, err);
	spec->has_user = spec->has_user && spec->user[0] != '\0';
	return rc == TG_OK ? read_strings(obj, env_path, false, spec, add_env, err) : rc;
}

static int decode_create(const tg_jnode *root, tg_container_spec *spec, tg_error *err)
{
	const tg_jnode *hc = NULL;
	int rc = read_user_env(root, "User", "Env", spec, err);
	if (rc == TG_OK)
		rc = read_node(root, "HostConfig", &hc, err);
	if (rc == TG_OK && hc != NULL && hc->type != TG_JOBJECT && hc->type != TG_JNULL)
		rc = tg_error_set(err, TG_EINVAL, "\"HostConfig\" must be an object");
	if (rc != TG_OK)
		return rc;
	/* Without a HostConfig object, dockerd takes the host settings from the
	 * top level of the body (the API's old layout, still decoded) */
	if (hc == NULL || hc->type == TG_JNULL)
		hc = root;
	if ((rc = read_bool(hc, "Privileged", &spec->privileged, err)) ||
	    (rc = read_bool(hc, "ReadonlyRootfs", &spec->read_only_rootfs, err)) ||
	    (rc = read_strings(hc, "CapAdd", true, spec, add_cap, err)) ||
	    (rc = read_strings(hc, "Capabilities", false, spec, add_exact_cap, err)) ||
	    (rc = read_device_objects(hc, "Devices", "PathOnHost", "--device", spec, err)) ||
	    (rc = read_device_objects(hc, "DeviceRequests", "Driver", "--gpus (driver)", spec, err)) ||
	    (rc = read_strings(hc, "DeviceCgroupRules", false, spec, add_device_rule, err)) ||
	    (rc = read_strings(hc, "SecurityOpt", false, spec, add_security_opt, err)) ||
	    (rc = read_proc_paths(hc, spec, err)) || (rc = read_namespaces(hc, spec, err)) ||
	    (rc = read_strings(hc, "Binds", false, spec, add_bind, err)) ||
	    (rc = read_strings(hc, "VolumesFrom", false, spec, add_volumes_from, err)))
		return rc;
	return read_mounts(hc, "Mounts", spec, err);
}

static int decode_exec(const tg_jnode *root, tg_container_spec *spec, tg_error *err)
{
	int rc = read_user_env(root, "User", "Env", spec, err);
	return rc == TG_OK ? read_bool(root, "Privileged", &spec->privileged, err) : rc;
}

/* A service's privileges: seccomp and AppArmor modes. */
static int read_service_privileges(const tg_jnode *cs, tg_container_spec *spec, tg_error *err)
{
	char seccomp[64], apparmor[64];
	int rc = read_string(cs, "Privileges.Seccomp.Mode", seccomp, sizeof(seccomp), NULL, err);
	if (rc == TG_OK)
		rc = read_string(cs, "Privileges.AppArmor.Mode", apparmor, sizeof(apparmor), NULL, err);
	if (rc == TG_OK && strcmp(seccomp, "unconfined") == 0)
		rc = add_text(spec->weakened, &spec->n_weakened, TG_CONTAINER_LIST_MAX,
		              "--security-opt seccomp=unconfined (Privileges.Seccomp)", err);
	if (rc == TG_OK && strcmp(apparmor, "disabled") == 0)
		rc = add_text(spec->weakened, &spec->n_weakened, TG_CONTAINER_LIST_MAX,
		              "--security-opt apparmor=unconfined (Privileges.AppArmor)", err);
	bool no_labels = false;
	if (rc == TG_OK)
		rc = read_bool(cs, "Privileges.SELinuxContext.Disable", &no_labels, err);
	if (rc == TG_OK && no_labels)
		rc = add_text(spec->weakened, &spec->n_weakened, TG_CONTAINER_LIST_MAX,
		              "--security-opt label=disable (Privileges.SELinuxContext)", err);
	return rc;
}

/* Networks [{"Target": "host"}]: the host's network. */
static int read_service_networks(const tg_jnode *tt, tg_container_spec *spec, tg_error *err)
{
	const tg_jnode *list = NULL;
	int rc = read_list(tt, "Networks", false, TG_CONTAINER_LIST_MAX, &list, err);
	const tg_jnode *e = list ? tg_jnode_first(list) : NULL;
	for (uint32_t i = 0; rc == TG_OK && list != NULL && i < list->len; i++, e = tg_jnode_skip(e)) {
		char target[TG_CONTAINER_TEXT_MAX];
		rc = e->type == TG_JOBJECT
		             ? read_string(e, "Target", target, sizeof(target), NULL, err)
		             : tg_error_set(err, TG_EINVAL, "\"Networks\" must be a list of objects");
		if (rc == TG_OK && strcmp(target, "host") == 0)
			spec->host_ns[TG_NS_NETWORK] = true;
		else if (rc == TG_OK && target[0] != '\0')
			rc = add_text(spec->networks, &spec->n_networks, TG_CONTAINER_LIST_MAX, target, err);
	}
	return rc;
}

static int decode_service(const tg_jnode *root, tg_container_spec *spec, tg_error *err)
{
	const tg_jnode *tt = NULL, *cs = NULL;
	int rc = read_node(root, "TaskTemplate", &tt, err);
	if (rc == TG_OK)
		rc = read_node(tt, "ContainerSpec", &cs, err);
	if (rc != TG_OK || cs == NULL || cs->type == TG_JNULL)
		return rc; /* a plugin service: no container */
	if ((rc = read_user_env(cs, "User", "Env", spec, err)) ||
	    (rc = read_bool(cs, "ReadOnly", &spec->read_only_rootfs, err)) ||
	    (rc = read_strings(cs, "CapabilityAdd", false, spec, add_cap, err)) ||
	    (rc = read_service_privileges(cs, spec, err)) || (rc = read_mounts(cs, "Mounts", spec, err)))
		return rc;
	/* the deprecated top-level Networks, which dockerd uses when the task
	 * template names none: both are read */
	rc = read_service_networks(tt, spec, err);
	return rc == TG_OK ? read_service_networks(root, spec, err) : rc;
}

int tg_container_decode_json(const char *json, size_t len, tg_container_spec *spec,
                             tg_error *err)
{
	tg_authz_request req;
	memset(&req, 0, sizeof(req));
	req.body = (unsigned char *)(uintptr_t)json; /* read only */
	req.body_len = len;
	return tg_container_decode(&req, TG_SPEC_START, spec, err);
}

int tg_container_decode(const tg_authz_request *req, enum tg_container_kind kind,
                        tg_container_spec *spec, tg_error *err)
{
	memset(spec, 0, offsetof(tg_container_spec, caps)); /* the lists follow their counts */
	spec->kind = kind;
	if (req->body == NULL)
		return tg_error_set(err, TG_EINVAL, "the request reached trustgate without its body, so "
		                    "how the container would run cannot be checked");
	tg_jdoc doc;
	tg_error perr;
	int rc = tg_jdoc_parse((const char *)req->body, req->body_len, &doc, &perr);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "the request body is not valid JSON: %s", perr.msg);
	const tg_jnode *root = tg_jdoc_root(&doc);
	if (root->type != TG_JOBJECT && root->type != TG_JNULL)
		rc = tg_error_set(err, TG_EINVAL, "the request body is not a JSON object");
	else if (kind == TG_SPEC_CREATE || kind == TG_SPEC_START)
		rc = decode_create(root, spec, err);
	else if (kind == TG_SPEC_EXEC)
		rc = decode_exec(root, spec, err);
	else
		rc = decode_service(root, spec, err);
	tg_jdoc_free(&doc);
	return rc;
}

bool tg_container_user_is_root(const char *user)
{
	size_t n = strcspn(user, ":");
	if (n == 0 || (n == 4 && strncmp(user, "root", 4) == 0))
		return true;
	/* a number as Go's strconv.Atoi reads it (runc): an optional sign */
	size_t start = user[0] == '+' || user[0] == '-' ? 1 : 0;
	if (start == n || strspn(user + start, "0123456789") < n - start)
		return false; /* a name other than root */
	for (size_t i = start; i < n; i++)
		if (user[i] != '0')
			return false;
	return true;
}

int tg_container_clean_path(const char *path, char *out, size_t n)
{
	size_t len = 1;
	if (path[0] != '/' || n < 2)
		return TG_EINVAL;
	out[0] = '/';
	out[1] = '\0';
	for (const char *s = path; *s != '\0';) {
		while (*s == '/')
			s++;
		size_t k = strcspn(s, "/");
		if (k == 2 && strncmp(s, "..", 2) == 0) {
			while (len > 1 && out[len - 1] != '/')
				len--;
			if (len > 1)
				len--; /* the '/' before it */
		} else if (k > 0 && !(k == 1 && s[0] == '.')) {
			if (len + k + 2 > n)
				return TG_ETOOBIG;
			if (len > 1)
				out[len++] = '/';
			memcpy(out + len, s, k);
			len += k;
		}
		out[len] = '\0';
		s += k;
	}
	return TG_OK;
}
