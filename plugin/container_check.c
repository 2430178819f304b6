/* container_check: see container_check.h. */
#include "plugin/container_check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "authz/container.h"
#include "authz/uri.h"
#include "plugin/container_facts.h"
#include "trustcache/docker.h"

/* dockerd's data root, asked once (it does not change while dockerd runs;
 * a restart with another one restarts its plugins too). */
static pthread_mutex_t data_root_lock = PTHREAD_MUTEX_INITIALIZER;
static char data_root[TG_DOCKER_TEXT_MAX];

/* dockerd's data root into out; asked (outside the lock: dockerd may be
 * slow) until it is known. Errors: dockerd could not be asked. */
static int learn_data_root(const struct tg_local_env *lenv, char *out, size_t n, tg_error *err)
{
	char asked[TG_DOCKER_TEXT_MAX] = "";
	pthread_mutex_lock(&data_root_lock);
	snprintf(out, n, "%s", data_root);
	pthread_mutex_unlock(&data_root_lock);
	if (out[0] != '\0' || lenv->docker_socket == NULL)
		return TG_OK; /* known, or no dockerd (check offline: the defaults) */
	int rc = tg_docker_data_root(lenv->docker_socket, lenv->session, lenv->docker_timeout_ms,
	                             asked, err);
	if (rc != TG_OK)
		return rc;
	pthread_mutex_lock(&data_root_lock);
	snprintf(data_root, sizeof(data_root), "%s", asked);
	pthread_mutex_unlock(&data_root_lock);
	snprintf(out, n, "%s", asked);
	return TG_OK;
}

/* path with its symlinks resolved when it exists (facts are compared with
 * resolved mount paths), else as given. */
static void resolved_or_given(const char *path, char *out, size_t n)
{
	if (path == NULL || path[0] != '/' ||
	    tg_container_resolve_path(path, out, n) != TG_OK)
		snprintf(out, n, "%s", path != NULL ? path : "");
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

/* Below API 1.24 dockerd takes a new HostConfig from a start's body; a
 * start that may carry one (a body, a length over 7 bytes, or no length at
 * all: a chunked body dockerd does not forward) is refused there. */
static int check_start_body(const tg_authz_request *req, tg_error *err)
{
	tg_uri uri;
	tg_error ignore;
	bool old = false;
	if (tg_uri_parse(req->uri, &uri, &ignore) == TG_OK) {
		old = uri.version[0] != '\0' && tg_uri_version_below(uri.version, "1.24");
		tg_uri_clear(&uri);
	}
	const char *length = tg_authz_request_header(req, "Content-Length");
	char *end = NULL;
	long n = length != NULL ? strtol(length, &end, 10) : -1;
	bool may_carry = req->body_len > 7 || length == NULL || end == length || *end != '\0' ||
	                 n < 0 || n > 7;
	if (req->body_len > 7 || (old && may_carry))
		return tg_error_set(err, TG_EINVAL, "a start that may carry settings in its body (API "
		                    "before 1.24: send Content-Length: 0) is refused; create the "
		                    "container with its settings instead");
	return TG_OK;
}

/* A start runs what the container holds: its HostConfig, user and mounts
 * as dockerd stored them (inspect; the mounts as it will mount them, those
 * copied from --volumes-from at create included), decoded like a create. */
static int start_spec(const tg_authz_request *req, const tg_operation *op,
                      const struct tg_local_env *lenv, tg_container_spec *spec, tg_error *err)
{
	int rc = check_start_body(req, err);
	if (rc != TG_OK)
		return rc;
	json_t *doc = NULL;
	rc = tg_docker_inspect_json(lenv->docker_socket, lenv->session, "container", op->object,
	                            lenv->docker_timeout_ms, &doc, err);
	json_t *hc = json_deep_copy(json_object_get(doc, "HostConfig"));
	json_t *user = json_object_get(json_object_get(doc, "Config"), "User");
	const char *mount_keys[] = {"Binds", "Mounts", "VolumesFrom"}; /* from "Mounts" below */
	for (size_t i = 0; i < 3; i++)
		json_object_del(hc, mount_keys[i]);
	json_t *stored = json_pack("{s:O?, s:O?}", "User", user, "HostConfig", hc);
	char *text = stored != NULL && json_is_object(hc) ? json_dumps(stored, JSON_COMPACT) : NULL;
	if (rc == TG_OK && text == NULL)
		rc = tg_error_set(err, TG_EINVAL, "dockerd's answer about container %.200s has no "
		                  "HostConfig", op->object);
	if (rc == TG_OK)
		rc = tg_container_decode_json(text, strlen(text), spec, err);
	if (rc == TG_OK)
		rc = tg_container_facts_stored_mounts(spec, json_object_get(doc, "Mounts"), err);
	free(text);
	json_decref(stored);
	json_decref(hc);
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
	char root[TG_CONTAINER_PATH_MAX] = "";
	if (gather && (tg_container_facts_gather(lenv, spec, &err) != TG_OK ||
	               learn_data_root(lenv, root, sizeof(root), &err) != TG_OK)) {
		tg_hardening_deny_unreadable(policy, op, &err, d);
		return TG_OK;
	}
	if (gather) { /* only mounts are compared with them: no file system work otherwise */
		resolved_or_given(root, facts.data_root, sizeof(facts.data_root));
		resolved_or_given(lenv->sig.state_dir, facts.state_dir, sizeof(facts.state_dir));
		resolved_or_given(lenv->docker_socket, facts.docker_socket, sizeof(facts.docker_socket));
	}
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
