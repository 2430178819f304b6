/* local_image: see local_image.h. */
#include "plugin/local_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	s->n_repo_digests = 0;
	for (size_t i = 0; i < di->n_repo_digests && s->n_repo_digests < TG_INSPECT_DIGESTS_MAX; i++)
		snprintf(s->repo_digests[s->n_repo_digests++], TG_INSPECT_TEXT_MAX, "%s",
		         di->repo_digests[i]);
}

/* The repo digests of img, parsed, with signature lookups where their rule
 * is "signed". TG_EWOULDBLOCK: a lookup needs I/O and lenv may not block. */
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
		size_t k = g->img.n_pulled++;
		g->img.pulled[k] = ref;
		const tg_rule *rule = tg_authz_rule_for(policy, &ref);
		if (rule == NULL || rule->require != TG_REQUIRE_SIGNED)
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
	g->img.base = TG_BASE_NONE;
	if (tg_docker_list_pulled_images(lenv->docker_socket, lenv->session, lenv->docker_timeout_ms,
	                                 &ids, &n, &err) != TG_OK)
		return;
	tg_docker_image *cand = malloc(sizeof(*cand));
	struct gathered *cg = malloc(sizeof(*cg));
	for (size_t i = 0; cand != NULL && cg != NULL && i < n; i++) {
		if (strcmp(ids[i], mine->id) == 0 ||
		    tg_docker_inspect_image(lenv->docker_socket, lenv->session, ids[i],
		                            lenv->docker_timeout_ms, cand, &err) != TG_OK ||
		    !layers_begin(cand, mine) || cand->n_layers <= best_layers)
			continue;
		memset(cg, 0, sizeof(*cg));
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

/* The name a container was created with, when it is a name (not an ID). */
static void name_of_container(const char *image_name, tg_local_image *img)
{
	tg_error ignore;
	if (image_name[0] == '\0' || tg_reference_is_image_id(image_name) ||
	    strncmp(image_name, "sha256:", 7) == 0)
		return;
	img->has_name = tg_reference_parse(image_name, &img->name, &ignore) == TG_OK;
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
		g->img.has_name = op->has_ref;
		g->img.name = op->ref;
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
	if (lenv->cache != NULL)
		tg_inspect_cache_put_container(lenv->cache, c.id, c.image_id, c.image_name,
		                               g->img.container);
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
	char name[TG_INSPECT_TEXT_MAX], image_name[TG_INSPECT_TEXT_MAX];
	if (lenv->cache == NULL || lenv->docker_socket == NULL)
		return TG_EWOULDBLOCK;
	if (op->kind == TG_OP_START || op->kind == TG_OP_EXEC) {
		if (!tg_inspect_cache_get_container(lenv->cache, op->object, name, image_name,
		                                    g->img.container))
			return TG_EWOULDBLOCK;
		name_of_container(image_name, &g->img);
	} else {
		snprintf(name, sizeof(name), "%.399s", op->image);
		g->img.has_name = op->has_ref;
		g->img.name = op->ref;
	}
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
