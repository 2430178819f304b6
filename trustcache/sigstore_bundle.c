/* sigstore_bundle: see sigstore_bundle.h. Order: the signature over the
 * content, then what the content says, then the signer's identity, then
 * the log entry proving it, then the certificate at the logged time. */
#include "trustcache/sigstore_bundle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "trustcache/b64.h"
#include "trustcache/rekor.h"
#include "trustcache/rfc3161.h"
#include "trustcache/sigstore_internal.h"

#define INTOTO_TYPE "application/vnd.in-toto+json"
#define SIG_MAX 4096

/* A bundle being verified: what was read from it, and what verified. */
struct bundle {
	json_t *doc;
	X509 *cert;                 /* keyless: the signing certificate */
	json_t *envelope;           /* the DSSE envelope, or NULL for a message signature */
	unsigned char *payload;     /* DSSE: the payload */
	size_t payload_len;
	tg_buf pae;                 /* DSSE: what was signed */
	unsigned char digest[32];   /* message: the digest signed */
	unsigned char signed_sha[32]; /* sha256 of what was signed: the digest, or the PAE */
	unsigned char payload_sha[32]; /* DSSE: sha256 of the payload */
	time_t times[TG_SIGSTORE_BUNDLE_ENTRIES_MAX + 1]; /* proven times of signing */
	size_t n_times;
	unsigned char *sig;         /* the signature that verified */
	size_t sig_len;
	EVP_PKEY *signer;           /* its key (borrowed) */
	size_t key_index;
	bool proof_required;        /* bundles after v0.1 must carry inclusion proofs */
};

static void bundle_free(struct bundle *b)
{
	json_decref(b->doc);
	X509_free(b->cert);
	free(b->payload);
	tg_buf_free(&b->pae);
	free(b->sig);
}

/* The certificate of a keyless bundle, NULL when there is none. */
static int read_certificate(json_t *material, X509 **out, tg_error *err)
{
	json_t *cert = json_object_get(material, "certificate");
	json_t *chain = json_object_get(json_object_get(material, "x509CertificateChain"),
	                                "certificates");
	if (cert == NULL && chain != NULL && (cert = json_array_get(chain, 0)) == NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle's certificate chain is empty");
	if (cert == NULL)
		return TG_OK;
	unsigned char *der = NULL;
	size_t len = 0;
	tg_error ignore;
	if (tgs_b64(json_string_value(json_object_get(cert, "rawBytes")), 64 * 1024, &der, &len,
	            &ignore) == TG_OK)
		*out = tg_sigstore_cert_parse(der, len);
	free(der);
	return *out != NULL ? TG_OK : tg_error_set(err, TG_EINVAL, "the bundle's certificate is not "
	                                           "a DER certificate in base64");
}

/* The bundle versions this verifier knows (an unknown one may mean fields
 * it would not read). v0.1 may prove a log entry by its promise alone. */
static const char *const bundle_types[] = {
	TG_SIGSTORE_BUNDLE_TYPE_PREFIX "+json;version=0.1",
	TG_SIGSTORE_BUNDLE_TYPE_PREFIX "+json;version=0.2",
	TG_SIGSTORE_BUNDLE_TYPE_PREFIX "+json;version=0.3",
	TG_SIGSTORE_BUNDLE_TYPE_PREFIX ".v0.3+json",
};

static int read_material(struct bundle *b, const tg_sigstore_policy *p, tg_error *err)
{
	const char *media = json_string_value(json_object_get(b->doc, "mediaType"));
	size_t version = 0, n = sizeof(bundle_types) / sizeof(bundle_types[0]);
	while (media != NULL && version < n && strcmp(media, bundle_types[version]) != 0)
		version++;
	if (media == NULL || version == n)
		return tg_error_set(err, TG_EINVAL, "not a Sigstore bundle of a known version (mediaType "
		                    "%.80s; v0.1 to v0.3 are known)", media ? media : "missing");
	b->proof_required = version > 0;
	if (json_object_get(b->doc, "dsseEnvelope") != NULL &&
	    json_object_get(b->doc, "messageSignature") != NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle holds both a DSSE envelope and a "
		                    "message signature (one of them is allowed)");
	int rc = read_certificate(json_object_get(b->doc, "verificationMaterial"), &b->cert, err);
	if (rc != TG_OK)
		return rc;
	if (p->keys != NULL && b->cert != NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle is signed with a certificate (keyless); "
		                    "this trust root checks public keys only");
	if (p->keys == NULL && b->cert == NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle is signed with a key, not a certificate; "
		                    "this trust root accepts keyless signatures only");
	return TG_OK;
}

/* The DSSE pre-authentication encoding of the payload under type. */
static int read_envelope(struct bundle *b, tg_error *err)
{
	const char *type = json_string_value(json_object_get(b->envelope, "payloadType"));
	const char *payload = json_string_value(json_object_get(b->envelope, "payload"));
	tg_error ignore;
	if (type == NULL || strcmp(type, INTOTO_TYPE) != 0)
		return tg_error_set(err, TG_EINVAL, "the envelope's payload is not an in-toto statement "
		                    "(%.80s)", type ? type : "no payloadType");
	if (tgs_b64(payload, TG_SIGSTORE_BUNDLE_MAX, &b->payload, &b->payload_len, &ignore) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "the envelope's payload is missing or not base64");
	SHA256(b->payload, b->payload_len, b->payload_sha);
	int rc = tg_buf_printf(&b->pae, "DSSEv1 %zu %s %zu ", strlen(type), type, b->payload_len);
	if (rc == TG_OK)
		rc = tg_buf_append(&b->pae, b->payload, b->payload_len);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "the envelope is too large");
	SHA256((const unsigned char *)tg_buf_str(&b->pae), b->pae.len, b->signed_sha);
	return TG_OK;
}

/* A message signature must be over the subject digest itself. */
static int read_message(struct bundle *b, const char *subject_digest, tg_error *err)
{
	json_t *m = json_object_get(b->doc, "messageSignature");
	json_t *md = json_object_get(m, "messageDigest");
	const char *alg = json_string_value(json_object_get(md, "algorithm"));
	unsigned char *d = NULL;
	size_t len = 0;
	tg_error ignore;
	char hex[65];
	if (m == NULL)
		return tg_error_set(err, TG_EINVAL, "the bundle holds neither a DSSE envelope nor a "
		                    "message signature");
	if (alg == NULL || strcmp(alg, "SHA2_256") != 0 ||
	    tgs_b64(json_string_value(json_object_get(md, "digest")), 64, &d, &len, &ignore) != TG_OK ||
	    len != 32) {
		free(d);
		return tg_error_set(err, TG_EINVAL, "the message signature's digest is not a SHA2_256 "
		                    "digest (others are not supported)");
	}
	memcpy(b->digest, d, 32);
	memcpy(b->signed_sha, d, 32);
	free(d);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", b->digest[i]);
	if (strncmp(subject_digest, "sha256:", 7) != 0 || strcmp(subject_digest + 7, hex) != 0)
		return tg_error_set(err, TG_EINVAL, "the bundle signs sha256:%s, not %.80s", hex,
		                    subject_digest);
	return TG_OK;
}

/* Whether sig is a signature of the content by key. */
static bool signs_content(const struct bundle *b, EVP_PKEY *key, const unsigned char *sig,
                          size_t len)
{
	if (b->envelope != NULL)
		return tgs_signature_checks(key, (const unsigned char *)tg_buf_str(&b->pae), b->pae.len,
		                            sig, len);
	return tgs_digest_signature_checks(key, b->digest, sig, len);
}

/* The candidate signature sig_b64 verifies with one of the signing keys;
 * on success it is kept in b. */
static bool try_signature(struct bundle *b, const tg_sigstore_policy *p, const char *sig_b64)
{
	unsigned char *sig = NULL;
	size_t len = 0;
	tg_error ignore;
	if (tgs_b64(sig_b64, SIG_MAX, &sig, &len, &ignore) != TG_OK)
		return false;
	size_t n = p->keys != NULL ? tg_cosign_keys_count(p->keys) : 1;
	for (size_t i = 0; i < n; i++) {
		EVP_PKEY *key = p->keys != NULL ? tg_cosign_keys_at(p->keys, i) : X509_get0_pubkey(b->cert);
		if (key != NULL && signs_content(b, key, sig, len)) {
			b->sig = sig;
			b->sig_len = len;
			b->signer = key;
			b->key_index = i;
			return true;
		}
	}
	free(sig);
	return false;
}

static int check_signature(struct bundle *b, const tg_sigstore_policy *p, tg_error *err)
{
	const char *whose = p->keys != NULL ? "the trust root's public keys" : "its certificate";
	if (b->envelope == NULL) {
		const char *sig = json_string_value(
			json_object_get(json_object_get(b->doc, "messageSignature"), "signature"));
		if (try_signature(b, p, sig))
			return TG_OK;
		return tg_error_set(err, TG_EINVAL, "the bundle's signature does not verify with %s",
		                    whose);
	}
	json_t *sigs = json_object_get(b->envelope, "signatures"), *s;
	size_t i;
	json_array_foreach(sigs, i, s) {
		if (i < 16 && try_signature(b, p, json_string_value(json_object_get(s, "sig"))))
			return TG_OK;
	}
	return tg_error_set(err, TG_EINVAL, "no signature in the bundle verifies with %s (over "
	                    "the DSSE envelope)", whose);
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
static int check_statement(const struct bundle *b, const char *subject_digest,
                           const char *predicate_type, tg_error *err)
{
	json_error_t jerr;
	json_t *st = json_loadb((const char *)b->payload, b->payload_len, JSON_REJECT_DUPLICATES,
	                        &jerr);
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

/* Keyless: the certificate names one of the accepted identities. */
static int check_identity(const struct bundle *b, const tg_sigstore_policy *p,
                          tg_sigstore_identity *id, tg_error *err)
{
	int rc = tg_sigstore_cert_identity(b->cert, id, err);
	if (rc != TG_OK)
		return rc;
	for (size_t i = 0; i < p->n_signers; i++)
		if (strcmp(id->subject, p->signers[i].subject) == 0 &&
		    strcmp(id->issuer, p->signers[i].issuer) == 0)
			return TG_OK;
	return tg_error_set(err, TG_EINVAL, "signed by %.200s (issuer %.200s), an identity the trust "
	                    "root does not accept", id->subject, id->issuer);
}

/* The bundle's RFC 3161 timestamps, each verified, into b->times. */
static int check_timestamps(struct bundle *b, const tg_sigstore_policy *p, tg_error *err)
{
	json_t *list = json_object_get(
		json_object_get(json_object_get(b->doc, "verificationMaterial"),
		                "timestampVerificationData"), "rfc3161Timestamps"), *v;
	size_t i;
	json_array_foreach(list, i, v) {
		unsigned char *der = NULL;
		size_t len = 0;
		tg_error ignore;
		if (i >= TG_SIGSTORE_BUNDLE_ENTRIES_MAX)
			return tg_error_set(err, TG_EINVAL, "the bundle has more than %d signed timestamps",
			                    TG_SIGSTORE_BUNDLE_ENTRIES_MAX);
		int rc = tgs_b64(json_string_value(json_object_get(v, "signedTimestamp")), 64 * 1024,
		                 &der, &len, &ignore);
		if (rc != TG_OK)
			rc = tg_error_set(err, TG_EINVAL, "a signed timestamp is not base64");
		else
			rc = tg_rfc3161_verify(p->root, der, len, b->sig, b->sig_len, &b->times[b->n_times],
			                       err);
		free(der);
		if (rc != TG_OK)
			return rc;
		b->n_times++;
	}
	return TG_OK;
}

/* The times the signature is proven to have existed at: the signed
 * timestamps', and the entry's integrated time when its promise verified.
 * The log must have been valid at each; keyless, so must the certificate. */
static int check_times(struct bundle *b, const tg_sigstore_policy *p, const tg_rekor_entry *e,
                       bool time_trusted, tg_error *err)
{
	size_t n = b->n_times;
	for (size_t i = 0; i < n; i++)
		if (!tg_rekor_log_valid_at(p->root, e, b->times[i]))
			return tg_error_set(err, TG_EINVAL, "the transparency log's key was not valid at "
			                    "the time a signed timestamp states");
	if (time_trusted)
		b->times[n++] = (time_t)e->integrated_time;
	if (n == 0)
		return tg_error_set(err, TG_EINVAL, "the time of signing is not proven: the log entry "
		                    "has no signed entry timestamp and the bundle no signed timestamp");
	for (size_t i = 0; b->cert != NULL && i < n; i++) {
		int rc = tg_sigstore_cert_verify(p->root, b->cert, b->times[i], err);
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

/* One log entry proves the signature: known log, proofs, what it records,
 * and the times it proves. */
static int check_entry(struct bundle *b, const tg_sigstore_policy *p, json_t *v,
                       tg_sigstore_verified *out, tg_error *err)
{
	tg_rekor_entry e;
	bool time_trusted = false;
	tg_rekor_signature logged = {b->signed_sha, b->envelope ? b->payload_sha : NULL, b->sig,
	                             b->sig_len, b->cert, b->cert ? NULL : b->signer};
	int rc = tg_rekor_entry_parse(v, &e, err);
	if (rc == TG_OK && b->proof_required && !e.has_proof)
		rc = tg_error_set(err, TG_EINVAL, "the log entry has no inclusion proof with a "
		                  "checkpoint (bundles after v0.1 must carry one)");
	if (rc == TG_OK)
		rc = tg_rekor_entry_verify(p->root, &e, &time_trusted, err);
	if (rc == TG_OK)
		rc = tg_rekor_entry_records(e.body, e.body_len, &logged, err);
	if (rc == TG_OK)
		rc = check_times(b, p, &e, time_trusted, err);
	if (rc == TG_OK) {
		out->integrated_time = time_trusted ? e.integrated_time : -1;
		/* the entry's index is signed only by its promise; else the proof's */
		out->log_index = time_trusted ? e.log_index : e.has_proof ? e.proof_index : -1;
	}
	tg_rekor_entry_free(&e);
	return rc;
}

/* One of the bundle's log entries proves the signature; the first entry's
 * reason explains a failure. */
static int check_log(struct bundle *b, const tg_sigstore_policy *p, tg_sigstore_verified *out,
                     tg_error *err)
{
	json_t *entries = json_object_get(json_object_get(b->doc, "verificationMaterial"),
	                                  "tlogEntries"), *v;
	size_t i, n_timestamps;
	tg_error first, other;
	if (json_array_size(entries) == 0)
		return tg_error_set(err, TG_EINVAL, "the bundle has no transparency-log entry, which "
		                    "this trust root requires");
	int rc = check_timestamps(b, p, err);
	if (rc != TG_OK)
		return rc;
	n_timestamps = b->n_times;
	json_array_foreach(entries, i, v) {
		if (i >= TG_SIGSTORE_BUNDLE_ENTRIES_MAX)
			break;
		b->n_times = n_timestamps; /* each entry adds its own time */
		if (check_entry(b, p, v, out, i == 0 ? &first : &other) == TG_OK)
			return TG_OK;
	}
	return tg_error_set(err, first.code != TG_OK ? first.code : TG_EINVAL, "%s", first.msg);
}

static int verify(struct bundle *b, const tg_sigstore_policy *p, const char *subject_digest,
                  tg_sigstore_verified *out, tg_error *err)
{
	int rc = read_material(b, p, err);
	b->envelope = json_object_get(b->doc, "dsseEnvelope");
	if (rc == TG_OK)
		rc = b->envelope != NULL ? read_envelope(b, err) : read_message(b, subject_digest, err);
	if (rc == TG_OK)
		rc = check_signature(b, p, err);
	if (rc == TG_OK && b->envelope != NULL)
		rc = check_statement(b, subject_digest, p->predicate_type, err);
	if (rc == TG_OK && b->cert != NULL)
		rc = check_identity(b, p, &out->identity, err);
	if (rc == TG_OK && p->root != NULL)
		rc = check_log(b, p, out, err);
	out->key_index = b->key_index;
	return rc;
}

int tg_sigstore_bundle_verify(const char *bundle, size_t len, const tg_sigstore_policy *policy,
                              const char *subject_digest, tg_sigstore_verified *out,
                              tg_error *err)
{
	if (len > TG_SIGSTORE_BUNDLE_MAX)
		return tg_error_set(err, TG_ETOOBIG, "the bundle is larger than %u bytes",
		                    TG_SIGSTORE_BUNDLE_MAX);
	if (policy->keys == NULL && (policy->root == NULL || policy->n_signers == 0))
		return tg_error_set(err, TG_EINVAL, "keyless verification needs a trusted root and at "
		                    "least one identity");
	if (policy->keys == NULL && tg_sigstore_root_ca_count(policy->root) == 0)
		return tg_error_set(err, TG_EINVAL, "the trusted root names no certificate authority, so "
		                    "no keyless signature can verify");
	json_error_t jerr;
	struct bundle b = {0};
	tg_buf_init(&b.pae, TG_SIGSTORE_BUNDLE_MAX + 256);
	b.doc = json_loadb(bundle, len, JSON_REJECT_DUPLICATES, &jerr);
	tg_sigstore_verified result = {.integrated_time = -1, .log_index = -1};
	int rc = b.doc != NULL ? verify(&b, policy, subject_digest, &result, err)
	                       : tg_error_set(err, TG_EINVAL, "the bundle is not JSON: %s", jerr.text);
	bundle_free(&b);
	if (rc == TG_OK && out != NULL)
		*out = result;
	return rc;
}
