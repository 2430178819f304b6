/* reference: image references normalized exactly as Docker's
 * distribution/reference ParseNormalizedNamed does (as vendored in dockerd
 * 20.10, the daemon trustgate is tested against), so that the name trustgate
 * decides on is the name the daemon pulls or runs.
 *
 * Where dockerd versions disagree on a string (e.g. an upper-case first path
 * component without '.', ':' or "localhost", or IPv6 hosts), parsing fails
 * with TG_EAMBIGUOUS so the caller denies.
 *
 * Pure functions, no I/O, thread-safe. tg_reference is a plain value type.
 */
#ifndef TG_REFERENCE_H
#define TG_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/tg_error.h"

#define TG_REF_NAME_MAX 255   /* distribution/reference NameTotalLengthMax */
#define TG_REF_TAG_MAX 128
#define TG_REF_DIGEST_MAX 160 /* "sha512:" + 128 hex, with room */

typedef struct tg_reference {
	char domain[TG_REF_NAME_MAX + 1]; /* as written: "docker.io", "127.0.0.1:5000" */
	char path[TG_REF_NAME_MAX + 1];   /* "library/alpine", "team/app" */
	char tag[TG_REF_TAG_MAX + 1];     /* "" when the reference has no tag */
	char digest[TG_REF_DIGEST_MAX + 1]; /* "" or "sha256:<64 lower hex>" */
} tg_reference;

/* Parse s as ParseNormalizedNamed does: "alpine" -> docker.io/library/alpine,
 * "index.docker.io/x/y" -> docker.io/x/y, tag and digest kept as written.
 * No default tag is added (see tg_reference_tag_or_latest).
 * Errors: TG_EINVAL with a message naming the problem (empty, upper case in
 * the repository path, 64-hex string, bad tag/digest, too long),
 * TG_EAMBIGUOUS where dockerd versions read s differently. *out is written
 * only on success. */
int tg_reference_parse(const char *s, tg_reference *out, tg_error *err);

/* Apply the `tag` query parameter of POST /images/create the way the daemon
 * does: a valid digest ("sha256:<hex>") replaces any digest and drops the
 * tag; anything else is set as the tag (must be a valid tag). An empty
 * tag_or_digest leaves ref unchanged. Errors: TG_EINVAL. */
int tg_reference_apply_pull_tag(tg_reference *ref, const char *tag_or_digest,
                                tg_error *err);

/* True when s names an image by ID rather than by name: 64 lower-case hex
 * characters, or "sha256:" followed by them. (Short ID prefixes are
 * indistinguishable from names; the daemon resolves those.) */
bool tg_reference_is_image_id(const char *s);

/* True when s is a valid digest "algorithm:hex" that the daemon accepts
 * (sha256 with 64, sha384 with 96, sha512 with 128 lower-case hex). */
bool tg_reference_is_digest(const char *s);

/* True when the reference names no tag and no digest. */
bool tg_reference_is_name_only(const tg_reference *ref);

/* Write "domain/path" into buf (size n). Returns the length written, or
 * TG_ETOOBIG if buf is too small (buf then holds ""). */
int tg_reference_repository(const tg_reference *ref, char *buf, size_t n);

/* Write the repository with the domain lower-cased (host names are
 * case-insensitive, so policy patterns match them so): the string policy
 * rules are matched against. Same return convention. */
int tg_reference_match_name(const tg_reference *ref, char *buf, size_t n);

/* Write the full reference: "domain/path[:tag][@digest]", adding ":latest"
 * when default_latest is true and there is neither tag nor digest (what
 * create/run resolve a bare name to). Same return convention. */
int tg_reference_string(const tg_reference *ref, bool default_latest, char *buf,
                        size_t n);

#endif
