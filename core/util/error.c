#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char tl_msg[2048];
static _Thread_local cv_error tl_err = { 0, "" };

int cv__err(int code, const char *fmt, ...)
{
	/* Format aside first: callers may pass the current message as an argument. */
	char tmp[sizeof tl_msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	memcpy(tl_msg, tmp, sizeof tl_msg);
	tl_err.code = code;
	tl_err.message = tl_msg;
	return code;
}

int cv__err_prefix(const char *fmt, ...)
{
	char prefix[512], old[sizeof tl_msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, tl_msg, sizeof old);
	snprintf(tl_msg, sizeof tl_msg, "%s: %s", prefix, old);
	tl_err.message = tl_msg;
	return tl_err.code ? tl_err.code : CV_ERROR;
}

int cv__options_version(const void *opts, unsigned int version, unsigned int current, const char *what)
{
	if (!opts)
		return cv__err(CV_EINVAL, "%s: no options given", what);
	if (version == 0 || version > current)
		return cv__err(CV_EINVAL, "%s: options version %u is not one this library knows (1 to %u); the program "
			"was built against another casevault", what, version, current);
	return 0;
}

int cv__result_begin(void *res, size_t size, unsigned int current, const char *what)
{
	if (!res)
		return cv__err(CV_EINVAL, "%s: no result given", what);
	unsigned int version;
	memcpy(&version, res, sizeof version);
	if (version == 0 || version > current)
		return cv__err(CV_EINVAL, "%s: result version %u is not one this library knows (1 to %u): initialise it with "
			"its _INIT macro", what, version, current);
	memset((char *)res + sizeof version, 0, size - sizeof version);
	return 0;
}

int cv__oom(void)
{
	return cv__err(CV_ENOMEM, "out of memory");
}

CV_EXTERN(const cv_error *) cv_error_last(void)
{
	return &tl_err;
}

CV_EXTERN(void) cv_error_clear(void)
{
	tl_msg[0] = '\0';
	tl_err.code = 0;
	tl_err.message = tl_msg;
}

CV_EXTERN(const char *) cv_error_name(int code)
{
	switch (code) {
	case CV_OK: return "ok";
	case CV_ERROR: return "error";
	case CV_EINVAL: return "invalid input";
	case CV_ENOTFOUND: return "not found";
	case CV_EEXISTS: return "already exists";
	case CV_EAUTH: return "wrong key or credential";
	case CV_EDENIED: return "not allowed";
	case CV_EBUSY: return "archive busy";
	case CV_EDAMAGED: return "damaged";
	case CV_ENOMEM: return "out of memory";
	case CV_EREFUSED: return "refused";
	case CV_ESTATE: return "wrong state";
	case CV_EPLUGIN: return "plugin error";
	case CV_EUNSUPPORTED: return "unsupported";
	default: return "unknown error";
	}
}

CV_EXTERN(const char *) cv_version(void)
{
	return CASEVAULT_VERSION;
}
