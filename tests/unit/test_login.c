/* Logging in for a front end (cv_user_login), second handles
 * (cv_archive_clone), refusals a front end journals (cv_access_require),
 * paged case lists and filtered journal reads. */
#include "support.h"
#include "engine/archive.h"
#include "engine/identity.h"
#include "engine/txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DPO_CRED "phrase du delegue 1"

static cv_archive *with_dpo(const char *name)
{
	cv_archive *a = cvt_archive(name, NULL);
	const char *roles[] = { "dpo" };
	assert_int_equal(cv_user_add(a, "dpo1", roles, 1, DPO_CRED), 0);
	return a;
}

/* How many journal entries of `actor` and `action` have `outcome`. */
static size_t journaled(cv_archive *a, const char *actor, const char *action, const char *outcome)
{
	cv_journal_entry *e = NULL;
	size_t n = 0, hits = 0;
	cv_journal_filter f = CV_JOURNAL_FILTER_INIT;
	f.actor = actor;
	f.action = action;
	f.limit = 1000;
	assert_int_equal(cv_journal_query(&e, &n, a, &f), 0);
	for (size_t i = 0; i < n; i++)
		hits += !strcmp(e[i].outcome, outcome);
	cv_journal_list_free(e, n);
	return hits;
}

static void test_login_and_clone(void **s)
{
	(void)s;
	cv_archive *a = with_dpo("login_ok"), *h = NULL, *c = NULL;
	assert_int_equal(cv_user_login(&h, a, "dpo1", DPO_CRED), 0);
	assert_string_equal(cv_archive_actor(h), "dpo1");
	assert_string_equal(cv_archive_roles(h), "dpo");
	assert_int_equal(cv_archive_clone(&c, h), 0);
	assert_string_equal(cv_archive_actor(c), "dpo1");
	assert_int_equal(cv_access_allowed(c, "request.list"), 1);
	assert_int_equal(journaled(a, "dpo1", "user.login", "ok"), 1);
	cv_archive_free(c);
	cv_archive_free(h);
	cv_archive_free(a);
}

static void test_wrong_and_unknown_look_alike(void **s)
{
	(void)s;
	cv_archive *a = with_dpo("login_wrong"), *h = NULL;
	char msg[256];
	assert_int_equal(cv_user_login(&h, a, "dpo1", "not the right one"), CV_EAUTH);
	assert_null(h);
	snprintf(msg, sizeof msg, "%s", cv_error_last()->message);
	assert_int_equal(cv_user_login(&h, a, "nobody", "not the right one"), CV_EAUTH);
	assert_string_equal(cv_error_last()->message, msg);
	assert_int_equal(cv_user_login(&h, a, "tester", "no credential set"), CV_EAUTH);
	assert_string_equal(cv_error_last()->message, msg);
	assert_int_equal(cv_user_login(&h, a, "bad name;", DPO_CRED), CV_EAUTH);
	assert_int_equal(journaled(a, "dpo1", "user.login", "failed"), 1);
	assert_int_equal(journaled(a, "tester", "user.login", "failed"), 1);
	assert_int_equal(journaled(a, "-", "user.login", "failed"), 2);
	cv_archive_free(a);
}

static void test_lockout_after_five(void **s)
{
	(void)s;
	cv_archive *a = with_dpo("login_lock"), *h = NULL;
	for (int i = 0; i < 4; i++)
		assert_int_equal(cv_user_login(&h, a, "dpo1", "wrong credential"), CV_EAUTH);
	assert_int_equal(journaled(a, "dpo1", "user.lock", "ok"), 0);
	assert_int_equal(cv_user_login(&h, a, "dpo1", "wrong credential"), CV_EAUTH);
	assert_int_equal(journaled(a, "dpo1", "user.lock", "ok"), 1);
	/* locked: even the right credential is refused, and not checked */
	assert_int_equal(cv_user_login(&h, a, "dpo1", DPO_CRED), CV_EREFUSED);
	assert_non_null(strstr(cv_error_last()->message, "locked out until"));
	assert_null(h);
	assert_int_equal(journaled(a, "dpo1", "user.login", "refused"), 1);
	/* another user is not locked */
	const char *roles[] = { "maft" };
	assert_int_equal(cv_user_add(a, "maft1", roles, 1, "phrase de l officier"), 0);
	assert_int_equal(cv_user_login(&h, a, "maft1", "phrase de l officier"), 0);
	cv_archive_free(h);
	cv_archive_free(a);
}

/* The insider with the master key gives dpo1 fresh keys under a
 * credential of their choosing, rows resealed by the library itself: the
 * keys are not the ones the journal registered, so no session. */
static void test_master_key_cannot_forge_a_login(void **s)
{
	(void)s;
	cv_archive *a = with_dpo("login_forge"), *h = NULL;
	cv_identity id;
	assert_int_equal(cv__identity_new(&id), 0);
	assert_int_equal(cv__catalog_begin(a->cat), 0);
	assert_int_equal(cv__identity_store(a, "dpo1", &id, "credential of the insider", 0), 0);
	assert_int_equal(cv__catalog_commit(a->cat), 0);
	cv__identity_wipe(&id);
	assert_int_equal(cv_user_login(&h, a, "dpo1", "credential of the insider"), CV_EDAMAGED);
	assert_non_null(strstr(cv_error_last()->message, "not the ones the journal registered"));
	assert_null(h);
	assert_int_equal(cv_user_login(&h, a, "dpo1", DPO_CRED), CV_EAUTH);
	cv_archive_free(a);
}

static void test_access_require_journals(void **s)
{
	(void)s;
	cv_archive *a = with_dpo("login_access"), *h = NULL;
	assert_int_equal(cv_user_login(&h, a, "dpo1", DPO_CRED), 0);
	assert_int_equal(cv_access_require(h, "request.list", NULL), 0);
	assert_int_equal(cv_access_require(h, "sweep.approve", "plan:x"), CV_EDENIED);
	assert_int_equal(cv_access_require(h, "no.such.action", NULL), CV_ENOTFOUND);
	assert_int_equal(journaled(a, "dpo1", "sweep.approve", "denied"), 1);
	cv_archive_free(h);
	cv_archive_free(a);
}

static void count_progress(const char *what, uint64_t done, uint64_t total, void *payload)
{
	(void)what;
	(void)done;
	(void)total;
	(*(int *)payload)++;
}

/* A job's clone reports its progress to the job, not to its parent's callback. */
static void test_clone_reports_progress(void **s)
{
	(void)s;
	cv_archive *a = cvt_archive("login_progress", NULL), *c = NULL;
	int calls = 0;
	assert_int_equal(cv_archive_clone(&c, a), 0);
	assert_int_equal(cv_archive_set_progress(c, count_progress, &calls), 0);
	cv_verify_report r = CV_VERIFY_REPORT_INIT;
	cv_ingest_result ir = CV_INGEST_RESULT_INIT;
	assert_int_equal(cvt_ingest_case(c, "R-1", "d.txt", "texte", 5, &ir), 0);
	assert_int_equal(cv_archive_verify(&r, c, NULL, NULL, NULL), 0);
	assert_true(calls > 0);
	int before = calls;
	assert_int_equal(cv_archive_set_progress(c, NULL, NULL), 0);
	assert_int_equal(cv_archive_verify(&r, c, NULL, NULL, NULL), 0);
	assert_int_equal(calls, before);
	cv_archive_free(c);
	cv_archive_free(a);
}

static void test_case_pages(void **s)
{
	(void)s;
	cv_archive *a = cvt_archive("login_pages", NULL);
	const char *refs[] = { "R-3", "R-1", "R-5", "R-2", "R-4" };
	for (int i = 0; i < 5; i++) {
		cv_ingest_result r = CV_INGEST_RESULT_INIT;
		assert_int_equal(cvt_ingest_case(a, refs[i], "d.txt", "texte", 5, &r), 0);
	}
	cv_case_info *l = NULL;
	size_t n = 0, total = 0;
	cv_case_list_options o = CV_CASE_LIST_OPTIONS_INIT;
	o.offset = 1;
	o.limit = 2;
	assert_int_equal(cv_case_list_page(&l, &n, &total, a, &o), 0);
	assert_int_equal(n, 2);
	assert_int_equal(total, 5);
	assert_string_equal(l[0].ref, "R-2");
	assert_string_equal(l[1].ref, "R-3");
	assert_int_equal(l[0].ndocs, 1);
	cv_case_list_free(l);
	o.offset = 4;
	o.limit = 10;
	assert_int_equal(cv_case_list_page(&l, &n, NULL, a, &o), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].ref, "R-5");
	cv_case_list_free(l);
	o.state = "destroyed";
	o.offset = 0;
	assert_int_equal(cv_case_list_page(&l, &n, &total, a, &o), 0);
	assert_int_equal(n, 0);
	assert_int_equal(total, 0);
	cv_case_list_free(l);
	cv_archive_free(a);
}

static void test_journal_filters(void **s)
{
	(void)s;
	cv_archive *a = with_dpo("login_journal"), *h = NULL;
	assert_int_equal(cv_user_login(&h, a, "dpo1", "wrong credential"), CV_EAUTH);
	assert_int_equal(cv_user_login(&h, a, "dpo1", DPO_CRED), 0);
	cv_archive_free(h);
	cv_journal_entry *e = NULL;
	size_t n = 0;
	cv_journal_filter f = CV_JOURNAL_FILTER_INIT;
	f.action = "user.";
	assert_int_equal(cv_journal_query(&e, &n, a, &f), 0);
	assert_true(n >= 3); /* user.add, two logins */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strncmp(e[i].action, "user.", 5), 0);
		if (i)
			assert_true(e[i].seq < e[i - 1].seq); /* newest first */
	}
	uint64_t newest = e[0].seq;
	cv_journal_list_free(e, n);
	f.before = newest;
	f.limit = 1;
	assert_int_equal(cv_journal_query(&e, &n, a, &f), 0);
	assert_int_equal(n, 1);
	assert_true(e[0].seq < newest);
	cv_journal_list_free(e, n);
	cv_journal_filter g = CV_JOURNAL_FILTER_INIT;
	g.from = "2999-01-01";
	assert_int_equal(cv_journal_query(&e, &n, a, &g), 0);
	assert_int_equal(n, 0);
	cv_journal_list_free(e, n);
	g.from = "hier";
	assert_int_equal(cv_journal_query(&e, &n, a, &g), CV_EINVAL);
	cv_archive_free(a);
}

CVT_MAIN(cmocka_unit_test(test_login_and_clone), cmocka_unit_test(test_wrong_and_unknown_look_alike),
	cmocka_unit_test(test_lockout_after_five), cmocka_unit_test(test_master_key_cannot_forge_a_login),
	cmocka_unit_test(test_access_require_journals), cmocka_unit_test(test_clone_reports_progress),
	cmocka_unit_test(test_case_pages),
	cmocka_unit_test(test_journal_filters))
