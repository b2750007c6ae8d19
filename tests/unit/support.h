/* Helpers shared by the unit tests: scratch directories, hex, a test
 * archive opened with a fresh key. */
#ifndef CV_TEST_SUPPORT_H
#define CV_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <casevault.h>

/** A fresh, empty scratch directory under the build tree (malloc'd path). */
char *cvt_tmpdir(const char *name);
/** rm -rf */
void cvt_rmrf(const char *path);
/** Decode hex into a malloc'd buffer. */
unsigned char *cvt_unhex(const char *hex, size_t *len);
/** Create an archive with a new key in a fresh directory; returns the handle
 * and (optionally) the key file path (malloc'd). */
cv_archive *cvt_archive(const char *name, char **key_file);
/** Reopen an archive made by cvt_archive. */
cv_archive *cvt_reopen(const char *dir, const char *key_file, const char *actor);
/** Write a file. */
void cvt_write(const char *path, const void *data, size_t len);

#endif
