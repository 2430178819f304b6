/* hardening: the run-time half of image security. Given how a container
 * would run (container.h), the container rules in force for its image
 * (policy.h "container") and what only the host knows (facts), list every
 * setting a rule fires on, each with its action (warn or deny), what it
 * does, and the flag that fixes it; then fold them into a decision.
 *
 * Pure: no I/O (paths are resolved by plugin/ beforehand). Thread-safe.
 */
#ifndef TG_HARDENING_H
#define TG_HARDENING_H

#include <stdbool.h>
#include <stddef.h>

#include "authz/container.h"
#include "authz/decide.h"
#include "authz/policy.h"

/* What the host knows that the request does not say. */
typedef struct tg_container_facts {
	/* the user the container runs as when the request sets none: the
	 * image's Config.User (create, service) or the container's (exec) */
	bool user_known;
	char user[512];
	char data_root[TG_CONTAINER_PATH_MAX]; /* dockerd's data root (never writable), or "" */
	char state_dir[TG_CONTAINER_PATH_MAX]; /* trustgate's own state (never writable), or "" */
	char docker_socket[TG_CONTAINER_PATH_MAX]; /* the dockerd API trustgate knows (never
	                                              mounted), or "" */
} tg_container_facts;

typedef struct tg_hard_finding {
	enum tg_hard_setting setting;
	enum tg_hard_action action;  /* TG_HARD_WARN or TG_HARD_DENY */
	char what[320];              /* the setting as the user wrote it, and what it does */
	char fix[480];               /* the flag that fixes it */
} tg_hard_finding;

#define TG_HARD_FINDINGS_MAX 24

typedef struct tg_hard_findings {
	size_t n;
	size_t more;                 /* findings beyond TG_HARD_FINDINGS_MAX, not listed */
	bool deny;                   /* one of them (listed or not) denies */
	tg_hard_finding f[TG_HARD_FINDINGS_MAX];
} tg_hard_findings;

/* Every rule of rules that spec fires, into *out (setting order). */
void tg_hardening_check(const tg_container_rules *rules, const tg_container_spec *spec,
                        const tg_container_facts *facts, tg_hard_findings *out);

/* Fold findings into *d, an allowed decision about op under rule: a deny
 * finding denies (in audit mode: an audit deny), listing every finding and
 * how to fix it; warnings are kept in d->warnings for the audit log. A
 * decision already denied is left as it is. */
void tg_hardening_apply(const tg_policy *policy, const tg_operation *op, const tg_rule *rule,
                        const tg_hard_findings *findings, tg_decision *d);

/* Deny *d because how the container would run could not be read (err). */
void tg_hardening_deny_unreadable(const tg_policy *policy, const tg_operation *op,
                                  const tg_error *err, tg_decision *d);

#endif
