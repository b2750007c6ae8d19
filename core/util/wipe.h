/* Secret hygiene: wipe before free, constant-time compare. Header-only and
 * free of any library but libc, so plugins can use it too. */
#ifndef CV_UTIL_WIPE_H
#define CV_UTIL_WIPE_H

#include <stdlib.h>
#include <string.h>

/* explicit_bzero (glibc >= 2.25) is never optimised away. */
static inline void cv__wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

static inline void cv__wipe_free(void *p, size_t n)
{
	if (p) {
		explicit_bzero(p, n);
		free(p);
	}
}

/** 1 when equal; time depends only on n (no early exit, no branch on data). */
static inline int cv__ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

#endif
