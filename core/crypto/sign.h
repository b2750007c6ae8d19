/* Personal keys of users: Ed25519 signatures (decisions, journal anchors)
 * and X25519 sealing (origins shares encrypted to a holder's public key,
 * ephemeral-static ECDH, HKDF-SHA-256, AES-256-GCM), both from OpenSSL 3.
 * Raw 32-byte keys; the caller owns and wipes private keys. Stateless and
 * thread-safe. */
#ifndef CV_CRYPTO_SIGN_H
#define CV_CRYPTO_SIGN_H

#include "util/buf.h"

#include <stddef.h>

#define CV_SIGN_KEY 32   /* Ed25519 public or private key */
#define CV_SIGN_SIG 64   /* Ed25519 signature */
#define CV_SEAL_KEY 32   /* X25519 public or private key */

/** A new Ed25519 key pair. */
int cv__sign_keygen(unsigned char priv[CV_SIGN_KEY], unsigned char pub[CV_SIGN_KEY]);
/** The public half of an Ed25519 private key. */
int cv__sign_public(unsigned char pub[CV_SIGN_KEY], const unsigned char priv[CV_SIGN_KEY]);
int cv__sign(unsigned char sig[CV_SIGN_SIG], const unsigned char priv[CV_SIGN_KEY], const void *msg, size_t len);
/** 0 when `sig` is `pub`'s signature of `msg`; CV_EAUTH otherwise. */
int cv__sign_verify(const unsigned char pub[CV_SIGN_KEY], const unsigned char sig[CV_SIGN_SIG], const void *msg,
	size_t len);

/** A new X25519 key pair. */
int cv__seal_keygen(unsigned char priv[CV_SEAL_KEY], unsigned char pub[CV_SEAL_KEY]);
/** The public half of an X25519 private key. */
int cv__seal_public(unsigned char pub[CV_SEAL_KEY], const unsigned char priv[CV_SEAL_KEY]);
/** The key an X25519 exchange gives both sides: HKDF-SHA-256 over the
 * shared secret of `priv` and `peer`, salt eph_pub | rcpt_pub, info
 * `context` (`openssl pkeyutl -derive` then `openssl kdf HKDF` compute it
 * too; docs/origins.md). */
int cv__seal_kek(unsigned char key[32], const unsigned char priv[CV_SEAL_KEY], const unsigned char peer[CV_SEAL_KEY],
	const unsigned char eph_pub[CV_SEAL_KEY], const unsigned char rcpt_pub[CV_SEAL_KEY], const char *context);
/** Seal `plain` to `pub`, bound to `context` (associated data): appends
 * 0x01 | ephemeral public key (32) | nonce (12) | ciphertext | tag (16). */
int cv__seal_to(cv_buf *out, const unsigned char pub[CV_SEAL_KEY], const char *context, const void *plain, size_t len);
/** Open what cv__seal_to made for the private key's owner; CV_EAUTH if it is
 * not theirs or was altered. `out` receives the plaintext. */
int cv__seal_open(cv_buf *out, const unsigned char priv[CV_SEAL_KEY], const char *context, const void *box, size_t len);

#endif
