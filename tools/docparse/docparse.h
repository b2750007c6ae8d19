/* casevault-docparse: the untrusted-document parser run inside the sandbox.
 * It reads a document on fd 0 and answers on fd 1 in the protocol of
 * docs/pages-protocol.md. Standalone: it links neither libcasevault nor
 * anything from core/. */
#ifndef CV_DOCPARSE_H
#define CV_DOCPARSE_H

#include <stddef.h>
#include <stdint.h>

#define DP_MAX_PAGES 2000u
#define DP_MAX_SIDE 20000u
#define DP_MAX_AREA 50000000ull
#define DP_MAX_WORDS 20000u
#define DP_MAX_WORD 256u
#define DP_MAX_DOC (256u * 1024u * 1024u)
#define DP_MAX_INPUT ((size_t)1 << 30)
#define DP_MIN_DPI 50u
/* scans are read (OCR) and shown at this resolution at most (ocr.c) */
#define DP_OCR_DPI 200u
#define DP_MAX_DPI 1200u

enum { E_MALFORMED = 1, E_UNSUPPORTED = 2, E_LIMIT = 3, E_INTERNAL = 4 };

struct Pix;

/* One page of the plan (pixels mode) or of the words answer. */
typedef struct {
	char source; /* 't' or 'o' */
	uint32_t dpi;
	uint32_t rot; /* 0/90/180/270 clockwise */
	int32_t skew; /* millidegrees, leptonica's pixRotate sign (clockwise positive) */
} dp_geom;

typedef struct {
	int pixels;           /* 0: words mode, 1: pixels mode */
	uint32_t max_pages;
	dp_geom *plan;        /* pixels mode */
	uint32_t plan_len;
} dp_opts;

/* out.c: the buffered writer on fd 1 and the records. */
void dp_out_header(void);
void dp_out_page(uint32_t idx, uint32_t w, uint32_t h, const dp_geom *g);
void dp_out_begin(char type, uint64_t len);
void dp_out_bytes(const void *p, size_t n);
void dp_out_u8(uint8_t v);
void dp_out_u32(uint32_t v);
void dp_out_end(uint32_t pages);
/* 1 if an office document (zip) needs content from outside itself (links.c). */
int dp_office_external(const unsigned char *d, size_t len);
_Noreturn void dp_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void dp_oom(void);
/* Run by dp_fail before it exits (the convert mode's temporary files). */
extern void (*dp_cleanup)(void);
void *dp_xmalloc(size_t n);
int dp_mul_ok(size_t a, size_t b, size_t *r);

/* The words of one page, streamed: the last word is held back so that the
 * flags of words dropped after it (or the page end) can reach it. */
typedef struct {
	uint32_t page, w, h, count;
	int have;
	uint32_t x0, y0, x1, y1;
	uint8_t flags;
	size_t len;
	char text[DP_MAX_WORD + 4];
} dp_words;

void dp_words_begin(dp_words *ws, uint32_t page, uint32_t w, uint32_t h);
/* Boxes in pixels (doubles, clamped into the page here); text is cleaned
 * (invalid UTF-8 and controls dropped) and split into ≤256-byte pieces. */
void dp_words_add(dp_words *ws, double x0, double y0, double x1, double y1, uint8_t flags, const char *text,
	size_t len);
void dp_words_flags(dp_words *ws, uint8_t flags);
void dp_words_end(dp_words *ws);

/* Pixel output of a leptonica image (8 bpp gray or 32 bpp RGB) as an I record. */
void dp_out_pix(uint32_t page, struct Pix *pix);

/* ocr.c */
void dp_ocr_init(void);
void dp_ocr_done(void);
/* Orientation of a page by OSD: the clockwise rotation to apply (0/90/180/270). */
uint32_t dp_ocr_orientation(struct Pix *pix, uint32_t dpi);
/* Rotation by ROT then deskew by SKEW: a new image (the input is kept). */
struct Pix *dp_apply_geom(struct Pix *pix, uint32_t rot, int32_t skew);
/* The deskew angle of an image in millidegrees (0 if none found). */
int32_t dp_find_skew(struct Pix *pix);
/* The whole pipeline for one page image in words or pixels mode. */
void dp_image_page(struct Pix *pix, uint32_t idx, uint32_t dpi, char source, const dp_opts *o);

/* pdf.c, image.c, office.c */
void dp_run_pdf(const unsigned char *data, size_t len, const dp_opts *o);
void dp_run_image(const unsigned char *data, size_t len, const dp_opts *o);
void dp_run_convert(const unsigned char *data, size_t len);

#endif
