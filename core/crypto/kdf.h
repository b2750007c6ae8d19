/* Key derivation and randomness: HKDF-SHA-256, scrypt, CSPRNG, SHA-256,
 * HMAC-SHA-256. Stateless and thread-safe. */
#ifndef CV_CRYPTO_KDF_H
#define CV_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#define CV_KEY_LEN 32

int cv__random(void *out, size_t n);
/** HKDF's two steps apart, for several keys from one secret and salt
 * (one extraction, one expansion per label). `prk` is secret: wipe it. */
int cv__hkdf_extract(unsigned char prk[32], const unsigned char *ikm, size_t ikmlen, const unsigned char *salt,
	size_t saltlen);
int cv__hkdf_expand(unsigned char *out, size_t outlen, const unsigned char prk[32], const char *info);
int cv__hkdf(unsigned char *out, size_t outlen, const unsigned char *ikm, size_t ikmlen,
	const unsigned char *salt, size_t saltlen, const char *info);

/** scrypt parameters as stored in archive.json and credential hashes. */
typedef struct cv_scrypt_params {
	unsigned int log2_n;  /**< N = 2^log2_n */
	unsigned int r, p;
} cv_scrypt_params;

#define CV_SCRYPT_DEFAULT { 15, 8, 1 }

int cv__scrypt(unsigned char *out, size_t outlen, const char *pass, size_t passlen,
	const unsigned char *salt, size_t saltlen, const cv_scrypt_params *prm);

int cv__sha256(unsigned char out[32], const void *data, size_t len);
/** SHA-256 of what `fd` holds from its current offset to its end, read in
 * 1 MiB blocks. */
int cv__sha256_fd(unsigned char out[32], int fd);
int cv__hmac_sha256(unsigned char out[32], const unsigned char *key, size_t keylen, const void *data, size_t len);

/** Incremental HMAC-SHA-256 (for streamed data). */
typedef struct cv_hmac cv_hmac;
int cv__hmac_new(cv_hmac **out, const unsigned char *key, size_t keylen);
int cv__hmac_update(cv_hmac *h, const void *data, size_t len);
int cv__hmac_final(cv_hmac *h, unsigned char out[32]);
/** Start a new message under the same key (no key schedule, no fetch). */
int cv__hmac_reset(cv_hmac *h);
void cv__hmac_free(cv_hmac *h);

#endif
