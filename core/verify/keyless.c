/* Cases without a key. A case is shredded by a journaled decision — the
 * sweep plan a director approved, the erasure a DPO fulfilled, both signed
 * (journal verify checks the signatures) — or its key was deleted behind
 * casevault's back, and that is damage, not erasure. Both lookups are
 * ranges of the journal's (action, object) index (schema 13): without it,
 * each case scanned the whole journal (minutes after a sweep of 5,000). */
#include "verify/vctx.h"

#include <stdio.h>
#include <string.h>

#define PLAN_ID 16    /* hex characters of a plan id */
#define REQUEST_ID 13 /* characters of a request id */

/* Whether a successful `action` entry's object starts with `prefix`: the
 * index range [prefix, prefix with its last byte raised). */
static int journaled_with_prefix(cv_archive *a, const char *action, const char *prefix)
{
	char upper[96];
	snprintf(upper, sizeof upper, "%s", prefix);
	size_t l = strlen(upper);
	if (!l)
		return 0;
	upper[l - 1]++;
	sqlite3_stmt *st = NULL;
	if (cv__catalog_stmt(a->cat, &st, "SELECT 1 FROM journal WHERE action=?1 AND object>=?2 AND object<?3 AND "
		"outcome='ok' LIMIT 1"))
		return 0;
	cv__bind_text(st, 1, action);
	cv__bind_text(st, 2, prefix);
	cv__bind_text(st, 3, upper);
	int found = sqlite3_step(st) == SQLITE_ROW;
	cv__stmt_done(st);
	return found;
}

/* The decision a shredding entry names ("case:ID … plan:PLAN …" or
 * "case:ID … request:REQ …"), approved or fulfilled. */
static int entry_grounded(cv_archive *a, const char *action, const char *object)
{
	int erase = !strcmp(action, "case.erase");
	const char *tag = erase ? "request:" : "plan:", *at = strstr(object, tag);
	int len = erase ? REQUEST_ID : PLAN_ID;
	if (!at || strlen(at + strlen(tag)) < (size_t)len)
		return 0;
	char prefix[64];
	snprintf(prefix, sizeof prefix, "%s%.*s%s", tag, len, at + strlen(tag), erase ? " " : "");
	return journaled_with_prefix(a, erase ? "request.fulfil" : "sweep.approve", prefix);
}

static int shred_grounded(cv_archive *a, const char *case_id)
{
	char lo[64], hi[64];
	snprintf(lo, sizeof lo, "case:%s ", case_id);
	snprintf(hi, sizeof hi, "case:%s!", case_id); /* just after the space */
	sqlite3_stmt *st = NULL;
	if (cv__catalog_prepare(a->cat, &st, "SELECT action, object FROM journal WHERE action IN "
		"('case.anonymise','case.destroy','case.erase') AND object>=?1 AND object<?2 AND outcome='ok'"))
		return 0;
	cv__bind_text(st, 1, lo);
	cv__bind_text(st, 2, hi);
	int ok = 0;
	while (!ok && sqlite3_step(st) == SQLITE_ROW)
		ok = entry_grounded(a, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return ok;
}

int cv__verify_keyless(vctx *v, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(v->a->cat, &st, "SELECT id, state FROM cases WHERE id NOT IN (SELECT case_id FROM "
		"case_keys) ORDER BY id"));
	int step;
	/* a failed step is not "no keyless case": verify would pass on it */
	while ((step = cv__catalog_step(v->a->cat, st, "list the cases without a key")) == 1) {
		const char *id = (const char *)sqlite3_column_text(st, 0), *state = (const char *)sqlite3_column_text(st, 1);
		char obj[96];
		snprintf(obj, sizeof obj, "case %s key", id);
		(*n)++;
		if (strcmp(state, "anonymised") && strcmp(state, "destroyed"))
			cv__verify_damage(v, obj, "the case key is missing, but the case was never shredded (deleted from the catalog)");
		else if (!shred_grounded(v->a, id))
			cv__verify_damage(v, obj, "the case was shredded without a journaled, signed decision (sweep plan or erasure)");
	}
	sqlite3_finalize(st);
	return step < 0 ? step : 0;
}
