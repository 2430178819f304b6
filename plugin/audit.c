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

void tg_audit_log(unsigned long id, const tg_operation *op, const tg_decision *d,
                  const char *policy_source)
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
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	if (text != NULL)
		tg_log_raw_line(text);
	else
		tg_log(TG_LOG_ERROR, "cannot format the audit line of request %lu (%s)", id,
		       tg_verdict_name(d->verdict));
	free(text);
	json_decref(line);
}
