/* Approving a sweep plan: a director other than the planner, at the keyboard
 * (their own credential), approves a plan that still holds. Refusals are
 * journaled. */
#include "retention/sweep_internal.h"
#include "engine/identity.h"
#include "engine/keys.h"
#include "util/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Separation of duties, and a plan decided once only: `verb` is approve
 * or refuse, `action` what the journal calls it. */
static int approver_may(cv_archive *a, const cv_sweep_plan *p, const char *obj, const char *verb, const char *action)
{
	if (!strcmp(p->planner, a->actor)) {
		cv__journal_record(a->cat, a->actor, action, obj, "denied");
		return cv__err(CV_EDENIED, "sweep %s: %s made plan %s and cannot %s it too (separation of duties); "
			"another director must decide on it", verb, a->actor, p->id, verb);
	}
	if (strcmp(p->state, "planned"))
		return cv__err(CV_ESTATE, "sweep %s: plan %s is already %s", verb, p->id, p->state);
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
	int rc = approver_may(a, p, obj, "approve", "sweep.approve");
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

/* The refusal is signed like an approval, over the same body hash, so that
 * the journal shows who stopped which plan; the reason is sealed as a note
 * of the plan (it may name people) and the plan can never run. */
CV_EXTERN(int) cv_sweep_refuse(cv_archive *a, const char *plan_id, const char *reason, const char *credential)
{
	char id[20], obj[96], sobj[128], owner[32];
	unsigned char sig[64];
	if (!reason || !*reason)
		return cv__err(CV_EINVAL, "sweep refuse: give the reason of the refusal");
	CV_TRY(cv__sweep_resolve(a, plan_id, id));
	snprintf(obj, sizeof obj, "plan:%s", id);
	CV_TRY(cv__access_check(a, "sweep.refuse", obj));
	cv_sweep_plan *p = NULL;
	CV_TRY(cv__sweep_plan_load(&p, NULL, a, id));
	int rc = approver_may(a, p, obj, "refuse", "sweep.refuse");
	snprintf(sobj, sizeof sobj, "plan:%s sha256:%s", id, p->sha256);
	cv_sweep_plan_free(p);
	if (!rc)
		rc = cv__decision_sign_or_deny(a, credential, "sweep.refuse", obj, sobj, sig, "sweep refuse");
	if (rc)
		return rc;
	cv_txn t;
	cv_buf box = CV_BUF_INIT;
	char now[32];
	cv__now_iso(now);
	snprintf(owner, sizeof owner, "plan:%s", id);
	CV_TRY(cv__txn_begin(&t, a, "sweep refuse"));
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__sweep_set_plan(a, id, "UPDATE plans SET state='refused' WHERE id=?1 AND state='planned'", NULL, NULL);
	if (!rc && sqlite3_changes(a->cat->db) != 1)
		rc = cv__err(CV_ESTATE, "sweep refuse: plan %s changed state meanwhile", id);
	if (!rc)
		rc = cv__note_seal(&box, a, owner, "refusal", reason);
	sqlite3_stmt *st = NULL;
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "INSERT INTO plan_refusals(plan_id, actor, at, reason) VALUES(?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, id);
		cv__bind_text(st, 2, a->actor);
		cv__bind_text(st, 3, now);
		cv__bind_blob(st, 4, box.data, box.len);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "record the refusal");
	}
	sqlite3_finalize(st);
	cv__buf_dispose(&box);
	return cv__txn_finish_signed(&t, rc, "sweep.refuse", sobj, sig);
}
