/* File helpers: atomic replace with fsync, bounded reads, directory sync.
 * Paths are the caller's; results are malloc'd for the caller. Thread-safe. */
#ifndef CV_UTIL_FS_H
#define CV_UTIL_FS_H

#include "util/buf.h"
#include <stddef.h>
#include <sys/types.h>

/** Write to a new temporary file next to path (mkostemp: random name,
 * O_EXCL), fsync, rename over path, fsync the directory. */
int cv__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/** Create a new file exclusively (O_EXCL), fsync it and its directory. */
int cv__write_file_new(const char *path, const void *data, size_t len, mode_t mode);
/** Read a whole file, failing if it is larger than max bytes. */
int cv__read_file(cv_buf *out, const char *path, size_t max);
int cv__fsync_dir(const char *dir);
int cv__fsync_parent(const char *path);
/** malloc'd "a/b". */
char *cv__path_join(const char *a, const char *b);
int cv__is_dir(const char *path);
int cv__exists(const char *path);

#endif
