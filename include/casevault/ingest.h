/*
 * casevault — ingestion: the core's case builder and bundle ingestion.
 *
 * A cv_ingest is one all-or-nothing transaction for one case: nothing is
 * visible in the catalog or the git branch until cv_ingest_commit returns 0;
 * cv_ingest_abort (or any failure) leaves the archive as it was. A cv_ingest
 * belongs to the thread that began it.
 */
#ifndef CASEVAULT_INGEST_H
#define CASEVAULT_INGEST_H

#include "archive.h"
#include "records.h"

CV_BEGIN_DECL

typedef struct cv_ingest cv_ingest;

typedef struct cv_ingest_result {
	unsigned int version;    /**< CV_INGEST_RESULT_VERSION, set by CV_INGEST_RESULT_INIT */
	char case_id[40];
	char ref[128];
	int created;              /**< 1 if the case is new */
	unsigned int case_version; /**< case version after this ingest */
	unsigned int docs_new, docs_changed, docs_unchanged, docs_removed;
	uint64_t bytes_in;        /**< document bytes read */
	uint64_t bytes_stored;    /**< chunk bytes newly stored (after dedup) */
	uint64_t chunks_new, chunks_reused;
	char plugin[64];          /**< plugin that ingested it (bundle ingest) */
	int unchanged;            /**< 1: identical to the case's last ingest; nothing was stored */
	unsigned int rectifications_kept; /**< GDPR rectifications re-applied over the source */
	char rectifications[256]; /**< which ones ("person p1 born (request R…); document d2 (request R…)") */
} cv_ingest_result;

#define CV_INGEST_RESULT_VERSION 1
#define CV_INGEST_RESULT_INIT { CV_INGEST_RESULT_VERSION }

/** Begin a case transaction. `source` names the input for messages. */
CV_EXTERN(int) cv_ingest_begin(cv_ingest **out, cv_archive *a, const char *source);
CV_EXTERN(int) cv_ingest_set_case(cv_ingest *t, const cv_case_fields *c);
CV_EXTERN(int) cv_ingest_add_person(cv_ingest *t, const cv_person_fields *p);
CV_EXTERN(int) cv_ingest_add_measure(cv_ingest *t, const cv_measure_fields *m);
/** Documents are streamed: begin, write any number of times, end. */
CV_EXTERN(int) cv_ingest_doc_begin(cv_ingest *t, const cv_doc_fields *d);
CV_EXTERN(int) cv_ingest_doc_write(cv_ingest *t, const void *data, size_t len);
CV_EXTERN(int) cv_ingest_doc_end(cv_ingest *t);
/** The sealed identity of a secret birth (pli fermé), streamed likewise. */
CV_EXTERN(int) cv_ingest_sealed_begin(cv_ingest *t);
CV_EXTERN(int) cv_ingest_sealed_write(cv_ingest *t, const void *data, size_t len);
CV_EXTERN(int) cv_ingest_sealed_end(cv_ingest *t);
/** Commit everything (one git commit, one catalog transaction) and free. */
CV_EXTERN(int) cv_ingest_commit(cv_ingest *t, cv_ingest_result *result);
/** Drop everything and free. Safe on NULL. */
CV_EXTERN(void) cv_ingest_abort(cv_ingest *t);

/** Limits applied to bundles; 0 means the default. */
typedef struct cv_ingest_options {
	unsigned int version;
	const char *plugin;          /**< force this ingestion plugin by name */
	uint64_t max_entry_bytes;    /**< one document (default 4 GiB) */
	uint64_t max_total_bytes;    /**< whole bundle (default 16 GiB) */
	uint64_t max_entries;        /**< entries in an archive (default 100000) */
	uint64_t max_manifest_bytes; /**< case.json (default 16 MiB) */
	double max_ratio;            /**< expansion ratio of a compressed bundle (default 200) */
} cv_ingest_options;

#define CV_INGEST_OPTIONS_VERSION 1
#define CV_INGEST_OPTIONS_INIT { CV_INGEST_OPTIONS_VERSION, NULL, 0, 0, 0, 0, 0.0 }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_ingest_options_init(cv_ingest_options *opts, unsigned int version);

/** Ingest one bundle (directory, .tar, .tar.gz, .zip) through the plugin that
 * bids highest for it (or opts->plugin). All or nothing. */
CV_EXTERN(int) cv_ingest_bundle(cv_ingest_result *result, cv_archive *a, const char *path,
	const cv_ingest_options *opts);

CV_END_DECL

#endif
