/* forge_log: the test transparency logs and timestamp authority of
 * tg-sigstore-forge (see forge_log.h; the tool is described in
 * sigstore_forge.c). An entry sits in a small tree whose other leaves are
 * fillers; its inclusion proof is the RFC 6962 audit path, its checkpoint a
 * signed note as Rekor writes it, its SET (Rekor v1) the log's signature
 * over the entry's canonical JSON. Timestamps come from OpenSSL's TS API
 * acting as the TSA, at a time the caller chooses. */
#include "forge_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#define MAX_PATH 8
#define TSA_POLICY "1.3.6.1.4.1.57264.2" /* as Sigstore's TSA */

/* ---- the log: Merkle tree (RFC 6962 / RFC 9162), checkpoint, SET ---- */

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

static json_t *inclusion_proof(const test_logs *logs, const char *body, const placement *p)
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
	note_signer ns = {LOG_ORIGIN, LOG_HOST, logs->v1->id.h,
	                  rogue ? logs->rogue : logs->v1->key};
	if (p->v2) {
		note_signer v2 = {V2_HOST, V2_HOST, logs->v2->id.h,
		                  rogue ? logs->rogue_ed : logs->v2->key};
		ns = v2;
	}
	return jcheck(json_pack("{s:s, s:o, s:s, s:o, s:{s:o}}", "logIndex", idx, "rootHash",
	                        jtake(b64(root.h, sizeof root.h)), "treeSize", size, "hashes",
	                        hashes, "checkpoint", "envelope",
	                        jtake(checkpoint(&ns, p->size, &root))));
}

/* The signed entry timestamp over Rekor's canonical JSON of the entry. */
static char *signed_entry_timestamp(const test_logs *logs, const char *body_b64, size_t index,
                                    EVP_PKEY *signer)
{
	char log_id[65];
	hex(logs->v1->id.h, sizeof logs->v1->id.h, log_id);
	json_t *payload = jcheck(json_pack("{s:s, s:I, s:s, s:I}", "body", body_b64,
	                                   "integratedTime", (json_int_t)logs->t, "logID", log_id,
	                                   "logIndex", (json_int_t)index));
	char *text = jdump(payload, JSON_COMPACT | JSON_SORT_KEYS);
	char *set = sign_b64(signer, text, strlen(text));
	free(text);
	json_decref(payload);
	return set;
}

json_t *tlog_entry(const test_logs *logs, const char *body, const char *kind,
                   const placement *p)
{
	char *body_b64 = b64_str(body);
	char idx[24], when[24];
	snprintf(idx, sizeof idx, "%zu", p->index);
	snprintf(when, sizeof when, "%lld", (long long)logs->t);
	EVP_PKEY *set_signer = p->fault == L_SET_KEY ? logs->rogue : logs->v1->key;
	json_t *e = jcheck(json_pack(
	        "{s:s, s:{s:o}, s:{s:s, s:s}, s:s, s:{s:o}}", "logIndex", idx, "logId", "keyId",
	        jtake(b64(logs->v1->id.h, sizeof logs->v1->id.h)), "kindVersion", "kind", kind,
	        "version", "0.0.1", "integratedTime", when, "inclusionPromise",
	        "signedEntryTimestamp",
	        jtake(signed_entry_timestamp(logs, body_b64, p->index, set_signer))));
	if (p->with_proof)
		need(json_object_set_new(e, "inclusionProof", inclusion_proof(logs, body, p)) == 0,
		     "inclusionProof");
	need(json_object_set_new(e, "canonicalizedBody", jtake(body_b64)) == 0, "body");
	return e;
}

/* A Rekor v2 entry: no integrated time, no SET; the inclusion proof and its
 * checkpoint are all there is. */
json_t *tlog_entry_v2(const test_logs *logs, const char *body, const placement *p)
{
	char idx[24];
	snprintf(idx, sizeof idx, "%zu", p->index);
	need(p->v2 && p->with_proof, "a v2 entry has an inclusion proof");
	return jcheck(json_pack("{s:s, s:{s:o}, s:{s:s, s:s}, s:o, s:o}", "logIndex", idx,
	                        "logId", "keyId",
	                        jtake(b64(logs->v2->id.h, sizeof logs->v2->id.h)), "kindVersion",
	                        "kind", "hashedrekord", "version", "0.0.2", "inclusionProof",
	                        inclusion_proof(logs, body, p), "canonicalizedBody",
	                        jtake(b64_str(body))));
}

/* ---- entry bodies, as Rekor canonicalizes them (sorted keys, no spaces) ---- */

static char *canonical(json_t *j)
{
	char *s = jdump(jcheck(j), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

char *hashedrekord_body(const char *sha_hex, const char *sig_b64, const char *pem_b64)
{
	return canonical(json_pack("{s:s, s:s, s:{s:{s:{s:s, s:s}}, s:{s:s, s:{s:s}}}}",
	                           "apiVersion", "0.0.1", "kind", "hashedrekord", "spec", "data",
	                           "hash", "algorithm", "sha256", "value", sha_hex, "signature",
	                           "content", sig_b64, "publicKey", "content", pem_b64));
}

char *dsse_body(const char *env_hex, const char *payload_hex, const char *sig_b64,
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
char *hashedrekord_v2_body(const hash32 *digest, const char *sig_b64, X509 *verifier)
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
char *timestamp_b64(const keyed_cert *tsa, const void *data, size_t n, time_t when,
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
