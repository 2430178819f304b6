/* notary: is this image signed in a Notary v1 (Docker Content Trust)
 * repository? A TUF client that does all verification itself.
 *
 * For one GUN (the repository name with its registry host, as Docker uses
 * it: "registry.acme.io/team/app"), a lookup:
 *   1. establishes the repository's root of trust: the root the host already
 *      holds for it (state_dir), moved forward only through a valid rotation
 *      (each "<v>.root.json" signed by the old and the new root keys); or, the
 *      first time, a root whose keys match a pinned key, whose certificate
 *      chains to the pinned root CA (with CN = GUN), or, with tofu, any
 *      self-signed root, which is then recorded;
 *   2. fetches timestamp.json, then snapshot, targets and targets/releases by
 *      their hashed names, each checked against the length and hashes its
 *      parent declares, signed by its role's keys to threshold, not expired,
 *      and not older than the last version this host saw (rollback);
 *   3. finds the tag's (or digest's) signed target, in targets/releases first
 *      (within its delegated paths), then targets, as the docker CLI did.
 * Last-seen versions and the trusted root are written to state_dir
 * atomically.
 *
 * The network is a callback, so the same code runs against a server or a
 * directory of files. Thread-safe for different GUNs; concurrent lookups of
 * one GUN may race on its state file (each write is atomic; the versions
 * kept are the newest either saw).
 */
#ifndef TG_NOTARY_H
#define TG_NOTARY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/tg_buf.h"
#include "common/tg_error.h"

/* Fetch one metadata file of gun: "root.json", "3.root.json",
 * "timestamp.json", "snapshot.<sha256 hex>.json", "targets.<hex>.json",
 * "targets/releases.<hex>.json". At most max bytes (TG_ETOOBIG beyond).
 * Return TG_ENOTFOUND when the server has no such file (HTTP 404), another
 * code with a message for anything else. */
typedef int (*tg_notary_fetch_fn)(void *ctx, const char *gun, const char *name, size_t max,
                                  tg_buf *out, tg_error *err);

/* How a repository's root is trusted. Build with tg_notary_trust_load. */
typedef struct tg_notary_trust {
	char *name;             /* the trust root's name, for state and messages */
	EVP_PKEY **pinned_keys; /* a root must be signed by one of these */
	size_t n_pinned_keys;
	X509_STORE *root_ca;    /* or issued (CN = GUN) by this CA; NULL when unset */
	bool tofu;              /* or, with neither pin, trusted on first use */
	char *state_dir;        /* where roots and versions are kept; NULL: nowhere */
} tg_notary_trust;

/* Load the PEM files of a trust root: public keys (key_files) and a CA
 * (ca_file, may be NULL). *trust is filled; release with
 * tg_notary_trust_clear. Errors: TG_EIO (unreadable file), TG_EINVAL (not a
 * PEM key or certificate). */
int tg_notary_trust_load(tg_notary_trust *trust, const char *name, char *const *key_files,
                         size_t n_key_files, const char *ca_file, bool tofu, const char *state_dir,
                         tg_error *err);

void tg_notary_trust_clear(tg_notary_trust *trust);

typedef struct tg_notary_target {
	char digest[80];  /* "sha256:<64 hex>" */
	char role[64];    /* "targets/releases" or "targets" */
	char tag[129];    /* the signed tag the digest belongs to */
	long long length; /* manifest size */
} tg_notary_target;

/* Find the signed target for tag in gun's trust data, verified as above
 * at time now. Returns 0 and fills *out; TG_ENOTFOUND when the trust data
 * is valid but has no signature for the tag, or the repository has no trust
 * data at all (err says which); any other code when the trust data could
 * not be fetched or verified (err says what and where). */
int tg_notary_lookup_tag(const tg_notary_trust *trust, tg_notary_fetch_fn fetch, void *ctx,
                         const char *gun, const char *tag, time_t now, tg_notary_target *out,
                         tg_error *err);

/* The same for a digest ("sha256:<hex>"): found when some signed tag of gun
 * has exactly this digest. */
int tg_notary_lookup_digest(const tg_notary_trust *trust, tg_notary_fetch_fn fetch, void *ctx,
                            const char *gun, const char *digest, time_t now,
                            tg_notary_target *out, tg_error *err);

#endif
