/* Catalog snapshots for mirrors: a consistent copy of the catalog taken
 * with SQLite's online backup API into memory (never a clear copy on disk),
 * gzip-compressed and sealed as a CMS AuthEnvelopedData under an epoch key
 * (the epoch id is the KEK identifier), so that `openssl cms -decrypt` and
 * `gunzip` open it (docs/recovery.md). Buffers that held the image are the
 * caller's and must be wiped (cv__buf_wipe_dispose). Thread-safe for
 * distinct archive handles. */
#ifndef CV_MIRROR_SNAPSHOT_H
#define CV_MIRROR_SNAPSHOT_H

#include "mirror/state.h"

/** The catalog as one SQLite database image, taken inside a read
 * transaction; the caller holds the writer lock so that it matches the
 * branch. */
int cv__snapshot_take(cv_buf *image, cv_archive *a);
/** gzip then seal under epoch `e`. */
int cv__snapshot_seal(cv_buf *out, const cv_epoch *e, const void *image, size_t len);
/** Open and gunzip (the image is at most `max` bytes). */
int cv__snapshot_open(cv_buf *image, const cv_epoch *e, const void *blob, size_t len, size_t max);
/** The epoch id a sealed snapshot names (its KEK identifier), as hex. */
int cv__snapshot_epoch(char hex[2 * CV_EPOCH_ID_LEN + 1], const void *blob, size_t len);

#endif
