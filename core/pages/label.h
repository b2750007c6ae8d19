/* The label of a hidden mention written inside its box ("tiers 3",
 * "téléphone" as "telephone"), white on the black, so that a reader of the
 * copy sees which mentions are the same person, as in a text copy. A small
 * built-in 5 x 7 bitmap font (a-z, 0-9), scaled to the box: no font file,
 * no text object, only pixels. Stateless and thread-safe. */
#ifndef CV_PAGES_LABEL_H
#define CV_PAGES_LABEL_H

#include <stdint.h>

/** Write `label` (its letters and digits, accents dropped, brackets left
 * out) centred in the box [x0,x1) x [y0,y1) of the image, as large as fits;
 * nothing when even the smallest size does not fit. */
void cv__page_label(unsigned char *px, uint32_t w, uint32_t h, unsigned ch, uint32_t x0, uint32_t y0, uint32_t x1,
	uint32_t y1, const char *label);

#endif
