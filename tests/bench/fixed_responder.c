/* tg-fixed-responder: the floor of trustgate's benchmark.
 *
 * A minimal HTTP/1.1 keep-alive server on a Unix socket that answers every
 * request with `{"Allow":true}`. It reads the request line and headers only
 * far enough to find Content-Length, skips the body unread, and never looks
 * at the JSON: whatever trustgate costs above this is the cost of its
 * decision and its HTTP stack. tests/bench/run.sh runs the load generator
 * against it and against trustgate in the same run and shows the ratio.
 *
 * Model: epoll, one event loop per thread (default: one per online CPU).
 * Every loop watches the listening socket with EPOLLEXCLUSIVE, so a new
 * connection wakes one loop, which accepts it and serves it for its whole
 * life; level-triggered, one read and one write per request. No locks.
 * SIGTERM or SIGINT: every loop stops, connections are closed, the socket
 * file is removed and the process exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_THREADS 64
#define HEADER_MAX 16384 /* a request head larger than this closes the connection */
#define EVENTS_PER_WAIT 64

static const char allow_answer[] = "HTTP/1.1 200 OK\r\n"
                                   "Content-Type: application/vnd.docker.plugins.v1+json\r\n"
                                   "Content-Length: 14\r\n"
                                   "\r\n"
                                   "{\"Allow\":true}";
/* The whole answer, the same for every request: allow_answer, or one made
 * at start-up from --body (the benchmark's stand-in for dockerd's image
 * inspect). Set before any thread starts, read-only after. */
static const char *answer = allow_answer;
static size_t answer_len = sizeof(allow_answer) - 1;

static void set_body(const char *body)
{
	size_t n = strlen(body) + 128;
	char *text = malloc(n);
	if (text == NULL)
		exit(1);
	answer_len = (size_t)snprintf(text, n, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                              "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	answer = text;
}

struct conn {
	int fd;
	size_t len;       /* bytes of request head held in buf */
	size_t body_left; /* body bytes still to skip */
	struct conn *prev, *next;
	char buf[HEADER_MAX];
};

struct loop {
	pthread_t thread;
	int epfd;
	int listen_fd;
	int stop_fd; /* read end of the stop pipe: readable means stop */
	struct conn *conns;
};

/* epoll data.ptr of the two non-connection descriptors */
static char listener_tag, stop_tag;

static void fail(const char *what)
{
	fprintf(stderr, "tg-fixed-responder: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		fail("fcntl");
}

/* ---- HTTP: just enough to find where each request ends ---- */

static size_t header_end(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

static size_t content_length(const char *head, size_t len)
{
	static const char name[] = "\r\ncontent-length:";
	for (size_t i = 0; i + sizeof(name) - 1 <= len; i++)
		if (strncasecmp(head + i, name, sizeof(name) - 1) == 0)
			return strtoul(head + i + sizeof(name) - 1, NULL, 10);
	return 0;
}

static int send_answer(int fd)
{
	/* The answer is small and one request is in flight per connection:
	 * the socket buffer always takes it whole. A short write closes. */
	ssize_t w = send(fd, answer, answer_len, MSG_NOSIGNAL);
	return w == (ssize_t)answer_len ? 0 : -1;
}

/* Consumes what is in c->buf: skips bodies, answers each complete request.
 * Returns -1 when the connection must be closed. */
static int serve_buffered(struct conn *c)
{
	for (;;) {
		if (c->body_left > 0) {
			size_t n = c->body_left < c->len ? c->body_left : c->len;
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			c->body_left -= n;
			if (c->body_left > 0)
				return 0;
			if (send_answer(c->fd) != 0)
				return -1;
			continue;
		}
		size_t head = header_end(c->buf, c->len);
		if (head == 0)
			return c->len == sizeof(c->buf) ? -1 : 0;
		size_t body = content_length(c->buf, head);
		memmove(c->buf, c->buf + head, c->len - head);
		c->len -= head;
		c->body_left = body;
		if (body == 0 && send_answer(c->fd) != 0)
			return -1;
	}
}

/* ---- connections ---- */

static void close_conn(struct loop *lp, struct conn *c)
{
	close(c->fd); /* also removes it from the epoll set */
	if (c->prev)
		c->prev->next = c->next;
	else
		lp->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void accept_conns(struct loop *lp)
{
	for (;;) {
		int fd = accept(lp->listen_fd, NULL, NULL);
		if (fd < 0)
			return; /* EAGAIN: another loop took it, or none left */
		struct conn *c = malloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		set_nonblocking(fd);
		*c = (struct conn){.fd = fd, .next = lp->conns};
		if (lp->conns)
			lp->conns->prev = c;
		lp->conns = c;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			close_conn(lp, c);
	}
}

static void on_readable(struct loop *lp, struct conn *c)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		close_conn(lp, c);
		return;
	}
	c->len += (size_t)r;
	if (serve_buffered(c) != 0)
		close_conn(lp, c);
}

static void *loop_main(void *arg)
{
	struct loop *lp = arg;
	struct epoll_event events[EVENTS_PER_WAIT];
	for (;;) {
		int n = epoll_wait(lp->epfd, events, EVENTS_PER_WAIT, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("epoll_wait");
		for (int i = 0; i < n; i++) {
			void *tag = events[i].data.ptr;
			if (tag == &stop_tag)
				goto stop;
			if (tag == &listener_tag)
				accept_conns(lp);
			else
				on_readable(lp, tag);
		}
	}
stop:
	while (lp->conns)
		close_conn(lp, lp->conns);
	return NULL;
}

/* ---- set-up ---- */

static int listen_unix(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "tg-fixed-responder: socket path too long\n");
		exit(2);
	}
	strcpy(addr.sun_path, path);
	struct stat sb;
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path); /* a socket left by an earlier run */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		fail(path);
	if (listen(fd, 512) != 0)
		fail("listen");
	set_nonblocking(fd);
	return fd;
}

static void add_watch(int epfd, int fd, unsigned events, void *tag)
{
	struct epoll_event ev = {.events = events, .data.ptr = tag};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		fail("epoll_ctl");
}

static void start_loop(struct loop *lp, int listen_fd, int stop_fd)
{
	*lp = (struct loop){.listen_fd = listen_fd, .stop_fd = stop_fd};
	lp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lp->epfd < 0)
		fail("epoll_create1");
	add_watch(lp->epfd, listen_fd, EPOLLIN | EPOLLEXCLUSIVE, &listener_tag);
	add_watch(lp->epfd, stop_fd, EPOLLIN, &stop_tag);
	if (pthread_create(&lp->thread, NULL, loop_main, lp) != 0)
		fail("pthread_create");
}

static void usage(void)
{
	fprintf(stderr, "usage: tg-fixed-responder --socket PATH [--threads N] [--body JSON]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, const char **path, int *threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	*path = NULL;
	*threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			*path = argv[++i];
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			*threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--body") == 0 && i + 1 < argc)
			set_body(argv[++i]);
		else
			usage();
	}
	if (*path == NULL || *threads < 1 || *threads > MAX_THREADS)
		usage();
}

int main(int argc, char **argv)
{
	const char *path;
	int threads;
	parse_args(argc, argv, &path, &threads);
	/* Block the stop signals before any thread starts; only main waits. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	int listen_fd = listen_unix(path);
	int stop_pipe[2];
	if (pipe(stop_pipe) != 0)
		fail("pipe");
	static struct loop loops[MAX_THREADS];
	for (int i = 0; i < threads; i++)
		start_loop(&loops[i], listen_fd, stop_pipe[0]);

	int sig;
	sigwait(&stop_signals, &sig);
	if (write(stop_pipe[1], "x", 1) != 1)
		fail("write");
	for (int i = 0; i < threads; i++) {
		pthread_join(loops[i].thread, NULL);
		close(loops[i].epfd);
	}
	close(listen_fd);
	unlink(path);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	return 0;
}
