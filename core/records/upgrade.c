/* Bringing an archive made by an earlier version up to what this one
 * checks: revision tags for the revisions stored before they existed. Done
 * once, under the writer lock, by the first read-write open that calls
 * cv_archive_upgrade (the command line does it on every open). */
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
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *cid = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(cur, cid)) {
			cv__case_key_wipe(&k);
			snprintf(cur, sizeof cur, "%s", cid);
			if ((rc = cv__case_key_load(a, cur, &k)))
				break;
		}
		rc = cv__rev_seal(a, cur, &k, (const char *)sqlite3_column_text(st, 1), (unsigned)sqlite3_column_int(st, 2));
	}
	sqlite3_finalize(st);
	cv__case_key_wipe(&k);
	return rc;
}

CV_EXTERN(int) cv_archive_upgrade(cv_archive *a)
{
	char *state = NULL;
	int rc = cv__catalog_meta_get(a->cat, "revision_tags", &state);
	int pending = rc == 0 && !strcmp(state, "pending");
	free(state);
	if (rc == CV_ENOTFOUND || !pending)
		return 0;
	CV_TRY(rc);
	if (a->read_only)
		return 0;
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "upgrade"));
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = tag_all(a);
	if (!rc)
		rc = cv__catalog_meta_set(a->cat, "revision_tags", "done");
	if (!rc)
		rc = cv__txn_journal(&t, "archive.upgrade", "revision-tags", "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	return rc;
}
