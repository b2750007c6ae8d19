/* The journal's public face: verification (chain + anchors in git),
 * listing and the head for an outside record. */
#include "engine/internal.h"
#include "verify/vctx.h"
#include "engine/signatures.h"
#include "journal/anchor.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each commit message names the journal head at its time. Walking the
 * history checks every one of them against the journal: an entry edited or
 * truncated after a commit was made shows up here even if the attacker
 * recomputed the chain. The newest anchor alone already covers every entry
 * up to it (the keyed chain makes the head at N depend on entries 1..N), so
 * a quick verify stops there; the walk adds which commit saw what. */
static int check_anchors(cv_archive *a, uint64_t last_seq, cv_journal_report *rep, int newest_only)
{
	git_oid cur;
	char *hex = NULL;
	int rc = cv__catalog_meta_get(a->cat, "head", &hex);
	if (rc == CV_ENOTFOUND)
		return 0;
	CV_TRY(rc);
	rc = git_oid_fromstr(&cur, hex) < 0 ? cv__err(CV_EDAMAGED, "catalog head is malformed") : 0;
	free(hex);
	int has_parent = 1;
	while (!rc && has_parent) {
		char *msg = NULL;
		git_oid parent;
		rc = cv__store_commit_info(a->store, &cur, NULL, &parent, &has_parent, &msg);
		if (rc)
			break;
		const char *s = strstr(msg, "\nJournal-Seq: "), *h = strstr(msg, "\nJournal-Head: ");
		if (s && h) {
			unsigned long long seq = strtoull(s + 14, NULL, 10);
			unsigned char want[32], got[32];
			char hh[65];
			snprintf(hh, sizeof hh, "%.64s", h + 15);
			char chex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(chex, sizeof chex, &cur);
			if (cv__unhex(want, 32, hh) < 0) {
				rc = cv__err(CV_EDAMAGED, "commit %s carries a malformed journal head", chex);
			} else if (seq > last_seq) {
				rep->first_bad = last_seq + 1;
				snprintf(rep->reason, sizeof rep->reason,
					"commit %s was made when the journal reached entry %llu, but the journal ends at %llu: entries were removed",
					chex, seq, (unsigned long long)last_seq);
				rc = cv__err(CV_EDAMAGED, "journal damaged: %s", rep->reason);
			} else if (seq > 0) {
				if (cv__journal_hash_at(a->cat, seq, got) < 0 || memcmp(got, want, 32)) {
					rep->first_bad = seq;
					snprintf(rep->reason, sizeof rep->reason,
						"entry %llu differs from the head recorded in commit %s", seq, chex);
					rc = cv__err(CV_EDAMAGED, "journal damaged: %s", rep->reason);
				}
			}
			rep->anchors++;
		}
		free(msg);
		if (newest_only && rep->anchors)
			break;
		git_oid_cpy(&cur, &parent);
	}
	return rc;
}

static int journal_verify(cv_journal_report *rep, cv_archive *a, int newest_only)
{
	CV_TRY(cv__result_begin(rep, sizeof *rep, CV_JOURNAL_REPORT_VERSION, "journal verify"));
	CV_TRY(cv__access_check(a, "journal.verify", ""));
	int rc = cv__journal_check(a->cat, &rep->entries, &rep->first_bad, rep->reason, sizeof rep->reason);
	if (rc)
		return rc;
	uint64_t seq = 0;
	unsigned char head[32];
	CV_TRY(cv__journal_head(a->cat, &seq, head));
	CV_TRY(check_anchors(a, seq, rep, newest_only));
	return cv__signatures_check(a, &rep->first_bad, rep->reason, sizeof rep->reason);
}

CV_EXTERN(int) cv_journal_verify(cv_journal_report *rep, cv_archive *a)
{
	return journal_verify(rep, a, 0);
}

int cv__journal_verify_newest(cv_journal_report *rep, cv_archive *a)
{
	return journal_verify(rep, a, 1);
}

/* Step a prepared SELECT seq,time,actor,action,object,outcome,hash to its end. */
static int read_entries(sqlite3_stmt *st, cv_catalog *cat, cv_journal_entry **out, size_t *count)
{
	size_t n = 0, cap = 0;
	cv_journal_entry *list = NULL;
	int r, rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			cv_journal_entry *p = realloc(list, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			list = p;
		}
		cv_journal_entry *e = &list[n++];
		memset(e, 0, sizeof *e);
		e->seq = (uint64_t)sqlite3_column_int64(st, 0);
		cv__col_text(st, 1, e->time, sizeof e->time);
		cv__col_text(st, 2, e->actor, sizeof e->actor);
		cv__col_text(st, 3, e->action, sizeof e->action);
		e->object = cv__col_strdup(st, 4);
		cv__col_text(st, 5, e->outcome, sizeof e->outcome);
		if (sqlite3_column_bytes(st, 6) == 32)
			cv__hex(e->hash, sqlite3_column_blob(st, 6), 32);
	}
	if (!rc && r != SQLITE_DONE)
		rc = cv__catalog_fail(cat, "read journal");
	sqlite3_finalize(st);
	if (rc) {
		cv_journal_list_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(int) cv_journal_list(cv_journal_entry **out, size_t *count, cv_archive *a, uint64_t from, uint64_t limit)
{
	*out = NULL;
	*count = 0;
	CV_TRY(cv__access_check(a, "journal.show", ""));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT seq,time,actor,action,object,outcome,hash FROM journal WHERE seq>=? ORDER BY seq LIMIT ?"));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	return read_entries(st, a->cat, out, count);
}

/* The bounds of the filter's dates as timestamps compare: from is the day's
 * first second, to the next day's (exclusive). */
static int filter_dates(const cv_journal_filter *f, char from[11], char to_next[11])
{
	from[0] = to_next[0] = '\0';
	if (f->from && *f->from) {
		if (!cv__date_valid(f->from))
			return cv__err(CV_EINVAL, "journal: '%s' is not a date (YYYY-MM-DD)", f->from);
		snprintf(from, 11, "%s", f->from);
	}
	if (f->to && *f->to) {
		if (!cv__date_valid(f->to))
			return cv__err(CV_EINVAL, "journal: '%s' is not a date (YYYY-MM-DD)", f->to);
		CV_TRY(cv__date_add_days(to_next, f->to, 1));
	}
	return 0;
}

CV_EXTERN(int) cv_journal_query(cv_journal_entry **out, size_t *count, cv_archive *a, const cv_journal_filter *f)
{
	cv_journal_filter none = CV_JOURNAL_FILTER_INIT;
	*out = NULL;
	*count = 0;
	if (!f)
		f = &none;
	CV_TRY(cv__options_version(f, f->version, CV_JOURNAL_FILTER_VERSION, "journal filter"));
	char from[11], to_next[11];
	CV_TRY(filter_dates(f, from, to_next));
	CV_TRY(cv__access_check(a, "journal.show", ""));
	const char *act = f->action && *f->action ? f->action : NULL;
	int prefix = act && act[strlen(act) - 1] == '.';
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT seq,time,actor,action,object,outcome,hash FROM journal WHERE"
		" (?1 IS NULL OR actor=?1) AND (?2 IS NULL OR (?3=0 AND action=?2) OR (?3=1 AND substr(action,1,length(?2))=?2))"
		" AND (?4 IS NULL OR instr(object,?4)>0) AND (?5 IS NULL OR time>=?5) AND (?6 IS NULL OR time<?6)"
		" AND (?7=0 OR seq<?7) ORDER BY seq DESC LIMIT ?8"));
	cv__bind_text(st, 1, f->actor && *f->actor ? f->actor : NULL);
	cv__bind_text(st, 2, act);
	sqlite3_bind_int(st, 3, prefix);
	cv__bind_text(st, 4, f->object && *f->object ? f->object : NULL);
	cv__bind_text(st, 5, from[0] ? from : NULL);
	cv__bind_text(st, 6, to_next[0] ? to_next : NULL);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)f->before);
	sqlite3_bind_int64(st, 8, f->limit ? (sqlite3_int64)f->limit : 100);
	return read_entries(st, a->cat, out, count);
}

CV_EXTERN(void) cv_journal_list_free(cv_journal_entry *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++)
		free(list[i].object);
	free(list);
}

CV_EXTERN(int) cv_journal_anchor(uint64_t *seq, char hash_hex[65], cv_archive *a)
{
	unsigned char h[32];
	CV_TRY(cv__access_check(a, "journal.anchor", ""));
	/* Record the anchoring first: the printed head then covers it. */
	CV_TRY(cv__journal_record(a->cat, a->actor, "journal.anchor", "", "ok"));
	CV_TRY(cv__journal_head(a->cat, seq, h));
	cv__hex(hash_hex, h, 32);
	return 0;
}

CV_EXTERN(int) cv_journal_anchor_write(uint64_t *seq, char hash_hex[65], cv_archive *a, const char *path)
{
	unsigned char h[32];
	char now[32];
	CV_TRY(cv__access_check(a, "journal.anchor", ""));
	CV_TRY(cv__journal_record(a->cat, a->actor, "journal.anchor", "file", "ok"));
	CV_TRY(cv__journal_head(a->cat, seq, h));
	cv__now_iso(now);
	CV_TRY(cv__anchor_append(path, a->id, *seq, h, now, a->k_anchor));
	cv__hex(hash_hex, h, 32);
	return 0;
}

CV_EXTERN(int) cv_journal_anchor_auto(cv_archive *a, const char *path)
{
	CV_TRY(cv__access_check(a, "journal.anchor", ""));
	if (path && *path != '/')
		return cv__err(CV_EINVAL, "the automatic anchor file must be given as an absolute path");
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "anchor setting"));
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__catalog_meta_set(a->cat, "anchor_file", path ? path : "");
	return cv__txn_finish(&t, rc, "journal.anchor", path ? "auto:on" : "auto:off");
}

CV_EXTERN(int) cv_journal_verify_anchors(cv_journal_report *rep, cv_archive *a, const char *path)
{
	CV_TRY(cv__result_begin(rep, sizeof *rep, CV_JOURNAL_REPORT_VERSION, "journal verify"));
	CV_TRY(cv__access_check(a, "journal.verify", ""));
	cv_anchor *list = NULL;
	size_t n = 0;
	int rc = cv__anchor_load(&list, &n, path, a->id, a->k_anchor, rep->reason, sizeof rep->reason);
	if (rc)
		return rc;
	uint64_t last = 0;
	unsigned char head[32], at[32];
	rc = cv__journal_head(a->cat, &last, head);
	for (size_t i = 0; !rc && i < n; i++) {
		const cv_anchor *x = &list[i];
		rep->anchors++;
		if (x->seq > last || cv__journal_hash_at(a->cat, x->seq, at) != 0 || !cv__ct_equal(at, x->head, 32)) {
			rep->first_bad = x->seq <= last ? x->seq : last + 1;
			snprintf(rep->reason, sizeof rep->reason, "rollback: the archive does not extend the anchor of %s "
				"(line %d: journal entry %llu%s)", x->time, x->line, (unsigned long long)x->seq,
				x->seq > last ? ", beyond the journal's end" : " differs");
			rc = cv__err(CV_EDAMAGED, "journal damaged: %s", rep->reason);
		}
	}
	rep->entries = last;
	free(list);
	return rc;
}
