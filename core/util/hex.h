/* Hex encoding (lower case). Into the caller's buffers; pure, thread-safe. */
#ifndef CV_UTIL_HEX_H
#define CV_UTIL_HEX_H

#include <stddef.h>

/** Writes 2n hex digits and a NUL to out (2n+1 bytes). */
void cv__hex(char *out, const void *in, size_t n);
/** Decodes exactly `n` bytes from 2n hex digits; -1 if malformed or too short/long. */
int cv__unhex(void *out, size_t n, const char *in);

#endif
