/* Pack writer. An operation's objects are serialised as git pack v2 entries
 * (zlib "stored" blocks for ciphertext, level 1 for trees and commits) in a
 * bounded buffer; a flush writes the pack and its version-2 index to
 * temporary files, fsyncs them, renames them into objects/pack (pack first,
 * index last, as git does) and fsyncs the directory, then asks libgit2 to
 * pick the new pack up. Writing the index here rather than through libgit2's
 * indexer avoids hashing every byte twice more with its collision-detecting
 * SHA-1; `git fsck --strict` and `casevault verify` check the result. */
#include "pack.h"
#include "../util/error.h"
#include "../util/fs.h"
#include "../util/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int cv__packw_init(cv_packw *w, const char *pack_dir, git_odb *odb)
{
	memset(w, 0, sizeof *w);
	w->odb = odb;
	w->pack_dir = strdup(pack_dir);
	return w->pack_dir ? 0 : cv__oom();
}

static int put_entry_header(cv_buf *b, git_object_t type, size_t len)
{
	unsigned char h[16];
	size_t n = 0;
	unsigned char c = (unsigned char)(((unsigned)type & 7) << 4 | (len & 15));
	len >>= 4;
	while (len) {
		h[n++] = c | 0x80;
		c = len & 0x7f;
		len >>= 7;
	}
	h[n++] = c;
	return cv__buf_put(b, h, n);
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
	int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(md, hdr, (size_t)hl) == 1 &&
		EVP_DigestUpdate(md, data, len) == 1 && EVP_DigestFinal_ex(md, out->id, &n) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : cv__err(CV_ERROR, "SHA-1 failed");
}

int cv__packw_add(cv_packw *w, git_object_t type, const void *data, size_t len, int level, git_oid *oid_out)
{
	git_oid oid;
	CV_TRY(cv__object_id(&oid, type, data, len));
	if (w->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		cv_pack_obj *p = realloc(w->objs, cap * sizeof *p);
		if (!p)
			return cv__oom();
		w->objs = p;
		w->cap = cap;
	}
	if (!w->entries.cap) /* one allocation per operation: no copying as it grows */
		CV_TRY(cv__buf_reserve(&w->entries, CV_PACK_FLUSH + (5u << 20)));
	size_t start = w->entries.len;
	CV_TRY(put_entry_header(&w->entries, type, len));
	uLong bound = compressBound((uLong)len);
	CV_TRY(cv__buf_reserve(&w->entries, bound));
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit(&z, level) != Z_OK)
		return cv__err(CV_ERROR, "zlib init failed");
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = w->entries.data + w->entries.len;
	z.avail_out = (uInt)bound;
	int zr = deflate(&z, Z_FINISH);
	size_t produced = bound - z.avail_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END)
		return cv__err(CV_ERROR, "zlib deflate failed (%d)", zr);
	w->entries.len += produced;
	cv_pack_obj *o = &w->objs[w->count++];
	git_oid_cpy(&o->oid, &oid);
	o->offset = 12 + start;
	o->crc = (uint32_t)crc32(0, w->entries.data + start, (uInt)(w->entries.len - start));
	if (oid_out)
		git_oid_cpy(oid_out, &oid);
	if (w->entries.len >= CV_PACK_FLUSH)
		return cv__packw_flush(w);
	return 0;
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

/* Write `parts` to a new temporary file in the pack directory and fsync it. */
static int write_tmp(const char *dir, const char *kind, const void *const *parts, const size_t *lens, int nparts,
	char **out_path)
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
	int rc = 0;
	for (int i = 0; i < nparts && !rc; i++)
		rc = write_all(fd, parts[i], lens[i], path);
	if (!rc && fchmod(fd, 0444) < 0)
		rc = cv__err(CV_ERROR, "cannot set mode of %s: %s", path, strerror(errno));
	if (!rc && fsync(fd) < 0)
		rc = cv__err(CV_ERROR, "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	if (rc) {
		unlink(path);
		free(path);
		return rc;
	}
	*out_path = path;
	return 0;
}

static int obj_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const cv_pack_obj *)a)->oid, &((const cv_pack_obj *)b)->oid);
}

static int sha1_parts(unsigned char out[20], const void *const *parts, const size_t *lens, int nparts)
{
	unsigned int n = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1;
	for (int i = 0; ok && i < nparts; i++)
		ok = EVP_DigestUpdate(md, parts[i], lens[i]) == 1;
	ok = ok && EVP_DigestFinal_ex(md, out, &n) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : cv__err(CV_ERROR, "SHA-1 failed");
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Index v2: magic, version, fan-out, sorted ids, CRC-32s, offsets (with the
 * 64-bit table for offsets past 2 GiB), pack checksum, index checksum. */
static int build_index(cv_packw *w, const unsigned char pack_sum[20], cv_buf *idx)
{
	qsort(w->objs, w->count, sizeof *w->objs, obj_cmp);
	for (size_t i = 1; i < w->count; i++)
		if (git_oid_equal(&w->objs[i].oid, &w->objs[i - 1].oid))
			return cv__err(CV_ERROR, "internal error: an object appears twice in one pack");
	unsigned char b4[4];
	CV_TRY(cv__buf_put(idx, "\377tOc", 4));
	be32(b4, 2);
	CV_TRY(cv__buf_put(idx, b4, 4));
	size_t k = 0;
	for (int f = 0; f < 256; f++) {
		while (k < w->count && w->objs[k].oid.id[0] <= f)
			k++;
		be32(b4, (uint32_t)k);
		CV_TRY(cv__buf_put(idx, b4, 4));
	}
	for (size_t i = 0; i < w->count; i++)
		CV_TRY(cv__buf_put(idx, w->objs[i].oid.id, GIT_OID_RAWSZ));
	for (size_t i = 0; i < w->count; i++) {
		be32(b4, w->objs[i].crc);
		CV_TRY(cv__buf_put(idx, b4, 4));
	}
	uint32_t nlarge = 0;
	for (size_t i = 0; i < w->count; i++) {
		uint64_t off = w->objs[i].offset;
		be32(b4, off < 0x80000000u ? (uint32_t)off : (0x80000000u | nlarge++));
		CV_TRY(cv__buf_put(idx, b4, 4));
	}
	for (size_t i = 0; i < w->count; i++) {
		uint64_t off = w->objs[i].offset;
		if (off >= 0x80000000u) {
			be32(b4, (uint32_t)(off >> 32));
			CV_TRY(cv__buf_put(idx, b4, 4));
			be32(b4, (uint32_t)off);
			CV_TRY(cv__buf_put(idx, b4, 4));
		}
	}
	CV_TRY(cv__buf_put(idx, pack_sum, 20));
	unsigned char idx_sum[20];
	const void *parts[1] = { idx->data };
	size_t lens[1] = { idx->len };
	CV_TRY(sha1_parts(idx_sum, parts, lens, 1));
	return cv__buf_put(idx, idx_sum, 20);
}

int cv__packw_flush(cv_packw *w)
{
	if (!w->count)
		return 0;
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	be32(hdr + 8, (uint32_t)w->count);
	unsigned char sum[20];
	const void *parts[3] = { hdr, w->entries.data, sum };
	size_t lens[3] = { 12, w->entries.len, 20 };
	CV_TRY(sha1_parts(sum, parts, lens, 2));
	cv_buf idx = CV_BUF_INIT;
	int rc = build_index(w, sum, &idx);
	char *tmp_pack = NULL, *tmp_idx = NULL, hex[41];
	if (!rc)
		rc = write_tmp(w->pack_dir, "pack", parts, lens, 3, &tmp_pack);
	if (!rc) {
		const void *ip[1] = { idx.data };
		size_t il[1] = { idx.len };
		rc = write_tmp(w->pack_dir, "idx", ip, il, 1, &tmp_idx);
	}
	cv__buf_dispose(&idx);
	cv__hex(hex, sum, 20);
	char final_pack[4200], final_idx[4200];
	snprintf(final_pack, sizeof final_pack, "%s/pack-%s.pack", w->pack_dir, hex);
	snprintf(final_idx, sizeof final_idx, "%s/pack-%s.idx", w->pack_dir, hex);
	if (!rc && rename(tmp_pack, final_pack) < 0)
		rc = cv__err(CV_ERROR, "cannot install %s: %s", final_pack, strerror(errno));
	if (!rc && rename(tmp_idx, final_idx) < 0)
		rc = cv__err(CV_ERROR, "cannot install %s: %s", final_idx, strerror(errno));
	if (!rc)
		rc = cv__fsync_dir(w->pack_dir);
	if (rc) {
		if (tmp_pack)
			unlink(tmp_pack);
		if (tmp_idx)
			unlink(tmp_idx);
		unlink(final_idx);
		unlink(final_pack);
	} else {
		char **grown = realloc(w->written, (w->nwritten + 1) * sizeof *grown);
		if (!grown || !(grown[w->nwritten] = strdup(hex))) {
			if (grown)
				w->written = grown;
			rc = cv__oom();
		} else {
			w->written = grown;
			w->nwritten++;
		}
		if (w->odb)
			git_odb_refresh(w->odb);
	}
	free(tmp_pack);
	free(tmp_idx);
	w->bytes_written += w->entries.len + 32;
	cv__buf_clear(&w->entries);
	w->count = 0;
	return rc;
}

void cv__packw_discard(cv_packw *w)
{
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
	for (size_t i = 0; i < w->nwritten; i++)
		free(w->written[i]);
	free(w->written);
	free(w->pack_dir);
	free(w->objs);
	cv__buf_dispose(&w->entries);
	memset(w, 0, sizeof *w);
}
