/* local_image: decisions on the image a container will actually run
 * (container create and start, image tag), from what dockerd says of it
 * and what the trust roots say of its repo digests.
 *
 * The facts come from dockerd over its API socket (trustcache/docker.h);
 * the decision is authz's (tg_authz_decide_local). A create or tag by a
 * name dockerd does not have is decided on the name, as a pull (dockerd
 * refuses it and the CLI pulls first). A start is decided on the image ID
 * the container was created with, which no later tag can change. For a
 * rule with "local_images": "trusted_base", the base is looked for among
 * the pulled images on the host: one whose layers all begin this image's
 * layers and that is itself trusted.
 *
 * Asks dockerd only on a thread that may block; elsewhere it answers from
 * what dockerd said before (plugin/inspect_cache.h) or says it cannot.
 * Thread-safe.
 */
#ifndef TG_LOCAL_IMAGE_H
#define TG_LOCAL_IMAGE_H

#include "authz/decide.h"
#include "plugin/inspect_cache.h"
#include "plugin/signatures.h"
#include "trustcache/http.h"

struct tg_local_env {
	const char *docker_socket;     /* dockerd's API */
	tg_http_session *session;      /* this thread's connection to it, or NULL */
	long docker_timeout_ms;        /* for each call to dockerd */
	struct tg_signature_env sig;   /* signature lookups; sig.may_block false: decide
	                                  from the caches only, with no I/O */
	tg_inspect_cache *cache;       /* what dockerd said, kept a while; or NULL */
};

/* Decide op, which tg_authz_decide answered with needs_local_image, into
 * *out. *facts receives the signature facts behind the decision (n = 0
 * when none), for the audit log. Returns TG_OK: what could not be found out
 * is a deny that says why; or, when lenv->sig.may_block is false, TG_EWOULDBLOCK
 * if the caches cannot answer (then call again where it may block). */
int tg_local_image_decide(const tg_policy *policy, const tg_decide_env *env,
                          const tg_operation *op, const struct tg_local_env *lenv,
                          tg_decision *out, tg_trust_facts *facts);

#endif
