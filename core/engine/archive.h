/* The archive handle: its directories, derived keys, catalog, store and
 * acting user. A cv_archive is owned by its caller (cv_archive_free) and used
 * from one thread at a time; everything below reaches the archive through it. */
#ifndef CV_ENGINE_ARCHIVE_H
#define CV_ENGINE_ARCHIVE_H

#include "casevault.h"
#include "catalog/catalog.h"
#include "crypto/cms.h"
#include "crypto/kdf.h"
#include "journal/journal.h"
#include "store/pack.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

#define CV_ARCHIVE_FORMAT 1
#define CV_MASTER_SCRYPT { 17, 8, 1 }
#define CV_CREDENTIAL_SCRYPT { 15, 8, 1 }

/* HKDF labels: one per job, never reused. */
#define CV_LABEL_WRAP "casevault/v1 case-key-wrap"
#define CV_LABEL_BLIND "casevault/v1 blind-index"
#define CV_LABEL_CHECK "casevault/v1 key-check"
#define CV_LABEL_CHUNKER "casevault/v1 chunker"
#define CV_LABEL_AFIELDS "casevault/v1 archive-fields"
#define CV_LABEL_STATS "casevault/v1 statistics"
#define CV_LABEL_CHUNK_HASH "casevault/v1 chunk-hash"
#define CV_LABEL_CFIELDS "casevault/v1 catalog-fields"
#define CV_LABEL_REV_TAG "casevault/v1 revision-tag"
#define CV_LABEL_JOURNAL "casevault/v1 journal-chain"
#define CV_LABEL_ANCHOR "casevault/v1 anchor-signing"
#define CV_LABEL_ROWS "casevault/v1 catalog-row-seal"

struct cv_archive {
	char *dir, *gitdir, *catalog_path, *lock_path, *config_path;
	char id[33];
	unsigned char master[32];
	unsigned char k_wrap[32], k_blind[32], k_afields[32], k_stats[32];
	unsigned char k_journal[32]; /* chains the journal (HMAC) */
	unsigned char k_anchor[32];  /* Ed25519 seed that signs outside anchors */
	unsigned char k_rows[32];    /* seals the catalog rows that drive decisions (catalog/rowmac.h) */
	unsigned char gear_seed[2048];
	cv_catalog *cat;
	cv_store *store;
	char actor[64];
	char roles[160];
	int lock_fd;
	int lock_timeout_ms;
	int read_only;
	cv_progress_cb progress;
	void *progress_payload;
	char *plugin_path;
	char *credential; /* the acting user's, to sign what they decide (cv_archive_sign_with); wiped */
	int wrote;      /* committed something: merge packs at close */
};

/** A new handle on `base`'s archive acting as `actor`, with base's master
 * key and settings (no progress callback): cv_archive_clone and logins. */
int cv__archive_open_as(cv_archive **out, const cv_archive *base, const char *actor);

/** A handle that holds only the keys of the archive whose header is
 * `config` (archive.json's bytes), the master key from `opts` checked
 * against it: no catalog, no store (restoring from a mirror). */
int cv__archive_keyed(cv_archive **out, const char *dir, const void *config, size_t len, const cv_open_options *opts);

/** Report progress to the handle's callback, if any. */
void cv__progress(cv_archive *a, const char *what, uint64_t done, uint64_t total);

#endif
