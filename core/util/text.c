#include "util/text.h"
#include "util/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int cv__utf8_valid(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)len;
	while (left > 0) {
		/* French text is mostly ASCII: skip it eight bytes at a time. */
		while (left >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ull)
				break;
			p += 8;
			left -= 8;
		}
		if (left > 0 && *p < 0x80) {
			p++;
			left--;
			continue;
		}
		if (left <= 0)
			break;
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
		if (n <= 0 || cp < 0)
			return 0;
		p += n;
		left -= n;
	}
	return 1;
}

void cv__copy_trunc(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static int map(char **out, const char *in, size_t len, utf8proc_option_t opts)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &dst, opts);
	if (n < 0) {
		free(dst);
		if (n == UTF8PROC_ERROR_NOMEM)
			return cv__oom();
		return cv__err(CV_EINVAL, "invalid UTF-8 text (%s)", utf8proc_errmsg(n));
	}
	*out = (char *)dst;
	return 0;
}

int cv__nfc(char **out, const char *in, size_t len)
{
	if (memchr(in, '\0', len))
		return cv__err(CV_EINVAL, "text contains a NUL byte");
	return map(out, in, len, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
}

int cv__fold(char **out, const char *in, size_t len)
{
	char *tmp = NULL;
	if (memchr(in, '\0', len))
		return cv__err(CV_EINVAL, "text contains a NUL byte");
	CV_TRY(map(&tmp, in, len,
		UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD));
	/* œ (U+0153, C5 93) and æ (U+00E6, C3 A6) are letters, not ligatures, to
	 * Unicode; French writers use them interchangeably with oe/ae. */
	size_t n = strlen(tmp);
	char *res = malloc(n + 1);
	if (!res) {
		free(tmp);
		return cv__oom();
	}
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tmp[i];
		if (c == 0xC5 && i + 1 < n && (unsigned char)tmp[i + 1] == 0x93) {
			res[j++] = 'o';
			res[j++] = 'e';
			i++;
		} else if (c == 0xC3 && i + 1 < n && (unsigned char)tmp[i + 1] == 0xA6) {
			res[j++] = 'a';
			res[j++] = 'e';
			i++;
		} else {
			res[j++] = (char)c;
		}
	}
	res[j] = '\0';
	free(tmp);
	*out = res;
	return 0;
}

int cv__fold_key(char **out, const char *in)
{
	char *f = NULL;
	CV_TRY(cv__fold(&f, in, strlen(in)));
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)f;
	size_t j = 0;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(f);
	char *w = f;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
		if (n <= 0)
			break;
		utf8proc_category_t cat = utf8proc_category(cp);
		int keep = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
			cat == UTF8PROC_CATEGORY_ND;
		if (keep) {
			memmove(w + j, p, (size_t)n);
			j += (size_t)n;
		}
		p += n;
		left -= n;
	}
	w[j] = '\0';
	*out = f;
	return 0;
}
