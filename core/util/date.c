#include "util/date.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cv__days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

int cv__date_parse(const char *s, int *y, int *m, int *d)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int yy = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int mm = (s[5] - '0') * 10 + (s[6] - '0');
	int dd = (s[8] - '0') * 10 + (s[9] - '0');
	if (yy < 1800 || mm < 1 || mm > 12 || dd < 1 || dd > cv__days_in_month(yy, mm))
		return -1;
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
}

int cv__date_valid(const char *s)
{
	int y, m, d;
	return cv__date_parse(s, &y, &m, &d) == 0;
}

void cv__date_format(char out[11], int y, int m, int d)
{
	snprintf(out, 11, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

int cv__date_add_months(char out[11], const char *in, int months)
{
	int y, m, d;
	if (cv__date_parse(in, &y, &m, &d) < 0)
		return -1;
	int total = y * 12 + (m - 1) + months;
	y = total / 12;
	m = total % 12 + 1;
	if (y < 1800 || y > 9999)
		return -1;
	int last = cv__days_in_month(y, m);
	cv__date_format(out, y, m, d > last ? last : d);
	return 0;
}

int cv__date_add_years(char out[11], const char *in, int years)
{
	return cv__date_add_months(out, in, years * 12);
}

int64_t cv__date_days(int y, int m, int d)
{
	/* days from civil, Howard Hinnant's algorithm */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int cv__date_add_days(char out[11], const char *in, int days)
{
	int y, m, d;
	if (cv__date_parse(in, &y, &m, &d) < 0)
		return -1;
	civil_from_days(cv__date_days(y, m, d) + days, &y, &m, &d);
	if (y < 1800 || y > 9999)
		return -1;
	cv__date_format(out, y, m, d);
	return 0;
}

int cv__date_diff_days(const char *a, const char *b, int64_t *out)
{
	int y1, m1, d1, y2, m2, d2;
	if (cv__date_parse(a, &y1, &m1, &d1) < 0 || cv__date_parse(b, &y2, &m2, &d2) < 0)
		return -1;
	*out = cv__date_days(y2, m2, d2) - cv__date_days(y1, m1, d1);
	return 0;
}

void cv__date_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	cv__date_format(out, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void cv__now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cv__date_month(char out[8], const char *in)
{
	if (in && strlen(in) >= 7) {
		memcpy(out, in, 7);
		out[7] = '\0';
	} else {
		out[0] = '\0';
	}
}

static const char *const FR_MONTHS[12] = { "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre" };

static void fr_long(char *out, size_t n, int y, int m, int d)
{
	/* French writes the first of the month as an ordinal: « 1er mars ». */
	snprintf(out, n, "%d%s %s %d", d, d == 1 ? "er" : "", FR_MONTHS[m - 1], y);
}

int cv__date_fr(char out[32], const char *iso)
{
	int y, m, d;
	if (cv__date_parse(iso, &y, &m, &d) < 0) {
		snprintf(out, 32, "%s", iso ? iso : "");
		return -1;
	}
	fr_long(out, 32, y, m, d);
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The day (days since the epoch) of the month's last Sunday. 1970-01-01 was
 * a Thursday, hence the + 4 (0 = Sunday). */
static int64_t last_sunday(int y, int m)
{
	int64_t last = cv__date_days(y, m, cv__days_in_month(y, m));
	return last - (last + 4 - floor_div(last + 4, 7) * 7);
}

int cv__paris_offset(int64_t utc)
{
	int y, m, d;
	civil_from_days(floor_div(utc, 86400), &y, &m, &d);
	/* Both changes happen at 01:00 UTC (02:00 CET → 03:00 CEST in March,
	 * 03:00 CEST → 02:00 CET in October), the same instant all over the EU. */
	int64_t start = last_sunday(y, 3) * 86400 + 3600, end = last_sunday(y, 10) * 86400 + 3600;
	return utc >= start && utc < end ? 7200 : 3600;
}

static int two(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

int cv__utc_to_paris(const char *iso, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
	char day[11];
	int yy, mm, dd;
	if (!iso || strlen(iso) != 20 || iso[10] != 'T' || iso[13] != ':' || iso[16] != ':' || iso[19] != 'Z')
		return -1;
	memcpy(day, iso, 10);
	day[10] = '\0';
	int hh = two(iso + 11), mn = two(iso + 14), ss = two(iso + 17);
	if (cv__date_parse(day, &yy, &mm, &dd) < 0 || hh < 0 || hh > 23 || mn < 0 || mn > 59 || ss < 0 || ss > 59)
		return -1;
	int64_t t = cv__date_days(yy, mm, dd) * 86400 + hh * 3600 + mn * 60 + ss;
	t += cv__paris_offset(t);
	int64_t days = floor_div(t, 86400), rem = t - days * 86400;
	civil_from_days(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem / 60 % 60);
	*s = (int)(rem % 60);
	return 0;
}

int cv__datetime_fr(char out[48], const char *iso_utc)
{
	int y, mo, d, h, mi, s;
	if (cv__utc_to_paris(iso_utc, &y, &mo, &d, &h, &mi, &s) < 0) {
		char tmp[32];
		int rc = cv__date_fr(tmp, iso_utc);
		snprintf(out, 48, "%s", rc == 0 ? tmp : iso_utc ? iso_utc : "");
		return rc;
	}
	char day[32];
	fr_long(day, sizeof day, y, mo, d);
	/* « 00 h 51 »: the French typographic form of a time of day. */
	snprintf(out, 48, "%s à %02d h %02d", day, h, mi);
	return 0;
}

void cv__date_today_paris(char out[11])
{
	int64_t t = (int64_t)time(NULL);
	t += cv__paris_offset(t);
	int y, m, d;
	civil_from_days(floor_div(t, 86400), &y, &m, &d);
	cv__date_format(out, y, m, d);
}
