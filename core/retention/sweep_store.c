/* Sweep plans as stored: the canonical document (deflated) and its rows,
 * resolving an id prefix, reading a plan back, and checking that the cases
 * it rests on have not changed since it was made. Shared by making,
 * approving, running and rendering plans. */
#include "util/json.h"
#include "retention/sweep_internal.h"
#include "catalog/rowmac.h"
#include "engine/keys.h"
#include "util/hex.h"

#include <jansson.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cv__sweep_actions[4] = { "keep", "archive", "anonymise", "destroy" };

int cv__sweep_action_index(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(cv__sweep_actions[i], s))
			return i;
	return 0;
}

int cv__sweep_facts_digest(char out[65], const char *id, const char *state, const char *category, const char *opened,
	const char *closed, int version)
{
	char buf[512];
	unsigned char h[32];
	snprintf(buf, sizeof buf, "%s|%s|%s|%s|%s|%d", id, state, category, opened ? opened : "", closed ? closed : "", version);
	CV_TRY(cv__sha256(h, buf, strlen(buf)));
	cv__hex(out, h, 32);
	return 0;
}

/* Plans are stored deflated (a plan of 100,000 cases is 20 MB of JSON);
 * bodies written before start with '{' and are read as they are. */
int cv__plan_deflate(cv_buf *out, const char *body, size_t len)
{
	uLong bound = compressBound((uLong)len);
	CV_TRY(cv__buf_reserve(out, bound));
	uLongf n = bound;
	if (compress2(out->data, &n, (const Bytef *)body, (uLong)len, 1) != Z_OK)
		return cv__err(CV_ERROR, "cannot compress the plan");
	out->len = n;
	return 0;
}

int cv__plan_inflate(cv_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (len && p[0] == '{')
	{
		CV_TRY(cv__buf_put(out, data, len));
		return cv__buf_cstr(out);
	}
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		return cv__err(CV_ENOMEM, "cannot start zlib: out of memory");
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	int zr = Z_OK;
	while (zr == Z_OK) {
		if (cv__buf_reserve(out, 1 << 20)) {
			inflateEnd(&z);
			return CV_ENOMEM;
		}
		z.next_out = out->data + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		zr = inflate(&z, Z_NO_FLUSH);
		out->len = out->cap - 1 - z.avail_out;
	}
	inflateEnd(&z);
	if (zr != Z_STREAM_END)
		return cv__err(CV_EDAMAGED, "a stored sweep plan is damaged");
	return cv__buf_cstr(out);
}

int cv__sweep_resolve(cv_archive *a, const char *prefix, char id[20])
{
	sqlite3_stmt *st = NULL;
	if (!prefix || strlen(prefix) < 4 || strlen(prefix) > 16)
		return cv__err(CV_EINVAL, "a plan id has 4 to 16 hexadecimal digits");
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT id FROM plans WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT 2"));
	cv__bind_text(st, 1, prefix);
	int n = 0, step;
	while ((step = cv__catalog_step(a->cat, st, "find the plan")) == 1) {
		if (!n)
			cv__col_text(st, 0, id, 20);
		n++;
	}
	sqlite3_finalize(st);
	if (step < 0)
		return step;
	if (n == 0)
		return cv__err(CV_ENOTFOUND, "no sweep plan '%s'", prefix);
	if (n > 1)
		return cv__err(CV_EINVAL, "plan id '%s' is ambiguous; give more digits", prefix);
	return 0;
}

static void sjson(char *dst, size_t n, json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	snprintf(dst, n, "%s", v ? v : "");
}

void cv__sweep_signoff(cv_sweep_plan *p, sqlite3_stmt *st, int col)
{
	cv__col_text(st, col, p->planner, sizeof p->planner);
	cv__col_text(st, col + 1, p->planned, sizeof p->planned);
	cv__col_text(st, col + 2, p->approver, sizeof p->approver);
	cv__col_text(st, col + 3, p->approved, sizeof p->approved);
	cv__col_text(st, col + 4, p->state, sizeof p->state);
}

/* A director's refusal: who, when, and the reason opened from its note. */
static int plan_refusal(cv_sweep_plan *p, cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	char owner[32];
	CV_TRY(cv__rowmac_check(a->cat, "plan_refusals", "plan_id=?1", p->id));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT actor, at, reason FROM plan_refusals WHERE plan_id=?"));
	cv__bind_text(st, 1, p->id);
	/* a refusal unread would show a refused plan as open */
	int step = cv__catalog_step(a->cat, st, "read the plan's refusal");
	int rc = step < 0 ? step : 0;
	if (step > 0) {
		cv_buf txt = CV_BUF_INIT;
		cv__col_text(st, 0, p->refused_by, sizeof p->refused_by);
		cv__col_text(st, 1, p->refused_at, sizeof p->refused_at);
		snprintf(owner, sizeof owner, "plan:%s", p->id);
		rc = cv__note_open(&txt, a, owner, "refusal", sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
		if (!rc && !(p->refusal = strndup((const char *)txt.data, txt.len)))
			rc = cv__oom();
		cv__buf_dispose(&txt);
	}
	sqlite3_finalize(st);
	return rc;
}

int cv__sweep_plan_state(cv_sweep_plan *p, cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT planner, planned, approver, approved, state FROM plans WHERE id=?"));
	cv__bind_text(st, 1, p->id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return cv__catalog_fail(a->cat, "read plan");
	}
	cv__sweep_signoff(p, st, 0);
	sqlite3_finalize(st);
	CV_TRY(plan_refusal(p, a));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT seq, result FROM plan_items WHERE plan_id=? AND result IS NOT NULL"));
	cv__bind_text(st, 1, p->id);
	int step;
	/* a failed step is not "nothing done yet": done items would run again */
	while ((step = cv__catalog_step(a->cat, st, "read the plan's progress")) == 1) {
		size_t seq = (size_t)sqlite3_column_int64(st, 0);
		if (seq < p->nitems)
			cv__col_text(st, 1, p->items[seq].result, sizeof p->items[seq].result);
	}
	sqlite3_finalize(st);
	return step < 0 ? step : 0;
}

/* One item of the stored document, as the plan listed it. */
static void item_from_json(cv_sweep_plan *p, cv_sweep_item *x, json_t *it)
{
	sjson(x->case_id, sizeof x->case_id, it, "case");
	sjson(x->ref, sizeof x->ref, it, "ref");
	sjson(x->category, sizeof x->category, it, "category");
	sjson(x->state, sizeof x->state, it, "state");
	sjson(x->opened, sizeof x->opened, it, "opened");
	sjson(x->closed, sizeof x->closed, it, "closed");
	sjson(x->action, sizeof x->action, it, "action");
	sjson(x->rule, sizeof x->rule, it, "rule");
	sjson(x->source, sizeof x->source, it, "source");
	sjson(x->due, sizeof x->due, it, "due");
	sjson(x->blocked, sizeof x->blocked, it, "blocked");
	json_t *kr = json_object_get(it, "keep_redacted");
	for (size_t k = 0; k < json_array_size(kr); k++) {
		size_t l = strlen(x->keep_redacted);
		snprintf(x->keep_redacted + l, sizeof x->keep_redacted - l, "%s%s", l ? "," : "",
			json_string_value(json_array_get(kr, k)));
	}
	x->documents = (unsigned)json_integer_value(json_object_get(it, "documents"));
	x->bytes = (uint64_t)json_integer_value(json_object_get(it, "bytes"));
	p->counts[cv__sweep_action_index(x->action)]++;
	p->nblocked += x->blocked[0] != '\0';
}

/* The body as stored, checked against the hash that names the plan: what
 * a director signed is that hash, so no other body may pass for it. */
static int plan_body(json_t **doc, cv_archive *a, sqlite3_stmt *st, const char *id, const char *sha)
{
	cv_buf raw = CV_BUF_INIT;
	unsigned char h[32];
	char hex[65];
	*doc = NULL;
	int rc = cv__plan_inflate(&raw, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
	if (!rc)
		rc = cv__sha256(h, raw.data, raw.len);
	if (!rc) {
		cv__hex(hex, h, 32);
		if (strcmp(hex, sha) || strncmp(hex, id, strlen(id)))
			rc = cv__err(CV_EDAMAGED, "plan %s: its stored body does not match its hash (altered in the catalog)", id);
	}
	if (!rc && (rc = cv__json_parse(doc, raw.data, raw.len, 0, "plan")) == CV_EDAMAGED)
		cv__err_prefix("plan %s", id);
	(void)a;
	cv__buf_dispose(&raw);
	return rc;
}

int cv__sweep_plan_load(cv_sweep_plan **out, cv__facts **facts, cv_archive *a, const char *plan_id)
{
	char id[20];
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (facts)
		*facts = NULL;
	CV_TRY(cv__sweep_resolve(a, plan_id, id));
	CV_TRY(cv__rowmac_check(a->cat, "plans", "id=?1", id));
	CV_TRY(cv__rowmac_check(a->cat, "plan_items", "plan_id=?1", id));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT sha256, as_of, policy, policy_sha256, body FROM plans WHERE id=?"));
	cv__bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return cv__catalog_fail(a->cat, "read plan");
	}
	cv_sweep_plan *p = calloc(1, sizeof *p);
	if (!p) {
		sqlite3_finalize(st);
		return cv__oom();
	}
	snprintf(p->id, sizeof p->id, "%s", id);
	cv__col_text(st, 0, p->sha256, sizeof p->sha256);
	cv__col_text(st, 1, p->as_of, sizeof p->as_of);
	cv__col_text(st, 2, p->policy, sizeof p->policy);
	cv__col_text(st, 3, p->policy_sha256, sizeof p->policy_sha256);
	json_t *doc = NULL;
	int rc = plan_body(&doc, a, st, id, p->sha256);
	sqlite3_finalize(st);
	json_t *items = json_object_get(doc, "items");
	p->nitems = json_array_size(items);
	if (!rc && !(p->items = calloc(p->nitems ? p->nitems : 1, sizeof *p->items)))
		rc = cv__oom();
	if (!rc && facts && !(*facts = calloc(p->nitems ? p->nitems : 1, sizeof **facts)))
		rc = cv__oom();
	for (size_t i = 0; !rc && i < p->nitems; i++) {
		json_t *it = json_array_get(items, i);
		item_from_json(p, &p->items[i], it);
		if (facts)
			sjson((*facts)[i].digest, sizeof (*facts)[i].digest, it, "facts");
	}
	json_decref(doc);
	if (!rc)
		rc = cv__sweep_plan_state(p, a);
	if (rc) {
		cv_sweep_plan_free(p);
		if (facts) {
			free(*facts);
			*facts = NULL;
		}
		return rc;
	}
	*out = p;
	return 0;
}

CV_EXTERN(int) cv_sweep_plan_get(cv_sweep_plan **out, cv_archive *a, const char *plan_id)
{
	return cv__sweep_plan_load(out, NULL, a, plan_id);
}

CV_EXTERN(void) cv_sweep_plan_free(cv_sweep_plan *p)
{
	if (p) {
		free(p->items);
		free(p->refusal);
		free(p);
	}
}

/* Each plan read through its checked body (a list is short: one plan per
 * sweep), then its items dropped: the list shows counts, not cases. */
CV_EXTERN(int) cv_sweep_plan_list(cv_sweep_plan **out, size_t *count, cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*count = 0;
	CV_TRY(cv__access_check(a, "sweep.slip", ""));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT id FROM plans ORDER BY planned DESC, id"));
	size_t n = 0, cap = 0;
	cv_sweep_plan *list = NULL;
	int r = 0, rc = 0;
	while (!rc && (r = cv__catalog_step(a->cat, st, "list the plans")) > 0) {
		char id[20];
		cv_sweep_plan *p = NULL;
		cv__col_text(st, 0, id, sizeof id);
		if (n == cap) {
			cv_sweep_plan *g = realloc(list, (cap = cap ? 2 * cap : 8) * sizeof *g);
			if (!g) {
				rc = cv__oom();
				break;
			}
			list = g;
		}
		if ((rc = cv__sweep_plan_load(&p, NULL, a, id)))
			break;
		free(p->items);
		p->items = NULL;
		list[n++] = *p;
		free(p);
	}
	if (!rc && r < 0)
		rc = r;
	sqlite3_finalize(st);
	if (rc) {
		cv_sweep_plan_list_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(void) cv_sweep_plan_list_free(cv_sweep_plan *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++)
		free(list[i].refusal);
	free(list);
}

CV_EXTERN(int) cv_sweep_plan_document(char **json, size_t *len, cv_archive *a, const char *plan_id)
{
	char id[20];
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__sweep_resolve(a, plan_id, id));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT body FROM plans WHERE id=?"));
	cv__bind_text(st, 1, id);
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		cv_buf raw = CV_BUF_INIT;
		rc = cv__plan_inflate(&raw, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		if (!rc) {
			*len = raw.len;
			*json = cv__buf_detach(&raw);
		}
		cv__buf_dispose(&raw);
	} else {
		rc = cv__catalog_fail(a->cat, "read plan");
	}
	sqlite3_finalize(st);
	return rc;
}

int cv__sweep_set_plan(cv_archive *a, const char *id, const char *sql, const char *p1, const char *p2)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, sql));
	cv__bind_text(st, 1, id);
	cv__bind_text(st, 2, p1);
	cv__bind_text(st, 3, p2);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "update plan");
	sqlite3_finalize(st);
	return rc;
}

/* Only items not done yet count: a run that stopped halfway has changed
 * the cases it finished. The facts compared are the signed body's. */
int cv__sweep_stale(cv_archive *a, const cv_sweep_plan *p, const cv__facts *facts, char *why, size_t n)
{
	sqlite3_stmt *st = NULL;
	why[0] = '\0';
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT state, category, opened, closed, version FROM cases WHERE id=?"));
	for (size_t i = 0; !why[0] && i < p->nitems; i++) {
		const cv_sweep_item *x = &p->items[i];
		if (!strcmp(x->action, "keep") || x->result[0])
			continue;
		if (!facts[i].digest[0]) {
			snprintf(why, n, "it was made by an earlier version of casevault, before plans recorded what each case "
				"rests on");
			break;
		}
		sqlite3_reset(st);
		cv__bind_text(st, 1, x->case_id);
		/* a failed step, bind, column or digest is an error, never "stale"
		 * (that would have the director approve the same plan again) */
		int r = cv__catalog_step(a->cat, st, "read the cases of the plan");
		if (r < 0) {
			sqlite3_finalize(st);
			return r;
		}
		if (r == 0) {
			snprintf(why, n, "case %s no longer exists", x->ref);
			break;
		}
		char fd[65];
		const char *col[4];
		int rc = 0;
		for (int c = 0; c < 4; c++) /* NULL text from a non-NULL value: memory */
			if (!(col[c] = (const char *)sqlite3_column_text(st, c)) && sqlite3_column_type(st, c) != SQLITE_NULL)
				rc = cv__oom();
		if (!rc)
			rc = cv__sweep_facts_digest(fd, x->case_id, col[0], col[1], col[2], col[3], sqlite3_column_int(st, 4));
		if (rc) {
			sqlite3_finalize(st);
			return rc;
		}
		if (strcmp(fd, facts[i].digest))
			snprintf(why, n, "case %s changed since the plan was made", x->ref);
	}
	sqlite3_finalize(st);
	return 0;
}
