/* signatures: the trust lookups a "signed" rule needs, turned into facts
 * for tg_authz_decide.
 *
 * For each trust root the rule names, the image's repository is looked up
 * on that root's Notary server (trustcache/notary), within the root's
 * timeout. For a pull by tag, the digest the registry serves for the tag
 * must equal the signed digest; a reference by digest (a pull, or a local
 * image's repo digest: plugin/local_image.h) needs that digest to be a
 * signed target; any other use by tag needs the tag to be signed.
 *
 * Thread-safe.
 */
#ifndef TG_SIGNATURES_H
#define TG_SIGNATURES_H

#include <stdbool.h>

#include "authz/decide.h"
#include "authz/operation.h"
#include "authz/policy.h"
#include "trustcache/cache.h"

/* Where and how lookups run. */
struct tg_signature_env {
	const char *state_dir;     /* trusted roots and versions (NULL: remember nothing) */
	tg_cache *cache;           /* answers kept with the policy's TTLs (NULL: all live) */
	bool may_block;            /* false: fresh cached answers only, no I/O, no waiting */
};

/* Fill *facts with what each of rule's trust roots says about op's image;
 * each fact says how it was answered. Returns TG_OK: a lookup that cannot
 * complete is a TG_SIG_FAILED fact whose detail says why. With
 * env->may_block false, returns TG_EWOULDBLOCK as soon as an answer would
 * need a live lookup (facts are then incomplete: call again on a thread
 * that may block). */
int tg_signatures_lookup(const tg_policy *policy, const tg_rule *rule, const tg_operation *op,
                         const struct tg_signature_env *env, tg_trust_facts *facts);

/* Load the verification material of every sigstore trust root of policy
 * (keys, trusted roots: certificates and log keys), as lookups will, so a
 * policy whose material is broken is refused when it is read, not at every
 * lookup. Errors: TG_EINVAL naming the trust root and what is wrong. */
int tg_signatures_check_roots(const tg_policy *policy, tg_error *err);

#endif
