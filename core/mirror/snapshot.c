/* Catalog snapshots: backup API into memory, gzip, CMS seal (snapshot.h). */
#include "mirror/snapshot.h"
#include "crypto/cms.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <libdeflate.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* In the user's words, never SQLite's (which also says "not an error"
 * when the failure was in the backup object's own allocation). */
static int snapshot_failed(int code)
{
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return cv__err(CV_EBUSY, "cannot take a snapshot of the catalog: it is in use; try again in a moment");
	case SQLITE_IOERR:
		return cv__err(CV_ERROR, "cannot take a snapshot of the catalog: input/output error reading it");
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return cv__err(CV_EDAMAGED, "cannot take a snapshot of the catalog: the catalog file is damaged");
	default:
		return cv__err(CV_ENOMEM, "cannot take a snapshot of the catalog: out of memory");
	}
}

int cv__snapshot_take(cv_buf *image, cv_archive *a)
{
	sqlite3 *mem = NULL;
	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		sqlite3_close(mem);
		return cv__oom();
	}
	int rc = 0;
	/* One step copies every page inside one read transaction of the source:
	 * the copy is the catalog at one instant (WAL included). */
	sqlite3_backup *bk = sqlite3_backup_init(mem, "main", a->cat->db, "main");
	int step = bk ? sqlite3_backup_step(bk, -1) : sqlite3_errcode(mem);
	int fin = bk ? sqlite3_backup_finish(bk) : SQLITE_OK;
	if (step != SQLITE_DONE || fin != SQLITE_OK)
		rc = snapshot_failed(step != SQLITE_DONE ? step : fin);
	sqlite3_int64 n = 0;
	unsigned char *p = rc ? NULL : sqlite3_serialize(mem, "main", &n, 0);
	if (!rc && !p)
		rc = cv__oom();
	if (!rc) {
		image->len = 0;
		rc = cv__buf_put(image, p, (size_t)n);
		cv__wipe(p, (size_t)n);
	}
	sqlite3_free(p);
	sqlite3_close(mem);
	return rc;
}

int cv__snapshot_seal(cv_buf *out, const cv_epoch *e, const void *image, size_t len)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	if (!c)
		return cv__oom();
	size_t bound = libdeflate_gzip_compress_bound(c, len);
	unsigned char *z = malloc(bound);
	size_t zn = z ? libdeflate_gzip_compress(c, image, len, z, bound) : 0;
	libdeflate_free_compressor(c);
	int rc = 0;
	if (!z)
		rc = cv__oom();
	else if (!zn)
		rc = cv__err(CV_ERROR, "cannot compress the catalog snapshot");
	if (!rc)
		rc = cv__cms_seal(out, e->key, e->id, z, zn);
	if (z)
		cv__wipe(z, bound);
	free(z);
	return rc;
}

int cv__snapshot_open(cv_buf *image, const cv_epoch *e, const void *blob, size_t len, size_t max)
{
	cv_buf z = CV_BUF_INIT;
	int rc = cv__cms_open(&z, e->key, e->id, blob, len);
	if (rc) {
		cv__buf_wipe_dispose(&z);
		return rc == CV_EAUTH ? cv__err(CV_EAUTH, "the snapshot is sealed under another key")
				      : cv__err(CV_EDAMAGED, "the snapshot was altered: its authentication tag does not verify");
	}
	/* gzip's trailer says the size (mod 2^32); bounded by `max` */
	size_t want = 0;
	if (z.len >= 18)
		want = (size_t)z.data[z.len - 4] | (size_t)z.data[z.len - 3] << 8 | (size_t)z.data[z.len - 2] << 16 |
		       (size_t)z.data[z.len - 1] << 24;
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	image->len = 0;
	if (!d)
		rc = cv__oom();
	else if (!want || want > max)
		rc = cv__err(CV_EDAMAGED, "the snapshot's size (%zu bytes) is not plausible", want);
	else if (!(rc = cv__buf_reserve(image, want))) {
		size_t got = 0;
		if (libdeflate_gzip_decompress(d, z.data, z.len, image->data, want, &got) != LIBDEFLATE_SUCCESS ||
			got != want)
			rc = cv__err(CV_EDAMAGED, "the snapshot does not decompress");
		else
			image->len = got;
	}
	if (d)
		libdeflate_free_decompressor(d);
	cv__buf_wipe_dispose(&z);
	if (!rc && (image->len < 100 || memcmp(image->data, "SQLite format 3", 16)))
		rc = cv__err(CV_EDAMAGED, "the snapshot is not a catalog");
	return rc;
}

int cv__snapshot_epoch(char hex[2 * CV_EPOCH_ID_LEN + 1], const void *blob, size_t len)
{
	unsigned char id[CV_KEY_ID_LEN];
	size_t ct = 0;
	CV_TRY(cv__cms_inspect(blob, len, id, &ct));
	cv__hex(hex, id, CV_KEY_ID_LEN);
	return 0;
}
