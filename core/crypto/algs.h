/* The algorithms casevault uses, fetched from OpenSSL's default provider
 * once per process. With OpenSSL 3, EVP_aes_256_gcm() and friends make
 * every EVP_*Init look the implementation up again (a lock and a hash
 * table); a whole-archive pass opens 100,000 field boxes. The returned
 * objects live until exit; thread-safe. */
#ifndef CV_CRYPTO_ALGS_H
#define CV_CRYPTO_ALGS_H

#include <openssl/evp.h>
#include <openssl/kdf.h>

const EVP_CIPHER *cv__alg_aes256gcm(void);
/** RFC 3394 key wrap with a 256-bit KEK (every sealed chunk wraps its key). */
const EVP_CIPHER *cv__alg_aes256wrap(void);
/** AES-256 single blocks (the block steps of a key unwrap: keywrap.c). */
const EVP_CIPHER *cv__alg_aes256ecb(void);
/** RFC 5649 key wrap with padding, 256-bit KEK (case keys, under k_wrap). */
const EVP_CIPHER *cv__alg_aes256wrap_pad(void);
const EVP_MD *cv__alg_sha1(void);
const EVP_MD *cv__alg_sha256(void);
EVP_MAC *cv__alg_hmac(void);
/** A new HMAC-SHA-256 context (key not set yet), duplicated from a
 * template so that no algorithm is fetched per use (the caller frees it);
 * NULL when unavailable. Thread-safe. */
EVP_MAC_CTX *cv__alg_hmac_sha256_ctx(void);

/** A cipher or digest context that could not be made or set up, with
 * valid algorithms and keys: OpenSSL ran out of memory. Never "does not
 * authenticate": only a check that ran and failed is damage (tests/fault).
 * Empties OpenSSL's error queue; returns CV_ENOMEM with "cannot WHAT: out
 * of memory". */
int cv__crypto_setup_failed(const char *what);

/** 1 when an OpenSSL call that just failed may have failed for want of
 * memory, not because its input was bad: an allocation or fetch failure
 * in OpenSSL's error queue (which this empties), or memory unavailable
 * right now (a probe allocation fails). Callers then say "out of memory"
 * (CV_ENOMEM) rather than "damaged", "wrong key" or "does not verify". */
int cv__ossl_oom(void);
/** 1 when one queued error `e` is such a reason. */
int cv__ossl_oom_reason(unsigned long e);

#endif
