/* Page documents through the sandboxed parser: a first reading for the
 * words (their text goes to the redaction engine), a second for the pixels
 * of each page, painted and written into a new PDF. The second reading is
 * given the first one's plan (text layer or OCR, resolution, rotation,
 * deskew) and must give the same pages, or the document fails: boxes are
 * only ever painted on the geometry they were computed for. */
#include "pages/pages.h"
#include "pages/sandbox.h"
#include "pages/label.h"
#include "util/error.h"
#include "util/wipe.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef CV_BUILD_DIR
#define CV_BUILD_DIR ""
#endif
#ifndef CV_BUILD_DOCPARSE
#define CV_BUILD_DOCPARSE ""
#endif
#ifndef CV_DOCPARSE_FROM_LIB
#define CV_DOCPARSE_FROM_LIB "../libexec/casevault/casevault-docparse"
#endif

#define MIB (1024.0 * 1024.0)

static int ext_is(const char *name, const char *const *exts)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	for (size_t i = 0; dot && exts[i]; i++)
		if (!strcasecmp(dot + 1, exts[i]))
			return 1;
	return 0;
}

cv_pagedoc_kind cv__pagedoc_kind(const void *data, size_t len, const char *name)
{
	static const char *const office[] = { "docx", "odt", NULL };
	const unsigned char *b = data;
	if (len >= 5 && !memcmp(b, "%PDF-", 5))
		return CV_PAGEDOC_PDF;
	if ((len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) || (len >= 3 && !memcmp(b, "\xff\xd8\xff", 3)) ||
		(len >= 4 && (!memcmp(b, "II*\0", 4) || !memcmp(b, "MM\0*", 4))))
		return CV_PAGEDOC_IMAGE;
	if (len >= 4 && !memcmp(b, "PK\3\4", 4) && ext_is(name, office))
		return CV_PAGEDOC_OFFICE;
	return CV_PAGEDOC_NONE;
}

/* The parser next to the library: the build tree's, or the prefix's
 * libexec directory, found from where the library itself was loaded. */
static int helper_path(char *out, size_t n)
{
	Dl_info info;
	char *self = dladdr((void *)&cv__pagedoc_read, &info) && info.dli_fname ? realpath(info.dli_fname, NULL) : NULL;
	size_t bl = strlen(CV_BUILD_DIR);
	out[0] = '\0';
	if (self && bl && !strncmp(self, CV_BUILD_DIR, bl) && self[bl] == '/') {
		snprintf(out, n, "%s", CV_BUILD_DOCPARSE);
	} else if (self) {
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		snprintf(out, n, "%s/%s", self, CV_DOCPARSE_FROM_LIB);
	}
	free(self);
	if (!out[0] || access(out, X_OK))
		return cv__err(CV_EUNSUPPORTED, "the document parser (casevault-docparse) is not installed next to the library");
	return 0;
}

/* Time and memory for one reading: generous for a long scan, bounded for
 * a bomb. OCR takes about a second a page, and a scanned page weighs 30 to
 * 300 kilobytes: 200 pages of 30 kB (6 MiB) get 480 s. */
static void limits_for(cv_sandbox_limits *l, size_t len, const char *mode)
{
	unsigned cpu = 300 + (unsigned)(30.0 * (double)len / MIB);
	if (cpu > 7200)
		cpu = 7200;
	l->cpu_seconds = cpu;
	l->wall_seconds = 2 * cpu + 30;
	l->mem_bytes = !strcmp(mode, "convert") ? (size_t)4 << 30 : (size_t)2 << 30;
	l->out_max = (size_t)64 << 20;
}

typedef struct reading {
	cv_dp_parser dp;
	cv_pagedoc *d;
	/* pixels */
	const cv_page_box *boxes;
	size_t nb;
	cv_pdfout *pdf;
	unsigned char *work;
	size_t workcap;
	cv_pagedoc_page_cb page_cb;
	void *page_u;
} reading;

static int feed(const void *data, size_t len, void *u)
{
	reading *r = u;
	return cv__dp_feed(&r->dp, data, len);
}

/* One reading in the sandbox: the answer parsed as it streams out. */
static int run(reading *r, const char *mode, const char *kind, const char *plan, const void *data, size_t len,
	size_t out_max)
{
	char helper[1200];
	CV_TRY(helper_path(helper, sizeof helper));
	const char *argv[8] = { mode, "--kind", kind, NULL, NULL, NULL };
	if (plan) {
		argv[3] = "--plan";
		argv[4] = plan;
	}
	cv_sandbox_limits lim;
	limits_for(&lim, len, mode);
	if (out_max)
		lim.out_max = out_max;
	int status = 0;
	int rc = cv__sandbox_run(helper, argv, data, len, &lim, feed, r, &status);
	if (r->dp.ecode) { /* the parser said why: that is the reason to give */
		r->d->ecode = r->dp.ecode;
		return cv__err(CV_EINVAL, "%s", r->dp.emsg[0] ? r->dp.emsg : "the document was refused by its parser");
	}
	CV_TRY(rc);
	return cv__dp_finish(&r->dp);
}

static int on_document(void *u, const unsigned char *pdf, size_t len)
{
	reading *r = u;
	return cv__buf_put(&r->d->pdf, pdf, len);
}

static int on_page(void *u, const cv_dp_page *p)
{
	reading *r = u;
	cv_pagedoc *d = r->d;
	if (d->npages && d->text.len) /* a page ends a paragraph */
		CV_TRY(cv__buf_puts(&d->text, "\n\n"));
	cv_dp_page *g = realloc(d->pages, (d->npages + 1) * sizeof *g);
	if (!g)
		return cv__oom();
	d->pages = g;
	d->pages[d->npages++] = *p;
	return 0;
}

static int on_word(void *u, uint32_t page, const uint32_t box[4], unsigned flags, const char *text, size_t len)
{
	reading *r = u;
	cv_pagedoc *d = r->d;
	CV_TRY(cv__grow((void **)&d->words, &d->wcap, d->nwords, sizeof *d->words));
	cv_page_word *w = &d->words[d->nwords++];
	w->page = page;
	memcpy(w->box, box, sizeof w->box);
	w->start = d->text.len;
	CV_TRY(cv__buf_put(&d->text, text, len));
	w->end = d->text.len;
	/* A line's end inside a paragraph is a space: a phone number, an NIR or
	 * a name wrapped by the layout stays one mention for the engine; a word
	 * cut by a hyphen at the line's end is joined again ("grand-" "père"). */
	if (flags & 2)
		return cv__buf_puts(&d->text, "\n\n");
	if ((flags & 1) && len > 1 && text[len - 1] == '-')
		return 0;
	return cv__buf_puts(&d->text, " ");
}

static const char *kind_arg(cv_pagedoc_kind k)
{
	return k == CV_PAGEDOC_IMAGE ? "image" : "pdf";
}

int cv__pagedoc_read(cv_pagedoc *d, const void *data, size_t len, cv_pagedoc_kind kind)
{
	memset(d, 0, sizeof *d);
	d->kind = kind;
	reading r;
	memset(&r, 0, sizeof r);
	r.d = d;
	int rc = 0;
	if (kind == CV_PAGEDOC_OFFICE) {
		cv_dp_handler h = { .document = on_document, .u = &r };
		cv__dp_init(&r.dp, CV_DP_CONVERT, 0, &h);
		rc = run(&r, "convert", "office", NULL, data, len, CV_DP_MAX_DOCUMENT + 4096);
		cv__dp_dispose(&r.dp);
		if (rc)
			return rc;
		data = d->pdf.data;
		len = d->pdf.len;
	}
	cv_dp_handler h = { .page = on_page, .word = on_word, .u = &r };
	cv__dp_init(&r.dp, CV_DP_WORDS, 0, &h);
	rc = run(&r, "words", kind_arg(kind), NULL, data, len, 0);
	cv__dp_dispose(&r.dp);
	if (!rc && !d->npages)
		rc = cv__err(CV_EINVAL, "the document has no page");
	if (!rc)
		rc = cv__buf_cstr(&d->text);
	return rc;
}

void cv__pagedoc_dispose(cv_pagedoc *d)
{
	if (!d)
		return;
	cv__buf_wipe_dispose(&d->pdf);
	cv__buf_wipe_dispose(&d->text);
	if (d->words)
		cv__wipe(d->words, d->nwords * sizeof *d->words);
	free(d->words);
	free(d->pages);
	memset(d, 0, sizeof *d);
}

/* Adds the box of word w to the box list, merged with the previous box of
 * the same range when it is on the same line. */
static int box_add(cv_page_box **out, size_t *nb, size_t *cap, const cv_page_word *w, size_t span, const char *label)
{
	if (*nb) {
		cv_page_box *p = &(*out)[*nb - 1];
		uint32_t h = p->y1 - p->y0, wh = w->box[3] - w->box[1];
		uint32_t mid = (w->box[1] + w->box[3]) / 2;
		if (p->span == span && p->page == w->page && mid > p->y0 && mid < p->y1 && w->box[0] >= p->x0 &&
			w->box[0] <= p->x1 + 2 * (h > wh ? h : wh)) {
			p->x1 = w->box[2] > p->x1 ? w->box[2] : p->x1;
			p->y0 = w->box[1] < p->y0 ? w->box[1] : p->y0;
			p->y1 = w->box[3] > p->y1 ? w->box[3] : p->y1;
			return 0;
		}
	}
	CV_TRY(cv__grow((void **)out, cap, *nb, sizeof **out));
	int first = !*nb || (*out)[*nb - 1].span != span;
	(*out)[(*nb)++] = (cv_page_box){ w->page, w->box[0], w->box[1], w->box[2], w->box[3], span, first ? label : NULL };
	return 0;
}

int cv__pagedoc_boxes(const cv_pagedoc *d, const size_t *ranges, const char *const *labels, size_t n, cv_page_box **out,
	size_t *nb)
{
	size_t cap = 0, w = 0;
	*out = NULL;
	*nb = 0;
	for (size_t i = 0; i < n; i++) {
		size_t s = ranges[2 * i], e = ranges[2 * i + 1];
		while (w < d->nwords && d->words[w].end <= s)
			w++;
		/* ranges may overlap the same word: look from the first touching one */
		for (size_t k = w; k < d->nwords && d->words[k].start < e; k++) {
			int rc = box_add(out, nb, &cap, &d->words[k], i, labels ? labels[i] : NULL);
			if (rc) {
				free(*out);
				*out = NULL;
				*nb = 0;
				return rc;
			}
		}
	}
	return 0;
}

/* The plan of the second reading: the first one's page geometry. */
static int plan_of(const cv_pagedoc *d, cv_buf *plan)
{
	for (size_t i = 0; i < d->npages; i++) {
		const cv_dp_page *p = &d->pages[i];
		CV_TRY(cv__buf_printf(plan, "%s%c:%u:%u:%d", i ? "," : "", p->source, p->dpi, p->rotation, p->skew));
	}
	return cv__buf_cstr(plan);
}

static int on_pixels_page(void *u, const cv_dp_page *p)
{
	reading *r = u;
	const cv_dp_page *q = p->index < r->d->npages ? &r->d->pages[p->index] : NULL;
	if (!q || q->width != p->width || q->height != p->height || q->dpi != p->dpi || q->rotation != p->rotation ||
		q->skew != p->skew || q->source != p->source)
		return cv__err(CV_EINVAL, "the document parser gave different pages on its second reading");
	return 0;
}

/* Opaque, with a margin: OCR boxes hug the ink, and a descender or an
 * accent left out would still let a name be guessed. */
static void paint(unsigned char *px, uint32_t w, uint32_t h, unsigned ch, const cv_page_box *b, unsigned dpi)
{
	uint32_t bh = b->y1 - b->y0, mx = dpi / 50 + 1, my = bh / 6 + dpi / 100 + 1;
	uint32_t x0 = b->x0 > mx ? b->x0 - mx : 0, y0 = b->y0 > my ? b->y0 - my : 0;
	uint32_t x1 = b->x1 + mx < w ? b->x1 + mx : w, y1 = b->y1 + my < h ? b->y1 + my : h;
	for (uint32_t y = y0; y < y1; y++)
		memset(px + ((size_t)y * w + x0) * ch, 0, (size_t)(x1 - x0) * ch);
	cv__page_label(px, w, h, ch, x0, y0, x1, y1, b->label);
}

static int on_image(void *u, uint32_t page, uint32_t w, uint32_t h, unsigned ch, const unsigned char *px)
{
	reading *r = u;
	size_t n = (size_t)w * h * ch;
	if (n > r->workcap) {
		cv__wipe_free(r->work, r->workcap);
		r->workcap = 0;
		if (!(r->work = malloc(n)))
			return cv__oom();
		r->workcap = n;
	}
	memcpy(r->work, px, n);
	unsigned dpi = r->d->pages[page].dpi;
	for (size_t i = 0; i < r->nb; i++)
		if (r->boxes[i].page == page && r->boxes[i].x1 <= w && r->boxes[i].y1 <= h)
			paint(r->work, w, h, ch, &r->boxes[i], dpi);
	if (r->page_cb)
		CV_TRY(r->page_cb(r->page_u, page, px, r->work, w, h, ch));
	int rc = cv__pdfout_page(r->pdf, r->work, w, h, ch, dpi, r->d->pages[page].source == 'o' ? 70 : 80);
	cv__wipe(r->work, n);
	return rc;
}

/* The pixels' whole answer: each page's image, plus its records. */
static size_t pixels_out_max(const cv_pagedoc *d)
{
	size_t n = 8 + 9 + 4096;
	for (size_t i = 0; i < d->npages; i++)
		n += 5 + 25 + 5 + 13 + (size_t)d->pages[i].width * d->pages[i].height * 3;
	return n;
}

int cv__pagedoc_render(const cv_pagedoc *d, const void *data, size_t len, const cv_page_box *boxes, size_t nb,
	const char *title, cv_pdfout_write_cb cb, void *payload, cv_pagedoc_page_cb page_cb, void *page_u)
{
	reading r;
	cv_buf plan = CV_BUF_INIT;
	memset(&r, 0, sizeof r);
	r.d = (cv_pagedoc *)d; /* the pixels pass only reads it */
	r.boxes = boxes;
	r.nb = nb;
	r.page_cb = page_cb;
	r.page_u = page_u;
	if (d->kind == CV_PAGEDOC_OFFICE) {
		data = d->pdf.data;
		len = d->pdf.len;
	}
	int rc = plan_of(d, &plan);
	if (!rc)
		rc = cv__pdfout_open(&r.pdf, cb, payload, title);
	if (!rc) {
		cv_dp_handler h = { .page = on_pixels_page, .image = on_image, .u = &r };
		cv__dp_init(&r.dp, CV_DP_PIXELS, 0, &h);
		rc = run(&r, "pixels", kind_arg(d->kind), (const char *)plan.data, data, len, pixels_out_max(d));
		if (!rc && r.dp.pages != d->npages)
			rc = cv__err(CV_EINVAL, "the document parser gave different pages on its second reading");
		cv__dp_dispose(&r.dp);
		if (!rc) {
			rc = cv__pdfout_close(r.pdf);
			r.pdf = NULL;
		}
	}
	cv__pdfout_abort(r.pdf);
	cv__wipe_free(r.work, r.workcap);
	cv__buf_dispose(&plan);
	return rc;
}
