/* decide: policy + decoded request -> allow or deny, with the reason.
 *
 * A pure function: no I/O, no clock. Deny messages are written for the
 * person at the terminal who ran the docker command: what was refused, why,
 * and what an admin changes to allow it. dockerd shows them as
 * "authorization denied by plugin <name>: <message>".
 *
 * Thread-safe; the policy is only read.
 */
#ifndef TG_DECIDE_H
#define TG_DECIDE_H

#include <stdbool.h>

#include "authz/operation.h"
#include "authz/policy.h"
#include "common/tg_error.h"

#define TG_DECISION_MSG_MAX 1024

enum tg_verdict {
	TG_VERDICT_ALLOW,
	TG_VERDICT_DENY,
	TG_VERDICT_AUDIT_DENY /* audit mode: would be denied, allowed */
};

/* What a trust root said about the image an operation names. Trust lookups
 * (trustcache/) happen outside authz/; their results come in as facts. */
enum tg_sig_status {
	TG_SIG_VERIFIED,   /* signed, and the signature checks out */
	TG_SIG_NOT_SIGNED, /* the trust data is valid and has no signature for this image */
	TG_SIG_FAILED      /* no valid answer: unreachable, bad TLS, bad signature, expired... */
};

typedef struct tg_sig_fact {
	const char *root;                  /* trust root name, borrowed from the policy */
	enum tg_sig_status status;
	char digest[TG_REF_DIGEST_MAX + 1]; /* the signed digest, when there is one */
	char signer[64];                   /* the role that signed it: "targets/releases" */
	char detail[TG_DECISION_MSG_MAX / 2]; /* for a person: what was found, or what failed */
	char cache[8];                     /* how it was answered: "miss", "hit", "shared",
	                                      "stale", "off" (for the audit log) */
	double lookup_ms;                  /* how long finding the answer took */
} tg_sig_fact;

#define TG_SIG_FACTS_MAX 8

typedef struct tg_trust_facts {
	size_t n;
	tg_sig_fact sig[TG_SIG_FACTS_MAX];
} tg_trust_facts;

typedef struct tg_decision {
	enum tg_verdict verdict;
	bool allow;                          /* what dockerd is told */
	const tg_rule *rule;                 /* the rule that decided, or NULL; borrowed from policy */
	char normalized[TG_OP_TEXT_MAX];     /* normalized image, "" when none */
	char message[TG_DECISION_MSG_MAX];   /* deny message, or why it was allowed */
	char warnings[TG_DECISION_MSG_MAX];  /* container rules that warned (hardening.h), or "" */
	/* Set when the deciding rule requires signatures and no facts were
	 * given: look up rule->trust_roots and decide again with the facts. */
	bool needs_signatures;
	/* Set (with a deny) for a create, start or tag that the name alone
	 * does not decide: ask dockerd for the local image and call
	 * tg_authz_decide_local. */
	bool needs_local_image;
	/* Set by tg_authz_decide_local when a rule's "local_images" is
	 * "trusted_base" and img->base is TG_BASE_UNKNOWN: find the base and
	 * call it again. */
	bool needs_base;
} tg_decision;

#define TG_LOCAL_PULLED_MAX 16

enum tg_base_state { TG_BASE_UNKNOWN, TG_BASE_NONE, TG_BASE_FOUND };

/* The image a container will actually run, as dockerd describes it
 * (GET /containers/{id}/json, GET /images/{id}/json): gathered by plugin/. */
typedef struct tg_local_image {
	bool found;                        /* dockerd has it (false: id holds the reason) */
	char container[TG_OP_TEXT_MAX];    /* for a start: "name (id12)", for messages */
	char id[TG_OP_TEXT_MAX];           /* "sha256:<hex>" */
	size_t n_pulled;                   /* its repo digests: what it was pulled as */
	tg_reference pulled[TG_LOCAL_PULLED_MAX];
	/* What the trust roots say of each, when its rule is "signed"; NULL
	 * otherwise (or when no lookup was made: then it is not trusted). */
	const tg_trust_facts *pulled_facts[TG_LOCAL_PULLED_MAX];
	/* dockerd's image store gives every named image a repo digest
	 * (containerd's): only repo digests a signed rule vouches for are in
	 * pulled[], and messages say why. */
	bool digests_unproven;
	bool has_name;                     /* the name the image is used by: */
	tg_reference name;                 /* its rule's "local_images" applies */
	enum tg_base_state base;           /* a trusted image whose layers it starts with */
	char base_id[TG_OP_TEXT_MAX];
	char base_pulled[TG_OP_TEXT_MAX];  /* what made the base trusted: "repo@digest" */
} tg_local_image;

/* What the decision needs besides the policy. */
typedef struct tg_decide_env {
	const char *self_name; /* this plugin's name in dockerd ("trustgate") */
} tg_decide_env;

/* Decide on op under policy. decode_err is the result of tg_authz_decode:
 * NULL or TG_OK means op was fully read; otherwise the request is denied
 * with that reason. facts holds what trust roots said about op's image, or
 * NULL when no lookup was made (a "signed" rule then denies and sets
 * out->needs_signatures). Fills *out; never fails. */
void tg_authz_decide(const tg_policy *policy, const tg_decide_env *env, const tg_operation *op,
                     const tg_error *decode_err, const tg_trust_facts *facts, tg_decision *out);

/* Decide a create, start or tag that tg_authz_decide answered with
 * needs_local_image, on the local image img: allowed when one of its repo
 * digests is trusted by the rule that matches it (which a local `docker
 * tag`, load, import, build or commit cannot fake); otherwise by the
 * "local_images" setting of the rule matching img->name. Fills *out;
 * never fails. */
void tg_authz_decide_local(const tg_policy *policy, const tg_decide_env *env,
                           const tg_operation *op, const tg_local_image *img, tg_decision *out);

/* Decide a create or tag on its name alone, as a pull would be (facts as
 * for tg_authz_decide): for an image dockerd does not have, which dockerd
 * refuses to run, so the CLI pulls it (a pull that is checked) and tries
 * again. Fills *out; never fails. */
void tg_authz_decide_name(const tg_policy *policy, const tg_operation *op,
                          const tg_trust_facts *facts, tg_decision *out);

/* The rule that judges ref (a repo digest), or NULL. */
const tg_rule *tg_authz_rule_for(const tg_policy *policy, const tg_reference *ref);

/* The index of img's first repo digest that its rule trusts (with the
 * facts given), or -1: whether img can be a trusted base. */
int tg_authz_trusted_pulled(const tg_policy *policy, const tg_decide_env *env,
                            const tg_local_image *img);

const char *tg_verdict_name(enum tg_verdict v);

#endif
