/* What an ingest transaction accumulates before it is stored. Private to
 * ingest*.c and sealed.c; owned by the cv_ingest. */
#ifndef CV_INGEST_MODEL_H
#define CV_INGEST_MODEL_H

#include "internal.h"
#include "store/chunker.h"

typedef struct cv_ingest_chunk {
	unsigned char hash[32]; /* HMAC-SHA-256 under the case's chunk-hash key */
	git_oid oid;
	uint64_t size;
	int fresh;              /* stored by this transaction */
	int known;              /* already in the catalog */
} cv_ingest_chunk;

typedef struct cv_ingest_doc {
	char *path, *title, *date, *type;
	char **concerns;
	size_t nconcerns;
	cv_ingest_chunk *chunks;
	size_t nchunks, cap_chunks;
	uint64_t size;
} cv_ingest_doc;

/* Hash set of chunk hashes stored in this transaction. */
typedef struct cv_chunkset {
	unsigned char (*keys)[32];
	git_oid *oids;
	size_t *slots; /* index+1 into keys, 0 = empty */
	size_t n, nslots;
} cv_chunkset;

size_t cv__chunkset_find(const cv_chunkset *s, const unsigned char h[32]);
int cv__chunkset_add(cv_chunkset *s, const unsigned char h[32], const git_oid *oid);
void cv__chunkset_free(cv_chunkset *s);

typedef struct cv_case_in {
	char *ref, *category, *opened, *closed, *territory;
} cv_case_in;

struct cv_ingest {
	cv_archive *a;
	char *source;
	cv_txn txn;
	int failed, have_case, in_doc, in_sealed, has_sealed;
	cv_case_in c;
	char case_id[40];
	int exists;
	unsigned int prev_version;
	cv_case_key key;
	unsigned char wrapped[48];
	size_t wrapped_len;
	cv_person *persons;
	size_t npersons, cap_persons;
	cv_measure *measures;
	size_t nmeasures, cap_measures;
	cv_ingest_doc *docs;
	size_t ndocs, cap_docs;
	cv_chunker chunker;
	cv_chunkset set;
	cv_buf sealed_buf;      /* scratch for CMS output */
	cv_buf sealed_plain;    /* the sealed identity while it streams in */
	git_oid sealed_oid;
	sqlite3_stmt *find_chunk;
	cv_ingest_result res;
};

/** Write the case (catalog + tree + journal) and commit (ingest_store.c). */
int cv__ingest_store(cv_ingest *t);
/** Sealed identity of a secret birth (sealed.c). */
int cv__sealed_begin(cv_ingest *t);
int cv__sealed_write(cv_ingest *t, const void *data, size_t len);
int cv__sealed_end(cv_ingest *t);
/** Store the sealed object (during commit) and record it for the case. */
int cv__sealed_store(cv_ingest *t);

void cv__person_free_fields(cv_person *p);
/** Blind-index rows of one person (ins: INSERT INTO blind(case_id,pid,field,tag)). */
int cv__blind_index_person(cv_archive *a, const char *case_id, sqlite3_stmt *ins, const cv_person *p);
/** A new revision of a document, chunked and sealed under the case key, with
 * a note (rectification). The caller rebuilds the case tree. */
int cv__doc_revise(cv_txn *t, const char *case_id, const cv_case_key *k, const char *doc_id, const void *data,
	size_t len, const char *note, unsigned *new_rev);
/** Identity JSON of a person (all fields), malloc'd. */
char *cv__person_to_json(const cv_person *p);
/** Parse an identity JSON into a person (fields malloc'd). */
int cv__person_from_json(cv_person *p, const char *json);

#endif
