/* What stops an act on a case (blocks.c): legal hold, restriction of
 * processing, open rights requests. */
#ifndef CV_RECORDS_BLOCKS_H
#define CV_RECORDS_BLOCKS_H

#include "engine/internal.h"

/** Why a sweep may not act on the case now ("" when nothing stops it):
 * a legal hold, a restriction, or an open rights request. */
int cv__case_block(cv_archive *a, const char *case_id, char *reason, size_t n);
/** The block an open rights request puts on a case ("" when none). */
int cv__rights_block(cv_archive *a, const char *case_id, char *reason, size_t n);
/** Whether `person` is the subject of a restriction on the case. */
int cv__restriction_subject(cv_archive *a, const char *case_id, const char *person, int *is_subject);
/** Refuse (and journal) a use of a restricted case (GDPR art. 18). */
int cv__restricted_use(cv_archive *a, const char *case_id, const char *action);
/** Whether a copy of the case may be made for `requester` now: a restricted
 * case may only serve the data subject's own access. */
int cv__export_allowed(cv_archive *a, const char *case_id, const char *requester);

#endif
