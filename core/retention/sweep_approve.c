/* Approving a sweep plan: a director other than the planner, at the keyboard
 * (their own credential), approves a plan that still holds. Refusals are
 * journaled. */
#include "retention/sweep_internal.h"
#include "util/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Separation of duties, and a plan approved once only. */
static int approver_may(cv_archive *a, const char *id, const char *obj)
{
	cv_sweep_plan *p = NULL;
	CV_TRY(cv_sweep_plan_get(&p, a, id));
	int rc = 0;
	if (!strcmp(p->planner, a->actor)) {
		cv__journal_record(a->cat, a->actor, "sweep.approve", obj, "denied");
		rc = cv__err(CV_EDENIED, "sweep approve: %s made plan %s and cannot approve it too (separation of duties); "
			"another director must approve it", a->actor, id);
	} else if (strcmp(p->state, "planned")) {
		rc = cv__err(CV_ESTATE, "sweep approve: plan %s is already %s", id, p->state);
	}
	cv_sweep_plan_free(p);
	return rc;
}

/* The credential proves the director is at the keyboard. */
static int approver_present(cv_archive *a, const char *credential, const char *obj)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT credential FROM users WHERE name=?"));
	cv__bind_text(st, 1, a->actor);
	char *stored = sqlite3_step(st) == SQLITE_ROW ? cv__col_strdup(st, 0) : NULL;
	sqlite3_finalize(st);
	int rc;
	if (!credential || !*credential)
		rc = cv__err(CV_EAUTH, "sweep approve: no credential given");
	else
		rc = cv__credential_check(stored, credential);
	free(stored);
	if (rc) {
		cv__journal_record(a->cat, a->actor, "sweep.approve", obj, "denied");
		return cv__err(CV_EAUTH, "sweep approve: %s (user %s); the plan is not approved", cv_error_last()->message, a->actor);
	}
	return 0;
}

CV_EXTERN(int) cv_sweep_approve(cv_archive *a, const char *plan_id, const char *credential)
{
	char id[20], obj[96], why[256];
	CV_TRY(cv__sweep_resolve(a, plan_id, id));
	snprintf(obj, sizeof obj, "plan:%s", id);
	CV_TRY(cv__access_check(a, "sweep.approve", obj));
	CV_TRY(approver_may(a, id, obj));
	CV_TRY(approver_present(a, credential, obj));
	CV_TRY(cv__sweep_stale(a, id, why, sizeof why));
	if (why[0])
		return cv__err(CV_ESTATE, "sweep approve: plan %s is stale: %s; make a new plan", id, why);
	cv_txn t;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__txn_begin(&t, a, "sweep approve"));
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__sweep_set_plan(a, id, "UPDATE plans SET approver=?2, approved=?3, state='approved' WHERE id=?1 AND "
			"state='planned'", a->actor, now);
	if (!rc && sqlite3_changes(a->cat->db) != 1)
		rc = cv__err(CV_ESTATE, "sweep approve: plan %s changed state meanwhile", id);
	return cv__txn_finish(&t, rc, "sweep.approve", obj);
}
