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
		return cv__err(CV_ERROR, "random generator failed");
	return 0;
}

int cv__hkdf(unsigned char *out, size_t outlen, const unsigned char *ikm, size_t ikmlen,
	const unsigned char *salt, size_t saltlen, const char *info)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!ctx)
		return cv__err(CV_ERROR, "HKDF is not available in this OpenSSL");
	OSSL_PARAM params[5], *p = params;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
	if (saltlen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*p = OSSL_PARAM_construct_end();
	int ok = EVP_KDF_derive(ctx, out, outlen, params);
	EVP_KDF_CTX_free(ctx);
	if (ok != 1)
		return cv__err(CV_ERROR, "HKDF derivation failed");
	return 0;
}

int cv__scrypt(unsigned char *out, size_t outlen, const char *pass, size_t passlen,
	const unsigned char *salt, size_t saltlen, const cv_scrypt_params *prm)
{
	if (prm->log2_n < 10 || prm->log2_n > 22 || prm->r < 1 || prm->r > 32 || prm->p < 1 || prm->p > 16)
		return cv__err(CV_EINVAL, "scrypt parameters out of range (N=2^%u r=%u p=%u)", prm->log2_n, prm->r, prm->p);
	uint64_t n = (uint64_t)1 << prm->log2_n;
	uint64_t maxmem = 128 * n * prm->r * (prm->p + 1) + (1u << 20);
	if (EVP_PBE_scrypt(pass, passlen, salt, saltlen, n, prm->r, prm->p, maxmem, out, outlen) != 1)
		return cv__err(CV_ERROR, "scrypt failed (N=2^%u r=%u p=%u)", prm->log2_n, prm->r, prm->p);
	return 0;
}

int cv__sha256(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 32;
	if (EVP_Digest(data, len, out, &n, cv__alg_sha256(), NULL) != 1)
		return cv__err(CV_ERROR, "SHA-256 failed");
	return 0;
}

int cv__sha256_fd(unsigned char out[32], int fd)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(1 << 20);
	int rc = ctx && buf && EVP_DigestInit_ex(ctx, cv__alg_sha256(), NULL) == 1 ? 0 : cv__err(CV_ERROR, "SHA-256 failed");
	ssize_t n = 0;
	while (!rc && (n = read(fd, buf, 1 << 20)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = cv__err(CV_ERROR, "cannot read back what was written: %s", strerror(errno));
		else if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			rc = cv__err(CV_ERROR, "SHA-256 failed");
	}
	unsigned int len = 32;
	if (!rc && EVP_DigestFinal_ex(ctx, out, &len) != 1)
		rc = cv__err(CV_ERROR, "SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

struct cv_hmac {
	EVP_MAC_CTX *ctx;
};

int cv__hmac_new(cv_hmac **out, const unsigned char *key, size_t keylen)
{
	EVP_MAC *mac = cv__alg_hmac();
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	if (!ctx)
		return cv__err(CV_ERROR, "HMAC is not available");
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end() };
	if (EVP_MAC_init(ctx, key, keylen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return cv__err(CV_ERROR, "HMAC init failed");
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
		return cv__err(CV_ERROR, "HMAC update failed");
	return 0;
}

int cv__hmac_final(cv_hmac *h, unsigned char out[32])
{
	size_t n = 0;
	if (EVP_MAC_final(h->ctx, out, &n, 32) != 1 || n != 32)
		return cv__err(CV_ERROR, "HMAC final failed");
	return 0;
}

int cv__hmac_reset(cv_hmac *h)
{
	/* A NULL key re-initialises the context with the key it already has. */
	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
		return cv__err(CV_ERROR, "HMAC reset failed");
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
