/* policy_store: the policy in force, and reloading it without a restart.
 *
 * Decisions take a reference to the current policy and release it when
 * done; a reload parses the file into a new policy and swaps it in only if
 * it is valid (OpenBSD relayd's parent_reload), so a broken edit keeps the
 * last good policy and the reason is logged. A policy is freed when the last
 * decision using it releases it.
 *
 * Thread-safe: acquire/release from any thread; reload from one thread.
 */
#ifndef TG_POLICY_STORE_H
#define TG_POLICY_STORE_H

#include <stdbool.h>

#include "authz/policy.h"
#include "common/tg_error.h"

typedef struct tg_policy_store tg_policy_store;
typedef struct tg_policy_ref tg_policy_ref;

/* Open with the policy at path. When required is false and the file does
 * not exist, the built-in default is used until the file appears.
 * Errors: the load error of the file (TG_EINVAL with line/column, TG_EIO). */
int tg_policy_store_open(const char *path, bool required, tg_policy_store **out, tg_error *err);

void tg_policy_store_close(tg_policy_store *store);

/* Take the current policy for one decision. Never NULL. */
tg_policy_ref *tg_policy_store_acquire(tg_policy_store *store);
const tg_policy *tg_policy_ref_get(const tg_policy_ref *ref);
void tg_policy_store_release(tg_policy_store *store, tg_policy_ref *ref);

/* Reload when the file changed since the last attempt (or always, when
 * force). Returns 1 when a new policy was swapped in, 0 when nothing
 * changed, or a negative code when the file is broken (the old policy
 * stays; err says why). */
int tg_policy_store_reload(tg_policy_store *store, bool force, tg_error *err);

#endif
