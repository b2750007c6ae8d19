/* Storing an ingested case: the catalog rows (in one transaction), the new
 * case tree and the commit. Called with the transaction's writer lock held
 * and every document already chunked, encrypted and packed. */
#include "ingest/ingest_model.h"
#include "util/json.h"
#include "records/revtag.h"
#include "util/vocab.h"
#include "records/case_tree.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/text.h"
#include "util/wipe.h"

#include <jansson.h>
#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int step_done(cv_archive *a, sqlite3_stmt *st, const char *what)
{
	int r = sqlite3_step(st);
	int rc = (r == SQLITE_DONE || r == SQLITE_ROW) ? 0 : cv__catalog_fail(a->cat, what);
	sqlite3_finalize(st);
	return rc;
}

static int check_refs(cv_ingest *t)
{
	for (size_t i = 0; i < t->ndocs; i++) {
		cv_ingest_doc *d = &t->docs[i];
		for (size_t j = 0; j < d->nconcerns; j++) {
			size_t k = 0;
			while (k < t->npersons && strcmp(t->persons[k].id, d->concerns[j]))
				k++;
			if (k == t->npersons)
				return cv__err(CV_EINVAL, "%s: document %s: 'concerns' names person '%s', who is not in 'persons'",
					t->source, d->path, d->concerns[j]);
		}
	}
	if (t->has_sealed && strcmp(t->c.category, "secret_birth"))
		return cv__err(CV_EINVAL, "%s: sealed: only a secret_birth case may hold a sealed identity", t->source);
	return 0;
}

static int put_case_row(cv_ingest *t, const char *now)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	const char *state = t->c.closed ? "archived" : "active";
	if (!t->exists) {
		CV_TRY(cv__catalog_prepare(a->cat, &st,
			"INSERT INTO cases(id,ref,category,state,opened,closed,territory,permanent,version,created,updated)"
			" VALUES(?,?,?,?,?,?,?,?,1,?,?)"));
		cv__bind_text(st, 1, t->case_id);
		cv__bind_text(st, 2, t->c.ref);
		cv__bind_text(st, 3, t->c.category);
		cv__bind_text(st, 4, state);
		cv__bind_text(st, 5, t->c.opened);
		cv__bind_text(st, 6, t->c.closed);
		cv__bind_text(st, 7, t->c.territory);
		sqlite3_bind_int(st, 8, cv__permanent_category(t->c.category));
		cv__bind_text(st, 9, now);
		cv__bind_text(st, 10, now);
		CV_TRY(step_done(a, st, "insert case"));
		CV_TRY(cv__catalog_prepare(a->cat, &st, "INSERT INTO case_keys(case_id,key_id,wrapped,created) VALUES(?,?,?,?)"));
		cv__bind_text(st, 1, t->case_id);
		cv__bind_text(st, 2, t->key.id_hex);
		cv__bind_blob(st, 3, t->wrapped, t->wrapped_len);
		cv__bind_text(st, 4, now);
		CV_TRY(step_done(a, st, "insert case key"));
		t->res.created = 1;
		t->res.case_version = 1;
		return 0;
	}
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"UPDATE cases SET category=?,state=?,opened=?,closed=?,territory=?,permanent=?,version=version+1,updated=?"
		" WHERE id=?"));
	cv__bind_text(st, 1, t->c.category);
	cv__bind_text(st, 2, state);
	cv__bind_text(st, 3, t->c.opened);
	cv__bind_text(st, 4, t->c.closed);
	cv__bind_text(st, 5, t->c.territory);
	sqlite3_bind_int(st, 6, cv__permanent_category(t->c.category));
	cv__bind_text(st, 7, now);
	cv__bind_text(st, 8, t->case_id);
	CV_TRY(step_done(a, st, "update case"));
	t->res.case_version = t->prev_version + 1;
	return 0;
}

/* Report a rectification ingest kept in force. */
/* The report lists the kept rectifications while they fit in its field,
 * then says how many more (the count is always exact). */
static void note_kept(cv_ingest *t, const char *what, const char *target, const char *field, const char *request)
{
	cv_ingest_result *r = &t->res;
	char item[200];
	snprintf(item, sizeof item, "%s %s%s%s (request %s)", what, target, field[0] ? " " : "", field, request);
	size_t l = strlen(r->rectifications), room = sizeof r->rectifications - l;
	if (t->rect_listed_all && strlen(item) + 2 + 24 < room)
		snprintf(r->rectifications + l, room, "%s%s", l ? "; " : "", item);
	else
		t->rect_listed_all = 0;
	r->rectifications_kept++;
	if (!t->rect_listed_all) {
		char *more = strstr(r->rectifications, "; and more (");
		if (more)
			*more = '\0';
		l = strlen(r->rectifications);
		snprintf(r->rectifications + l, sizeof r->rectifications - l, "; and more (%u in all)", r->rectifications_kept);
	}
}

static char *field_value(const cv_person *p, const char *field)
{
	if (!strcmp(field, "first")) {
		cv_buf all = CV_BUF_INIT;
		for (size_t i = 0; i < p->nfirst; i++)
			cv__buf_printf(&all, "%s%s", i ? " " : "", p->first[i]);
		char *s = cv__buf_cstr(&all) == 0 ? cv__buf_detach(&all) : NULL;
		cv__buf_dispose(&all);
		return s;
	}
	const char *v = !strcmp(field, "last") ? p->last : !strcmp(field, "born") ? p->born : !strcmp(field, "sex") ? p->sex
		: !strcmp(field, "phone") ? p->phone : !strcmp(field, "email") ? p->email : !strcmp(field, "address") ? p->address
		: !strcmp(field, "nir") ? p->nir : NULL;
	return strdup(v ? v : "");
}

/* A rectified field keeps its rectified value whatever the source says now
 * (docs/rights.md): the bundle's value is what the rectification corrected. */
static int reapply_person_rects(cv_ingest *t)
{
	for (size_t i = 0; i < t->nrects; i++) {
		const cv_rectification *r = &t->rects[i];
		if (strcmp(r->kind, "person") || !r->value)
			continue;
		for (size_t j = 0; j < t->npersons; j++) {
			cv_person *p = &t->persons[j];
			if (strcmp(p->id, r->target))
				continue;
			char *now = field_value(p, r->field);
			if (!now)
				return cv__oom();
			int differs = strcmp(now, r->value) != 0;
			cv__wipe_free(now, strlen(now));
			if (differs)
				CV_TRY(cv__person_set_field(p, r->field, r->value));
			note_kept(t, "person", p->id, r->field, r->request);
		}
	}
	return 0;
}

static int put_persons(cv_ingest *t)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL, *ins = NULL, *bl = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "DELETE FROM blind WHERE case_id=?"));
	cv__bind_text(st, 1, t->case_id);
	CV_TRY(step_done(a, st, "clear blind index"));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "DELETE FROM persons WHERE case_id=?"));
	cv__bind_text(st, 1, t->case_id);
	CV_TRY(step_done(a, st, "clear persons"));
	CV_TRY(cv__catalog_prepare(a->cat, &ins, "INSERT INTO persons(case_id,pid,role,identity) VALUES(?,?,?,?)"));
	int rc = cv__catalog_prepare(a->cat, &bl, "INSERT INTO blind(case_id,pid,field,tag) VALUES(?,?,?,?)");
	cv_buf box = CV_BUF_INIT;
	for (size_t i = 0; i < t->npersons && !rc; i++) {
		const cv_person *p = &t->persons[i];
		char *json = cv__person_to_json(p), where[64];
		if (!json) {
			rc = cv__oom();
			break;
		}
		snprintf(where, sizeof where, "person:%s", p->id);
		rc = cv__case_box(&box, &t->key, t->case_id, where, json, strlen(json));
		cv__wipe(json, strlen(json));
		free(json);
		if (rc)
			break;
		sqlite3_reset(ins);
		cv__bind_text(ins, 1, t->case_id);
		cv__bind_text(ins, 2, p->id);
		cv__bind_text(ins, 3, p->role);
		cv__bind_blob(ins, 4, box.data, box.len);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "insert person");
		if (!rc)
			rc = cv__blind_index_person(a, t->case_id, bl, p);
	}
	cv__buf_dispose(&box);
	sqlite3_finalize(ins);
	sqlite3_finalize(bl);
	return rc;
}

static json_t *measures_json(const cv_measure *m, size_t n, int months_only)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string(m[i].type));
		if (m[i].basis[0])
			json_object_set_new(o, "basis", json_string(m[i].basis));
		if (months_only) {
			char ms[8], me[8];
			int64_t days = 0;
			cv__date_month(ms, m[i].start);
			json_object_set_new(o, "start", json_string(ms));
			if (m[i].end[0]) {
				cv__date_month(me, m[i].end);
				json_object_set_new(o, "end", json_string(me));
				if (cv__date_diff_days(m[i].start, m[i].end, &days) == 0)
					json_object_set_new(o, "days", json_integer(days));
			}
		} else {
			json_object_set_new(o, "start", json_string(m[i].start));
			if (m[i].end[0])
				json_object_set_new(o, "end", json_string(m[i].end));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Case details (measures) under the case key; the statistical record
 * (no names, no exact dates) under the archive's statistics key, so that it
 * outlives crypto-shredding for the observatory. */
static int put_details_and_stats(cv_ingest *t)
{
	cv_archive *a = t->a;
	json_t *det = json_pack("{s:o}", "measures", measures_json(t->measures, t->nmeasures, 0));
	char *dtext = cv__json_dumps(det, JSON_COMPACT);
	json_decref(det);
	json_t *kids = json_array();
	for (size_t i = 0; i < t->npersons; i++) {
		const cv_person *p = &t->persons[i];
		if (strcmp(p->role, "child"))
			continue;
		json_t *o = json_object();
		if (p->sex)
			json_object_set_new(o, "sex", json_string(p->sex));
		if (p->born)
			json_object_set_new(o, "birth_year", json_integer(atoi(p->born)));
		json_array_append_new(kids, o);
	}
	char om[8], cm[8] = "";
	cv__date_month(om, t->c.opened);
	if (t->c.closed)
		cv__date_month(cm, t->c.closed);
	json_t *stats = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i}", "category", t->c.category, "territory",
		t->c.territory ? t->c.territory : "", "opened", om, "closed", cm, "measures",
		measures_json(t->measures, t->nmeasures, 1), "children", kids, "persons", (int)t->npersons);
	char *stext = cv__json_dumps(stats, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(stats);
	int rc = (!dtext || !stext) ? cv__oom() : 0;
	cv_buf dbox = CV_BUF_INIT, sbox = CV_BUF_INIT;
	char ad[96];
	snprintf(ad, sizeof ad, "casevault/v1|%s|stats", t->case_id);
	if (!rc)
		rc = cv__case_box(&dbox, &t->key, t->case_id, "details", dtext, strlen(dtext));
	if (!rc)
		rc = cv__box_seal(&sbox, a->k_stats, ad, stext, strlen(stext));
	/* The child's birth date, for a policy whose clock starts at majority
	 * (Code civil art. 2235); under the archive-fields key so that a sweep
	 * plan does not have to open every case key. */
	cv_buf bbox = CV_BUF_INIT;
	const char *born = NULL;
	for (size_t i = 0; i < t->npersons && !born; i++)
		if (!strcmp(t->persons[i].role, "child") && t->persons[i].born)
			born = t->persons[i].born;
	char bad[96];
	snprintf(bad, sizeof bad, "casevault/v1|%s|child_born", t->case_id);
	if (!rc && born)
		rc = cv__box_seal(&bbox, a->k_afields, bad, born, strlen(born));
	sqlite3_stmt *st = NULL;
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "UPDATE cases SET details=?, stats=?, child_born=? WHERE id=?");
	if (!rc) {
		cv__bind_blob(st, 1, dbox.data, dbox.len);
		cv__bind_blob(st, 2, sbox.data, sbox.len);
		cv__bind_blob(st, 3, born ? bbox.data : NULL, bbox.len);
		cv__bind_text(st, 4, t->case_id);
		rc = step_done(a, st, "store case details");
	}
	cv__buf_dispose(&bbox);
	free(dtext);
	free(stext);
	cv__buf_dispose(&dbox);
	cv__buf_dispose(&sbox);
	return rc;
}

static int doc_meta_box(cv_ingest *t, const cv_ingest_doc *d, const char *doc_id, cv_buf *box)
{
	json_t *c = json_array();
	for (size_t i = 0; i < d->nconcerns; i++)
		json_array_append_new(c, json_string(d->concerns[i]));
	json_t *o = json_pack("{s:s,s:s,s:o}", "path", d->path, "title", d->title, "concerns", c);
	if (d->date)
		json_object_set_new(o, "date", json_string(d->date));
	if (d->type)
		json_object_set_new(o, "type", json_string(d->type));
	char *s = cv__json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		return cv__oom();
	char where[48];
	snprintf(where, sizeof where, "doc:%s", doc_id);
	int rc = cv__case_box(box, &t->key, t->case_id, where, s, strlen(s));
	free(s);
	return rc;
}

/* Latest revision number and whether the new chunk list equals that of
 * the revision it is compared with: the latest one, or, for a rectified
 * document, the latest revision that came from the source (note NULL), since
 * the current one is the rectified text. */
static const char SQL_MAX_REV[] = "SELECT max(rev), max(CASE WHEN note IS NULL THEN rev END) FROM revisions"
				  " WHERE case_id=? AND doc_id=?";
static const char SQL_REV_HASHES[] = "SELECT hash FROM rev_chunks WHERE case_id=? AND doc_id=? AND rev=? ORDER BY seq";

static int latest_same(cv_ingest *t, const char *doc_id, const cv_ingest_doc *d, int rectified, unsigned *latest,
	int *same)
{
	const unsigned char (*hash)[32] = t->hashes + d->first;
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	unsigned against = 0;
	*latest = 0;
	*same = 0;
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_MAX_REV));
	cv__bind_text(st, 1, t->case_id);
	cv__bind_text(st, 2, doc_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*latest = (unsigned)sqlite3_column_int(st, 0);
		against = rectified ? (unsigned)sqlite3_column_int(st, 1) : *latest;
	}
	cv__stmt_done(st);
	if (!against)
		return 0;
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_REV_HASHES));
	cv__bind_text(st, 1, t->case_id);
	cv__bind_text(st, 2, doc_id);
	sqlite3_bind_int(st, 3, (int)against);
	size_t i = 0;
	int eq = 1, r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (i >= d->nchunks || sqlite3_column_bytes(st, 0) != 32 || memcmp(sqlite3_column_blob(st, 0), hash[i], 32))
			eq = 0;
		i++;
	}
	cv__stmt_done(st);
	if (r != SQLITE_DONE)
		return cv__catalog_fail(a->cat, "read revision chunks");
	*same = eq && i == d->nchunks;
	return 0;
}

/* The source changed under a rectified document: its new text is stored as
 * evidence (revision `rev`), then the rectified text is current again
 * (revision rev + 1, the same chunks as the rectification's). */
static int reapply_doc_rect(cv_ingest *t, const char *doc_id, const cv_rectification *rec, unsigned rev)
{
	static const char *const sql[] = {
		"INSERT INTO revisions(case_id,doc_id,rev,case_version,created,size,nchunks,note)"
		" SELECT case_id,doc_id,?4,?5,?6,size,nchunks,?7 FROM revisions WHERE case_id=?1 AND doc_id=?2 AND rev=?3",
		"INSERT INTO rev_chunks(case_id,doc_id,rev,seq,hash)"
		" SELECT case_id,doc_id,?4,seq,hash FROM rev_chunks WHERE case_id=?1 AND doc_id=?2 AND rev=?3",
	};
	char note[160];
	snprintf(note, sizeof note, "rectification: request %s, kept over source revision %u", rec->request, rev);
	for (size_t q = 0; q < 2; q++) {
		sqlite3_stmt *st = NULL;
		CV_TRY(cv__catalog_prepare(t->a->cat, &st, sql[q]));
		cv__bind_text(st, 1, t->case_id);
		cv__bind_text(st, 2, doc_id);
		sqlite3_bind_int(st, 3, (int)rec->rev);
		sqlite3_bind_int(st, 4, (int)rev + 1);
		sqlite3_bind_int(st, 5, (int)t->res.case_version);
		cv__bind_text(st, 6, t->now);
		cv__bind_text(st, 7, note);
		int r = sqlite3_step(st);
		int changed = sqlite3_changes(t->a->cat->db);
		sqlite3_finalize(st);
		if (r != SQLITE_DONE)
			return cv__catalog_fail(t->a->cat, "re-apply a rectification");
		if (!changed)
			return cv__err(CV_EDAMAGED, "case %s: document %s: the rectified revision %u of request %s is missing",
				t->case_id, doc_id, rec->rev, rec->request);
	}
	return cv__rev_seal(t->a, t->case_id, &t->key, doc_id, rev + 1);
}

static const char SQL_INS_REV[] =
	"INSERT INTO revisions(case_id,doc_id,rev,case_version,created,size,nchunks,tag) VALUES(?,?,?,?,?,?,?,?)";
static const char SQL_INS_REVCHUNK[] = "INSERT INTO rev_chunks(case_id,doc_id,rev,seq,hash) VALUES(?,?,?,?,?)";
static const char SQL_INS_CHUNK[] = "INSERT OR IGNORE INTO chunks(case_id,hash,oid,size,tag) VALUES(?,?,?,?,?)";

static int put_revision(cv_ingest *t, const char *doc_id, unsigned rev, const cv_ingest_doc *d)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	unsigned char tag[32];
	CV_TRY(cv__rev_tag(tag, &t->key, t->case_id, doc_id, rev, d->size,
		(const unsigned char (*)[32])(t->hashes + d->first), d->nchunks));
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_INS_REV));
	cv__bind_text(st, 1, t->case_id);
	cv__bind_text(st, 2, doc_id);
	sqlite3_bind_int(st, 3, (int)rev);
	sqlite3_bind_int(st, 4, (int)t->res.case_version);
	cv__bind_text(st, 5, t->now);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)d->size);
	sqlite3_bind_int(st, 7, (int)d->nchunks);
	cv__bind_blob(st, 8, tag, 32);
	CV_TRY(cv__stmt_exec(a->cat, st, "insert revision"));
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_INS_REVCHUNK));
	for (size_t i = 0; i < d->nchunks; i++) {
		sqlite3_clear_bindings(st);
		cv__bind_text(st, 1, t->case_id);
		cv__bind_text(st, 2, doc_id);
		sqlite3_bind_int(st, 3, (int)rev);
		sqlite3_bind_int(st, 4, (int)i);
		cv__bind_blob(st, 5, t->hashes[d->first + i], 32);
		CV_TRY(cv__stmt_exec(a->cat, st, "insert revision chunk"));
	}
	return 0;
}

/* The chunks this version stored (their ids come from the pipeline, once
 * drained); INSERT OR IGNORE because two documents may share one (the
 * first in pipeline order is the one sealed, and carries the tag). */
static int put_chunks(cv_ingest *t)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_INS_CHUNK));
	for (size_t i = 0; i < t->pipe.nout; i++) {
		const cv_ingest_chunk *c = &t->pipe.out[i];
		if (c->known)
			continue;
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, &c->oid);
		sqlite3_clear_bindings(st);
		cv__bind_text(st, 1, t->case_id);
		cv__bind_blob(st, 2, c->hash, 32);
		cv__bind_text(st, 3, hex);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)c->size);
		if (c->fresh)
			cv__bind_blob(st, 5, c->tag, sizeof c->tag);
		CV_TRY(cv__stmt_exec(a->cat, st, "insert chunk"));
	}
	return 0;
}

static const char SQL_UPD_DOC[] = "UPDATE documents SET meta=?,type=?,date=?,removed=0 WHERE case_id=? AND doc_id=?";
static const char SQL_INS_DOC[] =
	"INSERT INTO documents(case_id,doc_id,seq,path_tag,meta,type,date) VALUES(?,?,?,?,?,?,?)";

static const char SQL_FIND_DOC[] = "SELECT doc_id, removed FROM documents WHERE case_id=? AND path_tag=?";
static const char SQL_MAX_SEQ[] = "SELECT coalesce(max(seq),0) FROM documents WHERE case_id=?";

/* The case row goes first: documents refer to it. */
static int begin_rows(cv_ingest *t)
{
	CV_TRY(cv__txn_sql_begin(&t->txn));
	if (!t->case_row_done) {
		CV_TRY(put_case_row(t, t->now));
		t->case_row_done = 1;
	}
	if (t->next_seq < 0) {
		sqlite3_stmt *st = NULL;
		CV_TRY(cv__catalog_stmt(t->a->cat, &st, SQL_MAX_SEQ));
		cv__bind_text(st, 1, t->case_id);
		t->next_seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		cv__stmt_done(st);
	}
	return 0;
}

/* A document's rows (document, revision, the revision's chunk hashes), written
 * as soon as it ends, inside the ingest's catalog transaction: this work
 * then overlaps with the sealing of the next documents instead of waiting
 * for the commit. Only the chunk rows, which need the chunks' git ids, wait
 * for the pipeline to drain (put_chunks). */
int cv__ingest_doc_rows(cv_ingest *t, size_t i)
{
	cv_archive *a = t->a;
	cv_ingest_doc *d = &t->docs[i];
	CV_TRY(begin_rows(t));
	unsigned char tag[32];
	CV_TRY(cv__doc_path_tag(&t->key, d->path, tag));
	int was_removed = 0, rc = 0;
	sqlite3_stmt *st = NULL;
	d->doc_id[0] = '\0';
	if (t->exists) { /* a new case has no documents to find */
		CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_FIND_DOC));
		cv__bind_text(st, 1, t->case_id);
		cv__bind_blob(st, 2, tag, 32);
		if (sqlite3_step(st) == SQLITE_ROW) {
			cv__col_text(st, 0, d->doc_id, sizeof d->doc_id);
			was_removed = sqlite3_column_int(st, 1);
		}
		cv__stmt_done(st);
	}
	unsigned latest = 0;
	int same = 0;
	cv_buf box = CV_BUF_INIT;
	const cv_rectification *rec = d->doc_id[0] ? cv__rect_find_doc(t->rects, t->nrects, d->doc_id) : NULL;
	if (d->doc_id[0]) {
		rc = latest_same(t, d->doc_id, d, rec != NULL, &latest, &same);
		if (!rc)
			rc = doc_meta_box(t, d, d->doc_id, &box);
		if (!rc)
			rc = cv__catalog_stmt(a->cat, &st, SQL_UPD_DOC);
		if (!rc) {
			cv__bind_blob(st, 1, box.data, box.len);
			cv__bind_text(st, 2, d->type);
			cv__bind_text(st, 3, d->date);
			cv__bind_text(st, 4, t->case_id);
			cv__bind_text(st, 5, d->doc_id);
			rc = cv__stmt_exec(a->cat, st, "update document");
		}
		if (!rc && same && !was_removed)
			t->res.docs_unchanged++;
		else if (!rc)
			t->res.docs_changed++;
	} else {
		int seq = ++t->next_seq;
		snprintf(d->doc_id, sizeof d->doc_id, "d%d", seq);
		rc = doc_meta_box(t, d, d->doc_id, &box);
		if (!rc)
			rc = cv__catalog_stmt(a->cat, &st, SQL_INS_DOC);
		if (!rc) {
			cv__bind_text(st, 1, t->case_id);
			cv__bind_text(st, 2, d->doc_id);
			sqlite3_bind_int(st, 3, seq);
			cv__bind_blob(st, 4, tag, 32);
			cv__bind_blob(st, 5, box.data, box.len);
			cv__bind_text(st, 6, d->type);
			cv__bind_text(st, 7, d->date);
			rc = cv__stmt_exec(a->cat, st, "insert document");
		}
		if (!rc)
			t->res.docs_new++;
	}
	cv__buf_dispose(&box);
	if (!rc && !same)
		rc = put_revision(t, d->doc_id, latest + 1, d);
	if (!rc && !same && rec)
		rc = reapply_doc_rect(t, d->doc_id, rec, latest + 1);
	if (!rc && rec)
		note_kept(t, "document", d->doc_id, "", rec->request);
	return rc;
}

/* Documents no longer in the bundle leave the case but stay in history. */
static int remove_missing(cv_ingest *t)
{
	cv_archive *a = t->a;
	if (!t->exists)
		return 0;
	cv_strset kept = CV_STRSET_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < t->ndocs; i++) {
		int added = cv__strset_add(&kept, t->docs[i].doc_id);
		if (added < 0)
			rc = added;
	}
	sqlite3_stmt *st = NULL;
	char **gone = NULL;
	size_t ngone = 0;
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "SELECT doc_id FROM documents WHERE case_id=? AND removed=0");
	if (!rc) {
		cv__bind_text(st, 1, t->case_id);
		int step;
		while ((step = cv__catalog_step(a->cat, st, "list the case's documents")) == 1) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			if (cv__strset_has(&kept, id))
				continue;
			char **g = realloc(gone, (ngone + 1) * sizeof *g);
			if (!g || !(g[ngone] = strdup(id))) {
				if (g)
					gone = g;
				rc = cv__oom();
				break;
			}
			gone = g;
			ngone++;
		}
		if (!rc && step < 0)
			rc = step;
	}
	sqlite3_finalize(st);
	cv__strset_free(&kept);
	for (size_t k = 0; k < ngone && !rc; k++) {
		rc = cv__catalog_prepare(a->cat, &st, "UPDATE documents SET removed=1 WHERE case_id=? AND doc_id=?");
		if (!rc) {
			cv__bind_text(st, 1, t->case_id);
			cv__bind_text(st, 2, gone[k]);
			rc = step_done(a, st, "remove document");
			t->res.docs_removed++;
		}
	}
	for (size_t k = 0; k < ngone; k++)
		free(gone[k]);
	free(gone);
	return rc;
}

/* Whether the case's last ingest had this very input. */
static int same_input(cv_ingest *t, const unsigned char tag[32], int *same)
{
	sqlite3_stmt *st = NULL;
	*same = 0;
	CV_TRY(cv__catalog_prepare(t->a->cat, &st, "SELECT input_tag FROM cases WHERE id=?"));
	cv__bind_text(st, 1, t->case_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32)
		*same = CRYPTO_memcmp(sqlite3_column_blob(st, 0), tag, 32) == 0;
	sqlite3_finalize(st);
	return 0;
}

/* Nothing to store: the caller's abort rolls back the rows written while
 * the documents streamed in (identical to what is stored) and drops the
 * pack, which holds no new chunk. The attempt is journaled. */
static int report_unchanged(cv_ingest *t)
{
	cv_ingest_result *r = &t->res;
	r->unchanged = 1;
	r->case_version = t->prev_version;
	r->docs_unchanged = (unsigned)t->ndocs;
	r->docs_new = r->docs_changed = r->docs_removed = 0;
	r->bytes_stored = 0;
	r->rectifications_kept = 0;
	r->rectifications[0] = '\0';
	snprintf(r->case_id, sizeof r->case_id, "%s", t->case_id);
	snprintf(r->ref, sizeof r->ref, "%s", t->c.ref);
	cv__txn_abort(&t->txn);
	char obj[128];
	snprintf(obj, sizeof obj, "case:%s version:%u", t->case_id, t->prev_version);
	return cv__journal_record(t->a->cat, t->a->actor, "case.ingest", obj, "unchanged");
}

static int put_input_tag(cv_ingest *t, const unsigned char tag[32])
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(t->a->cat, &st, "UPDATE cases SET input_tag=? WHERE id=?"));
	cv__bind_blob(st, 1, tag, 32);
	cv__bind_text(st, 2, t->case_id);
	return step_done(t->a, st, "record the ingest");
}

int cv__ingest_store(cv_ingest *t)
{
	CV_TRY(check_refs(t));
	unsigned char tag[32];
	int same = 0;
	CV_TRY(cv__ingest_input_tag(t, tag));
	if (t->exists)
		CV_TRY(same_input(t, tag, &same));
	if (same)
		return report_unchanged(t);
	/* Another writer cannot have created the ref meanwhile (we hold the
	 * lock), but a case created by this very process earlier must be seen. */
	CV_TRY(begin_rows(t));
	CV_TRY(put_input_tag(t, tag));
	CV_TRY(reapply_person_rects(t));
	CV_TRY(put_persons(t));
	CV_TRY(put_details_and_stats(t));
	CV_TRY(put_chunks(t));
	CV_TRY(remove_missing(t));
	if (t->has_sealed)
		CV_TRY(cv__sealed_store(t));
	CV_TRY(cv__case_rebuild_tree(&t->txn, t->case_id, &t->key));
	char obj[256];
	snprintf(obj, sizeof obj, "case:%s version:%u new:%u changed:%u unchanged:%u removed:%u rectifications_kept:%u",
		t->case_id, t->res.case_version, t->res.docs_new, t->res.docs_changed, t->res.docs_unchanged, t->res.docs_removed,
		t->res.rectifications_kept);
	CV_TRY(cv__txn_journal(&t->txn, "case.ingest", obj, "ok"));
	snprintf(t->txn.op, sizeof t->txn.op, "ingest case %s", t->case_id);
	snprintf(t->res.case_id, sizeof t->res.case_id, "%s", t->case_id);
	snprintf(t->res.ref, sizeof t->res.ref, "%s", t->c.ref);
	return cv__txn_commit(&t->txn);
}
