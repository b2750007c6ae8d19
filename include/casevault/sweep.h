/*
 * casevault — retention: policies, sweep plans, approval, execution,
 * elimination slip, destruction certificate, statistics.
 *
 * A sweep is a plan (what the policy gives every case at an as-of date),
 * approved by a `director` other than the planner with their personal
 * credential, then run. The same archive state, policy and date always give
 * the same plan, byte for byte. Results are freed with their *_free.
 */
#ifndef CASEVAULT_SWEEP_H
#define CASEVAULT_SWEEP_H

#include "archive.h"

CV_BEGIN_DECL

/** Validate a policy file through the retention plugin. On error the last
 * error names file and line. `summary` (may be NULL) receives a malloc'd
 * one-line description ("ase-default v1: 4 rules"). */
CV_EXTERN(int) cv_policy_check(char **summary, const char *path);

typedef struct cv_sweep_item {
	char case_id[40];
	char ref[128];
	char category[32];
	char state[16];
	char opened[11], closed[11];
	char action[12];         /**< archive, anonymise, destroy, keep */
	char rule[64];
	char source[256];
	char due[11];            /**< "" when never */
	char blocked[160];       /**< "" when not blocked, else the reason */
	unsigned int documents;
	uint64_t bytes;
	char result[64];         /**< after a run: done, blocked, skipped, "" */
	char keep_redacted[128]; /**< document types kept, redacted, at anonymisation (comma list) */
} cv_sweep_item;

typedef struct cv_sweep_plan {
	char id[20];
	char sha256[65];         /**< hash of the canonical plan document */
	char as_of[11];
	char policy[96];         /**< policy name and version */
	char policy_sha256[65];
	char planner[64], planned[32];
	char approver[64], approved[32];
	char state[16];          /**< planned, approved, running, done, refused */
	cv_sweep_item *items;
	size_t nitems;
	size_t counts[4];        /**< per action: keep, archive, anonymise, destroy */
	size_t nblocked;
	char refused_by[64], refused_at[32]; /**< a director's refusal ("" when none) */
	char *refusal;           /**< its reason, or NULL */
} cv_sweep_plan;

typedef struct cv_sweep_options {
	unsigned int version;
	const char *as_of;       /**< YYYY-MM-DD, NULL = today */
	const char *policy;      /**< policy file, NULL = the shipped default */
} cv_sweep_options;

#define CV_SWEEP_OPTIONS_VERSION 1
#define CV_SWEEP_OPTIONS_INIT { CV_SWEEP_OPTIONS_VERSION, NULL, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_sweep_options_init(cv_sweep_options *opts, unsigned int version);

/** Evaluate every case and store the plan (archivist or admin). */
CV_EXTERN(int) cv_sweep_plan_make(cv_sweep_plan **out, cv_archive *a, const cv_sweep_options *opts);
/** A stored plan by id (a unique prefix is enough). */
CV_EXTERN(int) cv_sweep_plan_get(cv_sweep_plan **out, cv_archive *a, const char *plan_id);
CV_EXTERN(void) cv_sweep_plan_free(cv_sweep_plan *p);
/** The stored canonical plan document (JSON), malloc'd. */
CV_EXTERN(int) cv_sweep_plan_document(char **json, size_t *len, cv_archive *a, const char *plan_id);

/** Approve as the acting user: needs `director`, not the planner, and the
 * user's own credential. Refusals return CV_EDENIED or CV_EAUTH and are
 * journaled. */
CV_EXTERN(int) cv_sweep_approve(cv_archive *a, const char *plan_id, const char *credential);

typedef struct cv_sweep_report {
	unsigned int version;    /**< CV_SWEEP_REPORT_VERSION, set by CV_SWEEP_REPORT_INIT */
	size_t done, blocked, skipped, remaining;
	char certificate[20];    /**< id of the destruction certificate */
} cv_sweep_report;

#define CV_SWEEP_REPORT_VERSION 1
#define CV_SWEEP_REPORT_INIT { CV_SWEEP_REPORT_VERSION }

/** The stored plans, newest first, without their items (nitems, counts and
 * nblocked are filled). Needs a role that may read slips. Free with
 * cv_sweep_plan_list_free. */
CV_EXTERN(int) cv_sweep_plan_list(cv_sweep_plan **out, size_t *count, cv_archive *a);
CV_EXTERN(void) cv_sweep_plan_list_free(cv_sweep_plan *list, size_t count);

/** Refuse a plan as the acting director (same conditions as approving: not
 * the planner, own credential), with the reason, signed and journaled; the
 * plan's state becomes "refused" and it can never be approved or run. */
CV_EXTERN(int) cv_sweep_refuse(cv_archive *a, const char *plan_id, const char *reason, const char *credential);

/** Execute an approved plan (archivist or admin): refuses an unapproved or
 * stale plan, re-checks every block, journals each case with the plan id,
 * and can be re-run after an interruption to finish what remains. */
CV_EXTERN(int) cv_sweep_run(cv_sweep_report *report, cv_archive *a, const char *plan_id);

typedef enum { CV_FORMAT_HTML = 1, CV_FORMAT_CSV = 2, CV_FORMAT_JSON = 3 } cv_format;

/** The elimination slip (bordereau d'élimination) of a plan. */
CV_EXTERN(int) cv_sweep_slip(cv_archive *a, const char *plan_id, cv_format fmt, const char *out_path);
/** The destruction certificate of a run (by plan id or certificate id). */
CV_EXTERN(int) cv_sweep_certificate(cv_archive *a, const char *id, cv_format fmt, const char *out_path);

typedef struct cv_stat_row {
	char key[64];            /**< category, measure type, age band... */
	int64_t count;           /**< -1 when suppressed (under the threshold) */
	int64_t count_active, count_archived, count_anonymised;
} cv_stat_row;

/** Anonymised statistics for the observatory (ODPE), grouped by
 * "category", "measure", "age", "duration" or "territory"; cells under
 * `threshold` (default 5 when 0) are suppressed. */
CV_EXTERN(int) cv_stats_get(cv_stat_row **out, size_t *count, cv_archive *a, const char *by, unsigned int threshold);
CV_EXTERN(void) cv_stats_free(cv_stat_row *rows);

CV_END_DECL

#endif
