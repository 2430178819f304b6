/* tuf_meta: the per-type parts of tuf_role.h: structure checks done at
 * parse time, roles built from root.json and from targets delegations,
 * file metadata (length + hashes) of timestamp/snapshot meta and of
 * targets, and the check of downloaded bytes against it.
 *
 * Structure rules are Notary's (tuf/data/root.go isValidRootStructure,
 * timestamp.go IsValidTimestampStructure, snapshot.go
 * IsValidSnapshotStructure, targets.go isValidTargetsStructure, types.go
 * CheckValidHashStructures and CheckHashes). */
#include "trustcache/tuf_role.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "trustcache/b64.h"
#include "trustcache/tuf_internal.h"

static const char *const root_roles[] = {"root", "targets", "snapshot", "timestamp"};

/* ---- file metadata -------------------------------------------------------- */

/* Decode hashes[alg] into dst (size n) when present. */
static int read_hash(const json_t *hashes, const char *alg, unsigned char *dst, size_t n,
		     int *has, const char *what, tg_error *err)
{
	const json_t *h = json_object_get(hashes, alg);
	if (h == NULL)
		return TG_OK;
	unsigned char *raw = NULL;
	size_t len = 0;
	tg_error sub;
	if (!json_is_string(h))
		return tg_error_set(err, TG_EINVAL, "%s: %s hash is not a string", what, alg);
	int rc = tg_b64_decode(json_string_value(h), json_string_length(h), 256, &raw, &len, &sub);
	if (rc != TG_OK)
		return tg_error_set(err, TG_EINVAL, "%s: %s hash: %s", what, alg, sub.msg);
	if (len != n) {
		free(raw);
		return tg_error_set(err, TG_EINVAL, "%s: %s hash is %zu bytes, not %zu", what, alg,
				    len, n);
	}
	memcpy(dst, raw, n);
	free(raw);
	*has = 1;
	return TG_OK;
}

/* A FileMeta {length, hashes, custom?}; what names it in messages. */
static int parse_filemeta(const json_t *fm, const char *what, tg_tuf_filemeta *out,
			  tg_error *err)
{
	tg_tuf_filemeta m;
	memset(&m, 0, sizeof(m));
	if (!json_is_object(fm))
		return tg_error_set(err, TG_EINVAL, "%s is not an object", what);
	const json_t *len = json_object_get(fm, "length");
	if (!json_is_integer(len) || json_integer_value(len) < 0)
		return tg_error_set(err, TG_EINVAL, "%s: length is not a non-negative integer", what);
	m.length = json_integer_value(len);
	const json_t *hashes = json_object_get(fm, "hashes");
	if (!json_is_object(hashes))
		return tg_error_set(err, TG_EINVAL, "%s: no hashes object", what);
	int rc = read_hash(hashes, "sha256", m.sha256, sizeof(m.sha256), &m.has_sha256, what, err);
	if (rc == TG_OK)
		rc = read_hash(hashes, "sha512", m.sha512, sizeof(m.sha512), &m.has_sha512, what,
			       err);
	if (rc != TG_OK)
		return rc;
	if (!m.has_sha256 && !m.has_sha512)
		return tg_error_set(err, TG_EINVAL, "%s: neither a sha256 nor a sha512 hash", what);
	*out = m;
	return TG_OK;
}

/* meta[name] of a timestamp or snapshot, parsed. */
static int meta_entry(const tg_tuf_doc *doc, const char *name, tg_tuf_filemeta *out,
		      tg_error *err)
{
	if (doc->kind != TG_TUF_TIMESTAMP && doc->kind != TG_TUF_SNAPSHOT)
		return tg_error_set(err, TG_EINVAL, "%s.json has no meta (not timestamp or snapshot)",
				    doc->role);
	const json_t *fm = json_object_get(json_object_get(doc->signed_obj, "meta"), name);
	if (fm == NULL)
		return tg_error_set(err, TG_ENOTFOUND, "%s.json lists no metadata for %.255s",
				    doc->role, name);
	char what[2 * TG_TUF_ROLE_NAME_MAX + 16];
	snprintf(what, sizeof(what), "%s.json meta %.255s", doc->role, name);
	return parse_filemeta(fm, what, out, err);
}

int tg_tuf_meta_get(const tg_tuf_doc *doc, const char *name, tg_tuf_filemeta *out,
		    tg_error *err)
{
	return meta_entry(doc, name, out, err);
}

int tg_tuf_filemeta_check(const tg_tuf_filemeta *meta, const char *what, const void *bytes,
			  size_t len, tg_error *err)
{
	if (meta->length < 0 || (unsigned long long)meta->length != (unsigned long long)len)
		return tg_error_set(err, TG_EINVAL, "%s is %zu bytes, expected %lld", what, len,
				    meta->length);
	unsigned char md[64];
	if (meta->has_sha256) {
		if (EVP_Digest(bytes, len, md, NULL, EVP_sha256(), NULL) != 1)
			return tg_error_set(err, TG_ENOMEM, "%s: sha256 failed", what);
		if (CRYPTO_memcmp(md, meta->sha256, 32) != 0)
			return tg_error_set(err, TG_EINVAL, "%s sha256 mismatch", what);
	}
	if (meta->has_sha512) {
		if (EVP_Digest(bytes, len, md, NULL, EVP_sha512(), NULL) != 1)
			return tg_error_set(err, TG_ENOMEM, "%s: sha512 failed", what);
		if (CRYPTO_memcmp(md, meta->sha512, 64) != 0)
			return tg_error_set(err, TG_EINVAL, "%s sha512 mismatch", what);
	}
	return TG_OK;
}

/* ---- roles from key maps -------------------------------------------------- */

/* Check a role entry {keyids:[...], threshold:n} against keys (an object of
 * key ID -> key). owner/name are for messages. */
static int check_role_entry(const json_t *entry, const json_t *keys, const char *owner,
			    const char *name, tg_error *err)
{
	const json_t *ids = json_object_get(entry, "keyids");
	const json_t *th = json_object_get(entry, "threshold");
	if (!json_is_object(entry) || !json_is_array(ids))
		return tg_error_set(err, TG_EINVAL, "%s: role %.255s has no keyids array", owner, name);
	if (!json_is_integer(th) || json_integer_value(th) < 1)
		return tg_error_set(err, TG_EINVAL, "%s: invalid threshold for %.255s", owner, name);
	if (json_array_size(ids) > TG_TUF_MAX_ROLE_KEYS)
		return tg_error_set(err, TG_ETOOBIG, "%s: role %.255s lists more than %d keys", owner,
				    name, TG_TUF_MAX_ROLE_KEYS);
	for (size_t i = 0; i < json_array_size(ids); i++) {
		const json_t *id = json_array_get(ids, i);
		if (!json_is_string(id) || json_object_get(keys, json_string_value(id)) == NULL)
			return tg_error_set(err, TG_EINVAL,
					    "%s: key ID %.64s specified in %.255s without corresponding key",
					    owner, json_is_string(id) ? json_string_value(id) : "?", name);
	}
	return TG_OK;
}

/* Parse keys[id] and add it to role, refusing a key whose computed ID is not
 * the ID it is filed under (Notary: ErrInvalidKeyID). */
static int add_filed_key(tg_tuf_role *role, const json_t *keys, const char *id,
			 const char *owner, tg_error *err)
{
	tg_tuf_key *key = NULL;
	tg_error sub;
	int rc = tg_tuf_key_parse(json_object_get(keys, id), &key, &sub);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "%s: key %.64s for %s: %s", owner, id, role->name,
				    sub.msg);
	if (strcmp(tg_tuf_key_id(key), id) != 0) {
		rc = tg_error_set(err, TG_EINVAL, "%s: key filed as %.64s has ID %s", owner, id,
				  tg_tuf_key_id(key));
		tg_tuf_key_free(key);
		return rc;
	}
	rc = tg_tuf_role_add_key(role, key, err);
	if (rc != TG_OK)
		tg_tuf_key_free(key);
	return rc;
}

/* A role named name from entry {keyids, threshold} over keys; duplicate
 * keyids count once (Notary builds a map). Entry already checked. */
static int build_role(const json_t *entry, const json_t *keys, const char *owner,
		      const char *name, tg_tuf_role **out, tg_error *err)
{
	tg_tuf_role *role = NULL;
	const json_t *ids = json_object_get(entry, "keyids");
	int rc = tg_tuf_role_new(name, json_integer_value(json_object_get(entry, "threshold")),
				 &role, err);
	for (size_t i = 0; rc == TG_OK && i < json_array_size(ids); i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= strcmp(id, json_string_value(json_array_get(ids, j))) == 0;
		if (!dup)
			rc = add_filed_key(role, keys, id, owner, err);
	}
	if (rc != TG_OK) {
		tg_tuf_role_free(role);
		return rc;
	}
	*out = role;
	return TG_OK;
}

int tg_tuf_root_role(const tg_tuf_doc *root, const char *name, tg_tuf_role **out,
		     tg_error *err)
{
	if (root->kind != TG_TUF_ROOT)
		return tg_error_set(err, TG_EINVAL, "%s.json is not root metadata", root->role);
	const json_t *entry = json_object_get(json_object_get(root->signed_obj, "roles"), name);
	if (entry == NULL)
		return tg_error_set(err, TG_ENOTFOUND, "root.json declares no role %.64s", name);
	const json_t *keys = json_object_get(root->signed_obj, "keys");
	int rc = check_role_entry(entry, keys, "root.json", name, err);
	if (rc != TG_OK)
		return rc;
	return build_role(entry, keys, "root.json", name, out, err);
}

/* ---- targets -------------------------------------------------------------- */

static const json_t *delegation_roles(const tg_tuf_doc *doc)
{
	return json_object_get(json_object_get(doc->signed_obj, "delegations"), "roles");
}

int tg_tuf_targets_get(const tg_tuf_doc *doc, const char *target, tg_tuf_filemeta *out,
		       tg_error *err)
{
	if (doc->kind != TG_TUF_TARGETS)
		return tg_error_set(err, TG_EINVAL, "%s.json is not targets metadata", doc->role);
	const json_t *fm = json_object_get(json_object_get(doc->signed_obj, "targets"), target);
	if (fm == NULL)
		return tg_error_set(err, TG_ENOTFOUND, "%s.json has no target \"%.128s\"", doc->role,
				    target);
	char what[TG_TUF_ROLE_NAME_MAX + 160];
	snprintf(what, sizeof(what), "%s.json target \"%.128s\"", doc->role, target);
	return parse_filemeta(fm, what, out, err);
}

size_t tg_tuf_targets_delegation_count(const tg_tuf_doc *doc)
{
	return doc->kind == TG_TUF_TARGETS ? json_array_size(delegation_roles(doc)) : 0;
}

const char *tg_tuf_targets_delegation_name(const tg_tuf_doc *doc, size_t i)
{
	if (i >= tg_tuf_targets_delegation_count(doc))
		return NULL;
	return json_string_value(json_object_get(json_array_get(delegation_roles(doc), i), "name"));
}

/* Keep the child's paths that fall under one of parent's (Notary's
 * RestrictDelegationPathPrefixes); the child is restricted even if none. */
static int restrict_paths(tg_tuf_role *child, const json_t *paths, const tg_tuf_role *parent,
			  tg_error *err)
{
	tg_tuf_role_restrict(child);
	if (json_array_size(paths) > TG_TUF_MAX_PATHS)
		return tg_error_set(err, TG_ETOOBIG, "%s: more than %d paths", child->name,
				    TG_TUF_MAX_PATHS);
	for (size_t i = 0; i < json_array_size(paths); i++) {
		const char *p = json_string_value(json_array_get(paths, i));
		if (p == NULL)
			return tg_error_set(err, TG_EINVAL, "%s: paths must be strings", child->name);
		if (!tg_tuf_role_path_allowed(parent, p))
			continue;
		int rc = tg_tuf_role_add_path(child, p, err);
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

int tg_tuf_targets_delegation(const tg_tuf_doc *doc, const tg_tuf_role *parent,
			      const char *child, tg_tuf_role **out, tg_error *err)
{
	if (doc->kind != TG_TUF_TARGETS)
		return tg_error_set(err, TG_EINVAL, "%s.json is not targets metadata", doc->role);
	if (strcmp(parent->name, doc->role) != 0)
		return tg_error_set(err, TG_EINVAL, "%s.json is signed by %s, not by role %s",
				    doc->role, doc->role, parent->name);
	const json_t *roles = delegation_roles(doc);
	const json_t *keys = json_object_get(json_object_get(doc->signed_obj, "delegations"), "keys");
	for (size_t i = 0; i < json_array_size(roles); i++) {
		const json_t *entry = json_array_get(roles, i);
		if (strcmp(json_string_value(json_object_get(entry, "name")), child) != 0)
			continue;
		char owner[TG_TUF_ROLE_NAME_MAX + 8];
		snprintf(owner, sizeof(owner), "%s.json", doc->role);
		tg_tuf_role *role = NULL;
		int rc = build_role(entry, keys, owner, child, &role, err);
		if (rc == TG_OK)
			rc = restrict_paths(role, json_object_get(entry, "paths"), parent, err);
		if (rc != TG_OK) {
			tg_tuf_role_free(role);
			return rc;
		}
		*out = role;
		return TG_OK;
	}
	return tg_error_set(err, TG_ENOTFOUND, "%s.json delegates no role %.255s", doc->role, child);
}

/* ---- structure checks at parse time --------------------------------------- */

static int check_root(const tg_tuf_doc *d, tg_error *err)
{
	const json_t *keys = json_object_get(d->signed_obj, "keys");
	const json_t *roles = json_object_get(d->signed_obj, "roles");
	const json_t *cs = json_object_get(d->signed_obj, "consistent_snapshot");
	if (!json_is_object(keys) || !json_is_object(roles))
		return tg_error_set(err, TG_EINVAL, "root.json: keys and roles must be objects");
	if (cs != NULL && !json_is_boolean(cs))
		return tg_error_set(err, TG_EINVAL, "root.json: consistent_snapshot is not a boolean");
	for (size_t i = 0; i < sizeof(root_roles) / sizeof(root_roles[0]); i++) {
		const json_t *entry = json_object_get(roles, root_roles[i]);
		if (entry == NULL)
			return tg_error_set(err, TG_EINVAL, "root.json: missing %s role specification",
					    root_roles[i]);
		int rc = check_role_entry(entry, keys, "root.json", root_roles[i], err);
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

/* meta must be an object whose listed entries carry a valid sha256. */
static int check_meta(const tg_tuf_doc *d, const char *const *required, size_t n, tg_error *err)
{
	if (!json_is_object(json_object_get(d->signed_obj, "meta")))
		return tg_error_set(err, TG_EINVAL, "%s.json: meta is not an object", d->role);
	for (size_t i = 0; i < n; i++) {
		tg_tuf_filemeta m;
		int rc = meta_entry(d, required[i], &m, err);
		if (rc == TG_ENOTFOUND || (rc == TG_OK && !m.has_sha256))
			return tg_error_set(err, TG_EINVAL, "%s.json: missing %s sha256 checksum information",
					    d->role, required[i]);
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

/* Parent of a delegation name: everything before the last '/'. */
static int is_direct_child(const char *child, const char *parent)
{
	const char *slash = strrchr(child, '/');
	size_t n = strlen(parent);
	return slash != NULL && (size_t)(slash - child) == n && strncmp(child, parent, n) == 0;
}

static int check_delegation_entry(const tg_tuf_doc *d, const json_t *entry, const json_t *keys,
				  tg_error *err)
{
	const char *name = json_string_value(json_object_get(entry, "name"));
	if (name == NULL || !tg_tuf_is_delegation_name(name) || !is_direct_child(name, d->role))
		return tg_error_set(err, TG_EINVAL, "%s.json: delegation role %.255s invalid", d->role,
				    name ? name : "(no name)");
	const json_t *paths = json_object_get(entry, "paths");
	if (paths != NULL && !json_is_array(paths))
		return tg_error_set(err, TG_EINVAL, "%s.json: paths of %s is not an array", d->role,
				    name);
	char owner[TG_TUF_ROLE_NAME_MAX + 8];
	snprintf(owner, sizeof(owner), "%s.json", d->role);
	return check_role_entry(entry, keys, owner, name, err);
}

static int check_targets(const tg_tuf_doc *d, tg_error *err)
{
	const json_t *targets = json_object_get(d->signed_obj, "targets");
	if (targets != NULL && !json_is_object(targets) && !json_is_null(targets))
		return tg_error_set(err, TG_EINVAL, "%s.json: targets is not an object", d->role);
	const json_t *del = json_object_get(d->signed_obj, "delegations");
	if (del == NULL || json_is_null(del))
		return TG_OK;
	const json_t *keys = json_object_get(del, "keys");
	const json_t *roles = json_object_get(del, "roles");
	if (!json_is_object(del) || (keys != NULL && !json_is_object(keys)) ||
	    (roles != NULL && !json_is_array(roles)))
		return tg_error_set(err, TG_EINVAL, "%s.json: malformed delegations", d->role);
	if (json_array_size(roles) > TG_TUF_MAX_DELEGATIONS)
		return tg_error_set(err, TG_ETOOBIG, "%s.json: more than %d delegations", d->role,
				    TG_TUF_MAX_DELEGATIONS);
	for (size_t i = 0; i < json_array_size(roles); i++) {
		int rc = check_delegation_entry(d, json_array_get(roles, i), keys, err);
		if (rc != TG_OK)
			return rc;
	}
	return TG_OK;
}

int tg_tuf_doc_check_structure(const tg_tuf_doc *doc, tg_error *err)
{
	static const char *const ts_required[] = {"snapshot"};
	static const char *const snap_required[] = {"root", "targets"};
	switch (doc->kind) {
	case TG_TUF_ROOT: return check_root(doc, err);
	case TG_TUF_TIMESTAMP: return check_meta(doc, ts_required, 1, err);
	case TG_TUF_SNAPSHOT: return check_meta(doc, snap_required, 2, err);
	case TG_TUF_TARGETS: return check_targets(doc, err);
	}
	return tg_error_set(err, TG_EINVAL, "unknown metadata kind");
}
