/* test_reference: image reference parsing against the semantics of
 * ParseNormalizedNamed in github.com/docker/distribution v2.8.1 (vendored
 * by dockerd 20.10.24), with go-digest v1.0.0 digest validation, and the
 * pull `tag` handling of dockerd 20.10's PullImage.
 *
 * Cases are table rows: adding a case is adding a row. Each expectation
 * comes from the Go source (see the comment on each group), and
 * TG_EAMBIGUOUS rows are strings that distribution/reference v0.5.0/v0.6.0
 * (dockerd 25 and later) accept but v2.8.1 rejects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "authz/reference.h"

/* Long literals, built by concatenation. */
#define H16 "0123456789abcdef"
#define H32 H16 H16
#define H64 H32 H32
#define H96 H64 H32
#define H128 H64 H64
#define H64U "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define A10 "aaaaaaaaaa"
#define A50 A10 A10 A10 A10 A10
#define A200 A50 A50 A50 A50
#define A237 A200 A10 A10 A10 "aaaaaaa"
#define A238 A237 "a"
#define A243 A200 A10 A10 A10 A10 "aaa"
#define A244 A243 "a"
#define A256 A200 A50 "aaaaaa"
#define A132 A50 A50 A10 A10 A10 "aa"
#define A140 A50 A50 A10 A10 A10 A10
#define X10 "xxxxxxxxxx"
#define X128 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 "xxxxxxxx"
#define X129 X128 "x"

typedef struct parse_case {
	const char *in;
	int code;
	const char *domain;
	const char *path;
	const char *tag;
	const char *digest;
} parse_case;

#define OK(in, d, p, t, g) {in, TG_OK, d, p, t, g}
#define BAD(in) {in, TG_EINVAL, NULL, NULL, NULL, NULL}
#define AMB(in) {in, TG_EAMBIGUOUS, NULL, NULL, NULL, NULL}

static const parse_case PARSE_CASES[] = {
	/* splitDockerDomain: no '/' or a first component without '.', ':'
	 * and not "localhost" -> docker.io; one component -> "library/". */
	OK("alpine", "docker.io", "library/alpine", "", ""),
	OK("library/alpine", "docker.io", "library/alpine", "", ""),
	OK("team/app", "docker.io", "team/app", "", ""),
	OK("team/sub/app", "docker.io", "team/sub/app", "", ""),
	OK("docker.io/alpine", "docker.io", "library/alpine", "", ""),
	OK("docker.io/team/app", "docker.io", "team/app", "", ""),
	OK("docker.io", "docker.io", "library/docker.io", "", ""),
	/* legacyDefaultDomain is mapped before the "library/" rule, and
	 * only when spelled exactly so. */
	OK("index.docker.io/alpine", "docker.io", "library/alpine", "", ""),
	OK("index.docker.io/team/app:1", "docker.io", "team/app", "1", ""),
	OK("index.docker.io/library/alpine", "docker.io", "library/alpine", "", ""),
	OK("index.docker.io", "docker.io", "library/index.docker.io", "", ""),
	OK("Docker.io/alpine", "Docker.io", "alpine", "", ""),
	/* Tags: TagRegexp [\w][\w.-]{0,127}; upper case allowed. */
	OK("alpine:3.19", "docker.io", "library/alpine", "3.19", ""),
	OK("alpine:Latest_1-x.y", "docker.io", "library/alpine", "Latest_1-x.y", ""),
	OK("alpine:_x", "docker.io", "library/alpine", "_x", ""),
	OK("alpine:" X128, "docker.io", "library/alpine", X128, ""),
	BAD("alpine:" X129),
	BAD("alpine:.x"),
	BAD("alpine:-x"),
	BAD("alpine:a:b"),
	BAD("alpine:a/b"),
	BAD("alpine:"),
	BAD("localhost:5000/app:"),
	/* Digests: go-digest accepts sha256/384/512 with exact lower hex. */
	OK("alpine@sha256:" H64, "docker.io", "library/alpine", "", "sha256:" H64),
	OK("alpine@sha384:" H96, "docker.io", "library/alpine", "", "sha384:" H96),
	OK("alpine@sha512:" H128, "docker.io", "library/alpine", "", "sha512:" H128),
	OK("alpine:3.19@sha256:" H64, "docker.io", "library/alpine", "3.19",
	   "sha256:" H64),
	BAD("alpine@sha256:" H64U),
	BAD("alpine@sha256:" H32 H16 "0123456789abcde"),
	BAD("alpine@sha256:" H64 "0"),
	BAD("alpine@sha384:" H64),
	BAD("alpine@SHA256:" H64),
	BAD("alpine@md5:" H32),
	BAD("alpine@sha256"),
	BAD("alpine@sha256:"),
	BAD("alpine@"),
	BAD("alpine@sha256:" H64 "@sha256:" H64),
	BAD("@sha256:" H64),
	/* Registries: DomainRegexp labels may hold upper case; port digits. */
	OK("localhost/app", "localhost", "app", "", ""),
	OK("localhost:5000/app:1", "localhost:5000", "app", "1", ""),
	OK("localhost", "docker.io", "library/localhost", "", ""),
	OK("localhost:5000", "docker.io", "library/localhost", "5000", ""),
	OK("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app", "", ""),
	OK("1.2.3.4/app", "1.2.3.4", "app", "", ""),
	OK("registry.example.com/app", "registry.example.com", "app", "", ""),
	OK("Registry.Example.com/a/b", "Registry.Example.com", "a/b", "", ""),
	OK("my-registry.example.com/a", "my-registry.example.com", "a", "", ""),
	OK("registry.example.com:443/a/b:v1@sha256:" H64,
	   "registry.example.com:443", "a/b", "v1", "sha256:" H64),
	BAD("-bad.example.com/a"),
	BAD("bad-.example.com/a"),
	BAD("example.com./a"),
	BAD("example..com/a"),
	BAD("example.com:/a"),
	BAD("example.com:50a/a"),
	BAD("localhost:5000/"),
	/* Lower case: the remote name (after the registry, before ':'). */
	BAD("registry.example.com/Team/app"),
	BAD("localhost/Foo"),
	BAD("ALPINE"),
	BAD("team/App"),
	BAD("Foo/Bar"),
	BAD("Foo_x/bar"),
	/* v0.5+ read an upper-case first component as a registry host. */
	AMB("Foo/bar"),
	AMB("FOO/bar:TAG"),
	AMB("LOCALHOST/app"),
	/* v0.5+ accept bracketed IPv6 hosts; v2.8.1 has no such grammar. */
	AMB("[::1]:5000/app"),
	AMB("[::1]/app"),
	AMB("[fe80::1]:5000/team/app:1"),
	BAD("[::1]:5000/App"),
	BAD("[zz]:5000/app"),
	BAD("[::1/app"),
	/* A first component with '.' that is no host but is a path
	 * component: the regexp matches with an empty domain. */
	AMB("a_b.c/d"),
	AMB("a.b_c/d:1"),
	/* Path components: [a-z0-9]+ joined by '.', '_', '__' or dashes. */
	OK("a__b", "docker.io", "library/a__b", "", ""),
	OK("a_b", "docker.io", "library/a_b", "", ""),
	OK("a.b", "docker.io", "library/a.b", "", ""),
	OK("a-b", "docker.io", "library/a-b", "", ""),
	OK("a--b", "docker.io", "library/a--b", "", ""),
	OK("a.b/c", "a.b", "c", "", ""),
	OK("example.com/a_b/c__d/e-f/g.h", "example.com", "a_b/c__d/e-f/g.h", "", ""),
	BAD("a___b"),
	BAD("a..b"),
	BAD("a._b"),
	BAD("a-.b"),
	BAD("-a"),
	BAD("a-"),
	BAD(".a"),
	BAD("a."),
	BAD("_a"),
	BAD("a_"),
	BAD("team/-a"),
	/* 64 hex: anchoredIdentifierRegexp rejects it only when alone. */
	BAD(H64),
	OK(H64 ":latest", "docker.io", "library/" H64, "latest", ""),
	OK("team/" H64, "docker.io", "team/" H64, "", ""),
	OK("sha256:" H64, "docker.io", "library/sha256", H64, ""),
	BAD(H64U),
	/* Empty and malformed names. */
	BAD(""),
	BAD("/"),
	BAD("/a"),
	BAD("a/"),
	BAD("a//b"),
	BAD(":tag"),
	BAD(" alpine"),
	BAD("alpine "),
	BAD("al pine"),
	BAD("alpine:1 "),
	BAD("alpine\n"),
	BAD("\talpine"),
	BAD("alp\xc3\xafne"),
	/* NameTotalLengthMax 255: v2.8.1 and v0.5.0 measure "domain/path",
	 * v0.6.0 (dockerd 27+) the path alone. */
	OK(A237, "docker.io", "library/" A237, "", ""),
	OK("example.com/" A243, "example.com", A243, "", ""),
	AMB(A238),
	AMB("example.com/" A244),
	BAD("example.com/" A256),
	BAD(A256 A10),
};

static void assert_ref(const tg_reference *r, const parse_case *c)
{
	assert_string_equal(r->domain, c->domain);
	assert_string_equal(r->path, c->path);
	assert_string_equal(r->tag, c->tag);
	assert_string_equal(r->digest, c->digest);
}

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(PARSE_CASES) / sizeof(PARSE_CASES[0]); i++) {
		const parse_case *c = &PARSE_CASES[i];
		tg_reference r, untouched;
		tg_error err;
		int rc;

		memset(&r, 'Z', sizeof(r));
		memcpy(&untouched, &r, sizeof(r));
		tg_error_clear(&err);
		rc = tg_reference_parse(c->in, &r, &err);
		if (rc != c->code)
			fail_msg("row %zu \"%.60s\": got %s (%s), want %s", i, c->in,
			         tg_code_name(rc), err.msg, tg_code_name(c->code));
		if (rc == TG_OK) {
			assert_ref(&r, c);
			continue;
		}
		assert_int_equal(err.code, rc);
		assert_true(strstr(err.msg, "image reference \"") == err.msg ||
		            strstr(err.msg, "invalid image reference \"") == err.msg);
		assert_memory_equal(&r, &untouched, sizeof(r));
	}
}

typedef struct msg_case {
	const char *in;
	const char *msg;
} msg_case;

static const msg_case MSG_CASES[] = {
	{"Foo/Bar",
	 "invalid image reference \"Foo/Bar\": repository name must be lowercase"},
	{"", "invalid image reference \"\": repository name is empty"},
	{"Foo/bar",
	 "image reference \"Foo/bar\" is ambiguous: dockerd 20.10 to 24 reject "
	 "it (repository name must be lowercase) but dockerd 25 and 26 accept "
	 "it as registry \"Foo\", repository \"bar\""},
	{"[::1]:5000/app",
	 "image reference \"[::1]:5000/app\" is ambiguous: dockerd 20.10 to 24 "
	 "reject it (registry host \"[::1]:5000\" is invalid) but dockerd 25 "
	 "and 26 accept it as registry \"[::1]:5000\", repository \"app\""},
	{"a_b.c/d",
	 "invalid image reference \"a_b.c/d\": \"a_b.c\" contains '.' but is "
	 "not a valid registry host, so dockerd reads the name as a path with "
	 "no registry"},
	{"alpine\n",
	 "invalid image reference \"alpine\\x0a\": repository name component "
	 "\"alpine\\x0a\" is invalid (lower-case letters and digits, separated "
	 "by '.', '_', '__' or dashes)"},
	{"alpine@md5:" H32,
	 "invalid image reference \"alpine@md5:" H32 "\": digest algorithm "
	 "\"md5\" is not supported (sha256, sha384 and sha512 are)"},
	{"alpine@sha256:" H32,
	 "invalid image reference \"alpine@sha256:" H32 "\": digest \"sha256:"
	 H32 "\" must have 64 hex characters after \"sha256\":"},
	{"alpine@sha256:" H64U,
	 "invalid image reference \"alpine@sha256:" H64U "\": digest \"sha256:"
	 H64U "\" must be lower-case hex"},
	{H64,
	 "invalid image reference \"" H64 "\": a 64-character hex string is an "
	 "image ID, not a repository name"},
	{"alpine:" X129,
	 "invalid image reference \"alpine:" X129 "\": tag \"" X129 "\" is "
	 "invalid (1 to 128 letters, digits, '_', '.' or '-', not starting "
	 "with '.' or '-')"},
	/* Quoted input is cut after 140 bytes. */
	{A238,
	 "image reference \"" A140 "\"... is ambiguous: dockerd 20.10 to 24 "
	 "reject it (repository name is 256 characters long; at most 255 are "
	 "allowed) but dockerd 27 and 28 accept it as registry \"docker.io\", "
	 "repository \"library/" A132 "\"..."},
};

static void test_parse_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(MSG_CASES) / sizeof(MSG_CASES[0]); i++) {
		tg_reference r;
		tg_error err;

		tg_error_clear(&err);
		assert_int_not_equal(tg_reference_parse(MSG_CASES[i].in, &r, &err),
		                     TG_OK);
		assert_string_equal(err.msg, MSG_CASES[i].msg);
	}
}

static void test_parse_null(void **state)
{
	tg_reference r;
	tg_error err;

	(void)state;
	assert_int_equal(tg_reference_parse(NULL, &r, &err), TG_EINVAL);
	assert_int_equal(tg_reference_parse("alpine", NULL, NULL), TG_EINVAL);
	assert_int_equal(tg_reference_parse("Foo/Bar", &r, NULL), TG_EINVAL);
}

/* dockerd 20.10 PullImage: digest.Parse(tag) ok -> WithDigest(TrimNamed(ref))
 * (tag dropped); else WithTag(ref, tag), which keeps an existing digest. */
typedef struct pull_case {
	const char *ref;
	const char *tag;
	int code;
	const char *want; /* tg_reference_string without default tag */
} pull_case;

static const pull_case PULL_CASES[] = {
	{"alpine", "", TG_OK, "docker.io/library/alpine"},
	{"alpine", NULL, TG_OK, "docker.io/library/alpine"},
	{"alpine", "3.19", TG_OK, "docker.io/library/alpine:3.19"},
	{"alpine:3.18", "3.19", TG_OK, "docker.io/library/alpine:3.19"},
	{"alpine", "sha256:" H64, TG_OK, "docker.io/library/alpine@sha256:" H64},
	{"alpine:3.18", "sha256:" H64, TG_OK,
	 "docker.io/library/alpine@sha256:" H64},
	{"alpine:3.18@sha256:" H64, "sha512:" H128, TG_OK,
	 "docker.io/library/alpine@sha512:" H128},
	{"alpine@sha256:" H64, "3.19", TG_OK,
	 "docker.io/library/alpine:3.19@sha256:" H64},
	{"alpine", H64, TG_OK, "docker.io/library/alpine:" H64},
	{"alpine", X128, TG_OK, "docker.io/library/alpine:" X128},
	{"alpine", X129, TG_EINVAL, "docker.io/library/alpine"},
	{"alpine", "sha256:" H64U, TG_EINVAL, "docker.io/library/alpine"},
	{"alpine:1", "sha256:" H32, TG_EINVAL, "docker.io/library/alpine:1"},
	{"alpine", "md5:" H32, TG_EINVAL, "docker.io/library/alpine"},
	{"alpine", "bad tag", TG_EINVAL, "docker.io/library/alpine"},
	{"alpine", ".x", TG_EINVAL, "docker.io/library/alpine"},
	{"alpine", "latest@sha256:" H64, TG_EINVAL, "docker.io/library/alpine"},
};

static void test_apply_pull_tag(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(PULL_CASES) / sizeof(PULL_CASES[0]); i++) {
		const pull_case *c = &PULL_CASES[i];
		tg_reference r;
		tg_error err;
		char buf[512];
		int rc;

		assert_int_equal(tg_reference_parse(c->ref, &r, NULL), TG_OK);
		tg_error_clear(&err);
		rc = tg_reference_apply_pull_tag(&r, c->tag, &err);
		if (rc != c->code)
			fail_msg("row %zu: got %s (%s)", i, tg_code_name(rc), err.msg);
		assert_true(tg_reference_string(&r, false, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, c->want);
	}
	assert_int_equal(tg_reference_apply_pull_tag(NULL, "x", NULL), TG_EINVAL);
}

typedef struct bool_case {
	const char *in;
	bool want;
} bool_case;

static const bool_case IMAGE_ID_CASES[] = {
	{H64, true},
	{"sha256:" H64, true},
	{H64U, false},
	{"sha256:" H64U, false},
	{H32 H16 "0123456789abcde", false},
	{H64 "0", false},
	{"sha512:" H128, false},
	{"sha384:" H96, false},
	{"SHA256:" H64, false},
	{"sha256:", false},
	{"alpine", false},
	{"", false},
	{NULL, false},
};

static const bool_case DIGEST_CASES[] = {
	{"sha256:" H64, true},
	{"sha384:" H96, true},
	{"sha512:" H128, true},
	{"sha256:" H64U, false},
	{"SHA256:" H64, false},
	{"sha256:" H96, false},
	{"sha512:" H64, false},
	{"md5:" H32, false},
	{"sha256+b64:" H64, false},
	{"sha256:", false},
	{":" H64, false},
	{"sha256", false},
	{H64, false},
	{"", false},
	{NULL, false},
};

static void test_is_image_id(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(IMAGE_ID_CASES) / sizeof(IMAGE_ID_CASES[0]);
	     i++)
		if (tg_reference_is_image_id(IMAGE_ID_CASES[i].in) !=
		    IMAGE_ID_CASES[i].want)
			fail_msg("is_image_id row %zu", i);
}

static void test_is_digest(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(DIGEST_CASES) / sizeof(DIGEST_CASES[0]); i++)
		if (tg_reference_is_digest(DIGEST_CASES[i].in) != DIGEST_CASES[i].want)
			fail_msg("is_digest row %zu", i);
}

typedef struct string_case {
	const char *in;
	bool name_only;
	const char *repository;
	const char *match_name;
	const char *plain;  /* default_latest false */
	const char *latest; /* default_latest true */
} string_case;

static const string_case STRING_CASES[] = {
	{"alpine", true, "docker.io/library/alpine", "docker.io/library/alpine",
	 "docker.io/library/alpine", "docker.io/library/alpine:latest"},
	{"alpine:3", false, "docker.io/library/alpine", "docker.io/library/alpine",
	 "docker.io/library/alpine:3", "docker.io/library/alpine:3"},
	{"alpine@sha256:" H64, false, "docker.io/library/alpine",
	 "docker.io/library/alpine", "docker.io/library/alpine@sha256:" H64,
	 "docker.io/library/alpine@sha256:" H64},
	{"alpine:3@sha256:" H64, false, "docker.io/library/alpine",
	 "docker.io/library/alpine", "docker.io/library/alpine:3@sha256:" H64,
	 "docker.io/library/alpine:3@sha256:" H64},
	{"Registry.Example.com:5000/a/b:V1", false,
	 "Registry.Example.com:5000/a/b", "registry.example.com:5000/a/b",
	 "Registry.Example.com:5000/a/b:V1", "Registry.Example.com:5000/a/b:V1"},
};

static void check_fits(int (*fn)(const tg_reference *, char *, size_t),
                       const tg_reference *r, const char *want)
{
	char buf[600];
	size_t len = strlen(want);

	assert_int_equal(fn(r, buf, sizeof(buf)), (int)len);
	assert_string_equal(buf, want);
	assert_int_equal(fn(r, buf, len + 1), (int)len);
	assert_string_equal(buf, want);
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(fn(r, buf, len), TG_ETOOBIG);
	assert_string_equal(buf, "");
	assert_int_equal(fn(r, buf, 0), TG_ETOOBIG);
	assert_int_equal(fn(r, NULL, 10), TG_ETOOBIG);
}

static int string_plain(const tg_reference *r, char *buf, size_t n)
{
	return tg_reference_string(r, false, buf, n);
}

static int string_latest(const tg_reference *r, char *buf, size_t n)
{
	return tg_reference_string(r, true, buf, n);
}

static void test_strings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(STRING_CASES) / sizeof(STRING_CASES[0]); i++) {
		const string_case *c = &STRING_CASES[i];
		tg_reference r;

		assert_int_equal(tg_reference_parse(c->in, &r, NULL), TG_OK);
		assert_int_equal(tg_reference_is_name_only(&r), c->name_only);
		check_fits(tg_reference_repository, &r, c->repository);
		check_fits(tg_reference_match_name, &r, c->match_name);
		check_fits(string_plain, &r, c->plain);
		check_fits(string_latest, &r, c->latest);
	}
}

/* The longest valid name plus tag and digest fits the documented sizes. */
static void test_longest(void **state)
{
	static const char in[] = "example.com/" A243 ":" X128 "@sha512:" H128;
	tg_reference r;
	char buf[TG_REF_NAME_MAX + 1 + TG_REF_TAG_MAX + 1 + TG_REF_DIGEST_MAX + 1];

	(void)state;
	assert_int_equal(tg_reference_parse(in, &r, NULL), TG_OK);
	assert_int_equal(tg_reference_string(&r, true, buf, sizeof(buf)),
	                 (int)strlen(in));
	assert_string_equal(buf, in);
	assert_int_equal(tg_reference_repository(&r, buf, TG_REF_NAME_MAX + 1),
	                 TG_REF_NAME_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_messages),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_apply_pull_tag),
		cmocka_unit_test(test_is_image_id),
		cmocka_unit_test(test_is_digest),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_longest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
