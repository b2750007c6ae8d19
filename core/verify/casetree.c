/* The branch's case trees against the catalog: each case's expected tree
 * is computed from the catalog (no object read), the whole sharded
 * directory's id from those, and only when it differs from the branch's
 * are the trees read to say which case and which entry. */
#include "verify/vctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define damage cv__verify_damage

/* Which entry differs, once the ids disagree: the manifest, or a chunk of
 * a document (read entry by entry). */
static int diagnose_case_tree(vctx *v, const git_oid *ct, const char *case_id, const char *manifest_hex)
{
	cv_archive *a = v->a;
	git_oid m, want;
	char label[128];
	snprintf(label, sizeof label, "case %s", case_id);
	int is_tree = 0;
	if (manifest_hex && (git_oid_fromstr(&want, manifest_hex) < 0 || cv__store_lookup(a->store, ct, "manifest", &m, &is_tree) < 0 ||
		!git_oid_equal(&m, &want)))
		damage(v, label, "the branch's manifest differs from the catalog's");
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &st,
		"SELECT d.doc_id, c.oid, rc.seq FROM documents d JOIN rev_chunks rc ON rc.case_id=d.case_id AND rc.doc_id=d.doc_id"
		" AND rc.rev=(SELECT max(rev) FROM revisions r WHERE r.case_id=d.case_id AND r.doc_id=d.doc_id)"
		" JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash WHERE d.case_id=? AND d.removed=0"));
	cv__bind_text(st, 1, case_id);
	int step;
	while ((step = cv__catalog_step(a->cat, st, "list the case's chunks")) == 1) {
		char path[64];
		git_oid got, exp;
		snprintf(path, sizeof path, "%s/%06d", (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 2));
		const char *hex = (const char *)sqlite3_column_text(st, 1);
		if (!hex || git_oid_fromstr(&exp, hex) < 0 || cv__store_lookup(a->store, ct, path, &got, &is_tree) < 0 ||
			!git_oid_equal(&got, &exp)) {
			char obj[200];
			snprintf(obj, sizeof obj, "case %s document chunk %s", case_id, path);
			damage(v, obj, "the branch's tree differs from the catalog");
		}
	}
	cv__stmt_done(st);
	return step < 0 ? step : 0;
}

/* The case tree the catalog describes (as cv__case_rebuild_tree makes it):
 * each live document's latest chunks named 000000..., the manifest, the
 * sealed identity. Computed, not read: when its id is the branch's, the
 * whole subtree agrees with the catalog without reading one tree of it. */
int cv__verify_expected_tree(vctx *v, const char *case_id, const char *manifest_hex, const char *sealed_hex,
	git_oid *out)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(v->a->cat, &st,
		"SELECT d.doc_id, c.oid FROM documents d JOIN rev_chunks rc ON rc.case_id=d.case_id AND rc.doc_id=d.doc_id"
		" AND rc.rev=(SELECT max(rev) FROM revisions r WHERE r.case_id=d.case_id AND r.doc_id=d.doc_id)"
		" JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash WHERE d.case_id=? AND d.removed=0"
		" ORDER BY d.doc_id, rc.seq"));
	cv__bind_text(st, 1, case_id);
	cv_tree_entry *docs = NULL, *chunks = NULL;
	size_t nd = 0, capd = 0, nc = 0, capc = 0;
	char (*names)[16] = NULL;
	size_t capn = 0;
	int r = sqlite3_step(st), rc = 0;
	while (!rc && r == SQLITE_ROW) {
		char *doc = cv__col_strdup(st, 0);
		nc = 0;
		while (!rc && doc && r == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), doc)) {
			const char *hex = (const char *)sqlite3_column_text(st, 1);
			if (!(rc = cv__grow((void **)&chunks, &capc, nc, sizeof *chunks)) &&
				!(rc = cv__grow((void **)&names, &capn, nc, sizeof *names))) {
				snprintf(names[nc], sizeof names[nc], "%06zu", nc);
				chunks[nc].is_tree = 0;
				if (!hex || git_oid_fromstr(&chunks[nc].oid, hex) < 0)
					rc = CV_EDAMAGED; /* reported by the diagnosis */
				nc++;
				r = sqlite3_step(st);
			}
		}
		if (!doc)
			rc = cv__oom();
		if (!rc && !(rc = cv__grow((void **)&docs, &capd, nd, sizeof *docs))) {
			docs[nd].name = doc;
			docs[nd].is_tree = 1;
			for (size_t j = 0; j < nc; j++)
				chunks[j].name = names[j]; /* now that `names` has stopped moving */
			rc = cv__tree_id(chunks, nc, &docs[nd++].oid);
			doc = NULL;
		}
		free(doc);
	}
	cv__stmt_done(st);
	if (!rc && !(rc = cv__grow((void **)&docs, &capd, nd + 1, sizeof *docs))) {
		docs[nd].name = "manifest";
		docs[nd].is_tree = 0;
		if (git_oid_fromstr(&docs[nd++].oid, manifest_hex) < 0)
			rc = CV_EDAMAGED;
		if (sealed_hex && sealed_hex[0]) {
			docs[nd].name = "sealed";
			docs[nd].is_tree = 0;
			if (git_oid_fromstr(&docs[nd++].oid, sealed_hex) < 0)
				rc = CV_EDAMAGED;
		}
	}
	if (!rc)
		rc = cv__tree_id(docs, nd, out);
	for (size_t i = 0; i < nd; i++)
		if (strcmp(docs[i].name, "manifest") && strcmp(docs[i].name, "sealed"))
			free((char *)docs[i].name);
	free(docs);
	free(chunks);
	free(names);
	return rc;
}

/* One case's tree in the branch against the one the catalog describes
 * (computed during the walk, when it could be); `*found` says whether the
 * branch has one, then in `ct`. */
static int compare_case_tree(vctx *v, const git_oid *root, const vcase *c, git_oid *ct, int *found)
{
	char label[128];
	snprintf(label, sizeof label, "case %s", c->id);
	*found = cv__store_get_case(v->a->store, root, c->id, ct) == 0;
	if (!*found) {
		cv_error_clear();
		damage(v, label, "case tree missing from the branch head");
		return 0;
	}
	if (c->has_tree && git_oid_equal(ct, &c->tree))
		return 0;
	uint64_t before = v->rep->damaged;
	CV_TRY(diagnose_case_tree(v, ct, c->id, c->manifest[0] ? c->manifest : NULL));
	if (v->rep->damaged == before)
		damage(v, label, "the branch's case tree holds entries the catalog does not list");
	return 0;
}


/* ---- every case tree at once -------------------------------------- */

typedef struct fan {
	const char *id;
	git_oid oid;
} fan;

static int fan_cmp(const void *x, const void *y)
{
	return strcmp(((const fan *)x)->id, ((const fan *)y)->id);
}

/* The id of the sharded directory (`cases/xx/yy/ID`, docs/format.md) these
 * case trees make, sorted by id; level 1 is `cases` itself. */
static int fan_level(const fan *f, size_t n, int level, git_oid *out)
{
	cv_tree_entry *e = calloc(n ? n : 1, sizeof *e);
	char (*names)[3] = calloc(n ? n : 1, sizeof *names);
	size_t ne = 0;
	int rc = e && names ? 0 : cv__oom();
	for (size_t i = 0; !rc && i < n;) {
		e[ne].is_tree = 1;
		if (level == 3) {
			e[ne].name = f[i].id;
			git_oid_cpy(&e[ne++].oid, &f[i].oid);
			i++;
			continue;
		}
		size_t off = level == 1 ? 0 : 2, j = i + 1;
		while (j < n && !strncmp(f[j].id + off, f[i].id + off, 2))
			j++;
		memcpy(names[ne], f[i].id + off, 2);
		e[ne].name = names[ne];
		rc = fan_level(f + i, j - i, level + 1, &e[ne].oid);
		ne++;
		i = j;
	}
	if (!rc)
		rc = cv__tree_id(e, ne, out);
	free(e);
	free(names);
	return rc;
}

/* Cases without a key (shredded) keep the tree of what survived them, if
 * anything: taken from the branch as it is. */
static int add_keyless(vctx *v, const git_oid *root, fan **f, size_t *n, size_t *cap, char ***ids, size_t *nids)
{
	sqlite3_stmt *st = NULL;
	size_t capids = 0;
	CV_TRY(cv__catalog_prepare(v->a->cat, &st, "SELECT id FROM cases WHERE id NOT IN (SELECT case_id FROM case_keys)"));
	int rc = 0;
	int step = 0;
	while (!rc && (step = cv__catalog_step(v->a->cat, st, "list the cases without a key")) == 1) {
		git_oid t;
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (!id || cv__store_get_case(v->a->store, root, id, &t) < 0) {
			cv_error_clear();
			continue;
		}
		char *dup = strdup(id);
		if (!dup || (rc = cv__grow((void **)f, cap, *n, sizeof **f)) ||
			(rc = cv__grow((void **)ids, &capids, *nids, sizeof **ids))) {
			free(dup);
			rc = rc ? rc : cv__oom();
			break;
		}
		(*ids)[(*nids)++] = dup;
		(*f)[*n].id = dup;
		git_oid_cpy(&(*f)[(*n)++].oid, &t);
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	return rc;
}

/* Once the ids disagree: each case's tree, then cases the branch has and
 * the catalog does not. */
static int find_differences(vctx *v, const git_oid *root, const vcase *cases, size_t n, const fan *f, size_t nf)
{
	uint64_t before = v->rep->damaged;
	for (size_t i = 0; i < n; i++) {
		git_oid ct;
		int found = 0;
		if (cases[i].has_tree)
			CV_TRY(compare_case_tree(v, root, &cases[i], &ct, &found));
	}
	git_oid dir;
	int is_tree = 0;
	cv_tree_entry *xx = NULL, *yy = NULL, *ids = NULL;
	size_t nxx = 0, nyy = 0, nids = 0;
	if (cv__store_lookup(v->a->store, root, "cases", &dir, &is_tree) == 0 && is_tree &&
		cv__store_list_tree(v->a->store, &dir, &xx, &nxx) == 0) {
		for (size_t i = 0; i < nxx; i++) {
			if (cv__store_list_tree(v->a->store, &xx[i].oid, &yy, &nyy) < 0)
				continue;
			for (size_t j = 0; j < nyy; j++) {
				if (cv__store_list_tree(v->a->store, &yy[j].oid, &ids, &nids) < 0)
					continue;
				for (size_t k = 0; k < nids; k++) {
					fan key = { ids[k].name, { { 0 } } };
					if (!nf || !bsearch(&key, f, nf, sizeof *f, fan_cmp)) {
						char obj[160];
						snprintf(obj, sizeof obj, "case %s", ids[k].name);
						damage(v, obj, "the branch holds this case, the catalog does not");
					}
				}
				cv__store_list_free(ids, nids);
			}
			cv__store_list_free(yy, nyy);
		}
		cv__store_list_free(xx, nxx);
	}
	cv_error_clear();
	if (v->rep->damaged == before)
		damage(v, "cases directory of the branch", "differs from what the catalog describes");
	return 0;
}

int cv__verify_branch_cases(vctx *v, const git_oid *root, const vcase *cases, size_t n)
{
	fan *f = NULL;
	size_t nf = 0, cap = 0, nids = 0;
	char **ids = NULL;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		git_oid t;
		int found = 1;
		if (cases[i].has_tree) /* the tree the catalog describes */
			git_oid_cpy(&t, &cases[i].tree);
		else /* no manifest, or an unreadable record: checked one by one */
			rc = compare_case_tree(v, root, &cases[i], &t, &found);
		if (!rc && found && !(rc = cv__grow((void **)&f, &cap, nf, sizeof *f))) {
			f[nf].id = cases[i].id;
			git_oid_cpy(&f[nf++].oid, &t);
		}
	}
	if (!rc)
		rc = add_keyless(v, root, &f, &nf, &cap, &ids, &nids);
	if (!rc && nf)
		qsort(f, nf, sizeof *f, fan_cmp);
	git_oid want, got;
	int is_tree = 0, has = 0;
	if (!rc && nf)
		rc = fan_level(f, nf, 1, &want);
	if (!rc) {
		has = cv__store_lookup(v->a->store, root, "cases", &got, &is_tree) == 0 && is_tree;
		cv_error_clear();
		if (has != (nf > 0) || (has && !git_oid_equal(&got, &want)))
			rc = find_differences(v, root, cases, n, f, nf);
	}
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(f);
	return rc;
}
