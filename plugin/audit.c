/* audit: see audit.h. The line is written with tg_json_out rather than a
 * JSON library: it is built on every request, and text from the request
 * (paths, image names) may be invalid UTF-8, which must still be logged. */
#include "plugin/audit.h"

#include <stdio.h>
#include <time.h>

#include "common/tg_json_out.h"
#include "common/tg_log.h"

#define AUDIT_LINE_MAX (64 * 1024)

static void utc_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, n - len, ".%03ldZ", ts.tv_nsec / 1000000L);
}

static int put_signatures(tg_buf *b, const tg_trust_facts *facts)
{
	static const char *const status[] = {"verified", "not-signed", "failed"};
	int rc = tg_buf_puts(b, ",\"signatures\":[");
	for (size_t i = 0; rc == TG_OK && i < facts->n; i++) {
		const tg_sig_fact *f = &facts->sig[i];
		rc = tg_buf_puts(b, i ? ",{" : "{");
		if (rc == TG_OK)
			rc = tg_json_put_field(b, "root", f->root, 1);
		if (rc == TG_OK)
			rc = tg_json_put_field(b, "status", status[f->status], 0);
		if (rc == TG_OK)
			rc = tg_json_put_field(b, "digest", f->digest[0] ? f->digest : NULL, 0);
		if (rc == TG_OK)
			rc = tg_json_put_field(b, "signer", f->signer[0] ? f->signer : NULL, 0);
		if (rc == TG_OK)
			rc = tg_json_put_field(b, "cache", f->cache[0] ? f->cache : "off", 0);
		if (rc == TG_OK)
			rc = tg_buf_printf(b, ",\"ms\":%.3f}", f->lookup_ms);
	}
	return rc == TG_OK ? tg_buf_puts(b, "]") : rc;
}

void tg_audit_log(unsigned long id, const tg_operation *op, const tg_decision *d,
                  const tg_trust_facts *facts, const char *policy_source)
{
	char when[40];
	utc_now(when, sizeof(when));
	tg_buf b;
	tg_buf_init(&b, AUDIT_LINE_MAX);
	int rc = tg_buf_puts(&b, "{");
	if (rc == TG_OK)
		rc = tg_json_put_field(&b, "time", when, 1);
	if (rc == TG_OK)
		rc = tg_buf_printf(&b, ",\"id\":%lu", id);
	const char *fields[][2] = {
		{"op", tg_op_kind_token(op->kind)},
		{"method", op->method},
		{"path", op->path},
		{"image", op->image},
		{"normalized", d->normalized},
		{"target", op->target[0] ? op->target : NULL},
		{"rule", d->rule ? d->rule->match : NULL},
		{"verdict", tg_verdict_name(d->verdict)},
		{"reason", d->message},
		{"warnings", d->warnings[0] ? d->warnings : NULL},
		{"policy", policy_source},
	};
	for (size_t i = 0; rc == TG_OK && i < sizeof(fields) / sizeof(fields[0]); i++)
		rc = tg_json_put_field(&b, fields[i][0], fields[i][1], 0);
	if (rc == TG_OK && facts != NULL && facts->n > 0)
		rc = put_signatures(&b, facts);
	if (rc == TG_OK)
		rc = tg_buf_puts(&b, "}");
	if (rc == TG_OK) {
		tg_log_raw_line(tg_buf_str(&b));
	} else {
		tg_log(TG_LOG_ERROR, "cannot format the audit line of request %lu (%s)", id,
		       tg_verdict_name(d->verdict));
	}
	tg_buf_free(&b);
}
