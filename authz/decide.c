/* decide: see decide.h.
 *
 * The order of checks: an unreadable request is denied; operations that
 * bring images in without a checkable name follow their "operations"
 * setting; requests naming an image are judged by the most specific rule;
 * everything else is allowed (reads) or follows "other_writes". Audit mode
 * turns every deny into an allow that is logged as audit-deny.
 */
#include "authz/decide.h"
#include "authz/decide_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tgd_say(tg_decision *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
}

void tgd_allow(tg_decision *d)
{
	d->verdict = TG_VERDICT_ALLOW;
	d->allow = true;
}

void tgd_deny(tg_decision *d)
{
	d->verdict = TG_VERDICT_DENY;
	d->allow = false;
}

/* Where an admin makes a change: the file, or where to create one. */
const char *tgd_where(const tg_policy *p)
{
	return tg_policy_is_builtin(p) ? TG_POLICY_DEFAULT_PATH " (trustgate now uses its built-in "
	                                 "default policy)"
	                               : tg_policy_source(p);
}

/* The publisher an admin would trust for a repository: its namespace on
 * Docker Hub ("docker.io/evil"), else the host and first path component
 * ("registry.acme.io/team"), or the host alone for one-component names. */
static void publisher_of(const char *match_name, char *buf, size_t n)
{
	const char *slash1 = strchr(match_name, '/');
	const char *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
	size_t len = slash2 ? (size_t)(slash2 - match_name)
	                    : (size_t)(slash1 ? slash1 - match_name : (long)strlen(match_name));
	snprintf(buf, n, "%.*s", (int)len, match_name);
}

/* Docker Hub publishers are shown as users know them ("evil"). */
static const char *publisher_display(const char *publisher)
{
	return strncmp(publisher, "docker.io/", 10) == 0 ? publisher + 10 : publisher;
}

static void decide_publisher(const tg_policy *p, const tg_operation *op, const char *match_name,
                             tg_decision *d)
{
	const char *entry;
	const char *what = d->normalized;
	if (tg_policy_official_images(p) && strncmp(match_name, "docker.io/library/", 18) == 0) {
		tgd_allow(d);
		tgd_say(d, "%s is an official image (docker.io/library), trusted by rule \"%s\"", what,
		    d->rule->match);
	} else if ((entry = tg_policy_verified_publisher(p, match_name)) != NULL) {
		tgd_allow(d);
		tgd_say(d, "%s comes from verified publisher \"%s\", trusted by rule \"%s\"", what, entry,
		    d->rule->match);
	} else {
		char pub[TG_OP_TEXT_MAX];
		publisher_of(match_name, pub, sizeof(pub));
		tgd_deny(d);
		tgd_say(d, "%s of image %s is not allowed: no rule trusts publisher \"%s\". To allow it, add "
		       "\"%s\" to \"verified_publishers\" in %s, or add the rule {\"match\": \"%s/*\", "
		       "\"require\": \"allow\"}",
		    tg_op_kind_name(op->kind), what, publisher_display(pub), pub, tgd_where(p), pub);
	}
}

static const tg_sig_fact *fact_for(const tg_trust_facts *facts, const char *root)
{
	for (size_t i = 0; facts != NULL && i < facts->n; i++)
		if (strcmp(facts->sig[i].root, root) == 0)
			return &facts->sig[i];
	return NULL;
}

/* A "signed" rule: allowed when one of its trust roots verified a
 * signature; otherwise the first root's finding explains the deny. */
static void decide_signed(const tg_policy *p, const tg_operation *op, const tg_trust_facts *facts,
                          tg_decision *d)
{
	const tg_rule *r = d->rule;
	if (facts == NULL) {
		tgd_deny(d);
		d->needs_signatures = true;
		tgd_say(d, "%s of image %s is not allowed: rule \"%s\" requires a signature from trust root "
		       "\"%s\", and no signature lookup was made",
		    tg_op_kind_name(op->kind), d->normalized, r->match, r->trust_roots[0]);
		return;
	}
	/* "any": the first root that verified allows; "all": every root must,
	 * and the first that did not explains the deny. */
	size_t explain = 0, verified = 0;
	bool explained = false;
	for (size_t i = 0; i < r->n_trust_roots; i++) {
		const tg_sig_fact *f = fact_for(facts, r->trust_roots[i]);
		if (f != NULL && f->status == TG_SIG_VERIFIED) {
			verified++;
			if (!r->all_roots) {
				tgd_allow(d);
				tgd_say(d, "%s is signed: %s (trust root \"%s\", rule \"%s\")", d->normalized,
				        f->detail, f->root, r->match);
				return;
			}
		} else if (!explained) {
			explain = i;
			explained = true;
		}
	}
	if (r->all_roots && verified == r->n_trust_roots) {
		const tg_sig_fact *f = fact_for(facts, r->trust_roots[0]);
		tgd_allow(d);
		tgd_say(d, "%s is signed by all %zu trust roots of rule \"%s\" (%s: %s%s)", d->normalized,
		        r->n_trust_roots, r->match, f->root, f->detail,
		        r->n_trust_roots > 1 ? "; and the others" : "");
		return;
	}
	const tg_sig_fact *f = fact_for(facts, r->trust_roots[explain]);
	const tg_trust_root *root = tg_policy_trust_root(p, r->trust_roots[explain]);
	tgd_deny(d);
	if (f != NULL && f->status == TG_SIG_NOT_SIGNED && root != NULL &&
	    root->type == TG_TRUST_ROOT_SIGSTORE)
		tgd_say(d, "%s of image %s is not allowed: %s (trust root \"%s\"). Rule \"%s\" requires a "
		        "cosign signature by one of its keys: sign the image's digest, for example with "
		        "`cosign sign --key KEY REPOSITORY@DIGEST`",
		        tg_op_kind_name(op->kind), d->normalized, f->detail, f->root, r->match);
	else if (f != NULL && f->status == TG_SIG_NOT_SIGNED && op->ref.digest[0] == '\0')
		tgd_say(d, "%s of image %s is not allowed: %s (trust root \"%s\"). Rule \"%s\" requires a "
		       "signature: sign it, for example with `docker trust sign %s`",
		    tg_op_kind_name(op->kind), d->normalized, f->detail, f->root, r->match, op->image);
	else if (f != NULL && f->status == TG_SIG_NOT_SIGNED)
		tgd_say(d, "%s of image %s is not allowed: %s (trust root \"%s\"). Rule \"%s\" requires a "
		       "signature: sign a tag that points to this digest, for example with `docker trust "
		       "sign REPOSITORY:TAG`",
		    tg_op_kind_name(op->kind), d->normalized, f->detail, f->root, r->match);
	else
		tgd_say(d, "%s of image %s is not allowed: its signature could not be verified: %s (trust root "
		       "\"%s\", rule \"%s\")",
		    tg_op_kind_name(op->kind), d->normalized, f ? f->detail : "no lookup result",
		    r->trust_roots[explain], r->match);
}

static void decide_rule(const tg_policy *p, const tg_operation *op, const char *match_name,
                        const tg_trust_facts *facts, tg_decision *d)
{
	const tg_rule *r = d->rule;
	const char *what = d->normalized;
	switch (r->require) {
	case TG_REQUIRE_ALLOW:
		tgd_allow(d);
		tgd_say(d, "%s is allowed by rule \"%s\"", what, r->match);
		return;
	case TG_REQUIRE_PUBLISHER:
		decide_publisher(p, op, match_name, d);
		return;
	case TG_REQUIRE_SIGNED:
		decide_signed(p, op, facts, d);
		return;
	case TG_REQUIRE_DENY:
		tgd_deny(d);
		tgd_say(d, "%s of image %s is not allowed: rule \"%s\" denies it%s%s%s. To allow it, change "
		       "that rule in %s",
		    tg_op_kind_name(op->kind), what, r->match, r->reason ? " (" : "",
		    r->reason ? r->reason : "", r->reason ? ")" : "", tgd_where(p));
		return;
	}
}

/* Judge the image an operation names by the most specific rule. */
void tgd_decide_image(const tg_policy *p, const tg_operation *op, const tg_trust_facts *facts,
                      tg_decision *d)
{
	char match_name[TG_REF_NAME_MAX + 1];
	tg_reference_string(&op->ref, op->kind != TG_OP_PULL || !op->all_tags, d->normalized,
	                    sizeof(d->normalized));
	if (op->all_tags && strlen(d->normalized) + 12 < sizeof(d->normalized))
		strcat(d->normalized, " (all tags)");
	tg_reference_match_name(&op->ref, match_name, sizeof(match_name));
	d->rule = tg_policy_match(p, match_name);
	if (d->rule == NULL) {
		char pub[TG_OP_TEXT_MAX];
		publisher_of(match_name, pub, sizeof(pub));
		tgd_deny(d);
		tgd_say(d, "%s of image %s is not allowed: no policy rule matches %s. To allow it, add a rule "
		       "such as {\"match\": \"%s/*\", \"require\": \"allow\"} to %s",
		    tg_op_kind_name(op->kind), d->normalized, match_name, pub, tgd_where(p));
		return;
	}
	decide_rule(p, op, match_name, facts, d);
}

struct setting_text {
	enum tg_op_kind kind;
	enum tg_op_setting setting;
	const char *why; /* why the operation is risky, for the deny message */
};

static const struct setting_text settings[] = {
	{TG_OP_BUILD, TG_SET_BUILD, "a build pulls its base images inside the daemon, where no "
	                            "signature or publisher can be checked"},
	{TG_OP_BUILD_SESSION, TG_SET_BUILDKIT, "a BuildKit build runs over a session trustgate cannot "
	                                       "see into: not even its target names or build options "
	                                       "are visible"},
	{TG_OP_LOAD, TG_SET_LOAD, "loaded images come from a tar file, not from a registry trustgate "
	                          "can check, and may carry any name"},
	{TG_OP_IMPORT, TG_SET_IMPORT, "imported images come from a tar file, not from a registry "
	                              "trustgate can check"},
	{TG_OP_COMMIT, TG_SET_COMMIT, "a committed image is made from a container's changes and has "
	                              "no publisher or signature"},
	{TG_OP_PLUGIN_CREATE, TG_SET_PLUGIN_CREATE, "a plugin created from a local rootfs has no "
	                                            "publisher or signature"},
	{TG_OP_PUSH, TG_SET_PUSH, "pushing is switched off on this host"},
	{TG_OP_EXEC, TG_SET_EXEC, "exec is switched off on this host"},
	{TG_OP_WRITE, TG_SET_OTHER_WRITES, "changes other than the image operations trustgate "
	                                   "checks are switched off on this host"},
};

/* A classic build's source: BuildKit's build request needs "buildkit", a
 * remote context "build_remote". Denies into d and returns true, or false. */
static bool deny_build_source(const tg_policy *p, const tg_operation *op, tg_decision *d)
{
	/* BuildKit's build request: its context comes over the session. */
	bool buildkit = strcmp(op->object, "client-session") == 0;
	if (buildkit && !tg_policy_operation_allowed(p, TG_SET_BUILDKIT)) {
		tgd_deny(d);
		tgd_say(d, "docker build with BuildKit is not allowed on this host: a BuildKit build runs "
		        "over a session trustgate cannot see into. To allow it, set \"operations\": "
		        "{\"buildkit\": \"allow\"} in %s", tgd_where(p));
		return true;
	}
	if (!buildkit && op->object[0] != '\0' &&
	    !tg_policy_operation_allowed(p, TG_SET_BUILD_REMOTE)) {
		tgd_deny(d);
		tgd_say(d, "docker build from the remote context %.200s is not allowed: dockerd would "
		        "fetch it itself, unseen. Build from a local context, or set \"operations\": "
		        "{\"build_remote\": \"allow\"} in %s", op->object, tgd_where(p));
		return true;
	}
	return false;
}

/* The names a build, commit, import or tag gives (op->target, one per
 * line): none may fall under a rule that denies it, a protected namespace.
 * What they name is judged again when it runs. Denies into d and returns
 * true, or false. */
static bool deny_new_names(const tg_policy *p, const tg_operation *op, tg_decision *d)
{
	char targets[TG_OP_TEXT_MAX];
	snprintf(targets, sizeof(targets), "%s", op->target);
	for (char *save = NULL, *t = strtok_r(targets, "\n", &save); t != NULL;
	     t = strtok_r(NULL, "\n", &save)) {
		char what[TG_OP_TEXT_MAX + 32];
		snprintf(what, sizeof(what), "%s %s %s", tg_op_kind_name(op->kind),
		         op->kind == TG_OP_BUILD ? "-t" : "to", t);
		tg_reference ref;
		tg_error err;
		if (tg_reference_parse(t, &ref, &err) != TG_OK) {
			tgd_deny(d);
			tgd_say(d, "%s is not allowed: %s", what, err.msg);
			return true;
		}
		const tg_rule *r = tg_authz_rule_for(p, &ref);
		if (r != NULL && r->require == TG_REQUIRE_DENY) {
			tgd_deny(d);
			d->rule = r;
			tgd_say(d, "%s is not allowed: rule \"%s\" denies that name%s%s%s", what, r->match,
			        r->reason ? " (" : "", r->reason ? r->reason : "", r->reason ? ")" : "");
			return true;
		}
	}
	return false;
}

static bool decide_by_setting(const tg_policy *p, const tg_operation *op, tg_decision *d)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (settings[i].kind != op->kind)
			continue;
		const char *key = tg_policy_operation_key(settings[i].setting);
		if (tg_policy_operation_allowed(p, settings[i].setting)) {
			tgd_allow(d);
			tgd_say(d, "%s is allowed by \"operations\": {\"%s\": \"allow\"}", tg_op_kind_name(op->kind),
			    key);
			if (op->kind == TG_OP_BUILD && !deny_build_source(p, op, d))
				deny_new_names(p, op, d);
			else if (op->kind == TG_OP_COMMIT || op->kind == TG_OP_IMPORT)
				deny_new_names(p, op, d);
		} else {
			tgd_deny(d);
			tgd_say(d, "%s is not allowed on this host: %s. To allow it, set \"operations\": "
			       "{\"%s\": \"allow\"} in %s",
			    tg_op_kind_name(op->kind), settings[i].why, key, tgd_where(p));
		}
		return true;
	}
	return false;
}

static bool names_self(const tg_decide_env *env, const char *plugin)
{
	/* Managed plugins are addressed as "name", "name:tag" or "repo/name:tag". */
	const char *base = strrchr(plugin, '/');
	base = base ? base + 1 : plugin;
	size_t n = strcspn(base, ":@");
	return env->self_name != NULL && strlen(env->self_name) == n &&
	       strncmp(base, env->self_name, n) == 0;
}

static bool decide_self_protection(const tg_decide_env *env, const tg_operation *op,
                                   tg_decision *d)
{
	bool touches_plugin = op->kind == TG_OP_PLUGIN_DISABLE || op->kind == TG_OP_PLUGIN_REMOVE ||
	                      op->kind == TG_OP_PLUGIN_SET || op->kind == TG_OP_PLUGIN_UPGRADE;
	if (!touches_plugin || !names_self(env, op->object))
		return false;
	tgd_deny(d);
	tgd_say(d, "%s of plugin \"%s\" is not allowed: it would switch off or change the image trust "
	       "gate for every user of this host. An admin changes trustgate through the host's "
	       "service manager and its policy file, not through the Docker API",
	    tg_op_kind_name(op->kind), op->object);
	return true;
}

static void need_local_image(const tg_operation *op, tg_decision *d)
{
	tgd_deny(d);
	d->needs_signatures = false;
	d->needs_local_image = true;
	tgd_say(d, "%s of %s is not allowed: the local image it uses was not looked up",
	    tg_op_kind_name(op->kind),
	    op->kind == TG_OP_START || op->kind == TG_OP_EXEC ? op->object : op->image);
}

static void decide_operation(const tg_policy *p, const tg_decide_env *env, const tg_operation *op,
                             const tg_trust_facts *facts, tg_decision *d)
{
	if (decide_self_protection(env, op, d))
		return;
	if (op->kind == TG_OP_EXEC && tg_policy_exec_checks_image(p)) {
		need_local_image(op, d); /* on the container's image, as a start */
		return;
	}
	if (decide_by_setting(p, op, d))
		return;
	if (op->kind == TG_OP_TAG && deny_new_names(p, op, d))
		return;
	bool local = op->kind == TG_OP_CREATE || op->kind == TG_OP_TAG;
	if (op->kind == TG_OP_START || (local && op->image_is_id)) {
		need_local_image(op, d);
		return;
	}
	if (op->image_is_id) {
		tgd_deny(d);
		tgd_say(d, "%s by image ID %.80s is not allowed: trustgate decides on image names, and an ID "
		       "does not say which repository or publisher the image came from. Use the image's "
		       "name (repository:tag or repository@digest)",
		    tg_op_kind_name(op->kind), op->image);
		return;
	}
	if (op->has_ref) {
		tgd_decide_image(p, op, facts, d);
		/* What the name allows is only a first answer: the local image
		 * under that name decides (a name denied stays denied, unless its
		 * rule lets images made on this host through). */
		bool may_be_local = d->rule != NULL && d->rule->local_images != TG_LOCAL_DENY;
		if (local && (d->allow || d->needs_signatures || may_be_local))
			need_local_image(op, d);
		return;
	}
	tgd_allow(d);
	switch (op->kind) {
	case TG_OP_READ:
		tgd_say(d, "read-only requests are always allowed");
		break;
	case TG_OP_IMPORT:
	case TG_OP_SERVICE_CREATE:
	case TG_OP_SERVICE_UPDATE:
		tgd_say(d, "%s names no image", tg_op_kind_name(op->kind));
		break;
	default:
		tgd_say(d, "%s does not bring in an image", tg_op_kind_name(op->kind));
		break;
	}
}

void tg_authz_decide(const tg_policy *policy, const tg_decide_env *env, const tg_operation *op,
                     const tg_error *decode_err, const tg_trust_facts *facts, tg_decision *out)
{
	memset(out, 0, sizeof(*out));
	if (decode_err != NULL && decode_err->code != TG_OK) {
		tgd_deny(out);
		if (op->method[0] == '\0')
			tgd_say(out, "the request is not allowed: %s", decode_err->msg);
		else if (op->image[0] != '\0')
			tgd_say(out, "%s of %s is not allowed: %s", tg_op_kind_name(op->kind), op->image,
			    decode_err->msg);
		else
			tgd_say(out, "%s (%s %s) is not allowed: %s", tg_op_kind_name(op->kind), op->method,
			    op->path[0] ? op->path : "?", decode_err->msg);
	} else {
		decide_operation(policy, env, op, facts, out);
	}
	if (!out->needs_local_image)
		tgd_apply_mode(policy, out);
}

void tgd_apply_mode(const tg_policy *policy, tg_decision *out)
{
	if (!out->allow && tg_policy_mode(policy) == TG_MODE_AUDIT) {
		out->verdict = TG_VERDICT_AUDIT_DENY;
		out->allow = true;
	}
}

const char *tg_verdict_name(enum tg_verdict v)
{
	switch (v) {
	case TG_VERDICT_ALLOW: return "allow";
	case TG_VERDICT_DENY: return "deny";
	default: return "audit-deny";
	}
}
