/* gojson: find JSON object members the way Go's encoding/json assigns them
 * to struct fields, so trustgate reads the same value dockerd acts on.
 *
 * Go matches a key to a field case-insensitively with Unicode simple case
 * folding ("image", "IMAGE" and "İmage"-style tricks: U+017F 'ſ' folds to
 * 's', U+212A KELVIN SIGN to 'k'), and when several keys match one field the
 * last one wins. jansson matches exactly. Here, a field matched by more than
 * one key is refused as ambiguous; the caller denies.
 *
 * Pure functions, thread-safe. Returned nodes are borrowed from obj's document.
 */
#ifndef TG_GOJSON_H
#define TG_GOJSON_H

#include "authz/jdoc.h"

#include "common/tg_error.h"

/* Find the member of obj that Go would decode into the struct field named
 * field (ASCII). *out receives the borrowed value, or NULL when no key
 * matches (or obj is JSON null, as Go leaves the field unset).
 * Errors: TG_EAMBIGUOUS when two or more keys match field; TG_EINVAL when
 * obj is neither an object nor null. */
int tg_gojson_get(const tg_jnode *obj, const char *field, const tg_jnode **out, tg_error *err);

/* Follow a '.'-separated path of fields ("HostConfig.Privileged") with
 * tg_gojson_get at each step. A missing or null step gives *out = NULL.
 * A step that is present but not an object: TG_EINVAL (Go would fail to
 * decode the request). */
int tg_gojson_get_path(const tg_jnode *obj, const char *path, const tg_jnode **out,
                       tg_error *err);

/* Go's fold-equality of a UTF-8 key (valid, as jdoc leaves it) with an
 * ASCII field name. Exposed for
 * tests. */
int tg_gojson_key_matches(const char *key, const char *field);

#endif
