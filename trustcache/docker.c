/* docker: see docker.h. */
#include "trustcache/docker.h"

#include <stdio.h>
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

static int parse_inspect(const tg_buf *body, tg_docker_image *out, tg_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(tg_buf_str(body), body->len, 0, &jerr);
	json_t *digests = root ? json_object_get(root, "RepoDigests") : NULL;
	int rc = root && copy_field(out->id, json_string_value(json_object_get(root, "Id"))) == TG_OK
	                 ? TG_OK
	                 : tg_error_set(err, TG_EINVAL, "dockerd's image inspect answer has no Id");
	size_t i;
	json_t *d;
	json_array_foreach(digests, i, d) {
		if (rc != TG_OK || out->n_repo_digests == TG_DOCKER_REPO_DIGESTS_MAX)
			break;
		if (copy_field(out->repo_digests[out->n_repo_digests], json_string_value(d)) == TG_OK)
			out->n_repo_digests++;
	}
	json_decref(root);
	return rc;
}

int tg_docker_inspect_image(const char *socket_path, const char *name, long deadline_ms,
                            tg_docker_image *out, tg_error *err)
{
	char url[1024];
	if (snprintf(url, sizeof(url), "http://docker/images/%s/json", name) >= (int)sizeof(url))
		return tg_error_set(err, TG_ETOOBIG, "image name too long");
	tg_http_options opt = {.deadline_ms = deadline_ms, .max_body = INSPECT_MAX,
	                       .unix_socket = socket_path};
	tg_http_response resp;
	tg_error why;
	int rc = tg_http_get(url, &opt, &resp, &why);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "cannot ask dockerd (%s) about image %s: %.300s", socket_path,
		                    name, why.msg);
	memset(out, 0, sizeof(*out));
	if (resp.status == 404)
		rc = tg_error_set(err, TG_ENOTFOUND, "dockerd has no image %s", name);
	else if (resp.status != 200)
		rc = tg_error_set(err, TG_EIO, "dockerd answered HTTP %ld when asked about image %s",
		                  resp.status, name);
	else
		rc = parse_inspect(&resp.body, out, err);
	tg_http_response_free(&resp);
	return rc;
}
