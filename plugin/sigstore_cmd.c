/* sigstore_cmd: "trustgate sigstore verify-bundle", the verify half of the
 * Sigstore client conformance CLI protocol, so trustgate's bundle check can
 * be run against other clients' test cases:
 *
 *   trustgate sigstore verify-bundle --bundle FILE
 *       (--key PEM | --certificate-identity ID --certificate-oidc-issuer URL)
 *       [--trusted-root FILE] FILE_OR_DIGEST
 *
 * Exit 0 only when the bundle verifies; 1 when it does not (with the reason
 * on stderr); 2 for bad usage. With --key, a given --trusted-root makes a
 * transparency-log entry in one of its logs required. Keyless (identity)
 * verification needs --trusted-root: trustgate has no built-in copy of the
 * Sigstore public-good root. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/commands.h"
#include "trustcache/registry.h"
#include "trustcache/sigstore_bundle.h"

/* FILE_OR_DIGEST: "sha256:<hex>" as is, else the sha256 of the file. */
static int subject_digest(const char *arg, char out[TG_REGISTRY_DIGEST_SIZE])
{
	if (tg_registry_digest_valid(arg)) {
		snprintf(out, TG_REGISTRY_DIGEST_SIZE, "%s", arg);
		return 0;
	}
	tg_buf data;
	tg_buf_init(&data, 64u << 20);
	int rc = tg_buf_read_file(&data, arg);
	if (rc == TG_OK)
		rc = tg_registry_sha256(tg_buf_str(&data), data.len, out);
	tg_buf_free(&data);
	return rc == TG_OK ? 0 : -1;
}

struct verify_args {
	const char *bundle, *key, *identity, *issuer, *trusted_root, *subject;
};

static void print_verified(const struct verify_args *a, const char *digest,
                           const tg_sigstore_verified *who)
{
	if (a->key != NULL)
		printf("verified: %s is signed by %s", digest, a->key);
	else
		printf("verified: %s is signed by %s (issuer %s)", digest, who->identity.subject,
		       who->identity.issuer);
	if (who->log_index >= 0)
		printf(", logged at index %lld", who->log_index);
	printf("\n");
}

static int verify_bundle(const struct verify_args *a)
{
	char digest[TG_REGISTRY_DIGEST_SIZE];
	if (subject_digest(a->subject, digest) != 0) {
		fprintf(stderr, "trustgate sigstore: cannot read %s\n", a->subject);
		return 1;
	}
	tg_buf bundle;
	tg_buf_init(&bundle, TG_SIGSTORE_BUNDLE_MAX);
	if (tg_buf_read_file(&bundle, a->bundle) != TG_OK) {
		fprintf(stderr, "trustgate sigstore: cannot read the bundle %s (or larger than %u bytes)\n",
		        a->bundle, TG_SIGSTORE_BUNDLE_MAX);
		tg_buf_free(&bundle);
		return 1;
	}
	tg_cosign_keys *keys = NULL;
	tg_sigstore_root *root = NULL;
	tg_sigstore_signer signer = {a->identity, a->issuer};
	tg_sigstore_verified who;
	tg_error err;
	const char *files[] = {a->key};
	int rc = a->key != NULL ? tg_cosign_keys_load(files, 1, &keys, &err) : TG_OK;
	if (rc == TG_OK && a->trusted_root != NULL)
		rc = tg_sigstore_root_load(a->trusted_root, &root, &err);
	if (rc == TG_OK) {
		tg_sigstore_policy policy = {keys, root, &signer, keys ? 0 : 1, NULL};
		rc = tg_sigstore_bundle_verify(tg_buf_str(&bundle), bundle.len, &policy, digest, &who,
		                               &err);
	}
	tg_buf_free(&bundle);
	tg_cosign_keys_free(keys);
	tg_sigstore_root_free(root);
	if (rc != TG_OK) {
		fprintf(stderr, "trustgate sigstore: not verified: %s\n", err.msg);
		return 1;
	}
	print_verified(a, digest, &who);
	return 0;
}

int tg_cmd_sigstore(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"bundle", required_argument, NULL, 'b'}, {"key", required_argument, NULL, 'k'},
		{"certificate-identity", required_argument, NULL, 'i'},
		{"certificate-oidc-issuer", required_argument, NULL, 'o'},
		{"trusted-root", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	struct verify_args a = {0};
	int ch;
	if (argc < 2 || strcmp(argv[1], "verify-bundle") != 0)
		goto usage;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'b')
			a.bundle = optarg;
		else if (ch == 'k')
			a.key = optarg;
		else if (ch == 'i')
			a.identity = optarg;
		else if (ch == 'o')
			a.issuer = optarg;
		else if (ch == 't')
			a.trusted_root = optarg;
		else
			goto usage;
	}
	if (a.bundle == NULL || optind != argc - 1 || (a.key == NULL) == (a.identity == NULL) ||
	    (a.identity != NULL && a.issuer == NULL))
		goto usage;
	if (a.identity != NULL && a.trusted_root == NULL) {
		fprintf(stderr, "trustgate sigstore: not verified: keyless verification needs "
		        "--trusted-root FILE (trustgate has no built-in Sigstore root: use the "
		        "trusted_root.json of the Sigstore instance that signed)\n");
		return 1;
	}
	a.subject = argv[optind];
	return verify_bundle(&a);
usage:
	fprintf(stderr, "usage: trustgate sigstore verify-bundle --bundle FILE (--key PEM | "
	        "--certificate-identity ID --certificate-oidc-issuer URL) [--trusted-root FILE] "
	        "FILE_OR_DIGEST\n");
	return 2;
}
