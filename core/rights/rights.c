/* Fulfilment of a decided rights request: the access (or portability) copy,
 * the rectification of a document or a person's field, the erasure by
 * crypto-shredding with its certificate, the restriction of processing; or,
 * for a refusal, the record that the requester was told. The requester's
 * identity must have been checked and the DPO must have decided first. */
#include "rights/rights_internal.h"
#include "util/json.h"
#include "engine/identity.h"
#include "engine/signatures.h"
#include "records/persons.h"
#include "records/docs.h"
#include "export/export_internal.h"
#include "records/case_tree.h"
#include "records/cases.h"
#include "records/rectify.h"
#include "records/lifecycle.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/wipe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <unistd.h>

int cv__request_restrict(cv_archive *a, cv_request *r, cv_txn *t, int on)
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

/* ------------------------------------------------------------------ */
/* rectification                                                        */

/* The subject whose case is rectified: the only one, or the one in the
 * case the caller names. */
static int rectified_subject(const cv_request_subject **out, cv_archive *a, cv_request *r, const char *case_ref)
{
	const cv_request_subject *s = NULL;
	char want[40] = "";
	if (case_ref)
		CV_TRY(cv__case_resolve(a, case_ref, want));
	for (size_t i = 0; i < r->nsubjects; i++)
		if (!want[0] || !strcmp(want, r->subjects[i].case_id)) {
			if (s)
				return cv__err(CV_EINVAL, "request fulfil: the request covers several cases; the case to rectify "
					"must be named");
			s = &r->subjects[i];
		}
	if (!s)
		return cv__err(CV_EINVAL, "request fulfil: case %s is not covered by request %s", case_ref, r->id);
	*out = s;
	return 0;
}

/* A new revision of the document; earlier ones stay as evidence. */
static int rectify_document(cv_archive *a, cv_request *r, const cv_request_fulfil_options *o, cv_txn *t,
	const cv_request_subject *s, const cv_case_key *k, char *outcome, size_t on)
{
	char note[128];
	unsigned rev = 0;
	snprintf(note, sizeof note, "rectification: request %s", r->id);
	int rc = cv__doc_revise(t, s->case_id, k, o->doc, o->content, o->content_len, note, &rev);
	cv_rectification rec = { "document", "", "", "", rev, NULL };
	snprintf(rec.target, sizeof rec.target, "%s", o->doc);
	snprintf(rec.request, sizeof rec.request, "%s", r->id);
	if (!rc)
		rc = cv__rect_record(a, s->case_id, k, &rec);
	snprintf(outcome, on, "document %s of case %s rectified (revision %u); earlier revisions kept as evidence", o->doc,
		s->case_id, rev);
	return rc;
}

/* The person's identity box rewritten, and their blind-index tags with it. */
static int person_store(cv_archive *a, const char *case_id, const cv_case_key *k, const cv_person *p)
{
	char *json = cv__person_to_json(p), where[64];
	cv_buf box = CV_BUF_INIT;
	snprintf(where, sizeof where, "person:%s", p->id);
	int rc = json ? cv__case_box(&box, k, case_id, where, json, strlen(json)) : cv__oom();
	if (json) {
		cv__wipe(json, strlen(json));
		free(json);
	}
	sqlite3_stmt *st = NULL;
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "UPDATE persons SET identity=? WHERE case_id=? AND pid=?");
	if (!rc) {
		cv__bind_blob(st, 1, box.data, box.len);
		cv__bind_text(st, 2, case_id);
		cv__bind_text(st, 3, p->id);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "rectify person");
		sqlite3_finalize(st);
	}
	cv__buf_dispose(&box);
	return rc;
}

static int person_reindex(cv_archive *a, const char *case_id, const cv_person *p)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "DELETE FROM blind WHERE case_id=? AND pid=?"));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, p->id);
	sqlite3_step(st);
	sqlite3_finalize(st);
	int rc = cv__catalog_prepare(a->cat, &st, "INSERT INTO blind(case_id,pid,field,tag) VALUES(?,?,?,?)");
	if (!rc)
		rc = cv__blind_index_person(a, case_id, st, p);
	sqlite3_finalize(st);
	return rc;
}

/* One field of the subject's identity; the earlier manifest stays in the
 * history as evidence. */
static int rectify_person(cv_archive *a, cv_request *r, const cv_request_fulfil_options *o, const cv_request_subject *s,
	const cv_case_key *k, char *outcome, size_t on)
{
	cv_person *ps = NULL;
	size_t np = 0;
	int rc = cv__persons_load(a, s->case_id, k, &ps, &np);
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
	if (!rc)
		rc = person_store(a, s->case_id, k, p);
	if (p) {
		cv_rectification rec = { "person", "", "", "", 0, (char *)o->value };
		snprintf(rec.target, sizeof rec.target, "%s", p->id);
		snprintf(rec.field, sizeof rec.field, "%s", o->field);
		snprintf(rec.request, sizeof rec.request, "%s", r->id);
		if (!rc)
			rc = cv__rect_record(a, s->case_id, k, &rec);
		if (!rc)
			rc = person_reindex(a, s->case_id, p);
	}
	for (size_t i = 0; i < np; i++)
		cv__person_free_fields(&ps[i]);
	free(ps);
	snprintf(outcome, on, "field %s of person %s in case %s rectified; the earlier case manifest stays in the history "
		"as evidence", o->field, s->person, s->case_id);
	return rc;
}

static int rectify(cv_archive *a, cv_request *r, const cv_request_fulfil_options *o, cv_txn *t, char *outcome, size_t on)
{
	const cv_request_subject *s = NULL;
	CV_TRY(rectified_subject(&s, a, r, o->case_id));
	cv_case_key k;
	CV_TRY(cv__case_key_load(a, s->case_id, &k));
	int rc = o->doc ? rectify_document(a, r, o, t, s, &k, outcome, on) : rectify_person(a, r, o, s, &k, outcome, on);
	if (!rc)
		rc = cv__case_rebuild_tree(t, s->case_id, &k);
	cv__case_key_wipe(&k);
	return rc;
}

/* ------------------------------------------------------------------ */
/* erasure                                                              */

/* Each case once, however many of its persons the request names. */
static int erase_case(cv_archive *a, cv_txn *t, const cv_request *r, const cv_request_subject *s, json_t *cases)
{
	cv_case_info ci;
	CV_TRY(cv_case_get(&ci, a, s->case_id));
	if (ci.on_hold)
		return cv__err(CV_EREFUSED, "request fulfil: case %s is under a legal hold (GDPR art. 17(3)(e)); lift it first",
			ci.ref);
	if (ci.permanent)
		return cv__err(CV_EREFUSED, "request fulfil: case %s is kept permanently for access to origins (CASF L. 147-6)",
			ci.ref);
	char key_id[33] = "";
	if (!strcmp(ci.state, "active") || !strcmp(ci.state, "archived")) {
		CV_TRY(cv__case_shred(t, s->case_id, 0, NULL, 0, key_id));
		/* each shredded case names the signed decision it rests on (verify
		 * treats a case without a key and without one as damage) */
		char obj[160];
		snprintf(obj, sizeof obj, "case:%s request:%s key:%s", s->case_id, r->id, key_id);
		CV_TRY(cv__txn_journal(t, "case.erase", obj, "ok"));
	}
	json_t *exported = cv__key_exports(a, s->case_id);
	if (!exported)
		return cv_error_last()->code ? cv_error_last()->code : cv__oom();
	json_array_append_new(cases, json_pack("{s:s,s:s,s:o,s:o}", "case", s->case_id, "ref", ci.ref, "key_id",
		key_id[0] ? json_string(key_id) : json_null(), "keys_exported", exported));
	return 0;
}

static int erase(cv_archive *a, cv_request *r, cv_txn *t, char *outcome, size_t on, char **certificate)
{
	json_t *cases = json_array();
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nsubjects; i++) {
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(r->subjects[j].case_id, r->subjects[i].case_id);
		if (!dup)
			rc = erase_case(a, t, r, &r->subjects[i], cases);
	}
	char now[32];
	cv__now_iso(now);
	if (!rc) {
		json_t *cert = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:O}", "format", "casevault-erasure-certificate", "archive", a->id,
			"request", r->id, "decision", r->decision, "date", now, "by", a->actor, "destroyed", cases);
		for (size_t i = 0; cert && i < json_array_size(cases); i++)
			if (json_array_size(json_object_get(json_array_get(cases, i), "keys_exported")))
				json_object_set_new(cert, "warning", json_string("the key of a case listed under keys_exported was "
					"handed out (key case) before the erasure: whoever holds that copy can still open the case's "
					"history; the erasure does not reach it"));
		*certificate = cv__json_dumps(cert, JSON_INDENT(1) | JSON_SORT_KEYS);
		json_decref(cert);
		snprintf(outcome, on, "erased by crypto-shredding: %zu case key%s destroyed", json_array_size(cases),
			json_array_size(cases) > 1 ? "s" : "");
	}
	json_decref(cases);
	return rc;
}

/* ------------------------------------------------------------------ */
/* access and portability                                               */

/* The copy is written as "<out>.pending" and takes its name only once the
 * request's commit has recorded it: a fulfilment killed before its commit
 * leaves no file under the name the requester will be given, and the next
 * attempt (tests/crash, pending_fulfil_copy.py) replaces what it left. */
static char *pending_path(const char *out)
{
	size_t n = strlen(out) + sizeof ".pending";
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s.pending", out);
	return p;
}

/* Remove what a killed attempt left: "<out>.pending" and the copy writer's
 * "<out>.pending.tmp-XXXXXX" files (names only casevault makes). */
static void pending_clear(const char *pending)
{
	unlink(pending);
	const char *slash = strrchr(pending, '/');
	char dir[4096];
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - pending) : 1, slash ? pending : ".");
	if (slash == pending)
		snprintf(dir, sizeof dir, "/");
	const char *base = slash ? slash + 1 : pending;
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t bl = strlen(base);
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, base, bl) || strncmp(e->d_name + bl, ".tmp-", 5) || strlen(e->d_name + bl) != 11)
			continue;
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

/* After the commit: the copy takes its name (never over another file). */
static int pending_publish(const char *pending, const char *out)
{
	if (link(pending, out) < 0)
		return cv__err(CV_ERROR, "request fulfil: the request is fulfilled and its copy recorded, but the copy could not "
			"be named %s (%s): it is in %s", out, strerror(errno), pending);
	unlink(pending);
	return cv__fsync_parent(out);
}

/* The copy covers every case of the subject that still holds data. It is
 * written first; its record opens the request's transaction t, left open
 * on success: the copy is recorded and the request closed in one commit
 * (tests/fault found a copy recorded for a request left open, then a
 * second copy made by the next attempt). */
static int fulfil_copy(cv_export_result *xr, cv_archive *a, cv_request *r, const cv_request_fulfil_options *o,
	const char *pending, char *outcome, size_t on, cv_txn *t)
{
	if (!o->out_path)
		return cv__err(CV_EINVAL, "request fulfil: an access or portability request needs a file to write the copy to");
	if (cv__exists(o->out_path))
		return cv__err(CV_EEXISTS, "%s already exists; refusing to overwrite it", o->out_path);
	pending_clear(pending);
	cv_export_target *tg = calloc(r->nsubjects, sizeof *tg);
	if (!tg)
		return cv__oom();
	size_t nt = 0;
	for (size_t i = 0; i < r->nsubjects; i++) {
		cv_case_info ci;
		int g = cv_case_get(&ci, a, r->subjects[i].case_id);
		if (g && g != CV_ENOTFOUND) {
			/* a case that could not be read is not a case left out of the copy */
			free(tg);
			return g;
		}
		if (g == 0 && (!strcmp(ci.state, "active") || !strcmp(ci.state, "archived"))) {
			snprintf(tg[nt].case_id, sizeof tg[nt].case_id, "%s", r->subjects[i].case_id);
			snprintf(tg[nt].person, sizeof tg[nt].person, "%s", r->subjects[i].person);
			nt++;
		}
	}
	cv_export_options eo = CV_EXPORT_OPTIONS_INIT;
	eo.requester = tg[0].person;
	eo.out_path = pending;
	eo.password = o->password;
	eo.note = o->note;
	eo.purpose = "gdpr";
	char root[64];
	snprintf(root, sizeof root, "%s-%s", !strcmp(r->type, "access") ? "acces" : "portabilite", r->id);
	int rc = nt ? cv__export_bag(xr, a, tg, nt, &eo, root, r->id, t)
		: cv__err(CV_ESTATE, "request fulfil: the subject's cases were anonymised; nothing is left to communicate");
	free(tg);
	if (!rc)
		snprintf(outcome, on, "%s copy %s (%u documents, zip sha256 %s)", r->type, xr->id, xr->documents, xr->zip_sha256);
	return rc;
}

/* ------------------------------------------------------------------ */

/* Fulfilment waits for the identity check and the DPO's decision; a
 * refusal is journaled. */
static int fulfil_refusal(cv_archive *a, const cv_request *r)
{
	int rc = 0;
	if (!strcmp(r->state, "fulfilled"))
		rc = cv__err(CV_ESTATE, "request fulfil: request %s is already fulfilled", r->id);
	else if (!r->identity_at[0])
		rc = cv__err(CV_EREFUSED, "request fulfil: the requester's identity has not been checked yet (request %s)", r->id);
	else if (!r->decision[0])
		rc = cv__err(CV_EREFUSED, "request fulfil: request %s has no decision yet (proposed: %s, %s)", r->id, r->proposal,
			r->proposal_ground);
	if (rc) {
		char obj[160];
		snprintf(obj, sizeof obj, "request:%s", r->id);
		cv__journal_record(a->cat, a->actor, "request.fulfil", obj, "refused");
	}
	return rc;
}

/* A granted erasure that reaches archived cases (public archives) waits for
 * the archives director's signed approval of exactly those cases. */
static int erasure_visa(cv_archive *a, const cv_request *r)
{
	char cases[1024], prefix[64], want[1200];
	CV_TRY(cv__erasure_archived(a, r, cases, sizeof cases));
	if (!cases[0])
		return 0;
	cv_decision d;
	snprintf(prefix, sizeof prefix, "request:%s cases:", r->id);
	snprintf(want, sizeof want, "request:%s cases:%s", r->id, cases);
	int rc = cv__decision_find(&d, a, "request.approve", prefix);
	if (rc == CV_ENOTFOUND || (!rc && strcmp(d.object, want))) {
		char obj[96];
		snprintf(obj, sizeof obj, "request:%s", r->id);
		cv__journal_record(a->cat, a->actor, "request.fulfil", obj, "refused");
		return cv__err(CV_EREFUSED, "request fulfil: the erasure reaches archived cases (public archives): it needs the "
			"archives director's approval of these cases first (Code du patrimoine R.212-14)%s", rc ? "" :
			"; the approval given was for other cases");
	}
	return rc;
}

/* Inside the transaction: what a granted request of each type does. */
static int fulfil_act(cv_archive *a, cv_request *r, const cv_request_fulfil_options *o, cv_txn *t, int granted,
	char *outcome, size_t on, char **certificate)
{
	const char *type = r->type;
	if (!granted) {
		snprintf(outcome, on, "refusal notified to the requester, ground: %.400s", r->ground);
		return 0;
	}
	if (!strcmp(type, "rectification"))
		return rectify(a, r, o, t, outcome, on);
	if (!strcmp(type, "restriction") || !strcmp(type, "objection")) {
		int rc = cv__request_restrict(a, r, t, 1);
		snprintf(outcome, on, "processing restricted for %zu subject%s: only storage, legal claims and the subject's "
			"own access", r->nsubjects, r->nsubjects > 1 ? "s" : "");
		return rc;
	}
	if (!strcmp(type, "erasure"))
		return erase(a, r, t, outcome, on, certificate);
	return 0;
}

static int fulfil_close(cv_archive *a, const cv_request *r, const char *outcome, const char *certificate)
{
	char now[32];
	sqlite3_stmt *st = NULL;
	cv__now_iso(now);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"UPDATE requests SET state='fulfilled', fulfilled_by=?2, fulfilled_at=?3, outcome=?4, certificate=?5 WHERE id=?1"));
	cv__bind_text(st, 1, r->id);
	cv__bind_text(st, 2, a->actor);
	cv__bind_text(st, 3, now);
	cv__bind_text(st, 4, outcome);
	cv__bind_blob(st, 5, certificate, certificate ? strlen(certificate) : 0);
	int rc = sqlite3_step(st) != SQLITE_DONE ? cv__catalog_fail(a->cat, "close request") : 0;
	sqlite3_finalize(st);
	return rc;
}

/* The journal says what was done in one word, and names the copy. */
static void fulfil_journal_object(char *out, size_t n, const cv_request *r, int granted, const char *export_id)
{
	const char *type = r->type;
	snprintf(out, n, "request:%s type:%s decision:%s action:%s%s%s", r->id, type, r->decision,
		!r->nsubjects ? "notify-no-data" : granted ? (!strcmp(type, "access") || !strcmp(type, "portability") ? "copy" : !strcmp(type, "erasure") ? "shred"
			: !strcmp(type, "rectification") ? "rectify" : "restrict") : "notify-refusal",
		export_id[0] ? " export:" : "", export_id);
}

CV_EXTERN(int) cv_request_fulfil(cv_archive *a, const char *id, const cv_request_fulfil_options *o)
{
	cv_request_fulfil_options def = CV_REQUEST_FULFIL_OPTIONS_INIT;
	if (!o)
		o = &def;
	CV_TRY(cv__options_version(o, o->version, CV_REQUEST_FULFIL_OPTIONS_VERSION, "request fulfil"));
	cv_request *r = NULL;
	CV_TRY(cv__request_load_for_change(a, id, "request.fulfil", &r));
	int rc = fulfil_refusal(a, r);
	int granted = strcmp(r->decision, "refuse") != 0;
	if (!rc && granted && !strcmp(r->type, "erasure"))
		rc = erasure_visa(a, r);
	/* The one who fulfils signs what was done: their keys are opened first,
	 * so that a wrong credential changes nothing. */
	cv_identity me;
	int opened = 0;
	if (!rc) {
		char dobj[96];
		snprintf(dobj, sizeof dobj, "request:%s", r->id);
		rc = cv__decider_open_or_deny(&me, a, o->version >= 2 ? o->credential : NULL, "request.fulfil", dobj,
			"request fulfil");
		opened = !rc;
	}
	const char *type = r->type;
	char outcome[512] = "", jobj[400];
	char *certificate = NULL;
	cv_export_result xr = CV_EXPORT_RESULT_INIT;
	int nothing = r->nsubjects == 0;
	cv_txn t;
	memset(&t, 0, sizeof t);
	if (!rc && granted && !nothing && !strcmp(type, "rectification") && !o->doc && !(o->field && o->value))
		rc = cv__err(CV_EINVAL, "request fulfil: a rectification needs the rectified document, or a field and its new "
			"value");
	/* a copy begins t with its record (see fulfil_copy) */
	char *pending = NULL;
	int copy = !rc && granted && !nothing && (!strcmp(type, "access") || !strcmp(type, "portability"));
	if (copy && o->out_path && !(pending = pending_path(o->out_path)))
		rc = cv__oom();
	if (!rc && copy)
		rc = fulfil_copy(&xr, a, r, o, pending, outcome, sizeof outcome, &t);
	if (rc) {
		if (pending && xr.id[0])
			unlink(pending);
		free(pending);
		cv__txn_abort(&t);
		if (opened)
			cv__identity_wipe(&me);
		cv_request_free(r);
		return rc;
	}
	if (!t.a)
		rc = cv__txn_begin(&t, a, "request fulfil");
	if (!rc)
		rc = cv__txn_sql_begin(&t);
	if (!rc && nothing)
		snprintf(outcome, sizeof outcome, "the requester was told that the archive holds no data about them");
	else if (!rc)
		rc = fulfil_act(a, r, o, &t, granted, outcome, sizeof outcome, &certificate);
	if (!rc)
		rc = fulfil_close(a, r, outcome, certificate);
	fulfil_journal_object(jobj, sizeof jobj, r, granted, xr.id);
	unsigned char sig[64];
	if (!rc)
		rc = cv__decider_sign(&me, a, "request.fulfil", jobj, sig);
	cv__identity_wipe(&me);
	if (!rc)
		rc = cv__txn_finish_signed(&t, rc, "request.fulfil", jobj, sig);
	else
		cv__txn_abort(&t);
	if (!rc && !strcmp(type, "erasure") && granted)
		cv__catalog_checkpoint(a->cat);
	free(certificate);
	if (rc && xr.id[0]) {
		/* nothing was committed, the copy's record neither: the file goes too */
		unlink(pending);
		cv__err_prefix("request fulfil: nothing was recorded and no copy was left");
	}
	if (!rc && xr.id[0])
		rc = pending_publish(pending, o->out_path);
	free(pending);
	cv_request_free(r);
	return rc;
}
