/* audit: see audit.h. Built with jansson so every string is escaped. */
#include "plugin/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "common/tg_log.h"

static void utc_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, n - len, ".%03ldZ", ts.tv_nsec / 1000000L);
}

static json_t *signatures_json(const tg_trust_facts *facts)
{
	static const char *const status[] = {"verified", "not-signed", "failed"};
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < facts->n; i++) {
		const tg_sig_fact *f = &facts->sig[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:s?, s:s?, s:s}", "root", f->root,
		                                      "status", status[f->status],
		                                      "digest", f->digest[0] ? f->digest : NULL,
		                                      "signer", f->signer[0] ? f->signer : NULL,
		                                      "cache", f->cache[0] ? f->cache : "off"));
	}
	return list;
}

void tg_audit_log(unsigned long id, const tg_operation *op, const tg_decision *d,
                  const tg_trust_facts *facts, const char *policy_source)
{
	char when[40];
	utc_now(when, sizeof(when));
	json_t *line = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s}",
	                         "time", when, "id", (json_int_t)id, "op", tg_op_kind_token(op->kind),
	                         "method", op->method, "path", op->path, "image", op->image,
	                         "normalized", d->normalized, "target", op->target[0] ? op->target : NULL,
	                         "rule", d->rule ? d->rule->match : NULL,
	                         "verdict", tg_verdict_name(d->verdict), "reason", d->message,
	                         "policy", policy_source);
	if (line != NULL && facts != NULL && facts->n > 0)
		json_object_set_new(line, "signatures", signatures_json(facts));
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	if (text != NULL)
		tg_log_raw_line(text);
	else
		tg_log(TG_LOG_ERROR, "cannot format the audit line of request %lu (%s)", id,
		       tg_verdict_name(d->verdict));
	free(text);
	json_decref(line);
}
