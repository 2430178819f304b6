/* server: see server.h. */
#include "plugin/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/tg_log.h"
#include "plugin/work_queue.h"

struct tg_server {
	struct MHD_Daemon *mhd;
	tg_work_queue *lookups;
	tg_server_config cfg;
	char *socket_path;
	tg_server_handler handler;
	void *arg;
	int listen_fd;
};

/* Per-request state, from the first callback to the completion notice. */
struct request_state {
	tg_work work;          /* first: the lookup job is this state */
	tg_buf body;
	enum tg_body_state body_state;
	struct timespec start;
	/* Set while the connection is suspended for a lookup thread. */
	tg_server *srv;
	struct MHD_Connection *conn;
	char *method, *url;
	bool answered;         /* the lookup thread's answer is in status/out */
	unsigned status;
	tg_buf out;
};

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const tg_server *srv,
                                     unsigned status, const tg_buf *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		text->len, (void *)tg_buf_str(text), MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, srv->cfg.content_type);
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static tg_server_request request_of(struct request_state *st, const char *method,
                                    const char *url, bool may_block)
{
	return (tg_server_request){method, url, tg_buf_str(&st->body), st->body.len, st->body_state,
	                           may_block};
}

/* On a lookup thread: the handler may block now. Then wake the connection,
 * whose next callback sends the answer (st belongs to MHD again after
 * the resume). */
static void run_lookup(tg_work *work)
{
	struct request_state *st = (struct request_state *)work;
	tg_server *srv = st->srv;
	if (srv->cfg.request_timeout_ms > 0 && elapsed_ms(&st->start) > (long)srv->cfg.request_timeout_ms)
		st->body_state = TG_BODY_OVERLOADED;
	tg_server_request req = request_of(st, st->method, st->url,
	                                   st->body_state != TG_BODY_OVERLOADED);
	st->status = 500;
	srv->handler(srv->arg, &req, &st->status, &st->out);
	st->answered = true;
	MHD_resume_connection(st->conn);
}

/* The handler's answer now, or after a lookup thread's turn. */
static enum MHD_Result answer(tg_server *srv, struct request_state *st,
                              struct MHD_Connection *conn, const char *method, const char *url)
{
	if (st->answered)
		return send_response(conn, srv, st->status, &st->out);
	tg_server_request req = request_of(st, method, url, false);
	st->status = 500;
	if (srv->handler(srv->arg, &req, &st->status, &st->out) == TG_SERVER_ANSWERED)
		return send_response(conn, srv, st->status, &st->out);
	tg_buf_clear(&st->out);
	st->srv = srv;
	st->conn = conn;
	st->method = strdup(method);
	st->url = strdup(url);
	st->work.fn = run_lookup;
	if (st->method == NULL || st->url == NULL)
		return MHD_NO;
	MHD_suspend_connection(conn);
	if (tg_work_queue_submit(srv->lookups, &st->work) != TG_OK) {
		st->body_state = TG_BODY_OVERLOADED; /* answered without blocking */
		run_lookup(&st->work);
	}
	return MHD_YES;
}

static void take_upload(tg_server *srv, struct request_state *st, const char *data, size_t n)
{
	if (st->body_state != TG_BODY_COMPLETE)
		return; /* already failed: discard the rest */
	if (srv->cfg.request_timeout_ms > 0 && elapsed_ms(&st->start) > (long)srv->cfg.request_timeout_ms) {
		st->body_state = TG_BODY_TOO_SLOW;
		tg_buf_free(&st->body);
		return;
	}
	int rc = tg_buf_append(&st->body, data, n);
	if (rc == TG_ETOOBIG || rc == TG_ENOMEM) {
		st->body_state = TG_BODY_TOO_LARGE;
		tg_buf_free(&st->body);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
	tg_server *srv = cls;
	struct request_state *st = *req_cls;
	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return MHD_NO;
		tg_buf_init(&st->body, srv->cfg.max_body);
		tg_buf_init(&st->out, TG_SERVER_ANSWER_MAX);
		clock_gettime(CLOCK_MONOTONIC, &st->start);
		*req_cls = st;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* MHD cannot answer before the body is read: a body that is too
		 * slow or too large is discarded and denied when it ends (a sender
		 * that stops altogether is cut off by the idle timeout). */
		take_upload(srv, st, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (st->body_state == TG_BODY_COMPLETE && srv->cfg.request_timeout_ms > 0 &&
	    elapsed_ms(&st->start) > (long)srv->cfg.request_timeout_ms)
		st->body_state = TG_BODY_TOO_SLOW;
	return answer(srv, st, conn, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct request_state *st = *req_cls;
	if (st == NULL)
		return;
	tg_buf_free(&st->body);
	tg_buf_free(&st->out);
	free(st->method);
	free(st->url);
	free(st);
	*req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	tg_log(TG_LOG_WARN, "http: %s", line);
}

/* If something accepts connections on path, another trustgate is serving:
 * refuse. If the file is a dead socket, remove it. */
static int clear_stale_socket(const char *path, tg_error *err)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? TG_OK
		                       : tg_error_set(err, TG_EIO, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(sb.st_mode))
		return tg_error_set(err, TG_EIO, "%s exists and is not a socket; not touching it", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strcpy(addr.sun_path, path);
	int live = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	if (live)
		return tg_error_set(err, TG_EIO, "another process is already serving %s", path);
	if (unlink(path) != 0)
		return tg_error_set(err, TG_EIO, "cannot remove stale socket %s: %s", path, strerror(errno));
	return TG_OK;
}

static int bind_socket(const tg_server_config *cfg, int *fd_out, tg_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(cfg->socket_path) >= sizeof(addr.sun_path))
		return tg_error_set(err, TG_EIO, "socket path %s is too long", cfg->socket_path);
	int rc = clear_stale_socket(cfg->socket_path, err);
	if (rc != TG_OK)
		return rc;
	strcpy(addr.sun_path, cfg->socket_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tg_error_set(err, TG_EIO, "socket: %s", strerror(errno));
	/* Create the socket with no access, then open it up: no window in
	 * which another user could connect. */
	mode_t old = umask(0777);
	int bound = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (bound != 0 || chmod(cfg->socket_path, cfg->socket_mode) != 0 || listen(fd, 128) != 0) {
		rc = tg_error_set(err, TG_EIO, "cannot listen on %s: %s", cfg->socket_path, strerror(errno));
		close(fd);
		if (bound == 0)
			unlink(cfg->socket_path);
		return rc;
	}
	*fd_out = fd;
	return TG_OK;
}

static struct MHD_Daemon *start_mhd(tg_server *srv)
{
	unsigned io_threads = srv->cfg.io_threads;
	if (io_threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		io_threads = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;
	}
	/* A pool of 1 is not a pool: MHD wants 0 for one internal thread. */
	return MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
		MHD_OPTION_THREAD_POOL_SIZE, io_threads > 1 ? io_threads : 0u,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)srv->cfg.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)srv->cfg.idle_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_END);
}

int tg_server_start(const tg_server_config *cfg, tg_server_handler handler, void *arg,
                    tg_server **out, tg_error *err)
{
	tg_server *srv = calloc(1, sizeof(*srv));
	if (srv == NULL || (srv->socket_path = strdup(cfg->socket_path)) == NULL) {
		free(srv);
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	srv->cfg = *cfg;
	srv->cfg.socket_path = srv->socket_path;
	srv->handler = handler;
	srv->arg = arg;
	int rc = bind_socket(cfg, &srv->listen_fd, err);
	if (rc != TG_OK) {
		free(srv->socket_path);
		free(srv);
		return rc;
	}
	rc = tg_work_queue_start(cfg->lookup_threads ? cfg->lookup_threads : 16,
	                         cfg->max_queued ? cfg->max_queued : 256, &srv->lookups, err);
	if (rc == TG_OK && (srv->mhd = start_mhd(srv)) == NULL)
		rc = tg_error_set(err, TG_EIO, "cannot start the HTTP server on %s", cfg->socket_path);
	if (rc != TG_OK) {
		tg_work_queue_free(srv->lookups);
		close(srv->listen_fd);
		unlink(srv->socket_path);
		free(srv->socket_path);
		free(srv);
		return rc;
	}
	*out = srv;
	return TG_OK;
}

void tg_server_stop(tg_server *srv)
{
	if (srv == NULL)
		return;
	/* Every lookup finishes and resumes its connection (MHD must not be
	 * stopped with one suspended); requests that come meanwhile are
	 * answered at once as overloaded. Then close them all. (Not
	 * MHD_quiesce_daemon: with an epoll thread pool, libmicrohttpd 0.9.75
	 * can abort in it, racing its own threads over the listen socket.) */
	tg_work_queue_drain(srv->lookups);
	MHD_stop_daemon(srv->mhd); /* closes the listen socket it was given */
	tg_work_queue_free(srv->lookups);
	unlink(srv->socket_path);
	free(srv->socket_path);
	free(srv);
}
