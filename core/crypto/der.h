/* A strict DER reader and writer for the few shapes casevault stores.
 * The reader accepts single-byte tags, definite minimal lengths only, and
 * never reads past its input. Stateless; thread-safe. */
#ifndef CV_CRYPTO_DER_H
#define CV_CRYPTO_DER_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

#define DER_INTEGER 0x02
#define DER_OCTET 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_SEQ 0x30
#define DER_SET 0x31

typedef struct cv_der {
	const unsigned char *p;
	size_t len;
} cv_der;

/** Read the next element, which must carry `tag`, into `content`. */
int cv__der_take(cv_der *in, unsigned char tag, cv_der *content);
/** Tag of the next element, or -1 at the end. */
int cv__der_peek(const cv_der *in);
/** Small non-negative INTEGER (minimal encoding); -1 on error. */
int cv__der_int(const cv_der *content, long *out);
/** Content equals the given bytes. */
int cv__der_eq(const cv_der *content, const unsigned char *bytes, size_t n);

/** Bytes needed for a header with this tag and content length. */
size_t cv__der_hdr_len(size_t content_len);
int cv__der_put_hdr(cv_buf *b, unsigned char tag, size_t content_len);
int cv__der_put(cv_buf *b, unsigned char tag, const void *content, size_t n);

#endif
