/* Unit tests for trustcache/tuf_role: the real notary-server metadata of
 * 127.0.0.1:5005/acme/signed verified end to end with a pinned "now", and
 * tampered or re-signed documents (keys generated here) that must fail. */
#include "tg_test.h"

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "trustcache/b64.h"
#include "trustcache/canonical_json.h"
#include "trustcache/tuf_role.h"

#define DIR "127.0.0.1_5005_acme_signed/"
#define TS_KEY "96b4868757fef80e8e54872670f81aae8d49ceb6db8439964bc811fa7510a2cf"

/* Captured 2026-11-23 ~19:50Z; the timestamp expires 2026-12-07T19:50:13.4Z. */
static time_t now_ok(void)
{
	time_t t;
	assert_int_equal(tg_tuf_time_parse("2026-11-24T00:00:00Z", &t, NULL), 0);
	return t;
}

static char *fixture(const char *rel, size_t *len)
{
	const char *fx = getenv("TG_FIXTURES");
	assert_non_null(fx);
	char path[1024];
	snprintf(path, sizeof(path), "%s/tuf/%s", fx, rel);
	return tg_test_read_file(path, len);
}

static tg_tuf_doc *parse_ok(const char *role, const char *text, size_t len)
{
	tg_tuf_doc *d = NULL;
	tg_error err;
	if (tg_tuf_doc_parse(role, text, len, &d, &err) != 0)
		fail_msg("parse %s: %s", role, err.msg);
	return d;
}

static tg_tuf_doc *load(const char *role, const char *rel)
{
	size_t len;
	char *text = fixture(rel, &len);
	tg_tuf_doc *d = parse_ok(role, text, len);
	free(text);
	return d;
}

static tg_tuf_role *root_role(const tg_tuf_doc *root, const char *name)
{
	tg_tuf_role *r = NULL;
	tg_error err;
	if (tg_tuf_root_role(root, name, &r, &err) != 0)
		fail_msg("root role %s: %s", name, err.msg);
	return r;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Fixture bytes must match the meta its parent declares for them. */
static void check_meta(const tg_tuf_doc *parent, const char *name, const char *rel)
{
	tg_tuf_filemeta m;
	tg_error err;
	assert_int_equal(tg_tuf_meta_get(parent, name, &m, &err), 0);
	assert_true(m.has_sha256);
	size_t len;
	char *text = fixture(rel, &len);
	if (tg_tuf_filemeta_check(&m, rel, text, len, &err) != 0)
		fail_msg("%s", err.msg);
	free(text);
}

/* ---- the real chain ------------------------------------------------------- */

static void test_fixture_chain(void **state)
{
	time_t now = now_ok();
	tg_error err;
	tg_tuf_doc *root = load("root", DIR "root.json");
	tg_tuf_role *rr = root_role(root, "root");
	assert_int_equal(tg_tuf_role_key_count(rr), 1);
	assert_int_equal(tg_tuf_key_type(tg_tuf_role_key(rr, 0)), TG_TUF_KEY_ECDSA_X509);
	if (tg_tuf_doc_verify(root, rr, now, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(tg_tuf_doc_version(root), 1);

	tg_tuf_doc *ts = load("timestamp", DIR "timestamp.json");
	tg_tuf_role *tsr = root_role(root, "timestamp");
	if (tg_tuf_doc_verify(ts, tsr, now, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(tg_tuf_doc_version(ts), 3);
	assert_string_equal(tg_tuf_doc_expires_text(ts), "2026-12-07T19:50:13.413665962Z");
	check_meta(ts, "snapshot", DIR "snapshot.json");

	tg_tuf_doc *snap = load("snapshot", DIR "snapshot.json");
	tg_tuf_role *sr = root_role(root, "snapshot");
	if (tg_tuf_doc_verify(snap, sr, now, &err) != 0)
		fail_msg("%s", err.msg);
	check_meta(snap, "root", DIR "root.json");
	check_meta(snap, "targets", DIR "targets.json");
	check_meta(snap, "targets/releases", DIR "targets/releases.json");
	check_meta(snap, "targets/alice", DIR "targets/alice.json");

	tg_tuf_doc *tg = load("targets", DIR "targets.json");
	tg_tuf_role *tr = root_role(root, "targets");
	if (tg_tuf_doc_verify(tg, tr, now, &err) != 0)
		fail_msg("%s", err.msg);
	tg_tuf_filemeta m;
	char digest[65];
	assert_int_equal(tg_tuf_targets_get(tg, "1", &m, &err), 0);
	assert_true(m.has_sha256);
	hex(m.sha256, 32, digest);
	assert_string_equal(digest, "a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84");
	assert_int_equal(m.length, 527);
	assert_int_equal(tg_tuf_targets_get(tg, "2", &m, &err), TG_ENOTFOUND);
	assert_contains(err.msg, "targets.json has no target \"2\"");

	assert_int_equal(tg_tuf_targets_delegation_count(tg), 2);
	assert_string_equal(tg_tuf_targets_delegation_name(tg, 0), "targets/alice");
	assert_string_equal(tg_tuf_targets_delegation_name(tg, 1), "targets/releases");
	assert_null(tg_tuf_targets_delegation_name(tg, 2));
	static const char *const dels[] = {"targets/releases", "targets/alice"};
	for (size_t i = 0; i < 2; i++) {
		tg_tuf_role *dr = NULL;
		if (tg_tuf_targets_delegation(tg, tr, dels[i], &dr, &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(tg_tuf_role_threshold(dr), 1);
		assert_true(tg_tuf_role_path_allowed(dr, "2"));
		char rel[128];
		snprintf(rel, sizeof(rel), DIR "%s.json", dels[i]);
		tg_tuf_doc *dd = load(dels[i], rel);
		if (tg_tuf_doc_verify(dd, dr, now, &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(tg_tuf_targets_get(dd, "2", &m, &err), 0);
		hex(m.sha256, 32, digest);
		assert_string_equal(digest, "96f6bd824fa94e73208244bb20d7593db58418c49aefeda3c3fa02985580321e");
		assert_int_equal(tg_tuf_targets_get(dd, "1", &m, &err), TG_ENOTFOUND);
		tg_tuf_doc_free(dd);
		tg_tuf_role_free(dr);
	}
	tg_tuf_role *dr = NULL;
	assert_int_equal(tg_tuf_targets_delegation(tg, tr, "targets/bob", &dr, &err), TG_ENOTFOUND);
	assert_contains(err.msg, "targets.json delegates no role targets/bob");
	/* the wrong parent role */
	assert_int_equal(tg_tuf_targets_delegation(tg, sr, "targets/releases", &dr, &err), TG_EINVAL);

	tg_tuf_doc_free(tg);
	tg_tuf_doc_free(snap);
	tg_tuf_doc_free(ts);
	tg_tuf_doc_free(root);
	tg_tuf_role_free(rr);
	tg_tuf_role_free(tsr);
	tg_tuf_role_free(sr);
	tg_tuf_role_free(tr);
}

/* The tampered repository's own metadata is validly signed (the attack
 * there was re-pushing the tag without trust); its tag 1 is pinned. */
static void test_fixture_tampered_repo(void **state)
{
	time_t now = now_ok();
	tg_error err;
	tg_tuf_doc *root = load("root", "127.0.0.1_5005_acme_tampered/root.json");
	tg_tuf_doc *tg = load("targets", "127.0.0.1_5005_acme_tampered/targets.json");
	tg_tuf_role *tr = root_role(root, "targets");
	assert_int_equal(tg_tuf_doc_verify(tg, tr, now, &err), 0);
	tg_tuf_filemeta m;
	assert_int_equal(tg_tuf_targets_get(tg, "1", &m, &err), 0);
	char digest[65];
	hex(m.sha256, 32, digest);
	assert_string_equal(digest, "84045c01bf8ee033daec0023d53d69c0a966b8d3d77771f6fc71f233604df1af");
	assert_int_equal(tg_tuf_targets_delegation_count(tg), 0);
	/* the signed repo's root does not vouch for the tampered repo's targets */
	tg_tuf_doc *other = load("root", DIR "root.json");
	tg_tuf_role *otr = root_role(other, "targets");
	assert_int_equal(tg_tuf_doc_verify(tg, otr, now, &err), TG_EINVAL);
	assert_contains(err.msg, "targets: only 0 of 1 required signatures valid (no signature is by a key of the role)");
	tg_tuf_role_free(otr);
	tg_tuf_doc_free(other);
	tg_tuf_role_free(tr);
	tg_tuf_doc_free(tg);
	tg_tuf_doc_free(root);
}

/* ---- tampering with bytes -------------------------------------------------- */

/* Replace the first occurrence of from by to in text (same or other length);
 * returns a new string. */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	if (p == NULL)
		fail_msg("\"%s\" not in text", from);
	size_t n = strlen(text) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	size_t pre = (size_t)(p - text);
	memcpy(out, text, pre);
	strcpy(out + pre, to);
	strcat(out, p + strlen(from));
	return out;
}

/* Parse a fixture with one substitution and verify it with role name from
 * root; returns rc, message in err. */
static int verify_modified(const char *role, const char *rel, const char *from, const char *to,
			   time_t now, tg_error *err)
{
	char *text = fixture(rel, NULL);
	char *mod = replace(text, from, to);
	tg_tuf_doc *root = load("root", DIR "root.json");
	tg_tuf_doc *d = NULL;
	int rc = tg_tuf_doc_parse(role, mod, strlen(mod), &d, err);
	if (rc == 0) {
		tg_tuf_role *r = root_role(root, role);
		rc = tg_tuf_doc_verify(d, r, now, err);
		tg_tuf_role_free(r);
	}
	tg_tuf_doc_free(d);
	tg_tuf_doc_free(root);
	free(mod);
	free(text);
	return rc;
}

static void test_changed_byte(void **state)
{
	tg_error err;
	/* the declared size of tag 1 */
	assert_int_equal(verify_modified("targets", DIR "targets.json", "\"length\":527", "\"length\":528",
					 now_ok(), &err), TG_EINVAL);
	assert_string_equal(err.msg, "targets: only 0 of 1 required signatures valid (key "
			    "ba15a83b9bc70fda114baba182a697c85cf8156e926ebca1cccd75f3a64ecf0c: "
			    "ecdsa signature does not verify)");
	/* one bit of the snapshot hash in timestamp */
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "cPByjFBR", "cPByjFBS",
					 now_ok(), &err), TG_EINVAL);
	assert_contains(err.msg, "timestamp: only 0 of 1 required signatures valid");
	/* a byte of the signature itself */
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "zBXFeIwf", "zBXFeIwg",
					 now_ok(), &err), TG_EINVAL);
	assert_contains(err.msg, "ecdsa signature does not verify");
	/* whitespace outside "signed" changes nothing (signatures cover canonical bytes) */
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "{\"signed\":", "{ \"signed\" :\n",
					 now_ok(), &err), 0);
}

static void test_unknown_method(void **state)
{
	tg_error err;
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "\"method\":\"ecdsa\"",
					 "\"method\":\"hmac-sha256\"", now_ok(), &err), TG_EINVAL);
	assert_contains(err.msg, "timestamp: only 0 of 1 required signatures valid (key " TS_KEY
			": unknown signature method \"hmac-sha256\")");
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "\"method\":\"ecdsa\"",
					 "\"method\":\"eddsa\"", now_ok(), &err), TG_EINVAL);
	assert_contains(err.msg, "signature method eddsa cannot be used with a ecdsa key");
	/* Notary lower-cases methods */
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "\"method\":\"ecdsa\"",
					 "\"method\":\"ECDSA\"", now_ok(), &err), 0);
}

static void test_expired(void **state)
{
	time_t late;
	assert_int_equal(tg_tuf_time_parse("2026-12-07T19:50:14Z", &late, NULL), 0);
	tg_error err;
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "{", "{", late, &err), TG_EINVAL);
	assert_string_equal(err.msg, "timestamp.json expired on 2026-12-07T19:50:13.413665962Z");
	/* the same second (before .41) is not yet expired, as in Go's Before */
	assert_int_equal(tg_tuf_time_parse("2026-12-07T19:50:13Z", &late, NULL), 0);
	assert_int_equal(verify_modified("timestamp", DIR "timestamp.json", "{", "{", late, &err), 0);
}

/* Raised threshold in root: the one valid signature is not enough. */
static void test_threshold_raised(void **state)
{
	size_t len;
	char *text = fixture(DIR "root.json", &len);
	char *mod = replace(text, TS_KEY "\"],\"threshold\":1", TS_KEY "\"],\"threshold\":2");
	tg_tuf_doc *root = parse_ok("root", mod, strlen(mod));
	tg_tuf_role *tsr = root_role(root, "timestamp");
	assert_int_equal(tg_tuf_role_threshold(tsr), 2);
	tg_tuf_doc *ts = load("timestamp", DIR "timestamp.json");
	tg_error err;
	assert_int_equal(tg_tuf_doc_verify(ts, tsr, now_ok(), &err), TG_EINVAL);
	assert_string_equal(err.msg, "timestamp: only 1 of 2 required signatures valid "
			    "(no signature is by a key of the role)");
	/* and the changed root no longer verifies with its own key */
	tg_tuf_role *rr = root_role(root, "root");
	assert_int_equal(tg_tuf_doc_verify(root, rr, now_ok(), &err), TG_EINVAL);
	assert_contains(err.msg, "root: only 0 of 1 required signatures valid");
	tg_tuf_role_free(rr);
	tg_tuf_doc_free(ts);
	tg_tuf_role_free(tsr);
	tg_tuf_doc_free(root);
	free(mod);
	free(text);
}

/* A malformed key in root: building the role that uses it fails. */
static void test_malformed_root_key(void **state)
{
	char *text = fixture(DIR "root.json", NULL);
	char *mod = replace(text, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEL2f45a", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEL2f45b");
	tg_tuf_doc *root = parse_ok("root", mod, strlen(mod));
	tg_tuf_role *r = NULL;
	tg_error err;
	assert_int_equal(tg_tuf_root_role(root, "timestamp", &r, &err), TG_EINVAL);
	assert_contains(err.msg, "root.json: key " TS_KEY " for timestamp:");
	tg_tuf_doc_free(root);
	free(mod);
	/* an unparseable public value */
	mod = replace(text, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEL2f45a", "!");
	root = parse_ok("root", mod, strlen(mod));
	assert_int_equal(tg_tuf_root_role(root, "timestamp", &r, &err), TG_EINVAL);
	assert_contains(err.msg, "public value: base64");
	/* other roles are unaffected */
	r = root_role(root, "snapshot");
	tg_tuf_role_free(r);
	tg_tuf_doc_free(root);
	free(mod);
	free(text);
}

/* Snapshot bytes against the timestamp's meta: wrong length, wrong hash. */
static void test_snapshot_meta_mismatch(void **state)
{
	tg_tuf_doc *ts = load("timestamp", DIR "timestamp.json");
	tg_tuf_filemeta m;
	tg_error err;
	assert_int_equal(tg_tuf_meta_get(ts, "snapshot", &m, &err), 0);
	assert_int_equal(m.length, 1082);
	assert_true(m.has_sha256 && m.has_sha512);
	size_t len;
	char *text = fixture(DIR "snapshot.json", &len);
	assert_int_equal(tg_tuf_filemeta_check(&m, "snapshot.json", text, len - 1, &err), TG_EINVAL);
	assert_string_equal(err.msg, "snapshot.json is 1081 bytes, expected 1082");
	text[100] ^= 1;
	assert_int_equal(tg_tuf_filemeta_check(&m, "snapshot.json", text, len, &err), TG_EINVAL);
	assert_string_equal(err.msg, "snapshot.json sha256 mismatch");
	m.has_sha256 = 0;
	assert_int_equal(tg_tuf_filemeta_check(&m, "snapshot.json", text, len, &err), TG_EINVAL);
	assert_string_equal(err.msg, "snapshot.json sha512 mismatch");
	text[100] ^= 1;
	assert_int_equal(tg_tuf_filemeta_check(&m, "snapshot.json", text, len, &err), 0);
	/* the targets bytes are not the snapshot */
	m.has_sha256 = 1;
	char *other = fixture(DIR "targets.json", &len);
	assert_int_equal(tg_tuf_filemeta_check(&m, "snapshot.json", other, len, &err), TG_EINVAL);
	assert_contains(err.msg, "snapshot.json is 936 bytes, expected 1082");
	assert_int_equal(tg_tuf_meta_get(ts, "targets", &m, &err), TG_ENOTFOUND);
	assert_contains(err.msg, "timestamp.json lists no metadata for targets");
	free(other);
	free(text);
	tg_tuf_doc_free(ts);
}

/* ---- re-signed documents (keys made here) --------------------------------- */

static EVP_PKEY *gen(const char *type)
{
	EVP_PKEY *pk = strcmp(type, "ecdsa") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
						   : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(pk);
	return pk;
}

static tg_tuf_key *tuf_key_of(EVP_PKEY *pk, const char *keytype)
{
	unsigned char raw[256], *p = raw;
	size_t n = sizeof(raw);
	if (strcmp(keytype, "ed25519") == 0)
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &n), 1);
	else
		n = (size_t)i2d_PUBKEY(pk, &p);
	tg_buf b;
	tg_buf_init(&b, 1024);
	assert_int_equal(tg_b64_encode(raw, n, &b, NULL), 0);
	json_t *j = json_pack("{s:s,s:{s:n,s:s}}", "keytype", keytype, "keyval", "private", "public",
			      tg_buf_str(&b));
	tg_tuf_key *k = NULL;
	assert_int_equal(tg_tuf_key_parse(j, &k, NULL), 0);
	json_decref(j);
	tg_buf_free(&b);
	return k;
}

/* Signature entry by pk over the canonical bytes of signed. */
static json_t *sign_entry(EVP_PKEY *pk, const char *keytype, const char *keyid, const json_t *signed_obj)
{
	tg_buf c;
	tg_buf_init(&c, 1 << 20);
	assert_int_equal(tg_canonical_json_write(signed_obj, &c, NULL), 0);
	int ed = strcmp(keytype, "ed25519") == 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, ed ? NULL : "SHA256", NULL, NULL, pk, NULL), 1);
	unsigned char der[256], sig[128];
	size_t n = sizeof(der);
	assert_int_equal(EVP_DigestSign(ctx, der, &n, (const unsigned char *)c.data, c.len), 1);
	EVP_MD_CTX_free(ctx);
	if (!ed) {
		const unsigned char *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
		ECDSA_SIG_free(es);
		n = 64;
	} else {
		memcpy(sig, der, n);
	}
	tg_buf b;
	tg_buf_init(&b, 1024);
	assert_int_equal(tg_b64_encode(sig, n, &b, NULL), 0);
	json_t *e = json_pack("{s:s,s:s,s:s}", "keyid", keyid, "method", ed ? "eddsa" : "ecdsa", "sig",
			      tg_buf_str(&b));
	tg_buf_free(&b);
	tg_buf_free(&c);
	return e;
}

/* The timestamp fixture with its signatures replaced by sigs (stolen). */
static tg_tuf_doc *timestamp_with(json_t *sigs, const char *expires)
{
	char *text = fixture(DIR "timestamp.json", NULL);
	json_t *doc = json_loads(text, 0, NULL);
	if (expires != NULL)
		json_object_set_new(json_object_get(doc, "signed"), "expires", json_string(expires));
	json_object_set_new(doc, "signatures", sigs);
	char *out = json_dumps(doc, JSON_INDENT(2)); /* layout does not matter */
	tg_tuf_doc *d = parse_ok("timestamp", out, strlen(out));
	free(out);
	json_decref(doc);
	free(text);
	return d;
}

/* A valid signature by a key that is not the role's does not count, whether
 * it gives its own key ID or claims the role's. */
static void test_resigned_wrong_key(void **state)
{
	tg_tuf_doc *root = load("root", DIR "root.json");
	tg_tuf_role *tsr = root_role(root, "timestamp");
	tg_tuf_doc *orig = load("timestamp", DIR "timestamp.json");
	EVP_PKEY *pk = gen("ecdsa");
	tg_tuf_key *k = tuf_key_of(pk, "ecdsa");
	tg_error err;

	json_t *sigs = json_pack("[o]", sign_entry(pk, "ecdsa", tg_tuf_key_id(k), tg_tuf_doc_signed(orig)));
	tg_tuf_doc *d = timestamp_with(sigs, NULL);
	assert_int_equal(tg_tuf_doc_verify(d, tsr, now_ok(), &err), TG_EINVAL);
	assert_string_equal(err.msg, "timestamp: only 0 of 1 required signatures valid "
			    "(no signature is by a key of the role)");
	tg_tuf_doc_free(d);

	sigs = json_pack("[o]", sign_entry(pk, "ecdsa", TS_KEY, tg_tuf_doc_signed(orig)));
	d = timestamp_with(sigs, NULL);
	assert_int_equal(tg_tuf_doc_verify(d, tsr, now_ok(), &err), TG_EINVAL);
	assert_string_equal(err.msg, "timestamp: only 0 of 1 required signatures valid (key " TS_KEY
			    ": ecdsa signature does not verify)");
	tg_tuf_doc_free(d);

	/* the wrong signature next to the real one: still valid */
	char *text = fixture(DIR "timestamp.json", NULL);
	json_t *real = json_loads(text, 0, NULL);
	sigs = json_pack("[o,O]", sign_entry(pk, "ecdsa", TS_KEY, tg_tuf_doc_signed(orig)),
			 json_array_get(json_object_get(real, "signatures"), 0));
	d = timestamp_with(sigs, NULL);
	assert_int_equal(tg_tuf_doc_verify(d, tsr, now_ok(), &err), 0);
	tg_tuf_doc_free(d);
	json_decref(real);
	free(text);

	/* no signatures at all */
	d = timestamp_with(json_array(), NULL);
	assert_int_equal(tg_tuf_doc_verify(d, tsr, now_ok(), &err), TG_EINVAL);
	assert_string_equal(err.msg, "timestamp: no signatures");
	tg_tuf_doc_free(d);

	tg_tuf_key_free(k);
	EVP_PKEY_free(pk);
	tg_tuf_doc_free(orig);
	tg_tuf_role_free(tsr);
	tg_tuf_doc_free(root);
}

/* A role of our own keys (EC P-256 and Ed25519), threshold 2: valid
 * signatures count once per key; then the same document past expiry. */
static void test_resigned_valid_then_expired(void **state)
{
	tg_tuf_doc *orig = load("timestamp", DIR "timestamp.json");
	EVP_PKEY *ec = gen("ecdsa"), *ed = gen("ed25519");
	tg_tuf_key *kec = tuf_key_of(ec, "ecdsa"), *ked = tuf_key_of(ed, "ed25519");
	char idec[65], ided[65];
	strcpy(idec, tg_tuf_key_id(kec));
	strcpy(ided, tg_tuf_key_id(ked));
	tg_tuf_role *role = NULL;
	tg_error err;
	assert_int_equal(tg_tuf_role_new("timestamp", 2, &role, &err), 0);
	assert_int_equal(tg_tuf_role_add_key(role, kec, &err), 0);
	assert_int_equal(tg_tuf_role_add_key(role, kec, &err), TG_EINVAL); /* twice */
	assert_contains(err.msg, "listed twice");
	assert_int_equal(tg_tuf_role_add_key(role, ked, &err), 0);

	/* re-sign a copy whose expiry we move to 2027 */
	char *text = fixture(DIR "timestamp.json", NULL);
	json_t *doc = json_loads(text, 0, NULL);
	json_t *s = json_object_get(doc, "signed");
	json_object_set_new(s, "expires", json_string("2027-01-01T00:00:00Z"));
	json_t *sigs = json_pack("[o,o]", sign_entry(ec, "ecdsa", idec, s), sign_entry(ed, "ed25519", ided, s));
	tg_tuf_doc *d = timestamp_with(sigs, "2027-01-01T00:00:00Z");
	assert_int_equal(tg_tuf_doc_verify(d, role, now_ok(), &err), 0);
	time_t t;
	assert_int_equal(tg_tuf_time_parse("2027-01-01T00:00:01Z", &t, NULL), 0);
	assert_int_equal(tg_tuf_doc_verify(d, role, t, &err), TG_EINVAL);
	assert_string_equal(err.msg, "timestamp.json expired on 2027-01-01T00:00:00Z");
	tg_tuf_doc_free(d);

	/* the EC signature twice counts once */
	sigs = json_pack("[o,o]", sign_entry(ec, "ecdsa", idec, s), sign_entry(ec, "ecdsa", idec, s));
	d = timestamp_with(sigs, "2027-01-01T00:00:00Z");
	assert_int_equal(tg_tuf_doc_verify(d, role, now_ok(), &err), TG_EINVAL);
	assert_contains(err.msg, "timestamp: only 1 of 2 required signatures valid");
	tg_tuf_doc_free(d);

	/* signatures over the original expiry do not cover the changed one */
	sigs = json_pack("[o,o]", sign_entry(ec, "ecdsa", idec, tg_tuf_doc_signed(orig)),
			 sign_entry(ed, "ed25519", ided, tg_tuf_doc_signed(orig)));
	d = timestamp_with(sigs, "2027-01-01T00:00:00Z");
	assert_int_equal(tg_tuf_doc_verify(d, role, now_ok(), &err), TG_EINVAL);
	assert_contains(err.msg, "only 0 of 2 required signatures valid (key ");
	assert_contains(err.msg, "signature does not verify");
	tg_tuf_doc_free(d);

	/* the role cannot sign another role's document */
	tg_tuf_doc *snap = load("snapshot", DIR "snapshot.json");
	assert_int_equal(tg_tuf_doc_check_signatures(snap, role, &err), TG_EINVAL);
	assert_string_equal(err.msg, "role timestamp cannot sign snapshot.json");
	tg_tuf_doc_free(snap);

	json_decref(doc);
	free(text);
	tg_tuf_role_free(role);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
	tg_tuf_doc_free(orig);
}

/* ---- parse-time refusals -------------------------------------------------- */

struct parse_case {
	const char *role;
	const char *rel;
	const char *from, *to; /* substitution, or from == NULL */
	int rc;
	const char *msg;
};

static const struct parse_case parse_cases[] = {
	{"timestamp", DIR "timestamp.json", "\"length\":1082", "\"length\":1082.5", TG_EINVAL,
	 "timestamp.json: canonical JSON: number 1082.5 is not an integer literal"},
	{"timestamp", DIR "timestamp.json", "\"version\":3", "\"version\":3.0", TG_EINVAL,
	 "not an integer literal"},
	{"timestamp", DIR "timestamp.json", "\"version\":3", "\"version\":3,\"version\":4", TG_EAMBIGUOUS,
	 "duplicate object key"},
	{"timestamp", DIR "timestamp.json", "\"version\":3", "\"version\":0", TG_EINVAL,
	 "timestamp.json: version must be an integer >= 1"},
	{"snapshot", DIR "timestamp.json", NULL, NULL, TG_EINVAL,
	 "snapshot.json: _type is \"Timestamp\", expected \"Snapshot\""},
	{"timestamp", DIR "timestamp.json", "2026-12-07T19:50:13", "2026-12-07 19:50:13", TG_EINVAL,
	 "timestamp.json: expires: \"2026-12-07 19:50:13.413665962Z\" is not an RFC 3339 date-time"},
	{"timestamp", DIR "timestamp.json", "\"sha256\":\"cPByjFBRhE2mBXBaPVnvpw+VXju0eHBd0OhKejbb4zg=\",", "",
	 TG_EINVAL, "timestamp.json: missing snapshot sha256 checksum information"},
	{"timestamp", DIR "timestamp.json", "cPByjFBRhE2mBXBaPVnvpw+VXju0eHBd0OhKejbb4zg=", "cPByjFBR", TG_EINVAL,
	 "timestamp.json meta snapshot: sha256 hash is 6 bytes, not 32"},
	{"snapshot", DIR "snapshot.json", "\"root\":", "\"rooot\":", TG_EINVAL,
	 "snapshot.json: missing root sha256 checksum information"},
	{"root", DIR "root.json", "\"snapshot\":{\"keyids\"", "\"snapshotx\":{\"keyids\"", TG_EINVAL,
	 "root.json: missing snapshot role specification"},
	{"root", DIR "root.json", TS_KEY "\"],\"threshold\":1", TS_KEY "\"],\"threshold\":0", TG_EINVAL,
	 "root.json: invalid threshold for timestamp"},
	{"root", DIR "root.json", "\"keyids\":[\"" TS_KEY, "\"keyids\":[\"00" TS_KEY, TG_EINVAL,
	 "specified in timestamp without corresponding key"},
	{"targets", DIR "targets.json", "\"name\":\"targets/alice\"", "\"name\":\"targets/a/b\"", TG_EINVAL,
	 "targets.json: delegation role targets/a/b invalid"},
	{"targets", DIR "targets.json", "\"name\":\"targets/alice\"", "\"name\":\"targets/Alice\"", TG_EINVAL,
	 "delegation role targets/Alice invalid"},
	{"targets/releases", DIR "targets/releases.json", "\"_type\":\"Targets\"", "\"_type\":\"targets\"", TG_EINVAL,
	 "_type is \"targets\", expected \"Targets\""},
	{"targets/../x", DIR "targets.json", NULL, NULL, TG_EINVAL, "not a TUF role name"},
	{"mirror", DIR "targets.json", NULL, NULL, TG_EINVAL, "not a TUF role name"},
	{"timestamp", DIR "timestamp.json", "{\"signed\"", "[{\"signed\"", TG_EINVAL, "is not valid JSON"},
	{"timestamp", DIR "timestamp.json", "\"signatures\"", "\"signaturez\"", TG_EINVAL,
	 "timestamp.json has no \"signatures\" array"},
};

static void test_parse_refusals(void **state)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		char *text = fixture(c->rel, NULL);
		char *mod = c->from ? replace(text, c->from, c->to) : strdup(text);
		tg_tuf_doc *d = NULL;
		tg_error err;
		tg_error_clear(&err);
		int rc = tg_tuf_doc_parse(c->role, mod, strlen(mod), &d, &err);
		if (rc != c->rc)
			fail_msg("case %zu: rc %s want %s (%s)", i, tg_code_name(rc), tg_code_name(c->rc), err.msg);
		assert_null(d);
		assert_int_equal(err.code, c->rc);
		if (strstr(err.msg, c->msg) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, c->msg);
		free(mod);
		free(text);
	}
}

static void test_size_caps(void **state)
{
	size_t n = TG_TUF_TIMESTAMP_MAX + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	tg_tuf_doc *d = NULL;
	tg_error err;
	assert_int_equal(tg_tuf_doc_parse("timestamp", big, n, &d, &err), TG_ETOOBIG);
	assert_string_equal(err.msg, "timestamp.json is 1048577 bytes; the limit is 1048576");
	free(big);
	/* more than TG_TUF_MAX_SIGNATURES signatures */
	json_t *sigs = json_array();
	for (int i = 0; i < TG_TUF_MAX_SIGNATURES + 1; i++)
		json_array_append_new(sigs, json_pack("{s:s,s:s,s:s}", "keyid", "x", "method", "ecdsa", "sig", ""));
	char *text = fixture(DIR "timestamp.json", NULL);
	json_t *doc = json_loads(text, 0, NULL);
	json_object_set_new(doc, "signatures", sigs);
	char *out = json_dumps(doc, 0);
	assert_int_equal(tg_tuf_doc_parse("timestamp", out, strlen(out), &d, &err), TG_ETOOBIG);
	assert_contains(err.msg, "more than 64 signatures");
	free(out);
	json_decref(doc);
	free(text);
}

static void test_version_and_paths(void **state)
{
	tg_tuf_doc *ts = load("timestamp", DIR "timestamp.json");
	tg_error err;
	assert_int_equal(tg_tuf_doc_check_version(ts, 3, &err), 0);
	assert_int_equal(tg_tuf_doc_check_version(ts, 4, &err), TG_EINVAL);
	assert_string_equal(err.msg, "timestamp.json version 3 is older than the trusted version 4");
	tg_tuf_doc_free(ts);

	/* paths: a child keeps only the paths under its parent's */
	char *text = fixture(DIR "targets.json", NULL);
	char *mod = replace(text, "\"name\":\"targets/releases\",\"paths\":[\"\"]",
			    "\"name\":\"targets/releases\",\"paths\":[\"v1\",\"v2/\"]");
	tg_tuf_doc *tg = parse_ok("targets", mod, strlen(mod));
	tg_tuf_role *parent = NULL, *child = NULL;
	assert_int_equal(tg_tuf_role_new("targets", 1, &parent, NULL), 0);
	assert_int_equal(tg_tuf_targets_delegation(tg, parent, "targets/releases", &child, &err), 0);
	assert_true(tg_tuf_role_path_allowed(child, "v1.2"));
	assert_true(tg_tuf_role_path_allowed(child, "v2/x"));
	assert_false(tg_tuf_role_path_allowed(child, "latest"));
	assert_true(tg_tuf_role_path_allowed(parent, "latest"));
	tg_tuf_role_free(child);
	tg_tuf_role_free(parent);
	tg_tuf_doc_free(tg);
	free(mod);
	/* a delegation with no paths can sign nothing */
	mod = replace(text, "\"name\":\"targets/releases\",\"paths\":[\"\"],", "\"name\":\"targets/releases\",");
	tg = parse_ok("targets", mod, strlen(mod));
	assert_int_equal(tg_tuf_role_new("targets", 1, &parent, NULL), 0);
	assert_int_equal(tg_tuf_targets_delegation(tg, parent, "targets/releases", &child, &err), 0);
	assert_false(tg_tuf_role_path_allowed(child, "2"));
	assert_false(tg_tuf_role_path_allowed(child, ""));
	tg_tuf_role_free(child);
	tg_tuf_role_free(parent);
	tg_tuf_doc_free(tg);
	free(mod);
	free(text);
}

struct time_case {
	const char *text;
	long long want; /* -1: error */
};

static const struct time_case time_cases[] = {
	{"1970-01-01T00:00:00Z", 0},
	{"2026-12-07T19:50:13.413665962Z", 1796673013},
	{"2026-12-07T20:50:13+01:00", 1796673013},
	{"2026-12-07T18:20:13-01:30", 1796673013},
	{"2024-02-29T00:00:00Z", 1709164800},
	{"2036-11-20T19:50:13.010071719Z", 2110823413},
	{"2023-02-29T00:00:00Z", -1},
	{"2026-12-07T24:00:00Z", -1},
	{"2026-12-07T19:50:60Z", -1},
	{"2026-12-07T19:50:13", -1},
	{"2026-12-07T19:50:13.Z", -1},
	{"2026-12-07t19:50:13Z", -1},
	{"2026-12-07T19:50:13z", -1},
	{"2026-12-07T19:50:13+0100", -1},
	{"2026-13-07T19:50:13Z", -1},
	{"", -1},
};

static void test_time_parse(void **state)
{
	for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		time_t t = 42;
		tg_error err;
		int rc = tg_tuf_time_parse(time_cases[i].text, &t, &err);
		if (time_cases[i].want < 0) {
			if (rc != TG_EINVAL)
				fail_msg("case %zu (%s) parsed", i, time_cases[i].text);
			assert_int_equal(t, 42);
			assert_contains(err.msg, "is not an RFC 3339 date-time");
		} else {
			if (rc != 0 || (long long)t != time_cases[i].want)
				fail_msg("case %zu (%s): rc %d t %lld", i, time_cases[i].text, rc, (long long)t);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_chain),
		cmocka_unit_test(test_fixture_tampered_repo),
		cmocka_unit_test(test_changed_byte),
		cmocka_unit_test(test_unknown_method),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_threshold_raised),
		cmocka_unit_test(test_malformed_root_key),
		cmocka_unit_test(test_snapshot_meta_mismatch),
		cmocka_unit_test(test_resigned_wrong_key),
		cmocka_unit_test(test_resigned_valid_then_expired),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_size_caps),
		cmocka_unit_test(test_version_and_paths),
		cmocka_unit_test(test_time_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
