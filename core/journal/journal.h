/* The audit journal inside the catalog: each entry is hash-chained,
 *   hash = SHA-256(prev_hash || encode(entry))
 *   encode = "cvj1" | u64be(seq) | field(time) | field(actor) | field(action)
 *            | field(object) | field(outcome)      (field = u32be length, bytes)
 * with prev_hash of the first entry 32 zero bytes. Appending must happen
 * inside a catalog write transaction. Not thread-safe (per catalog). */
#ifndef CV_JOURNAL_JOURNAL_H
#define CV_JOURNAL_JOURNAL_H

#include "catalog/catalog.h"
#include "util/buf.h"

typedef struct cv_jentry {
	uint64_t seq;
	const char *time, *actor, *action, *object, *outcome;
} cv_jentry;

int cv__journal_encode(cv_buf *out, const cv_jentry *e);
int cv__journal_hash(unsigned char out[32], const unsigned char prev[32], const cv_jentry *e);
/** Append one entry (caller holds a write transaction). */
int cv__journal_append(cv_catalog *c, const char *actor, const char *action, const char *object,
	const char *outcome, uint64_t *seq_out, unsigned char hash_out[32]);
/** Append in a transaction of its own (reads, refusals). */
int cv__journal_record(cv_catalog *c, const char *actor, const char *action, const char *object, const char *outcome);
/** Head of the chain (seq 0 and zero hash when empty). */
int cv__journal_head(cv_catalog *c, uint64_t *seq, unsigned char hash[32]);
/** Walk the chain. On damage returns CV_EDAMAGED with *first_bad set. */
int cv__journal_check(cv_catalog *c, uint64_t *entries, uint64_t *first_bad, char *reason, size_t reason_len);
/** Hash recorded for entry `seq`; CV_ENOTFOUND if none. */
int cv__journal_hash_at(cv_catalog *c, uint64_t seq, unsigned char hash[32]);

#endif
