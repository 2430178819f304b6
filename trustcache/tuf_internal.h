/* tuf_internal: the insides of tg_tuf_doc and tg_tuf_role, shared by
 * tuf_role.c (roles, documents, signatures, time) and tuf_meta.c (root,
 * snapshot/timestamp meta, targets and delegations). Not for other modules:
 * they use the contract in tuf_role.h. */
#ifndef TG_TUF_INTERNAL_H
#define TG_TUF_INTERNAL_H

#include "common/tg_buf.h"
#include "trustcache/tuf_role.h"

enum tg_tuf_kind { TG_TUF_ROOT, TG_TUF_TIMESTAMP, TG_TUF_SNAPSHOT, TG_TUF_TARGETS };

struct tg_tuf_doc {
	char role[TG_TUF_ROLE_NAME_MAX];
	enum tg_tuf_kind kind;
	json_t *json;              /* the whole document; owned */
	const json_t *signed_obj;  /* borrowed from json */
	const json_t *signatures;  /* borrowed from json */
	tg_buf canonical;          /* canonical JSON of signed_obj */
	long long version;
	time_t expires;
	char expires_text[64];
};

struct tg_tuf_role {
	char name[TG_TUF_ROLE_NAME_MAX];
	long long threshold;
	tg_tuf_key **keys; /* owned, nkeys of them */
	size_t nkeys;
	int restricted;    /* 0: every target allowed; 1: only paths[] prefixes */
	char **paths;      /* owned */
	size_t npaths;
};

/* Append a copy of path to role's allowed prefixes and mark it restricted.
 * Errors: TG_ETOOBIG (over TG_TUF_MAX_PATHS), TG_ENOMEM. */
int tg_tuf_role_add_path(tg_tuf_role *role, const char *path, tg_error *err);

/* Mark role restricted to its (possibly empty) path list. */
void tg_tuf_role_restrict(tg_tuf_role *role);

/* Check the per-type structure of a freshly parsed document (tuf_meta.c). */
int tg_tuf_doc_check_structure(const tg_tuf_doc *doc, tg_error *err);

/* 1 when name is a valid delegation name (Notary's IsDelegation). */
int tg_tuf_is_delegation_name(const char *name);

#endif
