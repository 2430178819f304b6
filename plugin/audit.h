/* audit: one JSON line per decision, for admins and log pipelines.
 *
 * Fields: time (UTC, ms), id (request number), op, method, path, image (as
 * requested), normalized, target (the new name a tag, commit or import
 * gives), rule, verdict (allow, deny, audit-deny), reason, policy, and, when
 * signatures were looked up, signatures: per trust root its status, signed
 * digest, signer role and how the answer was found (cache: miss, hit,
 * shared, stale, off). Request bodies and credentials are never logged.
 * Thread-safe: each line is one write(2) to stderr.
 */
#ifndef TG_AUDIT_H
#define TG_AUDIT_H

#include "authz/decide.h"
#include "authz/operation.h"

/* facts may be NULL (no signature lookups). */
void tg_audit_log(unsigned long id, const tg_operation *op, const tg_decision *d,
                  const tg_trust_facts *facts, const char *policy_source);

#endif
