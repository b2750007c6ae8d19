/* The BagIt bag of a communication copy, written straight into a zip
 * (bag.h says how). */
#include "export/bag.h"
#include "crypto/kdf.h"
#include "util/date.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hex.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cv_bag {
	struct archive *zip;
	char *final_path, *tmp_path, *root;
	int fd; /* the temporary file, written through this descriptor only: never reopened by name */
	cv_buf manifest;
	uint64_t bytes, files;
	int open;
};

static int zip_err(cv_bag *b, const char *what)
{
	/* libarchive says "Can't allocate ..." with ENOMEM: said as memory */
	if (archive_errno(b->zip) == ENOMEM)
		return cv__err(CV_ENOMEM, "writing %s: %s: out of memory", b->final_path, what);
	return cv__err(CV_ERROR, "writing %s: %s: %s", b->final_path, what,
		archive_error_string(b->zip) ? archive_error_string(b->zip) : "libarchive error");
}

int cv__bag_open(cv_bag **out, const char *zip_path, const char *root, const char *password)
{
	*out = NULL;
	if (cv__exists(zip_path))
		return cv__err(CV_EEXISTS, "%s already exists; refusing to overwrite it", zip_path);
	cv_bag *b = calloc(1, sizeof *b);
	if (!b)
		return cv__oom();
	b->fd = -1;
	size_t n = strlen(zip_path) + 32;
	b->final_path = strdup(zip_path);
	b->root = strdup(root);
	b->tmp_path = malloc(n);
	if (!b->final_path || !b->root || !b->tmp_path) {
		cv__bag_abort(b);
		return cv__oom();
	}
	snprintf(b->tmp_path, n, "%s.tmp-XXXXXX", zip_path);
	int fd = mkostemp(b->tmp_path, O_CLOEXEC); /* mode 0600, O_EXCL */
	if (fd < 0) {
		int rc = cv__err(CV_ERROR, "cannot create %s: %s", b->tmp_path, strerror(errno));
		free(b->tmp_path);
		b->tmp_path = NULL;
		cv__bag_abort(b);
		return rc;
	}
	b->fd = fd;
	b->zip = archive_write_new();
	int rc = 0;
	if (!b->zip)
		rc = cv__oom();
	else if (archive_write_set_format_zip(b->zip) != ARCHIVE_OK)
		rc = archive_errno(b->zip) == ENOMEM ? zip_err(b, "zip format")
						     : cv__err(CV_ERROR, "libarchive cannot write zip files");
	/* Text compresses well and level 6 would halve the export's speed for a
	 * few percent of size. */
	if (!rc && archive_write_set_options(b->zip, "zip:compression-level=1") != ARCHIVE_OK)
		rc = zip_err(b, "compression level");
	/* AES only, never ZipCrypto (zip:encryption=zipcrypt): ZipCrypto falls to
	 * a known-plaintext attack and bagit.txt is known text in every bag. AES
	 * needs 7-Zip, Keka or bsdtar on the person's side (docs/redaction.md). */
	if (!rc && password) {
		if (archive_write_set_options(b->zip, "zip:encryption=aes256") != ARCHIVE_OK ||
			archive_write_set_passphrase(b->zip, password) != ARCHIVE_OK)
			rc = zip_err(b, "AES-256 encryption is not available");
	}
	if (!rc && archive_write_open_fd(b->zip, b->fd) != ARCHIVE_OK)
		rc = zip_err(b, "open");
	if (rc) {
		cv__bag_abort(b);
		return rc;
	}
	b->open = 1;
	*out = b;
	return 0;
}

static int write_entry(cv_bag *b, const char *path, const void *data, size_t len)
{
	char full[4096];
	snprintf(full, sizeof full, "%s/%s", b->root, path);
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return cv__oom();
	archive_entry_set_pathname_utf8(e, full);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	int rc = 0;
	if (archive_write_header(b->zip, e) != ARCHIVE_OK)
		rc = zip_err(b, full);
	const unsigned char *p = data;
	while (!rc && len) {
		size_t step = len > (1u << 20) ? (1u << 20) : len;
		la_ssize_t k = archive_write_data(b->zip, p, step);
		if (k < 0)
			rc = zip_err(b, full);
		else {
			p += k;
			len -= (size_t)k;
		}
	}
	archive_entry_free(e);
	return rc;
}

static int hash_line(cv_buf *m, const char *path, const void *data, size_t len)
{
	unsigned char h[32];
	char hex[65];
	CV_TRY(cv__sha256(h, data, len));
	cv__hex(hex, h, 32);
	return cv__buf_printf(m, "%s  %s\n", hex, path);
}

int cv__bag_add(cv_bag *b, const char *rel, const void *data, size_t len)
{
	char path[2048];
	if (strstr(rel, "..") || rel[0] == '/' || strchr(rel, '\n') || strchr(rel, '\r'))
		return cv__err(CV_EINVAL, "bag path '%s' is not acceptable", rel);
	snprintf(path, sizeof path, "data/%s", rel);
	CV_TRY(hash_line(&b->manifest, path, data, len));
	b->bytes += len;
	b->files++;
	return write_entry(b, path, data, len);
}

int cv__bag_finish(cv_bag *b, const char *info, char zip_sha256[65], uint64_t *payload_bytes)
{
	static const char bagit[] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	char today[11];
	cv__date_today(today);
	cv_buf bi = CV_BUF_INIT, tm = CV_BUF_INIT;
	int rc = cv__buf_printf(&bi, "Bagging-Date: %s\nPayload-Oxum: %llu.%llu\n%s", today, (unsigned long long)b->bytes,
		(unsigned long long)b->files, info ? info : "");
	if (!rc)
		rc = write_entry(b, "bagit.txt", bagit, strlen(bagit));
	if (!rc)
		rc = write_entry(b, "bag-info.txt", bi.data, bi.len);
	if (!rc)
		rc = write_entry(b, "manifest-sha256.txt", b->manifest.data, b->manifest.len);
	if (!rc)
		rc = hash_line(&tm, "bagit.txt", bagit, strlen(bagit));
	if (!rc)
		rc = hash_line(&tm, "bag-info.txt", bi.data, bi.len);
	if (!rc)
		rc = hash_line(&tm, "manifest-sha256.txt", b->manifest.data, b->manifest.len);
	if (!rc)
		rc = write_entry(b, "tagmanifest-sha256.txt", tm.data, tm.len);
	cv__buf_dispose(&bi);
	cv__buf_dispose(&tm);
	if (!rc && archive_write_close(b->zip) != ARCHIVE_OK)
		rc = zip_err(b, "close");
	archive_write_free(b->zip);
	b->zip = NULL;
	b->open = 0;
	/* hash what was written (streamed: a copy can be gigabytes), sync it,
	 * install it */
	if (!rc && lseek(b->fd, 0, SEEK_SET) != 0)
		rc = cv__err(CV_ERROR, "cannot read back %s: %s", b->tmp_path, strerror(errno));
	unsigned char h[32];
	if (!rc)
		rc = cv__sha256_fd(h, b->fd);
	if (!rc)
		cv__hex(zip_sha256, h, 32);
	if (!rc && fsync(b->fd) < 0)
		rc = cv__err(CV_ERROR, "cannot sync %s: %s", b->tmp_path, strerror(errno));
	if (!rc && link(b->tmp_path, b->final_path) < 0)
		rc = cv__err(errno == EEXIST ? CV_EEXISTS : CV_ERROR, "cannot create %s: %s", b->final_path, strerror(errno));
	if (!rc)
		cv__fsync_parent(b->final_path);
	if (payload_bytes)
		*payload_bytes = b->bytes;
	cv__bag_abort(b);
	return rc;
}

void cv__bag_abort(cv_bag *b)
{
	if (!b)
		return;
	if (b->zip) {
		archive_write_free(b->zip);
	}
	if (b->fd >= 0)
		close(b->fd);
	if (b->tmp_path) {
		unlink(b->tmp_path);
		free(b->tmp_path);
	}
	free(b->final_path);
	free(b->root);
	cv__buf_dispose(&b->manifest);
	free(b);
}
