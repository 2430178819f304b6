/* container_facts: see container_facts.h. realpath(3) is XSI. */
#define _XOPEN_SOURCE 700
#include "plugin/container_facts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trustcache/docker.h"

#define MOUNTINFO "/proc/1/mountinfo" /* the host's mounts, as init sees them */

int tg_container_resolve_path(const char *path, char *out, size_t n)
{
	char clean[PATH_MAX], prefix[PATH_MAX], real[PATH_MAX];
	if (tg_container_clean_path(path, clean, sizeof(clean)) != TG_OK)
		return TG_EINVAL;
	snprintf(prefix, sizeof(prefix), "%s", clean);
	size_t cut = strlen(prefix);
	while (realpath(prefix, real) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR)
			return TG_EINVAL; /* no permission, a loop: not what dockerd (root) sees */
		char *slash = strrchr(prefix, '/');
		if (slash == NULL || slash == prefix) {
			snprintf(real, sizeof(real), "/");
			cut = 0;
			break;
		}
		*slash = '\0';
		cut = (size_t)(slash - prefix);
	}
	/* the part that does not exist yet is created as written */
	char joined[2 * PATH_MAX];
	snprintf(joined, sizeof(joined), "%s/%s", real, clean + cut);
	return tg_container_clean_path(joined, out, n) == TG_OK ? TG_OK : TG_EINVAL;
}

/* GET a container or volume from dockerd as JSON; NULL with *rc set:
 * TG_ENOTFOUND (no such object) or an error in err. */
static json_t *ask(const struct tg_local_env *lenv, const char *kind, const char *name, int *rc,
                   tg_error *err)
{
	json_t *doc = NULL;
	*rc = tg_docker_inspect_json(lenv->docker_socket, lenv->session, kind, name,
	                             lenv->docker_timeout_ms, &doc, err);
	return *rc == TG_OK ? doc : NULL;
}

static int append_mount(tg_container_spec *spec, const char *source, const char *target,
                        bool host_path, bool read_only, const char *via, tg_error *err)
{
	if (spec->n_mounts >= TG_CONTAINER_LIST_MAX || strlen(source) >= TG_CONTAINER_PATH_MAX ||
	    strlen(target) >= TG_CONTAINER_PATH_MAX)
		return tg_error_set(err, TG_ETOOBIG, "more mounts (or longer paths) than trustgate "
		                    "checks (%s)", via);
	tg_container_mount *m = &spec->mounts[spec->n_mounts++];
	memset(m, 0, sizeof(*m));
	snprintf(m->source, sizeof(m->source), "%s", source);
	snprintf(m->target, sizeof(m->target), "%s", target);
	snprintf(m->via, sizeof(m->via), "%s", via);
	m->host_path = host_path;
	m->named_volume = !host_path;
	if (!host_path)
		snprintf(m->volume, sizeof(m->volume), "%.255s", source);
	m->read_only = read_only;
	return TG_OK;
}

/* Inspect's "Mounts" of a container into spec: binds by source, volumes
 * by name; read-only when the container's is, or when ro says so. */
static int add_inspected_mounts(tg_container_spec *spec, const json_t *mounts, bool ro,
                                const char *via, tg_error *err)
{
	size_t i;
	json_t *m;
	int rc = TG_OK;
	json_array_foreach(mounts, i, m) {
		const char *type = json_string_value(json_object_get(m, "Type"));
		const char *source = json_string_value(json_object_get(m, "Source"));
		const char *vname = json_string_value(json_object_get(m, "Name"));
		const char *dst = json_string_value(json_object_get(m, "Destination"));
		bool mro = ro || !json_is_true(json_object_get(m, "RW"));
		if (rc == TG_OK && type != NULL && strcmp(type, "bind") == 0 && source != NULL)
			rc = append_mount(spec, source, dst ? dst : "", true, mro, via, err);
		else if (rc == TG_OK && type != NULL && strcmp(type, "volume") == 0 && vname != NULL)
			rc = append_mount(spec, vname, dst ? dst : "", false, mro, via, err);
	}
	return rc;
}

int tg_container_facts_stored_mounts(tg_container_spec *spec, const json_t *mounts,
                                     tg_error *err)
{
	return add_inspected_mounts(spec, mounts, false, "", err);
}

/* "--volumes-from X[:ro|:rw]": X's mounts (inspect's "Mounts"), read-only
 * when X's is or when asked. */
static int add_volumes_from(const struct tg_local_env *lenv, tg_container_spec *spec,
                            const char *entry, tg_error *err)
{
	char name[TG_CONTAINER_TEXT_MAX], via[TG_CONTAINER_TEXT_MAX];
	snprintf(name, sizeof(name), "%s", entry);
	char *colon = strchr(name, ':');
	bool ro = colon != NULL && strcmp(colon + 1, "ro") == 0;
	if (colon != NULL)
		*colon = '\0';
	snprintf(via, sizeof(via), "--volumes-from %.200s", entry);
	int rc;
	json_t *doc = ask(lenv, "container", name, &rc, err);
	if (rc == TG_OK)
		rc = add_inspected_mounts(spec, json_object_get(doc, "Mounts"), ro, via, err);
	json_decref(doc);
	return rc == TG_ENOTFOUND ? TG_OK : rc; /* dockerd refuses a missing one itself */
}

/* "container:X" modes: X's namespace is the host's when X's mode is
 * "host"; X joining yet another container is not followed (denied). */
static int resolve_joined(const struct tg_local_env *lenv, tg_container_spec *spec, int ns,
                          tg_error *err)
{
	static const char *const fields[TG_NS_COUNT] = {"NetworkMode", "PidMode", "IpcMode",
	                                                "UTSMode", "UsernsMode", "CgroupnsMode"};
	static const char *const flags[TG_NS_COUNT] = {"--network", "--pid", "--ipc", "--uts",
	                                               "--userns", "--cgroupns"};
	const char *x = spec->ns_container[ns];
	int rc;
	json_t *doc = ask(lenv, "container", x, &rc, err);
	const char *mode = json_string_value(
		json_object_get(json_object_get(doc, "HostConfig"), fields[ns]));
	if (rc == TG_OK && mode != NULL && (strcmp(mode, "host") == 0 ||
	                                    strncmp(mode, "container:", 10) == 0)) {
		spec->host_ns[ns] = true;
		snprintf(spec->ns_via[ns], TG_CONTAINER_TEXT_MAX, "%s container:%.100s (%s)",
		         flags[ns], x, strcmp(mode, "host") == 0
		                           ? "that container has the host's"
		                           : "that container joins another, which is not followed");
	}
	json_decref(doc);
	return rc == TG_ENOTFOUND ? TG_OK : rc;
}

/* A service's network named by name or ID: the host's when its driver is
 * "host" (dockerd resolves names, IDs and ID prefixes). */
static int resolve_network(const struct tg_local_env *lenv, tg_container_spec *spec,
                           const char *target, tg_error *err)
{
	int rc;
	json_t *doc = ask(lenv, "network", target, &rc, err);
	const char *driver = json_string_value(json_object_get(doc, "Driver"));
	if (rc == TG_OK && driver != NULL && strcmp(driver, "host") == 0) {
		spec->host_ns[TG_NS_NETWORK] = true;
		snprintf(spec->ns_via[TG_NS_NETWORK], TG_CONTAINER_TEXT_MAX, "--network %.100s (the "
		         "host network)", target);
	}
	json_decref(doc);
	return rc == TG_ENOTFOUND ? TG_OK : rc;
}

/* A named volume that exists: its stored options decide what it mounts
 * (dockerd ignores a request's options for an existing volume). */
static int resolve_volume(const struct tg_local_env *lenv, tg_container_mount *m, tg_error *err)
{
	int rc;
	json_t *doc = ask(lenv, "volume", m->volume, &rc, err);
	json_t *opts = json_object_get(doc, "Options");
	const char *driver = json_string_value(json_object_get(doc, "Driver"));
	const char *type = json_string_value(json_object_get(opts, "type"));
	char path[TG_CONTAINER_PATH_MAX];
	enum tg_volume_kind kind = TG_VOLUME_PLAIN;
	if (rc == TG_OK && (driver == NULL || driver[0] == '\0' || strcmp(driver, "local") == 0))
		rc = tg_container_volume_kind(type, json_string_value(json_object_get(opts, "o")),
		                              json_string_value(json_object_get(opts, "device")), &kind,
		                              path, sizeof(path), err);
	if (rc == TG_OK) { /* the stored volume, not the request, decides */
		m->host_path = kind == TG_VOLUME_HOST_PATH;
		m->unsafe_type[0] = '\0';
		snprintf(m->source, sizeof(m->source), "%s", m->host_path ? path : m->volume);
		if (kind == TG_VOLUME_UNSAFE)
			snprintf(m->unsafe_type, sizeof(m->unsafe_type), "%.31s",
			         type != NULL && type[0] ? type : "(no type)");
		if (m->host_path || kind == TG_VOLUME_UNSAFE)
			snprintf(m->via, sizeof(m->via), "volume %.200s", m->volume);
	}
	json_decref(doc);
	return rc == TG_ENOTFOUND ? TG_OK : rc; /* a new volume: made from the request's options */
}

/* "\040"-style escapes of mountinfo, in place. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* For each resolved host path: whether a mount point lies strictly under
 * it. Without the host's mount table, every one is taken to have some
 * (read-only then protects nothing). */
static void find_submounts(tg_container_spec *spec)
{
	FILE *f = fopen(MOUNTINFO, "r");
	char *line = NULL;
	size_t cap = 0;
	for (size_t i = 0; f == NULL && i < spec->n_mounts; i++)
		spec->mounts[i].has_submounts = true;
	while (f != NULL && getline(&line, &cap, f) > 0) {
		char *save = NULL, *field = strtok_r(line, " ", &save);
		for (int k = 1; field != NULL && k < 5; k++)
			field = strtok_r(NULL, " ", &save); /* the 5th field: the mount point */
		if (field == NULL)
			continue;
		unescape(field);
		for (size_t i = 0; i < spec->n_mounts; i++) {
			tg_container_mount *m = &spec->mounts[i];
			size_t n = strlen(m->resolved);
			if (m->host_path && n > 0 && strcmp(field, m->resolved) != 0 &&
			    strncmp(field, m->resolved, n) == 0 && (field[n] == '/' || n == 1))
				m->has_submounts = true;
		}
	}
	free(line);
	if (f != NULL)
		fclose(f);
}

/* Whether one of spec's mounts is a host path (to resolve), else whether
 * one names a volume (to look up). */
static bool has_mount(const tg_container_spec *spec, bool host_path)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (host_path ? spec->mounts[i].host_path
		              : spec->mounts[i].named_volume && spec->mounts[i].volume[0] != '\0')
			return true;
	return false;
}

bool tg_container_facts_needed(const tg_container_spec *spec)
{
	bool needed = has_mount(spec, true) || has_mount(spec, false) || spec->n_volumes_from > 0 ||
	              spec->n_networks > 0;
	for (int ns = 0; ns < TG_NS_COUNT; ns++)
		needed = needed || spec->ns_container[ns][0] != '\0';
	return needed;
}

int tg_container_facts_gather(const struct tg_local_env *lenv, tg_container_spec *spec,
                              tg_error *err)
{
	int rc = TG_OK;
	/* no dockerd to ask (trustgate check offline): the host paths alone */
	bool docker = lenv->docker_socket != NULL;
	for (size_t i = 0; docker && rc == TG_OK && i < spec->n_volumes_from; i++)
		rc = add_volumes_from(lenv, spec, spec->volumes_from[i], err);
	for (int ns = 0; docker && rc == TG_OK && ns < TG_NS_COUNT; ns++)
		if (spec->ns_container[ns][0] != '\0')
			rc = resolve_joined(lenv, spec, ns, err);
	for (size_t i = 0; docker && rc == TG_OK && i < spec->n_networks; i++)
		rc = resolve_network(lenv, spec, spec->networks[i], err);
	for (size_t i = 0; docker && rc == TG_OK && i < spec->n_mounts; i++)
		if (spec->mounts[i].named_volume && spec->mounts[i].volume[0] != '\0')
			rc = resolve_volume(lenv, &spec->mounts[i], err);
	if (rc != TG_OK)
		return rc;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		tg_container_mount *m = &spec->mounts[i];
		if (m->host_path && tg_container_resolve_path(m->source, m->resolved,
		                                              sizeof(m->resolved)) != TG_OK) {
			m->resolved[0] = '\0';
			m->resolve_failed = true;
		}
	}
	if (has_mount(spec, true)) /* the mount table is read only for host paths */
		find_submounts(spec);
	return TG_OK;
}
