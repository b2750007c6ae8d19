/* Revision tags: a keyed hash, under a key derived from the case key, over
 * a revision's identity (case, document, revision number), its total size
 * and its ordered list of chunk hashes. A chunk row removed, added,
 * reordered or pointed elsewhere, or a size edited, no longer matches, and
 * without the case key nobody can make a tag that does. Every read checks the
 * tag before releasing a byte; verify checks every revision. Not
 * thread-safe: one archive handle, one thread. */
#ifndef CV_RECORDS_REVTAG_H
#define CV_RECORDS_REVTAG_H

#include "engine/internal.h"

/** The tag of a revision whose chunk hashes are `hashes[0..n)` in order. */
int cv__rev_tag(unsigned char tag[32], const cv_case_key *k, const char *case_id, const char *doc_id, unsigned rev,
	uint64_t size, const unsigned char (*hashes)[32], size_t n);
/** Store a revision's tag (inside the caller's write transaction). */
int cv__rev_tag_store(cv_archive *a, const char *case_id, const char *doc_id, unsigned rev, const unsigned char tag[32]);
/** Compute a revision's tag from its catalog rows and store it: for
 * revisions written outside ingestion (rectifications, survivors). */
int cv__rev_seal(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev);
/** 0 when the revision's rows match its tag; CV_EDAMAGED naming the case,
 * document and revision otherwise (also when it has no tag). */
int cv__rev_check(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev);

/** A revision's tag in hex ("" when it has none). */
int cv__rev_tag_hex(cv_archive *a, const char *case_id, const char *doc_id, unsigned rev, char hex[65]);
/** The case's manifest (named by its sealed row, opened with the case key,
 * of the case's current version) must list `latest` as the document's
 * latest revision, and, when `rev` is that one, the same tag: a newer
 * revision's rows removed, or an older manifest's catalog rows put back,
 * fail here before any byte is released. */
int cv__manifest_check(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev,
	unsigned latest);

#endif
