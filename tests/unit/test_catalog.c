/* catalog: versioned schema with forward migrations, safety pragmas
 * (WAL, secure_delete), refusal of a catalog from a newer casevault. */
#include "support.h"
#include "catalog/catalog.h"
#include "catalog/rowmac.h"
#include "catalog/schema.h"
#include "engine/internal.h"

static const unsigned char ROW_KEY[32] = { 7, 7, 7 };

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static int setup(void **s)
{
	(void)s;
	dir = cvt_tmpdir("catalog");
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	cvt_rmrf(dir);
	free(dir);
	return 0;
}

static cv_catalog *fresh(const char *name)
{
	char *p = cvt_join(dir, name);
	cv_catalog *c = NULL;
	assert_int_equal(cv__catalog_open(&c, p, 1, 1000), 0);
	assert_int_equal(cv__rowmac_start(c, ROW_KEY), 0);
	free(p);
	return c;
}

static int version(cv_catalog *c)
{
	int v = -1;
	assert_int_equal(cv__catalog_version(c, &v), 0);
	return v;
}

static char *pragma_text(cv_catalog *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(cv__catalog_prepare(c, &st, sql), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char *v = cv__col_strdup(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_fresh_migrates_to_latest(void **s)
{
	(void)s;
	cv_catalog *c = fresh("fresh.db");
	assert_int_equal(version(c), 0);
	assert_true(cv__catalog_schema_latest() >= 1);
	assert_int_equal(cv__catalog_schema_latest(), cv__schema_count());
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	assert_int_equal(version(c), cv__catalog_schema_latest());
	/* the tables the engine relies on exist */
	const char *tables[] = { "meta", "users", "cases", "case_keys", "persons", "blind", "documents", "revisions",
		"rev_chunks", "chunks", "journal", NULL };
	for (size_t i = 0; tables[i]; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'", tables[i]);
		char *n = pragma_text(c, sql);
		if (strcmp(n, "1"))
			fail_msg("table %s missing after migration", tables[i]);
		free(n);
	}
	/* every step exists; none past the end */
	for (int i = 0; i < cv__schema_count(); i++)
		assert_non_null(cv__schema_step(i));
	assert_null(cv__schema_step(cv__schema_count()));
	assert_null(cv__schema_step(-1));
	cv__catalog_close(c);
}

static void test_migration_idempotent(void **s)
{
	(void)s;
	cv_catalog *c = fresh("idem.db");
	int latest = cv__catalog_schema_latest();
	assert_int_equal(cv__catalog_migrate(c, latest), 0);
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_int_equal(cv__catalog_meta_set(c, "k", "v"), 0);
	assert_int_equal(cv__catalog_commit(c), 0);
	assert_int_equal(cv__catalog_migrate(c, latest), 0);
	assert_int_equal(cv__catalog_migrate(c, latest), 0);
	assert_int_equal(version(c), latest);
	char *v = NULL;
	assert_int_equal(cv__catalog_meta_get(c, "k", &v), 0);
	assert_string_equal(v, "v");
	free(v);
	assert_int_equal(cv__catalog_meta_get(c, "nope", &v), CV_ENOTFOUND);
	assert_null(v);
	/* and after closing and reopening */
	cv__catalog_close(c);
	char *p = cvt_join(dir, "idem.db");
	assert_int_equal(cv__catalog_open(&c, p, 0, 1000), 0);
	assert_int_equal(cv__rowmac_start(c, ROW_KEY), 0);
	free(p);
	assert_int_equal(cv__catalog_migrate(c, latest), 0);
	assert_int_equal(version(c), latest);
	cv__catalog_close(c);
}

static void test_version1_keeps_rows(void **s)
{
	(void)s;
	cv_catalog *c = fresh("v1.db");
	assert_int_equal(cv__catalog_migrate(c, 1), 0); /* step 0 only */
	assert_int_equal(version(c), 1);
	assert_int_equal(cv__catalog_exec(c,
		"INSERT INTO meta(k,v) VALUES('archive_id','0123456789abcdef0123456789abcdef');"
		"INSERT INTO users(name,roles,credential,created) VALUES('alice','admin',NULL,'2026-01-01T00:00:00Z');"
		"INSERT INTO cases(id,ref,category,state,opened,created,updated)"
		"  VALUES('c1','ASE-1','placement','active','2020-01-01','2026-01-01','2026-01-01');"), 0);
	cv__catalog_close(c);
	char *p = cvt_join(dir, "v1.db");
	assert_int_equal(cv__catalog_open(&c, p, 0, 1000), 0);
	assert_int_equal(cv__rowmac_start(c, ROW_KEY), 0);
	free(p);
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	assert_int_equal(version(c), cv__catalog_schema_latest());
	char *v = pragma_text(c, "SELECT roles FROM users WHERE name='alice'");
	assert_string_equal(v, "admin");
	free(v);
	v = pragma_text(c, "SELECT ref||'/'||category||'/'||state FROM cases WHERE id='c1'");
	assert_string_equal(v, "ASE-1/placement/active");
	free(v);
	assert_int_equal(cv__catalog_meta_get(c, "archive_id", &v), 0);
	assert_string_equal(v, "0123456789abcdef0123456789abcdef");
	free(v);
	cv__catalog_close(c);
}

static void test_pragmas(void **s)
{
	(void)s;
	cv_catalog *c = fresh("pragmas.db");
	char *v = pragma_text(c, "PRAGMA secure_delete");
	assert_string_equal(v, "1");
	free(v);
	v = pragma_text(c, "PRAGMA journal_mode");
	assert_string_equal(v, "wal");
	free(v);
	v = pragma_text(c, "PRAGMA synchronous");
	assert_string_equal(v, "2"); /* FULL */
	free(v);
	v = pragma_text(c, "PRAGMA foreign_keys");
	assert_string_equal(v, "1");
	free(v);
	cv__catalog_close(c);
}

/* secure_delete + a TRUNCATE checkpoint: a deleted secret leaves no byte
 * on disk (database nor WAL). */
static void test_deleted_bytes_leave_the_disk(void **s)
{
	(void)s;
	cv_catalog *c = fresh("shred.db");
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	const char *secret = "SECRET-CASE-KEY-0123456789";
	char sql[256];
	snprintf(sql, sizeof sql, "BEGIN; INSERT INTO meta(k,v) VALUES('s','%s')", secret);
	assert_int_equal(cv__catalog_exec(c, sql), 0);
	assert_int_equal(cv__catalog_commit(c), 0);
	assert_int_equal(cv__catalog_checkpoint(c), 0);
	assert_int_equal(cv__catalog_exec(c, "DELETE FROM meta WHERE k='s'"), 0);
	assert_int_equal(cv__catalog_checkpoint(c), 0);
	const char *files[] = { "shred.db", "shred.db-wal", NULL };
	for (size_t i = 0; files[i]; i++) {
		char *p = cvt_join(dir, files[i]);
		size_t n = 0;
		unsigned char *b = cvt_read(p, &n);
		if (b && cvt_memmem(b, n, secret, strlen(secret)))
			fail_msg("deleted value still in %s", files[i]);
		free(b);
		free(p);
	}
	cv__catalog_close(c);
}

static void test_newer_version_refused(void **s)
{
	(void)s;
	cv_catalog *c = fresh("newer.db");
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", cv__catalog_schema_latest() + 1);
	assert_int_equal(cv__catalog_exec(c, sql), 0);
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), CV_EUNSUPPORTED);
	assert_non_null(strstr(cv_error_last()->message, "upgrade"));
	assert_int_equal(version(c), cv__catalog_schema_latest() + 1);
	cv__catalog_close(c);
}

/* The archive refuses to open a catalog written by a newer casevault. */
static void test_archive_with_newer_catalog(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a = cvt_archive("catalog-newer", &key);
	char *adir = strdup(cv_archive_dir(a));
	char *cat = cvt_join(adir, "catalog.db");
	cv_archive_free(a);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(cat, &db), SQLITE_OK);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", cv__catalog_schema_latest() + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.actor = "tester";
	assert_int_equal(cv_archive_open(&a, adir, &o), CV_EUNSUPPORTED);
	assert_null(a);
	free(cat);
	free(adir);
	free(key);
}

static int count_bad(const char *table, const char *row, void *payload)
{
	(void)table;
	(void)row;
	(*(int *)payload)++;
	return 0;
}

static void test_meta_and_transactions(void **s)
{
	(void)s;
	cv_catalog *c = fresh("tx.db");
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_true(c->in_tx);
	assert_int_equal(cv__catalog_meta_set(c, "a", "1"), 0);
	cv__catalog_rollback(c);
	assert_false(c->in_tx);
	char *v = NULL;
	assert_int_equal(cv__catalog_meta_get(c, "a", &v), CV_ENOTFOUND);
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_int_equal(cv__catalog_meta_set(c, "a", "1"), 0);
	assert_int_equal(cv__catalog_meta_set(c, "a", "2"), 0);
	assert_int_equal(cv__catalog_commit(c), 0);
	assert_int_equal(cv__catalog_meta_get(c, "a", &v), 0);
	assert_string_equal(v, "2");
	free(v);
	/* a bad statement reports an error naming the catalog */
	assert_true(cv__catalog_exec(c, "SELECT * FROM no_such_table") < 0);
	assert_non_null(strstr(cv_error_last()->message, "tx.db"));
	cv__catalog_close(c);
	/* opening a missing file without create fails */
	char *p = cvt_join(dir, "missing/none.db");
	assert_true(cv__catalog_open(&c, p, 0, 100) < 0);
	free(p);
}

/* Rows are sealed at commit; one altered outside casevault (here with
 * plain SQL on another connection, as someone without the key would) fails
 * its check, and casevault refuses to change it, which would bless it. */
static void test_sealed_rows(void **s)
{
	(void)s;
	cv_catalog *c = fresh("seal.db");
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	assert_true(cv__rowmac_active(c));
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_int_equal(cv__catalog_exec(c, "INSERT INTO cases(id,ref,category,state,opened,created,updated)"
		" VALUES('c1','ASE-1','placement','active','2020-01-01','2026-01-01','2026-01-01');"
		"INSERT INTO cases(id,ref,category,state,opened,hold,created,updated)"
		" VALUES('c2','ASE-2','placement','active','2020-01-01',x'01','2026-01-01','2026-01-01');"), 0);
	assert_int_equal(cv__catalog_commit(c), 0);
	assert_int_equal(cv__rowmac_check(c, "cases", NULL, NULL), 0);
	/* changed by casevault in a transaction: sealed again */
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_int_equal(cv__catalog_exec(c, "UPDATE cases SET state='closed' WHERE id='c1'"), 0);
	assert_int_equal(cv__catalog_commit(c), 0);
	assert_int_equal(cv__rowmac_check(c, "cases", "id=?1", "c1"), 0);
	/* outside a transaction: refused */
	assert_true(cv__catalog_exec(c, "UPDATE cases SET state='active' WHERE id='c1'") < 0);
	assert_int_equal(cv__rowmac_check(c, "cases", "id=?1", "c1"), 0);
	cv__rowmac_forget(c);
	/* someone without the key lifts the hold of c2 */
	char *p = cvt_join(dir, "seal.db");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE cases SET hold=NULL WHERE id='c2'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(p);
	assert_int_equal(cv__rowmac_check(c, "cases", "id=?1", "c1"), 0);
	assert_int_equal(cv__rowmac_check(c, "cases", "id=?1", "c2"), CV_EDAMAGED);
	assert_non_null(strstr(cv_error_last()->message, "cases c2"));
	/* casevault will not touch it: the commit fails and nothing changes */
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_int_equal(cv__catalog_exec(c, "UPDATE cases SET updated='2026-02-02' WHERE id='c2'"), 0);
	assert_int_equal(cv__catalog_commit(c), CV_EDAMAGED);
	cv__catalog_rollback(c);
	assert_int_equal(cv__rowmac_check(c, "cases", "id=?1", "c2"), CV_EDAMAGED);
	/* a row moved to another id, or added without the key, fails too */
	uint64_t rows = 0;
	int bad = 0;
	assert_int_equal(cv__rowmac_scan(c, count_bad, &bad, &rows), 0);
	assert_int_equal(bad, 1);
	assert_true(rows >= 2);
	cv__catalog_close(c);
}

/* Removing the seals to have altered rows sealed again by an "upgrade" is
 * refused: the journal records that the rows were sealed. */
static void test_seals_cannot_be_removed(void **s)
{
	(void)s;
	cv_catalog *c = fresh("unseal.db");
	assert_int_equal(cv__catalog_migrate(c, cv__catalog_schema_latest()), 0);
	assert_int_equal(cv__catalog_begin(c), 0);
	assert_int_equal(cv__catalog_exec(c, "INSERT INTO journal(seq,time,actor,action,object,outcome,prev,hash)"
		" VALUES(1,'t','casevault','catalog.seal','schema:12','ok',x'00',x'00')"), 0);
	assert_int_equal(cv__catalog_commit(c), 0);
	cv__catalog_close(c);
	char *p = cvt_join(dir, "unseal.db");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", CV_SCHEMA_ROW_SEALS - 1);
	static const char *const sealed[] = { "meta", "users", "cases", "case_keys", "persons", "plans", "plan_items",
		"certificates", "exports", "requests", "request_subjects", "restrictions", "rectifications", "origins_keys",
		"origins_shares", "origins_sealed", "origins_facts", "origins_approvals", "origins_releases", "note_keys" };
	for (size_t i = 0; i < sizeof sealed / sizeof *sealed; i++) {
		char drop[96];
		snprintf(drop, sizeof drop, "ALTER TABLE %s DROP COLUMN mac", sealed[i]);
		assert_int_equal(sqlite3_exec(db, drop, NULL, NULL, NULL), SQLITE_OK);
	}
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(cv__catalog_open(&c, p, 0, 1000), 0);
	assert_int_equal(cv__rowmac_start(c, ROW_KEY), 0);
	free(p);
	assert_true(cv__catalog_migrate(c, cv__catalog_schema_latest()) < 0);
	assert_non_null(strstr(cv_error_last()->message, "seals were removed"));
	cv__catalog_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_migrates_to_latest),
		cmocka_unit_test(test_migration_idempotent),
		cmocka_unit_test(test_version1_keeps_rows),
		cmocka_unit_test(test_pragmas),
		cmocka_unit_test(test_deleted_bytes_leave_the_disk),
		cmocka_unit_test(test_newer_version_refused),
		cmocka_unit_test(test_archive_with_newer_catalog),
		cmocka_unit_test(test_meta_and_transactions),
		cmocka_unit_test(test_sealed_rows),
		cmocka_unit_test(test_seals_cannot_be_removed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
