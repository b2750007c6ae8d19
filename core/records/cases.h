/* Cases as catalog views: resolving an id or a reference, gating a read on
 * the access table, the info row, the decrypted measures. Not thread-safe:
 * one archive handle, one thread. */
#ifndef CV_RECORDS_CASES_H
#define CV_RECORDS_CASES_H

#include "engine/internal.h"

#include <jansson.h>

/** Check the access table for `action` first, then resolve the case (so a
 * refused user cannot probe for references; the refusal is journaled). */
int cv__case_gate(cv_archive *a, const char *action, const char *id_or_ref, char id[40], const char *detail);
/** Resolve an id or a ref to the case id. */
int cv__case_resolve(cv_archive *a, const char *id_or_ref, char id[40]);
int cv__case_fill_info(cv_archive *a, sqlite3_stmt *st, cv_case_info *ci);
#define CV_CASE_COLUMNS "id,ref,category,state,opened,closed,territory,hold IS NOT NULL,restricted," \
	"permanent,sealed IS NOT NULL,version"
/** The case's measures (decrypted details), a new JSON array. */
/** Every hand-out of the case's key (`key case`), from the journal:
 * [{"at","by"}], for the shredding certificates (an exported key outlives
 * the shredding). NULL, with the error set, when it cannot be read in
 * full (never a shorter list). */
json_t *cv__key_exports(cv_archive *a, const char *case_id);
int cv__case_measures_json(cv_archive *a, const char *case_id, const cv_case_key *k, json_t **out);

#endif
