/* forge_log: the transparency logs and the timestamp authority of
 * tg-sigstore-forge: Rekor v1 entries (RFC 6962 Merkle tree, inclusion
 * proof, signed checkpoint, signed entry timestamp), Rekor v2 entries
 * (Ed25519 checkpoint, no SET), the entry bodies as Rekor canonicalizes
 * them, and RFC 3161 signed timestamps.
 *
 * Every function succeeds or exits (see forge_util.h). What a function
 * returns is the caller's to free, as said for each. */
#ifndef TG_FORGE_LOG_H
#define TG_FORGE_LOG_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "forge_pki.h"
#include "forge_util.h"

#define LOG_HOST "rekor.test.example"      /* Rekor v1: the checkpoint's signer name */
#define LOG_ORIGIN LOG_HOST " - 1234567890" /* ... and its origin line */
#define V2_HOST "log2026.rekor.test.example" /* Rekor v2: origin line and signer name */
#define MAX_LEAVES 16                        /* the largest tree an entry sits in */

/* How a log entry is wrong, if it is: one byte of the inclusion proof
 * flipped; the root hash (and checkpoint) of another tree; the checkpoint
 * signed by a rogue key; the SET signed by a rogue key; no entry at all
 * (for the caller: no function here makes one). */
typedef enum { L_GOOD, L_PROOF_BYTE, L_ROOT_HASH, L_CKPT_KEY, L_SET_KEY, L_NO_ENTRY } log_fault;

/* Where an entry sits: a tree of size leaves (1 .. MAX_LEAVES; 2 or more
 * for L_PROOF_BYTE), at index; with an inclusion proof or (Rekor v1 only)
 * the SET alone; in the Rekor v1 or v2 log. */
typedef struct {
	size_t size, index;
	int with_proof;
	log_fault fault;
	int v2; /* in the Rekor v2 log */
} placement;

/* The logs, all borrowed: t, the integrated time of Rekor v1 entries; the
 * Rekor v1 log (its key signs checkpoints and SETs); the Rekor v2 log; the
 * keys that sign in their place for L_CKPT_KEY and L_SET_KEY (rogue: ECDSA,
 * for v1; rogue_ed: Ed25519, for v2). */
typedef struct {
	time_t t;
	const log_key *v1, *v2;
	EVP_PKEY *rogue, *rogue_ed;
} test_logs;

/* ---- log entries (a bundle's tlogEntries[]) ---- */

/* A Rekor v1 TransparencyLogEntry for body (canonical JSON, as the
 * *_body functions make) of kind ("hashedrekord", "dsse"), version 0.0.1,
 * at p (not v2): log id, integrated time, SET, the inclusion proof with its
 * checkpoint if p->with_proof, the body in base64. A new reference. */
json_t *tlog_entry(const test_logs *logs, const char *body, const char *kind,
                   const placement *p);

/* A Rekor v2 TransparencyLogEntry (hashedrekord 0.0.2) for body at p
 * (v2, with_proof): no integrated time, no SET; the inclusion proof and
 * its Ed25519 checkpoint are all there is. A new reference. */
json_t *tlog_entry_v2(const test_logs *logs, const char *body, const placement *p);

/* ---- entry bodies, as Rekor canonicalizes them (sorted keys, no spaces);
 * each malloc'd, the caller frees ---- */

/* hashedrekord 0.0.1: the artifact's SHA-256 (hex), the signature and the
 * leaf's PEM (both base64). */
char *hashedrekord_body(const char *sha_hex, const char *sig_b64, const char *pem_b64);

/* dsse 0.0.1: the SHA-256 (hex) of the envelope and of its payload, the
 * signature and the leaf's PEM (both base64). */
char *dsse_body(const char *env_hex, const char *payload_hex, const char *sig_b64,
                const char *pem_b64);

/* Rekor v2's hashedrekord 0.0.2 (rekor-tiles): the digest that was signed
 * (of the artifact, or of the DSSE PAE), the signature (base64), the
 * certificate verifier (borrowed). */
char *hashedrekord_v2_body(const hash32 *digest, const char *sig_b64, X509 *verifier);

/* ---- RFC 3161 signed timestamps ---- */

/* A DER TimeStampResp (status granted + token) in base64 of the TSA tsa
 * (its leaf: signer certificate and key; borrowed) for SHA-256 of the n
 * bytes at data, genTime when, policy 1.3.6.1.4.1.57264.2 (as Sigstore's
 * TSA); the signer certificate embedded if cert_req. The caller frees. */
char *timestamp_b64(const keyed_cert *tsa, const void *data, size_t n, time_t when,
                    int cert_req);

#endif
