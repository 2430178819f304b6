/* container_facts: what dockerd and the host know about a container's
 * mounts and namespaces that its request does not say, gathered before the
 * container rules run (authz/hardening.h):
 * - "--volumes-from X": X's mounts (asked of dockerd), as this container's;
 * - a named volume: its options (GET /volumes/NAME): a "local" volume with
 *   a device that binds a host path is a bind of that path;
 * - "container:X" namespace modes: whether X has the host's namespace;
 * - every host path: resolved as dockerd will mount it (cleaned as text,
 *   then its symlinks followed; an error other than "does not exist yet"
 *   is a failure the rules deny), and whether mounts lie under it (the
 *   host's /proc/1/mountinfo: a read-only bind does not reach them).
 *
 * Asks dockerd and the file system: call it where blocking is allowed.
 * Thread-safe.
 */
#ifndef TG_CONTAINER_FACTS_H
#define TG_CONTAINER_FACTS_H

#include <stddef.h>

#include <jansson.h>

#include "authz/container.h"
#include "plugin/local_image.h"

/* Whether spec has anything to gather (mounts, volumes, joined
 * namespaces). */
bool tg_container_facts_needed(const tg_container_spec *spec);

/* Gather into spec. Errors (deny; err says why): TG_EIO / TG_ETIMEOUT
 * (dockerd could not be asked), TG_ETOOBIG (more mounts than a spec
 * holds), TG_EINVAL (an answer trustgate cannot read). */
int tg_container_facts_gather(const struct tg_local_env *lenv, tg_container_spec *spec,
                              tg_error *err);

/* A stored container's mounts, as dockerd's inspect lists them ("Mounts":
 * [{Type, Source, Name, Destination, RW}]: what a start will mount, those
 * copied from --volumes-from at create included), into spec's mounts:
 * binds by their source, volumes by name (then looked up as named volumes).
 * Errors: TG_ETOOBIG. */
int tg_container_facts_stored_mounts(tg_container_spec *spec, const json_t *mounts,
                                     tg_error *err);

/* Resolve host path path as dockerd's mount would into out (n bytes): the
 * text cleaned first (tg_container_clean_path: ".." is textual), then the
 * longest existing leading part through realpath(3), the rest as it will
 * be created. Errors: TG_EINVAL (not absolute, too long, or a part that
 * exists but cannot be resolved: no permission, a loop). */
int tg_container_resolve_path(const char *path, char *out, size_t n);

#endif
