#include "crypto/kdf.h"
#include <unistd.h>
#include <stdlib.h>
#include <errno.h>
#include "crypto/algs.h"
#include "util/error.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <string.h>

int cv__random(void *out, size_t n)
{
	if (RAND_bytes(out, (int)n) != 1)
		return cv__err(CV_ENOMEM, "the random generator failed (out of memory, or no entropy source)");
	return 0;
}

/* HKDF-SHA-256 (RFC 5869) as its two HMAC steps, on HMAC contexts
 * duplicated from a template: OpenSSL 3.0's HKDF context cannot be
 * duplicated and fetching it per call cost a tenth of a verify. The RFC's
 * test vectors are in tests/unit/test_crypto_kdf.c. */
int cv__hkdf_extract(unsigned char prk[32], const unsigned char *ikm, size_t ikmlen, const unsigned char *salt,
	size_t saltlen)
{
	static const unsigned char zeros[32];
	return cv__hmac_sha256(prk, saltlen ? salt : zeros, saltlen ? saltlen : 32, ikm, ikmlen);
}

int cv__hkdf_expand(unsigned char *out, size_t outlen, const unsigned char prk[32], const char *info)
{
	unsigned char t[32];
	if (outlen > 255 * 32)
		return cv__err(CV_EINVAL, "HKDF output too long");
	cv_hmac *h = NULL;
	int rc = cv__hmac_new(&h, prk, 32);
	size_t done = 0, tl = 0;
	for (unsigned char i = 1; !rc && done < outlen; i++) {
		if (i > 1)
			rc = cv__hmac_reset(h);
		if (!rc && tl)
			rc = cv__hmac_update(h, t, tl);
		if (!rc)
			rc = cv__hmac_update(h, info, strlen(info));
		if (!rc)
			rc = cv__hmac_update(h, &i, 1);
		if (!rc)
			rc = cv__hmac_final(h, t);
		tl = 32;
		size_t n = outlen - done < 32 ? outlen - done : 32;
		if (!rc)
			memcpy(out + done, t, n);
		done += n;
	}
	cv__hmac_free(h);
	OPENSSL_cleanse(t, sizeof t);
	return rc;
}

int cv__hkdf(unsigned char *out, size_t outlen, const unsigned char *ikm, size_t ikmlen,
	const unsigned char *salt, size_t saltlen, const char *info)
{
	unsigned char prk[32];
	if (outlen > 255 * 32)
		return cv__err(CV_EINVAL, "HKDF output too long");
	int rc = cv__hkdf_extract(prk, ikm, ikmlen, salt, saltlen);
	if (!rc)
		rc = cv__hkdf_expand(out, outlen, prk, info);
	OPENSSL_cleanse(prk, sizeof prk);
	return rc;
}

int cv__scrypt(unsigned char *out, size_t outlen, const char *pass, size_t passlen,
	const unsigned char *salt, size_t saltlen, const cv_scrypt_params *prm)
{
	if (prm->log2_n < 10 || prm->log2_n > 22 || prm->r < 1 || prm->r > 32 || prm->p < 1 || prm->p > 16)
		return cv__err(CV_EINVAL, "scrypt parameters out of range (N=2^%u r=%u p=%u)", prm->log2_n, prm->r, prm->p);
	uint64_t n = (uint64_t)1 << prm->log2_n;
	uint64_t maxmem = 128 * n * prm->r * (prm->p + 1) + (1u << 20);
	if (EVP_PBE_scrypt(pass, passlen, salt, saltlen, n, prm->r, prm->p, maxmem, out, outlen) != 1)
		return cv__err(CV_ENOMEM, "scrypt (N=2^%u r=%u p=%u) failed: out of memory", prm->log2_n, prm->r, prm->p);
	return 0;
}

int cv__sha256(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 32;
	if (EVP_Digest(data, len, out, &n, cv__alg_sha256(), NULL) != 1)
		return cv__crypto_setup_failed("compute a SHA-256");
	return 0;
}

int cv__sha256_fd(unsigned char out[32], int fd)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(1 << 20);
	int rc = ctx && buf && EVP_DigestInit_ex(ctx, cv__alg_sha256(), NULL) == 1 ? 0 : cv__crypto_setup_failed("compute a SHA-256");
	ssize_t n = 0;
	while (!rc && (n = read(fd, buf, 1 << 20)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = cv__err(CV_ERROR, "cannot read back what was written: %s", strerror(errno));
		else if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			rc = cv__crypto_setup_failed("compute a SHA-256");
	}
	unsigned int len = 32;
	if (!rc && EVP_DigestFinal_ex(ctx, out, &len) != 1)
		rc = cv__crypto_setup_failed("compute a SHA-256");
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

struct cv_hmac {
	EVP_MAC_CTX *ctx;
};

int cv__hmac_new(cv_hmac **out, const unsigned char *key, size_t keylen)
{
	EVP_MAC_CTX *ctx = cv__alg_hmac_sha256_ctx();
	if (!ctx)
		return cv__err(CV_ENOMEM, "cannot set up HMAC: out of memory (or the OpenSSL default provider is missing)");
	if (EVP_MAC_init(ctx, key, keylen, NULL) != 1) {
		EVP_MAC_CTX_free(ctx);
		return cv__crypto_setup_failed("set up HMAC");
	}
	cv_hmac *h = malloc(sizeof *h);
	if (!h) {
		EVP_MAC_CTX_free(ctx);
		return cv__oom();
	}
	h->ctx = ctx;
	*out = h;
	return 0;
}

int cv__hmac_update(cv_hmac *h, const void *data, size_t len)
{
	if (EVP_MAC_update(h->ctx, data, len) != 1)
		return cv__crypto_setup_failed("compute an HMAC");
	return 0;
}

int cv__hmac_final(cv_hmac *h, unsigned char out[32])
{
	size_t n = 0;
	if (EVP_MAC_final(h->ctx, out, &n, 32) != 1 || n != 32)
		return cv__crypto_setup_failed("compute an HMAC");
	return 0;
}

int cv__hmac_reset(cv_hmac *h)
{
	/* A NULL key re-initialises the context with the key it already has. */
	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
		return cv__crypto_setup_failed("compute an HMAC");
	return 0;
}

void cv__hmac_free(cv_hmac *h)
{
	if (h) {
		EVP_MAC_CTX_free(h->ctx);
		free(h);
	}
}

int cv__hmac_sha256(unsigned char out[32], const unsigned char *key, size_t keylen, const void *data, size_t len)
{
	cv_hmac *h = NULL;
	CV_TRY(cv__hmac_new(&h, key, keylen));
	int rc = cv__hmac_update(h, data, len);
	if (!rc)
		rc = cv__hmac_final(h, out);
	cv__hmac_free(h);
	return rc;
}
