/* tg-mhd-responder: libmicrohttpd's own floor in trustgate's benchmark.
 *
 * Answers every request with {"Allow":true}, read through libmicrohttpd
 * with the flags plugin/server.c uses (epoll, one thread per CPU, suspend
 * and resume allowed): what the HTTP library costs before trustgate reads a
 * byte of the request. tests/bench/run.sh shows it beside trustgate and the
 * hand-written epoll floor, so the three can be told apart: the library's
 * share, and trustgate's own. Usage: tg-mhd-responder --socket PATH.
 * SIGTERM or SIGINT stops it and removes the socket.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

static const char answer[] = "{\"Allow\":true}";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
	static int started;
	if (*req_cls == NULL) { /* first call: headers only */
		*req_cls = &started;
		return MHD_YES;
	}
	if (*upload_size > 0) { /* the body, skipped */
		*upload_size = 0;
		return MHD_YES;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		sizeof(answer) - 1, (void *)answer, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "application/vnd.docker.plugins.v1.2+json");
	enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--socket") != 0) {
		fprintf(stderr, "usage: tg-mhd-responder --socket PATH\n");
		return 2;
	}
	const char *path = argv[2];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || strlen(path) >= sizeof(addr.sun_path)) {
		perror("socket");
		return 1;
	}
	strcpy(addr.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 128) != 0) {
		perror(path);
		return 1;
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the MHD threads inherit it */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cpus > 1 ? (unsigned)cpus : 0u;
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC, 0, NULL, NULL,
		on_request, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "tg-mhd-responder: cannot start libmicrohttpd\n");
		return 1;
	}
	int sig;
	sigwait(&stop, &sig);
	MHD_stop_daemon(d);
	close(fd);
	unlink(path);
	return 0;
}
