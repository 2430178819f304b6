/* server: HTTP/1.1 on a Unix socket, for the Docker plugin protocol.
 *
 * A thin layer over libmicrohttpd. A few I/O threads (one per CPU) serve
 * all connections with epoll and call the handler with may_block false:
 * it must answer from memory or return TG_SERVER_BLOCKS. Such a request's
 * connection is then suspended and the handler is called again, with
 * may_block true, on one of a pool of lookup threads (work_queue.h).
 * So the I/O threads never wait on the network, and trustgate's own calls
 * to dockerd, which come back to it as new requests, are always answered:
 * no deadlock however many lookups are in flight. When the lookup threads
 * are all taken and max_queued requests wait, or a request waited longer
 * than request_timeout_ms for one, the handler is called with body_state
 * TG_BODY_OVERLOADED and must answer at once. Bodies are read into a
 * bounded buffer.
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
	TG_BODY_OVERLOADED, /* complete, but no lookup thread was free in time: answer now */
};

/* The largest answer (a `trustgate cache list` of 100,000 answers fits). */
#define TG_SERVER_ANSWER_MAX (64u * 1024 * 1024)

typedef struct tg_server_request {
	const char *method;
	const char *url;
	const char *body;      /* NUL-terminated; "" when empty */
	size_t body_len;
	enum tg_body_state body_state;
	bool may_block;        /* false: no I/O, no waiting (an I/O thread) */
} tg_server_request;

enum tg_server_answer {
	TG_SERVER_ANSWERED, /* *status and response are the answer */
	TG_SERVER_BLOCKS,   /* call again with may_block (never returned when it is true) */
};

/* Fill *status and response (JSON text), or return TG_SERVER_BLOCKS
 * (then status and response are ignored). Called concurrently. */
typedef enum tg_server_answer (*tg_server_handler)(void *arg, const tg_server_request *req,
                                                   unsigned *status, tg_buf *response);

typedef struct tg_server_config {
	const char *socket_path;
	unsigned socket_mode;       /* e.g. 0660 */
	unsigned max_connections;   /* concurrent connections */
	unsigned idle_timeout_s;    /* close a connection silent this long; 0 = never */
	unsigned request_timeout_ms; /* a request body must arrive within this */
	size_t max_body;
	const char *content_type;   /* of every response */
	unsigned io_threads;        /* 0: one per CPU */
	unsigned lookup_threads;    /* 0: 16 */
	unsigned max_queued;        /* requests waiting for a lookup thread; 0: 256 */
} tg_server_config;

typedef struct tg_server tg_server;

/* Bind the socket and start serving. Refuses to start if another process
 * is listening on socket_path; removes a stale socket file left by a dead
 * one. *out receives the server (stop with tg_server_stop). Errors:
 * TG_EIO with the reason, TG_ENOMEM. */
int tg_server_start(const tg_server_config *cfg, tg_server_handler handler, void *arg,
                    tg_server **out, tg_error *err);

/* Stop accepting, finish requests in flight (lookups included), close, and
 * unlink the socket.
 * Accepts NULL. */
void tg_server_stop(tg_server *srv);

#endif
