/* Review and correction of a communication copy before it is final
 * (review.c, review_file.c). The officer gets every hidden, kept or flagged
 * mention of a case in an editable decision file (--review-out), decides
 * (accept, unmask, mask, reassign to another person, merge two numbers, mask
 * a passage the engine missed), and the copy is made from those decisions
 * (--decisions). A mention "to check" without a decision stops the copy.
 * The decisions are checked against the case as it is now (documents,
 * register, policy and engine must give the same mentions) and every
 * correction is journaled with its actor by the export's record.
 *
 * One review belongs to one export of one case, on one thread. The mention
 * texts it holds are personal data: wiped when it is freed. */
#ifndef CV_EXPORT_REVIEW_H
#define CV_EXPORT_REVIEW_H

#include "export/export_internal.h"

typedef enum { CV_REVIEW_OUT = 1, CV_REVIEW_APPLY = 2 } cv_review_mode;

typedef enum { CV_DEC_NONE = 0, CV_DEC_ACCEPT, CV_DEC_UNMASK, CV_DEC_MASK, CV_DEC_REASSIGN } cv_decision;

typedef struct cv_mention {
	char id[16];            /**< "m12": its name in the decision file */
	size_t doc;             /**< index in the case's documents */
	cv_span sp;             /**< as proposed by the engine and the policy */
	int to_check;
	cv_decision dec;
	char target[48];        /**< reassign: the person it designates */
	cv_span final;          /**< what the copy applies */
} cv_mention;

typedef struct cv_added {
	size_t doc;
	char *text;             /**< owned, wiped */
	char person[48];        /**< "" when not a registered person */
	char replacement[48];
	unsigned found;
} cv_added;

typedef struct cv_review_doc {
	char fingerprint[33];   /**< keyed hash of the text: the decisions were made on this text */
	int text;               /**< a text document (the others are not reviewed) */
} cv_review_doc;

typedef struct cv_review {
	cv_review_mode mode;
	const char *path;       /**< the file written (OUT) or read (APPLY) */
	const cv_export_case *co;
	const cv_redaction *r;
	cv_review_doc *docs;
	cv_mention *m;
	size_t nm, cap;
	cv_added *add;
	size_t nadd;
	json_t *out;            /**< OUT: the mentions with their texts */
	json_t *file;           /**< APPLY: the officer's file */
	unsigned to_check, decided, corrections, accepted;
	cv_buf journal;         /**< APPLY: one line per correction, for the record */
} cv_review;

/** Begin a review of one case: `co` and `r` outlive it. */
int cv__review_begin(cv_review *rv, cv_review_mode mode, const char *path, const cv_export_case *co, const cv_redaction *r);
void cv__review_free(cv_review *rv);
/** The review pass over one document: its mentions as the engine proposes
 * them (`text` is the plaintext, `sp` the spans of the session). */
int cv__review_doc(cv_review *rv, size_t doc, const unsigned char *hkey, const char *text, size_t len, const cv_span *sp,
	size_t n);
/** OUT: write the decision file (mode 0600). */
int cv__review_write(cv_review *rv);
/** APPLY: read the officer's file and decide every mention; refused when
 * the case changed, a decision is unknown, or a mention to check has none. */
int cv__review_load(cv_review *rv);
/** The same from the file's bytes (what the fuzzer drives). */
int cv__review_load_buffer(cv_review *rv, const char *data, size_t len);
/** APPLY: the spans the copy applies to document `doc`, given the spans the
 * session gives now (which must be the reviewed ones); *out is malloc'd. */
int cv__review_spans(cv_review *rv, size_t doc, const char *text, size_t len, const cv_span *now, size_t n, cv_span **out,
	size_t *nout);
/** APPLY: after the copy, every passage to mask was found. */
int cv__review_done(cv_review *rv);

/** APPLY: the decisions read (mentions' dec/target, passages to add) turned
 * into final spans, numbers merged (from[i] into into[i]). */
int cv__review_decide_all(cv_review *rv, const unsigned *merge_from, const unsigned *merge_into, size_t nmerge);

/* review_file.c: the decision file's two directions. */
/** The JSON of one mention for the officer (its text and context). */
json_t *cv__review_mention_json(const cv_review *rv, const cv_mention *m, const char *text, size_t len);
/** The legend of the numbers: [tiers N] = role, never the name. */
json_t *cv__review_legend_json(const cv_review *rv);
/** The French label of a role code ("mère"). */
const char *cv__review_role_label(const cv_redaction *r, const char *person);
/** The reason a mention was proposed, in French, for the officer. */
const char *cv__review_reason(const cv_span *sp);
/** Parse a "decision" value; CV_EINVAL with the mention named when unknown. */
int cv__review_parse_decision(const char *id, const char *v, cv_decision *d, char *target, size_t tn);

#endif
