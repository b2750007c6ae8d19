/* The audit journal inside the catalog: each entry is chained to the one
 * before it,
 *   hash = HMAC-SHA-256(journal key, prev_hash || encode2(entry))
 *   encode2 = "cvj2" | u64be(seq) | field(time) | field(actor) | field(action)
 *             | field(object) | field(outcome) | field(signer) | field(sig)
 *             (field = u32be length, bytes)
 * with prev_hash of the first entry 32 zero bytes. The key is derived from
 * the master key (docs/journal.md), so someone who can write the catalog but
 * holds no key cannot recompute the chain after removing an entry. Entries
 * older than the keyed journal (meta journal_keyed_from) keep their SHA-256
 * chain over encode1 ("cvj1", without signer and sig). A decision carries
 * the signature of its author (sig, Ed25519 over the entry's signed text).
 * Appending must happen inside a catalog write transaction. Not thread-safe
 * (per catalog). */
#ifndef CV_JOURNAL_JOURNAL_H
#define CV_JOURNAL_JOURNAL_H

#include "catalog/catalog.h"
#include "util/buf.h"

typedef struct cv_jentry {
	uint64_t seq;
	const char *time, *actor, *action, *object, *outcome;
	const char *signer;         /* NULL unless the entry is a signed decision */
	const unsigned char *sig;   /* 64 bytes when signer is set */
} cv_jentry;

/** The chaining key (derived from the master key); until it is set,
 * appending refuses to write a keyed entry. */
void cv__journal_use_key(cv_catalog *c, const unsigned char key[32]);
/** encode1 for `keyed` 0, encode2 for 1. */
int cv__journal_encode(cv_buf *out, const cv_jentry *e, int keyed);
/** The entry's chain value: SHA-256 (unkeyed) or HMAC under `key`. */
int cv__journal_hash(unsigned char out[32], const unsigned char prev[32], const cv_jentry *e,
	const unsigned char *key);
/** Append a signed decision: `sig` is `signer`'s Ed25519 signature of the
 * entry's signed text (cv__journal_signed_text). */
int cv__journal_append_signed(cv_catalog *c, const char *actor, const char *action, const char *object,
	const char *outcome, const char *signer, const unsigned char sig[64], uint64_t *seq_out, unsigned char hash_out[32]);
/** What a decision's author signs: the archive, the action and its object
 * (which names what is decided, e.g. a plan body's SHA-256). */
int cv__journal_signed_text(cv_buf *out, const char *archive_id, const char *action, const char *object);
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
