/* http: trustgate's one way out to the network - bounded HTTP(S) GET and HEAD
 * with libcurl, for registries and Notary servers.
 *
 * Every call has a deadline and a body limit, so a slow or hostile server can
 * neither hang a worker nor fill memory (dockerd waits for the plugin forever,
 * NOTES.md section 1). The rules are fixed here, not left to callers:
 *   - only http and https; redirects are followed (at most 3: registries
 *     redirect blob GETs to storage) but never to another scheme, and never
 *     from https down to http;
 *   - TLS peer and host name verification are always on; opt->ca_file only
 *     chooses which CAs are trusted;
 *   - proxies named in the environment are ignored (trustgate runs as a root
 *     daemon; http_proxy in its environment must not reroute trust lookups);
 *   - no content decoding: the body is the exact bytes sent, so digests of it
 *     are the digests of what the server holds;
 *   - credentials set through this API are not sent on to another host when
 *     a redirect leaves the original one (libcurl's rule).
 *
 * Token authentication (Docker distribution token spec): when a request is
 * answered 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`
 * and the caller gave no bearer token, tg_http_get asks the realm for a token
 * (anonymously, or with the basic credentials of the options), then repeats
 * the request once with `Authorization: Bearer <token>`. The realm must be
 * https, unless the original URL and the realm are both http on a loopback
 * host. A 401 answered with a `Basic` challenge is repeated once with the
 * basic credentials when some were given (https or loopback only). Whatever
 * the retried request answers is the response.
 *
 * Thread safety: tg_http_global_init() must be called once at program start,
 * before any thread is created and before any other function here;
 * tg_http_global_cleanup() once at exit, after all threads are done. Between
 * them every function is thread-safe: each call uses its own curl handle and
 * there is no global mutable state besides libcurl's.
 */
#ifndef TG_HTTP_H
#define TG_HTTP_H

#include <stddef.h>

#include "common/tg_buf.h"
#include "common/tg_error.h"

/* Defaults used when an option is 0. */
#define TG_HTTP_DEFAULT_DEADLINE_MS 10000L
#define TG_HTTP_DEFAULT_MAX_BODY ((size_t)1 << 20)
#define TG_HTTP_MAX_REDIRECTS 3L

/* Longest kept response header value (including the terminator); a longer
 * one fails the request with TG_ETOOBIG rather than being cut. */
#define TG_HTTP_HEADER_MAX 1024

typedef struct tg_http_options {
	const char *ca_file;   /* PEM file of trusted CAs for https; NULL = system CAs */
	long deadline_ms;      /* whole call, token round trip included; 0 = default */
	size_t max_body;       /* largest body accepted; 0 = default */
	int head;              /* nonzero: HEAD instead of GET */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated; may be NULL */
	const char *bearer_token;   /* sent as Authorization: Bearer; NULL = none (and
	                               then a Bearer challenge is answered, see above) */
	const char *username;  /* basic credentials for the token realm or a Basic */
	const char *password;  /* challenge; both NULL = anonymous */
	const char *post_json;   /* POST this JSON body instead of GET; NULL = GET/HEAD */
	const char *unix_socket; /* connect to this Unix socket instead of the URL's host
	                            (the Docker API: "http://docker/v1.41/..."); NULL = TCP */
	struct tg_http_session *session; /* reuse its connections (keep-alive); NULL = a
	                                    fresh connection, closed after the call */
} tg_http_options;

/* A connection cache for the calls of one thread at a time: a caller that
 * asks the same server often (trustgate's lookup threads asking dockerd)
 * keeps its connection instead of opening one per call. */
typedef struct tg_http_session tg_http_session;

/* *out receives a new session (free with tg_http_session_free). Errors:
 * TG_ENOMEM. */
int tg_http_session_new(tg_http_session **out, tg_error *err);

/* Close its connections and free it. Accepts NULL. */
void tg_http_session_free(tg_http_session *s);

typedef struct tg_http_response {
	long status;           /* HTTP status of the final response */
	tg_buf body;           /* exact body bytes (empty for HEAD); owned */
	/* Selected headers of the final response, "" when absent. Repeated
	 * WWW-Authenticate lines are joined with ", ". */
	char content_digest[TG_HTTP_HEADER_MAX];   /* Docker-Content-Digest */
	char content_type[TG_HTTP_HEADER_MAX];     /* Content-Type */
	char www_authenticate[TG_HTTP_HEADER_MAX]; /* WWW-Authenticate */
	long long content_length;                  /* Content-Length; -1 when absent */
	/* The bearer token obtained during this call, or NULL; owned, wiped on
	 * free. Pass it as opt->bearer_token to the next request for the same
	 * repository to save a round trip. */
	char *token;
} tg_http_response;

/* Initialise and release libcurl. Not thread-safe: call once at program
 * start, before any threads, and once at exit. tg_http_global_init returns
 * 0, or TG_EIO with a message. */
int tg_http_global_init(tg_error *err);
void tg_http_global_cleanup(void);

/* Fetch url (http:// or https://) as opt says (opt may be NULL: defaults,
 * GET). Any HTTP status is a success: on 0, *out holds the response and the
 * caller frees it with tg_http_response_free. On failure *out is untouched
 * and the return is:
 *   TG_EINVAL   url is not http(s) or an option is malformed (header with CR/LF)
 *   TG_ETIMEOUT the deadline passed ("timed out after 2000 ms waiting for URL")
 *   TG_ETOOBIG  the body or a kept header is over its limit (transfer aborted)
 *   TG_EIO      the network failed; the message names the host and the cause
 *               ("cannot connect to 127.0.0.1:4443: connection refused",
 *               "TLS certificate of notary.acme.io is not trusted (...)"),
 *               or the token service failed or refused
 *   TG_ENOMEM
 * Thread-safe (after tg_http_global_init). */
int tg_http_get(const char *url, const tg_http_options *opt, tg_http_response *out,
                tg_error *err);

/* Free what a response owns and reset it. Accepts NULL. */
void tg_http_response_free(tg_http_response *resp);

/* The parameters of a Bearer challenge that tg_http_get uses. */
typedef struct tg_http_challenge {
	char realm[TG_HTTP_HEADER_MAX];   /* never empty on success */
	char service[TG_HTTP_HEADER_MAX]; /* "" when absent */
	char scope[TG_HTTP_HEADER_MAX];   /* "" when absent */
} tg_http_challenge;

/* Find the Bearer challenge in a WWW-Authenticate value (RFC 7235: several
 * challenges, quoted strings with backslash escapes and commas, token68,
 * case-insensitive scheme and parameter names) and fill *out. Returns 0,
 * TG_ENOTFOUND (no Bearer challenge), TG_EINVAL (malformed, or no realm),
 * TG_EAMBIGUOUS (two Bearer challenges, or a parameter given twice) or
 * TG_ETOOBIG (a value too long). Pure; thread-safe. */
int tg_http_parse_bearer(const char *header, tg_http_challenge *out, tg_error *err);

/* Nonzero when host (optionally with ":port") is a loopback name:
 * "localhost", a dotted-quad 127.x.x.x, or "[::1]". The name is not resolved.
 * Pure; thread-safe. */
int tg_http_is_loopback_host(const char *host);

#endif
