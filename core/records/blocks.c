/* What stops an act on a case: a legal hold, a restriction of processing
 * (GDPR art. 18), an open rights request on one of its persons. The sweep,
 * the reads and the copies all ask here, so that the rules live once. Not
 * thread-safe: one archive handle, one thread. */
#include "records/blocks.h"
#include "catalog/rowmac.h"

#include <stdio.h>
#include <string.h>

int cv__rights_block(cv_archive *a, const char *case_id, char *reason, size_t n)
{
	sqlite3_stmt *st = NULL;
	reason[0] = '\0';
	CV_TRY(cv__catalog_stmt(a->cat, &st,
		"SELECT r.id, r.type FROM requests r JOIN request_subjects s ON s.request_id=r.id"
		" WHERE s.case_id=? AND r.state!='fulfilled' ORDER BY r.id LIMIT 1"));
	cv__bind_text(st, 1, case_id);
	int r = cv__catalog_step(a->cat, st, "read the rights requests of a case");
	if (r > 0)
		snprintf(reason, n, "open rights request %s (%s)", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
	cv__stmt_done(st);
	return r < 0 ? r : 0;
}

int cv__restriction_subject(cv_archive *a, const char *case_id, const char *person, int *is_subject)
{
	sqlite3_stmt *st = NULL;
	*is_subject = 0;
	CV_TRY(cv__catalog_stmt(a->cat, &st, "SELECT 1 FROM restrictions WHERE case_id=? AND person_id=?"));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, person);
	int r = cv__catalog_step(a->cat, st, "read the restrictions of a case");
	*is_subject = r > 0;
	cv__stmt_done(st);
	return r < 0 ? r : 0;
}

int cv__restricted_use(cv_archive *a, const char *case_id, const char *action)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &st, "SELECT restricted, ref FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	int restricted = 0;
	char ref[128] = "";
	int r = cv__catalog_step(a->cat, st, "read whether a case is restricted");
	if (r > 0) {
		restricted = sqlite3_column_int(st, 0);
		cv__col_text(st, 1, ref, sizeof ref);
	}
	cv__stmt_done(st);
	if (r < 0)
		return r;
	if (!restricted)
		return 0;
	char obj[96];
	snprintf(obj, sizeof obj, "case:%s restricted", case_id);
	cv__journal_record(a->cat, a->actor, action, obj, "refused");
	return cv__err(CV_EREFUSED, "%s refused: processing of case %s is restricted (GDPR art. 18): only storage, legal "
		"claims and the data subject's own access are allowed", action, ref);
}

int cv__case_block(cv_archive *a, const char *case_id, char *reason, size_t n)
{
	sqlite3_stmt *st = NULL;
	reason[0] = '\0';
	/* a hold or a restriction lifted behind casevault's back fails here */
	CV_TRY(cv__rowmac_check(a->cat, "cases", "id=?1", case_id));
	CV_TRY(cv__rowmac_check(a->cat, "restrictions", "case_id=?1", case_id));
	CV_TRY(cv__catalog_stmt(a->cat, &st, "SELECT hold IS NOT NULL, hold_since, restricted FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	int r = cv__catalog_step(a->cat, st, "read the holds of a case");
	if (r > 0) {
		if (sqlite3_column_int(st, 0))
			snprintf(reason, n, "legal hold since %s", sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "?");
		else if (sqlite3_column_int(st, 2))
			snprintf(reason, n, "restriction of processing (GDPR art. 18)");
	}
	cv__stmt_done(st);
	if (r < 0)
		return r;
	if (!reason[0])
		CV_TRY(cv__rights_block(a, case_id, reason, n));
	return 0;
}

int cv__export_allowed(cv_archive *a, const char *case_id, const char *requester)
{
	/* The subject of a restriction keeps access to their own data. */
	int own = 0;
	CV_TRY(cv__restriction_subject(a, case_id, requester, &own));
	return own ? 0 : cv__restricted_use(a, case_id, "case.export");
}
