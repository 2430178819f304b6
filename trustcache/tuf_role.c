/* tuf_role: roles, document parsing, signature thresholds and expiry; see
 * tuf_role.h. The per-type structure checks and the root/snapshot/targets
 * helpers are in tuf_meta.c.
 *
 * Signature counting follows tuf/signed/verify.go VerifySignatures: the
 * "signed" value is re-encoded canonically, every signature whose keyid is
 * one of the role's keys is checked, and distinct valid keys are counted
 * against the threshold. Notary fails hard when a key's computed ID differs
 * from the ID it is filed under; here that is refused earlier, when the
 * role is built (tuf_meta.c), so a role only ever holds keys whose ID is
 * their own. */
#include "trustcache/tuf_role.h"

#include <stdlib.h>
#include <string.h>

#include "trustcache/b64.h"
#include "trustcache/canonical_json.h"
#include "trustcache/tuf_internal.h"

#define SIG_MAX 2048 /* decoded signature bytes (RSA 8192 is 1024) */

/* ---- roles ---------------------------------------------------------------- */

int tg_tuf_role_new(const char *name, long long threshold, tg_tuf_role **out, tg_error *err)
{
	size_t n = strlen(name);
	if (n == 0 || n >= TG_TUF_ROLE_NAME_MAX)
		return tg_error_set(err, TG_EINVAL, "role name must be 1 to %d bytes",
				    TG_TUF_ROLE_NAME_MAX - 1);
	if (threshold < 1)
		return tg_error_set(err, TG_EINVAL, "%s: threshold %lld is below 1", name, threshold);
	tg_tuf_role *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory creating role %s", name);
	memcpy(r->name, name, n + 1);
	r->threshold = threshold;
	*out = r;
	return TG_OK;
}

int tg_tuf_role_add_key(tg_tuf_role *role, tg_tuf_key *key, tg_error *err)
{
	for (size_t i = 0; i < role->nkeys; i++) {
		if (strcmp(tg_tuf_key_id(role->keys[i]), tg_tuf_key_id(key)) == 0)
			return tg_error_set(err, TG_EINVAL, "%s: key %s listed twice", role->name,
					    tg_tuf_key_id(key));
	}
	if (role->nkeys >= TG_TUF_MAX_ROLE_KEYS)
		return tg_error_set(err, TG_ETOOBIG, "%s: more than %d keys", role->name,
				    TG_TUF_MAX_ROLE_KEYS);
	tg_tuf_key **k = realloc(role->keys, (role->nkeys + 1) * sizeof(*k));
	if (k == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory adding key to %s", role->name);
	k[role->nkeys++] = key;
	role->keys = k;
	return TG_OK;
}

int tg_tuf_role_add_path(tg_tuf_role *role, const char *path, tg_error *err)
{
	if (role->npaths >= TG_TUF_MAX_PATHS)
		return tg_error_set(err, TG_ETOOBIG, "%s: more than %d paths", role->name,
				    TG_TUF_MAX_PATHS);
	char **p = realloc(role->paths, (role->npaths + 1) * sizeof(*p));
	if (p == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory adding path to %s", role->name);
	role->paths = p;
	p[role->npaths] = strdup(path);
	if (p[role->npaths] == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory adding path to %s", role->name);
	role->npaths++;
	role->restricted = 1;
	return TG_OK;
}

void tg_tuf_role_restrict(tg_tuf_role *role)
{
	role->restricted = 1;
}

void tg_tuf_role_free(tg_tuf_role *role)
{
	if (role == NULL)
		return;
	for (size_t i = 0; i < role->nkeys; i++)
		tg_tuf_key_free(role->keys[i]);
	for (size_t i = 0; i < role->npaths; i++)
		free(role->paths[i]);
	free(role->keys);
	free(role->paths);
	free(role);
}

const char *tg_tuf_role_name(const tg_tuf_role *role)
{
	return role->name;
}

long long tg_tuf_role_threshold(const tg_tuf_role *role)
{
	return role->threshold;
}

size_t tg_tuf_role_key_count(const tg_tuf_role *role)
{
	return role->nkeys;
}

const tg_tuf_key *tg_tuf_role_key(const tg_tuf_role *role, size_t i)
{
	return i < role->nkeys ? role->keys[i] : NULL;
}

int tg_tuf_role_path_allowed(const tg_tuf_role *role, const char *target)
{
	if (!role->restricted)
		return 1;
	for (size_t i = 0; i < role->npaths; i++) {
		if (strncmp(target, role->paths[i], strlen(role->paths[i])) == 0)
			return 1;
	}
	return 0;
}

static const tg_tuf_key *role_find_key(const tg_tuf_role *role, const char *id)
{
	for (size_t i = 0; i < role->nkeys; i++) {
		if (strcmp(tg_tuf_key_id(role->keys[i]), id) == 0)
			return role->keys[i];
	}
	return NULL;
}

/* ---- time ----------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(long long y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* n decimal digits at s; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Offset east of UTC in seconds from "Z" or "+hh:mm"/"-hh:mm" at s, which
 * must end the string. */
static int parse_offset(const char *s, long long *off)
{
	if (s[0] == 'Z' && s[1] == '\0') {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || s[3] != ':' || s[6] != '\0')
		return -1;
	int h = digits(s + 1, 2), m = digits(s + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600LL + m * 60LL);
	return 0;
}

int tg_tuf_time_parse(const char *t, time_t *out, tg_error *err)
{
	size_t n = strlen(t);
	if (n < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':')
		goto bad;
	int y = digits(t, 4), mo = digits(t + 5, 2), d = digits(t + 8, 2);
	int h = digits(t + 11, 2), mi = digits(t + 14, 2), s = digits(t + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    s < 0 || s > 59 || d > days_in_month(y, mo))
		goto bad;
	const char *p = t + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	long long off;
	if (parse_offset(p, &off) != 0)
		goto bad;
	*out = (time_t)(days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + s - off);
	return TG_OK;
bad:
	return tg_error_set(err, TG_EINVAL, "\"%.64s\" is not an RFC 3339 date-time", t);
}

/* ---- documents ------------------------------------------------------------ */

static const struct {
	const char *role;
	const char *type;
	enum tg_tuf_kind kind;
} base_roles[] = {
	{"root", "Root", TG_TUF_ROOT},
	{"timestamp", "Timestamp", TG_TUF_TIMESTAMP},
	{"snapshot", "Snapshot", TG_TUF_SNAPSHOT},
	{"targets", "Targets", TG_TUF_TARGETS},
};

/* Notary's IsDelegation: "targets/" prefix, [-a-z0-9_/] only, under 256
 * bytes, and already clean (no empty segment, no trailing slash; '.' cannot
 * occur). */
int tg_tuf_is_delegation_name(const char *name)
{
	size_t n = strlen(name);
	if (n >= TG_TUF_ROLE_NAME_MAX || strncmp(name, "targets/", 8) != 0 || n == 8)
		return 0;
	if (strspn(name, "-abcdefghijklmnopqrstuvwxyz0123456789_/") != n)
		return 0;
	return strstr(name, "//") == NULL && name[n - 1] != '/';
}

/* Kind and expected _type of a role name; -1 for an invalid name. */
static int role_kind(const char *role, enum tg_tuf_kind *kind, const char **type)
{
	for (size_t i = 0; i < sizeof(base_roles) / sizeof(base_roles[0]); i++) {
		if (strcmp(role, base_roles[i].role) == 0) {
			*kind = base_roles[i].kind;
			*type = base_roles[i].type;
			return 0;
		}
	}
	if (!tg_tuf_is_delegation_name(role))
		return -1;
	*kind = TG_TUF_TARGETS;
	*type = "Targets";
	return 0;
}

static int load_json(const tg_tuf_doc *d, const void *bytes, size_t len, json_t **out,
		     tg_error *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL && json_error_code(&jerr) == json_error_duplicate_key)
		return tg_error_set(err, TG_EAMBIGUOUS, "%s.json: %s (line %d)", d->role, jerr.text,
				    jerr.line);
	if (j == NULL)
		return tg_error_set(err, TG_EINVAL, "%s.json is not valid JSON: %s (line %d)",
				    d->role, jerr.text, jerr.line);
	*out = j;
	return TG_OK;
}

/* _type, version and expires, the fields every signed object has. */
static int parse_common(tg_tuf_doc *d, const char *type, tg_error *err)
{
	const json_t *t = json_object_get(d->signed_obj, "_type");
	if (!json_is_string(t) || strcmp(json_string_value(t), type) != 0)
		return tg_error_set(err, TG_EINVAL, "%s.json: _type is \"%.32s\", expected \"%s\"",
				    d->role, json_is_string(t) ? json_string_value(t) : "", type);
	const json_t *v = json_object_get(d->signed_obj, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return tg_error_set(err, TG_EINVAL, "%s.json: version must be an integer >= 1",
				    d->role);
	d->version = json_integer_value(v);
	const json_t *e = json_object_get(d->signed_obj, "expires");
	if (!json_is_string(e) || json_string_length(e) >= sizeof(d->expires_text))
		return tg_error_set(err, TG_EINVAL, "%s.json: expires is not a date-time string",
				    d->role);
	tg_error sub;
	if (tg_tuf_time_parse(json_string_value(e), &d->expires, &sub) != TG_OK)
		return tg_error_set(err, TG_EINVAL, "%s.json: expires: %s", d->role, sub.msg);
	memcpy(d->expires_text, json_string_value(e), json_string_length(e) + 1);
	return TG_OK;
}

/* Shape, canonical bytes and common fields of a loaded document. */
static int parse_body(tg_tuf_doc *d, const char *type, size_t len, tg_error *err)
{
	if (!json_is_object(d->json))
		return tg_error_set(err, TG_EINVAL, "%s.json is not a JSON object", d->role);
	d->signed_obj = json_object_get(d->json, "signed");
	d->signatures = json_object_get(d->json, "signatures");
	if (!json_is_object(d->signed_obj))
		return tg_error_set(err, TG_EINVAL, "%s.json has no \"signed\" object", d->role);
	if (!json_is_array(d->signatures))
		return tg_error_set(err, TG_EINVAL, "%s.json has no \"signatures\" array", d->role);
	if (json_array_size(d->signatures) > TG_TUF_MAX_SIGNATURES)
		return tg_error_set(err, TG_ETOOBIG, "%s.json has more than %d signatures", d->role,
				    TG_TUF_MAX_SIGNATURES);
	tg_buf_init(&d->canonical, len + 16);
	tg_error sub;
	int rc = tg_canonical_json_write(d->signed_obj, &d->canonical, &sub);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "%s.json: %s", d->role, sub.msg);
	rc = parse_common(d, type, err);
	if (rc != TG_OK)
		return rc;
	return tg_tuf_doc_check_structure(d, err);
}

int tg_tuf_doc_parse(const char *role, const void *bytes, size_t len, tg_tuf_doc **out,
		     tg_error *err)
{
	enum tg_tuf_kind kind;
	const char *type;
	if (strlen(role) >= TG_TUF_ROLE_NAME_MAX || role_kind(role, &kind, &type) != 0)
		return tg_error_set(err, TG_EINVAL, "\"%.64s\" is not a TUF role name", role);
	size_t max = kind == TG_TUF_TIMESTAMP ? TG_TUF_TIMESTAMP_MAX : TG_TUF_DOC_MAX;
	if (len > max)
		return tg_error_set(err, TG_ETOOBIG, "%s.json is %zu bytes; the limit is %zu", role,
				    len, max);
	tg_tuf_doc *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return tg_error_set(err, TG_ENOMEM, "out of memory parsing %s.json", role);
	snprintf(d->role, sizeof(d->role), "%s", role);
	d->kind = kind;
	tg_buf_init(&d->canonical, 0);
	int rc = load_json(d, bytes, len, &d->json, err);
	if (rc == TG_OK)
		rc = parse_body(d, type, len, err);
	if (rc != TG_OK) {
		tg_tuf_doc_free(d);
		return rc;
	}
	*out = d;
	return TG_OK;
}

void tg_tuf_doc_free(tg_tuf_doc *doc)
{
	if (doc == NULL)
		return;
	json_decref(doc->json);
	tg_buf_free(&doc->canonical);
	free(doc);
}

const char *tg_tuf_doc_role(const tg_tuf_doc *doc)
{
	return doc->role;
}

long long tg_tuf_doc_version(const tg_tuf_doc *doc)
{
	return doc->version;
}

time_t tg_tuf_doc_expires(const tg_tuf_doc *doc)
{
	return doc->expires;
}

const char *tg_tuf_doc_expires_text(const tg_tuf_doc *doc)
{
	return doc->expires_text;
}

const json_t *tg_tuf_doc_signed(const tg_tuf_doc *doc)
{
	return doc->signed_obj;
}

const unsigned char *tg_tuf_doc_canonical(const tg_tuf_doc *doc, size_t *len)
{
	*len = doc->canonical.len;
	return (const unsigned char *)tg_buf_str(&doc->canonical);
}

/* ---- signatures ----------------------------------------------------------- */

/* Outcome of one signature entry. */
enum sig_result { SIG_IGNORED, SIG_VALID, SIG_INVALID };

/* Check signature i. *keyid gets its keyid; *why a reason when invalid.
 * Returns a negative TG_E* only for malformed entries or allocation. */
static int check_one(const tg_tuf_doc *d, const tg_tuf_role *role, size_t i,
		     enum sig_result *res, const char **keyid, tg_error *why, tg_error *err)
{
	const json_t *s = json_array_get(d->signatures, i);
	const json_t *kid = json_object_get(s, "keyid");
	const json_t *method = json_object_get(s, "method");
	const json_t *sig = json_object_get(s, "sig");
	if (!json_is_string(kid) || !json_is_string(method) || !json_is_string(sig))
		return tg_error_set(err, TG_EINVAL,
				    "%s: signature %zu lacks keyid, method or sig strings", d->role, i);
	*keyid = json_string_value(kid);
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	tg_error sub;
	int rc = tg_b64_decode(json_string_value(sig), json_string_length(sig), SIG_MAX, &raw,
			       &rawlen, &sub);
	if (rc != TG_OK)
		return tg_error_set(err, rc, "%s: signature %zu: %s", d->role, i, sub.msg);
	const tg_tuf_key *key = role_find_key(role, *keyid);
	*res = SIG_IGNORED;
	if (key != NULL) {
		rc = tg_tuf_key_verify(key, json_string_value(method),
				       (const unsigned char *)tg_buf_str(&d->canonical),
				       d->canonical.len, raw, rawlen, why);
		*res = rc == TG_OK ? SIG_VALID : SIG_INVALID;
		rc = rc == TG_ENOMEM ? tg_error_set(err, rc, "%s: %s", d->role, why->msg) : TG_OK;
	}
	free(raw);
	return rc;
}

/* Was the key of signature i already counted (by an earlier signature)? */
static int counted_before(const tg_tuf_doc *d, const unsigned char *valid, size_t i,
			  const char *keyid)
{
	for (size_t j = 0; j < i; j++) {
		const json_t *kid = json_object_get(json_array_get(d->signatures, j), "keyid");
		if (valid[j] && strcmp(json_string_value(kid), keyid) == 0)
			return 1;
	}
	return 0;
}

int tg_tuf_doc_check_signatures(const tg_tuf_doc *doc, const tg_tuf_role *role, tg_error *err)
{
	size_t n = json_array_size(doc->signatures);
	if (strcmp(role->name, doc->role) != 0)
		return tg_error_set(err, TG_EINVAL, "role %s cannot sign %s.json", role->name,
				    doc->role);
	if (n == 0)
		return tg_error_set(err, TG_EINVAL, "%s: no signatures", doc->role);
	unsigned char valid[TG_TUF_MAX_SIGNATURES] = {0};
	size_t count = 0;
	char reason[TG_ERROR_MSG_MAX / 2] = "no signature is by a key of the role";
	int have_reason = 0;
	for (size_t i = 0; i < n; i++) {
		enum sig_result res;
		const char *keyid = NULL;
		tg_error why;
		int rc = check_one(doc, role, i, &res, &keyid, &why, err);
		if (rc != TG_OK)
			return rc;
		if (res == SIG_VALID && !counted_before(doc, valid, i, keyid)) {
			valid[i] = 1;
			count++;
		} else if (res == SIG_INVALID && !have_reason) {
			snprintf(reason, sizeof(reason), "key %.64s: %.180s", keyid, why.msg);
			have_reason = 1;
		}
	}
	if ((long long)count < role->threshold)
		return tg_error_set(err, TG_EINVAL, "%s: only %zu of %lld required signatures valid (%s)",
				    doc->role, count, role->threshold, reason);
	return TG_OK;
}

int tg_tuf_doc_check_expiry(const tg_tuf_doc *doc, time_t now, tg_error *err)
{
	/* Go: expires.Before(now). With now a whole second, expires (with its
	 * fraction) is before now exactly when its whole seconds are. */
	if (doc->expires < now)
		return tg_error_set(err, TG_EINVAL, "%s.json expired on %s", doc->role,
				    doc->expires_text);
	return TG_OK;
}

int tg_tuf_doc_check_version(const tg_tuf_doc *doc, long long min_version, tg_error *err)
{
	if (doc->version < min_version)
		return tg_error_set(err, TG_EINVAL,
				    "%s.json version %lld is older than the trusted version %lld",
				    doc->role, doc->version, min_version);
	return TG_OK;
}

int tg_tuf_doc_verify(const tg_tuf_doc *doc, const tg_tuf_role *role, time_t now,
		      tg_error *err)
{
	int rc = tg_tuf_doc_check_signatures(doc, role, err);
	if (rc != TG_OK)
		return rc;
	return tg_tuf_doc_check_expiry(doc, now, err);
}
