/* util/date: ISO dates, month arithmetic clamped to the month's last day
 * (the GDPR deadline rule and the retention clock), strict parsing. */
#include "support.h"
#include "util/date.h"

#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_months),
		cmocka_unit_test(test_add_years),
		cmocka_unit_test(test_add_days),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_month_and_days_in_month),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
