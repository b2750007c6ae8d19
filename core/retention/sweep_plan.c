/* Making a sweep plan: every case evaluated against the policy at the as-of
 * date, written as one canonical JSON document and stored with its items.
 *
 * The document has sorted keys, cases ordered by ref and no timestamps
 * inside; its id is the start of its SHA-256, so the same inputs give the
 * same plan byte for byte. Who planned it and when are kept beside it, not in
 * it. Each planned case records a digest of its facts (state, category,
 * dates, version): a run refuses a plan whose cases changed since, but a
 * hold or restriction placed after approval only stops that case (blocks are
 * re-checked at execution time). */
#include "retention/retention.h"
#include "util/json.h"
#include "retention/sweep_internal.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/hex.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A plan being made. The items are kept twice: as canonical JSON, dumped one
 * by one so that 100,000 cases never sit in memory as one JSON tree, and as
 * the cv_sweep_item array handed back to the caller. */
typedef struct plan_build {
	cv_archive *a;
	cv_policy pol;
	char as_of[11];
	cv_buf items_json;       /* canonical items, comma-separated */
	json_t *facts;           /* each item's facts digest, in item order */
	cv_sweep_plan *plan;
	size_t capitems;
	size_t counts[4], nblocked;
	char *body;              /* the canonical document */
	char sha[65], id[20], now[32];
	char pol_name[128], pol_sha[65];
	int exists;              /* the same plan was made before */
} plan_build;

/* One row of the cases query, as the loop reads it. */
typedef struct case_row {
	const char *id, *ref, *cat, *state, *opened, *closed;
	int version;
	sqlite3_int64 documents, bytes;
} case_row;

static int child_born(cv_archive *a, const char *id, const void *box, size_t n, char out[11])
{
	out[0] = '\0';
	if (!box)
		return 0;
	cv_buf plain = CV_BUF_INIT;
	char ad[96];
	snprintf(ad, sizeof ad, "casevault/v1|%s|child_born", id);
	int rc = cv__box_open(&plain, a->k_afields, ad, box, n);
	if (!rc)
		snprintf(out, 11, "%s", (const char *)plain.data);
	cv__buf_wipe_dispose(&plain);
	return rc ? cv__err(CV_EDAMAGED, "case %s: birth date field does not authenticate", id) : 0;
}

/* The date the plan looks at: today unless an earlier one is given. */
static int plan_date(const cv_sweep_options *opts, char as_of[11])
{
	char today[11];
	CV_TRY(cv__options_version(opts, opts->version, CV_SWEEP_OPTIONS_VERSION, "sweep"));
	if (opts->as_of && !cv__date_valid(opts->as_of))
		return cv__err(CV_EINVAL, "sweep plan: the as-of date '%s' is not a valid YYYY-MM-DD date", opts->as_of);
	cv__date_today(today);
	/* A later date would make cases due before their time, and the plan,
	 * once approved, would act on them today. An earlier one only makes
	 * fewer cases due: allowed, for planning. */
	if (opts->as_of && strcmp(opts->as_of, today) > 0)
		return cv__err(CV_EINVAL, "sweep plan: the as-of date %s is after today (%s); a plan may look at an earlier "
			"date, never a later one, since it decides what is done now", opts->as_of, today);
	snprintf(as_of, 11, "%s", opts->as_of ? opts->as_of : today);
	return 0;
}

/* The item as the canonical document lists it. Keys are inserted in sorted
 * order (jansson keeps insertion order), so the dump needs no sorting: this
 * runs 100,000 times. */
static int item_json_append(plan_build *b, const case_row *c, int act, const cv_retain_verdict *v, const char *block,
	const char *facts)
{
	json_t *it = json_object(), *kr = NULL;
	if (act == CV_ACTION_ANONYMISE && v->nkeep_redacted) {
		kr = json_array();
		for (size_t k = 0; k < v->nkeep_redacted; k++)
			json_array_append_new(kr, json_string(v->keep_redacted[k]));
	}
	int has_closed = c->closed && *c->closed;
	json_object_set_new(it, "action", json_string(cv__sweep_actions[act]));
	json_object_set_new(it, "blocked", block[0] ? json_string(block) : json_null());
	json_object_set_new(it, "bytes", json_integer((json_int_t)c->bytes));
	json_object_set_new(it, "case", json_string(c->id));
	json_object_set_new(it, "category", json_string(c->cat));
	json_object_set_new(it, "closed", has_closed ? json_string(c->closed) : json_null());
	json_object_set_new(it, "documents", json_integer((json_int_t)c->documents));
	json_object_set_new(it, "due", v->due[0] ? json_string(v->due) : json_null());
	/* What the action rests on, signed with the body: a run refuses the
	 * item if the case changed since (sweep_store.c). */
	json_object_set_new(it, "facts", json_string(facts));
	if (kr)
		json_object_set_new(it, "keep_redacted", kr);
	json_object_set_new(it, "opened", c->opened ? json_string(c->opened) : json_null());
	json_object_set_new(it, "ref", json_string(c->ref));
	json_object_set_new(it, "rule", json_string(v->rule ? v->rule : ""));
	json_object_set_new(it, "source", json_string(v->source ? v->source : ""));
	json_object_set_new(it, "state", json_string(c->state));
	char *its = cv__json_dumps(it, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(it);
	if (!its)
		return cv__oom();
	if (b->items_json.len)
		cv__buf_putc(&b->items_json, ',');
	int rc = cv__buf_puts(&b->items_json, its);
	free(its);
	return rc;
}

/* The item as the caller reads it. */
static int item_add(plan_build *b, const case_row *c, int act, const cv_retain_verdict *v, const char *block)
{
	cv_sweep_plan *plan = b->plan;
	CV_TRY(cv__grow((void **)&plan->items, &b->capitems, plan->nitems, sizeof *plan->items));
	cv_sweep_item *x = &plan->items[plan->nitems++];
	memset(x, 0, sizeof *x);
	snprintf(x->case_id, sizeof x->case_id, "%s", c->id);
	snprintf(x->ref, sizeof x->ref, "%s", c->ref);
	snprintf(x->category, sizeof x->category, "%s", c->cat);
	snprintf(x->state, sizeof x->state, "%s", c->state);
	snprintf(x->opened, sizeof x->opened, "%s", c->opened ? c->opened : "");
	snprintf(x->closed, sizeof x->closed, "%s", c->closed ? c->closed : "");
	snprintf(x->action, sizeof x->action, "%s", cv__sweep_actions[act]);
	snprintf(x->rule, sizeof x->rule, "%s", v->rule ? v->rule : "");
	snprintf(x->source, sizeof x->source, "%s", v->source ? v->source : "");
	snprintf(x->due, sizeof x->due, "%s", v->due);
	snprintf(x->blocked, sizeof x->blocked, "%s", block);
	for (size_t k = 0; act == CV_ACTION_ANONYMISE && k < v->nkeep_redacted; k++) {
		size_t l = strlen(x->keep_redacted);
		snprintf(x->keep_redacted + l, sizeof x->keep_redacted - l, "%s%s", l ? "," : "", v->keep_redacted[k]);
	}
	x->documents = (unsigned)c->documents;
	x->bytes = (uint64_t)c->bytes;
	return 0;
}

/* One case: the policy's verdict, what blocks it, its facts digest. */
static int plan_case(plan_build *b, sqlite3_stmt *st)
{
	case_row c = { (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		(const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
		(const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5), sqlite3_column_int(st, 6),
		sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9) };
	char born[11], block[160], fd[65];
	CV_TRY(child_born(b->a, c.id, sqlite3_column_blob(st, 7), (size_t)sqlite3_column_bytes(st, 7), born));
	cv_retain_case rcase = { sizeof rcase, c.id, c.ref, c.cat, c.state, c.opened, c.closed && *c.closed ? c.closed : NULL,
		born[0] ? born : NULL };
	cv_retain_verdict v;
	int rc = cv__policy_eval(&b->pol, &rcase, b->as_of, &v);
	if (rc) {
		cv__err_prefix("sweep plan: case %s", c.ref);
		return rc;
	}
	int act = v.action >= 0 && v.action <= 3 ? v.action : 0;
	block[0] = '\0';
	if (act)
		CV_TRY(cv__case_block(b->a, c.id, block, sizeof block));
	b->counts[act]++;
	b->nblocked += block[0] != '\0';
	CV_TRY(cv__sweep_facts_digest(fd, c.id, c.state, c.cat, c.opened, c.closed, c.version));
	CV_TRY(item_json_append(b, &c, act, &v, block, fd));
	json_array_append_new(b->facts, json_string(fd));
	return item_add(b, &c, act, &v, block);
}

/* Every case in ref order, with its live documents' count and volume. */
static int plan_cases(plan_build *b)
{
	sqlite3_stmt *st = NULL;
	/* Volumes in one grouped pass; the latest size of each live document
	 * comes from the covering index revisions_size (schema 6). */
	int rc = cv__catalog_prepare(b->a->cat, &st,
		"WITH vol AS (SELECT d.case_id, count(*) AS n, sum((SELECT r.size FROM revisions r WHERE r.case_id=d.case_id"
		"   AND r.doc_id=d.doc_id ORDER BY r.rev DESC LIMIT 1)) AS bytes FROM documents d WHERE d.removed=0 GROUP BY d.case_id)"
		" SELECT c.id, c.ref, c.category, c.state, c.opened, c.closed, c.version, c.child_born,"
		" coalesce(v.n,0), coalesce(v.bytes,0) FROM cases c LEFT JOIN vol v ON v.case_id=c.id ORDER BY c.ref");
	int step = 0;
	while (!rc && (step = cv__catalog_step(b->a->cat, st, "read the cases")) == 1)
		rc = plan_case(b, st);
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	return rc;
}

/* The canonical document: keys sorted, compact, ASCII. Head and tail are
 * serialised by jansson; the items were dumped one by one. Then its hash,
 * which names the plan. */
static int plan_body(plan_build *b)
{
	json_t *head = json_pack("{s:s,s:s,s:I,s:s}", "archive", b->a->id, "as_of", b->as_of, "blocked",
		(json_int_t)b->nblocked, "format", "casevault-sweep-plan");
	json_t *tail = json_pack("{s:{s:s,s:s},s:{s:I,s:I,s:I,s:I},s:i}", "policy", "name", b->pol.describe, "sha256",
		b->pol.sha256, "totals", "anonymise", (json_int_t)b->counts[2], "archive", (json_int_t)b->counts[1], "destroy",
		(json_int_t)b->counts[3], "keep", (json_int_t)b->counts[0], "version", 1);
	char *hs = cv__json_dumps(head, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	char *ts = cv__json_dumps(tail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(head);
	json_decref(tail);
	cv_buf bb = CV_BUF_INIT;
	if (hs && ts) {
		cv__buf_put(&bb, hs, strlen(hs) - 1); /* without its closing brace */
		cv__buf_puts(&bb, ",\"items\":[");
		cv__buf_put(&bb, b->items_json.data, b->items_json.len);
		cv__buf_puts(&bb, "],");
		cv__buf_puts(&bb, ts + 1); /* without its opening brace */
	}
	b->body = (hs && ts) ? cv__buf_detach(&bb) : NULL;
	free(hs);
	free(ts);
	cv__buf_dispose(&bb);
	if (!b->body)
		return cv__oom();
	unsigned char h[32];
	CV_TRY(cv__sha256(h, b->body, strlen(b->body)));
	cv__hex(b->sha, h, 32);
	snprintf(b->id, sizeof b->id, "%.16s", b->sha);
	return 0;
}

static int plan_exists(plan_build *b)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(b->a->cat, &st, "SELECT 1 FROM plans WHERE id=?"));
	cv__bind_text(st, 1, b->id);
	b->exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return 0;
}

/* The plan's row; the body deflated, or as it is if that fails. */
static int plan_insert(plan_build *b)
{
	sqlite3_stmt *st = NULL;
	cv_archive *a = b->a;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"INSERT INTO plans(id,sha256,as_of,policy,policy_sha256,body,planner,planned,state) VALUES(?,?,?,?,?,?,?,?,'planned')"));
	cv__bind_text(st, 1, b->id);
	cv__bind_text(st, 2, b->sha);
	cv__bind_text(st, 3, b->as_of);
	cv__bind_text(st, 4, b->pol_name);
	cv__bind_text(st, 5, b->pol_sha);
	cv_buf z = CV_BUF_INIT;
	if (cv__plan_deflate(&z, b->body, strlen(b->body)) == 0)
		cv__bind_blob(st, 6, z.data, z.len);
	else
		cv__bind_blob(st, 6, b->body, strlen(b->body));
	cv__buf_dispose(&z);
	cv__bind_text(st, 7, a->actor);
	cv__bind_text(st, 8, b->now);
	int rc = sqlite3_step(st) != SQLITE_DONE ? cv__catalog_fail(a->cat, "store plan") : 0;
	sqlite3_finalize(st);
	return rc;
}

/* Items with nothing to do need no progress record. */
static int plan_insert_items(plan_build *b)
{
	sqlite3_stmt *ins = NULL;
	CV_TRY(cv__catalog_prepare(b->a->cat, &ins,
		"INSERT INTO plan_items(plan_id,seq,case_id,action,facts,rule,keep_redacted,due) VALUES(?,?,?,?,?,?,?,?)"));
	int rc = 0;
	for (size_t i = 0; !rc && i < b->plan->nitems; i++) {
		const cv_sweep_item *it = &b->plan->items[i];
		if (!strcmp(it->action, "keep"))
			continue;
		sqlite3_reset(ins);
		cv__bind_text(ins, 1, b->id);
		sqlite3_bind_int64(ins, 2, (sqlite3_int64)i);
		cv__bind_text(ins, 3, it->case_id);
		cv__bind_text(ins, 4, it->action);
		cv__bind_text(ins, 6, it->rule);
		cv__bind_text(ins, 7, it->keep_redacted[0] ? it->keep_redacted : NULL);
		cv__bind_text(ins, 5, json_string_value(json_array_get(b->facts, i)));
		cv__bind_text(ins, 8, it->due[0] ? it->due : NULL);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = cv__catalog_fail(b->a->cat, "store plan items");
	}
	sqlite3_finalize(ins);
	return rc;
}

/* One transaction: the plan and its items unless the same plan exists
 * already, and the journal entry either way. */
static int plan_store(plan_build *b)
{
	cv_txn t;
	char obj[200];
	cv__now_iso(b->now);
	int rc = cv__txn_begin(&t, b->a, "sweep plan");
	if (!rc)
		rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = plan_exists(b);
	if (!rc && !b->exists)
		rc = plan_insert(b);
	if (!rc && !b->exists)
		rc = plan_insert_items(b);
	snprintf(obj, sizeof obj, "plan:%s sha256:%s as_of:%s cases:%zu archive:%zu anonymise:%zu destroy:%zu blocked:%zu",
		b->id, b->sha, b->as_of, b->plan->nitems, b->counts[1], b->counts[2], b->counts[3], b->nblocked);
	if (!rc)
		rc = cv__txn_journal(&t, "sweep.plan", obj, b->exists ? "unchanged" : "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	return rc;
}

/* The plan as the caller reads it. The same plan made before has the same
 * items (its hash covers them): it is reported as stored, with its planner,
 * state and results, without parsing the stored document again. */
static int plan_finish(plan_build *b)
{
	cv_sweep_plan *plan = b->plan;
	snprintf(plan->id, sizeof plan->id, "%s", b->id);
	snprintf(plan->sha256, sizeof plan->sha256, "%s", b->sha);
	snprintf(plan->as_of, sizeof plan->as_of, "%s", b->as_of);
	snprintf(plan->policy, sizeof plan->policy, "%s", b->pol_name);
	snprintf(plan->policy_sha256, sizeof plan->policy_sha256, "%s", b->pol_sha);
	snprintf(plan->planner, sizeof plan->planner, "%s", b->a->actor);
	snprintf(plan->planned, sizeof plan->planned, "%s", b->now);
	snprintf(plan->state, sizeof plan->state, "planned");
	memcpy(plan->counts, b->counts, sizeof b->counts);
	plan->nblocked = b->nblocked;
	return b->exists ? cv__sweep_plan_state(plan, b->a) : 0;
}

CV_EXTERN(int) cv_sweep_plan_make(cv_sweep_plan **out, cv_archive *a, const cv_sweep_options *opts)
{
	cv_sweep_options defaults = CV_SWEEP_OPTIONS_INIT;
	plan_build b;
	*out = NULL;
	memset(&b, 0, sizeof b);
	b.a = a;
	CV_TRY(plan_date(opts ? opts : &defaults, b.as_of));
	CV_TRY(cv__access_check(a, "sweep.plan", ""));
	int rc = cv__policy_open(&b.pol, opts ? opts->policy : NULL);
	if (rc) {
		cv__policy_close(&b.pol);
		return rc;
	}
	cv__buf_reserve(&b.items_json, 1 << 20);
	b.facts = json_array();
	b.plan = calloc(1, sizeof *b.plan);
	rc = b.plan ? plan_cases(&b) : cv__oom();
	if (!rc)
		rc = plan_body(&b);
	/* The policy's name outlives it: the rows and the result carry it. */
	snprintf(b.pol_name, sizeof b.pol_name, "%s", b.pol.describe);
	snprintf(b.pol_sha, sizeof b.pol_sha, "%s", b.pol.sha256);
	cv__buf_dispose(&b.items_json);
	cv__policy_close(&b.pol);
	if (!rc)
		rc = plan_store(&b);
	if (!rc)
		rc = plan_finish(&b);
	free(b.body);
	json_decref(b.facts);
	if (rc) {
		cv_sweep_plan_free(b.plan);
		return rc;
	}
	*out = b.plan;
	return 0;
}
