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
 * and (optionally) the key file path (malloc'd). The archive directory is
 * cv_archive_dir(handle). */
cv_archive *cvt_archive(const char *name, char **key_file);
/** Reopen an archive made by cvt_archive. */
cv_archive *cvt_reopen(const char *dir, const char *key_file, const char *actor);
/** Write a file. */
void cvt_write(const char *path, const void *data, size_t len);

/* --- added for the engine-core suite ------------------------------------ */

/** malloc'd "a/b". */
char *cvt_join(const char *a, const char *b);
/** Read a whole file (malloc'd, NUL-terminated beyond len); NULL if unreadable. */
unsigned char *cvt_read(const char *path, size_t *len);
/** Run a shell command (printf-style); returns its exit status, or -1. */
int cvt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Deterministic pseudo-random bytes (xorshift64*), for reproducible data. */
void cvt_fill(void *p, size_t n, uint64_t seed);
/** Find `needle` in `hay` (NULL if absent). */
const void *cvt_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen);

/** Every regular file under `dir` (recursive): calls fn(path, bytes, len). */
typedef void (*cvt_file_fn)(const char *path, const unsigned char *data, size_t len, void *payload);
void cvt_each_file(const char *dir, cvt_file_fn fn, void *payload);

/** Collects what a cv_doc_cat callback receives. */
typedef struct cvt_sink {
	unsigned char *data;
	size_t len, cap;
} cvt_sink;
int cvt_sink_cb(const void *data, size_t len, void *payload);
void cvt_sink_free(cvt_sink *s);

/** Ingest a one-person case `ref` with one document `doc_path` of `len`
 * bytes through the public API; returns the cv_ingest_* result code. */
int cvt_ingest_case(cv_archive *a, const char *ref, const char *doc_path, const void *doc, size_t len,
	cv_ingest_result *res);

/** The test program's main: runs the listed cmocka tests, e.g.
 * CVT_MAIN(cmocka_unit_test(a), cmocka_unit_test(b)) */
#define CVT_MAIN(...)                                                  \
	int main(void)                                                 \
	{                                                              \
		const struct CMUnitTest tests[] = { __VA_ARGS__ };     \
		return cmocka_run_group_tests(tests, NULL, NULL);      \
	}

#endif
