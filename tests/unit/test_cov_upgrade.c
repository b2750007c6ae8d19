/* cv_archive_upgrade (records/upgrade.c) on an archive posing as one made by
 * an earlier version, the state catalog migrations 8 -> 9 and 9 -> 10 leave
 * behind: revisions without tags and `revision_tags` = pending, an emptied
 * blind index and `blind_index` = pending (written here through the
 * library's own connection inside a write transaction, so the flags are
 * sealed like the migration's). Before the upgrade a read says why it
 * refuses and find asks for a read-write open; a read-only handle upgrades
 * nothing; the upgrade tags every revision, rebuilds the index, sets both
 * flags to done, is journaled once with what it did, and is a no-op the
 * second time; afterwards the documents read back and find finds. */
#include "support.h"
#include "engine/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char DOC1[] = "rapport de situation, premier cas\n";
static const char DOC2[] = "rapport de situation, second cas, un peu plus long\n";

/* The state an earlier version's catalog has after migration. */
static void pose_as_old(cv_archive *a, int tags, int blind)
{
	cv_txn t;
	assert_int_equal(cv__txn_begin(&t, a, "test: an earlier version"), 0);
	int rc = cv__txn_sql_begin(&t);
	if (!rc && tags)
		rc = cv__catalog_exec(a->cat, "UPDATE revisions SET tag=NULL");
	if (!rc && tags)
		rc = cv__catalog_meta_set(a->cat, "revision_tags", "pending");
	if (!rc && blind)
		rc = cv__catalog_exec(a->cat, "DELETE FROM blind");
	if (!rc && blind)
		rc = cv__catalog_meta_set(a->cat, "blind_index", "pending");
	assert_int_equal(cv__txn_finish(&t, rc, "test.pose", "old-version"), 0);
}

static int count(cv_archive *a, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(cv__catalog_prepare(a->cat, &st, sql), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static char *meta(cv_archive *a, const char *k)
{
	char *v = NULL;
	assert_int_equal(cv__catalog_meta_get(a->cat, k, &v), 0);
	return v;
}

static void assert_meta(cv_archive *a, const char *k, const char *want)
{
	char *v = meta(a, k);
	assert_string_equal(v, want);
	free(v);
}

/* The journal entries with `action`; the last one's object into obj. */
static int journaled(cv_archive *a, const char *action, char *obj, size_t objlen)
{
	cv_journal_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(cv_journal_list(&e, &n, a, 1, 0), 0);
	int hits = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].action, action)) {
			hits++;
			assert_string_equal(e[i].outcome, "ok");
			if (obj)
				snprintf(obj, objlen, "%s", e[i].object ? e[i].object : "");
		}
	cv_journal_list_free(e, n);
	return hits;
}

static const char *case_id(cv_archive *a, const char *ref)
{
	static char id[40];
	id[0] = '\0';
	cv_case_info *cs = NULL;
	size_t n = 0;
	assert_int_equal(cv_case_list(&cs, &n, a, NULL), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cs[i].ref, ref))
			snprintf(id, sizeof id, "%s", cs[i].id);
	cv_case_list_free(cs);
	assert_true(id[0] != '\0');
	return id;
}

static void assert_reads(cv_archive *a, const char *cid, const char *want)
{
	cvt_sink s = { 0 };
	int rc = cv_doc_cat(a, cid, "d1", 0, cvt_sink_cb, &s);
	if (rc)
		fail_msg("doc cat %s: %s", cid, cv_error_last()->message);
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.data, want, s.len);
	cvt_sink_free(&s);
}

static size_t find_testlast(cv_archive *a, int *rc)
{
	cv_find_query q = CV_FIND_QUERY_INIT;
	q.last = "TESTLAST";
	cv_find_hit *h = NULL;
	size_t n = 0;
	*rc = cv_case_find(&h, &n, a, &q);
	cv_case_find_free(h);
	return n;
}

static void upgrade_tags_and_index(void **state)
{
	(void)state;
	char *key = NULL;
	cv_archive *a = cvt_archive("cov_upgrade", &key);
	char *dir = strdup(cv_archive_dir(a));
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	assert_int_equal(cvt_ingest_case(a, "ASE-UP-1", "docs/a.txt", DOC1, strlen(DOC1), &r), 0);
	assert_int_equal(cvt_ingest_case(a, "ASE-UP-2", "docs/a.txt", DOC2, strlen(DOC2), &r), 0);
	char c1[40], c2[40];
	snprintf(c1, sizeof c1, "%s", case_id(a, "ASE-UP-1"));
	snprintf(c2, sizeof c2, "%s", case_id(a, "ASE-UP-2"));
	int revs = count(a, "SELECT count(*) FROM revisions");
	int index_rows = count(a, "SELECT count(*) FROM blind");
	assert_true(revs >= 2);
	assert_int_equal(index_rows, 2); /* one surname per person */
	int rc;
	assert_int_equal(find_testlast(a, &rc), 2);
	assert_int_equal(rc, 0);

	pose_as_old(a, 1, 1);
	assert_int_equal(count(a, "SELECT count(*) FROM revisions WHERE tag IS NOT NULL"), 0);
	assert_int_equal(count(a, "SELECT count(*) FROM blind"), 0);

	/* before: a read refuses, saying the archive wants a read-write open */
	cvt_sink s = { 0 };
	assert_int_equal(cv_doc_cat(a, c1, "d1", 0, cvt_sink_cb, &s), CV_EDAMAGED);
	assert_non_null(strstr(cv_error_last()->message, "has no tag"));
	assert_non_null(strstr(cv_error_last()->message, "has not been upgraded yet"));
	assert_int_equal(s.len, 0);
	cvt_sink_free(&s);
	find_testlast(a, &rc);
	assert_int_equal(rc, CV_ESTATE);
	assert_non_null(strstr(cv_error_last()->message, "search index is being rebuilt"));
	cv_archive_free(a);

	/* a read-only handle upgrades nothing */
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.actor = "tester";
	o.read_only = 1;
	assert_int_equal(cv_archive_open(&a, dir, &o), 0);
	assert_int_equal(cv_archive_upgrade(a), 0);
	assert_meta(a, "revision_tags", "pending");
	assert_meta(a, "blind_index", "pending");
	assert_int_equal(journaled(a, "archive.upgrade", NULL, 0), 0);
	cv_archive_free(a);

	/* read-write: both steps, one journal entry naming them */
	a = cvt_reopen(dir, key, NULL);
	assert_int_equal(cv_archive_upgrade(a), 0);
	assert_meta(a, "revision_tags", "done");
	assert_meta(a, "blind_index", "done");
	assert_int_equal(count(a, "SELECT count(*) FROM revisions WHERE tag IS NULL"), 0);
	assert_int_equal(count(a, "SELECT count(*) FROM revisions"), revs);
	assert_int_equal(count(a, "SELECT count(*) FROM blind"), index_rows);
	char obj[128] = "";
	assert_int_equal(journaled(a, "archive.upgrade", obj, sizeof obj), 1);
	assert_string_equal(obj, "revision-tags blind-index");
	assert_reads(a, c1, DOC1);
	assert_reads(a, c2, DOC2);
	assert_int_equal(find_testlast(a, &rc), 2);
	assert_int_equal(rc, 0);

	/* nothing left to do: no second entry, nothing changed */
	assert_int_equal(cv_archive_upgrade(a), 0);
	assert_int_equal(journaled(a, "archive.upgrade", NULL, 0), 1);
	cv_verify_report vr = CV_VERIFY_REPORT_INIT;
	rc = cv_archive_verify(&vr, a, NULL, NULL, NULL);
	if (rc)
		fail_msg("verify after the upgrade: %s", cv_error_last()->message);
	cv_archive_free(a);
	cvt_rmrf(dir);
	free(dir);
	free(key);
}

/* Only the revision tags pending (blind index done): the entry says so. */
static void upgrade_tags_only(void **state)
{
	(void)state;
	char *key = NULL;
	cv_archive *a = cvt_archive("cov_upgrade_tags", &key);
	char *dir = strdup(cv_archive_dir(a));
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	assert_int_equal(cvt_ingest_case(a, "ASE-UP-3", "docs/a.txt", DOC1, strlen(DOC1), &r), 0);
	const char *cid = case_id(a, "ASE-UP-3");
	char c[40];
	snprintf(c, sizeof c, "%s", cid);
	pose_as_old(a, 1, 0);
	assert_meta(a, "blind_index", "done");
	assert_int_equal(cv_archive_upgrade(a), 0);
	char obj[128] = "";
	assert_int_equal(journaled(a, "archive.upgrade", obj, sizeof obj), 1);
	assert_string_equal(obj, "revision-tags");
	assert_meta(a, "revision_tags", "done");
	assert_reads(a, c, DOC1);
	cv_archive_free(a);
	cvt_rmrf(dir);
	free(dir);
	free(key);
}

CVT_MAIN(cmocka_unit_test(upgrade_tags_and_index),
	cmocka_unit_test(upgrade_tags_only))
