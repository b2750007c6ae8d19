/* Retention sweeps: plan, approve, run.
 *
 * A plan is a canonical JSON document (sorted keys, cases ordered by ref,
 * no timestamps inside) computed from the archive's retention facts, the
 * policy file and the as-of date; its id is the start of its SHA-256, so the
 * same inputs give the same plan byte for byte. Who planned it and when are
 * kept beside it, not in it. Each planned case records a digest of its facts
 * (state, category, dates, version): a run refuses a plan whose cases changed
 * since, but a hold or restriction placed after approval only stops that
 * case (blocks are re-checked at execution time).
 *
 * A run processes the plan's actions in batches, each one git commit and one
 * catalog transaction that also marks its items done, so an interrupted run
 * is finished by running it again. Anonymisation keeps the statistical
 * record (under the statistics key), removes persons, blind-index rows and
 * documents, takes the case out of the branch, and destroys the case key
 * (crypto-shredding): every earlier version in git becomes unreadable. */
#include "retention/retention.h"
#include "records/docs.h"
#include "records/case_tree.h"
#include "records/lifecycle.h"
#include "retention/sweep_internal.h"
#include "util/date.h"
#include "util/text.h"
#include "util/wipe.h"
#include "export/redaction.h"
#include "util/hex.h"
#include "crypto/fieldbox.h"


#include <jansson.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_BATCH 256

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
		return cv__err(CV_ERROR, "zlib init failed");
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

static const char *const ACTIONS[] = { "keep", "archive", "anonymise", "destroy" };

static int action_index(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(ACTIONS[i], s))
			return i;
	return 0;
}

static int facts_digest(char out[65], const char *id, const char *state, const char *category, const char *opened,
	const char *closed, int version)
{
	char buf[512];
	unsigned char h[32];
	snprintf(buf, sizeof buf, "%s|%s|%s|%s|%s|%d", id, state, category, opened ? opened : "", closed ? closed : "", version);
	CV_TRY(cv__sha256(h, buf, strlen(buf)));
	cv__hex(out, h, 32);
	return 0;
}

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

static int plan_state(cv_sweep_plan *p, cv_archive *a);

CV_EXTERN(int) cv_sweep_plan_make(cv_sweep_plan **out, cv_archive *a, const cv_sweep_options *opts)
{
	cv_sweep_options defaults = CV_SWEEP_OPTIONS_INIT;
	char today[11], as_of[11];
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version != CV_SWEEP_OPTIONS_VERSION)
		return cv__err(CV_EINVAL, "sweep: unsupported options version");
	if (opts->as_of && !cv__date_valid(opts->as_of))
		return cv__err(CV_EINVAL, "sweep plan: --as-of '%s' is not a valid YYYY-MM-DD date", opts->as_of);
	cv__date_today(today);
	/* A later date would make cases due before their time, and the plan,
	 * once approved, would act on them today. An earlier one only makes
	 * fewer cases due: allowed, for planning. */
	if (opts->as_of && strcmp(opts->as_of, today) > 0)
		return cv__err(CV_EINVAL, "sweep plan: the as-of date %s is after today (%s); a plan may look at an earlier "
			"date, never a later one, since it decides what is done now", opts->as_of, today);
	snprintf(as_of, sizeof as_of, "%s", opts->as_of ? opts->as_of : today);
	CV_TRY(cv__access_check(a, "sweep.plan", ""));
	cv_policy pol;
	int rc = cv__policy_open(&pol, opts->policy);
	if (rc) {
		cv__policy_close(&pol);
		return rc;
	}
	sqlite3_stmt *st = NULL;
	/* Volumes in one grouped pass; the latest size of each live document
	 * comes from the covering index revisions_size (schema 6). */
	rc = cv__catalog_prepare(a->cat, &st,
		"WITH vol AS (SELECT d.case_id, count(*) AS n, sum((SELECT r.size FROM revisions r WHERE r.case_id=d.case_id"
		"   AND r.doc_id=d.doc_id ORDER BY r.rev DESC LIMIT 1)) AS bytes FROM documents d WHERE d.removed=0 GROUP BY d.case_id)"
		" SELECT c.id, c.ref, c.category, c.state, c.opened, c.closed, c.version, c.child_born,"
		" coalesce(v.n,0), coalesce(v.bytes,0) FROM cases c LEFT JOIN vol v ON v.case_id=c.id ORDER BY c.ref");
	cv_buf items_json = CV_BUF_INIT; /* canonical items, comma-separated */
	cv__buf_reserve(&items_json, 1 << 20);
	json_t *facts = json_array();
	size_t counts[4] = { 0, 0, 0, 0 }, nblocked = 0;
	cv_sweep_plan *plan = calloc(1, sizeof *plan);
	size_t capitems = 0;
	if (!rc && !plan)
		rc = cv__oom();
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *ref = (const char *)sqlite3_column_text(st, 1);
		const char *cat = (const char *)sqlite3_column_text(st, 2);
		const char *state = (const char *)sqlite3_column_text(st, 3);
		const char *opened = (const char *)sqlite3_column_text(st, 4);
		const char *closed = (const char *)sqlite3_column_text(st, 5);
		int version = sqlite3_column_int(st, 6);
		char born[11], block[160], fd[65];
		if ((rc = child_born(a, id, sqlite3_column_blob(st, 7), (size_t)sqlite3_column_bytes(st, 7), born)))
			break;
		cv_retain_case c = { sizeof c, id, ref, cat, state, opened, closed && *closed ? closed : NULL, born[0] ? born : NULL };
		cv_retain_verdict v;
		if ((rc = cv__policy_eval(&pol, &c, as_of, &v))) {
			cv__err_prefix("sweep plan: case %s", ref);
			break;
		}
		int act = v.action >= 0 && v.action <= 3 ? v.action : 0;
		block[0] = '\0';
		if (act && (rc = cv__case_block(a, id, block, sizeof block)))
			break;
		counts[act]++;
		nblocked += block[0] != '\0';
		facts_digest(fd, id, state, cat, opened, closed, version);
		/* Keys inserted in sorted order (jansson keeps insertion order), so
		 * the dump needs no sorting: this runs 100,000 times. */
		json_t *it = json_object(), *kr = NULL;
		if (act == CV_ACTION_ANONYMISE && v.nkeep_redacted) {
			kr = json_array();
			for (size_t k = 0; k < v.nkeep_redacted; k++)
				json_array_append_new(kr, json_string(v.keep_redacted[k]));
		}
		json_object_set_new(it, "action", json_string(ACTIONS[act]));
		json_object_set_new(it, "blocked", block[0] ? json_string(block) : json_null());
		json_object_set_new(it, "bytes", json_integer((json_int_t)sqlite3_column_int64(st, 9)));
		json_object_set_new(it, "case", json_string(id));
		json_object_set_new(it, "category", json_string(cat));
		json_object_set_new(it, "closed", closed && *closed ? json_string(closed) : json_null());
		json_object_set_new(it, "documents", json_integer((json_int_t)sqlite3_column_int64(st, 8)));
		json_object_set_new(it, "due", v.due[0] ? json_string(v.due) : json_null());
		if (kr)
			json_object_set_new(it, "keep_redacted", kr);
		json_object_set_new(it, "opened", opened ? json_string(opened) : json_null());
		json_object_set_new(it, "ref", json_string(ref));
		json_object_set_new(it, "rule", json_string(v.rule ? v.rule : ""));
		json_object_set_new(it, "source", json_string(v.source ? v.source : ""));
		json_object_set_new(it, "state", json_string(state));
		char *its = json_dumps(it, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(it);
		if (!its) {
			rc = cv__oom();
			break;
		}
		if (items_json.len)
			cv__buf_putc(&items_json, ',');
		rc = cv__buf_puts(&items_json, its);
		free(its);
		if (rc)
			break;
		json_array_append_new(facts, json_string(fd));
		if (plan->nitems == capitems) {
			capitems = capitems ? capitems * 2 : 1024;
			cv_sweep_item *pi = realloc(plan->items, capitems * sizeof *pi);
			if (!pi) {
				rc = cv__oom();
				break;
			}
			plan->items = pi;
		}
		cv_sweep_item *x = &plan->items[plan->nitems++];
		memset(x, 0, sizeof *x);
		snprintf(x->case_id, sizeof x->case_id, "%s", id);
		snprintf(x->ref, sizeof x->ref, "%s", ref);
		snprintf(x->category, sizeof x->category, "%s", cat);
		snprintf(x->state, sizeof x->state, "%s", state);
		snprintf(x->opened, sizeof x->opened, "%s", opened ? opened : "");
		snprintf(x->closed, sizeof x->closed, "%s", closed ? closed : "");
		snprintf(x->action, sizeof x->action, "%s", ACTIONS[act]);
		snprintf(x->rule, sizeof x->rule, "%s", v.rule ? v.rule : "");
		snprintf(x->source, sizeof x->source, "%s", v.source ? v.source : "");
		snprintf(x->due, sizeof x->due, "%s", v.due);
		snprintf(x->blocked, sizeof x->blocked, "%s", block);
		for (size_t k = 0; act == CV_ACTION_ANONYMISE && k < v.nkeep_redacted; k++) {
			size_t l = strlen(x->keep_redacted);
			snprintf(x->keep_redacted + l, sizeof x->keep_redacted - l, "%s%s", l ? "," : "", v.keep_redacted[k]);
		}
		x->documents = (unsigned)sqlite3_column_int64(st, 8);
		x->bytes = (uint64_t)sqlite3_column_int64(st, 9);
	}
	sqlite3_finalize(st);
	if (rc) {
		cv__buf_dispose(&items_json);
		json_decref(facts);
		cv__policy_close(&pol);
		cv_sweep_plan_free(plan);
		return rc;
	}
	/* The canonical document: keys sorted, compact, ASCII. Each part is
	 * serialised by jansson; the items were dumped one by one above so
	 * that 100,000 cases never sit in memory as one JSON tree. */
	json_t *head = json_pack("{s:s,s:s,s:I,s:s}", "archive", a->id, "as_of", as_of, "blocked", (json_int_t)nblocked,
		"format", "casevault-sweep-plan");
	json_t *tail = json_pack("{s:{s:s,s:s},s:{s:I,s:I,s:I,s:I},s:i}", "policy", "name", pol.describe, "sha256", pol.sha256,
		"totals", "anonymise", (json_int_t)counts[2], "archive", (json_int_t)counts[1], "destroy", (json_int_t)counts[3],
		"keep", (json_int_t)counts[0], "version", 1);
	char *hs = json_dumps(head, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	char *ts = json_dumps(tail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(head);
	json_decref(tail);
	cv_buf bb = CV_BUF_INIT;
	if (hs && ts) {
		cv__buf_put(&bb, hs, strlen(hs) - 1); /* without its closing brace */
		cv__buf_puts(&bb, ",\"items\":[");
		cv__buf_put(&bb, items_json.data, items_json.len);
		cv__buf_puts(&bb, "],");
		cv__buf_puts(&bb, ts + 1); /* without its opening brace */
	}
	free(hs);
	free(ts);
	cv__buf_dispose(&items_json);
	char *body = (hs && ts) ? cv__buf_detach(&bb) : NULL;
	cv__buf_dispose(&bb);
	char pol_name[128], pol_sha[65];
	snprintf(pol_name, sizeof pol_name, "%s", pol.describe);
	snprintf(pol_sha, sizeof pol_sha, "%s", pol.sha256);
	cv__policy_close(&pol);
	if (!body) {
		json_decref(facts);
		cv_sweep_plan_free(plan);
		return cv__oom();
	}
	unsigned char h[32];
	char sha[65], id[20], now[32];
	cv__sha256(h, body, strlen(body));
	cv__hex(sha, h, 32);
	snprintf(id, sizeof id, "%.16s", sha);
	cv__now_iso(now);

	cv_txn t;
	rc = cv__txn_begin(&t, a, "sweep plan");
	if (!rc)
		rc = cv__txn_sql_begin(&t);
	int exists = 0;
	if (!rc) {
		rc = cv__catalog_prepare(a->cat, &st, "SELECT 1 FROM plans WHERE id=?");
		if (!rc) {
			cv__bind_text(st, 1, id);
			exists = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
		}
	}
	if (!rc && !exists) {
		rc = cv__catalog_prepare(a->cat, &st,
			"INSERT INTO plans(id,sha256,as_of,policy,policy_sha256,body,planner,planned,state) VALUES(?,?,?,?,?,?,?,?,'planned')");
		if (!rc) {
			cv__bind_text(st, 1, id);
			cv__bind_text(st, 2, sha);
			cv__bind_text(st, 3, as_of);
			cv__bind_text(st, 4, pol_name);
			cv__bind_text(st, 5, pol_sha);
			cv_buf z = CV_BUF_INIT;
			if (cv__plan_deflate(&z, body, strlen(body)) == 0)
				cv__bind_blob(st, 6, z.data, z.len);
			else
				cv__bind_blob(st, 6, body, strlen(body));
			cv__buf_dispose(&z);
			cv__bind_text(st, 7, a->actor);
			cv__bind_text(st, 8, now);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = cv__catalog_fail(a->cat, "store plan");
			sqlite3_finalize(st);
		}
		sqlite3_stmt *ins = NULL;
		if (!rc)
			rc = cv__catalog_prepare(a->cat, &ins,
				"INSERT INTO plan_items(plan_id,seq,case_id,action,facts,rule,keep_redacted,due) VALUES(?,?,?,?,?,?,?,?)");
		for (size_t i = 0; !rc && i < plan->nitems; i++) {
			const cv_sweep_item *it = &plan->items[i];
			/* Items with nothing to do need no progress record. */
			if (!strcmp(it->action, "keep"))
				continue;
			sqlite3_reset(ins);
			cv__bind_text(ins, 1, id);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)i);
			cv__bind_text(ins, 3, it->case_id);
			cv__bind_text(ins, 4, it->action);
			cv__bind_text(ins, 6, it->rule);
			cv__bind_text(ins, 7, it->keep_redacted[0] ? it->keep_redacted : NULL);
			cv__bind_text(ins, 5, json_string_value(json_array_get(facts, i)));
			cv__bind_text(ins, 8, it->due[0] ? it->due : NULL);
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = cv__catalog_fail(a->cat, "store plan items");
		}
		sqlite3_finalize(ins);
	}
	char obj[200];
	snprintf(obj, sizeof obj, "plan:%s sha256:%s as_of:%s cases:%zu archive:%zu anonymise:%zu destroy:%zu blocked:%zu", id,
		sha, as_of, plan->nitems, counts[1], counts[2], counts[3], nblocked);
	if (!rc)
		rc = cv__txn_journal(&t, "sweep.plan", obj, exists ? "unchanged" : "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	free(body);
	json_decref(facts);
	if (rc) {
		cv_sweep_plan_free(plan);
		return rc;
	}
	snprintf(plan->id, sizeof plan->id, "%s", id);
	snprintf(plan->sha256, sizeof plan->sha256, "%s", sha);
	snprintf(plan->as_of, sizeof plan->as_of, "%s", as_of);
	snprintf(plan->policy, sizeof plan->policy, "%s", pol_name);
	snprintf(plan->policy_sha256, sizeof plan->policy_sha256, "%s", pol_sha);
	snprintf(plan->planner, sizeof plan->planner, "%s", a->actor);
	snprintf(plan->planned, sizeof plan->planned, "%s", now);
	snprintf(plan->state, sizeof plan->state, "planned");
	memcpy(plan->counts, counts, sizeof counts);
	plan->nblocked = nblocked;
	/* The same plan made before has the same items (its hash covers them):
	 * report it as stored, with its planner, state and results, without
	 * parsing the stored document again. */
	if (exists && (rc = plan_state(plan, a)) != 0) {
		cv_sweep_plan_free(plan);
		return rc;
	}
	*out = plan;
	return 0;
}

/* ------------------------------------------------------------------ */

static int resolve_plan(cv_archive *a, const char *prefix, char id[20])
{
	sqlite3_stmt *st = NULL;
	if (!prefix || strlen(prefix) < 4 || strlen(prefix) > 16)
		return cv__err(CV_EINVAL, "a plan id has 4 to 16 hexadecimal digits (see 'casevault sweep plan')");
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT id FROM plans WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT 2"));
	cv__bind_text(st, 1, prefix);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!n)
			cv__col_text(st, 0, id, 20);
		n++;
	}
	sqlite3_finalize(st);
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

/* planner, planned, approver, approved, state: five columns from `col`. */
static void plan_signoff(cv_sweep_plan *p, sqlite3_stmt *st, int col)
{
	cv__col_text(st, col, p->planner, sizeof p->planner);
	cv__col_text(st, col + 1, p->planned, sizeof p->planned);
	cv__col_text(st, col + 2, p->approver, sizeof p->approver);
	cv__col_text(st, col + 3, p->approved, sizeof p->approved);
	cv__col_text(st, col + 4, p->state, sizeof p->state);
}

/* What changes after planning: who planned and approved it, its state,
 * and each item's result. */
static int plan_state(cv_sweep_plan *p, cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT planner, planned, approver, approved, state FROM plans WHERE id=?"));
	cv__bind_text(st, 1, p->id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return cv__catalog_fail(a->cat, "read plan");
	}
	plan_signoff(p, st, 0);
	sqlite3_finalize(st);
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT seq, result FROM plan_items WHERE plan_id=? AND result IS NOT NULL"));
	cv__bind_text(st, 1, p->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t seq = (size_t)sqlite3_column_int64(st, 0);
		if (seq < p->nitems)
			cv__col_text(st, 1, p->items[seq].result, sizeof p->items[seq].result);
	}
	sqlite3_finalize(st);
	return 0;
}

CV_EXTERN(int) cv_sweep_plan_get(cv_sweep_plan **out, cv_archive *a, const char *plan_id)
{
	char id[20];
	sqlite3_stmt *st = NULL;
	*out = NULL;
	CV_TRY(resolve_plan(a, plan_id, id));
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
	cv_buf raw = CV_BUF_INIT;
	json_t *doc = NULL;
	if (cv__plan_inflate(&raw, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4)) == 0)
		doc = json_loadb((const char *)raw.data, raw.len, 0, NULL);
	cv__buf_dispose(&raw);
	sqlite3_finalize(st);
	json_t *items = json_object_get(doc, "items");
	p->nitems = json_array_size(items);
	p->items = calloc(p->nitems ? p->nitems : 1, sizeof *p->items);
	if (!doc || !p->items) {
		json_decref(doc);
		cv_sweep_plan_free(p);
		return cv__err(CV_EDAMAGED, "plan %s is not readable", id);
	}
	for (size_t i = 0; i < p->nitems; i++) {
		json_t *it = json_array_get(items, i);
		cv_sweep_item *x = &p->items[i];
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
		p->counts[action_index(x->action)]++;
		p->nblocked += x->blocked[0] != '\0';
	}
	json_decref(doc);
	int rc = plan_state(p, a);
	if (rc) {
		cv_sweep_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* What a run needs: the plan's header and its actions (from plan_items),
 * without parsing the stored document (20 MB for 100,000 cases). `seqs`
 * receives each item's position in the plan. */
static int plan_actions(cv_sweep_plan **out, size_t **seqs, cv_archive *a, const char *id)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*seqs = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT sha256, as_of, policy, policy_sha256, planner, planned, approver, approved, state FROM plans WHERE id=?"));
	cv__bind_text(st, 1, id);
	cv_sweep_plan *p = calloc(1, sizeof *p);
	if (!p || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		free(p);
		return p ? cv__catalog_fail(a->cat, "read plan") : cv__oom();
	}
	snprintf(p->id, sizeof p->id, "%s", id);
	cv__col_text(st, 0, p->sha256, sizeof p->sha256);
	cv__col_text(st, 1, p->as_of, sizeof p->as_of);
	cv__col_text(st, 2, p->policy, sizeof p->policy);
	cv__col_text(st, 3, p->policy_sha256, sizeof p->policy_sha256);
	plan_signoff(p, st, 4);
	sqlite3_finalize(st);
	int rc = cv__catalog_prepare(a->cat, &st,
		"SELECT i.seq, i.case_id, i.action, i.rule, i.keep_redacted, i.result, c.ref, c.category, i.due FROM plan_items i"
		" LEFT JOIN cases c ON c.id=i.case_id WHERE i.plan_id=? ORDER BY i.seq");
	if (!rc)
		cv__bind_text(st, 1, id);
	size_t cap = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		if (p->nitems == cap) {
			cap = cap ? cap * 2 : 256;
			cv_sweep_item *ni = realloc(p->items, cap * sizeof *ni);
			size_t *ns = realloc(*seqs, cap * sizeof *ns);
			if (ni)
				p->items = ni;
			if (ns)
				*seqs = ns;
			if (!ni || !ns) {
				rc = cv__oom();
				break;
			}
		}
		cv_sweep_item *x = &p->items[p->nitems];
		memset(x, 0, sizeof *x);
		(*seqs)[p->nitems++] = (size_t)sqlite3_column_int64(st, 0);
		cv__col_text(st, 1, x->case_id, sizeof x->case_id);
		cv__col_text(st, 2, x->action, sizeof x->action);
		cv__col_text(st, 3, x->rule, sizeof x->rule);
		cv__col_text(st, 4, x->keep_redacted, sizeof x->keep_redacted);
		cv__col_text(st, 5, x->result, sizeof x->result);
		cv__col_text(st, 6, x->ref, sizeof x->ref);
		cv__col_text(st, 7, x->category, sizeof x->category);
		cv__col_text(st, 8, x->due, sizeof x->due);
		p->counts[action_index(x->action)]++;
	}
	sqlite3_finalize(st);
	if (rc) {
		cv_sweep_plan_free(p);
		free(*seqs);
		*seqs = NULL;
		return rc;
	}
	*out = p;
	return 0;
}

CV_EXTERN(void) cv_sweep_plan_free(cv_sweep_plan *p)
{
	if (p) {
		free(p->items);
		free(p);
	}
}

CV_EXTERN(int) cv_sweep_plan_document(char **json, size_t *len, cv_archive *a, const char *plan_id)
{
	char id[20];
	sqlite3_stmt *st = NULL;
	CV_TRY(resolve_plan(a, plan_id, id));
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

/* ------------------------------------------------------------------ */

static int set_plan(cv_archive *a, const char *id, const char *sql, const char *p1, const char *p2)
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

/* Changed facts of not-yet-done items; 0 when the plan still holds. */
static int stale_check(cv_archive *a, const char *id, char *why, size_t n)
{
	sqlite3_stmt *st = NULL;
	why[0] = '\0';
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT i.case_id, i.facts, c.state, c.category, c.opened, c.closed, c.version, c.ref FROM plan_items i"
		" LEFT JOIN cases c ON c.id=i.case_id WHERE i.plan_id=? AND i.result IS NULL"));
	cv__bind_text(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cid = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
			snprintf(why, n, "case %s no longer exists", cid);
			break;
		}
		char fd[65];
		facts_digest(fd, cid, (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
			(const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5), sqlite3_column_int(st, 6));
		if (strcmp(fd, (const char *)sqlite3_column_text(st, 1))) {
			snprintf(why, n, "case %s changed since the plan was made", (const char *)sqlite3_column_text(st, 7));
			break;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

CV_EXTERN(int) cv_sweep_approve(cv_archive *a, const char *plan_id, const char *credential)
{
	char id[20], obj[96], why[256];
	CV_TRY(resolve_plan(a, plan_id, id));
	snprintf(obj, sizeof obj, "plan:%s", id);
	CV_TRY(cv__access_check(a, "sweep.approve", obj));
	cv_sweep_plan *p = NULL;
	CV_TRY(cv_sweep_plan_get(&p, a, id));
	int rc = 0;
	if (!strcmp(p->planner, a->actor)) {
		cv__journal_record(a->cat, a->actor, "sweep.approve", obj, "denied");
		rc = cv__err(CV_EDENIED, "sweep approve: %s made plan %s and cannot approve it too (separation of duties); "
			"another director must approve it", a->actor, id);
	} else if (strcmp(p->state, "planned")) {
		rc = cv__err(CV_ESTATE, "sweep approve: plan %s is already %s", id, p->state);
	}
	cv_sweep_plan_free(p);
	if (rc)
		return rc;
	/* The credential proves the director is at the keyboard. */
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT credential FROM users WHERE name=?"));
	cv__bind_text(st, 1, a->actor);
	char *stored = sqlite3_step(st) == SQLITE_ROW ? cv__col_strdup(st, 0) : NULL;
	sqlite3_finalize(st);
	if (!credential || !*credential)
		rc = cv__err(CV_EAUTH, "sweep approve: no credential given");
	else
		rc = cv__credential_check(stored, credential);
	free(stored);
	if (rc) {
		cv__journal_record(a->cat, a->actor, "sweep.approve", obj, "denied");
		return cv__err(CV_EAUTH, "sweep approve: %s (user %s); the plan is not approved", cv_error_last()->message, a->actor);
	}
	CV_TRY(stale_check(a, id, why, sizeof why));
	if (why[0])
		return cv__err(CV_ESTATE, "sweep approve: plan %s is stale: %s; make a new plan", id, why);
	cv_txn t;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__txn_begin(&t, a, "sweep approve"));
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = set_plan(a, id, "UPDATE plans SET approver=?2, approved=?3, state='approved' WHERE id=?1 AND state='planned'",
			a->actor, now);
	if (!rc && sqlite3_changes(a->cat->db) != 1)
		rc = cv__err(CV_ESTATE, "sweep approve: plan %s changed state meanwhile", id);
	if (!rc)
		rc = cv__txn_journal(&t, "sweep.approve", obj, "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	return rc;
}

/* ------------------------------------------------------------------ */



static int collect_text(const void *data, size_t len, void *payload)
{
	return cv__buf_put(payload, data, len);
}

static int type_listed(const char *csv, const char *type)
{
	size_t n = strlen(type);
	for (const char *p = csv; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, type, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Documents the policy keeps in redacted form: every person of the case is
 * a third party now, so everything that names someone goes. */
static int redacted_survivors(cv_archive *a, const char *case_id, const char *types, cv_survivor **out, size_t *n)
{
	cv_case_key k;
	cv_doc_info *docs = NULL;
	size_t nd = 0;
	cv_redaction *r = NULL;
	*out = NULL;
	*n = 0;
	CV_TRY(cv__case_key_load(a, case_id, &k));
	int rc = cv__docs_load(a, case_id, &k, 0, &docs, &nd);
	if (!rc)
		rc = cv__redaction_open(&r, a, case_id, &k, NULL);
	if (rc)
		cv__err_prefix("the policy keeps %s documents redacted", types);
	cv_survivor *sv = rc ? NULL : calloc(nd ? nd : 1, sizeof *sv);
	cv_buf plain = CV_BUF_INIT;
	for (size_t i = 0; sv && !rc && i < nd; i++) {
		const char *dot = strrchr(docs[i].path, '.');
		if (!type_listed(types, docs[i].type) || !dot || (strcasecmp(dot, ".txt") && strcasecmp(dot, ".md")))
			continue;
		cv__buf_clear(&plain);
		rc = cv__doc_stream(a, case_id, &k, docs[i].id, 0, collect_text, &plain);
		if (rc || !cv__utf8_valid((const char *)plain.data, plain.len))
			continue;
		cv_survivor *s = &sv[*n];
		size_t tl = 0;
		rc = cv_redaction_apply(r, (const char *)plain.data, plain.len, &s->text, &s->len, NULL, NULL);
		if (!rc)
			rc = cv_redaction_apply(r, docs[i].title, strlen(docs[i].title), &s->title, &tl, NULL, NULL);
		s->type = strdup(docs[i].type);
		s->date = strdup(docs[i].date);
		(*n)++;
	}
	cv__buf_wipe_dispose(&plain);
	cv__redaction_close(r);
	cv_doc_list_free(docs, nd);
	cv__case_key_wipe(&k);
	*out = sv;
	return rc;
}

static void survivors_free(cv_survivor *sv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(sv[i].title);
		free(sv[i].type);
		free(sv[i].date);
		if (sv[i].text)
			cv__wipe(sv[i].text, sv[i].len);
		free(sv[i].text);
	}
	free(sv);
}

static int archive_case(cv_txn *t, const char *case_id)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	cv_case_key k;
	CV_TRY(cv__catalog_stmt(a->cat, &st, "UPDATE cases SET state='archived' WHERE id=? AND state='active'"));
	cv__bind_text(st, 1, case_id);
	CV_TRY(cv__stmt_exec(a->cat, st, "archive case"));
	CV_TRY(cv__case_key_load(a, case_id, &k));
	int rc = cv__case_rebuild_tree(t, case_id, &k);
	cv__case_key_wipe(&k);
	return rc;
}

/* Every action left to do must be due by the real date, whatever date the
 * plan looked at: a plan cannot bring an elimination forward. Checked for
 * all items before any is carried out, so a wrong plan does nothing. */
static int not_yet_due(const cv_sweep_plan *p, const char *id)
{
	char today[11];
	cv__date_today(today);
	cv_buf list = CV_BUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < p->nitems; i++) {
		const cv_sweep_item *x = &p->items[i];
		if (!strcmp(x->action, "keep") || x->result[0] || (x->due[0] && strcmp(x->due, today) <= 0))
			continue;
		if (n++ < 10)
			cv__buf_printf(&list, "%s%s (%s)", n > 1 ? ", " : "", x->ref[0] ? x->ref : x->case_id,
				x->due[0] ? x->due : "no due date recorded");
	}
	if (n > 10)
		cv__buf_printf(&list, " and %zu more", n - 10);
	int rc = 0;
	if (n && cv__buf_cstr(&list) == 0)
		rc = cv__err(CV_EREFUSED, "sweep run: plan %s would act on %zu case%s not due today (%s): %s; nothing was done. "
			"Make a new plan as of today", id, n, n > 1 ? "s" : "", today, (const char *)list.data);
	else if (n)
		rc = cv__oom();
	cv__buf_dispose(&list);
	return rc;
}

CV_EXTERN(int) cv_sweep_run(cv_sweep_report *rep, cv_archive *a, const char *plan_id)
{
	char id[20], obj[256], why[256];
	memset(rep, 0, sizeof *rep);
	CV_TRY(resolve_plan(a, plan_id, id));
	snprintf(obj, sizeof obj, "plan:%s", id);
	CV_TRY(cv__access_check(a, "sweep.run", obj));
	cv_sweep_plan *p = NULL;
	size_t *seqs = NULL;
	CV_TRY(plan_actions(&p, &seqs, a, id));
	int rc = 0;
	if (!strcmp(p->state, "planned")) {
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
		rc = cv__err(CV_EREFUSED, "sweep run: plan %s is not approved; a director other than %s must first run "
			"'casevault sweep approve %s'", id, p->planner, id);
	} else if (!strcmp(p->state, "done")) {
		rc = cv__err(CV_ESTATE, "sweep run: plan %s has already been run to completion", id);
	}
	if (!rc && !(rc = stale_check(a, id, why, sizeof why)) && why[0]) {
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
		rc = cv__err(CV_EREFUSED, "sweep run: plan %s is stale: %s; make and approve a new plan", id, why);
	}
	if (!rc && (rc = not_yet_due(p, id)))
		cv__journal_record(a->cat, a->actor, "sweep.run", obj, "refused");
	if (rc) {
		cv_sweep_plan_free(p);
		free(seqs);
		return rc;
	}
	size_t total = 0, done_before = 0;
	for (size_t i = 0; i < p->nitems; i++)
		if (strcmp(p->items[i].action, "keep")) {
			total++;
			done_before += p->items[i].result[0] != '\0';
		}
	size_t i = 0;
	while (!rc && i < p->nitems) {
		cv_txn t;
		char op[64];
		snprintf(op, sizeof op, "sweep run %s", id);
		if ((rc = cv__txn_begin(&t, a, op)))
			break;
		rc = cv__txn_sql_begin(&t);
		if (!rc)
			rc = set_plan(a, id, "UPDATE plans SET state='running' WHERE id=?1 AND state IN ('approved','running')", NULL, NULL);
		size_t in_batch = 0;
		for (; !rc && i < p->nitems && in_batch < SWEEP_BATCH; i++) {
			cv_sweep_item *x = &p->items[i];
			if (!strcmp(x->action, "keep") || x->result[0])
				continue;
			char block[160], key_id[33] = "", result[64];
			if ((rc = cv__case_block(a, x->case_id, block, sizeof block)))
				break;
			if (block[0]) {
				snprintf(result, sizeof result, "blocked");
				rep->blocked++;
			} else if (!strcmp(x->action, "archive")) {
				rc = archive_case(&t, x->case_id);
				snprintf(result, sizeof result, "done");
				rep->done++;
			} else {
				int destroy = !strcmp(x->action, "destroy");
				cv_survivor *sv = NULL;
				size_t nsv = 0;
				if (!destroy && x->keep_redacted[0])
					rc = redacted_survivors(a, x->case_id, x->keep_redacted, &sv, &nsv);
				if (!rc)
					rc = cv__case_shred(&t, x->case_id, destroy, sv, nsv, key_id);
				survivors_free(sv, nsv);
				snprintf(result, sizeof result, "done");
				rep->done++;
			}
			if (rc)
				break;
			sqlite3_stmt *st = NULL;
			char now[32];
			cv__now_iso(now);
			rc = cv__catalog_stmt(a->cat, &st, "UPDATE plan_items SET result=?3, done_at=?4, key_id=?5 WHERE plan_id=?1 AND seq=?2");
			if (!rc) {
				cv__bind_text(st, 1, id);
				sqlite3_bind_int64(st, 2, (sqlite3_int64)seqs[i]);
				cv__bind_text(st, 3, result);
				cv__bind_text(st, 4, now);
				cv__bind_text(st, 5, key_id[0] ? key_id : NULL);
				rc = cv__stmt_exec(a->cat, st, "record sweep progress");
			}
			snprintf(obj, sizeof obj, "case:%s plan:%s rule:%s%s%s%s%s", x->case_id, id, x->rule, key_id[0] ? " key:" : "",
				key_id, block[0] ? " blocked:" : "", block);
			if (!rc)
				rc = cv__txn_journal(&t, block[0] ? "sweep.blocked" : !strcmp(x->action, "archive") ? "case.archive"
					: !strcmp(x->action, "destroy") ? "case.destroy" : "case.anonymise", obj, block[0] ? "refused" : "ok");
			snprintf(x->result, sizeof x->result, "%s", result);
			in_batch++;
		}
		if (!rc)
			rc = cv__txn_commit(&t);
		cv__txn_abort(&t);
		cv__progress(a, "sweep", done_before + rep->done + rep->blocked, total);
	}
	if (!rc) {
		rc = cv__sweep_certify(a, p, rep->certificate);
		/* The shredded keys' pages leave the WAL now, not at some later
		 * checkpoint (SQLite keeps old frames until the WAL is truncated). */
		if (!rc && cv__catalog_checkpoint(a->cat) != 0)
			cv_error_clear();
	}
	for (size_t k = 0; k < p->nitems; k++)
		if (strcmp(p->items[k].action, "keep") && !p->items[k].result[0])
			rep->remaining++;
	cv_sweep_plan_free(p);
	free(seqs);
	return rc;
}
