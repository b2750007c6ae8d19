/* Persons of a case: their identity as JSON (the plaintext of the catalog's
 * encrypted field and of the manifest entries), loading, field changes and
 * blind-index rows. cv_person fields are malloc'd and owned by the struct;
 * cv__person_free_fields wipes the sensitive ones. Not thread-safe: one
 * archive handle, one thread. */
#ifndef CV_RECORDS_PERSONS_H
#define CV_RECORDS_PERSONS_H

#include "engine/internal.h"

void cv__person_free_fields(cv_person *p);
/** Identity JSON of a person (all fields, keys sorted), malloc'd. */
char *cv__person_to_json(const cv_person *p);
/** Parse an identity JSON into a person (fields malloc'd). */
int cv__person_from_json(cv_person *p, const char *json);
/** Set one identity field (last, first, born, sex, phone, email, address,
 * nir); a "first" replaces all first names. CV_EINVAL names a wrong field or
 * date. */
int cv__person_set_field(cv_person *p, const char *field, const char *value);
/** A case's persons, decrypted with its key, in register order. */
int cv__persons_load(cv_archive *a, const char *case_id, const cv_case_key *k, cv_person **out, size_t *n);
void cv__persons_free(cv_person *p, size_t n);
/** Blind-index rows of one person (ins: INSERT INTO blind(case_id,pid,field,tag)). */
int cv__blind_index_person(cv_archive *a, const char *case_id, sqlite3_stmt *ins, const cv_person *p);

#endif
