/* The plugin server and protocol over a real Unix socket: what dockerd
 * sends, what a broken or hostile client sends, and that no connection can
 * stall another. */
#include "tg_test.h"

#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "authz/request.h"
#include "plugin/protocol.h"
#include "plugin/server.h"

static char sock_path[108];
static char policy_path[256];
static tg_server *srv;
static tg_policy_store *store;
static tg_protocol proto;

static int start(void **state)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/tg-test-%d.sock", (int)getpid());
	snprintf(policy_path, sizeof(policy_path), "/tmp/tg-test-%d.json", (int)getpid());
	FILE *f = fopen(policy_path, "w");
	fputs("{\"rules\": [{\"match\": \"*\", \"require\": \"publisher\"}]}", f);
	fclose(f);
	tg_error err;
	if (tg_policy_store_open(policy_path, true, &store, &err) != 0)
		fail_msg("%s", err.msg);
	proto.store = store;
	proto.self_name = "trustgate";
	atomic_init(&proto.next_id, 1);
	tg_server_config cfg = {sock_path, 0600, 64, 0, 400, TG_REQUEST_MAX, TG_PLUGIN_CONTENT_TYPE, 0, 0, 0};
	if (tg_server_start(&cfg, tg_protocol_handle, &proto, &srv, &err) != 0)
		fail_msg("%s", err.msg);
	return 0;
}

static int stop(void **state)
{
	tg_server_stop(srv);
	tg_policy_store_close(store);
	unlink(policy_path);
	struct stat sb;
	assert_int_equal(stat(sock_path, &sb), -1); /* the socket is removed on stop */
	return 0;
}

static int dial(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			fail_msg("send: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* Send a POST as Go's plugin client does (empty Host, fixed length). */
static void send_post(int fd, const char *path, const char *body, size_t n)
{
	char head[512];
	int h = snprintf(head, sizeof(head),
	                 "POST %s HTTP/1.1\r\nHost: \r\nUser-Agent: Go-http-client/1.1\r\n"
	                 "Content-Length: %zu\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n"
	                 "Accept-Encoding: gzip\r\n\r\n",
	                 path, n);
	send_all(fd, head, (size_t)h);
	send_all(fd, body, n);
}

/* Read one response; returns its status and copies the body. Fails the
 * test if nothing complete arrives within timeout_ms. */
static int read_response(int fd, char *body, size_t cap, int timeout_ms)
{
	char buf[65536];
	size_t len = 0;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, timeout_ms) != 1)
			fail_msg("no response within %d ms", timeout_ms);
		ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (r <= 0)
			fail_msg("connection closed before a full response");
		len += (size_t)r;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		const char *cl = strstr(buf, "Content-Length:");
		if (end == NULL || cl == NULL)
			continue;
		size_t want = strtoul(cl + 15, NULL, 10);
		if (len < (size_t)(end + 4 - buf) + want)
			continue;
		snprintf(body, cap, "%.*s", (int)want, end + 4);
		return atoi(buf + 9);
	}
}

static int roundtrip(int fd, const char *path, const char *body, char *out, size_t cap)
{
	send_post(fd, path, body, strlen(body));
	return read_response(fd, out, cap, 5000);
}

static void test_activate_and_keepalive(void **state)
{
	int fd = dial();
	char out[4096];
	assert_int_equal(roundtrip(fd, "/Plugin.Activate", "", out, sizeof(out)), 200);
	assert_string_equal(out, "{\"Implements\":[\"authz\"]}");
	/* same connection, next request: keep-alive as dockerd uses it */
	const char ping[] = "{\"RequestMethod\":\"GET\",\"RequestUri\":\"/_ping\"}\n";
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", ping, out, sizeof(out)), 200);
	assert_string_equal(out, "{\"Allow\":true}");
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZRes", ping, out, sizeof(out)), 200);
	assert_string_equal(out, "{\"Allow\":true}");
	close(fd);
}

static void test_deny_has_message(void **state)
{
	int fd = dial();
	char out[4096];
	const char pull[] = "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.41/images/create?"
	                    "fromImage=evil%2Fminer\\u0026tag=1\",\"RequestHeaders\":{\"Content-Length\":\"0\"}}";
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", pull, out, sizeof(out)), 200);
	assert_contains(out, "\"Allow\":false");
	assert_contains(out, "no rule trusts publisher \\\"evil\\\"");
	/* a create is decided on the local image: with no dockerd to ask, a
	 * deny that says so (on a lookup thread, the connection kept) */
	const char create[] = "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.41/containers/create\","
	                      "\"RequestHeaders\":{\"Content-Type\":\"application/json\"},"
	                      "\"RequestBody\":\"eyJJbWFnZSI6ImFscGluZSJ9\"}"; /* {"Image":"alpine"} */
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", create, out, sizeof(out)), 200);
	assert_contains(out, "\"Allow\":false");
	assert_contains(out, "container create of image alpine is not allowed: trustgate has no "
	                     "dockerd API socket");
	close(fd);
}

/* The exact empty-body retry dockerd sent after a dropped connection
 * (fail-conn-drop-then-allow-empty-retry): it let an unsigned image run
 * through a plugin that allowed it. */
static void test_captured_empty_retry_is_denied(void **state)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/authz-captures/fail-conn-drop-then-allow-empty-retry/04-AuthZReq.json",
	         getenv("TG_FIXTURES"));
	size_t len;
	char *body = tg_test_read_file(path, &len);
	assert_int_equal(len, 0);
	int fd = dial();
	char out[4096];
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", body, out, sizeof(out)), 200);
	assert_contains(out, "\"Allow\":false");
	assert_contains(out, "empty");
	close(fd);
	free(body);
}

static void test_malformed_calls(void **state)
{
	int fd = dial();
	char out[4096];
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", "{not json", out, sizeof(out)), 200);
	assert_contains(out, "\"Allow\":false");
	assert_contains(out, "not valid JSON");
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", "\x01\x02\xff", out, sizeof(out)), 200);
	assert_contains(out, "\"Allow\":false");
	assert_int_equal(roundtrip(fd, "/Nope", "{}", out, sizeof(out)), 404);
	close(fd);
	fd = dial();
	const char get[] = "GET /Plugin.Activate HTTP/1.1\r\nHost: x\r\n\r\n";
	send_all(fd, get, sizeof(get) - 1);
	assert_int_equal(read_response(fd, out, sizeof(out), 5000), 405);
	close(fd);
	/* garbage that is not HTTP: the server drops it and keeps serving */
	fd = dial();
	send_all(fd, "\x16\x03\x01 hello\r\n\r\n", 12);
	close(fd);
	fd = dial();
	assert_int_equal(roundtrip(fd, "/Plugin.Activate", "", out, sizeof(out)), 200);
	close(fd);
}

static void test_oversize_is_denied(void **state)
{
	size_t n = TG_REQUEST_MAX + 4096;
	char *big = malloc(n + 1);
	memset(big, ' ', n);
	big[n] = '\0';
	int fd = dial();
	char out[4096];
	send_post(fd, "/AuthZPlugin.AuthZReq", big, n);
	assert_int_equal(read_response(fd, out, sizeof(out), 10000), 200);
	assert_contains(out, "\"Allow\":false");
	assert_contains(out, "larger than trustgate accepts");
	close(fd);
	free(big);
}

/* A client that sends half a request and stops holds only its own
 * connection; a body slower than the request timeout is denied. */
static void test_stalled_client_blocks_no_one(void **state)
{
	int stalled = dial();
	const char head[] = "POST /AuthZPlugin.AuthZReq HTTP/1.1\r\nHost: \r\nContent-Length: 100\r\n\r\n{\"Req";
	send_all(stalled, head, sizeof(head) - 1);
	char out[4096];
	int other = dial();
	const char ping[] = "{\"RequestMethod\":\"GET\",\"RequestUri\":\"/_ping\"}";
	assert_int_equal(roundtrip(other, "/AuthZPlugin.AuthZReq", ping, out, sizeof(out)), 200);
	assert_string_equal(out, "{\"Allow\":true}");
	close(other);
	/* the stalled client finally sends more, after the 400 ms deadline */
	struct timespec pause = {0, 600 * 1000 * 1000};
	nanosleep(&pause, NULL);
	char rest[96];
	memset(rest, ' ', sizeof(rest));
	send_all(stalled, rest, sizeof(rest));
	assert_int_equal(read_response(stalled, out, sizeof(out), 5000), 200);
	assert_contains(out, "\"Allow\":false");
	assert_contains(out, "in time");
	close(stalled);
}

static void test_second_server_refused(void **state)
{
	tg_server_config cfg = {sock_path, 0600, 8, 0, 400, 1024, TG_PLUGIN_CONTENT_TYPE, 0, 0, 0};
	tg_server *second = NULL;
	tg_error err;
	assert_int_equal(tg_server_start(&cfg, tg_protocol_handle, &proto, &second, &err), TG_EIO);
	assert_contains(err.msg, "already serving");
	struct stat sb;
	assert_int_equal(stat(sock_path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_stale_socket_replaced(void **state)
{
	char path[108];
	snprintf(path, sizeof(path), "/tmp/tg-stale-%d.sock", (int)getpid());
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd); /* a socket file nobody listens on, as after a crash */
	tg_server_config cfg = {path, 0600, 8, 0, 400, 1024, TG_PLUGIN_CONTENT_TYPE, 0, 0, 0};
	tg_server *s = NULL;
	tg_error err;
	if (tg_server_start(&cfg, tg_protocol_handle, &proto, &s, &err) != 0)
		fail_msg("%s", err.msg);
	tg_server_stop(s);
}

static void test_policy_reload_keeps_last_good(void **state)
{
	int fd = dial();
	char out[4096];
	const char pull[] = "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/images/create?"
	                    "fromImage=evil%2Fminer\\u0026tag=1\",\"RequestHeaders\":{\"Content-Length\":\"0\"}}";
	FILE *f = fopen(policy_path, "w");
	fputs("{\"rules\": [{\"match\": \"docker.io/evil/*\", \"require\": \"allow\"}]}", f);
	fclose(f);
	tg_error err;
	assert_int_equal(tg_policy_store_reload(store, true, &err), 1);
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", pull, out, sizeof(out)), 200);
	assert_string_equal(out, "{\"Allow\":true}");
	f = fopen(policy_path, "w");
	fputs("{\"rules\": [{\"match\": \"*\", \"require\": \"maybe\"}]}", f);
	fclose(f);
	assert_int_equal(tg_policy_store_reload(store, true, &err), TG_EINVAL);
	assert_contains(err.msg, ":1:38: \"require\" must be one of");
	assert_int_equal(roundtrip(fd, "/AuthZPlugin.AuthZReq", pull, out, sizeof(out)), 200);
	assert_string_equal(out, "{\"Allow\":true}"); /* still the last good policy */
	close(fd);
}

/* Many keep-alive connections at once while the policy is swapped under
 * them: every answer arrives and is one of the two policies' verdicts (the
 * sanitizer build checks the reference counting). */
#define CLIENTS 16
#define REQUESTS_PER_CLIENT 200

static void *client_thread(void *arg)
{
	int *bad = arg;
	int fd = dial();
	char out[4096];
	const char pull[] = "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/images/create?"
	                    "fromImage=evil%2Fminer\\u0026tag=1\",\"RequestHeaders\":{\"Content-Length\":\"0\"}}";
	for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
		send_post(fd, "/AuthZPlugin.AuthZReq", pull, strlen(pull));
		if (read_response(fd, out, sizeof(out), 5000) != 200 ||
		    (strcmp(out, "{\"Allow\":true}") != 0 && strstr(out, "no rule trusts publisher") == NULL))
			(*bad)++;
	}
	close(fd);
	return NULL;
}

static void test_concurrent_clients_during_reloads(void **state)
{
	static const char *const policies[] = {
		"{\"rules\": [{\"match\": \"*\", \"require\": \"publisher\"}]}",
		"{\"rules\": [{\"match\": \"docker.io/evil/*\", \"require\": \"allow\"}]}",
	};
	pthread_t threads[CLIENTS];
	int bad[CLIENTS] = {0};
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, client_thread, &bad[i]), 0);
	for (int round = 0; round < 50; round++) {
		FILE *f = fopen(policy_path, "w");
		fputs(policies[round % 2], f);
		fclose(f);
		tg_error err;
		assert_int_equal(tg_policy_store_reload(store, true, &err), 1);
		struct timespec pause = {0, 2 * 1000 * 1000}; /* spread the swaps over the run */
		nanosleep(&pause, NULL);
	}
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(bad[i], 0);
	}
}

/* serve without --policy: the built-in default until the default file
 * appears; a removed file keeps the policy loaded from it. */
static void test_optional_policy_file(void **state)
{
	char path[256];
	snprintf(path, sizeof(path), "/tmp/tg-optional-%d.json", (int)getpid());
	unlink(path);
	tg_policy_store *s = NULL;
	tg_error err;
	assert_int_equal(tg_policy_store_open(path, false, &s, &err), 0);
	tg_policy_ref *ref = tg_policy_store_acquire(s);
	assert_true(tg_policy_is_builtin(tg_policy_ref_get(ref)));
	tg_policy_store_release(s, ref);
	assert_int_equal(tg_policy_store_reload(s, false, &err), 0); /* nothing changed */
	FILE *f = fopen(path, "w");
	fputs("{\"mode\": \"audit\", \"rules\": []}", f);
	fclose(f);
	assert_int_equal(tg_policy_store_reload(s, false, &err), 1);
	ref = tg_policy_store_acquire(s);
	assert_string_equal(tg_policy_source(tg_policy_ref_get(ref)), path);
	assert_int_equal(tg_policy_mode(tg_policy_ref_get(ref)), TG_MODE_AUDIT);
	tg_policy_store_release(s, ref);
	unlink(path);
	assert_int_equal(tg_policy_store_reload(s, false, &err), TG_EIO);
	assert_contains(err.msg, "was removed; keeping the policy loaded from it");
	ref = tg_policy_store_acquire(s);
	assert_int_equal(tg_policy_mode(tg_policy_ref_get(ref)), TG_MODE_AUDIT);
	tg_policy_store_release(s, ref);
	tg_policy_store_close(s);
	assert_int_equal(tg_policy_store_open(path, true, &s, &err), TG_EIO); /* --policy given: required */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_activate_and_keepalive),
		cmocka_unit_test(test_deny_has_message),
		cmocka_unit_test(test_captured_empty_retry_is_denied),
		cmocka_unit_test(test_malformed_calls),
		cmocka_unit_test(test_oversize_is_denied),
		cmocka_unit_test(test_stalled_client_blocks_no_one),
		cmocka_unit_test(test_second_server_refused),
		cmocka_unit_test(test_stale_socket_replaced),
		cmocka_unit_test(test_policy_reload_keeps_last_good),
		cmocka_unit_test(test_concurrent_clients_during_reloads),
		cmocka_unit_test(test_optional_policy_file),
	};
	return cmocka_run_group_tests(tests, start, stop);
}
