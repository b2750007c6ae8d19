/* The case builder behind every ingestion: validates what it is given,
 * chunks and encrypts documents as they stream in (bulk objects go to the
 * operation's pack while readers carry on), and commits case, persons,
 * documents and journal in one catalog transaction and one git commit.
 * Unchanged documents and unchanged chunks are recognised by their keyed
 * hash (HMAC under a key derived from the case key) and not stored again. */
#include "engine/internal.h"
#include "ingest/ingest_model.h"
#include "store/chunker.h"
#include "util/date.h"
#include "util/vocab.h"
#include "util/hex.h"
#include "util/text.h"
#include "util/wipe.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CV_EXTERN(const char *const *) cv_case_categories(void)
{
	return cv__category_codes;
}

CV_EXTERN(const char *const *) cv_person_roles(void)
{
	return cv__role_codes;
}

/* ------------------------------------------------------------------ */

static int fail(cv_ingest *t, int code, const char *fmt, const char *a1, const char *a2)
{
	char msg[1024];
	snprintf(msg, sizeof msg, fmt, a1 ? a1 : "", a2 ? a2 : "");
	t->failed = 1;
	return cv__err(code, "%s: %s", t->source, msg);
}

/* Once any call has failed the transaction is dead: later calls fail too,
 * so that a plugin ignoring an error cannot commit half a case. */
#define LIVE(t) do { if (!(t)) return cv__err(CV_EINVAL, "no ingest transaction"); \
	if ((t)->failed) return cv__err(CV_ESTATE, "%s: ingest already failed", (t)->source); } while (0)

static char *dup_nfc(const char *s)
{
	char *out = NULL;
	if (!s)
		return NULL;
	if (cv__nfc(&out, s, strlen(s)) < 0)
		return NULL;
	return out;
}

static int opt_nfc(cv_ingest *t, char **dst, const char *s, const char *what)
{
	*dst = NULL;
	if (!s)
		return 0;
	int rc = cv__nfc(dst, s, strlen(s));
	if (rc == CV_ENOMEM) {
		t->failed = 1; /* "out of memory": not the bundle's fault */
		return rc;
	}
	if (rc < 0)
		return fail(t, CV_EINVAL, "%s: not valid UTF-8 text", what, NULL);
	return 0;
}

CV_EXTERN(int) cv_ingest_begin(cv_ingest **out, cv_archive *a, const char *source)
{
	*out = NULL;
	CV_TRY(cv__access_check(a, "case.ingest", source));
	cv_ingest *t = calloc(1, sizeof *t);
	if (!t || !(t->source = strdup(source ? source : "input"))) {
		free(t);
		return cv__oom();
	}
	t->a = a;
	t->next_seq = -1;
	t->rect_listed_all = 1;
	cv__now_iso(t->now);
	int rc = cv__txn_begin(&t->txn, a, "ingest");
	if (!rc)
		rc = cv__chunker_init(&t->chunker, a->gear_seed, 0, 0, 0);
	if (rc) {
		cv__txn_abort(&t->txn);
		cv__chunker_dispose(&t->chunker);
		free(t->source);
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* The chunks the case already has, so that the pipeline's worker can
 * recognise them without touching the catalog (whose connection belongs
 * to this thread). 52 bytes a chunk. */
static int load_known_chunks(cv_ingest *t)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(t->a->cat, &st, "SELECT hash, oid FROM chunks WHERE case_id=?"));
	cv__bind_text(st, 1, t->case_id);
	int r, rc = 0;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 1);
		git_oid oid;
		if (sqlite3_column_bytes(st, 0) != 32 || !hex || git_oid_fromstr(&oid, hex) != 0)
			rc = cv__err(CV_EDAMAGED, "case %s: a malformed chunk row in the catalog", t->case_id);
		else
			rc = cv__chunkset_add(&t->known, sqlite3_column_blob(st, 0), &oid);
	}
	if (!rc && r != SQLITE_DONE)
		rc = cv__catalog_fail(t->a->cat, "read the case's chunks");
	sqlite3_finalize(st);
	return rc;
}

static int load_existing(cv_ingest *t)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT id,state,version FROM cases WHERE ref=?"));
	cv__bind_text(st, 1, t->c.ref);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		cv__col_text(st, 0, t->case_id, sizeof t->case_id);
		char state[16];
		cv__col_text(st, 1, state, sizeof state);
		t->prev_version = (unsigned)sqlite3_column_int(st, 2);
		t->exists = 1;
		if (strcmp(state, "active") && strcmp(state, "archived"))
			rc = fail(t, CV_ESTATE, "case %s is %s: it can no longer receive documents", t->c.ref, state);
	} else if (r != SQLITE_DONE) {
		rc = cv__catalog_fail(a->cat, "look up case");
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (t->exists) {
		CV_TRY(cv__case_key_load(a, t->case_id, &t->key));
		CV_TRY(cv__rect_load(a, t->case_id, &t->key, &t->rects, &t->nrects));
		return load_known_chunks(t);
	}
	/* A new case: fresh id and key. */
	unsigned char idb[8];
	for (int tries = 0; tries < 8; tries++) {
		CV_TRY(cv__random(idb, sizeof idb));
		cv__hex(t->case_id, idb, sizeof idb);
		CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT 1 FROM cases WHERE id=?"));
		cv__bind_text(st, 1, t->case_id);
		r = sqlite3_step(st);
		sqlite3_finalize(st);
		if (r == SQLITE_DONE)
			break;
	}
	return cv__case_key_new(a, &t->key, t->wrapped, &t->wrapped_len);
}

CV_EXTERN(int) cv_ingest_set_case(cv_ingest *t, const cv_case_fields *c)
{
	LIVE(t);
	if (t->have_case)
		return fail(t, CV_EINVAL, "case fields given twice", NULL, NULL);
	if (!c || !c->ref || !*c->ref)
		return fail(t, CV_EINVAL, "case.ref is missing", NULL, NULL);
	if (strlen(c->ref) >= 120)
		return fail(t, CV_EINVAL, "case.ref '%.40s...' is too long (at most 119 bytes)", c->ref, NULL);
	for (const char *p = c->ref; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '/' || *p == '\\')
			return fail(t, CV_EINVAL, "case.ref '%s' contains a control character or a slash", c->ref, NULL);
	if (!cv__valid_category(c->category))
		return fail(t, CV_EINVAL, "case.category '%s' is not one of prevention, information_preoccupante, "
			"aide_educative, placement, jeune_majeur, pupille, adoption, secret_birth", c->category ? c->category : "(missing)", NULL);
	if (!cv__date_valid(c->opened))
		return fail(t, CV_EINVAL, "case.opened '%s' is not a valid YYYY-MM-DD date", c->opened ? c->opened : "(missing)", NULL);
	if (c->closed && !cv__date_valid(c->closed))
		return fail(t, CV_EINVAL, "case.closed '%s' is not a valid YYYY-MM-DD date", c->closed, NULL);
	if (c->closed && strcmp(c->closed, c->opened) < 0)
		return fail(t, CV_EINVAL, "case.closed %s is before case.opened %s", c->closed, c->opened);
	char today[11];
	cv__date_today(today);
	if (c->closed && strcmp(c->closed, today) > 0)
		return fail(t, CV_EINVAL, "case.closed %s is in the future (today is %s): a case closes when its last service "
			"has ended; leave it null while services go on", c->closed, today);
	if (c->territory && strlen(c->territory) > 15)
		return fail(t, CV_EINVAL, "case.territory '%s' is too long", c->territory, NULL);
	if (opt_nfc(t, &t->c.ref, c->ref, "case.ref") || opt_nfc(t, &t->c.category, c->category, "case.category") ||
		opt_nfc(t, &t->c.opened, c->opened, "case.opened") || opt_nfc(t, &t->c.closed, c->closed, "case.closed") ||
		opt_nfc(t, &t->c.territory, c->territory, "case.territory"))
		return cv_error_last()->code;
	t->have_case = 1;
	int rc = load_existing(t);
	if (rc)
		t->failed = 1;
	return rc;
}

static int valid_email(const char *s)
{
	const char *at = strchr(s, '@');
	return at && at != s && strchr(at + 1, '.') && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n<>");
}

CV_EXTERN(int) cv_ingest_add_person(cv_ingest *t, const cv_person_fields *p)
{
	LIVE(t);
	if (!p || !p->id || !*p->id || strlen(p->id) > 40)
		return fail(t, CV_EINVAL, "a person has no id (or an id over 40 bytes)", NULL, NULL);
	for (const char *q = p->id; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '-' || *q == '_'))
			return fail(t, CV_EINVAL, "person id '%s' may only hold letters, digits, - and _", p->id, NULL);
	for (size_t i = 0; i < t->npersons; i++)
		if (!strcmp(t->persons[i].id, p->id))
			return fail(t, CV_EINVAL, "person id '%s' appears twice", p->id, NULL);
	if (!cv__valid_role(p->role))
		return fail(t, CV_EINVAL, "person %s: role '%s' is not one of child, mother, father, parent, sibling, "
			"relative, foster_carer, reporter, professional, other", p->id, p->role ? p->role : "(missing)");
	if (!p->last || !*p->last)
		return fail(t, CV_EINVAL, "person %s: 'last' (surname) is missing", p->id, NULL);
	if (p->born && !cv__date_valid(p->born))
		return fail(t, CV_EINVAL, "person %s: born '%s' is not a valid YYYY-MM-DD date", p->id, p->born);
	if (p->sex && strcmp(p->sex, "M") && strcmp(p->sex, "F") && strcmp(p->sex, "X"))
		return fail(t, CV_EINVAL, "person %s: sex '%s' is not M, F or X", p->id, p->sex);
	if (p->email && !valid_email(p->email))
		return fail(t, CV_EINVAL, "person %s: email '%s' is not an e-mail address", p->id, p->email);
	CV_TRY(cv__grow((void **)&t->persons, &t->cap_persons, t->npersons, sizeof *t->persons));
	cv_person *dst = &t->persons[t->npersons];
	memset(dst, 0, sizeof *dst);
	int bad = 0;
	bad |= opt_nfc(t, &dst->id, p->id, "person id") || opt_nfc(t, &dst->role, p->role, "role") ||
		opt_nfc(t, &dst->last, p->last, "last") || opt_nfc(t, &dst->born, p->born, "born") ||
		opt_nfc(t, &dst->sex, p->sex, "sex") || opt_nfc(t, &dst->phone, p->phone, "phone") ||
		opt_nfc(t, &dst->email, p->email, "email") || opt_nfc(t, &dst->address, p->address, "address") ||
		opt_nfc(t, &dst->nir, p->nir, "nir") || opt_nfc(t, &dst->function, p->function, "function");
	if (!bad && p->nfirst) {
		dst->first = calloc(p->nfirst, sizeof *dst->first);
		if (!dst->first)
			return cv__oom();
		for (size_t i = 0; i < p->nfirst; i++) {
			if (!p->first[i] || !*p->first[i]) {
				t->npersons++;
				return fail(t, CV_EINVAL, "person %s: an empty first name", p->id, NULL);
			}
			if (opt_nfc(t, &dst->first[i], p->first[i], "first")) {
				bad = 1;
				break;
			}
			dst->nfirst++;
		}
	}
	t->npersons++; /* owned by t even when invalid, so that it is freed */
	return bad ? cv_error_last()->code : 0;
}

CV_EXTERN(int) cv_ingest_add_measure(cv_ingest *t, const cv_measure_fields *m)
{
	LIVE(t);
	if (!m || !m->type || !*m->type || strlen(m->type) > 40)
		return fail(t, CV_EINVAL, "a measure has no type (or a type over 40 bytes)", NULL, NULL);
	if (!cv__date_valid(m->start))
		return fail(t, CV_EINVAL, "measure %s: start '%s' is not a valid YYYY-MM-DD date", m->type, m->start ? m->start : "(missing)");
	if (m->end && !cv__date_valid(m->end))
		return fail(t, CV_EINVAL, "measure %s: end '%s' is not a valid YYYY-MM-DD date", m->type, m->end);
	if (m->end && strcmp(m->end, m->start) < 0)
		return fail(t, CV_EINVAL, "measure %s: end is before start", m->type, NULL);
	if (m->basis && strlen(m->basis) > 30)
		return fail(t, CV_EINVAL, "measure %s: basis '%s' is too long", m->type, m->basis);
	CV_TRY(cv__grow((void **)&t->measures, &t->cap_measures, t->nmeasures, sizeof *t->measures));
	cv_measure *d = &t->measures[t->nmeasures++];
	snprintf(d->type, sizeof d->type, "%s", m->type);
	snprintf(d->basis, sizeof d->basis, "%s", m->basis ? m->basis : "");
	snprintf(d->start, sizeof d->start, "%s", m->start);
	snprintf(d->end, sizeof d->end, "%s", m->end ? m->end : "");
	return 0;
}

CV_EXTERN(int) cv_ingest_doc_begin(cv_ingest *t, const cv_doc_fields *d)
{
	LIVE(t);
	if (!t->have_case)
		return fail(t, CV_ESTATE, "documents must come after the case fields", NULL, NULL);
	if (t->in_doc)
		return fail(t, CV_ESTATE, "document begun before the previous one ended", NULL, NULL);
	if (!d || !d->path)
		return fail(t, CV_EINVAL, "a document has no path", NULL, NULL);
	const char *why = cv__path_problem(d->path);
	if (why)
		return fail(t, CV_EINVAL, "document path '%s' %s", d->path, why);
	if (!d->title || !*d->title)
		return fail(t, CV_EINVAL, "document %s: title is missing", d->path, NULL);
	if (d->date && !cv__date_valid(d->date))
		return fail(t, CV_EINVAL, "document %s: date '%s' is not a valid YYYY-MM-DD date", d->path, d->date);
	if (d->type && strlen(d->type) > 30)
		return fail(t, CV_EINVAL, "document %s: type '%s' is too long", d->path, d->type);
	CV_TRY(cv__grow((void **)&t->docs, &t->cap_docs, t->ndocs, sizeof *t->docs));
	cv_ingest_doc *doc = &t->docs[t->ndocs++];
	memset(doc, 0, sizeof *doc);
	if (opt_nfc(t, &doc->path, d->path, "document path") || opt_nfc(t, &doc->title, d->title, "document title") ||
		opt_nfc(t, &doc->date, d->date, "document date") || opt_nfc(t, &doc->type, d->type, "document type"))
		return cv_error_last()->code;
	int added = cv__strset_add(&t->paths, doc->path);
	if (added < 0)
		return added;
	if (!added)
		return fail(t, CV_EINVAL, "document path '%s' is listed twice", d->path, NULL);
	if (d->nconcerns) {
		doc->concerns = calloc(d->nconcerns, sizeof *doc->concerns);
		if (!doc->concerns)
			return cv__oom();
		for (size_t i = 0; i < d->nconcerns; i++) {
			if (!(doc->concerns[i] = dup_nfc(d->concerns[i] ? d->concerns[i] : ""))) {
				if (cv_error_last()->code == CV_ENOMEM)
					return CV_ENOMEM; /* not the bundle's fault */
				return fail(t, CV_EINVAL, "document %s: bad 'concerns' entry", d->path, NULL);
			}
			doc->nconcerns++;
		}
	}
	t->in_doc = 1;
	return 0;
}

int cv__ingest_account(cv_ingest *t, size_t len, const unsigned char hash[32])
{
	cv_ingest_doc *doc = &t->docs[t->ndocs - 1];
	CV_TRY(cv__grow((void **)&t->hashes, &t->cap_hashes, t->nchunks, sizeof *t->hashes));
	memcpy(t->hashes[t->nchunks], hash, 32);
	if (!doc->nchunks)
		doc->first = t->nchunks;
	doc->nchunks++;
	t->nchunks++;
	doc->size += len;
	t->res.bytes_in += len;
	return 0;
}

CV_EXTERN(int) cv_ingest_doc_write(cv_ingest *t, const void *data, size_t len)
{
	LIVE(t);
	if (!t->in_doc)
		return fail(t, CV_ESTATE, "document data outside a document", NULL, NULL);
	int rc = cv__ipipe_feed(t, data, len);
	if (rc)
		t->failed = 1;
	return rc;
}

CV_EXTERN(int) cv_ingest_doc_end(cv_ingest *t)
{
	LIVE(t);
	if (!t->in_doc)
		return fail(t, CV_ESTATE, "document ended twice", NULL, NULL);
	/* An empty document is one empty chunk, so that every document has a
	 * non-empty tree and recovery treats it like any other. */
	int rc = cv__ipipe_finish(t, 1);
	if (!rc)
		rc = cv__ingest_doc_rows(t, t->ndocs - 1);
	t->in_doc = 0;
	if (rc)
		t->failed = 1;
	cv__progress(t->a, "ingest", t->res.bytes_in, 0);
	return rc;
}

CV_EXTERN(int) cv_ingest_sealed_begin(cv_ingest *t)
{
	LIVE(t);
	return cv__sealed_begin(t);
}

CV_EXTERN(int) cv_ingest_sealed_write(cv_ingest *t, const void *data, size_t len)
{
	LIVE(t);
	return cv__sealed_write(t, data, len);
}

CV_EXTERN(int) cv_ingest_sealed_end(cv_ingest *t)
{
	LIVE(t);
	return cv__sealed_end(t);
}

static void free_model(cv_ingest *t)
{
	free(t->c.ref);
	free(t->c.category);
	free(t->c.opened);
	free(t->c.closed);
	free(t->c.territory);
	for (size_t i = 0; i < t->npersons; i++)
		cv__person_free_fields(&t->persons[i]);
	free(t->persons);
	free(t->measures);
	for (size_t i = 0; i < t->ndocs; i++) {
		cv_ingest_doc *d = &t->docs[i];
		free(d->path);
		free(d->title);
		free(d->date);
		free(d->type);
		for (size_t j = 0; j < d->nconcerns; j++)
			free(d->concerns[j]);
		free(d->concerns);
	}
	free(t->docs);
	cv__chunkset_free(&t->set);
	cv__chunkset_free(&t->known);
	cv__strset_free(&t->paths);
	free(t->hashes);
	cv__buf_wipe_dispose(&t->sealed_plain);
	cv__rect_free(t->rects, t->nrects);
}

CV_EXTERN(void) cv_ingest_abort(cv_ingest *t)
{
	if (!t)
		return;
	cv__ipipe_dispose(t); /* the worker writes into the transaction: stop it first */
	cv__txn_abort(&t->txn);
	cv__chunker_dispose(&t->chunker);
	free_model(t);
	cv__case_key_wipe(&t->key);
	free(t->source);
	free(t);
}

/* The caller's version of the result, filled from the ingest's own. */
static void give_result(cv_ingest_result *out, const cv_ingest_result *res)
{
	unsigned int version = out->version;
	*out = *res;
	out->version = version;
}

CV_EXTERN(int) cv_ingest_commit(cv_ingest *t, cv_ingest_result *result)
{
	if (!t)
		return cv__err(CV_EINVAL, "no ingest transaction");
	int rc = result ? cv__result_begin(result, sizeof *result, CV_INGEST_RESULT_VERSION, "ingest") : 0;
	if (rc) {
		cv_ingest_abort(t);
		return rc;
	}
	if (t->failed) {
		rc = cv__err(CV_ESTATE, "%s: ingest already failed; nothing stored", t->source);
	} else if (t->in_doc) {
		rc = fail(t, CV_ESTATE, "a document was not ended", NULL, NULL);
	} else if (!t->have_case) {
		rc = fail(t, CV_EINVAL, "no case fields were given", NULL, NULL);
	} else if (!(rc = cv__ipipe_drain(t))) {
		rc = cv__ingest_store(t);
	}
	if (!rc && result)
		give_result(result, &t->res);
	cv_ingest_abort(t);
	return rc;
}
