/* rfc3161: see rfc3161.h. The time is read from the token first, so the
 * authority's chain can be checked as of that time, then the whole response
 * is verified by OpenSSL against that authority alone. */
#include "trustcache/rfc3161.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/ts.h>
#include <openssl/x509.h>

#include "trustcache/sigstore_internal.h"

#define TIMESTAMP_MAX (64u * 1024)

static int token_time(TS_TST_INFO *info, time_t *out)
{
	const ASN1_GENERALIZEDTIME *gt = TS_TST_INFO_get_time(info);
	struct tm tm;
	if (gt == NULL || ASN1_TIME_to_tm(gt, &tm) != 1)
		return TG_EINVAL;
	*out = tgs_utc_seconds(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                       tm.tm_sec);
	return TG_OK;
}

/* The imprint the token must carry: sig hashed with the token's algorithm
 * (OPENSSL_malloc'd, as TS_VERIFY_CTX_set_imprint takes it). */
static unsigned char *imprint_of(TS_TST_INFO *info, const unsigned char *sig, size_t sig_len,
                                 unsigned int *len)
{
	X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(info));
	int nid = alg != NULL ? OBJ_obj2nid(alg->algorithm) : NID_undef;
	const EVP_MD *md = nid == NID_sha256   ? EVP_sha256()
	                   : nid == NID_sha384 ? EVP_sha384()
	                   : nid == NID_sha512 ? EVP_sha512()
	                                       : NULL;
	unsigned char *out = md != NULL ? OPENSSL_malloc(EVP_MAX_MD_SIZE) : NULL;
	if (out != NULL && EVP_Digest(sig, sig_len, out, len, md, NULL) != 1) {
		OPENSSL_free(out);
		return NULL;
	}
	return out;
}

/* The token's one signer is tsa's own timestamping certificate (issuer and
 * serial): another certificate under the same CA is another authority. */
static bool signed_by_leaf(TS_RESP *resp, const struct tgs_ca *tsa)
{
	STACK_OF(PKCS7_SIGNER_INFO) *infos = PKCS7_get_signer_info(TS_RESP_get_token(resp));
	X509 *leaf = sk_X509_value(tsa->chain, 0);
	if (infos == NULL || sk_PKCS7_SIGNER_INFO_num(infos) != 1 || leaf == NULL)
		return false;
	PKCS7_ISSUER_AND_SERIAL *ias = sk_PKCS7_SIGNER_INFO_value(infos, 0)->issuer_and_serial;
	return ias != NULL && X509_NAME_cmp(ias->issuer, X509_get_issuer_name(leaf)) == 0 &&
	       ASN1_INTEGER_cmp(ias->serial, X509_get0_serialNumber(leaf)) == 0;
}

/* The response verifies through tsa as of time t. The context owns what it
 * is given (OpenSSL 3.0): its own store, copies of the chain, the imprint. */
static bool verified_by(const struct tgs_ca *tsa, TS_RESP *resp, time_t t,
                        const unsigned char *sig, size_t sig_len)
{
	if (!signed_by_leaf(resp, tsa))
		return false;
	int n = sk_X509_num(tsa->chain);
	TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	unsigned int imprint_len = 0;
	unsigned char *imprint = imprint_of(TS_RESP_get_tst_info(resp), sig, sig_len, &imprint_len);
	bool ok = false;
	if (ctx == NULL || store == NULL || certs == NULL || imprint == NULL ||
	    X509_STORE_add_cert(store, sk_X509_value(tsa->chain, n - 1)) != 1)
		goto fail;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), t);
	/* the chain's last certificate is the anchor, self-signed or not */
	X509_VERIFY_PARAM_set_flags(X509_STORE_get0_param(store), X509_V_FLAG_PARTIAL_CHAIN);
	for (int i = 0; i < n - 1; i++) {
		X509 *x = sk_X509_value(tsa->chain, i);
		if (!sk_X509_push(certs, x))
			goto fail;
		X509_up_ref(x);
	}
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_imprint(ctx, imprint, imprint_len);
	TS_VERIFY_CTX_set_store(ctx, store);
	TS_VERIFY_CTX_set_certs(ctx, certs);
	ok = TS_RESP_verify_response(ctx, resp) == 1;
	TS_VERIFY_CTX_free(ctx);
	return ok;
fail:
	TS_VERIFY_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	OPENSSL_free(imprint);
	return false;
}

int tg_rfc3161_verify(const tg_sigstore_root *root, const unsigned char *der, size_t len,
                      const unsigned char *sig, size_t sig_len, time_t *when, tg_error *err)
{
	if (len > TIMESTAMP_MAX)
		return tg_error_set(err, TG_EINVAL, "a signed timestamp is larger than %u bytes",
		                    TIMESTAMP_MAX);
	const unsigned char *p = der;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)len);
	if (resp != NULL && p != der + len) { /* nothing may trail it */
		TS_RESP_free(resp);
		resp = NULL;
	}
	TS_TST_INFO *info = resp != NULL ? TS_RESP_get_tst_info(resp) : NULL;
	time_t t = 0;
	int rc = TG_OK;
	size_t in_window = 0;
	if (info == NULL || token_time(info, &t) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "a signed timestamp is not an RFC 3161 timestamp "
		                  "response");
	for (size_t i = 0; rc == TG_OK && i < root->n_tsas; i++) {
		if (!tgs_window_has(&root->tsas[i].valid, t))
			continue;
		in_window++;
		if (verified_by(&root->tsas[i], resp, t, sig, sig_len)) {
			*when = t;
			TS_RESP_free(resp);
			return TG_OK;
		}
	}
	if (rc == TG_OK)
		rc = tg_error_set(err, TG_EINVAL, in_window == 0
		                  ? "no timestamp authority of the trusted root was valid at the time a "
		                    "signed timestamp states"
		                  : "a signed timestamp does not verify: not for this signature, or not "
		                    "signed through the trusted root's timestamp authority");
	TS_RESP_free(resp);
	return rc;
}
