/*
 * casevault — redaction and the communication copy (access to the file,
 * CRPA L. 311-6; GDPR art. 15).
 *
 * A cv_redaction is a session for one case and one requester: third parties
 * get consistent labels ("[tiers 2]") across every text redacted with it.
 * Results are freed with their *_free.
 */
#ifndef CASEVAULT_EXPORT_H
#define CASEVAULT_EXPORT_H

#include "archive.h"
#include "doc.h"

CV_BEGIN_DECL

typedef struct cv_redaction cv_redaction;

typedef struct cv_span {
	size_t start, end;       /**< byte offsets in the input */
	char kind[16];           /**< person, name, phone, email, nir, iban, address, birthdate */
	char replacement[48];
	char person[48];         /**< register id when known */
	int review;              /**< listed for the officer (ambiguous or unregistered) */
	int kept;                /**< not redacted: 1 may be the requester, 2 an agent whose name the
	                              redaction policy communicates, 3 unmasked by the officer */
} cv_span;

/** Start a session on a case's register for `requester` (a person id of the
 * case). Needs maft, dpo, archivist or admin; journaled. */
CV_EXTERN(int) cv_redaction_new(cv_redaction **out, cv_archive *a, const char *case_id, const char *requester);
/** Redact UTF-8 text: *out (malloc'd, NUL-terminated) and the spans. */
CV_EXTERN(int) cv_redaction_apply(cv_redaction *r, const char *text, size_t len, char **out, size_t *outlen,
	cv_span **spans, size_t *nspans);
CV_EXTERN(void) cv_redaction_spans_free(cv_span *spans);
CV_EXTERN(void) cv_redaction_free(cv_redaction *r);

/** A box painted over a hidden mention of a page document, in the pixels
 * of its page (origin top-left) at the page's resolution. */
typedef struct cv_doc_box {
	size_t span;             /**< index of the span it hides */
	unsigned int page;       /**< 0-based */
	unsigned int x0, y0, x1, y1, dpi;
} cv_doc_box;

/** A page document redacted (cv_redaction_apply_document). */
typedef struct cv_redacted_doc {
	unsigned int version;    /**< CV_REDACTED_DOC_VERSION, set by CV_REDACTED_DOC_INIT */
	unsigned int pages;
	char *text;              /**< the text as read, hidden mentions replaced by their labels */
	size_t text_len;
	cv_span *spans;          /**< byte offsets in the text as read (not in `text`) */
	size_t nspans;
	cv_doc_box *boxes;
	size_t nboxes;
} cv_redacted_doc;

#define CV_REDACTED_DOC_VERSION 1
#define CV_REDACTED_DOC_INIT { CV_REDACTED_DOC_VERSION, 0, NULL, 0, NULL, 0, NULL, 0 }

/** 1 when `data` is a page document: a PDF, a PNG, JPEG or TIFF image, or
 * (with a .docx or .odt name) an office document; 0 otherwise. */
CV_EXTERN(int) cv_document_is_paged(const void *data, size_t len, const char *name);

/** Redact a page document: it is read in a sandbox (the text layer of a
 * born-digital page; French OCR of a scan, orientation and skew corrected;
 * an office document converted to PDF first), its text redacted like any
 * text of the session, and a PDF rebuilt from its pages' pixels only, with
 * opaque boxes over hidden mentions, streamed to `out`: no text layer,
 * object, metadata, annotation or script of the original survives. A
 * hostile or broken document fails with CV_EINVAL and the reason; a missing
 * sandbox (bubblewrap) with CV_EUNSUPPORTED. */
CV_EXTERN(int) cv_redaction_apply_document(cv_redacted_doc *res, cv_redaction *r, const void *data, size_t len,
	const char *name, cv_write_cb out, void *payload);
/** Free what a cv_redacted_doc holds (the text is wiped first). */
CV_EXTERN(void) cv_redacted_doc_dispose(cv_redacted_doc *res);

typedef struct cv_export_options {
	unsigned int version;
	const char *requester;   /**< person id the copy is for */
	const char *out_path;    /**< the .zip to write (must not exist) */
	const char *password;    /**< AES-256 zip encryption when not NULL */
	const char *note;        /**< consultation note, kept encrypted with the record */
	const char *review_path; /**< officer's side-by-side review page (mode 0600) */
	const char *purpose;     /**< "maft" (access to the file) or "gdpr" (art. 15 access) */
	/* version 2 */
	const char *review_out;  /**< write the editable decision file (mode 0600) instead of the copy */
	const char *decisions;   /**< make the final copy from the officer's decision file */
	const char *redaction_policy; /**< another policy file than <policy dir>/redaction.yaml */
} cv_export_options;

#define CV_EXPORT_OPTIONS_VERSION 2
#define CV_EXPORT_OPTIONS_INIT { CV_EXPORT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_export_options_init(cv_export_options *opts, unsigned int version);

typedef struct cv_export_result {
	unsigned int version;    /**< CV_EXPORT_RESULT_VERSION, set by CV_EXPORT_RESULT_INIT */
	char id[20];             /**< export record id */
	unsigned int documents;  /**< redacted documents in the copy */
	unsigned int manual;     /**< documents listed for manual review (not text) */
	unsigned int spans;      /**< redactions made */
	unsigned int review;     /**< mentions listed for the officer */
	uint64_t bytes;          /**< payload bytes */
	char zip_sha256[65];
	/* version 2 */
	unsigned int to_check;   /**< mentions to check that no decision covers (0: the copy is final) */
	unsigned int decided;    /**< mentions with a decision of the officer */
	unsigned int corrections; /**< decisions that changed the proposal (each journaled) */
	unsigned int mentions;   /**< mentions in the decision file written (review_out) */
} cv_export_result;

#define CV_EXPORT_RESULT_VERSION 2
#define CV_EXPORT_RESULT_INIT { CV_EXPORT_RESULT_VERSION }

/** The communication copy: a BagIt bag (RFC 8493) in a zip, documents
 * redacted for the requester, their view of the case, and a French
 * index.html. Journaled with who, for whom, which documents and the hash of
 * the zip.
 *
 * Review before the copy is final: with `review_out`, no copy is made; the
 * decision file lists every hidden, kept or flagged mention with its reason,
 * the person it was attributed to and a legend of the numbers. With
 * `decisions`, the copy applies the officer's decisions (accept, unmask,
 * mask, reassign, merged numbers, passages added) and is refused while a
 * mention to check has none; each correction is journaled with the actor.
 * Without either, result->to_check > 0 says the copy is provisional. */
CV_EXTERN(int) cv_export_create(cv_export_result *result, cv_archive *a, const char *case_id, const cv_export_options *opts);

CV_END_DECL

#endif
