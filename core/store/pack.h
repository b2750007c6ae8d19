/* Pack writer: git pack v2 files and their v2 indexes, written and fsynced
 * by casevault (see pack.c for why not libgit2's indexer). Ciphertext is
 * stored in zlib "stored" blocks: it does not compress, and deflating it
 * would cost more than the encryption. One operation makes one pack, or a
 * few for very large inputs (a pack is flushed every CV_PACK_FLUSH bytes to
 * keep memory bounded). A writer belongs to one operation; not thread-safe. */
#ifndef CV_STORE_PACK_H
#define CV_STORE_PACK_H

#include <git2.h>
#include "../util/buf.h"

#define CV_PACK_FLUSH (16u * 1024 * 1024)

typedef struct cv_pack_obj {
	git_oid oid;
	uint64_t offset;
	uint32_t crc;
} cv_pack_obj;

typedef struct cv_packw {
	char *pack_dir;
	git_odb *odb;        /* refreshed after each pack (may be NULL) */
	cv_buf entries;      /* serialised entries not yet flushed */
	cv_pack_obj *objs;   /* their ids, offsets and CRCs, for the index */
	size_t count, cap;
	char **written;      /* pack names written (for abort) */
	size_t nwritten;
	uint64_t bytes_written;
} cv_packw;

int cv__packw_init(cv_packw *w, const char *pack_dir, git_odb *odb);
/** Append an object; `level` is the zlib level (0 for ciphertext). Its id
 * is returned in *oid (may be NULL). Objects must be distinct. */
int cv__packw_add(cv_packw *w, git_object_t type, const void *data, size_t len, int level, git_oid *oid);
/** Write pending entries as a durable, indexed pack (no-op when empty). */
int cv__packw_flush(cv_packw *w);
/** Remove every pack this writer produced (used when an operation aborts). */
void cv__packw_discard(cv_packw *w);
void cv__packw_dispose(cv_packw *w);
/** Git object id (SHA-1 of "type len\0" + data), computed with OpenSSL. */
int cv__object_id(git_oid *out, git_object_t type, const void *data, size_t len);

#endif
