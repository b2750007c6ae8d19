/* Pack writer: git pack v2 files made by casevault and indexed by libgit2's
 * indexer (which fsyncs pack, index and directory when
 * GIT_OPT_ENABLE_FSYNC_GITDIR is on). Ciphertext is stored in zlib "stored"
 * blocks: it does not compress, and deflating it would cost more than the
 * encryption. One operation makes one pack, or a few for very large inputs
 * (a pack is flushed every CV_PACK_FLUSH bytes to keep memory bounded).
 * A writer belongs to one operation; not thread-safe. */
#ifndef CV_STORE_PACK_H
#define CV_STORE_PACK_H

#include <git2.h>
#include "../util/buf.h"

#define CV_PACK_FLUSH (16u * 1024 * 1024)

typedef struct cv_packw {
	char *pack_dir;
	cv_buf entries;      /* serialised entries not yet flushed */
	uint32_t count;
	char **written;      /* pack names written (for abort) */
	size_t nwritten;
	uint64_t bytes_written;
} cv_packw;

int cv__packw_init(cv_packw *w, const char *pack_dir);
/** Append an object; `level` is the zlib level (0 for ciphertext). */
int cv__packw_add(cv_packw *w, git_object_t type, const void *data, size_t len, int level);
/** Write pending entries as a durable, indexed pack (no-op when empty). */
int cv__packw_flush(cv_packw *w);
/** Remove every pack this writer produced (used when an operation aborts). */
void cv__packw_discard(cv_packw *w);
void cv__packw_dispose(cv_packw *w);

#endif
