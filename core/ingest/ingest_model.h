/* What an ingest transaction accumulates before it is stored. Private to
 * ingest/; owned by the cv_ingest, which belongs to the thread that began it
 * (the pipeline's worker touches only what ingest_pipe.c says). */
#ifndef CV_INGEST_MODEL_H
#define CV_INGEST_MODEL_H

#include "engine/internal.h"
#include "records/docs.h"
#include "records/persons.h"
#include "records/rectify.h"
#include "crypto/kdf.h"
#include "store/chunker.h"
#include "util/strset.h"
#include "util/wipe.h"

#include <pthread.h>

typedef struct cv_ingest_chunk {
	unsigned char hash[32]; /* HMAC-SHA-256 under the case's chunk-hash key */
	git_oid oid;
	unsigned char tag[CV_CMS_TAG_LEN]; /* its object's AES-GCM tag, when fresh */
	uint64_t size;
	int fresh;              /* stored by this transaction */
	int known;              /* already in the catalog */
} cv_ingest_chunk;

typedef struct cv_ingest_doc {
	char *path, *title, *date, *type;
	char **concerns;
	size_t nconcerns;
	size_t first;             /* index of its first chunk (t->hashes, the pipeline's output) */
	size_t nchunks;
	uint64_t size;
	char doc_id[16];          /* set when its catalog rows are written (at its end) */
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

/* One chunk on its way from the feeding thread to the sealing worker; its
 * bytes are in the pipeline's ring at [off, off + len). */
typedef struct cv_chunk_job {
	struct cv_chunk_job *next;
	unsigned char hash[32];  /* keyed hash, computed by the feeding thread */
	size_t off, len;
} cv_chunk_job;

/* The chunk pipeline (ingest_pipe.c). The thread feeding the ingest copies
 * the bytes into a ring, cuts chunks there and hashes them; one worker
 * deduplicates, seals and packs them in the order they were cut, so that reading and chunking
 * overlap with the cryptography. While the worker runs it alone touches
 * the ingest's chunk sets, the transaction's pack writer, the result
 * counters it owns and `out`; the feeding thread reads them only after
 * cv__ipipe_drain. `mu` guards the queue, `doing`, `stop` and `rc`; the
 * feeding thread writes into the ring outside it, only where no queued
 * chunk lies. */
typedef struct cv_ingest_pipe {
	pthread_mutex_t mu;
	pthread_cond_t work;   /* the worker waits here for jobs */
	pthread_cond_t room;   /* the feeder waits here for room, or for the worker to finish */
	pthread_t thread;
	int inited, started, stop;
	cv_chunk_job *head, *tail;
	cv_chunk_job *doing;   /* popped by the worker, its bytes still in the ring */
	unsigned char *ring;   /* queued chunks, then the bytes not cut yet */
	size_t ring_size;
	size_t ps, plen;       /* the bytes not cut yet (feeding thread) */
	int rc;                /* the worker's first error; later jobs are dropped */
	char msg[512];         /* its message (errors are thread-local) */
	cv_hmac *hmac;         /* keyed with the case's chunk-hash key (feeding thread) */
	cv_ingest_chunk *out;  /* results, in the order the chunks were cut */
	size_t nout, cap_out;
} cv_ingest_pipe;

/* Size of the ring: the bytes not cut yet (up to the largest chunk) and
 * the chunks queued for the worker. One allocation, reused, so that memory
 * stays flat over a 1 GiB ingest; the document's bytes are copied once, into
 * it, and chunked in place. */
#define CV_IPIPE_RING (2 * CV_CHUNK_MAX)

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
	cv_strset paths;        /* the documents' paths (borrowed), to refuse one listed twice */
	cv_chunker chunker;
	cv_chunkset set;        /* chunks stored by this transaction */
	cv_chunkset known;      /* chunks the case already has (catalog), for a new version */
	cv_ingest_pipe pipe;
	size_t nchunks;         /* chunks cut so far, all documents */
	unsigned char (*hashes)[32]; /* their keyed hashes, in order (feeding thread) */
	size_t cap_hashes;
	char now[32];           /* the time of this ingest */
	int case_row_done;      /* the case row is written (documents refer to it) */
	int next_seq;           /* last document seq used; -1 until read */
	cv_rectification *rects; /* rectifications in force on an existing case (rectify.h) */
	size_t nrects;
	int rect_listed_all;     /* every kept rectification fits in the report so far */
	cv_buf sealed_plain;    /* the sealed identity while it streams in */
	git_oid sealed_oid;
	cv_ingest_result res;
};

/** Bytes of the current document: copied into the ring, chunked, queued
 * (ingest_pipe.c). */
int cv__ipipe_feed(cv_ingest *t, const unsigned char *data, size_t len);
/** The end of the current document: the rest is its last chunk; with
 * `empty`, a document without bytes gets one empty chunk. */
int cv__ipipe_finish(cv_ingest *t, int empty);
/** Whether `take` more pending bytes fit in a ring of `size` bytes whose
 * pending bytes are at [ps, ps + plen) and whose oldest queued chunk starts
 * at `lo` (-1: none): 1 after them, 2 once they have moved to the start, 0
 * not before the worker has moved on. Pure; unit-tested against a model. */
int cv__ring_fit(size_t size, long long lo, size_t ps, size_t plen, size_t take);
/** Account for a chunk cut from the current document (ingest.c). */
int cv__ingest_account(cv_ingest *t, size_t len, const unsigned char hash[32]);
/** Wait until every queued chunk is stored; report the worker's error, if
 * any. The results are then in t->pipe.out, one per chunk, in order. */
int cv__ipipe_drain(cv_ingest *t);
/** A document's catalog rows, at its end (ingest_store.c). */
int cv__ingest_doc_rows(cv_ingest *t, size_t i);
/** Stop the worker and drop (wiping) what is still queued. Idempotent. */
void cv__ipipe_dispose(cv_ingest *t);

/** Keyed digest of everything the input said (ingest_tag.c). */
int cv__ingest_input_tag(cv_ingest *t, unsigned char tag[32]);
/** Write the case (catalog + tree + journal) and commit (ingest_store.c);
 * an input identical to the case's last ingest commits nothing and sets
 * t->res.unchanged. */
int cv__ingest_store(cv_ingest *t);
/** Sealed identity of a secret birth (sealed.c). */
int cv__sealed_begin(cv_ingest *t);
int cv__sealed_write(cv_ingest *t, const void *data, size_t len);
int cv__sealed_end(cv_ingest *t);
/** Store the sealed object (during commit) and record it for the case. */
int cv__sealed_store(cv_ingest *t);


#endif
