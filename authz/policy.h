/* policy: the admin's rules, loaded from JSON and checked before use.
 *
 * A policy is immutable once loaded; the plugin swaps whole policies on
 * reload, so readers never see a half-applied file. Loading validates every
 * key against the tables in policy.c (unknown keys are errors: a typo in a
 * security policy must not pass silently) and reports the line and column
 * of what is wrong.
 *
 * Format (README.md "Policy"):
 *   { "mode": "enforce" | "audit",
 *     "official_images": true,            official images (docker.io/library) count as trusted
 *     "verified_publishers": ["docker.io/bitnami", "registry.acme.io/team"],
 *     "rules": [ {"match": "GLOB", "require": "allow|publisher|signed|deny",
 *                 "trust_roots": ["name"], "reason": "text", "comment": "text"} ],
 *     "operations": {"build": "allow|deny", ...},
 *     "trust_roots": {"NAME": {"type": "notary", "server": URL, "server_ca": FILE,
 *                              "root_keys": [FILE], "root_ca": FILE, "tofu": BOOL,
 *                              "timeout_ms": N}},
 *     "registries": {"HOST": {"url": URL, "ca": FILE}},
 *     "cache": {"tag_ttl_seconds": N, "verdict_ttl_seconds": N, "negative_ttl_seconds": N,
 *               "stale_if_error_seconds": N, "max_entries": N} }
 * GLOB matches the normalized repository (lower-case host): '*' any run of
 * characters including '/', '?' one character. The most specific matching
 * rule wins: most literal characters, then fewest wildcards, then first.
 *
 * Thread-safe for concurrent readers.
 */
#ifndef TG_POLICY_H
#define TG_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/tg_error.h"

#define TG_POLICY_FILE_MAX (1024 * 1024)
#define TG_POLICY_DEFAULT_PATH "/etc/trustgate/policy.json"

enum tg_mode { TG_MODE_ENFORCE, TG_MODE_AUDIT };

enum tg_requirement { TG_REQUIRE_ALLOW, TG_REQUIRE_PUBLISHER, TG_REQUIRE_SIGNED, TG_REQUIRE_DENY };

/* What a rule does with a local image (built, committed, loaded, imported or
 * tagged on this host: no repo digest the rule trusts) named under it:
 * deny it; allow it; or allow it when its layers start with all layers of
 * an image this host trusts (its base), as "local_images" says. */
enum tg_local_images { TG_LOCAL_DENY, TG_LOCAL_ALLOW, TG_LOCAL_TRUSTED_BASE };

const char *tg_local_images_name(enum tg_local_images v);

/* Operations that bring images in without a name to check, or that policy
 * switches as a whole. */
enum tg_op_setting {
	TG_SET_BUILD,
	TG_SET_LOAD,
	TG_SET_IMPORT,
	TG_SET_COMMIT,
	TG_SET_PUSH,
	TG_SET_EXEC,
	TG_SET_PLUGIN_CREATE,
	TG_SET_OTHER_WRITES,
	TG_SET_BUILDKIT,
	TG_SET_BUILD_REMOTE,
	TG_SET_COUNT
};

/* Container hardening ("container" in the policy and in rules; README
 * "Container hardening"): what each setting of a container does when a
 * create, exec or service asks for it. */
enum tg_hard_action { TG_HARD_UNSET, TG_HARD_ALLOW, TG_HARD_WARN, TG_HARD_DENY };

enum tg_hard_setting {
	TG_HARD_PRIVILEGED,
	TG_HARD_CAPABILITIES,     /* added capabilities not in "allowed_capabilities" */
	TG_HARD_DEVICES,
	TG_HARD_SECURITY_OPTIONS, /* options that turn seccomp, AppArmor, SELinux labels,
	                             no-new-privileges or masked /proc paths off */
	TG_HARD_HOST_NETWORK,     /* the host's namespaces, in enum tg_host_ns order */
	TG_HARD_HOST_PID,
	TG_HARD_HOST_IPC,
	TG_HARD_HOST_UTS,
	TG_HARD_HOST_USERNS,
	TG_HARD_HOST_CGROUPNS,
	TG_HARD_RUN_AS_ROOT,
	TG_HARD_BIND_MOUNTS,      /* host paths outside the path lists below */
	TG_HARD_READ_ONLY_ROOTFS, /* a writable root filesystem */
	TG_HARD_ENV_SECRETS,      /* literal secrets in environment variables */
	TG_HARD_COUNT
};

enum tg_hard_list {
	TG_HARD_ALLOWED_CAPS,   /* capabilities that may be added: "NET_BIND_SERVICE" */
	TG_HARD_BIND_PATHS,     /* host path prefixes that may be mounted at all */
	TG_HARD_WRITABLE_PATHS, /* host path prefixes that may be mounted writable */
	TG_HARD_PROTECTED,      /* never writable: these, what is inside them, or holds them */
	TG_HARD_NEVER_MOUNTED,  /* never mounted, even read-only: API sockets (a socket works
	                           read-only) and kernel file systems (/proc, /sys, /dev: a
	                           read-only bind does not reach the mounts under them) */
	TG_HARD_LIST_COUNT
};

typedef struct tg_container_rules {
	enum tg_hard_action action[TG_HARD_COUNT]; /* UNSET in a rule: the policy's applies */
	char **list[TG_HARD_LIST_COUNT];           /* paths normalized, capabilities upper-case */
	size_t n_list[TG_HARD_LIST_COUNT];
	bool has_list[TG_HARD_LIST_COUNT];         /* given (in a rule: replaces the policy's) */
} tg_container_rules;

const char *tg_hard_setting_key(enum tg_hard_setting s);
const char *tg_hard_list_key(enum tg_hard_list l);
const char *tg_hard_action_name(enum tg_hard_action a);

typedef struct tg_rule {
	size_t number;             /* 1-based position in "rules" */
	char *match;
	enum tg_requirement require;
	char **trust_roots;
	size_t n_trust_roots;
	char *reason;              /* admin's text for deny messages, or NULL */
	enum tg_local_images local_images; /* images made on this host, named under this rule */
	bool all_roots;            /* "trust_roots_required": "all" (default "any") */
	tg_container_rules *container; /* "container": overrides of the policy's, or NULL */
} tg_rule;

/* A named source of signatures that "signed" rules refer to. */
enum tg_trust_root_type { TG_TRUST_ROOT_NOTARY, TG_TRUST_ROOT_SIGSTORE };

typedef struct tg_trust_root {
	char *name;
	enum tg_trust_root_type type;
	char *server;        /* Notary base URL, "https://notary.acme.io:4443" */
	char *server_ca;     /* PEM file with the CA of the server's TLS certificate, or NULL:
	                        the system's CAs */
	char **root_keys;    /* PEM public key files: a repository's root role must be signed
	                        by one of these keys (pinning) */
	size_t n_root_keys;
	char *root_ca;       /* PEM file of a CA that issues root certificates, or NULL */
	bool tofu;           /* trust a repository's first root, then hold it to rotations */
	unsigned timeout_ms; /* one lookup, all fetches included */
	char *credentials;   /* JSON file {"username","password"} for the server's token
	                        service, readable by root only; NULL: anonymous */
	char **public_keys;  /* sigstore: PEM public keys a cosign signature must verify with */
	size_t n_public_keys;
	char *rekor_public_key; /* sigstore: PEM key of the Rekor log whose signed entry a
	                           signature must have, or NULL (no log entry required) */
	char *trusted_root;  /* sigstore: a Sigstore trusted_root.json (certificate authorities
	                        and logs): keyless, or the logs a key-based signature must be in */
	struct tg_sigstore_identity_rule {
		char *subject;   /* the certificate's SAN (URI or email), exactly */
		char *issuer;    /* its OIDC issuer, exactly */
	} *identities;       /* sigstore keyless: who may sign */
	size_t n_identities;
	unsigned long long keys_hash; /* of the key files' contents when the policy was read:
	                                 a key replaced at the same path changes it */
} tg_trust_root;

/* How to reach a registry (for the digest it serves for a tag). */
typedef struct tg_registry {
	char *host;          /* as in image names: "registry.acme.io", "127.0.0.1:5000" */
	char *url;           /* base URL, e.g. "https://registry.acme.io" */
	char *ca;            /* PEM file of its TLS CA, or NULL */
} tg_registry;

/* How long trust lookups are remembered ("cache" in the policy). */
enum tg_cache_setting {
	TG_CACHE_TAG_TTL,        /* tag -> signed digest, and the registry's digest for a tag */
	TG_CACHE_VERDICT_TTL,    /* digest -> verdict per trust root (digests are immutable) */
	TG_CACHE_NEGATIVE_TTL,   /* "not signed" and failed lookups */
	TG_CACHE_STALE_IF_ERROR, /* how old a positive verdict may be used when the server is
	                            unreachable; 0 = never (fail closed) */
	TG_CACHE_MAX_ENTRIES,
	TG_CACHE_SETTING_COUNT
};

typedef struct tg_policy tg_policy;

/* Parse and validate policy text. source names it in messages (a path).
 * *out receives a new policy (tg_policy_free). Errors: TG_EINVAL with
 * "SOURCE:LINE:COLUMN: what is wrong", TG_ETOOBIG, TG_ENOMEM. */
int tg_policy_parse(const char *text, size_t len, const char *source, tg_policy **out,
                    tg_error *err);

/* Read and parse a file (at most TG_POLICY_FILE_MAX bytes). Errors as
 * tg_policy_parse, plus TG_EIO with the errno text. */
int tg_policy_load_file(const char *path, tg_policy **out, tg_error *err);

/* The built-in default: official images allowed, everything else denied
 * with a message on how to allow it. */
int tg_policy_builtin(tg_policy **out, tg_error *err);

void tg_policy_free(tg_policy *p);

/* Where the policy came from, for messages: the file path, or
 * "the built-in default policy". Borrowed. */
const char *tg_policy_source(const tg_policy *p);
bool tg_policy_is_builtin(const tg_policy *p);

enum tg_mode tg_policy_mode(const tg_policy *p);
size_t tg_policy_rule_count(const tg_policy *p);
bool tg_policy_official_images(const tg_policy *p);

/* The most specific rule matching match_name (see tg_reference_match_name),
 * or NULL. Borrowed from p. */
const tg_rule *tg_policy_match(const tg_policy *p, const char *match_name);

/* The verified_publishers entry covering match_name (the entry equals the
 * name's namespace or is a '/'-bounded prefix of it), or NULL. Borrowed. */
const char *tg_policy_verified_publisher(const tg_policy *p, const char *match_name);

bool tg_policy_operation_allowed(const tg_policy *p, enum tg_op_setting which);

/* "operations": {"exec": "check_image"}: an exec is decided again on the
 * container's image, as a start is. */
bool tg_policy_exec_checks_image(const tg_policy *p);

/* The key of an operation setting in "operations", e.g. "build". */
const char *tg_policy_operation_key(enum tg_op_setting which);

const char *tg_requirement_name(enum tg_requirement r);

/* A cache setting (seconds, or entries for TG_CACHE_MAX_ENTRIES). */
long tg_policy_cache_setting(const tg_policy *p, enum tg_cache_setting which);

/* The trust root named name, or NULL. Borrowed from p. */
const tg_trust_root *tg_policy_trust_root(const tg_policy *p, const char *name);

/* The container rules in force for an image under rule (NULL: the
 * policy's alone): each action and list from the rule's "container" when it
 * sets it, else the policy's. *out borrows from p. */
void tg_policy_container_rules(const tg_policy *p, const tg_rule *rule, tg_container_rules *out);

/* How many trust roots p defines, and the i-th (i < count; borrowed). */
size_t tg_policy_trust_root_count(const tg_policy *p);
const tg_trust_root *tg_policy_trust_root_at(const tg_policy *p, size_t i);

/* The registry entry for host (an image name's domain, compared in lower
 * case), or NULL when the policy has none (defaults apply). Borrowed. */
const tg_registry *tg_policy_registry(const tg_policy *p, const char *host);

/* Glob match as rules use it. Exposed for tests. */
bool tg_policy_glob_match(const char *pattern, const char *name);

#endif
