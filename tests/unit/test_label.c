/* The labels written in the boxes of a page document (core/pages/label.c):
 * inside the box only, white on black, as large as fits, nothing when
 * nothing fits; accents and brackets folded away. */
#include "support.h"
#include "pages/label.h"

#include <stdlib.h>
#include <string.h>

#define W 400
#define H 100

static unsigned char img[W * H];

/* A black box [x0,x1) x [y0,y1) on a gray page. */
static void page_with_box(uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1)
{
	memset(img, 128, sizeof img);
	for (uint32_t y = y0; y < y1; y++)
		memset(img + (size_t)y * W + x0, 0, x1 - x0);
}

static size_t white_in(uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1)
{
	size_t n = 0;
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++)
			n += img[(size_t)y * W + x] == 255;
	return n;
}

static void t_inside_the_box_only(void **st)
{
	(void)st;
	page_with_box(50, 20, 300, 60);
	cv__page_label(img, W, H, 1, 50, 20, 300, 60, "[tiers 12]");
	size_t inside = white_in(50, 20, 300, 60);
	assert_true(inside > 100);
	assert_int_equal(white_in(0, 0, W, H), inside); /* nothing outside */
	/* centred: as much room left and right, within one scale step */
	uint32_t first = W, last = 0;
	for (uint32_t y = 20; y < 60; y++)
		for (uint32_t x = 50; x < 300; x++)
			if (img[(size_t)y * W + x] == 255) {
				first = x < first ? x : first;
				last = x > last ? x : last;
			}
	assert_true(abs((int)(first - 50) - (int)(299 - last)) <= 8);
}

static void t_too_small_draws_nothing(void **st)
{
	(void)st;
	page_with_box(10, 10, 30, 18); /* 20 x 8 pixels: not even one glyph of scale 1 in 3/4 of 8 rows */
	cv__page_label(img, W, H, 1, 10, 10, 30, 18, "[tiers 3]");
	assert_int_equal(white_in(0, 0, W, H), 0);
	page_with_box(10, 10, 40, 60); /* tall but narrow: "téléphone" does not fit across */
	cv__page_label(img, W, H, 1, 10, 10, 40, 60, "[téléphone]");
	assert_int_equal(white_in(0, 0, W, H), 0);
}

static void t_folding(void **st)
{
	(void)st;
	static unsigned char a[W * H];
	page_with_box(0, 0, W, H);
	cv__page_label(img, W, H, 1, 0, 0, W, H, "[téléphone]");
	memcpy(a, img, sizeof a);
	page_with_box(0, 0, W, H);
	cv__page_label(img, W, H, 1, 0, 0, W, H, "TELEPHONE");
	assert_memory_equal(a, img, sizeof a); /* accents, case and brackets folded the same way */
	page_with_box(0, 0, W, H);
	cv__page_label(img, W, H, 1, 0, 0, W, H, "[]");
	assert_int_equal(white_in(0, 0, W, H), 0);
	/* RGB: all three channels white, the box stays within the image */
	static unsigned char rgb[W * H * 3];
	memset(rgb, 0, sizeof rgb);
	cv__page_label(rgb, W, H, 3, 0, 0, W, H, "tiers 1");
	size_t n = 0;
	for (size_t i = 0; i < sizeof rgb; i += 3)
		if (rgb[i] == 255) {
			assert_true(rgb[i + 1] == 255 && rgb[i + 2] == 255);
			n++;
		}
	assert_true(n > 0);
	/* a box outside the image is ignored */
	cv__page_label(rgb, W, H, 3, 0, 0, W + 1, H, "tiers 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_inside_the_box_only),
		cmocka_unit_test(t_too_small_draws_nothing),
		cmocka_unit_test(t_folding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
