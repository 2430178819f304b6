/* forge_pki: the keys and certificates of tg-sigstore-forge: signing, log
 * keys (Rekor v1 and CT: ECDSA P-256; Rekor v2: Ed25519), a test CA like
 * Fulcio's (root + intermediate), Fulcio-style leaf certificates with an
 * embedded SCT, and a timestamp authority's root and leaf.
 *
 * Every function succeeds or exits (see forge_util.h). What a function
 * returns is the caller's to free, with the free function named. */
#ifndef TG_FORGE_PKI_H
#define TG_FORGE_PKI_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "forge_util.h"

#define CA_ORG "trustgate-test"             /* O of every CA and TSA subject */
#define CA_ROOT_CN "trustgate-test-ca"      /* CN of the test CA's root */
#define TSA_ROOT_CN "trustgate-test-tsa-root" /* CN of the TSA's root */
/* The SAN that SCT_TAMPERED's SCT was made over (and a wrong identity). */
#define WRONG_ID_URI "https://github.com/example/other/.github/workflows/release.yml@refs/heads/main"

/* A certificate and its private key; free with keyed_cert_free. */
typedef struct {
	X509 *cert;
	EVP_PKEY *key;
} keyed_cert;

/* A CA like Fulcio's: root and intermediate; free both with keyed_cert_free. */
typedef struct {
	keyed_cert root, inter;
} test_ca;

/* A transparency log's key; free with log_key_free. */
typedef struct {
	EVP_PKEY *key;
	bytes der;           /* SubjectPublicKeyInfo (OPENSSL_malloc'd) */
	hash32 id;           /* the log id: SHA-256 of der (v1), C2SP key id (v2) */
	const char *details; /* the trusted root's keyDetails (static) */
} log_key;

/* A signer's identity: a URI or an email SAN and its OIDC issuer. */
typedef struct {
	int email;
	const char *value, *issuer;
} identity;

/* How a leaf certificate is wrong, if it is: valid only T-900 .. T-300;
 * issued by the CA in no trusted root; no extended key usage; self-signed. */
typedef enum { C_GOOD, C_EXPIRED, C_OTHER_CA, C_NO_EKU, C_SELF_SIGNED } cert_fault;

/* The leaf's SCT: from the CT log; from a CT log in no root; over another
 * TBS (a SAN other than the leaf's); none. */
typedef enum { SCT_GOOD, SCT_OTHER_LOG, SCT_TAMPERED, SCT_NONE } sct_fault;

/* What make_leaf makes a leaf from, all borrowed: the integrated time T,
 * the CA of the trusted roots and one in none (for C_OTHER_CA), the CT log
 * of the trusted roots and one in none (for SCT_OTHER_LOG). */
typedef struct {
	time_t t;
	const test_ca *ca, *other_ca;
	const log_key *ctlog, *other_ctlog;
} leaf_issuers;

/* ---- keys and signatures ---- */

/* A new EC key on curve ("P-256", "P-384"). The caller frees (EVP_PKEY_free). */
EVP_PKEY *ec_key(const char *curve);

/* A new Ed25519 key. The caller frees (EVP_PKEY_free). */
EVP_PKEY *ed25519_key(void);

/* key's one-shot signature over the n bytes at data with digest md (NULL
 * for Ed25519: the raw 64 bytes). The caller frees it (bytes_free). */
bytes sign_with(EVP_PKEY *key, const EVP_MD *md, const void *data, size_t n);

/* sign_with SHA-256: for an EC key, an ASN.1 DER ECDSA signature. */
bytes sign_sha256(EVP_PKEY *key, const void *data, size_t n);

/* sign_sha256, in base64. The caller frees (free). */
char *sign_b64(EVP_PKEY *key, const void *data, size_t n);

/* A new Rekor v1 or CT log key: P-256, its id SHA-256 of its DER SPKI. */
log_key new_log_key(void);

/* A new Rekor v2 log key: Ed25519, its id the C2SP signed-note key id of
 * the signer name: SHA-256(name || "\n" || 0x01 || 32-byte public key). */
log_key new_v2_log_key(const char *name);

/* Frees k's key and DER; k's fields are left dangling. */
void log_key_free(log_key *k);

/* ---- certificates ---- */

/* A new test CA: root (self-signed) and intermediate, ECDSA P-384, valid
 * now +-30 days. */
test_ca make_ca(time_t now);

/* A new Fulcio-style leaf (P-256, empty subject, key usage digitalSignature,
 * EKU codeSigning, critical SAN and the OIDC issuer extensions of id), valid
 * T-300 .. T+600 (T is is->t), issued by is->ca's intermediate, carrying one
 * SCT of is->ctlog made 10 s after its notBefore (the leaf is signed again
 * after the SCT is added); cf and scf make it wrong in one way. The caller
 * frees it (keyed_cert_free). */
keyed_cert make_leaf(const leaf_issuers *is, cert_fault cf, sct_fault scf, const identity *id);

/* A new timestamp authority into *root and *leaf: its own root (as the test
 * CA's) and a leaf, ECDSA P-256, valid now +-30 days, for time stamping
 * only (the extended key usage critical, as RFC 3161 2.3 requires). */
void make_tsa(time_t now, keyed_cert *root, keyed_cert *leaf);

/* Another timestamping leaf of root, as make_tsa makes them (a sibling of
 * the authority's own: the same CA, another authority). */
void make_tsa_leaf(time_t now, const keyed_cert *root, keyed_cert *leaf);

/* Frees c's certificate and key (either may be NULL). */
void keyed_cert_free(keyed_cert *c);

/* Base64 of x's DER. The caller frees (free). */
char *cert_der_b64(X509 *x);

/* Base64 of x in PEM, as Rekor records a public key. The caller frees (free). */
char *cert_pem_b64(X509 *x);

#endif
