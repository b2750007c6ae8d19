/* Rectifications in force on a case (see rectify.h). */
#include "records/rectify.h"
#include "util/date.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void where_of(char *out, size_t n, const cv_rectification *r)
{
	snprintf(out, n, "rectification:%s:%s:%s", r->kind, r->target, r->field);
}

int cv__rect_load(cv_archive *a, const char *case_id, const cv_case_key *k, cv_rectification **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT kind, target, field, request_id, rev, value FROM rectifications WHERE case_id=? ORDER BY kind, target, field"));
	cv__bind_text(st, 1, case_id);
	cv_rectification *list = NULL;
	size_t cap = 0, cnt = 0;
	int r, rc = 0;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cv_rectification *p = realloc(list, (cap = cap ? 2 * cap : 4) * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			list = p;
		}
		cv_rectification *x = &list[cnt++];
		memset(x, 0, sizeof *x);
		cv__col_text(st, 0, x->kind, sizeof x->kind);
		cv__col_text(st, 1, x->target, sizeof x->target);
		cv__col_text(st, 2, x->field, sizeof x->field);
		cv__col_text(st, 3, x->request, sizeof x->request);
		x->rev = (unsigned)sqlite3_column_int(st, 4);
		if (sqlite3_column_type(st, 5) == SQLITE_BLOB) {
			char where[128];
			cv_buf plain = CV_BUF_INIT;
			where_of(where, sizeof where, x);
			rc = cv__case_unbox(&plain, k, case_id, where, sqlite3_column_blob(st, 5),
				(size_t)sqlite3_column_bytes(st, 5));
			if (!rc && !(x->value = cv__buf_detach(&plain)))
				rc = cv__oom();
			cv__buf_wipe_dispose(&plain);
			if (rc)
				rc = cv__err(CV_EDAMAGED, "case %s: the record of rectification %s does not authenticate", case_id,
					x->request);
		}
	}
	if (!rc && (r != SQLITE_DONE || cv__catalog_bind_failed()))
		rc = cv__catalog_fail(a->cat, "read the case's rectifications");
	sqlite3_finalize(st);
	if (rc) {
		cv__rect_free(list, cnt);
		return rc;
	}
	*out = list;
	*n = cnt;
	return 0;
}

void cv__rect_free(cv_rectification *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].value)
			cv__wipe_free(r[i].value, strlen(r[i].value));
	free(r);
}

int cv__rect_record(cv_archive *a, const char *case_id, const cv_case_key *k, const cv_rectification *r)
{
	char where[128], now[32];
	cv_buf box = CV_BUF_INIT;
	where_of(where, sizeof where, r);
	cv__now_iso(now);
	int rc = r->value ? cv__case_box(&box, k, case_id, where, r->value, strlen(r->value)) : 0;
	sqlite3_stmt *st = NULL;
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st,
			"INSERT OR REPLACE INTO rectifications(case_id,kind,target,field,request_id,rev,value,created,actor)"
			" VALUES(?,?,?,?,?,?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, case_id);
		cv__bind_text(st, 2, r->kind);
		cv__bind_text(st, 3, r->target);
		cv__bind_text(st, 4, r->field);
		cv__bind_text(st, 5, r->request);
		if (r->rev)
			sqlite3_bind_int(st, 6, (int)r->rev);
		cv__bind_blob(st, 7, box.len ? box.data : NULL, box.len);
		cv__bind_text(st, 8, now);
		cv__bind_text(st, 9, a->actor);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "record the rectification");
		sqlite3_finalize(st);
	}
	cv__buf_dispose(&box);
	return rc;
}

const cv_rectification *cv__rect_find_doc(const cv_rectification *r, size_t n, const char *doc_id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].kind, "document") && !strcmp(r[i].target, doc_id))
			return &r[i];
	return NULL;
}
