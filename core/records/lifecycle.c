/* The life of a case after ingestion: closure, legal hold and its release,
 * and crypto-shredding (anonymisation or destruction), each inside the one
 * write transaction. Who may decide them is checked by the callers (case
 * commands here, the sweep, the rights register). */
#include "records/lifecycle.h"
#include "util/json.h"
#include "records/revtag.h"
#include "records/case_tree.h"
#include "records/cases.h"
#include "crypto/fieldbox.h"
#include "util/date.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Common shape of close / hold / release: change the row, rebuild the
 * manifest, journal, commit. */
typedef int (*case_change_fn)(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg);


static int case_change(cv_archive *a, const char *id_or_ref, const char *action, case_change_fn fn, const void *arg)
{
	char id[40], obj[64], op[96];
	CV_TRY(cv__case_resolve(a, id_or_ref, id));
	snprintf(obj, sizeof obj, "case:%s", id);
	CV_TRY(cv__access_check(a, action, obj));
	cv_txn t;
	snprintf(op, sizeof op, "%s case %s", action, id);
	CV_TRY(cv__txn_begin(&t, a, op));
	cv_case_info ci;
	cv_case_key k;
	memset(&k, 0, sizeof k);
	int rc = cv_case_get(&ci, a, id);
	if (!rc && strcmp(ci.state, "active") && strcmp(ci.state, "archived"))
		rc = cv__err(CV_ESTATE, "%s: case %s is %s", action, ci.ref, ci.state);
	if (!rc)
		rc = cv__case_key_load(a, id, &k);
	if (!rc)
		rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = fn(a, id, &ci, arg);
	if (!rc)
		rc = cv__case_rebuild_tree(&t, id, &k);
	if (!rc)
		rc = cv__txn_journal(&t, action, obj, "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	cv__case_key_wipe(&k);
	return rc;
}

static int exec_case(cv_archive *a, const char *sql, const char *id, const char *p1, const void *blob, size_t blen)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__catalog_prepare(a->cat, &st, sql));
	cv__bind_text(st, 1, id);
	cv__bind_text(st, 2, now);
	cv__bind_text(st, 3, p1);
	if (blob)
		cv__bind_blob(st, 4, blob, blen);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "update case");
	sqlite3_finalize(st);
	return rc;
}

static int do_close(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg)
{
	const char *date = arg;
	if (strcmp(date, ci->opened) < 0)
		return cv__err(CV_EINVAL, "case close: %s is before the opening date %s of case %s", date, ci->opened, ci->ref);
	return exec_case(a, "UPDATE cases SET closed=?3, state='archived', updated=?2 WHERE id=?1", id, date, NULL, 0);
}

CV_EXTERN(int) cv_case_close(cv_archive *a, const char *id_or_ref, const char *date)
{
	if (!cv__date_valid(date))
		return cv__err(CV_EINVAL, "case close: the closure date '%s' is not a valid YYYY-MM-DD date", date ? date : "");
	char today[11];
	cv__date_today(today);
	/* The closure date starts the retention clock: a future one would make
	 * the case due for elimination while its services still run. */
	if (strcmp(date, today) > 0)
		return cv__err(CV_EINVAL, "case close: the closure date %s is after today (%s); a case is closed when its last "
			"service has ended, so record the closure on that day or later", date, today);
	return case_change(a, id_or_ref, "case.close", do_close, date);
}

static int do_hold(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg)
{
	(void)ci;
	const char *reason = arg;
	cv_buf box = CV_BUF_INIT;
	char ad[96], today[11];
	snprintf(ad, sizeof ad, "casevault/v1|%s|hold", id);
	cv__date_today(today);
	int rc = cv__box_seal(&box, a->k_afields, ad, reason, strlen(reason));
	if (!rc)
		rc = exec_case(a, "UPDATE cases SET hold=?4, hold_since=?3, updated=?2 WHERE id=?1", id, today, box.data, box.len);
	cv__buf_dispose(&box);
	return rc;
}

CV_EXTERN(int) cv_case_hold(cv_archive *a, const char *id_or_ref, const char *reason)
{
	if (!reason || !*reason)
		return cv__err(CV_EINVAL, "case hold: the reason is missing (litigation, inquiry...)");
	return case_change(a, id_or_ref, "case.hold", do_hold, reason);
}

static int do_release(cv_archive *a, const char *id, const cv_case_info *ci, const void *arg)
{
	(void)arg;
	if (!ci->on_hold)
		return cv__err(CV_ESTATE, "case release: case %s is not on hold", ci->ref);
	return exec_case(a, "UPDATE cases SET hold=NULL, hold_since=NULL, updated=?2 WHERE id=?1 AND ?3 IS NULL", id, NULL, NULL, 0);
}

CV_EXTERN(int) cv_case_release(cv_archive *a, const char *id_or_ref)
{
	return case_change(a, id_or_ref, "case.release", do_release, NULL);
}

static const char *SHRED_SQL[] = {
	"DELETE FROM blind WHERE case_id=?1",
	"DELETE FROM persons WHERE case_id=?1",
	"DELETE FROM rev_chunks WHERE case_id=?1",
	"DELETE FROM chunks WHERE case_id=?1",
	"DELETE FROM revisions WHERE case_id=?1",
	"DELETE FROM documents WHERE case_id=?1",
	"DELETE FROM case_keys WHERE case_id=?1",
	"DELETE FROM rectifications WHERE case_id=?1",
};

/* The redacted survivors under a fresh key: the old key is gone, so nothing
 * of the earlier versions can be read, only these texts. */
static int store_survivors(cv_txn *t, const char *case_id, const cv_survivor *sv, size_t n)
{
	cv_archive *a = t->a;
	cv_case_key k;
	unsigned char wrapped[48];
	size_t wl = 0;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__case_key_new(a, &k, wrapped, &wl));
	sqlite3_stmt *st = NULL;
	int rc = cv__catalog_prepare(a->cat, &st, "INSERT INTO case_keys(case_id,key_id,wrapped,created) VALUES(?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, case_id);
		cv__bind_text(st, 2, k.id_hex);
		cv__bind_blob(st, 3, wrapped, wl);
		cv__bind_text(st, 4, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "store survivor key");
		sqlite3_finalize(st);
	}
	cv_buf box = CV_BUF_INIT;
	for (size_t i = 0; !rc && i < n; i++) {
		char doc_id[16], where[32], path[32];
		snprintf(doc_id, sizeof doc_id, "d%zu", i + 1);
		snprintf(where, sizeof where, "doc:%s", doc_id);
		snprintf(path, sizeof path, "%s-occulte.txt", doc_id);
		json_t *m = json_pack("{s:s,s:s,s:[],s:s,s:s}", "path", path, "title", sv[i].title ? sv[i].title : "", "concerns",
			"date", sv[i].date ? sv[i].date : "", "type", sv[i].type ? sv[i].type : "");
		char *ms = cv__json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(m);
		unsigned char tag[32], h[32];
		rc = ms ? cv__doc_path_tag(&k, path, tag) : cv__oom();
		if (!rc)
			rc = cv__case_box(&box, &k, case_id, where, ms, strlen(ms));
		free(ms);
		if (!rc)
			rc = cv__catalog_prepare(a->cat, &st,
				"INSERT INTO documents(case_id,doc_id,seq,path_tag,meta,type,date) VALUES(?,?,?,?,?,?,?)");
		if (!rc) {
			cv__bind_text(st, 1, case_id);
			cv__bind_text(st, 2, doc_id);
			sqlite3_bind_int(st, 3, (int)i + 1);
			cv__bind_blob(st, 4, tag, 32);
			cv__bind_blob(st, 5, box.data, box.len);
			cv__bind_text(st, 6, sv[i].type);
			cv__bind_text(st, 7, sv[i].date && *sv[i].date ? sv[i].date : NULL);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = cv__catalog_fail(a->cat, "store survivor");
			sqlite3_finalize(st);
		}
		git_oid oid;
		unsigned char otag[CV_CMS_TAG_LEN];
		if (!rc)
			rc = cv__hmac_sha256(h, k.k_hash, 32, sv[i].text, sv[i].len);
		if (!rc)
			rc = cv__txn_put_sealed(t, &k, sv[i].text, sv[i].len, &oid, otag);
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, &oid);
		static const char *const ins[] = {
			"INSERT INTO revisions(case_id,doc_id,rev,case_version,created,size,nchunks,note) VALUES(?1,?2,1,0,?3,?4,1,"
			"'anonymisation: redacted survivor')",
			"INSERT INTO rev_chunks(case_id,doc_id,rev,seq,hash) VALUES(?1,?2,1,0,?5)",
			"INSERT INTO chunks(case_id,hash,oid,size,tag) VALUES(?1,?5,?6,?4,?7)",
		};
		for (int q = 0; !rc && q < 3; q++) {
			rc = cv__catalog_prepare(a->cat, &st, ins[q]);
			if (rc)
				break;
			cv__bind_text(st, 1, case_id);
			cv__bind_text(st, 2, doc_id);
			cv__bind_text(st, 3, now);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)sv[i].len);
			cv__bind_blob(st, 5, h, 32);
			cv__bind_text(st, 6, hex);
			if (q == 2)
				cv__bind_blob(st, 7, otag, sizeof otag);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = cv__catalog_fail(a->cat, "store survivor");
			sqlite3_finalize(st);
		}
	}
	for (size_t i = 0; !rc && i < n; i++) {
		char doc_id[16];
		snprintf(doc_id, sizeof doc_id, "d%zu", i + 1);
		rc = cv__rev_seal(a, case_id, &k, doc_id, 1);
	}
	if (!rc)
		rc = cv__case_rebuild_tree(t, case_id, &k);
	cv__buf_dispose(&box);
	cv__case_key_wipe(&k);
	return rc;
}

int cv__case_shred(cv_txn *t, const char *case_id, int destroy, const cv_survivor *sv, size_t nsv, char key_id[33])
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	key_id[0] = '\0';
	if (destroy)
		nsv = 0;
	CV_TRY(cv__catalog_stmt(a->cat, &st, "SELECT key_id FROM case_keys WHERE case_id=?"));
	cv__bind_text(st, 1, case_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		cv__col_text(st, 0, key_id, 33);
	cv__stmt_done(st);
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof SHRED_SQL / sizeof *SHRED_SQL; i++) {
		rc = cv__catalog_stmt(a->cat, &st, SHRED_SQL[i]);
		if (!rc) {
			cv__bind_text(st, 1, case_id);
			rc = cv__stmt_exec(a->cat, st, "remove case data");
		}
	}
	char now[32];
	cv__now_iso(now);
	if (!rc)
		rc = cv__catalog_stmt(a->cat, &st,
			"UPDATE cases SET state=?2, opened=substr(opened,1,7), closed=substr(closed,1,7), hold=NULL, hold_since=NULL,"
			" details=NULL, child_born=NULL, manifest=NULL, sealed=NULL, restricted=0,"
			" stats=CASE WHEN ?3 THEN NULL ELSE stats END, updated=?4 WHERE id=?1");
	if (!rc) {
		cv__bind_text(st, 1, case_id);
		cv__bind_text(st, 2, destroy ? "destroyed" : "anonymised");
		sqlite3_bind_int(st, 3, destroy);
		cv__bind_text(st, 4, now);
		rc = cv__stmt_exec(a->cat, st, "mark case");
	}
	/* notes of requests and exports about the case go with it */
	if (!rc)
		rc = cv__note_keys_shred(a, case_id);
	if (!rc)
		rc = nsv ? store_survivors(t, case_id, sv, nsv) : cv__txn_set_case_tree(t, case_id, NULL);
	return rc;
}
