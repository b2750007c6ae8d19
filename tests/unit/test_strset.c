/* util/strset.c: the set behind the linear duplicate checks of an ingest
 * (document paths, documents kept by a new version). */
#include "support.h"
#include "util/strset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_add_has_duplicates(void **st)
{
	(void)st;
	cv_strset s = CV_STRSET_INIT;
	assert_false(cv__strset_has(&s, "a"));
	assert_int_equal(cv__strset_add(&s, "a"), 1);
	assert_int_equal(cv__strset_add(&s, "a"), 0);
	assert_int_equal(cv__strset_add(&s, ""), 1);
	assert_int_equal(cv__strset_add(&s, ""), 0);
	assert_true(cv__strset_has(&s, "a"));
	assert_true(cv__strset_has(&s, ""));
	assert_false(cv__strset_has(&s, "b"));
	assert_int_equal(s.n, 2);
	cv__strset_free(&s);
	assert_false(cv__strset_has(&s, "a"));
}

/* 20,000 strings (growing the table many times): each is found, each is
 * refused a second time, and near misses are not found. */
static void test_many(void **st)
{
	(void)st;
	enum { N = 20000 };
	char (*names)[32] = malloc(N * sizeof *names);
	cv_strset s = CV_STRSET_INIT;
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "docs/%05d.pdf", i);
		assert_int_equal(cv__strset_add(&s, names[i]), 1);
	}
	assert_int_equal(s.n, N);
	assert_true(s.nslots >= 2 * s.n);
	for (int i = 0; i < N; i++) {
		char copy[32], miss[40];
		snprintf(copy, sizeof copy, "docs/%05d.pdf", i);
		snprintf(miss, sizeof miss, "docs/%05d.pdf ", i);
		assert_true(cv__strset_has(&s, copy));
		assert_int_equal(cv__strset_add(&s, copy), 0);
		assert_false(cv__strset_has(&s, miss));
	}
	assert_int_equal(s.n, N);
	cv__strset_free(&s);
	free(names);
}

CVT_MAIN(cmocka_unit_test(test_add_has_duplicates),
	cmocka_unit_test(test_many))
