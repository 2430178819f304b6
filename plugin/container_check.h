/* container_check: the host's container rules (authz/hardening.h) applied
 * to a container create, exec, start or service that its image decision
 * allowed: how the container would run is decoded from the request (for a
 * start: from what dockerd stored at create, so a container made before
 * trustgate, under a looser policy, or whose bind's symlink was changed
 * since, is checked again); what only the host knows comes from
 * container_facts.h, the user the image (or, for an exec, the container)
 * runs as from dockerd, and dockerd's data root.
 *
 * Gathering asks dockerd and the file system, so it runs only where
 * lenv->sig.may_block (else TG_EWOULDBLOCK), except for a create whose
 * image dockerd described a moment ago (inspect cache) and that mounts no
 * host path. Thread-safe.
 */
#ifndef TG_CONTAINER_CHECK_H
#define TG_CONTAINER_CHECK_H

#include "authz/hardening.h"
#include "plugin/local_image.h"

/* Check op (req's decoding) against policy's container rules and fold the
 * result into *d (hardening.h tg_hardening_apply). *findings (may be NULL)
 * receives every finding, for explanations. Returns TG_OK (what cannot be
 * read or found out is a deny saying why), or TG_EWOULDBLOCK (call again
 * where it may block). */
int tg_container_check(const tg_policy *policy, const tg_operation *op,
                       const tg_authz_request *req, const struct tg_local_env *lenv,
                       tg_decision *d, tg_hard_findings *findings);

#endif
