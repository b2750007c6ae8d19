/*
 * casevault — the audit journal: append-only, hash-chained, anchored in git.
 *
 * entry hash = SHA-256(previous hash || canonical encoding of the entry);
 * the encoding is documented in docs/journal.md. Lists are freed with
 * cv_journal_list_free.
 */
#ifndef CASEVAULT_JOURNAL_H
#define CASEVAULT_JOURNAL_H

#include "archive.h"

CV_BEGIN_DECL

typedef struct cv_journal_entry {
	uint64_t seq;
	char time[32];
	char actor[64];
	char action[48];
	char *object;            /**< opaque ids only */
	char outcome[16];        /**< ok, denied, refused, failed */
	char hash[65];
} cv_journal_entry;

typedef struct cv_journal_report {
	unsigned int version;    /**< CV_JOURNAL_REPORT_VERSION, set by CV_JOURNAL_REPORT_INIT */
	uint64_t entries;        /**< entries checked */
	uint64_t anchors;        /**< git commits (or outside anchors) whose recorded head was checked */
	uint64_t first_bad;      /**< first bad sequence number, 0 if none */
	char reason[512];
} cv_journal_report;

#define CV_JOURNAL_REPORT_VERSION 1
#define CV_JOURNAL_REPORT_INIT { CV_JOURNAL_REPORT_VERSION }

/** Check the chain and its anchors in git. CV_EDAMAGED names the first bad entry. */
CV_EXTERN(int) cv_journal_verify(cv_journal_report *report, cv_archive *a);

/** Entries with seq >= from (at most `limit`, 0 = all). */
CV_EXTERN(int) cv_journal_list(cv_journal_entry **out, size_t *count, cv_archive *a, uint64_t from, uint64_t limit);
CV_EXTERN(void) cv_journal_list_free(cv_journal_entry *list, size_t count);

typedef struct cv_journal_filter {
	unsigned int version;
	const char *actor;       /**< exact user name, NULL = any */
	const char *action;      /**< exact action ("request.decide") or a prefix ending in '.' ("request."), NULL = any */
	const char *object;      /**< entries whose object names this id (a case id, request id, plan id), NULL = any */
	const char *from, *to;   /**< YYYY-MM-DD, inclusive, UTC; NULL = open */
	uint64_t before;         /**< only seq < before (paging newest first), 0 = no bound */
	size_t limit;            /**< at most this many, 0 = 100 */
} cv_journal_filter;

#define CV_JOURNAL_FILTER_VERSION 1
#define CV_JOURNAL_FILTER_INIT { CV_JOURNAL_FILTER_VERSION, NULL, NULL, NULL, NULL, NULL, 0, 0 }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_journal_filter_init(cv_journal_filter *opts, unsigned int version);

/** Entries matching the filter, newest first (needs journal.show). Free
 * with cv_journal_list_free. */
CV_EXTERN(int) cv_journal_query(cv_journal_entry **out, size_t *count, cv_archive *a, const cv_journal_filter *f);

/** The head, for an outside record. */
CV_EXTERN(int) cv_journal_anchor(uint64_t *seq, char hash_hex[65], cv_archive *a);
/** The same, appended as a signed anchor line to `path`, a file kept away
 * from the archive (docs/journal.md). */
CV_EXTERN(int) cv_journal_anchor_write(uint64_t *seq, char hash_hex[65], cv_archive *a, const char *path);
/** Anchor automatically after every commit to `path` (NULL: stop); the
 * setting is journaled. */
CV_EXTERN(int) cv_journal_anchor_auto(cv_archive *a, const char *path);
/** Check that the archive extends every anchor of `path`: CV_EDAMAGED, with
 * the report naming the anchor, when the journal was rolled back, truncated
 * or rewritten behind it, or when an anchor line of this archive is forged. */
CV_EXTERN(int) cv_journal_verify_anchors(cv_journal_report *report, cv_archive *a, const char *path);

CV_END_DECL

#endif
