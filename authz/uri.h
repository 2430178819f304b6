/* uri: read a RequestUri the way dockerd's HTTP stack does.
 *
 * dockerd hands the plugin the raw request-target. Its router (gorilla mux)
 * matches the percent-decoded path, with and without a "/v<version>" prefix,
 * and answers non-canonical paths ("//", "/./", "/..") with a redirect
 * instead of running them. Query values are read with Go's url.Values.Get:
 * the first value of a repeated key wins, '+' is a space.
 *
 * Pure functions, thread-safe. tg_uri owns its strings.
 */
#ifndef TG_URI_H
#define TG_URI_H

#include <stdbool.h>

#include "common/tg_error.h"

#define TG_URI_MAX 65536 /* longer request-targets are refused */

typedef struct tg_uri {
	char *path;      /* decoded, version prefix removed, e.g. "/containers/create" */
	char *raw_query; /* undecoded text after the first '?', "" when none */
	bool versioned;  /* the path had a "/v1.41"-style prefix */
	char version[16]; /* that prefix's version ("1.41"), "" when none or longer */
} tg_uri;

/* Whether version a ("1.23") is below b, component by component as
 * dockerd's versions.LessThan compares them. */
bool tg_uri_version_below(const char *a, const char *b);

/* Parse a RequestUri (origin form "/p?q" or absolute form "http://h/p?q").
 * Errors: TG_EINVAL (bad percent-escape, NUL, not a request-target, path not
 * canonical so dockerd would not route it), TG_ETOOBIG, TG_ENOMEM.
 * On success *out owns new strings: release with tg_uri_clear. */
int tg_uri_parse(const char *request_uri, tg_uri *out, tg_error *err);

/* Look up query key as url.Values.Get does. *value_out receives a new
 * decoded string (caller frees) or NULL when the key is absent.
 * Returns 0, or TG_EINVAL when the query is one Go rejects (a ';'
 * separator, a bad escape): the daemon's form parsing fails on those, and
 * reading around the failure could differ from it. */
int tg_uri_query_get(const tg_uri *uri, const char *key, char **value_out, tg_error *err);

/* The index-th value of a repeated key (as Go's url.Values[key][index]),
 * else as tg_uri_query_get. */
int tg_uri_query_get_nth(const tg_uri *uri, const char *key, size_t index, char **value_out,
                         tg_error *err);

/* Free the strings of uri (accepts a zeroed or cleared uri). */
void tg_uri_clear(tg_uri *uri);

#endif
