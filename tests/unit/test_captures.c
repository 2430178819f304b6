/* Every AuthZReq that a real dockerd sent (shared/fixtures/authz-captures)
 * run through the authz pipeline under tests/unit/policies/captures.json.
 * Expectations are data: tests/unit/captures.tsv has one row per capture
 * file (path, operation, verdict, a piece of the message), and a capture
 * file without a row fails the test, so new captures cannot go untested. */
#include "tg_test.h"

#include <dirent.h>

#include "authz/decide.h"
#include "authz/operation.h"
#include "authz/request.h"

struct row {
	char file[512], op[64], verdict[32], msg[512];
};

static tg_policy *policy;
static struct row rows[512];
static size_t n_rows;

static void load_rows(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	char line[2048];
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		struct row *r = &rows[n_rows];
		char *fields[4] = {r->file, r->op, r->verdict, r->msg};
		size_t caps[4] = {sizeof(r->file), sizeof(r->op), sizeof(r->verdict), sizeof(r->msg)};
		char *save = NULL, *tok = strtok_r(line, "\t", &save);
		for (int i = 0; i < 4; i++) {
			if (tok == NULL && i < 3)
				fail_msg("bad row in %s: %s", path, line);
			snprintf(fields[i], caps[i], "%s", tok ? tok : "");
			tok = strtok_r(NULL, "\t", &save);
		}
		if (++n_rows == sizeof(rows) / sizeof(rows[0]))
			fail_msg("too many rows");
	}
	fclose(f);
}

static int setup(void **state)
{
	const char *src = getenv("TG_SOURCE_DIR");
	assert_non_null(src);
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/unit/policies/captures.json", src);
	tg_error err;
	if (tg_policy_load_file(path, &policy, &err) != 0)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "%s/tests/unit/captures.tsv", src);
	load_rows(path);
	return 0;
}

static int teardown(void **state)
{
	tg_policy_free(policy);
	return 0;
}

static const struct row *find_row(const char *file)
{
	for (size_t i = 0; i < n_rows; i++)
		if (strcmp(rows[i].file, file) == 0)
			return &rows[i];
	return NULL;
}

/* The plugin's pipeline on one message: parse, decode, decide. Returns
 * whether the envelope could be read at all. */
static bool run_pipeline(const char *text, size_t len, tg_operation *op, tg_decision *d)
{
	tg_authz_request *req = NULL;
	memset(op, 0, sizeof(*op));
	tg_error err;
	tg_error_clear(&err);
	if (tg_authz_request_parse(text, len, &req, &err) == 0)
		tg_authz_decode(req, op, &err);
	tg_decide_env env = {"trustgate"};
	tg_authz_decide(policy, &env, op, &err, NULL, d);
	bool readable = req != NULL;
	tg_authz_request_free(req);
	return readable;
}

static void check_capture(const char *dir, const char *file, const struct row *r)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	size_t len;
	char *text = tg_test_read_file(path, &len);
	tg_operation op;
	tg_decision d;
	run_pipeline(text, len, &op, &d);
	if (strcmp(tg_op_kind_token(op.kind), r->op) != 0 ||
	    strcmp(tg_verdict_name(d.verdict), r->verdict) != 0 || strstr(d.message, r->msg) == NULL)
		fail_msg("%s: got %s %s \"%s\"; want %s %s \"%s\"", file, tg_op_kind_token(op.kind),
		         tg_verdict_name(d.verdict), d.message, r->op, r->verdict, r->msg);
	free(text);
}

static void test_every_capture(void **state)
{
	const char *fixtures = getenv("TG_FIXTURES");
	assert_non_null(fixtures);
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/authz-captures", fixtures);
	DIR *top = opendir(dir);
	if (top == NULL)
		fail_msg("cannot open %s", dir);
	size_t checked = 0;
	struct dirent *op_dir;
	while ((op_dir = readdir(top)) != NULL) {
		if (op_dir->d_name[0] == '.')
			continue;
		char sub[1400];
		snprintf(sub, sizeof(sub), "%s/%s", dir, op_dir->d_name);
		DIR *d = opendir(sub);
		if (d == NULL)
			continue;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strstr(e->d_name, "-AuthZReq") == NULL)
				continue;
			char rel[1400];
			snprintf(rel, sizeof(rel), "%s/%s", op_dir->d_name, e->d_name);
			const struct row *r = find_row(rel);
			if (r == NULL)
				fail_msg("capture %s has no row in tests/unit/captures.tsv", rel);
			check_capture(dir, rel, r);
			checked++;
		}
		closedir(d);
	}
	closedir(top);
	assert_int_equal(checked, n_rows);
	printf("checked %zu captured AuthZReq messages\n", checked);
}

/* Run one (possibly mangled) message through the pipeline. Whatever it
 * holds, a decision must come out: a crash, leak or hang fails the test
 * (the sanitizer build runs this too). */
static void decide_any(const char *text, size_t len)
{
	tg_operation op;
	tg_decision d;
	bool readable = run_pipeline(text, len, &op, &d);
	assert_true(d.message[0] != '\0');
	if (!readable)
		assert_false(d.allow); /* unreadable envelopes are always denied */
}

/* Every capture cut short at many points, and with bytes overwritten. */
static void test_mangled_captures(void **state)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/authz-captures", getenv("TG_FIXTURES"));
	size_t runs = 0;
	for (size_t i = 0; i < n_rows; i++) {
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", dir, rows[i].file) >= (int)sizeof(path))
			fail_msg("path too long");
		size_t len;
		char *text = tg_test_read_file(path, &len);
		size_t step = len / 40 + 1;
		for (size_t cut = 0; cut < len; cut += step, runs++)
			decide_any(text, cut);
		for (size_t at = 0; at < len; at += step, runs++) {
			char saved = text[at];
			static const char junk[] = {'\0', '"', '\\', '{', 'A', (char)0xff, '%', '/'};
			text[at] = junk[at % sizeof(junk)];
			decide_any(text, len);
			text[at] = saved;
		}
		free(text);
	}
	printf("decided %zu mangled messages\n", runs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_capture),
		cmocka_unit_test(test_mangled_captures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
