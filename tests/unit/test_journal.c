/* journal: the keyed chain (encoding, append, check) detects an edited,
 * removed or reordered entry even with the append-only triggers dropped, and
 * a chain recomputed without the key; anchors in git commits catch
 * truncation and a chain recomputed with it; entries made before the keyed
 * journal keep their SHA-256 chain. */
#include "support.h"
#include "catalog/catalog.h"
#include "catalog/rowmac.h"
#include "crypto/kdf.h"
#include "engine/internal.h"
#include "journal/journal.h"

static const unsigned char ROW_KEY[32] = { 7, 7, 7 };

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;
static const unsigned char TEST_KEY[32] = "journal key of the unit tests!!";

static int setup(void **s)
{
	(void)s;
	dir = cvt_tmpdir("journal");
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	cvt_rmrf(dir);
	free(dir);
	return 0;
}

static cv_catalog *with_entries(const char *name, unsigned n)
{
	char *p = cvt_join(dir, name);
	cv_catalog *c = NULL;
	assert_int_equal(cv__catalog_open(&c, p, 1, 1000), 0);
	assert_int_equal(cv__rowmac_start(c, ROW_KEY), 0);
	free(p);
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	cv__journal_use_key(c, TEST_KEY);
	for (unsigned i = 1; i <= n; i++) {
		char actor[32], obj[32];
		snprintf(actor, sizeof actor, "user%u", i);
		snprintf(obj, sizeof obj, "case:c%u", i);
		uint64_t seq = 0;
		unsigned char h[32];
		assert_int_equal(cv__catalog_begin(c), 0);
		assert_int_equal(cv__journal_append(c, actor, "test.action", obj, "ok", &seq, h), 0);
		assert_int_equal(cv__catalog_commit(c), 0);
		assert_int_equal(seq, i);
	}
	return c;
}

static uint64_t check(cv_catalog *c, int want_rc, uint64_t *entries, char *reason)
{
	uint64_t first_bad = 999, n = 0;
	char r[512] = "";
	int rc = cv__journal_check(c, &n, &first_bad, r, sizeof r);
	if (rc != want_rc)
		fail_msg("journal check returned %d, expected %d (%s)", rc, want_rc, r);
	if (entries)
		*entries = n;
	if (reason)
		strcpy(reason, r);
	return first_bad;
}

static void drop_triggers(cv_catalog *c)
{
	assert_int_equal(sqlite3_exec(c->db, "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;", NULL, NULL, NULL),
		SQLITE_OK);
}

static void put_field(cv_buf *b, const void *p, uint32_t n)
{
	unsigned char l[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };
	cv__buf_put(b, l, 4);
	cv__buf_put(b, p, n);
}

static void test_encoding(void **s)
{
	(void)s;
	unsigned char sig[64];
	cvt_fill(sig, 64, 9);
	cv_jentry e = { 0x0102030405060708ULL, "2026-01-02T03:04:05Z", "alice", "case.ingest", "case:c1", "ok", NULL, NULL };
	cv_buf enc = CV_BUF_INIT, want = CV_BUF_INIT;
	const unsigned char seq[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const char *f[5] = { e.time, e.actor, e.action, e.object, e.outcome };
	/* encode1: before the keyed journal */
	assert_int_equal(cv__journal_encode(&enc, &e, 0), 0);
	cv__buf_put(&want, "cvj1", 4);
	cv__buf_put(&want, seq, 8);
	for (int i = 0; i < 5; i++)
		put_field(&want, f[i], (uint32_t)strlen(f[i]));
	assert_int_equal(enc.len, want.len);
	assert_memory_equal(enc.data, want.data, want.len);
	/* hash1 = SHA-256(prev || encode1) */
	unsigned char prev[32], h[32], expect[32];
	cvt_fill(prev, 32, 1);
	cv_buf cat = CV_BUF_INIT;
	cv__buf_put(&cat, prev, 32);
	cv__buf_put(&cat, want.data, want.len);
	cv__sha256(expect, cat.data, cat.len);
	assert_int_equal(cv__journal_hash(h, prev, &e, NULL), 0);
	assert_memory_equal(h, expect, 32);
	/* encode2: signer and signature too; hash2 = HMAC(key, prev || encode2) */
	e.signer = "alice";
	e.sig = sig;
	cv__buf_clear(&want);
	cv__buf_put(&want, "cvj2", 4);
	cv__buf_put(&want, seq, 8);
	for (int i = 0; i < 5; i++)
		put_field(&want, f[i], (uint32_t)strlen(f[i]));
	put_field(&want, "alice", 5);
	put_field(&want, sig, 64);
	assert_int_equal(cv__journal_encode(&enc, &e, 1), 0);
	assert_int_equal(enc.len, want.len);
	assert_memory_equal(enc.data, want.data, want.len);
	cv__buf_clear(&cat);
	cv__buf_put(&cat, prev, 32);
	cv__buf_put(&cat, want.data, want.len);
	cv__hmac_sha256(expect, TEST_KEY, 32, cat.data, cat.len);
	assert_int_equal(cv__journal_hash(h, prev, &e, TEST_KEY), 0);
	assert_memory_equal(h, expect, 32);
	/* field boundaries matter: ("ab","c") and ("a","bc") differ */
	cv_jentry x = e, y = e;
	x.actor = "ab"; x.action = "c";
	y.actor = "a"; y.action = "bc";
	unsigned char hx[32], hy[32];
	cv__journal_hash(hx, prev, &x, TEST_KEY);
	cv__journal_hash(hy, prev, &y, TEST_KEY);
	assert_memory_not_equal(hx, hy, 32);
	/* a stripped signature changes the chain value */
	x = e;
	x.signer = NULL;
	cv__journal_hash(hx, prev, &x, TEST_KEY);
	assert_memory_not_equal(hx, h, 32);
	cv__buf_dispose(&enc);
	cv__buf_dispose(&want);
	cv__buf_dispose(&cat);
}

static void test_chain_ok_and_head(void **s)
{
	(void)s;
	cv_catalog *c = with_entries("ok.db", 10);
	uint64_t n = 0;
	assert_int_equal(check(c, 0, &n, NULL), 0);
	assert_int_equal(n, 10);
	uint64_t seq = 0;
	unsigned char head[32], at[32], zero[32] = { 0 };
	assert_int_equal(cv__journal_head(c, &seq, head), 0);
	assert_int_equal(seq, 10);
	assert_int_equal(cv__journal_hash_at(c, 10, at), 0);
	assert_memory_equal(head, at, 32);
	assert_int_equal(cv__journal_hash_at(c, 11, at), CV_ENOTFOUND);
	/* the first entry links to 32 zero bytes */
	sqlite3_stmt *st = NULL;
	assert_int_equal(cv__catalog_prepare(c, &st, "SELECT prev FROM journal WHERE seq=1"), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), 32);
	assert_memory_equal(sqlite3_column_blob(st, 0), zero, 32);
	sqlite3_finalize(st);
	/* record: in its own transaction, and inside a caller's */
	assert_int_equal(cv__journal_record(c, "bob", "doc.read", "case:c1", "ok"), 0);
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_int_equal(cv__journal_record(c, "bob", "doc.read", "case:c2", "ok"), 0);
	assert_int_equal(cv__catalog_commit(c), 0);
	assert_int_equal(check(c, 0, &n, NULL), 0);
	assert_int_equal(n, 12);
	cv__catalog_close(c);

	/* an empty journal */
	char *p = cvt_join(dir, "empty.db");
	assert_int_equal(cv__catalog_open(&c, p, 1, 1000), 0);
	assert_int_equal(cv__rowmac_start(c, ROW_KEY), 0);
	free(p);
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	cv__journal_use_key(c, TEST_KEY);
	assert_int_equal(cv__journal_head(c, &seq, head), 0);
	assert_int_equal(seq, 0);
	assert_memory_equal(head, zero, 32);
	assert_int_equal(check(c, 0, &n, NULL), 0);
	assert_int_equal(n, 0);
	cv__catalog_close(c);
}

static void test_triggers_block_changes(void **s)
{
	(void)s;
	cv_catalog *c = with_entries("trig.db", 3);
	assert_true(cv__catalog_exec(c, "UPDATE journal SET actor='mallory' WHERE seq=2") < 0);
	assert_true(cv__catalog_exec(c, "DELETE FROM journal WHERE seq=3") < 0);
	uint64_t n = 0;
	assert_int_equal(check(c, 0, &n, NULL), 0);
	assert_int_equal(n, 3);
	cv__catalog_close(c);
}

static void test_edited_actor(void **s)
{
	(void)s;
	cv_catalog *c = with_entries("edit.db", 8);
	drop_triggers(c);
	assert_int_equal(cv__catalog_exec(c, "UPDATE journal SET actor='mallory' WHERE seq=5"), 0);
	char reason[512];
	assert_int_equal(check(c, CV_EDAMAGED, NULL, reason), 5);
	assert_non_null(strstr(reason, "5"));
	assert_non_null(strstr(cv_error_last()->message, "entry 5"));
	cv__catalog_close(c);
	/* every column counts */
	const char *cols[] = { "time='2000-01-01T00:00:00Z'", "action='x'", "object='case:other'", "outcome='denied'", NULL };
	for (size_t i = 0; cols[i]; i++) {
		char name[32], sql[128];
		snprintf(name, sizeof name, "edit%zu.db", i);
		c = with_entries(name, 4);
		drop_triggers(c);
		snprintf(sql, sizeof sql, "UPDATE journal SET %s WHERE seq=2", cols[i]);
		assert_int_equal(cv__catalog_exec(c, sql), 0);
		if (check(c, CV_EDAMAGED, NULL, NULL) != 2)
			fail_msg("editing %s not detected at entry 2", cols[i]);
		cv__catalog_close(c);
	}
}

static void test_deleted_middle(void **s)
{
	(void)s;
	cv_catalog *c = with_entries("del.db", 8);
	drop_triggers(c);
	assert_int_equal(cv__catalog_exec(c, "DELETE FROM journal WHERE seq=4"), 0);
	char reason[512];
	assert_int_equal(check(c, CV_EDAMAGED, NULL, reason), 4);
	assert_non_null(strstr(reason, "4"));
	cv__catalog_close(c);
	/* the first entry deleted */
	c = with_entries("del1.db", 3);
	drop_triggers(c);
	assert_int_equal(cv__catalog_exec(c, "DELETE FROM journal WHERE seq=1"), 0);
	assert_int_equal(check(c, CV_EDAMAGED, NULL, NULL), 1);
	cv__catalog_close(c);
}

static void test_swapped(void **s)
{
	(void)s;
	cv_catalog *c = with_entries("swap.db", 6);
	drop_triggers(c);
	assert_int_equal(cv__catalog_exec(c,
		"UPDATE journal SET seq=-1 WHERE seq=3; UPDATE journal SET seq=3 WHERE seq=4; UPDATE journal SET seq=4 WHERE seq=-1;"), 0);
	assert_int_equal(check(c, CV_EDAMAGED, NULL, NULL), 3);
	cv__catalog_close(c);
	/* renumbering the tail to close a gap does not hide a deletion */
	c = with_entries("renum.db", 6);
	drop_triggers(c);
	assert_int_equal(cv__catalog_exec(c, "DELETE FROM journal WHERE seq=3; UPDATE journal SET seq=seq-1 WHERE seq>3;"), 0);
	assert_int_equal(check(c, CV_EDAMAGED, NULL, NULL), 3);
	cv__catalog_close(c);
}

/* What the chain alone cannot see, and the anchors must: truncation of the
 * last entries, and an edit with the whole chain recomputed. */
static void test_chain_limits(void **s)
{
	(void)s;
	cv_catalog *c = with_entries("limits.db", 6);
	drop_triggers(c);
	assert_int_equal(cv__catalog_exec(c, "DELETE FROM journal WHERE seq>4"), 0);
	uint64_t n = 0;
	assert_int_equal(check(c, 0, &n, NULL), 0);
	assert_int_equal(n, 4);
	cv__catalog_close(c);
}

/* Recompute prev/hash of every entry, as an attacker who knows the format
 * does: without the key (`key` NULL: SHA-256, the only chain they can make)
 * or with it (an insider holding the master key). */
static void rechain(sqlite3 *db, const unsigned char *key)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq,time,actor,action,object,outcome FROM journal ORDER BY seq", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE journal SET prev=?, hash=? WHERE seq=?", -1, &up, NULL), SQLITE_OK);
	unsigned char prev[32] = { 0 }, h[32];
	typedef struct { uint64_t seq; char *f[5]; } row;
	row rows[256];
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < 256) {
		rows[n].seq = (uint64_t)sqlite3_column_int64(st, 0);
		for (int i = 0; i < 5; i++)
			rows[n].f[i] = strdup((const char *)sqlite3_column_text(st, i + 1));
		n++;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		cv_jentry e = { rows[i].seq, rows[i].f[0], rows[i].f[1], rows[i].f[2], rows[i].f[3], rows[i].f[4], NULL, NULL };
		assert_int_equal(cv__journal_hash(h, prev, &e, key), 0);
		sqlite3_reset(up);
		sqlite3_bind_blob(up, 1, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 2, h, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, (sqlite3_int64)rows[i].seq);
		assert_int_equal(sqlite3_step(up), SQLITE_DONE);
		memcpy(prev, h, 32);
		for (int k = 0; k < 5; k++)
			free(rows[i].f[k]);
	}
	sqlite3_finalize(up);
}

static sqlite3 *raw(const char *adir)
{
	char *p = cvt_join(adir, "catalog.db");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	free(p);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete;",
		NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *archive_with_ingests(const char *name, char **key)
{
	cv_archive *a = cvt_archive(name, key);
	char *adir = strdup(cv_archive_dir(a));
	unsigned char doc[5000];
	cvt_fill(doc, sizeof doc, 17);
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	int rc = cvt_ingest_case(a, "ASE-J-1", "docs/a.txt", doc, sizeof doc, &r);
	if (rc)
		fail_msg("ingest: %s", cv_error_last()->message);
	assert_int_equal(cvt_ingest_case(a, "ASE-J-2", "docs/b.txt", doc, 100, &r), 0);
	/* reads and refusals add entries after the last commit */
	const char *roles[] = { "auditor" };
	assert_int_equal(cv_user_add(a, "audrey", roles, 1, NULL), 0);
	cv_journal_report rep = CV_JOURNAL_REPORT_INIT;
	assert_int_equal(cv_journal_verify(&rep, a), 0);
	assert_true(rep.anchors >= 3); /* init + two ingests */
	assert_int_equal(rep.first_bad, 0);
	assert_true(rep.entries >= 4);
	cv_archive_free(a);
	return adir;
}

static void test_archive_truncation_detected(void **s)
{
	(void)s;
	char *key = NULL, *adir = archive_with_ingests("journal-trunc", &key);
	sqlite3 *db = raw(adir);
	int64_t ing = scalar(db, "SELECT max(seq) FROM journal WHERE action='case.ingest'");
	assert_true(ing > 1);
	char sql[128];
	snprintf(sql, sizeof sql, "DELETE FROM journal WHERE seq>=%lld", (long long)ing);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	cv_archive *a = cvt_reopen(adir, key, "tester");
	cv_journal_report rep = CV_JOURNAL_REPORT_INIT;
	assert_int_equal(cv_journal_verify(&rep, a), CV_EDAMAGED);
	assert_int_equal(rep.first_bad, (uint64_t)ing);
	assert_non_null(strstr(rep.reason, "removed"));
	cv_archive_free(a);
	free(adir);
	free(key);
}

/* An archive made before the keyed journal: its entries keep their SHA-256
 * chain, the migration records where the keyed chain starts, and both parts
 * verify; an edit of an old entry is still found. */
static void test_unkeyed_prefix_then_keyed(void **s)
{
	(void)s;
	char *p = cvt_join(dir, "upgrade.db");
	cv_catalog *c = NULL;
	assert_int_equal(cv__catalog_open(&c, p, 1, 1000), 0);
	assert_int_equal(cv__rowmac_start(c, ROW_KEY), 0);
	free(p);
	assert_int_equal(cv__catalog_migrate(c, 7), 0);
	unsigned char prev[32] = { 0 }, h[32];
	for (uint64_t i = 1; i <= 3; i++) {
		cv_jentry e = { i, "2026-01-01T00:00:00Z", "old", "case.ingest", "case:c", "ok", NULL, NULL };
		assert_int_equal(cv__journal_hash(h, prev, &e, NULL), 0);
		sqlite3_stmt *st = NULL;
		assert_int_equal(cv__catalog_prepare(c, &st, "INSERT INTO journal(seq,time,actor,action,object,outcome,prev,hash)"
			" VALUES(?,'2026-01-01T00:00:00Z','old','case.ingest','case:c','ok',?,?)"), 0);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
		sqlite3_bind_blob(st, 2, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, h, 32, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		memcpy(prev, h, 32);
	}
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	char *from = NULL;
	assert_int_equal(cv__catalog_meta_get(c, "journal_keyed_from", &from), 0);
	assert_string_equal(from, "4");
	free(from);
	cv__journal_use_key(c, TEST_KEY);
	assert_int_equal(cv__journal_record(c, "new", "doc.read", "case:c", "ok"), 0);
	assert_int_equal(cv__journal_record(c, "new", "doc.read", "case:c", "ok"), 0);
	uint64_t n = 0;
	assert_int_equal(check(c, 0, &n, NULL), 0);
	assert_int_equal(n, 5);
	drop_triggers(c);
	assert_int_equal(cv__catalog_exec(c, "UPDATE journal SET actor='mallory' WHERE seq=2"), 0);
	assert_int_equal(check(c, CV_EDAMAGED, NULL, NULL), 2);
	cv__catalog_close(c);
}

/* The attack of the adversarial review: a read of personal data removed
 * from the middle, the chain recomputed. Without the key the chain itself
 * gives it away. */
static void test_archive_removed_and_rechained_without_key(void **s)
{
	(void)s;
	char *key = NULL, *adir = archive_with_ingests("journal-nokey", &key);
	sqlite3 *db = raw(adir);
	int64_t victim = scalar(db, "SELECT min(seq) FROM journal WHERE action='case.ingest'");
	char sql[200];
	snprintf(sql, sizeof sql, "DELETE FROM journal WHERE seq=%lld; UPDATE journal SET seq=seq-1 WHERE seq>%lld;",
		(long long)victim, (long long)victim);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	rechain(db, NULL);
	sqlite3_close(db);
	cv_archive *a = cvt_reopen(adir, key, "tester");
	uint64_t n = 0, bad = 0;
	char reason[256];
	assert_int_equal(cv__journal_check(a->cat, &n, &bad, reason, sizeof reason), CV_EDAMAGED);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(reason, "without the key"));
	cv_journal_report rep = CV_JOURNAL_REPORT_INIT;
	assert_int_equal(cv_journal_verify(&rep, a), CV_EDAMAGED);
	cv_archive_free(a);
	free(adir);
	free(key);
}

/* An insider who holds the master key can recompute the keyed chain; the
 * heads recorded in git commits still do not match. */
static void test_archive_rechained_edit_detected(void **s)
{
	(void)s;
	char *key = NULL, *adir = archive_with_ingests("journal-rechain", &key);
	cv_archive *a = cvt_reopen(adir, key, "tester");
	unsigned char jkey[32];
	memcpy(jkey, a->k_journal, 32);
	cv_archive_free(a);
	sqlite3 *db = raw(adir);
	int64_t ing = scalar(db, "SELECT min(seq) FROM journal WHERE action='case.ingest'");
	char sql[160];
	snprintf(sql, sizeof sql, "UPDATE journal SET actor='mallory' WHERE seq=%lld", (long long)ing);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	rechain(db, jkey);
	sqlite3_close(db);

	a = cvt_reopen(adir, key, "tester");
	/* the chain itself is consistent again... */
	uint64_t n = 0, bad = 0;
	char reason[256];
	assert_int_equal(cv__journal_check(a->cat, &n, &bad, reason, sizeof reason), 0);
	assert_int_equal(bad, 0);
	/* ...but the heads recorded in git commits no longer match */
	cv_journal_report rep = CV_JOURNAL_REPORT_INIT;
	assert_int_equal(cv_journal_verify(&rep, a), CV_EDAMAGED);
	assert_true(rep.first_bad >= (uint64_t)ing);
	assert_non_null(strstr(rep.reason, "commit"));
	cv_archive_free(a);
	free(adir);
	free(key);
}

static void test_journal_list_and_anchor(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a = cvt_archive("journal-list", &key);
	uint64_t seq = 0;
	char hex[65];
	assert_int_equal(cv_journal_anchor(&seq, hex, a), 0);
	assert_int_equal(strlen(hex), 64);
	cv_journal_entry *list = NULL;
	size_t n = 0;
	assert_int_equal(cv_journal_list(&list, &n, a, 1, 0), 0);
	assert_int_equal(n, seq);
	assert_string_equal(list[0].action, "archive.init");
	assert_string_equal(list[0].actor, "tester");
	assert_string_equal(list[n - 1].action, "journal.anchor");
	assert_string_equal(list[n - 1].hash, hex);
	cv_journal_list_free(list, n);
	assert_int_equal(cv_journal_list(&list, &n, a, 2, 1), 0);
	assert_true(n <= 1);
	cv_journal_list_free(list, n);
	cv_archive_free(a);
	free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_chain_ok_and_head),
		cmocka_unit_test(test_triggers_block_changes),
		cmocka_unit_test(test_edited_actor),
		cmocka_unit_test(test_deleted_middle),
		cmocka_unit_test(test_swapped),
		cmocka_unit_test(test_chain_limits),
		cmocka_unit_test(test_archive_truncation_detected),
		cmocka_unit_test(test_unkeyed_prefix_then_keyed),
		cmocka_unit_test(test_archive_removed_and_rechained_without_key),
		cmocka_unit_test(test_archive_rechained_edit_detected),
		cmocka_unit_test(test_journal_list_and_anchor),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
