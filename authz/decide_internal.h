/* decide_internal: what decide.c and decide_local.c share. Not a public
 * contract: see decide.h. */
#ifndef TG_DECIDE_INTERNAL_H
#define TG_DECIDE_INTERNAL_H

#include "authz/decide.h"

void tgd_say(tg_decision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tgd_allow(tg_decision *d);
void tgd_deny(tg_decision *d);

/* Where an admin makes a change: the policy file, or where to create one. */
const char *tgd_where(const tg_policy *p);

/* Judge op's image reference by the most specific rule (facts: what the
 * trust roots said, or NULL). */
void tgd_decide_image(const tg_policy *p, const tg_operation *op, const tg_trust_facts *facts,
                      tg_decision *d);

/* Audit mode: a deny becomes an allow logged as audit-deny. */
void tgd_apply_mode(const tg_policy *policy, tg_decision *out);

#endif
