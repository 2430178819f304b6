/* tuf_key: one TUF public key as Notary writes it, and signature checks
 * with it.
 *
 * A key object is {"keytype": T, "keyval": {"public": B64, "private": null}}
 * (tuf/data/keys.go TUFKey). keyval.public holds, by keytype:
 *   ecdsa       DER SubjectPublicKeyInfo of an EC key (P-224/256/384/521)
 *   rsa         DER SubjectPublicKeyInfo of an RSA key
 *   ecdsa-x509  a PEM certificate whose key is EC
 *   rsa-x509    a PEM certificate whose key is RSA
 *   ed25519     the 32 raw public key bytes
 * The key ID is the hex SHA-256 of the canonical JSON of
 * {"keytype":T,"keyval":{"private":null,"public":B64}} with the public bytes
 * re-encoded (TUFKey.ID): for x509 types that is the ID of the certificate
 * form, not of the bare public key inside it.
 *
 * Signature methods (tuf/signed/verifiers.go; method names are compared
 * case-insensitively, as Notary lower-cases them when decoding):
 *   ecdsa        ecdsa/ecdsa-x509 keys; SHA-256 of the message whatever the
 *                curve; signature is raw r||s, each half the curve size
 *   rsapss       rsa/rsa-x509 keys >= 2048 bits; SHA-256, MGF1-SHA-256,
 *                salt length 32; signature >= 256 bytes
 *   rsapkcs1v15  rsa/rsa-x509 keys >= 2048 bits; PKCS#1 v1.5 with SHA-256
 *   eddsa        ed25519 keys; Ed25519 over the message; 64-byte signature
 * Notary's "pycrypto-pkcs#1 pss" is not supported (unknown method).
 *
 * A tg_tuf_key is immutable after parsing; all functions taking a const key
 * are thread-safe.
 */
#ifndef TG_TUF_KEY_H
#define TG_TUF_KEY_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/tg_error.h"

enum tg_tuf_keytype {
	TG_TUF_KEY_ECDSA,
	TG_TUF_KEY_ECDSA_X509,
	TG_TUF_KEY_RSA,
	TG_TUF_KEY_RSA_X509,
	TG_TUF_KEY_ED25519,
};

/* Hex key IDs are 64 characters; buffers hold one more for the NUL. */
#define TG_TUF_KEY_ID_LEN 64
/* Largest decoded keyval.public accepted (a PEM certificate fits easily). */
#define TG_TUF_KEY_PUBLIC_MAX (64 * 1024)

typedef struct tg_tuf_key tg_tuf_key;

/* Parse the key object obj (borrowed). On success *out is a new key the
 * caller frees with tg_tuf_key_free. keyval.private is ignored, as Notary
 * ignores it for the ID. Errors: TG_EINVAL (not an object, unknown keytype,
 * public not base64, DER/PEM unreadable, key algorithm not the keytype's,
 * unsupported curve), TG_ETOOBIG, TG_ENOMEM. */
int tg_tuf_key_parse(const json_t *obj, tg_tuf_key **out, tg_error *err);

/* Free a key. Accepts NULL. */
void tg_tuf_key_free(tg_tuf_key *key);

/* The key ID: 64 lower-case hex characters. Borrowed, lives as long as key. */
const char *tg_tuf_key_id(const tg_tuf_key *key);

/* The key type, and its TUF name ("ecdsa-x509", ...; never NULL). */
enum tg_tuf_keytype tg_tuf_key_type(const tg_tuf_key *key);
const char *tg_tuf_key_type_name(enum tg_tuf_keytype type);

/* The public key. Borrowed (EVP_PKEY_up_ref it to keep it longer). */
const EVP_PKEY *tg_tuf_key_pkey(const tg_tuf_key *key);

/* The certificate of an x509 key, NULL for the other types. Borrowed. */
const X509 *tg_tuf_key_cert(const tg_tuf_key *key);

/* Validity window of an x509 key's certificate, as seconds since the epoch.
 * Outputs set only on success. Errors: TG_ENOTFOUND (not an x509 key),
 * TG_EINVAL (times unreadable). */
int tg_tuf_key_validity(const tg_tuf_key *key, time_t *not_before, time_t *not_after,
			tg_error *err);

/* Check that sig (siglen bytes, already base64-decoded) is a signature by
 * key over msg with the named method. Returns 0 when it verifies.
 * Errors, all TG_EINVAL with a distinct message: unknown method, method that
 * does not fit the key type, RSA key under 2048 bits, signature of the wrong
 * length, signature that does not verify. TG_ENOMEM on allocation failure. */
int tg_tuf_key_verify(const tg_tuf_key *key, const char *method, const unsigned char *msg,
		      size_t msglen, const unsigned char *sig, size_t siglen, tg_error *err);

#endif
