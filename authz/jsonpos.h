/* jsonpos: where in a JSON text a value stands, by path.
 *
 * jansson reports line and column for syntax errors only. To point an admin
 * at the exact place of a semantic error ("rules[2].require"), the text is
 * scanned again and the value at the path located. Keys are compared as
 * written between their quotes (policy keys are plain ASCII).
 * Pure, thread-safe.
 */
#ifndef TG_JSONPOS_H
#define TG_JSONPOS_H

#include <stddef.h>

/* One step of a path: a key (index < 0) or an array index (key NULL). */
typedef struct tg_jsonpos_step {
	const char *key;
	long index;
} tg_jsonpos_step;

/* Find the value at path in text (depth steps; 0 = the root). On success
 * sets *line and *column (1-based) and returns 0. When the path does not
 * exist, it gives the position of the deepest value found on the way and
 * returns 1. Returns -1 if text is not scannable JSON. */
int tg_jsonpos_locate(const char *text, size_t len, const tg_jsonpos_step *path, size_t depth,
                      int *line, int *column);

#endif
