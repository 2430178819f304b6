/* sigstore_internal: what the Sigstore verifier's parts share (the trusted
 * root's insides, read by the certificate and transparency-log checks). Not
 * a public contract: see sigstore_root.h, sigstore_cert.h, rekor.h and
 * sigstore_bundle.h. */
#ifndef TG_SIGSTORE_INTERNAL_H
#define TG_SIGSTORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trustcache/sigstore_root.h"

#define TGS_MAX_CAS 32
#define TGS_MAX_LOGS 32

/* A validity window; end == 0 means open-ended. */
struct tgs_window {
	time_t start, end;
};

struct tgs_ca {
	STACK_OF(X509) *chain; /* issuing certificate first, root last */
	struct tgs_window valid;
};

struct tgs_log {
	EVP_PKEY *key;
	unsigned char id[32]; /* sha256 of the key's DER, as logs name themselves */
	struct tgs_window valid;
};

struct tg_sigstore_root {
	struct tgs_ca cas[TGS_MAX_CAS];
	size_t n_cas;
	struct tgs_log logs[TGS_MAX_LOGS];
	size_t n_logs;
	struct tgs_ca tsas[TGS_MAX_CAS]; /* timestamp authorities: the TSA's certificate first */
	size_t n_tsas;
	struct tgs_log ctlogs[TGS_MAX_LOGS]; /* certificate-transparency logs */
	size_t n_ctlogs;
};

/* Seconds since the epoch of a broken-down UTC time. */
time_t tgs_utc_seconds(int year, int month, int day, int hour, int min, int sec);

bool tgs_window_has(const struct tgs_window *w, time_t t);

/* The log whose id is id (32 bytes), or NULL. */
const struct tgs_log *tgs_root_log(const tg_sigstore_root *root, const unsigned char *id);

/* Whether sig is key's signature over msg: SHA-256 for ECDSA and RSA
 * (PKCS#1 v1.5), Ed25519 over msg as is. */
bool tgs_signature_checks(EVP_PKEY *key, const unsigned char *msg, size_t len,
                          const unsigned char *sig, size_t sig_len);

/* The same over a SHA-256 digest already computed (no Ed25519). */
bool tgs_digest_signature_checks(EVP_PKEY *key, const unsigned char digest[32],
                                 const unsigned char *sig, size_t sig_len);

/* The base64 string s decoded (at most max bytes); NULL s is an error. */
int tgs_b64(const char *s, size_t max, unsigned char **out, size_t *len, tg_error *err);

#endif
