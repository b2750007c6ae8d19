/* What the communication copy's files share: the builder (export.c) and its
 * pages (export_pages.c: index.html, the processing page, dossier.json, the
 * review page). A GDPR access copy covers every case of its subject. The
 * pages write into buffers owned by the caller; nothing here is
 * thread-safe: one archive handle, one thread. */
#ifndef CV_EXPORT_INTERNAL_H
#define CV_EXPORT_INTERNAL_H

#include "engine/internal.h"
#include "export/redaction.h"

#include <jansson.h>

typedef struct cv_export_target {
	char case_id[40];
	char person[48];
} cv_export_target;
struct cv_export_options;
struct cv_export_result;
/** A copy spanning one or more cases (a GDPR access request covers every
 * case of its subject). No role check here: callers gate.
 * `within`: NULL, or a transaction not begun yet: the copy's record (its
 * row and journal entry) is then written in it, begun here, and left open
 * on success for the caller to commit with its own rows -- a GDPR
 * fulfilment records the copy and closes the request in one commit, so a
 * failure between the two cannot leave a copy recorded for a request still
 * open (found by tests/fault). On failure it is aborted and the file
 * removed. */
struct cv_txn;
int cv__export_bag(struct cv_export_result *res, cv_archive *a, const cv_export_target *t, size_t n,
	const struct cv_export_options *o, const char *root, const char *record_ref, struct cv_txn *within);

/** One document of a copy, as it was redacted. */
typedef struct cv_export_doc {
	const cv_doc_info *d;
	char *title;             /**< redacted title (owned) */
	int copied;              /**< redacted and in the bag */
	unsigned spans, review;
	char bag_path[1100];
	struct cv_pagedoc *pd;   /**< a page document's words, between the passes (owned) */
	unsigned pages;          /**< a page document's pages in the copy */
	const char *manual_why;  /**< why the service must review it itself (French, static) */
	char read_error[200];    /**< the reader's reason, for the officer */
} cv_export_doc;

/** One case of a copy, as it was redacted. */
typedef struct cv_export_case {
	cv_case_info ci;
	char prefix[140];        /**< "" or "<ref>/" in a copy spanning cases */
	cv_doc_info *docs;
	size_t nd;
	cv_export_doc *outs;
	unsigned spans;
	json_t *view;            /**< the case as dossier.json shows it */
	char *req_name;          /**< the requester's name, for the index (owned, wiped) */
	int req_female;          /**< the index speaks to them: « seule ou accompagnée » */
	struct cv_export_number {
		unsigned number;     /**< [tiers N] in the copy */
		char person[48];     /**< whom it stands for ("" absent from the register) */
	} *nums;
	size_t nnums, numcap;
	char *corrections;       /**< the review's corrections, one line each, for the journal */
	unsigned accepted;       /**< mentions to check accepted as proposed */
} cv_export_case;

/** index.html: the copy's cases and documents, what was hidden and why, in
 * French for the person who reads it. */
int cv__export_index_html(cv_buf *b, cv_export_case *cs, size_t nc, const char *purpose, unsigned total_spans);
/** traitement.html: what the Département does with the data (GDPR art. 15(1)). */
int cv__export_processing_html(cv_buf *b);
/** dossier.json's view of one case: the requester in full, third parties by
 * their labels in the copy, the measures and the documents. */
int cv__export_view_json(json_t **out, const cv_case_info *ci, const cv_person *persons, size_t np, const char *requester,
	cv_redaction *r, cv_export_doc *docs, size_t nd, json_t *measures);
/** The head of the review page, for the officer only. */
int cv__export_review_begin(cv_buf *b);
/** The heading of one case on the review page: the requester by name, and
 * what the redaction policy communicates. */
int cv__export_review_case(cv_buf *b, const char *ref, const char *name, const char *person, const struct cv_redpolicy *pol);
/** One document on the review page: every hidden, kept or flagged mention
 * with its reason and the person it was attributed to, then the original
 * and the copy side by side. */
int cv__export_review_doc(cv_buf *b, const cv_redaction *r, const char *title, const char *orig, size_t olen,
	const char *red, const cv_span *sp, size_t n);
/** One page of a page document on the review page: the original and the
 * copy side by side (a cv_pagedoc_page_cb; u is the page's buffer). */
int cv__export_review_page_img(void *u, uint32_t page, const unsigned char *orig, const unsigned char *painted,
	uint32_t w, uint32_t h, unsigned channels);
/** The legend of the numbers of one case: [tiers N] = role, never the name. */
int cv__export_review_legend(cv_buf *b, const cv_redaction *r, const struct cv_export_number *nums, size_t n);

#endif
