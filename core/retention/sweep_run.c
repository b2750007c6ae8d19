/* Running an approved sweep plan.
 *
 * The plan's actions are processed in batches, each one git commit and one
 * catalog transaction that also marks its items done, so an interrupted run
 * is finished by running it again. Anonymisation keeps the statistical
 * record (under the statistics key), removes persons, blind-index rows and
 * documents, takes the case out of the branch, and destroys the case key
 * (crypto-shredding): every earlier version in git becomes unreadable. */
#include "retention/sweep_internal.h"
#include "engine/signatures.h"
#include "records/docs.h"
#include "records/case_tree.h"
#include "records/blocks.h"
#include "records/lifecycle.h"
#include "export/redaction.h"
#include "util/date.h"
#include "util/text.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_BATCH 256

/* What a run executes: the plan's body, read back and checked against the
 * hash a director other than the planner signed (cv__decision_find checks
 * every signature of the journal first). The catalog's state and item rows
 * only say how far a run got; they never add an action. */
static int plan_approved(const cv_sweep_plan *p, cv_archive *a, const char *obj)
{
	char prefix[64], want[128];
	cv_decision d;
	snprintf(prefix, sizeof prefix, "plan:%s sha256:", p->id);
	snprintf(want, sizeof want, "plan:%s sha256:%s", p->id, p->sha256);
	int rc = cv__decision_find(&d, a, "sweep.approve", prefix);
	if (rc == CV_ENOTFOUND) {
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
		return cv__err(CV_EREFUSED, "sweep run: plan %s is marked approved, but the journal holds no director's signed "
			"approval of it; it must be approved (again) with sweep approve", p->id);
	}
	if (rc)
		return cv__err(rc, "sweep run: %s; nothing was done", cv_error_last()->message);
	if (strcmp(d.object, want) || !strcmp(d.actor, p->planner)) {
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
		return cv__err(CV_EREFUSED, "sweep run: the approval signed by %s (journal entry %llu) is not for this body of "
			"plan %s or was given by its planner; nothing was done", d.actor, (unsigned long long)d.seq, p->id);
	}
	return 0;
}

static int collect_text(const void *data, size_t len, void *payload)
{
	return cv__buf_put(payload, data, len);
}

static int type_listed(const char *csv, const char *type)
{
	size_t n = strlen(type);
	for (const char *p = csv; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, type, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Documents the policy keeps in redacted form: every person of the case is
 * a third party now, so everything that names someone goes. */
static int redacted_survivors(cv_archive *a, const char *case_id, const char *types, cv_survivor **out, size_t *n)
{
	cv_case_key k;
	cv_doc_info *docs = NULL;
	size_t nd = 0;
	cv_redaction *r = NULL;
	*out = NULL;
	*n = 0;
	CV_TRY(cv__case_key_load(a, case_id, &k));
	int rc = cv__docs_load(a, case_id, &k, 0, &docs, &nd);
	if (!rc)
		rc = cv__redaction_open(&r, a, case_id, &k, NULL);
	if (rc)
		cv__err_prefix("the policy keeps %s documents redacted", types);
	cv_survivor *sv = rc ? NULL : calloc(nd ? nd : 1, sizeof *sv);
	cv_buf plain = CV_BUF_INIT;
	for (size_t i = 0; sv && !rc && i < nd; i++) {
		const char *dot = strrchr(docs[i].path, '.');
		if (!type_listed(types, docs[i].type) || !dot || (strcasecmp(dot, ".txt") && strcasecmp(dot, ".md")))
			continue;
		cv__buf_clear(&plain);
		rc = cv__doc_stream(a, case_id, &k, docs[i].id, 0, collect_text, &plain);
		if (rc || !cv__utf8_valid((const char *)plain.data, plain.len))
			continue;
		cv_survivor *s = &sv[*n];
		size_t tl = 0;
		rc = cv_redaction_apply(r, (const char *)plain.data, plain.len, &s->text, &s->len, NULL, NULL);
		if (!rc)
			rc = cv_redaction_apply(r, docs[i].title, strlen(docs[i].title), &s->title, &tl, NULL, NULL);
		s->type = strdup(docs[i].type);
		s->date = strdup(docs[i].date);
		(*n)++;
	}
	cv__buf_wipe_dispose(&plain);
	cv__redaction_close(r);
	cv_doc_list_free(docs, nd);
	cv__case_key_wipe(&k);
	*out = sv;
	return rc;
}

static void survivors_free(cv_survivor *sv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(sv[i].title);
		free(sv[i].type);
		free(sv[i].date);
		if (sv[i].text)
			cv__wipe(sv[i].text, sv[i].len);
		free(sv[i].text);
	}
	free(sv);
}

static int archive_case(cv_txn *t, const char *case_id)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	cv_case_key k;
	CV_TRY(cv__catalog_stmt(a->cat, &st, "UPDATE cases SET state='archived' WHERE id=? AND state='active'"));
	cv__bind_text(st, 1, case_id);
	CV_TRY(cv__stmt_exec(a->cat, st, "archive case"));
	CV_TRY(cv__case_key_load(a, case_id, &k));
	int rc = cv__case_rebuild_tree(t, case_id, &k);
	cv__case_key_wipe(&k);
	return rc;
}

/* Every action left to do must be due by the real date, whatever date the
 * plan looked at: a plan cannot bring an elimination forward. Checked for
 * all items before any is carried out, so a wrong plan does nothing. */
static int not_yet_due(const cv_sweep_plan *p, const char *id)
{
	char today[11];
	cv__date_today(today);
	cv_buf list = CV_BUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < p->nitems; i++) {
		const cv_sweep_item *x = &p->items[i];
		if (!strcmp(x->action, "keep") || x->result[0] || (x->due[0] && strcmp(x->due, today) <= 0))
			continue;
		if (n++ < 10)
			cv__buf_printf(&list, "%s%s (%s)", n > 1 ? ", " : "", x->ref[0] ? x->ref : x->case_id,
				x->due[0] ? x->due : "no due date recorded");
	}
	if (n > 10)
		cv__buf_printf(&list, " and %zu more", n - 10);
	int rc = 0;
	if (n && cv__buf_cstr(&list) == 0)
		rc = cv__err(CV_EREFUSED, "sweep run: plan %s would act on %zu case%s not due today (%s): %s; nothing was done. "
			"Make a new plan as of today", id, n, n > 1 ? "s" : "", today, (const char *)list.data);
	else if (n)
		rc = cv__oom();
	cv__buf_dispose(&list);
	return rc;
}

/* A plan that may not run is refused whole, before anything is done:
 * unapproved, already done, stale, or acting before its time. */
static int run_refusal(cv_archive *a, const cv_sweep_plan *p, const cv__facts *facts, const char *obj)
{
	char why[256];
	int rc = 0;
	if (!strcmp(p->state, "planned")) {
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
		rc = cv__err(CV_EREFUSED, "sweep run: plan %s is not approved; a director other than %s must approve it first",
			p->id, p->planner);
	} else if (!strcmp(p->state, "done")) {
		rc = cv__err(CV_ESTATE, "sweep run: plan %s has already been run to completion", p->id);
	}
	if (!rc)
		rc = plan_approved(p, a, obj);
	if (!rc && !(rc = cv__sweep_stale(a, p, facts, why, sizeof why)) && why[0]) {
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
		rc = cv__err(CV_EREFUSED, "sweep run: plan %s is stale: %s; make and approve a new plan", p->id, why);
	}
	if (!rc && (rc = not_yet_due(p, p->id)))
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
	return rc;
}

/* Carry out one item: blocked now, archived, or shredded (with the
 * documents the policy keeps redacted). `result` says which. */
static int run_action(cv_txn *t, cv_sweep_item *x, cv_sweep_report *rep, char block[160], char key_id[33],
	char result[64])
{
	int rc = 0;
	if (block[0]) {
		snprintf(result, 64, "blocked");
		rep->blocked++;
	} else if (!strcmp(x->action, "archive")) {
		rc = archive_case(t, x->case_id);
		snprintf(result, 64, "done");
		rep->done++;
	} else {
		int destroy = !strcmp(x->action, "destroy");
		cv_survivor *sv = NULL;
		size_t nsv = 0;
		if (!destroy && x->keep_redacted[0])
			rc = redacted_survivors(t->a, x->case_id, x->keep_redacted, &sv, &nsv);
		if (!rc)
			rc = cv__case_shred(t, x->case_id, destroy, sv, nsv, key_id);
		survivors_free(sv, nsv);
		snprintf(result, 64, "done");
		rep->done++;
	}
	return rc;
}

/* The item's result in the same transaction as the act, and its journal
 * entry: an interrupted run knows exactly what is left. */
static int run_record(cv_txn *t, const char *id, size_t seq, const cv_sweep_item *x, const char *block,
	const char *key_id, const char *result)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	char now[32], obj[256];
	cv__now_iso(now);
	int rc = cv__catalog_stmt(a->cat, &st, "UPDATE plan_items SET result=?3, done_at=?4, key_id=?5 WHERE plan_id=?1 AND "
		"seq=?2");
	if (!rc) {
		cv__bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
		cv__bind_text(st, 3, result);
		cv__bind_text(st, 4, now);
		cv__bind_text(st, 5, key_id[0] ? key_id : NULL);
		rc = cv__stmt_exec(a->cat, st, "record sweep progress");
	}
	snprintf(obj, sizeof obj, "case:%s plan:%s rule:%s%s%s%s%s", x->case_id, id, x->rule, key_id[0] ? " key:" : "",
		key_id, block[0] ? " blocked:" : "", block);
	if (!rc)
		rc = cv__txn_journal(t, block[0] ? "sweep.blocked" : !strcmp(x->action, "archive") ? "case.archive"
			: !strcmp(x->action, "destroy") ? "case.destroy" : "case.anonymise", obj, block[0] ? "refused" : "ok");
	return rc;
}

/* One batch from item *i on: one transaction, up to SWEEP_BATCH actions.
 * Blocks are checked again here: a hold placed after approval stops that
 * case only. Progress counts the items done by earlier runs too. */
static int run_batch(cv_archive *a, cv_sweep_plan *p, size_t *i, cv_sweep_report *rep, size_t done_before,
	size_t total)
{
	cv_txn t;
	char op[64];
	snprintf(op, sizeof op, "sweep run %s", p->id);
	CV_TRY(cv__txn_begin(&t, a, op));
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__sweep_set_plan(a, p->id, "UPDATE plans SET state='running' WHERE id=?1 AND state IN ('approved',"
			"'running')", NULL, NULL);
	size_t in_batch = 0;
	for (; !rc && *i < p->nitems && in_batch < SWEEP_BATCH; (*i)++) {
		cv_sweep_item *x = &p->items[*i];
		if (!strcmp(x->action, "keep") || x->result[0])
			continue;
		char block[160], key_id[33] = "", result[64];
		if ((rc = cv__case_block(a, x->case_id, block, sizeof block)))
			break;
		if ((rc = run_action(&t, x, rep, block, key_id, result)))
			break;
		rc = run_record(&t, p->id, *i, x, block, key_id, result);
		snprintf(x->result, sizeof x->result, "%s", result);
		in_batch++;
	}
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	cv__progress(a, "sweep", done_before + rep->done + rep->blocked, total);
	return rc;
}

CV_EXTERN(int) cv_sweep_run(cv_sweep_report *rep, cv_archive *a, const char *plan_id)
{
	char id[20], obj[256];
	CV_TRY(cv__result_begin(rep, sizeof *rep, CV_SWEEP_REPORT_VERSION, "sweep run"));
	CV_TRY(cv__sweep_resolve(a, plan_id, id));
	snprintf(obj, sizeof obj, "plan:%s", id);
	CV_TRY(cv__access_check(a, "sweep.run", obj));
	cv_sweep_plan *p = NULL;
	cv__facts *facts = NULL;
	CV_TRY(cv__sweep_plan_load(&p, &facts, a, id));
	int rc = run_refusal(a, p, facts, obj);
	free(facts);
	if (rc) {
		cv_sweep_plan_free(p);
		return rc;
	}
	size_t total = 0, done_before = 0;
	for (size_t i = 0; i < p->nitems; i++)
		if (strcmp(p->items[i].action, "keep")) {
			total++;
			done_before += p->items[i].result[0] != '\0';
		}
	for (size_t i = 0; !rc && i < p->nitems;)
		rc = run_batch(a, p, &i, rep, done_before, total);
	if (!rc) {
		rc = cv__sweep_certify(a, p, rep->certificate);
		/* The shredded keys' pages leave the WAL now, not at some later
		 * checkpoint (SQLite keeps old frames until the WAL is truncated). */
		if (!rc && cv__catalog_checkpoint(a->cat) != 0)
			cv_error_clear();
	}
	for (size_t k = 0; k < p->nitems; k++)
		if (strcmp(p->items[k].action, "keep") && !p->items[k].result[0])
			rep->remaining++;
	cv_sweep_plan_free(p);
	return rc;
}
