/* decide_local: decisions on the image a container will actually run.
 *
 * A name is only a label on this host: `docker tag`, load, import, build
 * and commit put any content under any name. What a name cannot fake is a
 * repo digest (dockerd records one only when it pulled that manifest from
 * that repository), so a local image is trusted when one of its repo
 * digests is, judged as a pull of repo@digest would be by the rule that
 * matches it. An image with none (made on this host) is judged by the
 * "local_images" setting of the rule that matches the name it is used by:
 * deny (the default), allow, or allow when it is built on a trusted base.
 */
#include "authz/decide.h"
#include "authz/decide_internal.h"

#include <stdio.h>
#include <string.h>

const tg_rule *tg_authz_rule_for(const tg_policy *policy, const tg_reference *ref)
{
	char match_name[TG_REF_NAME_MAX + 1];
	tg_reference_match_name(ref, match_name, sizeof(match_name));
	return tg_policy_match(policy, match_name);
}

void tg_authz_decide_name(const tg_policy *policy, const tg_operation *op,
                          const tg_trust_facts *facts, tg_decision *out)
{
	memset(out, 0, sizeof(*out));
	tgd_decide_image(policy, op, facts, out);
	if (!out->needs_signatures)
		tgd_apply_mode(policy, out);
}

/* repo digest i of img, judged as the use of repo@digest. */
static void judge_pulled(const tg_policy *p, const tg_operation *op, const tg_local_image *img,
                         size_t i, tg_decision *d)
{
	tg_operation sub = *op;
	sub.ref = img->pulled[i];
	sub.has_ref = true;
	sub.image_is_id = false;
	sub.all_tags = false;
	tg_reference_string(&sub.ref, true, sub.image, sizeof(sub.image));
	memset(d, 0, sizeof(*d));
	tgd_decide_image(p, &sub, img->pulled_facts[i], d);
}

int tg_authz_trusted_pulled(const tg_policy *policy, const tg_decide_env *env,
                            const tg_local_image *img)
{
	tg_operation op;
	memset(&op, 0, sizeof(op));
	op.kind = TG_OP_CREATE;
	for (size_t i = 0; i < img->n_pulled; i++) {
		tg_decision d;
		judge_pulled(policy, &op, img, i, &d);
		if (d.verdict == TG_VERDICT_ALLOW)
			return (int)i;
	}
	return -1;
}

/* "container create of image busybox:1" / "container start of web". */
static void describe(const tg_operation *op, const tg_local_image *img, char *buf, size_t n)
{
	if (op->kind == TG_OP_START || op->kind == TG_OP_EXEC)
		snprintf(buf, n, "%s %.200s", op->kind == TG_OP_START ? "container start of" : "exec in container",
		         img->container[0] ? img->container : op->object);
	else
		snprintf(buf, n, "%s of image %.200s", tg_op_kind_name(op->kind), op->image);
}

/* "the local image busybox:1 (sha256:0123456789ab...)" */
static void image_text(const tg_local_image *img, char *buf, size_t n)
{
	char name[TG_OP_TEXT_MAX] = "";
	if (img->has_name)
		tg_reference_string(&img->name, true, name, sizeof(name));
	snprintf(buf, n, "the local image %s%s%.19s...%s", name, name[0] ? " (" : "", img->id,
	         name[0] ? ")" : "");
}

/* What a sub-decision said after "is not allowed: " (the image is named
 * already). */
static const char *reason_of(const char *message)
{
	const char *r = strstr(message, "is not allowed: ");
	return r ? r + 16 : message;
}

/* The local image has no repo digest its rule trusts: the name's rule's
 * "local_images" decides. why is what the first repo digest's rule said. */
static void decide_made_here(const tg_policy *p, const tg_operation *op, const tg_local_image *img,
                             const char *what, const char *why, tg_decision *d)
{
	char image[TG_OP_TEXT_MAX + 64], first[TG_OP_TEXT_MAX];
	image_text(img, image, sizeof(image));
	if (img->n_pulled > 0)
		tg_reference_string(&img->pulled[0], true, first, sizeof(first));
	const tg_rule *r = img->has_name ? tg_authz_rule_for(p, &img->name) : NULL;
	enum tg_local_images setting = r ? r->local_images : TG_LOCAL_DENY;
	d->rule = r;
	if (setting == TG_LOCAL_ALLOW) {
		tgd_allow(d);
		tgd_say(d, "%s is allowed by rule \"%s\" (\"local_images\": \"allow\")", image, r->match);
		return;
	}
	if (setting == TG_LOCAL_TRUSTED_BASE && img->base == TG_BASE_UNKNOWN) {
		tgd_deny(d);
		d->needs_base = true;
		tgd_say(d, "%s is not allowed: its base image was not looked for", what);
		return;
	}
	if (setting == TG_LOCAL_TRUSTED_BASE && img->base == TG_BASE_FOUND) {
		tgd_allow(d);
		tgd_say(d, "%s is built on the trusted image %s (%.19s...): its layers start with all of "
		        "that image's layers (rule \"%s\", \"local_images\": \"trusted_base\")", image,
		        img->base_pulled, img->base_id, r->match);
		return;
	}
	tgd_deny(d);
	if (setting == TG_LOCAL_TRUSTED_BASE)
		tgd_say(d, "%s is not allowed: %s was not pulled as a trusted image%s%s, and its layers do "
		        "not start with those of any image this host trusts (rule \"%s\" allows local "
		        "images only on a trusted base). Build it FROM a trusted image",
		        what, image, why ? ": " : "", why ? reason_of(why) : "", r->match);
	else if (img->n_pulled > 0)
		tgd_say(d, "%s is not allowed: %s was pulled as %s%s, which this host does not trust: %s",
		        what, image, first, img->n_pulled > 1 ? " (and others, none trusted)" : "",
		        reason_of(why));
	else if (img->digests_unproven)
		tgd_say(d, "%s is not allowed: %s has no signed repo digest, and dockerd's image store "
		        "(containerd) gives every named image a repo digest, so only a signature shows "
		        "where an image came from. Require signatures for it, or an admin sets "
		        "\"local_images\": \"trusted_base\" or \"allow\" on the rule for its name in %s",
		        what, image, tgd_where(p));
	else
		tgd_say(d, "%s is not allowed: %s was not pulled from a registry (it was built, committed, "
		        "loaded, imported or tagged on this host), so nothing vouches for its content. Pull "
		        "the trusted image with `docker pull %s`, or an admin sets \"local_images\": "
		        "\"trusted_base\" or \"allow\" on the rule for its name in %s",
		        what, image, img->has_name ? d->normalized : "NAME", tgd_where(p));
}

void tg_authz_decide_local(const tg_policy *policy, const tg_decide_env *env,
                           const tg_operation *op, const tg_local_image *img, tg_decision *out)
{
	memset(out, 0, sizeof(*out));
	char what[TG_OP_TEXT_MAX + 64];
	describe(op, img, what, sizeof(what));
	if (img->has_name)
		tg_reference_string(&img->name, true, out->normalized, sizeof(out->normalized));
	if (!img->found) {
		tgd_deny(out);
		tgd_say(out, "%s is not allowed: %s", what, img->id);
	} else {
		tg_decision first, sub;
		for (size_t i = 0; i < img->n_pulled; i++) {
			judge_pulled(policy, op, img, i, &sub);
			if (i == 0)
				first = sub;
			if (sub.verdict != TG_VERDICT_ALLOW)
				continue;
			*out = sub;
			char image[TG_OP_TEXT_MAX + 64];
			image_text(img, image, sizeof(image));
			tgd_say(out, "%.400s was pulled as %.200s: %.500s", image, sub.normalized,
			        sub.message);
			if (img->has_name)
				tg_reference_string(&img->name, true, out->normalized, sizeof(out->normalized));
			tgd_apply_mode(policy, out);
			return;
		}
		decide_made_here(policy, op, img, what, img->n_pulled ? first.message : NULL, out);
	}
	if (!out->needs_base)
		tgd_apply_mode(policy, out);
}
