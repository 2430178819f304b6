/* signatures: the trust lookups a "signed" rule needs, turned into facts
 * for tg_authz_decide.
 *
 * For each trust root the rule names, the image's repository is looked up
 * on that root's Notary server (trustcache/notary), within the root's
 * timeout. For a pull by tag, the digest the registry serves for the tag
 * must equal the signed digest; a pull or create by digest needs that
 * digest to be a signed target; a create or tag by tag of a local image
 * needs one of that image's repo digests (what it was pulled as, asked of
 * dockerd) to be a signed target.
 *
 * Runs on the request's connection thread; thread-safe.
 */
#ifndef TG_SIGNATURES_H
#define TG_SIGNATURES_H

#include "authz/decide.h"
#include "authz/operation.h"
#include "authz/policy.h"
#include "trustcache/cache.h"

/* Fill *facts with what each of rule's trust roots says about op's image.
 * Never fails: a lookup that cannot complete is a TG_SIG_FAILED fact whose
 * detail says why. state_dir keeps trusted roots and versions (NULL: the
 * lookups remember nothing). docker_socket is the daemon's API socket, for
 * creates and tags of local images by tag (NULL: judged by the tag alone).
 * cache keeps answers with the policy's TTLs (NULL: every lookup is live);
 * each fact says how it was answered. */
void tg_signatures_lookup(const tg_policy *policy, const tg_rule *rule, const tg_operation *op,
                          const char *state_dir, const char *docker_socket, tg_cache *cache,
                          tg_trust_facts *facts);

#endif
