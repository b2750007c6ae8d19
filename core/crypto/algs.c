#include "crypto/algs.h"

#include "util/error.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *gcm, *wrap, *wrap_pad, *ecb;
static EVP_MD *sha1, *sha256;
static EVP_MAC *hmac;
static EVP_MAC_CTX *hmac_sha256; /* a template with its digest chosen, duplicated by each use */

static void fetch_all(void)
{
	gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	wrap = EVP_CIPHER_fetch(NULL, "AES-256-WRAP", NULL);
	wrap_pad = EVP_CIPHER_fetch(NULL, "AES-256-WRAP-PAD", NULL);
	ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end() };
	hmac_sha256 = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	if (hmac_sha256 && EVP_MAC_CTX_set_params(hmac_sha256, params) != 1) {
		EVP_MAC_CTX_free(hmac_sha256);
		hmac_sha256 = NULL;
	}
}

/* A failed fetch falls back to the implicit lookup: slower, same result. */
const EVP_CIPHER *cv__alg_aes256gcm(void)
{
	pthread_once(&once, fetch_all);
	return gcm ? gcm : EVP_aes_256_gcm();
}

const EVP_CIPHER *cv__alg_aes256wrap(void)
{
	pthread_once(&once, fetch_all);
	return wrap ? wrap : EVP_aes_256_wrap();
}

const EVP_CIPHER *cv__alg_aes256ecb(void)
{
	pthread_once(&once, fetch_all);
	return ecb ? ecb : EVP_aes_256_ecb();
}

const EVP_CIPHER *cv__alg_aes256wrap_pad(void)
{
	pthread_once(&once, fetch_all);
	return wrap_pad ? wrap_pad : EVP_aes_256_wrap_pad();
}

const EVP_MD *cv__alg_sha1(void)
{
	pthread_once(&once, fetch_all);
	return sha1 ? sha1 : EVP_sha1();
}

const EVP_MD *cv__alg_sha256(void)
{
	pthread_once(&once, fetch_all);
	return sha256 ? sha256 : EVP_sha256();
}

/* No implicit fallback exists for MACs: NULL means HMAC is unavailable. */
EVP_MAC *cv__alg_hmac(void)
{
	pthread_once(&once, fetch_all);
	return hmac;
}


EVP_MAC_CTX *cv__alg_hmac_sha256_ctx(void)
{
	pthread_once(&once, fetch_all);
	return hmac_sha256 ? EVP_MAC_CTX_dup(hmac_sha256) : NULL;
}


/* Reasons OpenSSL 3 gives when an allocation failed: its own malloc
 * failure, or an algorithm or decoder it could not fetch (the fetch
 * allocates; casevault asks only for algorithms the default provider has). */
int cv__ossl_oom_reason(unsigned long e)
{
	int r = ERR_GET_REASON(e);
	return r == ERR_R_MALLOC_FAILURE || r == ERR_R_UNSUPPORTED || r == ERR_R_FETCH_FAILED;
}

int cv__ossl_oom(void)
{
	int oom = 0;
	for (unsigned long e; (e = ERR_get_error()) != 0;)
		oom |= cv__ossl_oom_reason(e);
	void *probe = malloc(1 << 16);
	oom |= probe == NULL;
	free(probe);
	return oom;
}

int cv__crypto_setup_failed(const char *what)
{
	ERR_clear_error();
	return cv__err(CV_ENOMEM, "cannot %s: out of memory", what);
}
