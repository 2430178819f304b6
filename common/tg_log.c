/* tg_log: see tg_log.h. Lines are assembled in a stack buffer and written
 * with one write(2), so concurrent threads never interleave within a line. */
#include "common/tg_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum tg_log_level max_level = TG_LOG_INFO;

void tg_log_set_level(enum tg_log_level level)
{
	max_level = level;
}

static const char *level_name(enum tg_log_level level)
{
	switch (level) {
	case TG_LOG_ERROR: return "error";
	case TG_LOG_WARN: return "warning";
	case TG_LOG_INFO: return "info";
	default: return "debug";
	}
}

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report a logging failure */
		p += w;
		n -= (size_t)w;
	}
}

static void vlog(enum tg_log_level level, int errnum, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	char line[2048];
	int n = snprintf(line, sizeof(line), "trustgate: %s: ", level_name(level));
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n >= (int)sizeof(line) - 64)
		n = (int)sizeof(line) - 64;
	if (errnum != 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(errnum));
	line[n++] = '\n';
	write_all(line, (size_t)n);
}

void tg_log(enum tg_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

void tg_log_errno(enum tg_log_level level, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(level, errnum, fmt, ap);
	va_end(ap);
}

void tg_log_raw_line(const char *line)
{
	size_t n = strlen(line);
	char stackbuf[4096];
	if (n + 1 <= sizeof(stackbuf)) {
		memcpy(stackbuf, line, n);
		stackbuf[n] = '\n';
		write_all(stackbuf, n + 1);
		return;
	}
	write_all(line, n); /* rare: a very long line may interleave; still complete */
	write_all("\n", 1);
}
