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

/* What a director's decision on a plan carries once checked and signed. */
typedef struct plan_decision {
	char id[20];
	char sobj[128];          /* "plan:ID sha256:HASH": what the signature covers */
	unsigned char sig[64];
} plan_decision;

/* Approving and refusing share everything up to the write, once the plan
 * is resolved and the role checked by the caller: separation of duties,
 * for an approval a plan that still holds, and the director's signature
 * over its body hash, opened by their credential. Refusals are journaled. */
static int decision_signed(plan_decision *d, cv_archive *a, const char *verb, const char *action,
	const char *credential, int check_stale)
{
	char obj[96], cmd[32], why[256] = "";
	snprintf(cmd, sizeof cmd, "sweep %s", verb);
	snprintf(obj, sizeof obj, "plan:%s", d->id);
	cv_sweep_plan *p = NULL;
	cv__facts *facts = NULL;
	CV_TRY(cv__sweep_plan_load(&p, check_stale ? &facts : NULL, a, d->id));
	int rc = approver_may(a, p, obj, verb, action);
	if (!rc && check_stale)
		rc = cv__sweep_stale(a, p, facts, why, sizeof why);
	if (!rc && why[0])
		rc = cv__err(CV_ESTATE, "%s: plan %s is stale: %s; make a new plan", cmd, d->id, why);
	snprintf(d->sobj, sizeof d->sobj, "plan:%s sha256:%s", d->id, p->sha256);
	cv_sweep_plan_free(p);
	free(facts);
	return rc ? rc : cv__decision_sign_or_deny(a, credential, action, obj, d->sobj, d->sig, cmd);
}

/* The plan named by `plan_id` (a prefix is enough), as a journal object. */
static int plan_named(plan_decision *d, char obj[96], cv_archive *a, const char *plan_id)
{
	CV_TRY(cv__sweep_resolve(a, plan_id, d->id));
	snprintf(obj, 96, "plan:%s", d->id);
	return 0;
}

/* The plan's new state, from "planned" only: a decision made meanwhile by
 * another director wins, this one fails. */
static int plan_decided(cv_archive *a, const char *id, const char *sql, const char *who, const char *when,
	const char *verb)
{
	CV_TRY(cv__sweep_set_plan(a, id, sql, who, when));
	if (sqlite3_changes(a->cat->db) != 1)
		return cv__err(CV_ESTATE, "sweep %s: plan %s changed state meanwhile", verb, id);
	return 0;
}

/* The director signs the plan's body hash with their own key, opened by
 * their credential at the keyboard: the journal then holds exactly what was
 * approved, and sweep run executes that body and nothing else. */
CV_EXTERN(int) cv_sweep_approve(cv_archive *a, const char *plan_id, const char *credential)
{
	plan_decision d;
	char obj[96];
	CV_TRY(plan_named(&d, obj, a, plan_id));
	CV_TRY(cv__access_check(a, "sweep.approve", obj));
	CV_TRY(decision_signed(&d, a, "approve", "sweep.approve", credential, 1));
	cv_txn t;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__txn_begin(&t, a, "sweep approve"));
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = plan_decided(a, d.id, "UPDATE plans SET approver=?2, approved=?3, state='approved' WHERE id=?1 AND "
			"state='planned'", a->actor, now, "approve");
	return cv__txn_finish_signed(&t, rc, "sweep.approve", d.sobj, d.sig);
}

/* Who refused, when, and why (sealed as a note of the plan: it may name people). */
static int refusal_store(cv_archive *a, const char *id, const char *reason)
{
	char owner[32], now[32];
	cv_buf box = CV_BUF_INIT;
	sqlite3_stmt *st = NULL;
	cv__now_iso(now);
	snprintf(owner, sizeof owner, "plan:%s", id);
	int rc = cv__note_seal(&box, a, owner, "refusal", reason);
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
	return rc;
}

/* The refusal is signed like an approval, over the same body hash, so that
 * the journal shows who stopped which plan; the plan can never run. */
CV_EXTERN(int) cv_sweep_refuse(cv_archive *a, const char *plan_id, const char *reason, const char *credential)
{
	if (!reason || !*reason)
		return cv__err(CV_EINVAL, "sweep refuse: give the reason of the refusal");
	plan_decision d;
	char obj[96];
	CV_TRY(plan_named(&d, obj, a, plan_id));
	CV_TRY(cv__access_check(a, "sweep.refuse", obj));
	CV_TRY(decision_signed(&d, a, "refuse", "sweep.refuse", credential, 0));
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "sweep refuse"));
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = plan_decided(a, d.id, "UPDATE plans SET state='refused' WHERE id=?1 AND state='planned'", NULL, NULL,
			"refuse");
	if (!rc)
		rc = refusal_store(a, d.id, reason);
	return cv__txn_finish_signed(&t, rc, "sweep.refuse", d.sobj, d.sig);
}
