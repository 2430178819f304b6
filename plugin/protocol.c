/* protocol: see protocol.h. The flow of one AuthZReq:
 * body -> tg_authz_request_parse -> tg_authz_decode -> tg_authz_decide
 * -> audit line -> answer. A failure anywhere becomes a deny whose message
 * says what was wrong. */
#include "plugin/protocol.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "authz/decide.h"
#include "authz/operation.h"
#include "authz/request.h"
#include "common/tg_json_out.h"
#include "common/tg_log.h"
#include "plugin/audit.h"
#include "plugin/container_check.h"
#include "plugin/local_image.h"
#include "plugin/signatures.h"

/* Each call to dockerd about a local image or container. */
#define TG_DOCKER_TIMEOUT_MS 5000L

/* Each lookup thread keeps its own connection to dockerd, closed when the
 * thread ends: a create and a start each ask dockerd once or twice. */
static pthread_key_t session_key;
static bool session_key_made;
static pthread_once_t session_once = PTHREAD_ONCE_INIT;

static void free_session(void *session)
{
	tg_http_session_free(session);
}

static void make_session_key(void)
{
	session_key_made = pthread_key_create(&session_key, free_session) == 0;
	if (!session_key_made)
		tg_log(TG_LOG_WARN, "no per-thread dockerd connections: each call opens its own");
}

/* This thread's session, or NULL (then every call connects anew). */
static tg_http_session *thread_session(void)
{
	pthread_once(&session_once, make_session_key);
	if (!session_key_made)
		return NULL;
	tg_http_session *s = pthread_getspecific(session_key);
	tg_error err;
	if (s == NULL && tg_http_session_new(&s, &err) == TG_OK &&
	    pthread_setspecific(session_key, s) != 0) {
		tg_http_session_free(s);
		s = NULL;
	}
	return s;
}

static void answer_json(tg_buf *response, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	/* If even this fails, an empty-object answer still denies: Allow
	 * defaults to false in dockerd. */
	if (tg_buf_puts(response, text ? text : "{}") != TG_OK) {
		tg_buf_clear(response);
		tg_buf_puts(response, "{\"Err\":\"the answer is too large to send\"}");
	}
	free(text);
	json_decref(obj);
}

/* {"Allow":true} or {"Allow":false,"Msg":"..."}: written directly (every
 * request needs one, and Msg may quote invalid UTF-8 from the request). */
static void answer_decision(tg_buf *response, bool allow, const char *msg)
{
	if (allow) {
		tg_buf_puts(response, "{\"Allow\":true}");
		return;
	}
	tg_buf_puts(response, "{\"Allow\":false,");
	tg_json_put_string(response, "Msg");
	tg_buf_puts(response, ":");
	if (tg_json_put_string(response, msg) != TG_OK || tg_buf_puts(response, "}") != TG_OK) {
		/* An answer that does not fit still denies: Allow defaults to false. */
		tg_buf_clear(response);
		tg_buf_puts(response, "{\"Allow\":false}");
	}
}

/* The request could not even be read as an AuthZReq. */
static void deny_unreadable(tg_protocol *proto, const tg_error *why, tg_buf *response)
{
	tg_policy_ref *ref = tg_policy_store_acquire(proto->store);
	const tg_policy *policy = tg_policy_ref_get(ref);
	tg_operation op;
	memset(&op, 0, sizeof(op));
	op.kind = TG_OP_UNKNOWN; /* no method or path: nothing could be read */
	tg_decision d;
	tg_decide_env env = {proto->self_name};
	tg_authz_decide(policy, &env, &op, why, NULL, &d);
	tg_audit_log(atomic_fetch_add(&proto->next_id, 1), &op, &d, NULL, tg_policy_source(policy));
	answer_decision(response, d.allow, d.message);
	tg_policy_store_release(proto->store, ref);
}

/* Requests after which a name may point at another image (or at none):
 * what dockerd said about names is forgotten before they run. */
static bool may_move_image_names(const tg_operation *op)
{
	switch (op->kind) {
	case TG_OP_READ:
	case TG_OP_CREATE:
	case TG_OP_START:
	case TG_OP_EXEC:
	case TG_OP_PUSH:
		return false;
	case TG_OP_WRITE: /* rmi and prunes; not the container writes of every run */
		return strncmp(op->path, "/images", 7) == 0 || strncmp(op->path, "/build", 6) == 0;
	default: /* pull, tag, load, import, build, commit, and what could not be read */
		return true;
	}
}

static enum tg_server_answer handle_authz_req(tg_protocol *proto, const tg_server_request *req,
                                              tg_buf *response)
{
	tg_error err;
	tg_error_clear(&err);
	if (req->body_state == TG_BODY_OVERLOADED) {
		tg_error_set(&err, TG_ETIMEOUT, "trustgate is overloaded: no lookup thread was free in "
		             "time (see its log; raise --lookup-threads if this lasts)");
		deny_unreadable(proto, &err, response);
		return TG_SERVER_ANSWERED;
	}
	if (req->body_state == TG_BODY_TOO_LARGE) {
		tg_error_set(&err, TG_ETOOBIG, "the request is larger than trustgate accepts (%u bytes)",
		             TG_REQUEST_MAX);
		deny_unreadable(proto, &err, response);
		return TG_SERVER_ANSWERED;
	}
	if (req->body_state == TG_BODY_TOO_SLOW) {
		tg_error_set(&err, TG_ETIMEOUT, "the request did not reach trustgate in time");
		deny_unreadable(proto, &err, response);
		return TG_SERVER_ANSWERED;
	}
	tg_authz_request *areq = NULL;
	if (tg_authz_request_parse(req->body, req->body_len, &areq, &err) != TG_OK) {
		deny_unreadable(proto, &err, response);
		return TG_SERVER_ANSWERED;
	}
	tg_operation op;
	tg_authz_decode(areq, &op, &err);
	if (proto->inspect != NULL && may_move_image_names(&op))
		tg_inspect_cache_forget_images(proto->inspect);
	tg_policy_ref *ref = tg_policy_store_acquire(proto->store);
	const tg_policy *policy = tg_policy_ref_get(ref);
	tg_decision d;
	tg_decide_env env = {proto->self_name};
	tg_trust_facts facts;
	facts.n = 0; /* 6 KB: filled only when a rule needs signatures */
	tg_authz_decide(policy, &env, &op, &err, NULL, &d);
	/* Asking dockerd is I/O: from what it said before on an I/O thread,
	 * else on a lookup thread. */
	struct tg_local_env lenv = {proto->docker_socket, req->may_block ? thread_session() : NULL,
	                            TG_DOCKER_TIMEOUT_MS,
	                            {proto->state_dir, proto->cache, req->may_block},
	                            proto->inspect};
	bool blocks = false;
	if (d.needs_local_image) {
		blocks = tg_local_image_decide(policy, &env, &op, &lenv, &d, &facts) == TG_EWOULDBLOCK;
	} else if (d.needs_signatures) {
		/* From the cache on an I/O thread; live lookups (each within its
		 * trust root's timeout) on a lookup thread, where this runs again. */
		struct tg_signature_env senv = {proto->state_dir, proto->cache, req->may_block};
		blocks = tg_signatures_lookup(policy, d.rule, &op, &senv, &facts) == TG_EWOULDBLOCK;
		if (!blocks)
			tg_authz_decide(policy, &env, &op, &err, &facts, &d);
	}
	/* how the container would run: the host's container rules */
	if (!blocks && err.code == TG_OK)
		blocks = tg_container_check(policy, &op, areq, &lenv, &d, NULL) == TG_EWOULDBLOCK;
	if (blocks) {
		tg_policy_store_release(proto->store, ref);
		tg_authz_request_free(areq);
		return TG_SERVER_BLOCKS;
	}
	tg_audit_log(atomic_fetch_add(&proto->next_id, 1), &op, &d, &facts, tg_policy_source(policy));
	answer_decision(response, d.allow, d.message);
	tg_policy_store_release(proto->store, ref);
	tg_authz_request_free(areq);
	return TG_SERVER_ANSWERED;
}

static int list_entry(const tg_cache_entry *e, void *arg)
{
	json_t *list = arg;
	bool registry = strstr(e->key, "\x1fregistry\x1f") != NULL;
	const char *st = e->value.status != TG_OK ? "not-signed" : registry ? "served" : "verified";
	char key[TG_CACHE_KEY_MAX];
	snprintf(key, sizeof(key), "%s", e->key);
	for (char *p = key; *p; p++) /* the field separator, shown readably */
		if (*p == '\x1f')
			*p = ' ';
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "key", key,
	                                      "status", st, "digest", e->value.digest, "signer",
	                                      e->value.signer, "inserted", (json_int_t)e->inserted,
	                                      "expires", (json_int_t)e->expires));
	return 0;
}

/* /TrustGate.CacheList -> {"Entries":[...]}; /TrustGate.CacheFlush with
 * {"Prefix": "<repository>"} (or "" for all) -> {"Removed": N}. */
static void handle_cache_call(tg_protocol *proto, const tg_server_request *req, unsigned *status,
                              tg_buf *response)
{
	tg_error err;
	if (proto->cache == NULL) {
		*status = 404;
		answer_json(response, json_pack("{s:s}", "Err", "this trustgate has no cache"));
	} else if (strcmp(req->url, "/TrustGate.CacheList") == 0) {
		json_t *list = json_array();
		tg_cache_foreach(proto->cache, list_entry, list, &err);
		answer_json(response, json_pack("{s:o}", "Entries", list));
	} else if (strcmp(req->url, "/TrustGate.CacheFlush") == 0) {
		json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
		const char *prefix = json_string_value(json_object_get(body, "Prefix"));
		char with_sep[TG_CACHE_KEY_MAX];
		snprintf(with_sep, sizeof(with_sep), "%s%s", prefix ? prefix : "",
		         prefix && prefix[0] ? "\x1f" : "");
		size_t removed = prefix ? tg_cache_flush(proto->cache, with_sep) : 0;
		answer_json(response, prefix ? json_pack("{s:I}", "Removed", (json_int_t)removed)
		                             : json_pack("{s:s}", "Err", "Prefix is missing"));
		*status = prefix ? 200 : 400;
		json_decref(body);
	} else {
		*status = 404;
		answer_json(response, json_pack("{s:s}", "Err", "unknown cache call"));
	}
}

enum tg_server_answer tg_protocol_handle(void *arg, const tg_server_request *req,
                                         unsigned *status, tg_buf *response)
{
	tg_protocol *proto = arg;
	*status = 200;
	if (strcmp(req->method, "POST") != 0) {
		*status = 405;
		answer_json(response, json_pack("{s:s}", "Err", "plugin endpoints accept POST only"));
	} else if (strcmp(req->url, "/Plugin.Activate") == 0) {
		answer_json(response, json_pack("{s:[s]}", "Implements", "authz"));
	} else if (strcmp(req->url, "/AuthZPlugin.AuthZReq") == 0) {
		return handle_authz_req(proto, req, response);
	} else if (strcmp(req->url, "/AuthZPlugin.AuthZRes") == 0) {
		answer_decision(response, true, NULL);
	} else if (strncmp(req->url, "/TrustGate.Cache", 16) == 0) {
		/* Admin calls from `trustgate cache`; the socket is root's alone.
		 * A list of 100,000 answers takes a while: not on an I/O thread. */
		if (!req->may_block && req->body_state != TG_BODY_OVERLOADED)
			return TG_SERVER_BLOCKS;
		handle_cache_call(proto, req, status, response);
	} else {
		*status = 404;
		answer_json(response, json_pack("{s:s}", "Err", "unknown plugin endpoint"));
	}
	return TG_SERVER_ANSWERED;
}
