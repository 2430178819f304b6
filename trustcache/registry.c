/* registry: see registry.h. The repository and tag are checked against the
 * grammar of distribution/reference before they go into a URL, so nothing
 * from a request can add path segments, a query or a fragment to it. */
#include "trustcache/registry.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/tg_buf.h"
#include "trustcache/registry_internal.h"

const char *const tgr_manifest_accept[] = {
	"Accept: application/vnd.docker.distribution.manifest.v2+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.oci.image.manifest.v1+json, "
	"application/vnd.oci.image.index.v1+json",
	NULL,
};

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int tg_registry_digest_valid(const char *s)
{
	if (s == NULL || strncmp(s, "sha256:", 7) != 0)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!is_hex_lower(s[7 + i]))
			return 0;
	return s[7 + 64] == '\0';
}

/* distribution/reference: path-component = [a-z0-9]+ (separator [a-z0-9]+)*
 * with separator = [_.] | "__" | [-]+, components joined by '/'. */
int tgr_repository_valid(const char *r)
{
	size_t n = strlen(r);
	if (n == 0 || n > 255)
		return 0;
	const char *p = r;
	for (;;) {
		if (!is_lower_alnum(*p))
			return 0;
		while (is_lower_alnum(*p))
			p++;
		if (*p == '\0')
			return 1;
		if (*p == '/') {
			p++;
			continue;
		}
		if (*p == '.' || (*p == '_' && p[1] != '_'))
			p++;
		else if (*p == '_')
			p += 2;
		else if (*p == '-')
			while (*p == '-')
				p++;
		else
			return 0;
	}
}

/* tag = [\w][\w.-]{0,127}, or a sha256 digest. */
int tgr_tag_valid(const char *t)
{
	if (tg_registry_digest_valid(t))
		return 1;
	size_t n = strlen(t);
	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!(is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* host[:port] of a base URL, for messages; base is known to be http(s). */
void tgr_registry_name(const char *base, char *out, size_t n)
{
	const char *h = strstr(base, "://");
	h = h ? h + 3 : base;
	size_t len = strcspn(h, "/");
	snprintf(out, n, "%.*s", (int)len, h);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The error for a non-200 answer. */
int tgr_status_error(long status, const char *reg, const char *repo, const char *tag,
                     tg_error *err)
{
	int by_digest = tg_registry_digest_valid(tag);
	if (status == 404)
		return tg_error_set(err, TG_ENOTFOUND, "registry %s has no %s \"%s\" for %s", reg,
		                    by_digest ? "manifest" : "tag", tag, repo);
	if (status == 401 || status == 403)
		return tg_error_set(err, TG_EIO, "registry %s refused access to %s (HTTP %ld)", reg,
		                    repo, status);
	return tg_error_set(err, TG_EIO, "registry %s answered HTTP %ld for %s%s%s", reg, status,
	                    repo, by_digest ? "@" : ":", tag);
}

/* A header value safe to quote in a message: printable, at most 80 bytes. */
static void shown_value(const char *v, char *out, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; v[i] != '\0' && j + 4 < n && i < 80; i++)
		out[j++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	out[j] = '\0';
}

int tg_registry_sha256(const void *data, size_t len, char out[TG_REGISTRY_DIGEST_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return TG_ENOMEM;
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return TG_OK;
}

int tgr_sha256_digest(const tg_buf *b, char out[TG_REGISTRY_DIGEST_SIZE], tg_error *err)
{
	return tg_registry_sha256(tg_buf_str(b), b->len, out) == TG_OK
	               ? TG_OK
	               : tg_error_set(err, TG_ENOMEM, "cannot compute sha256");
}

int tgr_check_base_url(const char *base_url, tg_error *err)
{
	if (base_url == NULL ||
	    (strncmp(base_url, "https://", 8) != 0 && strncmp(base_url, "http://", 7) != 0) ||
	    strlen(base_url) >= TG_REGISTRY_BASE_URL_MAX || strpbrk(base_url, "?#@ \t\r\n") != NULL)
		return tg_error_set(err, TG_EINVAL, "not a registry base URL: %.100s",
		                    base_url ? base_url : "(none)");
	return TG_OK;
}

int tg_registry_manifest_digest(const char *base_url, const char *repository, const char *tag,
                                const tg_http_options *opts,
                                char digest_out[TG_REGISTRY_DIGEST_SIZE], tg_error *err)
{
	static const tg_http_options defaults = {0};
	char reg[256], shown[96], digest[TG_REGISTRY_DIGEST_SIZE];
	tg_buf url;
	tg_http_response head, get;
	tg_error sub = {0};
	int have_head = 0, have_get = 0;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	if (base_url == NULL || repository == NULL || tag == NULL)
		return tg_error_set(err, TG_EINVAL, "registry lookup without base URL, repository or tag");
	if ((rc = tgr_check_base_url(base_url, err)) != TG_OK)
		return rc;
	if (!tgr_repository_valid(repository))
		return tg_error_set(err, TG_EINVAL, "not a valid repository name: \"%.100s\"", repository);
	if (!tgr_tag_valid(tag))
		return tg_error_set(err, TG_EINVAL, "not a valid tag or digest: \"%.140s\"", tag);
	tgr_registry_name(base_url, reg, sizeof(reg));

	size_t blen = strlen(base_url);
	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	tg_buf_init(&url, 1024);
	rc = tg_buf_printf(&url, "%.*s/v2/%s/manifests/%s", (int)blen, base_url, repository, tag);
	if (rc != TG_OK) {
		tg_error_set(err, rc, "registry URL too long");
		goto out;
	}

	long total = opts->deadline_ms > 0 ? opts->deadline_ms : TG_HTTP_DEFAULT_DEADLINE_MS;
	long long start = now_ms();
	tg_http_options o = *opts;
	o.deadline_ms = total;
	o.headers = tgr_manifest_accept;
	o.head = 1;
	o.max_body = 4096;
	rc = tg_http_get(tg_buf_str(&url), &o, &head, &sub);
	if (rc != TG_OK) {
		tg_error_set(err, rc, "cannot look up %s:%s: %s", repository, tag, sub.msg);
		goto out;
	}
	have_head = 1;
	if (head.status != 200) {
		rc = tgr_status_error(head.status, reg, repository, tag, err);
		goto out;
	}
	if (head.content_digest[0] != '\0') {
		if (!tg_registry_digest_valid(head.content_digest)) {
			shown_value(head.content_digest, shown, sizeof(shown));
			rc = tg_error_set(err, TG_EIO, "registry %s sent a malformed Docker-Content-Digest "
			                  "for %s:%s: \"%s\"", reg, repository, tag, shown);
			goto out;
		}
		memcpy(digest, head.content_digest, TG_REGISTRY_DIGEST_SIZE);
	} else {
		/* No header: the digest is the sha256 of the manifest itself. */
		long left = total - (long)(now_ms() - start);
		if (left <= 0) {
			rc = tg_error_set(err, TG_ETIMEOUT, "timed out after %ld ms looking up %s:%s on "
			                  "registry %s", total, repository, tag, reg);
			goto out;
		}
		o.deadline_ms = left;
		o.head = 0;
		o.max_body = TG_REGISTRY_MANIFEST_MAX;
		if (o.bearer_token == NULL && head.token != NULL)
			o.bearer_token = head.token;
		rc = tg_http_get(tg_buf_str(&url), &o, &get, &sub);
		if (rc != TG_OK) {
			tg_error_set(err, rc, "cannot fetch the manifest of %s:%s: %s", repository, tag,
			             sub.msg);
			goto out;
		}
		have_get = 1;
		if (get.status != 200) {
			rc = tgr_status_error(get.status, reg, repository, tag, err);
			goto out;
		}
		rc = tgr_sha256_digest(&get.body, digest, err);
		if (rc != TG_OK)
			goto out;
		if (get.content_digest[0] != '\0' && strcmp(get.content_digest, digest) != 0) {
			shown_value(get.content_digest, shown, sizeof(shown));
			rc = tg_error_set(err, TG_EIO, "registry %s sent a manifest for %s:%s whose sha256 "
			                  "is %s but labelled it \"%s\"", reg, repository, tag, digest,
			                  shown);
			goto out;
		}
	}
	if (tg_registry_digest_valid(tag) && strcmp(tag, digest) != 0) {
		rc = tg_error_set(err, TG_EIO, "registry %s answered %s for %s@%s", reg, digest,
		                  repository, tag);
		goto out;
	}
	memcpy(digest_out, digest, TG_REGISTRY_DIGEST_SIZE);
	rc = TG_OK;
out:
	if (have_head)
		tg_http_response_free(&head);
	if (have_get)
		tg_http_response_free(&get);
	tg_buf_free(&url);
	return rc;
}

/* A reference domain: [A-Za-z0-9.-]+ or [v6], then an optional :port. */
static int host_valid(const char *h)
{
	const char *p = h;
	if (*p == '[') {
		p += 1 + strspn(p + 1, "0123456789abcdefABCDEF:.");
		if (*p != ']' || p == h + 1)
			return 0;
		p++;
	} else {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (n == 0 || p[0] == '.' || p[0] == '-')
			return 0;
		p += n;
	}
	if (*p == ':') {
		size_t d = strspn(p + 1, "0123456789");
		if (d == 0 || d > 5)
			return 0;
		p += 1 + d;
	}
	return *p == '\0';
}

int tg_registry_base_url(const char *host, char *out, size_t n)
{
	char tmp[TG_REGISTRY_BASE_URL_MAX];
	if (host == NULL || strlen(host) > 255 || !host_valid(host))
		return TG_EINVAL;
	if (strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0)
		snprintf(tmp, sizeof(tmp), "https://registry-1.docker.io");
	else
		snprintf(tmp, sizeof(tmp), "%s://%s", tg_http_is_loopback_host(host) ? "http" : "https",
		         host);
	size_t len = strlen(tmp);
	if (out == NULL || len >= n)
		return TG_ETOOBIG;
	memcpy(out, tmp, len + 1);
	return TG_OK;
}
