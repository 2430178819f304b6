/* sigstore_bundle: see sigstore_bundle.h. The signature is checked before
 * the statement is read. */
#include "trustcache/sigstore_bundle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trustcache/b64.h"

#define INTOTO_TYPE "application/vnd.in-toto+json"

/* The DSSE pre-authentication encoding of payload under type. */
static int pae(const char *type, const unsigned char *payload, size_t len, tg_buf *out,
               tg_error *err)
{
	int rc = tg_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len);
	if (rc == TG_OK)
		rc = tg_buf_append(out, payload, len);
	return rc == TG_OK ? TG_OK : tg_error_set(err, rc, "the envelope is too large");
}

/* One of the envelope's signatures over msg verifies with keys. */
static int check_signatures(json_t *signatures, const tg_buf *msg, const tg_cosign_keys *keys,
                            size_t *key_index, tg_error *err)
{
	size_t i;
	json_t *s;
	if (json_array_size(signatures) == 0)
		return tg_error_set(err, TG_EINVAL, "the bundle's envelope has no signature");
	json_array_foreach(signatures, i, s) {
		const char *b64 = json_string_value(json_object_get(s, "sig"));
		unsigned char *sig = NULL;
		size_t sig_len = 0;
		tg_error ignore;
		if (i >= 16 || b64 == NULL ||
		    tg_b64_decode(b64, strlen(b64), 4096, &sig, &sig_len, &ignore) != TG_OK)
			continue;
		bool ok = tg_cosign_keys_verify(keys, (const unsigned char *)tg_buf_str(msg), msg->len,
		                                sig, sig_len, key_index);
		free(sig);
		if (ok)
			return TG_OK;
	}
	return tg_error_set(err, TG_EINVAL, "no signature in the bundle verifies with the trust "
	                    "root's public keys (over the DSSE envelope)");
}

static bool names_subject(json_t *statement, const char *subject_digest)
{
	size_t i;
	json_t *subject;
	if (strncmp(subject_digest, "sha256:", 7) != 0)
		return false;
	json_array_foreach(json_object_get(statement, "subject"), i, subject) {
		const char *hex = json_string_value(
			json_object_get(json_object_get(subject, "digest"), "sha256"));
		if (hex != NULL && strcmp(hex, subject_digest + 7) == 0)
			return true;
	}
	return false;
}

/* The in-toto statement names subject_digest among its subjects. */
static int check_statement(const unsigned char *payload, size_t len, const char *subject_digest,
                           const char *predicate_type, tg_error *err)
{
	json_error_t jerr;
	json_t *st = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *type = json_string_value(json_object_get(st, "_type"));
	const char *predicate = json_string_value(json_object_get(st, "predicateType"));
	int rc = TG_OK;
	if (st == NULL)
		rc = tg_error_set(err, TG_EINVAL, "the signed statement is not JSON: %s", jerr.text);
	else if (type == NULL || (strcmp(type, "https://in-toto.io/Statement/v1") != 0 &&
	                          strcmp(type, "https://in-toto.io/Statement/v0.1") != 0))
		rc = tg_error_set(err, TG_EINVAL, "the signed payload is not an in-toto statement");
	else if (predicate_type != NULL && (predicate == NULL || strcmp(predicate, predicate_type)))
		rc = tg_error_set(err, TG_EINVAL, "the signed statement is not an image signature "
		                  "(predicateType %.100s, not %s): another attestation by the same key",
		                  predicate ? predicate : "missing", predicate_type);
	else if (!names_subject(st, subject_digest))
		rc = tg_error_set(err, TG_EINVAL, "the signed statement does not name %.80s as a subject",
		                  subject_digest);
	json_decref(st);
	return rc;
}

/* The envelope of a key-based DSSE bundle, or why there is none. */
static int envelope_of(json_t *bundle, json_t **env, tg_error *err)
{
	const char *media = json_string_value(json_object_get(bundle, "mediaType"));
	json_t *material = json_object_get(bundle, "verificationMaterial");
	if (media == NULL || strncmp(media, TG_SIGSTORE_BUNDLE_TYPE_PREFIX,
	                             strlen(TG_SIGSTORE_BUNDLE_TYPE_PREFIX)) != 0)
		return tg_error_set(err, TG_EINVAL, "not a Sigstore bundle (mediaType %.80s)",
		                    media ? media : "missing");
	if (json_object_get(material, "certificate") != NULL ||
	    json_object_get(material, "x509CertificateChain") != NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle is signed with a certificate (keyless); "
		                    "this trust root checks public keys only");
	*env = json_object_get(bundle, "dsseEnvelope");
	if (*env == NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle holds no DSSE envelope (message "
		                    "signatures are not supported)");
	const char *ptype = json_string_value(json_object_get(*env, "payloadType"));
	if (ptype == NULL || strcmp(ptype, INTOTO_TYPE) != 0)
		return tg_error_set(err, TG_EINVAL, "the envelope's payload is not an in-toto statement "
		                    "(%.80s)", ptype ? ptype : "no payloadType");
	return TG_OK;
}

int tg_sigstore_bundle_verify(const char *bundle, size_t len, const tg_cosign_keys *keys,
                              const char *subject_digest, const char *predicate_type,
                              size_t *key_index, tg_error *err)
{
	if (len > TG_SIGSTORE_BUNDLE_MAX)
		return tg_error_set(err, TG_ETOOBIG, "the bundle is larger than %u bytes",
		                    TG_SIGSTORE_BUNDLE_MAX);
	json_error_t jerr;
	json_t *root = json_loadb(bundle, len, JSON_REJECT_DUPLICATES, &jerr), *env = NULL;
	if (root == NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle is not JSON: %s", jerr.text);
	unsigned char *payload = NULL;
	size_t payload_len = 0;
	tg_buf msg;
	tg_buf_init(&msg, TG_SIGSTORE_BUNDLE_MAX + 256);
	int rc = envelope_of(root, &env, err);
	const char *b64 = rc == TG_OK ? json_string_value(json_object_get(env, "payload")) : NULL;
	if (rc == TG_OK && (b64 == NULL || tg_b64_decode(b64, strlen(b64), TG_SIGSTORE_BUNDLE_MAX,
	                                                 &payload, &payload_len, err) != TG_OK))
		rc = tg_error_set(err, TG_EINVAL, "the envelope's payload is missing or not base64");
	if (rc == TG_OK)
		rc = pae(INTOTO_TYPE, payload, payload_len, &msg, err);
	if (rc == TG_OK)
		rc = check_signatures(json_object_get(env, "signatures"), &msg, keys, key_index, err);
	if (rc == TG_OK)
		rc = check_statement(payload, payload_len, subject_digest, predicate_type, err);
	free(payload);
	tg_buf_free(&msg);
	json_decref(root);
	return rc;
}
