/* Public API conventions: every options struct has an initialiser that
 * equals its _INIT macro for the current version and refuses a version the
 * library does not know; the library accepts options of any known version
 * and refuses a newer one with a message. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#define SAME_AS_INIT(type, fn, macro)                                                    \
	do {                                                                             \
		static const type want = macro##_INIT;                                   \
		type got;                                                                \
		memset(&got, 0xa5, sizeof got);                                          \
		assert_int_equal(fn(&got, macro##_VERSION), 0);                          \
		assert_memory_equal(&got, &want, sizeof got);                            \
		assert_int_equal(fn(&got, 0), CV_EINVAL);                                \
		assert_int_equal(fn(&got, macro##_VERSION + 1), CV_EINVAL);              \
	} while (0)

static void options_init_equal_the_macros(void **state)
{
	(void)state;
	SAME_AS_INIT(cv_open_options, cv_open_options_init, CV_OPEN_OPTIONS);
	SAME_AS_INIT(cv_export_options, cv_export_options_init, CV_EXPORT_OPTIONS);
	SAME_AS_INIT(cv_find_query, cv_find_query_init, CV_FIND_QUERY);
	SAME_AS_INIT(cv_ingest_options, cv_ingest_options_init, CV_INGEST_OPTIONS);
	SAME_AS_INIT(cv_origins_setup_options, cv_origins_setup_options_init, CV_ORIGINS_SETUP_OPTIONS);
	SAME_AS_INIT(cv_origins_reshare_options, cv_origins_reshare_options_init, CV_ORIGINS_RESHARE_OPTIONS);
	SAME_AS_INIT(cv_origins_fact_options, cv_origins_fact_options_init, CV_ORIGINS_FACT_OPTIONS);
	SAME_AS_INIT(cv_origins_release_options, cv_origins_release_options_init, CV_ORIGINS_RELEASE_OPTIONS);
	SAME_AS_INIT(cv_request_open_options, cv_request_open_options_init, CV_REQUEST_OPEN_OPTIONS);
	SAME_AS_INIT(cv_request_filter, cv_request_filter_init, CV_REQUEST_FILTER);
	SAME_AS_INIT(cv_request_fulfil_options, cv_request_fulfil_options_init, CV_REQUEST_FULFIL_OPTIONS);
	SAME_AS_INIT(cv_sweep_options, cv_sweep_options_init, CV_SWEEP_OPTIONS);
	SAME_AS_INIT(cv_verify_options, cv_verify_options_init, CV_VERIFY_OPTIONS);
}

static void newer_options_are_refused(void **state)
{
	(void)state;
	char *key = NULL;
	cv_archive *a = cvt_archive("api_versions", &key);
	char *dir = strdup(cv_archive_dir(a)), *actor = strdup(cv_archive_actor(a));
	cv_archive_free(a);
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.actor = actor;
	o.version = CV_OPEN_OPTIONS_VERSION + 1;
	assert_int_equal(cv_archive_open(&a, dir, &o), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "options version"));
	o.version = CV_OPEN_OPTIONS_VERSION;
	assert_int_equal(cv_archive_open(&a, dir, &o), 0);
	cv_verify_options vo = CV_VERIFY_OPTIONS_INIT;
	cv_verify_report rep = CV_VERIFY_REPORT_INIT;
	vo.version = 7;
	assert_int_equal(cv_archive_verify(&rep, a, &vo, NULL, NULL), CV_EINVAL);
	/* a result struct not made with its _INIT macro */
	cv_verify_report zero;
	memset(&zero, 0, sizeof zero);
	vo.version = CV_VERIFY_OPTIONS_VERSION;
	assert_int_equal(cv_archive_verify(&zero, a, &vo, NULL, NULL), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "_INIT"));
	cv_verify_report ok = CV_VERIFY_REPORT_INIT;
	assert_int_equal(cv_archive_verify(&ok, a, &vo, NULL, NULL), 0);
	assert_int_equal(ok.version, CV_VERIFY_REPORT_VERSION);
	cv_archive_free(a);
	cvt_rmrf(dir);
	free(dir);
	free(actor);
	free(key);
}

CVT_MAIN(cmocka_unit_test(options_init_equal_the_macros),
	cmocka_unit_test(newer_options_are_refused))
