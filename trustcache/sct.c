/* sct: see sct.h. The signed structure is rebuilt here as RFC 6962
 * section 3.2 lays it out for a precertificate entry. */
#include "trustcache/sct.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "common/tg_buf.h"
#include "trustcache/sigstore_internal.h"

#define SCT_MAX 16

static const struct tgs_log *ct_log(const tg_sigstore_root *root, const unsigned char *id,
                                    size_t len)
{
	for (size_t i = 0; len == 32 && i < root->n_ctlogs; i++)
		if (memcmp(root->ctlogs[i].id, id, 32) == 0)
			return &root->ctlogs[i];
	return NULL;
}

static int append_be(tg_buf *b, unsigned long long v, int bytes)
{
	unsigned char out[8];
	for (int i = 0; i < bytes; i++)
		out[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	return tg_buf_append(b, out, (size_t)bytes);
}

/* The precertificate's parts: the issuer's key hash and the leaf's TBS
 * without its SCT list, DER. */
static int precert_parts(X509 *leaf, X509 *issuer, unsigned char key_hash[32],
                         unsigned char **tbs, int *tbs_len)
{
	unsigned char *spki = NULL;
	int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	if (spki_len <= 0)
		return TG_ENOMEM;
	SHA256(spki, (size_t)spki_len, key_hash);
	OPENSSL_free(spki);
	X509 *pre = X509_dup(leaf);
	int at = pre != NULL ? X509_get_ext_by_NID(pre, NID_ct_precert_scts, -1) : -1;
	if (at < 0) {
		X509_free(pre);
		return TG_EINVAL;
	}
	X509_EXTENSION_free(X509_delete_ext(pre, at));
	*tbs = NULL;
	*tbs_len = i2d_re_X509_tbs(pre, tbs);
	X509_free(pre);
	return *tbs_len > 0 ? TG_OK : TG_ENOMEM;
}

/* Whether sct is log's signature over the precertificate entry. */
static bool sct_checks(const SCT *sct, const struct tgs_log *log, const unsigned char key_hash[32],
                       const unsigned char *tbs, int tbs_len)
{
	unsigned char *ext = NULL, *sig = NULL;
	size_t ext_len = SCT_get0_extensions(sct, &ext);
	size_t sig_len = SCT_get0_signature(sct, &sig);
	tg_buf msg;
	tg_buf_init(&msg, (size_t)tbs_len + ext_len + 64);
	bool built = append_be(&msg, 0, 1) == TG_OK &&                   /* v1 */
	             append_be(&msg, 0, 1) == TG_OK &&                   /* certificate_timestamp */
	             append_be(&msg, SCT_get_timestamp(sct), 8) == TG_OK &&
	             append_be(&msg, 1, 2) == TG_OK &&                   /* precert_entry */
	             tg_buf_append(&msg, key_hash, 32) == TG_OK &&
	             append_be(&msg, (unsigned long long)tbs_len, 3) == TG_OK &&
	             tg_buf_append(&msg, tbs, (size_t)tbs_len) == TG_OK &&
	             append_be(&msg, ext_len, 2) == TG_OK && tg_buf_append(&msg, ext, ext_len) == TG_OK;
	bool ok = built && sig_len > 0 &&
	          tgs_signature_checks(log->key, (const unsigned char *)tg_buf_str(&msg), msg.len, sig,
	                               sig_len);
	tg_buf_free(&msg);
	return ok;
}

int tg_sct_verify(const tg_sigstore_root *root, X509 *leaf, X509 *issuer, tg_error *err)
{
	if (root->n_ctlogs == 0)
		return TG_OK;
	STACK_OF(SCT) *scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
	unsigned char key_hash[32], *tbs = NULL;
	int tbs_len = 0, rc = TG_OK;
	bool verified = false;
	if (sk_SCT_num(scts) <= 0)
		rc = tg_error_set(err, TG_EINVAL, "the signing certificate carries no certificate-"
		                  "transparency timestamp (SCT), which the trusted root's CT logs require");
	else if (precert_parts(leaf, issuer, key_hash, &tbs, &tbs_len) != TG_OK)
		rc = tg_error_set(err, TG_ENOMEM, "cannot rebuild the precertificate");
	for (int i = 0; rc == TG_OK && !verified && i < sk_SCT_num(scts) && i < SCT_MAX; i++) {
		const SCT *sct = sk_SCT_value(scts, i);
		unsigned char *id = NULL;
		size_t id_len = SCT_get0_log_id(sct, &id);
		const struct tgs_log *log = ct_log(root, id, id_len);
		verified = SCT_get_version(sct) == SCT_VERSION_V1 && log != NULL &&
		           tgs_window_has(&log->valid, (time_t)(SCT_get_timestamp(sct) / 1000)) &&
		           sct_checks(sct, log, key_hash, tbs, tbs_len);
	}
	if (rc == TG_OK && !verified)
		rc = tg_error_set(err, TG_EINVAL, "no certificate-transparency timestamp (SCT) of the "
		                  "signing certificate verifies with the trusted root's CT logs");
	OPENSSL_free(tbs);
	SCT_LIST_free(scts);
	return rc;
}
