/* The GDPR rights register. ASE processing rests on a legal obligation and a
 * public task (art. 6(1)(c),(e)), so the tool proposes: erasure refused while
 * retention runs (art. 17(3)(b)), portability not applicable (art. 20(3)),
 * objection to be weighed (art. 21(1)); access, rectification and
 * restriction granted. The DPO decides, with their own credential; every
 * step is journaled with opaque ids only. While a request is open on a
 * person, the sweep leaves that person's cases alone (cv__rights_block). */
#include "records/persons.h"
#include "records/docs.h"
#include "export/export_internal.h"
#include "records/case_tree.h"
#include "records/cases.h"
#include "records/rectify.h"
#include "records/lifecycle.h"
#include "casevault/request.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/html.h"
#include "util/wipe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TYPES[] = { "access", "rectification", "erasure", "restriction", "portability", "objection", NULL };

/* ------------------------------------------------------------------ */

static void proposal_for(cv_archive *a, const char *type, const char **subjects_cases, size_t n, char prop[16], char ground[320])
{
	int permanent = 0;
	for (size_t i = 0; i < n; i++) {
		cv_case_info ci;
		if (cv_case_get(&ci, a, subjects_cases[i]) == 0 && ci.permanent)
			permanent = 1;
	}
	if (!strcmp(type, "access")) {
		snprintf(prop, 16, "grant");
		snprintf(ground, 320, "RGPD art. 15 : droit d'accès (les tiers sont occultés, CRPA L. 311-6)");
	} else if (!strcmp(type, "rectification")) {
		snprintf(prop, 16, "grant");
		snprintf(ground, 320, "RGPD art. 16 : droit de rectification (l'original est conservé comme preuve)");
	} else if (!strcmp(type, "restriction")) {
		snprintf(prop, 16, "grant");
		snprintf(ground, 320, "RGPD art. 18 : limitation du traitement");
	} else if (!strcmp(type, "erasure")) {
		snprintf(prop, 16, "refuse");
		snprintf(ground, 320, permanent
			? "RGPD art. 17(3)(b) ; CASF L. 147-6 et L. 224-7 : dossier conservé sans limite de durée pour l'accès aux origines"
			: "RGPD art. 17(3)(b) : conservation nécessaire au respect d'une obligation légale et à une mission "
			  "d'intérêt public (art. 6(1)(c),(e)) tant que court la durée de conservation");
	} else if (!strcmp(type, "portability")) {
		snprintf(prop, 16, "refuse");
		snprintf(ground, 320, "RGPD art. 20(3) : la portabilité ne s'applique pas à un traitement fondé sur une "
			"obligation légale ou une mission d'intérêt public");
	} else {
		snprintf(prop, 16, "weigh");
		snprintf(ground, 320, "RGPD art. 21(1) : à apprécier par le DPO (motifs légitimes et impérieux du Département, "
			"mission d'intérêt public)");
	}
}

CV_EXTERN(int) cv_request_open(cv_request **out, cv_archive *a, const cv_request_open_options *o)
{
	*out = NULL;
	if (!o || o->version != CV_REQUEST_OPEN_OPTIONS_VERSION)
		return cv__err(CV_EINVAL, "request open: unsupported options version");
	size_t ti = 0;
	while (TYPES[ti] && (!o->type || strcmp(TYPES[ti], o->type)))
		ti++;
	if (!TYPES[ti])
		return cv__err(CV_EINVAL, "request open: --type '%s' is not one of access, rectification, erasure, restriction, "
			"portability, objection", o->type ? o->type : "");
	if (!cv__date_valid(o->received))
		return cv__err(CV_EINVAL, "request open: --received '%s' is not a valid YYYY-MM-DD date", o->received ? o->received : "");
	char today[11];
	cv__date_today(today);
	if (strcmp(o->received, today) > 0)
		return cv__err(CV_EINVAL, "request open: --received %s is in the future", o->received);
	CV_TRY(cv__access_check(a, "request.open", o->type));
	/* The subjects: one person of one case, or every case where a person
	 * with that identity appears. */
	cv_request_subject *subs = NULL;
	size_t ns = 0;
	if (o->subject || o->case_id) {
		char id[40];
		if (!o->subject || !o->case_id)
			return cv__err(CV_EINVAL, "request open: give --subject PERSON with --case ID, or --last/--first/--born");
		CV_TRY(cv__case_resolve(a, o->case_id, id));
		sqlite3_stmt *st = NULL;
		CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT 1 FROM persons WHERE case_id=? AND pid=?"));
		cv__bind_text(st, 1, id);
		cv__bind_text(st, 2, o->subject);
		int found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (!found)
			return cv__err(CV_ENOTFOUND, "request open: case %s has no person '%s'", o->case_id, o->subject);
		subs = calloc(1, sizeof *subs);
		if (!subs)
			return cv__oom();
		snprintf(subs[0].case_id, sizeof subs[0].case_id, "%s", id);
		snprintf(subs[0].person, sizeof subs[0].person, "%s", o->subject);
		ns = 1;
	} else if (o->last) {
		cv_find_query q = CV_FIND_QUERY_INIT;
		q.last = o->last;
		q.first = o->first;
		q.born = o->born;
		cv_find_hit *h = NULL;
		size_t nh = 0;
		int rc = cv_case_find(&h, &nh, a, &q);
		if (rc)
			return rc;
		if (!nh) {
			cv_case_find_free(h);
			return cv__err(CV_ENOTFOUND, "request open: no person with that identity in the archive");
		}
		subs = calloc(nh, sizeof *subs);
		for (size_t i = 0; subs && i < nh; i++) {
			snprintf(subs[i].case_id, sizeof subs[i].case_id, "%s", h[i].case_id);
			snprintf(subs[i].person, sizeof subs[i].person, "%s", h[i].person);
		}
		ns = subs ? nh : 0;
		cv_case_find_free(h);
		if (!subs)
			return cv__oom();
	} else {
		return cv__err(CV_EINVAL, "request open: give --subject PERSON --case ID, or --last L [--first F] [--born D]");
	}
	char due[11], now[32], idh[65], prop[16], ground[320];
	cv__date_add_months(due, o->received, 1);
	cv__now_iso(now);
	unsigned char rnd[8];
	cv__random(rnd, sizeof rnd);
	cv__hex(idh, rnd, sizeof rnd);
	char rid[20];
	snprintf(rid, sizeof rid, "R%.12s", idh);
	const char **cases = calloc(ns, sizeof *cases);
	for (size_t i = 0; cases && i < ns; i++)
		cases[i] = subs[i].case_id;
	proposal_for(a, o->type, cases, cases ? ns : 0, prop, ground);
	free(cases);
	cv_buf note = CV_BUF_INIT;
	char ad[96];
	snprintf(ad, sizeof ad, "casevault/v1|%s|request-note", rid);
	int rc = 0;
	if (o->note && *o->note)
		rc = cv__box_seal(&note, a->k_afields, ad, o->note, strlen(o->note));
	cv_txn t;
	if (!rc)
		rc = cv__txn_begin(&t, a, "request");
	if (!rc) {
		sqlite3_stmt *st = NULL;
		rc = cv__txn_sql_begin(&t);
		if (!rc)
			rc = cv__catalog_prepare(a->cat, &st,
				"INSERT INTO requests(id,type,received,due,channel,note,state,opened_by,opened_at,proposal,proposal_ground)"
				" VALUES(?,?,?,?,?,?,'open',?,?,?,?)");
		if (!rc) {
			cv__bind_text(st, 1, rid);
			cv__bind_text(st, 2, o->type);
			cv__bind_text(st, 3, o->received);
			cv__bind_text(st, 4, due);
			cv__bind_text(st, 5, o->channel);
			cv__bind_blob(st, 6, note.len ? note.data : NULL, note.len);
			cv__bind_text(st, 7, a->actor);
			cv__bind_text(st, 8, now);
			cv__bind_text(st, 9, prop);
			cv__bind_text(st, 10, ground);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = cv__catalog_fail(a->cat, "store request");
			sqlite3_finalize(st);
		}
		for (size_t i = 0; !rc && i < ns; i++) {
			rc = cv__catalog_prepare(a->cat, &st, "INSERT OR IGNORE INTO request_subjects(request_id,case_id,person_id) VALUES(?,?,?)");
			if (!rc) {
				cv__bind_text(st, 1, rid);
				cv__bind_text(st, 2, subs[i].case_id);
				cv__bind_text(st, 3, subs[i].person);
				if (sqlite3_step(st) != SQLITE_DONE)
					rc = cv__catalog_fail(a->cat, "store request subject");
				sqlite3_finalize(st);
			}
		}
		char obj[256];
		snprintf(obj, sizeof obj, "request:%s type:%s received:%s due:%s subjects:%zu first:case:%s/%s", rid, o->type,
			o->received, due, ns, subs[0].case_id, subs[0].person);
		if (!rc)
			rc = cv__txn_journal(&t, "request.open", obj, "ok");
		if (!rc)
			rc = cv__txn_commit(&t);
		cv__txn_abort(&t);
	}
	cv__buf_dispose(&note);
	free(subs);
	if (rc)
		return rc;
	return cv_request_get(out, a, rid);
}

/* ------------------------------------------------------------------ */

#define REQ_COLS "id,type,state,received,due,extended_due,extension_reason,channel,opened_by,opened_at," \
	"identity_method,identity_by,identity_at,proposal,proposal_ground,decision,ground,decided_by,decided_at," \
	"fulfilled_by,fulfilled_at,outcome,certificate,extended_by,extended_at"

static int fill(cv_archive *a, sqlite3_stmt *st, cv_request *r)
{
	memset(r, 0, sizeof *r);
	cv__col_text(st, 0, r->id, sizeof r->id);
	cv__col_text(st, 1, r->type, sizeof r->type);
	cv__col_text(st, 2, r->state, sizeof r->state);
	cv__col_text(st, 3, r->received, sizeof r->received);
	cv__col_text(st, 4, r->due, sizeof r->due);
	cv__col_text(st, 5, r->extended_due, sizeof r->extended_due);
	snprintf(r->effective_due, sizeof r->effective_due, "%s", r->extended_due[0] ? r->extended_due : r->due);
	if (sqlite3_column_type(st, 6) == SQLITE_BLOB) {
		cv_buf p = CV_BUF_INIT;
		char ad[96];
		snprintf(ad, sizeof ad, "casevault/v1|%s|request-extension", r->id);
		if (cv__box_open(&p, a->k_afields, ad, sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6)) == 0)
			r->extension_reason = cv__buf_detach(&p);
		cv__buf_dispose(&p);
	}
	cv__col_text(st, 7, r->channel, sizeof r->channel);
	cv__col_text(st, 8, r->opened_by, sizeof r->opened_by);
	cv__col_text(st, 9, r->opened_at, sizeof r->opened_at);
	cv__col_text(st, 10, r->identity_method, sizeof r->identity_method);
	cv__col_text(st, 11, r->identity_by, sizeof r->identity_by);
	cv__col_text(st, 12, r->identity_at, sizeof r->identity_at);
	cv__col_text(st, 13, r->proposal, sizeof r->proposal);
	cv__col_text(st, 14, r->proposal_ground, sizeof r->proposal_ground);
	cv__col_text(st, 15, r->decision, sizeof r->decision);
	cv__col_text(st, 16, r->ground, sizeof r->ground);
	cv__col_text(st, 17, r->decided_by, sizeof r->decided_by);
	cv__col_text(st, 18, r->decided_at, sizeof r->decided_at);
	cv__col_text(st, 19, r->fulfilled_by, sizeof r->fulfilled_by);
	cv__col_text(st, 20, r->fulfilled_at, sizeof r->fulfilled_at);
	cv__col_text(st, 21, r->outcome, sizeof r->outcome);
	if (sqlite3_column_type(st, 22) != SQLITE_NULL) {
		size_t n = (size_t)sqlite3_column_bytes(st, 22);
		r->certificate = malloc(n + 1);
		if (r->certificate) {
			memcpy(r->certificate, sqlite3_column_blob(st, 22), n);
			r->certificate[n] = '\0';
		}
	}
	cv__col_text(st, 23, r->extended_by, sizeof r->extended_by);
	cv__col_text(st, 24, r->extended_at, sizeof r->extended_at);
	sqlite3_stmt *s2 = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &s2,
		"SELECT s.case_id, c.ref, s.person_id FROM request_subjects s JOIN cases c ON c.id=s.case_id"
		" WHERE s.request_id=? ORDER BY c.ref, s.person_id"));
	cv__bind_text(s2, 1, r->id);
	size_t cap = 0;
	while (sqlite3_step(s2) == SQLITE_ROW) {
		if (r->nsubjects == cap) {
			cap = cap ? cap * 2 : 4;
			cv_request_subject *p = realloc(r->subjects, cap * sizeof *p);
			if (!p)
				break;
			r->subjects = p;
		}
		cv_request_subject *x = &r->subjects[r->nsubjects++];
		cv__col_text(s2, 0, x->case_id, sizeof x->case_id);
		cv__col_text(s2, 1, x->ref, sizeof x->ref);
		cv__col_text(s2, 2, x->person, sizeof x->person);
	}
	sqlite3_finalize(s2);
	return 0;
}

static void release(cv_request *r)
{
	free(r->subjects);
	free(r->certificate);
	if (r->extension_reason)
		cv__wipe_free(r->extension_reason, strlen(r->extension_reason));
}

CV_EXTERN(int) cv_request_get(cv_request **out, cv_archive *a, const char *id)
{
	*out = NULL;
	CV_TRY(cv__access_check(a, "request.show", id));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT " REQ_COLS " FROM requests WHERE id=?"));
	cv__bind_text(st, 1, id);
	int rc = 0;
	cv_request *r = NULL;
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = cv__err(CV_ENOTFOUND, "no rights request '%s' (see 'casevault request list')", id ? id : "");
	else if (!(r = calloc(1, sizeof *r)))
		rc = cv__oom();
	else
		rc = fill(a, st, r);
	sqlite3_finalize(st);
	if (rc) {
		if (r) {
			release(r);
			free(r);
		}
		return rc;
	}
	*out = r;
	return 0;
}

CV_EXTERN(void) cv_request_free(cv_request *r)
{
	if (r) {
		release(r);
		free(r);
	}
}

CV_EXTERN(int) cv_request_list(cv_request **out, size_t *count, cv_archive *a, const cv_request_filter *f)
{
	cv_request_filter def = CV_REQUEST_FILTER_INIT;
	char today[11];
	*out = NULL;
	*count = 0;
	if (!f)
		f = &def;
	if (f->as_of && !cv__date_valid(f->as_of))
		return cv__err(CV_EINVAL, "request list: --as-of '%s' is not a valid date", f->as_of);
	cv__date_today(today);
	const char *as_of = f->as_of ? f->as_of : today;
	CV_TRY(cv__access_check(a, "request.list", ""));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT " REQ_COLS " FROM requests ORDER BY coalesce(extended_due,due), id"));
	size_t n = 0, cap = 0;
	cv_request *list = NULL;
	int rc = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		cv_request r;
		if ((rc = fill(a, st, &r)))
			break;
		int open = strcmp(r.state, "fulfilled") != 0;
		int64_t days = 0;
		cv__date_diff_days(as_of, r.effective_due, &days);
		int keep = 1;
		if (f->overdue && !(open && days < 0))
			keep = 0;
		if (f->due_within >= 0 && !(open && days >= 0 && days <= f->due_within))
			keep = 0;
		if (!keep) {
			release(&r);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			cv_request *p = realloc(list, cap * sizeof *p);
			if (!p) {
				release(&r);
				rc = cv__oom();
				break;
			}
			list = p;
		}
		list[n++] = r;
	}
	sqlite3_finalize(st);
	if (rc) {
		cv_request_list_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(void) cv_request_list_free(cv_request *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++)
		release(&list[i]);
	free(list);
}

/* ------------------------------------------------------------------ */

static int load_for_change(cv_archive *a, const char *id, const char *action, cv_request **r)
{
	char obj[64];
	snprintf(obj, sizeof obj, "request:%.40s", id ? id : "");
	CV_TRY(cv__access_check(a, action, obj));
	return cv_request_get(r, a, id);
}

static int update_req(cv_archive *a, const char *id, const char *action, const char *sql, const char *p2, const char *p3,
	const void *blob, size_t blen, const char *obj_extra)
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
	if (!rc)
		rc = cv__txn_journal(&t, action, obj, "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	return rc;
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
	CV_TRY(load_for_change(a, id, "request.extend", &r));
	int rc = 0;
	const char *when = today;
	char newdue[11];
	if (r->extended_due[0])
		rc = cv__err(CV_EREFUSED, "request extend: request %s was already extended (to %s); GDPR art. 12(3) allows one "
			"extension", r->id, r->extended_due);
	else if (!strcmp(r->state, "fulfilled"))
		rc = cv__err(CV_ESTATE, "request extend: request %s is already fulfilled", r->id);
	else if (strcmp(when, r->due) > 0)
		rc = cv__err(CV_EREFUSED, "request extend: too late — the first deadline of request %s was %s; an extension "
			"must be decided and told to the requester within the first month (GDPR art. 12(3))", r->id, r->due);
	if (rc) {
		char obj[64];
		snprintf(obj, sizeof obj, "request:%s", r->id);
		cv__journal_record(a->cat, a->actor, "request.extend", obj, "refused");
		cv_request_free(r);
		return rc;
	}
	cv__date_add_months(newdue, r->received, 3);
	cv_buf box = CV_BUF_INIT;
	char ad[96];
	snprintf(ad, sizeof ad, "casevault/v1|%s|request-extension", r->id);
	rc = cv__box_seal(&box, a->k_afields, ad, reason, strlen(reason));
	char extra[64];
	snprintf(extra, sizeof extra, "due:%s", newdue);
	if (!rc)
		rc = update_req(a, r->id, "request.extend",
			"UPDATE requests SET extended_due=?2, extended_by=?4, extended_at=?5, extension_reason=?6 WHERE id=?1 AND ?3 IS NULL",
			newdue, NULL, box.data, box.len, extra);
	cv__buf_dispose(&box);
	cv_request_free(r);
	return rc;
}

CV_EXTERN(int) cv_request_verify_identity(cv_archive *a, const char *id, const char *method)
{
	if (!method || !*method || strlen(method) > 60)
		return cv__err(CV_EINVAL, "request verify-identity: give the method with --method (e.g. 'pièce d'identité au guichet')");
	cv_request *r = NULL;
	CV_TRY(load_for_change(a, id, "request.verify_identity", &r));
	int rc = strcmp(r->state, "fulfilled") ? 0 : cv__err(CV_ESTATE, "request %s is already fulfilled", r->id);
	if (!rc)
		rc = update_req(a, r->id, "request.verify_identity",
			"UPDATE requests SET identity_method=?2, identity_by=?4, identity_at=?5 WHERE id=?1 AND ?3 IS NULL", method,
			NULL, NULL, 0, NULL);
	cv_request_free(r);
	return rc;
}

CV_EXTERN(int) cv_request_decide(cv_archive *a, const char *id, const char *decision, const char *ground, const char *credential)
{
	char obj[96];
	if (!decision || (strcmp(decision, "grant") && strcmp(decision, "refuse") && strcmp(decision, "partial")))
		return cv__err(CV_EINVAL, "request decide: the decision is --grant, --refuse or --partial");
	if (!ground || !*ground)
		return cv__err(CV_EINVAL, "request decide: give the legal ground with --ground (e.g. 'RGPD art. 17(3)(b)')");
	snprintf(obj, sizeof obj, "request:%.40s", id ? id : "");
	/* A decision reserved to the DPO: not even an admin may take it. */
	CV_TRY(cv__access_check(a, "request.decide", obj));
	cv_request *r = NULL;
	CV_TRY(cv_request_get(&r, a, id));
	int rc = 0;
	if (strcmp(r->state, "open"))
		rc = cv__err(CV_ESTATE, "request decide: request %s is already %s", r->id, r->state);
	if (!rc) {
		sqlite3_stmt *st = NULL;
		rc = cv__catalog_prepare(a->cat, &st, "SELECT credential FROM users WHERE name=?");
		char *stored = NULL;
		if (!rc) {
			cv__bind_text(st, 1, a->actor);
			if (sqlite3_step(st) == SQLITE_ROW)
				stored = cv__col_strdup(st, 0);
			sqlite3_finalize(st);
		}
		if (!rc)
			rc = credential && *credential ? cv__credential_check(stored, credential)
				: cv__err(CV_EAUTH, "no credential given");
		free(stored);
		if (rc) {
			cv__journal_record(a->cat, a->actor, "request.decide", obj, "denied");
			rc = cv__err(CV_EAUTH, "request decide: %s (user %s); nothing decided", cv_error_last()->message, a->actor);
		}
	}
	char extra[64];
	snprintf(extra, sizeof extra, "decision:%s proposal:%s", decision, r->proposal);
	if (!rc)
		rc = update_req(a, r->id, "request.decide",
			"UPDATE requests SET decision=?2, ground=?3, decided_by=?4, decided_at=?5, state='decided' WHERE id=?1", decision,
			ground, NULL, 0, extra);
	cv_request_free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* fulfilment                                                          */

static int restrict_subjects(cv_archive *a, cv_request *r, cv_txn *t, int on)
{
	char now[32];
	cv__now_iso(now);
	for (size_t i = 0; i < r->nsubjects; i++) {
		sqlite3_stmt *st = NULL;
		CV_TRY(cv__catalog_prepare(a->cat, &st, on
			? "INSERT OR REPLACE INTO restrictions(case_id,person_id,request_id,since) VALUES(?1,?2,?3,?4)"
			: "DELETE FROM restrictions WHERE case_id=?1 AND person_id=?2 AND request_id=?3 AND ?4 IS NOT NULL"));
		cv__bind_text(st, 1, r->subjects[i].case_id);
		cv__bind_text(st, 2, r->subjects[i].person);
		cv__bind_text(st, 3, r->id);
		cv__bind_text(st, 4, now);
		int s = sqlite3_step(st);
		sqlite3_finalize(st);
		if (s != SQLITE_DONE)
			return cv__catalog_fail(a->cat, "record restriction");
		CV_TRY(cv__catalog_prepare(a->cat, &st,
			"UPDATE cases SET restricted=(SELECT count(*)>0 FROM restrictions WHERE case_id=?1) WHERE id=?1"));
		cv__bind_text(st, 1, r->subjects[i].case_id);
		s = sqlite3_step(st);
		sqlite3_finalize(st);
		if (s != SQLITE_DONE)
			return cv__catalog_fail(a->cat, "mark restriction");
		cv_case_key k;
		if (cv__case_key_load(a, r->subjects[i].case_id, &k) == 0) {
			int rc = cv__case_rebuild_tree(t, r->subjects[i].case_id, &k);
			cv__case_key_wipe(&k);
			CV_TRY(rc);
		}
	}
	return 0;
}


static int rectify(cv_archive *a, cv_request *r, const cv_request_fulfil_options *o, cv_txn *t, char *outcome, size_t on)
{
	const cv_request_subject *s = NULL;
	char want[40] = "";
	if (o->case_id)
		CV_TRY(cv__case_resolve(a, o->case_id, want));
	for (size_t i = 0; i < r->nsubjects; i++)
		if (!want[0] || !strcmp(want, r->subjects[i].case_id)) {
			if (s)
				return cv__err(CV_EINVAL, "request fulfil: the request covers several cases; say which with --case");
			s = &r->subjects[i];
		}
	if (!s)
		return cv__err(CV_EINVAL, "request fulfil: case %s is not covered by request %s", o->case_id, r->id);
	cv_case_key k;
	int rc = cv__case_key_load(a, s->case_id, &k);
	if (rc)
		return rc;
	char note[128];
	snprintf(note, sizeof note, "rectification: request %s", r->id);
	if (o->doc) {
		unsigned rev = 0;
		rc = cv__doc_revise(t, s->case_id, &k, o->doc, o->content, o->content_len, note, &rev);
		cv_rectification rec = { "document", "", "", "", rev, NULL };
		snprintf(rec.target, sizeof rec.target, "%s", o->doc);
		snprintf(rec.request, sizeof rec.request, "%s", r->id);
		if (!rc)
			rc = cv__rect_record(a, s->case_id, &k, &rec);
		snprintf(outcome, on, "document %s of case %s rectified (revision %u); earlier revisions kept as evidence", o->doc,
			s->case_id, rev);
	} else {
		cv_person *ps = NULL;
		size_t np = 0;
		rc = cv__persons_load(a, s->case_id, &k, &ps, &np);
		cv_person *p = NULL;
		for (size_t i = 0; !rc && i < np; i++)
			if (!strcmp(ps[i].id, s->person))
				p = &ps[i];
		if (!rc && !p)
			rc = cv__err(CV_ENOTFOUND, "person %s is not in case %s", s->person, s->case_id);
		if (!rc)
			rc = cv__person_set_field(p, o->field, o->value);
		if (rc)
			cv__err_prefix("request fulfil");
		if (!rc) {
			char *json = cv__person_to_json(p), where[64];
			cv_buf box = CV_BUF_INIT;
			snprintf(where, sizeof where, "person:%s", p->id);
			rc = json ? cv__case_box(&box, &k, s->case_id, where, json, strlen(json)) : cv__oom();
			if (json) {
				cv__wipe(json, strlen(json));
				free(json);
			}
			sqlite3_stmt *st = NULL;
			if (!rc)
				rc = cv__catalog_prepare(a->cat, &st, "UPDATE persons SET identity=? WHERE case_id=? AND pid=?");
			if (!rc) {
				cv__bind_blob(st, 1, box.data, box.len);
				cv__bind_text(st, 2, s->case_id);
				cv__bind_text(st, 3, p->id);
				if (sqlite3_step(st) != SQLITE_DONE)
					rc = cv__catalog_fail(a->cat, "rectify person");
				sqlite3_finalize(st);
			}
			cv__buf_dispose(&box);
			cv_rectification rec = { "person", "", "", "", 0, (char *)o->value };
			snprintf(rec.target, sizeof rec.target, "%s", p->id);
			snprintf(rec.field, sizeof rec.field, "%s", o->field);
			snprintf(rec.request, sizeof rec.request, "%s", r->id);
			if (!rc)
				rc = cv__rect_record(a, s->case_id, &k, &rec);
			if (!rc)
				rc = cv__catalog_prepare(a->cat, &st, "DELETE FROM blind WHERE case_id=? AND pid=?");
			if (!rc) {
				cv__bind_text(st, 1, s->case_id);
				cv__bind_text(st, 2, p->id);
				sqlite3_step(st);
				sqlite3_finalize(st);
				rc = cv__catalog_prepare(a->cat, &st, "INSERT INTO blind(case_id,pid,field,tag) VALUES(?,?,?,?)");
				if (!rc)
					rc = cv__blind_index_person(a, s->case_id, st, p);
				sqlite3_finalize(st);
			}
		}
		for (size_t i = 0; i < np; i++)
			cv__person_free_fields(&ps[i]);
		free(ps);
		snprintf(outcome, on, "field %s of person %s in case %s rectified; the earlier case manifest stays in the history "
			"as evidence", o->field, s->person, s->case_id);
	}
	if (!rc)
		rc = cv__case_rebuild_tree(t, s->case_id, &k);
	cv__case_key_wipe(&k);
	return rc;
}

static int erase(cv_archive *a, cv_request *r, cv_txn *t, char *outcome, size_t on, char **certificate)
{
	json_t *cases = json_array();
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nsubjects; i++) {
		const cv_request_subject *s = &r->subjects[i];
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(r->subjects[j].case_id, s->case_id);
		if (dup)
			continue;
		cv_case_info ci;
		rc = cv_case_get(&ci, a, s->case_id);
		if (!rc && ci.on_hold)
			rc = cv__err(CV_EREFUSED, "request fulfil: case %s is under a legal hold (GDPR art. 17(3)(e)); lift it first",
				ci.ref);
		if (!rc && ci.permanent)
			rc = cv__err(CV_EREFUSED, "request fulfil: case %s is kept permanently for access to origins (CASF L. 147-6)",
				ci.ref);
		char key_id[33] = "";
		if (!rc && (!strcmp(ci.state, "active") || !strcmp(ci.state, "archived")))
			rc = cv__case_shred(t, s->case_id, 0, NULL, 0, key_id);
		if (!rc)
			json_array_append_new(cases, json_pack("{s:s,s:s,s:o}", "case", s->case_id, "ref", ci.ref, "key_id",
				key_id[0] ? json_string(key_id) : json_null()));
	}
	char now[32];
	cv__now_iso(now);
	if (!rc) {
		json_t *cert = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:O}", "format", "casevault-erasure-certificate", "archive", a->id,
			"request", r->id, "decision", r->decision, "date", now, "by", a->actor, "destroyed", cases);
		*certificate = json_dumps(cert, JSON_INDENT(1) | JSON_SORT_KEYS);
		json_decref(cert);
		snprintf(outcome, on, "erased by crypto-shredding: %zu case key%s destroyed", json_array_size(cases),
			json_array_size(cases) > 1 ? "s" : "");
	}
	json_decref(cases);
	(void)t;
	return rc;
}

CV_EXTERN(int) cv_request_fulfil(cv_archive *a, const char *id, const cv_request_fulfil_options *o)
{
	cv_request_fulfil_options def = CV_REQUEST_FULFIL_OPTIONS_INIT;
	if (!o)
		o = &def;
	cv_request *r = NULL;
	CV_TRY(load_for_change(a, id, "request.fulfil", &r));
	char obj[160];
	snprintf(obj, sizeof obj, "request:%s", r->id);
	int rc = 0;
	if (!strcmp(r->state, "fulfilled"))
		rc = cv__err(CV_ESTATE, "request fulfil: request %s is already fulfilled", r->id);
	else if (!r->identity_at[0])
		rc = cv__err(CV_EREFUSED, "request fulfil: the requester's identity has not been checked; record it first with "
			"'casevault request verify-identity %s --method M'", r->id);
	else if (!r->decision[0])
		rc = cv__err(CV_EREFUSED, "request fulfil: request %s has no decision yet (the DPO decides with 'casevault request "
			"decide %s --grant|--refuse|--partial --ground G'; proposed: %s, %s)", r->id, r->id, r->proposal, r->proposal_ground);
	if (rc) {
		cv__journal_record(a->cat, a->actor, "request.fulfil", obj, "refused");
		cv_request_free(r);
		return rc;
	}
	int granted = strcmp(r->decision, "refuse") != 0;
	const char *type = r->type;
	char outcome[512] = "";
	char *certificate = NULL;
	cv_export_result xr;
	memset(&xr, 0, sizeof xr);
	/* Copies are written before the transaction (they make their own). */
	if (granted && (!strcmp(type, "access") || !strcmp(type, "portability"))) {
		if (!o->out_path) {
			cv_request_free(r);
			return cv__err(CV_EINVAL, "request fulfil: an access or portability request needs --out FILE.zip");
		}
		cv_export_target *tg = calloc(r->nsubjects, sizeof *tg);
		if (!tg) {
			cv_request_free(r);
			return cv__oom();
		}
		size_t nt = 0;
		for (size_t i = 0; i < r->nsubjects; i++) {
			cv_case_info ci;
			if (cv_case_get(&ci, a, r->subjects[i].case_id) == 0 && (!strcmp(ci.state, "active") || !strcmp(ci.state, "archived"))) {
				snprintf(tg[nt].case_id, sizeof tg[nt].case_id, "%s", r->subjects[i].case_id);
				snprintf(tg[nt].person, sizeof tg[nt].person, "%s", r->subjects[i].person);
				nt++;
			}
		}
		cv_export_options eo = CV_EXPORT_OPTIONS_INIT;
		eo.requester = tg[0].person;
		eo.out_path = o->out_path;
		eo.password = o->password;
		eo.note = o->note;
		eo.purpose = "gdpr";
		char root[64];
		snprintf(root, sizeof root, "%s-%s", !strcmp(type, "access") ? "acces" : "portabilite", r->id);
		rc = nt ? cv__export_bag(&xr, a, tg, nt, &eo, root, r->id)
			: cv__err(CV_ESTATE, "request fulfil: the subject's cases were anonymised; nothing is left to communicate");
		free(tg);
		if (!rc)
			snprintf(outcome, sizeof outcome, "%s copy %s (%u documents, zip sha256 %s)", type, xr.id, xr.documents,
				xr.zip_sha256);
		if (rc) {
			cv_request_free(r);
			return rc;
		}
	}
	if (granted && !strcmp(type, "rectification") && !o->doc && !(o->field && o->value)) {
		cv_request_free(r);
		return cv__err(CV_EINVAL, "request fulfil: a rectification needs --doc DOC --file F (the rectified document) or "
			"--field NAME --value V");
	}
	cv_txn t;
	rc = cv__txn_begin(&t, a, "request fulfil");
	if (!rc)
		rc = cv__txn_sql_begin(&t);
	if (!rc && granted) {
		if (!strcmp(type, "rectification"))
			rc = rectify(a, r, o, &t, outcome, sizeof outcome);
		else if (!strcmp(type, "restriction") || !strcmp(type, "objection")) {
			rc = restrict_subjects(a, r, &t, 1);
			snprintf(outcome, sizeof outcome, "processing restricted for %zu subject%s: only storage, legal claims and "
				"the subject's own access", r->nsubjects, r->nsubjects > 1 ? "s" : "");
		} else if (!strcmp(type, "erasure"))
			rc = erase(a, r, &t, outcome, sizeof outcome, &certificate);
	} else if (!rc && !granted) {
		snprintf(outcome, sizeof outcome, "refusal notified to the requester, ground: %.400s", r->ground);
	}
	char now[32];
	cv__now_iso(now);
	if (!rc) {
		sqlite3_stmt *st = NULL;
		rc = cv__catalog_prepare(a->cat, &st,
			"UPDATE requests SET state='fulfilled', fulfilled_by=?2, fulfilled_at=?3, outcome=?4, certificate=?5 WHERE id=?1");
		if (!rc) {
			cv__bind_text(st, 1, r->id);
			cv__bind_text(st, 2, a->actor);
			cv__bind_text(st, 3, now);
			cv__bind_text(st, 4, outcome);
			cv__bind_blob(st, 5, certificate, certificate ? strlen(certificate) : 0);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = cv__catalog_fail(a->cat, "close request");
			sqlite3_finalize(st);
		}
	}
	char jobj[400];
	snprintf(jobj, sizeof jobj, "request:%s type:%s decision:%s action:%s%s%s", r->id, type, r->decision,
		granted ? (!strcmp(type, "access") || !strcmp(type, "portability") ? "copy" : !strcmp(type, "erasure") ? "shred"
			: !strcmp(type, "rectification") ? "rectify" : "restrict") : "notify-refusal",
		xr.id[0] ? " export:" : "", xr.id);
	if (!rc)
		rc = cv__txn_journal(&t, "request.fulfil", jobj, "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	if (!rc && !strcmp(type, "erasure") && granted)
		cv__catalog_checkpoint(a->cat);
	free(certificate);
	if (rc && xr.id[0]) {
		/* the copy exists but the request is not closed: say so */
		cv__err_prefix("the copy %s was written but request %s is not marked fulfilled", o->out_path, r->id);
	}
	cv_request_free(r);
	return rc;
}

CV_EXTERN(int) cv_request_lift(cv_archive *a, const char *id, const char *reason)
{
	if (!reason || !*reason)
		return cv__err(CV_EINVAL, "request lift: give the reason with --reason");
	cv_request *r = NULL;
	CV_TRY(load_for_change(a, id, "request.lift", &r));
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
			rc = restrict_subjects(a, r, &t, 0);
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

