/* Growable byte buffer. Owned by whoever declared it; cv__buf_dispose frees,
 * cv__buf_wipe_dispose wipes first (use it for anything that held plaintext). */
#ifndef CV_UTIL_BUF_H
#define CV_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct cv_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
} cv_buf;

#define CV_BUF_INIT { NULL, 0, 0 }

/** Room for element `n` of an array of `size`-byte elements (capacity
 * doubled, new elements zeroed). For arrays that hold no secrets: realloc. */
int cv__grow(void **arr, size_t *cap, size_t n, size_t size);
int cv__buf_reserve(cv_buf *b, size_t extra);
int cv__buf_put(cv_buf *b, const void *p, size_t n);
int cv__buf_putc(cv_buf *b, unsigned char c);
int cv__buf_puts(cv_buf *b, const char *s);
int cv__buf_printf(cv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cv__buf_put_u32be(cv_buf *b, uint32_t v);
int cv__buf_put_u64be(cv_buf *b, uint64_t v);
/** Length-prefixed field (u32 big-endian length, then bytes). */
int cv__buf_put_field(cv_buf *b, const void *p, size_t n);
/** Ensure a terminating NUL after len (not counted). */
int cv__buf_cstr(cv_buf *b);
void cv__buf_clear(cv_buf *b);
void cv__buf_dispose(cv_buf *b);
void cv__buf_wipe_dispose(cv_buf *b);
/** Hand the data over to the caller (NUL-terminated) and reset. */
char *cv__buf_detach(cv_buf *b);

#endif
