/* crypto/der: the strict reader refuses every non-DER or out-of-bounds
 * encoding, and the writer produces minimal headers the reader accepts. */
#include "support.h"
#include "crypto/der.h"

#include <stdlib.h>
#include <string.h>

static int take(const unsigned char *p, size_t n, unsigned char tag, cv_der *content, size_t *rest)
{
	cv_der in = { p, n };
	int rc = cv__der_take(&in, tag, content);
	if (!rc && rest)
		*rest = in.len;
	return rc;
}

static void test_short_form(void **s)
{
	(void)s;
	const unsigned char ok[] = { 0x04, 0x03, 'a', 'b', 'c', 0x05, 0x00 };
	cv_der in = { ok, sizeof ok }, c;
	assert_int_equal(cv__der_peek(&in), 0x04);
	assert_int_equal(cv__der_take(&in, 0x04, &c), 0);
	assert_int_equal(c.len, 3);
	assert_memory_equal(c.p, "abc", 3);
	assert_int_equal(in.len, 2);
	assert_int_equal(cv__der_peek(&in), 0x05);
	assert_int_equal(cv__der_take(&in, 0x05, &c), 0);
	assert_int_equal(c.len, 0);
	assert_int_equal(in.len, 0);
	assert_int_equal(cv__der_peek(&in), -1);
	assert_int_equal(cv__der_take(&in, 0x05, &c), -1);
}

static void test_wrong_tag(void **s)
{
	(void)s;
	const unsigned char p[] = { 0x04, 0x01, 0x00 };
	cv_der in = { p, sizeof p }, c;
	assert_int_equal(cv__der_take(&in, 0x30, &c), -1);
	assert_int_equal(in.len, 3); /* nothing consumed on failure */
}

static void test_indefinite_length(void **s)
{
	(void)s;
	const unsigned char p[] = { 0x30, 0x80, 0x04, 0x00, 0x00, 0x00 };
	cv_der c;
	assert_int_equal(take(p, sizeof p, 0x30, &c, NULL), -1);
}

static void test_non_minimal_long_form(void **s)
{
	(void)s;
	cv_der c;
	unsigned char buf[300];
	memset(buf, 0x41, sizeof buf);
	/* leading zero length byte: 0x82 0x00 0x90 */
	buf[0] = 0x04; buf[1] = 0x82; buf[2] = 0x00; buf[3] = 0x90;
	assert_int_equal(take(buf, 4 + 0x90, 0x04, &c, NULL), -1);
	/* long form for a length that fits the short form: 0x81 0x05 */
	buf[0] = 0x04; buf[1] = 0x81; buf[2] = 0x05;
	assert_int_equal(take(buf, 3 + 5, 0x04, &c, NULL), -1);
	buf[1] = 0x81; buf[2] = 0x7f;
	assert_int_equal(take(buf, 3 + 0x7f, 0x04, &c, NULL), -1);
	/* ...but 0x81 0x80 is the minimal form of 128 */
	buf[1] = 0x81; buf[2] = 0x80;
	size_t rest = 99;
	assert_int_equal(take(buf, 3 + 0x80, 0x04, &c, &rest), 0);
	assert_int_equal(c.len, 0x80);
	assert_int_equal(rest, 0);
	/* 0x82 0x00 0x80: two bytes where one does */
	buf[1] = 0x82; buf[2] = 0x00; buf[3] = 0x80;
	assert_int_equal(take(buf, 4 + 0x80, 0x04, &c, NULL), -1);
	/* more than 4 length bytes */
	const unsigned char five[] = { 0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00 };
	assert_int_equal(take(five, sizeof five, 0x04, &c, NULL), -1);
}

static void test_length_past_end(void **s)
{
	(void)s;
	cv_der c;
	const unsigned char a[] = { 0x04, 0x05, 'a', 'b' };
	assert_int_equal(take(a, sizeof a, 0x04, &c, NULL), -1);
	const unsigned char b[] = { 0x04, 0x81, 0x90, 'a' };
	assert_int_equal(take(b, sizeof b, 0x04, &c, NULL), -1);
	/* the length bytes themselves cut off */
	const unsigned char d[] = { 0x04, 0x82, 0x01 };
	assert_int_equal(take(d, sizeof d, 0x04, &c, NULL), -1);
	const unsigned char e[] = { 0x04 };
	assert_int_equal(take(e, sizeof e, 0x04, &c, NULL), -1);
	/* huge lengths that would wrap a pointer */
	const unsigned char f[] = { 0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 'x' };
	assert_int_equal(take(f, sizeof f, 0x04, &c, NULL), -1);
	/* an inner element longer than its outer one: the outer content is the bound */
	const unsigned char g[] = { 0x30, 0x03, 0x04, 0x05, 'a', 'b', 'c', 'd', 'e' };
	cv_der in = { g, sizeof g }, seq;
	assert_int_equal(cv__der_take(&in, 0x30, &seq), 0);
	assert_int_equal(seq.len, 3);
	assert_int_equal(cv__der_take(&seq, 0x04, &c), -1);
}

static long int_of(const unsigned char *p, size_t n, int *rc)
{
	cv_der c = { p, n };
	long v = -999;
	*rc = cv__der_int(&c, &v);
	return v;
}

static void test_integers(void **s)
{
	(void)s;
	int rc;
	const unsigned char zero[] = { 0x00 }, four[] = { 0x04 }, x80[] = { 0x00, 0x80 }, big[] = { 0x01, 0x00, 0x00 };
	assert_int_equal(int_of(zero, 1, &rc), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(int_of(four, 1, &rc), 4);
	assert_int_equal(rc, 0);
	assert_int_equal(int_of(x80, 2, &rc), 128);
	assert_int_equal(rc, 0);
	assert_int_equal(int_of(big, 3, &rc), 65536);
	assert_int_equal(rc, 0);
	/* negative */
	const unsigned char neg[] = { 0xff }, neg2[] = { 0x80, 0x00 };
	int_of(neg, 1, &rc);
	assert_int_equal(rc, -1);
	int_of(neg2, 2, &rc);
	assert_int_equal(rc, -1);
	/* non-minimal: a leading zero not needed for the sign */
	const unsigned char nm[] = { 0x00, 0x04 }, nm2[] = { 0x00, 0x00, 0x10 };
	int_of(nm, 2, &rc);
	assert_int_equal(rc, -1);
	int_of(nm2, 3, &rc);
	assert_int_equal(rc, -1);
	/* empty and too long */
	int_of(zero, 0, &rc);
	assert_int_equal(rc, -1);
	const unsigned char five[] = { 0x01, 0x00, 0x00, 0x00, 0x00 };
	int_of(five, 5, &rc);
	assert_int_equal(rc, -1);
}

static void test_writer(void **s)
{
	(void)s;
	size_t sizes[] = { 0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x123456 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		cv_buf b = CV_BUF_INIT;
		unsigned char *content = calloc(1, n ? n : 1);
		assert_int_equal(cv__der_put(&b, 0x04, content, n), 0);
		assert_int_equal(b.len, cv__der_hdr_len(n) + n);
		size_t expect_hdr = n < 0x80 ? 2 : n <= 0xff ? 3 : n <= 0xffff ? 4 : 5;
		assert_int_equal(cv__der_hdr_len(n), expect_hdr);
		cv_der in = { b.data, b.len }, c;
		assert_int_equal(cv__der_take(&in, 0x04, &c), 0);
		assert_int_equal(c.len, n);
		assert_int_equal(in.len, 0);
		assert_true(cv__der_eq(&c, content, n));
		free(content);
		cv__buf_dispose(&b);
	}
	cv_der c = { (const unsigned char *)"abc", 3 };
	assert_true(cv__der_eq(&c, (const unsigned char *)"abc", 3));
	assert_false(cv__der_eq(&c, (const unsigned char *)"abd", 3));
	assert_false(cv__der_eq(&c, (const unsigned char *)"ab", 2));
}

/* Every prefix of a valid nested structure is refused or leaves a
 * consistent remainder; the reader never reads beyond what it is given
 * (run under ASan to see the bound). */
static void test_all_prefixes(void **s)
{
	(void)s;
	const unsigned char p[] = { 0x30, 0x0a, 0x02, 0x01, 0x04, 0x04, 0x05, 'h', 'e', 'l', 'l', 'o' };
	for (size_t n = 0; n <= sizeof p; n++) {
		unsigned char *copy = malloc(n ? n : 1);
		memcpy(copy, p, n);
		cv_der in = { copy, n }, seq, x;
		int rc = cv__der_take(&in, 0x30, &seq);
		if (n < sizeof p) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(cv__der_take(&seq, 0x02, &x), 0);
			long v = 0;
			assert_int_equal(cv__der_int(&x, &v), 0);
			assert_int_equal(v, 4);
			assert_int_equal(cv__der_take(&seq, 0x04, &x), 0);
			assert_true(cv__der_eq(&x, (const unsigned char *)"hello", 5));
			assert_int_equal(seq.len, 0);
		}
		free(copy);
	}
}

CVT_MAIN(cmocka_unit_test(test_short_form),
	cmocka_unit_test(test_wrong_tag),
	cmocka_unit_test(test_indefinite_length),
	cmocka_unit_test(test_non_minimal_long_form),
	cmocka_unit_test(test_length_past_end),
	cmocka_unit_test(test_integers),
	cmocka_unit_test(test_writer),
	cmocka_unit_test(test_all_prefixes))
