/* rekor: see rekor.h. Proofs are checked before anything in a body is
 * believed. */
#include "trustcache/rekor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/sha.h>

#include "trustcache/b64.h"
#include "trustcache/sigstore_cert.h"
#include "trustcache/sigstore_internal.h"

#define BODY_MAX (256u * 1024)
#define CHECKPOINT_MAX (8u * 1024)

/* A protobuf JSON int64: a decimal string (or a plain number). */
static int read_int64(json_t *v, long long *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out >= 0 ? TG_OK : TG_EINVAL;
	}
	const char *s = json_string_value(v);
	if (s == NULL || *s == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return TG_EINVAL;
	*out = strtoll(s, NULL, 10);
	return TG_OK;
}

/* base64 of exactly 32 bytes into out. */
static int read_hash(const char *b64, unsigned char out[32])
{
	unsigned char *p = NULL;
	size_t len = 0;
	tg_error ignore;
	int rc = tgs_b64(b64, 64, &p, &len, &ignore);
	if (rc == TG_OK && len != 32)
		rc = TG_EINVAL;
	if (rc == TG_OK)
		memcpy(out, p, 32);
	free(p);
	return rc;
}

static int parse_proof(json_t *p, tg_rekor_entry *e, tg_error *err)
{
	json_t *hashes = json_object_get(p, "hashes"), *h;
	const char *cp = json_string_value(json_object_get(json_object_get(p, "checkpoint"),
	                                                   "envelope"));
	size_t i;
	if (read_int64(json_object_get(p, "logIndex"), &e->proof_index) != TG_OK ||
	    read_int64(json_object_get(p, "treeSize"), &e->tree_size) != TG_OK ||
	    read_hash(json_string_value(json_object_get(p, "rootHash")), e->root_hash) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "the log entry's inclusion proof has no valid "
		                    "logIndex, treeSize or rootHash");
	if ((hashes != NULL && !json_is_array(hashes)) || json_array_size(hashes) > TG_REKOR_PROOF_MAX)
		return tg_error_set(err, TG_EINVAL, "the log entry's inclusion proof has no valid "
		                    "hashes (at most %d)", TG_REKOR_PROOF_MAX);
	json_array_foreach(hashes, i, h) {
		if (read_hash(json_string_value(h), e->hashes[i]) != TG_OK)
			return tg_error_set(err, TG_EINVAL, "hash %zu of the inclusion proof is not 32 "
			                    "bytes in base64", i + 1);
	}
	e->n_hashes = json_array_size(hashes);
	if (cp == NULL)
		return TG_OK; /* a root hash nobody signed proves nothing: as if there were no proof */
	if (strlen(cp) > CHECKPOINT_MAX)
		return tg_error_set(err, TG_EINVAL, "the log entry's checkpoint is too large");
	e->checkpoint = strdup(cp);
	if (e->checkpoint == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	e->has_proof = true;
	return TG_OK;
}

int tg_rekor_entry_parse(json_t *v, tg_rekor_entry *e, tg_error *err)
{
	memset(e, 0, sizeof(*e));
	const char *kind = json_string_value(json_object_get(json_object_get(v, "kindVersion"), "kind"));
	const char *body = json_string_value(json_object_get(v, "canonicalizedBody"));
	const char *set = json_string_value(json_object_get(json_object_get(v, "inclusionPromise"),
	                                                    "signedEntryTimestamp"));
	json_t *proof = json_object_get(v, "inclusionProof");
	unsigned char *id = NULL;
	size_t id_len = 0;
	tg_error sub;
	int rc = TG_OK;
	json_t *time = json_object_get(v, "integratedTime");
	/* kindVersion must be there, but only the signed body's kind decides
	 * (tg_rekor_entry_records) */
	if (kind == NULL || kind[0] == '\0' ||
	    read_int64(json_object_get(v, "logIndex"), &e->log_index) != TG_OK ||
	    (time != NULL && read_int64(time, &e->integrated_time) != TG_OK))
		return tg_error_set(err, TG_EINVAL, "a log entry has no valid kindVersion.kind, "
		                    "logIndex or integratedTime");
	if (tgs_b64(json_string_value(json_object_get(json_object_get(v, "logId"), "keyId")), 64, &id,
	            &id_len, &sub) != TG_OK || id_len != 32)
		rc = tg_error_set(err, TG_EINVAL, "a log entry has no 32-byte logId.keyId");
	else if (body == NULL || strpbrk(body, "\"\\") != NULL ||
	         tgs_b64(body, BODY_MAX, &e->body, &e->body_len, &sub) != TG_OK ||
	         (e->body_b64 = strdup(body)) == NULL)
		rc = tg_error_set(err, TG_EINVAL, "a log entry has no canonicalizedBody in base64 (at "
		                  "most %u bytes)", BODY_MAX);
	else if (set != NULL && tgs_b64(set, 4096, &e->set, &e->set_len, &sub) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "a log entry's signedEntryTimestamp is not base64");
	else if (proof != NULL)
		rc = parse_proof(proof, e, err);
	if (id != NULL && id_len == 32)
		memcpy(e->log_id, id, 32);
	free(id);
	return rc;
}

void tg_rekor_entry_free(tg_rekor_entry *e)
{
	free(e->body);
	free(e->body_b64);
	free(e->set);
	free(e->checkpoint);
	memset(e, 0, sizeof(*e));
}

int tg_rekor_verify_set(const tg_sigstore_root *root, const char *body_b64,
                        long long integrated_time, const unsigned char log_id[32],
                        long long log_index, const unsigned char *set, size_t set_len,
                        tg_error *err)
{
	const struct tgs_log *log = tgs_root_log(root, log_id);
	char hex[65];
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", log_id[i]);
	if (log == NULL)
		return tg_error_set(err, TG_EINVAL, "the signature was logged in a transparency log the "
		                    "trust root does not know (log id %.16s...)", hex);
	tg_buf canonical;
	tg_buf_init(&canonical, BODY_MAX * 2);
	/* body is base64 (checked by the callers): nothing JSON would escape */
	int rc = tg_buf_printf(&canonical,
	                       "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":"
	                       "%lld}", body_b64, integrated_time, hex, log_index);
	if (rc != TG_OK)
		rc = tg_error_set(err, rc, "the log entry is too large");
	else if (!tgs_signature_checks(log->key, (const unsigned char *)tg_buf_str(&canonical),
	                               canonical.len, set, set_len))
		rc = tg_error_set(err, TG_EINVAL, "the log entry's signed entry timestamp does not "
		                  "verify with the transparency log's key");
	tg_buf_free(&canonical);
	/* a signed time is believed only within the window the key was trusted */
	if (rc == TG_OK && (integrated_time <= 0 || !tgs_window_has(&log->valid, (time_t)integrated_time)))
		rc = tg_error_set(err, TG_EINVAL, "the transparency log's key was not valid when the "
		                  "entry was logged");
	return rc;
}

static void hash_children(const unsigned char left[32], const unsigned char right[32],
                          unsigned char out[32])
{
	unsigned char node[65];
	node[0] = 0x01;
	memcpy(node + 1, left, 32);
	memcpy(node + 33, right, 32);
	SHA256(node, sizeof(node), out);
}

/* RFC 9162 section 2.1.3.2: the audit path from leaf to the root of a tree
 * of size leaves, for the leaf at index. */
static bool audit_path_leads_to(const tg_rekor_entry *e, const unsigned char leaf[32])
{
	if (e->proof_index < 0 || e->proof_index >= e->tree_size)
		return false;
	unsigned long long fn = (unsigned long long)e->proof_index;
	unsigned long long sn = (unsigned long long)e->tree_size - 1;
	unsigned char r[32];
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < e->n_hashes; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			hash_children(e->hashes[i], r, r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			hash_children(r, e->hashes[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, e->root_hash, 32) == 0;
}

/* One "\u2014 name base64(hint || signature)" line verifies the note text
 * with key; hint, the first 4 bytes of the log's id, must name it (a line
 * of another signer, a witness, is not the log's). */
static bool signature_line_verifies(const char *line, size_t len, const char *text,
                                    size_t text_len, EVP_PKEY *key, const unsigned char *id)
{
	const char *space = line + len;
	while (space > line && *space != ' ')
		space--;
	if (len < 5 || memcmp(line, "\xe2\x80\x94 ", 4) != 0 || space < line + 4)
		return false;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	tg_error ignore;
	bool ok = false;
	size_t b64_len = len - (size_t)(space + 1 - line);
	if (tg_b64_decode(space + 1, b64_len, 4096, &sig, &sig_len, &ignore) == TG_OK && sig_len > 4 &&
	    memcmp(sig, id, 4) == 0)
		ok = tgs_signature_checks(key, (const unsigned char *)text, text_len, sig + 4,
		                          sig_len - 4);
	free(sig);
	return ok;
}

/* The checkpoint is a note signed by key stating the proof's tree size and
 * root hash. */
static int check_checkpoint(const tg_rekor_entry *e, const struct tgs_log *log, tg_error *err)
{
	const char *cp = e->checkpoint, *blank = strstr(cp, "\n\n");
	if (blank == NULL)
		return tg_error_set(err, TG_EINVAL, "the checkpoint is not a signed note");
	size_t text_len = (size_t)(blank - cp) + 1;
	bool signed_ok = false;
	for (const char *line = blank + 2; *line != '\0' && !signed_ok;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		signed_ok = signature_line_verifies(line, len, cp, text_len, log->key, log->id);
		line += len + (nl != NULL);
	}
	if (!signed_ok)
		return tg_error_set(err, TG_EINVAL, "the checkpoint is not signed by the transparency log");
	/* "origin\nsize\nbase64(root)\n": whole lines, the size in digits */
	const char *size_line = memchr(cp, '\n', text_len);
	const char *root_line = size_line ? memchr(size_line + 1, '\n', text_len - (size_t)(size_line + 1 - cp)) : NULL;
	const char *root_end = root_line ? memchr(root_line + 1, '\n', text_len - (size_t)(root_line + 1 - cp)) : NULL;
	char size_text[24];
	tg_buf want;
	tg_buf_init(&want, 128);
	int rc = tg_b64_encode(e->root_hash, 32, &want, NULL);
	if (rc == TG_OK && size_line != NULL && root_line != NULL && root_end != NULL) {
		size_t size_len = (size_t)(root_line - size_line - 1);
		size_t root_len = (size_t)(root_end - root_line - 1);
		int n = snprintf(size_text, sizeof(size_text), "%lld", e->tree_size);
		if (size_line > cp && (size_t)n == size_len && memcmp(size_line + 1, size_text, size_len) == 0 &&
		    root_len == want.len && memcmp(root_line + 1, tg_buf_str(&want), root_len) == 0)
			rc = TG_OK;
		else
			rc = TG_EINVAL;
	} else if (rc == TG_OK) {
		rc = TG_EINVAL;
	}
	if (rc != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "the checkpoint does not state the inclusion proof's "
		                  "tree size and root hash");
	tg_buf_free(&want);
	return rc;
}

static int check_proof(const tg_rekor_entry *e, const struct tgs_log *log, tg_error *err)
{
	unsigned char leaf[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool hashed = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	              EVP_DigestUpdate(ctx, "\0", 1) == 1 &&
	              EVP_DigestUpdate(ctx, e->body, e->body_len) == 1 &&
	              EVP_DigestFinal_ex(ctx, leaf, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (!hashed)
		return tg_error_set(err, TG_ENOMEM, "cannot hash the log entry");
	if (!audit_path_leads_to(e, leaf))
		return tg_error_set(err, TG_EINVAL, "the log entry's inclusion proof does not lead to "
		                    "the tree's root hash");
	return check_checkpoint(e, log, err);
}

int tg_rekor_entry_verify(const tg_sigstore_root *root, const tg_rekor_entry *e,
                          bool *time_trusted, tg_error *err)
{
	const struct tgs_log *log = tgs_root_log(root, e->log_id);
	int rc = TG_OK;
	if (e->set == NULL && !e->has_proof)
		return tg_error_set(err, TG_EINVAL, "the log entry carries neither a signed entry "
		                    "timestamp nor an inclusion proof");
	if (e->set != NULL)
		rc = tg_rekor_verify_set(root, e->body_b64, e->integrated_time, e->log_id, e->log_index,
		                         e->set, e->set_len, err);
	else if (log == NULL)
		rc = tg_error_set(err, TG_EINVAL, "the signature was logged in a transparency log the "
		                  "trust root does not know");
	if (rc == TG_OK && e->has_proof)
		rc = check_proof(e, log, err);
	if (rc == TG_OK)
		*time_trusted = e->set != NULL;
	return rc;
}

bool tg_rekor_log_valid_at(const tg_sigstore_root *root, const tg_rekor_entry *e, time_t t)
{
	const struct tgs_log *log = tgs_root_log(root, e->log_id);
	return log != NULL && tgs_window_has(&log->valid, t);
}

/* The signer recorded in a body (base64 of a PEM certificate or public
 * key) is cert, or key. */
static bool same_signer(const char *pem_b64, X509 *cert, EVP_PKEY *key)
{
	unsigned char *pem = NULL;
	size_t len = 0;
	tg_error ignore;
	bool same = false;
	if (tgs_b64(pem_b64, 64 * 1024, &pem, &len, &ignore) != TG_OK)
		return false;
	if (cert != NULL) {
		X509 *logged = tg_sigstore_cert_parse(pem, len);
		same = logged != NULL && X509_cmp(logged, cert) == 0;
		X509_free(logged);
	} else if (key != NULL) {
		BIO *bio = BIO_new_mem_buf(pem, (int)len);
		EVP_PKEY *logged = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		same = logged != NULL && EVP_PKEY_eq(logged, key) == 1;
		EVP_PKEY_free(logged);
		BIO_free(bio);
	}
	free(pem);
	return same;
}

static bool same_signature(const char *b64, const unsigned char *sig, size_t sig_len)
{
	unsigned char *logged = NULL;
	size_t len = 0;
	tg_error ignore;
	bool same = tgs_b64(b64, 4096, &logged, &len, &ignore) == TG_OK && len == sig_len &&
	            memcmp(logged, sig, len) == 0;
	free(logged);
	return same;
}

/* {"algorithm":"sha256","value":HEX} names sha256. */
static bool same_hash(json_t *h, const unsigned char *sha256)
{
	const char *alg = json_string_value(json_object_get(h, "algorithm"));
	const char *value = json_string_value(json_object_get(h, "value"));
	char hex[65];
	if (sha256 == NULL)
		return false;
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sha256[i]);
	return alg != NULL && strcmp(alg, "sha256") == 0 && value != NULL && strcmp(value, hex) == 0;
}

static int records_hashedrekord(json_t *spec, const tg_rekor_signature *s, tg_error *err)
{
	json_t *sig = json_object_get(spec, "signature");
	if (s->payload_sha256 != NULL ||
	    !same_hash(json_object_get(json_object_get(spec, "data"), "hash"), s->signed_sha256))
		return tg_error_set(err, TG_EINVAL, "the log entry is for other signed data");
	if (!same_signature(json_string_value(json_object_get(sig, "content")), s->sig, s->sig_len))
		return tg_error_set(err, TG_EINVAL, "the log entry records another signature");
	if (!same_signer(json_string_value(json_object_get(json_object_get(sig, "publicKey"),
	                                                   "content")), s->cert, s->key))
		return tg_error_set(err, TG_EINVAL, "the log entry records another signer");
	return TG_OK;
}

static int records_dsse(json_t *spec, const tg_rekor_signature *s, tg_error *err)
{
	json_t *one;
	size_t i;
	if (!same_hash(json_object_get(spec, "payloadHash"), s->payload_sha256))
		return tg_error_set(err, TG_EINVAL, "the log entry is for another envelope payload");
	json_array_foreach(json_object_get(spec, "signatures"), i, one) {
		if (same_signature(json_string_value(json_object_get(one, "signature")), s->sig,
		                   s->sig_len) &&
		    same_signer(json_string_value(json_object_get(one, "verifier")), s->cert, s->key))
			return TG_OK;
	}
	return tg_error_set(err, TG_EINVAL, "the log entry records another signature or signer");
}

/* intoto 0.0.2 (cosign's older attestations): the envelope is stored with
 * its signatures base64-encoded twice. */
static int records_intoto(json_t *spec, const tg_rekor_signature *s, tg_error *err)
{
	json_t *content = json_object_get(spec, "content"), *one;
	size_t i;
	if (!same_hash(json_object_get(content, "payloadHash"), s->payload_sha256))
		return tg_error_set(err, TG_EINVAL, "the log entry is for another envelope payload");
	json_array_foreach(json_object_get(json_object_get(content, "envelope"), "signatures"), i,
	                   one) {
		unsigned char *inner = NULL;
		size_t len = 0;
		tg_error ignore;
		bool same = false;
		if (tgs_b64(json_string_value(json_object_get(one, "sig")), 8192, &inner, &len,
		            &ignore) == TG_OK && memchr(inner, '\0', len) == NULL) {
			char *text = strndup((const char *)inner, len);
			same = text != NULL && same_signature(text, s->sig, s->sig_len) &&
			       same_signer(json_string_value(json_object_get(one, "publicKey")), s->cert,
			                   s->key);
			free(text);
		}
		free(inner);
		if (same)
			return TG_OK;
	}
	return tg_error_set(err, TG_EINVAL, "the log entry records another signature or signer");
}

/* Rekor v2's verifier: {"x509Certificate": {"rawBytes"}} or
 * {"publicKey": {"rawBytes"}} (DER, base64). */
static bool same_v2_signer(json_t *verifier, X509 *cert, EVP_PKEY *key)
{
	json_t *c = json_object_get(verifier, "x509Certificate");
	json_t *k = json_object_get(verifier, "publicKey");
	unsigned char *der = NULL;
	size_t len = 0;
	tg_error ignore;
	bool same = false;
	const char *b64 = json_string_value(json_object_get(cert ? c : k, "rawBytes"));
	if (tgs_b64(b64, 64 * 1024, &der, &len, &ignore) != TG_OK)
		return false;
	const unsigned char *p = der;
	if (cert != NULL) {
		X509 *logged = tg_sigstore_cert_parse(der, len);
		same = logged != NULL && X509_cmp(logged, cert) == 0;
		X509_free(logged);
	} else if (key != NULL) {
		EVP_PKEY *logged = d2i_PUBKEY(NULL, &p, (long)len);
		same = logged != NULL && EVP_PKEY_eq(logged, key) == 1;
		EVP_PKEY_free(logged);
	}
	free(der);
	return same;
}

static int records_hashedrekord_v2(json_t *spec, const tg_rekor_signature *s, tg_error *err)
{
	json_t *v2 = json_object_get(spec, "hashedRekordV002");
	json_t *data = json_object_get(v2, "data"), *sig = json_object_get(v2, "signature");
	const char *alg = json_string_value(json_object_get(data, "algorithm"));
	unsigned char *digest = NULL;
	size_t len = 0;
	tg_error ignore;
	bool same_data = alg != NULL && strcmp(alg, "SHA2_256") == 0 &&
	                 tgs_b64(json_string_value(json_object_get(data, "digest")), 64, &digest, &len,
	                         &ignore) == TG_OK &&
	                 len == 32 && memcmp(digest, s->signed_sha256, 32) == 0;
	free(digest);
	if (!same_data)
		return tg_error_set(err, TG_EINVAL, "the log entry is for other signed data");
	if (!same_signature(json_string_value(json_object_get(sig, "content")), s->sig, s->sig_len))
		return tg_error_set(err, TG_EINVAL, "the log entry records another signature");
	if (!same_v2_signer(json_object_get(sig, "verifier"), s->cert, s->key))
		return tg_error_set(err, TG_EINVAL, "the log entry records another signer");
	return TG_OK;
}

int tg_rekor_entry_records(const unsigned char *body, size_t body_len,
                           const tg_rekor_signature *s, tg_error *err)
{
	json_t *doc = json_loadb((const char *)body, body_len, JSON_REJECT_DUPLICATES, NULL);
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	const char *version = json_string_value(json_object_get(doc, "apiVersion"));
	json_t *spec = json_object_get(doc, "spec");
	int rc;
	if (kind == NULL || version == NULL)
		rc = tg_error_set(err, TG_EINVAL, "the log entry's body is not a Rekor entry");
	else if (strcmp(kind, "hashedrekord") == 0 && strcmp(version, "0.0.1") == 0)
		rc = records_hashedrekord(spec, s, err);
	else if (strcmp(kind, "hashedrekord") == 0 && strcmp(version, "0.0.2") == 0)
		rc = records_hashedrekord_v2(spec, s, err);
	else if (strcmp(kind, "dsse") == 0 && strcmp(version, "0.0.1") == 0)
		rc = records_dsse(spec, s, err);
	else if (strcmp(kind, "intoto") == 0 && strcmp(version, "0.0.2") == 0)
		rc = records_intoto(spec, s, err);
	else
		rc = tg_error_set(err, TG_EINVAL, "log entries of kind %.40s version %.20s are not "
		                  "supported (hashedrekord 0.0.1 and 0.0.2, dsse 0.0.1, intoto 0.0.2 are)", kind, version);
	json_decref(doc);
	return rc;
}
