/*
 * casevault — documents and their revisions.
 *
 * Reading a document is reading personal data: role-gated and journaled
 * before the first byte is handed over. Lists are freed with *_free.
 */
#ifndef CASEVAULT_DOC_H
#define CASEVAULT_DOC_H

#include "archive.h"

CV_BEGIN_DECL

typedef struct cv_doc_info {
	char id[16];             /**< "d1", "d2"... stable across versions */
	char *title;
	char *path;              /**< path in the bundle (original file name) */
	char date[11];
	char type[32];
	char **concerns;         /**< person ids */
	size_t nconcerns;
	unsigned int revisions;
	uint64_t size;           /**< bytes of the latest revision */
	int removed;             /**< removed from the case, kept in history */
} cv_doc_info;

/** Documents of a case (title and path decrypted; role-gated, journaled). */
CV_EXTERN(int) cv_doc_list(cv_doc_info **out, size_t *count, cv_archive *a, const char *case_id);
CV_EXTERN(void) cv_doc_list_free(cv_doc_info *list, size_t count);

typedef struct cv_doc_rev {
	unsigned int rev;
	char date[32];           /**< when this revision was stored (UTC, ISO 8601) */
	uint64_t size;
	unsigned int chunks;
	unsigned int case_version;
	char note[128];          /**< e.g. the rights request a rectification answers */
} cv_doc_rev;

CV_EXTERN(int) cv_doc_log(cv_doc_rev **out, size_t *count, cv_archive *a, const char *case_id, const char *doc_id);
CV_EXTERN(void) cv_doc_log_free(cv_doc_rev *list);

/** Receives plaintext; return non-zero to stop (the call then fails). */
typedef int (*cv_write_cb)(const void *data, size_t len, void *payload);

/** Stream revision `rev` (0 = latest) of a document, chunk by chunk; each
 * chunk is authenticated before any of its bytes reaches `cb`. */
CV_EXTERN(int) cv_doc_cat(cv_archive *a, const char *case_id, const char *doc_id, unsigned int rev,
	cv_write_cb cb, void *payload);

CV_END_DECL

#endif
