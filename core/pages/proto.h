/* The answer of the sandboxed document parser (docs/pages-protocol.md),
 * parsed as untrusted input: fed in chunks of any size as they come out of
 * the sandbox, checked record by record (order, bounds, UTF-8), and handed
 * to the caller's handler. A parser is owned by one caller and used by one
 * thread; it holds at most one record (one page's pixels) at a time and
 * wipes it after use, since words and pixels are personal data. */
#ifndef CV_PAGES_PROTO_H
#define CV_PAGES_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

#define CV_DP_MAX_PAGES 2000u
#define CV_DP_MAX_SIDE 20000u
#define CV_DP_MAX_PIXELS 50000000u
#define CV_DP_MAX_WORD 256u
#define CV_DP_MAX_WORDS_PER_PAGE 20000u
#define CV_DP_MAX_DOCUMENT (256u << 20)

typedef enum { CV_DP_WORDS = 1, CV_DP_PIXELS = 2, CV_DP_CONVERT = 3 } cv_dp_mode;

/** Codes of an `E` record. */
typedef enum { CV_DP_EMALFORMED = 1, CV_DP_EUNSUPPORTED = 2, CV_DP_ELIMIT = 3, CV_DP_EINTERNAL = 4 } cv_dp_ecode;

typedef struct cv_dp_page {
	uint32_t index, width, height, dpi, rotation;
	int32_t skew;    /**< millidegrees */
	char source;     /**< 't' text layer, 'o' OCR */
} cv_dp_page;

/** Called for each record; a non-zero return stops the parse with it. */
typedef struct cv_dp_handler {
	int (*page)(void *u, const cv_dp_page *p);
	int (*word)(void *u, uint32_t page, const uint32_t box[4], unsigned flags, const char *text, size_t len);
	int (*image)(void *u, uint32_t page, uint32_t w, uint32_t h, unsigned channels, const unsigned char *px);
	int (*document)(void *u, const unsigned char *pdf, size_t len);
	void *u;
} cv_dp_handler;

typedef struct cv_dp_parser {
	cv_dp_mode mode;
	uint32_t max_pages;
	cv_dp_handler h;
	/* state */
	size_t have;           /**< bytes of the current header or record received */
	unsigned char hdr[8];
	int header_done, ended;
	unsigned char type;
	uint32_t len;
	cv_buf rec;
	uint32_t pages;        /**< P records seen */
	cv_dp_page cur;
	uint32_t words, images; /**< of the current page */
	int ecode;             /**< the parser's E code, 0 if none */
	char emsg[256];        /**< its message, sanitised */
} cv_dp_parser;

void cv__dp_init(cv_dp_parser *p, cv_dp_mode mode, uint32_t max_pages, const cv_dp_handler *h);
/** Feed the next bytes of the answer: 0, a handler's code, or CV_EINVAL
 * (malformed answer, or the parser's own E record: see ecode/emsg). */
int cv__dp_feed(cv_dp_parser *p, const void *data, size_t len);
/** The answer is over: CV_EINVAL unless it was complete (ended by Z). */
int cv__dp_finish(cv_dp_parser *p);
void cv__dp_dispose(cv_dp_parser *p);

#endif
