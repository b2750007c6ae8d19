#include "util/html.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

int cv__html_escape(cv_buf *b, const char *s)
{
	for (; s && *s; s++) {
		int rc;
		switch (*s) {
		case '&': rc = cv__buf_puts(b, "&amp;"); break;
		case '<': rc = cv__buf_puts(b, "&lt;"); break;
		case '>': rc = cv__buf_puts(b, "&gt;"); break;
		case '"': rc = cv__buf_puts(b, "&quot;"); break;
		case '\'': rc = cv__buf_puts(b, "&#39;"); break;
		default: rc = cv__buf_putc(b, (unsigned char)*s);
		}
		CV_TRY(rc);
	}
	return 0;
}

static const char CSS[] =
	"@page{size:A4;margin:15mm 12mm}"
	"body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10.5pt;color:#111;margin:2em auto;max-width:60em;line-height:1.4}"
	"h1{font-size:16pt;margin:0 0 .3em}h2{font-size:12.5pt;margin:1.2em 0 .4em;border-bottom:1px solid #999}"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #777;padding:3px 5px;text-align:left;vertical-align:top}"
	"td{overflow-wrap:anywhere}th{background:#e8e8e8}"
	".nowrap3 td:nth-child(3),.nowrap3 td:nth-child(4),.nowrap3 td:nth-child(6){white-space:nowrap}thead{display:table-header-group}tr{page-break-inside:avoid}"
	".meta td:first-child{width:14em;font-weight:bold;background:#f4f4f4}.num{text-align:right}"
	".sign{display:flex;gap:2em;margin-top:1.5em}.sign div{flex:1;border:1px solid #777;min-height:7em;padding:.5em}"
	".muted{color:#555;font-size:9pt}.warn{border:2px solid #a00;padding:.5em;margin:.8em 0}"
	"@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}.noprint{display:none}}";

int cv__html_begin(cv_buf *b, const char *title, const char *extra_css)
{
	CV_TRY(cv__buf_puts(b, "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
			       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"));
	CV_TRY(cv__html_escape(b, title));
	CV_TRY(cv__buf_puts(b, "</title>\n<style>"));
	CV_TRY(cv__buf_puts(b, CSS));
	if (extra_css)
		CV_TRY(cv__buf_puts(b, extra_css));
	return cv__buf_puts(b, "</style>\n</head>\n<body>\n");
}

int cv__html_end(cv_buf *b)
{
	return cv__buf_puts(b, "</body>\n</html>\n");
}

int cv__csv_field(cv_buf *b, const char *s, int last)
{
	s = s ? s : "";
	if (strpbrk(s, ",\"\r\n;")) {
		CV_TRY(cv__buf_putc(b, '"'));
		for (; *s; s++) {
			if (*s == '"')
				CV_TRY(cv__buf_putc(b, '"'));
			CV_TRY(cv__buf_putc(b, (unsigned char)*s));
		}
		CV_TRY(cv__buf_putc(b, '"'));
	} else {
		CV_TRY(cv__buf_puts(b, s));
	}
	return cv__buf_puts(b, last ? "\r\n" : ",");
}

void cv__human_bytes(char out[32], uint64_t n)
{
	if (n < 1000)
		snprintf(out, 32, "%llu o", (unsigned long long)n);
	else if (n < 1000000)
		snprintf(out, 32, "%.1f ko", n / 1e3);
	else if (n < 1000000000)
		snprintf(out, 32, "%.1f Mo", n / 1e6);
	else
		snprintf(out, 32, "%.2f Go", n / 1e9);
	for (char *p = out; *p; p++)
		if (*p == '.')
			*p = ',';
}
