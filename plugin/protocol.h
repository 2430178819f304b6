/* protocol: the Docker plugin protocol endpoints trustgate serves.
 *
 *   POST /Plugin.Activate        -> {"Implements":["authz"]}
 *   POST /AuthZPlugin.AuthZReq   -> {"Allow":bool,"Msg":"..."}  (every decision is made here)
 *   POST /AuthZPlugin.AuthZRes   -> {"Allow":true}  (too late to deny: the action already ran)
 *
 * Any AuthZReq that cannot be read is denied with HTTP 200 and a message,
 * never an HTTP error: dockerd shows a 200 deny's message to the user.
 * Thread-safe: tg_protocol_handle runs on many threads at once.
 */
#ifndef TG_PROTOCOL_H
#define TG_PROTOCOL_H

#include <stdatomic.h>

#include "plugin/inspect_cache.h"
#include "plugin/policy_store.h"
#include "plugin/server.h"
#include "trustcache/cache.h"

#define TG_PLUGIN_CONTENT_TYPE "application/vnd.docker.plugins.v1.2+json"

typedef struct tg_protocol {
	tg_policy_store *store;
	const char *self_name; /* the name dockerd knows this plugin by */
	const char *state_dir; /* trusted roots and versions of signature lookups */
	const char *docker_socket; /* the daemon's API, to inspect local images */
	tg_cache *cache;       /* trust answers, shared by all connections */
	atomic_ulong next_id;
	tg_inspect_cache *inspect; /* what dockerd said about images, kept a while; or NULL */
} tg_protocol;

/* A tg_server_handler; arg is a tg_protocol. With may_block false it
 * answers from memory, or returns TG_SERVER_BLOCKS for a request whose
 * decision needs a live lookup. */
enum tg_server_answer tg_protocol_handle(void *arg, const tg_server_request *req,
                                         unsigned *status, tg_buf *response);

#endif
