/* rekor: transparency-log entries (Rekor v1, as Sigstore bundles and cosign
 * carry them), checked offline against a trusted root's logs.
 *
 * An entry proves a signature was logged in two ways, each checked when it
 * is there:
 * - its signed entry timestamp (the "inclusion promise"): the log's
 *   signature over the canonical JSON
 *   {"body":B64,"integratedTime":N,"logID":"HEX","logIndex":N};
 *   only this makes the entry's integrated time trustworthy;
 * - its inclusion proof: the entry's leaf hash (SHA-256 of 0x00 || body)
 *   leads up the audit path (RFC 9162 section 2.1.3.2) to the root hash of a
 *   tree of treeSize leaves, and the checkpoint (a signed note, C2SP
 *   signed-note: "origin\nsize\nbase64(root)\n..." then a blank line and
 *   "\u2014 name base64(keyhint[4] || signature)" lines) is signed by the
 *   same log and states that size and root hash.
 * The log must be one of the root's (and, with a signed entry timestamp,
 * valid at the integrated time; else the caller checks it at the time it
 * trusts, tg_rekor_log_valid_at). Rekor v2 entries have no integrated time
 * and no promise: their proof and checkpoint (Ed25519 signed notes, the log
 * named by its note key id) are checked the same way. What the body records
 * is checked by tg_rekor_entry_records. Not covered: consistency between
 * checkpoints (there is no log to ask, offline), witness cosignatures
 * (ignored).
 *
 * Pure; thread-safe.
 */
#ifndef TG_REKOR_H
#define TG_REKOR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/tg_error.h"
#include "trustcache/sigstore_root.h"

#define TG_REKOR_PROOF_MAX 64 /* hashes in an audit path (a tree of 2^64 leaves) */

typedef struct {
	unsigned char *body;      /* canonicalizedBody, decoded */
	size_t body_len;
	char *body_b64;           /* canonicalizedBody as given */
	long long log_index, integrated_time; /* integrated_time 0 when absent (Rekor v2) */
	unsigned char log_id[32];
	unsigned char *set;       /* signed entry timestamp, or NULL */
	size_t set_len;
	bool has_proof;
	long long proof_index, tree_size;
	unsigned char root_hash[32];
	unsigned char hashes[TG_REKOR_PROOF_MAX][32];
	size_t n_hashes;
	char *checkpoint;         /* the checkpoint's signed note, or NULL */
} tg_rekor_entry;

/* Read one element of a bundle's verificationMaterial.tlogEntries (protobuf
 * JSON: 64-bit integers as decimal strings, bytes in base64). *out is filled
 * (free with tg_rekor_entry_free, also after a failure). Errors: TG_EINVAL
 * naming the field, TG_ENOMEM. */
int tg_rekor_entry_parse(json_t *v, tg_rekor_entry *out, tg_error *err);

void tg_rekor_entry_free(tg_rekor_entry *e);

/* Check e against root's logs: a known log valid at its integrated time; its
 * signed entry timestamp and inclusion proof, each when present (one at
 * least). *time_trusted says whether the integrated time is proven (a
 * signed entry timestamp verified). Errors: TG_EINVAL with the reason. */
int tg_rekor_entry_verify(const tg_sigstore_root *root, const tg_rekor_entry *e,
                          bool *time_trusted, tg_error *err);

/* A signed entry timestamp alone (cosign's classic bundle annotation).
 * Errors: TG_EINVAL (unknown log, does not verify). */
int tg_rekor_verify_set(const tg_sigstore_root *root, const char *body_b64,
                        long long integrated_time, const unsigned char log_id[32],
                        long long log_index, const unsigned char *set, size_t set_len,
                        tg_error *err);

/* Whether e's log is one of root's, valid at time t. */
bool tg_rekor_log_valid_at(const tg_sigstore_root *root, const tg_rekor_entry *e, time_t t);

/* A signature as a log entry should record it. */
typedef struct {
	const unsigned char *signed_sha256;  /* what was signed: a message's digest, the sha256 of
	                                        a DSSE pre-authentication encoding or a payload */
	const unsigned char *payload_sha256; /* DSSE: the sha256 of the envelope's payload; NULL
	                                        for a message signature */
	const unsigned char *sig;
	size_t sig_len;
	X509 *cert;                          /* keyless: the signing certificate, else NULL */
	EVP_PKEY *key;                       /* key-based: the key that verified, else NULL */
} tg_rekor_signature;

/* Whether the body (JSON) records s: the same signature bytes, the same
 * signer (cert, or key), over the same content. Kinds: hashedrekord 0.0.1
 * (data.hash: signed_sha256, in hex) and 0.0.2 (Rekor v2: data.digest,
 * base64; for a DSSE envelope too, over its encoding), dsse 0.0.1 and
 * intoto 0.0.2 (payloadHash: payload_sha256). Errors: TG_EINVAL (another kind, another
 * signature, signer or hash; the message says which). */
int tg_rekor_entry_records(const unsigned char *body, size_t body_len,
                           const tg_rekor_signature *s, tg_error *err);

#endif
