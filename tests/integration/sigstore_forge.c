/* tg-sigstore-forge: makes Sigstore keyless verification material with
 * OpenSSL, for tests/integration/test_sigstore_keyless.sh: a test CA (root +
 * intermediate, like Fulcio), Fulcio-style leaf certificates, a test
 * transparency log (like Rekor v1) with a Merkle tree, inclusion proofs,
 * signed checkpoints and signed entry timestamps, a second log (like Rekor
 * v2: Ed25519 checkpoints, hashedrekord 0.0.2, no SET), a test
 * certificate-transparency log (like Fulcio's CT log: every leaf carries
 * its SCT), a test timestamp authority (RFC 3161, like Sigstore's TSA),
 * trusted roots, and bundles good and bad. Not installed; not part of
 * trustgate.
 *
 *   tg-sigstore-forge OUTDIR [--image-digest sha256:HEX]
 *
 * Creates OUTDIR and writes into it (keys and certificates are fresh each run):
 *   artifact.txt                    the signed bytes (ARTIFACT_TEXT)
 *   trusted_root.json               TrustedRoot: both test logs, the test CA, the
 *                                   CT log, the TSA
 *   trusted_root_ca_expired.json    the same, the CA valid only until T-3600
 *   trusted_root_no_log.json        the same, with unknown keys for both
 *                                   transparency logs (the same CT log)
 *   trusted_root_tsa_late.json      the same, the TSA valid only from T+3600
 *   trusted_root_no_ct.json         the same, "ctlogs" empty (no SCT required)
 *   good.bundle.json                hashedrekord, URI identity, 11-leaf tree, index 6
 *   good-email.bundle.json          email identity, 5-leaf tree, index 3
 *   good-v01.bundle.json            bundle v0.1, x509CertificateChain, SET only
 *   good-single.bundle.json         1-leaf tree, index 0
 *   good-dsse.bundle.json           in-toto DSSE for the image (--image-digest only)
 *   bad-*.bundle.json               each differs from good.bundle.json in one way
 *   good-tsa.bundle.json            good.bundle.json plus a signed timestamp
 *   good-v2.bundle.json             Rekor v2 entry (11 leaves, index 6) + timestamp
 *   good-tsa-nocert.bundle.json     the same, the TSA certificate not embedded
 *   good-v2-dsse.bundle.json        good-dsse logged in Rekor v2 + timestamp
 *                                   (--image-digest only)
 *   bad-expired-dsse.bundle.json    good-dsse, its leaf valid only T-900 .. T-300
 *                                   (--image-digest only)
 *   bad-v2-*, bad-tsa-*.bundle.json each differs from good-v2.bundle.json in one way
 *   bad-sct-*, bad-no-sct.bundle.json  each differs from good.bundle.json in its
 *                                   SCT: from a CT log in no root, over another
 *                                   TBS (the SAN changed after), none at all
 *   cases.tsv                       file, ok|fail, identity, issuer, trusted root
 *
 * Fixed values:
 *   identity (URI SAN)   ID_URI, issuer ID_URI_ISSUER (extensions 1.1 and 1.8)
 *   identity (email SAN) ID_EMAIL, issuer ID_EMAIL_ISSUER (extension 1.8 only)
 *   integrated time T    now - 1 day; leaves are valid T-300 .. T+600
 *   CA and log keys      valid from now - 30 days (CA certs until now + 30 days)
 *   checkpoint origin    LOG_ORIGIN, signed by the name LOG_HOST, as Rekor v1
 *                        does (sigstore/rekor pkg/util/checkpoint.go)
 *   Rekor v2 log         V2_HOST is origin line and signer name; Ed25519; its
 *                        log id is the C2SP signed-note key id,
 *                        SHA-256(V2_HOST "\n" 0x01 || raw public key)
 *   timestamps           TSA root (P-384) + leaf (P-256, EKU timeStamping,
 *                        critical), now +-30 days; genTime T+30 (TSA_DELAY),
 *                        imprint SHA-256 of the raw signature bytes
 *   SCTs                 one embedded v1 SCT per leaf (extension
 *                        1.3.6.1.4.1.11129.2.4.2), from the CT log (P-256,
 *                        its log id SHA-256 of its DER SPKI), timestamp the
 *                        leaf's notBefore + 10 s (T-290 s), ECDSA-SHA256 over
 *                        the RFC 6962 3.2 precert entry: issuer key hash =
 *                        SHA-256 of the issuing certificate's SPKI, TBS = the
 *                        leaf's without the SCT extension; the leaf is signed
 *                        again after the SCT is added
 *
 * On failure: a message on stderr and exit 1 (2 for bad usage). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define ARTIFACT_TEXT "trustgate keyless test artifact\n"
#define OTHER_TEXT "some other bytes, not the artifact\n"

#define ID_URI "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main"
#define ID_URI_ISSUER "https://token.actions.githubusercontent.com"
#define ID_EMAIL "signer@example.com"
#define ID_EMAIL_ISSUER "https://accounts.example.com"
#define WRONG_ID_URI "https://github.com/example/other/.github/workflows/release.yml@refs/heads/main"
#define WRONG_ISSUER "https://accounts.google.com"

#define OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"
#define OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"

#define CA_ORG "trustgate-test"
#define CA_ROOT_CN "trustgate-test-ca"
#define CA_INTER_CN "trustgate-test-intermediate"
#define CA_URI "https://fulcio.test.example"
#define LOG_HOST "rekor.test.example"
#define LOG_ORIGIN LOG_HOST " - 1234567890"
#define LOG_URL "https://rekor.test.example"
#define CTLOG_URL "https://ctfe.test.example"
#define V2_HOST "log2026.rekor.test.example"
#define V2_URL "https://" V2_HOST
#define TSA_ROOT_CN "trustgate-test-tsa-root"
#define TSA_LEAF_CN "trustgate-test-tsa"
#define TSA_URI "https://tsa.test.example"
#define TSA_POLICY "1.3.6.1.4.1.57264.2" /* as Sigstore's TSA */

#define MT_BUNDLE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define MT_BUNDLE_V01 "application/vnd.dev.sigstore.bundle+json;version=0.1"
#define MT_TRUSTED_ROOT "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
#define INTOTO_TYPE "application/vnd.in-toto+json"

#define DAY 86400
#define LEAF_BEFORE 300 /* leaf valid from T-300 ... */
#define LEAF_AFTER 600  /* ... until T+600, Fulcio's 10 minutes */
#define MAX_LEAVES 16
#define MAX_PATH 8
#define TSA_DELAY 30   /* genTime T+30 ... */
#define TSA_LATE 1200  /* ... or T+1200, after the leaf expired */
#define TSA_START_LATE 3600 /* trusted_root_tsa_late.json: the TSA from T+3600 */
#define SCT_BEFORE 290 /* the SCT at T-290: the leaf's notBefore + 10 s */

typedef struct {
	unsigned char *p;
	size_t n;
} bytes;

typedef struct {
	unsigned char h[32];
} hash32;

typedef struct {
	X509 *cert;
	EVP_PKEY *key;
} keyed_cert;

typedef struct {
	keyed_cert root, inter;
} test_ca;

typedef struct {
	EVP_PKEY *key;
	bytes der;           /* SubjectPublicKeyInfo */
	hash32 id;           /* the log id: SHA-256 of der (v1), C2SP key id (v2) */
	const char *details; /* the trusted root's keyDetails */
} log_key;

typedef struct {
	int email;
	const char *value, *issuer;
} identity;

typedef struct {
	const char *outdir;
	time_t now, t;
	test_ca ca, other_ca;
	log_key log, ctlog, unknown_log;
	log_key other_ctlog; /* a CT log in no trusted root */
	log_key v2log, unknown_v2log; /* Ed25519, Rekor v2 */
	EVP_PKEY *rogue;    /* signs the bad SET and the bad checkpoint */
	EVP_PKEY *rogue_ed; /* signs the bad v2 checkpoint */
	keyed_cert tsa_root, tsa_leaf;   /* the timestamp authority of the roots */
	keyed_cert other_tsa_root, other_tsa_leaf; /* same names, in no root */
	hash32 artifact_sha;
	char artifact_hex[65];
} forge;

typedef enum { C_GOOD, C_EXPIRED, C_OTHER_CA, C_NO_EKU, C_SELF_SIGNED } cert_fault;
typedef enum { S_GOOD, S_LOGGED_OTHER, S_SIGNED_OTHER } sig_fault;
typedef enum { L_GOOD, L_PROOF_BYTE, L_ROOT_HASH, L_CKPT_KEY, L_SET_KEY, L_NO_ENTRY } log_fault;
/* The leaf's SCT: from the CT log; from a CT log in no root; over another
 * TBS (a SAN other than the leaf's); none. */
typedef enum { SCT_GOOD, SCT_OTHER_LOG, SCT_TAMPERED, SCT_NONE } sct_fault;

typedef struct {
	size_t size, index;
	int with_proof;
	log_fault fault;
	int v2; /* in the Rekor v2 log */
} placement;

/* The signed timestamp of a bundle, if any. */
typedef enum {
	TS_NONE,
	TS_GOOD,        /* genTime T+30, TSA certificate embedded */
	TS_NO_CERT,     /* the same, certificate not embedded (certReq false) */
	TS_OTHER_BYTES, /* imprint over another signature */
	TS_UNTRUSTED,   /* from a TSA of the same names in no trusted root */
	TS_LATE         /* genTime T+1200, after the leaf certificate expired */
} ts_kind;

/* Bundles with a timestamp or a Rekor v2 entry (URI identity, v0.3). */
typedef struct {
	const char *file;
	int v2; /* 0: the Rekor v1 entry of good.bundle.json; 1: Rekor v2 */
	ts_kind ts;
	log_fault lf;       /* L_GOOD or L_CKPT_KEY */
	int other_verifier; /* the v2 body names a second leaf */
	const char *expect;
} ts_bundle_spec;

typedef struct {
	const char *file;
	int email, v01;
	size_t tree_size, index;
	cert_fault cf;
	sig_fault sf;
	log_fault lf;
	sct_fault scf;
} bundle_spec;

static const identity uri_id = {0, ID_URI, ID_URI_ISSUER};
static const identity email_id = {1, ID_EMAIL, ID_EMAIL_ISSUER};

static const bundle_spec bundles[] = {
	{"good.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"good-email.bundle.json", 1, 0, 5, 3, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"good-v01.bundle.json", 0, 1, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"good-single.bundle.json", 0, 0, 1, 0, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-expired.bundle.json", 0, 0, 11, 6, C_EXPIRED, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-untrusted-ca.bundle.json", 0, 0, 11, 6, C_OTHER_CA, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-other-signature.bundle.json", 0, 0, 11, 6, C_GOOD, S_LOGGED_OTHER, L_GOOD, SCT_GOOD},
	{"bad-inclusion-proof.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_PROOF_BYTE, SCT_GOOD},
	{"bad-root-hash.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_ROOT_HASH, SCT_GOOD},
	{"bad-checkpoint-sig.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_CKPT_KEY, SCT_GOOD},
	{"bad-set.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_SET_KEY, SCT_GOOD},
	{"bad-signature.bundle.json", 0, 0, 11, 6, C_GOOD, S_SIGNED_OTHER, L_GOOD, SCT_GOOD},
	{"bad-no-tlog.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_NO_ENTRY, SCT_GOOD},
	{"bad-no-eku.bundle.json", 0, 0, 11, 6, C_NO_EKU, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-self-signed.bundle.json", 0, 0, 11, 6, C_SELF_SIGNED, S_GOOD, L_GOOD, SCT_GOOD},
};

/* The SCT's faults, written after every other row. */
static const bundle_spec sct_bundles[] = {
	{"bad-sct-other-key.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_OTHER_LOG},
	{"bad-sct-tampered.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_TAMPERED},
	{"bad-no-sct.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_NONE},
};

static const ts_bundle_spec ts_bundles[] = {
	{"good-tsa.bundle.json", 0, TS_GOOD, L_GOOD, 0, "ok"},
	{"good-v2.bundle.json", 1, TS_GOOD, L_GOOD, 0, "ok"},
	{"good-tsa-nocert.bundle.json", 1, TS_NO_CERT, L_GOOD, 0, "ok"},
	{"bad-v2-no-timestamp.bundle.json", 1, TS_NONE, L_GOOD, 0, "fail"},
	{"bad-tsa-other-signature.bundle.json", 1, TS_OTHER_BYTES, L_GOOD, 0, "fail"},
	{"bad-tsa-untrusted.bundle.json", 1, TS_UNTRUSTED, L_GOOD, 0, "fail"},
	{"bad-tsa-expired-cert.bundle.json", 1, TS_LATE, L_GOOD, 0, "fail"},
	{"bad-v2-checkpoint-sig.bundle.json", 1, TS_GOOD, L_CKPT_KEY, 0, "fail"},
	{"bad-v2-other-signer.bundle.json", 1, TS_GOOD, L_GOOD, 1, "fail"},
};

/* ---- errors and memory ---- */

static void die(const char *what)
{
	fprintf(stderr, "tg-sigstore-forge: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void need(int ok, const char *what)
{
	if (!ok)
		die(what);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	need(p != NULL, "out of memory");
	return p;
}

static void bytes_free(bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

/* ---- encodings and digests ---- */

static char *b64(const void *data, size_t n)
{
	need(n < (size_t)1 << 28, "base64: input too large");
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

static char *b64_str(const char *s)
{
	return b64(s, strlen(s));
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256(const void *data, size_t n, hash32 *out)
{
	need(EVP_Digest(data, n, out->h, NULL, EVP_sha256(), NULL) == 1, "sha256");
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	hash32 h;
	sha256(data, n, &h);
	hex(h.h, sizeof h.h, out);
}

/* SHA-256 of one prefix byte then a and b (b may be empty): RFC 6962 hashes. */
static void sha256_prefixed(unsigned char prefix, const void *a, size_t an, const void *b,
                            size_t bn, hash32 *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	need(ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, &prefix, 1) == 1 && EVP_DigestUpdate(ctx, a, an) == 1 &&
	         EVP_DigestUpdate(ctx, b, bn) == 1 && EVP_DigestFinal_ex(ctx, out->h, NULL) == 1,
	     "sha256 (merkle)");
	EVP_MD_CTX_free(ctx);
}

static void rfc3339(time_t t, char out[32])
{
	struct tm tm;
	need(gmtime_r(&t, &tm) != NULL, "gmtime");
	need(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0, "strftime");
}

/* ---- keys and signatures ---- */

static EVP_PKEY *ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);
	need(k != NULL, "EC key generation");
	return k;
}

/* A one-shot signature: md NULL for Ed25519 (raw 64 bytes). */
static bytes sign_with(EVP_PKEY *key, const EVP_MD *md, const void *data, size_t n)
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
static bytes sign_sha256(EVP_PKEY *key, const void *data, size_t n)
{
	return sign_with(key, EVP_sha256(), data, n);
}

static EVP_PKEY *ed25519_key(void)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	need(ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k) == 1,
	     "Ed25519 key generation");
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static char *sign_b64(EVP_PKEY *key, const void *data, size_t n)
{
	bytes sig = sign_sha256(key, data, n);
	char *s = b64(sig.p, sig.n);
	bytes_free(&sig);
	return s;
}

static log_key new_log_key(void)
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
static log_key new_v2_log_key(const char *name)
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

static void log_key_free(log_key *k)
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
static keyed_cert make_ca_cert(const forge *f, const char *cn, const keyed_cert *parent)
{
	keyed_cert c = {NULL, ec_key("P-384")};
	c.cert = new_cert(c.key, f->now - 30 * DAY, f->now + 30 * DAY);
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

static test_ca make_ca(const forge *f)
{
	test_ca ca;
	ca.root = make_ca_cert(f, CA_ROOT_CN, NULL);
	ca.inter = make_ca_cert(f, CA_INTER_CN, &ca.root);
	return ca;
}

static void keyed_cert_free(keyed_cert *c)
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
static void embed_sct(const forge *f, X509 *leaf, X509 *issuer, sct_fault scf, time_t when)
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
	const log_key *log = scf == SCT_OTHER_LOG ? &f->other_ctlog : &f->ctlog;
	add_sct_list(leaf, make_sct(log, issuer, pre, (unsigned long long)when * 1000));
	X509_free(changed);
}

/* A Fulcio-style leaf: empty subject (a subject only when self-signed). */
static keyed_cert make_leaf(const forge *f, cert_fault cf, sct_fault scf, const identity *id)
{
	keyed_cert leaf = {NULL, ec_key("P-256")};
	time_t nb = f->t - LEAF_BEFORE, na = f->t + LEAF_AFTER;
	if (cf == C_EXPIRED) {
		nb = f->t - 900;
		na = f->t - 300;
	}
	leaf.cert = new_cert(leaf.key, nb, na);
	const keyed_cert *ca = cf == C_OTHER_CA ? &f->other_ca.inter : &f->ca.inter;
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
		embed_sct(f, leaf.cert, issuer, scf, nb + (LEAF_BEFORE - SCT_BEFORE));
		sign_cert(leaf.cert, issuer, issuer_key);
	}
	return leaf;
}

/* A timestamp authority: its own root (as make_ca_cert) and a leaf, ECDSA
 * P-256, now +-30 days, for time stamping only (the extended key usage
 * critical, as RFC 3161 2.3 requires). */
static void make_tsa(const forge *f, keyed_cert *root, keyed_cert *leaf)
{
	*root = make_ca_cert(f, TSA_ROOT_CN, NULL);
	leaf->key = ec_key("P-256");
	leaf->cert = new_cert(leaf->key, f->now - 30 * DAY, f->now + 30 * DAY);
	set_subject(leaf->cert, CA_ORG, TSA_LEAF_CN);
	X509 *issuer = root->cert;
	add_ext(leaf->cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(leaf->cert, issuer, NID_key_usage, "critical,digitalSignature");
	add_ext(leaf->cert, issuer, NID_ext_key_usage, "critical,timeStamping");
	add_ext(leaf->cert, issuer, NID_subject_key_identifier, "hash");
	add_ext(leaf->cert, issuer, NID_authority_key_identifier, "keyid:always");
	sign_cert(leaf->cert, issuer, root->key);
}

static char *cert_der_b64(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	need(n > 0, "certificate DER");
	char *s = b64(der, (size_t)n);
	OPENSSL_free(der);
	return s;
}

/* Base64 of the certificate in PEM, as Rekor records a public key. */
static char *cert_pem_b64(X509 *x)
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

/* ---- JSON ---- */

static json_t *jcheck(json_t *j)
{
	need(j != NULL, "building JSON");
	return j;
}

/* A JSON string from a malloc'd C string, which it frees. */
static json_t *jtake(char *s)
{
	json_t *j = jcheck(json_string(s));
	free(s);
	return j;
}

static char *jdump(const json_t *j, size_t flags)
{
	char *s = json_dumps(j, flags);
	need(s != NULL, "serializing JSON");
	return s;
}

static void write_file(const forge *f, const char *name, const void *data, size_t n)
{
	size_t len = strlen(f->outdir) + strlen(name) + 2;
	char *path = xmalloc(len);
	snprintf(path, len, "%s/%s", f->outdir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(data, 1, n, fp) != n || fclose(fp) != 0) {
		fprintf(stderr, "tg-sigstore-forge: writing %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(path);
}

/* Writes j (and drops it) with a final newline. */
static void write_json(const forge *f, const char *name, json_t *j, size_t flags)
{
	char *s = jdump(j, flags);
	size_t n = strlen(s);
	char *line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	write_file(f, name, line, n + 1);
	free(line);
	free(s);
	json_decref(j);
}

/* ---- trusted roots ---- */

static json_t *log_json(const log_key *k, const char *url, time_t start)
{
	char from[32];
	rfc3339(start, from);
	return jcheck(json_pack("{s:s, s:s, s:{s:o, s:s, s:{s:s}}, s:{s:o}}", "baseUrl", url,
	                        "hashAlgorithm", "SHA2_256", "publicKey", "rawBytes",
	                        jtake(b64(k->der.p, k->der.n)), "keyDetails", k->details,
	                        "validFor", "start", from, "logId",
	                        "keyId", jtake(b64(k->id.h, sizeof k->id.h))));
}

/* The test CA; ca_end 0 means no end of validity. */
static json_t *ca_json(const forge *f, time_t ca_end)
{
	char from[32], to[32];
	rfc3339(f->now - 30 * DAY, from);
	json_t *valid = jcheck(json_pack("{s:s}", "start", from));
	if (ca_end) {
		rfc3339(ca_end, to);
		need(json_object_set_new(valid, "end", jcheck(json_string(to))) == 0, "validFor");
	}
	return jcheck(json_pack("{s:{s:s, s:s}, s:s, s:{s:[{s:o}, {s:o}]}, s:o}", "subject",
	                        "organization", CA_ORG, "commonName", CA_ROOT_CN, "uri", CA_URI,
	                        "certChain", "certificates", "rawBytes",
	                        jtake(cert_der_b64(f->ca.inter.cert)), "rawBytes",
	                        jtake(cert_der_b64(f->ca.root.cert)), "validFor", valid));
}

/* The test TSA, valid from start: its chain leaf first, root last. */
static json_t *tsa_json(const forge *f, time_t start)
{
	char from[32];
	rfc3339(start, from);
	return jcheck(json_pack("{s:{s:s, s:s}, s:s, s:{s:[{s:o}, {s:o}]}, s:{s:s}}", "subject",
	                        "organization", CA_ORG, "commonName", TSA_ROOT_CN, "uri", TSA_URI,
	                        "certChain", "certificates", "rawBytes",
	                        jtake(cert_der_b64(f->tsa_leaf.cert)), "rawBytes",
	                        jtake(cert_der_b64(f->tsa_root.cert)), "validFor", "start",
	                        from));
}

/* ctlog NULL: "ctlogs" empty. */
static void write_trusted_root(const forge *f, const char *name, const log_key *tlog,
                               const log_key *v2log, const log_key *ctlog, time_t ca_end,
                               time_t tsa_start)
{
	time_t start = f->now - 30 * DAY;
	json_t *ctlogs = jcheck(json_array());
	if (ctlog)
		need(json_array_append_new(ctlogs, log_json(ctlog, CTLOG_URL, start)) == 0, "ctlogs");
	json_t *root = jcheck(json_pack("{s:s, s:[o, o], s:[o], s:o, s:[o]}", "mediaType",
	                                MT_TRUSTED_ROOT, "tlogs", log_json(tlog, LOG_URL, start),
	                                log_json(v2log, V2_URL, start), "certificateAuthorities",
	                                ca_json(f, ca_end), "ctlogs", ctlogs,
	                                "timestampAuthorities", tsa_json(f, tsa_start)));
	write_json(f, name, root, JSON_INDENT(2));
}

/* ---- the log: Merkle tree (RFC 6962 / RFC 9162), checkpoint, SET ---- */

static void leaf_hash(const char *body, hash32 *out)
{
	sha256_prefixed(0x00, body, strlen(body), "", 0, out);
}

/* Leaf hashes of a tree of size leaves: fillers named by seed, body at index. */
static void fill_tree(hash32 *leaves, size_t size, size_t index, const char *body,
                      const char *seed)
{
	need(size > 0 && size <= MAX_LEAVES && index < size, "tree shape");
	for (size_t i = 0; i < size; i++) {
		char filler[96];
		snprintf(filler, sizeof filler, "{\"filler\":%zu,\"tree\":\"%s\"}", i, seed);
		leaf_hash(i == index ? body : filler, &leaves[i]);
	}
}

/* The largest power of two smaller than n (n > 1). */
static size_t split_point(size_t n)
{
	size_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static void merkle_root(const hash32 *leaves, size_t n, hash32 *out)
{
	if (n == 1) {
		*out = leaves[0];
		return;
	}
	size_t k = split_point(n);
	hash32 left, right;
	merkle_root(leaves, k, &left);
	merkle_root(leaves + k, n - k, &right);
	sha256_prefixed(0x01, left.h, sizeof left.h, right.h, sizeof right.h, out);
}

/* PATH(m, D[n]) of RFC 6962 2.1.1, leaf to root; returns its length. */
static size_t audit_path(const hash32 *leaves, size_t n, size_t m, hash32 *out)
{
	if (n == 1)
		return 0;
	size_t k = split_point(n), len;
	if (m < k) {
		len = audit_path(leaves, k, m, out);
		merkle_root(leaves + k, n - k, &out[len]);
	} else {
		len = audit_path(leaves + k, n - k, m - k, out);
		merkle_root(leaves, k, &out[len]);
	}
	need(len + 1 <= MAX_PATH, "audit path too long");
	return len + 1;
}

/* Who signs a checkpoint: the origin line, the signer name, the key hint
 * (the first 4 bytes of hint) and the key (ECDSA with SHA-256, or Ed25519). */
typedef struct {
	const char *origin, *name;
	const unsigned char *hint;
	EVP_PKEY *key;
} note_signer;

/* A signed note as Rekor writes it: the checkpoint body, a blank line, and
 * "— <name> base64(keyhint || signature)". Rekor v1: origin LOG_ORIGIN,
 * name LOG_HOST, ECDSA; Rekor v2: both V2_HOST, Ed25519 over the body. The
 * key hint is always the real log's, so a wrong signer is caught by the
 * signature alone. */
static char *checkpoint(const note_signer *ns, size_t size, const hash32 *root)
{
	char *root_b64 = b64(root->h, sizeof root->h);
	char note[256];
	int n = snprintf(note, sizeof note, "%s\n%zu\n%s\n", ns->origin, size, root_b64);
	need(n > 0 && (size_t)n < sizeof note, "checkpoint text");
	free(root_b64);

	int ed = EVP_PKEY_get_id(ns->key) == EVP_PKEY_ED25519;
	bytes sig = sign_with(ns->key, ed ? NULL : EVP_sha256(), note, (size_t)n);
	unsigned char *blob = xmalloc(4 + sig.n);
	memcpy(blob, ns->hint, 4);
	memcpy(blob + 4, sig.p, sig.n);
	char *sig_b64 = b64(blob, 4 + sig.n);
	size_t len = (size_t)n + strlen(ns->name) + strlen(sig_b64) + 16;
	char *text = xmalloc(len);
	snprintf(text, len, "%s\n\xE2\x80\x94 %s %s\n", note, ns->name, sig_b64);
	free(sig_b64);
	free(blob);
	bytes_free(&sig);
	return text;
}

static json_t *inclusion_proof(const forge *f, const char *body, const placement *p)
{
	hash32 leaves[MAX_LEAVES], path[MAX_PATH], root;
	fill_tree(leaves, p->size, p->index, body, p->v2 ? "v2" : "main");
	merkle_root(leaves, p->size, &root);
	size_t n = audit_path(leaves, p->size, p->index, path);
	if (p->fault == L_PROOF_BYTE) {
		need(n > 0, "bad proof needs a tree of 2 or more");
		path[n / 2].h[7] ^= 0xff; /* one byte flipped */
	}
	if (p->fault == L_ROOT_HASH) { /* a tree with other fillers: the proof leads elsewhere */
		fill_tree(leaves, p->size, p->index, body, "forked");
		merkle_root(leaves, p->size, &root);
	}
	json_t *hashes = jcheck(json_array());
	for (size_t i = 0; i < n; i++)
		need(json_array_append_new(hashes, jtake(b64(path[i].h, sizeof path[i].h))) == 0,
		     "hashes");
	char idx[24], size[24];
	snprintf(idx, sizeof idx, "%zu", p->index);
	snprintf(size, sizeof size, "%zu", p->size);
	int rogue = p->fault == L_CKPT_KEY;
	note_signer ns = {LOG_ORIGIN, LOG_HOST, f->log.id.h, rogue ? f->rogue : f->log.key};
	if (p->v2) {
		note_signer v2 = {V2_HOST, V2_HOST, f->v2log.id.h,
		                  rogue ? f->rogue_ed : f->v2log.key};
		ns = v2;
	}
	return jcheck(json_pack("{s:s, s:o, s:s, s:o, s:{s:o}}", "logIndex", idx, "rootHash",
	                        jtake(b64(root.h, sizeof root.h)), "treeSize", size, "hashes",
	                        hashes, "checkpoint", "envelope",
	                        jtake(checkpoint(&ns, p->size, &root))));
}

/* The signed entry timestamp over Rekor's canonical JSON of the entry. */
static char *signed_entry_timestamp(const forge *f, const char *body_b64, size_t index,
                                    EVP_PKEY *signer)
{
	char log_id[65];
	hex(f->log.id.h, sizeof f->log.id.h, log_id);
	json_t *payload = jcheck(json_pack("{s:s, s:I, s:s, s:I}", "body", body_b64,
	                                   "integratedTime", (json_int_t)f->t, "logID", log_id,
	                                   "logIndex", (json_int_t)index));
	char *text = jdump(payload, JSON_COMPACT | JSON_SORT_KEYS);
	char *set = sign_b64(signer, text, strlen(text));
	free(text);
	json_decref(payload);
	return set;
}

static json_t *tlog_entry(const forge *f, const char *body, const char *kind,
                          const placement *p)
{
	char *body_b64 = b64_str(body);
	char idx[24], when[24];
	snprintf(idx, sizeof idx, "%zu", p->index);
	snprintf(when, sizeof when, "%lld", (long long)f->t);
	EVP_PKEY *set_signer = p->fault == L_SET_KEY ? f->rogue : f->log.key;
	json_t *e = jcheck(json_pack(
	        "{s:s, s:{s:o}, s:{s:s, s:s}, s:s, s:{s:o}}", "logIndex", idx, "logId", "keyId",
	        jtake(b64(f->log.id.h, sizeof f->log.id.h)), "kindVersion", "kind", kind,
	        "version", "0.0.1", "integratedTime", when, "inclusionPromise",
	        "signedEntryTimestamp",
	        jtake(signed_entry_timestamp(f, body_b64, p->index, set_signer))));
	if (p->with_proof)
		need(json_object_set_new(e, "inclusionProof", inclusion_proof(f, body, p)) == 0,
		     "inclusionProof");
	need(json_object_set_new(e, "canonicalizedBody", jtake(body_b64)) == 0, "body");
	return e;
}

/* A Rekor v2 entry: no integrated time, no SET; the inclusion proof and its
 * checkpoint are all there is. */
static json_t *tlog_entry_v2(const forge *f, const char *body, const placement *p)
{
	char idx[24];
	snprintf(idx, sizeof idx, "%zu", p->index);
	need(p->v2 && p->with_proof, "a v2 entry has an inclusion proof");
	return jcheck(json_pack("{s:s, s:{s:o}, s:{s:s, s:s}, s:o, s:o}", "logIndex", idx,
	                        "logId", "keyId", jtake(b64(f->v2log.id.h, sizeof f->v2log.id.h)),
	                        "kindVersion", "kind", "hashedrekord", "version", "0.0.2",
	                        "inclusionProof", inclusion_proof(f, body, p), "canonicalizedBody",
	                        jtake(b64_str(body))));
}

/* ---- entry bodies, as Rekor canonicalizes them (sorted keys, no spaces) ---- */

static char *canonical(json_t *j)
{
	char *s = jdump(jcheck(j), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static char *hashedrekord_body(const char *sha_hex, const char *sig_b64, const char *pem_b64)
{
	return canonical(json_pack("{s:s, s:s, s:{s:{s:{s:s, s:s}}, s:{s:s, s:{s:s}}}}",
	                           "apiVersion", "0.0.1", "kind", "hashedrekord", "spec", "data",
	                           "hash", "algorithm", "sha256", "value", sha_hex, "signature",
	                           "content", sig_b64, "publicKey", "content", pem_b64));
}

static char *dsse_body(const char *env_hex, const char *payload_hex, const char *sig_b64,
                       const char *pem_b64)
{
	return canonical(json_pack("{s:s, s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}, s:[{s:s, s:s}]}}",
	                           "apiVersion", "0.0.1", "kind", "dsse", "spec", "envelopeHash",
	                           "algorithm", "sha256", "value", env_hex, "payloadHash",
	                           "algorithm", "sha256", "value", payload_hex, "signatures",
	                           "signature", sig_b64, "verifier", pem_b64));
}

/* Rekor v2's hashedrekord 0.0.2 (rekor-tiles): the digest that was signed
 * (of the artifact, or of the DSSE PAE), the signature, the certificate. */
static char *hashedrekord_v2_body(const hash32 *digest, const char *sig_b64, X509 *verifier)
{
	return canonical(json_pack(
	        "{s:s, s:s, s:{s:{s:{s:s, s:o}, s:{s:s, s:{s:s, s:{s:o}}}}}}", "apiVersion",
	        "0.0.2", "kind", "hashedrekord", "spec", "hashedRekordV002", "data", "algorithm",
	        "SHA2_256", "digest", jtake(b64(digest->h, sizeof digest->h)), "signature",
	        "content", sig_b64, "verifier", "keyDetails", "PKIX_ECDSA_P256_SHA_256",
	        "x509Certificate", "rawBytes", jtake(cert_der_b64(verifier))));
}

/* ---- RFC 3161 signed timestamps (OpenSSL's TS API as a TSA) ---- */

static int ts_time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	*sec = (long)*(const time_t *)data;
	*usec = 0;
	return 1;
}

static ASN1_INTEGER *random_integer(size_t n)
{
	unsigned char r[20];
	need(n <= sizeof r && RAND_bytes(r, (int)n) == 1, "random integer");
	r[0] = (r[0] & 0x7f) | 0x01; /* positive, n bytes */
	BIGNUM *bn = BN_bin2bn(r, (int)n, NULL);
	ASN1_INTEGER *i = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	need(i != NULL, "random integer");
	BN_free(bn);
	return i;
}

static ASN1_INTEGER *ts_serial_cb(TS_RESP_CTX *ctx, void *data)
{
	return random_integer(16);
}

/* A DER TimeStampResp (status granted + token) of the TSA (leaf, signer)
 * for SHA-256(data), genTime when; the signer certificate embedded if
 * cert_req. Base64. */
static char *timestamp_b64(const keyed_cert *tsa, const void *data, size_t n, time_t when,
                           int cert_req)
{
	hash32 h;
	sha256(data, n, &h);
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imprint = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = random_integer(8);
	need(req && imprint && alg &&
	         X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) == 1 &&
	         TS_MSG_IMPRINT_set_algo(imprint, alg) == 1 &&
	         TS_MSG_IMPRINT_set_msg(imprint, h.h, sizeof h.h) == 1 &&
	         TS_REQ_set_version(req, 1) == 1 && TS_REQ_set_msg_imprint(req, imprint) == 1 &&
	         TS_REQ_set_nonce(req, nonce) == 1 && TS_REQ_set_cert_req(req, cert_req) == 1,
	     "timestamp request");
	BIO *req_bio = BIO_new(BIO_s_mem());
	need(req_bio && i2d_TS_REQ_bio(req_bio, req) == 1, "timestamp request DER");

	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj(TSA_POLICY, 1);
	need(ctx && policy && TS_RESP_CTX_set_signer_cert(ctx, tsa->cert) == 1 &&
	         TS_RESP_CTX_set_signer_key(ctx, tsa->key) == 1 &&
	         TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) == 1 &&
	         TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) == 1 &&
	         TS_RESP_CTX_set_def_policy(ctx, policy) == 1 &&
	         TS_RESP_CTX_add_md(ctx, EVP_sha256()) == 1,
	     "timestamp authority");
	TS_RESP_CTX_add_flags(ctx, TS_TSA_NAME);
	TS_RESP_CTX_set_time_cb(ctx, ts_time_cb, &when);
	TS_RESP_CTX_set_serial_cb(ctx, ts_serial_cb, NULL);
	TS_RESP *resp = TS_RESP_create_response(ctx, req_bio);
	need(resp != NULL, "timestamp response");
	const ASN1_INTEGER *status = TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp));
	need(status && ASN1_INTEGER_get(status) == TS_STATUS_GRANTED &&
	         TS_RESP_get_token(resp) != NULL,
	     "timestamp not granted");

	unsigned char *der = NULL;
	int len = i2d_TS_RESP(resp, &der);
	need(len > 0, "timestamp response DER");
	char *s = b64(der, (size_t)len);
	OPENSSL_free(der);
	TS_RESP_free(resp);
	TS_RESP_CTX_free(ctx);
	ASN1_OBJECT_free(policy);
	BIO_free(req_bio);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imprint);
	TS_REQ_free(req);
	return s;
}

/* The timestamp of kind k over the signature sig of the leaf leaf_key (NULL
 * for TS_NONE). */
static char *bundle_timestamp(const forge *f, ts_kind k, const bytes *sig, EVP_PKEY *leaf_key)
{
	time_t when = f->t + TSA_DELAY;
	switch (k) {
	case TS_NONE:
		return NULL;
	case TS_GOOD:
		return timestamp_b64(&f->tsa_leaf, sig->p, sig->n, when, 1);
	case TS_NO_CERT:
		return timestamp_b64(&f->tsa_leaf, sig->p, sig->n, when, 0);
	case TS_OTHER_BYTES: {
		bytes other = sign_sha256(leaf_key, OTHER_TEXT, strlen(OTHER_TEXT));
		char *s = timestamp_b64(&f->tsa_leaf, other.p, other.n, when, 1);
		bytes_free(&other);
		return s;
	}
	case TS_UNTRUSTED:
		return timestamp_b64(&f->other_tsa_leaf, sig->p, sig->n, when, 1);
	case TS_LATE:
		return timestamp_b64(&f->tsa_leaf, sig->p, sig->n, f->t + TSA_LATE, 1);
	}
	die("timestamp kind");
	return NULL;
}

/* ---- bundles ---- */

/* entry NULL: no tlog entries. */
static json_t *verification_material(X509 *leaf, int v01, json_t *entry)
{
	json_t *entries = jcheck(json_array());
	if (entry)
		need(json_array_append_new(entries, entry) == 0, "tlogEntries");
	json_t *cert = jcheck(json_pack("{s:o}", "rawBytes", jtake(cert_der_b64(leaf))));
	if (v01)
		return jcheck(json_pack("{s:{s:[o]}, s:o}", "x509CertificateChain", "certificates",
		                        cert, "tlogEntries", entries));
	return jcheck(json_pack("{s:o, s:o}", "certificate", cert, "tlogEntries", entries));
}

/* Adds timestampVerificationData with one signed timestamp (ts_b64, which
 * it frees; NULL: nothing). */
static json_t *with_timestamp(json_t *material, char *ts_b64)
{
	if (ts_b64)
		need(json_object_set_new(material, "timestampVerificationData",
		                         jcheck(json_pack("{s:[{s:o}]}", "rfc3161Timestamps",
		                                          "signedTimestamp", jtake(ts_b64)))) == 0,
		     "timestampVerificationData");
	return material;
}

static const char *expectation(const bundle_spec *s)
{
	return s->cf == C_GOOD && s->sf == S_GOOD && s->lf == L_GOOD && s->scf == SCT_GOOD
	               ? "ok"
	               : "fail";
}

static void write_case(FILE *cases, const char *file, const char *expect, const char *id,
                       const char *issuer, const char *root)
{
	need(fprintf(cases, "%s\t%s\t%s\t%s\t%s\n", file, expect, id, issuer, root) > 0,
	     "writing cases.tsv");
}

static json_t *bundle_entry(const forge *f, const bundle_spec *s, const char *body)
{
	if (s->lf == L_NO_ENTRY)
		return NULL;
	placement p = {s->tree_size, s->index, !s->v01, s->lf, 0};
	return tlog_entry(f, body, "hashedrekord", &p);
}

static void write_message_bundle(const forge *f, const bundle_spec *s, FILE *cases)
{
	const identity *id = s->email ? &email_id : &uri_id;
	keyed_cert leaf = make_leaf(f, s->cf, s->scf, id);
	const char *signed_text = s->sf == S_SIGNED_OTHER ? OTHER_TEXT : ARTIFACT_TEXT;
	char *sig_b64 = sign_b64(leaf.key, signed_text, strlen(signed_text));
	char *other_b64 = s->sf == S_LOGGED_OTHER
	                          ? sign_b64(leaf.key, OTHER_TEXT, strlen(OTHER_TEXT))
	                          : NULL;
	char *pem_b64 = cert_pem_b64(leaf.cert);
	char *body = hashedrekord_body(f->artifact_hex, other_b64 ? other_b64 : sig_b64, pem_b64);

	json_t *bundle = jcheck(json_pack(
	        "{s:s, s:o, s:{s:{s:s, s:o}, s:s}}", "mediaType",
	        s->v01 ? MT_BUNDLE_V01 : MT_BUNDLE_V03, "verificationMaterial",
	        verification_material(leaf.cert, s->v01, bundle_entry(f, s, body)),
	        "messageSignature", "messageDigest", "algorithm", "SHA2_256", "digest",
	        jtake(b64(f->artifact_sha.h, sizeof f->artifact_sha.h)), "signature", sig_b64));
	write_json(f, s->file, bundle, JSON_COMPACT);
	write_case(cases, s->file, expectation(s), id->value, id->issuer, "trusted_root.json");

	free(body);
	free(pem_b64);
	free(other_b64);
	free(sig_b64);
	keyed_cert_free(&leaf);
}

/* A message-signature bundle with a signed timestamp and/or a Rekor v2 entry. */
static void write_ts_bundle(const forge *f, const ts_bundle_spec *s, FILE *cases)
{
	keyed_cert leaf = make_leaf(f, C_GOOD, SCT_GOOD, &uri_id);
	keyed_cert second = {NULL, NULL};
	bytes sig = sign_sha256(leaf.key, ARTIFACT_TEXT, strlen(ARTIFACT_TEXT));
	char *sig_b64 = b64(sig.p, sig.n);
	placement p = {11, 6, 1, s->lf, s->v2};
	json_t *entry;
	if (s->v2) {
		X509 *verifier = leaf.cert;
		if (s->other_verifier) {
			second = make_leaf(f, C_GOOD, SCT_GOOD, &uri_id);
			verifier = second.cert;
		}
		char *body = hashedrekord_v2_body(&f->artifact_sha, sig_b64, verifier);
		entry = tlog_entry_v2(f, body, &p);
		free(body);
	} else {
		char *pem_b64 = cert_pem_b64(leaf.cert);
		char *body = hashedrekord_body(f->artifact_hex, sig_b64, pem_b64);
		entry = tlog_entry(f, body, "hashedrekord", &p);
		free(body);
		free(pem_b64);
	}
	json_t *material = with_timestamp(verification_material(leaf.cert, 0, entry),
	                                  bundle_timestamp(f, s->ts, &sig, leaf.key));
	json_t *bundle = jcheck(json_pack(
	        "{s:s, s:o, s:{s:{s:s, s:o}, s:s}}", "mediaType", MT_BUNDLE_V03,
	        "verificationMaterial", material, "messageSignature", "messageDigest",
	        "algorithm", "SHA2_256", "digest",
	        jtake(b64(f->artifact_sha.h, sizeof f->artifact_sha.h)), "signature", sig_b64));
	write_json(f, s->file, bundle, JSON_COMPACT);
	write_case(cases, s->file, s->expect, ID_URI, ID_URI_ISSUER, "trusted_root.json");

	free(sig_b64);
	bytes_free(&sig);
	if (second.cert)
		keyed_cert_free(&second);
	keyed_cert_free(&leaf);
}

/* The DSSE pre-authentication encoding. */
static bytes dsse_pae(const char *type, const char *payload)
{
	size_t tn = strlen(type), pn = strlen(payload), cap = tn + pn + 64;
	bytes b = {xmalloc(cap), 0};
	int n = snprintf((char *)b.p, cap, "DSSEv1 %zu %s %zu %s", tn, type, pn, payload);
	need(n > 0 && (size_t)n < cap, "DSSE PAE");
	b.n = (size_t)n;
	return b;
}

static char *intoto_statement(const char *digest_hex)
{
	char *s = xmalloc(512);
	snprintf(s, 512,
	         "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"image\","
	         "\"digest\":{\"sha256\":\"%s\"}}],\"predicateType\":"
	         "\"https://sigstore.dev/cosign/sign/v1\",\"predicate\":{}}",
	         digest_hex);
	return s;
}

/* The envelope's hash is over its compact JSON, which is exactly how it
 * appears in the (compact) bundle file. v2: logged in Rekor v2 as a
 * hashedrekord 0.0.2 of the PAE's SHA-256, with a signed timestamp over the
 * envelope's signature. cf: C_GOOD, or C_EXPIRED (Rekor v1 only) for
 * bad-expired-dsse.bundle.json. */
static void write_dsse_bundle(const forge *f, const char *digest_hex, int v2, cert_fault cf,
                              FILE *cases)
{
	const char *file = cf == C_EXPIRED ? "bad-expired-dsse.bundle.json"
	                   : v2            ? "good-v2-dsse.bundle.json"
	                                   : "good-dsse.bundle.json";
	keyed_cert leaf = make_leaf(f, cf, SCT_GOOD, &uri_id);
	char *statement = intoto_statement(digest_hex);
	bytes pae = dsse_pae(INTOTO_TYPE, statement);
	bytes sig = sign_sha256(leaf.key, pae.p, pae.n);
	char *sig_b64 = b64(sig.p, sig.n);
	json_t *env = jcheck(json_pack("{s:o, s:s, s:[{s:s, s:s}]}", "payload",
	                               jtake(b64_str(statement)), "payloadType", INTOTO_TYPE,
	                               "signatures", "sig", sig_b64, "keyid", ""));
	char *env_text = jdump(env, JSON_COMPACT);
	char env_hex[65], payload_hex[65];
	sha256_hex(env_text, strlen(env_text), env_hex);
	sha256_hex(statement, strlen(statement), payload_hex);
	char *pem_b64 = cert_pem_b64(leaf.cert);
	char *body;
	json_t *material;
	placement p = {11, 6, 1, L_GOOD, v2};
	if (v2) {
		hash32 pae_sha;
		sha256(pae.p, pae.n, &pae_sha);
		body = hashedrekord_v2_body(&pae_sha, sig_b64, leaf.cert);
		json_t *entry = tlog_entry_v2(f, body, &p);
		material = with_timestamp(verification_material(leaf.cert, 0, entry),
		                          bundle_timestamp(f, TS_GOOD, &sig, leaf.key));
	} else {
		body = dsse_body(env_hex, payload_hex, sig_b64, pem_b64);
		material = verification_material(leaf.cert, 0, tlog_entry(f, body, "dsse", &p));
	}
	json_t *bundle = jcheck(json_pack("{s:s, s:o, s:o}", "mediaType", MT_BUNDLE_V03,
	                                  "verificationMaterial", material, "dsseEnvelope", env));
	write_json(f, file, bundle, JSON_COMPACT);
	write_case(cases, file, cf == C_GOOD ? "ok" : "fail", ID_URI, ID_URI_ISSUER,
	           "trusted_root.json");

	free(body);
	free(pem_b64);
	free(env_text);
	free(sig_b64);
	bytes_free(&sig);
	bytes_free(&pae);
	free(statement);
	keyed_cert_free(&leaf);
}

/* ---- main ---- */

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "tg-sigstore-forge: mkdir %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void mkdir_p(const char *path)
{
	size_t n = strlen(path);
	char *p = xmalloc(n + 1);
	memcpy(p, path, n + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		make_dir(p);
		*s = '/';
	}
	make_dir(p);
	free(p);
}

static int valid_image_digest(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d + 7) != 64)
		return 0;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

static void usage(void)
{
	fprintf(stderr, "usage: tg-sigstore-forge OUTDIR [--image-digest sha256:HEX]\n");
	exit(2);
}

static void forge_init(forge *f, const char *outdir)
{
	f->outdir = outdir;
	f->now = time(NULL);
	f->t = f->now - DAY;
	f->ca = make_ca(f);
	f->other_ca = make_ca(f);
	f->log = new_log_key();
	f->ctlog = new_log_key();
	f->other_ctlog = new_log_key();
	f->unknown_log = new_log_key();
	f->v2log = new_v2_log_key(V2_HOST);
	f->unknown_v2log = new_v2_log_key(V2_HOST);
	f->rogue = ec_key("P-256");
	f->rogue_ed = ed25519_key();
	make_tsa(f, &f->tsa_root, &f->tsa_leaf);
	make_tsa(f, &f->other_tsa_root, &f->other_tsa_leaf);
	sha256(ARTIFACT_TEXT, strlen(ARTIFACT_TEXT), &f->artifact_sha);
	hex(f->artifact_sha.h, sizeof f->artifact_sha.h, f->artifact_hex);
}

static void forge_free(forge *f)
{
	keyed_cert_free(&f->ca.root);
	keyed_cert_free(&f->ca.inter);
	keyed_cert_free(&f->other_ca.root);
	keyed_cert_free(&f->other_ca.inter);
	log_key_free(&f->log);
	log_key_free(&f->ctlog);
	log_key_free(&f->other_ctlog);
	log_key_free(&f->unknown_log);
	log_key_free(&f->v2log);
	log_key_free(&f->unknown_v2log);
	EVP_PKEY_free(f->rogue);
	EVP_PKEY_free(f->rogue_ed);
	keyed_cert_free(&f->tsa_root);
	keyed_cert_free(&f->tsa_leaf);
	keyed_cert_free(&f->other_tsa_root);
	keyed_cert_free(&f->other_tsa_leaf);
}

/* Rows reusing good.bundle.json with a wrong policy or trusted root. */
static void write_policy_cases(FILE *cases)
{
	const char *g = "good.bundle.json", *r = "trusted_root.json";
	write_case(cases, g, "fail", WRONG_ID_URI, ID_URI_ISSUER, r);
	write_case(cases, g, "fail", ID_URI, WRONG_ISSUER, r);
	write_case(cases, g, "fail", ID_URI, ID_URI_ISSUER, "trusted_root_ca_expired.json");
	write_case(cases, g, "fail", ID_URI, ID_URI_ISSUER, "trusted_root_no_log.json");
}

static void write_cases_and_bundles(const forge *f, const char *image_digest)
{
	size_t len = strlen(f->outdir) + sizeof "/cases.tsv";
	char *path = xmalloc(len);
	snprintf(path, len, "%s/cases.tsv", f->outdir);
	FILE *cases = fopen(path, "w");
	need(cases != NULL, "cannot create cases.tsv");
	for (size_t i = 0; i < sizeof bundles / sizeof bundles[0]; i++)
		write_message_bundle(f, &bundles[i], cases);
	if (image_digest)
		write_dsse_bundle(f, image_digest + 7, 0, C_GOOD, cases);
	write_policy_cases(cases);
	/* timestamps and Rekor v2, after the rows above (which keep their order) */
	for (size_t i = 0; i < sizeof ts_bundles / sizeof ts_bundles[0]; i++)
		write_ts_bundle(f, &ts_bundles[i], cases);
	if (image_digest)
		write_dsse_bundle(f, image_digest + 7, 1, C_GOOD, cases);
	/* the TSA's validity in the trusted root starts after the timestamp */
	write_case(cases, "good-v2.bundle.json", "fail", ID_URI, ID_URI_ISSUER,
	           "trusted_root_tsa_late.json");
	/* SCTs; a root without CT logs requires none */
	for (size_t i = 0; i < sizeof sct_bundles / sizeof sct_bundles[0]; i++)
		write_message_bundle(f, &sct_bundles[i], cases);
	write_case(cases, "bad-no-sct.bundle.json", "ok", ID_URI, ID_URI_ISSUER,
	           "trusted_root_no_ct.json");
	/* the image signature by an expired leaf, after every other row */
	if (image_digest)
		write_dsse_bundle(f, image_digest + 7, 0, C_EXPIRED, cases);
	need(fclose(cases) == 0, "writing cases.tsv");
	free(path);
}

int main(int argc, char **argv)
{
	const char *outdir = NULL, *image_digest = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--image-digest") == 0 && i + 1 < argc)
			image_digest = argv[++i];
		else if (argv[i][0] != '-' && !outdir)
			outdir = argv[i];
		else
			usage();
	}
	if (!outdir || !*outdir)
		usage();
	if (image_digest && !valid_image_digest(image_digest)) {
		fprintf(stderr, "tg-sigstore-forge: --image-digest must be sha256:<64 lowercase hex>\n");
		return 2;
	}
	mkdir_p(outdir);

	forge f;
	forge_init(&f, outdir);
	write_file(&f, "artifact.txt", ARTIFACT_TEXT, strlen(ARTIFACT_TEXT));
	time_t tsa_start = f.now - 30 * DAY;
	write_trusted_root(&f, "trusted_root.json", &f.log, &f.v2log, &f.ctlog, 0, tsa_start);
	write_trusted_root(&f, "trusted_root_ca_expired.json", &f.log, &f.v2log, &f.ctlog,
	                   f.t - 3600, tsa_start);
	/* the same CT log: what fails is the unknown transparency log */
	write_trusted_root(&f, "trusted_root_no_log.json", &f.unknown_log, &f.unknown_v2log,
	                   &f.ctlog, 0, tsa_start);
	write_trusted_root(&f, "trusted_root_tsa_late.json", &f.log, &f.v2log, &f.ctlog, 0,
	                   f.t + TSA_START_LATE);
	write_trusted_root(&f, "trusted_root_no_ct.json", &f.log, &f.v2log, NULL, 0, tsa_start);
	write_cases_and_bundles(&f, image_digest);
	forge_free(&f);
	return 0;
}
