/* The blind index: one row per person, the bucket of their folded surname,
 * 10 bits of a keyed tag; thousands of surnames fall into at most 1,024
 * buckets (collisions on purpose: without the key nobody can link two
 * persons by their index rows), the same surname always into the same one,
 * another archive's key into another; find still finds exactly. */
#include "support.h"
#include "engine/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buckets_collide_on_purpose(void **state)
{
	(void)state;
	cv_archive *a = cvt_archive("blind_buckets", NULL), *b = cvt_archive("blind_buckets2", NULL);
	static unsigned char seen[1024];
	memset(seen, 0, sizeof seen);
	size_t distinct = 0, moved = 0;
	for (int i = 0; i < 5000; i++) {
		char name[32];
		snprintf(name, sizeof name, "surname%05d", i);
		unsigned char x[2], y[2], z[2];
		assert_int_equal(cv__blind_bucket(a, name, x), 0);
		assert_int_equal(cv__blind_bucket(a, name, y), 0);
		assert_memory_equal(x, y, 2);
		unsigned v = (unsigned)x[0] | (unsigned)x[1] << 8;
		assert_true(v < 1024);
		distinct += !seen[v]++;
		assert_int_equal(cv__blind_bucket(b, name, z), 0);
		moved += memcmp(x, z, 2) != 0;
	}
	assert_true(distinct <= 1024);
	assert_true(distinct > 900); /* spread over the buckets */
	assert_true(moved > 4900);   /* another key, other buckets */
	cv_archive_free(a);
	cv_archive_free(b);
}

static void index_rows_hold_only_buckets(void **state)
{
	(void)state;
	cv_archive *a = cvt_archive("blind_rows", NULL);
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	assert_int_equal(cvt_ingest_case(a, "ASE-B-1", "docs/a.txt", "x", 1, &r), 0);
	sqlite3_stmt *st = NULL;
	assert_int_equal(cv__catalog_prepare(a->cat, &st, "SELECT field, length(tag) FROM blind"), 0);
	int rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "last");
		assert_int_equal(sqlite3_column_int(st, 1), 2);
		rows++;
	}
	sqlite3_finalize(st);
	assert_true(rows >= 1);
	cv_archive_free(a);
}

CVT_MAIN(cmocka_unit_test(buckets_collide_on_purpose),
	cmocka_unit_test(index_rows_hold_only_buckets))
