/* audit: one JSON line per decision, for admins and log pipelines.
 *
 * Fields: time (UTC, ms), id (request number), op, method, path, image (as
 * requested), normalized, rule, verdict (allow, deny, audit-deny), reason,
 * policy. Request bodies and credentials are never logged.
 * Thread-safe: each line is one write(2) to stderr.
 */
#ifndef TG_AUDIT_H
#define TG_AUDIT_H

#include "authz/decide.h"
#include "authz/operation.h"

void tg_audit_log(unsigned long id, const tg_operation *op, const tg_decision *d,
                  const char *policy_source);

#endif
