/* check: the admin's offline view of the policy.
 *
 * "trustgate check IMAGE" runs the same decision the daemon makes for a
 * pull of IMAGE and prints each step; with --local, the decision for a
 * run of IMAGE as it is on this host (asking dockerd which image that is:
 * its repo digests, or the trusted base it was built on);
 * "trustgate check --request FILE" takes a whole container create request
 * body (what `docker run` sends to /containers/create) and explains the
 * image decision and every container rule that fires;
 * "trustgate policy validate FILE"
 * loads a file exactly as a reload would, without applying it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "authz/decide.h"
#include "authz/operation.h"
#include "authz/policy.h"
#include "common/tg_buf.h"
#include "plugin/commands.h"
#include "plugin/container_check.h"
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

static void print_findings(const tg_hard_findings *f, bool checked)
{
	if (!checked) {
		printf("container:  not checked (the image decision already denies)\n");
		return;
	}
	if (f->n == 0)
		printf("container:  no container rule fires\n");
	for (size_t i = 0; i < f->n; i++)
		printf("container:  %-4s %s: %s\n            fix: %s\n",
		       f->f[i].action == TG_HARD_DENY ? "DENY" : "WARN",
		       tg_hard_setting_key(f->f[i].setting), f->f[i].what, f->f[i].fix);
	if (f->more)
		printf("container:  ... and %zu more\n", f->more);
}

/* The create request in file (its body read into *body): as dockerd
 * would pass it. */
static int read_request(const char *file, tg_buf *body, tg_authz_request *req, tg_error *err)
{
	tg_buf_init(body, TG_REQUEST_BODY_MAX);
	int rc = tg_buf_read_file(body, file);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "cannot read %s (or larger than %u bytes)", file,
		                    TG_REQUEST_BODY_MAX);
	memset(req, 0, sizeof(*req));
	req->method = "POST";
	req->uri = "/containers/create";
	req->body = (unsigned char *)(body->data != NULL ? body->data : ""); /* read only */
	req->body_len = body->len;
	return TG_OK;
}

/* The image decision of a create, then the container rules. */
static int check_request(const tg_policy *p, const char *file, bool local,
                         struct tg_local_env *lenv, tg_trust_facts *facts)
{
	tg_authz_request req;
	tg_buf body;
	tg_operation op;
	tg_decision d;
	tg_decide_env env = {"trustgate"};
	tg_hard_findings *findings = calloc(1, sizeof(*findings));
	tg_error err;
	if (findings == NULL || read_request(file, &body, &req, &err) != TG_OK) {
		fprintf(stderr, "trustgate check: %s\n", findings ? err.msg : "out of memory");
		free(findings);
		if (findings != NULL)
			tg_buf_free(&body);
		return 2;
	}
	tg_error_clear(&err);
	tg_authz_decode(&req, &op, &err);
	tg_authz_decide(p, &env, &op, &err, NULL, &d);
	if (d.needs_local_image && local)
		tg_local_image_decide(p, &env, &op, lenv, &d, facts);
	else if (d.needs_local_image)
		tg_authz_decide_name(p, &op, NULL, &d);
	bool checked = err.code == TG_OK && d.verdict != TG_VERDICT_DENY;
	if (checked)
		tg_container_check(p, &op, &req, lenv, &d, findings);
	print_explanation(p, &op, &d, facts);
	print_findings(findings, checked);
	tg_buf_free(&body);
	free(findings);
	return d.verdict == TG_VERDICT_DENY ? 1 : 0;
}

int tg_cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {{"policy", required_argument, NULL, 'p'},
	                                         {"state-dir", required_argument, NULL, 's'},
	                                         {"local", no_argument, NULL, 'l'},
	                                         {"docker-socket", required_argument, NULL, 'k'},
	                                         {"request", required_argument, NULL, 'r'},
	                                         {NULL, 0, NULL, 0}};
	const char *policy_path = NULL, *state_dir = NULL, *docker_socket = "/var/run/docker.sock";
	const char *request = NULL;
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
		else if (ch == 'r')
			request = optarg;
		else
			return 2;
	}
	if (optind != argc - (request == NULL)) {
		fprintf(stderr, "usage: trustgate check [--policy FILE] [--state-dir DIR] [--local "
		                "[--docker-socket PATH]] (IMAGE | --request CREATE-BODY.json)\n");
		return 2;
	}
	tg_error err;
	tg_policy *p = NULL;
	if (load_check_policy(policy_path, &p, &err) != TG_OK) {
		fprintf(stderr, "trustgate check: %s\n", err.msg);
		return 2;
	}
	if (request != NULL) {
		/* dockerd is asked (the image's user, its repo digests) with --local only */
		struct tg_local_env lenv = {local ? docker_socket : NULL, NULL, 5000L,
		                            {state_dir, NULL, true}, NULL};
		tg_trust_facts facts = {0};
		bool http = tg_http_global_init(&err) == TG_OK;
		int rc = check_request(p, request, local, &lenv, &facts);
		if (http)
			tg_http_global_cleanup();
		tg_policy_free(p);
		return rc;
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
