/* crypto/keywrap: casevault unwraps with its own RFC 3394 / 5649 steps over
 * AES-256-ECB (OpenSSL 3.0's wrap ciphers do not use AES-NI). It must
 * agree with OpenSSL's own wrap ciphers exactly: the RFC 3394 test vector,
 * every key length casevault and OpenSSL accept, one changed bit anywhere
 * or a wrong KEK refused as a wrong key (CV_EAUTH) with nothing left in
 * the output, and OpenSSL refusing the same inputs. */
#include "support.h"
#include "crypto/kdf.h"
#include "crypto/keywrap.h"
#include "util/hex.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenSSL's own wrap or unwrap (pad: RFC 5649); -1 when it refuses. */
static int openssl_wrap(int pad, int enc, const unsigned char kek[32], const unsigned char *in, size_t inlen,
	unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	int n = 0, m = 0;
	int ok = EVP_CipherInit_ex(ctx, pad ? EVP_aes_256_wrap_pad() : EVP_aes_256_wrap(), NULL, kek, NULL, enc) == 1 &&
		EVP_CipherUpdate(ctx, out, &n, in, (int)inlen) == 1 && EVP_CipherFinal_ex(ctx, out + n, &m) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? n + m : -1;
}

/* casevault's unwrap (pad: RFC 5649). */
static int ours(int pad, unsigned char *out, size_t *n, const unsigned char kek[32], const unsigned char *in, size_t len)
{
	return pad ? cv__unwrap_pad(out, n, kek, 32, in, len) : cv__unwrap(out, n, kek, in, len);
}

static void test_rfc3394_vector(void **s)
{
	(void)s;
	/* RFC 3394 4.6: 256 bits of key data with a 256-bit KEK */
	unsigned char kek[32], data[32], wrapped[40], out[40];
	assert_int_equal(cv__unhex(kek, sizeof kek, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"), 0);
	assert_int_equal(cv__unhex(data, sizeof data, "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F"), 0);
	assert_int_equal(cv__unhex(wrapped, sizeof wrapped,
		"28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"), 0);
	size_t n = 0;
	assert_int_equal(cv__unwrap(out, &n, kek, wrapped, sizeof wrapped), 0);
	assert_int_equal(n, 32);
	assert_memory_equal(out, data, 32);
}

/* Fresh KEK and key data of LEN bytes, wrapped by OpenSSL; 0 when LEN is
 * not a length of that kind of wrap. */
static int fresh(int pad, size_t len, unsigned char kek[32], unsigned char *data, unsigned char *wrapped)
{
	if (!pad && (len < 16 || len % 8))
		return 0;
	assert_int_equal(RAND_bytes(kek, 32), 1);
	assert_int_equal(RAND_bytes(data, (int)len), 1);
	int wl = openssl_wrap(pad, 1, kek, data, len, wrapped);
	assert_true(wl > 0);
	return wl;
}

/* Every length: what OpenSSL wraps, casevault unwraps to the same bytes. */
static void test_agrees_with_openssl(void **s)
{
	(void)s;
	unsigned char kek[32], data[72], wrapped[88], out[88];
	for (size_t len = 1; len <= 64; len++) {
		for (int pad = 0; pad <= 1; pad++) {
			int wl = fresh(pad, len, kek, data, wrapped);
			if (!wl)
				continue;
			size_t n = 0;
			assert_int_equal(ours(pad, out, &n, kek, wrapped, (size_t)wl), 0);
			assert_int_equal(n, len);
			assert_memory_equal(out, data, len);
		}
	}
}

/* One bit changed anywhere, or another KEK: refused by both, as a wrong
 * key, and nothing of the key data left in the output buffer. */
static void test_refuses_what_openssl_refuses(void **s)
{
	(void)s;
	unsigned char kek[32], kek2[32], data[40], wrapped[56], bad[56], out[56], ref[56];
	static const size_t lens[] = { 5, 8, 9, 32, 40 };
	for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
		size_t len = lens[li];
		assert_int_equal(RAND_bytes(kek2, sizeof kek2), 1);
		for (int pad = 0; pad <= 1; pad++) {
			int wl = fresh(pad, len, kek, data, wrapped);
			if (!wl)
				continue;
			for (int bit = 0; bit < wl * 8; bit++) {
				memcpy(bad, wrapped, (size_t)wl);
				bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
				memset(out, 0, sizeof out);
				size_t n = 0;
				assert_int_equal(ours(pad, out, &n, kek, bad, (size_t)wl), CV_EAUTH);
				assert_int_equal(openssl_wrap(pad, 0, kek, bad, (size_t)wl, ref), -1);
				for (size_t i = 0; i < (size_t)wl - 8; i++)
					assert_int_equal(out[i], 0);
			}
			size_t n = 0;
			assert_int_equal(ours(pad, out, &n, kek2, wrapped, (size_t)wl), CV_EAUTH);
			assert_int_equal(openssl_wrap(pad, 0, kek2, wrapped, (size_t)wl, ref), -1);
		}
	}
	cv_error_clear();
}

/* casevault's own wrap (OpenSSL's) round-trips through its unwrap. */
static void test_round_trip(void **s)
{
	(void)s;
	unsigned char kek[32], data[32], wrapped[48], out[48];
	assert_int_equal(RAND_bytes(kek, sizeof kek), 1);
	assert_int_equal(RAND_bytes(data, sizeof data), 1);
	size_t wl = 0, n = 0;
	assert_int_equal(cv__wrap(wrapped, &wl, kek, data, 32), 0);
	assert_int_equal(cv__unwrap(out, &n, kek, wrapped, wl), 0);
	assert_int_equal(n, 32);
	assert_memory_equal(out, data, 32);
	assert_int_equal(cv__wrap_pad(wrapped, &wl, kek, 32, data, 20), 0);
	assert_int_equal(cv__unwrap_pad(out, &n, kek, 32, wrapped, wl), 0);
	assert_int_equal(n, 20);
	assert_memory_equal(out, data, 20);
}

CVT_MAIN(cmocka_unit_test(test_rfc3394_vector), cmocka_unit_test(test_agrees_with_openssl),
	cmocka_unit_test(test_refuses_what_openssl_refuses), cmocka_unit_test(test_round_trip))
