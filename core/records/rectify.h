/* Rectifications (GDPR art. 16) that must outlive later ingests of the
 * source: what each rectification changed, so that ingest can re-apply it
 * over a bundle that still carries the old value (docs/rights.md). Values are
 * boxed under the case key and die with it. Not thread-safe: one archive
 * handle, one thread. */
#ifndef CV_RECTIFY_H
#define CV_RECTIFY_H

#include "engine/internal.h"

typedef struct cv_rectification {
	char kind[12];    /* "person" or "document" */
	char target[48];  /* person id, or document id */
	char field[16];   /* person field; "" for a document */
	char request[20]; /* the request that decided it */
	unsigned rev;     /* document: the rectified revision */
	char *value;      /* person: the rectified value (wiped when freed) */
} cv_rectification;

/** Every rectification in force on a case. */
int cv__rect_load(cv_archive *a, const char *case_id, const cv_case_key *k, cv_rectification **out, size_t *n);
void cv__rect_free(cv_rectification *r, size_t n);
/** Record one (inside the caller's write transaction); a later
 * rectification of the same field or document replaces it. */
int cv__rect_record(cv_archive *a, const char *case_id, const cv_case_key *k, const cv_rectification *r);
/** The rectification of document `doc_id`, or NULL. */
const cv_rectification *cv__rect_find_doc(const cv_rectification *r, size_t n, const char *doc_id);

#endif
