/* CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM, the content key wrapped
 * (RFC 3394, AES-256) for one KEK recipient whose key identifier is the case
 * key id. This is every stored object's format, so that
 *   openssl cms -decrypt -binary -inform DER -secretkey HEX -secretkeyid ID
 * decrypts any of them.
 *
 * The reader trusts nothing: it accepts exactly the shape the writer makes
 * (one KEK recipient, AES-256 wrap, AES-256-GCM with a 12-byte nonce and a
 * 16-byte tag, no attributes, DER only, no trailing bytes) and releases
 * plaintext only after the tag has verified. Stateless; thread-safe. */
#ifndef CV_CRYPTO_CMS_H
#define CV_CRYPTO_CMS_H

#include <stddef.h>
#include "util/buf.h"

#define CV_KEY_ID_LEN 16
#define CV_CMS_OVERHEAD 200 /* upper bound of header + tag bytes */

/** Exact size of what cv__cms_seal appends for `len` bytes of plaintext. */
size_t cv__cms_sealed_size(size_t len);
/** Append a sealed object for `plain` to `out`. */
int cv__cms_seal(cv_buf *out, const unsigned char kek[32], const unsigned char key_id[CV_KEY_ID_LEN],
	const void *plain, size_t len);

/** Authenticate and decrypt. On success `out` (cleared first) holds the
 * plaintext; on any failure it holds nothing and the code is CV_EDAMAGED
 * (malformed or tampered) or CV_EAUTH (object for another key). Callers must
 * wipe `out` after use. */
int cv__cms_open(cv_buf *out, const unsigned char kek[32], const unsigned char key_id[CV_KEY_ID_LEN],
	const void *obj, size_t objlen);

#define CV_CMS_TAG_LEN 16

/** The AES-GCM tag of a sealed object: its last CV_CMS_TAG_LEN bytes (the
 * writer puts nothing after it, and the reader accepts nothing after it).
 * An object that cv__cms_open accepted is bound to a sealed record of its
 * tag: another authentic object has another tag. */
int cv__cms_tag(const void *obj, size_t objlen, unsigned char tag[CV_CMS_TAG_LEN]);

/** Structure check only (verify --quick): the key id it is for and the
 * ciphertext length. */
int cv__cms_inspect(const void *obj, size_t objlen, unsigned char key_id[CV_KEY_ID_LEN], size_t *ct_len);

#endif
