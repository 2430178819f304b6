/* request: see request.h. Envelope fields are read by their exact names:
 * dockerd writes them, so there is one spelling (its Go field names). */
#include "authz/request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

static int decode_base64(const char *text, size_t n, unsigned char **out, size_t *out_len,
                         tg_error *err)
{
	if (n % 4 != 0)
		return tg_error_set(err, TG_EINVAL, "RequestBody is not valid base64");
	if (n / 4 * 3 > TG_REQUEST_BODY_MAX)
		return tg_error_set(err, TG_ETOOBIG, "RequestBody is larger than %u bytes",
		                    TG_REQUEST_BODY_MAX);
	unsigned char *buf = malloc(n / 4 * 3 + 1);
	if (buf == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	int decoded = n ? EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n) : 0;
	if (decoded < 0) {
		free(buf);
		return tg_error_set(err, TG_EINVAL, "RequestBody is not valid base64");
	}
	/* EVP_DecodeBlock counts padding as zero bytes; drop them. */
	size_t len = (size_t)decoded;
	for (size_t i = n; i > 0 && text[i - 1] == '=' && len > 0; i--)
		len--;
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return TG_OK;
}

static int string_field(const tg_jnode *root, const char *name, bool required,
                        const char **out, tg_error *err)
{
	const tg_jnode *v = tg_jnode_member(root, name);
	if (v == NULL) {
		*out = NULL;
		return required ? tg_error_set(err, TG_EINVAL, "plugin request has no %s", name) : TG_OK;
	}
	if (v->type != TG_JSTRING)
		return tg_error_set(err, TG_EINVAL, "plugin request field %s is not a string", name);
	*out = v->str;
	return TG_OK;
}

static int take_headers(const tg_jnode *root, tg_authz_request *req, tg_error *err)
{
	const tg_jnode *h = tg_jnode_member(root, "RequestHeaders");
	if (h == NULL || h->type == TG_JNULL)
		return TG_OK;
	if (h->type != TG_JOBJECT)
		return tg_error_set(err, TG_EINVAL, "plugin request field RequestHeaders is not an object");
	const tg_jnode *k = tg_jnode_first(h);
	for (uint32_t i = 0; i < h->len; i++, k = tg_jnode_skip(k + 1))
		if (k[1].type != TG_JSTRING)
			return tg_error_set(err, TG_EINVAL, "request header %.60s is not a string", k->str);
	req->headers = h;
	return TG_OK;
}

static int fill_request(const tg_jnode *root, tg_authz_request *req, tg_error *err)
{
	int rc = string_field(root, "RequestMethod", true, &req->method, err);
	if (rc == TG_OK)
		rc = string_field(root, "RequestUri", true, &req->uri, err);
	if (rc == TG_OK)
		rc = take_headers(root, req, err);
	if (rc != TG_OK)
		return rc;
	const tg_jnode *body = tg_jnode_member(root, "RequestBody");
	if (body == NULL || body->type == TG_JNULL)
		return TG_OK;
	if (body->type != TG_JSTRING)
		return tg_error_set(err, TG_EINVAL, "plugin request field RequestBody is not a string");
	return decode_base64(body->str, body->len, &req->body, &req->body_len, err);
}

int tg_authz_request_parse(const char *data, size_t len, tg_authz_request **out, tg_error *err)
{
	if (len == 0)
		return tg_error_set(err, TG_EINVAL,
		                    "the plugin request is empty (dockerd resends requests without "
		                    "their content when a first attempt failed)");
	if (len > TG_REQUEST_MAX)
		return tg_error_set(err, TG_ETOOBIG, "plugin request is larger than %u bytes",
		                    TG_REQUEST_MAX);
	tg_authz_request *req = calloc(1, sizeof(*req));
	if (req == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	tg_error perr;
	int rc = tg_jdoc_parse(data, len, &req->envelope, &perr);
	if (rc != TG_OK)
		tg_error_set(err, rc, "plugin request is not valid JSON: %s", perr.msg);
	else if (tg_jdoc_root(&req->envelope)->type != TG_JOBJECT)
		rc = tg_error_set(err, TG_EINVAL, "plugin request is not a JSON object");
	else
		rc = fill_request(tg_jdoc_root(&req->envelope), req, err);
	if (rc != TG_OK) {
		tg_authz_request_free(req);
		return rc;
	}
	*out = req;
	return TG_OK;
}

const char *tg_authz_request_header(const tg_authz_request *req, const char *name)
{
	if (req->headers == NULL)
		return NULL;
	const tg_jnode *k = tg_jnode_first(req->headers);
	for (uint32_t i = 0; i < req->headers->len; i++, k = tg_jnode_skip(k + 1))
		if (strcasecmp(k->str, name) == 0)
			return k[1].str;
	return NULL;
}

void tg_authz_request_free(tg_authz_request *req)
{
	if (req == NULL)
		return;
	tg_jdoc_free(&req->envelope);
	free(req->body);
	free(req);
}
