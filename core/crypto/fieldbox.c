#include "crypto/fieldbox.h"
#include "crypto/algs.h"
#include "crypto/kdf.h"
#include "util/error.h"
#include "util/wipe.h"

#include <openssl/evp.h>
#include <string.h>

int cv__box_seal(cv_buf *out, const unsigned char key[32], const char *aad, const void *plain, size_t len)
{
	unsigned char nonce[12], tag[16];
	CV_TRY(cv__random(nonce, sizeof nonce));
	cv__buf_clear(out);
	CV_TRY(cv__buf_reserve(out, len + 29));
	out->data[0] = 1;
	memcpy(out->data + 1, nonce, 12);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	int ok = ctx && EVP_EncryptInit_ex(ctx, cv__alg_aes256gcm(), NULL, key, nonce) == 1 &&
		EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
		EVP_EncryptUpdate(ctx, out->data + 13, &n, plain, (int)len) == 1 &&
		EVP_EncryptFinal_ex(ctx, out->data + 13 + n, &m) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return cv__crypto_setup_failed("encrypt a field");
	memcpy(out->data + 13 + len, tag, 16);
	out->len = len + 29;
	return 0;
}

int cv__box_open(cv_buf *out, const unsigned char key[32], const char *aad, const void *box, size_t len)
{
	const unsigned char *b = box;
	cv__buf_clear(out);
	if (len < 29 || b[0] != 1)
		return cv__err(CV_EDAMAGED, "encrypted field is malformed");
	size_t ctlen = len - 29;
	CV_TRY(cv__buf_reserve(out, ctlen));
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;
	int ready = ctx && EVP_DecryptInit_ex(ctx, cv__alg_aes256gcm(), NULL, key, b + 1) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
		EVP_DecryptUpdate(ctx, out->data, &n, b + 13, (int)ctlen) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(b + 13 + ctlen)) == 1;
	/* only the tag check that ran and failed is damage */
	int ok = ready && EVP_DecryptFinal_ex(ctx, out->data + n, &m) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ready) {
		cv__wipe(out->data, ctlen);
		return cv__crypto_setup_failed("open an encrypted field");
	}
	if (!ok) {
		cv__wipe(out->data, ctlen);
		return cv__err(CV_EDAMAGED, "encrypted field does not authenticate");
	}
	out->len = ctlen;
	out->data[ctlen] = '\0';
	return 0;
}
