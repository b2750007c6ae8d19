/* A case's documents: listing with decrypted metadata, reading a revision
 * chunk by chunk (each authenticated, then matched to the keyed hash the
 * catalog expects), and new revisions outside ingestion. Not thread-safe:
 * one archive handle, one thread. */
#ifndef CV_RECORDS_DOCS_H
#define CV_RECORDS_DOCS_H

#include "engine/internal.h"

/** Latest revision number of a document (CV_ENOTFOUND if none). */
int cv__doc_latest_rev(cv_archive *a, const char *case_id, const char *doc_id, unsigned *rev);
/** Documents with their decrypted metadata; `all` includes removed ones. */
int cv__docs_load(cv_archive *a, const char *case_id, const cv_case_key *k, int all, cv_doc_info **out, size_t *n);
/** Stream a revision's chunks (rev 0: the latest) after authenticating each. */
int cv__doc_stream(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev,
	cv_write_cb cb, void *payload);
/** A new revision of a document, chunked and sealed under the case key, with
 * a note (a rectification). The caller rebuilds the case tree. */
int cv__doc_revise(cv_txn *t, const char *case_id, const cv_case_key *k, const char *doc_id, const void *data,
	size_t len, const char *note, unsigned *new_rev);

#endif
