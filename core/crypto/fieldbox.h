/* Encrypted catalog fields: AES-256-GCM under a key derived for the purpose,
 * bound to where the field lives by associated data, so a box cannot be
 * moved to another row unnoticed. Format: 0x01 | nonce(12) | ct | tag(16). */
#ifndef CV_CRYPTO_FIELDBOX_H
#define CV_CRYPTO_FIELDBOX_H

#include <stddef.h>
#include "util/buf.h"

int cv__box_seal(cv_buf *out, const unsigned char key[32], const char *aad, const void *plain, size_t len);
/** out receives the plaintext, NUL-terminated; CV_EDAMAGED if it does not authenticate. */
int cv__box_open(cv_buf *out, const unsigned char key[32], const char *aad, const void *box, size_t len);

#endif
