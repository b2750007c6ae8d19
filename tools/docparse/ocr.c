/* Scans and rendered pages: orientation (Tesseract OSD), deskew (leptonica),
 * OCR in French (Tesseract LSTM), and the same geometry again without OCR
 * for the pixels answer. */
#include "docparse.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

/* Two engines, each initialised once per process and reused for every page:
 * the French recogniser (LSTM) and the orientation detector, which needs the
 * legacy engine's "osd" data and cannot share an LSTM-only instance. */
static TessBaseAPI *ocr_api;
static TessBaseAPI *osd_api;
static int osd_ok;

/* Orientation below this confidence is not trusted: the page is taken as
 * upright. */
#define OSD_MIN_CONF 1.5f
/* A reading of an upright page is at least this sure (85-95 on a fair
 * scan; a page on its side reads as noise, under 60). */
#define OCR_UPRIGHT_CONF 70
/* Words the recogniser is less sure of than this are dropped. */
#define OCR_MIN_CONF 10.0f

static void one_thread(void)
{
	/* The limit itself is OMP_THREAD_LIMIT=1, which libgomp only reads when
	 * it loads: main() re-runs a words run with it set. Here the running
	 * OpenMP runtime, if libtesseract pulled one in, is also told directly. */
	setenv("OMP_THREAD_LIMIT", "1", 1);
	void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
	void (*set_dynamic)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_dynamic");
	if (set_dynamic)
		set_dynamic(0);
	if (set_threads)
		set_threads(1);
}

void dp_ocr_init(void)
{
	if (ocr_api)
		return;
	one_thread();
	setMsgSeverity(L_SEVERITY_NONE);
	const char *datapath = getenv("TESSDATA_PREFIX");
	if (datapath && !*datapath)
		datapath = NULL;
	ocr_api = TessBaseAPICreate();
	if (!ocr_api || TessBaseAPIInit2(ocr_api, datapath, "fra", OEM_DEFAULT) != 0)
		dp_fail(E_INTERNAL, "the French OCR data could not be loaded");
	TessBaseAPISetPageSegMode(ocr_api, PSM_AUTO);
	/* white on black text is not expected in a case file: not trying each
	 * line inverted saves 8 % of the time */
	TessBaseAPISetVariable(ocr_api, "tessedit_do_invert", "0");
	osd_api = TessBaseAPICreate();
	if (osd_api && TessBaseAPIInit2(osd_api, datapath, "osd", OEM_TESSERACT_ONLY) == 0) {
		TessBaseAPISetPageSegMode(osd_api, PSM_OSD_ONLY);
		osd_ok = 1;
	} else {
		fprintf(stderr, "docparse: no orientation data, pages are taken as upright\n");
	}
}

void dp_ocr_done(void)
{
	if (ocr_api) {
		TessBaseAPIEnd(ocr_api);
		TessBaseAPIDelete(ocr_api);
		ocr_api = NULL;
	}
	if (osd_api) {
		TessBaseAPIEnd(osd_api);
		TessBaseAPIDelete(osd_api);
		osd_api = NULL;
	}
}

static void set_dpi(TessBaseAPI *api, uint32_t dpi)
{
	char v[16];
	snprintf(v, sizeof v, "%u", dpi);
	TessBaseAPISetVariable(api, "user_defined_dpi", v);
}

/* The gray copy the engines read, carrying the page's dpi. */
static PIX *gray_of(PIX *pix, uint32_t dpi)
{
	PIX *g = pixGetDepth(pix) == 8 ? pixCopy(NULL, pix) : pixConvertRGBToLuminance(pix);
	if (!g)
		dp_oom();
	pixSetResolution(g, (l_int32)dpi, (l_int32)dpi);
	return g;
}

uint32_t dp_ocr_orientation(PIX *pix, uint32_t dpi)
{
	if (!osd_ok)
		return 0;
	PIX *g = gray_of(pix, dpi);
	int deg = 0;
	float conf = 0;
	set_dpi(osd_api, dpi);
	TessBaseAPISetImage2(osd_api, g);
	TessBaseAPISetSourceResolution(osd_api, (int)dpi);
	BOOL ok = TessBaseAPIDetectOrientationScript(osd_api, &deg, &conf, NULL, NULL);
	TessBaseAPIClear(osd_api);
	pixDestroy(&g);
	if (!ok || !(conf >= OSD_MIN_CONF) || deg % 90 || deg < 0 || deg >= 360)
		return 0;
	/* OSD reports the page's orientation (the text is turned DEG degrees
	 * counter-clockwise); turning it back is DEG degrees clockwise. */
	return (uint32_t)(360 - deg) % 360;
}

int32_t dp_find_skew(PIX *pix)
{
	PIX *b = pixConvertTo1(pix, 130);
	if (!b)
		dp_oom();
	l_float32 angle = 0, conf = 0;
	l_ok r = pixFindSkew(b, &angle, &conf);
	pixDestroy(&b);
	/* leptonica's own deskew thresholds: confidence 3, at least 0.1°. */
	if (r != 0 || !(conf >= 3.0f) || !(fabsf(angle) >= 0.1f) || !(fabsf(angle) <= 10.0f))
		return 0;
	return (int32_t)lroundf(angle * 1000.0f);
}

PIX *dp_apply_geom(PIX *pix, uint32_t rot, int32_t skew)
{
	if (rot % 90 || rot > 270 || skew < -45000 || skew > 45000)
		dp_fail(E_MALFORMED, "the plan is not valid");
	PIX *r = rot ? pixRotateOrth(pix, (l_int32)(rot / 90)) : pixClone(pix);
	if (!r)
		dp_oom();
	if (!skew)
		return r;
	/* pixRotate keeps the size (corners cut, white brought in): the page's
	 * geometry only depends on ROT. Angle in radians, clockwise positive,
	 * as leptonica's own deskew applies pixFindSkew's angle. */
	PIX *s = pixRotate(r, (l_float32)((double)skew / 1000.0 * M_PI / 180.0), L_ROTATE_AREA_MAP, L_BRING_IN_WHITE,
		0, 0);
	pixDestroy(&r);
	if (!s)
		dp_oom();
	return s;
}

/* The page being recognised: the engine reads it until it is cleared. */
static PIX *ocr_gray;

/* Recognise a page; the mean confidence of its words (0-100). */
static int ocr_recognize(PIX *pix, uint32_t dpi)
{
	ocr_gray = gray_of(pix, dpi);
	set_dpi(ocr_api, dpi);
	TessBaseAPISetImage2(ocr_api, ocr_gray);
	TessBaseAPISetSourceResolution(ocr_api, (int)dpi);
	if (TessBaseAPIRecognize(ocr_api, NULL) != 0)
		dp_fail(E_INTERNAL, "the OCR of a page failed");
	return TessBaseAPIMeanTextConf(ocr_api);
}

static void ocr_clear(void)
{
	TessBaseAPIClear(ocr_api);
	pixDestroy(&ocr_gray);
}

/* The words of the page last recognised, then the engine cleared. */
static void ocr_emit(dp_words *ws)
{
	TessResultIterator *it = TessBaseAPIGetIterator(ocr_api);
	if (it) {
		do {
			const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst(it);
			int l, t, r, b;
			if (!TessPageIteratorBoundingBox(pi, RIL_WORD, &l, &t, &r, &b))
				continue;
			uint8_t fl = 0;
			if (TessPageIteratorIsAtFinalElement(pi, RIL_TEXTLINE, RIL_WORD))
				fl |= 1;
			if (TessPageIteratorIsAtFinalElement(pi, RIL_PARA, RIL_WORD) ||
				TessPageIteratorIsAtFinalElement(pi, RIL_BLOCK, RIL_WORD))
				fl |= 3;
			char *txt = TessResultIteratorGetUTF8Text(it, RIL_WORD);
			float conf = TessResultIteratorConfidence(it, RIL_WORD);
			if (!txt || !*txt || !(conf >= OCR_MIN_CONF))
				dp_words_flags(ws, fl);
			else
				dp_words_add(ws, l, t, r, b, fl, txt, strlen(txt));
			if (txt)
				TessDeleteText(txt);
		} while (TessResultIteratorNext(it, RIL_WORD));
		TessResultIteratorDelete(it);
	}
	ocr_clear();
}

/* The page deskewed and recognised as it is turned by ROT; *skew set. */
static PIX *read_turned(PIX *pix, uint32_t dpi, uint32_t rot, int32_t *skew, int *conf)
{
	PIX *r = dp_apply_geom(pix, rot, 0);
	*skew = dp_find_skew(r);
	PIX *p = *skew ? dp_apply_geom(r, 0, *skew) : pixClone(r);
	pixDestroy(&r);
	*conf = ocr_recognize(p, dpi);
	return p;
}

static void check_size(l_int32 w, l_int32 h)
{
	if (w <= 0 || h <= 0)
		dp_fail(E_MALFORMED, "a page has no pixels");
	if ((uint32_t)w > DP_MAX_SIDE || (uint32_t)h > DP_MAX_SIDE || (uint64_t)w * (uint64_t)h > DP_MAX_AREA)
		dp_fail(E_LIMIT, "a page is larger than %u x %u pixels or %llu pixels", DP_MAX_SIDE, DP_MAX_SIDE,
			DP_MAX_AREA);
}

/* A scan finer than DP_OCR_DPI is read and shown at DP_OCR_DPI: Tesseract's
 * time grows with the pixels (1.6 s for a dense A4 page at 300 dpi, 1.0 s at
 * 200, the same words), and 200 dpi is the resolution of a fax or of an
 * archive's reading copy. The same scaling runs in both modes, so the plan
 * still describes the pixels. */
static PIX *at_ocr_dpi(PIX *pix, uint32_t *dpi)
{
	if (*dpi <= DP_OCR_DPI)
		return pixClone(pix);
	float f = (float)DP_OCR_DPI / (float)*dpi;
	PIX *s = pixScale(pix, f, f);
	if (!s)
		dp_oom();
	*dpi = DP_OCR_DPI;
	pixSetResolution(s, (l_int32)*dpi, (l_int32)*dpi);
	return s;
}

void dp_image_page(PIX *src, uint32_t idx, uint32_t dpi, char source, const dp_opts *o)
{
	PIX *pix = source == 'o' ? at_ocr_dpi(src, &dpi) : pixClone(src);
	dp_geom g = { source, dpi, 0, 0 };
	check_size(pixGetWidth(pix), pixGetHeight(pix));
	if (o->pixels) {
		g = o->plan[idx];
		if (g.dpi != dpi || g.source != source)
			dp_fail(E_MALFORMED, "the plan does not match the document");
		PIX *p = dp_apply_geom(pix, g.rot, g.skew);
		check_size(pixGetWidth(p), pixGetHeight(p));
		dp_out_page(idx, (uint32_t)pixGetWidth(p), (uint32_t)pixGetHeight(p), &g);
		dp_out_pix(idx, p);
		pixDestroy(&p);
		pixDestroy(&pix);
		return;
	}
	dp_ocr_init();
	/* Most pages are upright: they are read first, and the orientation
	 * detector (0.2 s a page) asked only when that reading is poor. */
	int conf = 0;
	PIX *p = read_turned(pix, dpi, 0, &g.skew, &conf);
	if (conf < OCR_UPRIGHT_CONF) {
		uint32_t rot = dp_ocr_orientation(pix, dpi);
		if (rot) {
			ocr_clear();
			pixDestroy(&p);
			g.rot = rot;
			p = read_turned(pix, dpi, rot, &g.skew, &conf);
		}
	}
	uint32_t w = (uint32_t)pixGetWidth(p), h = (uint32_t)pixGetHeight(p);
	check_size((l_int32)w, (l_int32)h);
	dp_out_page(idx, w, h, &g);
	dp_words ws;
	dp_words_begin(&ws, idx, w, h);
	ocr_emit(&ws);
	dp_words_end(&ws);
	pixDestroy(&p);
	pixDestroy(&pix);
}
