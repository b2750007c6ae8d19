/* Printable French pages (slip, certificate, registers, index of a copy):
 * escaping and one shared print stylesheet. Pages are self-contained (no
 * network, no script) so they open offline and print on A4. */
#ifndef CV_UTIL_HTML_H
#define CV_UTIL_HTML_H

#include "util/buf.h"

int cv__html_escape(cv_buf *b, const char *s);
/** <!doctype html> ... <body> with the title (escaped) and the print CSS. */
int cv__html_begin(cv_buf *b, const char *title, const char *extra_css);
int cv__html_end(cv_buf *b);
/** A CSV field, quoted when needed (RFC 4180). */
int cv__csv_field(cv_buf *b, const char *s, int last);
/** A French number of bytes ("1,2 Mo"). */
void cv__human_bytes(char out[32], uint64_t n);

#endif
