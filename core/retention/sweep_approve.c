/* Approving a sweep plan: a director other than the planner, at the keyboard
 * (their own credential), approves a plan that still holds. Refusals are
 * journaled. */
#include "retention/sweep_internal.h"
#include "engine/identity.h"
#include "util/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Separation of duties, and a plan approved once only. */
static int approver_may(cv_archive *a, const cv_sweep_plan *p, const char *obj)
{
	if (!strcmp(p->planner, a->actor)) {
		cv__journal_record(a->cat, a->actor, "sweep.approve", obj, "denied");
		return cv__err(CV_EDENIED, "sweep approve: %s made plan %s and cannot approve it too (separation of duties); "
			"another director must approve it", a->actor, p->id);
	}
	if (strcmp(p->state, "planned"))
		return cv__err(CV_ESTATE, "sweep approve: plan %s is already %s", p->id, p->state);
	return 0;
}

/* The director signs the plan's body hash with their own key, opened by
 * their credential at the keyboard: the journal then holds exactly what was
 * approved, and sweep run executes that body and nothing else. */
CV_EXTERN(int) cv_sweep_approve(cv_archive *a, const char *plan_id, const char *credential)
{
	char id[20], obj[96], sobj[128], why[256];
	unsigned char sig[64];
	CV_TRY(cv__sweep_resolve(a, plan_id, id));
	snprintf(obj, sizeof obj, "plan:%s", id);
	CV_TRY(cv__access_check(a, "sweep.approve", obj));
	cv_sweep_plan *p = NULL;
	cv__facts *facts = NULL;
	CV_TRY(cv__sweep_plan_load(&p, &facts, a, id));
	int rc = approver_may(a, p, obj);
	if (!rc)
		rc = cv__sweep_stale(a, p, facts, why, sizeof why);
	if (!rc && why[0])
		rc = cv__err(CV_ESTATE, "sweep approve: plan %s is stale: %s; make a new plan", id, why);
	snprintf(sobj, sizeof sobj, "plan:%s sha256:%s", id, p->sha256);
	cv_sweep_plan_free(p);
	free(facts);
	if (!rc)
		rc = cv__decision_sign_or_deny(a, credential, "sweep.approve", obj, sobj, sig, "sweep approve");
	if (rc)
		return rc;
	cv_txn t;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__txn_begin(&t, a, "sweep approve"));
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__sweep_set_plan(a, id, "UPDATE plans SET approver=?2, approved=?3, state='approved' WHERE id=?1 AND "
			"state='planned'", a->actor, now);
	if (!rc && sqlite3_changes(a->cat->db) != 1)
		rc = cv__err(CV_ESTATE, "sweep approve: plan %s changed state meanwhile", id);
	return cv__txn_finish_signed(&t, rc, "sweep.approve", sobj, sig);
}
