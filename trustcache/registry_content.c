/* registry_content: see registry_content.h. Every fetch goes to
 * /v2/<repository>/{manifests,blobs,referrers}/<ref> after the repository
 * and reference were checked against the distribution grammar, so nothing
 * from a request or an index can add path segments or a query. */
#include "trustcache/registry_content.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "trustcache/registry_internal.h"

#define BLOB_DEFAULT_MAX ((size_t)4 << 20)

static const char *const artifact_accept[] = {
	"Accept: application/vnd.docker.distribution.manifest.v2+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.oci.image.manifest.v1+json, "
	"application/vnd.oci.image.index.v1+json, "
	"application/vnd.oci.artifact.manifest.v1+json",
	NULL,
};

static const char *const index_accept[] = {"Accept: application/vnd.oci.image.index.v1+json",
                                           NULL};

void tg_registry_content_free(tg_registry_content *c)
{
	if (c != NULL)
		tg_buf_free(&c->body);
}

/* GET <base>/v2/<repository>/<kind>/<ref> into *out; when ref is a digest
 * of the content (manifests, blobs) the bytes must hash to it. */
static int fetch(const char *base_url, const char *repository, const char *kind, const char *ref,
                 const char *const *accept, size_t max, const tg_http_options *opts,
                 tg_registry_content *out, tg_error *err)
{
	static const tg_http_options defaults = {0};
	char reg[256];
	int rc = tgr_check_base_url(base_url, err);
	if (rc != TG_OK)
		return rc;
	if (repository == NULL || !tgr_repository_valid(repository))
		return tg_error_set(err, TG_EINVAL, "not a valid repository name: \"%.100s\"",
		                    repository ? repository : "");
	if (ref == NULL || !tgr_tag_valid(ref))
		return tg_error_set(err, TG_EINVAL, "not a valid tag or digest: \"%.140s\"",
		                    ref ? ref : "");
	tgr_registry_name(base_url, reg, sizeof(reg));
	size_t blen = strlen(base_url);
	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	char url[1024];
	if (snprintf(url, sizeof(url), "%.*s/v2/%s/%s/%s", (int)blen, base_url, repository, kind,
	             ref) >= (int)sizeof(url))
		return tg_error_set(err, TG_EINVAL, "registry URL too long");
	tg_http_options o = opts ? *opts : defaults;
	o.headers = accept;
	o.head = 0;
	o.max_body = max;
	tg_http_response resp;
	tg_error sub;
	if ((rc = tg_http_get(url, &o, &resp, &sub)) != TG_OK)
		return tg_error_set(err, rc, "cannot fetch %s %s of %s from registry %s: %s",
		                    kind, ref, repository, reg, sub.msg);
	if (resp.status != 200) {
		rc = tgr_status_error(resp.status, reg, repository, ref, err);
		tg_http_response_free(&resp);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	out->body = resp.body; /* taken over; the rest (a token) is wiped and freed */
	snprintf(out->media_type, sizeof(out->media_type), "%.255s", resp.content_type);
	memset(&resp.body, 0, sizeof(resp.body));
	tg_http_response_free(&resp);
	rc = tgr_sha256_digest(&out->body, out->digest, err);
	bool addressed = strcmp(kind, "referrers") != 0; /* a referrers list is about ref */
	if (rc == TG_OK && addressed && tg_registry_digest_valid(ref) && strcmp(ref, out->digest) != 0)
		rc = tg_error_set(err, TG_EIO, "registry %s sent content for %s@%s whose sha256 is %s: "
		                  "it does not match its digest, so it is not what was asked for", reg,
		                  repository, ref, out->digest);
	if (rc != TG_OK)
		tg_buf_free(&out->body);
	return rc;
}

int tg_registry_fetch_manifest(const char *base_url, const char *repository, const char *ref,
                               const tg_http_options *opts, tg_registry_content *out,
                               tg_error *err)
{
	return fetch(base_url, repository, "manifests", ref, artifact_accept,
	             TG_REGISTRY_MANIFEST_MAX, opts, out, err);
}

int tg_registry_fetch_blob(const char *base_url, const char *repository, const char *digest,
                           size_t max, const tg_http_options *opts, tg_registry_content *out,
                           tg_error *err)
{
	if (digest == NULL || !tg_registry_digest_valid(digest))
		return tg_error_set(err, TG_EINVAL, "a blob is fetched by its sha256 digest, not "
		                    "\"%.80s\"", digest ? digest : "");
	return fetch(base_url, repository, "blobs", digest, NULL, max ? max : BLOB_DEFAULT_MAX, opts,
	             out, err);
}

static void copy_string(char *dst, size_t n, json_t *v)
{
	const char *s = json_string_value(v);
	snprintf(dst, n, "%s", s ? s : "");
}

/* The manifests listed by an OCI image index. */
static int parse_index(const tg_registry_content *c, tg_registry_referrers *out, tg_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(tg_buf_str(&c->body), c->body.len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *manifests = json_object_get(root, "manifests");
	int rc = TG_OK;
	if (!json_is_array(manifests))
		rc = tg_error_set(err, TG_EIO, "the referrers answer is not an image index (%s)",
		                  root ? "no \"manifests\" list" : jerr.text);
	else if (json_array_size(manifests) > TG_REGISTRY_REFERRERS_MAX)
		rc = tg_error_set(err, TG_ETOOBIG, "the image has more than %d referrers",
		                  TG_REGISTRY_REFERRERS_MAX);
	size_t i;
	json_t *m;
	json_array_foreach(manifests, i, m) {
		if (rc != TG_OK)
			break;
		tg_registry_descriptor *d = &out->items[out->n];
		copy_string(d->digest, sizeof(d->digest), json_object_get(m, "digest"));
		if (!tg_registry_digest_valid(d->digest))
			continue; /* names nothing fetchable */
		copy_string(d->media_type, sizeof(d->media_type), json_object_get(m, "mediaType"));
		copy_string(d->artifact_type, sizeof(d->artifact_type),
		            json_object_get(m, "artifactType"));
		d->size = json_integer_value(json_object_get(m, "size"));
		out->n++;
	}
	json_decref(root);
	return rc;
}

int tg_registry_list_referrers(const char *base_url, const char *repository, const char *digest,
                               const tg_http_options *opts, tg_registry_referrers *out,
                               tg_error *err)
{
	memset(out, 0, sizeof(*out));
	if (digest == NULL || !tg_registry_digest_valid(digest))
		return tg_error_set(err, TG_EINVAL, "referrers are listed for a sha256 digest, not "
		                    "\"%.80s\"", digest ? digest : "");
	tg_registry_content index;
	int rc = fetch(base_url, repository, "referrers", digest, index_accept,
	               TG_REGISTRY_MANIFEST_MAX, opts, &index, err);
	if (rc == TG_ENOTFOUND) { /* no referrers API: the fallback tag schema */
		char tag[80];
		snprintf(tag, sizeof(tag), "sha256-%s", digest + 7);
		out->by_tag_schema = true;
		rc = fetch(base_url, repository, "manifests", tag, index_accept,
		           TG_REGISTRY_MANIFEST_MAX, opts, &index, err);
		if (rc == TG_ENOTFOUND)
			return TG_OK; /* nothing refers to it */
	}
	if (rc != TG_OK)
		return rc;
	rc = parse_index(&index, out, err);
	tg_registry_content_free(&index);
	return rc;
}
