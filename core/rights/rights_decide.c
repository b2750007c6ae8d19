/* Decisions on a rights request: the one extension of the deadline, the
 * check of the requester's identity, the DPO's decision (with their own
 * credential) and the lifting of a restriction. Each is dated by the clock
 * and journaled; refusals are journaled too. */
#include "rights/rights_internal.h"
#include "catalog/rowmac.h"
#include "crypto/fieldbox.h"
#include "crypto/kdf.h"
#include "engine/identity.h"
#include "util/hex.h"
#include "util/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One UPDATE of the request (?1 id, ?2 and ?3 the caller's, ?4 the actor,
 * ?5 now, ?6 an optional blob) and its journal entry, in one transaction. */
static int update_req(cv_archive *a, const char *id, const char *action, const char *sql, const char *p2, const char *p3,
	const void *blob, size_t blen, const char *obj_extra, const unsigned char *sig)
{
	char now[32], obj[400];
	cv__now_iso(now);
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "request"));
	sqlite3_stmt *st = NULL;
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, sql);
	if (!rc) {
		cv__bind_text(st, 1, id);
		cv__bind_text(st, 2, p2);
		cv__bind_text(st, 3, p3);
		cv__bind_text(st, 4, a->actor);
		cv__bind_text(st, 5, now);
		if (blob)
			cv__bind_blob(st, 6, blob, blen);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "update request");
		sqlite3_finalize(st);
	}
	snprintf(obj, sizeof obj, "request:%s%s%s", id, obj_extra ? " " : "", obj_extra ? obj_extra : "");
	return sig ? cv__txn_finish_signed(&t, rc, action, obj, sig) : cv__txn_finish(&t, rc, action, obj);
}

/* GDPR art. 12(3): one extension, decided within the first month. */
static int extension_allowed(const cv_request *r, const char *today)
{
	if (r->extended_due[0])
		return cv__err(CV_EREFUSED, "request extend: request %s was already extended (to %s); GDPR art. 12(3) allows "
			"one extension", r->id, r->extended_due);
	if (!strcmp(r->state, "fulfilled"))
		return cv__err(CV_ESTATE, "request extend: request %s is already fulfilled", r->id);
	if (strcmp(today, r->due) > 0)
		return cv__err(CV_EREFUSED, "request extend: too late — the first deadline of request %s was %s; an extension "
			"must be decided and told to the requester within the first month (GDPR art. 12(3))", r->id, r->due);
	return 0;
}

CV_EXTERN(int) cv_request_extend(cv_archive *a, const char *id, const char *reason, const char *as_of)
{
	char today[11];
	if (!reason || !*reason)
		return cv__err(CV_EINVAL, "request extend: the reason is missing (it is recorded and must be told to the "
			"requester within the first month)");
	/* A decision is dated by the clock: a date given by the caller would
	 * let an extension be made after the deadline and look timely. */
	if (as_of)
		return cv__err(CV_EINVAL, "request extend: an extension is recorded at the time it is made; it cannot be "
			"dated (a simulated date only applies to listings and plans)");
	cv__date_today(today);
	cv_request *r = NULL;
	CV_TRY(cv__request_load_for_change(a, id, "request.extend", &r));
	int rc = extension_allowed(r, today);
	if (rc) {
		char obj[64];
		snprintf(obj, sizeof obj, "request:%s", r->id);
		cv__journal_record(a->cat, a->actor, "request.extend", obj, "refused");
		cv_request_free(r);
		return rc;
	}
	char newdue[11];
	cv__date_add_months(newdue, r->received, 3);
	cv_buf box = CV_BUF_INIT;
	char owner[64];
	snprintf(owner, sizeof owner, "request:%s", r->id);
	rc = cv__note_seal(&box, a, owner, "request-extension", reason);
	char extra[64];
	snprintf(extra, sizeof extra, "due:%s", newdue);
	if (!rc)
		rc = update_req(a, r->id, "request.extend",
			"UPDATE requests SET extended_due=?2, extended_by=?4, extended_at=?5, extension_reason=?6 WHERE id=?1 AND ?3 IS NULL",
			newdue, NULL, box.data, box.len, extra, NULL);
	cv__buf_dispose(&box);
	cv_request_free(r);
	return rc;
}

CV_EXTERN(int) cv_request_verify_identity(cv_archive *a, const char *id, const char *method)
{
	if (!method || !*method || strlen(method) > 60)
		return cv__err(CV_EINVAL, "request verify-identity: the method of the identity check is missing or longer than "
			"60 bytes (e.g. 'pièce d'identité au guichet')");
	cv_request *r = NULL;
	CV_TRY(cv__request_load_for_change(a, id, "request.verify_identity", &r));
	int rc = strcmp(r->state, "fulfilled") ? 0 : cv__err(CV_ESTATE, "request %s is already fulfilled", r->id);
	if (!rc)
		rc = update_req(a, r->id, "request.verify_identity",
			"UPDATE requests SET identity_method=?2, identity_by=?4, identity_at=?5 WHERE id=?1 AND ?3 IS NULL", method,
			NULL, NULL, 0, NULL, NULL);
	cv_request_free(r);
	return rc;
}

/* What the DPO signs: the request, its type and subjects, the decision
 * and a digest of its ground (free text, kept out of the journal). */
static int decision_extra(char *out, size_t n, const cv_request *r, const char *decision, const char *ground)
{
	cv_buf subj = CV_BUF_INIT;
	unsigned char hs[32], hg[32];
	char xs[65], xg[65];
	for (size_t i = 0; i < r->nsubjects; i++)
		cv__buf_printf(&subj, "%s/%s\n", r->subjects[i].case_id, r->subjects[i].person);
	int rc = cv__sha256(hs, subj.data ? (const void *)subj.data : "", subj.len);
	if (!rc)
		rc = cv__sha256(hg, ground, strlen(ground));
	cv__buf_dispose(&subj);
	CV_TRY(rc);
	cv__hex(xs, hs, 32);
	cv__hex(xg, hg, 32);
	snprintf(out, n, "type:%s decision:%s proposal:%s subjects:%.16s ground:%.16s", r->type, decision, r->proposal, xs,
		xg);
	return 0;
}

/* The DPO decides at the keyboard: their own credential opens their key,
 * which signs exactly what is decided; a refusal is journaled. */
CV_EXTERN(int) cv_request_decide(cv_archive *a, const char *id, const char *decision, const char *ground, const char *credential)
{
	char obj[96], extra[200], sobj[300];
	unsigned char sig[64];
	if (!decision || (strcmp(decision, "grant") && strcmp(decision, "refuse") && strcmp(decision, "partial")))
		return cv__err(CV_EINVAL, "request decide: the decision is grant, refuse or partial");
	if (!ground || !*ground)
		return cv__err(CV_EINVAL, "request decide: the legal ground is missing (e.g. 'RGPD art. 17(3)(b)')");
	snprintf(obj, sizeof obj, "request:%.40s", id ? id : "");
	/* A decision reserved to the DPO: not even an admin may take it. */
	CV_TRY(cv__access_check(a, "request.decide", obj));
	cv_request *r = NULL;
	CV_TRY(cv_request_get(&r, a, id));
	int rc = 0;
	if (strcmp(r->state, "open"))
		rc = cv__err(CV_ESTATE, "request decide: request %s is already %s", r->id, r->state);
	if (!rc)
		rc = decision_extra(extra, sizeof extra, r, decision, ground);
	snprintf(sobj, sizeof sobj, "request:%s %s", r->id, extra);
	if (!rc)
		rc = cv__decision_sign_or_deny(a, credential, "request.decide", obj, sobj, sig, "request decide");
	if (!rc)
		rc = update_req(a, r->id, "request.decide",
			"UPDATE requests SET decision=?2, ground=?3, decided_by=?4, decided_at=?5, state='decided' WHERE id=?1", decision,
			ground, NULL, 0, extra, sig);
	cv_request_free(r);
	return rc;
}

CV_EXTERN(int) cv_request_lift(cv_archive *a, const char *id, const char *reason)
{
	if (!reason || !*reason)
		return cv__err(CV_EINVAL, "request lift: the reason is missing");
	cv_request *r = NULL;
	CV_TRY(cv__request_load_for_change(a, id, "request.lift", &r));
	int rc = 0;
	if ((strcmp(r->type, "restriction") && strcmp(r->type, "objection")) || strcmp(r->state, "fulfilled") ||
		!strcmp(r->decision, "refuse"))
		rc = cv__err(CV_ESTATE, "request lift: request %s did not put a restriction in place", r->id);
	cv_txn t;
	if (!rc)
		rc = cv__txn_begin(&t, a, "request lift");
	if (!rc) {
		rc = cv__txn_sql_begin(&t);
		if (!rc)
			rc = cv__request_restrict(a, r, &t, 0);
		char obj[96];
		snprintf(obj, sizeof obj, "request:%s", r->id);
		if (!rc)
			rc = cv__txn_journal(&t, "request.lift", obj, "ok");
		if (!rc)
			rc = cv__txn_commit(&t);
		cv__txn_abort(&t);
	}
	cv_request_free(r);
	return rc;
}

/* The archived cases an erasure would shred, sorted: what the archives
 * director approves. */
int cv__erasure_archived(cv_archive *a, const cv_request *r, char *out, size_t n)
{
	out[0] = '\0';
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT DISTINCT s.case_id FROM request_subjects s JOIN cases c ON "
		"c.id=s.case_id WHERE s.request_id=? AND c.state='archived' ORDER BY s.case_id"));
	cv__bind_text(st, 1, r->id);
	size_t l = 0;
	int rc = 0, step;
	/* a failed step is not "no archived case": the approval would be skipped */
	while ((step = cv__catalog_step(a->cat, st, "read a request's archived cases")) == 1) {
		const char *cid = (const char *)sqlite3_column_text(st, 0);
		if (l + strlen(cid) + 2 >= n) {
			rc = cv__err(CV_EINVAL, "request %s reaches too many archived cases for one approval", r->id);
			break;
		}
		l += (size_t)snprintf(out + l, n - l, "%s%s", l ? "," : "", cid);
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	return rc;
}

CV_EXTERN(int) cv_request_approve(cv_archive *a, const char *id, const char *credential)
{
	char obj[96], cases[1024], sobj[1200];
	unsigned char sig[64];
	snprintf(obj, sizeof obj, "request:%.40s", id ? id : "");
	CV_TRY(cv__access_check(a, "request.approve", obj));
	CV_TRY(cv__rowmac_check(a->cat, "requests", "id=?1", id));
	cv_request *r = NULL;
	CV_TRY(cv__request_load_raw(&r, a, id));
	int rc = 0;
	if (strcmp(r->type, "erasure") || strcmp(r->state, "decided") || !strcmp(r->decision, "refuse"))
		rc = cv__err(CV_ESTATE, "request approve: request %s is not a granted erasure waiting to be fulfilled", r->id);
	if (!rc)
		rc = cv__erasure_archived(a, r, cases, sizeof cases);
	if (!rc && !cases[0])
		rc = cv__err(CV_ESTATE, "request approve: request %s reaches no archived case; the DPO's decision suffices",
			r->id);
	snprintf(sobj, sizeof sobj, "request:%s cases:%s", r->id, cases);
	if (!rc)
		rc = cv__decision_sign_or_deny(a, credential, "request.approve", obj, sobj, sig, "request approve");
	cv_request_free(r);
	if (rc)
		return rc;
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "request approve"));
	return cv__txn_finish_signed(&t, 0, "request.approve", sobj, sig);
}
