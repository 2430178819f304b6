/* container_check: see container_check.h. */
#include "plugin/container_check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "authz/container.h"
#include "plugin/container_facts.h"
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

/* The user a create runs as when it names none: the image's (from what
 * dockerd said a moment ago, else asked); for an exec, the container's. */
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
	if (rc != TG_OK || lenv->docker_socket == NULL) { /* nobody to ask (check offline) */
		free(s);
		return rc;
	}
	if (op->kind != TG_OP_EXEC && lenv->cache != NULL &&
	    tg_inspect_cache_get_image(lenv->cache, op->image, now_ms, s)) {
		facts->user_known = true;
		snprintf(facts->user, sizeof(facts->user), "%s", s->user);
	} else if (!lenv->sig.may_block) {
		rc = TG_EWOULDBLOCK;
	} else if (op->kind == TG_OP_EXEC) {
		c = malloc(sizeof(*c));
		facts->user_known = c != NULL &&
		                    tg_docker_inspect_container(lenv->docker_socket, lenv->session,
		                                                op->object, lenv->docker_timeout_ms, c,
		                                                &ignore) == TG_OK;
		if (facts->user_known)
			snprintf(facts->user, sizeof(facts->user), "%s", c->user);
	} else {
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

/* A start runs what the container holds: its HostConfig and user as
 * dockerd stored them (inspect), decoded like a create. dockerd below API
 * 1.24 also takes a new HostConfig in a start's body: such a start is
 * refused (it could not be checked before dockerd applies it). */
static int start_spec(const tg_authz_request *req, const tg_operation *op,
                      const struct tg_local_env *lenv, tg_container_spec *spec, tg_error *err)
{
	const char *length = tg_authz_request_header(req, "Content-Length");
	if (req->body_len > 7 || (length != NULL && atol(length) > 7) ||
	    tg_authz_request_header(req, "Transfer-Encoding") != NULL)
		return tg_error_set(err, TG_EINVAL, "a start that carries settings in its body (API "
		                    "before 1.24) is refused: create the container with them instead");
	tg_buf body;
	tg_buf_init(&body, 0);
	int rc = tg_docker_inspect_raw(lenv->docker_socket, lenv->session, "container", op->object,
	                               lenv->docker_timeout_ms, &body, err);
	json_t *doc = rc == TG_OK ? json_loadb(tg_buf_str(&body), body.len, 0, NULL) : NULL;
	tg_buf_free(&body);
	json_t *hc = json_object_get(doc, "HostConfig");
	json_t *user = json_object_get(json_object_get(doc, "Config"), "User");
	json_t *stored = json_pack("{s:O?, s:O?}", "User", user, "HostConfig", hc);
	char *text = stored != NULL && json_is_object(hc) ? json_dumps(stored, JSON_COMPACT) : NULL;
	if (rc == TG_OK && text == NULL)
		rc = tg_error_set(err, TG_EINVAL, "dockerd's answer about container %.200s has no "
		                  "HostConfig", op->object);
	if (rc == TG_OK)
		rc = tg_container_decode_json(text, strlen(text), spec, err);
	free(text);
	json_decref(stored);
	json_decref(doc);
	return rc;
}

static bool needs_user(const tg_container_rules *r, const tg_container_spec *spec)
{
	return !spec->has_user && r->action[TG_HARD_RUN_AS_ROOT] != TG_HARD_ALLOW;
}

/* The rule for the image the container runs: the one that decided it. */
static const tg_rule *rule_of(const tg_policy *policy, const tg_operation *op,
                              const tg_decision *d)
{
	if (d->rule != NULL)
		return d->rule;
	return op->has_ref ? tg_authz_rule_for(policy, &op->ref) : NULL;
}

/* Facts, then the rules, then the decision. */
static int check_spec(const tg_policy *policy, const tg_operation *op,
                      const struct tg_local_env *lenv, tg_container_spec *spec, tg_decision *d,
                      tg_hard_findings *findings)
{
	const tg_rule *rule = rule_of(policy, op, d);
	tg_container_rules rules;
	tg_container_facts facts;
	tg_error err;
	memset(&facts, 0, sizeof(facts));
	tg_policy_container_rules(policy, rule, &rules);
	bool gather = tg_container_facts_needed(spec);
	if (gather && !lenv->sig.may_block)
		return TG_EWOULDBLOCK;
	if (op->kind != TG_OP_START && needs_user(&rules, spec)) {
		int rc = learn_user(op, lenv, &facts);
		if (rc != TG_OK)
			return rc;
	}
	if (gather && tg_container_facts_gather(lenv, spec, &err) != TG_OK) {
		tg_hardening_deny_unreadable(policy, op, &err, d);
		return TG_OK;
	}
	if (gather)
		learn_data_root(lenv, facts.data_root, sizeof(facts.data_root));
	snprintf(facts.state_dir, sizeof(facts.state_dir), "%s",
	         lenv->sig.state_dir ? lenv->sig.state_dir : "");
	snprintf(facts.docker_socket, sizeof(facts.docker_socket), "%s",
	         lenv->docker_socket ? lenv->docker_socket : "");
	tg_hardening_check(&rules, spec, &facts, findings);
	tg_hardening_apply(policy, op, rule, findings, d);
	return TG_OK;
}

/* How op's container would run: decoded from the request, or for a start
 * from what dockerd stored. TG_EWOULDBLOCK: a start, away from a lookup
 * thread. */
static int read_spec(const tg_authz_request *req, const tg_operation *op,
                     const struct tg_local_env *lenv, tg_container_spec *spec, tg_error *err)
{
	switch (op->kind) {
	case TG_OP_CREATE:
		return tg_container_decode(req, TG_SPEC_CREATE, spec, err);
	case TG_OP_EXEC:
		return tg_container_decode(req, TG_SPEC_EXEC, spec, err);
	case TG_OP_SERVICE_CREATE:
	case TG_OP_SERVICE_UPDATE:
		return tg_container_decode(req, TG_SPEC_SERVICE, spec, err);
	default: /* TG_OP_START */
		if (lenv->docker_socket == NULL)
			return tg_error_set(err, TG_EINVAL, "no dockerd to ask about the container");
		return lenv->sig.may_block ? start_spec(req, op, lenv, spec, err) : TG_EWOULDBLOCK;
	}
}

int tg_container_check(const tg_policy *policy, const tg_operation *op,
                       const tg_authz_request *req, const struct tg_local_env *lenv,
                       tg_decision *d, tg_hard_findings *findings)
{
	bool checked = op->kind == TG_OP_CREATE || op->kind == TG_OP_EXEC ||
	               op->kind == TG_OP_START || op->kind == TG_OP_SERVICE_CREATE ||
	               op->kind == TG_OP_SERVICE_UPDATE;
	if (!checked || d->verdict == TG_VERDICT_DENY)
		return TG_OK;
	tg_container_spec *spec = malloc(sizeof(*spec));
	tg_hard_findings *local = findings != NULL ? NULL : malloc(sizeof(*local));
	tg_error err;
	int rc = TG_OK;
	if (spec == NULL || (findings == NULL && local == NULL)) {
		tg_error_set(&err, TG_ENOMEM, "out of memory");
		tg_hardening_deny_unreadable(policy, op, &err, d);
	} else if ((rc = read_spec(req, op, lenv, spec, &err)) != TG_OK) {
		if (rc != TG_EWOULDBLOCK)
			tg_hardening_deny_unreadable(policy, op, &err, d);
		rc = rc == TG_EWOULDBLOCK ? rc : TG_OK;
	} else {
		rc = check_spec(policy, op, lenv, spec, d, findings != NULL ? findings : local);
	}
	free(spec);
	free(local);
	return rc;
}
