/* PDF writer for redacted copies: a PDF/A-2b document rebuilt from page
 * pixels only, one JPEG image per page, so that nothing of the original file
 * (text, objects, metadata, annotations, scripts) can survive into it.
 *
 * Streaming: each page is encoded and handed to the callback as soon as it
 * is given; the writer keeps one page's JPEG and the object offsets, never
 * the pixels nor earlier pages.
 *
 * Ownership: cv__pdfout_open allocates the writer; cv__pdfout_close or
 * cv__pdfout_abort frees it. Thread-safety: a writer belongs to one thread at
 * a time; writers in different threads share nothing. */
#ifndef CV_PAGES_PDFOUT_H
#define CV_PAGES_PDFOUT_H

#include "util/buf.h"

#include <stddef.h>

/** Receives the document's bytes in order; non-zero means failure. */
typedef int (*cv_pdfout_write_cb)(const void *data, size_t len, void *payload);

typedef struct cv_pdfout cv_pdfout;

/* Limits of cv__pdfout_page. */
#define CV_PDFOUT_MAX_SIDE 20000u
#define CV_PDFOUT_MAX_PIXELS 50000000ull
#define CV_PDFOUT_MIN_DPI 50u
#define CV_PDFOUT_MAX_DPI 1200u
#define CV_PDFOUT_MAX_PAGES 10000u

/** Starts a PDF/A-2b document streamed to cb (header, XMP metadata, sRGB
 * output intent and catalog are written at once). title: the document's
 * dc:title (UTF-8, may be NULL; the caller passes an already redacted
 * title). CV_EINVAL on a title that is not UTF-8. */
int cv__pdfout_open(cv_pdfout **out, cv_pdfout_write_cb cb, void *payload, const char *title);

/** One page from pixels: rows top to bottom, channels 1 (gray) or 3 (RGB),
 * w*h*channels bytes without padding; dpi gives the page's physical size
 * (w*72/dpi points, which must lie within PDF/A's 3..14400); quality 1-100
 * of the JPEG image. The pixels are not kept after the call. CV_EINVAL on
 * invalid input leaves the writer usable; a failed write (CV_ERROR) leaves
 * it fit only for cv__pdfout_abort or cv__pdfout_close. */
int cv__pdfout_page(cv_pdfout *p, const unsigned char *pixels, unsigned w, unsigned h, unsigned channels,
	unsigned dpi, int quality);

/** Writes the page tree, xref and trailer; frees p (also on error). A
 * document needs at least one page (CV_ESTATE otherwise). */
int cv__pdfout_close(cv_pdfout *p);

/** Frees without finishing (after an error). NULL allowed. */
void cv__pdfout_abort(cv_pdfout *p);

/** The same JPEG encoder on its own (for pictures of pages elsewhere, such
 * as the review page): appends a baseline JPEG of the pixels to `out`, with
 * the limits of cv__pdfout_page but no dpi. On failure `out` keeps its
 * length. Thread-safe; the caller wipes `out` (cv__buf_wipe_dispose). */
int cv__pdfout_jpeg(cv_buf *out, const unsigned char *pixels, unsigned w, unsigned h, unsigned channels, int quality);

#endif
