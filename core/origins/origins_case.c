/* Access to origins for one case: the recorded facts about the birth parent
 * (CASF L.147-6), the holders' approvals and the release to the CNAOP.
 *
 * Disclosure is possible when the parent's latest recorded choice is consent
 * (the secret can be lifted at any time, and a later consent wins over an
 * earlier refusal), or when the parent's death is recorded and no refusal is
 * (a refusal expressed in life blocks disclosure after death). Facts are
 * ordered by their date (or the day they were recorded), then by recording.
 * Sources may name people: they are kept in boxes under the archive-fields
 * key, bound to their row, and never journaled.
 *
 * An approval is a record (who, when, until when): nothing on disk that the
 * master key could turn into a share. The release asks each approving
 * holder's credential again, opens their shares in memory, rebuilds the key,
 * re-encrypts the identity for the CNAOP's certificate and wipes it all. */
#include "engine/internal.h"
#include "catalog/rowmac.h"
#include "records/sealed.h"
#include "util/proc.h"
#include "origins/origins_internal.h"
#include "engine/identity.h"
#include "records/cases.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/text.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SOURCE_MAX 2000

static void iso_in(char out[32], long seconds)
{
	time_t t = time(NULL) + seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int case_sealed(cv_archive *a, const char *case_id, int *has)
{
	sqlite3_stmt *st = NULL;
	*has = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT sealed IS NOT NULL FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	int step = cv__catalog_step(a->cat, st, "read the case");
	if (step > 0)
		*has = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return step < 0 ? step : 0; /* not "holds no sealed identity" */
}

static int need_sealed(cv_archive *a, const char *case_id, const char *action)
{
	int has = 0;
	CV_TRY(case_sealed(a, case_id, &has));
	if (!has)
		return cv__err(CV_ESTATE, "%s: case %s holds no sealed identity", action, case_id);
	return 0;
}

typedef struct verdict {
	int ok;
	char condition[16];
	char reason[256];
} verdict;

static int evaluate(cv_archive *a, const char *case_id, verdict *v)
{
	sqlite3_stmt *st = NULL;
	memset(v, 0, sizeof *v);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT kind FROM origins_facts WHERE case_id=?"
		" ORDER BY coalesce(date, substr(recorded_at,1,10)), recorded_at, rowid"));
	cv__bind_text(st, 1, case_id);
	int choice = 0, dead = 0, r; /* choice: 1 consent, -1 refusal */
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		if (!k) {
			/* a fact's kind is never NULL: this one could not be read
			 * (memory), and a fact skipped would change the verdict */
			sqlite3_finalize(st);
			return cv__oom();
		}
		if (!strcmp(k, CV_ORIGINS_CONSENT))
			choice = 1;
		else if (!strcmp(k, CV_ORIGINS_REFUSAL))
			choice = -1;
		else if (!strcmp(k, CV_ORIGINS_DEATH))
			dead = 1;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE || cv__catalog_bind_failed())
		return cv__catalog_fail(a->cat, "read the recorded facts");
	if (choice > 0) {
		v->ok = 1;
		snprintf(v->condition, sizeof v->condition, "consent");
		snprintf(v->reason, sizeof v->reason, "the birth parent lifted the secret (CASF L.147-6)");
	} else if (choice < 0) {
		snprintf(v->reason, sizeof v->reason, "the birth parent's refusal is recorded: no disclosure%s, unless a later "
			"consent is recorded (CASF L.147-6)", dead ? " after death" : "");
	} else if (dead) {
		v->ok = 1;
		snprintf(v->condition, sizeof v->condition, "death");
		snprintf(v->reason, sizeof v->reason, "the birth parent died without a recorded refusal (CASF L.147-6)");
	} else {
		snprintf(v->reason, sizeof v->reason, "no disclosure condition is recorded: neither the birth parent's consent "
			"nor their death without a refusal");
	}
	return 0;
}

static void fact_aad(char *out, size_t n, const char *case_id, const char *fid, const char *kind, const char *date)
{
	snprintf(out, n, "casevault/v1|%s|origins-fact|%s|%s|%s", case_id, fid, kind, date ? date : "");
}

CV_EXTERN(int) cv_origins_record(char fact_id[20], cv_archive *a, const char *case_ref, const cv_origins_fact_options *o)
{
	char id[40], obj[200], fid[20], today[11], now[32];
	unsigned char rnd[6];
	if (fact_id)
		fact_id[0] = '\0';
	CV_TRY(cv__options_version(o, o ? o->version : 0, CV_ORIGINS_FACT_OPTIONS_VERSION, "origins record"));
	const char *kind = o->kind ? o->kind : "";
	if (strcmp(kind, CV_ORIGINS_CONSENT) && strcmp(kind, CV_ORIGINS_DEATH) && strcmp(kind, CV_ORIGINS_REFUSAL))
		return cv__err(CV_EINVAL, "origins record: the fact is missing: the birth parent's consent, death (with its "
			"date) or refusal");
	const char *date = o->date && *o->date ? o->date : NULL;
	cv__date_today(today);
	if (!strcmp(kind, CV_ORIGINS_DEATH) && !date)
		return cv__err(CV_EINVAL, "origins record: a death needs its date");
	if (date && !cv__date_valid(date))
		return cv__err(CV_EINVAL, "origins record: the date '%s' is not a valid YYYY-MM-DD date", date);
	if (date && strcmp(date, today) > 0)
		return cv__err(CV_EINVAL, "origins record: the date %s is in the future", date);
	size_t sl = o->source ? strlen(o->source) : 0;
	if (!sl)
		return cv__err(CV_EINVAL, "origins record: the fact's source is missing (a document, a letter, a civil-status "
			"record)");
	if (sl > SOURCE_MAX || !cv__utf8_valid(o->source, sl))
		return cv__err(CV_EINVAL, "origins record: the source must be UTF-8 text of at most %d bytes", SOURCE_MAX);
	CV_TRY(cv__case_gate(a, "origins.record", case_ref, id, NULL));
	CV_TRY(need_sealed(a, id, "origins record"));
	CV_TRY(cv__random(rnd, sizeof rnd));
	fid[0] = 'f';
	cv__hex(fid + 1, rnd, sizeof rnd);
	char aad[200];
	fact_aad(aad, sizeof aad, id, fid, kind, date);
	cv_buf box = CV_BUF_INIT;
	CV_TRY(cv__box_seal(&box, a->k_afields, aad, o->source, sl));
	cv__now_iso(now);
	snprintf(obj, sizeof obj, "case:%s fact:%s kind:%s%s%s", id, fid, kind, date ? " date:" : "", date ? date : "");
	cv_txn t;
	int rc = cv__txn_begin(&t, a, "origins record");
	if (!rc) {
		sqlite3_stmt *st = NULL;
		rc = cv__txn_sql_begin(&t);
		if (!rc)
			rc = cv__catalog_prepare(a->cat, &st,
				"INSERT INTO origins_facts(id,case_id,kind,date,source,recorded_by,recorded_at) VALUES(?,?,?,?,?,?,?)");
		if (!rc) {
			cv__bind_text(st, 1, fid);
			cv__bind_text(st, 2, id);
			cv__bind_text(st, 3, kind);
			cv__bind_text(st, 4, date);
			cv__bind_blob(st, 5, box.data, box.len);
			cv__bind_text(st, 6, a->actor);
			cv__bind_text(st, 7, now);
			rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "record the fact");
			sqlite3_finalize(st);
		}
		if (!rc)
			rc = cv__txn_journal(&t, "origins.record", obj, "ok");
		if (!rc)
			rc = cv__txn_commit(&t);
		cv__txn_abort(&t);
	}
	cv__buf_dispose(&box);
	if (!rc && fact_id)
		snprintf(fact_id, 20, "%s", fid);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Approvals                                                            */

/* Current holders with a valid approval on the case (distinct, in order of
 * approval). */
static int valid_approvers(cv_archive *a, const char *case_id, unsigned gen, char (*names)[64], size_t *n)
{
	CV_TRY(cv__rowmac_check(a->cat, "origins_approvals", "case_id=?1", case_id));
	CV_TRY(cv__rowmac_check(a->cat, "origins_facts", "case_id=?1", case_id));
	char holders[CV_ORIGINS_MAX_HOLDERS][64], now[32];
	size_t nh = 0;
	*n = 0;
	CV_TRY(cv__origins_holders(a, gen, holders, &nh));
	cv__now_iso(now);
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT holder FROM origins_approvals WHERE case_id=? AND generation=? AND release_id IS NULL AND expires_at>?"
		" GROUP BY holder ORDER BY min(id)"));
	cv__bind_text(st, 1, case_id);
	sqlite3_bind_int(st, 2, (int)gen);
	cv__bind_text(st, 3, now);
	int step, rc = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < CV_ORIGINS_MAX_HOLDERS) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		if (!h) {
			rc = cv__oom(); /* a holder's name unread is not an approval missing */
			break;
		}
		for (size_t i = 0; i < nh; i++)
			if (!strcmp(holders[i], h))
				snprintf(names[(*n)++], 64, "%s", h);
	}
	if (!rc && ((step != SQLITE_ROW && step != SQLITE_DONE) || cv__catalog_bind_failed()))
		rc = cv__catalog_fail(a->cat, "read the approvals");
	sqlite3_finalize(st);
	return rc;
}

static int deny(cv_archive *a, const char *action, const char *case_id, const char *why_token, int code, const char *fmt,
	const char *arg)
{
	char obj[160];
	snprintf(obj, sizeof obj, "case:%s reason:%s", case_id, why_token);
	/* a refusal is "denied", damage found on the way "failed"; out of
	 * memory or an I/O error is no attempt refused and leaves the archive
	 * as it was, journal included (tests/fault) */
	int refusal = code == CV_EDENIED || code == CV_EAUTH || code == CV_EREFUSED || code == CV_ESTATE;
	if (refusal || code == CV_EDAMAGED)
		cv__journal_record(a->cat, a->actor, action, obj, refusal ? "denied" : "failed");
	return cv__err(code, fmt, arg);
}

/* The acting user must hold a share of the current generation. */
static int holder_gate(cv_archive *a, const char *action, const char *case_id, unsigned *gen, unsigned *k)
{
	CV_TRY(cv__origins_current(a, gen, k));
	int is = cv__origins_is_holder(a, *gen, a->actor);
	if (is < 0)
		return is;
	if (!is) {
		char msg[200];
		snprintf(msg, sizeof msg, "%s: user '%s' holds no share of the sealing key; only holders decide", action,
			a->actor);
		return deny(a, action, case_id, "not-a-holder", CV_EDENIED, "%s", msg);
	}
	return 0;
}

CV_EXTERN(int) cv_origins_approve(cv_origins_approval *out, cv_archive *a, const char *case_ref, const char *credential)
{
	char id[40];
	unsigned gen = 0, k = 0;
	if (out)
		memset(out, 0, sizeof *out);
	CV_TRY(cv__case_gate(a, "origins.approve", case_ref, id, NULL));
	CV_TRY(need_sealed(a, id, "origins approve"));
	CV_TRY(holder_gate(a, "origins.approve", id, &gen, &k));
	verdict v;
	CV_TRY(evaluate(a, id, &v));
	if (!v.ok)
		return deny(a, "origins.approve", id, "no-condition", CV_EDENIED, "origins approve: %s", v.reason);
	if (!credential || !*credential)
		return deny(a, "origins.approve", id, "credential", CV_EAUTH, "origins approve: no credential given%s", "");
	/* The credential is proven by opening the holder's share, in memory;
	 * the share is wiped at once: an approval stores nothing secret. */
	cv__no_core_dumps();
	cv_buf share = CV_BUF_INIT;
	unsigned no = 0;
	int rc = cv__origins_share_open(&share, &no, a, gen, a->actor, credential);
	cv__buf_wipe_dispose(&share);
	if (rc == CV_EDAMAGED || (rc && !cv__is_refusal(rc)))
		return rc;
	if (rc) {
		char msg[200];
		snprintf(msg, sizeof msg, "origins approve: wrong credential for the share of '%s'; nothing approved", a->actor);
		return deny(a, "origins.approve", id, "credential", CV_EAUTH, "%s", msg);
	}
	char now[32], until[32], obj[200], dobj[160];
	unsigned char sig[64];
	cv__now_iso(now);
	iso_in(until, CV_ORIGINS_APPROVAL_HOURS * 3600L);
	snprintf(obj, sizeof obj, "case:%s holder:%s generation:%u condition:%s until:%s", id, a->actor, gen, v.condition,
		until);
	snprintf(dobj, sizeof dobj, "case:%s reason:signature", id);
	CV_TRY(cv__decision_sign_or_deny(a, credential, "origins.approve", dobj, obj, sig, "origins approve"));
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "origins approve"));
	sqlite3_stmt *st = NULL;
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st,
			"INSERT INTO origins_approvals(case_id,holder,generation,approved_at,expires_at) VALUES(?,?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, id);
		cv__bind_text(st, 2, a->actor);
		sqlite3_bind_int(st, 3, (int)gen);
		cv__bind_text(st, 4, now);
		cv__bind_text(st, 5, until);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "record the approval");
		sqlite3_finalize(st);
	}
	rc = cv__txn_finish_signed(&t, rc, "origins.approve", obj, sig);
	if (!rc && out) {
		snprintf(out->holder, sizeof out->holder, "%s", a->actor);
		snprintf(out->approved_at, sizeof out->approved_at, "%s", now);
		snprintf(out->expires_at, sizeof out->expires_at, "%s", until);
		out->valid = 1;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Release                                                              */

/* Only to the CNAOP, into a new file. */
static int release_options(const cv_origins_release_options *o)
{
	CV_TRY(cv__options_version(o, o ? o->version : 0, CV_ORIGINS_RELEASE_OPTIONS_VERSION, "origins release"));
	if (!o->to_cnaop)
		return cv__err(CV_EINVAL, "origins release: a sealed identity is released only to the CNAOP, never to the "
			"person directly (CASF L.147-6)");
	if (!o->recipient_cert || !*o->recipient_cert)
		return cv__err(CV_EINVAL, "origins release: the CNAOP's certificate is missing");
	if (!o->out_path || !*o->out_path)
		return cv__err(CV_EINVAL, "origins release: the output file is missing");
	if (cv__exists(o->out_path))
		return cv__err(CV_EEXISTS, "origins release: %s already exists (it is never overwritten)", o->out_path);
	return 0;
}

/* What a release stands on: a sealed identity, a holder asking, a
 * disclosure condition, and valid approvals by `k` distinct holders (their
 * names in `appr`). Refusals are journaled. */
typedef struct release_ground {
	char id[40];
	unsigned gen, k;
	verdict v;
	char appr[CV_ORIGINS_MAX_HOLDERS][64];
	size_t nappr;
} release_ground;

static int release_gate(release_ground *g, cv_archive *a, const char *case_ref)
{
	CV_TRY(cv__case_gate(a, "origins.release", case_ref, g->id, NULL));
	CV_TRY(need_sealed(a, g->id, "origins release"));
	CV_TRY(holder_gate(a, "origins.release", g->id, &g->gen, &g->k));
	CV_TRY(evaluate(a, g->id, &g->v));
	if (!g->v.ok)
		return deny(a, "origins.release", g->id, "no-condition", CV_EDENIED, "origins release: %s", g->v.reason);
	CV_TRY(valid_approvers(a, g->id, g->gen, g->appr, &g->nappr));
	if (g->nappr < g->k) {
		char msg[300], tok[32];
		snprintf(msg, sizeof msg, "origins release: approvals by %u distinct holders are needed within %d hours; %zu "
			"valid", g->k, CV_ORIGINS_APPROVAL_HOURS, g->nappr);
		snprintf(tok, sizeof tok, "approvals:%zu/%u", g->nappr, g->k);
		return deny(a, "origins.release", g->id, tok, CV_EDENIED, "%s", msg);
	}
	return 0;
}

/* Each approving holder confirms again: their shares open in memory, the
 * key is rebuilt and the identity re-encrypted for the recipient into
 * `env`; everything secret is wiped here. `who` says which approvers
 * counted. */
static int release_unseal(cv_buf *env, size_t *who, size_t *nm, cv_archive *a, const release_ground *g,
	const cv_origins_release_options *o, const cv_buf *rder)
{
	cv__no_core_dumps();
	cv_buf shares[CV_ORIGINS_MAX_HOLDERS];
	unsigned nos[CV_ORIGINS_MAX_HOLDERS];
	size_t bad = 0;
	for (size_t i = 0; i < CV_ORIGINS_MAX_HOLDERS; i++)
		shares[i] = (cv_buf)CV_BUF_INIT;
	size_t ncreds = o->ncredentials > CV_ORIGINS_MAX_HOLDERS ? CV_ORIGINS_MAX_HOLDERS : o->ncredentials;
	int rc = ncreds ? cv__origins_match(shares, nos, who, nm, &bad, a, g->gen, (char (*)[64])g->appr, g->nappr,
				  o->credentials, o->holders, ncreds, g->k)
			: cv__err(CV_EAUTH, "no credential given");
	if (rc) {
		char msg[512], tok[48];
		int code = cv_error_last()->code;
		snprintf(msg, sizeof msg, "origins release: %s; the credentials of %u approving holders are needed; "
			"nothing released", cv_error_last()->message, g->k);
		snprintf(tok, sizeof tok, "%s:%zu", code == CV_EAUTH ? "credential" : "holders", bad + 1);
		cv__origins_shares_wipe(shares, CV_ORIGINS_MAX_HOLDERS);
		return deny(a, "origins.release", g->id, tok, code, "%s", msg);
	}
	git_odb_object *sobj = NULL;
	rc = cv__sealed_load(a, g->id, &sobj);
	if (!rc)
		rc = cv__origins_unseal_for(env, a, shares, nos, *nm, git_odb_object_data(sobj), git_odb_object_size(sobj), rder);
	cv__origins_shares_wipe(shares, CV_ORIGINS_MAX_HOLDERS);
	git_odb_object_free(sobj);
	if (rc) {
		int code = cv_error_last()->code;
		char msg[512];
		snprintf(msg, sizeof msg, "origins release: %s; nothing released", cv_error_last()->message);
		return deny(a, "origins.release", g->id, "unseal", code, "%s", msg);
	}
	return 0;
}

/* The release's record, and its approvals used up: a new release needs
 * new ones. */
/* The holder who releases signs the release: one of the credentials given
 * opens their own keys. */
static int release_signer(cv_identity *me, cv_archive *a, const release_ground *g, const cv_origins_release_options *o)
{
	int rc = CV_EAUTH;
	for (size_t i = 0; rc && i < o->ncredentials; i++) {
		if (o->holders && o->holders[i] && strcmp(o->holders[i], a->actor))
			continue;
		rc = cv__decider_open(me, a, o->credentials[i]);
		if (rc == CV_EDENIED || !cv__is_refusal(rc))
			break;
	}
	if (!rc)
		return 0;
	if (!cv__is_refusal(rc))
		return rc; /* could not check (out of memory): no attempt refused, nothing journaled */
	char msg[400];
	snprintf(msg, sizeof msg, "origins release: %s; the releasing holder's own credential signs the release, and none "
		"of those given opens the keys of '%s'; nothing released", rc == CV_EDENIED ? cv_error_last()->message :
		"no signature", a->actor);
	return deny(a, "origins.release", g->id, "signature", rc == CV_EDENIED ? CV_EDENIED : CV_EAUTH, "%s", msg);
}

static int release_record(cv_archive *a, const release_ground *g, const cv_origins_release_info *r, const char *obj,
	const unsigned char sig[64])
{
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "origins release"));
	sqlite3_stmt *st = NULL;
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st,
			"INSERT INTO origins_releases(id,case_id,actor,released_at,holders,condition,recipient_sha256,out_sha256)"
			" VALUES(?,?,?,?,?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, r->id);
		cv__bind_text(st, 2, g->id);
		cv__bind_text(st, 3, a->actor);
		cv__bind_text(st, 4, r->released_at);
		cv__bind_text(st, 5, r->holders);
		cv__bind_text(st, 6, g->v.condition);
		cv__bind_text(st, 7, r->recipient_sha256);
		cv__bind_text(st, 8, r->out_sha256);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "record the release");
		sqlite3_finalize(st);
	}
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st,
			"UPDATE origins_approvals SET release_id=? WHERE case_id=? AND generation=? AND release_id IS NULL");
	if (!rc) {
		cv__bind_text(st, 1, r->id);
		cv__bind_text(st, 2, g->id);
		sqlite3_bind_int(st, 3, (int)g->gen);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "use the approvals");
		sqlite3_finalize(st);
	}
	return cv__txn_finish_signed(&t, rc, "origins.release", obj, sig);
}

/* The release as recorded: a random id, the holders who counted, the
 * envelope's hash. */
static int release_describe(cv_origins_release_info *r, cv_archive *a, const release_ground *g, const size_t *who,
	size_t nm, const cv_buf *env)
{
	unsigned char rnd[8], h[32];
	int rc = cv__random(rnd, sizeof rnd);
	r->id[0] = 'r';
	cv__hex(r->id + 1, rnd, sizeof rnd);
	for (size_t i = 0; i < nm; i++) {
		size_t l = strlen(r->holders);
		snprintf(r->holders + l, sizeof r->holders - l, "%s%s", i ? "," : "", g->appr[who[i]]);
	}
	if (!rc)
		rc = cv__sha256(h, env->data, env->len);
	cv__hex(r->out_sha256, h, 32);
	cv__now_iso(r->released_at);
	snprintf(r->case_id, sizeof r->case_id, "%s", g->id);
	snprintf(r->actor, sizeof r->actor, "%s", a->actor);
	snprintf(r->condition, sizeof r->condition, "%s", g->v.condition);
	return rc;
}

CV_EXTERN(int) cv_origins_release(cv_origins_release_info *out, cv_archive *a, const char *case_ref,
	const cv_origins_release_options *o)
{
	release_ground g;
	cv_origins_release_info r;
	if (out)
		memset(out, 0, sizeof *out);
	memset(&g, 0, sizeof g);
	memset(&r, 0, sizeof r);
	CV_TRY(release_options(o));
	CV_TRY(release_gate(&g, a, case_ref));
	cv_identity me;
	CV_TRY(release_signer(&me, a, &g, o));
	unsigned char sig[64];
	cv_buf rder = CV_BUF_INIT, env = CV_BUF_INIT;
	size_t who[CV_ORIGINS_MAX_HOLDERS], nm = 0;
	int rc = cv__origins_recipient(&rder, r.recipient_sha256, o->recipient_cert);
	if (!rc)
		rc = release_unseal(&env, who, &nm, a, &g, o, &rder);
	cv__buf_dispose(&rder);
	if (rc) {
		cv__identity_wipe(&me);
		cv__buf_dispose(&env);
		return rc;
	}
	char obj[700];
	rc = release_describe(&r, a, &g, who, nm, &env);
	snprintf(obj, sizeof obj, "case:%s release:%s to:cnaop condition:%s holders:%s recipient:%s envelope:%s", g.id, r.id,
		g.v.condition, r.holders, r.recipient_sha256, r.out_sha256);
	if (!rc)
		rc = cv__decider_sign(&me, a, "origins.release", obj, sig);
	cv__identity_wipe(&me);
	/* The file first (it is ciphertext for the CNAOP only), then the record;
	 * if the record fails the file is removed. */
	if (!rc)
		rc = cv__write_file_new(o->out_path, env.data, env.len, 0600);
	cv__buf_dispose(&env);
	if (rc)
		return rc;
	rc = release_record(a, &g, &r, obj, sig);
	if (rc) {
		unlink(o->out_path);
		cv__err_prefix("origins release: the release could not be recorded, so %s was removed", o->out_path);
		return rc;
	}
	if (out)
		*out = r;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Status                                                               */

static int load_facts(cv_archive *a, cv_origins_info *s, int with_sources)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT id, kind, date, source, recorded_by, recorded_at FROM origins_facts WHERE case_id=?"
		" ORDER BY coalesce(date, substr(recorded_at,1,10)), recorded_at, rowid"));
	cv__bind_text(st, 1, s->case_id);
	size_t cap = 0;
	int rc = 0;
	int step = 0;
	while (!rc && (step = cv__catalog_step(a->cat, st, "read the facts")) == 1) {
		if (s->nfacts == cap) {
			cap = cap ? cap * 2 : 4;
			cv_origins_fact *p = realloc(s->facts, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			s->facts = p;
		}
		cv_origins_fact *f = &s->facts[s->nfacts++];
		memset(f, 0, sizeof *f);
		cv__col_text(st, 0, f->id, sizeof f->id);
		cv__col_text(st, 1, f->kind, sizeof f->kind);
		cv__col_text(st, 2, f->date, sizeof f->date);
		cv__col_text(st, 4, f->recorded_by, sizeof f->recorded_by);
		cv__col_text(st, 5, f->recorded_at, sizeof f->recorded_at);
		if (with_sources) {
			char aad[200];
			cv_buf plain = CV_BUF_INIT;
			fact_aad(aad, sizeof aad, s->case_id, f->id, f->kind, f->date[0] ? f->date : NULL);
			rc = cv__box_open(&plain, a->k_afields, aad, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
			if (rc)
				rc = cv__err(CV_EDAMAGED, "case %s: the source of fact %s does not authenticate", s->case_id, f->id);
			else if (!(f->source = strdup((const char *)plain.data)))
				rc = cv__oom();
			cv__buf_wipe_dispose(&plain);
		}
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	return rc;
}

static int load_approvals(cv_archive *a, cv_origins_info *s)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT holder, approved_at, expires_at, release_id, generation FROM origins_approvals WHERE case_id=? ORDER BY id"));
	cv__bind_text(st, 1, s->case_id);
	size_t cap = 0;
	int rc = 0, step;
	while ((step = cv__catalog_step(a->cat, st, "read the approvals")) == 1) {
		if (s->napprovals == cap) {
			cap = cap ? cap * 2 : 4;
			cv_origins_approval *p = realloc(s->approvals, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			s->approvals = p;
		}
		cv_origins_approval *x = &s->approvals[s->napprovals++];
		memset(x, 0, sizeof *x);
		cv__col_text(st, 0, x->holder, sizeof x->holder);
		cv__col_text(st, 1, x->approved_at, sizeof x->approved_at);
		cv__col_text(st, 2, x->expires_at, sizeof x->expires_at);
		cv__col_text(st, 3, x->release, sizeof x->release);
		int holder = 0;
		for (unsigned i = 0; i < s->key.nholders; i++)
			if (!strcmp(s->key.holders[i], x->holder))
				holder = 1;
		x->valid = holder && s->key.ready && (unsigned)sqlite3_column_int(st, 4) == s->key.generation && !x->release[0] &&
			strcmp(x->expires_at, now) > 0;
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	return rc;
}

static int load_releases(cv_archive *a, cv_origins_info *s)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT id, released_at, actor, holders, condition, recipient_sha256, out_sha256 FROM origins_releases"
		" WHERE case_id=? ORDER BY released_at, id"));
	cv__bind_text(st, 1, s->case_id);
	size_t cap = 0;
	int rc = 0, step;
	while ((step = cv__catalog_step(a->cat, st, "read the releases")) == 1) {
		if (s->nreleases == cap) {
			cap = cap ? cap * 2 : 2;
			cv_origins_release_info *p = realloc(s->releases, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			s->releases = p;
		}
		cv_origins_release_info *r = &s->releases[s->nreleases++];
		memset(r, 0, sizeof *r);
		snprintf(r->case_id, sizeof r->case_id, "%s", s->case_id);
		cv__col_text(st, 0, r->id, sizeof r->id);
		cv__col_text(st, 1, r->released_at, sizeof r->released_at);
		cv__col_text(st, 2, r->actor, sizeof r->actor);
		cv__col_text(st, 3, r->holders, sizeof r->holders);
		cv__col_text(st, 4, r->condition, sizeof r->condition);
		cv__col_text(st, 5, r->recipient_sha256, sizeof r->recipient_sha256);
		cv__col_text(st, 6, r->out_sha256, sizeof r->out_sha256);
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	return rc;
}

CV_EXTERN(int) cv_origins_status(cv_origins_info **out, cv_archive *a, const char *case_ref)
{
	char id[40] = "";
	*out = NULL;
	if (case_ref)
		CV_TRY(cv__case_gate(a, "origins.status", case_ref, id, NULL));
	else
		CV_TRY(cv__access_check(a, "origins.status", ""));
	cv_origins_info *s = calloc(1, sizeof *s);
	if (!s)
		return cv__oom();
	int rc = cv__origins_key_info(a, &s->key);
	if (!rc && id[0]) {
		cv_case_info ci;
		snprintf(s->case_id, sizeof s->case_id, "%s", id);
		rc = cv_case_get(&ci, a, id);
		if (!rc) {
			snprintf(s->ref, sizeof s->ref, "%s", ci.ref);
			snprintf(s->category, sizeof s->category, "%s", ci.category);
			s->sealed = ci.has_sealed;
		}
		sqlite3_stmt *st = NULL;
		if (!rc)
			rc = cv__catalog_prepare(a->cat, &st,
				"SELECT count(*), max(created), (SELECT sha256 FROM origins_sealed x WHERE x.case_id=?1"
				" ORDER BY seq DESC LIMIT 1) FROM origins_sealed WHERE case_id=?1");
		if (!rc) {
			cv__bind_text(st, 1, id);
			int step = cv__catalog_step(a->cat, st, "read the sealed identity's versions");
			if (step > 0) {
				s->sealed_versions = (unsigned)sqlite3_column_int(st, 0);
				cv__col_text(st, 1, s->sealed_at, sizeof s->sealed_at);
				cv__col_text(st, 2, s->sealed_sha256, sizeof s->sealed_sha256);
			}
			sqlite3_finalize(st);
			if (step < 0)
				rc = step;
		}
		/* Sources may name people: shown to those who record and decide. */
		if (!rc)
			rc = load_facts(a, s, cv__has_role(a, "cnaop") || cv__has_role(a, "admin"));
		if (!rc)
			rc = load_approvals(a, s);
		if (!rc)
			rc = load_releases(a, s);
		verdict v;
		if (!rc)
			rc = evaluate(a, id, &v);
		if (!rc) {
			s->disclosable = v.ok && s->sealed;
			snprintf(s->condition, sizeof s->condition, "%s", v.ok ? v.condition : "");
			snprintf(s->reason, sizeof s->reason, "%s", s->sealed ? v.reason : "the case holds no sealed identity");
			char seen[CV_ORIGINS_MAX_HOLDERS][64];
			unsigned ns = 0;
			for (size_t i = 0; i < s->napprovals; i++) {
				if (!s->approvals[i].valid)
					continue;
				unsigned j = 0;
				while (j < ns && strcmp(seen[j], s->approvals[i].holder))
					j++;
				if (j == ns && ns < CV_ORIGINS_MAX_HOLDERS)
					snprintf(seen[ns++], 64, "%s", s->approvals[i].holder);
			}
			s->valid_approvals = ns;
		}
		char obj[80];
		snprintf(obj, sizeof obj, "case:%s", id);
		if (!rc)
			rc = cv__journal_record(a->cat, a->actor, "origins.status", obj, "ok");
	}
	if (rc) {
		cv_origins_status_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

CV_EXTERN(void) cv_origins_status_free(cv_origins_info *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfacts; i++)
		if (s->facts[i].source)
			cv__wipe_free(s->facts[i].source, strlen(s->facts[i].source));
	free(s->facts);
	free(s->approvals);
	free(s->releases);
	free(s);
}
