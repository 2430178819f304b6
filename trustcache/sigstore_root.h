/* sigstore_root: a Sigstore trusted root (trusted_root.json, media type
 * application/vnd.dev.sigstore.trustedroot+json;version=0.1): the
 * certificate authorities whose certificates sign keyless signatures and the
 * transparency logs whose entries prove them, each with the window of time
 * in which it may be trusted.
 *
 * Read: "certificateAuthorities" and "timestampAuthorities"
 * (certChain.certificates: DER in base64, the issuing (or timestamping)
 * certificate first and the root last; validFor) and "tlogs"
 * (publicKey.rawBytes: DER SubjectPublicKeyInfo in base64, or a PKCS#1 RSA
 * key when keyDetails says so; ECDSA, RSA or Ed25519; logId.keyId;
 * publicKey.validFor), and "ctlogs" (the same, for the certificate-
 * transparency logs whose SCTs certificates must carry: sct.h). A root can also be made of one Rekor public key alone,
 * for key-based trust roots that require a log entry.
 *
 * A tg_sigstore_root is immutable once made: thread-safe to share.
 */
#ifndef TG_SIGSTORE_ROOT_H
#define TG_SIGSTORE_ROOT_H

#include <stddef.h>
#include <time.h>

#include "common/tg_error.h"

#define TG_SIGSTORE_ROOT_MAX (1024u * 1024)
#define TG_SIGSTORE_ROOT_TYPE "application/vnd.dev.sigstore.trustedroot+json;version=0.1"

typedef struct tg_sigstore_root tg_sigstore_root;

/* Read the trusted root in file. *out receives it (free with
 * tg_sigstore_root_free). Errors, naming the file and what is wrong:
 * TG_EIO (unreadable), TG_EINVAL (not a trusted root, a certificate or key
 * that does not parse, a malformed time, no certificate authority and no
 * log), TG_ETOOBIG, TG_ENOMEM. */
int tg_sigstore_root_load(const char *file, tg_sigstore_root **out, tg_error *err);

/* The same from len bytes of JSON; what names the source in messages. */
int tg_sigstore_root_parse(const char *json, size_t len, const char *what,
                           tg_sigstore_root **out, tg_error *err);

/* A root with no certificate authority and one transparency log: the PEM
 * public key in file, trusted at any time. Errors as tg_sigstore_root_load. */
int tg_sigstore_root_from_log_key(const char *file, tg_sigstore_root **out, tg_error *err);

void tg_sigstore_root_free(tg_sigstore_root *root);

/* Counts, for messages and tests. */
size_t tg_sigstore_root_ca_count(const tg_sigstore_root *root);
size_t tg_sigstore_root_log_count(const tg_sigstore_root *root);

/* Parse an RFC 3339 time in UTC as protobuf JSON writes it
 * ("2021-01-12T11:53:27Z", optional fraction of a second, which is
 * dropped). Errors: TG_EINVAL. */
int tg_sigstore_parse_time(const char *s, time_t *out);

#endif
