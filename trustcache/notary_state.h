/* notary_state: what this host remembers about each Notary repository:
 * the root it trusts (first use, pin, or the end of a valid rotation) and
 * the highest version it has seen of each role, so that a server can never
 * roll a repository back to older, once-valid metadata.
 *
 * One JSON file per trust root and GUN under STATE_DIR/notary/, written
 * atomically (temporary file, fsync, rename). A file that cannot be read is
 * an error, never a fresh start: forgetting a root would re-open trust on
 * first use. Thread-safe for different files.
 */
#ifndef TG_NOTARY_STATE_H
#define TG_NOTARY_STATE_H

#include "common/tg_buf.h"
#include "common/tg_error.h"

enum tg_notary_role_index { TG_NR_ROOT, TG_NR_TIMESTAMP, TG_NR_SNAPSHOT, TG_NR_TARGETS,
                            TG_NR_RELEASES, TG_NR_COUNT };

typedef struct tg_notary_state {
	tg_buf root;                    /* the trusted root.json, as fetched; empty: none yet */
	long long versions[TG_NR_COUNT]; /* highest seen; 0: never */
} tg_notary_state;

/* The role name of an index, as in metadata ("targets/releases"). */
const char *tg_notary_role_name(enum tg_notary_role_index i);

/* Read the state of gun under trust root name. A missing file gives an
 * empty state. *out must be released with tg_notary_state_free.
 * Errors: TG_EIO, TG_EINVAL (corrupt file: the message names it and says
 * how to reset it). */
int tg_notary_state_read(const char *state_dir, const char *name, const char *gun,
                         tg_notary_state *out, tg_error *err);

/* Write the state atomically, keeping for each version the higher of the
 * file's and state's (another lookup may have written meanwhile).
 * Errors: TG_EIO. */
int tg_notary_state_write(const char *state_dir, const char *name, const char *gun,
                          const tg_notary_state *state, tg_error *err);

void tg_notary_state_free(tg_notary_state *state);

#endif
