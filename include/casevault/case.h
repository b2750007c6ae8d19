/*
 * casevault — cases: catalog views and life-cycle changes.
 *
 * Lists and details are allocated by the call and freed with the matching
 * *_free. Reading persons is reading personal data: role-gated and journaled.
 */
#ifndef CASEVAULT_CASE_H
#define CASEVAULT_CASE_H

#include "archive.h"
#include "doc.h"

CV_BEGIN_DECL

typedef struct cv_case_info {
	char id[40];
	char ref[128];
	char category[32];
	char state[16];          /**< active, archived, anonymised, destroyed */
	char opened[11];
	char closed[11];         /**< "" while services go on */
	char territory[16];
	int on_hold;             /**< a legal hold is in place */
	int restricted;          /**< processing restricted (GDPR art. 18) */
	int permanent;           /**< kept permanently (secret birth, pupille, adoption) */
	int has_sealed;          /**< holds a sealed identity */
	unsigned int version;    /**< ingest versions so far */
	unsigned int ndocs;      /**< live documents */
	uint64_t bytes;          /**< stored volume of live documents */
} cv_case_info;

/** Cases, optionally only those in `state` (NULL = all), ordered by ref. */
CV_EXTERN(int) cv_case_list(cv_case_info **out, size_t *count, cv_archive *a, const char *state);
CV_EXTERN(void) cv_case_list_free(cv_case_info *list);

typedef struct cv_case_list_options {
	unsigned int version;
	const char *state;       /**< only this state, NULL = all */
	size_t offset;           /**< skip this many (in ref order) */
	size_t limit;            /**< at most this many, 0 = all */
} cv_case_list_options;

#define CV_CASE_LIST_OPTIONS_VERSION 1
#define CV_CASE_LIST_OPTIONS_INIT { CV_CASE_LIST_OPTIONS_VERSION, NULL, 0, 0 }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_case_list_options_init(cv_case_list_options *opts, unsigned int version);

/** One page of cases in ref order; *total (may be NULL) receives how many
 * match in all. Free with cv_case_list_free. */
CV_EXTERN(int) cv_case_list_page(cv_case_info **out, size_t *count, size_t *total, cv_archive *a,
	const cv_case_list_options *opts);

/** One case by id or ref (no personal data, not journaled). */
CV_EXTERN(int) cv_case_get(cv_case_info *out, cv_archive *a, const char *id_or_ref);

typedef struct cv_person {
	char *id, *role, *last;
	char **first;
	size_t nfirst;
	char *born, *sex, *phone, *email, *address, *nir, *function;
} cv_person;

typedef struct cv_measure {
	char type[48], basis[32], start[11], end[11];
} cv_measure;

typedef struct cv_case_detail {
	cv_case_info info;
	char *hold_reason;       /**< NULL when not on hold */
	cv_person *persons;
	size_t npersons;
	cv_measure *measures;
	size_t nmeasures;
	cv_doc_info *docs;
	size_t ndocs;
} cv_case_detail;

/** The case with its persons, measures and documents. Needs a reading role;
 * journaled. An anonymised or destroyed case answers with no persons and no
 * documents. */
CV_EXTERN(int) cv_case_show(cv_case_detail **out, cv_archive *a, const char *id_or_ref);
CV_EXTERN(void) cv_case_detail_free(cv_case_detail *d);

/** Record the end of the last service: the case becomes `archived`. */
CV_EXTERN(int) cv_case_close(cv_archive *a, const char *id_or_ref, const char *date);
/** Place or lift a legal hold (blocks every sweep action on the case). */
CV_EXTERN(int) cv_case_hold(cv_archive *a, const char *id_or_ref, const char *reason);
CV_EXTERN(int) cv_case_release(cv_archive *a, const char *id_or_ref);

CV_END_DECL

#endif
