/* local_image: see local_image.h. */
#include "plugin/local_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tg_log.h"
#include "trustcache/cache.h"
#include "trustcache/docker.h"

/* A local image and the signature facts of its repo digests. */
struct gathered {
	tg_local_image img;
	tg_trust_facts facts[TG_LOCAL_PULLED_MAX];
};

static void summarize(const tg_docker_image *di, tg_image_summary *s)
{
	snprintf(s->id, sizeof(s->id), "%s", di->id);
	snprintf(s->user, sizeof(s->user), "%s", di->user);
	s->n_repo_digests = 0;
	for (size_t i = 0; i < di->n_repo_digests && s->n_repo_digests < TG_INSPECT_DIGESTS_MAX; i++)
		snprintf(s->repo_digests[s->n_repo_digests++], TG_INSPECT_TEXT_MAX, "%s",
		         di->repo_digests[i]);
}

/* The repo digests of img, parsed, with signature lookups where their rule
 * is "signed" (with g->img.digests_unproven, only those: the others prove
 * nothing). TG_EWOULDBLOCK: a lookup needs I/O and lenv may not block. */
static int fill_pulled(const tg_policy *policy, const struct tg_local_env *lenv,
                       const tg_image_summary *img, struct gathered *g)
{
	snprintf(g->img.id, sizeof(g->img.id), "%s", img->id);
	g->img.found = true;
	for (size_t i = 0; i < img->n_repo_digests && g->img.n_pulled < TG_LOCAL_PULLED_MAX; i++) {
		tg_reference ref;
		tg_error ignore;
		if (tg_reference_parse(img->repo_digests[i], &ref, &ignore) != TG_OK ||
		    ref.digest[0] == '\0')
			continue; /* dockerd writes repo@digest; anything else proves nothing */
		const tg_rule *rule = tg_authz_rule_for(policy, &ref);
		bool signed_rule = rule != NULL && rule->require == TG_REQUIRE_SIGNED;
		if (g->img.digests_unproven && !signed_rule)
			continue;
		size_t k = g->img.n_pulled++;
		g->img.pulled[k] = ref;
		if (!signed_rule)
			continue;
		tg_operation sub;
		memset(&sub, 0, sizeof(sub));
		sub.kind = TG_OP_CREATE;
		sub.ref = ref;
		sub.has_ref = true;
		if (tg_signatures_lookup(policy, rule, &sub, &lenv->sig, &g->facts[k]) != TG_OK)
			return TG_EWOULDBLOCK;
		g->img.pulled_facts[k] = &g->facts[k];
	}
	return TG_OK;
}

static bool layers_begin(const tg_docker_image *base, const tg_docker_image *img)
{
	if (base->n_layers == 0 || base->n_layers > img->n_layers)
		return false;
	for (size_t i = 0; i < base->n_layers; i++)
		if (strcmp(base->layers[i], img->layers[i]) != 0)
			return false;
	return true;
}

/* Look for mine's trusted base among the pulled images: the one with the
 * most layers wins (the closest base). Sets g->img.base. */
static void find_base(const tg_policy *policy, const tg_decide_env *env,
                      const struct tg_local_env *lenv, const tg_docker_image *mine,
                      struct gathered *g)
{
	char **ids = NULL;
	size_t n = 0, best_layers = 0;
	tg_error err;
	g->img.base = TG_BASE_NONE; /* also when the search runs out of time */
	int64_t deadline = tg_cache_monotonic_ms() + lenv->docker_timeout_ms;
	if (tg_docker_list_pulled_images(lenv->docker_socket, lenv->session, lenv->docker_timeout_ms,
	                                 &ids, &n, &err) != TG_OK)
		return;
	tg_docker_image *cand = malloc(sizeof(*cand));
	struct gathered *cg = malloc(sizeof(*cg));
	for (size_t i = 0; cand != NULL && cg != NULL && i < n; i++) {
		int64_t left = deadline - tg_cache_monotonic_ms();
		if (left <= 0) {
			tg_log(TG_LOG_WARN, "the search for %.19s...'s trusted base stopped after %ld ms "
			       "(%zu of %zu pulled images looked at)", mine->id, lenv->docker_timeout_ms, i, n);
			break;
		}
		if (strcmp(ids[i], mine->id) == 0 ||
		    tg_docker_inspect_image(lenv->docker_socket, lenv->session, ids[i], (long)left, cand,
		                            &err) != TG_OK ||
		    !layers_begin(cand, mine) || cand->n_layers <= best_layers)
			continue;
		memset(cg, 0, sizeof(*cg));
		cg->img.digests_unproven = g->img.digests_unproven;
		tg_image_summary cs;
		summarize(cand, &cs);
		fill_pulled(policy, lenv, &cs, cg);
		int trusted = tg_authz_trusted_pulled(policy, env, &cg->img);
		if (trusted < 0)
			continue;
		best_layers = cand->n_layers;
		g->img.base = TG_BASE_FOUND;
		snprintf(g->img.base_id, sizeof(g->img.base_id), "%s", cand->id);
		tg_reference_string(&cg->img.pulled[trusted], true, g->img.base_pulled,
		                    sizeof(g->img.base_pulled));
	}
	free(cand);
	free(cg);
	tg_docker_ids_free(ids, n);
}

/* Whether dockerd could read text as a (short) image ID: when no image has
 * that name, it looks for an ID that starts with it. */
static bool may_be_id(const char *text)
{
	const char *p = strncmp(text, "sha256:", 7) == 0 ? text + 7 : text;
	if (*p == '\0')
		return true;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* The name a container was created with, when it is a name (not an ID):
 * its rule's "local_images" then applies. */
static void name_of_container(const char *image_name, tg_local_image *img)
{
	tg_error ignore;
	if (may_be_id(image_name))
		return;
	img->has_name = tg_reference_parse(image_name, &img->name, &ignore) == TG_OK;
}

/* The name a create or tag uses; not one dockerd may have read as an ID
 * prefix (its rule would say nothing about the image found). */
static void take_request_name(const tg_operation *op, tg_local_image *img)
{
	img->has_name = op->has_ref && !may_be_id(op->image);
	img->name = op->ref;
}

/* Which image op uses: *name_out for the image inspect, or a reason in
 * g->img.id (found false). */
static bool image_to_inspect(const struct tg_local_env *lenv, const tg_operation *op,
                             struct gathered *g, char *name_out, size_t n)
{
	if (lenv->docker_socket == NULL) {
		snprintf(g->img.id, sizeof(g->img.id), "trustgate has no dockerd API socket to ask "
		         "which image it is (--docker-socket)");
		return false;
	}
	if (op->kind != TG_OP_START && op->kind != TG_OP_EXEC) {
		snprintf(name_out, n, "%s", op->image);
		take_request_name(op, &g->img);
		return true;
	}
	tg_docker_container c;
	tg_error err;
	if (tg_docker_inspect_container(lenv->docker_socket, lenv->session, op->object,
	                                lenv->docker_timeout_ms, &c, &err) != TG_OK) {
		snprintf(g->img.id, sizeof(g->img.id), "its image could not be checked: %.300s", err.msg);
		return false;
	}
	snprintf(name_out, n, "%s", c.image_id);
	snprintf(g->img.container, sizeof(g->img.container), "%.200s (%.12s)",
	         c.name[0] ? c.name : op->object, c.id);
	name_of_container(c.image_name, &g->img);
	return true;
}

static void take_facts(const struct gathered *g, tg_trust_facts *facts)
{
	facts->n = 0;
	for (size_t i = 0; i < g->img.n_pulled; i++)
		if (g->img.pulled_facts[i] != NULL && facts->n + g->facts[i].n <= TG_SIG_FACTS_MAX) {
			memcpy(&facts->sig[facts->n], g->facts[i].sig, g->facts[i].n * sizeof(tg_sig_fact));
			facts->n += g->facts[i].n;
		}
}

/* An image dockerd does not have, named by the request: as a pull. */
static void decide_by_name(const tg_policy *policy, const tg_operation *op,
                           const struct tg_local_env *lenv, tg_decision *out,
                           tg_trust_facts *facts)
{
	tg_authz_decide_name(policy, op, NULL, out);
	if (out->needs_signatures) {
		tg_signatures_lookup(policy, out->rule, op, &lenv->sig, facts);
		tg_authz_decide_name(policy, op, facts, out);
	}
}

/* From what the inspect cache and the trust cache hold, with no I/O. */
static int decide_cached(const tg_policy *policy, const tg_decide_env *env,
                         const tg_operation *op, const struct tg_local_env *lenv,
                         struct gathered *g, tg_decision *out, tg_trust_facts *facts)
{
	char name[TG_INSPECT_TEXT_MAX];
	/* A start or exec always asks dockerd which container it is: a name can
	 * be taken by another container (even one named like an old ID). */
	if (lenv->cache == NULL || lenv->docker_socket == NULL || op->kind == TG_OP_START ||
	    op->kind == TG_OP_EXEC || strlen(op->image) >= sizeof(name))
		return TG_EWOULDBLOCK;
	snprintf(name, sizeof(name), "%.399s", op->image); /* fits: checked above */
	take_request_name(op, &g->img);
	int64_t now = tg_cache_monotonic_ms();
	if (!tg_inspect_cache_get_store(lenv->cache, now, &g->img.digests_unproven))
		return TG_EWOULDBLOCK;
	tg_image_summary *img = malloc(sizeof(*img));
	int rc = img != NULL && tg_inspect_cache_get_image(lenv->cache, name,
	                                                   tg_cache_monotonic_ms(), img)
	                 ? fill_pulled(policy, lenv, img, g)
	                 : TG_EWOULDBLOCK;
	free(img);
	if (rc != TG_OK)
		return rc;
	tg_authz_decide_local(policy, env, op, &g->img, out);
	if (out->needs_base)
		return TG_EWOULDBLOCK; /* looking for a base asks dockerd */
	take_facts(g, facts);
	return TG_OK;
}

/* Which image store dockerd uses; when that cannot be learned, repo
 * digests are taken as proving nothing (fail closed). */
static void learn_store(const struct tg_local_env *lenv, struct gathered *g)
{
	bool containerd = true;
	tg_error err;
	int64_t now = tg_cache_monotonic_ms();
	if (lenv->cache != NULL && tg_inspect_cache_get_store(lenv->cache, now, &containerd)) {
		g->img.digests_unproven = containerd;
		return;
	}
	if (tg_docker_uses_containerd_store(lenv->docker_socket, lenv->session,
	                                    lenv->docker_timeout_ms, &containerd, &err) != TG_OK) {
		tg_log(TG_LOG_WARN, "cannot tell dockerd's image store, so repo digests prove nothing "
		       "this time: %s", err.msg);
		containerd = true;
	} else if (lenv->cache != NULL) {
		tg_inspect_cache_put_store(lenv->cache, containerd, now);
	}
	g->img.digests_unproven = containerd;
}

/* Asking dockerd (and the trust roots); what dockerd said is kept. */
static void decide_live(const tg_policy *policy, const tg_decide_env *env,
                        const tg_operation *op, const struct tg_local_env *lenv,
                        struct gathered *g, tg_docker_image *di, tg_decision *out,
                        tg_trust_facts *facts)
{
	char name[TG_OP_TEXT_MAX];
	tg_error err;
	int rc = TG_EIO; /* without an image to ask about, g->img.id says why */
	bool asked = image_to_inspect(lenv, op, g, name, sizeof(name));
	if (asked)
		learn_store(lenv, g);
	if (asked && (rc = tg_docker_inspect_image(lenv->docker_socket, lenv->session, name,
	                                           lenv->docker_timeout_ms, di, &err)) == TG_OK) {
		tg_image_summary *img = malloc(sizeof(*img));
		if (img != NULL) {
			summarize(di, img);
			if (lenv->cache != NULL)
				tg_inspect_cache_put_image(lenv->cache, name, img, tg_cache_monotonic_ms());
			fill_pulled(policy, lenv, img, g);
		}
		free(img);
	}
	bool by_container = op->kind == TG_OP_START || op->kind == TG_OP_EXEC;
	if (rc == TG_ENOTFOUND && !by_container && op->has_ref) {
		decide_by_name(policy, op, lenv, out, facts);
		return;
	}
	if (asked && rc != TG_OK)
		snprintf(g->img.id, sizeof(g->img.id), "%s%.400s",
		         by_container ? "its image could not be checked: " : "", err.msg);
	tg_authz_decide_local(policy, env, op, &g->img, out);
	if (out->needs_base) {
		find_base(policy, env, lenv, di, g);
		tg_authz_decide_local(policy, env, op, &g->img, out);
	}
	take_facts(g, facts);
}

int tg_local_image_decide(const tg_policy *policy, const tg_decide_env *env,
                          const tg_operation *op, const struct tg_local_env *lenv,
                          tg_decision *out, tg_trust_facts *facts)
{
	facts->n = 0;
	struct gathered *g = calloc(1, sizeof(*g));
	tg_docker_image *di = lenv->sig.may_block ? malloc(sizeof(*di)) : NULL;
	int rc = TG_OK;
	if (g == NULL || (lenv->sig.may_block && di == NULL)) {
		memset(out, 0, sizeof(*out));
		out->verdict = TG_VERDICT_DENY;
		snprintf(out->message, sizeof(out->message), "trustgate is out of memory");
	} else if (!lenv->sig.may_block) {
		rc = decide_cached(policy, env, op, lenv, g, out, facts);
	} else {
		decide_live(policy, env, op, lenv, g, di, out, facts);
	}
	free(g);
	free(di);
	return rc;
}
