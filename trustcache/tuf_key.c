/* tuf_key: see tuf_key.h. Parsing turns keyval.public into an EVP_PKEY once;
 * verification then only looks the method up in a small table that says
 * which key types it accepts, and hands the message to OpenSSL's
 * EVP_DigestVerify with the parameters Notary's Go verifiers use. */
#include "trustcache/tuf_key.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/tg_buf.h"
#include "trustcache/b64.h"
#include "trustcache/canonical_json.h"

#define ED25519_KEY_LEN 32
#define ED25519_SIG_LEN 64
#define RSA_MIN_BITS 2048
#define METHOD_NAME_MAX 32

struct tg_tuf_key {
	enum tg_tuf_keytype type;
	EVP_PKEY *pkey; /* owned */
	X509 *cert;     /* owned; x509 types only */
	char id[TG_TUF_KEY_ID_LEN + 1];
};

static const struct {
	const char *name;
	enum tg_tuf_keytype type;
} keytypes[] = {
	{"ecdsa", TG_TUF_KEY_ECDSA},     {"ecdsa-x509", TG_TUF_KEY_ECDSA_X509},
	{"rsa", TG_TUF_KEY_RSA},         {"rsa-x509", TG_TUF_KEY_RSA_X509},
	{"ed25519", TG_TUF_KEY_ED25519},
};

enum method { M_ECDSA, M_RSAPSS, M_RSAPKCS1, M_EDDSA };

static const struct {
	const char *name;
	enum method m;
} methods[] = {
	{"ecdsa", M_ECDSA},
	{"rsapss", M_RSAPSS},
	{"rsapkcs1v15", M_RSAPKCS1},
	{"eddsa", M_EDDSA},
};

const char *tg_tuf_key_type_name(enum tg_tuf_keytype type)
{
	for (size_t i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++) {
		if (keytypes[i].type == type)
			return keytypes[i].name;
	}
	return "unknown";
}

static int lookup_keytype(const char *name, enum tg_tuf_keytype *out)
{
	for (size_t i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++) {
		if (strcmp(keytypes[i].name, name) == 0) {
			*out = keytypes[i].type;
			return 1;
		}
	}
	return 0;
}

static int is_ec_type(enum tg_tuf_keytype t)
{
	return t == TG_TUF_KEY_ECDSA || t == TG_TUF_KEY_ECDSA_X509;
}

static int is_rsa_type(enum tg_tuf_keytype t)
{
	return t == TG_TUF_KEY_RSA || t == TG_TUF_KEY_RSA_X509;
}

/* Go's x509 package knows only the NIST curves; refuse the others. */
static int check_ec_curve(EVP_PKEY *pkey, tg_error *err)
{
	char name[64];
	size_t len = 0;
	if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1)
		return tg_error_set(err, TG_EINVAL, "EC key has no named curve");
	int nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1 &&
	    nid != NID_secp224r1)
		return tg_error_set(err, TG_EINVAL, "EC curve %s is not supported", name);
	return TG_OK;
}

/* The key must be of the algorithm its keytype names. */
static int check_algorithm(enum tg_tuf_keytype type, EVP_PKEY *pkey, tg_error *err)
{
	int id = EVP_PKEY_get_base_id(pkey);
	if (is_ec_type(type)) {
		if (id != EVP_PKEY_EC)
			return tg_error_set(err, TG_EINVAL, "%s key does not hold an EC public key",
					    tg_tuf_key_type_name(type));
		return check_ec_curve(pkey, err);
	}
	if (is_rsa_type(type) && id != EVP_PKEY_RSA)
		return tg_error_set(err, TG_EINVAL, "%s key does not hold an RSA public key",
				    tg_tuf_key_type_name(type));
	return TG_OK;
}

/* DER SubjectPublicKeyInfo, wholly consumed (Go refuses trailing data). */
static int parse_spki(const unsigned char *der, size_t len, EVP_PKEY **out, tg_error *err)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey == NULL)
		return tg_error_set(err, TG_EINVAL, "public key is not a DER SubjectPublicKeyInfo");
	if (p != der + len) {
		EVP_PKEY_free(pkey);
		return tg_error_set(err, TG_EINVAL, "trailing data after DER public key");
	}
	*out = pkey;
	return TG_OK;
}

/* First PEM block, which must be a CERTIFICATE holding exactly one DER
 * certificate (Go: pem.Decode then x509.ParseCertificate). */
static int parse_cert(const unsigned char *pem, size_t len, X509 **out, tg_error *err)
{
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	X509 *cert = NULL;
	int rc = TG_OK;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory reading certificate");
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) != 1) {
		rc = tg_error_set(err, TG_EINVAL, "public key is not a PEM certificate");
		goto out;
	}
	if (strcmp(name, "CERTIFICATE") != 0) {
		rc = tg_error_set(err, TG_EINVAL, "PEM block is \"%s\", not CERTIFICATE", name);
		goto out;
	}
	const unsigned char *p = der;
	cert = d2i_X509(NULL, &p, derlen);
	if (cert == NULL || p != der + derlen) {
		rc = tg_error_set(err, TG_EINVAL, "PEM certificate does not parse as X.509");
		goto out;
	}
	*out = cert;
	cert = NULL;
out:
	X509_free(cert);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

static int load_public(struct tg_tuf_key *k, const unsigned char *pub, size_t len, tg_error *err)
{
	switch (k->type) {
	case TG_TUF_KEY_ECDSA:
	case TG_TUF_KEY_RSA:
		return parse_spki(pub, len, &k->pkey, err);
	case TG_TUF_KEY_ECDSA_X509:
	case TG_TUF_KEY_RSA_X509: {
		int rc = parse_cert(pub, len, &k->cert, err);
		if (rc != TG_OK)
			return rc;
		k->pkey = X509_get_pubkey(k->cert);
		if (k->pkey == NULL)
			return tg_error_set(err, TG_EINVAL, "certificate public key is unreadable");
		return TG_OK;
	}
	case TG_TUF_KEY_ED25519:
		if (len != ED25519_KEY_LEN)
			return tg_error_set(err, TG_EINVAL, "ed25519 public key is %zu bytes, not %d",
					    len, ED25519_KEY_LEN);
		k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, len);
		if (k->pkey == NULL)
			return tg_error_set(err, TG_EINVAL, "ed25519 public key is unreadable");
		return TG_OK;
	}
	return tg_error_set(err, TG_EINVAL, "unknown key type");
}

/* Key ID: sha256 of the canonical JSON of the key with private = null and
 * the public bytes re-encoded, as TUFKey.ID builds it. */
static int compute_id(struct tg_tuf_key *k, const char *typename, const unsigned char *pub,
		      size_t len, tg_error *err)
{
	tg_buf b64, canon;
	tg_buf_init(&b64, 2 * TG_TUF_KEY_PUBLIC_MAX);
	tg_buf_init(&canon, 3 * TG_TUF_KEY_PUBLIC_MAX);
	json_t *obj = NULL;
	int rc = tg_b64_encode(pub, len, &b64, err);
	if (rc != TG_OK)
		goto out;
	obj = json_pack("{s:s,s:{s:n,s:s%}}", "keytype", typename, "keyval", "private",
			"public", tg_buf_str(&b64), b64.len);
	if (obj == NULL) {
		rc = tg_error_set(err, TG_ENOMEM, "out of memory computing key ID");
		goto out;
	}
	rc = tg_canonical_json_write(obj, &canon, err);
	if (rc != TG_OK)
		goto out;
	unsigned char md[32];
	if (EVP_Digest(canon.data, canon.len, md, NULL, EVP_sha256(), NULL) != 1) {
		rc = tg_error_set(err, TG_ENOMEM, "SHA-256 failed computing key ID");
		goto out;
	}
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(k->id + 2 * i, 3, "%02x", md[i]);
out:
	json_decref(obj);
	tg_buf_free(&b64);
	tg_buf_free(&canon);
	return rc;
}

/* keytype and decoded keyval.public of obj; *pub is malloc'd. */
static int read_key_fields(const json_t *obj, const char **typename, enum tg_tuf_keytype *type,
			   unsigned char **pub, size_t *publen, tg_error *err)
{
	if (!json_is_object(obj))
		return tg_error_set(err, TG_EINVAL, "key is not a JSON object");
	const json_t *kt = json_object_get(obj, "keytype");
	if (!json_is_string(kt))
		return tg_error_set(err, TG_EINVAL, "key has no \"keytype\" string");
	if (!lookup_keytype(json_string_value(kt), type))
		return tg_error_set(err, TG_EINVAL, "unknown key type \"%.64s\"",
				    json_string_value(kt));
	const json_t *kv = json_object_get(obj, "keyval");
	const json_t *pv = json_is_object(kv) ? json_object_get(kv, "public") : NULL;
	if (!json_is_string(pv))
		return tg_error_set(err, TG_EINVAL, "%s key has no \"keyval\".\"public\" string",
				    json_string_value(kt));
	*typename = json_string_value(kt);
	tg_error sub;
	int rc = tg_b64_decode(json_string_value(pv), json_string_length(pv),
			       TG_TUF_KEY_PUBLIC_MAX, pub, publen, &sub);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "%s key: public value: %s", *typename, sub.msg);
	return TG_OK;
}

int tg_tuf_key_parse(const json_t *obj, tg_tuf_key **out, tg_error *err)
{
	const char *typename = NULL;
	unsigned char *pub = NULL;
	size_t publen = 0;
	enum tg_tuf_keytype type;
	struct tg_tuf_key *k = NULL;
	int rc = read_key_fields(obj, &typename, &type, &pub, &publen, err);
	if (rc != TG_OK)
		goto out;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		rc = tg_error_set(err, TG_ENOMEM, "out of memory parsing key");
		goto out;
	}
	k->type = type;
	rc = load_public(k, pub, publen, err);
	if (rc == TG_OK)
		rc = check_algorithm(type, k->pkey, err);
	if (rc == TG_OK)
		rc = compute_id(k, typename, pub, publen, err);
	if (rc != TG_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	tg_tuf_key_free(k);
	free(pub);
	return rc;
}

void tg_tuf_key_free(tg_tuf_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	X509_free(key->cert);
	free(key);
}

const char *tg_tuf_key_id(const tg_tuf_key *key)
{
	return key->id;
}

enum tg_tuf_keytype tg_tuf_key_type(const tg_tuf_key *key)
{
	return key->type;
}

const EVP_PKEY *tg_tuf_key_pkey(const tg_tuf_key *key)
{
	return key->pkey;
}

const X509 *tg_tuf_key_cert(const tg_tuf_key *key)
{
	return key->cert;
}

/* Seconds from the epoch to t, through ASN1_TIME_diff (no timegm needed). */
static int asn1_to_time_t(const ASN1_TIME *t, time_t *out)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int day = 0, sec = 0;
	int ok = epoch != NULL && ASN1_TIME_diff(&day, &sec, epoch, t) == 1;
	ASN1_TIME_free(epoch);
	if (!ok)
		return TG_EINVAL;
	*out = (time_t)day * 86400 + sec;
	return TG_OK;
}

int tg_tuf_key_validity(const tg_tuf_key *key, time_t *not_before, time_t *not_after,
			tg_error *err)
{
	if (key->cert == NULL)
		return tg_error_set(err, TG_ENOTFOUND, "%s key %s has no certificate",
				    tg_tuf_key_type_name(key->type), key->id);
	time_t nb, na;
	if (asn1_to_time_t(X509_get0_notBefore(key->cert), &nb) != TG_OK ||
	    asn1_to_time_t(X509_get0_notAfter(key->cert), &na) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "certificate of key %s has unreadable validity",
				    key->id);
	*not_before = nb;
	*not_after = na;
	return TG_OK;
}

/* EVP_DigestVerify with md ("SHA256" or NULL for Ed25519) and, for RSA,
 * the given padding. Returns 1 when the signature verifies, 0 when it does
 * not, -1 when OpenSSL could not be set up. */
static int digest_verify(EVP_PKEY *pkey, const char *md, int rsa_padding,
			 const unsigned char *sig, size_t siglen, const unsigned char *msg,
			 size_t msglen)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = -1;
	if (ctx == NULL || EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL) != 1)
		goto out;
	if (rsa_padding != 0) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, rsa_padding) != 1)
			goto out;
		if (rsa_padding == RSA_PKCS1_PSS_PADDING &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
			goto out;
	}
	ok = EVP_DigestVerify(ctx, sig, siglen, msg, msglen) == 1 ? 1 : 0;
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Raw r||s (each half the curve size) to a DER ECDSA-Sig-Value. */
static int ecdsa_raw_to_der(const unsigned char *sig, size_t siglen, unsigned char **der,
			    int *derlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(siglen / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + siglen / 2, (int)(siglen / 2), NULL);
	int rc = TG_ENOMEM;
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	*der = NULL;
	*derlen = i2d_ECDSA_SIG(es, der);
	if (*derlen > 0)
		rc = TG_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

static int verify_ecdsa(const tg_tuf_key *k, const unsigned char *msg, size_t msglen,
			const unsigned char *sig, size_t siglen, tg_error *err)
{
	size_t half = ((size_t)EVP_PKEY_get_bits(k->pkey) + 7) / 8;
	if (siglen != 2 * half)
		return tg_error_set(err, TG_EINVAL, "ecdsa signature is %zu bytes, not %zu", siglen,
				    2 * half);
	unsigned char *der = NULL;
	int derlen = 0;
	if (ecdsa_raw_to_der(sig, siglen, &der, &derlen) != TG_OK)
		return tg_error_set(err, TG_ENOMEM, "out of memory converting ecdsa signature");
	int ok = digest_verify(k->pkey, "SHA256", 0, der, (size_t)derlen, msg, msglen);
	OPENSSL_free(der);
	if (ok < 0)
		return tg_error_set(err, TG_ENOMEM, "OpenSSL could not set up ecdsa verification");
	if (ok == 0)
		return tg_error_set(err, TG_EINVAL, "ecdsa signature does not verify");
	return TG_OK;
}

static int verify_rsa(const tg_tuf_key *k, enum method m, const unsigned char *msg,
		      size_t msglen, const unsigned char *sig, size_t siglen, tg_error *err)
{
	const char *name = m == M_RSAPSS ? "rsapss" : "rsapkcs1v15";
	int bits = EVP_PKEY_get_bits(k->pkey);
	if (bits < RSA_MIN_BITS)
		return tg_error_set(err, TG_EINVAL, "RSA key has %d bits; at least %d required",
				    bits, RSA_MIN_BITS);
	if (siglen != (size_t)EVP_PKEY_get_size(k->pkey))
		return tg_error_set(err, TG_EINVAL, "%s signature is %zu bytes, not %d", name,
				    siglen, EVP_PKEY_get_size(k->pkey));
	int pad = m == M_RSAPSS ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;
	int ok = digest_verify(k->pkey, "SHA256", pad, sig, siglen, msg, msglen);
	if (ok < 0)
		return tg_error_set(err, TG_ENOMEM, "OpenSSL could not set up %s verification", name);
	if (ok == 0)
		return tg_error_set(err, TG_EINVAL, "%s signature does not verify", name);
	return TG_OK;
}

static int verify_eddsa(const tg_tuf_key *k, const unsigned char *msg, size_t msglen,
			const unsigned char *sig, size_t siglen, tg_error *err)
{
	if (siglen != ED25519_SIG_LEN)
		return tg_error_set(err, TG_EINVAL, "eddsa signature is %zu bytes, not %d", siglen,
				    ED25519_SIG_LEN);
	int ok = digest_verify(k->pkey, NULL, 0, sig, siglen, msg, msglen);
	if (ok < 0)
		return tg_error_set(err, TG_ENOMEM, "OpenSSL could not set up eddsa verification");
	if (ok == 0)
		return tg_error_set(err, TG_EINVAL, "eddsa signature does not verify");
	return TG_OK;
}

/* Lower-cased method name looked up in methods[]; 0 when unknown. */
static int lookup_method(const char *name, enum method *out)
{
	char low[METHOD_NAME_MAX];
	size_t n = strlen(name);
	if (n >= sizeof(low))
		return 0;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(methods[i].name, low) == 0) {
			*out = methods[i].m;
			return 1;
		}
	}
	return 0;
}

static int method_fits(enum method m, enum tg_tuf_keytype t)
{
	switch (m) {
	case M_ECDSA: return is_ec_type(t);
	case M_RSAPSS:
	case M_RSAPKCS1: return is_rsa_type(t);
	case M_EDDSA: return t == TG_TUF_KEY_ED25519;
	}
	return 0;
}

int tg_tuf_key_verify(const tg_tuf_key *key, const char *method, const unsigned char *msg,
		      size_t msglen, const unsigned char *sig, size_t siglen, tg_error *err)
{
	enum method m;
	if (!lookup_method(method, &m))
		return tg_error_set(err, TG_EINVAL, "unknown signature method \"%.32s\"", method);
	if (!method_fits(m, key->type))
		return tg_error_set(err, TG_EINVAL, "signature method %.32s cannot be used with a %s key",
				    method, tg_tuf_key_type_name(key->type));
	switch (m) {
	case M_ECDSA: return verify_ecdsa(key, msg, msglen, sig, siglen, err);
	case M_RSAPSS:
	case M_RSAPKCS1: return verify_rsa(key, m, msg, msglen, sig, siglen, err);
	case M_EDDSA: return verify_eddsa(key, msg, msglen, sig, siglen, err);
	}
	return tg_error_set(err, TG_EINVAL, "unknown signature method \"%.32s\"", method);
}
