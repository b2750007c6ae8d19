/* store/chunker: content-defined chunking. Boundaries depend only on the
 * content and the gear seed, never on how the stream is fed; sizes stay in
 * [min, max] except the last; an insertion near the start disturbs only
 * the chunks around it. */
#include "support.h"
#include "crypto/kdf.h"
#include "store/chunker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cuts {
	size_t *len;
	unsigned char (*hash)[32];
	size_t n, cap;
	size_t total;
	unsigned char *concat; /* optional: everything emitted, in order */
} cuts;

static int on_chunk(const unsigned char *data, size_t len, void *payload)
{
	cuts *c = payload;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->len = realloc(c->len, c->cap * sizeof *c->len);
		c->hash = realloc(c->hash, c->cap * sizeof *c->hash);
	}
	c->len[c->n] = len;
	cv__sha256(c->hash[c->n], data, len);
	c->n++;
	if (c->concat)
		memcpy(c->concat + c->total, data, len);
	c->total += len;
	return 0;
}

static void cuts_free(cuts *c)
{
	free(c->len);
	free(c->hash);
	memset(c, 0, sizeof *c);
}

static unsigned char seed_a[2048], seed_b[2048];
static unsigned char *data;
static const size_t DATA_LEN = 20u << 20;

static int setup(void **s)
{
	(void)s;
	cvt_fill(seed_a, sizeof seed_a, 101);
	cvt_fill(seed_b, sizeof seed_b, 202);
	data = malloc(DATA_LEN + 100);
	cvt_fill(data, DATA_LEN, 303);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	free(data);
	return 0;
}

/* Chunk `len` bytes fed in pieces of `piece` bytes (0 = all at once). */
static void chunk(cuts *out, const unsigned char *seed, const unsigned char *p, size_t len, size_t piece, size_t min,
	size_t avg, size_t max)
{
	cv_chunker c;
	assert_int_equal(cv__chunker_init(&c, seed, min, avg, max), 0);
	if (!piece)
		piece = len ? len : 1;
	for (size_t off = 0; off < len; off += piece)
		assert_int_equal(cv__chunker_feed(&c, p + off, len - off < piece ? len - off : piece, on_chunk, out), 0);
	assert_int_equal(cv__chunker_finish(&c, on_chunk, out), 0);
	cv__chunker_dispose(&c);
}

static void assert_same_cuts(const cuts *a, const cuts *b, const char *what)
{
	if (a->n != b->n)
		fail_msg("%s: %zu chunks vs %zu", what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i])
			fail_msg("%s: chunk %zu is %zu bytes vs %zu", what, i, a->len[i], b->len[i]);
}

static void test_sizes_and_concat(void **s)
{
	(void)s;
	cuts c = { 0 };
	c.concat = malloc(DATA_LEN);
	chunk(&c, seed_a, data, DATA_LEN, 0, 0, 0, 0);
	assert_int_equal(c.total, DATA_LEN);
	assert_memory_equal(c.concat, data, DATA_LEN);
	assert_true(c.n >= 4); /* 20 MiB at ~1 MiB average, at most 4 MiB each */
	for (size_t i = 0; i < c.n; i++) {
		if (i + 1 < c.n && (c.len[i] < CV_CHUNK_MIN || c.len[i] > CV_CHUNK_MAX))
			fail_msg("chunk %zu of %zu has %zu bytes, outside [%u, %u]", i, c.n, c.len[i], CV_CHUNK_MIN, CV_CHUNK_MAX);
		assert_true(c.len[i] > 0 && c.len[i] <= CV_CHUNK_MAX);
	}
	print_message("  20 MiB -> %zu chunks\n", c.n);
	free(c.concat);
	cuts_free(&c);
}

static void test_deterministic(void **s)
{
	(void)s;
	cuts a = { 0 }, b = { 0 };
	chunk(&a, seed_a, data, DATA_LEN, 0, 0, 0, 0);
	chunk(&b, seed_a, data, DATA_LEN, 0, 0, 0, 0);
	assert_same_cuts(&a, &b, "same seed, same data");
	for (size_t i = 0; i < a.n; i++)
		assert_memory_equal(a.hash[i], b.hash[i], 32);
	cuts_free(&a);
	cuts_free(&b);
}

static void test_piece_sizes(void **s)
{
	(void)s;
	cuts whole = { 0 };
	chunk(&whole, seed_a, data, DATA_LEN, 0, 0, 0, 0);
	size_t pieces[] = { 1, 7, 4096, 1u << 20, CV_CHUNK_MAX + 3 };
	for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
		cuts c = { 0 };
		chunk(&c, seed_a, data, DATA_LEN, pieces[i], 0, 0, 0);
		char what[64];
		snprintf(what, sizeof what, "fed in pieces of %zu bytes", pieces[i]);
		assert_same_cuts(&whole, &c, what);
		cuts_free(&c);
	}
	cuts_free(&whole);
}

static void test_insertion_is_local(void **s)
{
	(void)s;
	cuts a = { 0 }, b = { 0 };
	chunk(&a, seed_a, data, DATA_LEN, 0, 0, 0, 0);
	unsigned char *edited = malloc(DATA_LEN + 100);
	size_t at = 1000;
	memcpy(edited, data, at);
	cvt_fill(edited + at, 100, 404);
	memcpy(edited + at + 100, data + at, DATA_LEN - at);
	chunk(&b, seed_a, edited, DATA_LEN + 100, 0, 0, 0, 0);
	size_t shared = 0;
	for (size_t i = 0; i < b.n; i++)
		for (size_t j = 0; j < a.n; j++)
			if (!memcmp(b.hash[i], a.hash[j], 32)) {
				shared++;
				break;
			}
	print_message("  after inserting 100 bytes at offset %zu: %zu of %zu chunks shared\n", at, shared, b.n);
	if (b.n - shared > 2)
		fail_msg("an insertion near the start changed %zu chunks (of %zu)", b.n - shared, b.n);
	/* the chunks after the edit are the same ones, in the same order */
	assert_memory_equal(a.hash[a.n - 1], b.hash[b.n - 1], 32);
	free(edited);
	cuts_free(&a);
	cuts_free(&b);
}

static void test_seeds_differ(void **s)
{
	(void)s;
	cuts a = { 0 }, b = { 0 };
	chunk(&a, seed_a, data, DATA_LEN, 0, 0, 0, 0);
	chunk(&b, seed_b, data, DATA_LEN, 0, 0, 0, 0);
	int differ = a.n != b.n;
	for (size_t i = 0; !differ && i < a.n; i++)
		differ = a.len[i] != b.len[i];
	assert_true(differ);
	cuts_free(&a);
	cuts_free(&b);
}

static void test_small_inputs(void **s)
{
	(void)s;
	/* empty: nothing emitted; below min: one chunk; exactly max+1: two */
	cuts c = { 0 };
	chunk(&c, seed_a, data, 0, 0, 0, 0, 0);
	assert_int_equal(c.n, 0);
	cuts_free(&c);
	chunk(&c, seed_a, data, 1, 0, 0, 0, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 1);
	cuts_free(&c);
	chunk(&c, seed_a, data, CV_CHUNK_MIN, 0, 0, 0, 0);
	assert_int_equal(c.n, 1);
	cuts_free(&c);
	/* all-zero data has no content-defined cuts: max-sized chunks */
	unsigned char *z = calloc(1, 3 * CV_CHUNK_MAX + 5);
	chunk(&c, seed_a, z, 3 * CV_CHUNK_MAX + 5, 0, 0, 0, 0);
	for (size_t i = 0; i + 1 < c.n; i++)
		assert_true(c.len[i] >= CV_CHUNK_MIN && c.len[i] <= CV_CHUNK_MAX);
	assert_int_equal(c.total, 3 * CV_CHUNK_MAX + 5);
	free(z);
	cuts_free(&c);
}

static void test_custom_sizes(void **s)
{
	(void)s;
	cuts c = { 0 }, d = { 0 };
	chunk(&c, seed_a, data, 1u << 20, 0, 1024, 4096, 16384);
	assert_true(c.n > 40);
	for (size_t i = 0; i + 1 < c.n; i++)
		assert_true(c.len[i] >= 1024 && c.len[i] <= 16384);
	chunk(&d, seed_a, data, 1u << 20, 3, 1024, 4096, 16384);
	assert_same_cuts(&c, &d, "small sizes, 3-byte pieces");
	cuts_free(&c);
	cuts_free(&d);
	cv_chunker k;
	assert_int_equal(cv__chunker_init(&k, seed_a, 4096, 4096, 8192), CV_EINVAL);
	cv__chunker_dispose(&k);
	assert_int_equal(cv__chunker_init(&k, seed_a, 1024, 8192, 4096), CV_EINVAL);
	cv__chunker_dispose(&k);
}

static int failing(const unsigned char *d, size_t n, void *p)
{
	(void)d; (void)n;
	(*(int *)p)++;
	return CV_ERROR;
}

static void test_emit_error_propagates(void **s)
{
	(void)s;
	cv_chunker c;
	int calls = 0;
	assert_int_equal(cv__chunker_init(&c, seed_a, 0, 0, 0), 0);
	assert_int_equal(cv__chunker_feed(&c, data, 8u << 20, failing, &calls), CV_ERROR);
	assert_int_equal(calls, 1);
	cv__chunker_dispose(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_concat),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_piece_sizes),
		cmocka_unit_test(test_insertion_is_local),
		cmocka_unit_test(test_seeds_differ),
		cmocka_unit_test(test_small_inputs),
		cmocka_unit_test(test_custom_sizes),
		cmocka_unit_test(test_emit_error_propagates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
