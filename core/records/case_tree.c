/* The case tree: `cases/xx/yy/ID/` holds the manifest (plaintext JSON of
 * the case, sealed under the case key) and one tree per current document
 * whose blobs are its chunks in order (docs/format.md). Rebuilt from the
 * catalog, inside the caller's transaction, after every change of a case. */
#include "records/case_tree.h"
#include "records/docs.h"
#include "records/persons.h"
#include "records/cases.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Live documents' latest revisions, chunk by chunk, in document order. */
static const char SQL_LIVE_CHUNKS[] =
	"SELECT d.doc_id, c.oid, r.rev FROM documents d"
	" JOIN revisions r ON r.case_id=d.case_id AND r.doc_id=d.doc_id"
	"  AND r.rev=(SELECT max(rev) FROM revisions x WHERE x.case_id=d.case_id AND x.doc_id=d.doc_id)"
	" JOIN rev_chunks rc ON rc.case_id=r.case_id AND rc.doc_id=r.doc_id AND rc.rev=r.rev"
	" JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash"
	" WHERE d.case_id=? AND d.removed=0 ORDER BY d.seq, rc.seq";

/* ------------------------------------------------------------------ */

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
	int rc = cv__persons_load(a, case_id, k, &persons, &np);
	if (!rc)
		rc = cv__case_measures_json(a, case_id, k, &measures);
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
	cv__persons_free(persons, np);
	cv_doc_list_free(docs, nd);
	return rc;
}
