/* request: see request.h. Envelope fields are read by their exact names:
 * dockerd writes them, so there is one spelling (its Go field names). */
#include "authz/request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

static int decode_base64(const char *text, unsigned char **out, size_t *out_len, tg_error *err)
{
	size_t n = strlen(text);
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

static int copy_string_field(json_t *root, const char *name, bool required, char **out,
                             tg_error *err)
{
	json_t *v = json_object_get(root, name);
	if (v == NULL) {
		if (required)
			return tg_error_set(err, TG_EINVAL, "plugin request has no %s", name);
		*out = NULL;
		return TG_OK;
	}
	if (!json_is_string(v))
		return tg_error_set(err, TG_EINVAL, "plugin request field %s is not a string", name);
	*out = strdup(json_string_value(v));
	return *out ? TG_OK : tg_error_set(err, TG_ENOMEM, "out of memory");
}

static int take_headers(json_t *root, tg_authz_request *req, tg_error *err)
{
	json_t *h = json_object_get(root, "RequestHeaders");
	if (h == NULL || json_is_null(h)) {
		req->headers = json_object();
		return req->headers ? TG_OK : tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	if (!json_is_object(h))
		return tg_error_set(err, TG_EINVAL, "plugin request field RequestHeaders is not an object");
	const char *k;
	json_t *v;
	json_object_foreach(h, k, v) {
		if (!json_is_string(v))
			return tg_error_set(err, TG_EINVAL, "request header %.60s is not a string", k);
	}
	req->headers = json_incref(h);
	return TG_OK;
}

static int fill_request(json_t *root, tg_authz_request *req, tg_error *err)
{
	int rc = copy_string_field(root, "RequestMethod", true, &req->method, err);
	if (rc == TG_OK)
		rc = copy_string_field(root, "RequestUri", true, &req->uri, err);
	if (rc == TG_OK)
		rc = take_headers(root, req, err);
	if (rc != TG_OK)
		return rc;
	json_t *body = json_object_get(root, "RequestBody");
	if (body == NULL || json_is_null(body))
		return TG_OK;
	if (!json_is_string(body))
		return tg_error_set(err, TG_EINVAL, "plugin request field RequestBody is not a string");
	return decode_base64(json_string_value(body), &req->body, &req->body_len, err);
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
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return tg_error_set(err, TG_EINVAL, "plugin request is not valid JSON: %s", jerr.text);
	int rc;
	tg_authz_request *req = calloc(1, sizeof(*req));
	if (req == NULL)
		rc = tg_error_set(err, TG_ENOMEM, "out of memory");
	else if (!json_is_object(root))
		rc = tg_error_set(err, TG_EINVAL, "plugin request is not a JSON object");
	else
		rc = fill_request(root, req, err);
	json_decref(root);
	if (rc != TG_OK) {
		tg_authz_request_free(req);
		return rc;
	}
	*out = req;
	return TG_OK;
}

const char *tg_authz_request_header(const tg_authz_request *req, const char *name)
{
	const char *k;
	json_t *v;
	json_object_foreach(req->headers, k, v) {
		if (strcasecmp(k, name) == 0)
			return json_string_value(v);
	}
	return NULL;
}

void tg_authz_request_free(tg_authz_request *req)
{
	if (req == NULL)
		return;
	free(req->method);
	free(req->uri);
	json_decref(req->headers);
	free(req->body);
	free(req);
}
