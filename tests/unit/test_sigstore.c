/* Unit tests of the Sigstore verifier's parsers: RFC 3339 times, trusted
 * roots, Rekor log entries and bundles that are malformed in one way each
 * (the whole verification, good and bad, is tested on forged material in
 * tests/integration/test_sigstore_keyless.sh and by hand against
 * sigstore-conformance). */
#include "tg_test.h"

#include <jansson.h>
#include <openssl/evp.h>

#include "trustcache/b64.h"
#include "trustcache/rekor.h"
#include "trustcache/sigstore_bundle.h"
#include "trustcache/sigstore_root.h"

static void test_parse_time(void **state)
{
	struct { const char *in; long long want; } ok[] = {
		{"1970-01-01T00:00:00Z", 0},
		{"2021-01-12T11:53:27Z", 1610452407},
		{"2021-01-12T11:53:27.000Z", 1610452407},
		{"2022-12-31T23:59:59.999000Z", 1672531199},
		{"2024-02-29T00:00:00Z", 1709164800},
	};
	const char *bad[] = {"", "2021-01-12", "2021-01-12T11:53:27", "2021-01-12T11:53:27+01:00",
	                     "+021-01-12T11:53:27Z", " 2021-01-12T11:53:27Z", "2021-1-12T11:53:27Z",
	                     "2021-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
	                     "2021-13-01T00:00:00Z", "2021-01-12T24:00:00Z", "2021-01-12T11:53:27.Z",
	                     "2021-01-12T11:53:27.1234567890Z", "2021-01-12T11:53:27Zjunk"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		time_t t = 0;
		if (tg_sigstore_parse_time(ok[i].in, &t) != TG_OK || (long long)t != ok[i].want)
			fail_msg("%s: got %lld", ok[i].in, (long long)t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t;
		if (tg_sigstore_parse_time(bad[i], &t) == TG_OK)
			fail_msg("\"%s\" was accepted", bad[i]);
	}
}

/* A P-256 public key, DER in base64, for roots made here. */
static char *key_b64(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(k, &der);
	tg_buf b;
	tg_buf_init(&b, 4096);
	assert_int_equal(tg_b64_encode(der, (size_t)len, &b, NULL), 0);
	char *out = strdup(tg_buf_str(&b));
	tg_buf_free(&b);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return out;
}

/* fmt with its "%s" (if any) replaced by key. */
static void with_key(char *out, size_t n, const char *fmt, const char *key)
{
	const char *at = strstr(fmt, "%s");
	if (at == NULL)
		snprintf(out, n, "%s", fmt);
	else
		snprintf(out, n, "%.*s%s%s", (int)(at - fmt), fmt, key, at + 2);
}

#define ROOT_TYPE "\"mediaType\": \"application/vnd.dev.sigstore.trustedroot+json;version=0.1\""
#define LOG_ID "\"logId\": {\"keyId\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}"

static void test_trusted_root_errors(void **state)
{
	char *key = key_b64(), json[4096];
	struct { const char *fmt; const char *msg; } cases[] = {
		{"{\"mediaType\": \"x\"}", "is not a Sigstore trusted root"},
		{"{" ROOT_TYPE "}", "must be arrays"},
		{"{" ROOT_TYPE ", \"tlogs\": []}", "names no transparency log"},
		{"{" ROOT_TYPE ", \"tlogs\": [{\"publicKey\": {\"rawBytes\": \"AAAA\"}}]}",
		 "the public key of transparency log 1 is not"},
		{"{" ROOT_TYPE ", \"tlogs\": [{\"publicKey\": {\"rawBytes\": \"%s\"}, " LOG_ID "}]}",
		 "transparency log 1 has no valid publicKey.validFor"},
		{"{" ROOT_TYPE ", \"tlogs\": [{\"publicKey\": {\"rawBytes\": \"%s\", \"validFor\": "
		 "{\"start\": \"2021-01-01T00:00:00Z\", \"end\": \"soon\"}}, " LOG_ID "}]}",
		 "transparency log 1 has no valid publicKey.validFor"},
		{"{" ROOT_TYPE ", \"tlogs\": [{\"publicKey\": {\"rawBytes\": \"%s\", \"validFor\": "
		 "{\"start\": \"2021-01-01T00:00:00Z\"}}, \"logId\": {\"keyId\": \"AAAA\"}}]}",
		 "has no 32-byte logId.keyId"},
		{"{" ROOT_TYPE ", \"certificateAuthorities\": {}, \"tlogs\": []}", "must be arrays"},
		{"{" ROOT_TYPE ", \"certificateAuthorities\": [{\"certChain\": {\"certificates\": "
		 "[{\"rawBytes\": \"AAAA\"}]}, \"validFor\": {\"start\": \"2021-01-01T00:00:00Z\"}}], "
		 "\"tlogs\": [{\"publicKey\": {\"rawBytes\": \"%s\", \"validFor\": {\"start\": "
		 "\"2021-01-01T00:00:00Z\"}}, " LOG_ID "}]}",
		 "certificate 1 of certificate authority 1 is not a base64 DER certificate"},
		{"{" ROOT_TYPE ", \"tlogs\": [{\"publicKey\": {\"rawBytes\": \"%s\", \"validFor\": "
		 "{\"start\": \"2021-01-01T00:00:00Z\"}}, " LOG_ID "}], \"ctlogs\": [{}]}",
		 "(in \"ctlogs\")"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		with_key(json, sizeof(json), cases[i].fmt, key);
		tg_sigstore_root *root = NULL;
		tg_error err;
		if (tg_sigstore_root_parse(json, strlen(json), "root.json", &root, &err) != TG_EINVAL)
			fail_msg("case %zu was accepted", i);
		assert_contains(err.msg, cases[i].msg);
	}
	/* the smallest good root: one log, no authority (key-based logs) */
	snprintf(json, sizeof(json), "{" ROOT_TYPE ", \"tlogs\": [{\"publicKey\": {\"rawBytes\": "
	         "\"%s\", \"validFor\": {\"start\": \"2021-01-01T00:00:00Z\", \"end\": null}}, "
	         LOG_ID "}]}", key);
	tg_sigstore_root *root = NULL;
	tg_error err;
	if (tg_sigstore_root_parse(json, strlen(json), "root.json", &root, &err) != TG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(tg_sigstore_root_log_count(root), 1);
	assert_int_equal(tg_sigstore_root_ca_count(root), 0);
	/* keyless verification under a root without authorities is refused first */
	tg_sigstore_signer who = {"me@example.com", "https://issuer.example"};
	tg_sigstore_policy policy = {NULL, root, &who, 1, NULL};
	const char *bundle = "{}";
	assert_int_equal(tg_sigstore_bundle_verify(bundle, 2, &policy, "sha256:00", NULL, &err),
	                 TG_EINVAL);
	assert_contains(err.msg, "names no certificate authority");
	tg_sigstore_root_free(root);
	free(key);
}

static void test_entry_parse_errors(void **state)
{
	struct { const char *json; const char *msg; } cases[] = {
		{"{}", "no valid kindVersion.kind, logIndex or integratedTime"},
		{"{\"kindVersion\": {\"kind\": \"hashedrekord\"}, \"logIndex\": \"-1\"}",
		 "no valid kindVersion.kind, logIndex"},
		{"{\"kindVersion\": {\"kind\": \"hashedrekord\"}, \"logIndex\": \"1\", "
		 "\"integratedTime\": \"12x\"}", "integratedTime"},
		{"{\"kindVersion\": {\"kind\": \"hashedrekord\"}, \"logIndex\": \"1\"}",
		 "no 32-byte logId.keyId"},
		{"{\"kindVersion\": {\"kind\": \"hashedrekord\"}, \"logIndex\": \"1\", \"logId\": "
		 "{\"keyId\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}",
		 "no canonicalizedBody in base64"},
		{"{\"kindVersion\": {\"kind\": \"hashedrekord\"}, \"logIndex\": \"1\", \"logId\": "
		 "{\"keyId\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}, \"canonicalizedBody\": "
		 "\"e30=\", \"inclusionProof\": {\"logIndex\": \"1\", \"treeSize\": \"2\"}}",
		 "no valid logIndex, treeSize or rootHash"},
		{"{\"kindVersion\": {\"kind\": \"hashedrekord\"}, \"logIndex\": \"1\", \"logId\": "
		 "{\"keyId\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}, \"canonicalizedBody\": "
		 "\"e30=\", \"inclusionProof\": {\"logIndex\": \"1\", \"treeSize\": \"2\", \"rootHash\": "
		 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"hashes\": [\"AAAA\"]}}",
		 "hash 1 of the inclusion proof is not 32 bytes"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_loads(cases[i].json, 0, NULL);
		assert_non_null(v);
		tg_rekor_entry e;
		tg_error err;
		if (tg_rekor_entry_parse(v, &e, &err) != TG_EINVAL)
			fail_msg("case %zu was accepted", i);
		assert_contains(err.msg, cases[i].msg);
		tg_rekor_entry_free(&e);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_trusted_root_errors),
		cmocka_unit_test(test_entry_parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
