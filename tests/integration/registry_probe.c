/* tg-registry-probe: drives trustcache/registry_content from the shell, so
 * tests/integration/test_registry.sh can check it against a real
 * docker-registry. Not installed; not part of trustgate.
 *
 *   tg-registry-probe manifest BASE REPO REF
 *   tg-registry-probe blob BASE REPO DIGEST [MAX]
 *   tg-registry-probe referrers BASE REPO DIGEST
 *
 * Prints what it read on stdout; on failure "error TG_E...: message" on
 * stderr and exit 1 (2 for bad usage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trustcache/registry_content.h"

static int fail(const tg_error *err)
{
	fprintf(stderr, "error %s: %s\n", tg_code_name(err->code), err->msg);
	return 1;
}

static int show_content(int rc, tg_registry_content *c, const tg_error *err)
{
	if (rc != TG_OK)
		return fail(err);
	printf("digest=%s bytes=%zu media_type=%s\n", c->digest, c->body.len,
	       c->media_type[0] ? c->media_type : "-");
	tg_registry_content_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	tg_error err;
	tg_registry_content c;
	if (argc < 5) {
		fprintf(stderr, "usage: tg-registry-probe manifest|blob|referrers BASE REPO REF [MAX]\n");
		return 2;
	}
	if (tg_http_global_init(&err) != TG_OK)
		return fail(&err);
	tg_http_options opt = {.deadline_ms = 5000};
	int rc = 2;
	if (strcmp(argv[1], "manifest") == 0) {
		rc = show_content(tg_registry_fetch_manifest(argv[2], argv[3], argv[4], &opt, &c, &err),
		                  &c, &err);
	} else if (strcmp(argv[1], "blob") == 0) {
		size_t max = argc > 5 ? strtoul(argv[5], NULL, 10) : 0;
		rc = show_content(tg_registry_fetch_blob(argv[2], argv[3], argv[4], max, &opt, &c, &err),
		                  &c, &err);
	} else if (strcmp(argv[1], "referrers") == 0) {
		tg_registry_referrers r;
		if (tg_registry_list_referrers(argv[2], argv[3], argv[4], &opt, &r, &err) != TG_OK) {
			rc = fail(&err);
		} else {
			printf("via=%s n=%zu\n", r.by_tag_schema ? "tag" : "api", r.n);
			for (size_t i = 0; i < r.n; i++)
				printf("%s %s %s %lld\n", r.items[i].digest,
				       r.items[i].artifact_type[0] ? r.items[i].artifact_type : "-",
				       r.items[i].media_type[0] ? r.items[i].media_type : "-", r.items[i].size);
			rc = 0;
		}
	}
	tg_http_global_cleanup();
	return rc;
}
