/* forge_util: fatal errors, memory, encodings, digests and jansson helpers
 * for tg-sigstore-forge (see forge_util.h; the tool is described in
 * sigstore_forge.c). Failing here means exiting: a test tool has nothing to
 * recover. */
#include "forge_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

/* ---- errors and memory ---- */

void die(const char *what)
{
	fprintf(stderr, "tg-sigstore-forge: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

void need(int ok, const char *what)
{
	if (!ok)
		die(what);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	need(p != NULL, "out of memory");
	return p;
}

void bytes_free(bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

/* ---- encodings and digests ---- */

char *b64(const void *data, size_t n)
{
	need(n < (size_t)1 << 28, "base64: input too large");
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

char *b64_str(const char *s)
{
	return b64(s, strlen(s));
}

void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void sha256(const void *data, size_t n, hash32 *out)
{
	need(EVP_Digest(data, n, out->h, NULL, EVP_sha256(), NULL) == 1, "sha256");
}

void sha256_hex(const void *data, size_t n, char out[65])
{
	hash32 h;
	sha256(data, n, &h);
	hex(h.h, sizeof h.h, out);
}

/* ---- JSON ---- */

json_t *jcheck(json_t *j)
{
	need(j != NULL, "building JSON");
	return j;
}

json_t *jtake(char *s)
{
	json_t *j = jcheck(json_string(s));
	free(s);
	return j;
}

char *jdump(const json_t *j, size_t flags)
{
	char *s = json_dumps(j, flags);
	need(s != NULL, "serializing JSON");
	return s;
}
