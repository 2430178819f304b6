/* docker: what the local daemon knows about images and containers, asked
 * over its API socket (GET /images/{name}/json, /images/json,
 * /containers/{id}/json).
 *
 * trustgate's own requests pass through trustgate as AuthZ reads, which
 * its I/O threads answer at once, while the decision that asked waits on a
 * lookup thread (plugin/server.h): the two cannot wait on each other.
 * Thread-safe.
 */
#ifndef TG_DOCKER_H
#define TG_DOCKER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/tg_error.h"
#include "trustcache/http.h"

#define TG_DOCKER_REPO_DIGESTS_MAX 32
#define TG_DOCKER_TEXT_MAX 400
#define TG_DOCKER_LAYERS_MAX 256  /* an image with more is refused (dockerd allows 127) */
#define TG_DOCKER_DIGEST_MAX 80
#define TG_DOCKER_IMAGES_MAX 4096 /* images listed; more are refused */

typedef struct tg_docker_image {
	char id[TG_DOCKER_TEXT_MAX];      /* "sha256:<hex>" */
	size_t n_repo_digests;
	char repo_digests[TG_DOCKER_REPO_DIGESTS_MAX][TG_DOCKER_TEXT_MAX]; /* "repo@sha256:<hex>" */
	char user[TG_DOCKER_TEXT_MAX];    /* Config.User: who its containers run as ("": root) */
	size_t n_layers;                  /* RootFS.Layers: diff IDs, base first */
	char layers[TG_DOCKER_LAYERS_MAX][TG_DOCKER_DIGEST_MAX];
} tg_docker_image;

typedef struct tg_docker_container {
	char id[TG_DOCKER_TEXT_MAX];
	char name[TG_DOCKER_TEXT_MAX];       /* "Name" without its leading '/' */
	char image_id[TG_DOCKER_TEXT_MAX];   /* "Image": what it runs, fixed at create */
	char image_name[TG_DOCKER_TEXT_MAX]; /* "Config.Image": the name it was created with */
	char user[TG_DOCKER_TEXT_MAX];       /* "Config.User": the image's, unless the create set one */
} tg_docker_container;

/* Inspect image name (a reference or ID) through the daemon at
 * socket_path, within deadline_ms; session (or NULL) keeps the connection
 * for the next call of the same thread. Errors: TG_ENOTFOUND (the daemon has no
 * such image), TG_EIO / TG_ETIMEOUT (the daemon could not be asked; the
 * message says why), TG_EINVAL (an answer that is not an image). */
int tg_docker_inspect_image(const char *socket_path, tg_http_session *session, const char *name,
                            long deadline_ms,
                            tg_docker_image *out, tg_error *err);

/* Inspect container name (a name or ID). Errors as for images
 * (TG_ENOTFOUND: no such container). */
int tg_docker_inspect_container(const char *socket_path, tg_http_session *session,
                                const char *name, long deadline_ms,
                                tg_docker_container *out, tg_error *err);

/* The IDs of the local images that have repo digests (pulled images):
 * *ids receives a new array of *n strings "sha256:<hex>" (free with
 * tg_docker_ids_free). Errors as above; TG_ETOOBIG past
 * TG_DOCKER_IMAGES_MAX. */
int tg_docker_list_pulled_images(const char *socket_path, tg_http_session *session,
                                 long deadline_ms, char ***ids,
                                 size_t *n, tg_error *err);

void tg_docker_ids_free(char **ids, size_t n);

/* Whether dockerd keeps images in containerd's image store (GET /info:
 * DriverStatus "driver-type" io.containerd.snapshotter.*). That store gives
 * every named image a repo digest, so there a repo digest does not show an
 * image was pulled. Errors as above. */
/* GET /<kind>s/<name>/json ("container"; "volume" and "network" without
 * "/json") whole: *out receives the JSON object (json_decref it). Errors
 * as above (TG_ENOTFOUND: no such object; TG_EINVAL: not a JSON object). */
int tg_docker_inspect_json(const char *socket_path, tg_http_session *session, const char *kind,
                           const char *name, long deadline_ms, json_t **out, tg_error *err);

/* dockerd's data root (GET /info: DockerRootDir) into out. Errors as
 * above. */
int tg_docker_data_root(const char *socket_path, tg_http_session *session, long deadline_ms,
                        char out[TG_DOCKER_TEXT_MAX], tg_error *err);

int tg_docker_uses_containerd_store(const char *socket_path, tg_http_session *session,
                                    long deadline_ms, bool *out, tg_error *err);

#endif
