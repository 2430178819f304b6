/* docker: see docker.h. */
#include "trustcache/docker.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trustcache/http.h"

#define INSPECT_MAX (4 * 1024 * 1024)

static int copy_field(char *dst, const char *src)
{
	if (src == NULL || strlen(src) >= TG_DOCKER_TEXT_MAX)
		return TG_EINVAL;
	strcpy(dst, src);
	return TG_OK;
}

/* Copy the strings of array into out[max][TG_DOCKER_TEXT_MAX or width]. */
static int copy_strings(json_t *array, size_t max, size_t width, char *out, size_t *n,
                        const char *what, tg_error *err)
{
	size_t i;
	json_t *v;
	*n = 0;
	if (array != NULL && !json_is_array(array) && !json_is_null(array))
		return tg_error_set(err, TG_EINVAL, "dockerd's %s is not a list", what);
	json_array_foreach(array, i, v) {
		const char *text = json_string_value(v);
		if (*n == max || text == NULL || strlen(text) >= width)
			return tg_error_set(err, TG_EINVAL, "dockerd's %s has an entry trustgate cannot "
			                    "hold (over %zu entries, or not a short string)", what, max);
		strcpy(out + *n * width, text);
		(*n)++;
	}
	return TG_OK;
}

static int parse_inspect(const tg_buf *body, tg_docker_image *out, tg_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(tg_buf_str(body), body->len, 0, &jerr);
	int rc = root && copy_field(out->id, json_string_value(json_object_get(root, "Id"))) == TG_OK
	                 ? TG_OK
	                 : tg_error_set(err, TG_EINVAL, "dockerd's image inspect answer has no Id");
	if (rc == TG_OK)
		rc = copy_strings(json_object_get(root, "RepoDigests"), TG_DOCKER_REPO_DIGESTS_MAX,
		                  TG_DOCKER_TEXT_MAX, out->repo_digests[0], &out->n_repo_digests,
		                  "RepoDigests", err);
	const char *user = json_string_value(json_object_get(json_object_get(root, "Config"), "User"));
	if (rc == TG_OK && copy_field(out->user, user ? user : "") != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "dockerd's image inspect answer has a Config.User too long");
	if (rc == TG_OK)
		rc = copy_strings(json_object_get(json_object_get(root, "RootFS"), "Layers"),
		                  TG_DOCKER_LAYERS_MAX, TG_DOCKER_DIGEST_MAX, out->layers[0],
		                  &out->n_layers, "RootFS.Layers", err);
	json_decref(root);
	return rc;
}

/* GET path from dockerd into *body (200 only). what names the object for
 * messages. */
static int docker_get(const char *socket_path, tg_http_session *session, const char *path,
                      const char *what, long deadline_ms, tg_http_response *resp, tg_error *err)
{
	char url[1024];
	if (snprintf(url, sizeof(url), "http://docker%s", path) >= (int)sizeof(url))
		return tg_error_set(err, TG_ETOOBIG, "name too long: %.100s", what);
	tg_http_options opt = {.deadline_ms = deadline_ms, .max_body = INSPECT_MAX,
	                       .unix_socket = socket_path, .session = session};
	tg_error why;
	int rc = tg_http_get(url, &opt, resp, &why);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "cannot ask dockerd (%s) about %s: %.300s", socket_path, what,
		                    why.msg);
	if (resp->status == 200)
		return TG_OK;
	rc = resp->status == 404 ? tg_error_set(err, TG_ENOTFOUND, "dockerd has no %s", what)
	                         : tg_error_set(err, TG_EIO, "dockerd answered HTTP %ld when asked "
	                                        "about %s", resp->status, what);
	tg_http_response_free(resp);
	return rc;
}

/* GET path from dockerd as JSON (an object, or with array an array) into
 * *root (json_decref it). */
static int get_json(const char *socket_path, tg_http_session *session, const char *path,
                    const char *what, long deadline_ms, bool array, json_t **root, tg_error *err)
{
	tg_http_response resp;
	int rc = docker_get(socket_path, session, path, what, deadline_ms, &resp, err);
	if (rc != TG_OK)
		return rc;
	*root = json_loadb(tg_buf_str(&resp.body), resp.body.len, 0, NULL);
	tg_http_response_free(&resp);
	if (array ? json_is_array(*root) : json_is_object(*root))
		return TG_OK;
	json_decref(*root);
	return tg_error_set(err, TG_EINVAL, "dockerd's answer about %s is not a JSON %s", what,
	                    array ? "list" : "object");
}

/* Names reach the URL path as they are: references and IDs hold no
 * character that needs escaping, and anything else is refused. */
static int check_name(const char *name, const char *what, tg_error *err)
{
	for (const char *p = name; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-:/@", *p) != NULL))
			return tg_error_set(err, TG_EINVAL, "%s name \"%.100s\" has a character trustgate "
			                    "does not pass to dockerd", what, name);
	return name[0] ? TG_OK : tg_error_set(err, TG_EINVAL, "empty %s name", what);
}

/* GET /<kind>s/<name>/json ("image", "container"; volumes and networks
 * have no "/json") into *resp. */
/* The API path of kind's object name, and its name for messages. */
static int inspect_path(const char *kind, const char *name, char path[600], char what[600],
                        tg_error *err)
{
	int rc = check_name(name, kind, err);
	if (rc != TG_OK)
		return rc;
	snprintf(path, 600, "/%ss/%.500s%s", kind, name,
	         strcmp(kind, "volume") == 0 || strcmp(kind, "network") == 0 ? "" : "/json");
	snprintf(what, 600, "%s %.500s", kind, name);
	return TG_OK;
}

static int inspect(const char *socket_path, tg_http_session *session, const char *kind,
                   const char *name, long deadline_ms, tg_http_response *resp, tg_error *err)
{
	char path[600], what[600];
	int rc = inspect_path(kind, name, path, what, err);
	return rc == TG_OK ? docker_get(socket_path, session, path, what, deadline_ms, resp, err) : rc;
}

int tg_docker_inspect_image(const char *socket_path, tg_http_session *session, const char *name,
                            long deadline_ms,
                            tg_docker_image *out, tg_error *err)
{
	tg_http_response resp;
	int rc = inspect(socket_path, session, "image", name, deadline_ms, &resp, err);
	if (rc != TG_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = parse_inspect(&resp.body, out, err);
	tg_http_response_free(&resp);
	return rc;
}

int tg_docker_inspect_container(const char *socket_path, tg_http_session *session,
                                const char *name, long deadline_ms,
                                tg_docker_container *out, tg_error *err)
{
	char what[600];
	snprintf(what, sizeof(what), "container %.500s", name);
	tg_http_response resp;
	int rc = inspect(socket_path, session, "container", name, deadline_ms, &resp, err);
	if (rc != TG_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	json_t *root = json_loadb(tg_buf_str(&resp.body), resp.body.len, 0, NULL);
	json_t *config = json_object_get(root, "Config");
	const char *config_image = json_string_value(json_object_get(config, "Image"));
	const char *user = json_string_value(json_object_get(config, "User"));
	if (root == NULL || copy_field(out->id, json_string_value(json_object_get(root, "Id"))) ||
	    copy_field(out->image_id, json_string_value(json_object_get(root, "Image"))) ||
	    copy_field(out->image_name, config_image ? config_image : "") ||
	    copy_field(out->user, user ? user : ""))
		rc = tg_error_set(err, TG_EINVAL, "dockerd's answer about %s has no Id or Image", what);
	const char *cname = json_string_value(json_object_get(root, "Name"));
	if (rc == TG_OK && cname != NULL && copy_field(out->name, cname + (cname[0] == '/')) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "dockerd's answer about %s has a name that is too long",
		                  what);
	json_decref(root);
	tg_http_response_free(&resp);
	return rc;
}

void tg_docker_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; ids != NULL && i < n; i++)
		free(ids[i]);
	free(ids);
}

static int collect_pulled(json_t *list, char ***ids, size_t *n, tg_error *err)
{
	size_t count = json_array_size(list), k = 0, i;
	if (count > TG_DOCKER_IMAGES_MAX)
		return tg_error_set(err, TG_ETOOBIG, "dockerd lists more than %d images",
		                    TG_DOCKER_IMAGES_MAX);
	char **out = calloc(count ? count : 1, sizeof(*out));
	if (out == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	json_t *img;
	json_array_foreach(list, i, img) {
		const char *id = json_string_value(json_object_get(img, "Id"));
		if (id == NULL || json_array_size(json_object_get(img, "RepoDigests")) == 0)
			continue;
		if ((out[k] = strdup(id)) == NULL) {
			tg_docker_ids_free(out, k);
			return tg_error_set(err, TG_ENOMEM, "out of memory");
		}
		k++;
	}
	*ids = out;
	*n = k;
	return TG_OK;
}

int tg_docker_list_pulled_images(const char *socket_path, tg_http_session *session,
                                 long deadline_ms, char ***ids,
                                 size_t *n, tg_error *err)
{
	json_t *root = NULL;
	int rc = get_json(socket_path, session, "/images/json", "the image list", deadline_ms, true,
	                  &root, err);
	if (rc != TG_OK)
		return rc;
	rc = collect_pulled(root, ids, n, err);
	json_decref(root);
	return rc;
}

int tg_docker_uses_containerd_store(const char *socket_path, tg_http_session *session,
                                    long deadline_ms, bool *out, tg_error *err)
{
	json_t *root = NULL, *pair;
	int rc = get_json(socket_path, session, "/info", "its configuration", deadline_ms, false,
	                  &root, err);
	if (rc != TG_OK)
		return rc;
	bool containerd = false;
	size_t i;
	json_array_foreach(json_object_get(root, "DriverStatus"), i, pair) {
		const char *k = json_string_value(json_array_get(pair, 0));
		const char *v = json_string_value(json_array_get(pair, 1));
		if (k != NULL && v != NULL && strcmp(k, "driver-type") == 0 &&
		    strncmp(v, "io.containerd.snapshotter", 25) == 0)
			containerd = true;
	}
	*out = containerd;
	json_decref(root);
	return TG_OK;
}

int tg_docker_data_root(const char *socket_path, tg_http_session *session, long deadline_ms,
                        char out[TG_DOCKER_TEXT_MAX], tg_error *err)
{
	json_t *root = NULL;
	int rc = get_json(socket_path, session, "/info", "its configuration", deadline_ms, false,
	                  &root, err);
	if (rc != TG_OK)
		return rc;
	const char *dir = json_string_value(json_object_get(root, "DockerRootDir"));
	if (dir == NULL || dir[0] != '/' || copy_field(out, dir) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "dockerd's /info answer has no DockerRootDir");
	json_decref(root);
	return rc;
}

int tg_docker_inspect_json(const char *socket_path, tg_http_session *session, const char *kind,
                           const char *name, long deadline_ms, json_t **out, tg_error *err)
{
	char path[600], what[600];
	int rc = inspect_path(kind, name, path, what, err);
	return rc == TG_OK ? get_json(socket_path, session, path, what, deadline_ms, false, out, err)
	                   : rc;
}
