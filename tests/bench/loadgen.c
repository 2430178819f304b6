/* tg-loadgen: the load generator of trustgate's benchmark.
 *
 * It speaks to an authorization plugin's Unix socket exactly as dockerd
 * does: HTTP/1.1 keep-alive, one `POST /AuthZPlugin.AuthZReq` in flight per
 * connection, Go's header set, and the real AuthZReq bodies dockerd sent for
 * `docker create`, `docker pull`, `docker ps` and `docker build` (read at
 * start-up from the capture fixtures; no copies live in this source).
 *
 * Each connection is a thread. After a warm-up, every request's latency
 * (CLOCK_MONOTONIC, from the first byte sent to the last byte received) is
 * stored in that thread's preallocated array; the arrays are merged and
 * sorted at the end for exact percentiles. With --server-pid the server's
 * CPU time (utime+stime of /proc/PID/stat) over the measured interval is
 * divided by the requests answered in it. Output: a table, or one JSON
 * object with --json (what tests/bench/run.sh reads).
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum kind { KIND_CREATE, KIND_PULL, KIND_PS, KIND_BUILD, KIND_COUNT };

static const char *const kind_names[KIND_COUNT] = {"create", "pull", "ps", "build"};
/* The capture folder of each kind; its 03-AuthZReq-*.json is the body. */
static const char *const kind_dirs[KIND_COUNT] = {"create", "pull-by-tag", "ps",
                                                  "build-classic"};

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };

#define MAX_CONNECTIONS 1024
#define MAX_BODY (1024 * 1024)
#define RESPONSE_MAX (64 * 1024)
/* Latency samples a connection can hold per measured second; above that
 * (under 4 us per round trip, faster than a Unix socket allows) extra
 * requests are counted but their latency is not kept. */
#define SAMPLES_PER_SECOND 250000u
#define SAMPLES_MAX_PER_CONNECTION (64u * 1024 * 1024)

struct config {
	const char *socket_path;
	const char *captures_dir;
	unsigned connections;
	double duration_s;
	double warmup_s;
	unsigned weights[KIND_COUNT];
	char mix_text[128];
	long server_pid;
	bool json;
};

/* One prebuilt HTTP request (headers and body) per kind. */
struct messages {
	char *text[KIND_COUNT];
	size_t len[KIND_COUNT];
};

struct worker {
	pthread_t thread;
	const struct config *cfg;
	const struct messages *msgs;
	_Atomic int *phase;
	uint64_t rng;
	int fd;
	char buf[RESPONSE_MAX];
	size_t buf_len;
	uint32_t *latency_ns; /* measured requests only; saturates at ~4.29 s */
	size_t samples, capacity;
	uint64_t requests, unrecorded, errors;
	uint64_t sent[KIND_COUNT], allowed[KIND_COUNT], denied[KIND_COUNT];
};

struct cpu_mark {
	struct timespec wall;
	double server_s; /* < 0 when unknown */
	double client_s;
};

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "tg-loadgen: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* ---- options ---- */

static void usage(void)
{
	fprintf(stderr,
	        "usage: tg-loadgen --socket PATH [--connections N] [--duration S] [--warmup S]\n"
	        "                  [--mix create=70,pull=10,ps=15,build=5] [--captures DIR]\n"
	        "                  [--server-pid PID] [--json]\n");
	exit(2);
}

static double parse_seconds(const char *text)
{
	char *end;
	double v = strtod(text, &end);
	if (*end != '\0' || end == text || !(v >= 0 && v <= 86400))
		die("bad number of seconds \"%s\"", text);
	return v;
}

static long parse_long(const char *text, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || v < min || v > max)
		die("bad number \"%s\"", text);
	return v;
}

static int kind_by_name(const char *name, size_t len)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (strlen(kind_names[k]) == len && strncmp(kind_names[k], name, len) == 0)
			return k;
	return -1;
}

/* "create=70,pull=10,ps=15,build=5"; kinds left out weigh 0. */
static void parse_mix(const char *text, struct config *cfg)
{
	unsigned total = 0;
	memset(cfg->weights, 0, sizeof(cfg->weights));
	for (const char *p = text; *p != '\0';) {
		const char *eq = strchr(p, '=');
		int k = eq ? kind_by_name(p, (size_t)(eq - p)) : -1;
		if (k < 0)
			die("bad --mix \"%s\" (kinds: create, pull, ps, build)", text);
		char *end;
		unsigned long w = strtoul(eq + 1, &end, 10);
		if (end == eq + 1 || (*end != ',' && *end != '\0') || w > 1000000)
			die("bad weight in --mix \"%s\"", text);
		cfg->weights[k] = (unsigned)w;
		total += (unsigned)w;
		p = *end == ',' ? end + 1 : end;
	}
	if (total == 0)
		die("--mix \"%s\" has no weight", text);
	snprintf(cfg->mix_text, sizeof(cfg->mix_text), "%s", text);
}

static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},   {"connections", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'}, {"warmup", required_argument, NULL, 'w'},
		{"mix", required_argument, NULL, 'm'},      {"captures", required_argument, NULL, 'C'},
		{"server-pid", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	*cfg = (struct config){NULL, "../shared/fixtures/authz-captures", 1, 3.0, 1.0, {0}, "", 0, false};
	parse_mix("create=70,pull=10,ps=15,build=5", cfg);
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': cfg->socket_path = optarg; break;
		case 'c': cfg->connections = (unsigned)parse_long(optarg, 1, MAX_CONNECTIONS); break;
		case 'd': cfg->duration_s = parse_seconds(optarg); break;
		case 'w': cfg->warmup_s = parse_seconds(optarg); break;
		case 'm': parse_mix(optarg, cfg); break;
		case 'C': cfg->captures_dir = optarg; break;
		case 'p': cfg->server_pid = parse_long(optarg, 1, 1L << 30); break;
		case 'j': cfg->json = true; break;
		default: usage();
		}
	}
	if (cfg->socket_path == NULL || optind != argc || cfg->duration_s <= 0)
		usage();
}

/* ---- request bodies ---- */

static char *read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		die("cannot open %s", path);
	char *data = malloc(MAX_BODY + 1);
	if (data == NULL)
		die("out of memory reading %s", path);
	size_t len = fread(data, 1, MAX_BODY + 1, f);
	int failed = ferror(f);
	fclose(f);
	if (failed || len > MAX_BODY)
		die("cannot read %s (error, or over 1 MiB)", path);
	/* The capture files hold the body as dockerd sent it, without a
	 * trailing newline; drop one an editor may have added. */
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	*len_out = len;
	return data;
}

static char *find_capture(const char *captures_dir, const char *kind_dir)
{
	char pattern[4096];
	snprintf(pattern, sizeof(pattern), "%s/%s/03-AuthZReq-*.json", captures_dir, kind_dir);
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc != 1)
		die("expected exactly one file matching %s", pattern);
	char *path = strdup(g.gl_pathv[0]);
	globfree(&g);
	if (path == NULL)
		die("out of memory (%s)", kind_dir);
	return path;
}

/* Headers in the order and spelling of Go's net/http client in dockerd. */
static void build_message(const char *body, size_t body_len, char **text, size_t *len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
	                 "POST /AuthZPlugin.AuthZReq HTTP/1.1\r\n"
	                 "Host: \r\n"
	                 "User-Agent: Go-http-client/1.1\r\n"
	                 "Content-Length: %zu\r\n"
	                 "Accept: application/vnd.docker.plugins.v1.2+json\r\n"
	                 "Accept-Encoding: gzip\r\n"
	                 "\r\n",
	                 body_len);
	*text = malloc((size_t)n + body_len);
	if (*text == NULL)
		die("out of memory");
	memcpy(*text, head, (size_t)n);
	memcpy(*text + n, body, body_len);
	*len = (size_t)n + body_len;
}

static void load_messages(const struct config *cfg, struct messages *msgs)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		msgs->text[k] = NULL;
		if (cfg->weights[k] == 0)
			continue;
		char *path = find_capture(cfg->captures_dir, kind_dirs[k]);
		size_t body_len;
		char *body = read_file(path, &body_len);
		build_message(body, body_len, &msgs->text[k], &msgs->len[k]);
		free(body);
		free(path);
	}
}

/* ---- one connection ---- */

static int connect_unix(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		die("socket path %s is too long", path);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *find_header_end(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return buf + i + 1;
	return NULL;
}

/* Content-Length of a header block, or -1 when absent or malformed. */
static long content_length(const char *head, size_t head_len)
{
	static const char name[] = "\r\ncontent-length:";
	for (size_t i = 0; i + sizeof(name) - 1 <= head_len; i++) {
		if (strncasecmp(head + i, name, sizeof(name) - 1) != 0)
			continue;
		char *end;
		long v = strtol(head + i + sizeof(name) - 1, &end, 10);
		return (end == head + i + sizeof(name) - 1 || v < 0) ? -1 : v;
	}
	return -1;
}

static int recv_more(struct worker *w)
{
	if (w->buf_len == sizeof(w->buf))
		return -1; /* response over RESPONSE_MAX */
	ssize_t r;
	do
		r = recv(w->fd, w->buf + w->buf_len, sizeof(w->buf) - w->buf_len, 0);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	w->buf_len += (size_t)r;
	return 0;
}

/* Whether a plugin answer allows: {"Allow":true...} as jansson writes it,
 * with or without a space after the colon. */
static bool answer_allows(const char *body, size_t len)
{
	static const char key[] = "\"Allow\":";
	const size_t klen = sizeof(key) - 1;
	for (size_t i = 0; i + klen <= len; i++) {
		if (memcmp(body + i, key, klen) != 0)
			continue;
		size_t j = i + klen;
		while (j < len && body[j] == ' ')
			j++;
		return len - j >= 4 && memcmp(body + j, "true", 4) == 0;
	}
	return false;
}

/* Reads one whole response. Returns 0 with *status and *allow set, or -1
 * when the connection failed or the response cannot be read. */
static int read_response(struct worker *w, int *status, bool *allow)
{
	const char *body;
	while ((body = find_header_end(w->buf, w->buf_len)) == NULL)
		if (recv_more(w) != 0)
			return -1;
	size_t head_len = (size_t)(body - w->buf);
	long clen = content_length(w->buf, head_len);
	if (clen < 0 || (size_t)clen > sizeof(w->buf) - head_len)
		return -1;
	size_t total = head_len + (size_t)clen;
	while (w->buf_len < total)
		if (recv_more(w) != 0)
			return -1;
	if (sscanf(w->buf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	*allow = answer_allows(body, (size_t)clen);
	memmove(w->buf, w->buf + total, w->buf_len - total);
	w->buf_len -= total;
	return 0;
}

/* ---- the connection's thread ---- */

static enum kind next_kind(struct worker *w)
{
	/* xorshift64: cheap, and each thread has its own state */
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	unsigned total = 0;
	for (int k = 0; k < KIND_COUNT; k++)
		total += w->cfg->weights[k];
	unsigned pick = (unsigned)(w->rng % total);
	for (int k = 0; k < KIND_COUNT; k++) {
		if (pick < w->cfg->weights[k])
			return (enum kind)k;
		pick -= w->cfg->weights[k];
	}
	return KIND_CREATE;
}

static void sleep_seconds(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void drop_connection(struct worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->buf_len = 0;
}

static void account(struct worker *w, enum kind k, uint64_t ns, int status, bool allow)
{
	w->requests++;
	w->sent[k]++;
	if (status != 200)
		w->errors++;
	else if (allow)
		w->allowed[k]++;
	else
		w->denied[k]++;
	if (w->samples < w->capacity)
		w->latency_ns[w->samples++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
	else
		w->unrecorded++;
}

/* One request and its answer; returns 0, or -1 when the connection failed. */
static int round_trip(struct worker *w, enum kind k, int *status, bool *allow)
{
	if (send_all(w->fd, w->msgs->text[k], w->msgs->len[k]) != 0)
		return -1;
	return read_response(w, status, allow);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int phase;
	while ((phase = atomic_load_explicit(w->phase, memory_order_relaxed)) != PHASE_STOP) {
		if (w->fd < 0 && (w->fd = connect_unix(w->cfg->socket_path)) < 0) {
			w->errors += phase == PHASE_MEASURE;
			sleep_seconds(0.001);
			continue;
		}
		enum kind k = next_kind(w);
		struct timespec t0, t1;
		int status = 0;
		bool allow = false;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = round_trip(w, k, &status, &allow);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		bool measured = phase == PHASE_MEASURE &&
		                atomic_load_explicit(w->phase, memory_order_relaxed) == PHASE_MEASURE;
		if (rc != 0) {
			drop_connection(w);
			w->errors += measured;
			continue;
		}
		if (measured)
			account(w, k, (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
			                         (t1.tv_nsec - t0.tv_nsec)), status, allow);
	}
	drop_connection(w);
	return NULL;
}

/* ---- CPU time ---- */

/* utime+stime of a process, all its threads, in seconds; -1 if unknown. */
static double process_cpu_seconds(long pid)
{
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	const char *p = strrchr(line, ')'); /* the command name may hold spaces */
	unsigned long long utime, stime;
	/* after ")": state(3) ... majflt(12) cmajflt(13) utime(14) stime(15) */
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	                        &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double own_cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void take_mark(const struct config *cfg, struct cpu_mark *m)
{
	clock_gettime(CLOCK_MONOTONIC, &m->wall);
	m->server_s = cfg->server_pid > 0 ? process_cpu_seconds(cfg->server_pid) : -1;
	m->client_s = own_cpu_seconds();
}

/* ---- results ---- */

struct summary {
	uint64_t requests, errors, unrecorded, allowed, denied;
	uint64_t sent[KIND_COUNT], allowed_k[KIND_COUNT], denied_k[KIND_COUNT];
	double interval_s, rps, p50_us, p99_us, p999_us, max_us;
	double server_cpu_us, client_cpu_us; /* per request; < 0 when unknown */
};

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The q-quantile of sorted samples (nearest rank), in microseconds. */
static double quantile_us(const uint32_t *sorted, size_t n, double q)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1] / 1000.0;
}

static void summarize_latency(const struct worker *workers, unsigned count, struct summary *s)
{
	size_t total = 0;
	for (unsigned i = 0; i < count; i++)
		total += workers[i].samples;
	uint32_t *all = malloc((total ? total : 1) * sizeof(*all));
	if (all == NULL)
		die("out of memory merging latencies");
	size_t at = 0;
	for (unsigned i = 0; i < count; i++) {
		memcpy(all + at, workers[i].latency_ns, workers[i].samples * sizeof(*all));
		at += workers[i].samples;
	}
	qsort(all, total, sizeof(*all), compare_u32);
	s->p50_us = quantile_us(all, total, 0.50);
	s->p99_us = quantile_us(all, total, 0.99);
	s->p999_us = quantile_us(all, total, 0.999);
	s->max_us = total ? all[total - 1] / 1000.0 : 0;
	free(all);
}

static void summarize(const struct worker *workers, unsigned count, const struct cpu_mark *a,
                      const struct cpu_mark *b, struct summary *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < count; i++) {
		const struct worker *w = &workers[i];
		s->requests += w->requests;
		s->errors += w->errors;
		s->unrecorded += w->unrecorded;
		for (int k = 0; k < KIND_COUNT; k++) {
			s->sent[k] += w->sent[k];
			s->allowed_k[k] += w->allowed[k];
			s->denied_k[k] += w->denied[k];
			s->allowed += w->allowed[k];
			s->denied += w->denied[k];
		}
	}
	s->interval_s = seconds_between(&a->wall, &b->wall);
	s->rps = (double)s->requests / s->interval_s;
	double n = s->requests ? (double)s->requests : 1;
	s->server_cpu_us = (a->server_s < 0 || b->server_s < 0) ? -1 : (b->server_s - a->server_s) * 1e6 / n;
	s->client_cpu_us = (b->client_s - a->client_s) * 1e6 / n;
	summarize_latency(workers, count, s);
}

static void print_json(const struct config *cfg, const struct summary *s)
{
	printf("{\"connections\":%u,\"mix\":\"%s\",\"warmup_s\":%.3f,\"interval_s\":%.3f,"
	       "\"requests\":%" PRIu64 ",\"rps\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
	       "\"p999_us\":%.1f,\"max_us\":%.1f,\"errors\":%" PRIu64 ",\"allow\":%" PRIu64
	       ",\"deny\":%" PRIu64 ",\"unrecorded_latencies\":%" PRIu64 ",",
	       cfg->connections, cfg->mix_text, cfg->warmup_s, s->interval_s, s->requests, s->rps,
	       s->p50_us, s->p99_us, s->p999_us, s->max_us, s->errors, s->allowed, s->denied,
	       s->unrecorded);
	if (s->server_cpu_us < 0)
		printf("\"server_cpu_us_per_req\":null,");
	else
		printf("\"server_cpu_us_per_req\":%.2f,", s->server_cpu_us);
	printf("\"client_cpu_us_per_req\":%.2f,\"kinds\":{", s->client_cpu_us);
	for (int k = 0; k < KIND_COUNT; k++)
		printf("%s\"%s\":{\"requests\":%" PRIu64 ",\"allow\":%" PRIu64 ",\"deny\":%" PRIu64 "}",
		       k ? "," : "", kind_names[k], s->sent[k], s->allowed_k[k], s->denied_k[k]);
	printf("}}\n");
}

static void print_table(const struct config *cfg, const struct summary *s)
{
	printf("tg-loadgen: %s, %u connection(s), %.2f s measured after %.2f s warm-up\n",
	       cfg->socket_path, cfg->connections, s->interval_s, cfg->warmup_s);
	printf("  mix            %s\n", cfg->mix_text);
	printf("  requests       %" PRIu64 "\n", s->requests);
	printf("  requests/s     %.0f\n", s->rps);
	printf("  latency p50    %.1f us\n", s->p50_us);
	printf("  latency p99    %.1f us\n", s->p99_us);
	printf("  latency p99.9  %.1f us\n", s->p999_us);
	printf("  latency max    %.1f us\n", s->max_us);
	printf("  errors         %" PRIu64 "\n", s->errors);
	printf("  allow / deny   %" PRIu64 " / %" PRIu64 "\n", s->allowed, s->denied);
	if (s->server_cpu_us >= 0)
		printf("  server CPU     %.2f us/request (pid %ld)\n", s->server_cpu_us, cfg->server_pid);
	else
		printf("  server CPU     not measured (no --server-pid)\n");
	printf("  client CPU     %.2f us/request\n", s->client_cpu_us);
	for (int k = 0; k < KIND_COUNT; k++)
		if (s->sent[k])
			printf("  %-14s %" PRIu64 " (allow %" PRIu64 ", deny %" PRIu64 ")\n", kind_names[k],
			       s->sent[k], s->allowed_k[k], s->denied_k[k]);
	if (s->unrecorded)
		printf("  note: %" PRIu64 " latencies not kept (sample arrays full)\n", s->unrecorded);
}

/* ---- main ---- */

static struct worker *make_workers(const struct config *cfg, const struct messages *msgs,
                                   _Atomic int *phase)
{
	struct worker *workers = calloc(cfg->connections, sizeof(*workers));
	double want = cfg->duration_s * SAMPLES_PER_SECOND + 1024;
	size_t capacity = want > SAMPLES_MAX_PER_CONNECTION ? SAMPLES_MAX_PER_CONNECTION : (size_t)want;
	if (workers == NULL)
		die("out of memory");
	for (unsigned i = 0; i < cfg->connections; i++) {
		struct worker *w = &workers[i];
		w->cfg = cfg;
		w->msgs = msgs;
		w->phase = phase;
		w->fd = -1;
		w->rng = 0x9E3779B97F4A7C15ull * (i + 1);
		w->capacity = capacity;
		w->latency_ns = malloc(capacity * sizeof(*w->latency_ns));
		if (w->latency_ns == NULL)
			die("out of memory for latency samples");
	}
	return workers;
}

int main(int argc, char **argv)
{
	struct config cfg;
	parse_options(argc, argv, &cfg);
	if (cfg.server_pid > 0 && process_cpu_seconds(cfg.server_pid) < 0)
		die("cannot read /proc/%ld/stat", cfg.server_pid);
	struct messages msgs;
	load_messages(&cfg, &msgs);
	_Atomic int phase = PHASE_WARMUP;
	struct worker *workers = make_workers(&cfg, &msgs, &phase);
	for (unsigned i = 0; i < cfg.connections; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
			die("cannot start a connection thread");
	sleep_seconds(cfg.warmup_s);
	struct cpu_mark start, end;
	take_mark(&cfg, &start);
	atomic_store(&phase, PHASE_MEASURE);
	sleep_seconds(cfg.duration_s);
	atomic_store(&phase, PHASE_STOP);
	take_mark(&cfg, &end);
	for (unsigned i = 0; i < cfg.connections; i++)
		pthread_join(workers[i].thread, NULL);
	struct summary s;
	summarize(workers, cfg.connections, &start, &end, &s);
	if (cfg.json)
		print_json(&cfg, &s);
	else
		print_table(&cfg, &s);
	for (unsigned i = 0; i < cfg.connections; i++)
		free(workers[i].latency_ns);
	free(workers);
	for (int k = 0; k < KIND_COUNT; k++)
		free(msgs.text[k]);
	return s.errors ? 1 : 0;
}
