/* The answer on fd 1: a buffered writer, the records, and the one way out
 * on a failure (an E record whose message quotes nothing of the document). */
#include "docparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <leptonica/allheaders.h>

#define OUT_BUF (1u << 20)

static unsigned char out_buf[OUT_BUF];
static size_t out_len;
static int out_failing;

void (*dp_cleanup)(void);

static void write_all(const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			/* The reader went away (EPIPE) or fd 1 is unusable: nothing
			 * more can be said on it. */
			fprintf(stderr, "docparse: write to fd 1 failed: %s\n", strerror(errno));
			_exit(2);
		}
		p += (size_t)w;
		n -= (size_t)w;
	}
}

static void out_flush(void)
{
	write_all(out_buf, out_len);
	out_len = 0;
}

void dp_out_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	if (n >= OUT_BUF) {
		out_flush();
		write_all(s, n);
		return;
	}
	if (out_len + n > OUT_BUF)
		out_flush();
	memcpy(out_buf + out_len, s, n);
	out_len += n;
}

void dp_out_u8(uint8_t v)
{
	dp_out_bytes(&v, 1);
}

void dp_out_u32(uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
		(unsigned char)(v >> 24) };
	dp_out_bytes(b, 4);
}

void dp_out_header(void)
{
	static const unsigned char h[8] = { 'C', 'V', 'D', 'P', 1, 0, 0, 0 };
	dp_out_bytes(h, sizeof h);
}

void dp_out_begin(char type, uint64_t len)
{
	if (len > UINT32_MAX)
		dp_fail(E_LIMIT, "a record is too large");
	dp_out_u8((uint8_t)type);
	dp_out_u32((uint32_t)len);
}

void dp_out_page(uint32_t idx, uint32_t w, uint32_t h, const dp_geom *g)
{
	dp_out_begin('P', 25);
	dp_out_u32(idx);
	dp_out_u32(w);
	dp_out_u32(h);
	dp_out_u32(g->dpi);
	dp_out_u32(g->rot);
	dp_out_u32((uint32_t)g->skew);
	dp_out_u8((uint8_t)g->source);
}

void dp_out_end(uint32_t pages)
{
	dp_out_begin('Z', 4);
	dp_out_u32(pages);
	out_flush();
}

void dp_fail(int code, const char *fmt, ...)
{
	char msg[501];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof msg)
		n = (int)sizeof msg - 1;
	fprintf(stderr, "docparse: %s\n", msg);
	if (dp_cleanup)
		dp_cleanup();
	if (out_failing)
		_exit(3);
	out_failing = 1;
	dp_out_begin('E', 1 + (uint64_t)n);
	dp_out_u8((uint8_t)code);
	dp_out_bytes(msg, (size_t)n);
	out_flush();
	_exit(3);
}

void dp_oom(void)
{
	dp_fail(E_INTERNAL, "out of memory");
}

void *dp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		dp_oom();
	return p;
}

int dp_mul_ok(size_t a, size_t b, size_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

/* ---- words ---- */

void dp_words_begin(dp_words *ws, uint32_t page, uint32_t w, uint32_t h)
{
	memset(ws, 0, sizeof *ws);
	ws->page = page;
	ws->w = w;
	ws->h = h;
}

static void words_emit(dp_words *ws)
{
	if (!ws->have)
		return;
	ws->have = 0;
	if (++ws->count > DP_MAX_WORDS)
		dp_fail(E_LIMIT, "a page has more than %u words", DP_MAX_WORDS);
	dp_out_begin('W', 21 + (uint64_t)ws->len);
	dp_out_u32(ws->page);
	dp_out_u32(ws->x0);
	dp_out_u32(ws->y0);
	dp_out_u32(ws->x1);
	dp_out_u32(ws->y1);
	dp_out_u8(ws->flags);
	dp_out_bytes(ws->text, ws->len);
}

/* Clamp [a, b] (pixels) into [0, lim] with a < b. */
static void clamp_span(double a, double b, uint32_t lim, uint32_t *o0, uint32_t *o1)
{
	if (!(a == a) || !(b == b)) /* NaN */
		a = b = 0;
	if (b < a) {
		double t = a;
		a = b;
		b = t;
	}
	double fa = a < 0 ? 0 : a > lim ? lim : a;
	double fb = b < 0 ? 0 : b > lim ? lim : b;
	uint32_t i0 = (uint32_t)fa, i1 = (uint32_t)(fb + 0.999);
	if (i1 > lim)
		i1 = lim;
	if (i0 >= i1) {
		if (i0 >= lim)
			i0 = lim - 1;
		i1 = i0 + 1;
	}
	*o0 = i0;
	*o1 = i1;
}

/* Characters a word may not carry: C0/C1 controls, DEL, and the invisible
 * format characters that could reorder or hide text (bidi overrides,
 * zero-width characters, BOM). */
static int banned(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
		(c >= 0x2060 && c <= 0x2069) || c == 0xfeff || g_unichar_isspace(c);
}

/* The cleaned text of a word: valid UTF-8 only, no banned character. */
static char *clean_text(const char *text, size_t len, size_t *olen)
{
	char *o = dp_xmalloc(len + 1);
	size_t n = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			p++; /* an invalid byte: dropped */
			continue;
		}
		const char *nx = g_utf8_next_char(p);
		if (nx > end)
			break;
		if (!banned(c)) {
			memcpy(o + n, p, (size_t)(nx - p));
			n += (size_t)(nx - p);
		}
		p = nx;
	}
	*olen = n;
	return o;
}

void dp_words_add(dp_words *ws, double x0, double y0, double x1, double y1, uint8_t flags, const char *text,
	size_t len)
{
	size_t n;
	char *t = clean_text(text, len, &n);
	if (!n) {
		free(t);
		dp_words_flags(ws, flags);
		return;
	}
	uint32_t bx0, by0, bx1, by1;
	clamp_span(x0, x1, ws->w, &bx0, &bx1);
	clamp_span(y0, y1, ws->h, &by0, &by1);
	/* A word over 256 bytes is cut at a character boundary into pieces that
	 * share its box (the text layer's own splitting keeps exact boxes). */
	size_t off = 0;
	while (off < n) {
		size_t take = n - off;
		if (take > DP_MAX_WORD) {
			take = DP_MAX_WORD;
			while (take > 0 && ((unsigned char)t[off + take] & 0xc0) == 0x80)
				take--;
			if (!take)
				break;
		}
		words_emit(ws);
		ws->have = 1;
		ws->x0 = bx0;
		ws->y0 = by0;
		ws->x1 = bx1;
		ws->y1 = by1;
		ws->flags = off + take >= n ? flags : 0;
		memcpy(ws->text, t + off, take);
		ws->len = take;
		off += take;
	}
	free(t);
}

void dp_words_flags(dp_words *ws, uint8_t flags)
{
	if (ws->have)
		ws->flags |= flags;
}

void dp_words_end(dp_words *ws)
{
	dp_words_flags(ws, 3);
	words_emit(ws);
}

/* ---- pixels ---- */

void dp_out_pix(uint32_t page, struct Pix *pix)
{
	l_int32 w = pixGetWidth(pix), h = pixGetHeight(pix), d = pixGetDepth(pix);
	if (w <= 0 || h <= 0 || (d != 8 && d != 32) || pixGetColormap(pix))
		dp_fail(E_INTERNAL, "an image of an unexpected kind");
	size_t ch = d == 32 ? 3 : 1, row, total;
	if (!dp_mul_ok((size_t)w, ch, &row) || !dp_mul_ok(row, (size_t)h, &total))
		dp_fail(E_LIMIT, "the page is too large");
	dp_out_begin('I', 13 + (uint64_t)total);
	dp_out_u32(page);
	dp_out_u32((uint32_t)w);
	dp_out_u32((uint32_t)h);
	dp_out_u8((uint8_t)ch);
	unsigned char *line = dp_xmalloc(row);
	l_uint32 *data = pixGetData(pix);
	l_int32 wpl = pixGetWpl(pix);
	for (l_int32 y = 0; y < h; y++) {
		l_uint32 *src = data + (size_t)y * (size_t)wpl;
		if (ch == 3) {
			unsigned char *o = line;
			for (l_int32 x = 0; x < w; x++) {
				l_uint32 v = src[x];
				*o++ = (unsigned char)(v >> 24);
				*o++ = (unsigned char)(v >> 16);
				*o++ = (unsigned char)(v >> 8);
			}
		} else {
			for (l_int32 x = 0; x < w; x++)
				line[x] = (unsigned char)GET_DATA_BYTE(src, x);
		}
		dp_out_bytes(line, row);
	}
	free(line);
}
