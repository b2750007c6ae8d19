/* Calendar dates as ISO YYYY-MM-DD strings (proleptic Gregorian), and
 * timestamps. Pure functions, thread-safe. */
#ifndef CV_UTIL_DATE_H
#define CV_UTIL_DATE_H

#include <stdint.h>

/** 1 if s is exactly YYYY-MM-DD and a real date (years 1800..9999). */
int cv__date_valid(const char *s);
int cv__date_parse(const char *s, int *y, int *m, int *d);
void cv__date_format(char out[11], int y, int m, int d);
/** Add months; a day that does not exist becomes the month's last day
 * (2026-01-31 + 1 month = 2026-02-28). */
int cv__date_add_months(char out[11], const char *in, int months);
int cv__date_add_years(char out[11], const char *in, int years);
int cv__date_add_days(char out[11], const char *in, int days);
/** Days since 1970-01-01 (may be negative). */
int64_t cv__date_days(int y, int m, int d);
int cv__date_diff_days(const char *a, const char *b, int64_t *out);
/** Today's date in local time. */
void cv__date_today(char out[11]);
/** Current UTC time, ISO 8601 with seconds ("2026-11-23T09:19:29Z"). */
void cv__now_iso(char out[32]);
/** Month and year only ("2023-06"), for anonymised records. */
void cv__date_month(char out[8], const char *in);
int cv__days_in_month(int y, int m);

/* Dates and times for pages people read: French words, Paris time. Pure and
 * thread-safe (no TZ, setenv or tzset: the offset is computed from the EU
 * rule below), so two exports in two threads never see each other's zone. */

/** "6 décembre 2026", "1er mars 2026" from YYYY-MM-DD. Returns 0; anything
 * that is not a valid date is copied as is and -1 returned, so a page shows
 * what is recorded rather than nothing ("" stays ""). */
int cv__date_fr(char out[32], const char *iso);
/** The offset of Europe/Paris from UTC at a UTC instant (seconds since
 * 1970-01-01): 7200 (CEST) from the last Sunday of March 01:00 UTC to the
 * last Sunday of October 01:00 UTC, 3600 (CET) otherwise. This is the EU
 * rule in force since 1996; earlier instants are computed with it too. */
int cv__paris_offset(int64_t utc);
/** Split a UTC timestamp as the library writes them ("2026-11-23T09:19:29Z")
 * into Europe/Paris civil time. 0, or -1 if `iso` is not such a timestamp. */
int cv__utc_to_paris(const char *iso, int *y, int *mo, int *d, int *h, int *mi, int *s);
/** "7 décembre 2026 à 00 h 51" (Europe/Paris) from a UTC timestamp; a plain
 * YYYY-MM-DD gives its long date; anything else is copied as is (-1). */
int cv__datetime_fr(char out[48], const char *iso_utc);
/** Today's date in Europe/Paris (YYYY-MM-DD), whatever the machine's zone:
 * the date a French page is dated by. */
void cv__date_today_paris(char out[11]);

#endif
