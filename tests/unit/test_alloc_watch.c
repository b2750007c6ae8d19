/* Out of memory told apart from damage (util/json.c) and the watch over
 * jansson's and SQLite's silent allocation failures (engine/txn.c): JSON
 * that does not parse is damage, a failed allocation is not; a failure
 * counted between a transaction's begin and its commit refuses the commit
 * and leaves the catalog as it was; a refusal code is only what a check
 * that ran said. Allocations are made to fail for real: an impossible size
 * through jansson's own allocator, and SQLite's under an address-space
 * limit in a child process. */
#include "support.h"
#include "engine/internal.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* an impossible size must return NULL, not abort, under ASan too */
const char *__asan_default_options(void);
__attribute__((visibility("default"), used)) const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void test_json_parse(void **st)
{
	(void)st;
	json_t *o = NULL;
	assert_int_equal(cv__json_parse(&o, "{\"a\":1}", (size_t)-1, 0, "record"), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "a")), 1);
	json_decref(o);
	assert_int_equal(cv__json_parse(&o, "{\"a\":1}xx", 7, 0, "record"), 0);
	json_decref(o);
	assert_int_equal(cv__json_parse(&o, "{\"a\":", (size_t)-1, 0, "the plan"), CV_EDAMAGED);
	assert_null(o);
	assert_non_null(strstr(cv_error_last()->message, "the plan is not valid JSON"));
	assert_int_equal(cv__json_parse(&o, NULL, 0, 0, "the plan"), CV_EDAMAGED);
	assert_int_equal(cv__json_parse(&o, "[1,2", 4, 0, "x"), CV_EDAMAGED);
}

static void test_refusal_codes(void **st)
{
	(void)st;
	assert_true(cv__is_refusal(CV_EAUTH));
	assert_true(cv__is_refusal(CV_EDENIED));
	assert_false(cv__is_refusal(CV_ENOMEM));
	assert_false(cv__is_refusal(CV_ERROR));
	assert_false(cv__is_refusal(CV_EBUSY));
}

/* jansson's allocator, as installed: a failure is counted in this thread */
static void test_json_failures_counted(void **st)
{
	(void)st;
	cv__json_watch_install();
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	json_get_alloc_funcs(&m, &f);
	assert_non_null(m);
	unsigned long before = cv__json_failures();
	void *p = m(64);
	assert_non_null(p);
	f(p);
	assert_int_equal(cv__json_failures(), before);
	assert_null(m((size_t)-1 / 2));
	assert_int_equal(cv__json_failures(), before + 1);
	/* what jansson builds with it still works */
	json_t *o = json_pack("{s:s}", "k", "v");
	assert_string_equal(json_string_value(json_object_get(o, "k")), "v");
	json_decref(o);
}

static int journal_count(cv_archive *a)
{
	uint64_t seq = 0;
	unsigned char head[32];
	assert_int_equal(cv__journal_head(a->cat, &seq, head), 0);
	return (int)seq;
}

/* A failed jansson allocation between begin and commit: no commit, the
 * journal and the branch as they were, the message says memory. */
static void test_txn_refuses_after_a_failure(void **st)
{
	(void)st;
	cv_archive *a = cvt_archive("alloc-watch-txn", NULL);
	int n0 = journal_count(a);
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	cv_txn t;
	assert_int_equal(cv__txn_begin(&t, a, "test: watched"), 0);
	assert_int_equal(cv__txn_sql_begin(&t), 0);
	assert_int_equal(cv__txn_journal(&t, "test.watched", "x", "ok"), 0);
	json_get_alloc_funcs(&m, &f);
	assert_null(m((size_t)-1 / 2)); /* as a json_pack deep in a record would */
	int rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	assert_int_equal(rc, CV_ENOMEM);
	assert_non_null(strstr(cv_error_last()->message, "out of memory"));
	assert_non_null(strstr(cv_error_last()->message, "nothing was written"));
	assert_int_equal(journal_count(a), n0);
	/* the next write, without a failure, commits */
	assert_int_equal(cv__txn_begin(&t, a, "test: watched"), 0);
	assert_int_equal(cv__txn_finish(&t, 0, "test.watched", "y"), 0);
	assert_int_equal(journal_count(a), n0 + 1);
	cv_archive_free(a);
}

/* SQLite's allocator is wrapped when the first catalog opens: an
 * allocation refused by the address-space limit is counted. */
static void test_sqlite_failures_counted(void **st)
{
	(void)st;
#ifdef CV_SANITIZED
	skip(); /* the sanitizers reserve terabytes of address space */
#else
	cv_archive *a = cvt_archive("alloc-watch-sql", NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the limit: what the process maps now, and 256 MiB more */
		unsigned long kb = 0;
		char line[128];
		FILE *fs = fopen("/proc/self/status", "r");
		while (fs && fgets(line, sizeof line, fs))
			if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
				break;
		if (fs)
			fclose(fs);
		struct rlimit rl;
		getrlimit(RLIMIT_AS, &rl);
		rl.rlim_cur = (rlim_t)kb * 1024 + ((rlim_t)256 << 20);
		if (!kb || setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(2);
		unsigned long before = cv__catalog_alloc_failures();
		void *p = sqlite3_malloc(0x7ffffe00); /* 2 GiB more: over the limit */
		if (p)
			_exit(3);
		_exit(cv__catalog_alloc_failures() == before + 1 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	cv_archive_free(a);
#endif
}

CVT_MAIN(cmocka_unit_test(test_json_parse),
	cmocka_unit_test(test_refusal_codes),
	cmocka_unit_test(test_json_failures_counted),
	cmocka_unit_test(test_txn_refuses_after_a_failure),
	cmocka_unit_test(test_sqlite_failures_counted))
