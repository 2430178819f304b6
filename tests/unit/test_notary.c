/* trustcache/notary on the real metadata of a real notary-server
 * (shared/fixtures/tuf), served by a directory "fetcher": tag and digest
 * lookups, delegations, unsigned tags and repositories, expiry, pinned root
 * keys and root CA, trust on first use with a changed root, rollback, and
 * tampered bytes. "now" is pinned: the captured timestamp expires. */
#include "tg_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "trustcache/b64.h"
#include "trustcache/notary.h"
#include "trustcache/notary_state.h"
#include "trustcache/tuf_role.h"

#define SIGNED_GUN "127.0.0.1:5005/acme/signed"
#define DIGEST_1 "sha256:a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"
#define DIGEST_2 "sha256:96f6bd824fa94e73208244bb20d7593db58418c49aefeda3c3fa02985580321e"
#define DIGEST_TAMPERED "sha256:84045c01bf8ee033daec0023d53d69c0a966b8d3d77771f6fc71f233604df1af"

/* Serves files of one fixture folder; "snapshot.<hex>.json" is served from
 * "snapshot.json" (the folder holds plain names). */
struct dir_fetcher {
	const char *folder;      /* under fixtures/tuf; NULL: every file is missing */
	const char *corrupt;     /* a file name (plain) whose bytes get one byte flipped */
	const char *root_folder; /* serve root.json from this folder instead */
};

static int dir_fetch(void *ctx, const char *gun, const char *name, size_t max, tg_buf *out,
                     tg_error *err)
{
	struct dir_fetcher *f = ctx;
	char plain[256], path[2048];
	snprintf(plain, sizeof(plain), "%s", name);
	char *dot = strrchr(plain, '.');
	char *hash = NULL;
	for (char *p = plain; dot != NULL && p < dot; p++)
		if (*p == '.')
			hash = p;
	if (hash != NULL && dot - hash == 65)
		memmove(hash, dot, strlen(dot) + 1); /* drop ".<64 hex>" */
	const char *folder = f->folder;
	if (strcmp(plain, "root.json") == 0 && f->root_folder != NULL)
		folder = f->root_folder;
	if (folder == NULL)
		return tg_error_set(err, TG_ENOTFOUND, "404");
	snprintf(path, sizeof(path), "%s/tuf/%s/%s", getenv("TG_FIXTURES"), folder, plain);
	if (access(path, R_OK) != 0)
		return tg_error_set(err, TG_ENOTFOUND, "404 %s", plain);
	size_t len;
	char *bytes = tg_test_read_file(path, &len);
	if (f->corrupt != NULL && strcmp(f->corrupt, plain) == 0)
		bytes[len / 2] ^= 0x01;
	int rc = len > max ? TG_ETOOBIG : tg_buf_append(out, bytes, len);
	free(bytes);
	return rc == TG_OK ? TG_OK : tg_error_set(err, rc, "%s too big", name);
}

static time_t at(const char *when)
{
	time_t t;
	tg_error err;
	assert_int_equal(tg_tuf_time_parse(when, &t, &err), 0);
	return t;
}

static tg_notary_trust tofu(const char *state_dir)
{
	tg_notary_trust t;
	tg_error err;
	assert_int_equal(tg_notary_trust_load(&t, "acme", NULL, 0, NULL, true, state_dir, &err), 0);
	return t;
}

static int lookup_tag(tg_notary_trust *t, struct dir_fetcher *f, const char *gun, const char *tag,
                      const char *when, tg_notary_target *out, tg_error *err)
{
	return tg_notary_lookup_tag(t, dir_fetch, f, gun, tag, at(when), out, err);
}

static void test_tags_and_delegations(void **state)
{
	tg_notary_trust t = tofu(NULL);
	struct dir_fetcher f = {"127.0.0.1_5005_acme_signed", NULL, NULL};
	tg_notary_target target;
	tg_error err;
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err), 0);
	assert_string_equal(target.digest, DIGEST_1);
	assert_string_equal(target.role, "targets");
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "2", "2026-11-24T00:00:00Z", &target, &err), 0);
	assert_string_equal(target.digest, DIGEST_2);
	assert_string_equal(target.role, "targets/releases"); /* releases first, as the docker CLI */
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "nosig", "2026-11-24T00:00:00Z", &target, &err),
	                 TG_ENOTFOUND);
	assert_string_equal(err.msg, "tag \"nosig\" is not signed in the trust data of " SIGNED_GUN);
	tg_notary_trust_clear(&t);
}

static void test_digests(void **state)
{
	tg_notary_trust t = tofu(NULL);
	struct dir_fetcher f = {"127.0.0.1_5005_acme_signed", NULL, NULL};
	tg_notary_target target;
	tg_error err;
	time_t now = at("2026-11-24T00:00:00Z");
	assert_int_equal(tg_notary_lookup_digest(&t, dir_fetch, &f, SIGNED_GUN, DIGEST_2, now, &target, &err), 0);
	assert_string_equal(target.tag, "2");
	assert_string_equal(target.role, "targets/releases");
	assert_int_equal(tg_notary_lookup_digest(&t, dir_fetch, &f, SIGNED_GUN, DIGEST_1, now, &target, &err), 0);
	assert_string_equal(target.tag, "1");
	assert_int_equal(tg_notary_lookup_digest(&t, dir_fetch, &f, SIGNED_GUN, DIGEST_TAMPERED, now,
	                                         &target, &err), TG_ENOTFOUND);
	assert_contains(err.msg, "digest " DIGEST_TAMPERED " is not signed");
	tg_notary_trust_clear(&t);
}

static void test_unsigned_repository(void **state)
{
	tg_notary_trust t = tofu(NULL);
	struct dir_fetcher f = {NULL, NULL, NULL};
	tg_notary_target target;
	tg_error err;
	assert_int_equal(lookup_tag(&t, &f, "127.0.0.1:5005/acme/unsigned", "1", "2026-11-24T00:00:00Z",
	                            &target, &err), TG_ENOTFOUND);
	assert_contains(err.msg, "has no trust data on the Notary server");
	tg_notary_trust_clear(&t);
}

static void test_expired_timestamp(void **state)
{
	tg_notary_trust t = tofu(NULL);
	struct dir_fetcher f = {"127.0.0.1_5005_acme_signed", NULL, NULL};
	tg_notary_target target;
	tg_error err;
	int rc = lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-12-09T00:00:00Z", &target, &err);
	assert_int_not_equal(rc, 0);
	assert_int_not_equal(rc, TG_ENOTFOUND);
	assert_contains(err.msg, "timestamp.json expired on 2026-12-07");
	tg_notary_trust_clear(&t);
}

static void test_tampered_bytes(void **state)
{
	static const char *const files[] = {"timestamp.json", "snapshot.json", "targets.json",
	                                    "targets/releases.json", "root.json"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		tg_notary_trust t = tofu(NULL);
		struct dir_fetcher f = {"127.0.0.1_5005_acme_signed", files[i], NULL};
		tg_notary_target target;
		tg_error err;
		int rc = lookup_tag(&t, &f, SIGNED_GUN, "2", "2026-11-24T00:00:00Z", &target, &err);
		if (rc == 0 || rc == TG_ENOTFOUND)
			fail_msg("a flipped byte in %s was not caught (rc %d)", files[i], rc);
		tg_notary_trust_clear(&t);
	}
}

/* Write the root role's public key of a fixture's root.json as PEM. */
static void write_root_public_key(const char *folder, const char *out_path)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s/tuf/%s/root.json", getenv("TG_FIXTURES"), folder);
	json_t *root = json_load_file(path, 0, NULL);
	json_t *sig = json_object_get(root, "signed");
	const char *keyid = json_string_value(json_array_get(
		json_object_get(json_object_get(json_object_get(sig, "roles"), "root"), "keyids"), 0));
	const char *pub = json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(sig, "keys"), keyid), "keyval"), "public"));
	unsigned char *pem = NULL;
	size_t len = 0;
	tg_error err;
	assert_int_equal(tg_b64_decode(pub, strlen(pub), 65536, &pem, &len, &err), 0);
	FILE *f = fopen(out_path, "w");
	fwrite(pem, 1, len, f); /* a PEM certificate: the loader takes its key */
	fclose(f);
	free(pem);
	json_decref(root);
}

/* A key no repository uses. (The two fixture repositories share their
 * root key: the docker CLI reuses one root key for every repository it
 * signs; only the certificates' CN differ.) */
static void write_fresh_public_key(const char *out_path)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(key);
	FILE *f = fopen(out_path, "w");
	assert_int_equal(PEM_write_PUBKEY(f, key), 1);
	fclose(f);
	EVP_PKEY_free(key);
}

static void test_pinned_root_keys(void **state)
{
	char good[64], other[64];
	snprintf(good, sizeof(good), "/tmp/tg-pin-good-%d.pem", (int)getpid());
	snprintf(other, sizeof(other), "/tmp/tg-pin-other-%d.pem", (int)getpid());
	write_root_public_key("127.0.0.1_5005_acme_signed", good);
	write_fresh_public_key(other);
	struct dir_fetcher f = {"127.0.0.1_5005_acme_signed", NULL, NULL};
	tg_notary_target target;
	tg_error err;
	tg_notary_trust t;
	char *good_files[] = {good}, *other_files[] = {other};
	if (tg_notary_trust_load(&t, "acme", good_files, 1, NULL, false, NULL, &err) != 0)
		fail_msg("load pinned key: %s", err.msg);
	if (lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err) != 0)
		fail_msg("pinned key: %s", err.msg);
	tg_notary_trust_clear(&t);
	/* pinned to another repository's root key: refused, tofu or not */
	assert_int_equal(tg_notary_trust_load(&t, "acme", other_files, 1, NULL, true, NULL, &err), 0);
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err),
	                 TG_EINVAL);
	assert_contains(err.msg, "is not signed by a key pinned in trust root \"acme\"");
	tg_notary_trust_clear(&t);
	/* the root certificate itself as the root CA: chains, and its CN is the GUN */
	assert_int_equal(tg_notary_trust_load(&t, "acme", NULL, 0, good, false, NULL, &err), 0);
	if (lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err) != 0)
		fail_msg("root CA pin: %s", err.msg);
	tg_notary_trust_clear(&t);
	/* a CA certificate for another repository (CN differs): refused */
	char tampered_cert[64];
	snprintf(tampered_cert, sizeof(tampered_cert), "/tmp/tg-pin-cert-%d.pem", (int)getpid());
	write_root_public_key("127.0.0.1_5005_acme_tampered", tampered_cert);
	assert_int_equal(tg_notary_trust_load(&t, "acme", NULL, 0, tampered_cert, false, NULL, &err), 0);
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err),
	                 TG_EINVAL);
	unlink(tampered_cert);
	tg_notary_trust_clear(&t);
	unlink(good);
	unlink(other);
}

static void test_tofu_state_and_rollback(void **state)
{
	char dir[64], cmd[128];
	snprintf(dir, sizeof(dir), "/tmp/tg-state-%d", (int)getpid());
	tg_notary_trust t = tofu(dir);
	struct dir_fetcher f = {"127.0.0.1_5005_acme_signed", NULL, NULL};
	tg_notary_target target;
	tg_error err;
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err), 0);
	tg_notary_state st;
	assert_int_equal(tg_notary_state_read(dir, "acme", SIGNED_GUN, &st, &err), 0);
	assert_true(st.root.len > 0);
	assert_true(st.versions[TG_NR_TARGETS] > 0);
	long long snapshot_version = st.versions[TG_NR_SNAPSHOT];
	/* a different root for the same repository, with no rotation: refused */
	struct dir_fetcher swapped = {"127.0.0.1_5005_acme_signed", NULL, "127.0.0.1_5005_acme_tampered"};
	assert_int_equal(lookup_tag(&t, &swapped, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err),
	                 TG_EINVAL);
	assert_contains(err.msg, "the root of trust of " SIGNED_GUN " changed without a rotation");
	/* the host has seen a newer snapshot than the server now offers */
	st.versions[TG_NR_SNAPSHOT] = snapshot_version + 5;
	assert_int_equal(tg_notary_state_write(dir, "acme", SIGNED_GUN, &st, &err), 0);
	tg_notary_state_free(&st);
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err),
	                 TG_EINVAL);
	assert_contains(err.msg, "this host has already seen version");
	assert_contains(err.msg, "rollback refused");
	/* a corrupt state file is an error, never a fresh first use */
	char file[256];
	snprintf(file, sizeof(file), "%s/notary/acme/127.0.0.1:5005%%2Facme%%2Fsigned.json", dir);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("{\"root\": 12", fp);
	fclose(fp);
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err),
	                 TG_EINVAL);
	assert_contains(err.msg, "is corrupt");
	tg_notary_trust_clear(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_no_pins_no_tofu(void **state)
{
	tg_notary_trust t;
	tg_error err;
	assert_int_equal(tg_notary_trust_load(&t, "acme", NULL, 0, NULL, false, NULL, &err), 0);
	struct dir_fetcher f = {"127.0.0.1_5005_acme_signed", NULL, NULL};
	tg_notary_target target;
	assert_int_equal(lookup_tag(&t, &f, SIGNED_GUN, "1", "2026-11-24T00:00:00Z", &target, &err),
	                 TG_EINVAL);
	assert_contains(err.msg, "does not allow trust on first use");
	tg_notary_trust_clear(&t);
	char *missing[] = {(char *)"/nonexistent/key.pem"};
	assert_int_equal(tg_notary_trust_load(&t, "acme", missing, 1, NULL, false, NULL, &err), TG_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_and_delegations),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_unsigned_repository),
		cmocka_unit_test(test_expired_timestamp),
		cmocka_unit_test(test_tampered_bytes),
		cmocka_unit_test(test_pinned_root_keys),
		cmocka_unit_test(test_tofu_state_and_rollback),
		cmocka_unit_test(test_no_pins_no_tofu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
