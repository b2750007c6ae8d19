/* Cases without a key. A case is shredded by a journaled decision — the
 * sweep plan a director approved, the erasure a DPO fulfilled, both signed
 * (journal verify checks the signatures) — or its key was deleted behind
 * casevault's back, and that is damage, not erasure. The journal is read
 * once: the approved plans, the fulfilled requests, then each shredding
 * entry against them (a query per case scanned the journal per case: a
 * minute after a sweep of 5,000 cases). */
#include "verify/vctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_ID 16    /* hex characters of a plan id */
#define REQUEST_ID 13 /* characters of a request id */

typedef struct idset {
	char **v;
	size_t n, cap;
} idset;

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int idset_add(idset *s, const char *p, size_t len)
{
	char *d = strndup(p, len);
	if (!d || cv__grow((void **)&s->v, &s->cap, s->n, sizeof *s->v)) {
		free(d);
		return cv__oom();
	}
	s->v[s->n++] = d;
	return 0;
}

static int idset_has(const idset *s, const char *p)
{
	return s->n && bsearch(&p, s->v, s->n, sizeof *s->v, str_cmp) != NULL;
}

static void idset_free(idset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* The ids that follow `tag` in the objects of the journal's successful
 * `action` entries ("plan:ID …", "request:ID …"), sorted. */
static int ids_after(cv_archive *a, const char *action, const char *tag, size_t len, char then, idset *out)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT object FROM journal WHERE action=? AND outcome='ok'"));
	cv__bind_text(st, 1, action);
	int rc = 0;
	size_t tl = strlen(tag);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(st, 0);
		if (o && !strncmp(o, tag, tl) && strlen(o) >= tl + len && (!then || o[tl + len] == then))
			rc = idset_add(out, o + tl, len);
	}
	sqlite3_finalize(st);
	if (!rc && out->n)
		qsort(out->v, out->n, sizeof *out->v, str_cmp);
	return rc;
}

/* Cases whose shredding entry names an approved plan or a fulfilled
 * request: "case:ID … plan:PLAN …" or "case:ID … request:REQ …". */
static int grounded_cases(cv_archive *a, const idset *plans, const idset *requests, idset *out)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT action, object FROM journal WHERE outcome='ok' AND action IN "
		"('case.anonymise','case.destroy','case.erase')"));
	int rc = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *act = (const char *)sqlite3_column_text(st, 0), *o = (const char *)sqlite3_column_text(st, 1);
		const char *sp = o && !strncmp(o, "case:", 5) ? strchr(o + 5, ' ') : NULL;
		if (!sp)
			continue;
		int erase = !strcmp(act, "case.erase");
		const char *tag = erase ? "request:" : "plan:", *at = strstr(o, tag);
		size_t len = erase ? REQUEST_ID : PLAN_ID;
		char id[REQUEST_ID > PLAN_ID ? REQUEST_ID + 1 : PLAN_ID + 1];
		if (!at || strlen(at + strlen(tag)) < len)
			continue;
		snprintf(id, sizeof id, "%.*s", (int)len, at + strlen(tag));
		if (idset_has(erase ? requests : plans, id))
			rc = idset_add(out, o + 5, (size_t)(sp - o - 5));
	}
	sqlite3_finalize(st);
	if (!rc && out->n)
		qsort(out->v, out->n, sizeof *out->v, str_cmp);
	return rc;
}

int cv__verify_keyless(vctx *v, uint64_t *n)
{
	cv_archive *a = v->a;
	idset plans = { 0 }, requests = { 0 }, grounded = { 0 };
	sqlite3_stmt *st = NULL;
	int rc = ids_after(a, "sweep.approve", "plan:", PLAN_ID, 0, &plans);
	if (!rc)
		rc = ids_after(a, "request.fulfil", "request:", REQUEST_ID, ' ', &requests);
	if (!rc)
		rc = grounded_cases(a, &plans, &requests, &grounded);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "SELECT id, state FROM cases WHERE id NOT IN (SELECT case_id FROM "
			"case_keys) ORDER BY id");
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0), *state = (const char *)sqlite3_column_text(st, 1);
		char obj[96];
		snprintf(obj, sizeof obj, "case %s key", id);
		(*n)++;
		if (strcmp(state, "anonymised") && strcmp(state, "destroyed"))
			cv__verify_damage(v, obj, "the case key is missing, but the case was never shredded (deleted from the catalog)");
		else if (!idset_has(&grounded, id))
			cv__verify_damage(v, obj, "the case was shredded without a journaled, signed decision (sweep plan or erasure)");
	}
	sqlite3_finalize(st);
	idset_free(&plans);
	idset_free(&requests);
	idset_free(&grounded);
	return rc;
}
