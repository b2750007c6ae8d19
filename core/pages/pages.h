/* Page documents: PDFs, scans and office files, read by the sandboxed
 * parser (docs/pages-protocol.md) into text with word boxes, then rebuilt
 * as a PDF from their pixels with the boxes of hidden mentions painted
 * opaque. The redaction engine works on the text exactly as on a text
 * document; this module only maps its byte ranges back to boxes.
 *
 * A cv_pagedoc is owned by its caller and used by one thread; it holds the
 * document's words (personal data) and wipes them when disposed. Documents
 * are parsed twice (words, then pixels), never held as pixels: one page's
 * pixels at a time. */
#ifndef CV_PAGES_PAGES_H
#define CV_PAGES_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"
#include "pages/proto.h"
#include "pages/pdfout.h"

typedef enum {
	CV_PAGEDOC_NONE = 0,  /**< not a page document (text, or an unknown format) */
	CV_PAGEDOC_PDF = 1,
	CV_PAGEDOC_IMAGE = 2, /**< PNG, JPEG, TIFF */
	CV_PAGEDOC_OFFICE = 3 /**< DOCX, ODT: converted to PDF first */
} cv_pagedoc_kind;

/** What a document is, by its first bytes and its name's extension (both
 * must agree for office files, which are zip archives like many others). */
cv_pagedoc_kind cv__pagedoc_kind(const void *data, size_t len, const char *name);

typedef struct cv_page_word {
	uint32_t page, box[4];  /**< x0 y0 x1 y1 in the page's pixels */
	size_t start, end;      /**< the word's bytes in the text */
} cv_page_word;

typedef struct cv_pagedoc {
	cv_pagedoc_kind kind;
	cv_buf pdf;             /**< an office document, converted (wiped) */
	cv_dp_page *pages;
	size_t npages;
	cv_page_word *words;
	size_t nwords, wcap;
	cv_buf text;            /**< the words in reading order (wiped) */
	int ecode;              /**< the parser's refusal (CV_DP_E*), 0 if none */
} cv_pagedoc;

/** One painted box; `span` is the index of the range it hides. */
typedef struct cv_page_box {
	uint32_t page, x0, y0, x1, y1;
	size_t span;
	const char *label;      /**< written in the first box of a mention ("[tiers 3]"), else NULL; not owned */
} cv_page_box;

/** Read a document's words in the sandbox (converting an office file
 * first). On failure, d->ecode tells a refusal from a crash or a limit. */
int cv__pagedoc_read(cv_pagedoc *d, const void *data, size_t len, cv_pagedoc_kind kind);

/** The boxes covering byte ranges of the text (ranges: n pairs start,end,
 * sorted): every word a range touches is covered whole, and the words of
 * one range on one line become one box, so that a name's length in words
 * does not show. labels (may be NULL): range i's label, written in its
 * first box. */
int cv__pagedoc_boxes(const cv_pagedoc *d, const size_t *ranges, const char *const *labels, size_t n, cv_page_box **out,
	size_t *nb);

/** Called with each page after painting, for pages shown to the officer. */
typedef int (*cv_pagedoc_page_cb)(void *u, uint32_t page, const unsigned char *orig, const unsigned char *painted,
	uint32_t w, uint32_t h, unsigned channels);

/** The document rebuilt from its pixels with the boxes painted, as a PDF/A
 * streamed to cb. `data` is the same document given to cv__pagedoc_read. */
int cv__pagedoc_render(const cv_pagedoc *d, const void *data, size_t len, const cv_page_box *boxes, size_t nb,
	const char *title, cv_pdfout_write_cb cb, void *payload, cv_pagedoc_page_cb page_cb, void *page_u);

void cv__pagedoc_dispose(cv_pagedoc *d);

#endif
