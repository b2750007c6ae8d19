/* Person search through the blind index. The query is folded exactly as
 * stored names were (text.h) and turned into keyed tags; names are never
 * compared in clear and the query is not journaled, only its result. */
#include "engine/internal.h"
#include "util/date.h"
#include "util/text.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tag_of(cv_archive *a, const char *field, const char *value, unsigned char tag[32], int *empty)
{
	char *k = NULL;
	CV_TRY(cv__fold_key(&k, value));
	*empty = k[0] == '\0';
	int rc = cv__blind_tag(a, field, k, tag);
	cv__wipe(k, strlen(k));
	free(k);
	return rc;
}

/* Words of a first-name query ("Marie Claire" -> marie, claire). */
static int split_words(const char *s, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		return cv__oom();
	for (char *tok = strtok_r(copy, " -'\t", &save); tok; tok = strtok_r(NULL, " -'\t", &save)) {
		char **p = realloc(*out, (*n + 1) * sizeof *p);
		if (!p)
			break;
		*out = p;
		(*out)[(*n)++] = strdup(tok);
	}
	free(copy);
	return 0;
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
	unsigned char tl[32], tf[32], tb[32];
	int empty = 0;
	CV_TRY(tag_of(a, "last", q->last, tl, &empty));
	if (empty)
		return cv__err(CV_EINVAL, "find: the surname '%s' has no letters", q->last);
	int has_first = q->first && *q->first, has_born = q->born != NULL;
	if (has_first)
		CV_TRY(tag_of(a, "first", q->first, tf, &empty));
	if (has_born)
		CV_TRY(cv__blind_tag(a, "born", q->born, tb));
	/* Several words given as first names: each must be one of the person's
	 * first names (any order), unless the whole matches as one name. */
	char **words = NULL;
	size_t nwords = 0;
	unsigned char (*wt)[32] = NULL;
	if (has_first) {
		CV_TRY(split_words(q->first, &words, &nwords));
		wt = calloc(nwords ? nwords : 1, 32);
		for (size_t i = 0; wt && i < nwords; i++)
			tag_of(a, "first", words[i], wt[i], &empty);
	}
	sqlite3_stmt *st = NULL, *fw = NULL;
	int rc = cv__catalog_prepare(a->cat, &st,
		"SELECT DISTINCT b.case_id, b.pid, c.ref, p.role FROM blind b JOIN cases c ON c.id=b.case_id"
		" JOIN persons p ON p.case_id=b.case_id AND p.pid=b.pid"
		" WHERE b.tag=?1"
		" AND (?3=0 OR EXISTS(SELECT 1 FROM blind d WHERE d.case_id=b.case_id AND d.pid=b.pid AND d.tag=?4))"
		" ORDER BY c.ref, b.pid");
	if (!rc && has_first)
		rc = cv__catalog_prepare(a->cat, &fw, "SELECT 1 FROM blind WHERE case_id=? AND pid=? AND tag=?");
	if (!rc) {
		cv__bind_blob(st, 1, tl, 32);
		sqlite3_bind_int(st, 3, has_born);
		cv__bind_blob(st, 4, tb, 32);
	}
	size_t n = 0, cap = 0;
	cv_find_hit *hits = NULL;
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cid = (const char *)sqlite3_column_text(st, 0), *pid = (const char *)sqlite3_column_text(st, 1);
		if (has_first) {
			int whole = 0, all = 1;
			sqlite3_reset(fw);
			cv__bind_text(fw, 1, cid);
			cv__bind_text(fw, 2, pid);
			cv__bind_blob(fw, 3, tf, 32);
			whole = sqlite3_step(fw) == SQLITE_ROW;
			for (size_t i = 0; !whole && i < nwords && all; i++) {
				sqlite3_reset(fw);
				cv__bind_text(fw, 1, cid);
				cv__bind_text(fw, 2, pid);
				cv__bind_blob(fw, 3, wt[i], 32);
				all = sqlite3_step(fw) == SQLITE_ROW;
			}
			if (!whole && !(all && nwords > 1))
				continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			cv_find_hit *p = realloc(hits, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			hits = p;
		}
		cv_find_hit *h = &hits[n++];
		memset(h, 0, sizeof *h);
		snprintf(h->case_id, sizeof h->case_id, "%s", cid);
		snprintf(h->person, sizeof h->person, "%s", pid);
		cv__col_text(st, 2, h->ref, sizeof h->ref);
		cv__col_text(st, 3, h->role, sizeof h->role);
	}
	if (!rc && r != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "search");
	sqlite3_finalize(st);
	sqlite3_finalize(fw);
	for (size_t i = 0; i < nwords; i++) {
		cv__wipe(words[i], strlen(words[i]));
		free(words[i]);
	}
	free(words);
	free(wt);
	cv__wipe(tl, 32);
	cv__wipe(tf, 32);
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
