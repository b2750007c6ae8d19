/* The case tree: `cases/xx/yy/ID/` holds the manifest (plaintext JSON of
 * the case, sealed under the case key) and one tree per current document
 * whose blobs are its chunks in order (docs/format.md). Rebuilt from the
 * catalog, inside the caller's transaction, after every change of a case. */
#include "records/case_tree.h"
#include "util/json.h"
#include "records/docs.h"
#include "records/revtag.h"
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

/* A case's content as the rebuild reads it from the catalog. */
typedef struct case_content {
	cv_case_info ci;
	cv_person *persons;
	size_t np;
	json_t *measures;
	cv_doc_info *docs;
	size_t nd;
} case_content;

/* One document's chunk ids, read from the cursor over SQL_LIVE_CHUNKS
 * (rows in document order, `*cr` the cursor's last step); `rev` is the
 * revision they belong to. */
static int doc_chunks(sqlite3_stmt *cq, int *cr, const char *case_id, const cv_doc_info *doc, git_oid **oids,
	size_t *noids, unsigned *rev)
{
	size_t cap = 0;
	const char *of;
	/* a step or a column that failed (out of memory) is not a missing chunk */
	while (*cr == SQLITE_ROW && (of = (const char *)sqlite3_column_text(cq, 0)) != NULL && !strcmp(of, doc->id)) {
		CV_TRY(cv__grow((void **)oids, &cap, *noids, sizeof **oids));
		*rev = (unsigned)sqlite3_column_int(cq, 2);
		const char *hex = (const char *)sqlite3_column_text(cq, 1);
		if (!hex && sqlite3_errcode(sqlite3_db_handle(cq)) == SQLITE_NOMEM)
			return cv__oom();
		if (!hex || git_oid_fromstr(&(*oids)[(*noids)++], hex) < 0)
			return cv__err(CV_EDAMAGED, "case %s document %s: malformed chunk id in the catalog", case_id, doc->id);
		*cr = sqlite3_step(cq);
	}
	if (*cr != SQLITE_ROW && *cr != SQLITE_DONE)
		return cv__stmt_fail(cq, "read the chunks of a document");
	if (*cr == SQLITE_ROW && !of)
		return cv__oom();
	if (!*noids)
		return cv__err(CV_EDAMAGED, "case %s document %s has no chunks in the catalog", case_id, doc->id);
	return 0;
}

/* A document's tree: its chunks in order, named 000000, 000001...; its
 * entry in the manifest lists them too. */
static int doc_tree(cv_archive *a, const char *case_id, const cv_doc_info *doc, const git_oid *oids, size_t noids,
	unsigned rev, cv_tree_entry *entry, json_t *jdocs)
{
	cv_tree_entry *ce = calloc(noids, sizeof *ce);
	char (*names)[24] = calloc(noids, sizeof *names);
	json_t *jch = json_array();
	int rc = 0;
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
		rc = cv__store_make_tree(a->store, ce, noids, &entry->oid);
	}
	entry->name = doc->id;
	entry->is_tree = 1;
	json_t *conc = json_array();
	for (size_t j = 0; j < doc->nconcerns; j++)
		json_array_append_new(conc, json_string(doc->concerns[j]));
	json_t *jd = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:I,s:o}", "id", doc->id, "path", doc->path, "title",
		doc->title, "date", doc->date, "type", doc->type, "concerns", conc, "rev", (int)rev, "size",
		(json_int_t)doc->size, "chunks", jch);
	/* the revision's keyed tag: what reads compare the catalog with */
	char tag[65];
	/* Every allocation of the manifest is checked: jansson drops what it
	 * cannot allocate, and the manifest (the recovery path) would lack a
	 * chunk, a person, a document or its tag (tests/fault). */
	if (!rc && (!jch || json_array_size(jch) != noids || !conc || json_array_size(conc) != doc->nconcerns || !jd))
		rc = cv__oom();
	if (!rc)
		rc = cv__rev_tag_hex(a, case_id, doc->id, rev, tag);
	if (!rc && tag[0] && json_object_set_new(jd, "tag", json_string(tag)))
		rc = cv__oom();
	if (json_array_append_new(jdocs, jd) && !rc)
		rc = cv__oom();
	free(ce);
	free(names);
	return rc;
}

/* Every live document's tree, from one query for all their latest chunk
 * lists in order. */
static int docs_trees(cv_archive *a, const char *case_id, const case_content *cc, cv_tree_entry *entries, size_t *ne,
	json_t *jdocs)
{
	sqlite3_stmt *cq = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &cq, SQL_LIVE_CHUNKS));
	cv__bind_text(cq, 1, case_id);
	int cr = sqlite3_step(cq), rc = 0;
	for (size_t i = 0; i < cc->nd && !rc; i++) {
		unsigned rev = 0;
		size_t noids = 0;
		git_oid *oids = NULL;
		rc = doc_chunks(cq, &cr, case_id, &cc->docs[i], &oids, &noids, &rev);
		if (!rc)
			rc = doc_tree(a, case_id, &cc->docs[i], oids, noids, rev, &entries[(*ne)++], jdocs);
		free(oids);
	}
	cv__stmt_done(cq);
	return rc;
}

/* The manifest: everything needed to read the case back from git and
 * openssl alone (docs/recovery.md), sealed under the case key. It takes
 * over `jpersons` and `jdocs`. */
static int manifest_put(cv_txn *t, const cv_case_key *k, const case_content *cc, json_t *jpersons, json_t *jdocs,
	git_oid *out)
{
	const cv_case_info *ci = &cc->ci;
	json_t *jc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:b}", "id", ci->id, "ref", ci->ref, "category",
		ci->category, "state", ci->state, "opened", ci->opened, "closed", ci->closed, "territory", ci->territory,
		"version", (int)ci->version, "on_hold", ci->on_hold);
	json_t *m = json_pack("{s:s,s:i,s:s,s:s,s:o,s:o,s:O,s:o}", "format", "casevault-case-manifest", "version", 1,
		"archive", t->a->id, "key_id", k->id_hex, "case", jc, "persons", jpersons, "measures", cc->measures, "documents",
		jdocs);
	char *text = m ? cv__json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(m);
	if (!text)
		return cv__oom();
	int rc = cv__txn_put_sealed(t, k, text, strlen(text), out, NULL);
	cv__wipe(text, strlen(text));
	free(text);
	return rc;
}

/* The case's own tree: its documents' trees, the manifest, and the sealed
 * identity when it has one. */
static int case_tree_make(cv_archive *a, const char *case_id, cv_tree_entry *entries, size_t ne,
	const git_oid *manifest_oid, git_oid *case_tree)
{
	entries[ne].name = "manifest";
	git_oid_cpy(&entries[ne].oid, manifest_oid);
	entries[ne].is_tree = 0;
	ne++;
	char *sealed_hex = NULL;
	sqlite3_stmt *st = NULL;
	int rc = cv__catalog_prepare(a->cat, &st, "SELECT sealed FROM cases WHERE id=?");
	if (!rc) {
		/* a failed read is an error: the tree would lose the sealed identity (tests/fault) */
		cv__bind_text(st, 1, case_id);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL && !(sealed_hex = cv__col_strdup(st, 0)))
			rc = cv__oom();
		else if (step != SQLITE_ROW && step != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "read case");
		sqlite3_finalize(st);
	}
	if (!rc && sealed_hex) {
		entries[ne].name = "sealed";
		if (git_oid_fromstr(&entries[ne].oid, sealed_hex) < 0)
			rc = cv__err(CV_EDAMAGED, "case %s: malformed sealed object id", case_id);
		ne++;
	}
	if (!rc)
		rc = cv__store_make_tree(a->store, entries, ne, case_tree);
	free(sealed_hex);
	return rc;
}

static int manifest_record(cv_archive *a, const char *case_id, const git_oid *manifest_oid)
{
	char hex[GIT_OID_HEXSZ + 1];
	sqlite3_stmt *st = NULL;
	git_oid_tostr(hex, sizeof hex, manifest_oid);
	CV_TRY(cv__catalog_prepare(a->cat, &st, "UPDATE cases SET manifest=? WHERE id=?"));
	cv__bind_text(st, 1, hex);
	cv__bind_text(st, 2, case_id);
	int rc = sqlite3_step(st) != SQLITE_DONE ? cv__catalog_fail(a->cat, "record manifest") : 0;
	sqlite3_finalize(st);
	return rc;
}

int cv__case_rebuild_tree(cv_txn *t, const char *case_id, const cv_case_key *k)
{
	cv_archive *a = t->a;
	case_content cc;
	memset(&cc, 0, sizeof cc);
	CV_TRY(cv_case_get(&cc.ci, a, case_id));
	int rc = cv__persons_load(a, case_id, k, &cc.persons, &cc.np);
	if (!rc)
		rc = cv__case_measures_json(a, case_id, k, &cc.measures);
	if (!rc)
		rc = cv__docs_load(a, case_id, k, 0, &cc.docs, &cc.nd);
	/* Room for every document, the manifest and the sealed identity. */
	cv_tree_entry *entries = calloc(cc.nd + 2, sizeof *entries);
	if (!rc && !entries)
		rc = cv__oom();
	json_t *jdocs = json_array(), *jpersons = json_array();
	size_t ne = 0;
	if (!rc)
		rc = docs_trees(a, case_id, &cc, entries, &ne, jdocs);
	if (!rc && (!jdocs || !jpersons))
		rc = cv__oom();
	for (size_t i = 0; i < cc.np && !rc; i++)
		if (json_array_append_new(jpersons, person_json(&cc.persons[i])))
			rc = cv__oom(); /* a person left out of the manifest otherwise (tests/fault) */
	git_oid manifest_oid, case_tree;
	if (!rc) {
		rc = manifest_put(t, k, &cc, jpersons, jdocs, &manifest_oid);
		jpersons = jdocs = NULL;
	}
	if (!rc)
		rc = case_tree_make(a, case_id, entries, ne, &manifest_oid, &case_tree);
	if (!rc)
		rc = cv__txn_set_case_tree(t, case_id, &case_tree);
	if (!rc)
		rc = manifest_record(a, case_id, &manifest_oid);
	json_decref(jdocs);
	json_decref(jpersons);
	json_decref(cc.measures);
	free(entries);
	cv__persons_free(cc.persons, cc.np);
	cv_doc_list_free(cc.docs, cc.nd);
	return rc;
}
