/*
 * casevault — integrity verification of the whole archive.
 */
#ifndef CASEVAULT_VERIFY_H
#define CASEVAULT_VERIFY_H

#include "archive.h"

CV_BEGIN_DECL

typedef struct cv_verify_options {
	unsigned int version;
	int quick;               /**< structure only: no decryption */
	unsigned int subset_n;   /**< check part N of T (1-based), for rotating checks */
	unsigned int subset_t;   /**< 0 = everything */
	/* --- version 2 --- */
	const char *anchor_file; /**< outside anchors the archive must extend (NULL: none) */
	/* --- version 3 --- */
	unsigned int threads;    /**< threads checking cases (0: one per core, at most 8); the report
	                              is the same whatever the number */
} cv_verify_options;

#define CV_VERIFY_OPTIONS_VERSION 3
#define CV_VERIFY_OPTIONS_INIT { CV_VERIFY_OPTIONS_VERSION, 0, 0, 0, NULL, 0 }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_verify_options_init(cv_verify_options *opts, unsigned int version);

typedef struct cv_verify_report {
	unsigned int version;    /**< CV_VERIFY_REPORT_VERSION, set by CV_VERIFY_REPORT_INIT */
	uint64_t cases;
	uint64_t objects;        /**< objects checked */
	uint64_t bytes;          /**< plaintext bytes authenticated */
	uint64_t damaged;        /**< damaged objects */
	uint64_t journal_entries;
} cv_verify_report;

#define CV_VERIFY_REPORT_VERSION 1
#define CV_VERIFY_REPORT_INIT { CV_VERIFY_REPORT_VERSION }

/** Called for each damaged object, after it has been re-read once. */
typedef void (*cv_damage_cb)(const char *object, const char *reason, void *payload);

/** Returns 0 when everything holds, CV_EDAMAGED when damage was found. */
CV_EXTERN(int) cv_archive_verify(cv_verify_report *report, cv_archive *a, const cv_verify_options *opts,
	cv_damage_cb on_damage, void *payload);

CV_END_DECL

#endif
