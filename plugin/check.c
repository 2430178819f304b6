/* check: the admin's offline view of the policy.
 *
 * "trustgate check IMAGE" runs the same decision the daemon makes for a
 * pull of IMAGE and prints each step; with --local, the decision for a
 * run of IMAGE as it is on this host (asking dockerd which image that is:
 * its repo digests, or the trusted base it was built on);
 * "trustgate policy validate FILE"
 * loads a file exactly as a reload would, without applying it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "authz/decide.h"
#include "authz/operation.h"
#include "authz/policy.h"
#include "plugin/commands.h"
#include "plugin/local_image.h"
#include "plugin/signatures.h"
#include "trustcache/http.h"

/* Policy for check: the named file, else the one serve would use. */
static int load_check_policy(const char *path, tg_policy **out, tg_error *err)
{
	struct stat sb;
	if (path != NULL)
		return tg_policy_load_file(path, out, err);
	if (stat(TG_POLICY_DEFAULT_PATH, &sb) == 0)
		return tg_policy_load_file(TG_POLICY_DEFAULT_PATH, out, err);
	return tg_policy_builtin(out, err);
}

/* A pull of image as "docker pull IMAGE" sends it (a bare name means
 * ":latest"), or with local a create as "docker run IMAGE" sends it. */
static int image_operation(const char *image, bool local, tg_operation *op, tg_error *err)
{
	memset(op, 0, sizeof(*op));
	op->kind = local ? TG_OP_CREATE : TG_OP_PULL;
	strcpy(op->method, "POST");
	strcpy(op->path, local ? "/containers/create" : "/images/create");
	if (strlen(image) >= sizeof(op->image))
		return tg_error_set(err, TG_ETOOBIG, "image name is too long");
	strcpy(op->image, image);
	if (tg_reference_is_image_id(image)) {
		op->image_is_id = true;
		return TG_OK;
	}
	int rc = tg_reference_parse(image, &op->ref, err);
	if (rc == TG_OK && !local && tg_reference_is_name_only(&op->ref))
		rc = tg_reference_apply_pull_tag(&op->ref, "latest", err);
	op->has_ref = rc == TG_OK;
	return rc;
}

static void print_signatures(const tg_trust_facts *facts)
{
	static const char *const status[] = {"verified", "not signed", "not verified"};
	for (size_t i = 0; i < facts->n; i++) {
		const tg_sig_fact *f = &facts->sig[i];
		printf("signature:  trust root \"%s\": %s%s%s%s%s\n", f->root, status[f->status],
		       f->digest[0] ? ", signed digest " : "", f->digest,
		       f->signer[0] ? ", signer role " : "", f->signer);
		printf("            %s\n", f->detail);
	}
}

static void print_explanation(const tg_policy *p, const tg_operation *op, const tg_decision *d,
                              const tg_trust_facts *facts)
{
	printf("image:      %s\n", op->image);
	if (d->normalized[0])
		printf("normalized: %s\n", d->normalized);
	printf("policy:     %s (mode %s)\n", tg_policy_source(p),
	       tg_policy_mode(p) == TG_MODE_AUDIT ? "audit" : "enforce");
	if (d->rule != NULL)
		printf("rule:       #%zu \"%s\" (require %s)\n", d->rule->number, d->rule->match,
		       tg_requirement_name(d->rule->require));
	else
		printf("rule:       none\n");
	print_signatures(facts);
	printf("decision:   %s\n", d->verdict == TG_VERDICT_ALLOW  ? "ALLOW"
	                           : d->verdict == TG_VERDICT_DENY ? "DENY"
	                                                           : "ALLOW (audit mode: enforce would deny)");
	printf("reason:     %s\n", d->message);
}

int tg_cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {{"policy", required_argument, NULL, 'p'},
	                                         {"state-dir", required_argument, NULL, 's'},
	                                         {"local", no_argument, NULL, 'l'},
	                                         {"docker-socket", required_argument, NULL, 'k'},
	                                         {NULL, 0, NULL, 0}};
	const char *policy_path = NULL, *state_dir = NULL, *docker_socket = "/var/run/docker.sock";
	bool local = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'p')
			policy_path = optarg;
		else if (ch == 's')
			state_dir = optarg;
		else if (ch == 'l')
			local = true;
		else if (ch == 'k')
			docker_socket = optarg;
		else
			return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: trustgate check [--policy FILE] [--state-dir DIR] [--local "
		                "[--docker-socket PATH]] IMAGE\n");
		return 2;
	}
	tg_error err;
	tg_policy *p = NULL;
	if (load_check_policy(policy_path, &p, &err) != TG_OK) {
		fprintf(stderr, "trustgate check: %s\n", err.msg);
		return 2;
	}
	tg_operation op;
	if (image_operation(argv[optind], local, &op, &err) != TG_OK) {
		fprintf(stderr, "trustgate check: %s\n", err.msg);
		tg_policy_free(p);
		return 2;
	}
	tg_decision d;
	tg_decide_env env = {"trustgate"};
	tg_trust_facts facts = {0};
	tg_authz_decide(p, &env, &op, NULL, NULL, &d);
	bool lookups = d.needs_signatures || d.needs_local_image;
	if (lookups && tg_http_global_init(&err) == TG_OK) {
		struct tg_signature_env senv = {state_dir, NULL, true};
		struct tg_local_env lenv = {docker_socket, NULL, 5000L, senv, NULL};
		if (d.needs_local_image) {
			tg_local_image_decide(p, &env, &op, &lenv, &d, &facts);
		} else {
			tg_signatures_lookup(p, d.rule, &op, &senv, &facts);
			tg_authz_decide(p, &env, &op, NULL, &facts, &d);
		}
		tg_http_global_cleanup();
	}
	print_explanation(p, &op, &d, &facts);
	tg_policy_free(p);
	return d.verdict == TG_VERDICT_DENY ? 1 : 0;
}

int tg_cmd_policy(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "validate") != 0) {
		fprintf(stderr, "usage: trustgate policy validate FILE\n");
		return 2;
	}
	tg_error err;
	tg_policy *p = NULL;
	if (tg_policy_load_file(argv[2], &p, &err) != TG_OK ||
	    tg_signatures_check_roots(p, &err) != TG_OK) {
		fprintf(stderr, "%s%s%s\n", p != NULL ? argv[2] : "", p != NULL ? ": " : "", err.msg);
		tg_policy_free(p);
		return 1;
	}
	printf("%s: valid (%zu rules, mode %s)\n", argv[2], tg_policy_rule_count(p),
	       tg_policy_mode(p) == TG_MODE_AUDIT ? "audit" : "enforce");
	tg_policy_free(p);
	return 0;
}
