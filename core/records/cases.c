/* Cases: catalog views (list, get, show) and the helpers that resolve and
 * gate a case. The case tree is in case_tree.c, the life-cycle changes in
 * lifecycle.c. */
#include "util/json.h"
#include "records/cases.h"
#include "catalog/rowmac.h"
#include "records/docs.h"
#include "records/persons.h"
#include "records/blocks.h"
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
		rc = cv__err(CV_ENOTFOUND, "no case '%s' (neither a case id nor a reference)", id_or_ref);
	else
		rc = cv__catalog_fail(a->cat, "find case");
	sqlite3_finalize(st);
	return rc;
}

int cv__case_gate(cv_archive *a, const char *action, const char *id_or_ref, char id[40], const char *detail)
{
	/* The role is checked before the answer can depend on whether the case
	 * exists, so that a refused user cannot probe for case references. */
	int found = id_or_ref && *id_or_ref && cv__case_resolve(a, id_or_ref, id) == 0;
	char obj[200];
	snprintf(obj, sizeof obj, "case:%s%s%s", found ? id : "unknown", detail ? " " : "", detail ? detail : "");
	CV_TRY(cv__access_check(a, action, obj));
	if (!found)
		return cv__case_resolve(a, id_or_ref, id);
	return 0;
}

/* Step a CASE_SELECT to its end into a list the caller frees; the statement
 * is the catalog's cached one, reset after. */
static int read_cases(sqlite3_stmt *st, cv_archive *a, cv_case_info **out, size_t *count)
{
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
	cv__stmt_done(st);
	if (rc) {
		free(list);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(int) cv_case_list(cv_case_info **out, size_t *count, cv_archive *a, const char *state)
{
	cv_case_list_options o = CV_CASE_LIST_OPTIONS_INIT;
	o.state = state;
	return cv_case_list_page(out, count, NULL, a, &o);
}

/* Cached statements: a front end pages through the list many times a second.
 * One pair per case, all states or one: an "(?1 IS NULL OR state=?1)" test
 * kept SQLite from counting with the table's b-tree and from walking the
 * ref index in order, and made it sort every case on every page. */
static const char COUNT_ALL_SQL[] = "SELECT count(*) FROM cases";
static const char COUNT_STATE_SQL[] = "SELECT count(*) FROM cases WHERE state=?1";
static const char PAGE_ALL_SQL[] = CASE_SELECT " WHERE id IN (SELECT id FROM cases ORDER BY ref LIMIT ?2 OFFSET ?3)"
	" ORDER BY ref";
static const char PAGE_STATE_SQL[] = CASE_SELECT " WHERE id IN (SELECT id FROM cases WHERE state=?1 ORDER BY ref"
	" LIMIT ?2 OFFSET ?3) ORDER BY ref";

static int count_cases(cv_archive *a, const char *state, size_t *total)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &st, state ? COUNT_STATE_SQL : COUNT_ALL_SQL));
	if (state)
		cv__bind_text(st, 1, state);
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : cv__catalog_fail(a->cat, "count cases");
	*total = rc ? 0 : (size_t)sqlite3_column_int64(st, 0);
	cv__stmt_done(st);
	return rc;
}

/* Paging walks the ref index and computes the document counts of the
 * page's rows only: a front end listing 10,000 cases page by page pays
 * for one page each time. */
CV_EXTERN(int) cv_case_list_page(cv_case_info **out, size_t *count, size_t *total, cv_archive *a,
	const cv_case_list_options *opts)
{
	cv_case_list_options none = CV_CASE_LIST_OPTIONS_INIT;
	*out = NULL;
	*count = 0;
	if (!opts)
		opts = &none;
	CV_TRY(cv__options_version(opts, opts->version, CV_CASE_LIST_OPTIONS_VERSION, "case list options"));
	const char *state = opts->state && *opts->state ? opts->state : NULL;
	if (total)
		CV_TRY(count_cases(a, state, total));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &st, state ? PAGE_STATE_SQL : PAGE_ALL_SQL));
	if (state)
		cv__bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, opts->limit ? (sqlite3_int64)opts->limit : -1);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)opts->offset);
	return read_cases(st, a, out, count);
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
	/* state, hold, permanent: what the caller decides on */
	CV_TRY(cv__rowmac_check(a->cat, "cases", "id=?1", id));
	CV_TRY(cv__catalog_prepare(a->cat, &st, CASE_SELECT " WHERE id=?"));
	cv__bind_text(st, 1, id);
	int rc = sqlite3_step(st) == SQLITE_ROW ? cv__case_fill_info(a, st, out) : cv__catalog_fail(a->cat, "read case");
	sqlite3_finalize(st);
	return rc;
}

int cv__case_measures_json(cv_archive *a, const char *case_id, const cv_case_key *k, json_t **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT details FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	int rc = 0;
	/* A failed step or parse is an error, not "no measures": read as none,
	 * they were left out of a copy and would be of a rebuilt manifest
	 * (tests/fault, a malloc failing in request fulfil). The details were
	 * authenticated by their box: JSON that does not parse is memory. */
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		cv_buf plain = CV_BUF_INIT;
		rc = cv__case_unbox(&plain, k, case_id, "details", sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		if (!rc) {
			json_t *d = NULL;
			rc = cv__json_parse(&d, plain.data, plain.len, 0, "case details");
			*out = json_incref(json_object_get(d, "measures"));
			json_decref(d);
		}
		cv__buf_wipe_dispose(&plain);
	} else if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = cv__catalog_fail(a->cat, "read case");
	}
	sqlite3_finalize(st);
	if (!rc && !*out && !(*out = json_array()))
		rc = cv__oom();
	return rc;
}

CV_EXTERN(int) cv_case_show(cv_case_detail **out, cv_archive *a, const char *id_or_ref)
{
	char id[40], obj[64];
	*out = NULL;
	CV_TRY(cv__case_gate(a, "case.show", id_or_ref, id, NULL));
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
		rc = cv__persons_load(a, id, &k, &d->persons, &d->npersons);
	json_t *ms = NULL;
	if (!rc)
		rc = cv__case_measures_json(a, id, &k, &ms);
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
	cv__persons_free(d->persons, d->npersons);
	free(d->measures);
	cv_doc_list_free(d->docs, d->ndocs);
	free(d->hold_reason);
	free(d);
}
