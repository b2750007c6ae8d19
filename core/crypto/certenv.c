/* Encrypting to an X.509 certificate (CMS, RSA-OAEP with SHA-256 for RSA
 * keys) and fingerprints, for the sealed identities of secret births and
 * their release to the CNAOP. Stateless and thread-safe. */
#include "crypto/certenv.h"
#include "crypto/kdf.h"
#include "crypto/algs.h"
#include "util/error.h"
#include "util/hex.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>

int cv__ossl_fail(int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	/* what reads as damage, a wrong key or bad input may be memory running out */
	int oom = code != CV_ENOMEM && ((e && cv__ossl_oom_reason(e)) || cv__ossl_oom());
	ERR_clear_error();
	if (oom)
		return cv__err(CV_ENOMEM, "%s: out of memory", what);
	return cv__err(code, "%s%s%s", what, buf[0] ? " (" : "", buf[0] ? buf : "");
}

/* ------------------------------------------------------------------ */

int cv__x509_sha256(X509 *x, char hex[65])
{
	unsigned char *der = NULL, h[32];
	int n = i2d_X509(x, &der);
	if (n <= 0)
		return cv__ossl_fail(CV_ERROR, "cannot encode a certificate");
	int rc = cv__sha256(h, der, (size_t)n);
	OPENSSL_free(der);
	if (!rc)
		cv__hex(hex, h, 32);
	return rc;
}

/* CMS                                                                  */

static int recipient_params(CMS_RecipientInfo *ri, EVP_PKEY *pub)
{
	if (!EVP_PKEY_is_a(pub, "RSA"))
		return 0;
	EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
	if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
		EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0)
		return cv__ossl_fail(CV_ERROR, "cannot set RSA-OAEP for the recipient");
	return 0;
}

/* CMS for one certificate: AuthEnvelopedData (AES-256-GCM) or EnvelopedData
 * (AES-256-CBC), DER, appended to out. */
static int cms_to_cert_once(cv_buf *out, X509 *cert, const EVP_CIPHER *cipher, const void *plain, size_t len)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int rsa = pub && EVP_PKEY_is_a(pub, "RSA");
	BIO *in = BIO_new_mem_buf(plain, (int)len);
	CMS_ContentInfo *cms = in ? CMS_encrypt(NULL, NULL, cipher, CMS_BINARY | CMS_PARTIAL) : NULL;
	CMS_RecipientInfo *ri = cms ? CMS_add1_recipient_cert(cms, cert, rsa ? CMS_KEY_PARAM : 0) : NULL;
	int rc = ri ? recipient_params(ri, pub) : cv__ossl_fail(CV_ERROR, "cannot make a CMS envelope for the certificate");
	if (!rc && CMS_final(cms, in, NULL, CMS_BINARY) != 1)
		rc = cv__ossl_fail(CV_ERROR, "cannot encrypt to the certificate");
	int n = rc ? -1 : i2d_CMS_ContentInfo(cms, NULL);
	if (!rc && n <= 0)
		rc = cv__ossl_fail(CV_ERROR, "cannot encode the CMS envelope");
	if (!rc && !(rc = cv__buf_reserve(out, (size_t)n))) {
		unsigned char *p = out->data + out->len;
		i2d_CMS_ContentInfo(cms, &p);
		out->len += (size_t)n;
	}
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

/* OpenSSL 3.0 can fail a key-type lookup or a fetch for want of memory and
 * say "not supported for this key type": a second try tells a certificate
 * that cannot be used (fails again, the same way) from a passing failure. */
int cv__cms_to_cert(cv_buf *out, X509 *cert, const EVP_CIPHER *cipher, const void *plain, size_t len)
{
	ERR_clear_error();
	int rc = cms_to_cert_once(out, cert, cipher, plain, len);
	if (rc == CV_ERROR) {
		ERR_clear_error();
		rc = cms_to_cert_once(out, cert, cipher, plain, len);
	}
	return rc;
}
