/* tg_error: see tg_error.h. */
#include "common/tg_error.h"

#include <stdarg.h>
#include <stdio.h>

int tg_error_set(tg_error *err, int code, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void tg_error_clear(tg_error *err)
{
	if (err != NULL) {
		err->code = TG_OK;
		err->msg[0] = '\0';
	}
}

const char *tg_code_name(int code)
{
	switch (code) {
	case TG_OK: return "TG_OK";
	case TG_EINVAL: return "TG_EINVAL";
	case TG_ENOMEM: return "TG_ENOMEM";
	case TG_ETOOBIG: return "TG_ETOOBIG";
	case TG_EIO: return "TG_EIO";
	case TG_ENOTFOUND: return "TG_ENOTFOUND";
	case TG_EAMBIGUOUS: return "TG_EAMBIGUOUS";
	case TG_ETIMEOUT: return "TG_ETIMEOUT";
	case TG_EWOULDBLOCK: return "TG_EWOULDBLOCK";
	default: return "TG_E?";
	}
}
