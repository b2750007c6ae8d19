#include "crypto/keywrap.h"
#include "crypto/algs.h"
#include "util/error.h"

#include "util/wipe.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

static const EVP_CIPHER *pad_cipher(size_t keklen)
{
	switch (keklen) {
	case 16: return EVP_aes_128_wrap_pad();
	case 24: return EVP_aes_192_wrap_pad();
	case 32: return cv__alg_aes256wrap_pad();
	default: return NULL;
	}
}

static int run(const EVP_CIPHER *c, int enc, unsigned char *out, size_t *outlen, const unsigned char *kek,
	const unsigned char *in, size_t inlen)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return cv__oom();
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	/* the integrity check runs in the update: a set-up that failed is not a wrong key */
	int n = 0, m = 0, ready = EVP_CipherInit_ex(ctx, c, NULL, kek, NULL, enc) == 1;
	int ok = ready && EVP_CipherUpdate(ctx, out, &n, in, (int)inlen) == 1 && EVP_CipherFinal_ex(ctx, out + n, &m) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ready)
		return cv__crypto_setup_failed(enc ? "wrap a key" : "unwrap a key");
	if (!ok)
		return cv__err(enc ? CV_ERROR : CV_EAUTH, enc ? "key wrap failed" : "key unwrap failed: wrong key or damaged wrapped key");
	*outlen = (size_t)(n + m);
	return 0;
}

int cv__wrap_pad(unsigned char *out, size_t *outlen, const unsigned char *kek, size_t keklen,
	const unsigned char *in, size_t inlen)
{
	const EVP_CIPHER *c = pad_cipher(keklen);
	if (!c || inlen == 0)
		return cv__err(CV_EINVAL, "bad key wrap arguments");
	return run(c, 1, out, outlen, kek, in, inlen);
}

/* Unwrapping, for a 256-bit KEK, with OpenSSL's AES-256-ECB doing the
 * block decryptions: OpenSSL 3.0's wrap ciphers decrypt each block with its
 * table-based AES_decrypt, not AES-NI, and there is one unwrap per stored
 * chunk read and per case key opened (6 % of a full verify, 5 % of a quick
 * one). The steps are RFC 3394's W^-1 (section 2.2.2, the index-based
 * form), with RFC 5649's single-block case; wrapping stays OpenSSL's, and
 * tests/unit/test_crypto_keywrap.c checks that this unwraps what OpenSSL wraps
 * and refuses what it refuses. A (8 bytes) and R (n blocks of 8) are
 * updated in place. */
static int unwrap_steps(unsigned char a[8], unsigned char *r, size_t n, const unsigned char kek[32])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok = ctx && EVP_DecryptInit_ex(ctx, cv__alg_aes256ecb(), NULL, kek, NULL) == 1 &&
		EVP_CIPHER_CTX_set_padding(ctx, 0) == 1;
	unsigned char b[16];
	int l = 0;
	if (ok && n == 1) {
		memcpy(b, a, 8);
		memcpy(b + 8, r, 8);
		ok = EVP_DecryptUpdate(ctx, b, &l, b, 16) == 1 && l == 16;
		memcpy(a, b, 8);
		memcpy(r, b + 8, 8);
	}
	for (int j = 5; ok && n > 1 && j >= 0; j--) {
		for (size_t i = n; ok && i >= 1; i--) {
			uint64_t t = (uint64_t)n * (uint64_t)j + i;
			memcpy(b, a, 8);
			for (int k = 0; k < 8; k++)
				b[7 - k] ^= (unsigned char)(t >> (8 * k));
			memcpy(b + 8, r + (i - 1) * 8, 8);
			ok = EVP_DecryptUpdate(ctx, b, &l, b, 16) == 1 && l == 16;
			memcpy(a, b, 8);
			memcpy(r + (i - 1) * 8, b + 8, 8);
		}
	}
	EVP_CIPHER_CTX_free(ctx);
	cv__wipe(b, sizeof b);
	return ok ? 0 : cv__crypto_setup_failed("unwrap a key");
}

static int unwrap_refused(unsigned char *out, size_t n)
{
	cv__wipe(out, n);
	return cv__err(CV_EAUTH, "key unwrap failed: wrong key or damaged wrapped key");
}

int cv__unwrap_pad(unsigned char *out, size_t *outlen, const unsigned char *kek, size_t keklen,
	const unsigned char *in, size_t inlen)
{
	const EVP_CIPHER *c = pad_cipher(keklen);
	if (!c || inlen < 16 || inlen % 8)
		return cv__err(CV_EINVAL, "bad wrapped key length %zu", inlen);
	if (keklen != 32)
		return run(c, 0, out, outlen, kek, in, inlen);
	size_t n = inlen / 8 - 1;
	unsigned char a[8];
	memcpy(a, in, 8);
	memmove(out, in + 8, n * 8);
	CV_TRY(unwrap_steps(a, out, n, kek));
	/* RFC 5649 3: the alternative initial value, a message length that
	 * leaves fewer than 8 bytes of padding, and zero padding */
	static const unsigned char aiv[4] = { 0xa6, 0x59, 0x59, 0xa6 };
	uint32_t mli = (uint32_t)a[4] << 24 | (uint32_t)a[5] << 16 | (uint32_t)a[6] << 8 | a[7];
	int bad = CRYPTO_memcmp(a, aiv, 4) != 0 || mli <= 8 * (n - 1) || mli > 8 * n;
	unsigned char pad = 0;
	for (size_t i = bad ? 8 * n : mli; i < 8 * n; i++)
		pad |= out[i];
	if (bad || pad)
		return unwrap_refused(out, 8 * n);
	*outlen = mli;
	return 0;
}

int cv__wrap(unsigned char *out, size_t *outlen, const unsigned char kek[32], const unsigned char *in, size_t inlen)
{
	if (inlen < 16 || inlen % 8)
		return cv__err(CV_EINVAL, "bad key length %zu for RFC 3394 wrap", inlen);
	return run(cv__alg_aes256wrap(), 1, out, outlen, kek, in, inlen);
}

int cv__unwrap(unsigned char *out, size_t *outlen, const unsigned char kek[32], const unsigned char *in, size_t inlen)
{
	if (inlen < 24 || inlen % 8)
		return cv__err(CV_EINVAL, "bad wrapped key length %zu", inlen);
	size_t n = inlen / 8 - 1;
	unsigned char a[8];
	static const unsigned char iv[8] = { 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6 };
	memcpy(a, in, 8);
	memmove(out, in + 8, n * 8);
	CV_TRY(unwrap_steps(a, out, n, kek));
	if (CRYPTO_memcmp(a, iv, 8))
		return unwrap_refused(out, 8 * n);
	*outlen = 8 * n;
	return 0;
}
