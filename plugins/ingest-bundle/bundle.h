/* The bundle ingestion plugin's internals: two readers (directory, archive
 * through libarchive) share the manifest validation and the feeding of the
 * host. Nothing is written to disk by the plugin: documents stream from the
 * bundle straight into the host's sink. */
#ifndef CV_BUNDLE_H
#define CV_BUNDLE_H

#include "manifest.h"

#define BUNDLE_IO_BLOCK (1u << 20)

typedef struct bundle_run {
	const cv_host *h;
	cv_ingest_ctx *ctx;
	const char *label;          /* the bundle as the user named it */
	const cv_ingest_limits *lim;
	bundle_manifest m;
	uint64_t total;             /* document bytes accepted so far */
	uint64_t expected;          /* sum of document sizes, for progress */
} bundle_run;

/** Hand the validated case, persons and measures to the host. */
int bundle_feed_header(bundle_run *r);
/** Name of document i ("documents[3] 'docs/a.txt'") or of the sealed part. */
void bundle_doc_label(const bundle_run *r, size_t i, char *out, size_t n);
/** Account for bytes read and enforce the limits. */
int bundle_account(bundle_run *r, const char *what, uint64_t doc_bytes, size_t add);

int bundle_ingest_dir(bundle_run *r, const char *path);
int bundle_ingest_archive(bundle_run *r, const char *path);

#endif
