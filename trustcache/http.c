/* http: see http.h. One curl easy handle per request, all of them made and
 * destroyed inside one call, so calls share nothing but libcurl's global
 * state. A call is at most three requests (original, token, retry) that
 * share one absolute deadline. Body and header bytes go through callbacks
 * into bounded storage; going over a bound aborts the transfer. Failures are
 * turned into messages that name the host and the cause in words, since they
 * end up in front of a person who typed `docker run`.
 */
#include "trustcache/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#ifndef TG_VERSION
#define TG_VERSION "dev"
#endif

#define TOKEN_BODY_MAX ((size_t)64 * 1024) /* token service answer */
#define TOKEN_MAX ((size_t)16 * 1024)      /* the token itself */
#define TOKEN_URL_MAX ((size_t)8 * 1024)

/* ---------------------------------------------------------------- URLs */

/* What messages say about a URL: never its userinfo or query. */
struct url_parts {
	char scheme[8];     /* "http" or "https" (other schemes are refused) */
	char host[256];     /* as written in the URL; IPv6 in brackets */
	char hostport[272]; /* host:port with the default port filled in */
	char shown[768];    /* scheme://host[:port]/path */
};

static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return TG_ETOOBIG;
	memcpy(dst, src, n + 1);
	return TG_OK;
}

static int parse_url(const char *url, struct url_parts *u)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *eport = NULL, *path = NULL;
	int rc = TG_EINVAL;
	if (h == NULL)
		return TG_ENOMEM;
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	(void)curl_url_get(h, CURLUPART_PORT, &eport, 0); /* absent when not explicit */
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto out;
	if (copy_str(u->scheme, sizeof(u->scheme), scheme) != TG_OK ||
	    copy_str(u->host, sizeof(u->host), host) != TG_OK)
		goto out;
	snprintf(u->hostport, sizeof(u->hostport), "%s:%s", host, port);
	int n = snprintf(u->shown, sizeof(u->shown), "%s://%s%s%s%s", scheme, host,
	                 eport ? ":" : "", eport ? eport : "", path);
	if (n < 0 || (size_t)n >= sizeof(u->shown))
		strcpy(u->shown + sizeof(u->shown) - 4, "...");
	rc = TG_OK;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(eport);
	curl_free(path);
	curl_url_cleanup(h);
	return rc;
}

int tg_http_is_loopback_host(const char *host)
{
	char name[64];
	const char *end, *rest;
	int v6 = 0;
	if (host == NULL)
		return 0;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (end == NULL)
			return 0;
		host++;
		rest = end + 1;
		v6 = 1;
	} else {
		end = strchr(host, ':');
		if (end == NULL)
			end = host + strlen(host);
		rest = end;
	}
	if (*rest == ':') {
		size_t digits = strspn(rest + 1, "0123456789");
		if (digits == 0 || digits > 5 || rest[1 + digits] != '\0')
			return 0;
	} else if (*rest != '\0') {
		return 0;
	}
	size_t n = (size_t)(end - host);
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, host, n);
	name[n] = '\0';
	if (v6) {
		struct in6_addr a6;
		return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (strcasecmp(name, "localhost") == 0)
		return 1;
	/* inet_pton takes only the four-part dotted decimal form, so
	 * "127.1" or "0x7f.0.0.1" are not loopback here (they would not be
	 * for dockerd's reference parser either). */
	struct in_addr a4;
	if (inet_pton(AF_INET, name, &a4) != 1)
		return 0;
	return ((const unsigned char *)&a4.s_addr)[0] == 127;
}

/* ------------------------------------------------- WWW-Authenticate */

static int is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_token68(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~+/", c) != NULL);
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int name_is(const char *t, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(t, name, n) == 0;
}

/* Read a parameter value (token or quoted-string) at *pp into dst (NULL:
 * read and drop it). */
static int read_value(const char **pp, char *dst, size_t cap, tg_error *err)
{
	const char *p = *pp;
	size_t len = 0;
	if (*p == '"') {
		for (p++;; p++) {
			char c = *p;
			if (c == '\0')
				return tg_error_set(err, TG_EINVAL, "unterminated quoted string");
			if (c == '"')
				break;
			if (c == '\\') {
				c = *++p;
				if (c == '\0')
					return tg_error_set(err, TG_EINVAL, "unterminated quoted string");
			}
			if (((unsigned char)c < 0x20 && c != '\t') || c == 0x7f)
				return tg_error_set(err, TG_EINVAL, "control character in quoted string");
			if (dst != NULL) {
				if (len + 1 >= cap)
					return tg_error_set(err, TG_ETOOBIG, "parameter value longer than %zu bytes",
					                    cap - 1);
				dst[len++] = c;
			}
		}
		p++;
	} else {
		const char *t = p;
		while (is_tchar(*p))
			p++;
		if (p == t)
			return tg_error_set(err, TG_EINVAL, "parameter without a value");
		len = (size_t)(p - t);
		if (dst != NULL) {
			if (len >= cap)
				return tg_error_set(err, TG_ETOOBIG, "parameter value longer than %zu bytes",
				                    cap - 1);
			memcpy(dst, t, len);
		}
	}
	if (dst != NULL)
		dst[len] = '\0';
	*pp = p;
	return TG_OK;
}

/* Walk all challenges of a WWW-Authenticate value (RFC 7235 section 4.1)
 * looking for the scheme want. When out is not NULL, fill it from that
 * challenge's realm, service and scope. */
static int find_challenge(const char *h, const char *want, tg_http_challenge *out, tg_error *err)
{
	const char *p = h;
	int in_scheme = 0, in_want = 0, found = 0;
	int seen_realm = 0, seen_service = 0, seen_scope = 0;
	if (out != NULL)
		out->realm[0] = out->service[0] = out->scope[0] = '\0';
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		const char *t = p;
		while (is_tchar(*p))
			p++;
		size_t tlen = (size_t)(p - t);
		if (tlen == 0)
			return tg_error_set(err, TG_EINVAL, "unexpected character '%c' at offset %zu",
			                    *p, (size_t)(p - h));
		const char *q = skip_ows(p);
		if (*q == '=') {
			/* auth-param of the current challenge */
			if (!in_scheme)
				return tg_error_set(err, TG_EINVAL, "parameter before any scheme");
			char *dst = NULL;
			size_t cap = 0;
			int *seen = NULL;
			if (in_want && out != NULL) {
				if (name_is(t, tlen, "realm")) {
					dst = out->realm, cap = sizeof(out->realm), seen = &seen_realm;
				} else if (name_is(t, tlen, "service")) {
					dst = out->service, cap = sizeof(out->service), seen = &seen_service;
				} else if (name_is(t, tlen, "scope")) {
					dst = out->scope, cap = sizeof(out->scope), seen = &seen_scope;
				}
			}
			if (seen != NULL && *seen)
				return tg_error_set(err, TG_EAMBIGUOUS, "parameter %.*s given twice",
				                    (int)tlen, t);
			if (seen != NULL)
				*seen = 1;
			p = skip_ows(q + 1);
			int rc = read_value(&p, dst, cap, err);
			if (rc != TG_OK)
				return rc;
			p = skip_ows(p);
			if (*p != ',' && *p != '\0')
				return tg_error_set(err, TG_EINVAL, "unexpected character '%c' at offset %zu",
				                    *p, (size_t)(p - h));
			continue;
		}
		/* a new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
		in_scheme = 1;
		in_want = name_is(t, tlen, want);
		if (in_want) {
			if (found)
				return tg_error_set(err, TG_EAMBIGUOUS, "two %s challenges", want);
			found = 1;
		}
		if (q == p && *p != ',' && *p != '\0')
			return tg_error_set(err, TG_EINVAL, "unexpected character '%c' at offset %zu",
			                    *p, (size_t)(p - h));
		p = q;
		const char *r = p;
		while (is_token68(*r))
			r++;
		if (r > p) {
			while (*r == '=')
				r++;
			const char *e = skip_ows(r);
			if (*e == ',' || *e == '\0')
				p = e; /* token68: nothing we use */
		}
	}
	if (!found)
		return tg_error_set(err, TG_ENOTFOUND, "no %s challenge", want);
	if (out != NULL && out->realm[0] == '\0')
		return tg_error_set(err, TG_EINVAL, "%s challenge without a realm", want);
	return TG_OK;
}

int tg_http_parse_bearer(const char *header, tg_http_challenge *out, tg_error *err)
{
	tg_http_challenge tmp;
	int rc = find_challenge(header ? header : "", "Bearer", &tmp, err);
	if (rc == TG_OK)
		*out = tmp;
	return rc;
}

/* ----------------------------------------------------------- requests */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One HTTP request as perform() makes it. */
struct tg_http_session {
	CURL *handle; /* reset before each use; keeps its connection cache */
};

int tg_http_session_new(tg_http_session **out, tg_error *err)
{
	tg_http_session *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->handle = curl_easy_init()) == NULL) {
		free(s);
		return tg_error_set(err, TG_ENOMEM, "cannot create a curl handle");
	}
	*out = s;
	return TG_OK;
}

void tg_http_session_free(tg_http_session *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->handle);
	free(s);
}

struct req {
	tg_http_session *session; /* or NULL */
	const char *url;
	int head;
	const char *const *headers;
	const char *authz;    /* full "Authorization: ..." line, or NULL */
	const char *username; /* basic credentials, sent pre-emptively; or NULL */
	const char *password;
	const char *ca_file;
	const char *unix_socket;
	const char *post_json;
	int https_only;       /* redirects may not leave https */
	size_t max_body;
	long deadline_ms;     /* the whole call's budget, for messages */
	long long end_ms;     /* absolute, CLOCK_MONOTONIC */
};

/* Transfer state shared with the callbacks. */
struct xfer {
	tg_http_response *resp;
	int head;
	long cur_status;
	int too_big, nomem;
	const char *long_header; /* name of a header over TG_HTTP_HEADER_MAX */
};

static void response_init(tg_http_response *r, size_t max_body)
{
	r->status = 0;
	tg_buf_init(&r->body, max_body);
	r->content_digest[0] = r->content_type[0] = r->www_authenticate[0] = '\0';
	r->content_length = -1;
	r->token = NULL;
}

void tg_http_response_free(tg_http_response *resp)
{
	if (resp == NULL)
		return;
	tg_buf_free(&resp->body);
	if (resp->token != NULL) {
		OPENSSL_cleanse(resp->token, strlen(resp->token));
		free(resp->token);
		resp->token = NULL;
	}
	resp->status = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	int rc = tg_buf_append(&x->resp->body, p, n);
	if (rc == TG_ETOOBIG)
		x->too_big = 1;
	else if (rc != TG_OK)
		x->nomem = 1;
	return rc == TG_OK ? n : 0;
}

/* Keep value v (vlen bytes) in dst; join repeats with ", " when join. */
static int keep_header(struct xfer *x, const char *name, char *dst, const char *v, size_t vlen,
                       int join)
{
	size_t have = join ? strlen(dst) : 0;
	size_t sep = have > 0 ? 2 : 0;
	if (have + sep + vlen >= TG_HTTP_HEADER_MAX) {
		x->long_header = name;
		return 0;
	}
	memcpy(dst + have, ", ", sep);
	memcpy(dst + have + sep, v, vlen);
	dst[have + sep + vlen] = '\0';
	return 1;
}

/* Called once per header line of every response, redirects included: a
 * status line starts a new response and forgets what came before. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	tg_http_response *r = x->resp;
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', n);
		x->cur_status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		r->content_digest[0] = r->content_type[0] = r->www_authenticate[0] = '\0';
		r->content_length = -1;
		return n;
	}
	const char *colon = memchr(p, ':', n);
	if (colon == NULL)
		return n;
	size_t nlen = (size_t)(colon - p);
	const char *v = colon + 1, *end = p + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t vlen = (size_t)(end - v);
	if (name_is(p, nlen, "Docker-Content-Digest"))
		return keep_header(x, "Docker-Content-Digest", r->content_digest, v, vlen, 0) ? n : 0;
	if (name_is(p, nlen, "Content-Type"))
		return keep_header(x, "Content-Type", r->content_type, v, vlen, 0) ? n : 0;
	if (name_is(p, nlen, "WWW-Authenticate"))
		return keep_header(x, "WWW-Authenticate", r->www_authenticate, v, vlen, 1) ? n : 0;
	if (name_is(p, nlen, "Content-Length")) {
		long long cl = 0;
		size_t i;
		for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' && cl < (1LL << 50); i++)
			cl = cl * 10 + (v[i] - '0');
		r->content_length = (i == vlen && vlen > 0) ? cl : -1;
		/* Refuse early what cannot fit; a HEAD or a redirect has no body. */
		if (!x->head && (x->cur_status < 300 || x->cur_status >= 400) &&
		    r->content_length >= 0 && (unsigned long long)r->content_length > r->body.max) {
			x->too_big = 1;
			return 0;
		}
	}
	return n;
}

/* "Connection refused" -> "connection refused", thread-safely. */
static void errno_text(int e, char *buf, size_t n)
{
	if (strerror_r(e, buf, n) != 0)
		snprintf(buf, n, "error %d", e);
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

/* Turn a failed transfer into a code and a sentence about the host. */
static int transfer_error(CURL *h, CURLcode cc, const char *errbuf, const struct req *rq,
                          const struct xfer *x, tg_error *err)
{
	struct url_parts u;
	char *eff = NULL;
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	(void)curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
	if (eff == NULL || parse_url(eff, &u) != TG_OK) {
		if (parse_url(rq->url, &u) != TG_OK)
			return tg_error_set(err, TG_EIO, "request failed: %s", detail);
	}
	if (x->nomem || cc == CURLE_OUT_OF_MEMORY)
		return tg_error_set(err, TG_ENOMEM, "out of memory reading %s", u.shown);
	if (x->too_big)
		return tg_error_set(err, TG_ETOOBIG, "response from %s is larger than %zu bytes",
		                    u.hostport, rq->max_body);
	if (x->long_header != NULL)
		return tg_error_set(err, TG_ETOOBIG, "header %s from %s is longer than %d bytes",
		                    x->long_header, u.hostport, TG_HTTP_HEADER_MAX - 1);
	long oserr = 0;
	long verify = 0;
	char etext[128];
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return tg_error_set(err, TG_ETIMEOUT, "timed out after %ld ms waiting for %s",
		                    rq->deadline_ms, u.shown);
	case CURLE_COULDNT_RESOLVE_HOST:
		return tg_error_set(err, TG_EIO, "cannot resolve host name %s", u.host);
	case CURLE_COULDNT_CONNECT:
		(void)curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == 0)
			return tg_error_set(err, TG_EIO, "cannot connect to %s: %s", u.hostport, detail);
		errno_text((int)oserr, etext, sizeof(etext));
		return tg_error_set(err, TG_EIO, "cannot connect to %s: %s", u.hostport, etext);
	case CURLE_PEER_FAILED_VERIFICATION:
		/* libcurl checks the name itself after OpenSSL accepted the chain,
		 * and then leaves no useful verify result: its messages say
		 * "... target host name ..." (vtls/openssl.c verifyhost). */
		if (strstr(detail, "host name") != NULL)
			return tg_error_set(err, TG_EIO,
			                    "TLS certificate of %s is not valid for that name (%s)", u.host,
			                    detail);
		(void)curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &verify);
		if (verify != X509_V_OK)
			return tg_error_set(err, TG_EIO, "TLS certificate of %s is not trusted (%s)",
			                    u.host, X509_verify_cert_error_string(verify));
		return tg_error_set(err, TG_EIO, "TLS certificate of %s is not trusted (%s)", u.host,
		                    detail);
	case CURLE_SSL_CACERT_BADFILE:
		return tg_error_set(err, TG_EIO, "cannot use CA file %s for %s: %s",
		                    rq->ca_file ? rq->ca_file : "(system default)", u.host, detail);
	case CURLE_SSL_CONNECT_ERROR:
		return tg_error_set(err, TG_EIO, "TLS handshake with %s failed: %s", u.hostport, detail);
	case CURLE_TOO_MANY_REDIRECTS:
		return tg_error_set(err, TG_EIO, "%s redirected more than %ld times", u.shown,
		                    TG_HTTP_MAX_REDIRECTS);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return tg_error_set(err, TG_EIO, "%s redirected to a URL that is not allowed "
		                    "(only http and https, never from https to http): %s",
		                    u.shown, detail);
	case CURLE_GOT_NOTHING:
		return tg_error_set(err, TG_EIO, "%s closed the connection without answering",
		                    u.hostport);
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return tg_error_set(err, TG_EIO, "connection to %s failed: %s", u.hostport, detail);
	default:
		return tg_error_set(err, TG_EIO, "request to %s failed: %s", u.shown, detail);
	}
}

#define SETOPT(h, opt, val)                                                                 \
	do {                                                                                    \
		if (cc == CURLE_OK)                                                                 \
			cc = curl_easy_setopt((h), (opt), (val));                                       \
	} while (0)

/* Make one request; on 0, *resp holds the answer (caller frees it either way). */
static int perform(const struct req *rq, tg_http_response *resp, tg_error *err)
{
	struct xfer x = {.resp = resp, .head = rq->head};
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode cc = CURLE_OK;
	int rc = TG_OK;

	response_init(resp, rq->max_body);
	errbuf[0] = '\0';
	long long left = rq->end_ms - now_ms();
	if (left <= 0) {
		struct url_parts u;
		return tg_error_set(err, TG_ETIMEOUT, "timed out after %ld ms waiting for %s",
		                    rq->deadline_ms, parse_url(rq->url, &u) == TG_OK ? u.shown : "server");
	}
	CURL *h = rq->session ? rq->session->handle : curl_easy_init();
	if (h == NULL)
		return tg_error_set(err, TG_ENOMEM, "cannot create a curl handle");
	if (rq->session != NULL)
		curl_easy_reset(h); /* no option of an earlier call survives; connections do */
	for (const char *const *hp = rq->headers; hp != NULL && *hp != NULL; hp++) {
		struct curl_slist *l = curl_slist_append(hdrs, *hp);
		if (l == NULL)
			goto nomem;
		hdrs = l;
	}
	if (rq->authz != NULL) {
		struct curl_slist *l = curl_slist_append(hdrs, rq->authz);
		if (l == NULL)
			goto nomem;
		hdrs = l;
	}

	SETOPT(h, CURLOPT_URL, rq->url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, rq->https_only ? "https" : "http,https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(h, CURLOPT_MAXREDIRS, TG_HTTP_MAX_REDIRECTS);
	SETOPT(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
	SETOPT(h, CURLOPT_NOPROXY, "*");
	SETOPT(h, CURLOPT_PROXY, "");
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rq->ca_file != NULL)
		SETOPT(h, CURLOPT_CAINFO, rq->ca_file);
	if (rq->unix_socket != NULL)
		SETOPT(h, CURLOPT_UNIX_SOCKET_PATH, rq->unix_socket);
	if (rq->post_json != NULL)
		SETOPT(h, CURLOPT_POSTFIELDS, rq->post_json);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_TIMEOUT_MS, (long)left);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	SETOPT(h, CURLOPT_NOBODY, rq->head ? 1L : 0L);
	SETOPT(h, CURLOPT_USERAGENT, "trustgate/" TG_VERSION);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &x);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &x);
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	if (hdrs != NULL)
		SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
	if (rq->username != NULL) {
		SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(h, CURLOPT_USERNAME, rq->username);
		SETOPT(h, CURLOPT_PASSWORD, rq->password ? rq->password : "");
	}
	if (cc != CURLE_OK) {
		rc = tg_error_set(err, cc == CURLE_OUT_OF_MEMORY ? TG_ENOMEM : TG_EIO,
		                  "cannot set up the request: %s", curl_easy_strerror(cc));
		goto out;
	}

	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		rc = transfer_error(h, cc, errbuf, rq, &x, err);
		goto out;
	}
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	goto out;
nomem:
	rc = tg_error_set(err, TG_ENOMEM, "out of memory building request headers");
out:
	curl_slist_free_all(hdrs); /* may hold the Authorization line: curl frees, we cannot wipe */
	if (rq->session == NULL)
		curl_easy_cleanup(h);
	else
		curl_easy_reset(h); /* it pointed at this call's stack and headers */
	return rc;
}

/* ------------------------------------------------------ token auth */

static int read_token(const tg_buf *b, const char *host, char **tok_out, tg_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(tg_buf_str(b), b->len, JSON_REJECT_DUPLICATES, &je);
	const char *t = NULL;
	size_t tlen = 0;
	int rc = TG_OK;
	if (!json_is_object(root)) {
		rc = tg_error_set(err, TG_EIO, "token service %s did not answer with a JSON object",
		                  host);
		goto out;
	}
	/* distribution's token spec: "token", with "access_token" as the
	 * OAuth 2 compatible spelling; the Docker client prefers "token". */
	const char *names[] = {"token", "access_token"};
	for (size_t i = 0; i < 2 && t == NULL; i++) {
		json_t *v = json_object_get(root, names[i]);
		if (json_is_string(v) && json_string_length(v) > 0) {
			t = json_string_value(v);
			tlen = json_string_length(v);
		}
	}
	if (t == NULL) {
		rc = tg_error_set(err, TG_EIO, "token service %s answered without a token", host);
		goto out;
	}
	for (size_t i = 0; i < tlen; i++) {
		if (t[i] <= 0x20 || t[i] >= 0x7f) {
			rc = tg_error_set(err, TG_EIO, "token service %s sent a token with invalid "
			                  "characters", host);
			goto out;
		}
	}
	if (tlen > TOKEN_MAX) {
		rc = tg_error_set(err, TG_ETOOBIG, "token from %s is longer than %zu bytes", host,
		                  TOKEN_MAX);
		goto out;
	}
	*tok_out = strdup(t);
	if (*tok_out == NULL)
		rc = tg_error_set(err, TG_ENOMEM, "out of memory");
out:
	json_decref(root);
	return rc;
}

static int append_param(tg_buf *b, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	if (esc == NULL)
		return TG_ENOMEM;
	const char *s = tg_buf_str(b);
	int rc = tg_buf_printf(b, "%s%s=%s", strchr(s, '?') ? "&" : "?", name, esc);
	curl_free(esc);
	return rc;
}

/* Obtain a token for challenge ch; *tok_out is new (caller wipes and frees). */
static int fetch_token(const struct req *orig, const struct url_parts *ou,
                       const tg_http_challenge *ch, const tg_http_options *opt, char **tok_out,
                       tg_error *err)
{
	struct url_parts ru;
	tg_buf url;
	tg_http_response tr;
	int rc;

	if (parse_url(ch->realm, &ru) != TG_OK)
		return tg_error_set(err, TG_EIO, "%s sent a token realm that is not an http(s) URL",
		                    ou->hostport);
	int realm_ok = strcmp(ru.scheme, "https") == 0 ||
	               (strcmp(ou->scheme, "http") == 0 && tg_http_is_loopback_host(ou->host) &&
	                tg_http_is_loopback_host(ru.host));
	if (!realm_ok)
		return tg_error_set(err, TG_EIO, "%s sent a token realm that is not https: %s",
		                    ou->hostport, ru.shown);

	tg_buf_init(&url, TOKEN_URL_MAX);
	rc = tg_buf_puts(&url, ch->realm);
	if (rc == TG_OK && ch->service[0] != '\0')
		rc = append_param(&url, "service", ch->service);
	if (rc == TG_OK && ch->scope[0] != '\0')
		rc = append_param(&url, "scope", ch->scope);
	if (rc != TG_OK) {
		tg_buf_free(&url);
		return tg_error_set(err, rc, "token URL for %s is too long", ou->hostport);
	}

	struct req tq = *orig;
	tq.url = tg_buf_str(&url);
	tq.unix_socket = NULL; /* the realm is its own server, reached by GET */
	tq.post_json = NULL;
	tq.session = NULL;
	tq.head = 0;
	tq.headers = NULL;
	tq.authz = NULL;
	tq.username = opt->username;
	tq.password = opt->password;
	tq.https_only = strcmp(ru.scheme, "https") == 0;
	tq.max_body = TOKEN_BODY_MAX;
	rc = perform(&tq, &tr, err);
	if (rc == TG_OK && tr.status != 200)
		rc = tg_error_set(err, TG_EIO, "token service %s answered HTTP %ld%s", ru.hostport,
		                  tr.status,
		                  tr.status == 401 || tr.status == 403
		                          ? (opt->username ? " (credentials refused)"
		                                           : " (anonymous access refused)")
		                          : "");
	if (rc == TG_OK)
		rc = read_token(&tr.body, ru.hostport, tok_out, err);
	if (tr.body.data != NULL)
		OPENSSL_cleanse(tr.body.data, tr.body.len);
	tg_http_response_free(&tr);
	tg_buf_free(&url);
	return rc;
}

/* The first answer was 401: answer its challenge and repeat the request
 * once. On 0 *resp is replaced by the new answer; on failure *resp is left
 * for the caller to free. */
static int answer_challenge(const struct req *rq, const struct url_parts *u,
                            const tg_http_options *opt, tg_http_response *resp, tg_error *err)
{
	tg_http_challenge ch;
	tg_http_response again;
	tg_error perr;
	char *token = NULL, *line = NULL;
	int rc = find_challenge(resp->www_authenticate, "Bearer", &ch, &perr);
	struct req rq2 = *rq;

	if (rc == TG_ENOTFOUND) {
		/* A Basic challenge: repeat with the credentials, where they are
		 * not sent in clear over the network. */
		int can = opt->username != NULL &&
		          (strcmp(u->scheme, "https") == 0 || tg_http_is_loopback_host(u->host));
		if (!can || find_challenge(resp->www_authenticate, "Basic", NULL, NULL) != TG_OK)
			return TG_OK; /* the 401 is the answer */
		rq2.username = opt->username;
		rq2.password = opt->password;
	} else if (rc != TG_OK) {
		return tg_error_set(err, rc, "%s sent an unusable WWW-Authenticate header: %s",
		                    u->hostport, perr.msg);
	} else {
		rc = fetch_token(rq, u, &ch, opt, &token, err);
		if (rc != TG_OK)
			return rc;
		size_t n = strlen(token) + sizeof("Authorization: Bearer ");
		line = malloc(n);
		if (line == NULL) {
			rc = tg_error_set(err, TG_ENOMEM, "out of memory");
			goto out;
		}
		snprintf(line, n, "Authorization: Bearer %s", token);
		rq2.authz = line;
	}
	rc = perform(&rq2, &again, err);
	if (rc != TG_OK) {
		tg_http_response_free(&again);
		goto out;
	}
	tg_http_response_free(resp);
	*resp = again;
	resp->token = token;
	token = NULL;
out:
	if (line != NULL) {
		OPENSSL_cleanse(line, strlen(line));
		free(line);
	}
	if (token != NULL) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	return rc;
}

/* -------------------------------------------------------------- API */

int tg_http_global_init(tg_error *err)
{
	CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cc != CURLE_OK)
		return tg_error_set(err, TG_EIO, "cannot initialise libcurl: %s", curl_easy_strerror(cc));
	return TG_OK;
}

void tg_http_global_cleanup(void)
{
	curl_global_cleanup();
}

static int header_line_ok(const char *s)
{
	const char *colon = strchr(s, ':');
	if (colon == NULL || colon == s)
		return 0;
	for (const char *p = s; *p; p++)
		if (*p == '\r' || *p == '\n')
			return 0;
	return 1;
}

int tg_http_get(const char *url, const tg_http_options *opt, tg_http_response *out,
                tg_error *err)
{
	static const tg_http_options defaults = {0};
	struct url_parts u;
	tg_http_response resp;
	char *line = NULL;
	int rc;

	if (opt == NULL)
		opt = &defaults;
	if (url == NULL || out == NULL)
		return tg_error_set(err, TG_EINVAL, "no URL");
	rc = parse_url(url, &u);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "not an http or https URL: %.200s", url);
	for (const char *const *hp = opt->headers; hp != NULL && *hp != NULL; hp++)
		if (!header_line_ok(*hp))
			return tg_error_set(err, TG_EINVAL, "malformed request header line");
	if (opt->bearer_token != NULL) {
		size_t tlen = strlen(opt->bearer_token);
		for (size_t i = 0; i < tlen; i++)
			if (opt->bearer_token[i] <= 0x20 || opt->bearer_token[i] >= 0x7f)
				return tg_error_set(err, TG_EINVAL, "bearer token has invalid characters");
		if (tlen == 0 || tlen > TOKEN_MAX)
			return tg_error_set(err, TG_EINVAL, "bearer token is empty or too long");
		size_t n = tlen + sizeof("Authorization: Bearer ");
		line = malloc(n);
		if (line == NULL)
			return tg_error_set(err, TG_ENOMEM, "out of memory");
		snprintf(line, n, "Authorization: Bearer %s", opt->bearer_token);
	}

	long deadline = opt->deadline_ms > 0 ? opt->deadline_ms : TG_HTTP_DEFAULT_DEADLINE_MS;
	struct req rq = {
		.session = opt->session,
		.url = url,
		.head = opt->head != 0,
		.headers = opt->headers,
		.authz = line,
		.ca_file = opt->ca_file,
		.unix_socket = opt->unix_socket,
		.post_json = opt->post_json,
		.https_only = strcmp(u.scheme, "https") == 0,
		.max_body = opt->max_body > 0 ? opt->max_body : TG_HTTP_DEFAULT_MAX_BODY,
		.deadline_ms = deadline,
		.end_ms = now_ms() + deadline,
	};
	rc = perform(&rq, &resp, err);
	if (rc == TG_OK && resp.status == 401 && opt->bearer_token == NULL)
		rc = answer_challenge(&rq, &u, opt, &resp, err);
	if (rc == TG_OK)
		*out = resp;
	else
		tg_http_response_free(&resp);
	if (line != NULL) {
		OPENSSL_cleanse(line, strlen(line));
		free(line);
	}
	return rc;
}
