/* util/date: ISO dates, month arithmetic clamped to the month's last day
 * (the GDPR deadline rule and the retention clock), strict parsing; French
 * long dates and Europe/Paris times for the pages people read. */
#include "support.h"
#include "util/date.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void add_m(const char *in, int months, const char *want)
{
	char out[11] = "";
	if (cv__date_add_months(out, in, months) != 0)
		fail_msg("%s %+d months refused", in, months);
	if (strcmp(out, want))
		fail_msg("%s %+d months = %s, expected %s", in, months, out, want);
}

static void add_y(const char *in, int years, const char *want)
{
	char out[11] = "";
	assert_int_equal(cv__date_add_years(out, in, years), 0);
	if (strcmp(out, want))
		fail_msg("%s %+d years = %s, expected %s", in, years, out, want);
}

static void test_add_months(void **s)
{
	(void)s;
	add_m("2026-01-31", 1, "2026-02-28");
	add_m("2024-01-31", 1, "2024-02-29");
	add_m("2026-03-10", 1, "2026-04-10");
	add_m("2026-03-31", 1, "2026-04-30");
	add_m("2026-12-15", 1, "2027-01-15");
	add_m("2026-11-30", 3, "2027-02-28");
	add_m("2026-05-31", 0, "2026-05-31");
	add_m("2026-03-31", -1, "2026-02-28");
	add_m("2026-01-15", -1, "2025-12-15");
	add_m("2025-12-31", 2, "2026-02-28");
	add_m("2026-01-31", 3, "2026-04-30"); /* one-month deadline + two-month extension */
	add_m("2000-01-31", 1, "2000-02-29"); /* divisible by 400: leap */
	add_m("2100-01-31", 1, "2100-02-28"); /* divisible by 100: not leap */
}

static void test_add_years(void **s)
{
	(void)s;
	add_y("2024-02-29", 5, "2029-02-28");
	add_y("2024-02-29", 4, "2028-02-29");
	add_y("2021-06-30", 5, "2026-06-30"); /* closure + 5 years */
	add_y("2009-03-12", 18, "2027-03-12");
}

static void test_add_days(void **s)
{
	(void)s;
	char out[11];
	assert_int_equal(cv__date_add_days(out, "2026-02-28", 1), 0);
	assert_string_equal(out, "2026-03-01");
	assert_int_equal(cv__date_add_days(out, "2024-02-28", 1), 0);
	assert_string_equal(out, "2024-02-29");
	assert_int_equal(cv__date_add_days(out, "2026-01-01", -1), 0);
	assert_string_equal(out, "2025-12-31");
	assert_int_equal(cv__date_add_days(out, "2026-01-01", 365), 0);
	assert_string_equal(out, "2027-01-01");
	int64_t d = 0;
	assert_int_equal(cv__date_diff_days("2026-01-01", "2026-03-01", &d), 0);
	assert_int_equal(d, 59);
	assert_int_equal(cv__date_diff_days("2026-03-01", "2026-01-01", &d), 0);
	assert_int_equal(d, -59);
	assert_int_equal(cv__date_days(1970, 1, 1), 0);
	assert_int_equal(cv__date_days(2000, 3, 1), 11017);
	assert_int_equal(cv__date_days(1969, 12, 31), -1);
}

static void test_invalid(void **s)
{
	(void)s;
	const char *bad[] = { "2023-02-29", "2026-13-01", "2026-1-01", "2026-00-10", "2026-04-31", "2026-04-00",
		"26-04-01", "2026/04/01", "2026-04-01 ", " 2026-04-01", "2026-04-1", "20260401", "", "abcd-ef-gh",
		"1799-12-31", "2026-04-01T00:00", "+026-04-01", "2026-0a-01", "2100-02-29", NULL };
	for (size_t i = 0; bad[i]; i++) {
		if (cv__date_valid(bad[i]))
			fail_msg("'%s' accepted as a date", bad[i]);
		char out[11];
		assert_int_not_equal(cv__date_add_months(out, bad[i], 1), 0);
	}
	assert_false(cv__date_valid(NULL));
	const char *good[] = { "2024-02-29", "2000-02-29", "1800-01-01", "9999-12-31", "2026-12-31", NULL };
	for (size_t i = 0; good[i]; i++)
		if (!cv__date_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	int y, m, d;
	assert_int_equal(cv__date_parse("2026-07-04", &y, &m, &d), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 7);
	assert_int_equal(d, 4);
	char out[11];
	assert_int_not_equal(cv__date_add_years(out, "9999-06-01", 1), 0);
}

static void test_month_and_days_in_month(void **s)
{
	(void)s;
	char m[8];
	cv__date_month(m, "2023-06-17");
	assert_string_equal(m, "2023-06");
	assert_int_equal(cv__days_in_month(2024, 2), 29);
	assert_int_equal(cv__days_in_month(2023, 2), 28);
	assert_int_equal(cv__days_in_month(2023, 4), 30);
	assert_int_equal(cv__days_in_month(2023, 12), 31);
	char today[11], now[32];
	cv__date_today(today);
	assert_true(cv__date_valid(today));
	cv__now_iso(now);
	assert_int_equal(strlen(now), 20);
	assert_int_equal(now[10], 'T');
	assert_int_equal(now[19], 'Z');
}

static void fr_dt(const char *iso, const char *want)
{
	char out[48];
	assert_int_equal(cv__datetime_fr(out, iso), 0);
	if (strcmp(out, want))
		fail_msg("%s in Paris = '%s', expected '%s'", iso, out, want);
}

static void test_french_long_date(void **s)
{
	(void)s;
	char out[32];
	assert_int_equal(cv__date_fr(out, "2026-12-06"), 0);
	assert_string_equal(out, "6 décembre 2026");
	assert_int_equal(cv__date_fr(out, "2026-03-01"), 0);
	assert_string_equal(out, "1er mars 2026"); /* the first of the month is an ordinal */
	assert_int_equal(cv__date_fr(out, "2021-08-31"), 0);
	assert_string_equal(out, "31 août 2021");
	assert_int_equal(cv__date_fr(out, "2024-02-29"), 0);
	assert_string_equal(out, "29 février 2024");
	assert_int_equal(cv__date_fr(out, "2019-01-11"), 0);
	assert_string_equal(out, "11 janvier 2019");
	/* not a date: shown as recorded, never dropped */
	assert_int_equal(cv__date_fr(out, "2023-06"), -1);
	assert_string_equal(out, "2023-06");
	assert_int_equal(cv__date_fr(out, ""), -1);
	assert_string_equal(out, "");
	assert_int_equal(cv__date_fr(out, NULL), -1);
	assert_string_equal(out, "");
	assert_int_equal(cv__date_fr(out, "2023-02-29"), -1);
}

/* Europe/Paris: CET (UTC+1) in winter, CEST (UTC+2) from the last Sunday of
 * March 01:00 UTC to the last Sunday of October 01:00 UTC. */
static void test_paris_offset_at_both_transitions(void **s)
{
	(void)s;
	/* 2026: summer time starts on Sunday 29 March, ends on Sunday 25 October */
	int64_t mar = cv__date_days(2026, 3, 29) * 86400 + 3600, oct = cv__date_days(2026, 10, 25) * 86400 + 3600;
	assert_int_equal(cv__paris_offset(mar - 1), 3600);
	assert_int_equal(cv__paris_offset(mar), 7200);
	assert_int_equal(cv__paris_offset(oct - 1), 7200);
	assert_int_equal(cv__paris_offset(oct), 3600);
	assert_int_equal(cv__paris_offset(cv__date_days(2026, 7, 14) * 86400), 7200);
	assert_int_equal(cv__paris_offset(cv__date_days(2026, 1, 1) * 86400), 3600);
	assert_int_equal(cv__paris_offset(cv__date_days(2026, 12, 31) * 86400 + 86399), 3600);
	/* a year whose last Sunday of March is the 31st, and of October the 31st */
	assert_int_equal(cv__paris_offset(cv__date_days(2024, 3, 31) * 86400 + 3599), 3600);
	assert_int_equal(cv__paris_offset(cv__date_days(2024, 3, 31) * 86400 + 3600), 7200);
	assert_int_equal(cv__paris_offset(cv__date_days(2021, 10, 31) * 86400 + 3599), 7200);
	assert_int_equal(cv__paris_offset(cv__date_days(2021, 10, 31) * 86400 + 3600), 3600);
	/* and one where it is the 25th (the earliest possible) */
	assert_int_equal(cv__paris_offset(cv__date_days(2029, 3, 25) * 86400 + 3600), 7200);
	assert_int_equal(cv__paris_offset(cv__date_days(2029, 3, 25) * 86400 + 3599), 3600);
	/* before 1970 too */
	assert_int_equal(cv__paris_offset(cv__date_days(1969, 7, 1) * 86400), 7200);
	assert_int_equal(cv__paris_offset(cv__date_days(1969, 12, 1) * 86400), 3600);

	/* the same instants as a person reads them */
	fr_dt("2026-03-29T00:59:59Z", "29 mars 2026 à 01 h 59");   /* CET: 01:59 */
	fr_dt("2026-03-29T01:00:00Z", "29 mars 2026 à 03 h 00");   /* 02:00 CET does not exist: 03:00 CEST */
	fr_dt("2026-10-25T00:59:59Z", "25 octobre 2026 à 02 h 59"); /* CEST: 02:59, the first time */
	fr_dt("2026-10-25T01:00:00Z", "25 octobre 2026 à 02 h 00"); /* back to CET: 02:00 again */
	fr_dt("2026-12-06T23:51:00Z", "7 décembre 2026 à 00 h 51"); /* past midnight in Paris: the next day */
	fr_dt("2026-07-14T22:30:00Z", "15 juillet 2026 à 00 h 30");
	fr_dt("2026-02-28T23:05:09Z", "1er mars 2026 à 00 h 05");
	fr_dt("2024-02-28T23:00:00Z", "29 février 2024 à 00 h 00");
	fr_dt("2026-12-31T23:00:00Z", "1er janvier 2027 à 00 h 00");
	fr_dt("2026-11-23T09:19:29Z", "23 novembre 2026 à 10 h 19");
	fr_dt("2026-06-30", "30 juin 2026"); /* a plain date stays a date */
	int y, mo, d, h, mi, sec;
	assert_int_equal(cv__utc_to_paris("2026-10-25T00:30:15Z", &y, &mo, &d, &h, &mi, &sec), 0);
	assert_int_equal(y * 10000 + mo * 100 + d, 20261025);
	assert_int_equal(h * 10000 + mi * 100 + sec, 23015);
	const char *bad[] = { "2026-11-23 09:19:29Z", "2026-11-23T09:19:29", "2026-11-23T24:00:00Z", "2026-11-23T09:60:00Z",
		"2026-02-30T09:19:29Z", "2026-11-23T09:19:29+01:00", "2026-11-23T9:19:29Z", "", NULL };
	for (size_t i = 0; bad[i]; i++) {
		char out[48];
		if (cv__utc_to_paris(bad[i], &y, &mo, &d, &h, &mi, &sec) == 0)
			fail_msg("'%s' accepted as a UTC timestamp", bad[i]);
		assert_int_equal(cv__datetime_fr(out, bad[i]), -1);
		assert_string_equal(out, bad[i]); /* shown as recorded */
	}
	char today[11];
	cv__date_today_paris(today);
	assert_true(cv__date_valid(today));
}

/* The hand-written rule against the system's tz database, every half hour
 * from 1996 (when the EU rule took its present form) to 2037. The test may
 * set TZ: it is one thread; the library never does. */
static void test_paris_offset_matches_tzdata(void **s)
{
	(void)s;
	if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) != 0)
		skip();
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	size_t checked = 0;
	for (int64_t t = cv__date_days(1996, 1, 1) * 86400; t < cv__date_days(2038, 1, 1) * 86400; t += 1800) {
		for (int64_t dt = -1; dt <= 0; dt++) {
			time_t tt = (time_t)(t + dt);
			struct tm tm;
			localtime_r(&tt, &tm);
			if (cv__paris_offset(t + dt) != tm.tm_gmtoff)
				fail_msg("at %lld UTC: offset %d, tzdata says %ld", (long long)(t + dt), cv__paris_offset(t + dt),
					(long)tm.tm_gmtoff);
			checked++;
		}
	}
	assert_true(checked > 1000000);
	unsetenv("TZ");
	tzset();
}

/* The public face front ends use (the web service's pages). */
static void test_public_french_format(void **s)
{
	(void)s;
	char out[48];
	assert_int_equal(cv_date_format_fr(out, "2026-12-01"), 0);
	assert_string_equal(out, "1er décembre 2026");
	assert_int_equal(cv_date_format_fr(out, "2026-03-29T01:00:00Z"), 0);
	assert_string_equal(out, "29 mars 2026 à 03 h 00"); /* summer time begins */
	assert_int_equal(cv_date_format_fr(out, "2026-10-25T00:59:00Z"), 0);
	assert_string_equal(out, "25 octobre 2026 à 02 h 59");
	assert_int_equal(cv_date_format_fr(out, ""), 0);
	assert_string_equal(out, "—");
	assert_int_equal(cv_date_format_fr(out, "hier"), -1);
	assert_string_equal(out, "hier");
}

CVT_MAIN(cmocka_unit_test(test_add_months),
	cmocka_unit_test(test_public_french_format),
	cmocka_unit_test(test_add_years),
	cmocka_unit_test(test_add_days),
	cmocka_unit_test(test_invalid),
	cmocka_unit_test(test_month_and_days_in_month),
	cmocka_unit_test(test_french_long_date),
	cmocka_unit_test(test_paris_offset_at_both_transitions),
	cmocka_unit_test(test_paris_offset_matches_tzdata))
