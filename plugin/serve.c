/* serve: process life of the plugin daemon.
 *
 * Start-up is short on purpose (dockerd will not start while the socket is
 * missing): load the policy, bind, serve. The main thread then only waits
 * for signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the policy at
 * once, and every second the policy file is checked for edits, so admins
 * change allowlists without restarting anything.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "authz/policy.h"
#include "authz/request.h"
#include "common/tg_log.h"
#include "plugin/commands.h"
#include "plugin/protocol.h"
#include "plugin/server.h"
#include "trustcache/cache.h"
#include "trustcache/http.h"

#define CACHE_SAVE_INTERVAL_S 30

struct serve_options {
	const char *socket_path;
	const char *policy_path;
	bool policy_required;
	const char *plugin_name;
	const char *state_dir;
	const char *docker_socket;
	unsigned timeout_ms;
	unsigned idle_timeout_s;
	unsigned max_connections;
	unsigned io_threads;     /* 0: one per CPU */
	unsigned lookup_threads;
	enum tg_log_level log_level;
};

static int parse_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_log_level(const char *text, enum tg_log_level *out)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	for (int i = 0; i < 4; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum tg_log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Requests that may wait for a lookup thread. Each waiting (or looked-up)
 * request holds a connection; at least half of --max-connections stay free
 * for dockerd's calls back into trustgate, which the lookups wait on. */
static unsigned max_queued(const struct serve_options *o)
{
	unsigned wanted = 4 * o->lookup_threads + 64, room = o->max_connections / 2;
	unsigned left = room > o->lookup_threads ? room - o->lookup_threads : 1;
	if (room <= o->lookup_threads)
		tg_log(TG_LOG_WARN, "--lookup-threads %u leaves too few of --max-connections %u for "
		       "dockerd's calls back into trustgate: lookups may time out under load",
		       o->lookup_threads, o->max_connections);
	return wanted < left ? wanted : left;
}

static int parse_options(int argc, char **argv, struct serve_options *o)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},  {"policy", required_argument, NULL, 'p'},
		{"plugin-name", required_argument, NULL, 'n'}, {"timeout", required_argument, NULL, 't'},
		{"idle-timeout", required_argument, NULL, 'i'},
		{"max-connections", required_argument, NULL, 'c'},
		{"log-level", required_argument, NULL, 'l'}, {"state-dir", required_argument, NULL, 'd'},
		{"docker-socket", required_argument, NULL, 'k'},
		{"io-threads", required_argument, NULL, 'o'},
		{"lookup-threads", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	*o = (struct serve_options){NULL, TG_POLICY_DEFAULT_PATH, false, "trustgate",
	                            "/var/lib/trustgate", "/var/run/docker.sock", 10000, 300, 256,
	                            0, 16, TG_LOG_INFO};
	int ch, which;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, &which)) != -1) {
		int bad = 0;
		switch (ch) {
		case 's': o->socket_path = optarg; break;
		case 'p': o->policy_path = optarg; o->policy_required = true; break;
		case 'n': o->plugin_name = optarg; break;
		case 't': bad = parse_uint(optarg, 100, 600000, &o->timeout_ms); break;
		case 'i': bad = parse_uint(optarg, 0, 86400, &o->idle_timeout_s); break;
		case 'c': bad = parse_uint(optarg, 4, 65536, &o->max_connections); break;
		case 'l': bad = parse_log_level(optarg, &o->log_level); break;
		case 'd': o->state_dir = optarg; break;
		case 'k': o->docker_socket = optarg; break;
		case 'o': bad = parse_uint(optarg, 1, 64, &o->io_threads); break;
		case 'w': bad = parse_uint(optarg, 1, 1024, &o->lookup_threads); break;
		default: return -1;
		}
		if (bad) {
			fprintf(stderr, "trustgate serve: bad value \"%s\" for --%s\n", optarg,
			        longopts[which].name);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "trustgate serve: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* mkdir -p for the socket's directory (/run/docker/plugins may not exist
 * before dockerd's first start). */
static void make_parent_dirs(const char *path)
{
	char dir[PATH_MAX];
	if (strlen(path) >= sizeof(dir))
		return;
	strcpy(dir, path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			tg_log_errno(TG_LOG_WARN, "cannot create %s", dir);
		*p = '/';
	}
}

static void reload_policy(tg_policy_store *store, bool force)
{
	tg_error err;
	int rc = tg_policy_store_reload(store, force, &err);
	if (rc < 0) {
		tg_log(TG_LOG_ERROR, "policy not reloaded, keeping the last good policy: %s", err.msg);
		return;
	}
	if (rc == 0)
		return;
	tg_policy_ref *ref = tg_policy_store_acquire(store);
	const tg_policy *p = tg_policy_ref_get(ref);
	tg_log(TG_LOG_INFO, "policy reloaded from %s: %zu rules, mode %s", tg_policy_source(p),
	       tg_policy_rule_count(p), tg_policy_mode(p) == TG_MODE_AUDIT ? "audit" : "enforce");
	tg_policy_store_release(store, ref);
}

/* The state dir holds roots, versions and the cache; made again if someone
 * removed it while trustgate runs. */
static void ensure_state_dir(const char *state_dir)
{
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST)
		tg_log_errno(TG_LOG_WARN, "cannot create state directory %s", state_dir);
}

/* The trust cache survives restarts: cache.jsonl under the state dir. */
static void save_cache(tg_cache *cache, const char *state_dir, const char *file)
{
	tg_error err;
	ensure_state_dir(state_dir);
	if (tg_cache_save(cache, file, 0, &err) != TG_OK)
		tg_log(TG_LOG_WARN, "cannot save the trust cache to %s: %s", file, err.msg);
}

static tg_cache *open_cache(tg_policy_store *store, const char *state_dir)
{
	tg_policy_ref *ref = tg_policy_store_acquire(store);
	long max = tg_policy_cache_setting(tg_policy_ref_get(ref), TG_CACHE_MAX_ENTRIES);
	tg_policy_store_release(store, ref);
	tg_cache *cache = NULL;
	tg_error err;
	if (tg_cache_new((size_t)max, &cache, &err) != TG_OK) {
		tg_log(TG_LOG_ERROR, "cannot create the trust cache: %s", err.msg);
		return NULL;
	}
	ensure_state_dir(state_dir);
	return cache;
}

/* Read the saved answers back. Called once the socket listens: dockerd
 * waits for the socket, and a request meanwhile just looks up live. */
static void load_cache(tg_cache *cache, tg_policy_store *store, const char *file)
{
	tg_policy_ref *ref = tg_policy_store_acquire(store);
	long stale = tg_policy_cache_setting(tg_policy_ref_get(ref), TG_CACHE_STALE_IF_ERROR);
	tg_policy_store_release(store, ref);
	tg_error err;
	size_t loaded = 0;
	if (tg_cache_load(cache, file, time(NULL), stale, 0, &loaded, &err) != TG_OK)
		tg_log(TG_LOG_WARN, "trust cache %s: %s", file, err.msg); /* the valid part is kept */
	tg_log(TG_LOG_INFO, "trust cache: %zu answers loaded from %s", loaded, file);
#ifdef __GLIBC__
	malloc_trim(0); /* give back what reading the file used (MiBs with 100,000 answers) */
#endif
}

/* Wait for signals until asked to stop. */
static void run_until_stopped(tg_policy_store *store, const sigset_t *signals, tg_cache *cache,
                              const char *state_dir, const char *cache_file)
{
	const struct timespec poll_interval = {1, 0};
	for (unsigned tick = 1;; tick++) {
		int sig = sigtimedwait(signals, NULL, &poll_interval);
		if (sig == SIGTERM || sig == SIGINT) {
			tg_log(TG_LOG_INFO, "received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
		reload_policy(store, sig == SIGHUP);
		if (tick % CACHE_SAVE_INTERVAL_S == 0 && tg_cache_count(cache) > 0)
			save_cache(cache, state_dir, cache_file);
	}
}

int tg_cmd_serve(int argc, char **argv)
{
	struct serve_options o;
	if (parse_options(argc, argv, &o) != 0)
		return 1;
	tg_log_set_level(o.log_level);
	char default_socket[PATH_MAX];
	if (o.socket_path == NULL) {
		snprintf(default_socket, sizeof(default_socket), "/run/docker/plugins/%s.sock", o.plugin_name);
		o.socket_path = default_socket;
	}
	/* Block the signals the main thread waits for before any thread starts,
	 * so every thread inherits the mask. */
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	tg_error err;
	if (tg_http_global_init(&err) != TG_OK) {
		tg_log(TG_LOG_ERROR, "%s", err.msg);
		return 1;
	}
	tg_policy_store *store = NULL;
	if (tg_policy_store_open(o.policy_path, o.policy_required, &store, &err) != TG_OK) {
		tg_log(TG_LOG_ERROR, "cannot load the policy: %s", err.msg);
		return 1;
	}
	char cache_file[PATH_MAX];
	snprintf(cache_file, sizeof(cache_file), "%s/cache.jsonl", o.state_dir);
	tg_cache *cache = open_cache(store, o.state_dir);
	if (cache == NULL) {
		tg_policy_store_close(store);
		return 1;
	}
	tg_protocol proto = {store, o.plugin_name, o.state_dir, o.docker_socket, cache, 1, NULL};
	if (tg_inspect_cache_new(&proto.inspect, &err) != TG_OK)
		tg_log(TG_LOG_WARN, "%s: every create and start asks dockerd", err.msg);
	tg_server_config cfg = {o.socket_path, 0600, o.max_connections, o.idle_timeout_s,
	                        o.timeout_ms, TG_REQUEST_MAX, TG_PLUGIN_CONTENT_TYPE,
	                        o.io_threads, o.lookup_threads, max_queued(&o)};
	make_parent_dirs(o.socket_path);
	tg_server *srv = NULL;
	if (tg_server_start(&cfg, tg_protocol_handle, &proto, &srv, &err) != TG_OK) {
		tg_log(TG_LOG_ERROR, "%s", err.msg);
		tg_policy_store_close(store);
		tg_cache_free(cache);
		tg_inspect_cache_free(proto.inspect);
		return 1;
	}
	tg_policy_ref *ref = tg_policy_store_acquire(store);
	tg_log(TG_LOG_INFO, "trustgate %s serving plugin \"%s\" on %s with policy %s", TG_VERSION,
	       o.plugin_name, o.socket_path, tg_policy_source(tg_policy_ref_get(ref)));
	tg_policy_store_release(store, ref);
	load_cache(cache, store, cache_file);
	run_until_stopped(store, &signals, cache, o.state_dir, cache_file);
	tg_server_stop(srv);
	save_cache(cache, o.state_dir, cache_file);
	tg_cache_free(cache);
	tg_inspect_cache_free(proto.inspect);
	tg_policy_store_close(store);
	tg_http_global_cleanup();
	return 0;
}
