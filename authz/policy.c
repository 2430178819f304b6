/* policy: see policy.h.
 *
 * Validation is table-driven (as Redis's config.c): each top-level key and
 * each operation setting has one row with its type, default and checker.
 * Errors carry the JSON path of the offending value; jsonpos turns it into
 * a line and column in the admin's file.
 */
#include "authz/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "authz/jsonpos.h"
#include "authz/policy_internal.h"

#define RULES_MAX 10000
#define NAME_LIST_MAX 10000
#define TEXT_MAX 1024

static const char builtin_policy_text[] =
	"{\"mode\": \"enforce\", \"official_images\": true, \"verified_publishers\": [],"
	" \"rules\": [{\"match\": \"*\", \"require\": \"publisher\","
	" \"comment\": \"official images and verified publishers only\"}]}";

/* Operation settings: key, default, why a deny happens (for messages). */
static const struct {
	const char *key;
	bool default_allowed;
} op_settings[TG_SET_COUNT] = {
	[TG_SET_BUILD] = {"build", false},
	[TG_SET_LOAD] = {"load", false},
	[TG_SET_IMPORT] = {"import", false},
	[TG_SET_COMMIT] = {"commit", false},
	[TG_SET_PUSH] = {"push", true},
	[TG_SET_EXEC] = {"exec", true},
	[TG_SET_PLUGIN_CREATE] = {"plugin_create", false},
	[TG_SET_OTHER_WRITES] = {"other_writes", true},
	[TG_SET_BUILDKIT] = {"buildkit", false},
	[TG_SET_BUILD_REMOTE] = {"build_remote", false},
};

/* Cache settings: key in "cache", default, bounds. */
static const struct {
	const char *key;
	long def, min, max;
} cache_settings[TG_CACHE_SETTING_COUNT] = {
	[TG_CACHE_TAG_TTL] = {"tag_ttl_seconds", 60, 0, 86400},
	[TG_CACHE_VERDICT_TTL] = {"verdict_ttl_seconds", 86400, 0, 30 * 86400},
	[TG_CACHE_NEGATIVE_TTL] = {"negative_ttl_seconds", 30, 0, 3600},
	[TG_CACHE_STALE_IF_ERROR] = {"stale_if_error_seconds", 0, 0, 7 * 86400},
	[TG_CACHE_MAX_ENTRIES] = {"max_entries", 100000, 100, 1000000},
};

static const char *const requirement_names[] = {
	[TG_REQUIRE_ALLOW] = "allow",
	[TG_REQUIRE_PUBLISHER] = "publisher",
	[TG_REQUIRE_SIGNED] = "signed",
	[TG_REQUIRE_DENY] = "deny",
};

int tg_pv_fail(struct ctx *c, const char *fmt, ...)
{
	char what[TG_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	int line = 0, col = 0;
	size_t depth = c->depth < sizeof(c->path) / sizeof(c->path[0]) ? c->depth
	                                                               : sizeof(c->path) / sizeof(c->path[0]);
	if (tg_jsonpos_locate(c->text, c->len, c->path, depth, &line, &col) < 0)
		line = col = 1;
	return tg_error_set(c->err, TG_EINVAL, "%s:%d:%d: %s", c->source, line, col, what);
}

void tg_pv_push_key(struct ctx *c, const char *key)
{
	if (c->depth < sizeof(c->path) / sizeof(c->path[0]))
		c->path[c->depth] = (tg_jsonpos_step){key, -1};
	c->depth++; /* deeper steps are not located, but popped in step */
}

void tg_pv_push_index(struct ctx *c, size_t index)
{
	if (c->depth < sizeof(c->path) / sizeof(c->path[0]))
		c->path[c->depth] = (tg_jsonpos_step){NULL, (long)index};
	c->depth++;
}

void tg_pv_pop(struct ctx *c)
{
	c->depth--;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void tg_pv_free_strings(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* A name pattern or publisher: lower case, no spaces or control chars. */
static int check_name_text(struct ctx *c, const char *s, const char *what, bool allow_glob)
{
	if (s[0] == '\0')
		return tg_pv_fail(c, "%s is empty", what);
	if (strlen(s) > TEXT_MAX)
		return tg_pv_fail(c, "%s is longer than %d characters", what, TEXT_MAX);
	for (const char *p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			return tg_pv_fail(c, "%s \"%s\" has upper-case letters; image names are matched in lower case",
			            what, s);
		if ((unsigned char)*p <= ' ' || *p == '@')
			return tg_pv_fail(c, "%s \"%s\" contains '%c', which no image repository has", what, s,
			            *p > ' ' ? *p : '?');
		if (!allow_glob && (*p == '*' || *p == '?'))
			return tg_pv_fail(c, "%s \"%s\" may not contain wildcards", what, s);
	}
	return TG_OK;
}

int tg_pv_load_string_list(struct ctx *c, json_t *v, const char *what, bool names, char ***out,
                            size_t *n_out)
{
	if (!json_is_array(v))
		return tg_pv_fail(c, "%s must be a list of strings", what);
	size_t n = json_array_size(v);
	if (n > NAME_LIST_MAX)
		return tg_pv_fail(c, "%s has more than %d entries", what, NAME_LIST_MAX);
	char **list = calloc(n ? n : 1, sizeof(*list));
	if (list == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	int rc = TG_OK;
	for (size_t i = 0; i < n && rc == TG_OK; i++) {
		json_t *item = json_array_get(v, i);
		tg_pv_push_index(c, i);
		if (!json_is_string(item))
			rc = tg_pv_fail(c, "%s entries must be strings", what);
		else if (names)
			rc = check_name_text(c, json_string_value(item), "a verified publisher", false);
		if (rc == TG_OK && names && json_string_value(item)[json_string_length(item) - 1] == '/')
			rc = tg_pv_fail(c, "verified publisher \"%s\" must not end with '/'", json_string_value(item));
		if (rc == TG_OK && (list[i] = strdup(json_string_value(item))) == NULL)
			rc = tg_error_set(c->err, TG_ENOMEM, "out of memory");
		tg_pv_pop(c);
	}
	if (rc != TG_OK) {
		tg_pv_free_strings(list, n);
		return rc;
	}
	*out = list;
	*n_out = n;
	return TG_OK;
}

static int parse_requirement(struct ctx *c, json_t *v, enum tg_requirement *out)
{
	const char *s = json_string_value(v);
	for (size_t i = 0; s != NULL && i < sizeof(requirement_names) / sizeof(requirement_names[0]); i++) {
		if (strcmp(s, requirement_names[i]) == 0) {
			*out = (enum tg_requirement)i;
			return TG_OK;
		}
	}
	return tg_pv_fail(c, "\"require\" must be one of \"allow\", \"publisher\", \"signed\", \"deny\"%s%s%s",
	            s ? " (not \"" : "", s ? s : "", s ? "\")" : "");
}

const char *tg_local_images_name(enum tg_local_images v)
{
	static const char *const names[] = {"deny", "allow", "trusted_base"};
	return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

static int parse_local_images(struct ctx *c, const char *s, enum tg_local_images *out)
{
	for (int v = TG_LOCAL_DENY; v <= TG_LOCAL_TRUSTED_BASE; v++) {
		if (strcmp(s, tg_local_images_name((enum tg_local_images)v)) == 0) {
			*out = (enum tg_local_images)v;
			return TG_OK;
		}
	}
	return tg_pv_fail(c, "\"local_images\" must be one of \"deny\", \"allow\", \"trusted_base\" "
	                  "(not \"%s\")", s);
}

static int check_rule_keys(struct ctx *c, json_t *rule)
{
	static const char *const known[] = {"match", "require", "trust_roots", "trust_roots_required",
	                                    "reason", "local_images", "container", "comment"};
	const char *key;
	json_t *v;
	json_object_foreach(rule, key, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		tg_pv_push_key(c, key);
		if (!ok)
			return tg_pv_fail(c, "unknown rule key \"%s\" (known: match, require, trust_roots, "
			                  "trust_roots_required, reason, local_images, container, comment)", key);
		if (strcmp(key, "trust_roots") != 0 && strcmp(key, "container") != 0 && !json_is_string(v))
			return tg_pv_fail(c, "rule key \"%s\" must be a string", key);
		tg_pv_pop(c);
	}
	return TG_OK;
}

static int load_rule(struct ctx *c, json_t *obj, size_t number, tg_rule *rule)
{
	if (!json_is_object(obj))
		return tg_pv_fail(c, "each rule must be an object like {\"match\": \"docker.io/library/*\", "
		               "\"require\": \"allow\"}");
	int rc = check_rule_keys(c, obj);
	if (rc != TG_OK)
		return rc;
	json_t *match = json_object_get(obj, "match"), *require = json_object_get(obj, "require");
	json_t *roots = json_object_get(obj, "trust_roots");
	if (match == NULL)
		return tg_pv_fail(c, "rule %zu has no \"match\"", number);
	if (require == NULL)
		return tg_pv_fail(c, "rule %zu has no \"require\"", number);
	tg_pv_push_key(c, "match");
	rc = check_name_text(c, json_string_value(match), "\"match\" pattern", true);
	tg_pv_pop(c);
	tg_pv_push_key(c, "require");
	if (rc == TG_OK)
		rc = parse_requirement(c, require, &rule->require);
	tg_pv_pop(c);
	if (rc != TG_OK)
		return rc;
	if (rule->require == TG_REQUIRE_SIGNED && roots == NULL)
		return tg_pv_fail(c, "rule %zu requires \"signed\" but names no \"trust_roots\"", number);
	if (rule->require != TG_REQUIRE_SIGNED && roots != NULL)
		return tg_pv_fail(c, "\"trust_roots\" only applies to rules with \"require\": \"signed\"");
	if (roots != NULL) {
		tg_pv_push_key(c, "trust_roots");
		rc = tg_pv_load_string_list(c, roots, "\"trust_roots\"", false, &rule->trust_roots,
		                      &rule->n_trust_roots);
		if (rc == TG_OK && rule->n_trust_roots > 8)
			rc = tg_pv_fail(c, "\"trust_roots\" names more than 8 trust roots");
		if (rc == TG_OK && rule->n_trust_roots == 0)
			rc = tg_pv_fail(c, "\"trust_roots\" is empty: name at least one trust root");
		tg_pv_pop(c);
		if (rc != TG_OK)
			return rc;
	}
	const char *required = json_string_value(json_object_get(obj, "trust_roots_required"));
	if (required != NULL) {
		tg_pv_push_key(c, "trust_roots_required");
		if (strcmp(required, "all") != 0 && strcmp(required, "any") != 0)
			return tg_pv_fail(c, "\"trust_roots_required\" must be \"any\" or \"all\"");
		if (roots == NULL)
			return tg_pv_fail(c, "\"trust_roots_required\" goes with \"trust_roots\"");
		rule->all_roots = strcmp(required, "all") == 0;
		tg_pv_pop(c);
	}
	json_t *local = json_object_get(obj, "local_images");
	if (local != NULL) {
		tg_pv_push_key(c, "local_images");
		rc = parse_local_images(c, json_string_value(local), &rule->local_images);
		if (rc == TG_OK && rule->require == TG_REQUIRE_DENY && rule->local_images != TG_LOCAL_DENY)
			rc = tg_pv_fail(c, "a rule that denies its images cannot let local ones through: "
			                "drop \"local_images\" or change \"require\"");
		tg_pv_pop(c);
		if (rc != TG_OK)
			return rc;
	}
	json_t *container = json_object_get(obj, "container");
	if (container != NULL) {
		tg_pv_push_key(c, "container");
		rc = tg_pv_load_rule_container(c, container, rule);
		tg_pv_pop(c);
		if (rc != TG_OK)
			return rc;
	}
	rule->number = number;
	rule->match = strdup(json_string_value(match));
	rule->reason = dup_or_null(json_string_value(json_object_get(obj, "reason")));
	return rule->match ? TG_OK : tg_error_set(c->err, TG_ENOMEM, "out of memory");
}

static int load_rules(struct ctx *c, json_t *v, tg_policy *p)
{
	if (!json_is_array(v))
		return tg_pv_fail(c, "\"rules\" must be a list of rules");
	size_t n = json_array_size(v);
	if (n > RULES_MAX)
		return tg_pv_fail(c, "\"rules\" has more than %d entries", RULES_MAX);
	p->rules = calloc(n ? n : 1, sizeof(*p->rules));
	if (p->rules == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		tg_pv_push_index(c, i);
		int rc = load_rule(c, json_array_get(v, i), i + 1, &p->rules[i]);
		tg_pv_pop(c);
		p->n_rules = i + 1; /* so tg_policy_free releases what was filled */
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

static int load_operations(struct ctx *c, json_t *v, tg_policy *p)
{
	if (!json_is_object(v))
		return tg_pv_fail(c, "\"operations\" must be an object like {\"build\": \"allow\"}");
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val) {
		size_t i;
		for (i = 0; i < TG_SET_COUNT && strcmp(key, op_settings[i].key) != 0; i++)
			;
		tg_pv_push_key(c, key);
		if (i == TG_SET_COUNT)
			return tg_pv_fail(c, "unknown operation \"%s\" (known: build, build_remote, buildkit, "
			                  "load, import, commit, push, exec, plugin_create, other_writes)", key);
		const char *s = json_string_value(val);
		bool check_image = i == TG_SET_EXEC && s != NULL && strcmp(s, "check_image") == 0;
		if (s == NULL || (strcmp(s, "allow") != 0 && strcmp(s, "deny") != 0 && !check_image))
			return tg_pv_fail(c, "operation \"%s\" must be \"allow\" or \"deny\"%s", key,
			                  i == TG_SET_EXEC ? " or \"check_image\"" : "");
		p->ops_allowed[i] = strcmp(s, "deny") != 0;
		p->exec_checks_image = p->exec_checks_image || check_image;
		tg_pv_pop(c);
	}
	return TG_OK;
}

static int load_mode(struct ctx *c, json_t *v, tg_policy *p)
{
	const char *s = json_string_value(v);
	if (s != NULL && strcmp(s, "enforce") == 0)
		p->mode = TG_MODE_ENFORCE;
	else if (s != NULL && strcmp(s, "audit") == 0)
		p->mode = TG_MODE_AUDIT;
	else
		return tg_pv_fail(c, "\"mode\" must be \"enforce\" or \"audit\"");
	return TG_OK;
}

static int load_official(struct ctx *c, json_t *v, tg_policy *p)
{
	if (!json_is_boolean(v))
		return tg_pv_fail(c, "\"official_images\" must be true or false");
	p->official_images = json_is_true(v);
	return TG_OK;
}

static int load_verified(struct ctx *c, json_t *v, tg_policy *p)
{
	return tg_pv_load_string_list(c, v, "\"verified_publishers\"", true, &p->verified_publishers,
	                        &p->n_verified_publishers);
}

static int load_cache(struct ctx *c, json_t *v, tg_policy *p)
{
	if (!json_is_object(v))
		return tg_pv_fail(c, "\"cache\" must be an object like {\"tag_ttl_seconds\": 60}");
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val) {
		size_t i;
		for (i = 0; i < TG_CACHE_SETTING_COUNT && strcmp(key, cache_settings[i].key) != 0; i++)
			;
		tg_pv_push_key(c, key);
		if (i == TG_CACHE_SETTING_COUNT)
			return tg_pv_fail(c, "unknown cache setting \"%s\" (known: tag_ttl_seconds, "
			                     "verdict_ttl_seconds, negative_ttl_seconds, stale_if_error_seconds, "
			                     "max_entries)", key);
		json_int_t n = json_integer_value(val);
		if (!json_is_integer(val) || n < cache_settings[i].min || n > cache_settings[i].max)
			return tg_pv_fail(c, "\"%s\" must be a whole number from %ld to %ld", key,
			                  cache_settings[i].min, cache_settings[i].max);
		p->cache[i] = (long)n;
		tg_pv_pop(c);
	}
	return TG_OK;
}

long tg_policy_cache_setting(const tg_policy *p, enum tg_cache_setting which)
{
	return which < TG_CACHE_SETTING_COUNT ? p->cache[which] : 0;
}

static int load_comment(struct ctx *c, json_t *v, tg_policy *p)
{
	return json_is_string(v) ? TG_OK : tg_pv_fail(c, "\"comment\" must be a string");
}

static const struct {
	const char *key;
	int (*load)(struct ctx *c, json_t *v, tg_policy *p);
} top_level_keys[] = {
	{"mode", load_mode},
	{"official_images", load_official},
	{"verified_publishers", load_verified},
	{"rules", load_rules},
	{"operations", load_operations},
	{"comment", load_comment},
	{"trust_roots", tg_pv_load_trust_roots},
	{"registries", tg_pv_load_registries},
	{"cache", load_cache},
	{"container", tg_pv_load_container},
};

static int load_root(struct ctx *c, json_t *root, tg_policy *p)
{
	if (!json_is_object(root))
		return tg_pv_fail(c, "a policy must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		size_t n = sizeof(top_level_keys) / sizeof(top_level_keys[0]), i;
		for (i = 0; i < n && strcmp(key, top_level_keys[i].key) != 0; i++)
			;
		tg_pv_push_key(c, key);
		if (i == n)
			return tg_pv_fail(c, "unknown key \"%s\" (known: mode, official_images, verified_publishers, "
			               "rules, operations, trust_roots, registries, cache, container, comment)", key);
		int rc = top_level_keys[i].load(c, v, p);
		if (rc != TG_OK)
			return rc;
		tg_pv_pop(c);
	}
	if (json_object_get(root, "rules") == NULL)
		return tg_pv_fail(c, "a policy needs \"rules\" (for example [{\"match\": \"*\", \"require\": "
		               "\"publisher\"}])");
	return tg_pv_check_rule_roots(c, p);
}

static tg_policy *policy_new(const char *source)
{
	tg_policy *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->source = strdup(source)) == NULL) {
		free(p);
		return NULL;
	}
	p->mode = TG_MODE_ENFORCE;
	p->official_images = true;
	for (size_t i = 0; i < TG_SET_COUNT; i++)
		p->ops_allowed[i] = op_settings[i].default_allowed;
	for (size_t i = 0; i < TG_CACHE_SETTING_COUNT; i++)
		p->cache[i] = cache_settings[i].def;
	if (tg_pv_container_defaults(&p->container) != TG_OK) {
		tg_policy_free(p);
		return NULL;
	}
	return p;
}

int tg_policy_parse(const char *text, size_t len, const char *source, tg_policy **out,
                    tg_error *err)
{
	if (len > TG_POLICY_FILE_MAX)
		return tg_error_set(err, TG_ETOOBIG, "%s: larger than %d bytes", source, TG_POLICY_FILE_MAX);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return tg_error_set(err, TG_EINVAL, "%s:%d:%d: %s", source, jerr.line, jerr.column,
		                    jerr.text);
	tg_policy *p = policy_new(source);
	struct ctx c = {text, len, source, {{0}}, 0, err};
	int rc = p ? load_root(&c, root, p) : tg_error_set(err, TG_ENOMEM, "out of memory");
	json_decref(root);
	if (rc != TG_OK) {
		tg_policy_free(p);
		return rc;
	}
	*out = p;
	return TG_OK;
}

int tg_policy_load_file(const char *path, tg_policy **out, tg_error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return tg_error_set(err, TG_EIO, "%s: cannot open: %s", path, strerror(errno));
	char *text = malloc(TG_POLICY_FILE_MAX + 1);
	size_t n = text ? fread(text, 1, TG_POLICY_FILE_MAX + 1, f) : 0;
	int read_failed = ferror(f);
	fclose(f);
	int rc;
	if (text == NULL)
		rc = tg_error_set(err, TG_ENOMEM, "out of memory");
	else if (read_failed)
		rc = tg_error_set(err, TG_EIO, "%s: read error", path);
	else if (n > TG_POLICY_FILE_MAX)
		rc = tg_error_set(err, TG_ETOOBIG, "%s: larger than %d bytes", path, TG_POLICY_FILE_MAX);
	else
		rc = tg_policy_parse(text, n, path, out, err);
	free(text);
	return rc;
}

int tg_policy_builtin(tg_policy **out, tg_error *err)
{
	int rc = tg_policy_parse(builtin_policy_text, sizeof(builtin_policy_text) - 1,
	                         "the built-in default policy", out, err);
	if (rc == TG_OK)
		(*out)->builtin = true;
	return rc;
}

void tg_policy_free(tg_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].match);
		free(p->rules[i].reason);
		tg_pv_free_strings(p->rules[i].trust_roots, p->rules[i].n_trust_roots);
		tg_pv_free_container(p->rules[i].container);
		free(p->rules[i].container);
	}
	free(p->rules);
	tg_pv_free_container(&p->container);
	tg_pv_free_trust(p);
	tg_pv_free_strings(p->verified_publishers, p->n_verified_publishers);
	free(p->source);
	free(p);
}

const char *tg_policy_source(const tg_policy *p)
{
	return p->source;
}

bool tg_policy_is_builtin(const tg_policy *p)
{
	return p->builtin;
}

enum tg_mode tg_policy_mode(const tg_policy *p)
{
	return p->mode;
}

size_t tg_policy_rule_count(const tg_policy *p)
{
	return p->n_rules;
}

bool tg_policy_official_images(const tg_policy *p)
{
	return p->official_images;
}

bool tg_policy_glob_match(const char *pattern, const char *name)
{
	const char *star = NULL, *resume = NULL;
	while (*name != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			resume = name;
		} else if (*pattern == '?' || *pattern == *name) {
			pattern++;
			name++;
		} else if (star != NULL) {
			pattern = star + 1;
			name = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

/* Specificity: literal characters first, then fewer wildcards. */
static void specificity(const char *pattern, size_t *literals, size_t *wildcards)
{
	*literals = *wildcards = 0;
	for (const char *p = pattern; *p; p++) {
		if (*p == '*' || *p == '?')
			(*wildcards)++;
		else
			(*literals)++;
	}
}

const tg_rule *tg_policy_match(const tg_policy *p, const char *match_name)
{
	const tg_rule *best = NULL;
	size_t best_lit = 0, best_wild = 0;
	for (size_t i = 0; i < p->n_rules; i++) {
		if (!tg_policy_glob_match(p->rules[i].match, match_name))
			continue;
		size_t lit, wild;
		specificity(p->rules[i].match, &lit, &wild);
		if (best == NULL || lit > best_lit || (lit == best_lit && wild < best_wild)) {
			best = &p->rules[i];
			best_lit = lit;
			best_wild = wild;
		}
	}
	return best;
}

const char *tg_policy_verified_publisher(const tg_policy *p, const char *match_name)
{
	for (size_t i = 0; i < p->n_verified_publishers; i++) {
		const char *entry = p->verified_publishers[i];
		size_t n = strlen(entry);
		if (strncmp(match_name, entry, n) == 0 && match_name[n] == '/')
			return entry;
	}
	return NULL;
}

bool tg_policy_operation_allowed(const tg_policy *p, enum tg_op_setting which)
{
	return which < TG_SET_COUNT && p->ops_allowed[which];
}

bool tg_policy_exec_checks_image(const tg_policy *p)
{
	return p->exec_checks_image;
}

const char *tg_policy_operation_key(enum tg_op_setting which)
{
	return which < TG_SET_COUNT ? op_settings[which].key : "?";
}

const char *tg_requirement_name(enum tg_requirement r)
{
	return (size_t)r < sizeof(requirement_names) / sizeof(requirement_names[0])
	               ? requirement_names[r]
	               : "?";
}
