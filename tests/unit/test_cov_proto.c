/* The sandboxed document parser's answer (pages/proto.c), read as hostile
 * input: a well-formed answer is handed on record by record, the same
 * whether it arrives in one piece or one byte at a time; every malformed
 * answer is refused with CV_EINVAL and the reason, before the bad record
 * reaches the handler: wrong magic, a record the mode may not hold or one
 * longer than allowed, pages out of order or out of bounds, words outside
 * their page or not text, images that do not fit, a page without its image,
 * a conversion without its document, page counts that disagree, bytes after
 * the end, an answer cut short. The parser's own error record ends the
 * answer with its message made printable. */
#include "support.h"
#include "pages/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ans {
	unsigned char b[1 << 16];
	size_t n;
} ans;

static void put(ans *a, const void *p, size_t n)
{
	assert_true(a->n + n <= sizeof a->b);
	memcpy(a->b + a->n, p, n);
	a->n += n;
}

static void u32(unsigned char *o, uint32_t v)
{
	o[0] = (unsigned char)v;
	o[1] = (unsigned char)(v >> 8);
	o[2] = (unsigned char)(v >> 16);
	o[3] = (unsigned char)(v >> 24);
}

static void start(ans *a)
{
	static const unsigned char magic[8] = { 'C', 'V', 'D', 'P', 1, 0, 0, 0 };
	a->n = 0;
	put(a, magic, 8);
}

static void rec(ans *a, char type, const void *payload, uint32_t len)
{
	unsigned char h[5];
	h[0] = (unsigned char)type;
	u32(h + 1, len);
	put(a, h, 5);
	put(a, payload, len);
}

static void page(ans *a, uint32_t index, uint32_t w, uint32_t h, uint32_t dpi, uint32_t rot, int32_t skew, char src)
{
	unsigned char p[25];
	u32(p, index);
	u32(p + 4, w);
	u32(p + 8, h);
	u32(p + 12, dpi);
	u32(p + 16, rot);
	u32(p + 20, (uint32_t)skew);
	p[24] = (unsigned char)src;
	rec(a, 'P', p, 25);
}

static void word(ans *a, uint32_t pg, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, const char *text)
{
	unsigned char w[21 + 300];
	size_t n = strlen(text);
	u32(w, pg);
	u32(w + 4, x0);
	u32(w + 8, y0);
	u32(w + 12, x1);
	u32(w + 16, y1);
	w[20] = 0;
	memcpy(w + 21, text, n);
	rec(a, 'W', w, (uint32_t)(21 + n));
}

static void image(ans *a, uint32_t pg, uint32_t w, uint32_t h, unsigned ch, size_t pixels_len)
{
	static unsigned char px[13 + 4096];
	assert_true(pixels_len <= 4096);
	u32(px, pg);
	u32(px + 4, w);
	u32(px + 8, h);
	px[12] = (unsigned char)ch;
	memset(px + 13, 0x80, pixels_len);
	rec(a, 'I', px, (uint32_t)(13 + pixels_len));
}

static void end(ans *a, uint32_t pages)
{
	unsigned char z[4];
	u32(z, pages);
	rec(a, 'Z', z, 4);
}

/* What the handler saw. */
typedef struct seen {
	int pages, words, images, docs;
	char text[256];
} seen;

static int on_page(void *u, const cv_dp_page *p)
{
	seen *s = u;
	assert_int_equal(p->index, (uint32_t)s->pages);
	s->pages++;
	return 0;
}

static int on_word(void *u, uint32_t pg, const uint32_t box[4], unsigned flags, const char *t, size_t len)
{
	seen *s = u;
	s->words++;
	strncat(s->text, t, len < 40 ? len : 40);
	strcat(s->text, " ");
	return 0;
}

static int on_image(void *u, uint32_t pg, uint32_t w, uint32_t h, unsigned ch, const unsigned char *px)
{
	seen *s = u;
	s->images++;
	assert_int_equal(px[0], 0x80);
	return 0;
}

static int on_doc(void *u, const unsigned char *pdf, size_t len)
{
	seen *s = u;
	s->docs++;
	return 0;
}

/* Feed the answer (in one piece, or one byte at a time) then finish. */
static int run(const ans *a, cv_dp_mode mode, uint32_t max_pages, seen *s, int bytewise)
{
	memset(s, 0, sizeof *s);
	cv_dp_handler h = { on_page, on_word, on_image, on_doc, s };
	cv_dp_parser p;
	cv__dp_init(&p, mode, max_pages, &h);
	int rc = 0;
	if (bytewise)
		for (size_t i = 0; !rc && i < a->n; i++)
			rc = cv__dp_feed(&p, a->b + i, 1);
	else
		rc = cv__dp_feed(&p, a->b, a->n);
	if (!rc)
		rc = cv__dp_finish(&p);
	cv__dp_dispose(&p);
	return rc;
}

static void malformed(const ans *a, cv_dp_mode mode, const char *why)
{
	seen s;
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		int rc = run(a, mode, 0, &s, bytewise);
		const char *msg = cv_error_last()->message;
		if (rc != CV_EINVAL)
			fail_msg("'%s': code %d (%s)", why, rc, msg);
		if (!strstr(msg, why))
			fail_msg("wanted '%s', got: %s", why, msg);
	}
}

static void good_answers(void **st)
{
	(void)st;
	ans a;
	seen s;
	start(&a);
	page(&a, 0, 100, 200, 300, 0, 0, 't');
	word(&a, 0, 1, 2, 30, 12, "Jugement");
	word(&a, 0, 31, 2, 60, 12, "d\xc3\xa9" "finitif");
	page(&a, 1, 100, 200, 300, 90, -1500, 'o');
	word(&a, 1, 5, 5, 6, 6, "x");
	end(&a, 2);
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		assert_int_equal(run(&a, CV_DP_WORDS, 0, &s, bytewise), 0);
		assert_int_equal(s.pages, 2);
		assert_int_equal(s.words, 3);
		assert_string_equal(s.text, "Jugement d\xc3\xa9" "finitif x ");
	}
	/* pixels: each page with its image, grey or colour */
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	image(&a, 0, 4, 3, 1, 12);
	page(&a, 1, 4, 3, 150, 270, 45000, 'o');
	image(&a, 1, 4, 3, 3, 36);
	end(&a, 2);
	assert_int_equal(run(&a, CV_DP_PIXELS, 0, &s, 1), 0);
	assert_int_equal(s.images, 2);
	/* a conversion: one document, no page */
	start(&a);
	rec(&a, 'D', "%PDF-1.7 ...", 12);
	end(&a, 0);
	assert_int_equal(run(&a, CV_DP_CONVERT, 0, &s, 0), 0);
	assert_int_equal(s.docs, 1);
}

static void malformed_answers(void **st)
{
	(void)st;
	ans a;
	/* the envelope */
	start(&a);
	a.b[4] = 2; /* version 2 */
	end(&a, 0);
	malformed(&a, CV_DP_WORDS, "not a casevault-docparse version 1 answer");
	start(&a);
	rec(&a, 'Q', "", 0);
	malformed(&a, CV_DP_WORDS, "a record this answer may not hold");
	start(&a);
	image(&a, 0, 1, 1, 1, 1); /* pixels in a words answer */
	malformed(&a, CV_DP_WORDS, "a record this answer may not hold");
	start(&a);
	rec(&a, 'D', "x", 1); /* a document in a words answer */
	malformed(&a, CV_DP_WORDS, "a record this answer may not hold");
	start(&a);
	page(&a, 0, 100, 100, 300, 0, 0, 't');
	{
		unsigned char w[21 + 257];
		memset(w, 'a', sizeof w);
		rec(&a, 'W', w, sizeof w); /* a word of 257 bytes */
	}
	malformed(&a, CV_DP_WORDS, "a record longer than allowed");
	start(&a);
	rec(&a, 'P', "short", 5);
	malformed(&a, CV_DP_WORDS, "page record of the wrong length");
	start(&a);
	rec(&a, 'Z', "\0\0", 2);
	malformed(&a, CV_DP_WORDS, "end record of the wrong length");

	/* pages */
	start(&a);
	page(&a, 1, 100, 100, 300, 0, 0, 't');
	malformed(&a, CV_DP_WORDS, "pages out of order");
	start(&a);
	page(&a, 0, 0, 100, 300, 0, 0, 't');
	malformed(&a, CV_DP_WORDS, "page size out of bounds");
	start(&a);
	page(&a, 0, 20001, 10, 300, 0, 0, 't');
	malformed(&a, CV_DP_WORDS, "page size out of bounds");
	start(&a);
	page(&a, 0, 10000, 10000, 300, 0, 0, 't'); /* 10^8 pixels */
	malformed(&a, CV_DP_WORDS, "page size out of bounds");
	static const struct { uint32_t dpi, rot; int32_t skew; char src; } geo[] = {
		{ 49, 0, 0, 't' }, { 1201, 0, 0, 't' }, { 300, 45, 0, 't' }, { 300, 360, 0, 't' },
		{ 300, 0, 45001, 't' }, { 300, 0, -45001, 't' }, { 300, 0, 0, 'x' },
	};
	for (size_t i = 0; i < sizeof geo / sizeof *geo; i++) {
		start(&a);
		page(&a, 0, 100, 100, geo[i].dpi, geo[i].rot, geo[i].skew, geo[i].src);
		malformed(&a, CV_DP_WORDS, "page geometry out of bounds");
	}
	start(&a);
	page(&a, 0, 10, 10, 300, 0, 0, 't');
	malformed(&a, CV_DP_CONVERT, "a page in a conversion");

	/* words */
	start(&a);
	word(&a, 0, 1, 1, 2, 2, "x");
	malformed(&a, CV_DP_WORDS, "a word outside the current page");
	start(&a);
	page(&a, 0, 100, 100, 300, 0, 0, 't');
	word(&a, 1, 1, 1, 2, 2, "x");
	malformed(&a, CV_DP_WORDS, "a word outside the current page");
	static const uint32_t boxes[][4] = { { 5, 1, 5, 2 }, { 1, 5, 2, 4 }, { 1, 1, 101, 2 }, { 1, 1, 2, 101 } };
	for (size_t i = 0; i < 4; i++) {
		start(&a);
		page(&a, 0, 100, 100, 300, 0, 0, 't');
		word(&a, 0, boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3], "x");
		malformed(&a, CV_DP_WORDS, "a word box outside its page");
	}
	static const char *const not_text[] = { "caf\xe9", "a\tb", "del\x7f", "\xc3" };
	for (size_t i = 0; i < 4; i++) {
		start(&a);
		page(&a, 0, 100, 100, 300, 0, 0, 't');
		word(&a, 0, 1, 1, 2, 2, not_text[i]);
		malformed(&a, CV_DP_WORDS, "a word that is not text");
	}
	start(&a);
	page(&a, 0, 100, 100, 300, 0, 0, 't');
	rec(&a, 'W', "0123456789", 10);
	malformed(&a, CV_DP_WORDS, "short word record");

	/* images */
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	page(&a, 1, 4, 3, 150, 0, 0, 'o');
	malformed(&a, CV_DP_PIXELS, "a page without its image");
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	end(&a, 1);
	malformed(&a, CV_DP_PIXELS, "the page count does not match");
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	image(&a, 0, 4, 3, 1, 12);
	image(&a, 0, 4, 3, 1, 12);
	malformed(&a, CV_DP_PIXELS, "an image outside its page");
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	image(&a, 0, 3, 4, 1, 12);
	malformed(&a, CV_DP_PIXELS, "an image that does not fit its page");
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	image(&a, 0, 4, 3, 2, 24);
	malformed(&a, CV_DP_PIXELS, "an image that does not fit its page");
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	image(&a, 0, 4, 3, 3, 35);
	malformed(&a, CV_DP_PIXELS, "an image of the wrong length");
	start(&a);
	page(&a, 0, 4, 3, 150, 0, 0, 'o');
	rec(&a, 'I', "012345678901", 12);
	malformed(&a, CV_DP_PIXELS, "short image record");

	/* conversions */
	start(&a);
	end(&a, 0);
	malformed(&a, CV_DP_CONVERT, "a conversion without its document");
	start(&a);
	rec(&a, 'D', "a", 1);
	rec(&a, 'D', "b", 1);
	malformed(&a, CV_DP_CONVERT, "an empty or second document");
	start(&a);
	rec(&a, 'D', "", 0);
	malformed(&a, CV_DP_CONVERT, "an empty or second document");

	/* the end */
	start(&a);
	end(&a, 1);
	malformed(&a, CV_DP_WORDS, "the page count does not match");
	start(&a);
	end(&a, 0);
	end(&a, 0);
	malformed(&a, CV_DP_WORDS, "bytes after the end");
	start(&a);
	page(&a, 0, 100, 100, 300, 0, 0, 't');
	malformed(&a, CV_DP_WORDS, "the answer ends before its end record");
	start(&a);
	a.n = 5; /* not even the magic */
	malformed(&a, CV_DP_WORDS, "the answer ends before its end record");
	start(&a);
	end(&a, 0);
	a.n -= 2; /* cut inside the end record */
	malformed(&a, CV_DP_WORDS, "the answer ends before its end record");
}

static void page_limit(void **st)
{
	(void)st;
	ans a;
	seen s;
	start(&a);
	page(&a, 0, 10, 10, 300, 0, 0, 't');
	page(&a, 1, 10, 10, 300, 0, 0, 't');
	end(&a, 2);
	assert_int_equal(run(&a, CV_DP_WORDS, 2, &s, 0), 0);
	assert_int_equal(run(&a, CV_DP_WORDS, 1, &s, 0), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "the document has more than 1 pages"));
	assert_int_equal(s.pages, 1); /* the second page never reached the handler */
}

static void parser_error_record(void **st)
{
	(void)st;
	ans a;
	seen s;
	start(&a);
	page(&a, 0, 10, 10, 300, 0, 0, 't');
	rec(&a, 'E', "\x02" "encrypted PDF\x1b[31m\n", 20);
	int rc = run(&a, CV_DP_WORDS, 0, &s, 0);
	assert_int_equal(rc, CV_EINVAL);
	assert_string_equal(cv_error_last()->message, "encrypted PDF?[31m?");
	/* bytes after it change nothing but are still refused */
	end(&a, 1);
	assert_int_equal(run(&a, CV_DP_WORDS, 0, &s, 0), CV_EINVAL);
	/* an empty message, an unknown code */
	start(&a);
	rec(&a, 'E', "\x09", 1);
	assert_int_equal(run(&a, CV_DP_WORDS, 0, &s, 1), CV_EINVAL);
	assert_string_equal(cv_error_last()->message, "the document was refused by its parser");
	start(&a);
	rec(&a, 'E', "", 0);
	malformed(&a, CV_DP_WORDS, "empty error record");
}

CVT_MAIN(cmocka_unit_test(good_answers),
	cmocka_unit_test(malformed_answers),
	cmocka_unit_test(page_limit),
	cmocka_unit_test(parser_error_record))
