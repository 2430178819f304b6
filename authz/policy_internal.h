/* policy_internal: what the policy loader's files share (policy.c, and
 * policy_trust.c for trust roots and registries). Not a public contract. */
#ifndef TG_POLICY_INTERNAL_H
#define TG_POLICY_INTERNAL_H

#include <jansson.h>

#include "authz/jsonpos.h"
#include "authz/policy.h"

struct tg_policy {
	char *source;
	bool builtin;
	enum tg_mode mode;
	bool official_images;
	char **verified_publishers;
	size_t n_verified_publishers;
	tg_rule *rules;
	size_t n_rules;
	bool ops_allowed[TG_SET_COUNT];
	bool exec_checks_image;
	tg_trust_root *trust_roots;
	size_t n_trust_roots;
	tg_registry *registries;
	size_t n_registries;
	long cache[TG_CACHE_SETTING_COUNT];
	tg_container_rules container; /* "container", with the defaults filled in */
};


/* Validation context: the text being loaded and the path to the value
 * under inspection, for error positions. */
struct ctx {
	const char *text;
	size_t len;
	const char *source;
	tg_jsonpos_step path[8];
	size_t depth;
	tg_error *err;
};


/* Fail with "SOURCE:LINE:COLUMN: message" at the value under inspection. */
int tg_pv_fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg_pv_push_key(struct ctx *c, const char *key);
void tg_pv_push_index(struct ctx *c, size_t index);
void tg_pv_pop(struct ctx *c);
void tg_pv_free_strings(char **list, size_t n);
/* A list of strings; names=true checks them as publisher names. */
int tg_pv_load_string_list(struct ctx *c, json_t *v, const char *what, bool names, char ***out,
                           size_t *n_out);

/* policy_trust.c: "trust_roots" and "registries", and the check that every
 * rule's trust roots are defined. */
int tg_pv_load_trust_roots(struct ctx *c, json_t *v, tg_policy *p);
int tg_pv_load_registries(struct ctx *c, json_t *v, tg_policy *p);
int tg_pv_check_rule_roots(struct ctx *c, const tg_policy *p);
void tg_pv_free_trust(tg_policy *p);

/* policy_container.c: "container" at the top level (into p->container,
 * over the defaults) and in a rule (into a new rule->container). */
int tg_pv_container_defaults(tg_container_rules *r);
int tg_pv_load_container(struct ctx *c, json_t *v, tg_policy *p);
int tg_pv_load_rule_container(struct ctx *c, json_t *v, tg_rule *rule);
void tg_pv_free_container(tg_container_rules *r);

#endif
