/* trustcache/notary against the attacks TUF is built to stop, on
 * repositories generated here in memory: a small Notary-like repository
 * generator (EC P-256 keys, the root key as a self-signed certificate with
 * CN = GUN, documents signed with method "ecdsa" over canonical JSON, meta
 * hashes over the served bytes) served through a fetch callback.
 *
 * Each test builds a clean repository, checks it verifies where the attack
 * needs a baseline, then changes one thing as an attacker (or a compromised
 * server) would and asserts the exact refusal: arbitrary targets, rollback,
 * freeze, mix-and-match, wrong keys and thresholds, endless data, malicious
 * delegations, root rotation, pinning and root certificate validity.
 *
 * "now" is the real clock: certificates are made relative to it and
 * documents expire in 2099 (or expired in 2001). */
#include "tg_test.h"

#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "trustcache/b64.h"
#include "trustcache/canonical_json.h"
#include "trustcache/notary.h"
#include "trustcache/notary_state.h"
#include "trustcache/tuf_key.h"
#include "trustcache/tuf_role.h"

#define GUN "registry.test/acme/app"
#define FAR "2099-01-01T00:00:00Z"
#define PAST "2001-01-01T00:00:00Z"
#define DAY 86400
#define MAX_KEYS 24
#define MAX_FILES 32
#define MAX_TAGS 4

/* ---- keys ------------------------------------------------------------------ */

struct key {
	EVP_PKEY *pkey;
	json_t *obj; /* {"keytype": ..., "keyval": {"private": null, "public": ...}} */
	char id[TG_TUF_KEY_ID_LEN + 1];
};

static void sha256(const void *p, size_t n, unsigned char md[32])
{
	assert_int_equal(EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL), 1);
}

static void hex32(const unsigned char md[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A new json string holding the base64 of p. */
static json_t *b64_string(const unsigned char *p, size_t n)
{
	tg_buf b;
	tg_error err;
	tg_buf_init(&b, 1 << 20);
	assert_int_equal(tg_b64_encode(p, n, &b, &err), 0);
	json_t *s = json_string(tg_buf_str(&b));
	tg_buf_free(&b);
	return s;
}

/* The canonical JSON of v (what Notary signs and hashes for key IDs). */
static void canonical(const json_t *v, tg_buf *out)
{
	tg_error err;
	tg_buf_init(out, 1 << 22);
	if (tg_canonical_json_write(v, out, &err) != 0)
		fail_msg("canonical JSON: %s", err.msg);
}

/* Fill k->obj and k->id: the ID is the hex SHA-256 of the canonical key
 * object with private null (tuf_key.h, Notary's TUFKey.ID). */
static void key_set_public(struct key *k, const char *type, const unsigned char *pub, size_t n)
{
	k->obj = json_pack("{s:s, s:{s:n, s:o}}", "keytype", type, "keyval", "private", "public",
	                   b64_string(pub, n));
	assert_non_null(k->obj);
	tg_buf c;
	unsigned char md[32];
	canonical(k->obj, &c);
	sha256(c.data, c.len, md);
	hex32(md, k->id);
	tg_buf_free(&c);
}

static EVP_PKEY *p256(void)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(pkey);
	return pkey;
}

/* keytype "ecdsa": base64 DER SubjectPublicKeyInfo. */
static void key_make_plain(struct key *k)
{
	k->pkey = p256();
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der);
	assert_true(n > 0);
	key_set_public(k, "ecdsa", der, (size_t)n);
	OPENSSL_free(der);
}

/* A self-signed certificate with CN = cn, valid from nb to na. */
static X509 *self_signed(EVP_PKEY *pkey, const char *cn, time_t nb, time_t na)
{
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	X509_NAME *name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_int_equal(X509_set_pubkey(x, pkey), 1);
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
	return x;
}

/* keytype "ecdsa-x509": base64 of a PEM certificate, as Notary's root keys. */
static void key_make_cert(struct key *k, time_t nb, time_t na)
{
	k->pkey = p256();
	X509 *x = self_signed(k->pkey, GUN, nb, na);
	BIO *bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	char *pem = NULL;
	long n = BIO_get_mem_data(bio, &pem);
	key_set_public(k, "ecdsa-x509", (const unsigned char *)pem, (size_t)n);
	BIO_free(bio);
	X509_free(x);
}

/* One signature entry by k over msg: method "ecdsa", raw r||s. */
static json_t *sign_one(const struct key *k, const tg_buf *msg)
{
	unsigned char der[128], raw[64];
	size_t dlen = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dlen, (const unsigned char *)msg->data, msg->len), 1);
	EVP_MD_CTX_free(ctx);
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	assert_non_null(sig);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32), 32);
	ECDSA_SIG_free(sig);
	return json_pack("{s:s, s:s, s:o}", "keyid", k->id, "method", "ecdsa", "sig",
	                 b64_string(raw, sizeof(raw)));
}

/* ---- the repository -------------------------------------------------------- */

struct repo;
typedef void (*tweak_fn)(struct repo *r, json_t *signed_obj);

struct file {
	char name[320];
	char *bytes;
	size_t len;
};

/* Roles are indexed as in notary_state.h (TG_NR_ROOT ... TG_NR_RELEASES). */
struct repo {
	time_t now;
	struct key keys[MAX_KEYS];
	size_t n_keys;
	struct key *role_keys[TG_NR_COUNT][2]; /* who the parent says may sign */
	size_t n_role_keys[TG_NR_COUNT];
	long long threshold[TG_NR_COUNT];
	struct key *signers[TG_NR_COUNT][3];   /* who actually signs */
	size_t n_signers[TG_NR_COUNT];
	long long version[TG_NR_COUNT];
	const char *expires[TG_NR_COUNT];
	const char *tags[TG_NR_COUNT][MAX_TAGS]; /* targets and releases; NULL-ended */
	bool delegate;                           /* targets delegates targets/releases */
	bool root_changed; /* re-sign root on the next publish (ECDSA is randomized:
	                    * new bytes at the same version are a different root) */
	const char *paths[2];                    /* of the delegation; NULL-ended */
	tweak_fn before_sign[TG_NR_COUNT], after_sign[TG_NR_COUNT];
	char *bytes[TG_NR_COUNT]; /* last published, as served */
	size_t len[TG_NR_COUNT];
	struct file files[MAX_FILES];
	size_t n_files;
	/* fetcher behaviour */
	const char *grow;  /* files whose name starts with this get grow_by extra bytes */
	size_t grow_by;
	size_t max_seen;   /* largest max the client passed */
};

/* A new "ecdsa" key, or an "ecdsa-x509" one valid from nb to na; r owns both. */
static struct key *repo_key(struct repo *r)
{
	assert_true(r->n_keys < MAX_KEYS);
	key_make_plain(&r->keys[r->n_keys]);
	return &r->keys[r->n_keys++];
}

static struct key *repo_cert_key(struct repo *r, time_t nb, time_t na)
{
	assert_true(r->n_keys < MAX_KEYS);
	key_make_cert(&r->keys[r->n_keys], nb, na);
	return &r->keys[r->n_keys++];
}

/* Role i is listed with key k (threshold 1) and signed by k alone. */
static void repo_set_role_key(struct repo *r, int i, struct key *k)
{
	r->role_keys[i][0] = k;
	r->n_role_keys[i] = 1;
	r->threshold[i] = 1;
	r->signers[i][0] = k;
	r->n_signers[i] = 1;
}

/* A clean repository: everything version 1, valid until 2099, "latest"
 * in targets, "v1" in targets/releases (paths [""]), the root certificate
 * valid from `from` to `to` days from now. Not yet published. */
static void repo_init_cert(struct repo *r, long long from, long long to)
{
	memset(r, 0, sizeof(*r));
	r->now = time(NULL);
	repo_set_role_key(r, TG_NR_ROOT, repo_cert_key(r, r->now + from * DAY, r->now + to * DAY));
	for (int i = TG_NR_TIMESTAMP; i < TG_NR_COUNT; i++)
		repo_set_role_key(r, i, repo_key(r));
	for (int i = 0; i < TG_NR_COUNT; i++) {
		r->version[i] = 1;
		r->expires[i] = FAR;
	}
	r->tags[TG_NR_TARGETS][0] = "latest";
	r->tags[TG_NR_RELEASES][0] = "v1";
	r->delegate = true;
	r->paths[0] = "";
}

static void repo_free(struct repo *r)
{
	for (size_t i = 0; i < r->n_keys; i++) {
		EVP_PKEY_free(r->keys[i].pkey);
		json_decref(r->keys[i].obj);
	}
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i].bytes);
	for (int i = 0; i < TG_NR_COUNT; i++)
		free(r->bytes[i]);
}

static struct file *repo_file(struct repo *r, const char *name)
{
	for (size_t i = 0; i < r->n_files; i++)
		if (strcmp(r->files[i].name, name) == 0)
			return &r->files[i];
	return NULL;
}

/* Serve a copy of bytes as name (replacing what was there). */
static void serve(struct repo *r, const char *name, const char *bytes, size_t len)
{
	struct file *f = repo_file(r, name);
	if (f == NULL) {
		assert_true(r->n_files < MAX_FILES);
		f = &r->files[r->n_files++];
		snprintf(f->name, sizeof(f->name), "%s", name);
	}
	free(f->bytes);
	f->bytes = malloc(len + 1);
	assert_non_null(f->bytes);
	memcpy(f->bytes, bytes, len);
	f->len = len;
}

static void unserve(struct repo *r, const char *name)
{
	struct file *f = repo_file(r, name);
	assert_non_null(f);
	free(f->bytes);
	*f = r->files[--r->n_files];
}

/* The name a client asks for: hashed for snapshot, targets, releases. */
static void served_name(const struct repo *r, int role, char *out, size_t n)
{
	unsigned char md[32];
	char hex[65];
	sha256(r->bytes[role], r->len[role], md);
	hex32(md, hex);
	if (role == TG_NR_TIMESTAMP)
		snprintf(out, n, "timestamp.json");
	else if (role == TG_NR_ROOT)
		snprintf(out, n, "root.json");
	else
		snprintf(out, n, "%s.%s.json", tg_notary_role_name(role), hex);
}

/* ---- documents ------------------------------------------------------------- */

static json_t *common_signed(const struct repo *r, int role, const char *type)
{
	return json_pack("{s:s, s:I, s:s}", "_type", type, "version", (json_int_t)r->version[role],
	                 "expires", r->expires[role]);
}

/* {"keyids": [...], "threshold": n} for role, adding its keys to keys. */
static json_t *role_entry(const struct repo *r, int role, json_t *keys)
{
	json_t *ids = json_array();
	for (size_t i = 0; i < r->n_role_keys[role]; i++) {
		const struct key *k = r->role_keys[role][i];
		json_array_append_new(ids, json_string(k->id));
		json_object_set(keys, k->id, k->obj);
	}
	return json_pack("{s:o, s:I}", "keyids", ids, "threshold", (json_int_t)r->threshold[role]);
}

static json_t *root_signed(const struct repo *r)
{
	json_t *s = common_signed(r, TG_NR_ROOT, "Root");
	json_t *keys = json_object(), *roles = json_object();
	for (int i = TG_NR_ROOT; i <= TG_NR_TARGETS; i++)
		json_object_set_new(roles, tg_notary_role_name(i), role_entry(r, i, keys));
	json_object_set_new(s, "keys", keys);
	json_object_set_new(s, "roles", roles);
	json_object_set_new(s, "consistent_snapshot", json_false());
	return s;
}

/* The manifest a tag of role points at: digest "<role>:<tag>". */
static void manifest_of(const char *role, const char *tag, char *text, size_t n)
{
	snprintf(text, n, "manifest of %s in %s", tag, role);
}

static void digest_of(const char *role, const char *tag, char out[80])
{
	char text[256], hex[65];
	unsigned char md[32];
	manifest_of(role, tag, text, sizeof(text));
	sha256(text, strlen(text), md);
	hex32(md, hex);
	snprintf(out, 80, "sha256:%s", hex);
}

/* {"length": n, "hashes": {"sha256": b64}} of bytes. */
static json_t *filemeta(const void *bytes, size_t len)
{
	unsigned char md[32];
	sha256(bytes, len, md);
	return json_pack("{s:I, s:{s:o}}", "length", (json_int_t)len, "hashes", "sha256",
	                 b64_string(md, sizeof(md)));
}

/* The file metadata of role's last published bytes. */
static json_t *meta_of(const struct repo *r, int role)
{
	return filemeta(r->bytes[role], r->len[role]);
}

static json_t *target_list(const struct repo *r, int role)
{
	json_t *t = json_object();
	for (size_t i = 0; i < MAX_TAGS && r->tags[role][i] != NULL; i++) {
		char text[256];
		manifest_of(tg_notary_role_name(role), r->tags[role][i], text, sizeof(text));
		json_object_set_new(t, r->tags[role][i], filemeta(text, strlen(text)));
	}
	return t;
}

static json_t *delegations(const struct repo *r)
{
	json_t *keys = json_object(), *roles = json_array();
	if (r->delegate) {
		json_t *entry = role_entry(r, TG_NR_RELEASES, keys);
		json_t *paths = json_array();
		for (size_t i = 0; i < 2 && r->paths[i] != NULL; i++)
			json_array_append_new(paths, json_string(r->paths[i]));
		json_object_set_new(entry, "name", json_string("targets/releases"));
		json_object_set_new(entry, "paths", paths);
		json_array_append_new(roles, entry);
	}
	return json_pack("{s:o, s:o}", "keys", keys, "roles", roles);
}

static json_t *targets_signed(const struct repo *r, int role)
{
	json_t *s = common_signed(r, role, "Targets");
	json_object_set_new(s, "targets", target_list(r, role));
	if (role == TG_NR_TARGETS)
		json_object_set_new(s, "delegations", delegations(r));
	return s;
}

static json_t *snapshot_signed(const struct repo *r)
{
	json_t *s = common_signed(r, TG_NR_SNAPSHOT, "Snapshot");
	json_t *meta = json_object();
	json_object_set_new(meta, "root", meta_of(r, TG_NR_ROOT));
	json_object_set_new(meta, "targets", meta_of(r, TG_NR_TARGETS));
	if (r->delegate)
		json_object_set_new(meta, "targets/releases", meta_of(r, TG_NR_RELEASES));
	json_object_set_new(s, "meta", meta);
	return s;
}

static json_t *timestamp_signed(const struct repo *r)
{
	json_t *s = common_signed(r, TG_NR_TIMESTAMP, "Timestamp");
	json_object_set_new(s, "meta", json_pack("{s:o}", "snapshot", meta_of(r, TG_NR_SNAPSHOT)));
	return s;
}

/* Sign signed_obj (taken) for role, serialize, keep and serve the bytes. */
static void publish_doc(struct repo *r, int role, json_t *signed_obj)
{
	if (r->before_sign[role] != NULL)
		r->before_sign[role](r, signed_obj);
	tg_buf msg;
	canonical(signed_obj, &msg);
	json_t *sigs = json_array();
	for (size_t i = 0; i < r->n_signers[role]; i++)
		json_array_append_new(sigs, sign_one(r->signers[role][i], &msg));
	tg_buf_free(&msg);
	if (r->after_sign[role] != NULL)
		r->after_sign[role](r, signed_obj);
	json_t *doc = json_pack("{s:o, s:o}", "signed", signed_obj, "signatures", sigs);
	free(r->bytes[role]);
	r->bytes[role] = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(r->bytes[role]);
	r->len[role] = strlen(r->bytes[role]);
	json_decref(doc);
	char name[320];
	served_name(r, role, name, sizeof(name));
	serve(r, name, r->bytes[role], r->len[role]);
}

static void publish_root(struct repo *r)
{
	char name[64];
	publish_doc(r, TG_NR_ROOT, root_signed(r));
	snprintf(name, sizeof(name), "%lld.root.json", r->version[TG_NR_ROOT]);
	serve(r, name, r->bytes[TG_NR_ROOT], r->len[TG_NR_ROOT]);
}

/* Build and serve every document, children first so parents can hash them.
 * Root keeps its bytes unless it was changed, as on a real server. */
static void repo_publish(struct repo *r)
{
	if (r->bytes[TG_NR_ROOT] == NULL || r->root_changed)
		publish_root(r);
	r->root_changed = false;
	if (r->delegate)
		publish_doc(r, TG_NR_RELEASES, targets_signed(r, TG_NR_RELEASES));
	publish_doc(r, TG_NR_TARGETS, targets_signed(r, TG_NR_TARGETS));
	publish_doc(r, TG_NR_SNAPSHOT, snapshot_signed(r));
	publish_doc(r, TG_NR_TIMESTAMP, timestamp_signed(r));
}

/* ---- the fetcher and the fixture ------------------------------------------- */

static int grow(tg_buf *out, size_t n)
{
	static const char pad[4096] = {0};
	int rc = TG_OK;
	for (size_t done = 0; rc == TG_OK && done < n; done += sizeof(pad))
		rc = tg_buf_append(out, pad, n - done < sizeof(pad) ? n - done : sizeof(pad));
	return rc;
}

static int repo_fetch(void *ctx, const char *gun, const char *name, size_t max, tg_buf *out,
                      tg_error *err)
{
	struct repo *r = ctx;
	if (max > r->max_seen)
		r->max_seen = max;
	struct file *f = strcmp(gun, GUN) == 0 ? repo_file(r, name) : NULL;
	if (f == NULL)
		return tg_error_set(err, TG_ENOTFOUND, "404 %s", name);
	int rc = tg_buf_append(out, f->bytes, f->len);
	if (rc == TG_OK && r->grow != NULL && strncmp(name, r->grow, strlen(r->grow)) == 0)
		rc = grow(out, r->grow_by);
	return rc == TG_OK ? TG_OK : tg_error_set(err, rc, "%s: more than %zu bytes", name, max);
}

/* One test's world: a published-on-demand repository, a tofu trust (with
 * a state directory once fx_use_state is called), and the last result. */
struct fx {
	struct repo r;
	tg_notary_trust trust;
	char dir[64]; /* state directory; "" when none */
	tg_notary_target target;
	tg_error err;
};

static tg_notary_trust tofu_trust(const char *state_dir)
{
	tg_notary_trust t;
	tg_error err;
	assert_int_equal(tg_notary_trust_load(&t, "acme", NULL, 0, NULL, true, state_dir, &err), 0);
	return t;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	repo_init_cert(&f->r, -1, 365);
	f->trust = tofu_trust(NULL);
	*state = f;
	return 0;
}

static void fx_remove_state(const struct fx *f, const char *sub)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s%s'", f->dir, sub);
	assert_int_equal(system(cmd), 0);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	repo_free(&f->r);
	tg_notary_trust_clear(&f->trust);
	if (f->dir[0] != '\0')
		fx_remove_state(f, "");
	free(f);
	return 0;
}

/* Keep state in a fresh directory under /tmp (removed at teardown). */
static void fx_use_state(struct fx *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/tg-notary-attacks-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	tg_notary_trust_clear(&f->trust);
	f->trust = tofu_trust(f->dir);
}

/* A new clean repository (root certificate valid from..to days from now),
 * and a host that has seen nothing yet. */
static void fx_reset(struct fx *f, long long from, long long to)
{
	repo_free(&f->r);
	repo_init_cert(&f->r, from, to);
	if (f->dir[0] != '\0')
		fx_remove_state(f, "/notary");
}

static int fx_lookup_with(struct fx *f, const tg_notary_trust *t, const char *tag, time_t now)
{
	memset(&f->err, 0, sizeof(f->err));
	return tg_notary_lookup_tag(t, repo_fetch, &f->r, GUN, tag, now, &f->target, &f->err);
}

static int fx_lookup(struct fx *f, const char *tag)
{
	return fx_lookup_with(f, &f->trust, tag, f->r.now);
}

static int fx_lookup_digest(struct fx *f, const char *digest)
{
	memset(&f->err, 0, sizeof(f->err));
	return tg_notary_lookup_digest(&f->trust, repo_fetch, &f->r, GUN, digest, f->r.now,
	                               &f->target, &f->err);
}

static long long fx_state_version(const struct fx *f, int role)
{
	tg_notary_state st;
	tg_error err;
	assert_int_equal(tg_notary_state_read(f->dir, "acme", GUN, &st, &err), 0);
	long long v = st.versions[role];
	tg_notary_state_free(&st);
	return v;
}

#define expect_found(f, rc)                                                                  \
	do {                                                                                     \
		if ((rc) != 0)                                                                       \
			fail_msg("lookup failed: %s (%s)", (f)->err.msg, tg_code_name(rc));              \
	} while (0)

#define expect_refused(f, rc, code, needle)                                                  \
	do {                                                                                     \
		if ((rc) != (code))                                                                  \
			fail_msg("expected %s, got %s: %s", tg_code_name(code), tg_code_name(rc),       \
			         (f)->err.msg);                                                         \
		assert_contains((f)->err.msg, needle);                                               \
	} while (0)

/* ---- positive controls ----------------------------------------------------- */

/* Our key IDs are the ones trustcache computes. */
static void expect_key_id(const struct key *k)
{
	tg_tuf_key *parsed = NULL;
	tg_error err;
	if (tg_tuf_key_parse(k->obj, &parsed, &err) != 0)
		fail_msg("generated key does not parse: %s", err.msg);
	assert_string_equal(tg_tuf_key_id(parsed), k->id);
	tg_tuf_key_free(parsed);
}

static void test_clean_repository(void **state)
{
	struct fx *f = *state;
	char want[80];
	repo_publish(&f->r);
	expect_key_id(f->r.role_keys[TG_NR_ROOT][0]);
	expect_key_id(f->r.role_keys[TG_NR_TARGETS][0]);
	int rc = fx_lookup(f, "latest");
	expect_found(f, rc);
	digest_of("targets", "latest", want);
	assert_string_equal(f->target.digest, want);
	assert_string_equal(f->target.role, "targets");
	assert_string_equal(f->target.tag, "latest");
	rc = fx_lookup(f, "v1"); /* delegated */
	expect_found(f, rc);
	digest_of("targets/releases", "v1", want);
	assert_string_equal(f->target.digest, want);
	assert_string_equal(f->target.role, "targets/releases");
	rc = fx_lookup_digest(f, want);
	expect_found(f, rc);
	assert_string_equal(f->target.tag, "v1");
	rc = fx_lookup(f, "nosuchtag");
	expect_refused(f, rc, TG_ENOTFOUND, "tag \"nosuchtag\" is not signed in the trust data of " GUN);
}

/* ---- 1. arbitrary target ---------------------------------------------------- */

static void point_latest_elsewhere(struct repo *r, json_t *signed_obj)
{
	json_t *latest = json_object_get(json_object_get(signed_obj, "targets"), "latest");
	json_object_set_new(latest, "length", json_integer(999));
}

static void test_targets_changed_after_signing(void **state)
{
	struct fx *f = *state;
	f->r.after_sign[TG_NR_TARGETS] = point_latest_elsewhere; /* snapshot hashes the new bytes */
	repo_publish(&f->r);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "targets: only 0 of 1 required signatures valid");
	assert_contains(f->err.msg, "ecdsa signature does not verify");
}

static void test_targets_signed_by_other_key(void **state)
{
	struct fx *f = *state;
	f->r.signers[TG_NR_TARGETS][0] = repo_key(&f->r);
	repo_publish(&f->r);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "targets: only 0 of 1 required signatures valid "
	                                 "(no signature is by a key of the role)");
	/* a key of the repository, but of another role */
	f->r.signers[TG_NR_TARGETS][0] = f->r.role_keys[TG_NR_SNAPSHOT][0];
	repo_publish(&f->r);
	rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "targets: only 0 of 1 required signatures valid");
}

/* ---- 2. rollback ------------------------------------------------------------ */

static void test_rollback(void **state)
{
	static const int roles[] = {TG_NR_TIMESTAMP, TG_NR_SNAPSHOT, TG_NR_TARGETS, TG_NR_RELEASES};
	struct fx *f = *state;
	fx_use_state(f);
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		char want[256];
		fx_reset(f, -1, 365);
		for (int j = TG_NR_TIMESTAMP; j < TG_NR_COUNT; j++)
			f->r.version[j] = 2;
		repo_publish(&f->r);
		int rc = fx_lookup(f, "latest");
		expect_found(f, rc);
		f->r.version[roles[i]] = 1; /* older, validly signed */
		repo_publish(&f->r);
		rc = fx_lookup(f, "latest");
		snprintf(want, sizeof(want), "offers %s version 1 of " GUN ", but this host has already "
		         "seen version 2 (rollback refused)", tg_notary_role_name(roles[i]));
		expect_refused(f, rc, TG_EINVAL, want);
		assert_int_equal(fx_state_version(f, roles[i]), 2);
	}
}

/* ---- 3. freeze --------------------------------------------------------------- */

static void test_freeze(void **state)
{
	struct fx *f = *state;
	for (int i = TG_NR_ROOT; i < TG_NR_COUNT; i++) {
		char want[128];
		fx_reset(f, -1, 365);
		f->r.expires[i] = PAST;
		repo_publish(&f->r);
		int rc = fx_lookup(f, "v1");
		snprintf(want, sizeof(want), "%s.json expired on " PAST, tg_notary_role_name(i));
		expect_refused(f, rc, TG_EINVAL, want);
	}
}

/* ---- 4. mix-and-match -------------------------------------------------------- */

/* Version 2 of the repository, but one file served with its version 1
 * bytes (same length, validly signed then) under the name snapshot lists. */
static void test_mix_and_match(void **state)
{
	static const int roles[] = {TG_NR_SNAPSHOT, TG_NR_TARGETS, TG_NR_RELEASES};
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		char name[320], want[400], old[8192];
		fx_reset(f, -1, 365);
		repo_publish(&f->r);
		size_t old_len = f->r.len[roles[i]];
		assert_true(old_len < sizeof(old));
		memcpy(old, f->r.bytes[roles[i]], old_len);
		for (int j = TG_NR_TIMESTAMP; j < TG_NR_COUNT; j++)
			f->r.version[j] = 2;
		repo_publish(&f->r);
		assert_int_equal(f->r.len[roles[i]], old_len);
		served_name(&f->r, roles[i], name, sizeof(name));
		serve(&f->r, name, old, old_len);
		int rc = fx_lookup(f, "v1");
		snprintf(want, sizeof(want), "%s sha256 mismatch", name);
		expect_refused(f, rc, TG_EINVAL, want);
	}
}

/* ---- 5. wrong keys, thresholds ---------------------------------------------- */

static void test_targets_threshold(void **state)
{
	struct fx *f = *state;
	struct key *second = repo_key(&f->r);
	f->r.role_keys[TG_NR_TARGETS][1] = second;
	f->r.n_role_keys[TG_NR_TARGETS] = 2;
	f->r.threshold[TG_NR_TARGETS] = 2;
	repo_publish(&f->r); /* signed by the first key only */
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "targets: only 1 of 2 required signatures valid");
	/* the same key twice counts once */
	f->r.signers[TG_NR_TARGETS][1] = f->r.signers[TG_NR_TARGETS][0];
	f->r.n_signers[TG_NR_TARGETS] = 2;
	repo_publish(&f->r);
	rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "targets: only 1 of 2 required signatures valid");
	f->r.signers[TG_NR_TARGETS][1] = second; /* both keys: accepted */
	repo_publish(&f->r);
	rc = fx_lookup(f, "latest");
	expect_found(f, rc);
}

static void test_unknown_key_only(void **state)
{
	struct fx *f = *state;
	f->r.signers[TG_NR_TIMESTAMP][0] = repo_key(&f->r);
	repo_publish(&f->r);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "timestamp: only 0 of 1 required signatures valid "
	                                 "(no signature is by a key of the role)");
	/* a root signed by a key it does not list is not trusted even on first use */
	f->r.signers[TG_NR_TIMESTAMP][0] = f->r.role_keys[TG_NR_TIMESTAMP][0];
	f->r.signers[TG_NR_ROOT][0] = repo_key(&f->r);
	f->r.root_changed = true;
	repo_publish(&f->r);
	rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "root: only 0 of 1 required signatures valid");
}

/* ---- 6. endless data ---------------------------------------------------------- */

static void test_endless_data(void **state)
{
	struct fx *f = *state;
	repo_publish(&f->r);
	f->r.grow = "targets."; /* one byte more than snapshot declares */
	f->r.grow_by = 1;
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_ETOOBIG, "more than");
	assert_contains(f->err.msg, "targets.");
	f->r.grow = "timestamp.json"; /* 2 MiB: the client bounds it (Notary: 1 MiB) */
	f->r.grow_by = 2 * 1024 * 1024;
	rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_ETOOBIG, "timestamp.json: more than 1048576 bytes");
}

static void declare_huge_targets(struct repo *r, json_t *signed_obj)
{
	json_t *meta = json_object_get(json_object_get(signed_obj, "meta"), "targets");
	json_object_set_new(meta, "length", json_integer(1LL << 40));
}

/* A snapshot (whose key the Notary server usually holds) declaring a 1 TiB
 * targets file: the fetcher must not be allowed more than the client's own
 * cap for a document (TG_TUF_DOC_MAX), whatever the declared length. */
static void test_declared_length_is_capped(void **state)
{
	struct fx *f = *state;
	f->r.before_sign[TG_NR_SNAPSHOT] = declare_huge_targets;
	repo_publish(&f->r);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_ETOOBIG, "snapshot declares targets as 1099511627776 bytes");
	if (f->r.max_seen > TG_TUF_DOC_MAX)
		fail_msg("the fetcher was allowed %zu bytes for one document (cap %d): a server can "
		         "make the client buffer up to the length its snapshot declares", f->r.max_seen,
		         TG_TUF_DOC_MAX);
}

static void test_timestamp_not_json(void **state)
{
	struct fx *f = *state;
	repo_publish(&f->r);
	serve(&f->r, "timestamp.json", "{\"signed\": [", 12);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "timestamp.json is not valid JSON");
}

/* A file its parent lists is missing (HTTP 404): the trust data cannot be
 * verified, which is not "valid but unsigned" (TG_ENOTFOUND, which
 * plugin/signatures.c reports as TG_SIG_NOT_SIGNED). */
static void test_listed_file_missing(void **state)
{
	static const int roles[] = {TG_NR_SNAPSHOT, TG_NR_TARGETS, TG_NR_RELEASES};
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		char name[320];
		fx_reset(f, -1, 365);
		repo_publish(&f->r);
		served_name(&f->r, roles[i], name, sizeof(name));
		unserve(&f->r, name);
		int rc = fx_lookup(f, "latest");
		if (rc == 0 || rc == TG_ENOTFOUND)
			fail_msg("%s missing: got %s (%s)", name, tg_code_name(rc), f->err.msg);
	}
}

/* ---- 7. malicious delegation ------------------------------------------------- */

static void test_delegation_outside_its_paths(void **state)
{
	struct fx *f = *state;
	char evil[80], want[80];
	f->r.paths[0] = "safe/";
	f->r.tags[TG_NR_RELEASES][0] = "evil";
	f->r.tags[TG_NR_RELEASES][1] = "safe/ok";
	repo_publish(&f->r);
	int rc = fx_lookup(f, "safe/ok"); /* within its paths: used */
	expect_found(f, rc);
	assert_string_equal(f->target.role, "targets/releases");
	rc = fx_lookup(f, "evil");
	expect_refused(f, rc, TG_ENOTFOUND, "tag \"evil\" is not signed in the trust data of " GUN);
	digest_of("targets/releases", "evil", evil);
	rc = fx_lookup_digest(f, evil);
	expect_refused(f, rc, TG_ENOTFOUND, "is not signed in the trust data of " GUN);
	f->r.tags[TG_NR_TARGETS][1] = "evil"; /* targets signs it too: its digest is the answer */
	repo_publish(&f->r);
	rc = fx_lookup(f, "evil");
	expect_found(f, rc);
	digest_of("targets", "evil", want);
	assert_string_equal(f->target.digest, want);
	assert_string_equal(f->target.role, "targets");
}

static void test_delegation_signed_by_unlisted_key(void **state)
{
	struct fx *f = *state;
	f->r.signers[TG_NR_RELEASES][0] = f->r.role_keys[TG_NR_TARGETS][0]; /* the parent's key */
	repo_publish(&f->r);
	int rc = fx_lookup(f, "v1");
	expect_refused(f, rc, TG_EINVAL, "targets/releases: only 0 of 1 required signatures valid");
	f->r.signers[TG_NR_RELEASES][0] = repo_key(&f->r);
	repo_publish(&f->r);
	rc = fx_lookup(f, "v1");
	expect_refused(f, rc, TG_EINVAL, "targets/releases: only 0 of 1 required signatures valid");
}

/* ---- 8. root rotation --------------------------------------------------------- */

/* Root becomes version, listing next, signed by signer_a (and signer_b). */
static void rotate_to(struct repo *r, long long version, struct key *next, struct key *signer_a,
                      struct key *signer_b)
{
	r->version[TG_NR_ROOT] = version;
	r->role_keys[TG_NR_ROOT][0] = next;
	r->signers[TG_NR_ROOT][0] = signer_a;
	r->signers[TG_NR_ROOT][1] = signer_b;
	r->n_signers[TG_NR_ROOT] = signer_b ? 2 : 1;
	r->root_changed = true;
	repo_publish(r);
}

static struct key *new_root_key(struct repo *r)
{
	return repo_cert_key(r, r->now - DAY, r->now + 365 * DAY);
}

/* A first lookup under tofu with state: the host now trusts root v1. */
static struct key *trust_first_root(struct fx *f)
{
	fx_use_state(f);
	repo_publish(&f->r);
	int rc = fx_lookup(f, "latest");
	expect_found(f, rc);
	assert_int_equal(fx_state_version(f, TG_NR_ROOT), 1);
	return f->r.role_keys[TG_NR_ROOT][0];
}

static void test_root_rotation_valid(void **state)
{
	struct fx *f = *state;
	struct key *k1 = trust_first_root(f), *k2 = new_root_key(&f->r);
	rotate_to(&f->r, 2, k2, k1, k2);
	int rc = fx_lookup(f, "latest");
	expect_found(f, rc);
	assert_int_equal(fx_state_version(f, TG_NR_ROOT), 2);
	rotate_to(&f->r, 1, k1, k1, NULL); /* the old root again, validly signed: no going back */
	rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "the root of trust of " GUN " changed without a rotation "
	                                 "(version 1, this host trusts version 2)");
	/* v3 signed by k2 and k3, not k1: valid only because v2 is now trusted */
	struct key *k3 = new_root_key(&f->r);
	rotate_to(&f->r, 3, k3, k2, k3);
	rc = fx_lookup(f, "latest");
	expect_found(f, rc);
	assert_int_equal(fx_state_version(f, TG_NR_ROOT), 3);
}

static void test_root_rotation_new_key_only(void **state)
{
	struct fx *f = *state;
	trust_first_root(f);
	struct key *k2 = new_root_key(&f->r);
	rotate_to(&f->r, 2, k2, k2, NULL);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "the root of trust of " GUN " changed to version 2 "
	                                 "without a valid rotation");
	assert_int_equal(fx_state_version(f, TG_NR_ROOT), 1);
}

static void test_root_same_version_other_key(void **state)
{
	struct fx *f = *state;
	trust_first_root(f);
	struct key *other = new_root_key(&f->r);
	rotate_to(&f->r, 1, other, other, NULL);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "the root of trust of " GUN " changed without a rotation "
	                                 "(version 1, this host trusts version 1)");
}

/* v3 served, v2 not a bridge from v1 or missing: refused. A missing
 * 2.root.json is a failure to verify, not "no trust data" (TG_ENOTFOUND
 * is reported upward as "not signed"). */
static void test_root_rotation_skipped(void **state)
{
	struct fx *f = *state;
	trust_first_root(f);
	struct key *k2 = new_root_key(&f->r), *k3 = new_root_key(&f->r);
	rotate_to(&f->r, 2, k2, k2, NULL); /* signed only by its own key */
	rotate_to(&f->r, 3, k3, k2, k3);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "changed to version 2 without a valid rotation");
	unserve(&f->r, "2.root.json");
	rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "root rotation of " GUN " to version 2");
	assert_int_equal(fx_state_version(f, TG_NR_ROOT), 1);
}

/* Notary refuses expired root certificates in every root it loads, and
 * notary.c says "Root certificates must be valid now": after a rotation, */
static void test_root_rotation_to_expired_certificate(void **state)
{
	struct fx *f = *state;
	struct key *k1 = trust_first_root(f);
	struct key *k2 = repo_cert_key(&f->r, f->r.now - 10 * DAY, f->r.now - DAY);
	rotate_to(&f->r, 2, k2, k1, k2);
	int rc = fx_lookup(f, "latest");
	expect_refused(f, rc, TG_EINVAL, "the root certificate of " GUN " is outside its validity "
	                                 "period");
}

/* and when the trusted root's certificate expires (documents do not). */
static void test_trusted_root_certificate_expires(void **state)
{
	struct fx *f = *state;
	trust_first_root(f);
	int rc = fx_lookup_with(f, &f->trust, "latest", f->r.now + 400 * DAY);
	expect_refused(f, rc, TG_EINVAL, "the root certificate of " GUN " is outside its validity "
	                                 "period");
}

/* ---- 9. pinning ----------------------------------------------------------------- */

/* tofu is on too: a pin must override it. Not cleared (nothing allocated). */
static tg_notary_trust pinned_trust(EVP_PKEY **keys, size_t n)
{
	static char name[] = "acme";
	tg_notary_trust t = {.name = name, .pinned_keys = keys, .n_pinned_keys = n, .tofu = true};
	return t;
}

static void test_pinned_root_key(void **state)
{
	struct fx *f = *state;
	repo_publish(&f->r);
	EVP_PKEY *good[] = {f->r.role_keys[TG_NR_ROOT][0]->pkey};
	tg_notary_trust t = pinned_trust(good, 1);
	int rc = fx_lookup_with(f, &t, "latest", f->r.now);
	expect_found(f, rc);
	EVP_PKEY *other[] = {repo_key(&f->r)->pkey};
	t = pinned_trust(other, 1);
	rc = fx_lookup_with(f, &t, "latest", f->r.now);
	expect_refused(f, rc, TG_EINVAL, "the root of trust of " GUN " is not signed by a key "
	                                 "pinned in trust root \"acme\"");
}

/* The pinned key is public: a server can list it in a root that only its
 * own key signs (threshold 1). The pin must be a key that signed. */
static void test_pinned_key_listed_but_not_signing(void **state)
{
	struct fx *f = *state;
	struct key *pinned = f->r.role_keys[TG_NR_ROOT][0], *attacker = new_root_key(&f->r);
	f->r.role_keys[TG_NR_ROOT][1] = attacker;
	f->r.n_role_keys[TG_NR_ROOT] = 2;
	f->r.signers[TG_NR_ROOT][0] = attacker;
	repo_publish(&f->r);
	EVP_PKEY *pins[] = {pinned->pkey};
	tg_notary_trust t = pinned_trust(pins, 1);
	int rc = fx_lookup_with(f, &t, "latest", f->r.now);
	expect_refused(f, rc, TG_EINVAL, "is not signed by a key pinned in trust root \"acme\"");
}

/* ---- root certificate validity on first use ----------------------------------- */

static void test_root_certificate_validity(void **state)
{
	static const long long windows[][2] = {{-10, -1}, {1, 10}}; /* days from now */
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		fx_reset(f, windows[i][0], windows[i][1]);
		repo_publish(&f->r);
		int rc = fx_lookup(f, "latest");
		expect_refused(f, rc, TG_EINVAL, "the root certificate of " GUN " is outside its "
		                                 "validity period");
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_clean_repository),
		T(test_targets_changed_after_signing),
		T(test_targets_signed_by_other_key),
		T(test_rollback),
		T(test_freeze),
		T(test_mix_and_match),
		T(test_targets_threshold),
		T(test_unknown_key_only),
		T(test_endless_data),
		T(test_declared_length_is_capped),
		T(test_timestamp_not_json),
		T(test_listed_file_missing),
		T(test_delegation_outside_its_paths),
		T(test_delegation_signed_by_unlisted_key),
		T(test_root_rotation_valid),
		T(test_root_rotation_new_key_only),
		T(test_root_same_version_other_key),
		T(test_root_rotation_skipped),
		T(test_root_rotation_to_expired_certificate),
		T(test_trusted_root_certificate_expires),
		T(test_pinned_root_key),
		T(test_pinned_key_listed_but_not_signing),
		T(test_root_certificate_validity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
