/* Cases: catalog views, the case tree (manifest + documents) and the
 * life-cycle commands close, hold and release. */
#include "ingest/ingest_model.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_SELECT "SELECT " CV_CASE_COLUMNS ","                                                                \
	" (SELECT count(*) FROM documents d WHERE d.case_id=cases.id AND d.removed=0),"                             \
	" (SELECT coalesce(sum(r.size),0) FROM documents d JOIN revisions r ON r.case_id=d.case_id"                 \
	"   AND r.doc_id=d.doc_id AND r.rev=(SELECT max(rev) FROM revisions x WHERE x.case_id=d.case_id"          \
	"   AND x.doc_id=d.doc_id) WHERE d.case_id=cases.id AND d.removed=0) FROM cases"

int cv__case_fill_info(cv_archive *a, sqlite3_stmt *st, cv_case_info *ci)
{
	(void)a;
	memset(ci, 0, sizeof *ci);
	cv__col_text(st, 0, ci->id, sizeof ci->id);
	cv__col_text(st, 1, ci->ref, sizeof ci->ref);
	cv__col_text(st, 2, ci->category, sizeof ci->category);
	cv__col_text(st, 3, ci->state, sizeof ci->state);
	cv__col_text(st, 4, ci->opened, sizeof ci->opened);
	cv__col_text(st, 5, ci->closed, sizeof ci->closed);
	cv__col_text(st, 6, ci->territory, sizeof ci->territory);
	ci->on_hold = sqlite3_column_int(st, 7);
	ci->restricted = sqlite3_column_int(st, 8);
	ci->permanent = sqlite3_column_int(st, 9);
	ci->has_sealed = sqlite3_column_int(st, 10);
	ci->version = (unsigned)sqlite3_column_int(st, 11);
	ci->ndocs = (unsigned)sqlite3_column_int(st, 12);
	ci->bytes = (uint64_t)sqlite3_column_int64(st, 13);
	return 0;
}

int cv__case_resolve(cv_archive *a, const char *id_or_ref, char id[40])
{
	sqlite3_stmt *st = NULL;
	if (!id_or_ref || !*id_or_ref)
		return cv__err(CV_EINVAL, "no case given");
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT id FROM cases WHERE id=?1 OR ref=?1"));
	cv__bind_text(st, 1, id_or_ref);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW)
		cv__col_text(st, 0, id, 40);
	else if (r == SQLITE_DONE)
		rc = cv__err(CV_ENOTFOUND, "no case '%s' (give a case id or reference; see 'casevault case list')", id_or_ref);
	else
		rc = cv__catalog_fail(a->cat, "find case");
	sqlite3_finalize(st);
	return rc;
}

int cv__case_gate(cv_archive *a, const char *action, const char *roles, const char *id_or_ref, char id[40], const char *detail)
{
	/* The role is checked before the answer can depend on whether the case
	 * exists, so that a refused user cannot probe for case references. */
	int found = id_or_ref && *id_or_ref && cv__case_resolve(a, id_or_ref, id) == 0;
	char obj[200];
	snprintf(obj, sizeof obj, "case:%s%s%s", found ? id : "unknown", detail ? " " : "", detail ? detail : "");
	CV_TRY(cv__require_role(a, action, obj, roles));
	if (!found)
		return cv__case_resolve(a, id_or_ref, id);
	return 0;
}

CV_EXTERN(int) cv_case_list(cv_case_info **out, size_t *count, cv_archive *a, const char *state)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*count = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st, CASE_SELECT " WHERE (?1 IS NULL OR state=?1) ORDER BY ref"));
	cv__bind_text(st, 1, state);
	size_t n = 0, cap = 0;
	cv_case_info *list = NULL;
	int r, rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			cv_case_info *p = realloc(list, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			list = p;
		}
		cv__case_fill_info(a, st, &list[n++]);
	}
	if (!rc && r != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "list cases");
	sqlite3_finalize(st);
	if (rc) {
		free(list);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(void) cv_case_list_free(cv_case_info *list)
{
	free(list);
}

CV_EXTERN(int) cv_case_get(cv_case_info *out, cv_archive *a, const char *id_or_ref)
{
	char id[40];
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__case_resolve(a, id_or_ref, id));
	CV_TRY(cv__catalog_prepare(a->cat, &st, CASE_SELECT " WHERE id=?"));
	cv__bind_text(st, 1, id);
	int rc = sqlite3_step(st) == SQLITE_ROW ? cv__case_fill_info(a, st, out) : cv__catalog_fail(a->cat, "read case");
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reading a case's encrypted rows                                     */


static int load_persons(cv_archive *a, const char *case_id, const cv_case_key *k, cv_person **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	cv_buf plain = CV_BUF_INIT;
	*out = NULL;
	*n = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT pid, identity FROM persons WHERE case_id=? ORDER BY rowid"));
	cv__bind_text(st, 1, case_id);
	size_t cap = 0;
	int r, rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW && !rc) {
		char where[64];
		snprintf(where, sizeof where, "person:%s", (const char *)sqlite3_column_text(st, 0));
		rc = cv__case_unbox(&plain, k, case_id, where, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (rc)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			cv_person *p = realloc(*out, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			*out = p;
		}
		rc = cv__person_from_json(&(*out)[*n], (const char *)plain.data);
		if (!rc)
			(*n)++;
	}
	if (!rc && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = cv__catalog_fail(a->cat, "read persons");
	sqlite3_finalize(st);
	cv__buf_wipe_dispose(&plain);
	return rc;
}

int cv__persons_load(cv_archive *a, const char *case_id, const cv_case_key *k, cv_person **out, size_t *n);
int cv__persons_load(cv_archive *a, const char *case_id, const cv_case_key *k, cv_person **out, size_t *n)
{
	return load_persons(a, case_id, k, out, n);
}

static void persons_free(cv_person *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cv__person_free_fields(&p[i]);
	free(p);
}

static int load_measures(cv_archive *a, const char *case_id, const cv_case_key *k, json_t **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT details FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		cv_buf plain = CV_BUF_INIT;
		rc = cv__case_unbox(&plain, k, case_id, "details", sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		if (!rc) {
			json_t *d = json_loads((const char *)plain.data, 0, NULL);
			*out = json_incref(json_object_get(d, "measures"));
			json_decref(d);
		}
		cv__buf_wipe_dispose(&plain);
	}
	sqlite3_finalize(st);
	if (!rc && !*out)
		*out = json_array();
	return rc;
}

int cv__case_measures_json(cv_archive *a, const char *case_id, const cv_case_key *k, json_t **out);
int cv__case_measures_json(cv_archive *a, const char *case_id, const cv_case_key *k, json_t **out)
{
	return load_measures(a, case_id, k, out);
}

/* Documents with their decrypted metadata; `all` includes removed ones. */
int cv__docs_load(cv_archive *a, const char *case_id, const cv_case_key *k, int all, cv_doc_info **out, size_t *n);

/* Live documents' latest revisions, chunk by chunk, in document order. */
static const char SQL_LIVE_CHUNKS[] =
	"SELECT d.doc_id, c.oid, r.rev FROM documents d"
	" JOIN revisions r ON r.case_id=d.case_id AND r.doc_id=d.doc_id"
	"  AND r.rev=(SELECT max(rev) FROM revisions x WHERE x.case_id=d.case_id AND x.doc_id=d.doc_id)"
	" JOIN rev_chunks rc ON rc.case_id=r.case_id AND rc.doc_id=r.doc_id AND rc.rev=r.rev"
	" JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash"
	" WHERE d.case_id=? AND d.removed=0 ORDER BY d.seq, rc.seq";

static json_t *person_json(const cv_person *p)
{
	char *s = cv__person_to_json(p);
	json_t *o = s ? json_loads(s, 0, NULL) : NULL;
	if (s) {
		cv__wipe(s, strlen(s));
		free(s);
	}
	return o;
}

/* The manifest: everything needed to read the case back from git and
 * openssl alone (docs/recovery.md), encrypted under the case key. */
int cv__case_rebuild_tree(cv_txn *t, const char *case_id, const cv_case_key *k)
{
	cv_archive *a = t->a;
	cv_case_info ci;
	CV_TRY(cv_case_get(&ci, a, case_id));
	cv_person *persons = NULL;
	size_t np = 0, nd = 0;
	json_t *measures = NULL;
	cv_doc_info *docs = NULL;
	int rc = load_persons(a, case_id, k, &persons, &np);
	if (!rc)
		rc = load_measures(a, case_id, k, &measures);
	if (!rc)
		rc = cv__docs_load(a, case_id, k, 0, &docs, &nd);
	cv_tree_entry *entries = calloc(nd + 2, sizeof *entries);
	if (!rc && !entries)
		rc = cv__oom();
	json_t *jdocs = json_array(), *jpersons = json_array();
	size_t ne = 0;
	/* One query for every live document's latest chunk list, in order. */
	sqlite3_stmt *cq = NULL;
	if (!rc)
		rc = cv__catalog_stmt(a->cat, &cq, SQL_LIVE_CHUNKS);
	if (!rc)
		cv__bind_text(cq, 1, case_id);
	int cr = cq ? sqlite3_step(cq) : SQLITE_DONE;
	for (size_t i = 0; i < nd && !rc; i++) {
		unsigned rev = 0;
		size_t noids = 0, cap = 0;
		git_oid *oids = NULL;
		while (cr == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(cq, 0), docs[i].id)) {
			if (noids == cap) {
				cap = cap ? cap * 2 : 4;
				git_oid *p = realloc(oids, cap * sizeof *p);
				if (!p) {
					rc = cv__oom();
					break;
				}
				oids = p;
			}
			rev = (unsigned)sqlite3_column_int(cq, 2);
			const char *hex = (const char *)sqlite3_column_text(cq, 1);
			if (!hex || git_oid_fromstr(&oids[noids++], hex) < 0)
				rc = cv__err(CV_EDAMAGED, "case %s document %s: malformed chunk id in the catalog", case_id, docs[i].id);
			cr = sqlite3_step(cq);
		}
		if (!rc && !noids)
			rc = cv__err(CV_EDAMAGED, "case %s document %s has no chunks in the catalog", case_id, docs[i].id);
		if (rc) {
			free(oids);
			break;
		}
		cv_tree_entry *ce = calloc(noids, sizeof *ce);
		char (*names)[24] = calloc(noids, sizeof *names);
		json_t *jch = json_array();
		if (!ce || !names) {
			rc = cv__oom();
		} else {
			for (size_t j = 0; j < noids; j++) {
				char hex[GIT_OID_HEXSZ + 1];
				snprintf(names[j], sizeof names[j], "%06zu", j);
				ce[j].name = names[j];
				git_oid_cpy(&ce[j].oid, &oids[j]);
				git_oid_tostr(hex, sizeof hex, &oids[j]);
				json_array_append_new(jch, json_string(hex));
			}
			rc = cv__store_make_tree(a->store, ce, noids, &entries[ne].oid);
		}
		entries[ne].name = docs[i].id;
		entries[ne].is_tree = 1;
		ne++;
		json_t *conc = json_array();
		for (size_t j = 0; j < docs[i].nconcerns; j++)
			json_array_append_new(conc, json_string(docs[i].concerns[j]));
		json_t *jd = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:I,s:o}", "id", docs[i].id, "path", docs[i].path, "title",
			docs[i].title, "date", docs[i].date, "type", docs[i].type, "concerns", conc, "rev", (int)rev, "size",
			(json_int_t)docs[i].size, "chunks", jch);
		json_array_append_new(jdocs, jd);
		free(ce);
		free(names);
		free(oids);
	}
	cv__stmt_done(cq);
	for (size_t i = 0; i < np && !rc; i++)
		json_array_append_new(jpersons, person_json(&persons[i]));
	git_oid manifest_oid, case_tree;
	if (!rc) {
		json_t *jc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:b}", "id", ci.id, "ref", ci.ref, "category",
			ci.category, "state", ci.state, "opened", ci.opened, "closed", ci.closed, "territory", ci.territory,
			"version", (int)ci.version, "on_hold", ci.on_hold);
		json_t *m = json_pack("{s:s,s:i,s:s,s:s,s:o,s:o,s:O,s:o}", "format", "casevault-case-manifest", "version", 1,
			"archive", a->id, "key_id", k->id_hex, "case", jc, "persons", jpersons, "measures", measures, "documents",
			jdocs);
		jpersons = jdocs = NULL;
		char *text = m ? json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
		json_decref(m);
		if (!text) {
			rc = cv__oom();
		} else {
			rc = cv__txn_put_sealed(t, k, text, strlen(text), &manifest_oid);
			cv__wipe(text, strlen(text));
			free(text);
		}
	}
	if (!rc) {
		entries[ne].name = "manifest";
		git_oid_cpy(&entries[ne].oid, &manifest_oid);
		entries[ne].is_tree = 0;
		ne++;
		char *sealed_hex = NULL;
		sqlite3_stmt *st = NULL;
		rc = cv__catalog_prepare(a->cat, &st, "SELECT sealed FROM cases WHERE id=?");
		if (!rc) {
			cv__bind_text(st, 1, case_id);
			if (sqlite3_step(st) == SQLITE_ROW)
				sealed_hex = cv__col_strdup(st, 0);
			sqlite3_finalize(st);
		}
		if (!rc && sealed_hex) {
			entries[ne].name = "sealed";
			if (git_oid_fromstr(&entries[ne].oid, sealed_hex) < 0)
				rc = cv__err(CV_EDAMAGED, "case %s: malformed sealed object id", case_id);
			ne++;
		}
		if (!rc)
			rc = cv__store_make_tree(a->store, entries, ne, &case_tree);
		free(sealed_hex);
	}
	if (!rc)
		rc = cv__txn_set_case_tree(t, case_id, &case_tree);
	if (!rc) {
		char hex[GIT_OID_HEXSZ + 1];
		sqlite3_stmt *st = NULL;
		git_oid_tostr(hex, sizeof hex, &manifest_oid);
		rc = cv__catalog_prepare(a->cat, &st, "UPDATE cases SET manifest=? WHERE id=?");
		if (!rc) {
			cv__bind_text(st, 1, hex);
			cv__bind_text(st, 2, case_id);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = cv__catalog_fail(a->cat, "record manifest");
			sqlite3_finalize(st);
		}
	}
	json_decref(jdocs);
	json_decref(jpersons);
	json_decref(measures);
	free(entries);
	persons_free(persons, np);
	cv_doc_list_free(docs, nd);
	return rc;
}

/* ------------------------------------------------------------------ */

CV_EXTERN(int) cv_case_show(cv_case_detail **out, cv_archive *a, const char *id_or_ref)
{
	char id[40], obj[64];
	*out = NULL;
	CV_TRY(cv__case_gate(a, "case.show", "archivist,maft,dpo,admin", id_or_ref, id, NULL));
	CV_TRY(cv__restricted_use(a, id, "case.show"));
	snprintf(obj, sizeof obj, "case:%s", id);
	cv_case_detail *d = calloc(1, sizeof *d);
	if (!d)
		return cv__oom();
	int rc = cv_case_get(&d->info, a, id);
	if (!rc && (!strcmp(d->info.state, "anonymised") || !strcmp(d->info.state, "destroyed"))) {
		/* No persons any more; only documents kept redacted by the policy. */
		cv_case_key k2;
		rc = cv__journal_record(a->cat, a->actor, "case.show", obj, "ok");
		if (!rc && cv__case_key_load(a, id, &k2) == 0) {
			rc = cv__docs_load(a, id, &k2, 0, &d->docs, &d->ndocs);
			cv__case_key_wipe(&k2);
		}
		cv_error_clear();
		if (rc)
			cv_case_detail_free(d);
		else
			*out = d;
		return rc;
	}
	cv_case_key k;
	if (!rc)
		rc = cv__case_key_load(a, id, &k);
	if (rc) {
		cv_case_detail_free(d);
		return rc;
	}
	/* Journal first: no personal data leaves the library unrecorded. */
	rc = cv__journal_record(a->cat, a->actor, "case.show", obj, "ok");
	if (!rc)
		rc = load_persons(a, id, &k, &d->persons, &d->npersons);
	json_t *ms = NULL;
	if (!rc)
		rc = load_measures(a, id, &k, &ms);
	if (!rc) {
		size_t n = json_array_size(ms);
		d->measures = calloc(n ? n : 1, sizeof *d->measures);
		for (size_t i = 0; d->measures && i < n; i++) {
			json_t *m = json_array_get(ms, i);
			cv_measure *dm = &d->measures[d->nmeasures++];
			const char *v;
			snprintf(dm->type, sizeof dm->type, "%s", (v = json_string_value(json_object_get(m, "type"))) ? v : "");
			snprintf(dm->basis, sizeof dm->basis, "%s", (v = json_string_value(json_object_get(m, "basis"))) ? v : "");
			snprintf(dm->start, sizeof dm->start, "%s", (v = json_string_value(json_object_get(m, "start"))) ? v : "");
			snprintf(dm->end, sizeof dm->end, "%s", (v = json_string_value(json_object_get(m, "end"))) ? v : "");
		}
	}
	json_decref(ms);
	if (!rc)
		rc = cv__docs_load(a, id, &k, 0, &d->docs, &d->ndocs);
	if (!rc && d->info.on_hold) {
		sqlite3_stmt *st = NULL;
		rc = cv__catalog_prepare(a->cat, &st, "SELECT hold FROM cases WHERE id=?");
		if (!rc) {
			cv__bind_text(st, 1, id);
			if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
				cv_buf plain = CV_BUF_INIT;
				char ad[96];
				snprintf(ad, sizeof ad, "casevault/v1|%s|hold", id);
				if (cv__box_open(&plain, a->k_afields, ad, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0)) == 0)
					d->hold_reason = strdup((const char *)plain.data);
				cv__buf_wipe_dispose(&plain);
			}
			sqlite3_finalize(st);
		}
	}
	cv__case_key_wipe(&k);
	if (rc) {
		cv_case_detail_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

CV_EXTERN(void) cv_case_detail_free(cv_case_detail *d)
{
	if (!d)
		return;
	persons_free(d->persons, d->npersons);
	free(d->measures);
	cv_doc_list_free(d->docs, d->ndocs);
	free(d->hold_reason);
	free(d);
}

/* Common shape of close / hold / release: change the row, rebuild the
 * manifest, journal, commit. */
typedef int (*case_change_fn)(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg);

static int case_change(cv_archive *a, const char *id_or_ref, const char *action, case_change_fn fn, const void *arg)
{
	char id[40], obj[64], op[96];
	CV_TRY(cv__case_resolve(a, id_or_ref, id));
	snprintf(obj, sizeof obj, "case:%s", id);
	CV_TRY(cv__require_role(a, action, obj, "archivist,admin"));
	cv_txn t;
	snprintf(op, sizeof op, "%s case %s", action, id);
	CV_TRY(cv__txn_begin(&t, a, op));
	cv_case_info ci;
	cv_case_key k;
	memset(&k, 0, sizeof k);
	int rc = cv_case_get(&ci, a, id);
	if (!rc && strcmp(ci.state, "active") && strcmp(ci.state, "archived"))
		rc = cv__err(CV_ESTATE, "%s: case %s is %s", action, ci.ref, ci.state);
	if (!rc)
		rc = cv__case_key_load(a, id, &k);
	if (!rc)
		rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = fn(a, id, &ci, arg);
	if (!rc)
		rc = cv__case_rebuild_tree(&t, id, &k);
	if (!rc)
		rc = cv__txn_journal(&t, action, obj, "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	cv__case_key_wipe(&k);
	return rc;
}

static int exec_case(cv_archive *a, const char *sql, const char *id, const char *p1, const void *blob, size_t blen)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__catalog_prepare(a->cat, &st, sql));
	cv__bind_text(st, 1, id);
	cv__bind_text(st, 2, now);
	cv__bind_text(st, 3, p1);
	if (blob)
		cv__bind_blob(st, 4, blob, blen);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "update case");
	sqlite3_finalize(st);
	return rc;
}

static int do_close(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg)
{
	const char *date = arg;
	if (strcmp(date, ci->opened) < 0)
		return cv__err(CV_EINVAL, "case close: %s is before the opening date %s of case %s", date, ci->opened, ci->ref);
	return exec_case(a, "UPDATE cases SET closed=?3, state='archived', updated=?2 WHERE id=?1", id, date, NULL, 0);
}

CV_EXTERN(int) cv_case_close(cv_archive *a, const char *id_or_ref, const char *date)
{
	if (!cv__date_valid(date))
		return cv__err(CV_EINVAL, "case close: --date '%s' is not a valid YYYY-MM-DD date", date ? date : "");
	char today[11];
	cv__date_today(today);
	/* The closure date starts the retention clock: a future one would make
	 * the case due for elimination while its services still run. */
	if (strcmp(date, today) > 0)
		return cv__err(CV_EINVAL, "case close: the closure date %s is after today (%s); a case is closed when its last "
			"service has ended, so record the closure on that day or later", date, today);
	return case_change(a, id_or_ref, "case.close", do_close, date);
}

static int do_hold(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg)
{
	(void)ci;
	const char *reason = arg;
	cv_buf box = CV_BUF_INIT;
	char ad[96], today[11];
	snprintf(ad, sizeof ad, "casevault/v1|%s|hold", id);
	cv__date_today(today);
	int rc = cv__box_seal(&box, a->k_afields, ad, reason, strlen(reason));
	if (!rc)
		rc = exec_case(a, "UPDATE cases SET hold=?4, hold_since=?3, updated=?2 WHERE id=?1", id, today, box.data, box.len);
	cv__buf_dispose(&box);
	return rc;
}

CV_EXTERN(int) cv_case_hold(cv_archive *a, const char *id_or_ref, const char *reason)
{
	if (!reason || !*reason)
		return cv__err(CV_EINVAL, "case hold: give the reason with --reason (litigation, inquiry...)");
	return case_change(a, id_or_ref, "case.hold", do_hold, reason);
}

static int do_release(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg)
{
	(void)arg;
	if (!ci->on_hold)
		return cv__err(CV_ESTATE, "case release: case %s is not on hold", ci->ref);
	return exec_case(a, "UPDATE cases SET hold=NULL, hold_since=NULL, updated=?2 WHERE id=?1 AND ?3 IS NULL", id, NULL, NULL, 0);
}

CV_EXTERN(int) cv_case_release(cv_archive *a, const char *id_or_ref)
{
	return case_change(a, id_or_ref, "case.release", do_release, NULL);
}
