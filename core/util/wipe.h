/* Secret hygiene: wipe before free, constant-time compare. */
#ifndef CV_UTIL_WIPE_H
#define CV_UTIL_WIPE_H

#include <openssl/crypto.h>
#include <stdlib.h>

static inline void cv__wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

static inline void cv__wipe_free(void *p, size_t n)
{
	if (p) {
		OPENSSL_cleanse(p, n);
		free(p);
	}
}

/** 1 when equal; time depends only on n. */
static inline int cv__ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

#endif
