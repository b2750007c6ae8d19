/* PDFs (poppler-glib): words from the text layer where the page has one,
 * OCR of the rendered page otherwise; the rendered pages for the pixels
 * answer.
 *
 * Rendering and annotations: poppler-glib 22.12 has no
 * poppler_page_render_full (it came in 23.x), so pages are rendered with
 * poppler_page_render_for_printing_with_options(POPPLER_PRINT_DOCUMENT):
 * the printing path draws the page's content and, of its annotations, only
 * form widgets (no notes, stamps, free text, markup). Annotation text is not
 * in the text layer, so it must not be in the pixels; form widgets would be,
 * so a page that has form fields is OCRed instead of trusting its text layer
 * (its words then come from the same pixels that are shown). */
#include "docparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <leptonica/allheaders.h>
#include <poppler.h>

#define TEXT_DPI 150u
#define OCR_DPI DP_OCR_DPI
#define MIN_TEXT_CHARS 20
#define MAX_IMAGE_COVER 0.30
#define COVER_GRID 64

/* The page's size in pixels at DPI. */
static void page_px(double wpt, double hpt, uint32_t dpi, uint64_t *w, uint64_t *h)
{
	double s = dpi / 72.0;
	double fw = floor(wpt * s + 0.5), fh = floor(hpt * s + 0.5);
	*w = fw < 1 ? 1 : fw > 1e9 ? (uint64_t)1e9 : (uint64_t)fw;
	*h = fh < 1 ? 1 : fh > 1e9 ? (uint64_t)1e9 : (uint64_t)fh;
}

static int fits(uint64_t w, uint64_t h)
{
	return w <= DP_MAX_SIDE && h <= DP_MAX_SIDE && w * h <= DP_MAX_AREA;
}

/* The dpi a page is drawn at: WANT, lowered for a huge page (never below
 * 50). */
static uint32_t fit_dpi(double wpt, double hpt, uint32_t want)
{
	uint32_t dpi = want;
	uint64_t w, h;
	page_px(wpt, hpt, dpi, &w, &h);
	if (fits(w, h))
		return dpi;
	double k = sqrt((double)DP_MAX_AREA / ((double)w * (double)h));
	double ks = (double)DP_MAX_SIDE / (double)(w > h ? w : h);
	if (ks < k)
		k = ks;
	double d = floor(want * k);
	dpi = d < DP_MIN_DPI ? DP_MIN_DPI : d > want ? want : (uint32_t)d;
	for (;;) {
		page_px(wpt, hpt, dpi, &w, &h);
		if (fits(w, h))
			return dpi;
		if (dpi <= DP_MIN_DPI)
			dp_fail(E_LIMIT, "a page is too large to be drawn within %u x %u pixels or %llu pixels", DP_MAX_SIDE,
				DP_MAX_SIDE, DP_MAX_AREA);
		dpi--;
	}
}

/* The page drawn at DPI on white, as a 32 bpp leptonica image. */
static PIX *render(PopplerPage *page, double wpt, double hpt, uint32_t dpi)
{
	uint64_t w, h;
	page_px(wpt, hpt, dpi, &w, &h);
	if (!fits(w, h))
		dp_fail(E_LIMIT, "a page is too large to be drawn");
	PIX *pix = pixCreateNoInit((l_int32)w, (l_int32)h, 32);
	if (!pix)
		dp_oom();
	/* cairo draws straight into the image's rows (32 bpp, no padding:
	 * 4 × width bytes, which is cairo's stride for RGB24). */
	int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, (int)w);
	if (stride != (int)(w * 4) || pixGetWpl(pix) != (l_int32)w) {
		pixDestroy(&pix);
		dp_fail(E_INTERNAL, "an unexpected image layout");
	}
	l_uint32 *data = pixGetData(pix);
	cairo_surface_t *s =
		cairo_image_surface_create_for_data((unsigned char *)data, CAIRO_FORMAT_RGB24, (int)w, (int)h, stride);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		pixDestroy(&pix);
		dp_oom();
	}
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, dpi / 72.0, dpi / 72.0);
	poppler_page_render_for_printing_with_options(page, cr, POPPLER_PRINT_DOCUMENT);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		pixDestroy(&pix);
		dp_fail(E_MALFORMED, "a page could not be drawn");
	}
	/* cairo's native 0x00RRGGBB to leptonica's 0xRRGGBB00. */
	size_t n = (size_t)w * (size_t)h;
	for (size_t i = 0; i < n; i++)
		data[i] = (data[i] << 8) | 0xff;
	pixSetResolution(pix, (l_int32)dpi, (l_int32)dpi);
	return pix;
}

static int count_text(const char *t)
{
	int n = 0;
	for (const char *p = t; p && *p; p = g_utf8_next_char(p))
		if (!g_unichar_isspace(g_utf8_get_char(p)))
			n++;
	return n;
}

/* The share of the page covered by images (their union, on a grid). */
static double image_cover(PopplerPage *page, double wpt, double hpt)
{
	GList *maps = poppler_page_get_image_mapping(page);
	if (!maps)
		return 0;
	static unsigned char grid[COVER_GRID][COVER_GRID];
	memset(grid, 0, sizeof grid);
	for (GList *l = maps; l; l = l->next) {
		PopplerImageMapping *m = l->data;
		double x0 = fmin(m->area.x1, m->area.x2), x1 = fmax(m->area.x1, m->area.x2);
		double y0 = fmin(m->area.y1, m->area.y2), y1 = fmax(m->area.y1, m->area.y2);
		for (int gy = 0; gy < COVER_GRID; gy++) {
			double cy = (gy + 0.5) * hpt / COVER_GRID;
			if (cy < y0 || cy > y1)
				continue;
			for (int gx = 0; gx < COVER_GRID; gx++) {
				double cx = (gx + 0.5) * wpt / COVER_GRID;
				if (cx >= x0 && cx <= x1)
					grid[gy][gx] = 1;
			}
		}
	}
	poppler_page_free_image_mapping(maps);
	int c = 0;
	for (int gy = 0; gy < COVER_GRID; gy++)
		for (int gx = 0; gx < COVER_GRID; gx++)
			c += grid[gy][gx];
	return (double)c / (COVER_GRID * COVER_GRID);
}

static int has_form_fields(PopplerPage *page)
{
	GList *f = poppler_page_get_form_field_mapping(page);
	if (!f)
		return 0;
	poppler_page_free_form_field_mapping(f);
	return 1;
}

/* A word being gathered from the text layer's characters. */
typedef struct {
	char text[DP_MAX_WORD + 8];
	size_t len;
	double x0, y0, x1, y1;
} tword;

static void tword_flush(tword *tw, dp_words *ws, double s, uint8_t flags)
{
	if (!tw->len)
		return;
	dp_words_add(ws, tw->x0 * s, tw->y0 * s, tw->x1 * s, tw->y1 * s, flags, tw->text, tw->len);
	tw->len = 0;
}

/* Words of a born-digital page: one rectangle per character of the text
 * (points, origin top-left); words split on whitespace, boxes the union of
 * their characters'. Lines end at the text's line breaks; a paragraph ends
 * at a blank line or where the next line starts well below the last. */
static void text_words(PopplerPage *page, const char *text, double s, dp_words *ws)
{
	PopplerRectangle *rects = NULL;
	guint nrects = 0;
	if (!poppler_page_get_text_layout(page, &rects, &nrects))
		nrects = 0;
	tword tw = { .len = 0 };
	guint i = 0;
	int newlines = 0;         /* line breaks since the last word */
	double line_top = -1, line_bottom = -1, prev_top = -1, prev_bottom = -1;
	for (const char *p = text; *p && i < nrects; p = g_utf8_next_char(p), i++) {
		gunichar c = g_utf8_get_char(p);
		const PopplerRectangle *r = &rects[i];
		if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029) {
			tword_flush(&tw, ws, s, 0);
			dp_words_flags(ws, 1);
			if (line_top >= 0) {
				prev_top = line_top;
				prev_bottom = line_bottom;
			}
			line_top = line_bottom = -1;
			newlines++;
			continue;
		}
		if (g_unichar_isspace(c) || g_unichar_iscntrl(c)) {
			tword_flush(&tw, ws, s, 0);
			continue;
		}
		double x0 = fmin(r->x1, r->x2), x1 = fmax(r->x1, r->x2);
		double y0 = fmin(r->y1, r->y2), y1 = fmax(r->y1, r->y2);
		if (!tw.len && newlines) {
			double hgt = prev_bottom - prev_top;
			if (newlines > 1 || (prev_top >= 0 && hgt > 0 && (y0 - prev_bottom > 0.8 * hgt || y1 < prev_top)))
				dp_words_flags(ws, 2);
			newlines = 0;
		}
		const char *nx = g_utf8_next_char(p);
		size_t cl = (size_t)(nx - p);
		if (tw.len + cl > DP_MAX_WORD)
			tword_flush(&tw, ws, s, 0);
		if (!tw.len) {
			tw.x0 = x0;
			tw.y0 = y0;
			tw.x1 = x1;
			tw.y1 = y1;
		} else {
			tw.x0 = fmin(tw.x0, x0);
			tw.y0 = fmin(tw.y0, y0);
			tw.x1 = fmax(tw.x1, x1);
			tw.y1 = fmax(tw.y1, y1);
		}
		memcpy(tw.text + tw.len, p, cl);
		tw.len += cl;
		line_top = line_top < 0 ? y0 : fmin(line_top, y0);
		line_bottom = line_bottom < 0 ? y1 : fmax(line_bottom, y1);
	}
	tword_flush(&tw, ws, s, 0);
	g_free(rects);
}

static void page_size(PopplerPage *page, double *wpt, double *hpt)
{
	poppler_page_get_size(page, wpt, hpt);
	if (!isfinite(*wpt) || !isfinite(*hpt) || *wpt < 1 || *hpt < 1 || *wpt > 1e7 || *hpt > 1e7)
		dp_fail(E_MALFORMED, "a page has no valid size");
}

static void one_page(PopplerDocument *doc, uint32_t i, const dp_opts *o)
{
	PopplerPage *page = poppler_document_get_page(doc, (int)i);
	if (!page)
		dp_fail(E_MALFORMED, "a page of the PDF is not readable");
	double wpt, hpt;
	page_size(page, &wpt, &hpt);
	if (o->pixels) {
		dp_geom g = o->plan[i];
		uint64_t w, h;
		page_px(wpt, hpt, g.dpi, &w, &h);
		if (!fits(w, h))
			dp_fail(E_MALFORMED, "the plan does not match the document");
		PIX *pix = render(page, wpt, hpt, g.dpi);
		g_object_unref(page);
		dp_image_page(pix, i, g.dpi, g.source, o);
		pixDestroy(&pix);
		return;
	}
	char *text = poppler_page_get_text(page);
	if (text && !g_utf8_validate(text, -1, NULL)) {
		/* Walked character by character below: never past its end. */
		char *valid = g_utf8_make_valid(text, -1);
		g_free(text);
		text = valid;
	}
	int born_digital = text && count_text(text) >= MIN_TEXT_CHARS && !has_form_fields(page) &&
		image_cover(page, wpt, hpt) < MAX_IMAGE_COVER;
	if (born_digital) {
		dp_geom g = { 't', fit_dpi(wpt, hpt, TEXT_DPI), 0, 0 };
		uint64_t w, h;
		page_px(wpt, hpt, g.dpi, &w, &h);
		dp_out_page(i, (uint32_t)w, (uint32_t)h, &g);
		dp_words ws;
		dp_words_begin(&ws, i, (uint32_t)w, (uint32_t)h);
		text_words(page, text, g.dpi / 72.0, &ws);
		dp_words_end(&ws);
		g_free(text);
		g_object_unref(page);
		return;
	}
	g_free(text);
	uint32_t dpi = fit_dpi(wpt, hpt, OCR_DPI);
	PIX *pix = render(page, wpt, hpt, dpi);
	g_object_unref(page);
	dp_image_page(pix, i, dpi, 'o', o);
	pixDestroy(&pix);
}

void dp_run_pdf(const unsigned char *data, size_t len, const dp_opts *o)
{
	if (len < 5 || len > (size_t)G_MAXSIZE)
		dp_fail(E_MALFORMED, "the PDF is not readable");
	GBytes *bytes = g_bytes_new_static(data, len);
	GError *err = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	if (!doc) {
		int enc = err && err->domain == POPPLER_ERROR && err->code == POPPLER_ERROR_ENCRYPTED;
		if (err)
			g_error_free(err);
		g_bytes_unref(bytes);
		if (enc)
			dp_fail(E_UNSUPPORTED, "the PDF is encrypted");
		dp_fail(E_MALFORMED, "the PDF is not readable");
	}
	int n = poppler_document_get_n_pages(doc);
	if (n <= 0)
		dp_fail(E_MALFORMED, "the PDF has no readable page");
	if ((uint32_t)n > o->max_pages)
		dp_fail(E_LIMIT, "the document has more than %u pages", o->max_pages);
	if (o->pixels && (uint32_t)n != o->plan_len)
		dp_fail(E_MALFORMED, "the plan does not match the document");
	for (uint32_t i = 0; i < (uint32_t)n; i++)
		one_page(doc, i, o);
	dp_out_end((uint32_t)n);
	g_object_unref(doc);
	g_bytes_unref(bytes);
	dp_ocr_done();
}
