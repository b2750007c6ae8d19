#include "crypto/keywrap.h"
#include "crypto/algs.h"
#include "util/error.h"

#include <openssl/evp.h>

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

int cv__unwrap_pad(unsigned char *out, size_t *outlen, const unsigned char *kek, size_t keklen,
	const unsigned char *in, size_t inlen)
{
	const EVP_CIPHER *c = pad_cipher(keklen);
	if (!c || inlen < 16 || inlen % 8)
		return cv__err(CV_EINVAL, "bad wrapped key length %zu", inlen);
	return run(c, 0, out, outlen, kek, in, inlen);
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
	return run(cv__alg_aes256wrap(), 0, out, outlen, kek, in, inlen);
}
