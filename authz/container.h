/* container: how a container would be run, decoded from a create, exec or
 * service request exactly as dockerd reads it (gojson.h: Go's
 * case-insensitive keys; a setting spelled twice is refused), for the
 * hardening rules (hardening.h).
 *
 * Read from a create (POST /containers/create): Config.User, Config.Env and
 * HostConfig's Privileged, CapAdd and Capabilities, Devices,
 * DeviceCgroupRules and DeviceRequests, SecurityOpt, MaskedPaths and
 * ReadonlyPaths, the namespace modes (NetworkMode, PidMode, IpcMode,
 * UTSMode, UsernsMode, CgroupnsMode), Binds and Mounts (with "local"
 * volumes whose options bind a host path), ReadonlyRootfs. From an exec:
 * User, Privileged, Env. From a service: TaskTemplate.ContainerSpec's User,
 * Env, Mounts, ReadOnly, CapabilityAdd, Privileges, and TaskTemplate.Networks
 * (the host network).
 *
 * Pure; thread-safe. A tg_container_spec is a plain value (large: allocate
 * it on the heap).
 */
#ifndef TG_CONTAINER_H
#define TG_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "authz/request.h"
#include "common/tg_error.h"

#define TG_CONTAINER_LIST_MAX 64   /* entries of one list setting; more is refused */
#define TG_CONTAINER_TEXT_MAX 256  /* one capability, device, option, env name */
#define TG_CONTAINER_PATH_MAX 1024 /* a mount's host path or target */
#define TG_CONTAINER_ENV_MAX 256   /* environment variables */

/* TG_SPEC_START: what dockerd stored at create (tg_container_decode_json),
 * checked again at start for what can change in between or came from
 * before trustgate: privileges, capabilities, devices, host namespaces
 * (those joined through another container too), security options and
 * mounts. What dockerd fills in itself (label=disable, masked paths, the
 * cgroup namespace) and the user, root filesystem and environment are
 * judged at create. */
enum tg_container_kind { TG_SPEC_CREATE, TG_SPEC_EXEC, TG_SPEC_SERVICE, TG_SPEC_START };

/* The host namespaces a container can share. */
enum tg_host_ns {
	TG_NS_NETWORK, TG_NS_PID, TG_NS_IPC, TG_NS_UTS, TG_NS_USER, TG_NS_CGROUP, TG_NS_COUNT
};

typedef struct tg_container_mount {
	char source[TG_CONTAINER_PATH_MAX]; /* the host path (a bind), else the volume's name */
	char target[TG_CONTAINER_PATH_MAX];
	bool host_path;   /* a bind mount, or a volume whose options bind a host path */
	bool read_only;
	bool from_binds;  /* spelled in Binds ("-v"), else in Mounts ("--mount") */
	bool named_volume; /* a named volume: its stored options are looked up (they win
	                      over the request's when it exists) */
	char volume[TG_CONTAINER_TEXT_MAX]; /* that volume's name */
	char unsafe_type[32]; /* a local volume mounting a host file system ("proc",
	                         "overlay", "ext4"...): never allowed; else "" */
	/* Filled by plugin/ before the rules run: the host path as dockerd
	 * will mount it, symlinks resolved ("" when not resolved; then
	 * resolve_failed says whether it was tried and failed); and whether
	 * other mounts lie under it (a read-only bind does not reach them). */
	char resolved[TG_CONTAINER_PATH_MAX];
	bool resolve_failed;
	bool has_submounts;
	char via[TG_CONTAINER_TEXT_MAX]; /* "--volumes-from X", "volume V": how it came, or "" */
} tg_container_mount;

typedef struct tg_container_spec {
	/* Scalars and counts first: decoding resets only these (up to caps);
	 * the lists below hold what their counts say, nothing more. */
	enum tg_container_kind kind;
	bool privileged;
	bool host_ns[TG_NS_COUNT];
	/* "container:X" modes: X, whose namespace is joined (plugin/ learns
	 * whether it is the host's and sets host_ns, and ns_via for messages) */
	char ns_container[TG_NS_COUNT][TG_CONTAINER_TEXT_MAX];
	char ns_via[TG_NS_COUNT][TG_CONTAINER_TEXT_MAX];
	bool has_user;                       /* a User was given (else the image's) */
	char user[TG_CONTAINER_TEXT_MAX];
	bool read_only_rootfs;
	size_t n_caps, n_devices, n_weakened, n_volumes_from, n_networks, n_mounts, n_env;

	char caps[TG_CONTAINER_LIST_MAX][TG_CONTAINER_TEXT_MAX]; /* added: "NET_ADMIN", "ALL" */
	char devices[TG_CONTAINER_LIST_MAX][TG_CONTAINER_TEXT_MAX]; /* host devices, as spelled */
	/* options that turn a protection off: "seccomp=unconfined", ... */
	char weakened[TG_CONTAINER_LIST_MAX][TG_CONTAINER_TEXT_MAX];
	char volumes_from[TG_CONTAINER_LIST_MAX][TG_CONTAINER_TEXT_MAX]; /* "X[:ro|:rw]" */
	/* a service's networks other than "host", by name or ID (plugin/ asks
	 * whether one is the host network) */
	char networks[TG_CONTAINER_LIST_MAX][TG_CONTAINER_TEXT_MAX];
	tg_container_mount mounts[TG_CONTAINER_LIST_MAX];
	/* environment variables set to a literal value: their names */
	char env[TG_CONTAINER_ENV_MAX][TG_CONTAINER_TEXT_MAX];
} tg_container_spec;

/* Decode a container's stored HostConfig and Config.User (json: the
 * object {"User": ..., "HostConfig": {...}}, as dockerd's inspect gives
 * them) into *spec, kind TG_SPEC_START: what a start of it will run.
 * Errors as tg_container_decode. */
int tg_container_decode_json(const char *json, size_t len, tg_container_spec *spec,
                             tg_error *err);

/* Decode the body of req as kind into *spec. Errors (deny; err says why):
 * TG_EINVAL (missing or malformed body, a value of a type dockerd would
 * refuse, a bind it could not parse), TG_EAMBIGUOUS (a setting spelled
 * twice), TG_ETOOBIG (more than TG_CONTAINER_LIST_MAX entries, a value too
 * long). */
int tg_container_decode(const tg_authz_request *req, enum tg_container_kind kind,
                        tg_container_spec *spec, tg_error *err);

/* The flag that sets a namespace to the host's: "--network host". */
const char *tg_host_ns_flag(enum tg_host_ns ns);

/* What a "local" volume's options mount (type, o and device as "docker
 * volume create --opt" gives them, each may be NULL or ""). */
enum tg_volume_kind {
	TG_VOLUME_PLAIN,     /* dockerd's own directory, tmpfs, or a network file system */
	TG_VOLUME_HOST_PATH, /* o=bind: the host path device (relative: under "/") */
	TG_VOLUME_UNSAFE     /* another local file system type (proc, sysfs, overlay, a block
	                        device...): a host file system trustgate does not judge */
};

/* Classify local volume options; with TG_VOLUME_HOST_PATH the path is put
 * in host_path (n bytes). Errors: TG_ETOOBIG (a path too long to check). */
int tg_container_volume_kind(const char *type, const char *o, const char *device,
                             enum tg_volume_kind *kind, char *host_path, size_t n,
                             tg_error *err);

/* path cleaned as Go's filepath.Clean does (dockerd cleans a bind's source
 * before the kernel follows its symlinks): repeated and trailing '/' and
 * "." dropped, ".." taking away the component before it (none above "/").
 * Into out (n bytes). Errors: TG_EINVAL (not absolute), TG_ETOOBIG. */
int tg_container_clean_path(const char *path, char *out, size_t n);

/* Whether user (Config.User's "user[:group]") is root: "", "root", or a
 * number equal to 0 before any ':'. "" is root only when the image's user
 * is too: callers check that. */
bool tg_container_user_is_root(const char *user);

#endif
