/* libFuzzer target: the answer of the sandboxed document parser
 * (core/pages/proto.c), the boundary where a compromised parser could
 * attack the library. The first byte picks the mode and how the answer is
 * cut into chunks (as pipe reads would cut it); beyond "no crash, no
 * leak", whatever is accepted must respect the protocol: pages in order,
 * words inside their page, one image per page of the page's size. */
#include "pages/proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

typedef struct seen {
	cv_dp_page page;
	uint32_t pages;
	size_t bytes;
} seen;

static int on_page(void *u, const cv_dp_page *p)
{
	seen *s = u;
	CHECK(p->index == s->pages && p->width && p->height && (uint64_t)p->width * p->height <= CV_DP_MAX_PIXELS);
	s->page = *p;
	s->pages++;
	return 0;
}

static int on_word(void *u, uint32_t page, const uint32_t box[4], unsigned flags, const char *text, size_t len)
{
	seen *s = u;
	CHECK(s->pages && page == s->page.index);
	CHECK(box[0] < box[2] && box[1] < box[3] && box[2] <= s->page.width && box[3] <= s->page.height);
	CHECK(len >= 1 && len <= CV_DP_MAX_WORD);
	for (size_t i = 0; i < len; i++)
		s->bytes += (unsigned char)text[i] >= 0x20;
	(void)flags;
	return 0;
}

static int on_image(void *u, uint32_t page, uint32_t w, uint32_t h, unsigned ch, const unsigned char *px)
{
	seen *s = u;
	CHECK(page == s->page.index && w == s->page.width && h == s->page.height && (ch == 1 || ch == 3));
	s->bytes += px[(size_t)w * h * ch - 1]; /* the whole image is there */
	return 0;
}

static int on_document(void *u, const unsigned char *pdf, size_t len)
{
	seen *s = u;
	CHECK(len >= 1 && len <= CV_DP_MAX_DOCUMENT);
	s->bytes += pdf[len - 1];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	cv_dp_mode mode = (cv_dp_mode)(data[0] % 3 + 1);
	size_t chunk = (size_t)(data[0] >> 2) + 1;
	seen s;
	memset(&s, 0, sizeof s);
	cv_dp_handler h = { on_page, on_word, on_image, on_document, &s };
	cv_dp_parser p;
	cv__dp_init(&p, mode, 0, &h);
	int rc = 0;
	for (size_t off = 1; !rc && off < size; off += chunk)
		rc = cv__dp_feed(&p, data + off, off + chunk <= size ? chunk : size - off);
	if (!rc && cv__dp_finish(&p) == 0)
		CHECK(p.ended && !p.ecode);
	cv__dp_dispose(&p);
	return 0;
}
