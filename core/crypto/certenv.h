/* Encrypting to an X.509 certificate and fingerprints (certenv.c). The
 * caller owns the certificate and the output buffer; stateless, thread-safe. */
#ifndef CV_CRYPTO_CERTENV_H
#define CV_CRYPTO_CERTENV_H

#include "util/buf.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

/** Set the last error to `what` followed by OpenSSL's first queued reason
 * (which it then clears); returns `code`. */
int cv__ossl_fail(int code, const char *what);
/** SHA-256 of the certificate's DER, in hex. */
int cv__x509_sha256(X509 *x, char hex[65]);
/** CMS for one certificate: AuthEnvelopedData (AES-256-GCM) or EnvelopedData
 * (AES-256-CBC) as `cipher` says, DER, appended to `out`. */
int cv__cms_to_cert(cv_buf *out, X509 *cert, const EVP_CIPHER *cipher, const void *plain, size_t len);

#endif
