/* reference: image references read the way dockerd reads them.
 *
 * dockerd turns the name a client sends ("alpine", "team/app:1",
 * "registry:5000/x@sha256:...") into a full reference with
 * distribution/reference's ParseNormalizedNamed. trustgate must decide on the
 * very name the daemon will pull or run, so this file follows that function
 * step by step: the 64-hex check, splitDockerDomain (which first component is
 * a registry, "index.docker.io" -> "docker.io", "library/" for official
 * images), the lower-case check on the remote name, and the grammar of
 * ReferenceRegexp plus go-digest's validation. The grammar is matched by
 * small hand-written scanners, each one named after the regexp it replaces.
 *
 * Daemon generations differ on some strings. Each generation's rules are one
 * row of DIALECTS[]; a string is parsed under every row, and when the rows do
 * not all agree (one rejects what another accepts, or they read it as
 * different repositories) the parse fails with TG_EAMBIGUOUS so that the
 * caller denies. The first row, dockerd 20.10, gives the result.
 *
 * Nothing here allocates; readings are slices of the input until the final
 * copy into the caller's tg_reference.
 */
#include "authz/reference.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define OFFICIAL_PREFIX_LEN (sizeof(OFFICIAL_PREFIX) - 1)
#define ID_HEX_LEN 64
#define ID_PREFIX "sha256:"

/* Quoted input in messages: at most QUOTE_SHOW bytes shown (enough for a
 * whole sha512 digest), each at most four characters wide (\xNN), plus
 * quotes, "..." and NUL. */
#define QUOTE_SHOW 140
#define QUOTE_BUF (QUOTE_SHOW * 4 + 8)
/* A reading rendered for a message, before quoting. */
#define VIEW_TEXT_MAX 600

typedef struct span {
	const char *p;
	size_t n;
} span;

/* One reading of a reference. Slices point into the input or constants. */
typedef struct ref_view {
	span domain;
	bool official; /* OFFICIAL_PREFIX goes in front of path */
	span path;
	bool has_tag;
	span tag;
	bool has_digest;
	span digest;
} ref_view;

/* How one generation of dockerd parses references. */
typedef struct dialect {
	const char *daemons;
	bool upper_first_is_domain; /* splitDockerDomain: "Foo/x" -> host "Foo" */
	bool ipv6_hosts;            /* host may be "[" [a-fA-F0-9:]+ "]" */
	bool limit_path_only;       /* 255 limit on path, not "domain/path" */
} dialect;

static const dialect DIALECTS[] = {
	/* github.com/docker/distribution v2.8.1 (20.10, 23) and v2.8.2 (24) */
	{"dockerd 20.10 to 24", false, false, false},
	/* github.com/distribution/reference v0.5.0 */
	{"dockerd 25 and 26", true, true, false},
	/* github.com/distribution/reference v0.6.0 */
	{"dockerd 27 and 28", true, true, true},
};
#define N_DIALECTS (sizeof(DIALECTS) / sizeof(DIALECTS[0]))

/* go-digest v1.0.0: the only algorithms Digest.Validate accepts. */
static const struct {
	const char *name;
	size_t hex_len;
} ALGORITHMS[] = {
	{"sha256", 64},
	{"sha384", 96},
	{"sha512", 128},
};
#define N_ALGORITHMS (sizeof(ALGORITHMS) / sizeof(ALGORITHMS[0]))

enum digest_check {
	DIGEST_OK,
	DIGEST_NO_COLON,
	DIGEST_ALGORITHM,
	DIGEST_LENGTH,
	DIGEST_HEX,
};

/* Character classes of the Go regexps (ASCII only, as in RE2). */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower_alnum(char c) { return is_lower(c) || is_digit(c); }
static bool is_alnum(char c) { return is_lower_alnum(c) || is_upper(c); }
static bool is_word(char c) { return is_alnum(c) || c == '_'; }
static bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

static bool is_hex(char c)
{
	return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

static span span_of(const char *p, size_t n)
{
	span s = {p, n};
	return s;
}

static span span_str(const char *s) { return span_of(s, strlen(s)); }

static bool span_is(span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool span_eq(span a, span b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Index of the first c in s, or s.n when there is none. */
static size_t span_find(span s, char c)
{
	const char *hit = s.n ? memchr(s.p, c, s.n) : NULL;
	return hit ? (size_t)(hit - s.p) : s.n;
}

static bool span_has(span s, char c) { return span_find(s, c) < s.n; }

static bool span_has_upper(span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (is_upper(s.p[i]))
			return true;
	return false;
}

static bool all_lower_hex(span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!is_lower_hex(s.p[i]))
			return false;
	return true;
}

/* Write s as a double-quoted string that is safe on a terminal: printable
 * ASCII as is, '"' and '\\' escaped, other bytes as \xNN, cut with "..."
 * after QUOTE_SHOW bytes. buf must hold QUOTE_BUF bytes. */
static void quote(char buf[QUOTE_BUF], span s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < s.n && i < QUOTE_SHOW; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		}
	}
	buf[o++] = '"';
	if (s.n > QUOTE_SHOW) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* anchoredIdentifierRegexp: ^[a-f0-9]{64}$ */
static bool is_hex_id(span s)
{
	return s.n == ID_HEX_LEN && all_lower_hex(s);
}

/* nameComponentRegexp: [a-z0-9]+ followed by any number of
 * (separator [a-z0-9]+), separator being ".", "_", "__" or dashes. (v2.8
 * writes the dashes [-]*, later versions [-]+; as an empty separator only
 * joins two runs of [a-z0-9], both accept the same strings.) */
static bool path_component_ok(span c)
{
	size_t i = 0;

	for (;;) {
		size_t run = i;
		while (i < c.n && is_lower_alnum(c.p[i]))
			i++;
		if (i == run)
			return false;
		if (i == c.n)
			return true;
		if (c.p[i] == '-') {
			while (i < c.n && c.p[i] == '-')
				i++;
		} else if (c.p[i] == '.') {
			i++;
		} else if (c.p[i] == '_') {
			i++;
			if (i < c.n && c.p[i] == '_')
				i++;
		} else {
			return false;
		}
	}
}

/* domainComponentRegexp joined by '.': each label is [a-zA-Z0-9], or
 * [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]. */
static bool dns_host_ok(span h)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;
		while (i < h.n && (is_alnum(h.p[i]) || h.p[i] == '-'))
			i++;
		if (i == start || !is_alnum(h.p[start]) || !is_alnum(h.p[i - 1]))
			return false;
		if (i == h.n)
			return true;
		if (h.p[i] != '.')
			return false;
		i++;
	}
}

/* ipv6address (distribution/reference v0.5+): \[[a-fA-F0-9:]+\] */
static bool ipv6_host_ok(span h)
{
	if (h.n < 3 || h.p[0] != '[' || h.p[h.n - 1] != ']')
		return false;
	for (size_t i = 1; i + 1 < h.n; i++)
		if (!is_hex(h.p[i]) && h.p[i] != ':')
			return false;
	return true;
}

/* An optional port: empty, or ':' [0-9]+. */
static bool port_ok(span p)
{
	if (p.n == 0)
		return true;
	if (p.n == 1 || p.p[0] != ':')
		return false;
	for (size_t i = 1; i < p.n; i++)
		if (!is_digit(p.p[i]))
			return false;
	return true;
}

/* DomainRegexp: host, then an optional port. */
static bool domain_ok(span d, const dialect *dl)
{
	size_t host_end;

	if (dl->ipv6_hosts && d.n > 0 && d.p[0] == '[') {
		host_end = span_find(d, ']');
		if (host_end == d.n)
			return false;
		host_end++;
		if (!ipv6_host_ok(span_of(d.p, host_end)))
			return false;
	} else {
		host_end = span_find(d, ':');
		if (!dns_host_ok(span_of(d.p, host_end)))
			return false;
	}
	return port_ok(span_of(d.p + host_end, d.n - host_end));
}

/* TagRegexp, anchored: [\w][\w.-]{0,127} */
static bool tag_ok(span t)
{
	if (t.n == 0 || t.n > TG_REF_TAG_MAX || !is_word(t.p[0]))
		return false;
	for (size_t i = 1; i < t.n; i++)
		if (!is_word(t.p[i]) && t.p[i] != '.' && t.p[i] != '-')
			return false;
	return true;
}

/* go-digest Digest.Validate with only sha256/384/512 available; this also
 * implies the reference package's looser DigestRegexp. *want gets the hex
 * length the algorithm needs (for messages). */
static enum digest_check check_digest(span d, size_t *want)
{
	size_t colon = span_find(d, ':');
	span alg = span_of(d.p, colon);
	span hex;

	if (colon == 0 || colon + 1 >= d.n)
		return DIGEST_NO_COLON;
	hex = span_of(d.p + colon + 1, d.n - colon - 1);
	for (size_t i = 0; i < N_ALGORITHMS; i++) {
		if (!span_is(alg, ALGORITHMS[i].name))
			continue;
		*want = ALGORITHMS[i].hex_len;
		if (hex.n != *want)
			return DIGEST_LENGTH;
		return all_lower_hex(hex) ? DIGEST_OK : DIGEST_HEX;
	}
	return DIGEST_ALGORITHM;
}

static int digest_error(span d, tg_error *why)
{
	char q[QUOTE_BUF], qa[QUOTE_BUF];
	size_t want = 0;
	size_t colon = span_find(d, ':');

	quote(q, d);
	quote(qa, span_of(d.p, colon));
	switch (check_digest(d, &want)) {
	case DIGEST_OK:
		return 0;
	case DIGEST_NO_COLON:
		return tg_error_set(why, TG_EINVAL,
		                    "digest %s is not of the form algorithm:hex", q);
	case DIGEST_ALGORITHM:
		return tg_error_set(why, TG_EINVAL,
		                    "digest algorithm %s is not supported "
		                    "(sha256, sha384 and sha512 are)", qa);
	case DIGEST_LENGTH:
		return tg_error_set(why, TG_EINVAL,
		                    "digest %s must have %zu hex characters after %s:",
		                    q, want, qa);
	default:
		return tg_error_set(why, TG_EINVAL,
		                    "digest %s must be lower-case hex", q);
	}
}

/* splitDockerDomain: decide whether the first component names a registry,
 * map the legacy Hub host, and add "library/" to one-component Hub names.
 * *rest is what follows the registry (the whole input when there is none). */
static void split_domain(span s, const dialect *dl, ref_view *v, span *rest)
{
	size_t slash = span_find(s, '/');
	span first = span_of(s.p, slash);
	bool is_domain = slash < s.n &&
	                 (span_has(first, '.') || span_has(first, ':') ||
	                  span_is(first, "localhost") ||
	                  (dl->upper_first_is_domain && span_has_upper(first)));

	if (is_domain) {
		v->domain = first;
		*rest = span_of(s.p + slash + 1, s.n - slash - 1);
	} else {
		v->domain = span_str(DEFAULT_DOMAIN);
		*rest = s;
	}
	if (span_is(v->domain, LEGACY_DOMAIN))
		v->domain = span_str(DEFAULT_DOMAIN);
	v->official = span_is(v->domain, DEFAULT_DOMAIN) && !span_has(*rest, '/');
}

/* Cut rest into path [":" tag] ["@" digest]. A name has ':' only in its
 * registry part and '@' nowhere, and a tag has neither, so the first '@'
 * starts the digest and the first ':' before it starts the tag. */
static void split_rest(span rest, ref_view *v)
{
	size_t at = span_find(rest, '@');
	span name = span_of(rest.p, at);
	size_t colon = span_find(name, ':');

	v->has_digest = at < rest.n;
	v->digest = v->has_digest ? span_of(rest.p + at + 1, rest.n - at - 1)
	                          : span_of("", 0);
	v->has_tag = colon < name.n;
	v->tag = v->has_tag ? span_of(name.p + colon + 1, name.n - colon - 1)
	                    : span_of("", 0);
	v->path = span_of(name.p, colon);
}

static int path_error(span path, tg_error *why)
{
	size_t i = 0;

	if (path.n == 0)
		return tg_error_set(why, TG_EINVAL, "repository name is empty");
	while (i <= path.n) {
		span rest = span_of(path.p + i, path.n - i);
		span comp = span_of(rest.p, span_find(rest, '/'));
		char q[QUOTE_BUF];
		if (comp.n == 0)
			return tg_error_set(why, TG_EINVAL,
			                    "repository name has an empty component");
		if (!path_component_ok(comp)) {
			quote(q, comp);
			return tg_error_set(why, TG_EINVAL,
			                    "repository name component %s is invalid "
			                    "(lower-case letters and digits, separated "
			                    "by '.', '_', '__' or dashes)", q);
		}
		i += comp.n + 1;
	}
	return 0;
}

/* Length checked against NameTotalLengthMax: "domain/path" (regexp match
 * group 1) up to v0.5, the path alone from distribution/reference v0.6. */
static int length_error(const ref_view *v, const dialect *dl, bool no_domain,
                        tg_error *why)
{
	size_t path_len = v->path.n + (v->official ? OFFICIAL_PREFIX_LEN : 0);
	size_t name_len = v->domain.n + 1 + path_len;
	size_t checked = dl->limit_path_only && !no_domain ? path_len : name_len;

	if (checked <= TG_REF_NAME_MAX)
		return 0;
	return tg_error_set(why, TG_EINVAL,
	                    "repository name is %zu characters long; at most %d "
	                    "are allowed", checked, TG_REF_NAME_MAX);
}

/* Parse: ReferenceRegexp on "domain/remainder", then digest.Parse. When the
 * first component is not a valid host but is a valid path component, the
 * regexp matches with no registry at all; dockerd then has no registry to
 * name, so that reading is refused as ambiguous. */
static int parse_rest(span rest, const dialect *dl, ref_view *v, tg_error *why)
{
	char q[QUOTE_BUF], qd[QUOTE_BUF];
	bool no_domain = false;
	int rc;

	split_rest(rest, v);
	if ((rc = path_error(v->path, why)) != 0)
		return rc;
	quote(qd, v->domain);
	if (!domain_ok(v->domain, dl)) {
		if (!path_component_ok(v->domain))
			return tg_error_set(why, TG_EINVAL,
			                    "registry host %s is invalid", qd);
		no_domain = true;
	}
	if ((rc = length_error(v, dl, no_domain, why)) != 0)
		return rc;
	if (v->has_tag && !tag_ok(v->tag)) {
		quote(q, v->tag);
		return tg_error_set(why, TG_EINVAL,
		                    "tag %s is invalid (1 to %d letters, digits, "
		                    "'_', '.' or '-', not starting with '.' or '-')",
		                    q, TG_REF_TAG_MAX);
	}
	if (v->has_digest && (rc = digest_error(v->digest, why)) != 0)
		return rc;
	if (no_domain)
		return tg_error_set(why, TG_EAMBIGUOUS,
		                    "%s contains '.' but is not a valid registry "
		                    "host, so dockerd reads the name as a path with "
		                    "no registry", qd);
	return 0;
}

/* ParseNormalizedNamed under one dialect. Returns 0, TG_EINVAL or
 * TG_EAMBIGUOUS with the reason (no input quoted in front) in *why. */
static int parse_view(span s, const dialect *dl, ref_view *v, tg_error *why)
{
	span rest;

	memset(v, 0, sizeof(*v));
	if (is_hex_id(s))
		return tg_error_set(why, TG_EINVAL,
		                    "a 64-character hex string is an image ID, "
		                    "not a repository name");
	split_domain(s, dl, v, &rest);
	/* The remote name (remainder before its first ':') must be lower
	 * case; "library/" is. */
	if (span_has_upper(span_of(rest.p, span_find(rest, ':'))))
		return tg_error_set(why, TG_EINVAL,
		                    "repository name must be lowercase");
	return parse_rest(rest, dl, v, why);
}

static bool views_equal(const ref_view *a, const ref_view *b)
{
	return span_eq(a->domain, b->domain) && a->official == b->official &&
	       span_eq(a->path, b->path) && a->has_tag == b->has_tag &&
	       span_eq(a->tag, b->tag) && a->has_digest == b->has_digest &&
	       span_eq(a->digest, b->digest);
}

static int clamp_len(size_t n)
{
	return n > VIEW_TEXT_MAX ? VIEW_TEXT_MAX : (int)n;
}

/* Describe a reading for a message: registry "x", repository "y". */
static void describe_view(const ref_view *v, char *buf, size_t n)
{
	char path[VIEW_TEXT_MAX + 16];
	char qd[QUOTE_BUF], qp[QUOTE_BUF];

	snprintf(path, sizeof(path), "%s%.*s", v->official ? OFFICIAL_PREFIX : "",
	         clamp_len(v->path.n), v->path.p);
	quote(qd, v->domain);
	quote(qp, span_str(path));
	snprintf(buf, n, "registry %s, repository %s", qd, qp);
}

/* Build the TG_EAMBIGUOUS message for a disagreement between DIALECTS[0]
 * (outcome rc0/v0/why0) and DIALECTS[i] (rci/vi/whyi). */
static int ambiguity(const char *q, size_t i, int rc0, const ref_view *v0,
                     const tg_error *why0, int rci, const ref_view *vi,
                     const tg_error *whyi, tg_error *err)
{
	char a[2 * QUOTE_BUF + 32], b[2 * QUOTE_BUF + 32];
	const char *old = DIALECTS[0].daemons, *new = DIALECTS[i].daemons;

	if (rc0 != 0) {
		describe_view(vi, b, sizeof(b));
		return tg_error_set(err, TG_EAMBIGUOUS,
		                    "image reference %s is ambiguous: %s reject it "
		                    "(%s) but %s accept it as %s",
		                    q, old, why0->msg, new, b);
	}
	describe_view(v0, a, sizeof(a));
	if (rci != 0)
		return tg_error_set(err, TG_EAMBIGUOUS,
		                    "image reference %s is ambiguous: %s accept it "
		                    "as %s but %s reject it (%s)",
		                    q, old, a, new, whyi->msg);
	describe_view(vi, b, sizeof(b));
	return tg_error_set(err, TG_EAMBIGUOUS,
	                    "image reference %s is ambiguous: %s read it as %s "
	                    "but %s read it as %s", q, old, a, new, b);
}

static void copy_span(char *dst, size_t cap, const char *prefix, span s)
{
	size_t pn = strlen(prefix);

	/* Sizes were checked by parse_view; stay bounded regardless. */
	if (pn + s.n >= cap) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, prefix, pn);
	memcpy(dst + pn, s.p, s.n);
	dst[pn + s.n] = '\0';
}

static void view_to_ref(const ref_view *v, tg_reference *out)
{
	copy_span(out->domain, sizeof(out->domain), "", v->domain);
	copy_span(out->path, sizeof(out->path),
	          v->official ? OFFICIAL_PREFIX : "", v->path);
	copy_span(out->tag, sizeof(out->tag), "", v->tag);
	copy_span(out->digest, sizeof(out->digest), "", v->digest);
}

int tg_reference_parse(const char *s, tg_reference *out, tg_error *err)
{
	char q[QUOTE_BUF];
	ref_view v0, vi;
	tg_error why0, whyi;
	span in;
	int rc0;

	if (s == NULL || out == NULL)
		return tg_error_set(err, TG_EINVAL, "no image reference given");
	in = span_str(s);
	quote(q, in);
	tg_error_clear(&why0);
	rc0 = parse_view(in, &DIALECTS[0], &v0, &why0);
	for (size_t i = 1; i < N_DIALECTS; i++) {
		int rci;
		tg_error_clear(&whyi);
		rci = parse_view(in, &DIALECTS[i], &vi, &whyi);
		if (rc0 != 0 && rci != 0)
			continue;
		if (rc0 == 0 && rci == 0 && views_equal(&v0, &vi))
			continue;
		return ambiguity(q, i, rc0, &v0, &why0, rci, &vi, &whyi, err);
	}
	if (rc0 != 0)
		return tg_error_set(err, rc0, "invalid image reference %s: %s", q,
		                    why0.msg);
	view_to_ref(&v0, out);
	return TG_OK;
}

/* PullImage in dockerd 20.10 (daemon/images/image_pull.go): a tag that
 * digest.Parse accepts gives WithDigest(TrimNamed(ref), dgst), dropping the
 * tag; anything else gives WithTag(ref, tag), which keeps a digest the
 * reference already has. */
int tg_reference_apply_pull_tag(tg_reference *ref, const char *tag_or_digest,
                                tg_error *err)
{
	char q[QUOTE_BUF];
	span t;

	if (ref == NULL)
		return tg_error_set(err, TG_EINVAL, "no image reference given");
	if (tag_or_digest == NULL || tag_or_digest[0] == '\0')
		return TG_OK;
	t = span_str(tag_or_digest);
	if (tg_reference_is_digest(tag_or_digest)) {
		ref->tag[0] = '\0';
		copy_span(ref->digest, sizeof(ref->digest), "", t);
		return TG_OK;
	}
	if (!tag_ok(t)) {
		quote(q, t);
		return tg_error_set(err, TG_EINVAL,
		                    "invalid tag %s: not a digest, and a tag is 1 to "
		                    "%d letters, digits, '_', '.' or '-', not "
		                    "starting with '.' or '-'", q, TG_REF_TAG_MAX);
	}
	copy_span(ref->tag, sizeof(ref->tag), "", t);
	return TG_OK;
}

bool tg_reference_is_image_id(const char *s)
{
	size_t plen = sizeof(ID_PREFIX) - 1;

	if (s == NULL)
		return false;
	if (strncmp(s, ID_PREFIX, plen) == 0)
		s += plen;
	return is_hex_id(span_str(s));
}

bool tg_reference_is_digest(const char *s)
{
	size_t want = 0;

	return s != NULL && check_digest(span_str(s), &want) == DIGEST_OK;
}

bool tg_reference_is_name_only(const tg_reference *ref)
{
	return ref->tag[0] == '\0' && ref->digest[0] == '\0';
}

/* A bounded writer for the string functions below. */
typedef struct writer {
	char *buf;
	size_t n;
	size_t len;
	bool over;
} writer;

static void put(writer *w, const char *s, bool lower)
{
	for (; *s != '\0'; s++) {
		char c = *s;
		if (w->len + 1 >= w->n) {
			w->over = true;
			return;
		}
		if (lower && is_upper(c))
			c = (char)(c - 'A' + 'a');
		w->buf[w->len++] = c;
	}
}

static int finish(writer *w)
{
	if (w->buf == NULL || w->n == 0)
		return TG_ETOOBIG;
	if (w->over) {
		w->buf[0] = '\0';
		return TG_ETOOBIG;
	}
	w->buf[w->len] = '\0';
	return (int)w->len;
}

/* "domain/path", or the path alone when domain is empty (Go's Name()). */
static void put_name(writer *w, const tg_reference *ref, bool lower_domain)
{
	if (ref->domain[0] != '\0') {
		put(w, ref->domain, lower_domain);
		put(w, "/", false);
	}
	put(w, ref->path, false);
}

int tg_reference_repository(const tg_reference *ref, char *buf, size_t n)
{
	writer w = {buf, n, 0, false};

	if (buf != NULL && n > 0)
		put_name(&w, ref, false);
	return finish(&w);
}

int tg_reference_match_name(const tg_reference *ref, char *buf, size_t n)
{
	writer w = {buf, n, 0, false};

	if (buf != NULL && n > 0)
		put_name(&w, ref, true);
	return finish(&w);
}

int tg_reference_string(const tg_reference *ref, bool default_latest, char *buf,
                        size_t n)
{
	writer w = {buf, n, 0, false};

	if (buf == NULL || n == 0)
		return finish(&w);
	put_name(&w, ref, false);
	if (ref->tag[0] != '\0') {
		put(&w, ":", false);
		put(&w, ref->tag, false);
	} else if (default_latest && ref->digest[0] == '\0') {
		put(&w, ":latest", false);
	}
	if (ref->digest[0] != '\0') {
		put(&w, "@", false);
		put(&w, ref->digest, false);
	}
	return finish(&w);
}
