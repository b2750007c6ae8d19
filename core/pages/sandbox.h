/* The sandbox the document parser runs in (bubblewrap, /usr/bin/bwrap):
 * every namespace unshared (no network, no view of the archive, the keys,
 * the home directory or the caller's working directory), no capabilities,
 * a clean environment, a system-call filter, CPU / memory / output / time
 * limits. The document goes in as a sealed memfd on the parser's fd 0; its
 * fd 1 is streamed to a callback; its fd 2 is kept, bounded, for a
 * developer only (it might quote the document).
 *
 * Ownership: the caller keeps everything it passes; nothing is retained
 * after a call returns but this thread's diagnostics (cv__sandbox_diag).
 * Thread-safety: every function may be called from several threads at once;
 * the only shared state is the availability check, done once per process. */
#ifndef CV_PAGES_SANDBOX_H
#define CV_PAGES_SANDBOX_H

#include <stddef.h>

#include "casevault/common.h"

typedef struct cv_sandbox_limits {
	unsigned cpu_seconds;  /* RLIMIT_CPU of the parser (> 0) */
	unsigned wall_seconds; /* killed after this (> 0) */
	size_t mem_bytes;      /* RLIMIT_AS; 0 = none */
	size_t out_max;        /* bytes it may write to fd 1 before it is killed */
} cv_sandbox_limits;

/** Receives the parser's fd 1 as it comes. Non-zero stops the parser and
 * kills it: a negative CV_E* code (with the error set by the callback) is
 * returned by cv__sandbox_run as it is, a positive value becomes CV_ERROR. */
typedef int (*cv_sandbox_out_cb)(const void *data, size_t len, void *payload);

/** *exit_status when the parser never ran (the sandbox could not start). */
#define CV_SANDBOX_NOT_RUN (-1000)

/** Run `helper` (absolute path of an executable, linked only with /usr
 * libraries) with argv (NULL-terminated, argv[0] excluded) inside the
 * sandbox, `input` (len bytes) as its fd 0 and its fd 1 streamed to cb.
 * Returns 0 when the helper exited 0; otherwise a code with a message for a
 * user: CV_EINVAL when it refused the document (exit status 3: the reason is
 * in its answer), CV_EUNSUPPORTED when bubblewrap or the helper is missing
 * or bubblewrap cannot create its namespaces here, CV_ERROR for a limit, a
 * crash or another failure, or the callback's own negative code. *exit_status (may be NULL) is set to the helper's exit code, or
 * minus the signal that ended it, or CV_SANDBOX_NOT_RUN. */
int cv__sandbox_run(const char *helper, const char *const *argv, const void *input, size_t len,
	const cv_sandbox_limits *lim, cv_sandbox_out_cb cb, void *payload, int *exit_status);

/** 1 if bubblewrap is usable on this machine (checked once per process by
 * running /usr/bin/true in the sandbox); 0 with the reason as this thread's
 * error (CV_EUNSUPPORTED) otherwise. */
int cv__sandbox_available(void);

/** What the helper of this thread's last cv__sandbox_run wrote to its fd 2:
 * the first 4 KiB, NUL-terminated ("" if nothing). For a developer's
 * diagnosis only: never show it to a user, it may quote the document. */
const char *cv__sandbox_diag(void);

/** Wipe this thread's diagnostics (they may hold text of a document). */
void cv__sandbox_diag_clear(void);

#endif
