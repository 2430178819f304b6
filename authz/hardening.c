/* hardening: see hardening.h. One check function per setting; each adds
 * findings through add(). Paths are compared component-wise: "/srv" holds
 * "/srv/data" but not "/srv2". */
#include "authz/hardening.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "authz/decide_internal.h"

static void add(tg_hard_findings *out, const tg_container_rules *r, enum tg_hard_setting s,
                const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(tg_hard_findings *out, const tg_container_rules *r, enum tg_hard_setting s,
                const char *fix, const char *fmt, ...)
{
	enum tg_hard_action a = r->action[s];
	if (a != TG_HARD_WARN && a != TG_HARD_DENY)
		return;
	out->deny = out->deny || a == TG_HARD_DENY;
	tg_hard_finding *f = NULL;
	if (out->n < TG_HARD_FINDINGS_MAX) {
		f = &out->f[out->n++];
	} else {
		/* full: a deny takes the place of a warning, so what denies is
		 * always listed */
		for (size_t i = out->n; a == TG_HARD_DENY && f == NULL && i > 0; i--)
			if (out->f[i - 1].action == TG_HARD_WARN)
				f = &out->f[i - 1];
		out->more++;
		if (f == NULL)
			return;
	}
	f->setting = s;
	f->action = a;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	snprintf(f->fix, sizeof(f->fix), "%s", fix);
}

/* Whether path is prefix or inside it. */
static bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strcmp(prefix, "/") == 0)
		return path[0] == '/';
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool under_any(const char *path, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (path_under(path, list[i]))
			return true;
	return false;
}

static bool related(const char *path, const char *other)
{
	return other != NULL && other[0] == '/' && (path_under(path, other) || path_under(other, path));
}

/* The first of list (or of the extras) that path is, is inside, or holds;
 * else NULL. */
static const char *touches(const char *path, char *const *list, size_t n, const char *extra1,
                           const char *extra2)
{
	for (size_t i = 0; i < n; i++)
		if (related(path, list[i]))
			return list[i];
	return related(path, extra1) ? extra1 : related(path, extra2) ? extra2 : NULL;
}

static void check_privileges(const tg_container_rules *r, const tg_container_spec *spec,
                             tg_hard_findings *out)
{
	if (spec->privileged)
		add(out, r, TG_HARD_PRIVILEGED, "run without --privileged (add only the capabilities "
		    "it needs with --cap-add)", "--privileged gives the container every capability "
		    "and the host's devices");
	for (size_t i = 0; i < spec->n_caps; i++) {
		bool allowed = false;
		for (size_t k = 0; k < r->n_list[TG_HARD_ALLOWED_CAPS]; k++)
			allowed = allowed || strcmp(spec->caps[i], r->list[TG_HARD_ALLOWED_CAPS][k]) == 0;
		if (!allowed)
			add(out, r, TG_HARD_CAPABILITIES, "drop that --cap-add", "--cap-add %s adds a "
			    "capability the policy does not allow", spec->caps[i]);
	}
	for (size_t i = 0; i < spec->n_devices; i++)
		add(out, r, TG_HARD_DEVICES, "remove it (a device gives direct access to host "
		    "hardware)", "%s gives the container a host device", spec->devices[i]);
	for (size_t i = 0; i < spec->n_weakened; i++)
		add(out, r, TG_HARD_SECURITY_OPTIONS, "remove that option (keep Docker's seccomp, "
		    "AppArmor and /proc protections)", "%s turns a kernel protection off",
		    spec->weakened[i]);
}

static void check_namespaces(const tg_container_rules *r, const tg_container_spec *spec,
                             tg_hard_findings *out)
{
	static const char *const fixes[TG_NS_COUNT] = {
		"use a container network (--network NAME, or none)", "drop --pid host",
		"drop --ipc host (or use --ipc shareable between containers)", "drop --uts host",
		"drop --userns host", "drop --cgroupns host (use --cgroupns private)"};
	for (int ns = 0; ns < TG_NS_COUNT; ns++)
		if (spec->host_ns[ns] && !(spec->kind == TG_SPEC_START && ns == TG_NS_CGROUP &&
		                           spec->ns_via[ns][0] == '\0'))
			add(out, r, (enum tg_hard_setting)(TG_HARD_HOST_NETWORK + ns), fixes[ns],
			    "%s shares the host's namespace", spec->ns_via[ns][0]
			                                          ? spec->ns_via[ns]
			                                          : tg_host_ns_flag((enum tg_host_ns)ns));
}

static void check_user(const tg_container_rules *r, const tg_container_spec *spec,
                       const tg_container_facts *facts, tg_hard_findings *out)
{
	const char *fix = "run as another user: --user 1000 (or set USER in the image)";
	if (spec->has_user) {
		if (tg_container_user_is_root(spec->user))
			add(out, r, TG_HARD_RUN_AS_ROOT, fix, "--user %.100s runs as root", spec->user);
		return;
	}
	const char *whose = spec->kind == TG_SPEC_EXEC ? "the container's" : "the image's";
	if (!facts->user_known)
		add(out, r, TG_HARD_RUN_AS_ROOT, fix, "no --user is given and %s user could not be "
		    "read, so it is taken as root", whose);
	else if (tg_container_user_is_root(facts->user))
		add(out, r, TG_HARD_RUN_AS_ROOT, fix, "no --user is given and %s user is %s", whose,
		    facts->user[0] ? facts->user : "root (none set)");
}

/* How the user wrote a mount, for messages. */
static void spelled(const tg_container_mount *m, char *out, size_t n)
{
	if (m->via[0] != '\0')
		snprintf(out, n, "%.200s (%.200s)", m->via, m->source);
	else if (m->from_binds)
		snprintf(out, n, "-v %.200s:%.200s%s", m->source, m->target, m->read_only ? ":ro" : "");
	else
		snprintf(out, n, "--mount src=%.200s,dst=%.200s%s", m->source, m->target,
		         m->read_only ? ",readonly" : "");
}

static void check_mount(const tg_container_rules *r, const tg_container_mount *m,
                        const tg_container_facts *facts, tg_hard_findings *out)
{
	char as[480], fix[480], clean[TG_CONTAINER_PATH_MAX];
	/* unresolved: at least the text as dockerd cleans it */
	bool cleaned = tg_container_clean_path(m->source, clean, sizeof(clean)) == TG_OK;
	const char *path = m->resolved[0] ? m->resolved : clean;
	const char *hit;
	/* a read-only bind is not recursive: what is mounted under it stays writable */
	bool writable = !m->read_only || m->has_submounts;
	spelled(m, as, sizeof(as));
	if (m->resolve_failed || (!m->resolved[0] && !cleaned)) {
		add(out, r, TG_HARD_BIND_MOUNTS, "mount a path trustgate can resolve", "%s mounts host "
		    "path %.200s, which trustgate could not resolve as dockerd will", as, m->source);
		return;
	}
	snprintf(fix, sizeof(fix), "mount it read-only (-v %.90s:%.90s:ro, or --mount "
	         "type=bind,src=%.90s,dst=%.90s,readonly)", m->source, m->target, m->source, m->target);
	if ((hit = touches(path, r->list[TG_HARD_NEVER_MOUNTED], r->n_list[TG_HARD_NEVER_MOUNTED],
	                   facts->docker_socket, NULL)))
		add(out, r, TG_HARD_BIND_MOUNTS, "do not mount it: read-only or not, an API socket "
		    "controls the daemon behind it, and what is mounted under /proc, /sys or /dev stays "
		    "writable", "%s exposes %s, which is never mounted into a container", as, hit);
	else if (!under_any(path, r->list[TG_HARD_BIND_PATHS], r->n_list[TG_HARD_BIND_PATHS]))
		add(out, r, TG_HARD_BIND_MOUNTS, "mount a path under an allowed one, or use a volume",
		    "%s mounts host path %s, which is not under the policy's bind_paths", as, path);
	else if (!writable)
		return;
	else if ((hit = touches(path, r->list[TG_HARD_PROTECTED], r->n_list[TG_HARD_PROTECTED],
	                        facts->data_root, facts->state_dir)))
		add(out, r, TG_HARD_BIND_MOUNTS, m->read_only ? "mount a path with no mounts under it" : fix,
		    "%s mounts %s writable%s, and %s is a protected host path", as, path,
		    m->read_only ? " (read-only does not reach the mounts under it)" : "", hit);
	else if (!under_any(path, r->list[TG_HARD_WRITABLE_PATHS], r->n_list[TG_HARD_WRITABLE_PATHS]))
		add(out, r, TG_HARD_BIND_MOUNTS, m->read_only ? "mount a path with no mounts under it" : fix,
		    "%s mounts host path %s writable%s, outside the policy's writable_bind_paths", as,
		    path, m->read_only ? " (read-only does not reach the mounts under it)" : "");
}

/* Names that hold secrets: *PASSWORD*, *PASSWD*, *SECRET*, *TOKEN*, *_KEY
 * (not *_FILE: that names a file holding one). */
static bool secret_name(const char *name)
{
	char up[TG_CONTAINER_TEXT_MAX];
	size_t n = strlen(name);
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	if (n >= 5 && strcmp(up + n - 5, "_FILE") == 0)
		return false;
	return strstr(up, "PASSWORD") || strstr(up, "PASSWD") || strstr(up, "SECRET") ||
	       strstr(up, "TOKEN") || (n >= 4 && strcmp(up + n - 4, "_KEY") == 0);
}

static void check_files_and_env(const tg_container_rules *r, const tg_container_spec *spec,
                                const tg_container_facts *facts, tg_hard_findings *out)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const tg_container_mount *m = &spec->mounts[i];
		char as[480];
		if (m->host_path) {
			check_mount(r, m, facts, out);
		} else if (m->unsafe_type[0] != '\0') {
			spelled(m, as, sizeof(as));
			add(out, r, TG_HARD_BIND_MOUNTS, "use a plain volume, or bind a host path the rules "
			    "allow", "%s mounts a host file system (a local volume of type %s)", as,
			    m->unsafe_type);
		}
	}
	if ((spec->kind == TG_SPEC_CREATE || spec->kind == TG_SPEC_SERVICE) && !spec->read_only_rootfs)
		add(out, r, TG_HARD_READ_ONLY_ROOTFS, "add --read-only (with --tmpfs /tmp for scratch "
		    "space)", "the container's root filesystem is writable");
	for (size_t i = 0; spec->kind != TG_SPEC_START && i < spec->n_env; i++)
		if (secret_name(spec->env[i]))
			add(out, r, TG_HARD_ENV_SECRETS, "pass it in a file instead (a secret, or --mount "
			    "of a file the process reads)", "environment variable %.100s holds a literal "
			    "value, readable by anyone who can inspect the container", spec->env[i]);
}

void tg_hardening_check(const tg_container_rules *rules, const tg_container_spec *spec,
                        const tg_container_facts *facts, tg_hard_findings *out)
{
	out->n = out->more = 0; /* entries are written whole as they are added */
	out->deny = false;
	check_privileges(rules, spec, out);
	check_namespaces(rules, spec, out);
	if (spec->kind != TG_SPEC_START)
		check_user(rules, spec, facts, out);
	check_files_and_env(rules, spec, facts, out);
}

/* "a; b; c" of the findings with action a, each with its fix, into buf. */
static size_t list_findings(const tg_hard_findings *f, enum tg_hard_action a, char *buf, size_t n)
{
	size_t len = 0, count = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < f->n; i++) {
		if (f->f[i].action != a)
			continue;
		int w = snprintf(buf + len, n - len, "%s%s (fix: %s)", count ? "; " : "", f->f[i].what,
		                 f->f[i].fix);
		count++;
		if (w < 0 || (size_t)w >= n - len) { /* cut: say so */
			if (n >= 4)
				memcpy(buf + n - 4, "...", 4);
			break;
		}
		len += (size_t)w;
	}
	return count;
}

void tg_hardening_apply(const tg_policy *policy, const tg_operation *op, const tg_rule *rule,
                        const tg_hard_findings *findings, tg_decision *d)
{
	char head[TG_DECISION_MSG_MAX], tail[TG_DECISION_MSG_MAX], denied[TG_DECISION_MSG_MAX];
	if (d->verdict == TG_VERDICT_DENY)
		return;
	list_findings(findings, TG_HARD_WARN, d->warnings, sizeof(d->warnings));
	if (d->verdict != TG_VERDICT_ALLOW || !findings->deny)
		return;
	char rule_text[160] = "";
	if (rule != NULL)
		snprintf(rule_text, sizeof(rule_text), " in rule %zu (\"%.100s\")", rule->number,
		         rule->match);
	snprintf(head, sizeof(head), "%s%s%.300s is not allowed by the host's container rules: ",
	         tg_op_kind_name(op->kind), op->image[0] ? " of image " : "", op->image);
	snprintf(tail, sizeof(tail), "%s. An admin can relax a setting for this image in %.300s "
	         "(\"container\"%s)", findings->more ? " (and more)" : "", tgd_where(policy),
	         rule_text);
	/* the head and the admin's hint always fit; the list takes what is left */
	size_t room = sizeof(d->message) - strlen(head) - strlen(tail);
	list_findings(findings, TG_HARD_DENY, denied, room < sizeof(denied) ? room : sizeof(denied));
	tgd_deny(d);
	tgd_say(d, "%s%s%s", head, denied, tail);
	tgd_apply_mode(policy, d);
}

void tg_hardening_deny_unreadable(const tg_policy *policy, const tg_operation *op,
                                  const tg_error *err, tg_decision *d)
{
	tgd_deny(d);
	tgd_say(d, "%s%s%s is not allowed: how the container would run cannot be checked: %s",
	        tg_op_kind_name(op->kind), op->image[0] ? " of image " : "", op->image, err->msg);
	tgd_apply_mode(policy, d);
}
