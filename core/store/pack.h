/* Pack writer: git pack v2 files and their v2 indexes, written and fsynced
 * by casevault (see pack.c for why not libgit2's indexer). A pack that fills
 * up is written by a background thread while the next one fills; at most
 * CV_PACK_INFLIGHT are in flight, and cv__packw_flush returns only when all
 * are durable. Ciphertext is
 * stored in zlib "stored" blocks: it does not compress, and deflating it
 * would cost more than the encryption. One operation makes one pack, or a
 * few for very large inputs (a pack is flushed every CV_PACK_FLUSH bytes to
 * keep memory bounded). A writer belongs to one operation and one caller thread; the
 * background thread touches only its job, never libgit2. */
#ifndef CV_STORE_PACK_H
#define CV_STORE_PACK_H

#include <git2.h>
#include <openssl/evp.h>
#include <pthread.h>
#include "util/buf.h"

/* Packs written in the background at once. Two, so that one pack's fsync
 * (device time, 6-15 ms on the bench machine) overlaps the next one's
 * hashing and writing: a single writer was the slowest stage of a bulk
 * ingest (docs/performance.md). */
#define CV_PACK_INFLIGHT 2
#define CV_PACK_SLOTS (CV_PACK_INFLIGHT + 1)
/* CV_PACK_SLOTS buffers of this (plus a chunk's worth each) can be live;
 * 8 MiB keeps reading a 1 GiB document well under 64 MiB of RSS. */
#define CV_PACK_FLUSH (8u * 1024 * 1024)

typedef struct cv_pack_obj {
	git_oid oid;
	uint64_t offset;     /* in the pack file */
	uint32_t crc;        /* of the entry as stored */
	uint64_t raw;        /* where its bytes sit in the writer's buffer */
	size_t len;
	unsigned char type;  /* git_object_t */
	signed char level;   /* zlib level */
} cv_pack_obj;

typedef struct cv_pack_job {
	cv_buf entries;
	cv_pack_obj *objs;
	size_t count, cap;
	const char *pack_dir; /* borrowed from the writer */
	int rc;               /* outcome, read after the join */
	char msg[512];        /* its error message (errors are thread-local) */
	char hex[41];         /* name of the pack written */
} cv_pack_job;

typedef struct cv_packw {
	char *pack_dir;
	git_odb *odb;        /* refreshed once the operation's packs are durable (may be NULL) */
	cv_buf entries;      /* serialised entries not yet flushed */
	cv_pack_obj *objs;   /* their ids, offsets and CRCs, for the index */
	size_t count, cap;
	char **written;      /* pack names written (for abort) */
	size_t nwritten;
	uint64_t bytes_written;
	cv_pack_job jobs[CV_PACK_SLOTS]; /* jobs[cur] lends its buffers to entries/objs */
	pthread_t threads[CV_PACK_SLOTS];
	int busy[CV_PACK_SLOTS];         /* jobs[i] is being written by threads[i] */
	int cur;
	size_t append_at;                /* start of the object being appended in place */
} cv_packw;

int cv__packw_init(cv_packw *w, const char *pack_dir, git_odb *odb);
/** Append an object; `level` is the zlib level (0 for ciphertext). Its id
 * is returned in *oid (may be NULL). Objects must be distinct. */
int cv__packw_add(cv_packw *w, git_object_t type, const void *data, size_t len, int level, git_oid *oid);
/** Appending an object's bytes in place (saves a copy and a scratch buffer
 * for large objects): `len` bytes are about to be appended to *buf (flushed
 * first if they would not fit); then append_end registers everything
 * appended since as one object, or with `ok` unset drops it. Nothing else
 * may touch the writer in between. */
int cv__packw_append_begin(cv_packw *w, size_t len, cv_buf **buf);
int cv__packw_append_end(cv_packw *w, int ok, git_object_t type, int level, git_oid *oid);
/** Start writing the pending entries in the background if there are at
 * least `min_bytes` of them, so that the final flush has less to do. */
int cv__packw_kick(cv_packw *w, size_t min_bytes);
/** Write pending entries as a durable, indexed pack (no-op when empty). */
int cv__packw_flush(cv_packw *w);
/** Remove every pack this writer produced (used when an operation aborts). */
void cv__packw_discard(cv_packw *w);
void cv__packw_dispose(cv_packw *w);
/** A pack file being streamed out: buffered, hashed for its trailer. */
typedef struct cv_pack_out {
	int fd;
	const char *path;
	EVP_MD_CTX *md;
	cv_buf buf;
	uint64_t off;        /* bytes of the pack so far: the next entry's offset */
} cv_pack_out;
/** Append bytes of an entry (already in pack format) to the pack. */
int cv__pack_out_put(cv_pack_out *o, const void *p, size_t n);
/** Writes the entries of a pack with cv__pack_out_put, setting each of
 * `objs`' offset and CRC-32; returns 0 or an error. */
typedef int (*cv_pack_fill)(cv_pack_out *o, void *ctx);
/** Write a pack of `count` entries (produced by `fill`) and its index into
 * `dir`: temporary files fsynced, renamed into place pack first, directory
 * fsynced. On success `hex` is the pack's name; on failure nothing is left. */
int cv__pack_install(const char *dir, cv_pack_obj *objs, size_t count, cv_pack_fill fill, void *ctx, char hex[41]);
/** Sort `objs` by id and append their version-2 index (ending with the
 * pack's checksum and the index's own) to `idx`. */
int cv__pack_index_build(cv_buf *idx, cv_pack_obj *objs, size_t count, const unsigned char pack_sum[20]);
/** Reading a version-2 index held in memory (repack.c, packread.c): its
 * number of entries (-1 when `b` is not a whole v2 index); then the offset
 * of entry `i` (the ids are sorted: entry i's id is at 8 + 1024 + 20 i), 0
 * when its large-offset slot lies outside the index. */
int cv__idx_count(const unsigned char *b, size_t len, uint32_t *count);
uint64_t cv__idx_offset(const unsigned char *b, size_t len, uint32_t count, uint32_t i);
uint32_t cv__be32(const unsigned char *p);
/** Check the pack file at `pack_path` against its index at `idx_path`
 * (packcheck.c: header, every entry's CRC-32, entries tiling the file, the
 * trailer the index records): 0, or CV_EDAMAGED with the reason in `why`
 * (CV_ENOMEM when memory ran out). */
int cv__pack_check(const char *pack_path, const char *idx_path, char *why, size_t wn);
/** Git object id (SHA-1 of "type len\0" + data), computed with OpenSSL. */
int cv__object_id(git_oid *out, git_object_t type, const void *data, size_t len);

#endif
