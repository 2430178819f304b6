/* The server's split between I/O threads (may not block) and lookup
 * threads, over a real Unix socket, with a handler of this test's own:
 * - a request whose lookup calls back into the same server (as trustgate's
 *   calls to dockerd come back to it) is always answered, even when every
 *   lookup thread is taken: no deadlock;
 * - while lookups are stuck, other requests are still answered;
 * - a full queue, or a wait longer than request_timeout_ms, is answered at
 *   once as overloaded, never left hanging;
 * - stopping the server waits for lookups in flight. */
#include "tg_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "plugin/server.h"

static char sock_path[108];

/* The gate that /slow lookups wait on. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static int slow_started;
static int slow_handed_off; /* /slow requests the I/O threads passed on */

static void set_gate(bool open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	if (!open)
		slow_started = slow_handed_off = 0;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int dial(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct timeval tv = {10, 0}; /* a hang fails the test instead of stalling it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_post(int fd, const char *path)
{
	char req[256];
	int n = snprintf(req, sizeof(req),
	                 "POST %s HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\n\r\n", path);
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		fail_msg("send: %s", strerror(errno));
}

/* The body of one response (bodies here are short and end the read), or
 * "" on a timeout or a closed connection. */
static void read_body(int fd, char *body, size_t size)
{
	char buf[2048];
	size_t len = 0;
	body[0] = '\0';
	for (;;) {
		ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (r <= 0)
			return;
		len += (size_t)r;
		buf[len] = '\0';
		char *start = strstr(buf, "\r\n\r\n");
		const char *cl = strstr(buf, "Content-Length: ");
		if (start != NULL && cl != NULL && strlen(start + 4) >= (size_t)atoi(cl + 16)) {
			snprintf(body, size, "%s", start + 4);
			return;
		}
	}
}

/* One request on a new connection: its body. */
static void call(const char *path, char *body, size_t size)
{
	int fd = dial();
	body[0] = '\0';
	if (fd < 0)
		return;
	send_post(fd, path);
	read_body(fd, body, size);
	close(fd);
}

static void put(tg_buf *out, const char *text)
{
	tg_buf_puts(out, text);
}

static enum tg_server_answer handle(void *arg, const tg_server_request *req, unsigned *status,
                                    tg_buf *out)
{
	*status = 200;
	if (strcmp(req->url, "/fast") == 0) {
		put(out, "fast");
		return TG_SERVER_ANSWERED;
	}
	if (req->body_state == TG_BODY_OVERLOADED) {
		put(out, "busy");
		return TG_SERVER_ANSWERED;
	}
	if (!req->may_block) {
		pthread_mutex_lock(&gate_lock);
		slow_handed_off++;
		pthread_cond_broadcast(&gate_cond);
		pthread_mutex_unlock(&gate_lock);
		return TG_SERVER_BLOCKS;
	}
	if (strcmp(req->url, "/inner") == 0) { /* a lookup that asks this server */
		char inner[64];
		call("/fast", inner, sizeof(inner));
		tg_buf_printf(out, "inner:%s", inner);
		return TG_SERVER_ANSWERED;
	}
	pthread_mutex_lock(&gate_lock); /* /slow: held until the gate opens */
	slow_started++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	put(out, "slow");
	return TG_SERVER_ANSWERED;
}

static tg_server *start_server(unsigned lookup_threads, unsigned max_queued, unsigned timeout_ms)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/tg-lt-%d.sock", (int)getpid());
	tg_server_config cfg = {sock_path, 0600, 256, 0, timeout_ms, 4096, "text/plain",
	                        2, lookup_threads, max_queued};
	tg_server *srv = NULL;
	tg_error err;
	if (tg_server_start(&cfg, handle, NULL, &srv, &err) != 0)
		fail_msg("%s", err.msg);
	return srv;
}

/* Wait until *counter reaches n (under gate_lock), at most 5 s. */
static void wait_count(const int *counter, int n, const char *what)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&gate_lock);
	while (*counter < n)
		if (pthread_cond_timedwait(&gate_cond, &gate_lock, &until) != 0)
			break;
	int seen = *counter;
	pthread_mutex_unlock(&gate_lock);
	if (seen < n)
		fail_msg("only %d of %d %s", seen, n, what);
}

static void wait_slow_started(int n)
{
	wait_count(&slow_started, n, "slow lookups started");
}

/* n /slow requests were handed to the lookup queue (the submit follows
 * the handler's answer within microseconds: 50 ms covers it). */
static void wait_handed_off(int n)
{
	wait_count(&slow_handed_off, n, "slow requests handed off");
	sleep_ms(50);
}

struct client {
	pthread_t thread;
	const char *path;
	char body[64];
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	call(c->path, c->body, sizeof(c->body));
	return NULL;
}

static void start_client(struct client *c, const char *path)
{
	c->path = path;
	c->body[0] = '\0';
	pthread_create(&c->thread, NULL, client_main, c);
}

/* 24 lookups that each call back into the server, with 2 lookup threads:
 * the callbacks are answered on the I/O threads, so every lookup ends. */
static void test_nested_calls_never_deadlock(void **state)
{
	tg_server *srv = start_server(2, 64, 5000);
	struct client clients[24];
	for (size_t i = 0; i < 24; i++)
		start_client(&clients[i], "/inner");
	for (size_t i = 0; i < 24; i++) {
		pthread_join(clients[i].thread, NULL);
		assert_string_equal(clients[i].body, "inner:fast");
	}
	tg_server_stop(srv);
}

/* A server with one lookup thread, held by a stuck /slow request, and a
 * second /slow request queued behind it. */
static tg_server *one_stuck_one_queued(unsigned max_queued, unsigned timeout_ms,
                                       struct client *stuck, struct client *waiting)
{
	set_gate(false);
	tg_server *srv = start_server(1, max_queued, timeout_ms);
	start_client(stuck, "/slow");
	wait_slow_started(1);
	start_client(waiting, "/slow");
	wait_handed_off(2); /* it is in the queue */
	return srv;
}

/* Open the gate; both finish with these answers. */
static void finish_both(struct client *stuck, struct client *waiting, const char *waiting_body)
{
	set_gate(true);
	pthread_join(stuck->thread, NULL);
	pthread_join(waiting->thread, NULL);
	assert_string_equal(stuck->body, "slow");
	assert_string_equal(waiting->body, waiting_body);
}

/* One lookup thread, room for one waiting request: the first is stuck,
 * the second waits, the third is told "busy" at once; fast requests are
 * answered throughout; opening the gate finishes the first two. */
static void test_full_queue_answers_at_once(void **state)
{
	struct client stuck, waiting;
	tg_server *srv = one_stuck_one_queued(1, 5000, &stuck, &waiting);
	char body[64];
	call("/slow", body, sizeof(body));
	assert_string_equal(body, "busy");
	call("/fast", body, sizeof(body));
	assert_string_equal(body, "fast");
	finish_both(&stuck, &waiting, "slow");
	tg_server_stop(srv);
}

/* A request that waited for a lookup thread longer than the request
 * timeout is answered as overloaded, not looked up late. */
static void test_long_wait_is_overloaded(void **state)
{
	struct client stuck, waiting;
	tg_server *srv = one_stuck_one_queued(8, 200, &stuck, &waiting);
	sleep_ms(400); /* past the 200 ms timeout, still queued */
	finish_both(&stuck, &waiting, "busy");
	tg_server_stop(srv);
}

static void *open_gate_later(void *arg)
{
	sleep_ms(300);
	set_gate(true);
	return arg;
}

/* Stopping with a lookup in flight waits for it, then stops cleanly
 * (MHD must not be stopped with a connection suspended). */
static void test_stop_waits_for_lookups(void **state)
{
	set_gate(false);
	tg_server *srv = start_server(2, 8, 5000);
	struct client stuck;
	start_client(&stuck, "/slow");
	wait_slow_started(1);
	pthread_t opener;
	pthread_create(&opener, NULL, open_gate_later, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tg_server_stop(srv);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(opener, NULL);
	pthread_join(stuck.thread, NULL);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
	if (ms < 200)
		fail_msg("stop returned after %ld ms, before the lookup ended", ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_calls_never_deadlock),
		cmocka_unit_test(test_full_queue_answers_at_once),
		cmocka_unit_test(test_long_wait_is_overloaded),
		cmocka_unit_test(test_stop_waits_for_lookups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
