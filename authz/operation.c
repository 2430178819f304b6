/* operation: see operation.h.
 *
 * Routes are matched the way dockerd's router matches them: on the decoded
 * path, after the version prefix, by method, with "{name:.*}" segments
 * greedy (so "/images/a/b:1/tag" tags "a/b:1"). Exact routes are tried
 * before patterned ones, as dockerd registers them first.
 */
#include "authz/operation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/gojson.h"
#include "authz/uri.h"

typedef int (*decode_fn)(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                         tg_error *err);

struct route {
	const char *method;
	const char *prefix; /* the path starts with this */
	const char *suffix; /* NULL: the path equals prefix; else the path ends with this
	                       and what lies between is the {name} (non-empty) */
	enum tg_op_kind kind;
	decode_fn decode;   /* NULL: nothing more to read */
};

static int decode_images_create(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);
static int decode_container_create(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);
static int decode_exec(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);
static int decode_tag(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);
static int decode_commit(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);
static int decode_build(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);
static int decode_plugin_remote(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);
static int decode_service(const tg_authz_request *, const tg_uri *, tg_operation *, tg_error *);

static const struct route routes[] = {
	{"POST", "/images/create", NULL, TG_OP_PULL, decode_images_create},
	{"POST", "/images/load", NULL, TG_OP_LOAD, NULL},
	{"POST", "/containers/create", NULL, TG_OP_CREATE, decode_container_create},
	{"POST", "/build", NULL, TG_OP_BUILD, decode_build},
	{"POST", "/session", NULL, TG_OP_BUILD_SESSION, NULL},
	{"POST", "/grpc", NULL, TG_OP_BUILD_SESSION, NULL},
	{"POST", "/commit", NULL, TG_OP_COMMIT, decode_commit},
	{"POST", "/plugins/pull", NULL, TG_OP_PLUGIN_PULL, decode_plugin_remote},
	{"POST", "/plugins/create", NULL, TG_OP_PLUGIN_CREATE, NULL},
	{"POST", "/services/create", NULL, TG_OP_SERVICE_CREATE, decode_service},
	{"POST", "/images/", "/push", TG_OP_PUSH, NULL},
	{"POST", "/images/", "/tag", TG_OP_TAG, decode_tag},
	{"POST", "/containers/", "/start", TG_OP_START, NULL},
	/* A restart starts a stopped container: the same check as a start. */
	{"POST", "/containers/", "/restart", TG_OP_START, NULL},
	{"POST", "/containers/", "/exec", TG_OP_EXEC, decode_exec},
	{"POST", "/plugins/", "/upgrade", TG_OP_PLUGIN_UPGRADE, decode_plugin_remote},
	{"POST", "/plugins/", "/enable", TG_OP_PLUGIN_ENABLE, NULL},
	{"POST", "/plugins/", "/disable", TG_OP_PLUGIN_DISABLE, NULL},
	{"POST", "/plugins/", "/set", TG_OP_PLUGIN_SET, NULL},
	{"DELETE", "/plugins/", "", TG_OP_PLUGIN_REMOVE, NULL},
	{"POST", "/services/", "/update", TG_OP_SERVICE_UPDATE, decode_service},
};

static const struct {
	const char *token;
	const char *name;
} kind_names[TG_OP_KIND_COUNT] = {
	[TG_OP_UNKNOWN] = {"unknown", "request"},
	[TG_OP_READ] = {"read", "read-only request"},
	[TG_OP_WRITE] = {"write", "request"},
	[TG_OP_PULL] = {"pull", "pull"},
	[TG_OP_IMPORT] = {"import", "docker import"},
	[TG_OP_CREATE] = {"create", "container create"},
	[TG_OP_START] = {"start", "container start"},
	[TG_OP_EXEC] = {"exec", "docker exec"},
	[TG_OP_BUILD] = {"build", "docker build"},
	[TG_OP_BUILD_SESSION] = {"build_session", "BuildKit build session"},
	[TG_OP_PUSH] = {"push", "push"},
	[TG_OP_TAG] = {"tag", "docker tag"},
	[TG_OP_LOAD] = {"load", "docker load"},
	[TG_OP_COMMIT] = {"commit", "docker commit"},
	[TG_OP_PLUGIN_PULL] = {"plugin_pull", "plugin install"},
	[TG_OP_PLUGIN_UPGRADE] = {"plugin_upgrade", "plugin upgrade"},
	[TG_OP_PLUGIN_CREATE] = {"plugin_create", "plugin create"},
	[TG_OP_PLUGIN_ENABLE] = {"plugin_enable", "plugin enable"},
	[TG_OP_PLUGIN_DISABLE] = {"plugin_disable", "plugin disable"},
	[TG_OP_PLUGIN_REMOVE] = {"plugin_remove", "plugin remove"},
	[TG_OP_PLUGIN_SET] = {"plugin_set", "plugin set"},
	[TG_OP_SERVICE_CREATE] = {"service_create", "service create"},
	[TG_OP_SERVICE_UPDATE] = {"service_update", "service update"},
};

const char *tg_op_kind_name(enum tg_op_kind kind)
{
	return (kind >= 0 && kind < TG_OP_KIND_COUNT) ? kind_names[kind].name : "request";
}

const char *tg_op_kind_token(enum tg_op_kind kind)
{
	return (kind >= 0 && kind < TG_OP_KIND_COUNT) ? kind_names[kind].token : "unknown";
}

static int copy_text(char *dst, const char *src, const char *what, tg_error *err)
{
	size_t n = strlen(src);
	if (n >= TG_OP_TEXT_MAX)
		return tg_error_set(err, TG_ETOOBIG, "%s is longer than %d bytes", what, TG_OP_TEXT_MAX - 1);
	memcpy(dst, src, n + 1);
	return TG_OK;
}

/* dockerd reads query values through r.Form, where an
 * application/x-www-form-urlencoded body overrides the query, and with
 * duplicate Content-Type headers the daemon and the plugin see different
 * ones. A body is safe only when dockerd forwarded it (it was JSON to the
 * daemon too) or it is provably empty. */
static int require_no_hidden_body(const tg_authz_request *req, tg_error *err)
{
	if (req->body != NULL)
		return TG_OK;
	const char *cl = tg_authz_request_header(req, "Content-Length");
	if (cl != NULL && strcmp(cl, "0") == 0)
		return TG_OK;
	return tg_error_set(err, TG_EAMBIGUOUS,
	                    "the request may carry a body that dockerd reads but trustgate cannot see "
	                    "(it has no \"Content-Length: 0\" and no JSON body); send it with "
	                    "\"Content-Length: 0\" as the docker CLI does");
}

static int query_text(const tg_uri *uri, const char *key, char *dst, tg_error *err)
{
	char *v = NULL;
	int rc = tg_uri_query_get(uri, key, &v, err);
	if (rc != TG_OK)
		return rc;
	rc = copy_text(dst, v ? v : "", key, err);
	free(v);
	return rc;
}

/* The new name that tag, commit and import give an image: the "repo" and
 * "tag" query values, joined as the daemon joins them. */
static int query_target(const tg_uri *uri, tg_operation *op, const char *what, tg_error *err)
{
	char repo[TG_OP_TEXT_MAX], tag[TG_OP_TEXT_MAX];
	int rc = query_text(uri, "repo", repo, err);
	if (rc == TG_OK)
		rc = query_text(uri, "tag", tag, err);
	if (rc != TG_OK)
		return rc;
	bool join = repo[0] != '\0' && tag[0] != '\0';
	int n = snprintf(op->target, sizeof(op->target), "%s%s%s", repo, join ? ":" : "", join ? tag : "");
	if (n < 0 || (size_t)n >= sizeof(op->target))
		return tg_error_set(err, TG_ETOOBIG, "%s is longer than %d bytes", what, TG_OP_TEXT_MAX - 1);
	return TG_OK;
}

/* Parse the forwarded JSON body into doc. Go's decoder would stop after
 * the first value; jdoc refuses trailing data, which only denies more. */
static int load_body(const tg_authz_request *req, tg_jdoc *doc, tg_error *err)
{
	if (req->body == NULL)
		return tg_error_set(err, TG_EINVAL,
		                    "the request reached trustgate without its body, so what it would run "
		                    "cannot be checked (dockerd drops the body of a retried request and of "
		                    "one over its size limit); run the command again, and keep the request "
		                    "under 1 MiB");
	tg_error perr;
	int rc = tg_jdoc_parse((const char *)req->body, req->body_len, doc, &perr);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "the request body is not valid JSON: %s", perr.msg);
	enum tg_jtype type = tg_jdoc_root(doc)->type;
	if (type != TG_JOBJECT && type != TG_JNULL) {
		tg_jdoc_free(doc);
		return tg_error_set(err, TG_EINVAL, "the request body is not a JSON object");
	}
	return TG_OK;
}

/* Record an image named by a request: by ID, or parsed as a reference. */
static int set_image(tg_operation *op, const char *image, tg_error *err)
{
	int rc = copy_text(op->image, image, "image name", err);
	if (rc != TG_OK)
		return rc;
	if (tg_reference_is_image_id(image)) {
		op->image_is_id = true;
		return TG_OK;
	}
	rc = tg_reference_parse(image, &op->ref, err);
	if (rc == TG_OK)
		op->has_ref = true;
	return rc;
}

static int decode_images_create(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                                tg_error *err)
{
	char from_image[TG_OP_TEXT_MAX], tag[TG_OP_TEXT_MAX];
	int rc = query_text(uri, "fromImage", from_image, err);
	if (rc == TG_OK)
		rc = query_text(uri, "tag", tag, err);
	if (rc != TG_OK)
		return rc;
	/* An import's tar body is never visible; a form body could also turn it
	 * into a pull. Either way it is content trustgate cannot check, which
	 * is what the "import" setting decides on. */
	if (from_image[0] == '\0') {
		op->kind = TG_OP_IMPORT;
		return query_target(uri, op, "import target", err);
	}
	if ((rc = require_no_hidden_body(req, err)) != TG_OK)
		return rc;
	/* The image as the user named it, for messages, before it is judged. */
	int len = snprintf(op->image, sizeof(op->image), "%s%s%s", from_image,
	                   tag[0] == '\0' ? "" : tg_reference_is_digest(tag) ? "@" : ":", tag);
	if (len < 0 || (size_t)len >= sizeof(op->image))
		return tg_error_set(err, TG_ETOOBIG, "image name is longer than %d bytes",
		                    TG_OP_TEXT_MAX - 1);
	/* PullImage strips one trailing ':' ("pull -a" sends "name:"). */
	size_t n = strlen(from_image);
	if (n > 0 && from_image[n - 1] == ':')
		from_image[n - 1] = '\0';
	if ((rc = tg_reference_parse(from_image, &op->ref, err)) != TG_OK)
		return rc;
	if ((rc = tg_reference_apply_pull_tag(&op->ref, tag, err)) != TG_OK)
		return rc;
	op->has_ref = true;
	op->all_tags = tg_reference_is_name_only(&op->ref);
	return TG_OK;
}

static int decode_container_create(const tg_authz_request *req, const tg_uri *uri,
                                   tg_operation *op, tg_error *err)
{
	tg_jdoc doc;
	const tg_jnode *image = NULL;
	int rc = load_body(req, &doc, err);
	if (rc != TG_OK)
		return rc;
	rc = tg_gojson_get(tg_jdoc_root(&doc), "Image", &image, err);
	if (rc == TG_OK && (image == NULL || image->type != TG_JSTRING || image->len == 0))
		rc = tg_error_set(err, TG_EINVAL, "the request names no image (\"Image\" is %s)",
		                  image == NULL                  ? "missing"
		                  : image->type == TG_JSTRING ? "empty"
		                                                 : "not a string");
	if (rc == TG_OK)
		rc = set_image(op, image->str, err);
	tg_jdoc_free(&doc);
	return rc;
}

static int decode_exec(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                       tg_error *err)
{
	tg_jdoc doc;
	int rc = load_body(req, &doc, err);
	if (rc == TG_OK)
		tg_jdoc_free(&doc);
	return rc;
}

static int decode_tag(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                      tg_error *err)
{
	int rc = require_no_hidden_body(req, err);
	if (rc == TG_OK)
		rc = query_target(uri, op, "tag target", err);
	return rc == TG_OK ? set_image(op, op->object, err) : rc;
}

/* A classic build's target names (every "t", as dockerd reads them), one
 * per line in op->target, and its remote context ("remote") in op->object. */
static int decode_build(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                        tg_error *err)
{
	int qrc = query_text(uri, "remote", op->object, err);
	if (qrc != TG_OK)
		return qrc;
	size_t used = 0;
	for (size_t i = 0;; i++) {
		char *t = NULL;
		int rc = tg_uri_query_get_nth(uri, "t", i, &t, err);
		if (rc != TG_OK || t == NULL)
			return rc;
		int n = snprintf(op->target + used, sizeof(op->target) - used, "%s%s", used ? "\n" : "", t);
		free(t);
		if (n < 0 || (size_t)n >= sizeof(op->target) - used)
			return tg_error_set(err, TG_ETOOBIG, "the build's target names are longer than %d "
			                    "bytes in all", TG_OP_TEXT_MAX - 1);
		used += (size_t)n;
	}
}

static int decode_commit(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                         tg_error *err)
{
	int rc = query_text(uri, "container", op->object, err);
	return rc == TG_OK ? query_target(uri, op, "commit target", err) : rc;
}

static int decode_plugin_remote(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                                tg_error *err)
{
	char remote[TG_OP_TEXT_MAX];
	int rc = require_no_hidden_body(req, err);
	if (rc == TG_OK)
		rc = query_text(uri, "remote", remote, err);
	if (rc != TG_OK)
		return rc;
	if (remote[0] == '\0')
		return tg_error_set(err, TG_EINVAL, "the request names no plugin image (\"remote\" is empty)");
	return set_image(op, remote, err);
}

static int decode_service(const tg_authz_request *req, const tg_uri *uri, tg_operation *op,
                          tg_error *err)
{
	tg_jdoc doc;
	const tg_jnode *image = NULL, *remote = NULL;
	int rc = load_body(req, &doc, err);
	if (rc != TG_OK)
		return rc;
	rc = tg_gojson_get_path(tg_jdoc_root(&doc), "TaskTemplate.ContainerSpec.Image", &image, err);
	if (rc == TG_OK)
		rc = tg_gojson_get_path(tg_jdoc_root(&doc), "TaskTemplate.PluginSpec.Remote", &remote,
		                        err);
	if (rc == TG_OK && image != NULL && remote != NULL)
		rc = tg_error_set(err, TG_EINVAL, "the service names both a container image and a plugin");
	const tg_jnode *named = image ? image : remote;
	if (rc == TG_OK && named != NULL && named->type != TG_JSTRING)
		rc = tg_error_set(err, TG_EINVAL, "the service image is not a string");
	if (rc == TG_OK && named != NULL && named->len > 0)
		rc = set_image(op, named->str, err);
	tg_jdoc_free(&doc);
	return rc;
}

/* Match path against a route; on a patterned match copy {name} into op. */
static bool route_matches(const struct route *r, const char *method, const char *path,
                          tg_operation *op)
{
	if (strcmp(r->method, method) != 0)
		return false;
	size_t plen = strlen(r->prefix), len = strlen(path);
	if (r->suffix == NULL)
		return strcmp(path, r->prefix) == 0;
	size_t slen = strlen(r->suffix);
	if (len <= plen + slen || strncmp(path, r->prefix, plen) != 0 ||
	    strcmp(path + len - slen, r->suffix) != 0)
		return false;
	size_t nlen = len - plen - slen;
	if (nlen >= TG_OP_TEXT_MAX)
		return false;
	memcpy(op->object, path + plen, nlen);
	op->object[nlen] = '\0';
	return true;
}

static int classify(const tg_authz_request *req, const tg_uri *uri, tg_operation *op, tg_error *err)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_matches(&routes[i], req->method, uri->path, op))
			continue;
		op->kind = routes[i].kind;
		return routes[i].decode ? routes[i].decode(req, uri, op, err) : TG_OK;
	}
	bool read_only = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	op->kind = read_only ? TG_OP_READ : TG_OP_WRITE;
	return TG_OK;
}

int tg_authz_decode(const tg_authz_request *req, tg_operation *op, tg_error *err)
{
	memset(op, 0, sizeof(*op));
	op->kind = TG_OP_UNKNOWN;
	if (strlen(req->method) >= sizeof(op->method))
		return tg_error_set(err, TG_EINVAL, "request method is too long");
	strcpy(op->method, req->method);
	tg_uri uri = {0};
	int rc = tg_uri_parse(req->uri, &uri, err);
	if (rc != TG_OK)
		return rc;
	rc = copy_text(op->path, uri.path, "request path", err);
	if (rc == TG_OK)
		rc = classify(req, &uri, op, err);
	tg_uri_clear(&uri);
	return rc;
}
