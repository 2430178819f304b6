/* cosign: see cosign.h. The signature is checked first, over the raw
 * payload bytes; only then is the payload read (nothing unsigned is
 * parsed for a decision). */
#include "trustcache/cosign.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "trustcache/b64.h"
#include "trustcache/registry.h"

struct tg_cosign_keys {
	size_t n;
	EVP_PKEY *keys[TG_COSIGN_KEYS_MAX];
};

void tg_cosign_keys_free(tg_cosign_keys *keys)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < keys->n; i++)
		EVP_PKEY_free(keys->keys[i]);
	free(keys);
}

static int load_key(const char *file, EVP_PKEY **out, tg_error *err)
{
	FILE *f = fopen(file, "r");
	if (f == NULL)
		return tg_error_set(err, TG_EIO, "cannot read public key %s", file);
	EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	int id = k ? EVP_PKEY_get_base_id(k) : 0;
	if (k == NULL || (id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519)) {
		EVP_PKEY_free(k);
		return tg_error_set(err, TG_EINVAL, "%s is not a PEM public key of a type cosign uses "
		                    "(ECDSA, RSA, Ed25519)", file);
	}
	*out = k;
	return TG_OK;
}

int tg_cosign_keys_load(const char *const *files, size_t n, tg_cosign_keys **out,
                        tg_error *err)
{
	if (n == 0 || n > TG_COSIGN_KEYS_MAX)
		return tg_error_set(err, TG_EINVAL, "a sigstore trust root needs 1 to %d public keys",
		                    TG_COSIGN_KEYS_MAX);
	tg_cosign_keys *keys = calloc(1, sizeof(*keys));
	if (keys == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int rc = load_key(files[i], &keys->keys[i], err);
		if (rc != TG_OK) {
			tg_cosign_keys_free(keys);
			return rc;
		}
		keys->n++;
	}
	*out = keys;
	return TG_OK;
}

/* Whether sig is key's signature over msg, as cosign signs. */
static bool signature_checks(EVP_PKEY *key, const unsigned char *msg, size_t len,
                             const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	bool ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	          EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

bool tg_cosign_keys_verify(const tg_cosign_keys *keys, const unsigned char *msg, size_t len,
                           const unsigned char *sig, size_t sig_len, size_t *key_index)
{
	for (size_t i = 0; i < keys->n; i++) {
		if (signature_checks(keys->keys[i], msg, len, sig, sig_len)) {
			if (key_index != NULL)
				*key_index = i;
			return true;
		}
	}
	return false;
}

/* The signed payload says it signs image_digest. */
static int check_payload(const unsigned char *payload, size_t len, const char *image_digest,
                         tg_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *critical = json_object_get(root, "critical");
	const char *type = json_string_value(json_object_get(critical, "type"));
	const char *digest = json_string_value(
		json_object_get(json_object_get(critical, "image"), "docker-manifest-digest"));
	int rc = TG_OK;
	if (root == NULL)
		rc = tg_error_set(err, TG_EINVAL, "the signed payload is not JSON: %s", jerr.text);
	else if (type == NULL || strcmp(type, "cosign container image signature") != 0)
		rc = tg_error_set(err, TG_EINVAL, "the signed payload is not a cosign container image "
		                  "signature");
	else if (digest == NULL || strcmp(digest, image_digest) != 0)
		rc = tg_error_set(err, TG_EINVAL, "the signature is for %.80s, not for %s",
		                  digest ? digest : "no digest", image_digest);
	json_decref(root);
	return rc;
}

int tg_cosign_verify(const tg_cosign_keys *keys, const unsigned char *payload, size_t payload_len,
                     const char *sig_b64, const char *image_digest, size_t *key_index,
                     tg_error *err)
{
	if (payload_len > TG_COSIGN_PAYLOAD_MAX)
		return tg_error_set(err, TG_ETOOBIG, "the signed payload is larger than %u bytes",
		                    TG_COSIGN_PAYLOAD_MAX);
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	tg_error sub;
	if (sig_b64 == NULL || tg_b64_decode(sig_b64, strlen(sig_b64), 4096, &sig, &sig_len, &sub) !=
	                               TG_OK)
		return tg_error_set(err, TG_EINVAL, "the signature annotation is missing or not base64");
	size_t which = keys->n;
	bool verified = tg_cosign_keys_verify(keys, payload, payload_len, sig, sig_len, &which);
	free(sig);
	if (!verified)
		return tg_error_set(err, TG_EINVAL, "the signature does not verify with the trust "
		                    "root's public key%s", keys->n > 1 ? "s" : "");
	int rc = check_payload(payload, payload_len, image_digest, err);
	if (rc == TG_OK && key_index != NULL)
		*key_index = which;
	return rc;
}

/* The entry's body says it logged sig_b64 over payload. */
static int check_rekord_body(const char *body_b64, const unsigned char *payload, size_t len,
                             const char *sig_b64, tg_error *err)
{
	unsigned char *body = NULL;
	size_t body_len = 0;
	char digest[TG_REGISTRY_DIGEST_SIZE];
	tg_error sub;
	if (tg_b64_decode(body_b64, strlen(body_b64), 256 * 1024, &body, &body_len, &sub) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "the transparency-log entry's body is not base64");
	json_t *e = json_loadb((const char *)body, body_len, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	json_t *spec = json_object_get(e, "spec");
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *value = json_string_value(
		json_object_get(json_object_get(json_object_get(spec, "data"), "hash"), "value"));
	const char *logged = json_string_value(
		json_object_get(json_object_get(spec, "signature"), "content"));
	int rc = tg_registry_sha256(payload, len, digest);
	if (rc != TG_OK)
		rc = tg_error_set(err, rc, "cannot compute sha256");
	else if (kind == NULL || strcmp(kind, "hashedrekord") != 0)
		rc = tg_error_set(err, TG_EINVAL, "the transparency-log entry is not a hashedrekord");
	else if (value == NULL || strcmp(value, digest + 7) != 0) /* hex, without "sha256:" */
		rc = tg_error_set(err, TG_EINVAL, "the transparency-log entry is for another payload");
	else if (logged == NULL || strcmp(logged, sig_b64) != 0)
		rc = tg_error_set(err, TG_EINVAL, "the transparency-log entry records another signature");
	json_decref(e);
	return rc;
}

int tg_cosign_verify_tlog(const tg_cosign_keys *rekor_keys, const char *entry_json,
                          const unsigned char *payload, size_t payload_len, const char *sig_b64,
                          tg_error *err)
{
	if (entry_json == NULL)
		return tg_error_set(err, TG_EINVAL, "the signature has no transparency-log entry, which "
		                    "this trust root requires");
	json_t *root = json_loads(entry_json, JSON_REJECT_DUPLICATES, NULL);
	json_t *p = json_object_get(root, "Payload");
	const char *set_b64 = json_string_value(json_object_get(root, "SignedEntryTimestamp"));
	const char *body = json_string_value(json_object_get(p, "body"));
	const char *log_id = json_string_value(json_object_get(p, "logID"));
	json_t *time = json_object_get(p, "integratedTime"), *index = json_object_get(p, "logIndex");
	char canonical[8192];
	unsigned char *set = NULL;
	size_t set_len = 0;
	tg_error sub;
	int rc = TG_OK;
	/* Its fields are base64, hex and integers: nothing JSON would escape. */
	if (set_b64 == NULL || body == NULL || log_id == NULL || !json_is_integer(time) ||
	    !json_is_integer(index) || strpbrk(body, "\"\\") || strpbrk(log_id, "\"\\") ||
	    snprintf(canonical, sizeof(canonical),
	             "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":%lld}", body,
	             (long long)json_integer_value(time), log_id,
	             (long long)json_integer_value(index)) >= (int)sizeof(canonical) ||
	    tg_b64_decode(set_b64, strlen(set_b64), 4096, &set, &set_len, &sub) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "the transparency-log entry is malformed");
	else if (!tg_cosign_keys_verify(rekor_keys, (const unsigned char *)canonical,
	                                strlen(canonical), set, set_len, NULL))
		rc = tg_error_set(err, TG_EINVAL, "the transparency-log entry's signed timestamp does "
		                  "not verify with the configured Rekor key");
	else
		rc = check_rekord_body(body, payload, payload_len, sig_b64, err);
	free(set);
	json_decref(root);
	return rc;
}
