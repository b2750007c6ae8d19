/* Ed25519 signatures and X25519 sealing (sign.h). */
#include "crypto/sign.h"
#include "crypto/algs.h"
#include "crypto/certenv.h"
#include "crypto/fieldbox.h"
#include "crypto/kdf.h"
#include "util/error.h"
#include "util/wipe.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

static int keygen(int type, unsigned char priv[32], unsigned char pub[32])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
	EVP_PKEY *k = NULL;
	size_t pl = 32, ql = 32;
	int ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k) == 1 &&
		EVP_PKEY_get_raw_private_key(k, priv, &pl) == 1 && EVP_PKEY_get_raw_public_key(k, pub, &ql) == 1 &&
		pl == 32 && ql == 32;
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : cv__ossl_fail(CV_ERROR, "cannot make a key pair");
}

int cv__sign_keygen(unsigned char priv[CV_SIGN_KEY], unsigned char pub[CV_SIGN_KEY])
{
	return keygen(EVP_PKEY_ED25519, priv, pub);
}

int cv__seal_keygen(unsigned char priv[CV_SEAL_KEY], unsigned char pub[CV_SEAL_KEY])
{
	return keygen(EVP_PKEY_X25519, priv, pub);
}

int cv__sign_public(unsigned char pub[CV_SIGN_KEY], const unsigned char priv[CV_SIGN_KEY])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	size_t ql = 32;
	int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &ql) == 1 && ql == 32;
	EVP_PKEY_free(k);
	/* 32 bytes are always a valid Ed25519 key: only resources can fail */
	return ok ? 0 : cv__crypto_setup_failed("derive an Ed25519 public key");
}

int cv__seal_public(unsigned char pub[CV_SEAL_KEY], const unsigned char priv[CV_SEAL_KEY])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	size_t n = 32;
	int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32;
	EVP_PKEY_free(k);
	/* 32 bytes are always a valid X25519 key: only resources can fail */
	return ok ? 0 : cv__crypto_setup_failed("derive an X25519 public key");
}

int cv__sign(unsigned char sig[CV_SIGN_SIG], const unsigned char priv[CV_SIGN_KEY], const void *msg, size_t len)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sl = CV_SIGN_SIG;
	int ok = k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
		EVP_DigestSign(md, sig, &sl, msg, len) == 1 && sl == CV_SIGN_SIG;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ok ? 0 : cv__ossl_fail(CV_ERROR, "cannot sign");
}

int cv__sign_verify(const unsigned char pub[CV_SIGN_KEY], const unsigned char sig[CV_SIGN_SIG], const void *msg,
	size_t len)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	/* Only a verification that ran and said no is a bad signature: a key,
	 * context or initialisation that could not be made (out of memory) was
	 * reported as a forged journal entry and a denial (tests/fault). */
	int ready = k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1;
	int v = ready ? EVP_DigestVerify(md, sig, CV_SIGN_SIG, msg, len) : -1;
	int oom = 0;
	for (unsigned long e; (e = ERR_get_error()) != 0;)  /* a bad signature leaves an error queued too */
		oom |= cv__ossl_oom_reason(e);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	if (v == 1)
		return 0;
	if (v != 1 && !oom)
		oom = cv__ossl_oom(); /* a verification that ran out of memory may say 0 */
	if (!ready || v < 0 || oom)
		return cv__err(oom || !k || !md ? CV_ENOMEM : CV_ERROR, "cannot check a signature: %s",
			oom || !k || !md ? "out of memory" : "the cryptographic library failed");
	return cv__err(CV_EAUTH, "the signature does not verify");
}

/* The key both sides derive: HKDF-SHA-256 over the X25519 shared secret,
 * salted with both public keys so that the key is bound to this exchange. */
int cv__seal_kek(unsigned char key[32], const unsigned char priv[32], const unsigned char peer[32],
	const unsigned char eph_pub[32], const unsigned char rcpt_pub[32], const char *context)
{
	EVP_PKEY *me = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	EVP_PKEY *them = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
	EVP_PKEY_CTX *ctx = me ? EVP_PKEY_CTX_new(me, NULL) : NULL;
	unsigned char z[32], salt[64];
	size_t zl = sizeof z;
	/* Any 32 bytes are an X25519 key: until the derivation itself, only
	 * resources can fail (OpenSSL 3.0 may then fail every later fetch of
	 * the exchange in this process) -- out of memory, never a bad key. */
	int ready = them && ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, them) == 1;
	int ok = ready && EVP_PKEY_derive(ctx, z, &zl) == 1 && zl == 32;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(me);
	EVP_PKEY_free(them);
	if (!ready) {
		cv__wipe(z, sizeof z);
		return cv__crypto_setup_failed("set up an X25519 key agreement");
	}
	if (!ok) {
		cv__wipe(z, sizeof z);
		return cv__ossl_fail(CV_EAUTH, "key agreement failed");
	}
	memcpy(salt, eph_pub, 32);
	memcpy(salt + 32, rcpt_pub, 32);
	int rc = cv__hkdf(key, 32, z, 32, salt, sizeof salt, context);
	cv__wipe(z, sizeof z);
	return rc;
}

int cv__seal_to(cv_buf *out, const unsigned char pub[CV_SEAL_KEY], const char *context, const void *plain, size_t len)
{
	unsigned char eph[32], eph_pub[32], key[32];
	CV_TRY(cv__seal_keygen(eph, eph_pub));
	int rc = cv__seal_kek(key, eph, pub, eph_pub, pub, context);
	cv__wipe(eph, sizeof eph);
	cv_buf box = CV_BUF_INIT;
	if (!rc)
		rc = cv__box_seal(&box, key, context, plain, len);
	cv__wipe(key, sizeof key);
	if (!rc)
		rc = cv__buf_putc(out, 0x01);
	if (!rc)
		rc = cv__buf_put(out, eph_pub, 32);
	if (!rc)
		rc = cv__buf_put(out, box.data, box.len);
	cv__buf_dispose(&box);
	return rc;
}

int cv__seal_open(cv_buf *out, const unsigned char priv[CV_SEAL_KEY], const char *context, const void *box, size_t len)
{
	const unsigned char *p = box;
	if (len < 1 + 32 || p[0] != 0x01)
		return cv__err(CV_EAUTH, "not a sealed box of this format");
	unsigned char mine[32], key[32];
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	size_t ml = 32;
	int ok = k && EVP_PKEY_get_raw_public_key(k, mine, &ml) == 1;
	EVP_PKEY_free(k);
	if (!ok)
		return cv__ossl_fail(CV_EAUTH, "cannot read a sealing key");
	CV_TRY(cv__seal_kek(key, priv, p + 1, p + 1, mine, context));
	int rc = cv__box_open(out, key, context, p + 33, len - 33);
	cv__wipe(key, sizeof key);
	if (rc == CV_ENOMEM)
		return rc; /* not a verdict on the key or the box */
	return rc ? cv__err(CV_EAUTH, "the sealed box does not open with this key (not for this person, or altered)") : 0;
}
