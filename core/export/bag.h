/* A BagIt bag (RFC 8493, version 1.0) written straight into a zip with
 * libarchive: payload files are hashed (SHA-256) as they are added; the tag
 * files (bagit.txt, bag-info.txt with Payload-Oxum and Bagging-Date,
 * manifest-sha256.txt, tagmanifest-sha256.txt) are written at the end. The
 * zip goes to a temporary file renamed into place when complete, so a
 * failure leaves nothing behind; nothing is written in clear elsewhere.
 * A bag belongs to one thread. */
#ifndef CV_BAG_H
#define CV_BAG_H

#include "util/buf.h"
#include <stdint.h>

typedef struct cv_bag cv_bag;

/** `root` is the bag's directory name inside the zip. The zip is AES-256
 * encrypted (WinZip AE, method 99; never ZipCrypto) when `password` is not
 * NULL, a plain deflate zip otherwise. Refuses an existing `zip_path`. */
int cv__bag_open(cv_bag **out, const char *zip_path, const char *root, const char *password);
/** Add a payload file at data/<rel>. */
int cv__bag_add(cv_bag *b, const char *rel, const void *data, size_t len);
/** Write the tag files, close, install; `info` holds extra bag-info lines
 * ("Key: value\n..."). The zip's SHA-256 comes back in hex. */
int cv__bag_finish(cv_bag *b, const char *info, char zip_sha256[65], uint64_t *payload_bytes);
void cv__bag_abort(cv_bag *b);

#endif
