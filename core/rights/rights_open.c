/* The GDPR rights register: opening a request and reading the register back
 * (one request, or the list with its deadlines).
 *
 * ASE processing rests on a legal obligation and a public task (art.
 * 6(1)(c),(e)), so the tool proposes: erasure refused while retention runs
 * (art. 17(3)(b)), portability not applicable (art. 20(3)), objection to be
 * weighed (art. 21(1)); access, rectification and restriction granted. The
 * DPO decides (rights_decide.c). Every step is journaled with opaque ids
 * only. While a request is open on a person, the sweep leaves that person's
 * cases alone (cv__rights_block). */
#include "rights/rights_internal.h"
#include "catalog/rowmac.h"
#include "records/cases.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TYPES[] = { "access", "rectification", "erasure", "restriction", "portability", "objection", NULL };

static void proposal_for(cv_archive *a, const char *type, const char **subjects_cases, size_t n, char prop[16], char ground[320])
{
	if (!n) {
		int access = !strcmp(type, "access");
		snprintf(prop, 16, "%s", access ? "grant" : "refuse");
		snprintf(ground, 320, access
			? "RGPD art. 15(1) : aucune donnée de cette personne dans l'archive ; la réponse le lui confirme"
			: "Aucune donnée de cette personne dans l'archive : la demande est sans objet ; la réponse le lui "
			  "indique (RGPD art. 12(4))");
		return;
	}
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

/* The request as received: a known type, a real date not in the future. */
static int open_check(const cv_request_open_options *o)
{
	CV_TRY(cv__options_version(o, o ? o->version : 0, CV_REQUEST_OPEN_OPTIONS_VERSION, "request open"));
	size_t ti = 0;
	while (TYPES[ti] && (!o->type || strcmp(TYPES[ti], o->type)))
		ti++;
	if (!TYPES[ti])
		return cv__err(CV_EINVAL, "request open: the type '%s' is not one of access, rectification, erasure, "
			"restriction, portability, objection", o->type ? o->type : "");
	if (!cv__date_valid(o->received))
		return cv__err(CV_EINVAL, "request open: the date of receipt '%s' is not a valid YYYY-MM-DD date",
			o->received ? o->received : "");
	char today[11];
	cv__date_today(today);
	if (strcmp(o->received, today) > 0)
		return cv__err(CV_EINVAL, "request open: the date of receipt %s is in the future", o->received);
	return 0;
}

/* One person of one case, named by the caller. */
static int subject_in_case(cv_request_subject **subs, size_t *ns, cv_archive *a, const cv_request_open_options *o)
{
	char id[40];
	if (!o->subject || !o->case_id)
		return cv__err(CV_EINVAL, "request open: a subject in a case needs both the person and the case (or an "
			"identity instead)");
	CV_TRY(cv__case_resolve(a, o->case_id, id));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT 1 FROM persons WHERE case_id=? AND pid=?"));
	cv__bind_text(st, 1, id);
	cv__bind_text(st, 2, o->subject);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!found)
		return cv__err(CV_ENOTFOUND, "request open: case %s has no person '%s'", o->case_id, o->subject);
	*subs = calloc(1, sizeof **subs);
	if (!*subs)
		return cv__oom();
	snprintf((*subs)[0].case_id, sizeof (*subs)[0].case_id, "%s", id);
	snprintf((*subs)[0].person, sizeof (*subs)[0].person, "%s", o->subject);
	*ns = 1;
	return 0;
}

/* Every case where a person with that identity appears. */
static int subjects_by_identity(cv_request_subject **subs, size_t *ns, cv_archive *a, const cv_request_open_options *o)
{
	cv_find_query q = CV_FIND_QUERY_INIT;
	q.last = o->last;
	q.first = o->first;
	q.born = o->born;
	cv_find_hit *h = NULL;
	size_t nh = 0;
	CV_TRY(cv_case_find(&h, &nh, a, &q));
	if (!nh) {
		/* Someone the archive holds nothing about still has the right to
		 * ask and to be answered (art. 15(1): confirmation): the request is
		 * registered without subjects, the identity sealed in its note. */
		cv_case_find_free(h);
		*subs = NULL;
		*ns = 0;
		return 0;
	}
	*subs = calloc(nh, sizeof **subs);
	for (size_t i = 0; *subs && i < nh; i++) {
		snprintf((*subs)[i].case_id, sizeof (*subs)[i].case_id, "%s", h[i].case_id);
		snprintf((*subs)[i].person, sizeof (*subs)[i].person, "%s", h[i].person);
	}
	*ns = *subs ? nh : 0;
	cv_case_find_free(h);
	return *subs ? 0 : cv__oom();
}

/* What the register records of a new request besides the caller's options. */
typedef struct opening {
	char rid[20], due[11], now[32], prop[16], ground[320];
	cv_request_subject *subs;
	size_t ns;
} opening;

static int open_store_subjects(cv_archive *a, const opening *op)
{
	for (size_t i = 0; i < op->ns; i++) {
		sqlite3_stmt *st = NULL;
		CV_TRY(cv__catalog_prepare(a->cat, &st,
			"INSERT OR IGNORE INTO request_subjects(request_id,case_id,person_id) VALUES(?,?,?)"));
		cv__bind_text(st, 1, op->rid);
		cv__bind_text(st, 2, op->subs[i].case_id);
		cv__bind_text(st, 3, op->subs[i].person);
		int rc = sqlite3_step(st) != SQLITE_DONE ? cv__catalog_fail(a->cat, "store request subject") : 0;
		sqlite3_finalize(st);
		CV_TRY(rc);
	}
	return 0;
}

/* One transaction: the request, its subjects, its journal entry. */
static int open_store(cv_archive *a, const cv_request_open_options *o, const opening *op, const cv_buf *note)
{
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "request"));
	sqlite3_stmt *st = NULL;
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st,
			"INSERT INTO requests(id,type,received,due,channel,note,state,opened_by,opened_at,proposal,proposal_ground)"
			" VALUES(?,?,?,?,?,?,'open',?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, op->rid);
		cv__bind_text(st, 2, o->type);
		cv__bind_text(st, 3, o->received);
		cv__bind_text(st, 4, op->due);
		cv__bind_text(st, 5, o->channel);
		cv__bind_blob(st, 6, note->len ? note->data : NULL, note->len);
		cv__bind_text(st, 7, a->actor);
		cv__bind_text(st, 8, op->now);
		cv__bind_text(st, 9, op->prop);
		cv__bind_text(st, 10, op->ground);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "store request");
		sqlite3_finalize(st);
	}
	if (!rc)
		rc = open_store_subjects(a, op);
	char obj[256];
	if (op->ns)
		snprintf(obj, sizeof obj, "request:%s type:%s received:%s due:%s subjects:%zu first:case:%s/%s", op->rid,
			o->type, o->received, op->due, op->ns, op->subs[0].case_id, op->subs[0].person);
	else
		snprintf(obj, sizeof obj, "request:%s type:%s received:%s due:%s subjects:0", op->rid, o->type, o->received,
			op->due);
	return cv__txn_finish(&t, rc, "request.open", obj);
}

/* The deadline (one month), a random id, and the tool's proposal. */
static void open_prepare(cv_archive *a, const cv_request_open_options *o, opening *op)
{
	char idh[65];
	unsigned char rnd[8];
	cv__date_add_months(op->due, o->received, 1);
	cv__now_iso(op->now);
	cv__random(rnd, sizeof rnd);
	cv__hex(idh, rnd, sizeof rnd);
	snprintf(op->rid, sizeof op->rid, "R%.12s", idh);
	const char **cases = calloc(op->ns, sizeof *cases);
	for (size_t i = 0; cases && i < op->ns; i++)
		cases[i] = op->subs[i].case_id;
	proposal_for(a, o->type, cases, cases ? op->ns : 0, op->prop, op->ground);
	free(cases);
}

/* The sealed note: the DPO's own, after the identity declared by a
 * requester the archive holds nothing about (the only record of who asked). */
static char *note_text(const cv_request_open_options *o, size_t nsubjects)
{
	const char *note = o->note ? o->note : "";
	if (nsubjects || !o->last)
		return strdup(note);
	size_t n = strlen(note) + strlen(o->last) + (o->first ? strlen(o->first) : 0) + 128;
	char *t = malloc(n);
	if (t)
		snprintf(t, n, "Identité déclarée (inconnue de l'archive) : %s %s, né(e) le %s%s%s", o->last,
			o->first ? o->first : "", o->born && *o->born ? o->born : "?", *note ? "\n" : "", note);
	return t;
}

CV_EXTERN(int) cv_request_open(cv_request **out, cv_archive *a, const cv_request_open_options *o)
{
	*out = NULL;
	CV_TRY(open_check(o));
	CV_TRY(cv__access_check(a, "request.open", o->type));
	opening op;
	memset(&op, 0, sizeof op);
	if (o->subject || o->case_id)
		CV_TRY(subject_in_case(&op.subs, &op.ns, a, o));
	else if (o->last)
		CV_TRY(subjects_by_identity(&op.subs, &op.ns, a, o));
	else
		return cv__err(CV_EINVAL, "request open: no subject given: a person in a case, or an identity (surname, "
			"first names, birth date)");
	open_prepare(a, o, &op);
	cv_buf note = CV_BUF_INIT;
	char owner[64];
	snprintf(owner, sizeof owner, "request:%s", op.rid);
	int rc = 0;
	char *text = note_text(o, op.ns);
	if (!text)
		rc = cv__oom();
	else if (*text)
		rc = cv__note_seal(&note, a, owner, "request-note", text);
	if (text)
		cv__wipe_free(text, strlen(text));
	if (!rc)
		rc = open_store(a, o, &op, &note);
	cv__buf_dispose(&note);
	free(op.subs);
	if (rc)
		return rc;
	return cv_request_get(out, a, op.rid);
}

/* ------------------------------------------------------------------ */

#define REQ_COLS "id,type,state,received,due,extended_due,extension_reason,channel,opened_by,opened_at," \
	"identity_method,identity_by,identity_at,proposal,proposal_ground,decision,ground,decided_by,decided_at," \
	"fulfilled_by,fulfilled_at,outcome,certificate,extended_by,extended_at"

/* The reason of an extension may name people: it is kept in a box. */
static void fill_extension_reason(cv_archive *a, sqlite3_stmt *st, cv_request *r)
{
	if (sqlite3_column_type(st, 6) != SQLITE_BLOB)
		return;
	cv_buf p = CV_BUF_INIT;
	char owner[64];
	snprintf(owner, sizeof owner, "request:%s", r->id);
	if (cv__note_open(&p, a, owner, "request-extension", sqlite3_column_blob(st, 6),
			(size_t)sqlite3_column_bytes(st, 6)) == 0)
		r->extension_reason = cv__buf_detach(&p);
	else
		cv_error_clear(); /* destroyed with an erased case: the reason is gone */
	cv__buf_dispose(&p);
}

/* Cached: a register lists every request, each with its subjects. */
static const char SUBJECTS_SQL[] = "SELECT s.case_id, c.ref, s.person_id FROM request_subjects s JOIN cases c"
	" ON c.id=s.case_id WHERE s.request_id=? ORDER BY c.ref, s.person_id";

static int fill_subjects(cv_archive *a, cv_request *r)
{
	sqlite3_stmt *s2 = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &s2, SUBJECTS_SQL));
	cv__bind_text(s2, 1, r->id);
	size_t cap = 0;
	int step;
	/* a failed step or bind is not "no subject": fulfilling a request as if
	 * the archive held nothing on the person would be a wrong answer */
	while ((step = cv__catalog_step(a->cat, s2, "read a request's subjects")) == 1) {
		if (cv__grow((void **)&r->subjects, &cap, r->nsubjects, sizeof *r->subjects)) {
			cv__stmt_done(s2);
			return CV_ENOMEM;
		}
		cv_request_subject *x = &r->subjects[r->nsubjects++];
		cv__col_text(s2, 0, x->case_id, sizeof x->case_id);
		cv__col_text(s2, 1, x->ref, sizeof x->ref);
		cv__col_text(s2, 2, x->person, sizeof x->person);
	}
	cv__stmt_done(s2);
	return step < 0 ? step : 0;
}

static int fill_row(cv_archive *a, sqlite3_stmt *st, cv_request *r)
{
	memset(r, 0, sizeof *r);
	cv__col_text(st, 0, r->id, sizeof r->id);
	cv__col_text(st, 1, r->type, sizeof r->type);
	cv__col_text(st, 2, r->state, sizeof r->state);
	cv__col_text(st, 3, r->received, sizeof r->received);
	cv__col_text(st, 4, r->due, sizeof r->due);
	cv__col_text(st, 5, r->extended_due, sizeof r->extended_due);
	snprintf(r->effective_due, sizeof r->effective_due, "%s", r->extended_due[0] ? r->extended_due : r->due);
	fill_extension_reason(a, st, r);
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
	return 0;
}

static int fill(cv_archive *a, sqlite3_stmt *st, cv_request *r)
{
	CV_TRY(fill_row(a, st, r));
	return fill_subjects(a, r);
}

static const char ALL_SUBJECTS_SQL[] = "SELECT s.request_id, s.case_id, c.ref, s.person_id FROM request_subjects s"
	" JOIN cases c ON c.id=s.case_id ORDER BY s.request_id, c.ref, s.person_id";

static int by_id_ptr(const void *x, const void *y)
{
	return strcmp((*(cv_request *const *)x)->id, (*(cv_request *const *)y)->id);
}

/* Every listed request's subjects in one pass over request_subjects (a
 * register lists them all: one query per request was most of its cost). The
 * list is in due-date order; a copy sorted by id finds each row's request. */
static int fill_all_subjects(cv_archive *a, cv_request *list, size_t n)
{
	if (!n)
		return 0;
	cv_request **idx = malloc(n * sizeof *idx);
	if (!idx)
		return cv__oom();
	for (size_t i = 0; i < n; i++)
		idx[i] = &list[i];
	qsort(idx, n, sizeof *idx, by_id_ptr);
	sqlite3_stmt *st = NULL;
	int rc = cv__catalog_stmt(a->cat, &st, ALL_SUBJECTS_SQL), r = 0;
	size_t cap = 0, last = (size_t)-1;
	while (!rc && (r = cv__catalog_step(a->cat, st, "read the requests' subjects")) > 0) {
		cv_request key, *kp = &key, **hit;
		cv__col_text(st, 0, key.id, sizeof key.id);
		if (!(hit = bsearch(&kp, idx, n, sizeof *idx, by_id_ptr)))
			continue;
		cv_request *q = *hit;
		if ((size_t)(hit - idx) != last) {
			last = (size_t)(hit - idx);
			cap = q->nsubjects;
		}
		if (cv__grow((void **)&q->subjects, &cap, q->nsubjects, sizeof *q->subjects)) {
			rc = CV_ENOMEM;
			break;
		}
		cv_request_subject *x = &q->subjects[q->nsubjects++];
		cv__col_text(st, 1, x->case_id, sizeof x->case_id);
		cv__col_text(st, 2, x->ref, sizeof x->ref);
		cv__col_text(st, 3, x->person, sizeof x->person);
	}
	if (!rc && r < 0)
		rc = r; /* a list of requests without some of their subjects is not a list */
	cv__stmt_done(st);
	free(idx);
	return rc;
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
	return cv__request_load_raw(out, a, id);
}

int cv__request_load_raw(cv_request **out, cv_archive *a, const char *id)
{
	*out = NULL;
	CV_TRY(cv__rowmac_check(a->cat, "requests", "id=?1", id));
	CV_TRY(cv__rowmac_check(a->cat, "request_subjects", "request_id=?1", id));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT " REQ_COLS " FROM requests WHERE id=?"));
	cv__bind_text(st, 1, id);
	int rc = 0;
	cv_request *r = NULL;
	int step = sqlite3_step(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "read the request");
	else if (step != SQLITE_ROW)
		rc = cv__err(CV_ENOTFOUND, "no rights request '%s'", id ? id : "");
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

int cv__request_load_for_change(cv_archive *a, const char *id, const char *action, cv_request **r)
{
	char obj[64];
	snprintf(obj, sizeof obj, "request:%.40s", id ? id : "");
	CV_TRY(cv__access_check(a, action, obj));
	return cv_request_get(r, a, id);
}

/* Whether the filter keeps a request, judged at `as_of`: only open
 * requests are overdue or due soon. */
static int listed(const cv_request_filter *f, const cv_request *r, const char *as_of)
{
	int open = strcmp(r->state, "fulfilled") != 0;
	int64_t days = 0;
	cv__date_diff_days(as_of, r->effective_due, &days);
	if (f->overdue && !(open && days < 0))
		return 0;
	if (f->due_within >= 0 && !(open && days >= 0 && days <= f->due_within))
		return 0;
	return 1;
}

CV_EXTERN(int) cv_request_list(cv_request **out, size_t *count, cv_archive *a, const cv_request_filter *f)
{
	cv_request_filter def = CV_REQUEST_FILTER_INIT;
	char today[11];
	*out = NULL;
	*count = 0;
	if (!f)
		f = &def;
	CV_TRY(cv__options_version(f, f->version, CV_REQUEST_FILTER_VERSION, "request list"));
	if (f->as_of && !cv__date_valid(f->as_of))
		return cv__err(CV_EINVAL, "request list: the as-of date '%s' is not a valid date", f->as_of);
	cv__date_today(today);
	const char *as_of = f->as_of ? f->as_of : today;
	CV_TRY(cv__access_check(a, "request.list", ""));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT " REQ_COLS " FROM requests ORDER BY coalesce(extended_due,due), id"));
	size_t n = 0, cap = 0;
	cv_request *list = NULL;
	int rc = 0;
	int step = 0;
	while (!rc && (step = cv__catalog_step(a->cat, st, "read the requests")) == 1) {
		cv_request r;
		if ((rc = fill_row(a, st, &r))) {
			release(&r);
			break;
		}
		if (!listed(f, &r, as_of)) {
			release(&r);
			continue;
		}
		if ((rc = cv__grow((void **)&list, &cap, n, sizeof *list))) {
			release(&r);
			break;
		}
		list[n++] = r;
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	if (!rc)
		rc = fill_all_subjects(a, list, n);
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
