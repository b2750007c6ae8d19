/* OpenSSL 3.0 registers the names of a kind of algorithm (every key type,
 * every decoder...) the first time one of them is fetched. When an
 * allocation fails half-way through that registration, a name can stay
 * registered without its aliases, and every later fetch or decode that
 * needs it fails for the rest of the process -- without an error, as if
 * the key, the share or the object were wrong (tests/fault found a sealing
 * certificate read as "no public key", hence "the shares do not rebuild the
 * sealing key", and a CMS object that would not open). So an archive is
 * opened only once every kind of algorithm casevault uses has been brought
 * in and checked: a failure here is only ever "out of memory". */
#include "crypto/warm.h"

#include "util/error.h"

#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int ready;

/* The key types casevault reads or writes: the sealing key and recipient
 * certificates (RSA, EC), personal keys (X25519, Ed25519). */
static const char *const KEY_TYPES[] = { "RSA", "EC", "X25519", "ED25519" };

/* Decoders for a key type, as a certificate or a PKCS#8 key is read. */
static int decoders_for(const char *type, const char *structure, int selection)
{
	EVP_PKEY *pk = NULL;
	OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(&pk, "DER", structure, type, selection, NULL, NULL);
	int ok = d && OSSL_DECODER_CTX_get_num_decoders(d) > 0;
	OSSL_DECODER_CTX_free(d);
	EVP_PKEY_free(pk);
	return ok;
}

static void count_encoder(OSSL_ENCODER *e, void *n)
{
	(void)e;
	(*(int *)n)++;
}

static int key_types(void)
{
	for (size_t i = 0; i < sizeof KEY_TYPES / sizeof *KEY_TYPES; i++) {
		EVP_KEYMGMT *km = EVP_KEYMGMT_fetch(NULL, KEY_TYPES[i], NULL);
		int ok = km != NULL;
		EVP_KEYMGMT_free(km);
		if (!ok || !decoders_for(KEY_TYPES[i], "SubjectPublicKeyInfo", EVP_PKEY_PUBLIC_KEY) ||
			!decoders_for(KEY_TYPES[i], "PrivateKeyInfo", EVP_PKEY_KEYPAIR))
			return 0;
	}
	int encoders = 0;
	OSSL_ENCODER_do_all_provided(NULL, count_encoder, &encoders);
	return encoders > 0;
}

/* One of each operation: fetching one constructs them all. */
static int operations(void)
{
	EVP_CIPHER *cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_ASYM_CIPHER *rsa = EVP_ASYM_CIPHER_fetch(NULL, "RSA", NULL);
	EVP_KEYEXCH *x = EVP_KEYEXCH_fetch(NULL, "X25519", NULL), *ecdh = EVP_KEYEXCH_fetch(NULL, "ECDH", NULL);
	EVP_SIGNATURE *ed = EVP_SIGNATURE_fetch(NULL, "ED25519", NULL);
	int ok = cbc && md && mac && kdf && rsa && x && ecdh && ed;
	EVP_CIPHER_free(cbc);
	EVP_MD_free(md);
	EVP_MAC_free(mac);
	EVP_KDF_free(kdf);
	EVP_ASYM_CIPHER_free(rsa);
	EVP_KEYEXCH_free(x);
	EVP_KEYEXCH_free(ecdh);
	EVP_SIGNATURE_free(ed);
	return ok;
}

int cv__crypto_ready(void)
{
	pthread_mutex_lock(&lock);
	int ok = ready || (key_types() && operations());
	if (ok)
		ready = 1;
	ERR_clear_error();
	pthread_mutex_unlock(&lock);
	return ok ? 0 : cv__err(CV_ENOMEM, "cannot set up the cryptographic library: out of memory");
}
