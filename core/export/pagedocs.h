/* Page documents (PDFs, scans, DOCX/ODT) in the communication copy and in
 * the redact command (pagedocs.c): read in the sandbox, redacted on their
 * text like any text document, rebuilt from pixels with opaque boxes. A
 * document that cannot be read fails alone: it is listed for the service to
 * review, with the reason in French, and the copy goes on. Nothing here is
 * thread-safe: one archive handle, one thread. */
#ifndef CV_EXPORT_PAGEDOCS_H
#define CV_EXPORT_PAGEDOCS_H

#include "export/export_internal.h"
#include "export/bag.h"
#include "pages/pages.h"

/** A document of a copy as a page document: 1 with its words read into
 * d->pd (kept for the second pass of a review), 0 when it is not one or
 * could not be read (d->manual_why then says why, in French), or an error
 * that stops the copy (out of memory). */
int cv__export_pagedoc_read(cv_archive *a, const char *case_id, const cv_case_key *k, cv_export_doc *d);

/** Its redacted PDF into the bag under its name with ".pdf", the hidden
 * spans painted; with `review`, its pages beside the original on the
 * officer's page. */
int cv__export_pagedoc_copy(cv_archive *a, const char *case_id, const cv_case_key *k, cv_export_doc *d, cv_bag *bag,
	const cv_span *sp, size_t n, cv_buf *review);

void cv__export_pagedoc_free(cv_export_doc *d);

#endif
