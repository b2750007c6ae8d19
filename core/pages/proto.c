/* The sandboxed parser's answer, checked as hostile input: every length is
 * bounded before anything is allocated, records must come in the order the
 * protocol gives, words must lie inside their page and be UTF-8 text. A
 * record is only handed on once it is whole and checked. */
#include "pages/proto.h"
#include "util/error.h"
#include "util/text.h"
#include "util/wipe.h"

#include <stdio.h>
#include <string.h>

static const unsigned char MAGIC[8] = { 'C', 'V', 'D', 'P', 1, 0, 0, 0 };

static uint32_t rd32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int bad(const char *why)
{
	return cv__err(CV_EINVAL, "the document parser's answer is malformed (%s)", why);
}

void cv__dp_init(cv_dp_parser *p, cv_dp_mode mode, uint32_t max_pages, const cv_dp_handler *h)
{
	memset(p, 0, sizeof *p);
	p->mode = mode;
	p->max_pages = max_pages && max_pages < CV_DP_MAX_PAGES ? max_pages : CV_DP_MAX_PAGES;
	p->h = *h;
}

void cv__dp_dispose(cv_dp_parser *p)
{
	cv__buf_wipe_dispose(&p->rec);
}

/* The largest payload a record of this type may have in this mode. */
static uint64_t max_len(const cv_dp_parser *p, unsigned char type)
{
	switch (type) {
	case 'P': return 25;
	case 'W': return p->mode == CV_DP_WORDS ? 21 + CV_DP_MAX_WORD : 0;
	case 'I': return p->mode == CV_DP_PIXELS ? 13 + (uint64_t)CV_DP_MAX_PIXELS * 3 : 0;
	case 'D': return p->mode == CV_DP_CONVERT ? CV_DP_MAX_DOCUMENT : 0;
	case 'E': return 1 + 500;
	case 'Z': return 4;
	default: return 0;
	}
}

/* The parser's own refusal: its message is untrusted text, kept printable. */
static int on_error(cv_dp_parser *p, const unsigned char *b, uint32_t len)
{
	if (len < 1)
		return bad("empty error record");
	p->ecode = b[0] >= CV_DP_EMALFORMED && b[0] <= CV_DP_EINTERNAL ? b[0] : CV_DP_EINTERNAL;
	size_t n = 0;
	for (uint32_t i = 1; i < len && n + 1 < sizeof p->emsg; i++)
		p->emsg[n++] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '?';
	p->emsg[n] = '\0';
	p->ended = 1;
	return cv__err(CV_EINVAL, "%s", n ? p->emsg : "the document was refused by its parser");
}

/* A page may close only once it has what the mode requires. */
static int page_closed(const cv_dp_parser *p)
{
	return p->pages == 0 || p->mode != CV_DP_PIXELS || p->images == 1;
}

static int on_page(cv_dp_parser *p, const unsigned char *b)
{
	cv_dp_page g = { rd32(b), rd32(b + 4), rd32(b + 8), rd32(b + 12), rd32(b + 16), (int32_t)rd32(b + 20), (char)b[24] };
	if (p->mode == CV_DP_CONVERT)
		return bad("a page in a conversion");
	if (!page_closed(p))
		return bad("a page without its image");
	if (g.index != p->pages)
		return bad("pages out of order");
	if (p->pages >= p->max_pages)
		return cv__err(CV_EINVAL, "the document has more than %u pages", p->max_pages);
	if (!g.width || !g.height || g.width > CV_DP_MAX_SIDE || g.height > CV_DP_MAX_SIDE ||
		(uint64_t)g.width * g.height > CV_DP_MAX_PIXELS)
		return bad("page size out of bounds");
	if (g.dpi < 50 || g.dpi > 1200 || g.rotation % 90 || g.rotation > 270 || g.skew < -45000 || g.skew > 45000 ||
		(g.source != 't' && g.source != 'o'))
		return bad("page geometry out of bounds");
	p->cur = g;
	p->pages++;
	p->words = p->images = 0;
	return p->h.page ? p->h.page(p->h.u, &g) : 0;
}

static int word_text_ok(const unsigned char *t, size_t n)
{
	if (n < 1 || n > CV_DP_MAX_WORD || !cv__utf8_valid((const char *)t, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x20 || t[i] == 0x7f)
			return 0;
	return 1;
}

static int on_word(cv_dp_parser *p, const unsigned char *b, uint32_t len)
{
	if (len < 22)
		return bad("short word record");
	uint32_t page = rd32(b), box[4] = { rd32(b + 4), rd32(b + 8), rd32(b + 12), rd32(b + 16) };
	if (!p->pages || page != p->cur.index)
		return bad("a word outside the current page");
	if (box[0] >= box[2] || box[1] >= box[3] || box[2] > p->cur.width || box[3] > p->cur.height)
		return bad("a word box outside its page");
	if (++p->words > CV_DP_MAX_WORDS_PER_PAGE)
		return bad("too many words on a page");
	if (!word_text_ok(b + 21, len - 21))
		return bad("a word that is not text");
	return p->h.word ? p->h.word(p->h.u, page, box, b[20], (const char *)b + 21, len - 21) : 0;
}

static int on_image(cv_dp_parser *p, const unsigned char *b, uint32_t len)
{
	if (len < 13)
		return bad("short image record");
	uint32_t page = rd32(b), w = rd32(b + 4), h = rd32(b + 8);
	unsigned ch = b[12];
	if (!p->pages || page != p->cur.index || p->images)
		return bad("an image outside its page");
	if (w != p->cur.width || h != p->cur.height || (ch != 1 && ch != 3))
		return bad("an image that does not fit its page");
	if ((uint64_t)len != 13 + (uint64_t)w * h * ch)
		return bad("an image of the wrong length");
	p->images = 1;
	return p->h.image ? p->h.image(p->h.u, page, w, h, ch, b + 13) : 0;
}

static int on_end(cv_dp_parser *p, const unsigned char *b)
{
	if (rd32(b) != p->pages || !page_closed(p))
		return bad("the page count does not match");
	if (p->mode == CV_DP_CONVERT && p->images != 1)
		return bad("a conversion without its document");
	p->ended = 1;
	return 0;
}

/* One whole record. */
static int dispatch(cv_dp_parser *p)
{
	const unsigned char *b = p->rec.data;
	uint32_t len = p->len;
	switch (p->type) {
	case 'P': return len == 25 ? on_page(p, b) : bad("page record of the wrong length");
	case 'W': return on_word(p, b, len);
	case 'I': return on_image(p, b, len);
	case 'D':
		if (!len || p->images)
			return bad("an empty or second document");
		p->images = 1;
		return p->h.document ? p->h.document(p->h.u, b, len) : 0;
	case 'E': return on_error(p, b, len);
	case 'Z': return len == 4 ? on_end(p, b) : bad("end record of the wrong length");
	default: return bad("unknown record");
	}
}

/* The five bytes before a payload: its type and a length bounded for it. */
static int record_head(cv_dp_parser *p)
{
	p->type = p->hdr[0];
	p->len = rd32(p->hdr + 1);
	uint64_t max = max_len(p, p->type);
	if (!max)
		return bad("a record this answer may not hold");
	if (p->len > max)
		return bad("a record longer than allowed");
	cv__wipe(p->rec.data, p->rec.len);
	p->rec.len = 0;
	return cv__buf_reserve(&p->rec, p->len ? p->len : 1);
}

static size_t take(unsigned char *dst, size_t want, const unsigned char **src, size_t *left)
{
	size_t n = want < *left ? want : *left;
	memcpy(dst, *src, n);
	*src += n;
	*left -= n;
	return n;
}

int cv__dp_feed(cv_dp_parser *p, const void *data, size_t len)
{
	const unsigned char *s = data;
	while (len) {
		if (p->ended)
			return p->ecode ? CV_EINVAL : bad("bytes after the end");
		if (!p->header_done) {
			p->have += take(p->hdr + p->have, 8 - p->have, &s, &len);
			if (p->have < 8)
				return 0;
			if (memcmp(p->hdr, MAGIC, 8))
				return bad("not a casevault-docparse version 1 answer");
			p->header_done = 1;
			p->have = 0;
			continue;
		}
		if (p->have < 5) { /* record head */
			p->have += take(p->hdr + p->have, 5 - p->have, &s, &len);
			if (p->have == 5)
				CV_TRY(record_head(p));
			if (p->have < 5 || p->len)
				continue;
		} else {
			size_t n = take(p->rec.data + p->rec.len, p->len - p->rec.len, &s, &len);
			p->rec.len += n;
			if (p->rec.len < p->len)
				continue;
		}
		p->have = 0;
		int rc = dispatch(p);
		cv__wipe(p->rec.data, p->rec.len);
		p->rec.len = 0;
		if (rc)
			return rc;
	}
	return 0;
}

int cv__dp_finish(cv_dp_parser *p)
{
	if (p->ecode)
		return cv__err(CV_EINVAL, "%s", p->emsg[0] ? p->emsg : "the document was refused by its parser");
	if (!p->ended || p->have)
		return bad("the answer ends before its end record");
	return 0;
}
