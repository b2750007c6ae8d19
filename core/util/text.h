/* Unicode handling (utf8proc): NFC for stored names and paths, folding for
 * search. Results are malloc'd; the caller frees them. Thread-safe. */
#ifndef CV_UTIL_TEXT_H
#define CV_UTIL_TEXT_H

#include <stddef.h>

int cv__utf8_valid(const char *s, size_t len);
/** Copy `src` (NULL is "") into dst[cap], truncated; always terminated. */
void cv__copy_trunc(char *dst, size_t cap, const char *src);
/** NFC; CV_EINVAL on invalid UTF-8. */
int cv__nfc(char **out, const char *in, size_t len);
/** NFKD, combining marks stripped, case folded, ligatures œ/æ expanded. */
int cv__fold(char **out, const char *in, size_t len);
/** Search key: fold, then keep letters and digits only ("Da-Silva" → "dasilva"). */
int cv__fold_key(char **out, const char *in);

#endif
