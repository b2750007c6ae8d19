/* AES key wrap: RFC 5649 (with padding) for case keys in the catalog,
 * RFC 3394 for CMS content-encryption keys. Thread-safe. */
#ifndef CV_CRYPTO_KEYWRAP_H
#define CV_CRYPTO_KEYWRAP_H

#include <stddef.h>

/** RFC 5649. kek is 16, 24 or 32 bytes; out needs in_len rounded up to 8, plus 8. */
int cv__wrap_pad(unsigned char *out, size_t *outlen, const unsigned char *kek, size_t keklen,
	const unsigned char *in, size_t inlen);
int cv__unwrap_pad(unsigned char *out, size_t *outlen, const unsigned char *kek, size_t keklen,
	const unsigned char *in, size_t inlen);
/** RFC 3394 with a 256-bit KEK; inlen a multiple of 8, >= 16. */
int cv__wrap(unsigned char *out, size_t *outlen, const unsigned char kek[32], const unsigned char *in, size_t inlen);
int cv__unwrap(unsigned char *out, size_t *outlen, const unsigned char kek[32], const unsigned char *in, size_t inlen);

#endif
