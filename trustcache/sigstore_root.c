/* sigstore_root: see sigstore_root.h. Everything is parsed and checked at
 * load, so a verification never meets a malformed root. */
#include "trustcache/sigstore_root.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "common/tg_buf.h"
#include "trustcache/sigstore_cert.h"
#include "trustcache/sigstore_internal.h"

#define DER_MAX (64u * 1024)

void tg_sigstore_root_free(tg_sigstore_root *root)
{
	if (root == NULL)
		return;
	for (size_t i = 0; i < root->n_cas; i++)
		sk_X509_pop_free(root->cas[i].chain, X509_free);
	for (size_t i = 0; i < root->n_tsas; i++)
		sk_X509_pop_free(root->tsas[i].chain, X509_free);
	for (size_t i = 0; i < root->n_logs; i++)
		EVP_PKEY_free(root->logs[i].key);
	for (size_t i = 0; i < root->n_ctlogs; i++)
		EVP_PKEY_free(root->ctlogs[i].key);
	free(root);
}

size_t tg_sigstore_root_ca_count(const tg_sigstore_root *root)
{
	return root->n_cas;
}

size_t tg_sigstore_root_log_count(const tg_sigstore_root *root)
{
	return root->n_logs;
}

const struct tgs_log *tgs_root_log(const tg_sigstore_root *root, const unsigned char *id)
{
	for (size_t i = 0; i < root->n_logs; i++)
		if (memcmp(root->logs[i].id, id, 32) == 0)
			return &root->logs[i];
	return NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no timegm (not in POSIX) is needed. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

time_t tgs_utc_seconds(int year, int month, int day, int hour, int min, int sec)
{
	return (time_t)(days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 +
	                hour * 3600 + min * 60 + sec);
}

int tg_sigstore_parse_time(const char *s, time_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	static const unsigned char month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, sec;
	int n = 0;
	for (size_t i = 0; s != NULL && i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return TG_EINVAL; /* also stops at the end of a short string */
	if (s == NULL || sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))) || h > 23 ||
	    mi > 59 || sec > 60)
		return TG_EINVAL;
	const char *rest = s + n;
	if (*rest == '.') {
		size_t digits = strspn(rest + 1, "0123456789");
		if (digits == 0 || digits > 9)
			return TG_EINVAL;
		rest += 1 + digits;
	}
	if (strcmp(rest, "Z") != 0)
		return TG_EINVAL;
	*out = tgs_utc_seconds((int)y, (int)mo, (int)d, (int)h, (int)mi, (int)sec);
	return TG_OK;
}

/* validFor {"start": T, "end": T}: start required, end optional (null:
 * none). */
static int read_window(json_t *v, struct tgs_window *w)
{
	json_t *end = json_object_get(v, "end");
	if (tg_sigstore_parse_time(json_string_value(json_object_get(v, "start")), &w->start) != TG_OK)
		return TG_EINVAL;
	w->end = 0;
	if (end != NULL && !json_is_null(end) && tg_sigstore_parse_time(json_string_value(end), &w->end) != TG_OK)
		return TG_EINVAL;
	return TG_OK;
}

static int read_certificate(json_t *v, X509 **out)
{
	unsigned char *der = NULL;
	size_t len = 0;
	tg_error ignore;
	if (tgs_b64(json_string_value(json_object_get(v, "rawBytes")), DER_MAX, &der, &len, &ignore))
		return TG_EINVAL;
	*out = tg_sigstore_cert_parse(der, len);
	free(der);
	return *out != NULL ? TG_OK : TG_EINVAL;
}

/* A certificate authority or timestamp authority (kind names it). */
static int read_ca(json_t *v, struct tgs_ca *ca, const char *what, const char *kind, size_t i,
                   tg_error *err)
{
	json_t *certs = json_object_get(json_object_get(v, "certChain"), "certificates"), *c;
	size_t k;
	if (json_array_size(certs) == 0 || json_array_size(certs) > 8)
		return tg_error_set(err, TG_EINVAL, "%s: %s %zu has no certChain.certificates (1 to 8)",
		                    what, kind, i + 1);
	if (read_window(json_object_get(v, "validFor"), &ca->valid) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "%s: %s %zu has no valid validFor.start (RFC 3339 "
		                    "time)", what, kind, i + 1);
	ca->chain = sk_X509_new_null();
	if (ca->chain == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	json_array_foreach(certs, k, c) {
		X509 *x = NULL;
		if (read_certificate(c, &x) != TG_OK)
			return tg_error_set(err, TG_EINVAL, "%s: certificate %zu of %s %zu is not a base64 "
			                    "DER certificate", what, k + 1, kind, i + 1);
		if (!sk_X509_push(ca->chain, x)) {
			X509_free(x);
			return tg_error_set(err, TG_ENOMEM, "out of memory");
		}
	}
	return TG_OK;
}

/* The sha256 of key's DER SubjectPublicKeyInfo: a log's id. */
static int key_id(EVP_PKEY *key, unsigned char id[32])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	if (len <= 0)
		return TG_EINVAL;
	SHA256(der, (size_t)len, id);
	OPENSSL_free(der);
	return TG_OK;
}

static bool key_type_supported(EVP_PKEY *k)
{
	int id = EVP_PKEY_get_base_id(k);
	return id == EVP_PKEY_EC || id == EVP_PKEY_RSA || id == EVP_PKEY_ED25519;
}

static int read_log(json_t *v, struct tgs_log *log, const char *what, size_t i, tg_error *err)
{
	json_t *pk = json_object_get(v, "publicKey");
	unsigned char *der = NULL, *id = NULL;
	size_t len = 0, id_len = 0;
	tg_error ignore;
	int rc = TG_OK;
	if (tgs_b64(json_string_value(json_object_get(pk, "rawBytes")), DER_MAX, &der, &len, &ignore))
		return tg_error_set(err, TG_EINVAL, "%s: transparency log %zu has no "
		                    "publicKey.rawBytes in base64", what, i + 1);
	const char *details = json_string_value(json_object_get(pk, "keyDetails"));
	const unsigned char *p = der;
	/* PKCS1_RSA_* keys are a bare RSAPublicKey; the others are PKIX */
	if (details != NULL && strncmp(details, "PKCS1_RSA", 9) == 0)
		log->key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	else
		log->key = d2i_PUBKEY(NULL, &p, (long)len);
	if (log->key == NULL || p != der + len || !key_type_supported(log->key))
		rc = tg_error_set(err, TG_EINVAL, "%s: the public key of transparency log %zu is not "
		                  "an ECDSA, RSA or Ed25519 DER public key", what, i + 1);
	else if (read_window(json_object_get(pk, "validFor"), &log->valid) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "%s: transparency log %zu has no valid "
		                  "publicKey.validFor (a \"start\" and optional \"end\", RFC 3339 "
		                  "times)", what, i + 1);
	else if (tgs_b64(json_string_value(json_object_get(json_object_get(v, "logId"), "keyId")),
	                 64, &id, &id_len, &ignore) != TG_OK || id_len != 32)
		rc = tg_error_set(err, TG_EINVAL, "%s: transparency log %zu has no 32-byte "
		                  "logId.keyId in base64", what, i + 1);
	else
		memcpy(log->id, id, 32);
	free(der);
	free(id);
	return rc;
}

/* "ctlogs": the certificate-transparency logs whose SCTs certificates
 * must carry (sct.h), read as tlogs are. */
static int read_ctlogs(json_t *doc, tg_sigstore_root *root, const char *what, tg_error *err)
{
	json_t *ctlogs = json_object_get(doc, "ctlogs"), *v;
	size_t i;
	if ((ctlogs != NULL && !json_is_array(ctlogs)) || json_array_size(ctlogs) > TGS_MAX_LOGS)
		return tg_error_set(err, TG_EINVAL, "%s: \"ctlogs\" is not an array of at most %d",
		                    what, TGS_MAX_LOGS);
	json_array_foreach(ctlogs, i, v) {
		tg_error sub;
		int rc = read_log(v, &root->ctlogs[i], what, i, &sub);
		root->n_ctlogs = i + 1;
		if (rc != TG_OK)
			return tg_error_set(err, rc, "%s (in \"ctlogs\")", sub.msg);
	}
	return TG_OK;
}

static int read_root(json_t *doc, const char *what, tg_sigstore_root *root, tg_error *err)
{
	const char *media = json_string_value(json_object_get(doc, "mediaType"));
	json_t *cas = json_object_get(doc, "certificateAuthorities");
	json_t *logs = json_object_get(doc, "tlogs"), *v;
	json_t *tsas = json_object_get(doc, "timestampAuthorities");
	size_t i;
	if (media == NULL || strcmp(media, TG_SIGSTORE_ROOT_TYPE) != 0)
		return tg_error_set(err, TG_EINVAL, "%s is not a Sigstore trusted root (mediaType "
		                    "%.80s, expected %s)", what, media ? media : "missing",
		                    TG_SIGSTORE_ROOT_TYPE);
	if ((cas != NULL && !json_is_array(cas)) || !json_is_array(logs))
		return tg_error_set(err, TG_EINVAL, "%s: \"certificateAuthorities\" and \"tlogs\" must "
		                    "be arrays", what);
	if (json_array_size(cas) > TGS_MAX_CAS || json_array_size(logs) > TGS_MAX_LOGS ||
	    json_array_size(tsas) > TGS_MAX_CAS || (tsas != NULL && !json_is_array(tsas)))
		return tg_error_set(err, TG_EINVAL, "%s: more than %d certificate authorities, "
		                    "timestamp authorities or transparency logs", what, TGS_MAX_CAS);
	if (json_array_size(logs) == 0)
		return tg_error_set(err, TG_EINVAL, "%s names no transparency log (\"tlogs\")", what);
	json_array_foreach(cas, i, v) {
		int rc = read_ca(v, &root->cas[i], what, "certificate authority", i, err);
		root->n_cas = i + 1; /* freed with the root, even half-read */
		if (rc != TG_OK)
			return rc;
	}
	json_array_foreach(tsas, i, v) {
		int rc = read_ca(v, &root->tsas[i], what, "timestamp authority", i, err);
		root->n_tsas = i + 1;
		if (rc != TG_OK)
			return rc;
	}
	json_array_foreach(logs, i, v) {
		int rc = read_log(v, &root->logs[i], what, i, err);
		root->n_logs = i + 1;
		if (rc != TG_OK)
			return rc;
	}
	return read_ctlogs(doc, root, what, err);
}

int tg_sigstore_root_parse(const char *json, size_t len, const char *what,
                           tg_sigstore_root **out, tg_error *err)
{
	if (len > TG_SIGSTORE_ROOT_MAX)
		return tg_error_set(err, TG_ETOOBIG, "%s is larger than %u bytes", what,
		                    TG_SIGSTORE_ROOT_MAX);
	json_error_t jerr;
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return tg_error_set(err, TG_EINVAL, "%s is not JSON: line %d: %s", what, jerr.line,
		                    jerr.text);
	tg_sigstore_root *root = calloc(1, sizeof(*root));
	int rc = root != NULL ? read_root(doc, what, root, err)
	                      : tg_error_set(err, TG_ENOMEM, "out of memory");
	json_decref(doc);
	if (rc != TG_OK) {
		tg_sigstore_root_free(root);
		return rc;
	}
	*out = root;
	return TG_OK;
}

int tg_sigstore_root_load(const char *file, tg_sigstore_root **out, tg_error *err)
{
	tg_buf json;
	tg_buf_init(&json, TG_SIGSTORE_ROOT_MAX);
	int rc = tg_buf_read_file(&json, file);
	if (rc != TG_OK)
		rc = tg_error_set(err, rc, "cannot read %s (or larger than %u bytes)", file,
		                  TG_SIGSTORE_ROOT_MAX);
	else
		rc = tg_sigstore_root_parse(tg_buf_str(&json), json.len, file, out, err);
	tg_buf_free(&json);
	return rc;
}

int tg_sigstore_root_from_log_key(const char *file, tg_sigstore_root **out, tg_error *err)
{
	FILE *f = fopen(file, "r");
	if (f == NULL)
		return tg_error_set(err, TG_EIO, "cannot read public key %s", file);
	EVP_PKEY *key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	tg_sigstore_root *root = calloc(1, sizeof(*root));
	int rc = TG_OK;
	if (root == NULL)
		rc = tg_error_set(err, TG_ENOMEM, "out of memory");
	else if (key == NULL || !key_type_supported(key) || key_id(key, root->logs[0].id) != TG_OK)
		rc = tg_error_set(err, TG_EINVAL, "%s is not a PEM public key of a type Rekor uses "
		                  "(ECDSA, RSA, Ed25519)", file);
	if (rc != TG_OK) {
		EVP_PKEY_free(key);
		free(root);
		return rc;
	}
	root->logs[0].key = key;
	root->n_logs = 1;
	*out = root;
	return TG_OK;
}
