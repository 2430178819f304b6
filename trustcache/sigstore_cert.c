/* sigstore_cert: see sigstore_cert.h. The chain check is OpenSSL's, given
 * the time to check at; the identity is read from the leaf's extensions. */
#include "trustcache/sigstore_cert.h"

#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "trustcache/sct.h"
#include "trustcache/sigstore_internal.h"

#define OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"
#define OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"

X509 *tg_sigstore_cert_parse(const unsigned char *der, size_t len)
{
	if (len > 64 * 1024)
		return NULL;
	if (len >= 10 && memcmp(der, "-----BEGIN", 10) == 0) {
		BIO *bio = BIO_new_mem_buf(der, (int)len);
		X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		return x;
	}
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Verify leaf through ca at time t: *issuer (up-referenced) is the
 * certificate that issued it; the reason in why when it fails. */
static bool chains_to(const struct tgs_ca *ca, X509 *leaf, time_t t, X509 **issuer,
                      const char **why)
{
	int n = sk_X509_num(ca->chain);
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *intermediates = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;
	*why = "out of memory";
	if (store == NULL || intermediates == NULL || ctx == NULL ||
	    X509_STORE_add_cert(store, sk_X509_value(ca->chain, n - 1)) != 1)
		goto done;
	for (int i = 0; i < n - 1; i++)
		if (!sk_X509_push(intermediates, sk_X509_value(ca->chain, i)))
			goto done;
	if (X509_STORE_CTX_init(ctx, store, leaf, intermediates) != 1)
		goto done;
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, t); /* also sets X509_V_FLAG_USE_CHECK_TIME */
	/* the chain's last certificate is the anchor, self-signed or not */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN);
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		*why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
	STACK_OF(X509) *chain = ok ? X509_STORE_CTX_get0_chain(ctx) : NULL;
	*issuer = sk_X509_num(chain) >= 2 ? sk_X509_value(chain, 1) : NULL;
	ok = ok && *issuer != NULL && X509_up_ref(*issuer) == 1;
done:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(intermediates); /* the certificates belong to the root */
	X509_STORE_free(store);
	return ok;
}

int tg_sigstore_cert_verify(const tg_sigstore_root *root, X509 *leaf, time_t t, tg_error *err)
{
	const char *why = NULL;
	size_t in_window = 0;
	for (size_t i = 0; i < root->n_cas; i++) {
		if (!tgs_window_has(&root->cas[i].valid, t))
			continue;
		in_window++;
		const char *this_why;
		X509 *issuer = NULL;
		if (chains_to(&root->cas[i], leaf, t, &issuer, &this_why)) {
			int rc = TG_OK;
			if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) == 0 ||
			    (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN) == 0)
				rc = tg_error_set(err, TG_EINVAL, "the signing certificate is not for code "
				                  "signing (no codeSigning extended key usage)");
			else
				rc = tg_sct_verify(root, leaf, issuer, err);
			X509_free(issuer);
			return rc;
		}
		if (why == NULL)
			why = this_why;
	}
	char when[32];
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	if (in_window == 0)
		return tg_error_set(err, TG_EINVAL, "no certificate authority of the trusted root was "
		                    "valid at the time of signing (%s)", when);
	return tg_error_set(err, TG_EINVAL, "the signing certificate does not chain to the trusted "
	                    "root's certificate authorities at the time of signing (%s): %s", when, why);
}

/* Copy len bytes of s into out as a C string; no NULs, bounded. */
static int copy_value(const unsigned char *s, int len, char out[TG_SIGSTORE_IDENTITY_MAX])
{
	if (s == NULL || len <= 0 || len >= TG_SIGSTORE_IDENTITY_MAX ||
	    memchr(s, '\0', (size_t)len) != NULL)
		return TG_EINVAL;
	memcpy(out, s, (size_t)len);
	out[len] = '\0';
	return TG_OK;
}

static int read_subject(X509 *leaf, tg_sigstore_identity *out, tg_error *err)
{
	int crit = 0;
	GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
	int rc = TG_EINVAL;
	if (names != NULL && sk_GENERAL_NAME_num(names) == 1) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, 0);
		if (g->type == GEN_URI || g->type == GEN_EMAIL) {
			ASN1_IA5STRING *s = g->type == GEN_URI ? g->d.uniformResourceIdentifier : g->d.rfc822Name;
			rc = copy_value(ASN1_STRING_get0_data(s), ASN1_STRING_length(s), out->subject);
		}
	}
	GENERAL_NAMES_free(names);
	if (rc != TG_OK)
		return tg_error_set(err, TG_EINVAL, "the signing certificate does not name one identity "
		                    "(a single URI or email Subject Alternative Name)");
	return TG_OK;
}

/* The contents of leaf's extension oid, or NULL. */
static const ASN1_OCTET_STRING *extension_data(X509 *leaf, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int at = obj ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
	ASN1_OBJECT_free(obj);
	return at >= 0 ? X509_EXTENSION_get_data(X509_get_ext(leaf, at)) : NULL;
}

static int read_issuer(X509 *leaf, tg_sigstore_identity *out, tg_error *err)
{
	const ASN1_OCTET_STRING *v2 = extension_data(leaf, OID_ISSUER_V2);
	const ASN1_OCTET_STRING *v1 = extension_data(leaf, OID_ISSUER_V1);
	int rc = TG_EINVAL;
	if (v2 != NULL) {
		const unsigned char *p = ASN1_STRING_get0_data(v2);
		long len = ASN1_STRING_length(v2);
		ASN1_UTF8STRING *s = d2i_ASN1_UTF8STRING(NULL, &p, len);
		if (s != NULL && p == ASN1_STRING_get0_data(v2) + len)
			rc = copy_value(ASN1_STRING_get0_data(s), ASN1_STRING_length(s), out->issuer);
		ASN1_UTF8STRING_free(s);
	} else if (v1 != NULL) {
		rc = copy_value(ASN1_STRING_get0_data(v1), ASN1_STRING_length(v1), out->issuer);
	}
	if (rc != TG_OK)
		return tg_error_set(err, TG_EINVAL, "the signing certificate does not name its OIDC "
		                    "issuer (extension %s or %s)", OID_ISSUER_V2, OID_ISSUER_V1);
	return TG_OK;
}

int tg_sigstore_cert_identity(X509 *leaf, tg_sigstore_identity *out, tg_error *err)
{
	int rc = read_subject(leaf, out, err);
	return rc == TG_OK ? read_issuer(leaf, out, err) : rc;
}
