/* tg_log: operational log lines (not the decision audit log).
 *
 * Two kinds of call, as in OpenBSD's relayd: tg_log_* writes the message,
 * tg_log_*_errno appends strerror(errno). Lines go to stderr as
 * "trustgate: <level>: <message>"; under systemd, stderr reaches the
 * journal. Thread-safe: each line is written with one write(2).
 */
#ifndef TG_LOG_H
#define TG_LOG_H

enum tg_log_level { TG_LOG_ERROR, TG_LOG_WARN, TG_LOG_INFO, TG_LOG_DEBUG };

/* Lines above this level are dropped. Default TG_LOG_INFO. Set once at
 * start-up, before threads start. */
void tg_log_set_level(enum tg_log_level level);

void tg_log(enum tg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg_log_errno(enum tg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write one preformatted line (a '\n' is added) to stderr with a single
 * write(2). Used for the JSON audit log. */
void tg_log_raw_line(const char *line);

#endif
