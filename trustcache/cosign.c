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
#include <openssl/sha.h>

#include "trustcache/b64.h"
#include "trustcache/rekor.h"
#include "trustcache/sigstore_internal.h"

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

size_t tg_cosign_keys_count(const tg_cosign_keys *keys)
{
	return keys->n;
}

EVP_PKEY *tg_cosign_keys_at(const tg_cosign_keys *keys, size_t i)
{
	return keys->keys[i];
}

bool tg_cosign_keys_verify(const tg_cosign_keys *keys, const unsigned char *msg, size_t len,
                           const unsigned char *sig, size_t sig_len, size_t *key_index)
{
	for (size_t i = 0; i < keys->n; i++) {
		if (tgs_signature_checks(keys->keys[i], msg, len, sig, sig_len)) {
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

/* The Payload's logID: the log's id in hex. */
static int read_log_id(const char *hex, unsigned char id[32])
{
	if (hex == NULL || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return TG_EINVAL;
	for (size_t i = 0; i < 32; i++) {
		unsigned int byte;
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return TG_EINVAL;
		id[i] = (unsigned char)byte;
	}
	return TG_OK;
}

/* The entry's SET verifies and its body records sig over payload by signer. */
static int check_entry(const tg_sigstore_root *logs, json_t *root, const unsigned char *payload,
                       size_t payload_len, const char *sig_b64, EVP_PKEY *signer,
                       tg_error *err)
{
	json_t *p = json_object_get(root, "Payload");
	const char *set_b64 = json_string_value(json_object_get(root, "SignedEntryTimestamp"));
	const char *body_b64 = json_string_value(json_object_get(p, "body"));
	json_t *time = json_object_get(p, "integratedTime"), *index = json_object_get(p, "logIndex");
	unsigned char id[32], payload_sha[32], *set = NULL, *body = NULL, *sig = NULL;
	size_t set_len = 0, body_len = 0, sig_len = 0;
	tg_error sub;
	int rc;
	if (body_b64 == NULL || strpbrk(body_b64, "\"\\") || !json_is_integer(time) ||
	    !json_is_integer(index) ||
	    read_log_id(json_string_value(json_object_get(p, "logID")), id) != TG_OK ||
	    tgs_b64(set_b64, 4096, &set, &set_len, &sub) != TG_OK ||
	    tgs_b64(body_b64, 256 * 1024, &body, &body_len, &sub) != TG_OK ||
	    tgs_b64(sig_b64, 4096, &sig, &sig_len, &sub) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "the transparency-log entry is malformed");
	else
		rc = tg_rekor_verify_set(logs, body_b64, json_integer_value(time), id,
		                         json_integer_value(index), set, set_len, err);
	if (rc == TG_OK) {
		SHA256(payload, payload_len, payload_sha);
		tg_rekor_signature logged = {payload_sha, NULL, sig, sig_len, NULL, signer};
		rc = tg_rekor_entry_records(body, body_len, &logged, err);
	}
	free(set);
	free(body);
	free(sig);
	return rc;
}

int tg_cosign_verify_tlog(const tg_sigstore_root *logs, const char *entry_json,
                          const unsigned char *payload, size_t payload_len, const char *sig_b64,
                          EVP_PKEY *signer, tg_error *err)
{
	if (entry_json == NULL)
		return tg_error_set(err, TG_EINVAL, "the signature has no transparency-log entry, which "
		                    "this trust root requires");
	json_t *root = json_loads(entry_json, JSON_REJECT_DUPLICATES, NULL);
	int rc = root != NULL ? check_entry(logs, root, payload, payload_len, sig_b64, signer, err)
	                      : tg_error_set(err, TG_EINVAL, "the transparency-log entry is malformed");
	json_decref(root);
	return rc;
}
