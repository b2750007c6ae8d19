/* Scans: PNG, JPEG, TIFF (every page of a multi-page TIFF), read from memory
 * by leptonica one page at a time. */
#include "docparse.h"

#include <stdio.h>
#include <string.h>

#include <leptonica/allheaders.h>

/* The dpi an image says it has, if believable; 300 otherwise. */
static uint32_t image_dpi(PIX *pix)
{
	l_int32 x = pixGetXRes(pix), y = pixGetYRes(pix);
	if (x >= 100 && x <= 1200 && (y == x || y == 0 || (y >= 100 && y <= 1200)))
		return (uint32_t)x;
	return 300;
}

/* An image leptonica read, made 8 bpp gray or 32 bpp RGB (colour maps
 * expanded, transparency laid on white). Takes the input. */
static PIX *normalise(PIX *pix)
{
	PIX *p = pix;
	if (pixGetColormap(p)) {
		PIX *q = pixRemoveColormap(p, REMOVE_CMAP_BASED_ON_SRC);
		pixDestroy(&p);
		if (!q)
			dp_fail(E_MALFORMED, "the image could not be decoded");
		p = q;
	}
	l_int32 d = pixGetDepth(p);
	if (d == 32) {
		if (pixGetSpp(p) == 4) {
			PIX *q = pixAlphaBlendUniform(p, 0xffffff00);
			pixDestroy(&p);
			if (!q)
				dp_fail(E_MALFORMED, "the image could not be decoded");
			p = q;
			pixSetSpp(p, 3);
		}
		return p;
	}
	if (d == 8)
		return p;
	if (d == 1 || d == 2 || d == 4 || d == 16) {
		PIX *q = pixConvertTo8(p, 0);
		pixDestroy(&p);
		if (!q || pixGetDepth(q) != 8) {
			pixDestroy(&q);
			dp_fail(E_MALFORMED, "the image could not be decoded");
		}
		return q;
	}
	if (d == 24) {
		PIX *q = pixConvertTo32(p);
		pixDestroy(&p);
		if (!q)
			dp_fail(E_MALFORMED, "the image could not be decoded");
		return q;
	}
	pixDestroy(&p);
	dp_fail(E_UNSUPPORTED, "the image has an unsupported depth");
}

static void check_header(const unsigned char *data, size_t len)
{
	l_int32 fmt = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
	if (pixReadHeaderMem(data, len, &fmt, &w, &h, &bps, &spp, &cmap) != 0)
		dp_fail(E_MALFORMED, "the image is not readable");
	if (w <= 0 || h <= 0)
		dp_fail(E_MALFORMED, "the image is not readable");
	if ((uint32_t)w > DP_MAX_SIDE || (uint32_t)h > DP_MAX_SIDE || (uint64_t)w * (uint64_t)h > DP_MAX_AREA)
		dp_fail(E_LIMIT, "the image is larger than %u x %u pixels or %llu pixels", DP_MAX_SIDE, DP_MAX_SIDE,
			DP_MAX_AREA);
}

void dp_run_image(const unsigned char *data, size_t len, const dp_opts *o)
{
	int tiff = 0;
	if (len >= 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8))
		tiff = 0;
	else if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
		tiff = 0;
	else if (len >= 4 && (!memcmp(data, "II*\0", 4) || !memcmp(data, "MM\0*", 4)))
		tiff = 1;
	else
		dp_fail(E_UNSUPPORTED, "the image is not a PNG, JPEG or TIFF image");
	/* The first page's header is checked before anything is decoded (a
	 * small file may claim a huge image). */
	check_header(data, len);
	uint32_t n = 0;
	if (!tiff) {
		PIX *pix = pixReadMem(data, len);
		if (!pix)
			dp_fail(E_MALFORMED, "the image could not be decoded");
		pix = normalise(pix);
		if (o->pixels && o->plan_len != 1)
			dp_fail(E_MALFORMED, "the plan does not match the document");
		dp_image_page(pix, 0, image_dpi(pix), 'o', o);
		pixDestroy(&pix);
		n = 1;
	} else {
		size_t off = 0;
		do {
			if (n >= o->max_pages)
				dp_fail(E_LIMIT, "the document has more than %u pages", o->max_pages);
			if (o->pixels && n >= o->plan_len)
				dp_fail(E_MALFORMED, "the plan does not match the document");
			PIX *pix = pixReadMemFromMultipageTiff(data, len, &off);
			if (!pix)
				dp_fail(E_MALFORMED, "a page of the image could not be decoded");
			pix = normalise(pix);
			dp_image_page(pix, n, image_dpi(pix), 'o', o);
			pixDestroy(&pix);
			n++;
		} while (off != 0);
		if (o->pixels && n != o->plan_len)
			dp_fail(E_MALFORMED, "the plan does not match the document");
	}
	dp_out_end(n);
	dp_ocr_done();
}
