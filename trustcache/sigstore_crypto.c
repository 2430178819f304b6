/* sigstore_crypto: the signature checks and small decoders the Sigstore
 * verifier's parts share (see sigstore_internal.h). */
#include <string.h>

#include "trustcache/b64.h"
#include "trustcache/sigstore_internal.h"

bool tgs_window_has(const struct tgs_window *w, time_t t)
{
	return t >= w->start && (w->end == 0 || t <= w->end);
}

bool tgs_signature_checks(EVP_PKEY *key, const unsigned char *msg, size_t len,
                          const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	bool ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	          EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

bool tgs_digest_signature_checks(EVP_PKEY *key, const unsigned char digest[32],
                                 const unsigned char *sig, size_t sig_len)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
		return false; /* Ed25519 signs the message itself, never a digest */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	bool ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	          EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	          EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

int tgs_b64(const char *s, size_t max, unsigned char **out, size_t *len, tg_error *err)
{
	if (s == NULL)
		return tg_error_set(err, TG_EINVAL, "missing");
	return tg_b64_decode(s, strlen(s), max, out, len, err);
}
