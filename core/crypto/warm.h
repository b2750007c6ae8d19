/* Every kind of OpenSSL algorithm casevault uses, brought in once per
 * process before an archive is opened (warm.c says why). Thread-safe; a
 * failed attempt is tried again by the next call. */
#ifndef CV_CRYPTO_WARM_H
#define CV_CRYPTO_WARM_H

/** 0 once OpenSSL has every key type, decoder and operation casevault
 * uses; CV_ENOMEM ("out of memory") when they could not be set up. */
int cv__crypto_ready(void);

#endif
