/* sigstore_cmd: "trustgate sigstore verify-bundle", the verify half of the
 * Sigstore client conformance CLI protocol, so trustgate's bundle check can
 * be run against other clients' test cases:
 *
 *   trustgate sigstore verify-bundle --bundle FILE
 *       (--key PEM | --certificate-identity ID --certificate-oidc-issuer URL)
 *       [--trusted-root FILE] FILE_OR_DIGEST
 *
 * Exit 0 only when the bundle verifies; 1 when it does not (with the reason
 * on stderr); 2 for bad usage. Keyless (identity) verification is not
 * supported yet: it exits 1 saying so, never 0. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/commands.h"
#include "trustcache/registry.h"
#include "trustcache/sigstore_bundle.h"

static char *read_all(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	bool failed = ferror(f) != 0;
	fclose(f);
	if (buf == NULL || n > max || failed) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* FILE_OR_DIGEST: "sha256:<hex>" as is, else the sha256 of the file. */
static int subject_digest(const char *arg, char out[TG_REGISTRY_DIGEST_SIZE])
{
	if (tg_registry_digest_valid(arg)) {
		snprintf(out, TG_REGISTRY_DIGEST_SIZE, "%s", arg);
		return 0;
	}
	size_t len;
	char *data = read_all(arg, 64u << 20, &len);
	int rc = data != NULL ? tg_registry_sha256(data, len, out) : TG_EIO;
	free(data);
	return rc == TG_OK ? 0 : -1;
}

static int verify_bundle(const char *bundle_path, const char *key_path, const char *subject)
{
	char digest[TG_REGISTRY_DIGEST_SIZE];
	if (subject_digest(subject, digest) != 0) {
		fprintf(stderr, "trustgate sigstore: cannot read %s\n", subject);
		return 1;
	}
	size_t len;
	char *bundle = read_all(bundle_path, TG_SIGSTORE_BUNDLE_MAX, &len);
	if (bundle == NULL) {
		fprintf(stderr, "trustgate sigstore: cannot read the bundle %s\n", bundle_path);
		return 1;
	}
	tg_cosign_keys *keys = NULL;
	tg_error err;
	const char *files[] = {key_path};
	int rc = tg_cosign_keys_load(files, 1, &keys, &err);
	if (rc == TG_OK)
		rc = tg_sigstore_bundle_verify(bundle, len, keys, digest, NULL, NULL, &err);
	free(bundle);
	tg_cosign_keys_free(keys);
	if (rc != TG_OK) {
		fprintf(stderr, "trustgate sigstore: not verified: %s\n", err.msg);
		return 1;
	}
	printf("verified: %s is signed by %s\n", digest, key_path);
	return 0;
}

int tg_cmd_sigstore(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"bundle", required_argument, NULL, 'b'}, {"key", required_argument, NULL, 'k'},
		{"certificate-identity", required_argument, NULL, 'i'},
		{"certificate-oidc-issuer", required_argument, NULL, 'o'},
		{"trusted-root", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	const char *bundle = NULL, *key = NULL, *identity = NULL, *issuer = NULL;
	int ch;
	if (argc < 2 || strcmp(argv[1], "verify-bundle") != 0)
		goto usage;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'b')
			bundle = optarg;
		else if (ch == 'k')
			key = optarg;
		else if (ch == 'i')
			identity = optarg;
		else if (ch == 'o')
			issuer = optarg;
		else if (ch != 't')
			goto usage;
	}
	if (bundle == NULL || optind != argc - 1 || (key == NULL) == (identity == NULL))
		goto usage;
	if (identity != NULL) {
		fprintf(stderr, "trustgate sigstore: not verified: keyless verification (identity %s, "
		        "issuer %s) is not supported yet\n", identity, issuer ? issuer : "(none)");
		return 1;
	}
	return verify_bundle(bundle, key, argv[optind]);
usage:
	fprintf(stderr, "usage: trustgate sigstore verify-bundle --bundle FILE (--key PEM | "
	        "--certificate-identity ID --certificate-oidc-issuer URL) [--trusted-root FILE] "
	        "FILE_OR_DIGEST\n");
	return 2;
}
