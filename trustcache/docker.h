/* docker: what the local daemon knows about an image, asked over its API
 * socket (GET /images/{name}/json).
 *
 * trustgate's own request passes through trustgate as an AuthZ read, which
 * is allowed at once, on its own connection thread: the create it is
 * deciding stays parked on another thread, so the two cannot wait on each
 * other. Thread-safe.
 */
#ifndef TG_DOCKER_H
#define TG_DOCKER_H

#include <stddef.h>

#include "common/tg_error.h"

#define TG_DOCKER_REPO_DIGESTS_MAX 32
#define TG_DOCKER_TEXT_MAX 400

typedef struct tg_docker_image {
	char id[TG_DOCKER_TEXT_MAX];      /* "sha256:<hex>" */
	size_t n_repo_digests;
	char repo_digests[TG_DOCKER_REPO_DIGESTS_MAX][TG_DOCKER_TEXT_MAX]; /* "repo@sha256:<hex>" */
} tg_docker_image;

/* Inspect image name (a reference or ID) through the daemon at
 * socket_path, within deadline_ms. Errors: TG_ENOTFOUND (the daemon has no
 * such image), TG_EIO / TG_ETIMEOUT (the daemon could not be asked; the
 * message says why), TG_EINVAL (an answer that is not an image). */
int tg_docker_inspect_image(const char *socket_path, const char *name, long deadline_ms,
                            tg_docker_image *out, tg_error *err);

#endif
