/* Unit tests for trustcache/tuf_key: key parsing, key IDs (against the real
 * notary-server fixtures), certificate validity, and signature checks with
 * keys generated here by OpenSSL. */
#include "tg_test.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "trustcache/b64.h"
#include "trustcache/tuf_key.h"
#include "trustcache/tuf_role.h"

/* ---- helpers: keys and signatures made in the test ------------------------ */

/* Public key object for pk: SPKI DER for ecdsa/rsa, raw bytes for ed25519. */
static json_t *key_json(EVP_PKEY *pk, const char *keytype)
{
	unsigned char raw[1024], *p = raw;
	size_t n = sizeof(raw);
	if (strcmp(keytype, "ed25519") == 0)
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &n), 1);
	else
		n = (size_t)i2d_PUBKEY(pk, &p);
	tg_buf b;
	tg_buf_init(&b, 4096);
	assert_int_equal(tg_b64_encode(raw, n, &b, NULL), 0);
	json_t *j = json_pack("{s:s,s:{s:n,s:s}}", "keytype", keytype, "keyval", "private", "public",
			      tg_buf_str(&b));
	tg_buf_free(&b);
	return j;
}

static tg_tuf_key *parse_key(json_t *j)
{
	tg_tuf_key *k = NULL;
	tg_error err;
	if (tg_tuf_key_parse(j, &k, &err) != 0)
		fail_msg("key parse: %s", err.msg);
	return k;
}

/* Sign msg with pk as method does; raw signature into sig, length returned. */
static size_t sign_raw(EVP_PKEY *pk, const char *method, const void *msg, size_t len,
		       unsigned char *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ed = strcmp(method, "eddsa") == 0;
	assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, ed ? NULL : "SHA256", NULL, NULL, pk, NULL), 1);
	if (strcmp(method, "rsapss") == 0) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	unsigned char der[1024];
	size_t n = sizeof(der);
	assert_int_equal(EVP_DigestSign(ctx, der, &n, msg, len), 1);
	EVP_MD_CTX_free(ctx);
	if (strcmp(method, "ecdsa") != 0) {
		memcpy(sig, der, n);
		return n;
	}
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
	int half = (EVP_PKEY_get_bits(pk) + 7) / 8;
	BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, half);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, half);
	ECDSA_SIG_free(es);
	return (size_t)(2 * half);
}

static char *fixture_text(const char *rel, size_t *len)
{
	const char *fx = getenv("TG_FIXTURES");
	assert_non_null(fx);
	char path[1024];
	snprintf(path, sizeof(path), "%s/tuf/%s", fx, rel);
	return tg_test_read_file(path, len);
}

/* ---- fixtures: key IDs ---------------------------------------------------- */

/* Every key in root.json has the ID it is filed under, including the
 * ecdsa-x509 root key (ID over its certificate form). */
static void test_fixture_key_ids(void **state)
{
	static const char *const roots[] = {"127.0.0.1_5005_acme_signed/root.json",
					    "127.0.0.1_5005_acme_tampered/root.json"};
	for (size_t r = 0; r < 2; r++) {
		char *text = fixture_text(roots[r], NULL);
		json_t *doc = json_loads(text, 0, NULL);
		json_t *keys = json_object_get(json_object_get(doc, "signed"), "keys");
		const char *id;
		json_t *kj;
		int n = 0, x509 = 0;
		json_object_foreach(keys, id, kj) {
			tg_tuf_key *k = parse_key(kj);
			assert_string_equal(tg_tuf_key_id(k), id);
			x509 += tg_tuf_key_type(k) == TG_TUF_KEY_ECDSA_X509;
			n++;
			tg_tuf_key_free(k);
		}
		assert_int_equal(n, 4);
		assert_int_equal(x509, 1);
		json_decref(doc);
		free(text);
	}
}

/* The server-managed public keys saved beside the metadata (keys with
 * "private":null written in another member order) have the root's IDs. */
static void test_fixture_key_files(void **state)
{
	static const struct {
		const char *file, *id;
	} files[] = {
		{"127.0.0.1_5005_acme_signed/snapshot.key",
		 "fbfb7ad3cfbd2cd110a33e299ad745d2cb23f0cbefa8b4e60dc04c832649e031"},
		{"127.0.0.1_5005_acme_signed/timestamp.key",
		 "96b4868757fef80e8e54872670f81aae8d49ceb6db8439964bc811fa7510a2cf"},
	};
	for (size_t i = 0; i < 2; i++) {
		char *text = fixture_text(files[i].file, NULL);
		json_t *j = json_loads(text, 0, NULL);
		tg_tuf_key *k = parse_key(j);
		assert_string_equal(tg_tuf_key_id(k), files[i].id);
		assert_int_equal(tg_tuf_key_type(k), TG_TUF_KEY_ECDSA);
		assert_int_equal(EVP_PKEY_get_base_id(tg_tuf_key_pkey(k)), EVP_PKEY_EC);
		assert_null(tg_tuf_key_cert(k));
		tg_error err;
		time_t nb, na;
		assert_int_equal(tg_tuf_key_validity(k, &nb, &na, &err), TG_ENOTFOUND);
		assert_contains(err.msg, "has no certificate");
		tg_tuf_key_free(k);
		json_decref(j);
		free(text);
	}
}

/* The root certificate: CN is the GUN, valid 2026-11-23 19:50:13 to
 * 2036-11-20 19:50:13 UTC (10 years, Notary's root default). */
static void test_fixture_cert_validity(void **state)
{
	char *text = fixture_text("127.0.0.1_5005_acme_signed/root.json", NULL);
	json_t *doc = json_loads(text, 0, NULL);
	json_t *kj = json_object_get(json_object_get(json_object_get(doc, "signed"), "keys"),
				     "9430491dff6b8b474f96c3cc0f9fa1511bc420d933a7579432a5cc0cbbf108ce");
	tg_tuf_key *k = parse_key(kj);
	time_t nb = 0, na = 0, want_nb, want_na;
	assert_int_equal(tg_tuf_key_validity(k, &nb, &na, NULL), 0);
	assert_int_equal(tg_tuf_time_parse("2026-11-23T19:50:13Z", &want_nb, NULL), 0);
	assert_int_equal(tg_tuf_time_parse("2036-11-20T19:50:13Z", &want_na, NULL), 0);
	assert_int_equal(nb, want_nb);
	assert_int_equal(na, want_na);
	char cn[256];
	X509_NAME_get_text_by_NID(X509_get_subject_name(tg_tuf_key_cert(k)), NID_commonName, cn,
				  sizeof(cn));
	assert_string_equal(cn, "127.0.0.1:5005/acme/signed");
	assert_string_equal(tg_tuf_key_type_name(tg_tuf_key_type(k)), "ecdsa-x509");
	tg_tuf_key_free(k);
	json_decref(doc);
	free(text);
}

/* ---- malformed keys ------------------------------------------------------- */

struct bad_key {
	const char *json;
	const char *msg;
};

static const struct bad_key bad_keys[] = {
	{"[]", "not a JSON object"},
	{"{\"keyval\":{\"public\":\"AAAA\"}}", "no \"keytype\" string"},
	{"{\"keytype\":\"dsa\",\"keyval\":{\"public\":\"AAAA\"}}", "unknown key type \"dsa\""},
	{"{\"keytype\":\"ECDSA\",\"keyval\":{\"public\":\"AAAA\"}}", "unknown key type \"ECDSA\""},
	{"{\"keytype\":\"ecdsa\",\"keyval\":{\"private\":null}}", "no \"keyval\".\"public\" string"},
	{"{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":null}}", "no \"keyval\".\"public\" string"},
	{"{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"AA!A\"}}", "public value: base64"},
	{"{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"AAAA\"}}", "not a DER SubjectPublicKeyInfo"},
	{"{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"AAAA\"}}", "ed25519 public key is 3 bytes, not 32"},
	{"{\"keytype\":\"ecdsa-x509\",\"keyval\":{\"public\":\"AAAA\"}}", "not a PEM certificate"},
	{"{\"keytype\":\"rsa-x509\",\"keyval\":{\"public\":\"LS0tLS1CRUdJTiBGT08tLS0tLQpBQUFBCi0tLS0tRU5EIEZPTy0tLS0tCg==\"}}",
	 "PEM block is \"FOO\", not CERTIFICATE"},
	/* the ecdsa timestamp key with a byte appended to its DER */
	{"{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEL2f45aUbBPBTYjde2zMQrWLfy8fmvGf8Mf/LaOwKmrfEz6D2EAfbdisXdZrW58ZonVv16GOkGan18r+cYe6uIQA=\"}}",
	 "trailing data after DER public key"},
	/* the same EC key filed as rsa */
	{"{\"keytype\":\"rsa\",\"keyval\":{\"public\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEL2f45aUbBPBTYjde2zMQrWLfy8fmvGf8Mf/LaOwKmrfEz6D2EAfbdisXdZrW58ZonVv16GOkGan18r+cYe6uIQ==\"}}",
	 "rsa key does not hold an RSA public key"},
};

static void test_malformed_keys(void **state)
{
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		json_t *j = json_loads(bad_keys[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		tg_tuf_key *k = (tg_tuf_key *)&k; /* must stay untouched */
		tg_tuf_key *before = k;
		tg_error err;
		tg_error_clear(&err);
		int rc = tg_tuf_key_parse(j, &k, &err);
		if (rc != TG_EINVAL)
			fail_msg("case %zu: rc %s (%s)", i, tg_code_name(rc), err.msg);
		assert_ptr_equal(k, before);
		assert_contains(err.msg, bad_keys[i].msg);
		json_decref(j);
	}
}

/* An EC key on a curve Go's x509 does not know is refused. */
static void test_unsupported_curve(void **state)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	assert_non_null(pk);
	json_t *j = key_json(pk, "ecdsa");
	tg_tuf_key *k = NULL;
	tg_error err;
	assert_int_equal(tg_tuf_key_parse(j, &k, &err), TG_EINVAL);
	assert_contains(err.msg, "EC curve secp256k1 is not supported");
	json_decref(j);
	EVP_PKEY_free(pk);
}

/* ---- signatures ----------------------------------------------------------- */

struct sig_setup {
	const char *keytype;
	const char *method;
	EVP_PKEY *(*gen)(void);
};

static EVP_PKEY *gen_p256(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }
static EVP_PKEY *gen_p384(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); }
static EVP_PKEY *gen_ed25519(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); }
static EVP_PKEY *gen_rsa2048(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); }

static const struct sig_setup setups[] = {
	{"ecdsa", "ecdsa", gen_p256},
	{"ecdsa", "ecdsa", gen_p384},
	{"ed25519", "eddsa", gen_ed25519},
	{"rsa", "rsapss", gen_rsa2048},
	{"rsa", "rsapkcs1v15", gen_rsa2048},
};

static const char msg[] = "{\"_type\":\"Timestamp\",\"version\":1}";

/* Each method verifies its own signature, and rejects a changed message
 * and a changed signature. */
static void test_sign_verify_roundtrip(void **state)
{
	for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
		EVP_PKEY *pk = setups[i].gen();
		assert_non_null(pk);
		json_t *j = key_json(pk, setups[i].keytype);
		tg_tuf_key *k = parse_key(j);
		unsigned char sig[1024];
		size_t n = sign_raw(pk, setups[i].method, msg, strlen(msg), sig);
		tg_error err;
		if (tg_tuf_key_verify(k, setups[i].method, (const unsigned char *)msg, strlen(msg), sig, n, &err) != 0)
			fail_msg("setup %zu: %s", i, err.msg);
		/* changed message */
		assert_int_equal(tg_tuf_key_verify(k, setups[i].method, (const unsigned char *)msg,
						   strlen(msg) - 1, sig, n, &err), TG_EINVAL);
		assert_contains(err.msg, "signature does not verify");
		/* changed signature */
		sig[n / 2] ^= 1;
		assert_int_equal(tg_tuf_key_verify(k, setups[i].method, (const unsigned char *)msg,
						   strlen(msg), sig, n, &err), TG_EINVAL);
		assert_contains(err.msg, "signature does not verify");
		tg_tuf_key_free(k);
		json_decref(j);
		EVP_PKEY_free(pk);
	}
}

/* Method names are case-insensitive (Notary lower-cases them). */
static void test_method_case(void **state)
{
	EVP_PKEY *pk = gen_p256();
	json_t *j = key_json(pk, "ecdsa");
	tg_tuf_key *k = parse_key(j);
	unsigned char sig[128];
	size_t n = sign_raw(pk, "ecdsa", msg, strlen(msg), sig);
	assert_int_equal(tg_tuf_key_verify(k, "ECDSA", (const unsigned char *)msg, strlen(msg), sig, n, NULL), 0);
	tg_tuf_key_free(k);
	json_decref(j);
	EVP_PKEY_free(pk);
}

struct mismatch_case {
	int setup;          /* index into setups */
	const char *method; /* method claimed */
	const char *msg;
};

static const struct mismatch_case mismatches[] = {
	{0, "eddsa", "signature method eddsa cannot be used with a ecdsa key"},
	{0, "rsapss", "signature method rsapss cannot be used with a ecdsa key"},
	{2, "ecdsa", "signature method ecdsa cannot be used with a ed25519 key"},
	{3, "ecdsa", "signature method ecdsa cannot be used with a rsa key"},
	{3, "eddsa", "signature method eddsa cannot be used with a rsa key"},
	{0, "hmac-sha256", "unknown signature method \"hmac-sha256\""},
	{0, "pycrypto-pkcs#1 pss", "unknown signature method"},
	{0, "", "unknown signature method \"\""},
};

static void test_method_mismatch(void **state)
{
	for (size_t i = 0; i < sizeof(mismatches) / sizeof(mismatches[0]); i++) {
		const struct sig_setup *s = &setups[mismatches[i].setup];
		EVP_PKEY *pk = s->gen();
		json_t *j = key_json(pk, s->keytype);
		tg_tuf_key *k = parse_key(j);
		unsigned char sig[1024];
		size_t n = sign_raw(pk, s->method, msg, strlen(msg), sig);
		tg_error err;
		assert_int_equal(tg_tuf_key_verify(k, mismatches[i].method, (const unsigned char *)msg,
						   strlen(msg), sig, n, &err), TG_EINVAL);
		assert_contains(err.msg, mismatches[i].msg);
		tg_tuf_key_free(k);
		json_decref(j);
		EVP_PKEY_free(pk);
	}
}

/* Signatures of the wrong size, and RSA keys under 2048 bits. */
static void test_signature_sizes(void **state)
{
	EVP_PKEY *pk = gen_p256();
	json_t *j = key_json(pk, "ecdsa");
	tg_tuf_key *k = parse_key(j);
	unsigned char sig[1024];
	size_t n = sign_raw(pk, "ecdsa", msg, strlen(msg), sig);
	tg_error err;
	assert_int_equal(tg_tuf_key_verify(k, "ecdsa", (const unsigned char *)msg, strlen(msg), sig, n - 1, &err), TG_EINVAL);
	assert_contains(err.msg, "ecdsa signature is 63 bytes, not 64");
	/* a DER signature is not accepted where raw r||s is required */
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t dn = sizeof(sig);
	EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, pk, NULL);
	EVP_DigestSign(ctx, sig, &dn, (const unsigned char *)msg, strlen(msg));
	EVP_MD_CTX_free(ctx);
	assert_int_equal(tg_tuf_key_verify(k, "ecdsa", (const unsigned char *)msg, strlen(msg), sig, dn, &err), TG_EINVAL);
	tg_tuf_key_free(k);
	json_decref(j);
	EVP_PKEY_free(pk);

	pk = gen_ed25519();
	j = key_json(pk, "ed25519");
	k = parse_key(j);
	assert_int_equal(tg_tuf_key_verify(k, "eddsa", (const unsigned char *)msg, strlen(msg), sig, 63, &err), TG_EINVAL);
	assert_contains(err.msg, "eddsa signature is 63 bytes, not 64");
	tg_tuf_key_free(k);
	json_decref(j);
	EVP_PKEY_free(pk);

	pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	j = key_json(pk, "rsa");
	k = parse_key(j);
	n = sign_raw(pk, "rsapss", msg, strlen(msg), sig);
	assert_int_equal(tg_tuf_key_verify(k, "rsapss", (const unsigned char *)msg, strlen(msg), sig, n, &err), TG_EINVAL);
	assert_contains(err.msg, "RSA key has 1024 bits; at least 2048 required");
	tg_tuf_key_free(k);
	json_decref(j);
	EVP_PKEY_free(pk);
}

/* rsapss requires salt length 32 exactly: a signature with a 20-byte salt
 * does not verify. */
static void test_rsapss_salt(void **state)
{
	EVP_PKEY *pk = gen_rsa2048();
	json_t *j = key_json(pk, "rsa");
	tg_tuf_key *k = parse_key(j);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, pk, NULL);
	EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
	EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20);
	unsigned char sig[512];
	size_t n = sizeof(sig);
	assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(ctx);
	tg_error err;
	assert_int_equal(tg_tuf_key_verify(k, "rsapss", (const unsigned char *)msg, strlen(msg), sig, n, &err), TG_EINVAL);
	assert_contains(err.msg, "rsapss signature does not verify");
	tg_tuf_key_free(k);
	json_decref(j);
	EVP_PKEY_free(pk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_key_ids),
		cmocka_unit_test(test_fixture_key_files),
		cmocka_unit_test(test_fixture_cert_validity),
		cmocka_unit_test(test_malformed_keys),
		cmocka_unit_test(test_unsupported_curve),
		cmocka_unit_test(test_sign_verify_roundtrip),
		cmocka_unit_test(test_method_case),
		cmocka_unit_test(test_method_mismatch),
		cmocka_unit_test(test_signature_sizes),
		cmocka_unit_test(test_rsapss_salt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
