/* server: HTTP/1.1 on a Unix socket, for the Docker plugin protocol.
 *
 * A thin layer over libmicrohttpd. Each connection gets its own thread
 * (dockerd keeps a few keep-alive connections and sends one request at a
 * time on each), so a slow decision only ever holds its own connection and
 * trustgate's own calls to the daemon, which come back to it on new
 * connections, always find a free thread. Bodies are read into a bounded
 * buffer; the handler is called once per complete request.
 *
 * Knows nothing of Docker or policy. Thread-safe: the handler is called
 * concurrently from many threads.
 */
#ifndef TG_SERVER_H
#define TG_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/tg_buf.h"
#include "common/tg_error.h"

enum tg_body_state {
	TG_BODY_COMPLETE, /* body holds the whole request body */
	TG_BODY_TOO_LARGE, /* the body passed max_body; body holds nothing */
	TG_BODY_TOO_SLOW,  /* the body did not arrive within request_timeout_ms */
};

typedef struct tg_server_request {
	const char *method;
	const char *url;
	const char *body;      /* NUL-terminated; "" when empty */
	size_t body_len;
	enum tg_body_state body_state;
} tg_server_request;

/* Fill *status and response (JSON text). Called on a connection thread. */
typedef void (*tg_server_handler)(void *arg, const tg_server_request *req, unsigned *status,
                                  tg_buf *response);

typedef struct tg_server_config {
	const char *socket_path;
	unsigned socket_mode;       /* e.g. 0660 */
	unsigned max_connections;   /* concurrent connections (threads) */
	unsigned idle_timeout_s;    /* close a connection silent this long; 0 = never */
	unsigned request_timeout_ms; /* a request body must arrive within this */
	size_t max_body;
	const char *content_type;   /* of every response */
} tg_server_config;

typedef struct tg_server tg_server;

/* Bind the socket and start serving. Refuses to start if another process
 * is listening on socket_path; removes a stale socket file left by a dead
 * one. *out receives the server (stop with tg_server_stop). Errors:
 * TG_EIO with the reason, TG_ENOMEM. */
int tg_server_start(const tg_server_config *cfg, tg_server_handler handler, void *arg,
                    tg_server **out, tg_error *err);

/* Stop accepting, finish requests in flight, close, and unlink the socket.
 * Accepts NULL. */
void tg_server_stop(tg_server *srv);

#endif
