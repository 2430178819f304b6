/* tg_test: shared includes and helpers for trustgate's cmocka unit tests. */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Fail the test unless haystack contains needle, showing both. */
#define assert_contains(haystack, needle)                                                   \
	do {                                                                                    \
		const char *h_ = (haystack), *n_ = (needle);                                         \
		if (strstr(h_, n_) == NULL)                                                          \
			fail_msg("expected \"%s\" in \"%s\"", n_, h_);                                   \
	} while (0)

/* Read a whole file into a new NUL-terminated buffer; fails the test on error. */
static inline char *tg_test_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)n;
	return buf;
}

#endif
