/* forge_pki: the keys and certificates of tg-sigstore-forge (see
 * forge_pki.h; the tool is described in sigstore_forge.c). Certificates are
 * built with OpenSSL's X509 API as Fulcio issues them: a P-384 CA of root
 * and intermediate, leaves with an empty subject, a critical SAN and the
 * Sigstore OIDC issuer extensions, each with an embedded v1 SCT (RFC 6962)
 * whose signature covers the precertificate entry. */
#include "forge_pki.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ct.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"
#define OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"

#define CA_INTER_CN "trustgate-test-intermediate"
#define TSA_LEAF_CN "trustgate-test-tsa"

#define LEAF_BEFORE 300 /* leaf valid from T-300 ... */
#define LEAF_AFTER 600  /* ... until T+600, Fulcio's 10 minutes */
#define SCT_BEFORE 290 /* the SCT at T-290: the leaf's notBefore + 10 s */

/* ---- keys and signatures ---- */

EVP_PKEY *ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);
	need(k != NULL, "EC key generation");
	return k;
}

/* A one-shot signature: md NULL for Ed25519 (raw 64 bytes). */
bytes sign_with(EVP_PKEY *key, const EVP_MD *md, const void *data, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bytes sig = {NULL, 0};
	need(ctx && EVP_DigestSignInit(ctx, NULL, md, NULL, key) == 1 &&
	         EVP_DigestSign(ctx, NULL, &sig.n, data, n) == 1,
	     "signature init");
	sig.p = xmalloc(sig.n);
	need(EVP_DigestSign(ctx, sig.p, &sig.n, data, n) == 1, "signing");
	EVP_MD_CTX_free(ctx);
	return sig;
}

/* ECDSA with SHA-256, ASN.1 DER signature. */
bytes sign_sha256(EVP_PKEY *key, const void *data, size_t n)
{
	return sign_with(key, EVP_sha256(), data, n);
}

EVP_PKEY *ed25519_key(void)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	need(ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k) == 1,
	     "Ed25519 key generation");
	EVP_PKEY_CTX_free(ctx);
	return k;
}

char *sign_b64(EVP_PKEY *key, const void *data, size_t n)
{
	bytes sig = sign_sha256(key, data, n);
	char *s = b64(sig.p, sig.n);
	bytes_free(&sig);
	return s;
}

log_key new_log_key(void)
{
	log_key k = {ec_key("P-256"), {NULL, 0}, {{0}}, "PKIX_ECDSA_P256_SHA_256"};
	int n = i2d_PUBKEY(k.key, &k.der.p);
	need(n > 0, "public key DER");
	k.der.n = (size_t)n;
	sha256(k.der.p, k.der.n, &k.id);
	return k;
}

/* A Rekor v2 log key: Ed25519, its id the C2SP signed-note key id of the
 * signer name: SHA-256(name || "\n" || 0x01 || 32-byte public key). */
log_key new_v2_log_key(const char *name)
{
	log_key k = {ed25519_key(), {NULL, 0}, {{0}}, "PKIX_ED25519"};
	int n = i2d_PUBKEY(k.key, &k.der.p);
	need(n > 0, "public key DER");
	k.der.n = (size_t)n;
	unsigned char raw[32];
	size_t raw_n = sizeof raw;
	need(EVP_PKEY_get_raw_public_key(k.key, raw, &raw_n) == 1 && raw_n == sizeof raw,
	     "Ed25519 public key");
	size_t name_n = strlen(name), len = name_n + 2 + raw_n;
	unsigned char *buf = xmalloc(len);
	memcpy(buf, name, name_n);
	buf[name_n] = '\n';
	buf[name_n + 1] = 0x01; /* the signature type: Ed25519 */
	memcpy(buf + name_n + 2, raw, raw_n);
	sha256(buf, len, &k.id);
	free(buf);
	return k;
}

void log_key_free(log_key *k)
{
	EVP_PKEY_free(k->key);
	OPENSSL_free(k->der.p);
}

/* ---- certificates ---- */

static X509 *new_cert(EVP_PKEY *key, time_t not_before, time_t not_after)
{
	X509 *x = X509_new();
	unsigned char serial[16];
	need(x && RAND_bytes(serial, sizeof serial) == 1, "new certificate");
	serial[0] = (serial[0] & 0x7f) | 0x01; /* positive, 16 bytes */
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	need(bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL, "serial number");
	BN_free(bn);
	need(X509_set_version(x, X509_VERSION_3) == 1 &&
	         ASN1_TIME_set(X509_getm_notBefore(x), not_before) != NULL &&
	         ASN1_TIME_set(X509_getm_notAfter(x), not_after) != NULL &&
	         X509_set_pubkey(x, key) == 1,
	     "certificate fields");
	return x;
}

static void set_subject(X509 *x, const char *org, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);
	need(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1,
	                                -1, 0) == 1 &&
	         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                    (const unsigned char *)cn, -1, -1, 0) == 1,
	     "subject name");
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	need(e != NULL && X509_add_ext(x, e, -1) == 1, value);
	X509_EXTENSION_free(e);
}

/* A non-critical extension whose OCTET STRING holds exactly der. */
static void add_raw_ext(X509 *x, const char *oid, const unsigned char *der, size_t n)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	need(obj && os && ASN1_OCTET_STRING_set(os, der, (int)n) == 1, oid);
	X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	need(e != NULL && X509_add_ext(x, e, -1) == 1, oid);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

/* The SAN (critical, as Fulcio: the subject is empty): one URI or email,
 * inserted at extension position loc (-1: last). */
static void add_san(X509 *x, int email, const char *value, int loc)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	need(gens && gn && ia5 && ASN1_STRING_set(ia5, value, -1) == 1, "SAN");
	GENERAL_NAME_set0_value(gn, email ? GEN_EMAIL : GEN_URI, ia5);
	need(sk_GENERAL_NAME_push(gens, gn) > 0, "SAN");
	X509_EXTENSION *e = X509V3_EXT_i2d(NID_subject_alt_name, 1, gens);
	need(e != NULL && X509_add_ext(x, e, loc) == 1, "SAN");
	X509_EXTENSION_free(e);
	GENERAL_NAMES_free(gens);
}

/* SAN and the OIDC issuer. */
static void add_identity(X509 *x, const identity *id)
{
	add_san(x, id->email, id->value, -1);

	if (!id->email)
		add_raw_ext(x, OID_ISSUER_V1, (const unsigned char *)id->issuer, strlen(id->issuer));
	ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
	unsigned char *der = NULL;
	need(u && ASN1_STRING_set(u, id->issuer, -1) == 1, "issuer extension");
	int n = i2d_ASN1_UTF8STRING(u, &der);
	need(n > 0, "issuer extension DER");
	add_raw_ext(x, OID_ISSUER_V2, der, (size_t)n);
	OPENSSL_free(der);
	ASN1_UTF8STRING_free(u);
}

static void sign_cert(X509 *x, X509 *issuer, EVP_PKEY *issuer_key)
{
	need(X509_set_issuer_name(x, X509_get_subject_name(issuer)) == 1, "issuer name");
	need(X509_sign(x, issuer_key, EVP_sha384()) > 0, "certificate signing");
}

/* Root (parent NULL, self-signed) or intermediate: ECDSA P-384, now +-30 days. */
static keyed_cert make_ca_cert(time_t now, const char *cn, const keyed_cert *parent)
{
	keyed_cert c = {NULL, ec_key("P-384")};
	c.cert = new_cert(c.key, now - 30 * DAY, now + 30 * DAY);
	set_subject(c.cert, CA_ORG, cn);
	X509 *issuer = parent ? parent->cert : c.cert;
	add_ext(c.cert, issuer, NID_basic_constraints,
	        parent ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE");
	add_ext(c.cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(c.cert, issuer, NID_subject_key_identifier, "hash");
	add_ext(c.cert, issuer, NID_authority_key_identifier, "keyid:always");
	sign_cert(c.cert, issuer, parent ? parent->key : c.key);
	return c;
}

test_ca make_ca(time_t now)
{
	test_ca ca;
	ca.root = make_ca_cert(now, CA_ROOT_CN, NULL);
	ca.inter = make_ca_cert(now, CA_INTER_CN, &ca.root);
	return ca;
}

void keyed_cert_free(keyed_cert *c)
{
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
}

/* ---- certificate transparency (RFC 6962) ---- */

static void put_be(unsigned char *p, unsigned long long v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

/* A v1 SCT of log for the precertificate pre (signed already, so its TBS
 * holds the issuer name and signature algorithm; no SCT extension) issued
 * by issuer, at time ms (milliseconds): the log's ECDSA-SHA256 signature
 * over the RFC 6962 3.2 digitally-signed struct of a precert_entry. */
static SCT *make_sct(const log_key *log, X509 *issuer, X509 *pre, unsigned long long ms)
{
	unsigned char *spki = NULL, *tbs = NULL;
	int spki_n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	int tbs_n = i2d_re_X509_tbs(pre, &tbs);
	need(spki_n > 0 && tbs_n > 0 && tbs_n < 1 << 24, "precertificate parts");
	hash32 key_hash;
	sha256(spki, (size_t)spki_n, &key_hash);
	size_t len = 1 + 1 + 8 + 2 + 32 + 3 + (size_t)tbs_n + 2;
	unsigned char *msg = xmalloc(len), *p = msg;
	*p++ = 0; /* version: v1 */
	*p++ = 0; /* signature_type: certificate_timestamp */
	put_be(p, ms, 8);
	p += 8;
	put_be(p, 1, 2); /* entry_type: precert_entry */
	p += 2;
	memcpy(p, key_hash.h, 32);
	p += 32;
	put_be(p, (unsigned long long)tbs_n, 3);
	p += 3;
	memcpy(p, tbs, (size_t)tbs_n);
	p += tbs_n;
	put_be(p, 0, 2); /* no extensions */
	bytes sig = sign_sha256(log->key, msg, len);

	SCT *sct = SCT_new();
	need(sct && SCT_set_version(sct, SCT_VERSION_V1) == 1 &&
	         SCT_set_log_entry_type(sct, CT_LOG_ENTRY_TYPE_PRECERT) == 1 &&
	         SCT_set1_log_id(sct, log->id.h, sizeof log->id.h) == 1,
	     "SCT");
	SCT_set_timestamp(sct, ms);
	need(SCT_set_signature_nid(sct, NID_ecdsa_with_SHA256) == 1 &&
	         SCT_set1_signature(sct, sig.p, sig.n) == 1,
	     "SCT signature");
	bytes_free(&sig);
	free(msg);
	OPENSSL_free(tbs);
	OPENSSL_free(spki);
	return sct;
}

/* Adds the embedded SCT list extension (non-critical, last) with sct, which
 * it frees. */
static void add_sct_list(X509 *x, SCT *sct)
{
	STACK_OF(SCT) *list = sk_SCT_new_null();
	need(list && sk_SCT_push(list, sct) > 0, "SCT list");
	need(X509_add1_ext_i2d(x, NID_ct_precert_scts, list, 0, X509V3_ADD_DEFAULT) == 1,
	     "SCT list extension");
	SCT_LIST_free(list);
}

/* Embeds leaf's SCT (fault scf) of time when: leaf is signed by issuer
 * already (and must be signed again after). SCT_TAMPERED signs a copy whose
 * SAN is WRONG_ID_URI, at the same position, as if the SAN had been changed
 * after logging. */
static void embed_sct(const leaf_issuers *is, X509 *leaf, X509 *issuer, sct_fault scf,
                      time_t when)
{
	if (scf == SCT_NONE)
		return;
	X509 *pre = leaf, *changed = NULL;
	if (scf == SCT_TAMPERED) {
		changed = X509_dup(leaf);
		int at = changed ? X509_get_ext_by_NID(changed, NID_subject_alt_name, -1) : -1;
		need(at >= 0, "tampered SCT: the SAN");
		X509_EXTENSION_free(X509_delete_ext(changed, at));
		add_san(changed, 0, WRONG_ID_URI, at);
		pre = changed;
	}
	const log_key *log = scf == SCT_OTHER_LOG ? is->other_ctlog : is->ctlog;
	add_sct_list(leaf, make_sct(log, issuer, pre, (unsigned long long)when * 1000));
	X509_free(changed);
}

/* A Fulcio-style leaf: empty subject (a subject only when self-signed). */
keyed_cert make_leaf(const leaf_issuers *is, cert_fault cf, sct_fault scf, const identity *id)
{
	keyed_cert leaf = {NULL, ec_key("P-256")};
	time_t nb = is->t - LEAF_BEFORE, na = is->t + LEAF_AFTER;
	if (cf == C_EXPIRED) {
		nb = is->t - 900;
		na = is->t - 300;
	}
	leaf.cert = new_cert(leaf.key, nb, na);
	const keyed_cert *ca = cf == C_OTHER_CA ? &is->other_ca->inter : &is->ca->inter;
	X509 *issuer = ca->cert;
	EVP_PKEY *issuer_key = ca->key;
	if (cf == C_SELF_SIGNED) {
		set_subject(leaf.cert, CA_ORG, "trustgate-self-signed");
		issuer = leaf.cert;
		issuer_key = leaf.key;
	}
	add_ext(leaf.cert, issuer, NID_key_usage, "critical,digitalSignature");
	if (cf != C_NO_EKU)
		add_ext(leaf.cert, issuer, NID_ext_key_usage, "codeSigning");
	add_ext(leaf.cert, issuer, NID_subject_key_identifier, "hash");
	add_ext(leaf.cert, issuer, NID_authority_key_identifier, "keyid:always");
	add_identity(leaf.cert, id);
	sign_cert(leaf.cert, issuer, issuer_key); /* the precertificate's TBS: issuer, algorithm */
	if (scf != SCT_NONE) {
		embed_sct(is, leaf.cert, issuer, scf, nb + (LEAF_BEFORE - SCT_BEFORE));
		sign_cert(leaf.cert, issuer, issuer_key);
	}
	return leaf;
}

/* A timestamp authority: its own root (as make_ca_cert) and a leaf, ECDSA
 * P-256, now +-30 days, for time stamping only (the extended key usage
 * critical, as RFC 3161 2.3 requires). */
void make_tsa(time_t now, keyed_cert *root, keyed_cert *leaf)
{
	*root = make_ca_cert(now, TSA_ROOT_CN, NULL);
	make_tsa_leaf(now, root, leaf);
}

void make_tsa_leaf(time_t now, const keyed_cert *root, keyed_cert *leaf)
{
	leaf->key = ec_key("P-256");
	leaf->cert = new_cert(leaf->key, now - 30 * DAY, now + 30 * DAY);
	set_subject(leaf->cert, CA_ORG, TSA_LEAF_CN);
	X509 *issuer = root->cert;
	add_ext(leaf->cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(leaf->cert, issuer, NID_key_usage, "critical,digitalSignature");
	add_ext(leaf->cert, issuer, NID_ext_key_usage, "critical,timeStamping");
	add_ext(leaf->cert, issuer, NID_subject_key_identifier, "hash");
	add_ext(leaf->cert, issuer, NID_authority_key_identifier, "keyid:always");
	sign_cert(leaf->cert, issuer, root->key);
}

char *cert_der_b64(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	need(n > 0, "certificate DER");
	char *s = b64(der, (size_t)n);
	OPENSSL_free(der);
	return s;
}

/* Base64 of the certificate in PEM, as Rekor records a public key. */
char *cert_pem_b64(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	need(bio && PEM_write_bio_X509(bio, x) == 1, "certificate PEM");
	long n = BIO_get_mem_data(bio, &pem);
	need(n > 0, "certificate PEM");
	char *s = b64(pem, (size_t)n);
	BIO_free(bio);
	return s;
}
