/* notary: see notary.h. One lookup walks root -> timestamp -> snapshot ->
 * targets -> targets/releases, keeping every document it verified in a
 * struct lookup, and frees them all at the end. */
#include "trustcache/notary.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "trustcache/notary_state.h"
#include "trustcache/tuf_role.h"

#define ROOT_MAX (2 * 1024 * 1024)
#define ROTATIONS_MAX 100

struct lookup {
	const tg_notary_trust *trust;
	tg_notary_fetch_fn fetch;
	void *ctx;
	const char *gun;
	time_t now;
	tg_notary_state state;
	tg_tuf_doc *root, *timestamp, *snapshot, *targets, *releases;
	tg_tuf_role *targets_role, *releases_role;
	tg_error *err;
};

static void lookup_free(struct lookup *lk)
{
	tg_tuf_doc_free(lk->root);
	tg_tuf_doc_free(lk->timestamp);
	tg_tuf_doc_free(lk->snapshot);
	tg_tuf_doc_free(lk->targets);
	tg_tuf_doc_free(lk->releases);
	tg_tuf_role_free(lk->targets_role);
	tg_tuf_role_free(lk->releases_role);
	tg_notary_state_free(&lk->state);
}

/* Fetch name and parse it as role; when meta is given, the bytes must be
 * exactly what the parent declared. */
static int fetch_doc(struct lookup *lk, const char *role, const char *name, size_t max,
                     const tg_tuf_filemeta *meta, tg_buf *bytes, tg_tuf_doc **out)
{
	tg_buf_init(bytes, max);
	int rc = lk->fetch(lk->ctx, lk->gun, name, max, bytes, lk->err);
	/* Only a missing root means "never signed"; any other missing file is
	 * trust data that does not hold together. */
	if (rc == TG_ENOTFOUND && strcmp(name, "root.json") != 0)
		rc = tg_error_set(lk->err, TG_EINVAL, "the Notary server is missing %s of %s", name,
		                  lk->gun);
	if (rc == TG_OK && meta != NULL)
		rc = tg_tuf_filemeta_check(meta, name, bytes->data ? bytes->data : "", bytes->len, lk->err);
	if (rc == TG_OK)
		rc = tg_tuf_doc_parse(role, bytes->data ? bytes->data : "", bytes->len, out, lk->err);
	return rc;
}

/* "<role>.<sha256 hex>.json": the consistent name of a file whose hashes a
 * parent declared. */
static void hashed_name(const char *role, const tg_tuf_filemeta *meta, char *out, size_t n)
{
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", meta->sha256[i]);
	if (meta->has_sha256)
		snprintf(out, n, "%s.%s.json", role, hex);
	else
		snprintf(out, n, "%s.json", role);
}

static int verify_with_root_role(struct lookup *lk, const tg_tuf_doc *root, const char *role,
                                 const tg_tuf_doc *doc, bool check_expiry)
{
	tg_tuf_role *r = NULL;
	int rc = tg_tuf_root_role(root, role, &r, lk->err);
	if (rc == TG_OK)
		rc = check_expiry ? tg_tuf_doc_verify(doc, r, lk->now, lk->err)
		                  : tg_tuf_doc_check_signatures(doc, r, lk->err);
	tg_tuf_role_free(r);
	return rc;
}

static bool cert_names_gun(const X509 *cert, const char *gun)
{
	char cn[512];
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	return n > 0 && strcmp(cn, gun) == 0;
}

static bool cert_chains_to(X509_STORE *store, X509 *cert, time_t now)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = ctx != NULL && X509_STORE_CTX_init(ctx, store, cert, NULL) == 1;
	if (ok) {
		X509_STORE_CTX_set_time(ctx, 0, now);
		ok = X509_verify_cert(ctx) == 1;
	}
	X509_STORE_CTX_free(ctx);
	return ok;
}

/* Does this root key match the host's pins (a pinned key, or a
 * certificate for this GUN issued by the pinned CA)? */
static bool key_is_pinned(struct lookup *lk, const tg_tuf_key *key)
{
	const tg_notary_trust *t = lk->trust;
	for (size_t j = 0; j < t->n_pinned_keys; j++)
		if (EVP_PKEY_eq(tg_tuf_key_pkey(key), t->pinned_keys[j]) == 1)
			return true;
	X509 *cert = (X509 *)tg_tuf_key_cert(key);
	return t->root_ca != NULL && cert != NULL && cert_names_gun(cert, lk->gun) &&
	       cert_chains_to(t->root_ca, cert, lk->now);
}

/* A pinned key must have signed the root, not merely be listed in it (pins
 * are public: anyone can list them). Verify the root against a role made
 * of the pinned keys alone, threshold 1. */
static int root_signed_by_pin(struct lookup *lk, const tg_tuf_doc *root, const tg_tuf_role *root_role)
{
	const json_t *keys = json_object_get(tg_tuf_doc_signed(root), "keys");
	tg_tuf_role *pinned = NULL;
	int rc = tg_tuf_role_new("root", 1, &pinned, lk->err);
	size_t n = 0;
	for (size_t i = 0; rc == TG_OK && i < tg_tuf_role_key_count(root_role); i++) {
		const tg_tuf_key *key = tg_tuf_role_key(root_role, i);
		tg_tuf_key *copy = NULL;
		if (!key_is_pinned(lk, key))
			continue;
		rc = tg_tuf_key_parse(json_object_get(keys, tg_tuf_key_id(key)), &copy, lk->err);
		if (rc == TG_OK && (rc = tg_tuf_role_add_key(pinned, copy, lk->err)) != TG_OK)
			tg_tuf_key_free(copy);
		n += rc == TG_OK;
	}
	if (rc == TG_OK && (n == 0 || tg_tuf_doc_check_signatures(root, pinned, lk->err) != TG_OK))
		rc = tg_error_set(lk->err, TG_EINVAL, "the root of trust of %s is not signed by a key "
		                  "pinned in trust root \"%s\"", lk->gun, lk->trust->name);
	tg_tuf_role_free(pinned);
	return rc;
}

/* Root certificates must be valid now (Notary refuses expired ones), for
 * a new root, a rotated one and the one this host already trusts. */
static int check_root_certs(struct lookup *lk, const tg_tuf_doc *root)
{
	tg_tuf_role *root_role = NULL;
	int rc = tg_tuf_root_role(root, "root", &root_role, lk->err);
	for (size_t i = 0; rc == TG_OK && i < tg_tuf_role_key_count(root_role); i++) {
		time_t not_before, not_after;
		tg_error ignore;
		if (tg_tuf_key_validity(tg_tuf_role_key(root_role, i), &not_before, &not_after,
		                        &ignore) != TG_OK)
			continue; /* not a certificate */
		if (lk->now < not_before || lk->now > not_after)
			rc = tg_error_set(lk->err, TG_EINVAL, "the root certificate of %s is outside its "
			                  "validity period", lk->gun);
	}
	tg_tuf_role_free(root_role);
	return rc;
}

/* First sight of a repository: a self-signed root that matches a pin, or
 * any self-signed root under trust on first use when nothing is pinned. */
static int accept_new_root(struct lookup *lk, const tg_tuf_doc *root)
{
	tg_tuf_role *root_role = NULL;
	int rc = tg_tuf_root_role(root, "root", &root_role, lk->err);
	if (rc == TG_OK)
		rc = tg_tuf_doc_check_signatures(root, root_role, lk->err);
	bool pins = lk->trust->n_pinned_keys > 0 || lk->trust->root_ca != NULL;
	if (rc == TG_OK && pins)
		rc = root_signed_by_pin(lk, root, root_role);
	if (rc == TG_OK && !pins && !lk->trust->tofu)
		rc = tg_error_set(lk->err, TG_EINVAL, "trust root \"%s\" pins no root keys and does not "
		                  "allow trust on first use", lk->trust->name);
	tg_tuf_role_free(root_role);
	return rc;
}

/* Put a prefix in front of the message already in lk->err. */
static int rephrase(struct lookup *lk, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int rephrase(struct lookup *lk, int code, const char *fmt, ...)
{
	char prefix[TG_ERROR_MSG_MAX], detail[TG_ERROR_MSG_MAX];
	snprintf(detail, sizeof(detail), "%s", lk->err ? lk->err->msg : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return tg_error_set(lk->err, code, "%s%s", prefix, detail);
}

/* From the root this host trusts to the server's newest: every version in
 * between signed by the previous root's keys and by its own. */
static int rotate_root(struct lookup *lk, tg_tuf_doc *trusted, tg_tuf_doc *newest)
{
	long long from = tg_tuf_doc_version(trusted), to = tg_tuf_doc_version(newest);
	if (to - from > ROTATIONS_MAX)
		return tg_error_set(lk->err, TG_ETOOBIG, "the root of %s moved %lld versions at once",
		                    lk->gun, to - from);
	tg_tuf_doc *prev = trusted;
	int rc = TG_OK;
	for (long long v = from + 1; v <= to && rc == TG_OK; v++) {
		tg_tuf_doc *next = newest;
		tg_buf bytes;
		char name[64];
		snprintf(name, sizeof(name), "%lld.root.json", v);
		if (v < to && (rc = fetch_doc(lk, "root", name, ROOT_MAX, NULL, &bytes, &next)) != TG_OK)
			rc = rephrase(lk, rc, "root rotation of %s to version %lld: ", lk->gun, v);
		if (v < to)
			tg_buf_free(&bytes);
		if (rc == TG_OK && tg_tuf_doc_version(next) != v)
			rc = tg_error_set(lk->err, TG_EINVAL, "root rotation of %s: %s has version %lld",
			                  lk->gun, name, tg_tuf_doc_version(next));
		if (rc == TG_OK && (verify_with_root_role(lk, prev, "root", next, false) != TG_OK ||
		                    verify_with_root_role(lk, next, "root", next, false) != TG_OK))
			rc = rephrase(lk, TG_EINVAL, "the root of trust of %s changed to version %lld without "
			              "a valid rotation (it must be signed by the old and the new root keys): ",
			              lk->gun, v);
		if (prev != trusted)
			tg_tuf_doc_free(prev);
		prev = next;
	}
	if (prev != trusted && prev != newest)
		tg_tuf_doc_free(prev);
	return rc;
}

static int establish_root(struct lookup *lk)
{
	tg_buf bytes;
	tg_tuf_doc *fetched = NULL, *trusted = NULL;
	int rc = fetch_doc(lk, "root", "root.json", ROOT_MAX, NULL, &bytes, &fetched);
	if (rc == TG_ENOTFOUND && lk->state.root.len > 0)
		rc = tg_error_set(lk->err, TG_EINVAL, "the Notary server no longer has trust data for %s, "
		                  "which this host has seen signed", lk->gun);
	else if (rc == TG_ENOTFOUND)
		rc = tg_error_set(lk->err, TG_ENOTFOUND, "%s has no trust data on the Notary server (it "
		                  "was never signed)", lk->gun);
	if (rc == TG_OK && lk->state.root.len == 0) {
		rc = accept_new_root(lk, fetched);
	} else if (rc == TG_OK) {
		rc = tg_tuf_doc_parse("root", lk->state.root.data, lk->state.root.len, &trusted, lk->err);
		bool same = rc == TG_OK && bytes.len == lk->state.root.len &&
		            memcmp(bytes.data, lk->state.root.data, bytes.len) == 0;
		if (rc == TG_OK && !same && tg_tuf_doc_version(fetched) <= tg_tuf_doc_version(trusted))
			rc = tg_error_set(lk->err, TG_EINVAL, "the root of trust of %s changed without a "
			                  "rotation (version %lld, this host trusts version %lld)", lk->gun,
			                  tg_tuf_doc_version(fetched), tg_tuf_doc_version(trusted));
		else if (rc == TG_OK && !same)
			rc = rotate_root(lk, trusted, fetched);
	}
	if (rc == TG_OK)
		rc = tg_tuf_doc_check_expiry(fetched, lk->now, lk->err);
	if (rc == TG_OK)
		rc = check_root_certs(lk, fetched);
	if (rc == TG_OK) {
		tg_buf_free(&lk->state.root);
		lk->state.root = bytes; /* the state now owns the bytes */
		lk->state.versions[TG_NR_ROOT] = tg_tuf_doc_version(fetched);
		lk->root = fetched;
	} else {
		tg_buf_free(&bytes);
		tg_tuf_doc_free(fetched);
	}
	tg_tuf_doc_free(trusted);
	return rc;
}

static int check_rollback(struct lookup *lk, const tg_tuf_doc *doc, enum tg_notary_role_index i)
{
	long long seen = lk->state.versions[i], v = tg_tuf_doc_version(doc);
	if (v < seen)
		return tg_error_set(lk->err, TG_EINVAL, "the Notary server offers %s version %lld of %s, "
		                    "but this host has already seen version %lld (rollback refused)",
		                    tg_notary_role_name(i), v, lk->gun, seen);
	lk->state.versions[i] = v;
	return TG_OK;
}

/* A document a parent describes: hashed name, bytes checked, signatures to
 * role's threshold, not expired, not rolled back. */
static int fetch_child(struct lookup *lk, const tg_tuf_doc *parent, const char *role,
                       const tg_tuf_role *signer, enum tg_notary_role_index i, tg_tuf_doc **out)
{
	tg_tuf_filemeta meta;
	char name[TG_TUF_ROLE_NAME_MAX + 80];
	tg_buf bytes;
	int rc = tg_tuf_meta_get(parent, role, &meta, lk->err);
	if (rc != TG_OK)
		return rc;
	if (meta.length < 0 || meta.length > TG_TUF_DOC_MAX)
		return tg_error_set(lk->err, TG_ETOOBIG, "%s declares %s as %lld bytes, more than the "
		                    "%d trustgate accepts", tg_tuf_doc_role(parent), role, meta.length,
		                    TG_TUF_DOC_MAX);
	hashed_name(role, &meta, name, sizeof(name));
	rc = fetch_doc(lk, role, name, (size_t)meta.length, &meta, &bytes, out);
	tg_buf_free(&bytes);
	if (rc == TG_OK)
		rc = tg_tuf_doc_verify(*out, signer, lk->now, lk->err);
	if (rc == TG_OK)
		rc = check_rollback(lk, *out, i);
	return rc;
}

static int load_chain(struct lookup *lk)
{
	tg_buf bytes;
	tg_buf_init(&bytes, TG_TUF_TIMESTAMP_MAX);
	tg_tuf_role *role = NULL;
	int rc = establish_root(lk);
	if (rc == TG_OK)
		rc = fetch_doc(lk, "timestamp", "timestamp.json", TG_TUF_TIMESTAMP_MAX, NULL, &bytes,
		               &lk->timestamp);
	tg_buf_free(&bytes); /* on failure too: a hostile server must not leak memory */
	if (rc == TG_OK)
		rc = verify_with_root_role(lk, lk->root, "timestamp", lk->timestamp, true);
	if (rc == TG_OK)
		rc = check_rollback(lk, lk->timestamp, TG_NR_TIMESTAMP);
	if (rc == TG_OK)
		rc = tg_tuf_root_role(lk->root, "snapshot", &role, lk->err);
	if (rc == TG_OK)
		rc = fetch_child(lk, lk->timestamp, "snapshot", role, TG_NR_SNAPSHOT, &lk->snapshot);
	if (rc == TG_OK)
		rc = tg_tuf_root_role(lk->root, "targets", &lk->targets_role, lk->err);
	if (rc == TG_OK)
		rc = fetch_child(lk, lk->snapshot, "targets", lk->targets_role, TG_NR_TARGETS, &lk->targets);
	tg_tuf_role_free(role);
	return rc;
}

/* targets/releases, when targets delegates to it. */
static int load_releases(struct lookup *lk)
{
	bool delegated = false;
	for (size_t i = 0; i < tg_tuf_targets_delegation_count(lk->targets); i++)
		delegated = delegated || strcmp(tg_tuf_targets_delegation_name(lk->targets, i),
		                                "targets/releases") == 0;
	if (!delegated)
		return TG_OK;
	int rc = tg_tuf_targets_delegation(lk->targets, lk->targets_role, "targets/releases",
	                                   &lk->releases_role, lk->err);
	if (rc == TG_OK)
		rc = fetch_child(lk, lk->snapshot, "targets/releases", lk->releases_role, TG_NR_RELEASES,
		                 &lk->releases);
	return rc;
}

static void fill_target(tg_notary_target *out, const tg_tuf_filemeta *meta, const char *role,
                        const char *tag)
{
	memset(out, 0, sizeof(*out));
	strcpy(out->digest, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(out->digest + 7 + 2 * i, 3, "%02x", meta->sha256[i]);
	snprintf(out->role, sizeof(out->role), "%s", role);
	snprintf(out->tag, sizeof(out->tag), "%s", tag);
	out->length = meta->length;
}

/* The tag in one targets document, if its role may sign it. */
static int find_tag(struct lookup *lk, const tg_tuf_doc *doc, const tg_tuf_role *role,
                    const char *tag, tg_notary_target *out)
{
	tg_tuf_filemeta meta;
	tg_error ignore;
	if (doc == NULL || (role != NULL && !tg_tuf_role_path_allowed(role, tag)))
		return TG_ENOTFOUND;
	if (tg_tuf_targets_get(doc, tag, &meta, &ignore) != TG_OK || !meta.has_sha256)
		return TG_ENOTFOUND;
	fill_target(out, &meta, tg_tuf_doc_role(doc), tag);
	return TG_OK;
}

/* The first signed tag of doc whose digest is digest. */
static int find_digest(struct lookup *lk, const tg_tuf_doc *doc, const tg_tuf_role *role,
                       const char *digest, tg_notary_target *out)
{
	const json_t *targets = doc ? json_object_get(tg_tuf_doc_signed(doc), "targets") : NULL;
	const char *tag;
	json_t *value;
	json_object_foreach((json_t *)targets, tag, value) {
		tg_notary_target t;
		if (find_tag(lk, doc, role, tag, &t) == TG_OK && strcmp(t.digest, digest) == 0) {
			*out = t;
			return TG_OK;
		}
	}
	return TG_ENOTFOUND;
}

static int run_lookup(const tg_notary_trust *trust, tg_notary_fetch_fn fetch, void *ctx,
                      const char *gun, const char *want, bool by_digest, time_t now,
                      tg_notary_target *out, tg_error *err)
{
	struct lookup lk = {.trust = trust, .fetch = fetch, .ctx = ctx, .gun = gun, .now = now,
	                    .err = err};
	int rc = TG_OK;
	if (trust->state_dir != NULL)
		rc = tg_notary_state_read(trust->state_dir, trust->name, gun, &lk.state, err);
	else
		tg_buf_init(&lk.state.root, ROOT_MAX);
	if (rc == TG_OK)
		rc = load_chain(&lk);
	if (rc == TG_OK)
		rc = load_releases(&lk);
	if (rc == TG_OK && trust->state_dir != NULL)
		rc = tg_notary_state_write(trust->state_dir, trust->name, gun, &lk.state, err);
	if (rc == TG_OK) {
		rc = by_digest ? find_digest(&lk, lk.releases, lk.releases_role, want, out)
		               : find_tag(&lk, lk.releases, lk.releases_role, want, out);
		if (rc == TG_ENOTFOUND)
			rc = by_digest ? find_digest(&lk, lk.targets, NULL, want, out)
			               : find_tag(&lk, lk.targets, NULL, want, out);
		if (rc == TG_ENOTFOUND)
			tg_error_set(err, rc, "%s %s%s%s is not signed in the trust data of %s",
			             by_digest ? "digest" : "tag", by_digest ? "" : "\"", want,
			             by_digest ? "" : "\"", gun);
	}
	lookup_free(&lk);
	return rc;
}

int tg_notary_lookup_tag(const tg_notary_trust *trust, tg_notary_fetch_fn fetch, void *ctx,
                         const char *gun, const char *tag, time_t now, tg_notary_target *out,
                         tg_error *err)
{
	return run_lookup(trust, fetch, ctx, gun, tag, false, now, out, err);
}

int tg_notary_lookup_digest(const tg_notary_trust *trust, tg_notary_fetch_fn fetch, void *ctx,
                            const char *gun, const char *digest, time_t now,
                            tg_notary_target *out, tg_error *err)
{
	return run_lookup(trust, fetch, ctx, gun, digest, true, now, out, err);
}

static int load_pem_key(const char *path, EVP_PKEY **out, tg_error *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return tg_error_set(err, TG_EIO, "cannot read root key %s", path);
	EVP_PKEY *key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (key == NULL) { /* a certificate holding the key also does */
		rewind(f);
		X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
		key = cert ? X509_get_pubkey(cert) : NULL;
		X509_free(cert);
	}
	fclose(f);
	if (key == NULL)
		return tg_error_set(err, TG_EINVAL, "%s holds no PEM public key or certificate", path);
	*out = key;
	return TG_OK;
}

int tg_notary_trust_load(tg_notary_trust *trust, const char *name, char *const *key_files,
                         size_t n_key_files, const char *ca_file, bool tofu, const char *state_dir,
                         tg_error *err)
{
	memset(trust, 0, sizeof(*trust));
	trust->tofu = tofu;
	trust->name = strdup(name);
	trust->state_dir = state_dir ? strdup(state_dir) : NULL;
	trust->pinned_keys = calloc(n_key_files ? n_key_files : 1, sizeof(EVP_PKEY *));
	int rc = (trust->name && trust->pinned_keys && (!state_dir || trust->state_dir))
	                 ? TG_OK
	                 : tg_error_set(err, TG_ENOMEM, "out of memory");
	for (size_t i = 0; rc == TG_OK && i < n_key_files; i++) {
		rc = load_pem_key(key_files[i], &trust->pinned_keys[i], err);
		if (rc == TG_OK)
			trust->n_pinned_keys++;
	}
	if (rc == TG_OK && ca_file != NULL) {
		trust->root_ca = X509_STORE_new();
		if (trust->root_ca == NULL || X509_STORE_load_file(trust->root_ca, ca_file) != 1)
			rc = tg_error_set(err, TG_EINVAL, "%s holds no PEM CA certificate", ca_file);
	}
	if (rc != TG_OK)
		tg_notary_trust_clear(trust);
	return rc;
}

void tg_notary_trust_clear(tg_notary_trust *trust)
{
	for (size_t i = 0; i < trust->n_pinned_keys; i++)
		EVP_PKEY_free(trust->pinned_keys[i]);
	free(trust->pinned_keys);
	X509_STORE_free(trust->root_ca);
	free(trust->name);
	free(trust->state_dir);
	memset(trust, 0, sizeof(*trust));
}
