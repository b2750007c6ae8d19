/* The ingest pipeline's ring (ingest_pipe.c, cv__ring_fit): chunks queued
 * for the worker, then the bytes not cut yet. A model runs random feeds,
 * cuts and completions on small rings and checks every decision: room
 * granted never overlaps a queued chunk nor runs past the end, and room is
 * always granted once the worker has nothing queued (no deadlock). */
#include "support.h"
#include "ingest/ingest_model.h"

#include <stdlib.h>
#include <string.h>

typedef struct job {
	size_t off, len;
} job;

static int overlaps(size_t a, size_t alen, size_t b, size_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static void run_model(size_t size, size_t max, unsigned seed, int steps)
{
	job q[4096];
	size_t head = 0, n = 0, ps = 0, plen = 0;
	unsigned r = seed;
	for (int step = 0; step < steps; step++) {
		r = r * 1103515245u + 12345u;
		unsigned op = (r >> 16) % 3;
		if (op == 0 && plen < max) { /* feed */
			r = r * 1103515245u + 12345u;
			size_t take = 1 + (r >> 16) % (max - plen);
			long long lo = n ? (long long)q[head % 4096].off : -1;
			int fit = cv__ring_fit(size, lo, ps, plen, take);
			if (!n)
				assert_int_not_equal(fit, 0); /* nothing queued: room is always there */
			if (!fit)
				continue; /* the feeder would wait for the worker */
			size_t at = fit == 2 ? 0 : ps;
			if (fit == 2)
				assert_true(plen + take <= size);
			assert_true(at + plen + take <= size);
			for (size_t k = 0; k < n; k++) {
				const job *j = &q[(head + k) % 4096];
				if (overlaps(at, plen + take, j->off, j->len))
					fail_msg("step %d: pending [%zu,+%zu) over queued chunk [%zu,+%zu) (ring %zu)", step, at,
						plen + take, j->off, j->len, size);
			}
			ps = at;
			plen += take;
		} else if (op == 1 && n < 4096) { /* cut a chunk (possibly empty) */
			r = r * 1103515245u + 12345u;
			size_t len = plen ? (r >> 16) % (plen + 1) : 0;
			q[(head + n) % 4096] = (job){ ps, len };
			n++;
			ps += len;
			plen -= len;
		} else if (op == 2 && n) { /* the worker is done with the oldest */
			head++;
			n--;
		}
	}
}

static void test_ring_model(void **s)
{
	(void)s;
	static const size_t shapes[][2] = { { 16, 8 }, { 17, 8 }, { 24, 8 }, { 64, 24 }, { 100, 50 }, { 8, 8 } };
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
		for (unsigned seed = 1; seed <= 20; seed++)
			run_model(shapes[i][0], shapes[i][1], seed * 7919u + (unsigned)i, 20000);
}

/* The decisions on hand-made states. */
static void test_ring_cases(void **s)
{
	(void)s;
	assert_int_equal(cv__ring_fit(100, -1, 0, 0, 50), 1);
	assert_int_equal(cv__ring_fit(100, -1, 80, 10, 20), 2);  /* past the end, nothing queued: move */
	assert_int_equal(cv__ring_fit(100, 10, 80, 10, 20), 0);  /* past the end, a chunk at 10: wait */
	assert_int_equal(cv__ring_fit(100, 40, 80, 10, 20), 2);  /* [0,30) is free */
	assert_int_equal(cv__ring_fit(100, 31, 80, 10, 20), 2);  /* [0,30) ends before the chunk at 31 */
	assert_int_equal(cv__ring_fit(100, 30, 80, 10, 20), 0);  /* reaching it would look unwrapped */
	assert_int_equal(cv__ring_fit(100, 90, 10, 10, 69), 1);  /* wrapped: short of the chunk at 90 */
	assert_int_equal(cv__ring_fit(100, 90, 10, 10, 70), 0);
	assert_int_equal(cv__ring_fit(100, 10, 10, 0, 90), 1);   /* an empty chunk at the pending start */
}

CVT_MAIN(cmocka_unit_test(test_ring_cases),
	cmocka_unit_test(test_ring_model))
