/* policy_container: the "container" section of a policy and of its rules
 * (the hardening rules: README "Container hardening"). Table-driven: each
 * setting is an action (allow, warn, deny) with a default; each list has a
 * default and a kind (paths are normalized, capabilities upper-cased). A
 * rule's section overrides setting by setting, and list by list. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz/policy_internal.h"

#define LIST_MAX 64

static const struct {
	const char *key;
	enum tg_hard_action fallback;
} settings[TG_HARD_COUNT] = {
	[TG_HARD_PRIVILEGED] = {"privileged", TG_HARD_DENY},
	[TG_HARD_CAPABILITIES] = {"capabilities", TG_HARD_DENY},
	[TG_HARD_DEVICES] = {"devices", TG_HARD_DENY},
	[TG_HARD_SECURITY_OPTIONS] = {"security_options", TG_HARD_DENY},
	[TG_HARD_HOST_NETWORK] = {"host_network", TG_HARD_DENY},
	[TG_HARD_HOST_PID] = {"host_pid", TG_HARD_DENY},
	[TG_HARD_HOST_IPC] = {"host_ipc", TG_HARD_DENY},
	[TG_HARD_HOST_UTS] = {"host_uts", TG_HARD_DENY},
	[TG_HARD_HOST_USERNS] = {"host_userns", TG_HARD_DENY},
	[TG_HARD_HOST_CGROUPNS] = {"host_cgroupns", TG_HARD_DENY},
	[TG_HARD_RUN_AS_ROOT] = {"run_as_root", TG_HARD_WARN},
	[TG_HARD_BIND_MOUNTS] = {"bind_mounts", TG_HARD_DENY},
	[TG_HARD_READ_ONLY_ROOTFS] = {"read_only_rootfs", TG_HARD_ALLOW},
	[TG_HARD_ENV_SECRETS] = {"env_secrets", TG_HARD_WARN},
};

static const char *const default_protected[] = {
	"/etc", "/boot", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/root",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/trustgate", "/var/lib/kubelet",
	"/var/lib/dpkg", "/var/lib/apt", "/var/lib/rpm", "/var/spool/cron", NULL};
static const char *const default_never_mounted[] = {
	"/run/docker.sock", "/var/run/docker.sock", "/run/docker", "/var/run/docker",
	"/run/containerd", "/var/run/containerd", "/run/dbus", "/var/run/dbus", "/run/systemd",
	"/proc", "/sys", "/dev", NULL};
static const char *const everywhere[] = {"/", NULL};
static const char *const none[] = {NULL};

static const struct {
	const char *key;
	bool paths; /* else capabilities */
	const char *const *fallback;
} lists[TG_HARD_LIST_COUNT] = {
	[TG_HARD_ALLOWED_CAPS] = {"allowed_capabilities", false, none},
	[TG_HARD_BIND_PATHS] = {"bind_paths", true, everywhere},
	[TG_HARD_WRITABLE_PATHS] = {"writable_bind_paths", true, everywhere},
	[TG_HARD_PROTECTED] = {"protected_paths", true, default_protected},
	[TG_HARD_NEVER_MOUNTED] = {"never_mounted", true, default_never_mounted},
};

const char *tg_hard_setting_key(enum tg_hard_setting s)
{
	return settings[s].key;
}

const char *tg_hard_list_key(enum tg_hard_list l)
{
	return lists[l].key;
}

const char *tg_hard_action_name(enum tg_hard_action a)
{
	static const char *const names[] = {"unset", "allow", "warn", "deny"};
	return names[a];
}

/* "/srv//data/./x/" -> "/srv/data/x"; ".." is refused (a policy names
 * paths plainly). */
static int normalize_path(const char *in, char **out)
{
	size_t len = strlen(in);
	char *p = malloc(len + 2), *w = p;
	if (p == NULL)
		return TG_ENOMEM;
	for (const char *s = in; *s != '\0';) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n == 0)
			break;
		if (n == 2 && strncmp(s, "..", 2) == 0) {
			free(p);
			return TG_EINVAL;
		}
		if (!(n == 1 && s[0] == '.')) {
			*w++ = '/';
			memcpy(w, s, n);
			w += n;
		}
		s += n;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
	*out = p;
	return TG_OK;
}

static char *upper_cap(const char *in)
{
	const char *s = strncasecmp(in, "CAP_", 4) == 0 ? in + 4 : in;
	char *out = strdup(s);
	for (char *c = out; c != NULL && *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 32);
	return out;
}

static int set_list(tg_container_rules *r, enum tg_hard_list l, const char *const *items,
                    size_t n)
{
	char **out = calloc(n ? n : 1, sizeof(*out));
	if (out == NULL)
		return TG_ENOMEM;
	tg_pv_free_strings(r->list[l], r->n_list[l]);
	r->list[l] = out;
	r->n_list[l] = 0;
	r->has_list[l] = true;
	for (size_t i = 0; i < n; i++) {
		int rc = TG_OK;
		if (lists[l].paths)
			rc = normalize_path(items[i], &out[i]);
		else if ((out[i] = upper_cap(items[i])) == NULL)
			rc = TG_ENOMEM;
		if (rc != TG_OK)
			return rc;
		r->n_list[l] = i + 1;
	}
	return TG_OK;
}

int tg_pv_container_defaults(tg_container_rules *r)
{
	memset(r, 0, sizeof(*r));
	for (int s = 0; s < TG_HARD_COUNT; s++)
		r->action[s] = settings[s].fallback;
	for (int l = 0; l < TG_HARD_LIST_COUNT; l++) {
		size_t n = 0;
		while (lists[l].fallback[n] != NULL)
			n++;
		int rc = set_list(r, (enum tg_hard_list)l, lists[l].fallback, n);
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

void tg_pv_free_container(tg_container_rules *r)
{
	if (r == NULL)
		return;
	for (int l = 0; l < TG_HARD_LIST_COUNT; l++)
		tg_pv_free_strings(r->list[l], r->n_list[l]);
	memset(r, 0, sizeof(*r));
}

static int load_action(struct ctx *c, json_t *v, enum tg_hard_action *out)
{
	const char *s = json_string_value(v);
	for (int a = TG_HARD_ALLOW; s != NULL && a <= TG_HARD_DENY; a++)
		if (strcmp(s, tg_hard_action_name((enum tg_hard_action)a)) == 0) {
			*out = (enum tg_hard_action)a;
			return TG_OK;
		}
	return tg_pv_fail(c, "must be \"allow\", \"warn\" or \"deny\"");
}

static int load_list(struct ctx *c, json_t *v, enum tg_hard_list l, tg_container_rules *r)
{
	const char *items[LIST_MAX];
	size_t i;
	json_t *e;
	if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
		return tg_pv_fail(c, "\"%s\" must be a list of at most %d %s", lists[l].key, LIST_MAX,
		                  lists[l].paths ? "absolute paths" : "capability names");
	json_array_foreach(v, i, e) {
		items[i] = json_string_value(e);
		tg_pv_push_index(c, i);
		if (items[i] == NULL || items[i][0] == '\0' || strlen(items[i]) > 1000 ||
		    (lists[l].paths && items[i][0] != '/') ||
		    (!lists[l].paths && strspn(items[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz") !=
		                            strlen(items[i])))
			return tg_pv_fail(c, "%s", lists[l].paths ? "must be an absolute path"
			                                          : "must be a capability name (NET_ADMIN)");
		tg_pv_pop(c);
	}
	int rc = set_list(r, l, items, json_array_size(v));
	if (rc == TG_EINVAL)
		return tg_pv_fail(c, "\"%s\": paths may not contain \"..\"", lists[l].key);
	return rc == TG_OK ? TG_OK : tg_error_set(c->err, rc, "out of memory");
}

/* One "container" object into r (over what r holds). */
static int load_section(struct ctx *c, json_t *v, tg_container_rules *r)
{
	const char *key;
	json_t *value;
	if (!json_is_object(v))
		return tg_pv_fail(c, "\"container\" must be an object of settings");
	json_object_foreach(v, key, value) {
		int rc = TG_EINVAL, s, l;
		tg_pv_push_key(c, key);
		for (s = 0; s < TG_HARD_COUNT && strcmp(key, settings[s].key) != 0; s++)
			;
		for (l = 0; l < TG_HARD_LIST_COUNT && strcmp(key, lists[l].key) != 0; l++)
			;
		if (s < TG_HARD_COUNT)
			rc = load_action(c, value, &r->action[s]);
		else if (l < TG_HARD_LIST_COUNT)
			rc = load_list(c, value, (enum tg_hard_list)l, r);
		else if (strcmp(key, "comment") == 0)
			rc = json_is_string(value) ? TG_OK : tg_pv_fail(c, "\"comment\" must be a string");
		else
			rc = tg_pv_fail(c, "unknown container setting \"%s\" (known: privileged, "
			                "capabilities, allowed_capabilities, devices, security_options, "
			                "host_network, host_pid, host_ipc, host_uts, host_userns, "
			                "host_cgroupns, run_as_root, bind_mounts, bind_paths, "
			                "writable_bind_paths, protected_paths, never_mounted, "
			                "read_only_rootfs, env_secrets, comment)", key);
		if (rc != TG_OK)
			return rc;
		tg_pv_pop(c);
	}
	return TG_OK;
}

int tg_pv_load_container(struct ctx *c, json_t *v, tg_policy *p)
{
	return load_section(c, v, &p->container);
}

int tg_pv_load_rule_container(struct ctx *c, json_t *v, tg_rule *rule)
{
	rule->container = calloc(1, sizeof(*rule->container));
	if (rule->container == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	return load_section(c, v, rule->container);
}

void tg_policy_container_rules(const tg_policy *p, const tg_rule *rule, tg_container_rules *out)
{
	const tg_container_rules *over = rule != NULL ? rule->container : NULL;
	*out = p->container;
	for (int s = 0; over != NULL && s < TG_HARD_COUNT; s++)
		if (over->action[s] != TG_HARD_UNSET)
			out->action[s] = over->action[s];
	for (int l = 0; over != NULL && l < TG_HARD_LIST_COUNT; l++)
		if (over->has_list[l]) {
			out->list[l] = over->list[l];
			out->n_list[l] = over->n_list[l];
		}
}
