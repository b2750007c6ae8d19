/* Content-defined chunking (FastCDC with normalised chunking and a keyed gear
 * table): boundaries follow content, so an edit in a large document changes
 * only the chunks around it. The gear table is derived from the archive's
 * master key so that chunk sizes do not fingerprint known files.
 * A chunker belongs to one stream at a time; not thread-safe. */
#ifndef CV_STORE_CHUNKER_H
#define CV_STORE_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

#define CV_CHUNK_MIN (256u * 1024)
#define CV_CHUNK_AVG (1024u * 1024)
#define CV_CHUNK_MAX (4u * 1024 * 1024)

typedef int (*cv_chunk_fn)(const unsigned char *data, size_t len, void *payload);

typedef struct cv_chunker {
	uint64_t gear[256];
	size_t min, avg, max;
	uint64_t mask_s, mask_l;
	unsigned char *buf;  /* at most `max` bytes, allocated at the first feed */
	size_t start;        /* the pending bytes are buf[start .. start + len) */
	size_t len;          /* bytes pending */
	size_t scan;         /* bytes of buf already hashed */
	uint64_t hash;
} cv_chunker;

/** Gear table from 2048 bytes of key material. Sizes: 0 = defaults. */
int cv__chunker_init(cv_chunker *c, const unsigned char gear_seed[2048], size_t min, size_t avg, size_t max);
int cv__chunker_feed(cv_chunker *c, const void *data, size_t len, cv_chunk_fn emit, void *payload);
/** Emit what is left (possibly nothing) and reset for the next stream. */
int cv__chunker_finish(cv_chunker *c, cv_chunk_fn emit, void *payload);
/** For a caller that keeps the pending bytes itself (the ingest pipeline's
 * ring): the length of the next chunk of the `len` bytes at `pending`, or 0
 * when more input (or the end) is needed. The scan state is kept between
 * calls as long as `pending` holds the same bytes, possibly moved and with
 * more appended; cv__chunker_restart after each cut. */
size_t cv__chunker_next(cv_chunker *c, const unsigned char *pending, size_t len);
void cv__chunker_restart(cv_chunker *c);
void cv__chunker_dispose(cv_chunker *c);

#endif
