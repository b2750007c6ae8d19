/* Bringing an archive made by an earlier version up to what this one
 * checks: revision tags for the revisions stored before they existed. Done
 * once, under the writer lock, by the first read-write open that calls
 * cv_archive_upgrade (the command line does it on every open). */
#include "records/persons.h"
#include "records/revtag.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

static int tag_all(cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT r.case_id, r.doc_id, r.rev FROM revisions r JOIN case_keys k ON k.case_id=r.case_id"
		" WHERE r.tag IS NULL ORDER BY r.case_id"));
	char cur[40] = "";
	cv_case_key k;
	memset(&k, 0, sizeof k);
	int rc = 0;
	int step = 0;
	while (!rc && (step = cv__catalog_step(a->cat, st, "read the revisions to tag")) == 1) {
		const char *cid = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(cur, cid)) {
			cv__case_key_wipe(&k);
			snprintf(cur, sizeof cur, "%s", cid);
			if ((rc = cv__case_key_load(a, cur, &k)))
				break;
		}
		rc = cv__rev_seal(a, cur, &k, (const char *)sqlite3_column_text(st, 1), (unsigned)sqlite3_column_int(st, 2));
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	cv__case_key_wipe(&k);
	return rc;
}

/* The blind index of this version: one surname bucket per person. */
static int rebuild_blind(cv_archive *a)
{
	sqlite3_stmt *cs = NULL, *ins = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &cs, "SELECT case_id FROM case_keys ORDER BY case_id"));
	int rc = cv__catalog_prepare(a->cat, &ins, "INSERT INTO blind(case_id,pid,field,tag) VALUES(?,?,?,?)");
	int step = 0;
	while (!rc && (step = cv__catalog_step(a->cat, cs, "read the case keys")) > 0) {
		char cid[40];
		cv__col_text(cs, 0, cid, sizeof cid);
		cv_case_key k;
		cv_person *ps = NULL;
		size_t np = 0;
		if ((rc = cv__case_key_load(a, cid, &k)))
			break;
		rc = cv__persons_load(a, cid, &k, &ps, &np);
		for (size_t i = 0; !rc && i < np; i++)
			rc = cv__blind_index_person(a, cid, ins, &ps[i]);
		cv__persons_free(ps, np);
		cv__case_key_wipe(&k);
	}
	if (!rc && step < 0)
		rc = step; /* a blind index cut short is not an upgrade done */
	sqlite3_finalize(cs);
	sqlite3_finalize(ins);
	return rc;
}

/* 1 when meta `key` says "pending". */
/* Whether an upgrade step is pending; a flag whose row is not sealed is
 * damage (it would have the library bless altered rows). */
static int pending(cv_archive *a, const char *key, int *p)
{
	char *state = NULL;
	int rc = cv__catalog_meta_get(a->cat, key, &state);
	*p = !rc && !strcmp(state, "pending");
	free(state);
	if (rc == CV_ENOTFOUND) {
		cv_error_clear();
		rc = 0;
	}
	return rc;
}

CV_EXTERN(int) cv_archive_upgrade(cv_archive *a)
{
	int tags = 0, blind = 0;
	CV_TRY(pending(a, "revision_tags", &tags));
	CV_TRY(pending(a, "blind_index", &blind));
	if ((!tags && !blind) || a->read_only)
		return 0;
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "upgrade"));
	int rc = cv__txn_sql_begin(&t);
	if (!rc && tags)
		rc = tag_all(a);
	if (!rc && tags)
		rc = cv__catalog_meta_set(a->cat, "revision_tags", "done");
	if (!rc && blind)
		rc = rebuild_blind(a);
	if (!rc && blind)
		rc = cv__catalog_meta_set(a->cat, "blind_index", "done");
	return cv__txn_finish(&t, rc, "archive.upgrade", tags && blind ? "revision-tags blind-index" : tags ? "revision-tags"
			: "blind-index");
}
