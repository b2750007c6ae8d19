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

/** 1 when `code` says an attempt was refused (wrong credential, not allowed,
 * forged, unknown user): what the journal keeps as "denied". A failure to
 * check (out of memory, I/O) is not an attempt refused and is not journaled. */
static inline int cv__is_refusal(int code)
{
	return code == CV_EAUTH || code == CV_EDENIED || code == CV_EDAMAGED || code == CV_ENOTFOUND;
}

/** An options struct from the caller: its version must be one this library
 * knows (1 up to `current`); an older one is read as it was laid out then
 * (members only ever appended), a newer one is refused. */
int cv__options_version(const void *opts, unsigned int version, unsigned int current, const char *what);

/** A result struct the caller allocated: its first member is the version the
 * caller was built with (set by its _INIT macro). Checked like an options
 * struct, then cleared but for that version, so that the library fills only
 * what that version has (members only ever appended). */
int cv__result_begin(void *res, size_t size, unsigned int current, const char *what);

#define CV_TRY(expr) do { int cv__rc = (expr); if (cv__rc < 0) return cv__rc; } while (0)

#endif
