/* forge_util: what every part of tg-sigstore-forge uses: fatal errors,
 * memory, base64, hex, SHA-256 and a few jansson helpers.
 *
 * The forge is a test tool: every function here, in forge_pki.h and in
 * forge_log.h either succeeds or prints "tg-sigstore-forge: <what>" (and
 * OpenSSL's error queue) on stderr and exits 1; none returns an error.
 * Single-threaded; nothing here is thread-safe. */
#ifndef TG_FORGE_UTIL_H
#define TG_FORGE_UTIL_H

#include <stddef.h>

#include <jansson.h>

#define DAY 86400

/* Bytes in a buffer from xmalloc (or OpenSSL, where said); the owner frees
 * it with bytes_free (or OPENSSL_free). */
typedef struct {
	unsigned char *p;
	size_t n;
} bytes;

/* A SHA-256 digest. */
typedef struct {
	unsigned char h[32];
} hash32;

/* Prints what and OpenSSL's error queue on stderr, then exits 1. */
_Noreturn void die(const char *what);

/* die(what) unless ok. */
void need(int ok, const char *what);

/* malloc(n), n 0 allowed; never NULL. The caller frees. */
void *xmalloc(size_t n);

/* Frees b->p (NULL allowed) and leaves b empty. */
void bytes_free(bytes *b);

/* Padded standard base64 of the n bytes at data (n < 2^28), NUL-terminated.
 * The caller frees. */
char *b64(const void *data, size_t n);

/* b64 of the string s without its NUL. The caller frees. */
char *b64_str(const char *s);

/* Lowercase hex of the n bytes at p into out, which holds 2n + 1 chars
 * (NUL-terminated). */
void hex(const unsigned char *p, size_t n, char *out);

/* SHA-256 of the n bytes at data, into *out. */
void sha256(const void *data, size_t n, hash32 *out);

/* The same, as 64 lowercase hex digits and a NUL, into out. */
void sha256_hex(const void *data, size_t n, char out[65]);

/* j itself, or die when it is NULL (a jansson constructor failed): wraps
 * json_pack and friends. Ownership passes through unchanged. */
json_t *jcheck(json_t *j);

/* A new JSON string (the caller owns the reference) of s, a malloc'd C
 * string, which it frees. */
json_t *jtake(char *s);

/* json_dumps(j, flags) of j (borrowed), never NULL. The caller frees. */
char *jdump(const json_t *j, size_t flags);

#endif
