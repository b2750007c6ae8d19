/* util/text: NFC for stored names and paths, folding and search keys for
 * the blind index (case, accents, Unicode form, hyphens and spaces,
 * ligatures), and refusal of invalid UTF-8. */
#include "support.h"
#include "util/text.h"

#include <stdlib.h>
#include <string.h>

static char *key(const char *s)
{
	char *k = NULL;
	if (cv__fold_key(&k, s) != 0)
		fail_msg("fold_key('%s') failed: %s", s, cv_error_last()->message);
	return k;
}

static void same_key(const char *a, const char *b)
{
	char *ka = key(a), *kb = key(b);
	if (strcmp(ka, kb))
		fail_msg("'%s' -> '%s' but '%s' -> '%s'", a, ka, b, kb);
	free(ka);
	free(kb);
}

static void key_is(const char *in, const char *want)
{
	char *k = key(in);
	if (strcmp(k, want))
		fail_msg("fold_key('%s') = '%s', expected '%s'", in, k, want);
	free(k);
}

static void test_nfc(void **s)
{
	(void)s;
	/* "François" with c + combining cedilla (NFD) -> precomposed ç */
	const char *nfd = "Franc\xcc\xa7ois", *nfc = "Fran\xc3\xa7ois";
	char *out = NULL;
	assert_int_equal(cv__nfc(&out, nfd, strlen(nfd)), 0);
	assert_string_equal(out, nfc);
	free(out);
	/* already NFC: unchanged */
	assert_int_equal(cv__nfc(&out, nfc, strlen(nfc)), 0);
	assert_string_equal(out, nfc);
	free(out);
	/* "Hélène" NFD (e + U+0301, e + U+0300) */
	const char *h = "He\xcc\x81le\xcc\x80ne";
	assert_int_equal(cv__nfc(&out, h, strlen(h)), 0);
	assert_string_equal(out, "H\xc3\xa9l\xc3\xa8ne");
	free(out);
	/* NFC keeps compatibility characters (that is NFKC's business) and case */
	const char *lig = "\xc5\x92uvre"; /* Œuvre */
	assert_int_equal(cv__nfc(&out, lig, strlen(lig)), 0);
	assert_string_equal(out, lig);
	free(out);
}

static void test_fold_key_names(void **s)
{
	(void)s;
	same_key("Da-Silva", "da silva");
	same_key("Da-Silva", "DASILVA");
	same_key("Da-Silva", "Da Silva");
	key_is("Da-Silva", "dasilva");
	same_key("Fran\xc3\xa7ois", "FRANCOIS");      /* François (NFC) */
	same_key("Fran\xc3\xa7ois", "fran\x63\xcc\xa7ois"); /* françois (NFD) */
	key_is("Fran\xc3\xa7ois", "francois");
	key_is("\xc5\x92uvre", "oeuvre");             /* Œuvre */
	key_is("\xc5\x93uvre", "oeuvre");             /* œuvre */
	key_is("L\xc3\xa6titia", "laetitia");         /* Lætitia */
	key_is("O'Neill", "oneill");
	key_is("  H\xc3\xa9l\xc3\xa8ne  ", "helene");
	key_is("Anne-Marie 2", "annemarie2");
	same_key("L\xc3\x89ON", "leon");              /* LÉON */
	key_is("---", "");
}

static void test_fold(void **s)
{
	(void)s;
	char *out = NULL;
	assert_int_equal(cv__fold(&out, "\xc3\x89lo\xc3\xafse", 8), 0); /* Éloïse */
	assert_string_equal(out, "eloise");
	free(out);
	/* folding keeps separators (only fold_key drops them) */
	assert_int_equal(cv__fold(&out, "Da-Silva", 8), 0);
	assert_string_equal(out, "da-silva");
	free(out);
}

static void test_invalid_utf8(void **s)
{
	(void)s;
	const char *bad[] = {
		"\xff",                 /* never valid */
		"abc\xc3",              /* truncated sequence */
		"\xc3\x28",             /* bad continuation */
		"\xe2\x82",             /* truncated 3-byte */
		"\xc0\xaf",             /* overlong '/' */
		"\xed\xa0\x80",         /* UTF-16 surrogate */
		"\xf4\x90\x80\x80",     /* beyond U+10FFFF */
		NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		char *out = NULL;
		size_t n = strlen(bad[i]);
		assert_false(cv__utf8_valid(bad[i], n));
		if (cv__nfc(&out, bad[i], n) != CV_EINVAL)
			fail_msg("cv__nfc accepted invalid UTF-8 #%zu", i);
		if (cv__fold(&out, bad[i], n) != CV_EINVAL)
			fail_msg("cv__fold accepted invalid UTF-8 #%zu", i);
		if (cv__fold_key(&out, bad[i]) != CV_EINVAL)
			fail_msg("cv__fold_key accepted invalid UTF-8 #%zu", i);
	}
	/* an embedded NUL is refused too */
	char *out = NULL;
	assert_int_equal(cv__nfc(&out, "a\0b", 3), CV_EINVAL);
	assert_true(cv__utf8_valid("Fran\xc3\xa7ois", 9));
	assert_true(cv__utf8_valid("", 0));
	/* ASCII is skipped eight bytes at a time: a bad byte is found at every
	 * offset of a long run, and a good sequence after one is accepted */
	char buf[64];
	for (size_t at = 0; at + 2 <= sizeof buf; at++) {
		memset(buf, 'a', sizeof buf);
		buf[at] = '\xc3';
		buf[at + 1] = '\xa7';
		assert_true(cv__utf8_valid(buf, sizeof buf));
		buf[at + 1] = '(';
		if (cv__utf8_valid(buf, sizeof buf))
			fail_msg("bad continuation at offset %zu accepted", at);
		buf[at] = '\xff';
		if (cv__utf8_valid(buf, sizeof buf))
			fail_msg("0xff at offset %zu accepted", at);
	}
	memset(buf, 'a', sizeof buf);
	buf[sizeof buf - 1] = '\xe2'; /* truncated at the very end */
	assert_false(cv__utf8_valid(buf, sizeof buf));
}

CVT_MAIN(cmocka_unit_test(test_nfc),
	cmocka_unit_test(test_fold_key_names),
	cmocka_unit_test(test_fold),
	cmocka_unit_test(test_invalid_utf8))
