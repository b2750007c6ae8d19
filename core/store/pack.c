/* Pack writer. An operation's objects are serialised as git pack v2 entries
 * (zlib "stored" blocks for ciphertext, level 1 for trees and commits) in a
 * bounded buffer; a flush writes the pack and its version-2 index to
 * temporary files, fsyncs them, renames them into objects/pack (pack first,
 * index last, as git does) and fsyncs the directory, then asks libgit2 to
 * pick the new pack up. Writing the index here rather than through libgit2's
 * indexer avoids hashing every byte twice more with its collision-detecting
 * SHA-1; `git fsck --strict` and `casevault verify` check the result. */
#include "util/buf.h"
#include "store/pack.h"
#include "crypto/algs.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

static int flush_async(cv_packw *w);

int cv__packw_init(cv_packw *w, const char *pack_dir, git_odb *odb)
{
	memset(w, 0, sizeof *w);
	w->odb = odb;
	w->pack_dir = strdup(pack_dir);
	return w->pack_dir ? 0 : cv__oom();
}

/* Type and size of a pack entry: 3 bits of type, then the size in base
 * 128, least significant group first. Returns its length (at most 10). */
static size_t entry_header(unsigned char h[16], git_object_t type, size_t len)
{
	size_t n = 0;
	unsigned char c = (unsigned char)(((unsigned)type & 7) << 4 | (len & 15));
	len >>= 4;
	while (len) {
		h[n++] = c | 0x80;
		c = len & 0x7f;
		len >>= 7;
	}
	h[n++] = c;
	return n;
}

static const char *type_name(git_object_t t)
{
	switch (t) {
	case GIT_OBJECT_BLOB: return "blob";
	case GIT_OBJECT_TREE: return "tree";
	case GIT_OBJECT_COMMIT: return "commit";
	default: return NULL;
	}
}

int cv__object_id(git_oid *out, git_object_t type, const void *data, size_t len)
{
	char hdr[64];
	const char *tn = type_name(type);
	if (!tn)
		return cv__err(CV_EINVAL, "unsupported git object type");
	int hl = snprintf(hdr, sizeof hdr, "%s %zu", tn, len) + 1;
	unsigned int n = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, cv__alg_sha1(), NULL) == 1 && EVP_DigestUpdate(md, hdr, (size_t)hl) == 1 &&
		EVP_DigestUpdate(md, data, len) == 1 && EVP_DigestFinal_ex(md, out->id, &n) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : cv__err(CV_ENOMEM, "cannot compute a SHA-1: out of memory");
}

/* Room for an object of `len` bytes. Flush before rather than after going
 * over: a buffer then never holds more than CV_PACK_FLUSH bytes or one
 * object, and each of the CV_PACK_SLOTS buffers costs that much at most. */
static int make_room(cv_packw *w, size_t len)
{
	if (w->entries.len && w->entries.len + len > CV_PACK_FLUSH)
		CV_TRY(flush_async(w));
	CV_TRY(cv__grow((void **)&w->objs, &w->cap, w->count, sizeof *w->objs));
	if (!w->entries.cap) /* one allocation per buffer, reused for every pack */
		CV_TRY(cv__buf_reserve(&w->entries, len > CV_PACK_FLUSH ? len : CV_PACK_FLUSH));
	return 0;
}

/* The bytes from `raw` to the end of the buffer become one object. */
static int register_obj(cv_packw *w, size_t raw, git_object_t type, int level, git_oid *oid_out)
{
	git_oid oid;
	size_t len = w->entries.len - raw;
	int rc = cv__object_id(&oid, type, w->entries.data + raw, len);
	if (rc) {
		w->entries.len = raw;
		return rc;
	}
	cv_pack_obj *o = &w->objs[w->count++];
	memset(o, 0, sizeof *o);
	git_oid_cpy(&o->oid, &oid);
	o->raw = raw;
	o->len = len;
	o->type = (unsigned char)type;
	o->level = (signed char)level;
	if (oid_out)
		git_oid_cpy(oid_out, &oid);
	return w->entries.len >= CV_PACK_FLUSH ? flush_async(w) : 0;
}

int cv__packw_add(cv_packw *w, git_object_t type, const void *data, size_t len, int level, git_oid *oid_out)
{
	CV_TRY(make_room(w, len));
	size_t raw = w->entries.len;
	CV_TRY(cv__buf_put(&w->entries, data, len));
	return register_obj(w, raw, type, level, oid_out);
}

int cv__packw_append_begin(cv_packw *w, size_t len, cv_buf **buf)
{
	CV_TRY(make_room(w, len));
	w->append_at = w->entries.len;
	*buf = &w->entries;
	return 0;
}

int cv__packw_append_end(cv_packw *w, int ok, git_object_t type, int level, git_oid *oid_out)
{
	if (!ok) {
		w->entries.len = w->append_at;
		return 0;
	}
	return register_obj(w, w->append_at, type, level, oid_out);
}

static int write_all(int fd, const void *p, size_t n, const char *path)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return cv__err(CV_ERROR, "cannot write %s: %s", path, strerror(errno));
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int open_tmp(const char *dir, const char *kind, char **out_path, int *out_fd)
{
	size_t n = strlen(dir) + 64;
	char *path = malloc(n);
	if (!path)
		return cv__oom();
	snprintf(path, n, "%s/tmp_%s_XXXXXX", dir, kind);
	int fd = mkstemp(path);
	if (fd < 0) {
		int rc = cv__err(CV_ERROR, "cannot create a file in %s: %s", dir, strerror(errno));
		free(path);
		return rc;
	}
	*out_path = path;
	*out_fd = fd;
	return 0;
}

/* Make a written file read-only and durable, and close it. */
static int seal_tmp(int fd, const char *path, int rc)
{
	if (!rc && fchmod(fd, 0444) < 0)
		rc = cv__err(CV_ERROR, "cannot set mode of %s: %s", path, strerror(errno));
	if (!rc && fsync(fd) < 0)
		rc = cv__err(CV_ERROR, "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int obj_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const cv_pack_obj *)a)->oid, &((const cv_pack_obj *)b)->oid);
}

/* Index v2: magic, version, fan-out, sorted ids, CRC-32s, offsets (with the
 * 64-bit table for offsets past 2 GiB), pack checksum, index checksum. */
int cv__pack_index_build(cv_buf *idx, cv_pack_obj *objs, size_t count, const unsigned char pack_sum[20])
{
	qsort(objs, count, sizeof *objs, obj_cmp);
	for (size_t i = 1; i < count; i++)
		if (git_oid_equal(&objs[i].oid, &objs[i - 1].oid))
			return cv__err(CV_ERROR, "internal error: an object appears twice in one pack");
	unsigned char b4[4];
	CV_TRY(cv__buf_put(idx, "\377tOc", 4));
	be32(b4, 2);
	CV_TRY(cv__buf_put(idx, b4, 4));
	size_t k = 0;
	for (int f = 0; f < 256; f++) {
		while (k < count && objs[k].oid.id[0] <= f)
			k++;
		be32(b4, (uint32_t)k);
		CV_TRY(cv__buf_put(idx, b4, 4));
	}
	for (size_t i = 0; i < count; i++)
		CV_TRY(cv__buf_put(idx, objs[i].oid.id, GIT_OID_RAWSZ));
	for (size_t i = 0; i < count; i++) {
		be32(b4, objs[i].crc);
		CV_TRY(cv__buf_put(idx, b4, 4));
	}
	uint32_t nlarge = 0;
	for (size_t i = 0; i < count; i++) {
		uint64_t off = objs[i].offset;
		be32(b4, off < 0x80000000u ? (uint32_t)off : (0x80000000u | nlarge++));
		CV_TRY(cv__buf_put(idx, b4, 4));
	}
	for (size_t i = 0; i < count; i++) {
		uint64_t off = objs[i].offset;
		if (off >= 0x80000000u) {
			be32(b4, (uint32_t)(off >> 32));
			CV_TRY(cv__buf_put(idx, b4, 4));
			be32(b4, (uint32_t)off);
			CV_TRY(cv__buf_put(idx, b4, 4));
		}
	}
	CV_TRY(cv__buf_put(idx, pack_sum, 20));
	unsigned char idx_sum[20];
	unsigned int n = 0;
	if (EVP_Digest(idx->data, idx->len, idx_sum, &n, cv__alg_sha1(), NULL) != 1)
		return cv__err(CV_ENOMEM, "cannot compute a SHA-1: out of memory");
	return cv__buf_put(idx, idx_sum, 20);
}

/* Entries are buffered up to a MiB, then hashed for the trailer and
 * written. */
static int out_drain(cv_pack_out *o)
{
	if (!o->buf.len)
		return 0;
	if (EVP_DigestUpdate(o->md, o->buf.data, o->buf.len) != 1)
		return cv__err(CV_ENOMEM, "cannot compute a SHA-1: out of memory");
	int rc = write_all(o->fd, o->buf.data, o->buf.len, o->path);
	cv__buf_clear(&o->buf);
	return rc;
}

static int out_maybe_drain(cv_pack_out *o)
{
	return o->buf.len >= (1u << 20) ? out_drain(o) : 0;
}

int cv__pack_out_put(cv_pack_out *o, const void *p, size_t n)
{
	CV_TRY(cv__buf_put(&o->buf, p, n));
	o->off += n;
	return out_maybe_drain(o);
}

/* Bytes of an entry: into the pack stream and its CRC-32. */
static int put_piece(cv_pack_out *o, const void *p, size_t n, uint32_t *crc)
{
	*crc = libdeflate_crc32(*crc, p, n);
	return cv__pack_out_put(o, p, n);
}

/* A zlib stream of stored blocks (RFC 1950/1951): what deflate level 0
 * produces, written directly and block by block, so that ciphertext is
 * copied once, the output buffer stays at a MiB whatever the object's
 * size, and the checksums come from libdeflate's vectorised code (zlib's
 * Adler-32 and CRC-32 run at a seventh and a third of the speed on the
 * bench machine; docs/dependencies.md). */
static int put_stored(cv_pack_out *o, const unsigned char *p, size_t n, uint32_t *crc)
{
	static const unsigned char zhdr[2] = { 0x78, 0x01 };
	CV_TRY(put_piece(o, zhdr, 2, crc));
	uint32_t adler = libdeflate_adler32(1, p, n);
	size_t left = n;
	do {
		size_t k = left < 65535 ? left : 65535;
		unsigned char h[5] = { k == left, (unsigned char)k, (unsigned char)(k >> 8), (unsigned char)~k,
			(unsigned char)(~k >> 8) };
		CV_TRY(put_piece(o, h, 5, crc));
		CV_TRY(put_piece(o, p, k, crc));
		p += k;
		left -= k;
	} while (left);
	unsigned char t[4];
	be32(t, adler);
	return put_piece(o, t, 4, crc);
}

/* Trees and commits: small, and they do compress. */
static int put_deflated(cv_pack_out *o, const unsigned char *p, size_t n, int level, uint32_t *crc)
{
	uLong bound = compressBound((uLong)n);
	unsigned char *z_out = malloc(bound);
	if (!z_out)
		return cv__oom();
	z_stream z;
	memset(&z, 0, sizeof z);
	int rc = 0;
	if (deflateInit(&z, level) != Z_OK) {
		rc = cv__err(CV_ENOMEM, "cannot start zlib: out of memory");
	} else {
		z.next_in = (Bytef *)p;
		z.avail_in = (uInt)n;
		z.next_out = z_out;
		z.avail_out = (uInt)bound;
		int zr = deflate(&z, Z_FINISH);
		deflateEnd(&z);
		rc = zr == Z_STREAM_END ? put_piece(o, z_out, bound - z.avail_out, crc)
					: cv__err(CV_ERROR, "zlib deflate failed (%d)", zr);
	}
	free(z_out);
	return rc;
}

/* One entry: type and size header, then the zlib stream of the object. */
static int out_entry(cv_pack_out *o, const unsigned char *data, cv_pack_obj *ob)
{
	unsigned char hdr[16];
	uint32_t crc = 0;
	ob->offset = o->off;
	CV_TRY(put_piece(o, hdr, entry_header(hdr, (git_object_t)ob->type, ob->len), &crc));
	if (ob->level == 0)
		CV_TRY(put_stored(o, data + ob->raw, ob->len, &crc));
	else
		CV_TRY(put_deflated(o, data + ob->raw, ob->len, ob->level, &crc));
	ob->crc = crc;
	return 0;
}

/* Stream the pack (header, entries by `fill`, checksum) into a fresh
 * temporary file and make it durable. */
static int stream_pack(const char *path, int fd, size_t count, cv_pack_fill fill, void *ctx, unsigned char sum[20])
{
	cv_pack_out o = { fd, path, EVP_MD_CTX_new(), CV_BUF_INIT, 0 };
	int rc = 0;
	if (!o.md || EVP_DigestInit_ex(o.md, cv__alg_sha1(), NULL) != 1)
		rc = cv__err(CV_ENOMEM, "cannot compute a SHA-1: out of memory");
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	be32(hdr + 8, (uint32_t)count);
	if (!rc)
		rc = cv__pack_out_put(&o, hdr, 12);
	if (!rc)
		rc = fill(&o, ctx);
	if (!rc)
		rc = out_drain(&o);
	unsigned int n = 0;
	if (!rc && EVP_DigestFinal_ex(o.md, sum, &n) != 1)
		rc = cv__err(CV_ENOMEM, "cannot compute a SHA-1: out of memory");
	if (!rc)
		rc = write_all(fd, sum, 20, path);
	EVP_MD_CTX_free(o.md);
	cv__buf_dispose(&o.buf);
	return seal_tmp(fd, path, rc);
}

int cv__pack_install(const char *dir, cv_pack_obj *objs, size_t count, cv_pack_fill fill, void *ctx, char hex[41])
{
	char *tmp_pack = NULL, *tmp_idx = NULL;
	unsigned char sum[20];
	int fd = -1;
	CV_TRY(open_tmp(dir, "pack", &tmp_pack, &fd));
	int rc = stream_pack(tmp_pack, fd, count, fill, ctx, sum);
	cv_buf idx = CV_BUF_INIT;
	if (!rc)
		rc = cv__pack_index_build(&idx, objs, count, sum);
	if (!rc && !(rc = open_tmp(dir, "idx", &tmp_idx, &fd)))
		rc = seal_tmp(fd, tmp_idx, write_all(fd, idx.data, idx.len, tmp_idx));
	cv__buf_dispose(&idx);
	char final_pack[4200], final_idx[4200];
	if (!rc) {
		cv__hex(hex, sum, 20);
		snprintf(final_pack, sizeof final_pack, "%s/pack-%s.pack", dir, hex);
		snprintf(final_idx, sizeof final_idx, "%s/pack-%s.idx", dir, hex);
		if (rename(tmp_pack, final_pack) < 0)
			rc = cv__err(CV_ERROR, "cannot install %s: %s", final_pack, strerror(errno));
		else if (rename(tmp_idx, final_idx) < 0) {
			rc = cv__err(CV_ERROR, "cannot install %s: %s", final_idx, strerror(errno));
			unlink(final_pack);
		} else if ((rc = cv__fsync_dir(dir)) != 0) {
			unlink(final_idx);
			unlink(final_pack);
		}
	}
	if (rc) {
		unlink(tmp_pack);
		if (tmp_idx)
			unlink(tmp_idx);
	}
	free(tmp_pack);
	free(tmp_idx);
	return rc;
}

/* The writer's entries, deflated in the order they were added. */
static int fill_job(cv_pack_out *o, void *ctx)
{
	cv_pack_job *job = ctx;
	int rc = 0;
	for (size_t i = 0; !rc && i < job->count; i++)
		rc = out_entry(o, job->entries.data, &job->objs[i]);
	return rc;
}

/* Touches only `job`, so it can run on the writer thread. */
static int write_pack(cv_pack_job *job)
{
	return cv__pack_install(job->pack_dir, job->objs, job->count, fill_job, job, job->hex);
}

static void *writer_main(void *arg)
{
	cv_pack_job *job = arg;
	job->rc = write_pack(job);
	if (job->rc) /* the last error is thread-local: carry it to the joiner */
		snprintf(job->msg, sizeof job->msg, "%s", cv_error_last()->message);
	return NULL;
}

/* Account for a finished pack on the caller's thread. */
static int finish_job(cv_packw *w, cv_pack_job *job)
{
	int rc = job->rc;
	if (!rc) {
		char **grown = realloc(w->written, (w->nwritten + 1) * sizeof *grown);
		if (!grown || !(grown[w->nwritten] = strdup(job->hex))) {
			if (grown)
				w->written = grown;
			/* The pack is durable but untracked: an abort could not remove it.
			 * Harmless (unreferenced objects), and verify reports none. */
			rc = cv__oom();
		} else {
			w->written = grown;
			w->nwritten++;
		}
	}
	w->bytes_written += job->entries.len + 32;
	cv__buf_clear(&job->entries);
	job->count = 0;
	return rc;
}

/* Wait for the pack in slot `i`, if it is being written. With `report`
 * unset a failure leaves the current error alone (an abort is already
 * reporting the reason the operation failed). */
static int join_slot(cv_packw *w, int i, int report)
{
	if (!w->busy[i])
		return 0;
	pthread_join(w->threads[i], NULL);
	w->busy[i] = 0;
	cv_pack_job *job = &w->jobs[i];
	int rc = finish_job(w, job);
	if (job->rc)
		return report ? cv__err(job->rc, "%s", job->msg) : job->rc;
	return rc;
}

/* Wait for every pack in flight; the first failure is reported. */
static int join_all(cv_packw *w, int report)
{
	int rc = 0;
	for (int i = 0; i < CV_PACK_SLOTS; i++) {
		int r = join_slot(w, i, report && !rc);
		if (!rc)
			rc = r;
	}
	return rc;
}

/* Hand the pending entries to a writer thread and go on filling another
 * slot's buffers: the pack's checksum, index, writes and fsyncs overlap
 * with the encryption of what comes next. The slot filled next is the
 * oldest one, so at most CV_PACK_INFLIGHT packs are in flight. */
static int flush_async(cv_packw *w)
{
	if (!w->count)
		return 0;
	int i = w->cur;
	cv_pack_job *job = &w->jobs[i];
	job->entries = w->entries;
	job->objs = w->objs;
	job->count = w->count;
	job->cap = w->cap;
	job->pack_dir = w->pack_dir;
	job->rc = 0;
	job->msg[0] = 0;
	w->entries = (cv_buf)CV_BUF_INIT;
	w->objs = NULL;
	w->cap = w->count = 0;
	int rc = 0;
	if (pthread_create(&w->threads[i], NULL, writer_main, job) == 0) {
		w->busy[i] = 1;
	} else {
		job->rc = write_pack(job); /* no thread to be had: write it here */
		rc = finish_job(w, job);
		rc = job->rc ? job->rc : rc;
	}
	w->cur = (i + 1) % CV_PACK_SLOTS;
	int r = join_slot(w, w->cur, 1);
	if (!rc)
		rc = r;
	/* Take the freed slot's buffers (kept allocated between packs). */
	cv_pack_job *next = &w->jobs[w->cur];
	w->entries = next->entries;
	w->objs = next->objs;
	w->cap = next->cap;
	w->count = 0;
	next->entries = (cv_buf)CV_BUF_INIT;
	next->objs = NULL;
	next->cap = 0;
	return rc;
}

int cv__packw_kick(cv_packw *w, size_t min_bytes)
{
	return w->entries.len >= min_bytes ? flush_async(w) : 0;
}

int cv__packw_flush(cv_packw *w)
{
	int rc = flush_async(w);
	int r = join_all(w, !rc);
	CV_TRY(rc);
	CV_TRY(r);
	/* Once, when everything is durable: nothing reads this operation's
	 * objects back before then, and libgit2 rescans on a miss anyway. */
	if (w->nwritten && w->odb)
		git_odb_refresh(w->odb);
	return 0;
}

void cv__packw_discard(cv_packw *w)
{
	join_all(w, 0); /* a pack it finished is listed, and goes below */
	static const char *const exts[] = { "idx", "pack", "rev" };
	for (size_t i = 0; i < w->nwritten; i++) {
		for (size_t e = 0; e < 3; e++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/pack-%s.%s", w->pack_dir, w->written[i], exts[e]);
			unlink(path);
		}
	}
	if (w->nwritten && w->odb)
		git_odb_refresh(w->odb);
	cv__buf_clear(&w->entries);
	w->count = 0;
}

void cv__packw_dispose(cv_packw *w)
{
	join_all(w, 0);
	for (int j = 0; j < CV_PACK_SLOTS; j++) {
		free(w->jobs[j].objs);
		cv__buf_dispose(&w->jobs[j].entries);
	}
	for (size_t i = 0; i < w->nwritten; i++)
		free(w->written[i]);
	free(w->written);
	free(w->pack_dir);
	free(w->objs);
	cv__buf_dispose(&w->entries);
	memset(w, 0, sizeof *w);
}

uint32_t cv__be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int cv__idx_count(const unsigned char *b, size_t len, uint32_t *count)
{
	if (len < 8 + 1024 + 40 || memcmp(b, "\377tOc\0\0\0\2", 8))
		return -1;
	*count = cv__be32(b + 8 + 255 * 4);
	return len < 8 + 1024 + (size_t)*count * 28 + 40 ? -1 : 0;
}

uint64_t cv__idx_offset(const unsigned char *b, size_t len, uint32_t count, uint32_t i)
{
	const unsigned char *offs = b + 8 + 1024 + (size_t)count * 24, *large = offs + (size_t)count * 4;
	uint32_t v = cv__be32(offs + (size_t)i * 4);
	if (!(v & 0x80000000u))
		return v;
	size_t li = v & 0x7fffffffu;
	if (large + li * 8 + 8 > b + len - 40)
		return 0;
	return (uint64_t)cv__be32(large + li * 8) << 32 | cv__be32(large + li * 8 + 4);
}
