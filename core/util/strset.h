/* A set of C strings (open addressing, FNV-1a), for duplicate checks that
 * must stay linear in the number of documents. The strings are borrowed:
 * they must outlive the set. Owned by one user; not thread-safe. */
#ifndef CV_UTIL_STRSET_H
#define CV_UTIL_STRSET_H

#include <stddef.h>

typedef struct cv_strset {
	const char **slots;
	size_t n, nslots;
} cv_strset;

#define CV_STRSET_INIT { NULL, 0, 0 }

/** 1 when `str` was added, 0 when it was already there, <0 out of memory. */
int cv__strset_add(cv_strset *s, const char *str);
int cv__strset_has(const cv_strset *s, const char *str);
void cv__strset_free(cv_strset *s);

#endif
