/* Thread-local last error. Setting it never fails; messages are truncated
 * to fit a fixed buffer so that reporting an error cannot itself fail. */
#ifndef CV_UTIL_ERROR_H
#define CV_UTIL_ERROR_H

#include "casevault/common.h"

/** Set the last error; returns `code` so that callers can `return cv__err(...)`. */
int cv__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Prefix the current message with context ("ingest bundle.zip: ..."), keep the code. */
int cv__err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Out of memory. */
int cv__oom(void);

#define CV_TRY(expr) do { int cv__rc = (expr); if (cv__rc < 0) return cv__rc; } while (0)

#endif
