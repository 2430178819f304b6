/* container_util: what the container rule tests share (test_container.c,
 * test_hardening.c): AuthZReq envelopes made from bodies, and decoding. */
#ifndef TG_CONTAINER_UTIL_H
#define TG_CONTAINER_UTIL_H

#include "tg_test.h"

#include <jansson.h>
#include <openssl/evp.h>

#include "authz/container.h"
#include "authz/request.h"

/* text with every ' turned into " (a new string). */
static inline char *json(const char *text)
{
	char *out = strdup(text);
	assert_non_null(out);
	for (char *c = out; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	return out;
}

static inline const char *kind_uri(enum tg_container_kind kind)
{
	return kind == TG_SPEC_CREATE ? "/v1.41/containers/create"
	       : kind == TG_SPEC_EXEC ? "/v1.41/containers/c1/exec"
	                              : "/v1.41/services/create";
}

/* An AuthZReq for a request of kind whose RequestBody is body, as is
 * (NULL: no RequestBody, as dockerd sends an over-size or retried one). */
static inline tg_authz_request *make_request(enum tg_container_kind kind, const char *body)
{
	json_t *obj = json_pack("{s:s, s:s}", "RequestMethod", "POST", "RequestUri", kind_uri(kind));
	if (body != NULL) {
		size_t n = strlen(body);
		char *b64 = malloc(4 * ((n + 2) / 3) + 1);
		assert_non_null(b64);
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)body, (int)n);
		json_object_set_new(obj, "RequestBody", json_string(b64));
		free(b64);
	}
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	tg_authz_request *req = NULL;
	tg_error err;
	if (tg_authz_request_parse(text, strlen(text), &req, &err) != 0)
		fail_msg("envelope rejected: %s", err.msg);
	free(text);
	return req;
}

/* Decode body (exact text, not ' notation) as kind into a new spec. */
static inline int decode(enum tg_container_kind kind, const char *body, tg_container_spec **spec,
                  tg_error *err)
{
	tg_authz_request *req = make_request(kind, body);
	*spec = calloc(1, sizeof(**spec));
	assert_non_null(*spec);
	tg_error_clear(err);
	int rc = tg_container_decode(req, kind, *spec, err);
	tg_authz_request_free(req);
	return rc;
}


/* A create body with these HostConfig members; a service body with these
 * ContainerSpec members (' for ", as json() reads). */
#define HC(members) "{'Image':'app/x:1','HostConfig':{" members "}}"
#define CS(members) "{'Name':'s','TaskTemplate':{'ContainerSpec':{'Image':'app/x:1'," members "}}}"

#endif
