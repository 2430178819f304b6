/* policy_store: see policy_store.h. The file is identified by device,
 * inode, size and modification time, so both in-place edits and the
 * write-then-rename of editors and config managers are noticed. */
#include "plugin/policy_store.h"
#include "plugin/signatures.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tg_policy_ref {
	tg_policy *policy;
	atomic_int refs;
};

struct file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct tg_policy_store {
	pthread_mutex_t lock;
	tg_policy_ref *current;
	char *path;
	struct file_id seen; /* the file as it was at the last load attempt */
};

static struct file_id identify(const char *path)
{
	struct stat sb;
	struct file_id id = {0};
	if (stat(path, &sb) == 0) {
		id.exists = true;
		id.dev = sb.st_dev;
		id.ino = sb.st_ino;
		id.size = sb.st_size;
		id.mtime = sb.st_mtim;
	}
	return id;
}

static bool same_file(const struct file_id *a, const struct file_id *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static tg_policy_ref *ref_new(tg_policy *p)
{
	tg_policy_ref *ref = malloc(sizeof(*ref));
	if (ref == NULL)
		return NULL;
	ref->policy = p;
	atomic_init(&ref->refs, 1);
	return ref;
}

static void ref_put(tg_policy_ref *ref)
{
	if (ref != NULL && atomic_fetch_sub(&ref->refs, 1) == 1) {
		tg_policy_free(ref->policy);
		free(ref);
	}
}

/* Load the file, or the built-in policy when it is absent; its sigstore
 * material (keys, trusted roots) must load too. */
static int load(const char *path, const struct file_id *id, tg_policy **out, tg_error *err)
{
	if (!id->exists)
		return tg_policy_builtin(out, err);
	int rc = tg_policy_load_file(path, out, err);
	if (rc == TG_OK && (rc = tg_signatures_check_roots(*out, err)) != TG_OK) {
		tg_policy_free(*out);
		*out = NULL;
	}
	return rc;
}

int tg_policy_store_open(const char *path, bool required, tg_policy_store **out, tg_error *err)
{
	struct file_id id = identify(path);
	if (required && !id.exists)
		return tg_error_set(err, TG_EIO, "%s: %s", path, strerror(errno));
	tg_policy *p = NULL;
	int rc = load(path, &id, &p, err);
	if (rc != TG_OK)
		return rc;
	tg_policy_store *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(path)) == NULL || (s->current = ref_new(p)) == NULL) {
		if (s)
			free(s->path);
		free(s);
		tg_policy_free(p);
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->lock, NULL);
	s->seen = id;
	*out = s;
	return TG_OK;
}

void tg_policy_store_close(tg_policy_store *store)
{
	if (store == NULL)
		return;
	ref_put(store->current);
	pthread_mutex_destroy(&store->lock);
	free(store->path);
	free(store);
}

tg_policy_ref *tg_policy_store_acquire(tg_policy_store *store)
{
	pthread_mutex_lock(&store->lock);
	tg_policy_ref *ref = store->current;
	atomic_fetch_add(&ref->refs, 1);
	pthread_mutex_unlock(&store->lock);
	return ref;
}

const tg_policy *tg_policy_ref_get(const tg_policy_ref *ref)
{
	return ref->policy;
}

void tg_policy_store_release(tg_policy_store *store, tg_policy_ref *ref)
{
	ref_put(ref);
}

int tg_policy_store_reload(tg_policy_store *store, bool force, tg_error *err)
{
	struct file_id id = identify(store->path);
	if (!force && same_file(&id, &store->seen))
		return 0;
	store->seen = id;
	if (!id.exists && !tg_policy_is_builtin(store->current->policy))
		return tg_error_set(err, TG_EIO, "%s was removed; keeping the policy loaded from it",
		                    store->path);
	tg_policy *p = NULL;
	int rc = load(store->path, &id, &p, err);
	if (rc != TG_OK)
		return rc;
	tg_policy_ref *fresh = ref_new(p);
	if (fresh == NULL) {
		tg_policy_free(p);
		return tg_error_set(err, TG_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&store->lock);
	tg_policy_ref *old = store->current;
	store->current = fresh;
	pthread_mutex_unlock(&store->lock);
	ref_put(old);
	return 1;
}
