/* Person search through the blind index. The surname's keyed bucket gives
 * candidates (many surnames share a bucket on purpose); each is decrypted
 * and compared folded (text.h) in memory, then wiped. The catalog never holds
 * a name in clear, and the query is not journaled, only its result. */
#include "engine/internal.h"
#include "records/persons.h"
#include "util/date.h"
#include "util/text.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A query, folded as stored names are (text.h): the surname, the first
 * names as typed (one name, or all of them together) and word by word, the
 * birth date. Wiped when done. */
typedef struct query {
	char *last, *first;
	char **words;
	size_t nwords;
	const char *born;
} query;

static void query_free(query *q)
{
	if (q->last)
		cv__wipe_free(q->last, strlen(q->last));
	if (q->first)
		cv__wipe_free(q->first, strlen(q->first));
	for (size_t i = 0; i < q->nwords; i++)
		cv__wipe_free(q->words[i], strlen(q->words[i]));
	free(q->words);
}

static int query_make(query *q, const cv_find_query *in)
{
	memset(q, 0, sizeof *q);
	q->born = in->born;
	CV_TRY(cv__fold_key(&q->last, in->last));
	if (!q->last[0])
		return cv__err(CV_EINVAL, "find: the surname '%s' has no letters", in->last);
	if (!in->first || !*in->first)
		return 0;
	CV_TRY(cv__fold_key(&q->first, in->first));
	char *copy = strdup(in->first), *save = NULL;
	if (!copy)
		return cv__oom();
	int rc = 0;
	for (char *tok = strtok_r(copy, " -'\t", &save); !rc && tok; tok = strtok_r(NULL, " -'\t", &save)) {
		size_t cap = q->nwords;
		if ((rc = cv__grow((void **)&q->words, &cap, q->nwords, sizeof *q->words)) == 0 &&
			(rc = cv__fold_key(&q->words[q->nwords], tok)) == 0)
			q->nwords++;
	}
	cv__wipe_free(copy, strlen(in->first));
	return rc;
}

/* A name folded for comparison: 0, 1 when it cannot be (not text: it
 * matches nothing), or CV_ENOMEM (a search never misses a person for want
 * of memory: it fails). */
static int fold_name(char **out, const char *name)
{
	int rc = cv__fold_key(out, name);
	if (rc == CV_ENOMEM)
		return rc;
	if (rc)
		cv_error_clear();
	return rc ? 1 : 0;
}

/* 1 when `s` folds to one of the person's first names, or to all of them
 * together (as several names typed in one field); 0; or CV_ENOMEM. */
static int first_matches(const cv_person *p, const char *s)
{
	cv_buf all = CV_BUF_INIT;
	int hit = 0, rc = 0;
	for (size_t i = 0; !rc && i < p->nfirst; i++) {
		char *f = NULL;
		int r = fold_name(&f, p->first[i]);
		if (r < 0)
			rc = r;
		if (r == 0) {
			hit |= !strcmp(f, s);
			rc = cv__buf_puts(&all, f);
			cv__wipe_free(f, strlen(f));
		}
	}
	if (!rc && !hit && p->nfirst > 1 && (rc = cv__buf_cstr(&all)) == 0)
		hit = !strcmp((const char *)all.data, s);
	cv__buf_wipe_dispose(&all);
	return rc ? rc : hit;
}

/* 1 when the person matches the query, 0, or CV_ENOMEM. */
static int person_matches(const cv_person *p, const query *q)
{
	char *last = NULL;
	int r = p->last ? fold_name(&last, p->last) : 1;
	if (r < 0)
		return r;
	int ok = r == 0 && !strcmp(last, q->last);
	if (last)
		cv__wipe_free(last, strlen(last));
	if (ok && q->born)
		ok = p->born && !strcmp(p->born, q->born);
	if (ok && q->first) {
		int all = q->nwords > 1;
		for (size_t i = 0; all > 0 && i < q->nwords; i++)
			all = first_matches(p, q->words[i]);
		if (all < 0)
			return all;
		ok = first_matches(p, q->first);
		if (ok < 0)
			return ok;
		ok = ok || all;
	}
	return ok;
}

/* The decrypted identity of one candidate (the case key cached across the
 * candidates of one case). */
static int candidate_matches(cv_archive *a, sqlite3_stmt *st, cv_case_key *k, char cur[40], const query *q, int *match)
{
	const char *cid = (const char *)sqlite3_column_text(st, 0), *pid = (const char *)sqlite3_column_text(st, 1);
	*match = 0;
	if (strcmp(cur, cid)) {
		cv__case_key_wipe(k);
		cur[0] = '\0';
		int rc = cv__case_key_load(a, cid, k);
		if (rc == CV_ENOTFOUND)
			return 0; /* shredded meanwhile: nobody to find */
		CV_TRY(rc);
		snprintf(cur, 40, "%s", cid);
	}
	char where[64];
	snprintf(where, sizeof where, "person:%s", pid);
	cv_buf plain = CV_BUF_INIT;
	int rc = cv__case_unbox(&plain, k, cid, where, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
	cv_person p;
	memset(&p, 0, sizeof p);
	if (!rc)
		rc = cv__person_from_json(&p, (const char *)plain.data);
	if (!rc) {
		int m = person_matches(&p, q);
		if (m < 0)
			rc = m;
		else
			*match = m;
	}
	cv__person_free_fields(&p);
	cv__buf_wipe_dispose(&plain);
	return rc;
}

static int hit_cmp(const void *x, const void *y)
{
	const cv_find_hit *a = x, *b = y;
	int c = strcmp(a->ref, b->ref);
	return c ? c : strcmp(a->person, b->person);
}

static int blind_index_ready(cv_archive *a)
{
	char *v = NULL;
	int rc = cv__catalog_meta_get(a->cat, "blind_index", &v);
	int pending = rc == 0 && !strcmp(v, "pending");
	free(v);
	if (rc && rc != CV_ENOTFOUND)
		return rc;
	return pending ? cv__err(CV_ESTATE, "find: the search index is being rebuilt for this version; open the archive "
		"read-write once") : 0;
}

/* Candidates share the surname's bucket; each is decrypted and compared. */
static int search(cv_archive *a, const query *q, cv_find_hit **hits, size_t *n)
{
	unsigned char bucket[2];
	CV_TRY(cv__blind_bucket(a, q->last, bucket));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT b.case_id, b.pid, c.ref, p.role, p.identity FROM blind b JOIN cases c ON c.id=b.case_id"
		" JOIN persons p ON p.case_id=b.case_id AND p.pid=b.pid WHERE b.field='last' AND b.tag=? ORDER BY b.case_id"));
	cv__bind_blob(st, 1, bucket, 2);
	cv_case_key k;
	memset(&k, 0, sizeof k);
	char cur[40] = "";
	size_t cap = 0;
	int r, rc = 0;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		int match = 0;
		rc = candidate_matches(a, st, &k, cur, q, &match);
		if (rc || !match)
			continue;
		if ((rc = cv__grow((void **)hits, &cap, *n, sizeof **hits)))
			break;
		cv_find_hit *h = &(*hits)[(*n)++];
		memset(h, 0, sizeof *h);
		cv__col_text(st, 0, h->case_id, sizeof h->case_id);
		cv__col_text(st, 1, h->person, sizeof h->person);
		cv__col_text(st, 2, h->ref, sizeof h->ref);
		cv__col_text(st, 3, h->role, sizeof h->role);
	}
	if (!rc && r != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "search");
	sqlite3_finalize(st);
	cv__case_key_wipe(&k);
	if (!rc && *n > 1)
		qsort(*hits, *n, sizeof **hits, hit_cmp);
	return rc;
}

CV_EXTERN(int) cv_case_find(cv_find_hit **out, size_t *count, cv_archive *a, const cv_find_query *q)
{
	*out = NULL;
	*count = 0;
	CV_TRY(cv__options_version(q, q ? q->version : 0, CV_FIND_QUERY_VERSION, "find"));
	if (!q->last || !*q->last)
		return cv__err(CV_EINVAL, "find: the surname is required");
	if (q->born && !cv__date_valid(q->born))
		return cv__err(CV_EINVAL, "find: the birth date '%s' is not a valid YYYY-MM-DD date", q->born);
	CV_TRY(cv__access_check(a, "person.find", ""));
	CV_TRY(blind_index_ready(a));
	query fq;
	int rc = query_make(&fq, q);
	cv_find_hit *hits = NULL;
	size_t n = 0;
	if (!rc)
		rc = search(a, &fq, &hits, &n);
	query_free(&fq);
	if (!rc) {
		/* The journal records who searched and which cases came back, never
		 * the name searched for. */
		cv_buf obj = CV_BUF_INIT;
		cv__buf_printf(&obj, "hits:%zu", n);
		for (size_t i = 0; i < n && i < 20; i++)
			cv__buf_printf(&obj, " case:%s", hits[i].case_id);
		cv__buf_cstr(&obj);
		rc = cv__journal_record(a->cat, a->actor, "person.find", obj.data ? (const char *)obj.data : "", "ok");
		cv__buf_dispose(&obj);
	}
	if (rc) {
		free(hits);
		return rc;
	}
	*out = hits;
	*count = n;
	return 0;
}

CV_EXTERN(void) cv_case_find_free(cv_find_hit *hits)
{
	free(hits);
}
