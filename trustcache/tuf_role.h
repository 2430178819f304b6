/* tuf_role: offline checks of Notary (TUF) metadata documents.
 *
 * A document is {"signed": {...}, "signatures": [{"keyid","method","sig"}]}.
 * Its signatures cover the canonical JSON of "signed" (canonical_json.h).
 * A role (tg_tuf_role) is what a parent says may sign a document: a name, a
 * threshold and a set of keys (from root.json for the base roles, from the
 * parent's "delegations" for targets/<x>), plus path prefixes for
 * delegations. Verifying a document counts valid signatures from distinct
 * keys of the role against its threshold, then compares "expires" with a
 * time the caller passes in.
 *
 * Typical use, for one GUN (the network and caches live elsewhere):
 *   tg_tuf_doc_parse("root", ...)           -> root
 *   tg_tuf_root_role(root, "root")          -> verify root itself
 *   tg_tuf_root_role(root, "timestamp")     -> verify timestamp
 *   tg_tuf_meta_get(timestamp, "snapshot")  -> tg_tuf_filemeta_check(snapshot bytes)
 *   ... snapshot -> targets -> tg_tuf_targets_delegation -> targets/releases
 *   tg_tuf_targets_get(doc, "tag")          -> sha256 of the manifest
 *
 * Parsing (tg_tuf_doc_parse) checks the structure Notary checks when it
 * decodes each type (tuf/data/{root,timestamp,snapshot,targets}.go): _type,
 * version >= 1, expires, and per type the required meta hashes, the four
 * base roles of root, the delegation names and their key IDs. It does not
 * check signatures or expiry; those are tg_tuf_doc_verify.
 *
 * Member names are matched exactly (Go's decoder would also take "Signed" or
 * "SIGNED"); duplicate member names are refused.
 *
 * All objects are immutable after construction except a tg_tuf_role while
 * keys are being added; functions on const objects are thread-safe. No
 * globals; no I/O; no clock (the caller passes "now").
 */
#ifndef TG_TUF_ROLE_H
#define TG_TUF_ROLE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "common/tg_error.h"
#include "trustcache/tuf_key.h"

/* Size caps on a document's bytes: Notary's own limit for timestamp.json
 * (notary.MaxTimestampSize) and a cap for the others (Notary allows
 * 100 MiB; a repository with that much metadata is refused here). */
#define TG_TUF_TIMESTAMP_MAX (1024 * 1024)
#define TG_TUF_DOC_MAX (32 * 1024 * 1024)
/* Caps on counts within one document. */
#define TG_TUF_MAX_SIGNATURES 64
#define TG_TUF_MAX_ROLE_KEYS 64
#define TG_TUF_MAX_PATHS 1024
#define TG_TUF_MAX_DELEGATIONS 1024
/* Role names: Notary limits delegation names to 255 bytes. */
#define TG_TUF_ROLE_NAME_MAX 256

/* ---- roles ---------------------------------------------------------------- */

typedef struct tg_tuf_role tg_tuf_role;

/* A new role with no keys and no path restriction (every target allowed).
 * threshold must be >= 1. Free with tg_tuf_role_free.
 * Errors: TG_EINVAL (threshold < 1, name empty or too long), TG_ENOMEM. */
int tg_tuf_role_new(const char *name, long long threshold, tg_tuf_role **out, tg_error *err);

/* Add key to role. On success the role owns key; on error the caller still
 * does. Errors: TG_EINVAL (a key with the same ID is already there),
 * TG_ETOOBIG (more than TG_TUF_MAX_ROLE_KEYS), TG_ENOMEM. Not thread-safe
 * with other uses of the same role. */
int tg_tuf_role_add_key(tg_tuf_role *role, tg_tuf_key *key, tg_error *err);

/* Free a role and its keys. Accepts NULL. */
void tg_tuf_role_free(tg_tuf_role *role);

/* Accessors. Strings and keys are borrowed from role. */
const char *tg_tuf_role_name(const tg_tuf_role *role);
long long tg_tuf_role_threshold(const tg_tuf_role *role);
size_t tg_tuf_role_key_count(const tg_tuf_role *role);
const tg_tuf_key *tg_tuf_role_key(const tg_tuf_role *role, size_t i);

/* 1 when target may be signed by role: role has no path restriction, or
 * target starts with one of its paths ("" matches all). 0 otherwise. */
int tg_tuf_role_path_allowed(const tg_tuf_role *role, const char *target);

/* ---- documents ------------------------------------------------------------ */

typedef struct tg_tuf_doc tg_tuf_doc;

/* Parse the len bytes at bytes as the metadata of role ("root",
 * "timestamp", "snapshot", "targets" or a delegation "targets/<x>"), check
 * its structure and compute its canonical signed bytes. Signatures and
 * expiry are NOT checked. On success *out is a new document the caller
 * frees with tg_tuf_doc_free.
 * Errors: TG_ETOOBIG (over TG_TUF_TIMESTAMP_MAX / TG_TUF_DOC_MAX, or a count
 * cap), TG_EINVAL (not JSON, wrong shape or _type, bad version/expires,
 * float in signed, bad role name), TG_EAMBIGUOUS (duplicate member name, or
 * an integer Notary would round), TG_ENOMEM. */
int tg_tuf_doc_parse(const char *role, const void *bytes, size_t len, tg_tuf_doc **out,
		     tg_error *err);

/* Free a document. Accepts NULL. */
void tg_tuf_doc_free(tg_tuf_doc *doc);

/* Accessors; pointers are borrowed from doc. */
const char *tg_tuf_doc_role(const tg_tuf_doc *doc);
long long tg_tuf_doc_version(const tg_tuf_doc *doc);
time_t tg_tuf_doc_expires(const tg_tuf_doc *doc);
const char *tg_tuf_doc_expires_text(const tg_tuf_doc *doc); /* as written */
const json_t *tg_tuf_doc_signed(const tg_tuf_doc *doc);
/* The canonical bytes of "signed" (what signatures cover); *len set. */
const unsigned char *tg_tuf_doc_canonical(const tg_tuf_doc *doc, size_t *len);

/* Count signatures that verify over the canonical bytes with keys of role;
 * each key counts once. Succeeds when the count reaches the threshold.
 * A signature whose keyid is not in role is ignored; one that is in role
 * but fails (bad method, method/key mismatch, bad signature) is not
 * counted, and the first such reason is quoted in the error.
 * Errors: TG_EINVAL, e.g. "targets: only 0 of 1 required signatures valid
 * (key ba15...: ecdsa signature does not verify)", "timestamp: no
 * signatures"; TG_ENOMEM. */
int tg_tuf_doc_check_signatures(const tg_tuf_doc *doc, const tg_tuf_role *role, tg_error *err);

/* TG_EINVAL "timestamp.json expired on 2026-12-07T19:50:13.4Z" when
 * expires is before now (Go: Expires.Before(now)); 0 otherwise. */
int tg_tuf_doc_check_expiry(const tg_tuf_doc *doc, time_t now, tg_error *err);

/* TG_EINVAL when the document's version is below min_version (a rollback;
 * an equal version is allowed, as in Notary's VerifyVersion). */
int tg_tuf_doc_check_version(const tg_tuf_doc *doc, long long min_version, tg_error *err);

/* Signatures against role, then expiry against now. */
int tg_tuf_doc_verify(const tg_tuf_doc *doc, const tg_tuf_role *role, time_t now,
		      tg_error *err);

/* Parse an RFC 3339 date-time ("2026-12-07T19:50:13.413665962Z", offsets
 * "+hh:mm" allowed) to seconds since the epoch, fraction dropped. Exposed
 * for tests and for callers printing times. Errors: TG_EINVAL. */
int tg_tuf_time_parse(const char *text, time_t *out, tg_error *err);

/* ---- root ----------------------------------------------------------------- */

/* Build the role name ("root", "targets", "snapshot" or "timestamp") as root
 * declares it: threshold and the keys its keyids name, each key parsed and
 * its computed ID checked against the ID root files it under.
 * Errors: TG_EINVAL (doc is not root, a key malformed or misfiled),
 * TG_ENOTFOUND (no such role), TG_ETOOBIG, TG_ENOMEM. */
int tg_tuf_root_role(const tg_tuf_doc *root, const char *name, tg_tuf_role **out,
		     tg_error *err);

/* ---- file metadata (timestamp, snapshot, targets) ------------------------ */

typedef struct tg_tuf_filemeta {
	long long length;
	int has_sha256;
	int has_sha512;
	unsigned char sha256[32];
	unsigned char sha512[64];
} tg_tuf_filemeta;

/* The "meta" entry name of a timestamp ("snapshot") or snapshot ("root",
 * "targets", "targets/releases", ...) document. *out set on success.
 * Errors: TG_ENOTFOUND (no entry), TG_EINVAL (doc is not a timestamp or
 * snapshot, entry malformed: length not a non-negative integer, hash not
 * base64 of the right size, no sha256 nor sha512). */
int tg_tuf_meta_get(const tg_tuf_doc *doc, const char *name, tg_tuf_filemeta *out,
		    tg_error *err);

/* Check downloaded bytes against meta: exact length, and every hash given.
 * what names the bytes in messages ("snapshot.json").
 * Errors: TG_EINVAL ("snapshot.json is 1083 bytes, expected 1082",
 * "snapshot.json sha256 mismatch"). */
int tg_tuf_filemeta_check(const tg_tuf_filemeta *meta, const char *what, const void *bytes,
			  size_t len, tg_error *err);

/* ---- targets -------------------------------------------------------------- */

/* The "targets" entry for target (a tag) in a targets or delegation
 * document. Errors: TG_ENOTFOUND, TG_EINVAL (doc not targets, entry
 * malformed, as for tg_tuf_meta_get). */
int tg_tuf_targets_get(const tg_tuf_doc *doc, const char *target, tg_tuf_filemeta *out,
		       tg_error *err);

/* Number of delegations declared by a targets document, and the name of
 * the i-th (borrowed from doc; NULL when i is out of range). */
size_t tg_tuf_targets_delegation_count(const tg_tuf_doc *doc);
const char *tg_tuf_targets_delegation_name(const tg_tuf_doc *doc, size_t i);

/* Build the role for the delegation child declared in doc, a targets
 * document that parent (the role doc was verified with) signs. The child's
 * paths are those of its entry that fall under parent's paths (Notary's
 * RestrictDelegationPathPrefixes); a child without paths can sign nothing.
 * Errors: TG_ENOTFOUND (no such delegation), TG_EINVAL (a key malformed or
 * misfiled), TG_ETOOBIG, TG_ENOMEM. */
int tg_tuf_targets_delegation(const tg_tuf_doc *doc, const tg_tuf_role *parent,
			      const char *child, tg_tuf_role **out, tg_error *err);

#endif
