#include "crypto/der.h"
#include "util/error.h"

#include <string.h>

int cv__der_peek(const cv_der *in)
{
	return in->len ? in->p[0] : -1;
}

int cv__der_take(cv_der *in, unsigned char tag, cv_der *content)
{
	if (in->len < 2 || in->p[0] != tag)
		return -1;
	size_t pos = 1, len;
	unsigned char b = in->p[pos++];
	if (b < 0x80) {
		len = b;
	} else {
		size_t nbytes = b & 0x7f;
		if (nbytes == 0 || nbytes > 4 || in->len < pos + nbytes)
			return -1; /* indefinite lengths and > 4 GiB are refused */
		if (in->p[pos] == 0)
			return -1; /* not minimal */
		len = 0;
		for (size_t i = 0; i < nbytes; i++)
			len = len << 8 | in->p[pos++];
		if (len < 0x80)
			return -1; /* should have used the short form */
	}
	if (len > in->len - pos)
		return -1;
	content->p = in->p + pos;
	content->len = len;
	in->p += pos + len;
	in->len -= pos + len;
	return 0;
}

int cv__der_int(const cv_der *c, long *out)
{
	if (c->len < 1 || c->len > 4)
		return -1;
	if (c->p[0] & 0x80)
		return -1; /* negative */
	if (c->len > 1 && c->p[0] == 0 && !(c->p[1] & 0x80))
		return -1; /* not minimal */
	long v = 0;
	for (size_t i = 0; i < c->len; i++)
		v = v << 8 | c->p[i];
	*out = v;
	return 0;
}

int cv__der_eq(const cv_der *c, const unsigned char *bytes, size_t n)
{
	return c->len == n && memcmp(c->p, bytes, n) == 0;
}

size_t cv__der_hdr_len(size_t n)
{
	if (n < 0x80)
		return 2;
	if (n <= 0xff)
		return 3;
	if (n <= 0xffff)
		return 4;
	if (n <= 0xffffff)
		return 5;
	return 6;
}

int cv__der_put_hdr(cv_buf *b, unsigned char tag, size_t n)
{
	unsigned char h[6];
	size_t hl = 0;
	h[hl++] = tag;
	if (n < 0x80) {
		h[hl++] = (unsigned char)n;
	} else {
		size_t bytes = cv__der_hdr_len(n) - 2;
		if (n > 0xffffffffu)
			return cv__err(CV_EINVAL, "DER element too large");
		h[hl++] = (unsigned char)(0x80 | bytes);
		for (size_t i = bytes; i > 0; i--)
			h[hl++] = (unsigned char)(n >> (8 * (i - 1)));
	}
	return cv__buf_put(b, h, hl);
}

int cv__der_put(cv_buf *b, unsigned char tag, const void *content, size_t n)
{
	CV_TRY(cv__der_put_hdr(b, tag, n));
	return cv__buf_put(b, content, n);
}
