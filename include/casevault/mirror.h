/*
 * casevault — off-site mirrors that crypto-shredding reaches, and restoring
 * an archive from one (docs/recovery.md, docs/keys.md "Mirror epochs").
 *
 * A mirror is a bare git repository (a local path, file:// or ssh:// URL)
 * that receives the archive's encrypted objects (its branch) and, on the ref
 * refs/casevault/mirror, one commit holding encrypted snapshots of the
 * catalog taken with SQLite's backup API. Each snapshot is sealed under the
 * key of an epoch; epochs rotate (every `epoch_days`) and their keys are
 * destroyed once every snapshot they sealed is older than the retention
 * window, so a case key shredded in the archive becomes unreadable in every
 * mirror once the window has passed and the mirrors were pushed again.
 *
 * Results are caller-owned structures; lists are freed with
 * cv_mirror_list_free. Functions use the archive handle from one thread.
 */
#ifndef CASEVAULT_MIRROR_H
#define CASEVAULT_MIRROR_H

#include "archive.h"

CV_BEGIN_DECL

#define CV_MIRROR_NAME_MAX 64
#define CV_MIRROR_URL_MAX 1024

typedef struct cv_mirror_info {
	char name[CV_MIRROR_NAME_MAX];
	char url[CV_MIRROR_URL_MAX];
	char added[32];          /**< ISO time (UTC) */
	char last_push[32];      /**< ISO time of the last successful push, "" if never */
	uint64_t snapshot;       /**< number of the last snapshot pushed, 0 if none */
	uint64_t journal_seq;    /**< journal head of that snapshot */
	char journal_head[65];
	char commit[41];         /**< archive commit of that snapshot */
	size_t snapshots;        /**< snapshots the mirror holds */
	int stale;               /**< 1: the mirror still holds keys of destroyed epochs (push it) */
} cv_mirror_info;

typedef struct cv_mirror_settings {
	unsigned int version;
	int epoch_days;          /**< a new epoch at the first push after this many days (default 30) */
	int retention_days;      /**< backup retention window (default 90) */
} cv_mirror_settings;
#define CV_MIRROR_SETTINGS_VERSION 1
#define CV_MIRROR_SETTINGS_INIT { CV_MIRROR_SETTINGS_VERSION, 30, 90 }
CV_EXTERN(int) cv_mirror_settings_init(cv_mirror_settings *s, unsigned int version);

typedef struct cv_mirror_push_result {
	unsigned int version;
	char name[CV_MIRROR_NAME_MAX];
	uint64_t snapshot;       /**< the snapshot just pushed */
	char epoch[33];          /**< the epoch that sealed it */
	char commit[41];         /**< archive commit it describes */
	char mirror_commit[41];  /**< the mirror's refs/casevault/mirror */
	uint64_t journal_seq;
	char journal_head[65];
	size_t snapshots;        /**< snapshots the mirror now holds */
	size_t shredded;         /**< case keys shredded while a live epoch was current */
	char keys_gone_by[11];   /**< YYYY-MM-DD: those keys unreadable on every copy from then ("" if none) */
	int pruned;              /**< a local mirror's unreachable objects were removed */
} cv_mirror_push_result;
#define CV_MIRROR_PUSH_RESULT_VERSION 1
#define CV_MIRROR_PUSH_RESULT_INIT { CV_MIRROR_PUSH_RESULT_VERSION }

typedef struct cv_mirror_rotate_result {
	unsigned int version;
	char epoch[33];          /**< the new current epoch */
	size_t destroyed;        /**< epoch keys destroyed now */
	size_t pushed;           /**< mirrors rewritten */
	size_t failed;           /**< mirrors that could not be rewritten (still hold old keys) */
} cv_mirror_rotate_result;
#define CV_MIRROR_ROTATE_RESULT_VERSION 1
#define CV_MIRROR_ROTATE_RESULT_INIT { CV_MIRROR_ROTATE_RESULT_VERSION }

typedef struct cv_restore_result {
	unsigned int version;
	uint64_t snapshot;
	char commit[41];
	uint64_t journal_seq;
	char journal_head[65];
	char taken[32];          /**< when the snapshot was taken */
} cv_restore_result;
#define CV_RESTORE_RESULT_VERSION 1
#define CV_RESTORE_RESULT_INIT { CV_RESTORE_RESULT_VERSION }

/** Register a mirror (admin). A local path that does not exist becomes a new
 * bare repository; an existing one must be empty or a mirror of this archive. */
CV_EXTERN(int) cv_mirror_add(cv_archive *a, const char *name, const char *url);
/** Remove a mirror from the list (admin); its copy is left as it is. */
CV_EXTERN(int) cv_mirror_remove(cv_archive *a, const char *name);
/** Mirrors and the state of their last push. */
CV_EXTERN(int) cv_mirror_list(cv_mirror_info **out, size_t *count, cv_archive *a);
CV_EXTERN(void) cv_mirror_list_free(cv_mirror_info *list);
/** Epoch length and retention window (admin); NULL reads them into *out. */
CV_EXTERN(int) cv_mirror_configure(cv_archive *a, const cv_mirror_settings *set, cv_mirror_settings *out);
/** Push the archive and a new catalog snapshot to one mirror: its refs move
 * at the end, so a push cut short leaves the mirror as it was. */
CV_EXTERN(int) cv_mirror_push(cv_mirror_push_result *out, cv_archive *a, const char *name);
/** Start a new epoch now, destroy the keys of epochs whose snapshots are all
 * older than `retention_days` (-1: the configured window; 0: every epoch but
 * the new one), then push every mirror so that none keeps them. Fails
 * (after trying every mirror) when a mirror could not be rewritten. */
CV_EXTERN(int) cv_mirror_rotate(cv_mirror_rotate_result *out, cv_archive *a, int retention_days);
/** The date from which keys shredded now are unreadable on every copy
 * (CV_ENOTFOUND when the archive has no mirror). */
CV_EXTERN(int) cv_mirror_keys_gone_by(char out[11], cv_archive *a);

/** Rebuild an archive in the new or empty directory `dir` from the mirror at
 * `url`, with the master key of `opts` (key or passphrase file), acting as
 * opts->actor (an admin of the archive). `snapshot` 0 takes the newest. */
CV_EXTERN(int) cv_archive_restore(cv_restore_result *out, const char *url, const char *dir, uint64_t snapshot,
	const cv_open_options *opts);

CV_END_DECL

#endif
