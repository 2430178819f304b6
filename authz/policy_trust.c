/* policy_trust: the "trust_roots" and "registries" sections of a policy.
 *
 * A trust root names where signatures come from and what the host trusts
 * as each repository's root of trust: pinned root keys or a root CA (what
 * an admin should use), or trust on first use. Files named here must be
 * readable when the policy loads, so that `policy validate` catches a
 * missing pin before a reload does.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "authz/policy_internal.h"

#define TRUST_ROOTS_MAX 64
#define REGISTRIES_MAX 256
#define TIMEOUT_DEFAULT_MS 5000

static const char *const trust_root_keys[] = {"type", "server", "server_ca", "root_keys",
                                              "root_ca", "tofu", "timeout_ms", "credentials",
                                              "public_keys", "rekor_public_key",
                                              "trusted_root", "identities", "comment"};
static const char *const identity_keys[] = {"subject", "issuer"};
#define IDENTITIES_MAX 16

static bool known_key(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static int readable_file(struct ctx *c, json_t *v, const char *what, char **out)
{
	const char *path = json_string_value(v);
	if (path == NULL || path[0] != '/')
		return tg_pv_fail(c, "%s must be an absolute file path", what);
	if (access(path, R_OK) != 0)
		return tg_pv_fail(c, "%s \"%s\" cannot be read", what, path);
	*out = strdup(path);
	return *out ? TG_OK : tg_error_set(c->err, TG_ENOMEM, "out of memory");
}

static int url_field(struct ctx *c, json_t *v, const char *what, char **out)
{
	const char *url = json_string_value(v);
	if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
		return tg_pv_fail(c, "%s must be an http:// or https:// URL", what);
	size_t n = strlen(url);
	*out = strndup(url, url[n - 1] == '/' ? n - 1 : n); /* no trailing '/' */
	return *out ? TG_OK : tg_error_set(c->err, TG_ENOMEM, "out of memory");
}

/* A secret may be read by root only: a file others can read (or write) is
 * refused, so a leaked password is not the policy's doing. */
static int secret_file(struct ctx *c, json_t *v, const char *what, char **out)
{
	int rc = readable_file(c, v, what, out);
	struct stat sb;
	if (rc == TG_OK && (stat(*out, &sb) != 0 || sb.st_uid != 0 || (sb.st_mode & 077) != 0))
		rc = tg_pv_fail(c, "%s \"%s\" must belong to root and be readable by root only "
		                   "(chown root %s; chmod 600 %s)", what, *out, *out, *out);
	return rc;
}

/* A list of readable key files. */
static int key_files(struct ctx *c, json_t *v, const char *what, char ***out, size_t *n)
{
	int rc = tg_pv_load_string_list(c, v, what, false, out, n);
	for (size_t i = 0; rc == TG_OK && i < *n; i++) {
		char *checked = NULL;
		tg_pv_push_index(c, i);
		rc = readable_file(c, json_array_get(v, i), "a key file", &checked);
		free(checked);
		tg_pv_pop(c);
	}
	return rc;
}

static int identity_string(struct ctx *c, json_t *obj, const char *key, char **out)
{
	const char *v = json_string_value(json_object_get(obj, key));
	if (v == NULL || v[0] == '\0' || strlen(v) >= 1024)
		return tg_pv_fail(c, "an identity needs \"%s\": a non-empty string", key);
	*out = strdup(v);
	return *out ? TG_OK : tg_error_set(c->err, TG_ENOMEM, "out of memory");
}

/* "identities": [{"subject": S, "issuer": I}, ...], 1 to IDENTITIES_MAX. */
static int load_identities(struct ctx *c, json_t *v, tg_trust_root *r)
{
	size_t n = json_array_size(v), i;
	json_t *obj;
	if (!json_is_array(v) || n == 0 || n > IDENTITIES_MAX)
		return tg_pv_fail(c, "\"identities\" must be a list of 1 to %d identities "
		                     "({\"subject\": ..., \"issuer\": ...})", IDENTITIES_MAX);
	r->identities = calloc(n, sizeof(*r->identities));
	if (r->identities == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	json_array_foreach(v, i, obj) {
		const char *key;
		json_t *ignored;
		tg_pv_push_index(c, i);
		r->n_identities = i + 1;
		json_object_foreach(obj, key, ignored) {
			if (!known_key(key, identity_keys, 2))
				return tg_pv_fail(c, "unknown identity key \"%s\" (known: subject, issuer)", key);
		}
		int rc = identity_string(c, obj, "subject", &r->identities[i].subject);
		if (rc == TG_OK)
			rc = identity_string(c, obj, "issuer", &r->identities[i].issuer);
		if (rc != TG_OK)
			return rc;
		tg_pv_pop(c);
	}
	return TG_OK;
}

/* One member of a trust root object. */
static int load_trust_root_field(struct ctx *c, const char *key, json_t *v, tg_trust_root *r)
{
	if (strcmp(key, "type") == 0) {
		const char *type = json_string_value(v);
		if (type != NULL && strcmp(type, "notary") == 0)
			r->type = TG_TRUST_ROOT_NOTARY;
		else if (type != NULL && strcmp(type, "sigstore") == 0)
			r->type = TG_TRUST_ROOT_SIGSTORE;
		else
			return tg_pv_fail(c, "trust root type must be \"notary\" or \"sigstore\" (Notation "
			                     "is not supported yet)");
		return TG_OK;
	}
	if (strcmp(key, "rekor_public_key") == 0)
		return readable_file(c, v, "\"rekor_public_key\"", &r->rekor_public_key);
	if (strcmp(key, "trusted_root") == 0)
		return readable_file(c, v, "\"trusted_root\"", &r->trusted_root);
	if (strcmp(key, "identities") == 0)
		return load_identities(c, v, r);
	if (strcmp(key, "public_keys") == 0)
		return key_files(c, v, "\"public_keys\"", &r->public_keys, &r->n_public_keys);
	if (strcmp(key, "server") == 0)
		return url_field(c, v, "\"server\"", &r->server);
	if (strcmp(key, "server_ca") == 0)
		return readable_file(c, v, "\"server_ca\"", &r->server_ca);
	if (strcmp(key, "root_ca") == 0)
		return readable_file(c, v, "\"root_ca\"", &r->root_ca);
	if (strcmp(key, "credentials") == 0)
		return secret_file(c, v, "\"credentials\"", &r->credentials);
	if (strcmp(key, "tofu") == 0) {
		if (!json_is_boolean(v))
			return tg_pv_fail(c, "\"tofu\" must be true or false");
		r->tofu = json_is_true(v);
		return TG_OK;
	}
	if (strcmp(key, "timeout_ms") == 0) {
		json_int_t ms = json_integer_value(v);
		if (!json_is_integer(v) || ms < 100 || ms > 60000)
			return tg_pv_fail(c, "\"timeout_ms\" must be a whole number from 100 to 60000");
		r->timeout_ms = (unsigned)ms;
		return TG_OK;
	}
	if (strcmp(key, "root_keys") == 0)
		return key_files(c, v, "\"root_keys\"", &r->root_keys, &r->n_root_keys);
	return json_is_string(v) ? TG_OK : tg_pv_fail(c, "\"comment\" must be a string");
}

/* Add path's contents to *h (FNV-1a). A sigstore key must be a PEM public
 * key of a type cosign uses: refused at load, not at every lookup. */
static int hash_key_file(struct ctx *c, const char *path, bool sigstore, unsigned long long *h)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return tg_pv_fail(c, "key file \"%s\" cannot be read", path);
	unsigned char buf[4096];
	size_t n, total = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && total < 1024 * 1024) {
		for (size_t i = 0; i < n; i++)
			*h = (*h ^ buf[i]) * 1099511628211ULL;
		total += n;
	}
	EVP_PKEY *k = NULL;
	if (sigstore) {
		rewind(f);
		k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	}
	fclose(f);
	int id = k ? EVP_PKEY_get_base_id(k) : 0;
	EVP_PKEY_free(k);
	if (sigstore && id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519)
		return tg_pv_fail(c, "key file \"%s\" is not a PEM public key of a type cosign uses "
		                     "(ECDSA, RSA, Ed25519)", path);
	return TG_OK;
}

static unsigned long long fnv1a(unsigned long long h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0x1f) * 1099511628211ULL; /* a separator: ("ab","c") differs from ("a","bc") */
}

/* The trusted root is a Sigstore trusted root with logs; its certificates
 * and keys are parsed where they are used (trustcache). */
static int check_trusted_root_file(struct ctx *c, const char *path)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	const char *media = json_string_value(json_object_get(doc, "mediaType"));
	int rc = TG_OK;
	if (doc == NULL)
		rc = tg_pv_fail(c, "\"trusted_root\" \"%s\" is not JSON: line %d: %s", path, jerr.line,
		                jerr.text);
	else if (media == NULL ||
	         strcmp(media, "application/vnd.dev.sigstore.trustedroot+json;version=0.1") != 0 ||
	         json_array_size(json_object_get(doc, "tlogs")) == 0)
		rc = tg_pv_fail(c, "\"trusted_root\" \"%s\" is not a Sigstore trusted root with "
		                "transparency logs (mediaType application/vnd.dev.sigstore.trustedroot"
		                "+json;version=0.1, \"tlogs\")", path);
	json_decref(doc);
	return rc;
}

static int hash_keys(struct ctx *c, tg_trust_root *r)
{
	bool sigstore = r->type == TG_TRUST_ROOT_SIGSTORE;
	int rc = TG_OK;
	r->keys_hash = 1469598103934665603ULL;
	for (size_t i = 0; rc == TG_OK && i < r->n_root_keys; i++)
		rc = hash_key_file(c, r->root_keys[i], false, &r->keys_hash);
	for (size_t i = 0; rc == TG_OK && i < r->n_public_keys; i++)
		rc = hash_key_file(c, r->public_keys[i], sigstore, &r->keys_hash);
	if (rc == TG_OK && r->rekor_public_key != NULL)
		rc = hash_key_file(c, r->rekor_public_key, sigstore, &r->keys_hash);
	if (rc == TG_OK && r->trusted_root != NULL)
		rc = hash_key_file(c, r->trusted_root, false, &r->keys_hash);
	if (rc == TG_OK && r->trusted_root != NULL)
		rc = check_trusted_root_file(c, r->trusted_root);
	for (size_t i = 0; i < r->n_identities; i++) {
		r->keys_hash = fnv1a(r->keys_hash, r->identities[i].subject);
		r->keys_hash = fnv1a(r->keys_hash, r->identities[i].issuer);
	}
	return rc;
}

/* Sigstore: keys (key-based) or a trusted root and identities (keyless),
 * and nothing Notary's. */
static int check_sigstore_root(struct ctx *c, const char *name, tg_trust_root *r)
{
	if (r->server || r->server_ca || r->root_ca || r->credentials || r->n_root_keys || r->tofu)
		return tg_pv_fail(c, "sigstore trust root \"%s\" takes \"public_keys\", "
		                     "\"rekor_public_key\", \"trusted_root\", \"identities\" and "
		                     "\"timeout_ms\" only: its signatures are read from the image's "
		                     "registry (server, server_ca, root_keys, root_ca, tofu, credentials "
		                     "are Notary's)", name);
	if (r->n_public_keys == 0 && (r->trusted_root == NULL || r->n_identities == 0))
		return tg_pv_fail(c, "sigstore trust root \"%s\" needs either \"public_keys\" (1 to 16 "
		                     "PEM public key files: key-based) or \"trusted_root\" and "
		                     "\"identities\" (keyless)", name);
	if (r->n_public_keys > 16)
		return tg_pv_fail(c, "sigstore trust root \"%s\" has more than 16 \"public_keys\"", name);
	if (r->n_public_keys > 0 && r->n_identities > 0)
		return tg_pv_fail(c, "sigstore trust root \"%s\" has both \"public_keys\" and "
		                     "\"identities\": make one root for keys and one for keyless "
		                     "identities", name);
	if (r->rekor_public_key != NULL && r->trusted_root != NULL)
		return tg_pv_fail(c, "sigstore trust root \"%s\" has both \"rekor_public_key\" and "
		                     "\"trusted_root\": the trusted root already names its logs", name);
	return TG_OK;
}

static int load_trust_root(struct ctx *c, const char *name, json_t *obj, tg_trust_root *r)
{
	if ((r->name = strdup(name)) == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	r->timeout_ms = TIMEOUT_DEFAULT_MS;
	if (!json_is_object(obj))
		return tg_pv_fail(c, "trust root \"%s\" must be an object", name);
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		tg_pv_push_key(c, key);
		if (!known_key(key, trust_root_keys, sizeof(trust_root_keys) / sizeof(trust_root_keys[0])))
			return tg_pv_fail(c, "unknown trust root key \"%s\" (known: type, server, server_ca, "
			                     "root_keys, root_ca, tofu, timeout_ms, credentials, public_keys, "
			                     "rekor_public_key, trusted_root, identities, comment)", key);
		int rc = load_trust_root_field(c, key, v, r);
		if (rc != TG_OK)
			return rc;
		tg_pv_pop(c);
	}
	if (json_object_get(obj, "type") == NULL)
		return tg_pv_fail(c, "trust root \"%s\" needs \"type\": \"notary\" or \"sigstore\"", name);
	int krc = hash_keys(c, r);
	if (krc != TG_OK)
		return krc;
	if (r->type == TG_TRUST_ROOT_SIGSTORE)
		return check_sigstore_root(c, name, r);
	if (r->n_public_keys > 0 || r->rekor_public_key != NULL || r->trusted_root != NULL ||
	    r->n_identities > 0)
		return tg_pv_fail(c, "\"public_keys\", \"rekor_public_key\", \"trusted_root\" and "
		                     "\"identities\" belong to sigstore trust roots; a notary root pins "
		                     "\"root_keys\"");
	if (r->server == NULL)
		return tg_pv_fail(c, "trust root \"%s\" needs \"server\", the Notary server's URL", name);
	if (r->n_root_keys == 0 && r->root_ca == NULL && !r->tofu)
		return tg_pv_fail(c, "trust root \"%s\" trusts no repository root: pin \"root_keys\" or "
		                     "\"root_ca\", or set \"tofu\": true", name);
	return TG_OK;
}

int tg_pv_load_trust_roots(struct ctx *c, json_t *v, tg_policy *p)
{
	if (!json_is_object(v))
		return tg_pv_fail(c, "\"trust_roots\" must be an object of named trust roots");
	size_t n = json_object_size(v);
	if (n > TRUST_ROOTS_MAX)
		return tg_pv_fail(c, "\"trust_roots\" has more than %d entries", TRUST_ROOTS_MAX);
	p->trust_roots = calloc(n ? n : 1, sizeof(*p->trust_roots));
	if (p->trust_roots == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	const char *name;
	json_t *obj;
	json_object_foreach(v, name, obj) {
		tg_pv_push_key(c, name);
		int rc = load_trust_root(c, name, obj, &p->trust_roots[p->n_trust_roots++]);
		if (rc != TG_OK)
			return rc;
		tg_pv_pop(c);
	}
	return TG_OK;
}

static int load_registry(struct ctx *c, const char *host, json_t *obj, tg_registry *r)
{
	if ((r->host = strdup(host)) == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	for (char *h = r->host; *h; h++)
		*h = (*h >= 'A' && *h <= 'Z') ? (char)(*h - 'A' + 'a') : *h;
	if (!json_is_object(obj))
		return tg_pv_fail(c, "registry \"%s\" must be an object like {\"url\": \"https://%s\"}",
		                  host, host);
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		tg_pv_push_key(c, key);
		int rc;
		if (strcmp(key, "url") == 0)
			rc = url_field(c, v, "\"url\"", &r->url);
		else if (strcmp(key, "ca") == 0)
			rc = readable_file(c, v, "\"ca\"", &r->ca);
		else
			rc = tg_pv_fail(c, "unknown registry key \"%s\" (known: url, ca)", key);
		if (rc != TG_OK)
			return rc;
		tg_pv_pop(c);
	}
	if (r->url == NULL)
		return tg_pv_fail(c, "registry \"%s\" needs \"url\"", host);
	return TG_OK;
}

int tg_pv_load_registries(struct ctx *c, json_t *v, tg_policy *p)
{
	if (!json_is_object(v))
		return tg_pv_fail(c, "\"registries\" must be an object keyed by registry host");
	size_t n = json_object_size(v);
	if (n > REGISTRIES_MAX)
		return tg_pv_fail(c, "\"registries\" has more than %d entries", REGISTRIES_MAX);
	p->registries = calloc(n ? n : 1, sizeof(*p->registries));
	if (p->registries == NULL)
		return tg_error_set(c->err, TG_ENOMEM, "out of memory");
	const char *host;
	json_t *obj;
	json_object_foreach(v, host, obj) {
		tg_pv_push_key(c, host);
		int rc = load_registry(c, host, obj, &p->registries[p->n_registries++]);
		if (rc != TG_OK)
			return rc;
		tg_pv_pop(c);
	}
	return TG_OK;
}

int tg_pv_check_rule_roots(struct ctx *c, const tg_policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		for (size_t j = 0; j < p->rules[i].n_trust_roots; j++) {
			const char *name = p->rules[i].trust_roots[j];
			if (tg_policy_trust_root(p, name) != NULL)
				continue;
			c->depth = 0;
			tg_pv_push_key(c, "rules");
			tg_pv_push_index(c, i);
			tg_pv_push_key(c, "trust_roots");
			tg_pv_push_index(c, j);
			return tg_pv_fail(c, "rule %zu names trust root \"%s\", which \"trust_roots\" does not "
			                     "define", p->rules[i].number, name);
		}
	}
	return TG_OK;
}

void tg_pv_free_trust(tg_policy *p)
{
	for (size_t i = 0; i < p->n_trust_roots; i++) {
		tg_trust_root *r = &p->trust_roots[i];
		free(r->name);
		free(r->server);
		free(r->server_ca);
		free(r->root_ca);
		free(r->credentials);
		free(r->rekor_public_key);
		free(r->trusted_root);
		for (size_t k = 0; k < r->n_identities; k++) {
			free(r->identities[k].subject);
			free(r->identities[k].issuer);
		}
		free(r->identities);
		tg_pv_free_strings(r->root_keys, r->n_root_keys);
		tg_pv_free_strings(r->public_keys, r->n_public_keys);
	}
	free(p->trust_roots);
	for (size_t i = 0; i < p->n_registries; i++) {
		free(p->registries[i].host);
		free(p->registries[i].url);
		free(p->registries[i].ca);
	}
	free(p->registries);
}

size_t tg_policy_trust_root_count(const tg_policy *p)
{
	return p->n_trust_roots;
}

const tg_trust_root *tg_policy_trust_root_at(const tg_policy *p, size_t i)
{
	return &p->trust_roots[i];
}

const tg_trust_root *tg_policy_trust_root(const tg_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_trust_roots; i++)
		if (strcmp(p->trust_roots[i].name, name) == 0)
			return &p->trust_roots[i];
	return NULL;
}

const tg_registry *tg_policy_registry(const tg_policy *p, const char *host)
{
	for (size_t i = 0; i < p->n_registries; i++)
		if (strcasecmp(p->registries[i].host, host) == 0)
			return &p->registries[i];
	return NULL;
}
