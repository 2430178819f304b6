/* Unit tests for trustcache/cosign: key-based cosign signatures made here
 * with OpenSSL (ECDSA P-256 and P-384, RSA, Ed25519) verify; a wrong key, a
 * changed byte, a payload for another digest or of another type do not. */
#include "tg_test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <unistd.h>

#include "trustcache/b64.h"
#include "trustcache/cosign.h"

#define DIGEST "sha256:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"
#define OTHER "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static char dir[64];

static EVP_PKEY *make_key(const char *kind)
{
	EVP_PKEY *k = NULL;
	if (strcmp(kind, "rsa") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(kind, "ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", kind);
	assert_non_null(k);
	return k;
}

/* Write k's public key as PEM to dir/name; the path in path. */
static void write_public(EVP_PKEY *k, const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
}

/* base64 of k's signature over msg, as cosign signs. */
static char *sign(EVP_PKEY *k, const char *msg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	unsigned char sig[1024];
	size_t len = sizeof(sig);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(ctx);
	tg_buf b;
	tg_buf_init(&b, 4096);
	tg_error err;
	assert_int_equal(tg_b64_encode(sig, len, &b, &err), 0);
	char *out = strdup(tg_buf_str(&b));
	tg_buf_free(&b);
	return out;
}

static char *payload_for(const char *digest, const char *type)
{
	char *p = malloc(512);
	snprintf(p, 512, "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/acme/app\"},"
	         "\"image\":{\"docker-manifest-digest\":\"%s\"},\"type\":\"%s\"},\"optional\":null}",
	         digest, type);
	return p;
}

static int verify(const tg_cosign_keys *keys, const char *payload, const char *sig, size_t *which,
                  tg_error *err)
{
	return tg_cosign_verify(keys, (const unsigned char *)payload, strlen(payload), sig, DIGEST,
	                        which, err);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tg_cosign.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_each_key_type(void **state)
{
	const char *kinds[] = {"P-256", "P-384", "rsa", "ed25519"};
	char *payload = payload_for(DIGEST, "cosign container image signature");
	for (size_t i = 0; i < 4; i++) {
		EVP_PKEY *k = make_key(kinds[i]), *other = make_key(kinds[i]);
		char path[128], other_path[128];
		write_public(k, "k.pem", path, sizeof(path));
		write_public(other, "o.pem", other_path, sizeof(other_path));
		const char *files[] = {other_path, path};
		tg_cosign_keys *keys = NULL;
		tg_error err;
		assert_int_equal(tg_cosign_keys_load(files, 2, &keys, &err), 0);
		char *sig = sign(k, payload);
		size_t which = 99;
		if (verify(keys, payload, sig, &which, &err) != 0)
			fail_msg("%s: %s", kinds[i], err.msg);
		assert_int_equal(which, 1); /* the second key verified */
		/* the other key alone does not */
		tg_cosign_keys *only_other = NULL;
		assert_int_equal(tg_cosign_keys_load(files, 1, &only_other, &err), 0);
		assert_int_equal(verify(only_other, payload, sig, NULL, &err), TG_EINVAL);
		assert_contains(err.msg, "does not verify with the trust root's public key");
		/* one byte changed */
		char *tampered = strdup(payload);
		tampered[strlen(tampered) - 2] = ' ';
		assert_int_equal(verify(keys, tampered, sig, NULL, &err), TG_EINVAL);
		assert_contains(err.msg, "does not verify");
		free(tampered);
		free(sig);
		tg_cosign_keys_free(keys);
		tg_cosign_keys_free(only_other);
		EVP_PKEY_free(k);
		EVP_PKEY_free(other);
	}
	free(payload);
}

/* A good signature over the wrong statement is still refused. */
static void test_payload_checks(void **state)
{
	EVP_PKEY *k = make_key("P-256");
	char path[128];
	write_public(k, "k.pem", path, sizeof(path));
	const char *files[] = {path};
	tg_cosign_keys *keys = NULL;
	tg_error err;
	assert_int_equal(tg_cosign_keys_load(files, 1, &keys, &err), 0);
	struct { char *payload; const char *msg; } cases[] = {
		{payload_for(OTHER, "cosign container image signature"), "the signature is for " OTHER},
		{payload_for(DIGEST, "something else"), "not a cosign container image signature"},
		{strdup("not json"), "not JSON"},
		{strdup("{\"critical\":{\"type\":\"cosign container image signature\"}}"),
		 "for no digest"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *sig = sign(k, cases[i].payload);
		assert_int_equal(verify(keys, cases[i].payload, sig, NULL, &err), TG_EINVAL);
		assert_contains(err.msg, cases[i].msg);
		free(sig);
		free(cases[i].payload);
	}
	char *payload = payload_for(DIGEST, "cosign container image signature");
	assert_int_equal(verify(keys, payload, "***", NULL, &err), TG_EINVAL);
	assert_contains(err.msg, "not base64");
	assert_int_equal(verify(keys, payload, NULL, NULL, &err), TG_EINVAL);
	char *big = calloc(1, TG_COSIGN_PAYLOAD_MAX + 2);
	memset(big, 'a', TG_COSIGN_PAYLOAD_MAX + 1);
	assert_int_equal(verify(keys, big, "AAAA", NULL, &err), TG_ETOOBIG);
	free(big);
	free(payload);
	tg_cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_key_files(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/not-a-key.pem", dir);
	FILE *f = fopen(path, "w");
	fputs("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", f);
	fclose(f);
	const char *files[] = {path};
	tg_cosign_keys *keys = NULL;
	tg_error err;
	assert_int_equal(tg_cosign_keys_load(files, 1, &keys, &err), TG_EINVAL);
	assert_contains(err.msg, "not-a-key.pem is not a PEM public key");
	const char *missing[] = {"/nonexistent/key.pem"};
	assert_int_equal(tg_cosign_keys_load(missing, 1, &keys, &err), TG_EIO);
	assert_int_equal(tg_cosign_keys_load(files, 0, &keys, &err), TG_EINVAL);
}

/* The base64 of key's public key in PEM, as Rekor records a signer. */
static void public_pem_b64(EVP_PKEY *key, tg_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(bio, key), 1);
	char *pem = NULL;
	long len = BIO_get_mem_data(bio, &pem);
	assert_int_equal(tg_b64_encode((const unsigned char *)pem, (size_t)len, out, NULL), 0);
	BIO_free(bio);
}

/* A log's id: the hex sha256 of its key's DER. */
static void log_id_hex(EVP_PKEY *key, char hex[65])
{
	unsigned char *der = NULL, md[32];
	int len = i2d_PUBKEY(key, &der);
	assert_true(len > 0);
	SHA256(der, (size_t)len, md);
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* A Rekor entry: {"SignedEntryTimestamp", "Payload"} for a hashedrekord
 * of (hash, sig by signer), its SET made by setkey, in log. */
static char *tlog_entry(EVP_PKEY *setkey, EVP_PKEY *log, EVP_PKEY *signer, const char *hash,
                        const char *sig)
{
	char body[8192], canonical[16384], id[65];
	tg_buf pem, b;
	tg_buf_init(&pem, 4096);
	tg_buf_init(&b, 16384);
	public_pem_b64(signer, &pem);
	log_id_hex(log, id);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\":"
	         "{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"%s\"}},\"signature\":{\"content\":\"%s\","
	         "\"publicKey\":{\"content\":\"%s\"}}}}", hash, sig, tg_buf_str(&pem));
	tg_error err;
	assert_int_equal(tg_b64_encode((const unsigned char *)body, strlen(body), &b, &err), 0);
	snprintf(canonical, sizeof(canonical), "{\"body\":\"%s\",\"integratedTime\":5,\"logID\":\"%s\","
	         "\"logIndex\":9}", tg_buf_str(&b), id);
	char *set = sign(setkey, canonical);
	char *entry = malloc(16384);
	snprintf(entry, 16384, "{\"SignedEntryTimestamp\":\"%s\",\"Payload\":{\"body\":\"%s\","
	         "\"integratedTime\":5,\"logIndex\":9,\"logID\":\"%s\"}}", set, tg_buf_str(&b), id);
	free(set);
	tg_buf_free(&b);
	tg_buf_free(&pem);
	return entry;
}

/* The log entry must be signed by a known log and record this very
 * signature by this very key over this very payload. */
static void test_tlog_entry(void **state)
{
	EVP_PKEY *rekor = make_key("P-256"), *other = make_key("P-256");
	EVP_PKEY *signer = make_key("P-256");
	char path[128];
	write_public(rekor, "rekor.pem", path, sizeof(path));
	tg_sigstore_root *logs = NULL;
	tg_error err;
	assert_int_equal(tg_sigstore_root_from_log_key(path, &logs, &err), 0);
	const char *payload = "the payload";
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(payload, strlen(payload), md, &n, EVP_sha256(), NULL);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	const char *sig = "U0lH"; /* base64 of "SIG" */
	struct { EVP_PKEY *setkey, *log, *signer; const char *hash, *sig; int rc; const char *msg; } cases[] = {
		{rekor, rekor, signer, hex, sig, 0, ""},
		{other, rekor, signer, hex, sig, TG_EINVAL, "signed entry timestamp does not verify"},
		{other, other, signer, hex, sig, TG_EINVAL, "a transparency log the trust root does not know"},
		{rekor, rekor, signer, "00", sig, TG_EINVAL, "for other signed data"},
		{rekor, rekor, signer, hex, "T1RIRVI=", TG_EINVAL, "records another signature"},
		{rekor, rekor, other, hex, sig, TG_EINVAL, "records another signer"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *entry = tlog_entry(cases[i].setkey, cases[i].log, cases[i].signer, cases[i].hash,
		                         cases[i].sig);
		int rc = tg_cosign_verify_tlog(logs, entry, (const unsigned char *)payload,
		                               strlen(payload), sig, signer, &err);
		if (rc != cases[i].rc || (rc != 0 && strstr(err.msg, cases[i].msg) == NULL))
			fail_msg("case %zu: got %d \"%s\"", i, rc, rc ? err.msg : "");
		free(entry);
	}
	assert_int_equal(tg_cosign_verify_tlog(logs, NULL, (const unsigned char *)payload,
	                                       strlen(payload), sig, signer, &err), TG_EINVAL);
	assert_contains(err.msg, "has no transparency-log entry");
	tg_sigstore_root_free(logs);
	EVP_PKEY_free(rekor);
	EVP_PKEY_free(other);
	EVP_PKEY_free(signer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_key_type),
		cmocka_unit_test(test_payload_checks),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_tlog_entry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
