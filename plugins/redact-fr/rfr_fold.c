/*
 * redact-fr — folding: the class of a code point (letter, mark, digit,
 * space, punctuation...) and its search form (NFKD, marks stripped, case
 * folded: "É" -> "e", "œ" -> "oe"), for one character, one word or a whole
 * string. Pure functions of the engine's read-only table.
 */
#include "rfr_internal.h"

#include <utf8proc.h>

static void cp_compute(uint32_t cp, rfr_cpinfo *o)
{
	memset(o, 0, sizeof *o);
	if (cp < 0x80) {
		if (cp >= 'a' && cp <= 'z') {
			o->cls = RC_LOWER;
			o->f[0] = (char)cp;
			o->flen = 1;
		} else if (cp >= 'A' && cp <= 'Z') {
			o->cls = RC_UPPER;
			o->f[0] = (char)(cp + 32);
			o->flen = 1;
		} else if (cp >= '0' && cp <= '9') {
			o->cls = RC_DIGIT;
		} else if (cp == ' ' || cp == '\t' || cp == '\f' || cp == '\v' || cp == '\r') {
			o->cls = RC_SPACE;
		} else if (cp == '\n') {
			o->cls = RC_NL;
		} else if (cp == '\'') {
			o->cls = RC_APOS;
		} else if (cp == '-') {
			o->cls = RC_HYPHEN;
		} else if (cp == '.' || cp == '!' || cp == '?') {
			o->cls = RC_SENT;
		} else if (cp == ',') {
			o->cls = RC_COMMA;
		} else if (cp == ':') {
			o->cls = RC_COLON;
		} else if (cp == '@') {
			o->cls = RC_AT;
		} else {
			o->cls = RC_OTHER;
		}
		return;
	}
	switch (cp) {
	case 0x00A0: case 0x1680: case 0x2000: case 0x2001: case 0x2002: case 0x2003: case 0x2004:
	case 0x2005: case 0x2006: case 0x2007: case 0x2008: case 0x2009: case 0x200A: case 0x202F:
	case 0x205F: case 0x3000: case 0x0085:
		o->cls = RC_SPACE;
		return;
	case 0x2028: case 0x2029:
		o->cls = RC_NL;
		return;
	case 0x2019: case 0x2018: case 0x02BC: case 0x00B4: case 0x2032:
		o->cls = RC_APOS;
		return;
	case 0x2010: case 0x2011:
		o->cls = RC_HYPHEN;
		return;
	case 0x2026:
		o->cls = RC_SENT;
		return;
	case 0x00AD: case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF:
		o->cls = RC_IGNORE;
		return;
	case 0xFF20: case 0xFE6B:
		o->cls = RC_OTHER;
		return;
	default:
		break;
	}
	if (cp == 0xFFFD || cp > 0x10FFFF) {
		o->cls = RC_OTHER;
		return;
	}
	utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);
	if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME) {
		o->cls = RC_MARK;
		return;
	}
	if (cat == UTF8PROC_CATEGORY_ZS) {
		o->cls = RC_SPACE;
		return;
	}
	if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_LO) {
		o->cls = RC_OTHER;
		return;
	}
	o->cls = (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT) ? RC_UPPER : RC_LOWER;
	if (cp == 0x0153 || cp == 0x0152 || cp == 0x00E6 || cp == 0x00C6) {
		/* œ, æ: the dictionary and people write "oe", "ae" */
		o->cls = (cp == 0x0152 || cp == 0x00C6) ? RC_UPPER : RC_LOWER;
		o->f[0] = (cp == 0x0153 || cp == 0x0152) ? 'o' : 'a';
		o->f[1] = 'e';
		o->flen = 2;
		return;
	}
	utf8proc_int32_t dst[8];
	int last = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, dst, 8,
		UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD, &last);
	if (n < 0 || n > 8) {
		n = 1;
		dst[0] = (utf8proc_int32_t)cp;
	}
	size_t fl = 0;
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		utf8proc_uint8_t b[4];
		utf8proc_ssize_t bl = utf8proc_encode_char(dst[i], b);
		if (bl <= 0 || fl + (size_t)bl > sizeof o->f)
			break;
		memcpy(o->f + fl, b, (size_t)bl);
		fl += (size_t)bl;
	}
	o->flen = (uint8_t)fl;
}

void rfr_cp_info(const rfr_engine *e, uint32_t cp, rfr_cpinfo *out)
{
	if (cp < RFR_LATIN_TABLE) {
		*out = e->latin[cp];
		return;
	}
	cp_compute(cp, out);
}

size_t rfr_word_at(const rfr_engine *e, const unsigned char *t, size_t len, size_t p, char *buf, size_t cap,
	size_t *flen, int *caps)
{
	size_t fl = 0, nl = 0, nu = 0, q = p;
	int first_up = 0;
	while (q < len) {
		unsigned char c = t[q];
		if ((unsigned char)((c | 0x20) - 'a') < 26) {
			/* ASCII letters, most of every name: no decoding, no table */
			if (nl == 0)
				first_up = c < 'a';
			nl++;
			nu += c < 'a';
			if (fl < cap)
				buf[fl] = (char)(c | 0x20);
			fl++;
			q++;
			continue;
		}
		uint32_t cp;
		size_t n = rfr_utf8(t, len, q, &cp);
		rfr_cpinfo ci;
		rfr_cp_info(e, cp, &ci);
		if (ci.cls == RC_LOWER || ci.cls == RC_UPPER) {
			if (nl == 0)
				first_up = ci.cls == RC_UPPER;
			nl++;
			nu += ci.cls == RC_UPPER;
			for (size_t i = 0; i < ci.flen; i++) {
				if (fl < cap)
					buf[fl] = ci.f[i];
				fl++;
			}
		} else if (ci.cls == RC_MARK || (ci.cls == RC_IGNORE && nl > 0)) {
			/* part of the word */
		} else {
			break;
		}
		q += n;
	}
	*flen = fl;
	*caps = nl == 0 ? 0 : (nu == nl && nl >= 2) ? 2 : first_up ? 1 : 0;
	return nl ? q : p;
}

void rfr_fold_latin(rfr_cpinfo *table)
{
	for (uint32_t cp = 0; cp < RFR_LATIN_TABLE; cp++)
		cp_compute(cp, &table[cp]);
}

/* Fold a whole UTF-8 string into its word list; calls fn for each word. */
int rfr_fold_words(const rfr_engine *e, const char *s, size_t len, int (*fn)(void *ctx, const char *w, size_t n,
	int caps, size_t start, size_t end, int sep), void *ctx)
{
	const unsigned char *t = (const unsigned char *)s;
	size_t p = 0;
	int sep = 0; /* what separated this word from the previous: 0 none/space, 1 hyphen, 2 apostrophe, 3 other */
	char buf[128];
	while (p < len) {
		size_t fl;
		int caps;
		size_t q = rfr_word_at(e, t, len, p, buf, sizeof buf, &fl, &caps);
		if (q > p) {
			int rc = fn(ctx, buf, fl < sizeof buf ? fl : sizeof buf, caps, p, q, sep);
			if (rc)
				return rc;
			sep = 0;
			p = q;
			continue;
		}
		uint32_t cp;
		size_t n = rfr_utf8(t, len, p, &cp);
		rfr_cpinfo ci;
		rfr_cp_info(e, cp, &ci);
		if (ci.cls == RC_HYPHEN)
			sep = sep ? 3 : 1;
		else if (ci.cls == RC_APOS)
			sep = sep ? 3 : 2;
		else if (ci.cls != RC_SPACE)
			sep = 3;
		p += n;
	}
	return 0;
}
