/* container_check: see container_check.h. realpath(3) is XSI. */
#define _XOPEN_SOURCE 700
#include "plugin/container_check.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz/container.h"
#include "trustcache/docker.h"

/* dockerd's data root, asked once (it does not change while dockerd runs;
 * a restart with another one restarts its plugins too). */
static pthread_mutex_t data_root_lock = PTHREAD_MUTEX_INITIALIZER;
static char data_root[TG_DOCKER_TEXT_MAX];

static void learn_data_root(const struct tg_local_env *lenv, char *out, size_t n)
{
	pthread_mutex_lock(&data_root_lock);
	if (data_root[0] == '\0' && lenv->docker_socket != NULL) {
		tg_error ignore; /* unknown: the default protected paths still hold /var/lib/docker */
		tg_docker_data_root(lenv->docker_socket, lenv->session, lenv->docker_timeout_ms,
		                    data_root, &ignore);
	}
	snprintf(out, n, "%s", data_root);
	pthread_mutex_unlock(&data_root_lock);
}

int tg_container_resolve_path(const char *path, char *out, size_t n)
{
	char clean[PATH_MAX], prefix[PATH_MAX], real[PATH_MAX];
	/* as dockerd: the text cleaned first (".." taken away), then the
	 * kernel follows the symlinks of what exists */
	if (tg_container_clean_path(path, clean, sizeof(clean)) != TG_OK)
		return TG_EINVAL;
	snprintf(prefix, sizeof(prefix), "%s", clean);
	size_t cut = strlen(prefix);
	while (realpath(prefix, real) == NULL) {
		char *slash = strrchr(prefix, '/');
		if (slash == NULL || slash == prefix) {
			snprintf(real, sizeof(real), "/");
			cut = 0;
			break;
		}
		*slash = '\0';
		cut = (size_t)(slash - prefix);
	}
	/* the part that does not exist yet: created as written (no symlinks) */
	char joined[2 * PATH_MAX];
	snprintf(joined, sizeof(joined), "%s/%s", real, clean + cut);
	return tg_container_clean_path(joined, out, n) == TG_OK ? TG_OK : TG_EINVAL;
}

/* The user the container runs as when the request gives none: the image's
 * (cache, else dockerd), or for an exec the container's. */
static int learn_user(const tg_operation *op, const struct tg_local_env *lenv,
                      tg_container_facts *facts)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	tg_image_summary *s = malloc(sizeof(*s));
	tg_docker_container *c = NULL;
	tg_docker_image *di = NULL;
	tg_error ignore;
	int rc = s != NULL ? TG_OK : TG_ENOMEM;
	if (lenv->docker_socket == NULL) { /* no dockerd to ask (trustgate check offline) */
		free(s);
		return rc;
	}
	if (rc == TG_OK && op->kind != TG_OP_EXEC && lenv->cache != NULL &&
	    tg_inspect_cache_get_image(lenv->cache, op->image, now_ms, s)) {
		facts->user_known = true;
		snprintf(facts->user, sizeof(facts->user), "%s", s->user);
	} else if (rc == TG_OK && !lenv->sig.may_block) {
		rc = TG_EWOULDBLOCK;
	} else if (rc == TG_OK && op->kind == TG_OP_EXEC) {
		c = malloc(sizeof(*c));
		facts->user_known = c != NULL &&
		                    tg_docker_inspect_container(lenv->docker_socket, lenv->session,
		                                                op->object, lenv->docker_timeout_ms, c,
		                                                &ignore) == TG_OK;
		if (facts->user_known)
			snprintf(facts->user, sizeof(facts->user), "%s", c->user);
	} else if (rc == TG_OK) {
		di = malloc(sizeof(*di));
		facts->user_known = di != NULL &&
		                    tg_docker_inspect_image(lenv->docker_socket, lenv->session, op->image,
		                                            lenv->docker_timeout_ms, di, &ignore) == TG_OK;
		if (facts->user_known)
			snprintf(facts->user, sizeof(facts->user), "%s", di->user);
	}
	free(s);
	free(c);
	free(di);
	return rc;
}

static bool needs_user(const tg_container_rules *r, const tg_container_spec *spec)
{
	return !spec->has_user && r->action[TG_HARD_RUN_AS_ROOT] != TG_HARD_ALLOW;
}

static bool needs_paths(const tg_container_rules *r, const tg_container_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].host_path && r->action[TG_HARD_BIND_MOUNTS] != TG_HARD_ALLOW)
			return true;
	return false;
}

static void resolve_mounts(tg_container_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		tg_container_mount *m = &spec->mounts[i];
		if (m->host_path &&
		    tg_container_resolve_path(m->source, m->resolved, sizeof(m->resolved)) != TG_OK)
			m->resolved[0] = '\0';
	}
}

/* The rule for the image the container runs: the one that decided it. */
static const tg_rule *rule_of(const tg_policy *policy, const tg_operation *op,
                              const tg_decision *d)
{
	if (d->rule != NULL)
		return d->rule;
	return op->has_ref ? tg_authz_rule_for(policy, &op->ref) : NULL;
}

static int check_spec(const tg_policy *policy, const tg_operation *op,
                      const struct tg_local_env *lenv, tg_container_spec *spec, tg_decision *d,
                      tg_hard_findings *findings)
{
	const tg_rule *rule = rule_of(policy, op, d);
	tg_container_rules rules;
	tg_container_facts facts;
	memset(&facts, 0, sizeof(facts));
	tg_policy_container_rules(policy, rule, &rules);
	bool paths = needs_paths(&rules, spec);
	if (paths && !lenv->sig.may_block)
		return TG_EWOULDBLOCK;
	if (needs_user(&rules, spec)) {
		int rc = learn_user(op, lenv, &facts);
		if (rc != TG_OK)
			return rc;
	}
	if (paths) {
		resolve_mounts(spec);
		learn_data_root(lenv, facts.data_root, sizeof(facts.data_root));
	}
	tg_hardening_check(&rules, spec, &facts, findings);
	tg_hardening_apply(policy, op, rule, findings, d);
	return TG_OK;
}

int tg_container_check(const tg_policy *policy, const tg_operation *op,
                       const tg_authz_request *req, const struct tg_local_env *lenv,
                       tg_decision *d, tg_hard_findings *findings)
{
	enum tg_container_kind kind;
	if (op->kind == TG_OP_CREATE)
		kind = TG_SPEC_CREATE;
	else if (op->kind == TG_OP_EXEC)
		kind = TG_SPEC_EXEC;
	else if (op->kind == TG_OP_SERVICE_CREATE || op->kind == TG_OP_SERVICE_UPDATE)
		kind = TG_SPEC_SERVICE;
	else
		return TG_OK;
	if (d->verdict == TG_VERDICT_DENY)
		return TG_OK;
	tg_container_spec *spec = malloc(sizeof(*spec));
	tg_hard_findings *local = findings != NULL ? NULL : malloc(sizeof(*local));
	tg_error err;
	int rc = TG_OK;
	if (spec == NULL || (findings == NULL && local == NULL)) {
		tg_error_set(&err, TG_ENOMEM, "out of memory");
		tg_hardening_deny_unreadable(policy, op, &err, d);
	} else if (tg_container_decode(req, kind, spec, &err) != TG_OK) {
		tg_hardening_deny_unreadable(policy, op, &err, d);
	} else {
		rc = check_spec(policy, op, lenv, spec, d, findings != NULL ? findings : local);
	}
	free(spec);
	free(local);
	return rc;
}
