/* PDF/A-2b writer for pages rebuilt from pixels. The file is written front
 * to back through the caller's callback: header, XMP metadata, sRGB output
 * intent and catalog at open (fixed object numbers 1-5), then for each page
 * its image, content stream and page object, and at close the page tree
 * (object 2, which the catalog and every page already point at), a classic
 * xref table and the trailer. Every stream's /Length is a direct integer:
 * the JPEG is encoded into memory first, which is the one page's worth of
 * memory the writer holds.
 *
 * Numbers are formatted as integers only (points in hundredths), so that a
 * caller's LC_NUMERIC cannot put a comma into the file. */
#include "pages/pdfout.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/text.h"

#include <inttypes.h>
#include <lcms2.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs FILE and size_t declared before it. */
#include <jpeglib.h>
#include <jerror.h>

enum { OBJ_CATALOG = 1, OBJ_PAGES, OBJ_METADATA, OBJ_INTENT, OBJ_ICC, OBJ_FIRST_FREE };

/* A classic xref entry has ten digits of offset. */
#define MAX_OFFSET 9999999999ull
/* PDF/A (ISO 19005-2, 6.1.13): page boundaries between 3 and 14400 units,
 * here in hundredths of a point. */
#define MIN_CENTIPT 300u
#define MAX_CENTIPT 1440000u

struct cv_pdfout {
	cv_pdfout_write_cb cb;
	void *payload;
	uint64_t pos;       /* bytes handed to cb so far */
	EVP_MD_CTX *md;     /* SHA-256 of those bytes, for the /ID */
	uint64_t *offs;     /* offs[n]: where object n starts */
	size_t offs_cap;
	unsigned next_obj;
	unsigned *kids;     /* page object numbers, in order */
	size_t kids_cap;
	unsigned npages;
	int broken;         /* a write failed: the output is truncated */
	cv_buf scratch;     /* dictionaries and small objects */
	cv_buf jpeg;        /* the current page's image; reused, wiped at the end */
};

/* ---- output ------------------------------------------------------------ */

static int emit(cv_pdfout *p, const void *data, size_t len)
{
	if (!len)
		return 0;
	if (EVP_DigestUpdate(p->md, data, len) != 1) {
		p->broken = 1;
		return cv__err(CV_ENOMEM, "cannot compute a SHA-256: out of memory");
	}
	if (p->cb(data, len, p->payload) != 0) {
		p->broken = 1;
		return cv__err(CV_ERROR, "writing the PDF failed");
	}
	p->pos += len;
	return 0;
}

static int emit_scratch(cv_pdfout *p)
{
	int rc = emit(p, p->scratch.data, p->scratch.len);
	cv__buf_clear(&p->scratch);
	return rc;
}

/* Remembers where object `num` starts and writes its opening line. */
static int begin_obj(cv_pdfout *p, unsigned num)
{
	if (p->pos > MAX_OFFSET)
		return cv__err(CV_EINVAL, "the PDF would exceed the 10 GB a classic xref table can address");
	CV_TRY(cv__grow((void **)&p->offs, &p->offs_cap, num, sizeof *p->offs));
	p->offs[num] = p->pos;
	cv__buf_clear(&p->scratch);
	return cv__buf_printf(&p->scratch, "%u 0 obj\n", num);
}

/* A dictionary object: `dict` is the text between << and >>. */
static int dict_obj(cv_pdfout *p, unsigned num, const char *dict)
{
	CV_TRY(begin_obj(p, num));
	CV_TRY(cv__buf_printf(&p->scratch, "<< %s >>\nendobj\n", dict));
	return emit_scratch(p);
}

/* A stream object; `dict` holds its entries but /Length, which is added. */
static int stream_obj(cv_pdfout *p, unsigned num, const char *dict, const void *data, size_t len)
{
	CV_TRY(begin_obj(p, num));
	CV_TRY(cv__buf_printf(&p->scratch, "<< %s%s/Length %zu >>\nstream\n", dict, *dict ? " " : "", len));
	CV_TRY(emit_scratch(p));
	CV_TRY(emit(p, data, len));
	/* PDF/A wants an end-of-line before endstream, outside /Length. */
	static const char tail[] = "\nendstream\nendobj\n";
	return emit(p, tail, sizeof tail - 1);
}

/* ---- document start ---------------------------------------------------- */

/* The title inside an XML element: markup characters escaped, and the
 * characters XML 1.0 forbids even escaped (C0 controls, U+FFFE, U+FFFF)
 * turned into spaces, so that an odd file name cannot break the packet. */
static int put_xml_text(cv_buf *b, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (c[0] == 0xEF && c[1] == 0xBF && (c[2] == 0xBE || c[2] == 0xBF)) {
			CV_TRY(cv__buf_putc(b, ' '));
			c += 2;
			continue;
		}
		switch (*c) {
		case '&': CV_TRY(cv__buf_puts(b, "&amp;")); break;
		case '<': CV_TRY(cv__buf_puts(b, "&lt;")); break;
		case '>': CV_TRY(cv__buf_puts(b, "&gt;")); break;
		case '"': CV_TRY(cv__buf_puts(b, "&quot;")); break;
		case '\'': CV_TRY(cv__buf_puts(b, "&apos;")); break;
		default:
			CV_TRY(cv__buf_putc(b, *c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r' ? ' ' : *c));
		}
	}
	return 0;
}

static int build_xmp(cv_buf *x, const char *title)
{
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__buf_puts(x,
		"<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
		"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
		"<rdf:Description rdf:about=\"\"\n"
		" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n"
		" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
		" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
		" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
		"<pdfaid:part>2</pdfaid:part>\n"
		"<pdfaid:conformance>B</pdfaid:conformance>\n"
		"<dc:format>application/pdf</dc:format>\n"));
	if (title && *title) {
		CV_TRY(cv__buf_puts(x, "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">"));
		CV_TRY(put_xml_text(x, title));
		CV_TRY(cv__buf_puts(x, "</rdf:li></rdf:Alt></dc:title>\n"));
	}
	CV_TRY(cv__buf_printf(x,
		"<xmp:CreateDate>%s</xmp:CreateDate>\n"
		"<xmp:ModifyDate>%s</xmp:ModifyDate>\n"
		"<xmp:MetadataDate>%s</xmp:MetadataDate>\n"
		"<pdf:Producer>casevault</pdf:Producer>\n"
		"</rdf:Description>\n"
		"</rdf:RDF>\n"
		"</x:xmpmeta>\n"
		"<?xpacket end=\"w\"?>",
		now, now, now));
	return 0;
}

static int write_metadata(cv_pdfout *p, const char *title)
{
	cv_buf x = CV_BUF_INIT;
	int rc = build_xmp(&x, title);
	if (rc == 0)
		rc = stream_obj(p, OBJ_METADATA, "/Type /Metadata /Subtype /XML", x.data, x.len);
	/* The title may name the case. */
	cv__buf_wipe_dispose(&x);
	return rc;
}

static int write_icc(cv_pdfout *p)
{
	cmsHPROFILE h = cmsCreate_sRGBProfileTHR(NULL);
	cmsUInt32Number n = 0;
	unsigned char *icc = NULL;
	int rc = 0;
	if (!h || !cmsSaveProfileToMem(h, NULL, &n) || !n)
		rc = cv__err(CV_ERROR, "lcms2 could not build the sRGB profile");
	else if (!(icc = malloc(n)))
		rc = cv__oom();
	else if (!cmsSaveProfileToMem(h, icc, &n))
		rc = cv__err(CV_ERROR, "lcms2 could not serialise the sRGB profile");
	if (h)
		cmsCloseProfile(h);
	if (rc == 0)
		rc = stream_obj(p, OBJ_ICC, "/N 3", icc, n);
	free(icc);
	return rc;
}

static int write_head(cv_pdfout *p, const char *title)
{
	/* The comment's bytes above 127 tell transfer tools the file is binary. */
	static const char header[] = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
	CV_TRY(emit(p, header, sizeof header - 1));
	CV_TRY(write_metadata(p, title));
	CV_TRY(write_icc(p));
	CV_TRY(dict_obj(p, OBJ_INTENT,
		"/Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) "
		"/Info (sRGB IEC61966-2.1) /DestOutputProfile 5 0 R"));
	return dict_obj(p, OBJ_CATALOG, "/Type /Catalog /Pages 2 0 R /Metadata 3 0 R /OutputIntents [4 0 R]");
}

int cv__pdfout_open(cv_pdfout **out, cv_pdfout_write_cb cb, void *payload, const char *title)
{
	if (!out || !cb)
		return cv__err(CV_EINVAL, "PDF writer: no output");
	*out = NULL;
	if (title && !cv__utf8_valid(title, strlen(title)))
		return cv__err(CV_EINVAL, "PDF writer: the title is not valid UTF-8");
	cv_pdfout *p = calloc(1, sizeof *p);
	if (!p)
		return cv__oom();
	p->cb = cb;
	p->payload = payload;
	p->next_obj = OBJ_FIRST_FREE;
	p->md = EVP_MD_CTX_new();
	if (!p->md || EVP_DigestInit_ex(p->md, EVP_sha256(), NULL) != 1) {
		cv__pdfout_abort(p);
		return cv__err(CV_ENOMEM, "cannot compute a SHA-256: out of memory");
	}
	int rc = write_head(p, title);
	if (rc < 0) {
		cv__pdfout_abort(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* ---- JPEG encoding ----------------------------------------------------- */

/* libjpeg's default error handler calls exit(); this one jumps back. */
struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	int rc;
};

static void jerr_exit(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)c->err;
	if (e->rc != CV_ENOMEM) { /* the out-of-memory message is already set */
		char msg[JMSG_LENGTH_MAX];
		c->err->format_message(c, msg);
		e->rc = cv__err(CV_ERROR, "JPEG encoding failed: %s", msg);
	}
	longjmp(e->jb, 1);
}

/* Warnings would go to stderr; an encoder has nothing to warn about that
 * the result does not show. */
static void jerr_message(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* Destination into a cv_buf, which wipes the blocks it outgrows (the image
 * is a page of a case file). The byte kept free is cv_buf's terminator. */
struct jdest {
	struct jpeg_destination_mgr pub;
	cv_buf *buf;
	struct jerr *err;
};

static void jdest_window(struct jdest *d)
{
	d->pub.next_output_byte = d->buf->data + d->buf->len;
	d->pub.free_in_buffer = d->buf->cap - 1 - d->buf->len;
}

static void jdest_init(j_compress_ptr c)
{
	jdest_window((struct jdest *)c->dest);
}

static boolean jdest_empty(j_compress_ptr c)
{
	struct jdest *d = (struct jdest *)c->dest;
	d->buf->len = d->buf->cap - 1; /* libjpeg only asks when all of it is full */
	if (cv__buf_reserve(d->buf, d->buf->cap) < 0) {
		d->err->rc = CV_ENOMEM;
		ERREXIT(c, JERR_OUT_OF_MEMORY);
	}
	jdest_window(d);
	return TRUE;
}

static void jdest_term(j_compress_ptr c)
{
	struct jdest *d = (struct jdest *)c->dest;
	d->buf->len = d->buf->cap - 1 - d->pub.free_in_buffer;
}

/* Everything that may fail inside libjpeg, kept out of encode() so that no
 * local of the function that called setjmp changes before a longjmp. */
static void compress(j_compress_ptr c, const unsigned char *px, unsigned w, unsigned h, unsigned ch,
	unsigned dpi, int quality)
{
	c->image_width = w;
	c->image_height = h;
	c->input_components = (int)ch;
	c->in_color_space = ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(c);
	jpeg_set_quality(c, quality, TRUE);
	/* Measured on A4 scans: with libjpeg-turbo's SIMD the accurate DCT
	 * costs no more than the fast one, while optimised Huffman tables
	 * would double the time for 3-4% fewer bytes. */
	c->dct_method = JDCT_ISLOW;
	c->optimize_coding = FALSE;
	if (dpi) {
		c->density_unit = 1;
		c->X_density = c->Y_density = (UINT16)dpi;
	}
	jpeg_start_compress(c, TRUE);
	size_t stride = (size_t)w * ch;
	JSAMPROW rows[32];
	while (c->next_scanline < h) {
		JDIMENSION n = 0;
		for (; n < 32 && c->next_scanline + n < h; n++) /* libjpeg never writes to its input */
			rows[n] = (JSAMPROW)(uintptr_t)(px + (size_t)(c->next_scanline + n) * stride);
		jpeg_write_scanlines(c, rows, n);
	}
	jpeg_finish_compress(c);
}

/* Appends the JPEG to `out`; on failure `out` keeps its former length. dpi
 * 0 leaves the JFIF density unset. */
static int encode(cv_buf *out, const unsigned char *px, unsigned w, unsigned h, unsigned ch, unsigned dpi,
	int quality)
{
	size_t start = out->len;
	/* A first guess that fits most scanned pages in one go. */
	CV_TRY(cv__buf_reserve(out, (size_t)w * h * ch / 8 + 16384));
	struct jpeg_compress_struct c;
	struct jerr e;
	struct jdest d;
	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	memset(&d, 0, sizeof d);
	c.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = jerr_exit;
	e.pub.emit_message = jerr_message;
	d.pub.init_destination = jdest_init;
	d.pub.empty_output_buffer = jdest_empty;
	d.pub.term_destination = jdest_term;
	d.buf = out;
	d.err = &e;
	if (setjmp(e.jb)) {
		jpeg_destroy_compress(&c);
		out->len = start;
		return e.rc;
	}
	jpeg_create_compress(&c);
	c.dest = &d.pub;
	compress(&c, px, w, h, ch, dpi, quality);
	jpeg_destroy_compress(&c);
	return 0;
}

static int check_pixels(const unsigned char *px, unsigned w, unsigned h, unsigned ch, int quality)
{
	if (!px)
		return cv__err(CV_EINVAL, "page image: no pixels");
	if (w < 1 || w > CV_PDFOUT_MAX_SIDE || h < 1 || h > CV_PDFOUT_MAX_SIDE)
		return cv__err(CV_EINVAL, "page image: %ux%u pixels; each side must be 1 to %u", w, h, CV_PDFOUT_MAX_SIDE);
	if ((uint64_t)w * h > CV_PDFOUT_MAX_PIXELS)
		return cv__err(CV_EINVAL, "page image: %ux%u pixels is more than %llu", w, h, CV_PDFOUT_MAX_PIXELS);
	if (ch != 1 && ch != 3)
		return cv__err(CV_EINVAL, "page image: %u channels; 1 (gray) or 3 (RGB) expected", ch);
	if (quality < 1 || quality > 100)
		return cv__err(CV_EINVAL, "page image: JPEG quality %d; 1 to 100 expected", quality);
	return 0;
}

int cv__pdfout_jpeg(cv_buf *out, const unsigned char *pixels, unsigned w, unsigned h, unsigned channels, int quality)
{
	if (!out)
		return cv__err(CV_EINVAL, "JPEG: no output buffer");
	CV_TRY(check_pixels(pixels, w, h, channels, quality));
	return encode(out, pixels, w, h, channels, 0, quality);
}

/* ---- pages ------------------------------------------------------------- */

/* Page side in hundredths of a point, rounded to nearest. */
static uint64_t centipoints(unsigned px, unsigned dpi)
{
	return ((uint64_t)px * 7200u + dpi / 2) / dpi;
}

static void fmt_pt(char out[32], uint64_t centi)
{
	snprintf(out, 32, "%" PRIu64 ".%02u", centi / 100, (unsigned)(centi % 100));
}

static int check_page(const cv_pdfout *p, const unsigned char *px, unsigned w, unsigned h, unsigned ch,
	unsigned dpi, int quality)
{
	CV_TRY(check_pixels(px, w, h, ch, quality));
	if (dpi < CV_PDFOUT_MIN_DPI || dpi > CV_PDFOUT_MAX_DPI)
		return cv__err(CV_EINVAL, "PDF page: %u dpi; %u to %u expected", dpi, CV_PDFOUT_MIN_DPI, CV_PDFOUT_MAX_DPI);
	uint64_t cw = centipoints(w, dpi), chh = centipoints(h, dpi);
	if (cw < MIN_CENTIPT || cw > MAX_CENTIPT || chh < MIN_CENTIPT || chh > MAX_CENTIPT)
		return cv__err(CV_EINVAL, "PDF page: %ux%u pixels at %u dpi is outside PDF/A's 3 to 14400 points a side",
			w, h, dpi);
	if (p->npages >= CV_PDFOUT_MAX_PAGES)
		return cv__err(CV_EINVAL, "PDF: more than %u pages", CV_PDFOUT_MAX_PAGES);
	return 0;
}

static int write_page_objs(cv_pdfout *p, unsigned w, unsigned h, unsigned ch, unsigned dpi)
{
	unsigned img = p->next_obj, content = img + 1, page = img + 2;
	char pw[32], ph[32], dict[512], ops[128];
	fmt_pt(pw, centipoints(w, dpi));
	fmt_pt(ph, centipoints(h, dpi));
	CV_TRY(cv__grow((void **)&p->kids, &p->kids_cap, p->npages, sizeof *p->kids));
	p->next_obj += 3;

	snprintf(dict, sizeof dict, "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace %s "
		"/BitsPerComponent 8 /Filter /DCTDecode", w, h, ch == 3 ? "/DeviceRGB" : "/DeviceGray");
	CV_TRY(stream_obj(p, img, dict, p->jpeg.data, p->jpeg.len));
	int n = snprintf(ops, sizeof ops, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", pw, ph);
	CV_TRY(stream_obj(p, content, "", ops, (size_t)n));
	snprintf(dict, sizeof dict, "/Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] "
		"/Resources << /XObject << /Im0 %u 0 R >> >> /Contents %u 0 R", pw, ph, img, content);
	CV_TRY(dict_obj(p, page, dict));
	p->kids[p->npages++] = page;
	return 0;
}

static int check_usable(const cv_pdfout *p)
{
	if (!p)
		return cv__err(CV_EINVAL, "PDF writer: none given");
	if (p->broken)
		return cv__err(CV_ESTATE, "PDF writer: an earlier write failed; the document is incomplete");
	return 0;
}

int cv__pdfout_page(cv_pdfout *p, const unsigned char *pixels, unsigned w, unsigned h, unsigned channels,
	unsigned dpi, int quality)
{
	CV_TRY(check_usable(p));
	CV_TRY(check_page(p, pixels, w, h, channels, dpi, quality));
	cv__buf_clear(&p->jpeg);
	CV_TRY(encode(&p->jpeg, pixels, w, h, channels, dpi, quality));
	int rc = write_page_objs(p, w, h, channels, dpi);
	cv__buf_clear(&p->jpeg);
	if (rc < 0)
		p->broken = 1; /* object numbers or bytes may be half given out */
	return rc;
}

/* ---- document end ------------------------------------------------------ */

static int write_page_tree(cv_pdfout *p)
{
	CV_TRY(begin_obj(p, OBJ_PAGES));
	CV_TRY(cv__buf_puts(&p->scratch, "<< /Type /Pages /Kids ["));
	for (unsigned i = 0; i < p->npages; i++)
		CV_TRY(cv__buf_printf(&p->scratch, i ? " %u 0 R" : "%u 0 R", p->kids[i]));
	CV_TRY(cv__buf_printf(&p->scratch, "] /Count %u >>\nendobj\n", p->npages));
	return emit_scratch(p);
}

static int write_xref(cv_pdfout *p)
{
	cv_buf *b = &p->scratch;
	cv__buf_clear(b);
	/* Entries are exactly 20 bytes: the space before \n is part of them. */
	CV_TRY(cv__buf_printf(b, "xref\n0 %u\n0000000000 65535 f \n", p->next_obj));
	for (unsigned i = 1; i < p->next_obj; i++)
		CV_TRY(cv__buf_printf(b, "%010" PRIu64 " 00000 n \n", p->offs[i]));
	return emit_scratch(p);
}

/* The /ID: the first 16 bytes of the SHA-256 of everything before the
 * trailer, written twice (the document is new, so both halves agree). */
static int write_trailer(cv_pdfout *p, uint64_t xref_at)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char id[33];
	if (EVP_DigestFinal_ex(p->md, md, &mdlen) != 1 || mdlen < 16)
		return cv__err(CV_ENOMEM, "cannot compute a SHA-256: out of memory");
	cv__hex(id, md, 16);
	cv__buf_clear(&p->scratch);
	CV_TRY(cv__buf_printf(&p->scratch,
		"trailer\n<< /Size %u /Root 1 0 R /ID [<%s><%s>] >>\nstartxref\n%" PRIu64 "\n%%%%EOF\n",
		p->next_obj, id, id, xref_at));
	/* The digest is final: the trailer itself is not hashed. */
	if (p->cb(p->scratch.data, p->scratch.len, p->payload) != 0)
		return cv__err(CV_ERROR, "writing the PDF failed");
	return 0;
}

static int finish(cv_pdfout *p)
{
	CV_TRY(check_usable(p));
	if (!p->npages)
		return cv__err(CV_ESTATE, "PDF writer: a document needs at least one page");
	CV_TRY(write_page_tree(p));
	if (p->pos > MAX_OFFSET)
		return cv__err(CV_EINVAL, "the PDF would exceed the 10 GB a classic xref table can address");
	uint64_t xref_at = p->pos;
	CV_TRY(write_xref(p));
	return write_trailer(p, xref_at);
}

int cv__pdfout_close(cv_pdfout *p)
{
	int rc = finish(p);
	cv__pdfout_abort(p);
	return rc;
}

void cv__pdfout_abort(cv_pdfout *p)
{
	if (!p)
		return;
	EVP_MD_CTX_free(p->md);
	free(p->offs);
	free(p->kids);
	cv__buf_wipe_dispose(&p->scratch);
	cv__buf_wipe_dispose(&p->jpeg);
	free(p);
}
