/* Statistics for the observatory (ODPE, CASF L. 226-3-1), computed from each
 * case's statistical record (category, territory, months of opening and
 * closure, measures with their durations, children's sex and year of birth),
 * which is kept under the archive's statistics key and survives
 * anonymisation. Cells under the threshold are suppressed. */
#include "util/json.h"
#include "engine/internal.h"
#include "crypto/fieldbox.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct acc {
	cv_stat_row *rows;
	size_t n, cap;
} acc;

static int add(acc *x, const char *key, const char *state)
{
	size_t i = 0;
	while (i < x->n && strcmp(x->rows[i].key, key))
		i++;
	if (i == x->n) {
		if (x->n == x->cap) {
			size_t cap = x->cap ? x->cap * 2 : 16;
			cv_stat_row *p = realloc(x->rows, cap * sizeof *p);
			if (!p)
				return cv__oom();
			x->rows = p;
			x->cap = cap;
		}
		memset(&x->rows[i], 0, sizeof x->rows[i]);
		snprintf(x->rows[i].key, sizeof x->rows[i].key, "%s", key);
		x->n++;
	}
	cv_stat_row *r = &x->rows[i];
	r->count++;
	if (!strcmp(state, "active"))
		r->count_active++;
	else if (!strcmp(state, "archived"))
		r->count_archived++;
	else
		r->count_anonymised++;
	return 0;
}

static int months_between(const char *a, const char *b)
{
	int y1, m1, y2, m2;
	if (!a || !b || sscanf(a, "%d-%d", &y1, &m1) != 2 || sscanf(b, "%d-%d", &y2, &m2) != 2)
		return -1;
	return (y2 - y1) * 12 + (m2 - m1);
}

static const char *age_band(int age)
{
	if (age < 0)
		return "inconnu";
	if (age <= 2)
		return "0-2 ans";
	if (age <= 5)
		return "3-5 ans";
	if (age <= 10)
		return "6-10 ans";
	if (age <= 15)
		return "11-15 ans";
	if (age <= 17)
		return "16-17 ans";
	if (age <= 20)
		return "18-20 ans";
	return "21 ans et plus";
}

static const char *duration_band(int months)
{
	if (months < 0)
		return "en cours";
	if (months < 6)
		return "moins de 6 mois";
	if (months < 12)
		return "6 à 11 mois";
	if (months < 24)
		return "1 à 2 ans";
	if (months < 60)
		return "2 à 5 ans";
	return "5 ans et plus";
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const cv_stat_row *)a)->key, ((const cv_stat_row *)b)->key);
}

CV_EXTERN(int) cv_stats_get(cv_stat_row **out, size_t *count, cv_archive *a, const char *by, unsigned int threshold)
{
	*out = NULL;
	*count = 0;
	if (!by)
		by = "category";
	if (strcmp(by, "category") && strcmp(by, "measure") && strcmp(by, "age") && strcmp(by, "duration") && strcmp(by, "territory"))
		return cv__err(CV_EINVAL, "stats: the grouping '%s' is not one of category, measure, age, duration, territory", by);
	if (!threshold)
		threshold = 5;
	CV_TRY(cv__access_check(a, "stats", by));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT id, state, stats FROM cases WHERE stats IS NOT NULL ORDER BY id"));
	acc x = { NULL, 0, 0 };
	cv_buf plain = CV_BUF_INIT;
	int rc = 0;
	int step = 0;
	while (!rc && (step = cv__catalog_step(a->cat, st, "read the statistical records")) == 1) {
		const char *id = (const char *)sqlite3_column_text(st, 0), *state = (const char *)sqlite3_column_text(st, 1);
		char ad[96];
		snprintf(ad, sizeof ad, "casevault/v1|%s|stats", id);
		if (cv__box_open(&plain, a->k_stats, ad, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2))) {
			rc = cv__err(CV_EDAMAGED, "stats: the statistical record of case %s does not authenticate", id);
			break;
		}
		json_t *s = NULL;
		/* a record left out would change the figures without a word */
		if ((rc = cv__json_parse(&s, plain.data, plain.len, 0, "statistical record")) != 0)
			break;
		const char *cat = json_string_value(json_object_get(s, "category"));
		const char *opened = json_string_value(json_object_get(s, "opened"));
		const char *closed = json_string_value(json_object_get(s, "closed"));
		if (!strcmp(by, "category")) {
			rc = add(&x, cat ? cat : "?", state);
		} else if (!strcmp(by, "territory")) {
			const char *t = json_string_value(json_object_get(s, "territory"));
			rc = add(&x, t && *t ? t : "inconnu", state);
		} else if (!strcmp(by, "duration")) {
			rc = add(&x, duration_band(closed && *closed ? months_between(opened, closed) : -1), state);
		} else if (!strcmp(by, "measure")) {
			json_t *ms = json_object_get(s, "measures");
			for (size_t i = 0; !rc && i < json_array_size(ms); i++) {
				const char *t = json_string_value(json_object_get(json_array_get(ms, i), "type"));
				rc = add(&x, t ? t : "?", state);
			}
		} else {
			json_t *kids = json_object_get(s, "children");
			int oy = opened ? atoi(opened) : 0;
			for (size_t i = 0; !rc && i < json_array_size(kids); i++) {
				json_t *by_year = json_object_get(json_array_get(kids, i), "birth_year");
				rc = add(&x, age_band(by_year && oy ? oy - (int)json_integer_value(by_year) : -1), state);
			}
		}
		json_decref(s);
		cv__buf_wipe_dispose(&plain);
	}
	if (!rc && step < 0)
		rc = step;
	sqlite3_finalize(st);
	cv__buf_wipe_dispose(&plain);
	if (rc) {
		free(x.rows);
		return rc;
	}
	for (size_t i = 0; i < x.n; i++) {
		cv_stat_row *r = &x.rows[i];
		int64_t *cells[4] = { &r->count, &r->count_active, &r->count_archived, &r->count_anonymised };
		for (int k = 0; k < 4; k++)
			if (*cells[k] > 0 && *cells[k] < (int64_t)threshold)
				*cells[k] = -1;
	}
	qsort(x.rows, x.n, sizeof *x.rows, row_cmp);
	char obj[64];
	snprintf(obj, sizeof obj, "by:%s threshold:%u", by, threshold);
	rc = cv__journal_record(a->cat, a->actor, "stats", obj, "ok");
	if (rc) {
		free(x.rows);
		return rc;
	}
	*out = x.rows;
	*count = x.n;
	return 0;
}

CV_EXTERN(void) cv_stats_free(cv_stat_row *rows)
{
	free(rows);
}
