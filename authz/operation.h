/* operation: what a Docker API request would do, decoded from an AuthZReq
 * exactly as dockerd would read it (uri.h for paths and queries, gojson.h
 * for bodies, reference.h for image names).
 *
 * Pure, thread-safe. tg_operation is a plain value type (no heap).
 */
#ifndef TG_OPERATION_H
#define TG_OPERATION_H

#include <stdbool.h>

#include "authz/reference.h"
#include "authz/request.h"
#include "common/tg_error.h"

enum tg_op_kind {
	TG_OP_UNKNOWN,        /* not decodable: the request is denied */
	TG_OP_READ,           /* GET/HEAD: changes nothing */
	TG_OP_WRITE,          /* any other request: policy's default for writes */
	TG_OP_PULL,           /* POST /images/create?fromImage= */
	TG_OP_IMPORT,         /* POST /images/create?fromSrc= */
	TG_OP_CREATE,         /* POST /containers/create */
	TG_OP_START,          /* POST /containers/{name}/start */
	TG_OP_EXEC,           /* POST /containers/{name}/exec */
	TG_OP_BUILD,          /* POST /build */
	TG_OP_BUILD_SESSION,  /* POST /session, /grpc (BuildKit, hijacked) */
	TG_OP_PUSH,           /* POST /images/{name}/push */
	TG_OP_TAG,            /* POST /images/{name}/tag */
	TG_OP_LOAD,           /* POST /images/load */
	TG_OP_COMMIT,         /* POST /commit */
	TG_OP_PLUGIN_PULL,    /* POST /plugins/pull */
	TG_OP_PLUGIN_UPGRADE, /* POST /plugins/{name}/upgrade */
	TG_OP_PLUGIN_CREATE,  /* POST /plugins/create (rootfs from a tar) */
	TG_OP_PLUGIN_ENABLE,  /* POST /plugins/{name}/enable */
	TG_OP_PLUGIN_DISABLE, /* POST /plugins/{name}/disable */
	TG_OP_PLUGIN_REMOVE,  /* DELETE /plugins/{name} */
	TG_OP_PLUGIN_SET,     /* POST /plugins/{name}/set */
	TG_OP_SERVICE_CREATE, /* POST /services/create */
	TG_OP_SERVICE_UPDATE, /* POST /services/{id}/update */
	TG_OP_KIND_COUNT
};

#define TG_OP_TEXT_MAX 512

typedef struct tg_operation {
	enum tg_op_kind kind;
	char method[16];
	char path[TG_OP_TEXT_MAX];   /* decoded route path, version prefix removed */
	/* The image the request brings onto the host or runs, as it was written
	 * and normalized. has_ref is false when the request names no image or
	 * names it by ID (image_is_id). */
	char image[TG_OP_TEXT_MAX];
	bool has_ref;
	bool image_is_id;
	bool all_tags;               /* pull with no tag: every tag of the repository */
	tg_reference ref;
	char target[TG_OP_TEXT_MAX]; /* new name: tag/commit/import destination */
	char object[TG_OP_TEXT_MAX]; /* container or plugin named in the path */
} tg_operation;

/* Decode req into *op. op->kind, method and path are filled as far as the
 * request could be read, even on error, so a deny can say what was refused.
 * Errors (the request must be denied; err says why, for a person):
 * TG_EINVAL (unreadable or incomplete request: missing body where one is
 * needed, bad image name, bad JSON), TG_EAMBIGUOUS (dockerd and trustgate
 * could read it differently), TG_ETOOBIG, TG_ENOMEM. */
int tg_authz_decode(const tg_authz_request *req, tg_operation *op, tg_error *err);

/* Human name of an operation for messages: "pull", "container create"... */
const char *tg_op_kind_name(enum tg_op_kind kind);

/* Short stable token for logs: "pull", "create", "plugin_disable"... */
const char *tg_op_kind_token(enum tg_op_kind kind);

#endif
