/* cache_cmd: `trustgate cache list|flush`, the admin's view of a running
 * trustgate's trust cache, asked over its own (root-only) plugin socket. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "authz/reference.h"
#include "plugin/commands.h"
#include "trustcache/http.h"

static const char usage[] =
	"usage: trustgate cache list [--socket PATH]\n"
	"       trustgate cache flush [--socket PATH] [IMAGE]\n"
	"  list   the trust answers the running trustgate keeps\n"
	"  flush  forget them (all, or those of IMAGE's repository), so the next\n"
	"         pull or run looks them up again\n";

/* POST body to the admin endpoint; *reply receives the parsed answer. */
static int call(const char *socket_path, const char *endpoint, const char *body, json_t **reply)
{
	tg_error err;
	char url[256];
	snprintf(url, sizeof(url), "http://trustgate%s", endpoint);
	tg_http_options opt = {.deadline_ms = 10000, .max_body = 64u << 20, .post_json = body,
	                       .unix_socket = socket_path};
	tg_http_response resp;
	if (tg_http_global_init(&err) != TG_OK || tg_http_get(url, &opt, &resp, &err) != TG_OK) {
		fprintf(stderr, "trustgate cache: cannot reach trustgate on %s: %s\n", socket_path, err.msg);
		return 2;
	}
	*reply = json_loadb(tg_buf_str(&resp.body), resp.body.len, 0, NULL);
	long status = resp.status;
	tg_http_response_free(&resp);
	tg_http_global_cleanup();
	if (status != 200 || *reply == NULL) {
		fprintf(stderr, "trustgate cache: %s answered HTTP %ld: %s\n", socket_path, status,
		        json_string_value(json_object_get(*reply, "Err")));
		json_decref(*reply);
		return 2;
	}
	return 0;
}

static int list(const char *socket_path)
{
	json_t *reply = NULL;
	int rc = call(socket_path, "/TrustGate.CacheList", "{}", &reply);
	if (rc != 0)
		return rc;
	json_t *entries = json_object_get(reply, "Entries"), *e;
	size_t i;
	time_t now = time(NULL);
	json_array_foreach(entries, i, e) {
		long long left = (long long)json_integer_value(json_object_get(e, "expires")) - now;
		printf("%-10s %s  %s %s  (%s %lld s)\n", json_string_value(json_object_get(e, "status")),
		       json_string_value(json_object_get(e, "key")),
		       json_string_value(json_object_get(e, "digest")),
		       json_string_value(json_object_get(e, "signer")),
		       left >= 0 ? "fresh for" : "expired", left >= 0 ? left : -left);
	}
	printf("%zu cached answers\n", json_array_size(entries));
	json_decref(reply);
	return 0;
}

static int flush(const char *socket_path, const char *image)
{
	char repo[TG_REF_NAME_MAX + 1] = "";
	tg_reference ref;
	tg_error err;
	if (image != NULL && (tg_reference_parse(image, &ref, &err) != TG_OK ||
	                      tg_reference_repository(&ref, repo, sizeof(repo)) < 0)) {
		fprintf(stderr, "trustgate cache: %s\n", err.msg);
		return 2;
	}
	json_t *body = json_pack("{s:s}", "Prefix", repo), *reply = NULL;
	char *text = json_dumps(body, JSON_COMPACT);
	int rc = call(socket_path, "/TrustGate.CacheFlush", text, &reply);
	free(text);
	json_decref(body);
	if (rc == 0)
		printf("removed %lld cached answers%s%s\n",
		       (long long)json_integer_value(json_object_get(reply, "Removed")),
		       image ? " for " : "", image ? repo : "");
	json_decref(reply);
	return rc;
}

int tg_cmd_cache(int argc, char **argv)
{
	static const struct option longopts[] = {{"socket", required_argument, NULL, 's'},
	                                         {NULL, 0, NULL, 0}};
	const char *socket_path = "/run/docker/plugins/trustgate.sock";
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 's') {
			fputs(usage, stderr);
			return 2;
		}
		socket_path = optarg;
	}
	const char *sub = optind < argc ? argv[optind] : "";
	if (strcmp(sub, "list") == 0 && optind + 1 == argc)
		return list(socket_path);
	if (strcmp(sub, "flush") == 0 && optind + 2 >= argc)
		return flush(socket_path, optind + 1 < argc ? argv[optind + 1] : NULL);
	fputs(usage, stderr);
	return 2;
}
