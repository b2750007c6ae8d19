/* crypto/kdf, keywrap, fieldbox: published test vectors (RFC 5869 HKDF,
 * RFC 5649 and RFC 3394 key wrap, RFC 7914 scrypt, RFC 4231 HMAC, FIPS 180
 * SHA-256) and the field box's authenticity and AAD binding. */
#include "support.h"
#include "crypto/fieldbox.h"
#include "crypto/kdf.h"
#include "crypto/keywrap.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

static void expect_hex(const unsigned char *got, size_t n, const char *hex)
{
	size_t len = 0;
	unsigned char *want = cvt_unhex(hex, &len);
	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
	free(want);
}

static unsigned char *range(unsigned start, size_t n)
{
	unsigned char *p = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(start + i);
	p[n] = 0;
	return p;
}

/* ---- HKDF-SHA-256, RFC 5869 appendix A.1-A.3 ---- */

static void test_hkdf_case1(void **s)
{
	(void)s;
	unsigned char ikm[22], out[42];
	memset(ikm, 0x0b, sizeof ikm);
	unsigned char *salt = range(0x00, 13), *info = range(0xf0, 10);
	assert_int_equal(cv__hkdf(out, sizeof out, ikm, sizeof ikm, salt, 13, (const char *)info), 0);
	expect_hex(out, sizeof out,
		"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
	free(salt);
	free(info);
}

static void test_hkdf_case2(void **s)
{
	(void)s;
	unsigned char out[82];
	unsigned char *ikm = range(0x00, 80), *salt = range(0x60, 80), *info = range(0xb0, 80);
	assert_int_equal(cv__hkdf(out, sizeof out, ikm, 80, salt, 80, (const char *)info), 0);
	expect_hex(out, sizeof out,
		"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		"59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
		"cc30c58179ec3e87c14c01d5c1f3434f1d87");
	free(ikm);
	free(salt);
	free(info);
}

static void test_hkdf_case3(void **s)
{
	(void)s;
	unsigned char ikm[22], out[42];
	memset(ikm, 0x0b, sizeof ikm);
	assert_int_equal(cv__hkdf(out, sizeof out, ikm, sizeof ikm, NULL, 0, ""), 0);
	expect_hex(out, sizeof out,
		"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

static void test_hkdf_labels_separate(void **s)
{
	(void)s;
	unsigned char ikm[32], a[32], b[32];
	cvt_fill(ikm, sizeof ikm, 5);
	assert_int_equal(cv__hkdf(a, 32, ikm, 32, (const unsigned char *)"id", 2, "casevault/v1 case-key-wrap"), 0);
	assert_int_equal(cv__hkdf(b, 32, ikm, 32, (const unsigned char *)"id", 2, "casevault/v1 blind-index"), 0);
	assert_memory_not_equal(a, b, 32);
	assert_int_equal(cv__hkdf(b, 32, ikm, 32, (const unsigned char *)"iD", 2, "casevault/v1 case-key-wrap"), 0);
	assert_memory_not_equal(a, b, 32);
}

/* ---- RFC 5649 (AES key wrap with padding) ---- */

static const char *KEK192 = "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8";

static void wrap_pad_vector(const char *key_hex, const char *wrapped_hex)
{
	size_t kl = 0, ml = 0, wl = 0;
	unsigned char *kek = cvt_unhex(KEK192, &kl), *key = cvt_unhex(key_hex, &ml), *want = cvt_unhex(wrapped_hex, &wl);
	unsigned char out[64], back[64];
	size_t olen = 0, blen = 0;
	assert_int_equal(cv__wrap_pad(out, &olen, kek, kl, key, ml), 0);
	assert_int_equal(olen, wl);
	assert_memory_equal(out, want, wl);
	assert_int_equal(cv__unwrap_pad(back, &blen, kek, kl, out, olen), 0);
	assert_int_equal(blen, ml);
	assert_memory_equal(back, key, ml);
	/* any single bit flipped in the wrapped key: refused */
	for (size_t i = 0; i < olen; i++) {
		unsigned char t[64];
		memcpy(t, out, olen);
		t[i] ^= 0x10;
		assert_true(cv__unwrap_pad(back, &blen, kek, kl, t, olen) < 0);
	}
	/* wrong KEK: refused */
	kek[0] ^= 1;
	assert_true(cv__unwrap_pad(back, &blen, kek, kl, out, olen) < 0);
	free(kek);
	free(key);
	free(want);
}

static void test_rfc5649_20_bytes(void **s)
{
	(void)s;
	wrap_pad_vector("c37b7e6492584340bed12207808941155068f738",
		"138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a");
}

static void test_rfc5649_7_bytes(void **s)
{
	(void)s;
	wrap_pad_vector("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f");
}

static void test_wrap_pad_case_key(void **s)
{
	/* how case keys are kept: a 32-byte key under a 32-byte KEK -> 40 bytes */
	(void)s;
	unsigned char kek[32], key[32], w[48], back[48];
	size_t wl = 0, bl = 0;
	cvt_fill(kek, 32, 7);
	cvt_fill(key, 32, 8);
	assert_int_equal(cv__wrap_pad(w, &wl, kek, 32, key, 32), 0);
	assert_int_equal(wl, 40);
	assert_int_equal(cv__unwrap_pad(back, &bl, kek, 32, w, wl), 0);
	assert_int_equal(bl, 32);
	assert_memory_equal(back, key, 32);
	assert_true(cv__unwrap_pad(back, &bl, kek, 32, w, wl - 8) < 0);
	assert_true(cv__unwrap_pad(back, &bl, kek, 20, w, wl) < 0); /* bad KEK size */
	assert_true(cv__wrap_pad(w, &wl, kek, 32, key, 0) < 0);
}

/* ---- RFC 3394 with a 256-bit KEK (sections 4.3 and 4.6) ---- */

static void test_rfc3394(void **s)
{
	(void)s;
	size_t kl = 0, dl = 0, wl = 0;
	unsigned char *kek = cvt_unhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", &kl);
	unsigned char out[64], back[64];
	size_t ol = 0, bl = 0;

	unsigned char *d = cvt_unhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F", &dl);
	unsigned char *w = cvt_unhex("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21", &wl);
	assert_int_equal(cv__wrap(out, &ol, kek, d, dl), 0);
	assert_int_equal(ol, wl);
	assert_memory_equal(out, w, wl);
	assert_int_equal(cv__unwrap(back, &bl, kek, w, wl), 0);
	assert_int_equal(bl, dl);
	assert_memory_equal(back, d, dl);
	w[5] ^= 1;
	assert_true(cv__unwrap(back, &bl, kek, w, wl) < 0);
	free(d);
	free(w);

	d = cvt_unhex("00112233445566778899AABBCCDDEEFF", &dl);
	w = cvt_unhex("64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7", &wl);
	assert_int_equal(cv__wrap(out, &ol, kek, d, dl), 0);
	assert_int_equal(ol, wl);
	assert_memory_equal(out, w, wl);
	assert_int_equal(cv__unwrap(back, &bl, kek, w, wl), 0);
	assert_memory_equal(back, d, dl);
	free(d);
	free(w);
	/* lengths RFC 3394 does not allow */
	assert_true(cv__wrap(out, &ol, kek, back, 8) < 0);
	assert_true(cv__wrap(out, &ol, kek, back, 17) < 0);
	assert_true(cv__unwrap(back, &bl, kek, out, 16) < 0);
	free(kek);
}

/* ---- scrypt, RFC 7914 section 12 ---- */

static void test_scrypt_rfc7914(void **s)
{
	(void)s;
	unsigned char out[64];
	cv_scrypt_params p = { 14, 8, 1 };
	assert_int_equal(cv__scrypt(out, sizeof out, "pleaseletmein", 13, (const unsigned char *)"SodiumChloride", 14, &p), 0);
	expect_hex(out, sizeof out,
		"7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
		"d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

static void test_scrypt_bounds(void **s)
{
	(void)s;
	unsigned char out[32];
	cv_scrypt_params low = { 4, 1, 1 }, high = { 23, 8, 1 }, r0 = { 10, 0, 1 }, p0 = { 10, 1, 0 };
	const unsigned char salt[] = "salt";
	assert_int_equal(cv__scrypt(out, 32, "pw", 2, salt, 4, &low), CV_EINVAL);
	assert_int_equal(cv__scrypt(out, 32, "pw", 2, salt, 4, &high), CV_EINVAL);
	assert_int_equal(cv__scrypt(out, 32, "pw", 2, salt, 4, &r0), CV_EINVAL);
	assert_int_equal(cv__scrypt(out, 32, "pw", 2, salt, 4, &p0), CV_EINVAL);
}

/* ---- HMAC-SHA-256, RFC 4231 cases 1 and 2; SHA-256 ---- */

static void test_hmac_rfc4231(void **s)
{
	(void)s;
	unsigned char key[20], out[32];
	memset(key, 0x0b, sizeof key);
	assert_int_equal(cv__hmac_sha256(out, key, 20, "Hi There", 8), 0);
	expect_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	const char *d2 = "what do ya want for nothing?";
	assert_int_equal(cv__hmac_sha256(out, (const unsigned char *)"Jefe", 4, d2, strlen(d2)), 0);
	expect_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* incremental gives the same */
	cv_hmac *h = NULL;
	unsigned char inc[32];
	assert_int_equal(cv__hmac_new(&h, (const unsigned char *)"Jefe", 4), 0);
	for (size_t i = 0; i < strlen(d2); i += 5)
		assert_int_equal(cv__hmac_update(h, d2 + i, strlen(d2) - i < 5 ? strlen(d2) - i : 5), 0);
	assert_int_equal(cv__hmac_final(h, inc), 0);
	cv__hmac_free(h);
	assert_memory_equal(inc, out, 32);
}

static void test_sha256(void **s)
{
	(void)s;
	unsigned char out[32];
	assert_int_equal(cv__sha256(out, "abc", 3), 0);
	expect_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(cv__sha256(out, "", 0), 0);
	expect_hex(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_random(void **s)
{
	(void)s;
	unsigned char a[32] = { 0 }, b[32] = { 0 }, z[32] = { 0 };
	assert_int_equal(cv__random(a, 32), 0);
	assert_int_equal(cv__random(b, 32), 0);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, z, 32);
}

/* ---- field box ---- */

static void test_fieldbox(void **s)
{
	(void)s;
	unsigned char key[32], other[32];
	cvt_fill(key, 32, 11);
	memcpy(other, key, 32);
	other[7] ^= 4;
	const char *msg = "{\"last\":\"Da Silva\",\"phone\":\"0612345678\"}";
	cv_buf box = CV_BUF_INIT, out = CV_BUF_INIT;
	assert_int_equal(cv__box_seal(&box, key, "casevault/v1|c1|person:p1", msg, strlen(msg)), 0);
	assert_int_equal(box.len, strlen(msg) + 29);
	assert_int_equal(box.data[0], 1);
	assert_null(cvt_memmem(box.data, box.len, "Da Silva", 8));
	assert_int_equal(cv__box_open(&out, key, "casevault/v1|c1|person:p1", box.data, box.len), 0);
	assert_int_equal(out.len, strlen(msg));
	assert_string_equal((const char *)out.data, msg);

	/* bound to where it lives: another row's AAD fails */
	assert_int_equal(cv__box_open(&out, key, "casevault/v1|c1|person:p2", box.data, box.len), CV_EDAMAGED);
	assert_int_equal(out.len, 0);
	assert_int_equal(cv__box_open(&out, key, "casevault/v1|c2|person:p1", box.data, box.len), CV_EDAMAGED);
	assert_int_equal(cv__box_open(&out, key, "", box.data, box.len), CV_EDAMAGED);
	/* wrong key */
	assert_int_equal(cv__box_open(&out, other, "casevault/v1|c1|person:p1", box.data, box.len), CV_EDAMAGED);
	assert_int_equal(out.len, 0);
	/* every byte flipped, truncations */
	for (size_t i = 0; i < box.len; i++) {
		box.data[i] ^= 0x20;
		assert_int_equal(cv__box_open(&out, key, "casevault/v1|c1|person:p1", box.data, box.len), CV_EDAMAGED);
		assert_int_equal(out.len, 0);
		if (out.data)
			assert_null(cvt_memmem(out.data, out.cap, "Da Silva", 8));
		box.data[i] ^= 0x20;
	}
	for (size_t n = 0; n < box.len; n++)
		assert_int_equal(cv__box_open(&out, key, "casevault/v1|c1|person:p1", box.data, n), CV_EDAMAGED);
	/* empty field */
	assert_int_equal(cv__box_seal(&box, key, "a", "", 0), 0);
	assert_int_equal(box.len, 29);
	assert_int_equal(cv__box_open(&out, key, "a", box.data, box.len), 0);
	assert_int_equal(out.len, 0);
	assert_string_equal((const char *)out.data, "");
	cv__buf_dispose(&box);
	cv__buf_wipe_dispose(&out);
}

CVT_MAIN(cmocka_unit_test(test_hkdf_case1),
	cmocka_unit_test(test_hkdf_case2),
	cmocka_unit_test(test_hkdf_case3),
	cmocka_unit_test(test_hkdf_labels_separate),
	cmocka_unit_test(test_rfc5649_20_bytes),
	cmocka_unit_test(test_rfc5649_7_bytes),
	cmocka_unit_test(test_wrap_pad_case_key),
	cmocka_unit_test(test_rfc3394),
	cmocka_unit_test(test_scrypt_rfc7914),
	cmocka_unit_test(test_scrypt_bounds),
	cmocka_unit_test(test_hmac_rfc4231),
	cmocka_unit_test(test_sha256),
	cmocka_unit_test(test_random),
	cmocka_unit_test(test_fieldbox))
