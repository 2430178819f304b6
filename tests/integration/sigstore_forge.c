/* tg-sigstore-forge: makes Sigstore keyless verification material with
 * OpenSSL, for tests/integration/test_sigstore_keyless.sh: a test CA (root +
 * intermediate, like Fulcio), Fulcio-style leaf certificates, a test
 * transparency log (like Rekor v1) with a Merkle tree, inclusion proofs,
 * signed checkpoints and signed entry timestamps, a second log (like Rekor
 * v2: Ed25519 checkpoints, hashedrekord 0.0.2, no SET), a test
 * certificate-transparency log (like Fulcio's CT log: every leaf carries
 * its SCT), a test timestamp authority (RFC 3161, like Sigstore's TSA),
 * trusted roots, and bundles good and bad. Not installed; not part of
 * trustgate.
 *
 *   tg-sigstore-forge OUTDIR [--image-digest sha256:HEX]
 *
 * Creates OUTDIR and writes into it (keys and certificates are fresh each run):
 *   artifact.txt                    the signed bytes (ARTIFACT_TEXT)
 *   trusted_root.json               TrustedRoot: both test logs, the test CA, the
 *                                   CT log, the TSA
 *   trusted_root_ca_expired.json    the same, the CA valid only until T-3600
 *   trusted_root_no_log.json        the same, with unknown keys for both
 *                                   transparency logs (the same CT log)
 *   trusted_root_tsa_late.json      the same, the TSA valid only from T+3600
 *   trusted_root_no_ct.json         the same, "ctlogs" empty (no SCT required)
 *   good.bundle.json                hashedrekord, URI identity, 11-leaf tree, index 6
 *   good-email.bundle.json          email identity, 5-leaf tree, index 3
 *   good-v01.bundle.json            bundle v0.1, x509CertificateChain, SET only
 *   good-single.bundle.json         1-leaf tree, index 0
 *   good-dsse.bundle.json           in-toto DSSE for the image (--image-digest only)
 *   bad-*.bundle.json               each differs from good.bundle.json in one way
 *   good-tsa.bundle.json            good.bundle.json plus a signed timestamp
 *   good-v2.bundle.json             Rekor v2 entry (11 leaves, index 6) + timestamp
 *   good-tsa-nocert.bundle.json     the same, the TSA certificate not embedded
 *   good-v2-dsse.bundle.json        good-dsse logged in Rekor v2 + timestamp
 *                                   (--image-digest only)
 *   bad-expired-dsse.bundle.json    good-dsse, its leaf valid only T-900 .. T-300
 *                                   (--image-digest only)
 *   bad-v2-*, bad-tsa-*.bundle.json each differs from good-v2.bundle.json in one way
 *   bad-sct-*, bad-no-sct.bundle.json  each differs from good.bundle.json in its
 *                                   SCT: from a CT log in no root, over another
 *                                   TBS (the SAN changed after), none at all
 *   cases.tsv                       file, ok|fail, identity, issuer, trusted root
 *
 * Fixed values:
 *   identity (URI SAN)   ID_URI, issuer ID_URI_ISSUER (extensions 1.1 and 1.8)
 *   identity (email SAN) ID_EMAIL, issuer ID_EMAIL_ISSUER (extension 1.8 only)
 *   integrated time T    now - 1 day; leaves are valid T-300 .. T+600
 *   CA and log keys      valid from now - 30 days (CA certs until now + 30 days)
 *   checkpoint origin    LOG_ORIGIN, signed by the name LOG_HOST, as Rekor v1
 *                        does (sigstore/rekor pkg/util/checkpoint.go)
 *   Rekor v2 log         V2_HOST is origin line and signer name; Ed25519; its
 *                        log id is the C2SP signed-note key id,
 *                        SHA-256(V2_HOST "\n" 0x01 || raw public key)
 *   timestamps           TSA root (P-384) + leaf (P-256, EKU timeStamping,
 *                        critical), now +-30 days; genTime T+30 (TSA_DELAY),
 *                        imprint SHA-256 of the raw signature bytes
 *   SCTs                 one embedded v1 SCT per leaf (extension
 *                        1.3.6.1.4.1.11129.2.4.2), from the CT log (P-256,
 *                        its log id SHA-256 of its DER SPKI), timestamp the
 *                        leaf's notBefore + 10 s (T-290 s), ECDSA-SHA256 over
 *                        the RFC 6962 3.2 precert entry: issuer key hash =
 *                        SHA-256 of the issuing certificate's SPKI, TBS = the
 *                        leaf's without the SCT extension; the leaf is signed
 *                        again after the SCT is added
 *
 * (The fixed values are macros here, in forge_pki.h and in forge_log.h.)
 *
 * The tool is four files: forge_util.c (fatal errors, memory, base64, hex,
 * SHA-256, JSON helpers), forge_pki.c (keys and signing, the CAs, the leaves
 * and their SCTs, the TSA's certificates), forge_log.c (the Merkle trees,
 * checkpoints, SETs, Rekor v1 and v2 entries and bodies, RFC 3161
 * timestamps) and this one: the fixed values, the trusted roots, the
 * bundles, cases.tsv and main.
 *
 * On failure: a message on stderr and exit 1 (2 for bad usage). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "forge_log.h"
#include "forge_pki.h"
#include "forge_util.h"

#define ARTIFACT_TEXT "trustgate keyless test artifact\n"
#define OTHER_TEXT "some other bytes, not the artifact\n"

#define ID_URI "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main"
#define ID_URI_ISSUER "https://token.actions.githubusercontent.com"
#define ID_EMAIL "signer@example.com"
#define ID_EMAIL_ISSUER "https://accounts.example.com"
/* WRONG_ID_URI: forge_pki.h (the SAN of the tampered SCT, too) */
#define WRONG_ISSUER "https://accounts.google.com"

#define CA_URI "https://fulcio.test.example"
#define LOG_URL "https://rekor.test.example"
#define CTLOG_URL "https://ctfe.test.example"
#define V2_URL "https://" V2_HOST
#define TSA_URI "https://tsa.test.example"

#define MT_BUNDLE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define MT_BUNDLE_V01 "application/vnd.dev.sigstore.bundle+json;version=0.1"
#define MT_TRUSTED_ROOT "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
#define INTOTO_TYPE "application/vnd.in-toto+json"

#define TSA_DELAY 30   /* genTime T+30 ... */
#define TSA_LATE 1200  /* ... or T+1200, after the leaf expired */
#define TSA_START_LATE 3600 /* trusted_root_tsa_late.json: the TSA from T+3600 */

typedef struct {
	const char *outdir;
	time_t now, t;
	test_ca ca, other_ca;
	log_key log, ctlog, unknown_log;
	log_key other_ctlog; /* a CT log in no trusted root */
	log_key v2log, unknown_v2log; /* Ed25519, Rekor v2 */
	EVP_PKEY *rogue;    /* signs the bad SET and the bad checkpoint */
	EVP_PKEY *rogue_ed; /* signs the bad v2 checkpoint */
	keyed_cert tsa_root, tsa_leaf;   /* the timestamp authority of the roots */
	keyed_cert other_tsa_root, other_tsa_leaf; /* same names, in no root */
	keyed_cert sibling_tsa_leaf;     /* another leaf of the test TSA's root, in no root */
	hash32 artifact_sha;
	char artifact_hex[65];
	/* views of the fields above for forge_pki and forge_log, set by
	 * forge_init: a forge is never copied or moved after it */
	leaf_issuers issuers;
	test_logs logs;
} forge;

typedef enum { S_GOOD, S_LOGGED_OTHER, S_SIGNED_OTHER } sig_fault;

/* The signed timestamp of a bundle, if any. */
typedef enum {
	TS_NONE,
	TS_GOOD,        /* genTime T+30, TSA certificate embedded */
	TS_NO_CERT,     /* the same, certificate not embedded (certReq false) */
	TS_OTHER_BYTES, /* imprint over another signature */
	TS_UNTRUSTED,   /* from a TSA of the same names in no trusted root */
	TS_SIBLING,     /* from another leaf of the trusted TSA's own root */
	TS_LATE         /* genTime T+1200, after the leaf certificate expired */
} ts_kind;

/* Bundles with a timestamp or a Rekor v2 entry (URI identity, v0.3). */
typedef struct {
	const char *file;
	int v2; /* 0: the Rekor v1 entry of good.bundle.json; 1: Rekor v2 */
	ts_kind ts;
	log_fault lf;       /* L_GOOD or L_CKPT_KEY */
	int other_verifier; /* the v2 body names a second leaf */
	const char *expect;
} ts_bundle_spec;

typedef struct {
	const char *file;
	int email, v01;
	size_t tree_size, index;
	cert_fault cf;
	sig_fault sf;
	log_fault lf;
	sct_fault scf;
} bundle_spec;

static const identity uri_id = {0, ID_URI, ID_URI_ISSUER};
static const identity email_id = {1, ID_EMAIL, ID_EMAIL_ISSUER};

static const bundle_spec bundles[] = {
	{"good.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"good-email.bundle.json", 1, 0, 5, 3, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"good-v01.bundle.json", 0, 1, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"good-single.bundle.json", 0, 0, 1, 0, C_GOOD, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-expired.bundle.json", 0, 0, 11, 6, C_EXPIRED, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-untrusted-ca.bundle.json", 0, 0, 11, 6, C_OTHER_CA, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-other-signature.bundle.json", 0, 0, 11, 6, C_GOOD, S_LOGGED_OTHER, L_GOOD, SCT_GOOD},
	{"bad-inclusion-proof.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_PROOF_BYTE, SCT_GOOD},
	{"bad-root-hash.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_ROOT_HASH, SCT_GOOD},
	{"bad-checkpoint-sig.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_CKPT_KEY, SCT_GOOD},
	{"bad-set.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_SET_KEY, SCT_GOOD},
	{"bad-signature.bundle.json", 0, 0, 11, 6, C_GOOD, S_SIGNED_OTHER, L_GOOD, SCT_GOOD},
	{"bad-no-tlog.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_NO_ENTRY, SCT_GOOD},
	{"bad-no-eku.bundle.json", 0, 0, 11, 6, C_NO_EKU, S_GOOD, L_GOOD, SCT_GOOD},
	{"bad-self-signed.bundle.json", 0, 0, 11, 6, C_SELF_SIGNED, S_GOOD, L_GOOD, SCT_GOOD},
};

/* The SCT's faults, written after every other row. */
static const bundle_spec sct_bundles[] = {
	{"bad-sct-other-key.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_OTHER_LOG},
	{"bad-sct-tampered.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_TAMPERED},
	{"bad-no-sct.bundle.json", 0, 0, 11, 6, C_GOOD, S_GOOD, L_GOOD, SCT_NONE},
};

static const ts_bundle_spec ts_bundles[] = {
	{"good-tsa.bundle.json", 0, TS_GOOD, L_GOOD, 0, "ok"},
	{"good-v2.bundle.json", 1, TS_GOOD, L_GOOD, 0, "ok"},
	{"good-tsa-nocert.bundle.json", 1, TS_NO_CERT, L_GOOD, 0, "ok"},
	{"bad-v2-no-timestamp.bundle.json", 1, TS_NONE, L_GOOD, 0, "fail"},
	{"bad-tsa-other-signature.bundle.json", 1, TS_OTHER_BYTES, L_GOOD, 0, "fail"},
	{"bad-tsa-untrusted.bundle.json", 1, TS_UNTRUSTED, L_GOOD, 0, "fail"},
	{"bad-tsa-sibling.bundle.json", 1, TS_SIBLING, L_GOOD, 0, "fail"},
	{"bad-tsa-expired-cert.bundle.json", 1, TS_LATE, L_GOOD, 0, "fail"},
	{"bad-v2-checkpoint-sig.bundle.json", 1, TS_GOOD, L_CKPT_KEY, 0, "fail"},
	{"bad-v2-other-signer.bundle.json", 1, TS_GOOD, L_GOOD, 1, "fail"},
};

/* ---- files ---- */

static void write_file(const forge *f, const char *name, const void *data, size_t n)
{
	size_t len = strlen(f->outdir) + strlen(name) + 2;
	char *path = xmalloc(len);
	snprintf(path, len, "%s/%s", f->outdir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(data, 1, n, fp) != n || fclose(fp) != 0) {
		fprintf(stderr, "tg-sigstore-forge: writing %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(path);
}

/* Writes j (and drops it) with a final newline. */
static void write_json(const forge *f, const char *name, json_t *j, size_t flags)
{
	char *s = jdump(j, flags);
	size_t n = strlen(s);
	char *line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	write_file(f, name, line, n + 1);
	free(line);
	free(s);
	json_decref(j);
}

/* ---- trusted roots ---- */

static void rfc3339(time_t t, char out[32])
{
	struct tm tm;
	need(gmtime_r(&t, &tm) != NULL, "gmtime");
	need(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0, "strftime");
}

static json_t *log_json(const log_key *k, const char *url, time_t start)
{
	char from[32];
	rfc3339(start, from);
	return jcheck(json_pack("{s:s, s:s, s:{s:o, s:s, s:{s:s}}, s:{s:o}}", "baseUrl", url,
	                        "hashAlgorithm", "SHA2_256", "publicKey", "rawBytes",
	                        jtake(b64(k->der.p, k->der.n)), "keyDetails", k->details,
	                        "validFor", "start", from, "logId",
	                        "keyId", jtake(b64(k->id.h, sizeof k->id.h))));
}

/* The test CA; ca_end 0 means no end of validity. */
static json_t *ca_json(const forge *f, time_t ca_end)
{
	char from[32], to[32];
	rfc3339(f->now - 30 * DAY, from);
	json_t *valid = jcheck(json_pack("{s:s}", "start", from));
	if (ca_end) {
		rfc3339(ca_end, to);
		need(json_object_set_new(valid, "end", jcheck(json_string(to))) == 0, "validFor");
	}
	return jcheck(json_pack("{s:{s:s, s:s}, s:s, s:{s:[{s:o}, {s:o}]}, s:o}", "subject",
	                        "organization", CA_ORG, "commonName", CA_ROOT_CN, "uri", CA_URI,
	                        "certChain", "certificates", "rawBytes",
	                        jtake(cert_der_b64(f->ca.inter.cert)), "rawBytes",
	                        jtake(cert_der_b64(f->ca.root.cert)), "validFor", valid));
}

/* The test TSA, valid from start: its chain leaf first, root last. */
static json_t *tsa_json(const forge *f, time_t start)
{
	char from[32];
	rfc3339(start, from);
	return jcheck(json_pack("{s:{s:s, s:s}, s:s, s:{s:[{s:o}, {s:o}]}, s:{s:s}}", "subject",
	                        "organization", CA_ORG, "commonName", TSA_ROOT_CN, "uri", TSA_URI,
	                        "certChain", "certificates", "rawBytes",
	                        jtake(cert_der_b64(f->tsa_leaf.cert)), "rawBytes",
	                        jtake(cert_der_b64(f->tsa_root.cert)), "validFor", "start",
	                        from));
}

/* ctlog NULL: "ctlogs" empty. */
static void write_trusted_root(const forge *f, const char *name, const log_key *tlog,
                               const log_key *v2log, const log_key *ctlog, time_t ca_end,
                               time_t tsa_start)
{
	time_t start = f->now - 30 * DAY;
	json_t *ctlogs = jcheck(json_array());
	if (ctlog)
		need(json_array_append_new(ctlogs, log_json(ctlog, CTLOG_URL, start)) == 0, "ctlogs");
	json_t *root = jcheck(json_pack("{s:s, s:[o, o], s:[o], s:o, s:[o]}", "mediaType",
	                                MT_TRUSTED_ROOT, "tlogs", log_json(tlog, LOG_URL, start),
	                                log_json(v2log, V2_URL, start), "certificateAuthorities",
	                                ca_json(f, ca_end), "ctlogs", ctlogs,
	                                "timestampAuthorities", tsa_json(f, tsa_start)));
	write_json(f, name, root, JSON_INDENT(2));
}

/* ---- signed timestamps ---- */

/* The timestamp of kind k over the signature sig of the leaf leaf_key (NULL
 * for TS_NONE). */
static char *bundle_timestamp(const forge *f, ts_kind k, const bytes *sig, EVP_PKEY *leaf_key)
{
	time_t when = f->t + TSA_DELAY;
	switch (k) {
	case TS_NONE:
		return NULL;
	case TS_GOOD:
		return timestamp_b64(&f->tsa_leaf, sig->p, sig->n, when, 1);
	case TS_NO_CERT:
		return timestamp_b64(&f->tsa_leaf, sig->p, sig->n, when, 0);
	case TS_OTHER_BYTES: {
		bytes other = sign_sha256(leaf_key, OTHER_TEXT, strlen(OTHER_TEXT));
		char *s = timestamp_b64(&f->tsa_leaf, other.p, other.n, when, 1);
		bytes_free(&other);
		return s;
	}
	case TS_UNTRUSTED:
		return timestamp_b64(&f->other_tsa_leaf, sig->p, sig->n, when, 1);
	case TS_SIBLING:
		return timestamp_b64(&f->sibling_tsa_leaf, sig->p, sig->n, when, 1);
	case TS_LATE:
		return timestamp_b64(&f->tsa_leaf, sig->p, sig->n, f->t + TSA_LATE, 1);
	}
	die("timestamp kind");
	return NULL;
}

/* ---- bundles ---- */

/* entry NULL: no tlog entries. */
static json_t *verification_material(X509 *leaf, int v01, json_t *entry)
{
	json_t *entries = jcheck(json_array());
	if (entry)
		need(json_array_append_new(entries, entry) == 0, "tlogEntries");
	json_t *cert = jcheck(json_pack("{s:o}", "rawBytes", jtake(cert_der_b64(leaf))));
	if (v01)
		return jcheck(json_pack("{s:{s:[o]}, s:o}", "x509CertificateChain", "certificates",
		                        cert, "tlogEntries", entries));
	return jcheck(json_pack("{s:o, s:o}", "certificate", cert, "tlogEntries", entries));
}

/* Adds timestampVerificationData with one signed timestamp (ts_b64, which
 * it frees; NULL: nothing). */
static json_t *with_timestamp(json_t *material, char *ts_b64)
{
	if (ts_b64)
		need(json_object_set_new(material, "timestampVerificationData",
		                         jcheck(json_pack("{s:[{s:o}]}", "rfc3161Timestamps",
		                                          "signedTimestamp", jtake(ts_b64)))) == 0,
		     "timestampVerificationData");
	return material;
}

static const char *expectation(const bundle_spec *s)
{
	return s->cf == C_GOOD && s->sf == S_GOOD && s->lf == L_GOOD && s->scf == SCT_GOOD
	               ? "ok"
	               : "fail";
}

static void write_case(FILE *cases, const char *file, const char *expect, const char *id,
                       const char *issuer, const char *root)
{
	need(fprintf(cases, "%s\t%s\t%s\t%s\t%s\n", file, expect, id, issuer, root) > 0,
	     "writing cases.tsv");
}

static json_t *bundle_entry(const forge *f, const bundle_spec *s, const char *body)
{
	if (s->lf == L_NO_ENTRY)
		return NULL;
	placement p = {s->tree_size, s->index, !s->v01, s->lf, 0};
	return tlog_entry(&f->logs, body, "hashedrekord", &p);
}

static void write_message_bundle(const forge *f, const bundle_spec *s, FILE *cases)
{
	const identity *id = s->email ? &email_id : &uri_id;
	keyed_cert leaf = make_leaf(&f->issuers, s->cf, s->scf, id);
	const char *signed_text = s->sf == S_SIGNED_OTHER ? OTHER_TEXT : ARTIFACT_TEXT;
	char *sig_b64 = sign_b64(leaf.key, signed_text, strlen(signed_text));
	char *other_b64 = s->sf == S_LOGGED_OTHER
	                          ? sign_b64(leaf.key, OTHER_TEXT, strlen(OTHER_TEXT))
	                          : NULL;
	char *pem_b64 = cert_pem_b64(leaf.cert);
	char *body = hashedrekord_body(f->artifact_hex, other_b64 ? other_b64 : sig_b64, pem_b64);

	json_t *bundle = jcheck(json_pack(
	        "{s:s, s:o, s:{s:{s:s, s:o}, s:s}}", "mediaType",
	        s->v01 ? MT_BUNDLE_V01 : MT_BUNDLE_V03, "verificationMaterial",
	        verification_material(leaf.cert, s->v01, bundle_entry(f, s, body)),
	        "messageSignature", "messageDigest", "algorithm", "SHA2_256", "digest",
	        jtake(b64(f->artifact_sha.h, sizeof f->artifact_sha.h)), "signature", sig_b64));
	write_json(f, s->file, bundle, JSON_COMPACT);
	write_case(cases, s->file, expectation(s), id->value, id->issuer, "trusted_root.json");

	free(body);
	free(pem_b64);
	free(other_b64);
	free(sig_b64);
	keyed_cert_free(&leaf);
}

/* A message-signature bundle with a signed timestamp and/or a Rekor v2 entry. */
static void write_ts_bundle(const forge *f, const ts_bundle_spec *s, FILE *cases)
{
	keyed_cert leaf = make_leaf(&f->issuers, C_GOOD, SCT_GOOD, &uri_id);
	keyed_cert second = {NULL, NULL};
	bytes sig = sign_sha256(leaf.key, ARTIFACT_TEXT, strlen(ARTIFACT_TEXT));
	char *sig_b64 = b64(sig.p, sig.n);
	placement p = {11, 6, 1, s->lf, s->v2};
	json_t *entry;
	if (s->v2) {
		X509 *verifier = leaf.cert;
		if (s->other_verifier) {
			second = make_leaf(&f->issuers, C_GOOD, SCT_GOOD, &uri_id);
			verifier = second.cert;
		}
		char *body = hashedrekord_v2_body(&f->artifact_sha, sig_b64, verifier);
		entry = tlog_entry_v2(&f->logs, body, &p);
		free(body);
	} else {
		char *pem_b64 = cert_pem_b64(leaf.cert);
		char *body = hashedrekord_body(f->artifact_hex, sig_b64, pem_b64);
		entry = tlog_entry(&f->logs, body, "hashedrekord", &p);
		free(body);
		free(pem_b64);
	}
	json_t *material = with_timestamp(verification_material(leaf.cert, 0, entry),
	                                  bundle_timestamp(f, s->ts, &sig, leaf.key));
	json_t *bundle = jcheck(json_pack(
	        "{s:s, s:o, s:{s:{s:s, s:o}, s:s}}", "mediaType", MT_BUNDLE_V03,
	        "verificationMaterial", material, "messageSignature", "messageDigest",
	        "algorithm", "SHA2_256", "digest",
	        jtake(b64(f->artifact_sha.h, sizeof f->artifact_sha.h)), "signature", sig_b64));
	write_json(f, s->file, bundle, JSON_COMPACT);
	write_case(cases, s->file, s->expect, ID_URI, ID_URI_ISSUER, "trusted_root.json");

	free(sig_b64);
	bytes_free(&sig);
	if (second.cert)
		keyed_cert_free(&second);
	keyed_cert_free(&leaf);
}

/* The DSSE pre-authentication encoding. */
static bytes dsse_pae(const char *type, const char *payload)
{
	size_t tn = strlen(type), pn = strlen(payload), cap = tn + pn + 64;
	bytes b = {xmalloc(cap), 0};
	int n = snprintf((char *)b.p, cap, "DSSEv1 %zu %s %zu %s", tn, type, pn, payload);
	need(n > 0 && (size_t)n < cap, "DSSE PAE");
	b.n = (size_t)n;
	return b;
}

static char *intoto_statement(const char *digest_hex)
{
	char *s = xmalloc(512);
	snprintf(s, 512,
	         "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"image\","
	         "\"digest\":{\"sha256\":\"%s\"}}],\"predicateType\":"
	         "\"https://sigstore.dev/cosign/sign/v1\",\"predicate\":{}}",
	         digest_hex);
	return s;
}

/* The envelope's hash is over its compact JSON, which is exactly how it
 * appears in the (compact) bundle file. v2: logged in Rekor v2 as a
 * hashedrekord 0.0.2 of the PAE's SHA-256, with a signed timestamp over the
 * envelope's signature. cf: C_GOOD, or C_EXPIRED (Rekor v1 only) for
 * bad-expired-dsse.bundle.json. */
static void write_dsse_bundle(const forge *f, const char *digest_hex, int v2, cert_fault cf,
                              FILE *cases)
{
	const char *file = cf == C_EXPIRED ? "bad-expired-dsse.bundle.json"
	                   : v2            ? "good-v2-dsse.bundle.json"
	                                   : "good-dsse.bundle.json";
	keyed_cert leaf = make_leaf(&f->issuers, cf, SCT_GOOD, &uri_id);
	char *statement = intoto_statement(digest_hex);
	bytes pae = dsse_pae(INTOTO_TYPE, statement);
	bytes sig = sign_sha256(leaf.key, pae.p, pae.n);
	char *sig_b64 = b64(sig.p, sig.n);
	json_t *env = jcheck(json_pack("{s:o, s:s, s:[{s:s, s:s}]}", "payload",
	                               jtake(b64_str(statement)), "payloadType", INTOTO_TYPE,
	                               "signatures", "sig", sig_b64, "keyid", ""));
	char *env_text = jdump(env, JSON_COMPACT);
	char env_hex[65], payload_hex[65];
	sha256_hex(env_text, strlen(env_text), env_hex);
	sha256_hex(statement, strlen(statement), payload_hex);
	char *pem_b64 = cert_pem_b64(leaf.cert);
	char *body;
	json_t *material;
	placement p = {11, 6, 1, L_GOOD, v2};
	if (v2) {
		hash32 pae_sha;
		sha256(pae.p, pae.n, &pae_sha);
		body = hashedrekord_v2_body(&pae_sha, sig_b64, leaf.cert);
		json_t *entry = tlog_entry_v2(&f->logs, body, &p);
		material = with_timestamp(verification_material(leaf.cert, 0, entry),
		                          bundle_timestamp(f, TS_GOOD, &sig, leaf.key));
	} else {
		body = dsse_body(env_hex, payload_hex, sig_b64, pem_b64);
		material = verification_material(leaf.cert, 0, tlog_entry(&f->logs, body, "dsse", &p));
	}
	json_t *bundle = jcheck(json_pack("{s:s, s:o, s:o}", "mediaType", MT_BUNDLE_V03,
	                                  "verificationMaterial", material, "dsseEnvelope", env));
	write_json(f, file, bundle, JSON_COMPACT);
	write_case(cases, file, cf == C_GOOD ? "ok" : "fail", ID_URI, ID_URI_ISSUER,
	           "trusted_root.json");

	free(body);
	free(pem_b64);
	free(env_text);
	free(sig_b64);
	bytes_free(&sig);
	bytes_free(&pae);
	free(statement);
	keyed_cert_free(&leaf);
}

/* ---- main ---- */

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "tg-sigstore-forge: mkdir %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void mkdir_p(const char *path)
{
	size_t n = strlen(path);
	char *p = xmalloc(n + 1);
	memcpy(p, path, n + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		make_dir(p);
		*s = '/';
	}
	make_dir(p);
	free(p);
}

static int valid_image_digest(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d + 7) != 64)
		return 0;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

static void usage(void)
{
	fprintf(stderr, "usage: tg-sigstore-forge OUTDIR [--image-digest sha256:HEX]\n");
	exit(2);
}

static void forge_init(forge *f, const char *outdir)
{
	f->outdir = outdir;
	f->now = time(NULL);
	f->t = f->now - DAY;
	f->ca = make_ca(f->now);
	f->other_ca = make_ca(f->now);
	f->log = new_log_key();
	f->ctlog = new_log_key();
	f->other_ctlog = new_log_key();
	f->unknown_log = new_log_key();
	f->v2log = new_v2_log_key(V2_HOST);
	f->unknown_v2log = new_v2_log_key(V2_HOST);
	f->rogue = ec_key("P-256");
	f->rogue_ed = ed25519_key();
	make_tsa(f->now, &f->tsa_root, &f->tsa_leaf);
	make_tsa(f->now, &f->other_tsa_root, &f->other_tsa_leaf);
	make_tsa_leaf(f->now, &f->tsa_root, &f->sibling_tsa_leaf);
	sha256(ARTIFACT_TEXT, strlen(ARTIFACT_TEXT), &f->artifact_sha);
	hex(f->artifact_sha.h, sizeof f->artifact_sha.h, f->artifact_hex);
	f->issuers = (leaf_issuers){f->t, &f->ca, &f->other_ca, &f->ctlog, &f->other_ctlog};
	f->logs = (test_logs){f->t, &f->log, &f->v2log, f->rogue, f->rogue_ed};
}

static void forge_free(forge *f)
{
	keyed_cert_free(&f->ca.root);
	keyed_cert_free(&f->ca.inter);
	keyed_cert_free(&f->other_ca.root);
	keyed_cert_free(&f->other_ca.inter);
	log_key_free(&f->log);
	log_key_free(&f->ctlog);
	log_key_free(&f->other_ctlog);
	log_key_free(&f->unknown_log);
	log_key_free(&f->v2log);
	log_key_free(&f->unknown_v2log);
	EVP_PKEY_free(f->rogue);
	EVP_PKEY_free(f->rogue_ed);
	keyed_cert_free(&f->tsa_root);
	keyed_cert_free(&f->tsa_leaf);
	keyed_cert_free(&f->other_tsa_root);
	keyed_cert_free(&f->sibling_tsa_leaf);
	keyed_cert_free(&f->other_tsa_leaf);
}

/* Rows reusing good.bundle.json with a wrong policy or trusted root. */
static void write_policy_cases(FILE *cases)
{
	const char *g = "good.bundle.json", *r = "trusted_root.json";
	write_case(cases, g, "fail", WRONG_ID_URI, ID_URI_ISSUER, r);
	write_case(cases, g, "fail", ID_URI, WRONG_ISSUER, r);
	write_case(cases, g, "fail", ID_URI, ID_URI_ISSUER, "trusted_root_ca_expired.json");
	write_case(cases, g, "fail", ID_URI, ID_URI_ISSUER, "trusted_root_no_log.json");
}

static void write_cases_and_bundles(const forge *f, const char *image_digest)
{
	size_t len = strlen(f->outdir) + sizeof "/cases.tsv";
	char *path = xmalloc(len);
	snprintf(path, len, "%s/cases.tsv", f->outdir);
	FILE *cases = fopen(path, "w");
	need(cases != NULL, "cannot create cases.tsv");
	for (size_t i = 0; i < sizeof bundles / sizeof bundles[0]; i++)
		write_message_bundle(f, &bundles[i], cases);
	if (image_digest)
		write_dsse_bundle(f, image_digest + 7, 0, C_GOOD, cases);
	write_policy_cases(cases);
	/* timestamps and Rekor v2, after the rows above (which keep their order) */
	for (size_t i = 0; i < sizeof ts_bundles / sizeof ts_bundles[0]; i++)
		write_ts_bundle(f, &ts_bundles[i], cases);
	if (image_digest)
		write_dsse_bundle(f, image_digest + 7, 1, C_GOOD, cases);
	/* the TSA's validity in the trusted root starts after the timestamp */
	write_case(cases, "good-v2.bundle.json", "fail", ID_URI, ID_URI_ISSUER,
	           "trusted_root_tsa_late.json");
	/* SCTs; a root without CT logs requires none */
	for (size_t i = 0; i < sizeof sct_bundles / sizeof sct_bundles[0]; i++)
		write_message_bundle(f, &sct_bundles[i], cases);
	write_case(cases, "bad-no-sct.bundle.json", "ok", ID_URI, ID_URI_ISSUER,
	           "trusted_root_no_ct.json");
	/* the image signature by an expired leaf, after every other row */
	if (image_digest)
		write_dsse_bundle(f, image_digest + 7, 0, C_EXPIRED, cases);
	need(fclose(cases) == 0, "writing cases.tsv");
	free(path);
}

int main(int argc, char **argv)
{
	const char *outdir = NULL, *image_digest = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--image-digest") == 0 && i + 1 < argc)
			image_digest = argv[++i];
		else if (argv[i][0] != '-' && !outdir)
			outdir = argv[i];
		else
			usage();
	}
	if (!outdir || !*outdir)
		usage();
	if (image_digest && !valid_image_digest(image_digest)) {
		fprintf(stderr, "tg-sigstore-forge: --image-digest must be sha256:<64 lowercase hex>\n");
		return 2;
	}
	mkdir_p(outdir);

	forge f;
	forge_init(&f, outdir);
	write_file(&f, "artifact.txt", ARTIFACT_TEXT, strlen(ARTIFACT_TEXT));
	time_t tsa_start = f.now - 30 * DAY;
	write_trusted_root(&f, "trusted_root.json", &f.log, &f.v2log, &f.ctlog, 0, tsa_start);
	write_trusted_root(&f, "trusted_root_ca_expired.json", &f.log, &f.v2log, &f.ctlog,
	                   f.t - 3600, tsa_start);
	/* the same CT log: what fails is the unknown transparency log */
	write_trusted_root(&f, "trusted_root_no_log.json", &f.unknown_log, &f.unknown_v2log,
	                   &f.ctlog, 0, tsa_start);
	write_trusted_root(&f, "trusted_root_tsa_late.json", &f.log, &f.v2log, &f.ctlog, 0,
	                   f.t + TSA_START_LATE);
	write_trusted_root(&f, "trusted_root_no_ct.json", &f.log, &f.v2log, NULL, 0, tsa_start);
	write_cases_and_bundles(&f, image_digest);
	forge_free(&f);
	return 0;
}
