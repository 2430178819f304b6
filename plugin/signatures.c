/* signatures: see signatures.h. */
#include "plugin/signatures.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "plugin/lookup_cache.h"
#include "trustcache/cosign.h"
#include "trustcache/registry_content.h"
#include "trustcache/sigstore_bundle.h"
#include "trustcache/http.h"
#include "trustcache/notary.h"
#include "trustcache/registry.h"

/* Credentials for a Notary server's token service, wiped after use. */
struct credentials {
	bool set;
	char username[256];
	char password[512];
};

/* The context of one trust root's lookups: where, as whom, until when,
 * and the cache its answers go through. */
struct fetch_ctx {
	const tg_trust_root *root;
	struct timespec deadline;
	const tg_policy *policy;
	tg_cache *cache;       /* NULL: no caching */
	const char *state_dir;
	char root_id[96];      /* trust root name and a fingerprint of its settings */
	tg_sig_fact *fact;     /* where to note how answers were found */
	bool may_block;        /* false: cached answers only, no I/O at all */
	bool would_block;      /* an answer needed I/O that may_block forbade */
	/* Loaded on the first live lookup: a cache hit needs neither. */
	bool trust_loaded, cred_loaded;
	tg_notary_trust trust;
	struct credentials cred;
};

/* Read {"username": ..., "password": ...} from the trust root's root-only
 * file (the policy checked its owner and mode when it loaded). */
static int load_credentials(const char *path, struct credentials *out, tg_error *err)
{
	json_error_t jerr;
	json_t *obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	const char *user = json_string_value(json_object_get(obj, "username"));
	const char *pass = json_string_value(json_object_get(obj, "password"));
	int rc = TG_OK;
	if (user == NULL || pass == NULL || strlen(user) >= sizeof(out->username) ||
	    strlen(pass) >= sizeof(out->password))
		rc = tg_error_set(err, TG_EINVAL, "credentials file %s needs {\"username\": ..., "
		                  "\"password\": ...}", path);
	else {
		strcpy(out->username, user);
		strcpy(out->password, pass);
		out->set = true;
	}
	if (pass != NULL) /* jansson's copy of the password */
		OPENSSL_cleanse((void *)pass, strlen(pass));
	json_decref(obj);
	return rc;
}

static long remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? ms : 0;
}

static int notary_fetch(void *ctx, const char *gun, const char *name, size_t max, tg_buf *out,
                        tg_error *err)
{
	struct fetch_ctx *fc = ctx;
	if (!fc->cred_loaded && fc->root->credentials != NULL) {
		int rc = load_credentials(fc->root->credentials, &fc->cred, err);
		if (rc != TG_OK)
			return rc;
	}
	fc->cred_loaded = true;
	long ms = remaining_ms(&fc->deadline);
	if (ms == 0)
		return tg_error_set(err, TG_ETIMEOUT, "Notary server %s did not answer within %u ms",
		                    fc->root->server, fc->root->timeout_ms);
	char url[2048];
	if (snprintf(url, sizeof(url), "%s/v2/%s/_trust/tuf/%s", fc->root->server, gun, name) >=
	    (int)sizeof(url))
		return tg_error_set(err, TG_ETOOBIG, "Notary URL too long");
	tg_http_options opt = {.ca_file = fc->root->server_ca, .deadline_ms = ms, .max_body = max,
	                       .username = fc->cred.set ? fc->cred.username : NULL,
	                       .password = fc->cred.set ? fc->cred.password : NULL};
	tg_http_response resp;
	int rc = tg_http_get(url, &opt, &resp, err);
	if (rc != TG_OK)
		return rc; /* resp is untouched on failure: nothing to free */
	if (resp.status == 404)
		rc = tg_error_set(err, TG_ENOTFOUND, "%s not found on %s", name, fc->root->server);
	else if (resp.status != 200)
		rc = tg_error_set(err, TG_EIO, "Notary server %s answered HTTP %ld for %s",
		                  fc->root->server, resp.status, name);
	else
		rc = tg_buf_append(out, resp.body.data ? resp.body.data : "", resp.body.len);
	tg_http_response_free(&resp);
	return rc;
}

/* The base URL of ref's registry and how to reach it within what time is
 * left (*opt). */
static int registry_access(const tg_policy *policy, const tg_reference *ref,
                           const struct timespec *deadline, char base[TG_REGISTRY_BASE_URL_MAX],
                           tg_http_options *opt, tg_error *err)
{
	const tg_registry *reg = tg_policy_registry(policy, ref->domain);
	if (reg != NULL)
		snprintf(base, TG_REGISTRY_BASE_URL_MAX, "%s", reg->url);
	else if (tg_registry_base_url(ref->domain, base, TG_REGISTRY_BASE_URL_MAX) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "no registry URL for %s", ref->domain);
	long ms = remaining_ms(deadline);
	if (ms == 0)
		return tg_error_set(err, TG_ETIMEOUT, "no time left to ask registry %s", ref->domain);
	*opt = (tg_http_options){.ca_file = reg ? reg->ca : NULL, .deadline_ms = ms};
	return TG_OK;
}

/* The digest the registry serves for ref's tag, within what time is left. */
static int registry_digest(const tg_policy *policy, const tg_reference *ref,
                           const struct timespec *deadline, char *digest, tg_error *err)
{
	char base[TG_REGISTRY_BASE_URL_MAX];
	tg_http_options opt;
	int rc = registry_access(policy, ref, deadline, base, &opt, err);
	return rc == TG_OK ? tg_registry_manifest_digest(base, ref->path, ref->tag, &opt, digest, err)
	                   : rc;
}

/* Cached answers are tied to the trust root's settings: a changed server,
 * pin or CA gives other keys, so its verdicts are looked up afresh. */
static void fingerprint_root(const tg_trust_root *r, char *out, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;
	const char *parts[] = {r->type == TG_TRUST_ROOT_SIGSTORE ? "sigstore" : "notary", r->server,
	                       r->server_ca, r->root_ca, r->tofu ? "tofu" : "pinned",
	                       r->rekor_public_key, r->trusted_root};
	const size_t n_parts = sizeof(parts) / sizeof(parts[0]);
	for (size_t i = 0; i < n_parts + r->n_root_keys + r->n_public_keys; i++) {
		const char *p = i < n_parts                    ? parts[i]
		                : i < n_parts + r->n_root_keys ? r->root_keys[i - n_parts]
		                                               : r->public_keys[i - n_parts - r->n_root_keys];
		for (; p != NULL && *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0x1f) * 1099511628211ULL;
	}
	h ^= r->keys_hash; /* the keys' contents, read with the policy */
	snprintf(out, n, "%.60s#%016llx", r->name, h);
}

static void note_source(struct fetch_ctx *fc, enum tg_lookup_source s)
{
	if (fc->fact->cache[0] == '\0' || s == TG_LOOKUP_STALE)
		snprintf(fc->fact->cache, sizeof(fc->fact->cache), "%s", tg_lookup_source_name(s));
}

static int64_t deadline_ms(const struct fetch_ctx *fc)
{
	return tg_cache_monotonic_ms() + remaining_ms(&fc->deadline);
}

struct notary_call {
	struct fetch_ctx *fc;
	const char *gun, *want;
	bool by_digest;
};

static int load_trust(struct fetch_ctx *fc, tg_error *err)
{
	if (fc->trust_loaded)
		return TG_OK;
	const tg_trust_root *r = fc->root;
	tg_error why;
	if (tg_notary_trust_load(&fc->trust, r->name, r->root_keys, r->n_root_keys, r->root_ca, r->tofu,
	                         fc->state_dir, &why) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "trust root \"%s\" cannot be loaded: %s", r->name,
		                    why.msg);
	fc->trust_loaded = true;
	return TG_OK;
}

static int notary_call_fn(void *arg, tg_cache_value *v, tg_error *err)
{
	struct notary_call *c = arg;
	struct fetch_ctx *fc = c->fc;
	tg_notary_target t;
	int rc = load_trust(fc, err);
	if (rc != TG_OK)
		return rc;
	rc = c->by_digest ? tg_notary_lookup_digest(&fc->trust, notary_fetch, fc, c->gun, c->want,
	                                            time(NULL), &t, err)
	                  : tg_notary_lookup_tag(&fc->trust, notary_fetch, fc, c->gun, c->want,
	                                         time(NULL), &t, err);
	if (rc == TG_OK) {
		snprintf(v->digest, sizeof(v->digest), "%s", t.digest);
		snprintf(v->signer, sizeof(v->signer), "%s", t.role);
		snprintf(v->detail, sizeof(v->detail), "%s", t.tag);
	}
	return rc;
}

/* key through the cache: a live lookup by fn, or with may_block false a
 * fresh cached answer only (else TG_EWOULDBLOCK, noted in fc). */
static int cached_answer(struct fetch_ctx *fc, const char *key, enum tg_cache_setting ttl,
                         tg_lookup_fn fn, void *arg, tg_cache_value *v, tg_error *err)
{
	enum tg_lookup_source src;
	int rc = fc->may_block ? tg_lookup_cached(fc->cache, fc->policy, key, ttl, deadline_ms(fc), fn,
	                                          arg, v, &src, err)
	                       : tg_lookup_cached_peek(fc->cache, key, v, &src, err);
	if (rc == TG_EWOULDBLOCK)
		fc->would_block = true;
	else
		note_source(fc, src);
	return rc;
}

/* A Notary answer for gun's tag or digest, through the cache. */
static int notary_answer(struct fetch_ctx *fc, const char *gun, bool by_digest, const char *want,
                         tg_notary_target *t, tg_error *err)
{
	char key[TG_CACHE_KEY_MAX];
	snprintf(key, sizeof(key), "%s\x1fnotary\x1f%s\x1f%s\x1f%s", gun, fc->root_id,
	         by_digest ? "digest" : "tag", want);
	struct notary_call call = {fc, gun, want, by_digest};
	tg_cache_value v;
	int rc = cached_answer(fc, key, by_digest ? TG_CACHE_VERDICT_TTL : TG_CACHE_TAG_TTL,
	                       notary_call_fn, &call, &v, err);
	if (rc == TG_OK) {
		memset(t, 0, sizeof(*t));
		snprintf(t->digest, sizeof(t->digest), "%s", v.digest);
		snprintf(t->role, sizeof(t->role), "%s", v.signer);
		snprintf(t->tag, sizeof(t->tag), "%.128s", by_digest ? v.detail : want);
	}
	return rc;
}

static void set_fact(tg_sig_fact *f, enum tg_sig_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_fact(tg_sig_fact *f, enum tg_sig_status status, const char *fmt, ...)
{
	va_list ap;
	f->status = status;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

/* What was signed, for the fact (its status and detail are set apart). */
static void note_target(tg_sig_fact *f, const tg_notary_target *t)
{
	snprintf(f->digest, sizeof(f->digest), "%s", t->digest);
	snprintf(f->signer, sizeof(f->signer), "%s", t->role);
}

/* A lookup error: "not signed" when the trust data says so, else failed. */
struct registry_call {
	struct fetch_ctx *fc;
	const tg_reference *ref;
};

static int registry_call_fn(void *arg, tg_cache_value *v, tg_error *err)
{
	struct registry_call *c = arg;
	return registry_digest(c->fc->policy, c->ref, &c->fc->deadline, v->digest, err);
}

/* The digest a registry serves for a tag, through the cache (tag TTL). */
static int registry_answer(struct fetch_ctx *fc, const char *gun, const tg_reference *ref,
                           char *digest, tg_error *err)
{
	char key[TG_CACHE_KEY_MAX];
	snprintf(key, sizeof(key), "%s\x1fregistry\x1f%s", gun, ref->tag);
	struct registry_call call = {fc, ref};
	tg_cache_value v;
	int rc = cached_answer(fc, key, TG_CACHE_TAG_TTL, registry_call_fn, &call, &v, err);
	if (rc == TG_OK)
		snprintf(digest, TG_REGISTRY_DIGEST_SIZE, "%.71s", v.digest);
	return rc;
}

static void set_lookup_error(tg_sig_fact *f, int rc, const tg_error *err)
{
	set_fact(f, rc == TG_ENOTFOUND ? TG_SIG_NOT_SIGNED : TG_SIG_FAILED, "%s", err->msg);
}

static void check_by_digest(struct fetch_ctx *fc, const char *gun, const tg_reference *ref,
                            tg_sig_fact *f)
{
	tg_notary_target t;
	tg_error err;
	int rc = notary_answer(fc, gun, true, ref->digest, &t, &err);
	if (rc != TG_OK) {
		set_lookup_error(f, rc, &err);
		return;
	}
	note_target(f, &t);
	set_fact(f, TG_SIG_VERIFIED, "%s is signed as tag \"%s\" by %s", t.digest, t.tag, t.role);
}

/* By tag; for a pull, the registry must serve the signed digest. */
static void check_by_tag(struct fetch_ctx *fc, const char *gun, const tg_operation *op,
                         const tg_reference *ref, tg_sig_fact *f)
{
	tg_notary_target t;
	tg_error err;
	int rc = notary_answer(fc, gun, false, ref->tag, &t, &err);
	if (rc != TG_OK) {
		set_lookup_error(f, rc, &err);
		return;
	}
	note_target(f, &t);
	bool pulls = op->kind == TG_OP_PULL || op->kind == TG_OP_PLUGIN_PULL ||
	             op->kind == TG_OP_PLUGIN_UPGRADE;
	if (!pulls) {
		set_fact(f, TG_SIG_VERIFIED, "tag \"%s\" is signed by %s as %s", t.tag, t.role, t.digest);
		return;
	}
	char served[TG_REGISTRY_DIGEST_SIZE];
	if ((rc = registry_answer(fc, gun, ref, served, &err)) != TG_OK)
		set_fact(f, TG_SIG_FAILED, "tag \"%s\" is signed as %s, but the registry's digest for it "
		         "could not be read: %s", t.tag, t.digest, err.msg);
	else if (strcmp(served, t.digest) != 0)
		set_fact(f, TG_SIG_FAILED, "registry %s serves %s for tag \"%s\", but the signed digest is "
		         "%s (the tag was pushed again without signing)", ref->domain, served, t.tag,
		         t.digest);
	else
		set_fact(f, TG_SIG_VERIFIED, "tag \"%s\" is signed by %s as %s, which the registry serves",
		         t.tag, t.role, t.digest);
}

/* ---- Sigstore (cosign, key-based) ---- */

/* The time left of the lookup's deadline into opt, before each fetch (all
 * of a lookup's fetches share one timeout). */
static int time_left(const struct fetch_ctx *fc, tg_http_options *opt, tg_error *err)
{
	opt->deadline_ms = remaining_ms(&fc->deadline);
	return opt->deadline_ms > 0 ? TG_OK
	                            : tg_error_set(err, TG_ETIMEOUT, "the signature lookup took "
	                                           "longer than %u ms", fc->root->timeout_ms);
}

/* A verification failure is a no; the registry being unreachable, slow or
 * out of memory is not, and keeps its code (stale-if-error applies). */
static int as_lookup_code(int rc)
{
	return rc == TG_EIO || rc == TG_ETIMEOUT || rc == TG_ENOMEM ? rc : TG_EINVAL;
}

/* What a sigstore trust root verifies with, loaded for one lookup. */
struct sigstore_material {
	tg_cosign_keys *keys;   /* key-based, or NULL (keyless) */
	tg_sigstore_root *logs; /* the trusted root, or the Rekor key's log; NULL: none required */
	tg_sigstore_signer signers[16];
	tg_sigstore_policy policy;
};

static void material_free(struct sigstore_material *m)
{
	tg_cosign_keys_free(m->keys);
	tg_sigstore_root_free(m->logs);
}

static int material_load(const tg_trust_root *r, struct sigstore_material *m, tg_error *err)
{
	int rc = TG_OK;
	memset(m, 0, sizeof(*m));
	if (r->n_public_keys > 0)
		rc = tg_cosign_keys_load((const char *const *)r->public_keys, r->n_public_keys, &m->keys,
		                         err);
	if (rc == TG_OK && r->trusted_root != NULL)
		rc = tg_sigstore_root_load(r->trusted_root, &m->logs, err);
	else if (rc == TG_OK && r->rekor_public_key != NULL)
		rc = tg_sigstore_root_from_log_key(r->rekor_public_key, &m->logs, err);
	for (size_t i = 0; i < r->n_identities && i < 16; i++)
		m->signers[i] = (tg_sigstore_signer){r->identities[i].subject, r->identities[i].issuer};
	m->policy = (tg_sigstore_policy){m->keys, m->logs, m->signers, r->n_identities,
	                                 TG_SIGSTORE_COSIGN_PREDICATE};
	if (rc != TG_OK)
		material_free(m);
	return rc == TG_OK ? TG_OK : TG_EINVAL; /* a broken key or root is a no, never stale */
}

int tg_signatures_check_roots(const tg_policy *policy, tg_error *err)
{
	for (size_t i = 0; i < tg_policy_trust_root_count(policy); i++) {
		const tg_trust_root *r = tg_policy_trust_root_at(policy, i);
		struct sigstore_material m;
		tg_error why;
		if (r->type != TG_TRUST_ROOT_SIGSTORE)
			continue;
		if (material_load(r, &m, &why) != TG_OK)
			return tg_error_set(err, TG_EINVAL, "trust root \"%s\": %s", r->name, why.msg);
		material_free(&m);
	}
	return TG_OK;
}

struct cosign_call {
	struct fetch_ctx *fc;
	const tg_reference *ref;
	const char *gun, *digest;
	struct sigstore_material m;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* When the root names logs, the signature's transparency-log entry. */
static int check_tlog(const struct sigstore_material *m, json_t *layer,
                      const tg_registry_content *payload, const char *sig, size_t key_index,
                      tg_error *err)
{
	if (m->logs == NULL)
		return TG_OK;
	return tg_cosign_verify_tlog(
		m->logs,
		json_string_value(json_object_get(json_object_get(layer, "annotations"),
		                                  TG_COSIGN_BUNDLE_ANNOTATION)),
		(const unsigned char *)tg_buf_str(&payload->body), payload->body.len, sig,
		tg_cosign_keys_at(m->keys, key_index), err);
}

/* Check the layers of a cosign signature manifest: the first whose payload
 * verifies with one of keys fills *v. Else TG_EINVAL with the first
 * reason. */
static int check_cosign_layers(struct cosign_call *c, const char *base, const tg_http_options *opt, json_t *layers,
                               tg_cache_value *v, tg_error *err)
{
	size_t i, which;
	json_t *layer;
	int rc = tg_error_set(err, TG_EINVAL, "its cosign signature manifest has no signed layer");
	bool first = true;
	json_array_foreach(layers, i, layer) {
		if (i >= 16)
			break;
		const char *sig = json_string_value(json_object_get(
			json_object_get(layer, "annotations"), TG_COSIGN_SIGNATURE_ANNOTATION));
		const char *payload_digest = json_string_value(json_object_get(layer, "digest"));
		tg_registry_content payload;
		tg_error why;
		tg_http_options now = *opt;
		int lrc = sig == NULL || payload_digest == NULL
		                  ? tg_error_set(&why, TG_EINVAL, "a layer without a signature")
		                  : time_left(c->fc, &now, &why);
		if (lrc == TG_OK)
			lrc = tg_registry_fetch_blob(base, c->ref->path, payload_digest,
			                             TG_COSIGN_PAYLOAD_MAX, &now, &payload, &why);
		if (lrc == TG_OK) {
			lrc = tg_cosign_verify(c->m.keys, (const unsigned char *)tg_buf_str(&payload.body),
			                       payload.body.len, sig, c->digest, &which, &why);
			if (lrc == TG_OK)
				lrc = check_tlog(&c->m, layer, &payload, sig, which, &why);
			tg_registry_content_free(&payload);
		}
		if (lrc == TG_OK) {
			snprintf(v->digest, sizeof(v->digest), "%s", c->digest);
			snprintf(v->signer, sizeof(v->signer), "%.63s",
			         base_name(c->fc->root->public_keys[which]));
			return TG_OK;
		}
		if (first)
			rc = tg_error_set(err, as_lookup_code(lrc), "%s", why.msg);
		first = false;
	}
	return rc;
}

/* Who signed, into the verdict: a key's file name, or the keyless
 * identity (its subject in signer, all of it in detail). */
static void record_bundle_signer(const struct cosign_call *c, const tg_sigstore_verified *who,
                                 tg_cache_value *v)
{
	snprintf(v->digest, sizeof(v->digest), "%s", c->digest);
	if (c->m.keys != NULL) {
		snprintf(v->signer, sizeof(v->signer), "%.63s",
		         base_name(c->fc->root->public_keys[who->key_index]));
		snprintf(v->detail, sizeof(v->detail), "bundle");
		return;
	}
	snprintf(v->signer, sizeof(v->signer), "%.63s", who->identity.subject);
	snprintf(v->detail, sizeof(v->detail), "keyless: %.150s (issuer %.80s)",
	         who->identity.subject, who->identity.issuer);
}

/* The Sigstore bundle layer of referrer manifest d, checked. */
static int check_bundle_referrer(struct cosign_call *c, const char *base, const tg_http_options *opt,
                                 const tg_registry_descriptor *d, tg_cache_value *v,
                                 tg_error *err)
{
	tg_registry_content m, blob;
	tg_error why;
	tg_http_options now = *opt;
	int rc = time_left(c->fc, &now, &why);
	if (rc == TG_OK)
		rc = tg_registry_fetch_manifest(base, c->ref->path, d->digest, &now, &m, &why);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "%s", why.msg);
	json_t *root = json_loadb(tg_buf_str(&m.body), m.body.len, 0, NULL);
	size_t i;
	json_t *layer;
	rc = tg_error_set(err, TG_EINVAL, "a Sigstore bundle artifact without a bundle layer");
	json_array_foreach(json_object_get(root, "layers"), i, layer) {
		const char *type = json_string_value(json_object_get(layer, "mediaType"));
		const char *digest = json_string_value(json_object_get(layer, "digest"));
		if (i >= 4 || type == NULL || digest == NULL ||
		    strncmp(type, TG_SIGSTORE_BUNDLE_TYPE_PREFIX, strlen(TG_SIGSTORE_BUNDLE_TYPE_PREFIX)))
			continue;
		if ((rc = time_left(c->fc, &now, err)) == TG_OK)
			rc = tg_registry_fetch_blob(base, c->ref->path, digest, TG_SIGSTORE_BUNDLE_MAX,
			                            &now, &blob, err);
		if (rc != TG_OK)
			break;
		tg_sigstore_verified who;
		rc = tg_sigstore_bundle_verify(tg_buf_str(&blob.body), blob.body.len, &c->m.policy,
		                               c->digest, &who, err);
		tg_registry_content_free(&blob);
		if (rc == TG_OK) {
			record_bundle_signer(c, &who, v);
			break;
		}
	}
	json_decref(root);
	tg_registry_content_free(&m);
	return rc;
}

/* cosign 3: Sigstore bundles that refer to the image (referrers API or its
 * fallback tag). TG_ENOTFOUND when there are none. */
static int check_bundles(struct cosign_call *c, const char *base,
                         const tg_http_options *opt, tg_cache_value *v, tg_error *err)
{
	tg_registry_referrers *refs = malloc(sizeof(*refs));
	if (refs == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	tg_error why;
	tg_http_options now = *opt;
	int rc = time_left(c->fc, &now, &why);
	if (rc == TG_OK)
		rc = tg_registry_list_referrers(base, c->ref->path, c->digest, &now, refs, &why);
	bool seen = false;
	size_t tried = 0;
	if (rc != TG_OK)
		tg_error_set(err, rc, "%s", why.msg);
	for (size_t i = 0; rc == TG_OK && i < refs->n; i++) {
		if (strncmp(refs->items[i].artifact_type, TG_SIGSTORE_BUNDLE_TYPE_PREFIX,
		            strlen(TG_SIGSTORE_BUNDLE_TYPE_PREFIX)) != 0)
			continue;
		if (++tried > 8) /* bounded work, whatever a repository holds */
			break;
		int brc = check_bundle_referrer(c, base, opt, &refs->items[i], v, &why);
		if (brc == TG_OK) {
			free(refs);
			return TG_OK;
		}
		if (!seen) /* the first bundle's reason explains the deny */
			tg_error_set(err, as_lookup_code(brc), "%s", why.msg);
		seen = true;
	}
	free(refs);
	if (rc == TG_OK && !seen)
		rc = TG_ENOTFOUND;
	return rc == TG_OK ? err->code : rc;
}

/* The classic signature manifest m (tag sha256-<hex>.sig), checked with
 * the root's keys. */
static int check_classic(struct cosign_call *c, const char *base, tg_http_options *opt,
                         const tg_registry_content *m, tg_cache_value *v, tg_error *err)
{
	json_t *root_json = json_loadb(tg_buf_str(&m->body), m->body.len, 0, NULL);
	int rc = check_cosign_layers(c, base, opt, json_object_get(root_json, "layers"), v, err);
	json_decref(root_json);
	return rc;
}

/* Sigstore bundles, after a classic signature that did not do (found said
 * whether there was one, why says what was wrong with it). */
static int after_classic(struct cosign_call *c, const char *base, tg_http_options *opt,
                         bool found, const tg_error *why, tg_cache_value *v, tg_error *err)
{
	char tag[96];
	snprintf(tag, sizeof(tag), "sha256-%.64s%s", c->digest + 7, TG_COSIGN_SIG_TAG_SUFFIX);
	int rc = check_bundles(c, base, opt, v, err);
	if (rc != TG_ENOTFOUND)
		return rc;
	if (!found)
		return tg_error_set(err, TG_ENOTFOUND, "%s has no cosign signature in %s (no tag %s, no "
		                    "Sigstore bundle referring to it)", c->digest, c->gun, tag);
	if (c->m.keys == NULL)
		return tg_error_set(err, TG_EINVAL, "%s has only a classic cosign signature (tag %s), "
		                    "which keyless trust roots do not read: sign with Sigstore bundles "
		                    "(cosign 3, or cosign sign --new-bundle-format)", c->digest, tag);
	return tg_error_set(err, why->code, "%s", why->msg);
}

static int cosign_call_fn(void *arg, tg_cache_value *v, tg_error *err)
{
	struct cosign_call *c = arg;
	char base[TG_REGISTRY_BASE_URL_MAX], tag[96];
	tg_http_options opt;
	int rc = material_load(c->fc->root, &c->m, err);
	if (rc != TG_OK)
		return rc;
	rc = registry_access(c->fc->policy, c->ref, &c->fc->deadline, base, &opt, err);
	if (rc != TG_OK) {
		material_free(&c->m);
		return rc == TG_ENOTFOUND ? TG_EINVAL : rc; /* only the registry may say "not signed" */
	}
	snprintf(tag, sizeof(tag), "sha256-%.64s%s", c->digest + 7, TG_COSIGN_SIG_TAG_SUFFIX);
	tg_registry_content m;
	tg_error why;
	rc = time_left(c->fc, &opt, &why);
	if (rc == TG_OK)
		rc = tg_registry_fetch_manifest(base, c->ref->path, tag, &opt, &m, &why);
	bool found = rc == TG_OK;
	if (found) {
		/* a classic signature by the root's keys; keyless roots read bundles only */
		rc = c->m.keys != NULL ? check_classic(c, base, &opt, &m, v, &why) : TG_EINVAL;
		tg_registry_content_free(&m);
	}
	if (rc == TG_ENOTFOUND || (found && rc == TG_EINVAL)) /* bundles (cosign 3)? */
		rc = after_classic(c, base, &opt, found, &why, v, err);
	else if (rc != TG_OK)
		rc = tg_error_set(err, rc, "%s", why.msg);
	material_free(&c->m);
	return rc;
}

/* A cosign signature by one of the root's keys for the digest ref names,
 * or, by tag, the digest the registry serves for it. */
static void check_cosign(struct fetch_ctx *fc, const char *gun, const tg_reference *ref,
                         tg_sig_fact *f)
{
	char digest[TG_REGISTRY_DIGEST_SIZE];
	tg_error err;
	int rc = TG_OK;
	/* Until an answer is found, the fact is a failure (also when the
	 * lookup is left for a thread that may block). */
	set_fact(f, TG_SIG_FAILED, "no cosign signature was looked up");
	if (ref->digest[0] != '\0' && !tg_registry_digest_valid(ref->digest)) {
		set_fact(f, TG_SIG_FAILED, "cosign signatures are looked up by sha256 digest, not %.80s",
		         ref->digest);
		return;
	}
	if (ref->digest[0] != '\0')
		snprintf(digest, sizeof(digest), "%.71s", ref->digest);
	else if ((rc = registry_answer(fc, gun, ref, digest, &err)) != TG_OK) {
		if (rc != TG_EWOULDBLOCK)
			set_fact(f, TG_SIG_FAILED, "the registry's digest for tag \"%s\" could not be read: %s",
			         ref->tag, err.msg);
		return;
	}
	char key[TG_CACHE_KEY_MAX];
	snprintf(key, sizeof(key), "%s\x1fsigstore\x1f%s\x1f" "digest\x1f%s", gun, fc->root_id, digest);
	struct cosign_call call = {.fc = fc, .ref = ref, .gun = gun, .digest = digest};
	tg_cache_value v;
	rc = cached_answer(fc, key, TG_CACHE_VERDICT_TTL, cosign_call_fn, &call, &v, &err);
	if (rc != TG_OK) {
		if (rc != TG_EWOULDBLOCK)
			set_lookup_error(f, rc, &err);
		return;
	}
	snprintf(f->digest, sizeof(f->digest), "%s", v.digest);
	snprintf(f->signer, sizeof(f->signer), "%s", v.signer);
	if (strncmp(v.detail, "keyless: ", 9) == 0)
		set_fact(f, TG_SIG_VERIFIED, "%s is signed by %s", v.digest, v.detail + 9);
	else
		set_fact(f, TG_SIG_VERIFIED, "%s is signed with cosign key %s", v.digest, v.signer);
}

static void set_deadline(struct fetch_ctx *fc)
{
	clock_gettime(CLOCK_MONOTONIC, &fc->deadline);
	fc->deadline.tv_sec += fc->root->timeout_ms / 1000;
	fc->deadline.tv_nsec += (long)(fc->root->timeout_ms % 1000) * 1000000L;
	if (fc->deadline.tv_nsec >= 1000000000L) {
		fc->deadline.tv_sec++;
		fc->deadline.tv_nsec -= 1000000000L;
	}
}

static int look_up_one(const tg_policy *policy, const tg_trust_root *root, const tg_operation *op,
                       const struct tg_signature_env *env, tg_sig_fact *f)
{
	memset(f, 0, sizeof(*f));
	f->root = root->name;
	tg_reference ref = op->ref;
	if (op->all_tags) {
		set_fact(f, TG_SIG_FAILED, "a pull of all tags cannot be checked against signatures; pull "
		         "one tag or digest");
		return TG_OK;
	}
	if (ref.tag[0] == '\0' && ref.digest[0] == '\0')
		strcpy(ref.tag, "latest");
	char gun[TG_REF_NAME_MAX + 1];
	tg_reference_repository(&ref, gun, sizeof(gun));
	struct fetch_ctx fc;
	memset(&fc, 0, sizeof(fc));
	fc.root = root;
	fc.policy = policy;
	fc.cache = env->cache;
	fc.state_dir = env->state_dir;
	fc.fact = f;
	fc.may_block = env->may_block;
	fingerprint_root(root, fc.root_id, sizeof(fc.root_id));
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	set_deadline(&fc);
	if (root->type == TG_TRUST_ROOT_SIGSTORE)
		check_cosign(&fc, gun, &ref, f);
	else if (ref.digest[0] != '\0')
		check_by_digest(&fc, gun, &ref, f);
	else
		check_by_tag(&fc, gun, op, &ref, f);
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	f->lookup_ms = (double)(end.tv_sec - start.tv_sec) * 1e3 +
	               (double)(end.tv_nsec - start.tv_nsec) / 1e6;
	OPENSSL_cleanse(&fc.cred, sizeof(fc.cred));
	if (fc.trust_loaded)
		tg_notary_trust_clear(&fc.trust);
	return fc.would_block ? TG_EWOULDBLOCK : TG_OK;
}

int tg_signatures_lookup(const tg_policy *policy, const tg_rule *rule, const tg_operation *op,
                         const struct tg_signature_env *env, tg_trust_facts *facts)
{
	memset(facts, 0, sizeof(*facts));
	for (size_t i = 0; i < rule->n_trust_roots && facts->n < TG_SIG_FACTS_MAX; i++) {
		const tg_trust_root *root = tg_policy_trust_root(policy, rule->trust_roots[i]);
		if (root != NULL && look_up_one(policy, root, op, env, &facts->sig[facts->n++]) != TG_OK)
			return TG_EWOULDBLOCK;
	}
	return TG_OK;
}
