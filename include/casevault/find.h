/*
 * casevault — finding a person's cases through the blind index.
 *
 * Names are never stored in clear: the query is folded (case, accents,
 * Unicode form, hyphens and spaces) and matched by keyed hash.
 */
#ifndef CASEVAULT_FIND_H
#define CASEVAULT_FIND_H

#include "archive.h"

CV_BEGIN_DECL

typedef struct cv_find_query {
	unsigned int version;
	const char *last;        /**< surname (required) */
	const char *first;       /**< one first name, or several; optional */
	const char *born;        /**< YYYY-MM-DD, optional */
} cv_find_query;

#define CV_FIND_QUERY_VERSION 1
#define CV_FIND_QUERY_INIT { CV_FIND_QUERY_VERSION, NULL, NULL, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_find_query_init(cv_find_query *opts, unsigned int version);

typedef struct cv_find_hit {
	char case_id[40];
	char ref[128];
	char person[48];         /**< the matching person's id in that case */
	char role[32];
} cv_find_hit;

/** Cases where a person matching the query appears, ordered by ref.
 * Needs a reading role; journaled (without the query). */
CV_EXTERN(int) cv_case_find(cv_find_hit **out, size_t *count, cv_archive *a, const cv_find_query *q);
CV_EXTERN(void) cv_case_find_free(cv_find_hit *hits);

CV_END_DECL

#endif
