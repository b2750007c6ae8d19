#include "store/chunker.h"
#include "util/error.h"
#include "util/wipe.h"

#include <stdlib.h>
#include <string.h>

static unsigned log2u(size_t v)
{
	unsigned r = 0;
	while (v > 1) {
		v >>= 1;
		r++;
	}
	return r;
}

int cv__chunker_init(cv_chunker *c, const unsigned char seed[2048], size_t min, size_t avg, size_t max)
{
	memset(c, 0, sizeof *c);
	c->min = min ? min : CV_CHUNK_MIN;
	c->avg = avg ? avg : CV_CHUNK_AVG;
	c->max = max ? max : CV_CHUNK_MAX;
	if (!(c->min < c->avg && c->avg < c->max) || c->avg < 64 || c->max > (1u << 30))
		return cv__err(CV_EINVAL, "chunk sizes must satisfy min < avg < max, 64 <= avg and max <= 1 GiB");
	for (int i = 0; i < 256; i++) {
		uint64_t v = 0;
		for (int j = 0; j < 8; j++)
			v = v << 8 | seed[i * 8 + j];
		c->gear[i] = v;
	}
	/* Normalised chunking (FastCDC level 2): a harder mask before the average
	 * size, an easier one after. Gear hashes mix towards the high bits, so the
	 * masks test the top bits. */
	unsigned bits = log2u(c->avg);
	c->mask_s = ~0ULL << (64 - (bits + 2));
	c->mask_l = ~0ULL << (64 - (bits - 2));
	return 0; /* the buffer comes with the first bytes fed: a caller that
	           * keeps them itself (cv__chunker_next) never needs it */
}

/* Look for a cut point in the `len` pending bytes at `buf`, from `scan` on;
 * returns its length or 0. */
static size_t find_cut_in(cv_chunker *c, const unsigned char *buf, size_t len)
{
	size_t i = c->scan < c->min ? c->min : c->scan;
	uint64_t h = c->hash;
	size_t normal = c->avg < len ? c->avg : len;
	for (; i < normal; i++) {
		h = (h << 1) + c->gear[buf[i]];
		if (!(h & c->mask_s)) {
			c->hash = 0;
			return i + 1;
		}
	}
	size_t end = c->max < len ? c->max : len;
	for (; i < end; i++) {
		h = (h << 1) + c->gear[buf[i]];
		if (!(h & c->mask_l)) {
			c->hash = 0;
			return i + 1;
		}
	}
	c->hash = h;
	c->scan = i;
	if (len >= c->max) {
		c->hash = 0;
		return c->max;
	}
	return 0;
}

static size_t find_cut(cv_chunker *c)
{
	return find_cut_in(c, c->buf + c->start, c->len);
}

size_t cv__chunker_next(cv_chunker *c, const unsigned char *pending, size_t len)
{
	return len > c->min ? find_cut_in(c, pending, len) : 0;
}

void cv__chunker_restart(cv_chunker *c)
{
	c->scan = 0;
	c->hash = 0;
}

/* The rest moves to the front only when more input needs the room: moving
 * it after every cut copied a large document's bytes twice more. */
static int cut(cv_chunker *c, size_t n, cv_chunk_fn emit, void *payload)
{
	int rc = emit(c->buf + c->start, n, payload);
	c->start += n;
	c->len -= n;
	if (!c->len)
		c->start = 0;
	c->scan = 0;
	c->hash = 0;
	return rc;
}

int cv__chunker_feed(cv_chunker *c, const void *data, size_t len, cv_chunk_fn emit, void *payload)
{
	const unsigned char *p = data;
	if (!c->buf && len && !(c->buf = malloc(c->max)))
		return cv__oom();
	while (len) {
		if (c->start && c->start + c->len + len > c->max) {
			memmove(c->buf, c->buf + c->start, c->len);
			c->start = 0;
		}
		size_t room = c->max - c->start - c->len;
		size_t take = len < room ? len : room;
		memcpy(c->buf + c->start + c->len, p, take);
		c->len += take;
		p += take;
		len -= take;
		for (;;) {
			if (c->len <= c->min)
				break;
			size_t n = find_cut(c);
			if (!n)
				break;
			CV_TRY(cut(c, n, emit, payload));
		}
	}
	return 0;
}

int cv__chunker_finish(cv_chunker *c, cv_chunk_fn emit, void *payload)
{
	while (c->len > c->min) {
		size_t n = find_cut(c);
		if (!n)
			break;
		CV_TRY(cut(c, n, emit, payload));
	}
	int rc = 0;
	if (c->len)
		rc = cut(c, c->len, emit, payload);
	c->len = c->scan = c->start = 0;
	c->hash = 0;
	return rc;
}

void cv__chunker_dispose(cv_chunker *c)
{
	if (c->buf)
		cv__wipe(c->buf, c->max);
	free(c->buf);
	cv__wipe(c->gear, sizeof c->gear);
	c->buf = NULL;
}
