#include "util/buf.h"
#include "util/error.h"
#include "util/wipe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cv__buf_reserve(cv_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2)
			return cv__oom();
		cap *= 2;
	}
	/* Not realloc: buffers hold plaintext, and realloc would free the old
	 * block with its content still in it. */
	unsigned char *p = malloc(cap);
	if (!p)
		return cv__oom();
	if (b->data) {
		memcpy(p, b->data, b->len);
		cv__wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int cv__buf_put(cv_buf *b, const void *p, size_t n)
{
	if (!n)
		return 0;
	CV_TRY(cv__buf_reserve(b, n));
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int cv__buf_putc(cv_buf *b, unsigned char c)
{
	return cv__buf_put(b, &c, 1);
}

int cv__buf_puts(cv_buf *b, const char *s)
{
	return cv__buf_put(b, s, strlen(s));
}

int cv__buf_printf(cv_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cv__err(CV_ERROR, "formatting failed");
	CV_TRY(cv__buf_reserve(b, (size_t)n));
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int cv__buf_put_u32be(cv_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v };
	return cv__buf_put(b, x, 4);
}

int cv__buf_put_u64be(cv_buf *b, uint64_t v)
{
	CV_TRY(cv__buf_put_u32be(b, (uint32_t)(v >> 32)));
	return cv__buf_put_u32be(b, (uint32_t)v);
}

int cv__buf_put_field(cv_buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX)
		return cv__err(CV_EINVAL, "field too long");
	CV_TRY(cv__buf_put_u32be(b, (uint32_t)n));
	return cv__buf_put(b, p, n);
}

int cv__buf_cstr(cv_buf *b)
{
	CV_TRY(cv__buf_reserve(b, 0));
	b->data[b->len] = '\0';
	return 0;
}

void cv__buf_clear(cv_buf *b)
{
	b->len = 0;
}

void cv__buf_dispose(cv_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void cv__buf_wipe_dispose(cv_buf *b)
{
	cv__wipe(b->data, b->cap);
	cv__buf_dispose(b);
}

char *cv__buf_detach(cv_buf *b)
{
	if (cv__buf_cstr(b) < 0)
		return NULL;
	char *p = (char *)b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int cv__grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	while (nc <= n)
		nc *= 2;
	void *p = realloc(*arr, nc * size);
	if (!p)
		return cv__oom();
	memset((char *)p + *cap * size, 0, (nc - *cap) * size);
	*arr = p;
	*cap = nc;
	return 0;
}
