/* casevault serve — the MAFT officer's reviews in progress (page_maft.c).
 *
 * A review is the decision file of a communication copy (docs/redaction.md,
 * "Review and correction"): it names third parties in clear, so it never
 * touches the disk once read. It is kept in memory, bound to the user who
 * made it, for one hour after it was made; every copy handed out or dropped
 * is wiped first.
 *
 * Ownership: the store copies what it is given and hands out malloc'd
 * copies, which the caller frees with rs_free (wipe, then free).
 * Thread-safety: every function may be called from any thread (connection
 * threads and job threads); one mutex guards the store.
 */
#ifndef CV_SERVE_REVIEW_STORE_H
#define CV_SERVE_REVIEW_STORE_H

#include <stddef.h>

#define RS_TTL_S 3600 /* a review is a working paper: one hour, then it is gone */

/** What the pages need besides the decision file itself. */
typedef struct rs_meta {
	char case_id[40];
	char ref[128];
	char requester[48];
	char purpose[8];      /* "maft" or "gdpr": the final copy keeps the review's purpose */
} rs_meta;

/** One review, as handed out by rs_get (every string malloc'd, may be NULL but doc). */
typedef struct rs_view {
	rs_meta meta;
	char *doc;            /* the decision file (JSON), with the officer's latest choices */
	char *persons;        /* JSON [{"id","role"}] of the case's register (no names) */
	char *refusal;        /* the library's reason the last final copy was refused, or NULL */
} rs_view;

/** Store a new review for `user`; id_out receives its random id (32 hex). 0, or -1 (out of memory, no randomness). */
int rs_put(char id_out[33], const char *user, const rs_meta *meta, const char *doc, const char *persons);
/** A copy of review `id` if it is `user`'s and not expired: 0, else -1 (free the view with rs_view_free). */
int rs_get(rs_view *out, const char *id, const char *user);
/** Replace the decision file with the officer's choices (kept across a refusal). 0, or -1. */
int rs_update(const char *id, const char *user, const char *doc);
/** Record (or clear, with NULL) the reason the library refused the final copy. */
void rs_set_refusal(const char *id, const char *user, const char *reason);
/** Drop every review (the service stops): each is wiped. */
void rs_clear(void);

void rs_view_free(rs_view *v);
/** Wipe then free a NUL-terminated string (NULL is fine). */
void rs_free(char *s);

#endif
