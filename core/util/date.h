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

#endif
