#include "pack.h"
#include "../util/error.h"
#include "../util/hex.h"

#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int cv__packw_init(cv_packw *w, const char *pack_dir)
{
	memset(w, 0, sizeof *w);
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

int cv__packw_add(cv_packw *w, git_object_t type, const void *data, size_t len, int level)
{
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
	w->count++;
	if (w->entries.len >= CV_PACK_FLUSH)
		return cv__packw_flush(w);
	return 0;
}

int cv__packw_flush(cv_packw *w)
{
	if (!w->count)
		return 0;
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	hdr[8] = (unsigned char)(w->count >> 24);
	hdr[9] = (unsigned char)(w->count >> 16);
	hdr[10] = (unsigned char)(w->count >> 8);
	hdr[11] = (unsigned char)w->count;
	unsigned char trailer[20];
	unsigned int tl = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(md, hdr, 12) == 1 &&
		EVP_DigestUpdate(md, w->entries.data, w->entries.len) == 1 && EVP_DigestFinal_ex(md, trailer, &tl) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return cv__err(CV_ERROR, "SHA-1 of pack failed");

	git_indexer *idx = NULL;
	git_indexer_options opts;
	git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION);
	git_indexer_progress stats;
	int rc = 0;
	if (git_indexer_new(&idx, w->pack_dir, 0444, NULL, &opts) < 0 ||
		git_indexer_append(idx, hdr, 12, &stats) < 0 ||
		git_indexer_append(idx, w->entries.data, w->entries.len, &stats) < 0 ||
		git_indexer_append(idx, trailer, 20, &stats) < 0 || git_indexer_commit(idx, &stats) < 0) {
		rc = cv__err(CV_ERROR, "cannot write pack in %s: %s", w->pack_dir, cv__git_reason());
	} else {
		const char *name = git_indexer_name(idx);
		char **grown = realloc(w->written, (w->nwritten + 1) * sizeof *grown);
		if (!grown) {
			rc = cv__oom();
		} else {
			w->written = grown;
			if (!(w->written[w->nwritten] = strdup(name)))
				rc = cv__oom();
			else
				w->nwritten++;
		}
	}
	git_indexer_free(idx);
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
	cv__buf_clear(&w->entries);
	w->count = 0;
}

void cv__packw_dispose(cv_packw *w)
{
	for (size_t i = 0; i < w->nwritten; i++)
		free(w->written[i]);
	free(w->written);
	free(w->pack_dir);
	cv__buf_dispose(&w->entries);
	memset(w, 0, sizeof *w);
}
