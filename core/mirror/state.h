/* The archive's mirror state, DIR/mirrors.json: the mirrors, what each was
 * last sent, the settings, and the epochs whose keys seal catalog
 * snapshots (docs/keys.md "Mirror epochs"). Epoch keys are kept wrapped
 * (RFC 3394) under a key derived from the master key, and the whole file is
 * authenticated (HMAC-SHA-256 under another derived key), so someone who can
 * write the directory but holds no key can neither read, add nor alter
 * epochs or redirect a mirror unseen. The file lives outside the catalog on
 * purpose: a snapshot of the catalog must never carry epoch keys (a live
 * snapshot would otherwise unlock the snapshots of destroyed epochs).
 *
 * A cv_mstate is its caller's: cv__mstate_dispose wipes the unwrapped keys.
 * Writes happen under the archive's writer lock. Not thread-safe. */
#ifndef CV_MIRROR_STATE_H
#define CV_MIRROR_STATE_H

#include "engine/internal.h"

#include <jansson.h>

#define CV_LABEL_MIRROR_WRAP "casevault/v1 mirror-epoch-wrap"
#define CV_LABEL_MIRROR_MAC "casevault/v1 mirror-state"
#define CV_EPOCH_ID_LEN 16

typedef struct cv_epoch {
	unsigned char id[CV_EPOCH_ID_LEN];
	char id_hex[2 * CV_EPOCH_ID_LEN + 1];
	char created[32], ended[32], destroyed[32]; /* ISO UTC; "" when not (yet) */
	unsigned char key[32];
	int has_key;                                /* 0 once destroyed */
} cv_epoch;

typedef struct cv_msnap {
	uint64_t seq;
	char epoch[2 * CV_EPOCH_ID_LEN + 1];
	char taken[32];
	char oid[41];          /* the sealed snapshot's blob */
	char commit[41];       /* archive commit it describes */
	uint64_t journal_seq;
	char journal_head[65];
} cv_msnap;

typedef struct cv_mentry {
	char name[64];
	char url[1024];
	char added[32];
} cv_mentry;

/** What the journal says of a mirror's last push (one `mirror.push` entry:
 * the push's only record in the archive, written in one transaction once
 * the mirror's ref has moved, so the archive is before or after a push). */
typedef struct cv_mpush {
	uint64_t seq;          /* the journal entry; 0: never pushed */
	char time[32];
	uint64_t snapshot;
	char commit[41];       /* archive commit of the snapshot */
	uint64_t journal_seq;  /* the snapshot's journal head */
	char journal_head[65];
	size_t snapshots;      /* how many the mirror holds */
	uint64_t oldest;       /* journal head (seq) of the oldest it holds */
} cv_mpush;

typedef struct cv_mstate {
	int epoch_days, retention_days;
	uint64_t next_snapshot;
	cv_epoch *epochs;
	size_t nepochs;
	cv_mentry *mirrors;
	size_t nmirrors;
} cv_mstate;

/** The derived keys: [0] wraps epoch keys, [1] authenticates files. */
int cv__mirror_keys(const cv_archive *a, unsigned char wrap[32], unsigned char mac[32]);
/** Load DIR/mirrors.json (an empty state with defaults when absent). */
int cv__mstate_load(cv_mstate *s, cv_archive *a);
/** Write it atomically (tmp, fsync, rename, directory fsync). */
int cv__mstate_save(const cv_mstate *s, cv_archive *a);
void cv__mstate_dispose(cv_mstate *s);
cv_mentry *cv__mstate_find(cv_mstate *s, const char *name);
/** The current epoch (the live one without an end), or NULL. */
cv_epoch *cv__mstate_current(cv_mstate *s);
cv_epoch *cv__mstate_epoch(cv_mstate *s, const char *id_hex);
/** Start a new epoch at `now` (the current one ends). */
int cv__mstate_new_epoch(cv_mstate *s, const char *now);
/** Destroy (wipe, forget) the keys of ended epochs whose end is at least
 * `retention_days` before `now`; returns how many via *n. */
void cv__mstate_expire(cv_mstate *s, const char *now, int retention_days, size_t *n);
/** Journal `mirror.epoch.destroy` for each epoch destroyed at `when` (the
 * `now` given to cv__mstate_expire): a later load refuses a file in which
 * such an epoch has its key again. Call after saving. */
int cv__mstate_journal_destroyed(const cv_mstate *s, cv_archive *a, const char *when);
/** Serialize one mirror's keyring (its live epochs' wrapped keys and the
 * settings), authenticated: what a mirror carries so the master key alone
 * restores it. */
int cv__mstate_keyring(char **out, const cv_mstate *s, const cv_archive *a);
/** Parse a keyring from a mirror into `s` (epochs, settings), checking its
 * MAC under the master-derived key of `a`. */
int cv__mstate_from_keyring(cv_mstate *s, const cv_archive *a, const char *text, size_t len);
/** A mirror's manifest (untrusted JSON): every snapshot into *all (the
 * caller frees it, also on failure) and the one numbered `want` (0: the
 * newest) into *out. */
int cv__manifest_pick(json_t *man, uint64_t want, cv_msnap *out, cv_msnap **all, size_t *nall);
/** Journal a push to `name` (its object carries the cv_mpush fields). */
int cv__mirror_record_push(cv_archive *a, const char *name, const cv_mpush *p);
/** The last push to `name` (p->seq 0 when none); *stale when an epoch key
 * was destroyed after it (the mirror still holds it until pushed again). */
int cv__mirror_last_push(cv_archive *a, const char *name, cv_mpush *p, int *stale);
/** Days between two ISO times' dates (b - a). */
int64_t cv__mirror_days(const char *a, const char *b);

#endif
