#include "util/fs.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *cv__path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);
	if (!p)
		return NULL;
	memcpy(p, a, la);
	size_t o = la;
	if (la && a[la - 1] != '/')
		p[o++] = '/';
	memcpy(p + o, b, lb + 1);
	return p;
}

int cv__fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cv__err(CV_ERROR, "cannot open directory %s: %s", dir, strerror(errno));
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	if (rc < 0 && e != EINVAL)
		return cv__err(CV_ERROR, "cannot sync directory %s: %s", dir, strerror(e));
	return 0;
}

int cv__fsync_parent(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return cv__oom();
	int rc = cv__fsync_dir(dirname(copy));
	free(copy);
	return rc;
}

static int write_all(int fd, const void *data, size_t len, const char *path)
{
	const unsigned char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cv__err(CV_ERROR, "cannot write %s: %s", path, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The temporary file is made by mkostemp in the target's directory: a
 * random name created with O_EXCL, so nobody can plant a file or a link
 * there in advance for us to write through; rename then replaces the
 * target itself (a link at the target is replaced, not followed). */
int cv__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	if (!tmp)
		return cv__oom();
	snprintf(tmp, n, "%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int rc = cv__err(CV_ERROR, "cannot create a temporary file next to %s: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	int rc = fchmod(fd, mode) < 0 ? cv__err(CV_ERROR, "cannot set the mode of %s: %s", tmp, strerror(errno)) : 0;
	if (!rc)
		rc = write_all(fd, data, len, tmp);
	if (!rc && fsync(fd) < 0)
		rc = cv__err(CV_ERROR, "cannot sync %s: %s", tmp, strerror(errno));
	close(fd);
	if (!rc && rename(tmp, path) < 0)
		rc = cv__err(CV_ERROR, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc ? rc : cv__fsync_parent(path);
}

int cv__write_file_new(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return cv__err(CV_EEXISTS, "%s already exists; refusing to overwrite it", path);
		return cv__err(CV_ERROR, "cannot create %s: %s", path, strerror(errno));
	}
	int rc = write_all(fd, data, len, path);
	if (!rc && fchmod(fd, mode) < 0)
		rc = cv__err(CV_ERROR, "cannot set mode of %s: %s", path, strerror(errno));
	if (!rc && fsync(fd) < 0)
		rc = cv__err(CV_ERROR, "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	if (!rc)
		rc = cv__fsync_parent(path);
	/* a failure leaves no file behind, not even when only the directory's
	 * sync failed: the caller reports failure and must not leave a release
	 * or a copy it did not record (tests/fault, origins release) */
	if (rc)
		unlink(path);
	return rc;
}

int cv__read_file(cv_buf *out, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cv__err(errno == ENOENT ? CV_ENOTFOUND : CV_ERROR, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cv__err(CV_EINVAL, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return cv__err(CV_EINVAL, "%s is too large (%lld bytes, at most %zu)", path, (long long)st.st_size, max);
	}
	int rc = cv__buf_reserve(out, (size_t)st.st_size);
	while (!rc) {
		if ((rc = cv__buf_reserve(out, 4096)))
			break; /* the descriptor is closed below */
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = cv__err(CV_ERROR, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > max)
			rc = cv__err(CV_EINVAL, "%s is too large (more than %zu bytes)", path, max);
	}
	close(fd);
	if (!rc)
		rc = cv__buf_cstr(out);
	return rc;
}

int cv__is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cv__exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}
