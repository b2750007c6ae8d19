/* plugin ABI: plugins built against the frozen ABI 1.0 header
 * (tests/plugins/abi10) load, with one test plugin per operations table
 * kind; the members their tables lack read as absent; each table works
 * through the host; a table larger than the host's (a newer minor) is
 * refused; the handle a plugin keeps from its entry call stays valid after
 * loading (retain-policy and abi10-retain log through it later). */
#include "support.h"
#include "engine/internal.h"
#include "plugin/plugin_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cv_loaded *named(const char *name)
{
	cv_loaded *all;
	size_t n = cv__plugins(&all);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].name, name))
			return &all[i];
	return NULL;
}

static int refused_with(const char *needle)
{
	const char *const *msgs;
	size_t n = cv_plugin_refusals(&msgs);
	for (size_t i = 0; i < n; i++)
		if (strstr(msgs[i], needle))
			return 1;
	return 0;
}

static int logged;
static void count_log(int level, const char *msg, void *payload)
{
	(void)level; (void)payload;
	if (strstr(msg, "abi10-retain: evaluating"))
		logged++;
}

static void abi10_tables_load_and_work(void **state)
{
	(void)state;
	cv_log_set_callback(count_log, NULL);
	assert_int_equal(cv_plugin_load(CV_TEST_PLUGINS_ABI10), 0);
	const cv_loaded *in = named("abi10-ingest"), *rd = named("abi10-redact"), *rt = named("abi10-retain");
	assert_non_null(in);
	assert_non_null(rd);
	assert_non_null(rt);
	assert_int_equal(rt->abi_minor, 0);
	assert_non_null(in->ingest);
	assert_non_null(rd->redact);
	assert_non_null(rt->retain);
	/* the 1.0 retention table ends before policy_describe: absent, not garbage */
	assert_null(rt->retain->policy_describe);

	/* ingestion through the 1.0 table: the bid wins, the case is stored */
	cv_archive *a = cvt_archive("plugin_abi", NULL);
	char *dir = cvt_tmpdir("plugin_abi_in");
	char *file = cvt_join(dir, "note.abi10");
	const char text[] = "ABI10-0001\nUn SECRET bien gard\xc3\xa9.\n";
	cvt_write(file, text, sizeof text - 1);
	cv_ingest_result res = CV_INGEST_RESULT_INIT;
	assert_int_equal(cv_ingest_bundle(&res, a, file, NULL), 0);
	assert_string_equal(res.plugin, "abi10-ingest");
	cv_case_info ci;
	assert_int_equal(cv_case_get(&ci, a, "ABI10-0001"), 0);
	assert_string_equal(ci.category, "prevention");
	assert_int_equal(ci.ndocs, 1);

	/* redaction through the 1.0 table */
	void *session = NULL;
	assert_int_equal(rd->redact->session_new(rd->redact->state, &session, NULL, 0, "p1"), 0);
	cv_redact_span *spans = NULL;
	size_t nspans = 0;
	assert_int_equal(rd->redact->redact(session, text, sizeof text - 1, &spans, &nspans), 0);
	assert_int_equal(nspans, 1);
	assert_int_equal(spans[0].start, 14);
	free(spans);
	rd->redact->session_free(session);

	/* retention through the 1.0 table; it logs with the handle it kept */
	void *policy = NULL;
	assert_int_equal(rt->retain->policy_load(rt->retain->state, &policy, "unused"), 0);
	cv_retain_case c = { sizeof c, "x", "ABI10-0001", "prevention", "archived", "2020-01-06", "2021-03-04", NULL };
	cv_retain_verdict v;
	memset(&v, 0, sizeof v);
	v.size = sizeof v;
	assert_int_equal(rt->retain->policy_evaluate(policy, &c, "2026-12-01", &v), 0);
	assert_int_equal(v.action, CV_ACTION_DESTROY);
	assert_string_equal(v.due, "2022-03-04");
	assert_int_equal(logged, 1);
	rt->retain->policy_free(policy);

	cv_archive_free(a);
	free(file);
	cvt_rmrf(dir);
	free(dir);
	cv_log_set_callback(NULL, NULL);
}

static void newer_table_refused(void **state)
{
	(void)state;
	assert_int_equal(cv_plugin_load(CV_TEST_PLUGINS), 0);
	assert_null(named("oversized-table"));
	assert_true(refused_with("larger than this casevault's"));
	assert_true(refused_with("built for a newer plugin ABI"));
}

CVT_MAIN(cmocka_unit_test(abi10_tables_load_and_work),
	cmocka_unit_test(newer_table_refused))
