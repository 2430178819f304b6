/* jsonpos: see jsonpos.h. A minimal, bounded scanner: it skips values it is
 * not looking for and tracks line/column; depth is capped so hostile input
 * cannot exhaust the stack. */
#include "authz/jsonpos.h"

#include <stdbool.h>
#include <string.h>

#define MAX_NESTING 64

struct scan {
	const char *p, *end;
	int line, col;
	int nesting;
};

static void advance(struct scan *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else {
		s->col++;
	}
	s->p++;
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		advance(s);
}

/* Skip a string; on success *start and *n describe its raw content. */
static bool skip_string(struct scan *s, const char **start, size_t *n)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	advance(s);
	const char *begin = s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && s->p + 1 < s->end)
			advance(s);
		advance(s);
	}
	if (s->p >= s->end)
		return false;
	*start = begin;
	*n = (size_t)(s->p - begin);
	advance(s);
	return true;
}

static bool skip_value(struct scan *s);

static bool skip_container(struct scan *s, char close, bool keyed)
{
	if (++s->nesting > MAX_NESTING)
		return false;
	advance(s);
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		advance(s);
		s->nesting--;
		return true;
	}
	for (;;) {
		const char *k;
		size_t kn;
		if (keyed) {
			skip_ws(s);
			if (!skip_string(s, &k, &kn))
				return false;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return false;
			advance(s);
		}
		if (!skip_value(s))
			return false;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			advance(s);
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			advance(s);
			s->nesting--;
			return true;
		}
		return false;
	}
}

static bool skip_value(struct scan *s)
{
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	const char *k;
	size_t kn;
	switch (*s->p) {
	case '{': return skip_container(s, '}', true);
	case '[': return skip_container(s, ']', false);
	case '"': return skip_string(s, &k, &kn);
	default:
		while (s->p < s->end && strchr(",}] \t\r\n", *s->p) == NULL)
			advance(s);
		return true;
	}
}

/* With s at an object or array, move to the member named by step.
 * Returns true when found (s at the member's value). */
static bool enter(struct scan *s, const tg_jsonpos_step *step)
{
	bool keyed = *s->p == '{';
	if ((keyed && step->key == NULL) || (!keyed && (*s->p != '[' || step->key != NULL)))
		return false;
	advance(s);
	for (long i = 0;; i++) {
		skip_ws(s);
		if (s->p >= s->end || *s->p == '}' || *s->p == ']')
			return false;
		bool hit = !keyed && i == step->index;
		if (keyed) {
			const char *k;
			size_t kn;
			if (!skip_string(s, &k, &kn))
				return false;
			hit = kn == strlen(step->key) && memcmp(k, step->key, kn) == 0;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return false;
			advance(s);
		}
		skip_ws(s);
		if (hit)
			return true;
		if (!skip_value(s))
			return false;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',')
			advance(s);
	}
}

int tg_jsonpos_locate(const char *text, size_t len, const tg_jsonpos_step *path, size_t depth,
                      int *line, int *column)
{
	struct scan s = {text, text + len, 1, 1, 0};
	skip_ws(&s);
	if (s.p >= s.end)
		return -1;
	int found_all = 0;
	size_t i;
	for (i = 0; i < depth; i++) {
		struct scan saved = s;
		if (!enter(&s, &path[i])) {
			s = saved;
			break;
		}
	}
	found_all = i == depth;
	*line = s.line;
	*column = s.col;
	return found_all ? 0 : 1;
}
