/* trustcache/http and trustcache/registry against real servers on loopback,
 * all started by this test: a small HTTP server thread with canned answers
 * (plain sockets, 127.0.0.1, port 0), and `openssl s_server` as a child
 * process for TLS, with a CA made by `openssl` in a temporary directory.
 * Pure parts (WWW-Authenticate, loopback names, base URLs) are tables. */
#include "tg_test.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "trustcache/http.h"
#include "trustcache/registry.h"

#define assert_code(rc, want, err)                                                          \
	do {                                                                                    \
		int rc_ = (rc), want_ = (want);                                                     \
		if (rc_ != want_)                                                                   \
			fail_msg("got %s (%s), want %s", tg_code_name(rc_), (err).msg,                 \
			         tg_code_name(want_));                                                  \
	} while (0)

/* The manifest of acme/signed:1 from the testbed and its digest (from
 * fixtures/registry/acme_signed_1.headers.txt, i.e. computed by the real
 * registry, not by us). */
#define SIGNED_1_DIGEST "sha256:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"
static char *manifest;
static size_t manifest_len;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------ the test HTTP server */

static struct {
	int lfd;
	int port;
	int wake[2];
	pthread_t thread;
	int held[32]; /* connections deliberately never answered */
	int nheld;
	pthread_mutex_t mu; /* guards what the tests read below */
	char token_query[512];
	char token_authz[256];
	char last_accept[512];
	char last_authz[256];
	int token_hits;
} srv = {.lfd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

static char base[64]; /* "http://127.0.0.1:PORT" */

/* Value of header name in a request head, "" when absent. */
static void req_header(const char *head, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	out[0] = '\0';
	for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2;
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = strcspn(v, "\r\n");
			snprintf(out, n, "%.*s", (int)vl, v);
			return;
		}
	}
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the client gave up: that is what some tests want */
		p += w;
		n -= (size_t)w;
	}
}

/* Send a response; with_len 0 means "no Content-Length, body until close". */
static void respond(int fd, int head, int status, const char *extra, const char *body,
                    size_t blen, int with_len)
{
	char hdr[2048];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nConnection: close\r\n%s", status,
	                 extra ? extra : "");
	if (with_len)
		n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, "Content-Length: %zu\r\n", blen);
	n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, "\r\n");
	send_all(fd, hdr, (size_t)n);
	if (!head && body != NULL)
		send_all(fd, body, blen);
}

static void respond_text(int fd, int head, int status, const char *extra, const char *body)
{
	respond(fd, head, status, extra, body, strlen(body), 1);
}

static void challenge(int fd, int head, const char *token_path, const char *scope)
{
	char h[512];
	snprintf(h, sizeof(h),
	         "WWW-Authenticate: Bearer realm=\"%s%s\",service=\"test-registry\",scope=\"%s\"\r\n",
	         base, token_path, scope);
	respond_text(fd, head, 401, h, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
}

static void serve_manifest(int fd, int head, const char *digest_header)
{
	char h[256] = "Content-Type: application/vnd.docker.distribution.manifest.v2+json\r\n";
	if (digest_header != NULL)
		snprintf(h + strlen(h), sizeof(h) - strlen(h), "Docker-Content-Digest: %s\r\n",
		         digest_header);
	respond(fd, head, 200, h, manifest, manifest_len, 1);
}

/* Answer one request; returns 1 when fd is kept open unanswered. */
static int handle(int fd, const char *req)
{
	char method[8] = "", path[512] = "", authz[256], accept[512];
	if (sscanf(req, "%7s %511s", method, path) != 2)
		return 0;
	int head = strcmp(method, "HEAD") == 0;
	req_header(req, "Authorization", authz, sizeof(authz));
	req_header(req, "Accept", accept, sizeof(accept));
	char *query = strchr(path, '?');
	if (query != NULL)
		*query++ = '\0';
	if (strncmp(path, "/v2/", 4) == 0) {
		pthread_mutex_lock(&srv.mu);
		snprintf(srv.last_accept, sizeof(srv.last_accept), "%s", accept);
		snprintf(srv.last_authz, sizeof(srv.last_authz), "%s", authz);
		pthread_mutex_unlock(&srv.mu);
	}

	if (strcmp(path, "/ok") == 0) {
		respond_text(fd, head, 200, "Content-Type: text/plain\r\n", "hello, world\n");
	} else if (strcmp(path, "/missing") == 0) {
		respond_text(fd, head, 404, NULL, "not found\n");
	} else if (strcmp(path, "/big") == 0 || strcmp(path, "/big-stream") == 0) {
		static char big[100000];
		memset(big, 'x', sizeof(big));
		respond(fd, head, 200, NULL, big, sizeof(big), strcmp(path, "/big") == 0);
	} else if (strcmp(path, "/hang") == 0) {
		return 1;
	} else if (strncmp(path, "/redirect/", 10) == 0) {
		int n = atoi(path + 10);
		char loc[128];
		if (n <= 0)
			snprintf(loc, sizeof(loc), "Location: /ok\r\n");
		else
			snprintf(loc, sizeof(loc), "Location: /redirect/%d\r\n", n - 1);
		respond_text(fd, head, 302, loc, "");
	} else if (strcmp(path, "/to-file") == 0) {
		respond_text(fd, head, 302, "Location: file:///etc/passwd\r\n", "");
	} else if (strcmp(path, "/token") == 0 || strcmp(path, "/token-basic") == 0) {
		int basic = strcmp(path, "/token-basic") == 0;
		pthread_mutex_lock(&srv.mu);
		snprintf(srv.token_query, sizeof(srv.token_query), "%s", query ? query : "");
		snprintf(srv.token_authz, sizeof(srv.token_authz), "%s", authz);
		srv.token_hits++;
		pthread_mutex_unlock(&srv.mu);
		if (!basic)
			respond_text(fd, head, 200, NULL, "{\"token\":\"tok-123\",\"expires_in\":300}");
		else if (strcmp(authz, "Basic YWxpY2U6czNjcmV0") == 0) /* alice:s3cret */
			respond_text(fd, head, 200, NULL, "{\"access_token\":\"tok-456\"}");
		else
			respond_text(fd, head, 401, NULL, "{\"details\":\"bad credentials\"}");
	} else if (strcmp(path, "/token-empty") == 0) {
		respond_text(fd, head, 200, NULL, "{\"token\":\"\"}");
	} else if (strcmp(path, "/protected") == 0) {
		if (strcmp(authz, "Bearer tok-123") == 0)
			respond_text(fd, head, 200, NULL, "secret\n");
		else
			challenge(fd, head, "/token", "repository:acme/signed:pull");
	} else if (strcmp(path, "/protected-basic") == 0) {
		if (strcmp(authz, "Bearer tok-456") == 0)
			respond_text(fd, head, 200, NULL, "secret\n");
		else
			challenge(fd, head, "/token-basic", "repository:acme/signed:pull");
	} else if (strcmp(path, "/protected-empty-token") == 0) {
		challenge(fd, head, "/token-empty", "repository:acme/signed:pull");
	} else if (strcmp(path, "/protected-remote-realm") == 0) {
		respond_text(fd, head, 401,
		             "WWW-Authenticate: Bearer realm=\"http://auth.example.com/token\"\r\n", "");
	} else if (strcmp(path, "/basic") == 0) {
		if (strcmp(authz, "Basic YWxpY2U6czNjcmV0") == 0)
			respond_text(fd, head, 200, NULL, "basic ok\n");
		else
			respond_text(fd, head, 401, "WWW-Authenticate: Basic realm=\"test\"\r\n", "");
	} else if (strcmp(path, "/v2/acme/signed/manifests/1") == 0) {
		serve_manifest(fd, head, SIGNED_1_DIGEST);
	} else if (strcmp(path, "/v2/acme/nodigest/manifests/1") == 0) {
		serve_manifest(fd, head, NULL);
	} else if (strcmp(path, "/v2/acme/baddigest/manifests/1") == 0) {
		serve_manifest(fd, head, "sha256:A9E892271FE32C878F0F87530483A8713C44225DAB6CA93E80BA2741267");
	} else if (strcmp(path, "/v2/acme/liar/manifests/1") == 0) {
		serve_manifest(fd, head, head ? NULL : "sha256:" "0000000000000000000000000000000000000000000000000000000000000000");
	} else if (strcmp(path, "/v2/acme/private/manifests/1") == 0) {
		if (strcmp(authz, "Bearer tok-123") == 0)
			serve_manifest(fd, head, head ? NULL : SIGNED_1_DIGEST);
		else
			challenge(fd, head, "/token", "repository:acme/private:pull");
	} else if (strcmp(path, "/v2/acme/denied/manifests/1") == 0) {
		challenge(fd, head, "/token", "repository:acme/denied:pull");
	} else if (strcmp(path, "/v2/acme/broken/manifests/1") == 0) {
		respond_text(fd, head, 500, NULL, "oops\n");
	} else {
		respond_text(fd, head, 404, NULL, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}");
	}
	return 0;
}

/* Read a request head (no request here has a body). */
static int read_head(int fd, char *buf, size_t n)
{
	size_t len = 0;
	while (len + 1 < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 3000) <= 0)
			return -1;
		ssize_t r = recv(fd, buf + len, n - 1 - len, 0);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = srv.lfd, .events = POLLIN}, {.fd = srv.wake[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		int fd = accept(srv.lfd, NULL, NULL);
		if (fd < 0)
			continue;
		char req[8192];
		int keep = 0;
		if (read_head(fd, req, sizeof(req)) == 0)
			keep = handle(fd, req);
		if (keep && srv.nheld < (int)(sizeof(srv.held) / sizeof(srv.held[0])))
			srv.held[srv.nheld++] = fd;
		else
			close(fd);
	}
	return NULL;
}

/* A port on 127.0.0.1 that nobody listens on (bound, then closed). */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* ----------------------------------------------------- the TLS server */

static char tmpdir[64] = "";
static pid_t tls_pid = -1;
static int tls_port;
static int have_tls;

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int wait_listening(int port, pid_t pid)
{
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		sleep_ms(50);
	}
	return -1;
}

/* A CA, a server certificate for IP 127.0.0.1 signed by it, and an unrelated
 * CA; then `openssl s_server -www` with that certificate. */
static int start_tls(void)
{
	strcpy(tmpdir, "/tmp/tg-test-http-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "cd %s && "
	        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
	        "-subj /CN=tg-test-ca -keyout ca.key -out ca.pem >/dev/null 2>&1 && "
	        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
	        "-subj /CN=tg-other-ca -keyout other.key -out other.pem >/dev/null 2>&1 && "
	        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	        "-subj /CN=127.0.0.1 -keyout srv.key -out srv.csr >/dev/null 2>&1 && "
	        "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && "
	        "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
	        "-extfile ext.cnf -out srv.pem >/dev/null 2>&1",
	        tmpdir);
	if (system(cmd) != 0)
		return -1;
	tls_port = closed_port();
	char accept_arg[32], cert[128], key[128];
	snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%d", tls_port);
	snprintf(cert, sizeof(cert), "%s/srv.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/srv.key", tmpdir);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp("openssl", "openssl", "s_server", "-accept", accept_arg, "-cert", cert, "-key",
		       key, "-www", "-quiet", (char *)NULL);
		_exit(127);
	}
	tls_pid = pid;
	return wait_listening(tls_port, pid);
}

static void stop_tls(void)
{
	if (tls_pid > 0) {
		kill(tls_pid, SIGTERM);
		waitpid(tls_pid, NULL, 0);
		tls_pid = -1;
	}
	if (tmpdir[0] != '\0') {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
		tmpdir[0] = '\0';
	}
}

/* ------------------------------------------------------ setup, teardown */

static int setup(void **state)
{
	const char *fx = getenv("TG_FIXTURES");
	char path[512];
	if (fx == NULL) {
		fprintf(stderr, "TG_FIXTURES is not set\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/registry/acme_signed_1.manifest.json", fx);
	manifest = tg_test_read_file(path, &manifest_len);

	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(srv.lfd, 64) != 0 || getsockname(srv.lfd, (struct sockaddr *)&a, &al) != 0 ||
	    pipe(srv.wake) != 0)
		return -1;
	srv.port = ntohs(a.sin_port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv.port);
	if (pthread_create(&srv.thread, NULL, serve, NULL) != 0)
		return -1;

	have_tls = start_tls() == 0;
	if (!have_tls)
		fprintf(stderr, "note: could not start openssl s_server; TLS tests skipped\n");
	return 0;
}

static int teardown(void **state)
{
	stop_tls();
	if (write(srv.wake[1], "x", 1) == 1)
		pthread_join(srv.thread, NULL);
	for (int i = 0; i < srv.nheld; i++)
		close(srv.held[i]);
	close(srv.lfd);
	close(srv.wake[0]);
	close(srv.wake[1]);
	free(manifest);
	return 0;
}

/* Fetch base+path with opt; returns the code, response in *r on success. */
static int get(const char *path, const tg_http_options *opt, tg_http_response *r, tg_error *err)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", base, path);
	tg_error_clear(err);
	return tg_http_get(url, opt, r, err);
}

/* ------------------------------------------------------------ HTTP tests */

static void test_get_200(void **state)
{
	tg_http_response r;
	tg_error err;
	assert_code(get("/ok", NULL, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 200);
	assert_string_equal(tg_buf_str(&r.body), "hello, world\n");
	assert_int_equal(r.body.len, 13);
	assert_string_equal(r.content_type, "text/plain");
	assert_int_equal(r.content_length, 13);
	assert_string_equal(r.content_digest, "");
	assert_null(r.token);
	tg_http_response_free(&r);
}

static void test_head(void **state)
{
	tg_http_options o = {.head = 1};
	tg_http_response r;
	tg_error err;
	assert_code(get("/ok", &o, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_int_equal(r.content_length, 13);
	tg_http_response_free(&r);
}

static void test_404_is_a_response(void **state)
{
	tg_http_response r;
	tg_error err;
	assert_code(get("/missing", NULL, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 404);
	assert_string_equal(tg_buf_str(&r.body), "not found\n");
	tg_http_response_free(&r);
}

static void test_body_too_big(void **state)
{
	static const char *const paths[] = {"/big", "/big-stream"}; /* with and without length */
	for (size_t i = 0; i < 2; i++) {
		tg_http_options o = {.max_body = 1000};
		tg_http_response r;
		tg_error err;
		assert_code(get(paths[i], &o, &r, &err), TG_ETOOBIG, err);
		assert_contains(err.msg, "is larger than 1000 bytes");
		assert_contains(err.msg, "127.0.0.1:");
	}
	/* The same body fits the default limit. */
	tg_http_response r;
	tg_error err;
	assert_code(get("/big-stream", NULL, &r, &err), TG_OK, err);
	assert_int_equal(r.body.len, 100000);
	tg_http_response_free(&r);
}

static void test_timeout(void **state)
{
	tg_http_options o = {.deadline_ms = 500};
	tg_http_response r;
	tg_error err;
	char want[128];
	long long t0 = now_ms();
	assert_code(get("/hang", &o, &r, &err), TG_ETIMEOUT, err);
	long long elapsed = now_ms() - t0;
	assert_true(elapsed >= 400);
	assert_true(elapsed < 500 + 1000);
	snprintf(want, sizeof(want), "timed out after 500 ms waiting for %s/hang", base);
	assert_string_equal(err.msg, want);
}

static void test_connection_refused(void **state)
{
	char url[64], want[128];
	int port = closed_port();
	tg_http_response r;
	tg_error err;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v2/", port);
	assert_code(tg_http_get(url, NULL, &r, &err), TG_EIO, err);
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%d: connection refused", port);
	assert_string_equal(err.msg, want);
}

static void test_redirects(void **state)
{
	tg_http_response r;
	tg_error err;
	assert_code(get("/redirect/2", NULL, &r, &err), TG_OK, err); /* 3 hops in all */
	assert_int_equal(r.status, 200);
	assert_string_equal(tg_buf_str(&r.body), "hello, world\n");
	tg_http_response_free(&r);

	assert_code(get("/redirect/3", NULL, &r, &err), TG_EIO, err); /* 4 hops */
	assert_contains(err.msg, "redirected more than 3 times");

	assert_code(get("/to-file", NULL, &r, &err), TG_EIO, err);
	assert_contains(err.msg, "redirected to a URL that is not allowed");
}

static void test_bad_input(void **state)
{
	static const struct {
		const char *url;
		const char *header;
	} cases[] = {
		{"ftp://127.0.0.1/x", NULL},
		{"file:///etc/passwd", NULL},
		{"not a url", NULL},
		{"http://127.0.0.1:1/", "X-Evil: a\r\nHost: b"},
		{"http://127.0.0.1:1/", "no colon"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *hdrs[] = {cases[i].header, NULL};
		tg_http_options o = {.headers = cases[i].header ? hdrs : NULL};
		tg_http_response r;
		tg_error err;
		assert_code(tg_http_get(cases[i].url, &o, &r, &err), TG_EINVAL, err);
	}
	tg_http_options o = {.bearer_token = "a b"};
	tg_http_response r;
	tg_error err;
	assert_code(get("/ok", &o, &r, &err), TG_EINVAL, err);
}

/* 401 + Bearer challenge -> token from the realm -> retried request carries
 * the token (the server answers 200 only then). */
static void test_bearer_anonymous(void **state)
{
	tg_http_response r;
	tg_error err;
	pthread_mutex_lock(&srv.mu);
	int hits = srv.token_hits;
	pthread_mutex_unlock(&srv.mu);
	assert_code(get("/protected", NULL, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 200);
	assert_string_equal(tg_buf_str(&r.body), "secret\n");
	assert_non_null(r.token);
	assert_string_equal(r.token, "tok-123");
	pthread_mutex_lock(&srv.mu);
	assert_int_equal(srv.token_hits, hits + 1);
	assert_string_equal(srv.token_query,
	                    "service=test-registry&scope=repository%3Aacme%2Fsigned%3Apull");
	assert_string_equal(srv.token_authz, ""); /* anonymous */
	pthread_mutex_unlock(&srv.mu);

	/* Reusing the token skips the round trip. */
	tg_http_options o = {.bearer_token = "tok-123"};
	tg_http_response r2;
	assert_code(get("/protected", &o, &r2, &err), TG_OK, err);
	assert_int_equal(r2.status, 200);
	assert_null(r2.token);
	pthread_mutex_lock(&srv.mu);
	assert_int_equal(srv.token_hits, hits + 1);
	pthread_mutex_unlock(&srv.mu);
	tg_http_response_free(&r2);
	tg_http_response_free(&r);
}

static void test_bearer_with_credentials(void **state)
{
	tg_http_options o = {.username = "alice", .password = "s3cret"};
	tg_http_response r;
	tg_error err;
	assert_code(get("/protected-basic", &o, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.token, "tok-456"); /* read from "access_token" */
	tg_http_response_free(&r);

	o.password = "wrong";
	assert_code(get("/protected-basic", &o, &r, &err), TG_EIO, err);
	assert_contains(err.msg, "token service 127.0.0.1:");
	assert_contains(err.msg, "answered HTTP 401 (credentials refused)");

	assert_code(get("/protected-basic", NULL, &r, &err), TG_EIO, err);
	assert_contains(err.msg, "answered HTTP 401 (anonymous access refused)");
}

static void test_bearer_refusals(void **state)
{
	tg_http_response r;
	tg_error err;
	assert_code(get("/protected-remote-realm", NULL, &r, &err), TG_EIO, err);
	assert_contains(err.msg, "sent a token realm that is not https: http://auth.example.com/token");

	assert_code(get("/protected-empty-token", NULL, &r, &err), TG_EIO, err);
	assert_contains(err.msg, "answered without a token");
}

static void test_basic_challenge(void **state)
{
	tg_http_options o = {.username = "alice", .password = "s3cret"};
	tg_http_response r;
	tg_error err;
	assert_code(get("/basic", &o, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 200);
	tg_http_response_free(&r);
	/* Without credentials the 401 is the answer. */
	assert_code(get("/basic", NULL, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.www_authenticate, "Basic realm=\"test\"");
	tg_http_response_free(&r);
}

static void *hammer(void *arg)
{
	long fails = 0;
	for (int i = 0; i < 10; i++) {
		tg_http_response r;
		tg_error err;
		if (get(i % 2 ? "/ok" : "/protected", NULL, &r, &err) != TG_OK || r.status != 200)
			fails++;
		else
			tg_http_response_free(&r);
	}
	return (void *)fails;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *fails;
		pthread_join(t[i], &fails);
		assert_int_equal((long)fails, 0);
	}
}

/* ------------------------------------------------------------- TLS tests */

static void tls_url(char *url, size_t n, const char *host)
{
	snprintf(url, n, "https://%s:%d/", host, tls_port);
}

static void test_tls_trusted(void **state)
{
	if (!have_tls)
		skip();
	char url[64], ca[128];
	tg_http_response r;
	tg_error err;
	tls_url(url, sizeof(url), "127.0.0.1");
	snprintf(ca, sizeof(ca), "%s/ca.pem", tmpdir);
	tg_http_options o = {.ca_file = ca, .deadline_ms = 5000};
	assert_code(tg_http_get(url, &o, &r, &err), TG_OK, err);
	assert_int_equal(r.status, 200);
	assert_contains(tg_buf_str(&r.body), "s_server");
	tg_http_response_free(&r);
}

static void test_tls_untrusted(void **state)
{
	if (!have_tls)
		skip();
	char url[64], ca[128];
	tg_http_response r;
	tg_error err;
	tls_url(url, sizeof(url), "127.0.0.1");
	snprintf(ca, sizeof(ca), "%s/other.pem", tmpdir);
	/* a CA that did not sign the server certificate, and the system CAs */
	tg_http_options wrong = {.ca_file = ca, .deadline_ms = 5000};
	tg_http_options sys = {.deadline_ms = 5000};
	const tg_http_options *opts[] = {&wrong, &sys};
	for (size_t i = 0; i < 2; i++) {
		assert_code(tg_http_get(url, opts[i], &r, &err), TG_EIO, err);
		assert_string_equal(err.msg, "TLS certificate of 127.0.0.1 is not trusted "
		                             "(unable to get local issuer certificate)");
	}
}

static void test_tls_wrong_name(void **state)
{
	if (!have_tls)
		skip();
	char url[64], ca[128];
	tg_http_response r;
	tg_error err;
	tls_url(url, sizeof(url), "localhost"); /* the certificate names only 127.0.0.1 */
	snprintf(ca, sizeof(ca), "%s/ca.pem", tmpdir);
	tg_http_options o = {.ca_file = ca, .deadline_ms = 5000};
	assert_code(tg_http_get(url, &o, &r, &err), TG_EIO, err);
	assert_contains(err.msg, "TLS certificate of localhost is not valid for that name");
}

static void test_tls_missing_ca_file(void **state)
{
	if (!have_tls)
		skip();
	char url[64];
	tg_http_response r;
	tg_error err;
	tls_url(url, sizeof(url), "127.0.0.1");
	tg_http_options o = {.ca_file = "/nonexistent/ca.pem", .deadline_ms = 5000};
	assert_code(tg_http_get(url, &o, &r, &err), TG_EIO, err);
	assert_contains(err.msg, "cannot use CA file /nonexistent/ca.pem for 127.0.0.1");
}

/* ------------------------------------------------------- registry tests */

static int lookup(const char *repo, const char *tag, char *digest, tg_error *err)
{
	tg_http_options o = {.deadline_ms = 5000};
	tg_error_clear(err);
	return tg_registry_manifest_digest(base, repo, tag, &o, digest, err);
}

static void test_registry_head_digest(void **state)
{
	char d[TG_REGISTRY_DIGEST_SIZE];
	tg_error err;
	assert_code(lookup("acme/signed", "1", d, &err), TG_OK, err);
	assert_string_equal(d, SIGNED_1_DIGEST);
	pthread_mutex_lock(&srv.mu);
	assert_contains(srv.last_accept, "application/vnd.docker.distribution.manifest.v2+json");
	assert_contains(srv.last_accept, "application/vnd.docker.distribution.manifest.list.v2+json");
	assert_contains(srv.last_accept, "application/vnd.oci.image.manifest.v1+json");
	assert_contains(srv.last_accept, "application/vnd.oci.image.index.v1+json");
	pthread_mutex_unlock(&srv.mu);

	/* by digest, and with a trailing slash on the base URL */
	char b2[80];
	snprintf(b2, sizeof(b2), "%s/", base);
	assert_code(tg_registry_manifest_digest(b2, "acme/signed", "1", NULL, d, &err), TG_OK, err);
	assert_string_equal(d, SIGNED_1_DIGEST);
}

static void test_registry_computed_digest(void **state)
{
	char d[TG_REGISTRY_DIGEST_SIZE];
	tg_error err;
	assert_code(lookup("acme/nodigest", "1", d, &err), TG_OK, err);
	assert_string_equal(d, SIGNED_1_DIGEST); /* sha256 of the exact bytes */
}

static void test_registry_token(void **state)
{
	char d[TG_REGISTRY_DIGEST_SIZE];
	tg_error err;
	/* HEAD gets a token and no digest; GET reuses the token. */
	assert_code(lookup("acme/private", "1", d, &err), TG_OK, err);
	assert_string_equal(d, SIGNED_1_DIGEST);
	pthread_mutex_lock(&srv.mu);
	assert_string_equal(srv.last_authz, "Bearer tok-123");
	assert_contains(srv.token_query, "scope=repository%3Aacme%2Fprivate%3Apull");
	pthread_mutex_unlock(&srv.mu);
}

static void test_registry_errors(void **state)
{
	static const struct {
		const char *repo, *tag;
		int code;
		const char *msg; /* "{port}" stands for the server's port */
	} cases[] = {
		{"acme/signed", "2", TG_ENOTFOUND,
		 "registry 127.0.0.1:{port} has no tag \"2\" for acme/signed"},
		{"acme/signed",
		 "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		 TG_ENOTFOUND,
		 "registry 127.0.0.1:{port} has no manifest "
		 "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\" "
		 "for acme/signed"},
		{"acme/denied", "1", TG_EIO,
		 "registry 127.0.0.1:{port} refused access to acme/denied (HTTP 401)"},
		{"acme/broken", "1", TG_EIO, "registry 127.0.0.1:{port} answered HTTP 500 for acme/broken:1"},
		{"acme/baddigest", "1", TG_EIO,
		 "registry 127.0.0.1:{port} sent a malformed Docker-Content-Digest for acme/baddigest:1: "
		 "\"sha256:A9E892271FE32C878F0F87530483A8713C44225DAB6CA93E80BA2741267\""},
		{"acme/liar", "1", TG_EIO,
		 "registry 127.0.0.1:{port} sent a manifest for acme/liar:1 whose sha256 is "
		 SIGNED_1_DIGEST " but labelled it \"sha256:"
		 "0000000000000000000000000000000000000000000000000000000000000000\""},
		{"../etc", "1", TG_EINVAL, "not a valid repository name: \"../etc\""},
		{"Acme/signed", "1", TG_EINVAL, "not a valid repository name: \"Acme/signed\""},
		{"acme//signed", "1", TG_EINVAL, "not a valid repository name: \"acme//signed\""},
		{"acme/signed", "1/../../x", TG_EINVAL, "not a valid tag or digest: \"1/../../x\""},
		{"acme/signed", "1?x=y", TG_EINVAL, "not a valid tag or digest: \"1?x=y\""},
		{"acme/signed", "", TG_EINVAL, "not a valid tag or digest: \"\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char d[TG_REGISTRY_DIGEST_SIZE] = "untouched", want[512];
		tg_error err;
		assert_code(lookup(cases[i].repo, cases[i].tag, d, &err), cases[i].code, err);
		const char *at = strstr(cases[i].msg, "{port}");
		if (at != NULL)
			snprintf(want, sizeof(want), "%.*s%d%s", (int)(at - cases[i].msg), cases[i].msg,
			         srv.port, at + 6);
		else
			snprintf(want, sizeof(want), "%s", cases[i].msg);
		assert_string_equal(err.msg, want);
		assert_string_equal(d, "untouched");
	}
}

static void test_registry_network_error(void **state)
{
	char b[64], d[TG_REGISTRY_DIGEST_SIZE], want[160];
	tg_error err;
	int port = closed_port();
	snprintf(b, sizeof(b), "http://127.0.0.1:%d", port);
	assert_code(tg_registry_manifest_digest(b, "acme/signed", "1", NULL, d, &err), TG_EIO, err);
	snprintf(want, sizeof(want),
	         "cannot look up acme/signed:1: cannot connect to 127.0.0.1:%d: connection refused",
	         port);
	assert_string_equal(err.msg, want);
	assert_code(tg_registry_manifest_digest("ftp://x", "acme/signed", "1", NULL, d, &err),
	            TG_EINVAL, err);
}

/* ---------------------------------------------------------- pure tables */

static void test_parse_bearer(void **state)
{
	static const struct {
		const char *in;
		int code;
		const char *realm, *service, *scope;
	} cases[] = {
		{"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		 "scope=\"repository:library/alpine:pull\"",
		 TG_OK, "https://auth.docker.io/token", "registry.docker.io",
		 "repository:library/alpine:pull"},
		/* spaces around '=' and ',' (BWS/OWS) */
		{"Bearer  realm = \"https://a/t\" ,\tservice=\"s\" ", TG_OK, "https://a/t", "s", ""},
		/* comma and '=' inside quotes */
		{"Bearer realm=\"https://a/t?x=1,y=2\",scope=\"repository:a/b:pull,push\"", TG_OK,
		 "https://a/t?x=1,y=2", "", "repository:a/b:pull,push"},
		/* backslash escapes */
		{"Bearer realm=\"https://a/t\",service=\"x\\\"y\\\\z\"", TG_OK, "https://a/t", "x\"y\\z",
		 ""},
		/* case-insensitive names, token (unquoted) values */
		{"bearer Realm=\"https://a/t\",SERVICE=reg.example", TG_OK, "https://a/t", "reg.example",
		 ""},
		/* several challenges, Bearer not first or not last */
		{"Basic realm=\"r\", Bearer realm=\"https://a/t\",service=\"s\"", TG_OK, "https://a/t",
		 "s", ""},
		{"Bearer realm=\"https://a/t\", Basic realm=\"other\", service=\"s\"", TG_OK,
		 "https://a/t", "", ""},
		{"Negotiate abc+/==, Bearer realm=\"https://a/t\"", TG_OK, "https://a/t", "", ""},
		/* unknown parameters are ignored */
		{"Bearer realm=\"https://a/t\",error=\"insufficient_scope\",scope=\"x\"", TG_OK,
		 "https://a/t", "", "x"},
		{"Bearer realm=\"\",service=\"s\"", TG_EINVAL, NULL, NULL, NULL},
		{"Basic realm=\"r\"", TG_ENOTFOUND, NULL, NULL, NULL},
		{"Bearerx realm=\"https://a/t\"", TG_ENOTFOUND, NULL, NULL, NULL},
		{"", TG_ENOTFOUND, NULL, NULL, NULL},
		{"Bearer", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer service=\"s\"", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer realm=\"https://a/t", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer realm=\"https://a/t\\", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer realm=https://a/t", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer realm=\"a\" junk", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer realm=", TG_EINVAL, NULL, NULL, NULL},
		{"realm=\"x\"", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer realm=\"a\x01\"", TG_EINVAL, NULL, NULL, NULL},
		{"Bearer realm=\"a\",realm=\"b\"", TG_EAMBIGUOUS, NULL, NULL, NULL},
		{"Bearer realm=\"a\", Bearer realm=\"b\"", TG_EAMBIGUOUS, NULL, NULL, NULL},
		{"\"Bearer\" realm=\"a\"", TG_EINVAL, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tg_http_challenge c;
		tg_error err;
		tg_error_clear(&err);
		int rc = tg_http_parse_bearer(cases[i].in, &c, &err);
		if (rc != cases[i].code)
			fail_msg("case %zu [%s]: got %s (%s), want %s", i, cases[i].in, tg_code_name(rc),
			         err.msg, tg_code_name(cases[i].code));
		if (rc == TG_OK) {
			assert_string_equal(c.realm, cases[i].realm);
			assert_string_equal(c.service, cases[i].service);
			assert_string_equal(c.scope, cases[i].scope);
		}
	}
	/* a value longer than the buffer */
	char big[TG_HTTP_HEADER_MAX + 64];
	strcpy(big, "Bearer realm=\"");
	memset(big + 14, 'a', TG_HTTP_HEADER_MAX + 10);
	strcpy(big + 14 + TG_HTTP_HEADER_MAX + 10, "\"");
	tg_http_challenge c;
	assert_int_equal(tg_http_parse_bearer(big, &c, NULL), TG_ETOOBIG);
}

static void test_loopback(void **state)
{
	static const struct {
		const char *host;
		int loopback;
	} cases[] = {
		{"localhost", 1}, {"LocalHost", 1}, {"localhost:5000", 1}, {"127.0.0.1", 1},
		{"127.0.0.1:5005", 1}, {"127.255.3.4", 1}, {"[::1]", 1}, {"[::1]:5000", 1},
		{"[0:0:0:0:0:0:0:1]:1", 1},
		{"localhost.evil.io", 0}, {"127.0.0.1.evil.io", 0}, {"128.0.0.1", 0},
		{"127.0.0.1:", 0}, {"127.0.0.1:abc", 0}, {"127.1", 0}, {"[::2]", 0}, {"::1", 0},
		{"[::1", 0}, {"", 0}, {"evil.io:127", 0}, {"10.0.0.1", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (tg_http_is_loopback_host(cases[i].host) != cases[i].loopback)
			fail_msg("%s: want %d", cases[i].host, cases[i].loopback);
	assert_false(tg_http_is_loopback_host(NULL));
}

static void test_base_url(void **state)
{
	static const struct {
		const char *host;
		int code;
		const char *url;
	} cases[] = {
		{"docker.io", TG_OK, "https://registry-1.docker.io"},
		{"index.docker.io", TG_OK, "https://registry-1.docker.io"},
		{"ghcr.io", TG_OK, "https://ghcr.io"},
		{"registry.acme.io:5000", TG_OK, "https://registry.acme.io:5000"},
		{"localhost", TG_OK, "http://localhost"},
		{"localhost:5000", TG_OK, "http://localhost:5000"},
		{"127.0.0.1:5005", TG_OK, "http://127.0.0.1:5005"},
		{"127.9.9.9", TG_OK, "http://127.9.9.9"},
		{"[::1]:5000", TG_OK, "http://[::1]:5000"},
		{"[::1]", TG_OK, "http://[::1]"},
		{"[fe80::1]:5000", TG_OK, "https://[fe80::1]:5000"},
		{"127.0.0.1.nip.io", TG_OK, "https://127.0.0.1.nip.io"},
		{"", TG_EINVAL, NULL},
		{"evil.io/path", TG_EINVAL, NULL},
		{"user@evil.io", TG_EINVAL, NULL},
		{"evil.io:", TG_EINVAL, NULL},
		{"evil.io:123456", TG_EINVAL, NULL},
		{"-evil.io", TG_EINVAL, NULL},
		{"[]", TG_EINVAL, NULL},
		{"a b", TG_EINVAL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[TG_REGISTRY_BASE_URL_MAX];
		int rc = tg_registry_base_url(cases[i].host, out, sizeof(out));
		if (rc != cases[i].code)
			fail_msg("%s: got %s", cases[i].host, tg_code_name(rc));
		if (rc == TG_OK)
			assert_string_equal(out, cases[i].url);
	}
	char small[10] = "keep";
	assert_int_equal(tg_registry_base_url("docker.io", small, sizeof(small)), TG_ETOOBIG);
	assert_string_equal(small, "keep");
}

static void test_digest_valid(void **state)
{
	assert_true(tg_registry_digest_valid(SIGNED_1_DIGEST));
	assert_false(tg_registry_digest_valid("sha256:A9E892271FE32C878F0F87530483A8713C44225DAB6CA93E80BA274126791F84"));
	assert_false(tg_registry_digest_valid(SIGNED_1_DIGEST "0"));
	assert_false(tg_registry_digest_valid("sha256:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f8"));
	assert_false(tg_registry_digest_valid("sha512:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"));
	assert_false(tg_registry_digest_valid(""));
	assert_false(tg_registry_digest_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bearer),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_digest_valid),
		cmocka_unit_test(test_get_200),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_404_is_a_response),
		cmocka_unit_test(test_body_too_big),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_bearer_anonymous),
		cmocka_unit_test(test_bearer_with_credentials),
		cmocka_unit_test(test_bearer_refusals),
		cmocka_unit_test(test_basic_challenge),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_tls_trusted),
		cmocka_unit_test(test_tls_untrusted),
		cmocka_unit_test(test_tls_wrong_name),
		cmocka_unit_test(test_tls_missing_ca_file),
		cmocka_unit_test(test_registry_head_digest),
		cmocka_unit_test(test_registry_computed_digest),
		cmocka_unit_test(test_registry_token),
		cmocka_unit_test(test_registry_errors),
		cmocka_unit_test(test_registry_network_error),
	};
	tg_error err;
	if (tg_http_global_init(&err) != TG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	int failed = cmocka_run_group_tests(tests, setup, teardown);
	tg_http_global_cleanup();
	return failed;
}
