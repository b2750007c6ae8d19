/*
 * casevault — common definitions: export macro, error codes, last error.
 *
 * Every function returns 0 or a negative CV_E* code. On failure the calling
 * thread's last error holds a message naming what, where and why; it stays
 * valid until the next failing call on the same thread.
 */
#ifndef CASEVAULT_COMMON_H
#define CASEVAULT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define CV_BEGIN_DECL extern "C" {
#define CV_END_DECL }
#else
#define CV_BEGIN_DECL
#define CV_END_DECL
#endif

#if defined(__GNUC__)
#define CV_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define CV_EXTERN(type) type
#endif

CV_BEGIN_DECL

#define CASEVAULT_VERSION "0.1.0"

/** Return codes. 0 is success; everything else is negative. */
typedef enum {
	CV_OK = 0,
	CV_ERROR = -1,      /**< generic failure (I/O, library error) */
	CV_EINVAL = -2,     /**< invalid argument or invalid input data */
	CV_ENOTFOUND = -3,  /**< no such case, document, user, plan... */
	CV_EEXISTS = -4,    /**< already exists (file, user, archive) */
	CV_EAUTH = -5,      /**< wrong master key, passphrase or credential */
	CV_EDENIED = -6,    /**< the actor's role does not allow this */
	CV_EBUSY = -7,      /**< another writer holds the archive */
	CV_EDAMAGED = -8,   /**< verification found damage */
	CV_ENOMEM = -9,     /**< out of memory */
	CV_EREFUSED = -10,  /**< refused by a rule (hold, restriction, deadline) */
	CV_ESTATE = -11,    /**< not allowed in the object's current state */
	CV_EPLUGIN = -12,   /**< a plugin failed or was refused */
	CV_EUNSUPPORTED = -13 /**< not built or not supported */
} cv_error_code;

/** The last error of the calling thread. */
typedef struct cv_error {
	int code;            /**< a cv_error_code */
	const char *message; /**< never NULL; "" when there is no error */
} cv_error;

/** Last error of this thread (never NULL). */
CV_EXTERN(const cv_error *) cv_error_last(void);

/** Clear the last error of this thread. */
CV_EXTERN(void) cv_error_clear(void);

/** Short English name of a code ("not found", "denied"...). */
CV_EXTERN(const char *) cv_error_name(int code);

/** Library version string. */
CV_EXTERN(const char *) cv_version(void);

/** A date as a French page says it, in Europe/Paris time: "7 décembre 2026"
 * from YYYY-MM-DD, "7 décembre 2026 à 11 h 20" from a UTC timestamp the
 * library wrote ("2026-12-07T10:20:00Z"), "—" for NULL or "". Anything else
 * is copied as it is and -1 returned. Thread-safe (no TZ, no setenv). */
CV_EXTERN(int) cv_date_format_fr(char out[48], const char *iso);

/** Levels of log lines from plugins and the loader. */
typedef enum { CV_LOG_DEBUG = 0, CV_LOG_INFO = 1, CV_LOG_WARN = 2, CV_LOG_ERROR = 3 } cv_log_level;

/** Progress report for long operations: done and total in the operation's
 * own unit (bytes, cases, objects), total 0 when unknown. */
typedef void (*cv_progress_cb)(const char *what, uint64_t done, uint64_t total, void *payload);

CV_END_DECL

#endif
