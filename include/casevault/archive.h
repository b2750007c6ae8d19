/*
 * casevault — creating and opening an archive.
 *
 * A cv_archive is owned by the caller and freed with cv_archive_free. One
 * handle must not be used by two threads at once; open one per thread.
 */
#ifndef CASEVAULT_ARCHIVE_H
#define CASEVAULT_ARCHIVE_H

#include "common.h"

CV_BEGIN_DECL

typedef struct cv_archive cv_archive;

/** Write 32 random bytes to a new file (mode 0600). Refuses to overwrite. */
CV_EXTERN(int) cv_key_generate(const char *path);

/** How the master key is supplied: exactly one of the two files. */
typedef struct cv_open_options {
	unsigned int version;
	const char *key_file;        /**< 32-byte raw master key */
	const char *passphrase_file; /**< first line is the passphrase (scrypt) */
	const char *actor;           /**< registered user acting; NULL = login name */
	int lock_timeout_ms;         /**< writer lock wait; <0 = default (30 s) */
	int read_only;               /**< refuse every write through this handle */
	cv_progress_cb progress;     /**< optional progress reports */
	void *progress_payload;
	const char *plugin_path;     /**< extra plugin directories (':'-separated) */
} cv_open_options;

#define CV_OPEN_OPTIONS_VERSION 1
#define CV_OPEN_OPTIONS_INIT { CV_OPEN_OPTIONS_VERSION, NULL, NULL, NULL, -1, 0, NULL, NULL, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_open_options_init(cv_open_options *opts, unsigned int version);

/** Create an archive in `dir` (created if missing; must be empty). The actor
 * becomes the first `admin`. The handle is returned open. */
CV_EXTERN(int) cv_archive_init(cv_archive **out, const char *dir, const cv_open_options *opts);

/** Open an existing archive. A wrong key or passphrase fails with CV_EAUTH
 * before anything is read beyond the archive header or written. An unknown
 * actor fails with CV_EDENIED. */
CV_EXTERN(int) cv_archive_open(cv_archive **out, const char *dir, const cv_open_options *opts);

CV_EXTERN(void) cv_archive_free(cv_archive *a);

/** Bring an archive made by an earlier version up to what this one checks
 * (today: tags on the revisions stored before they existed). Cheap when
 * there is nothing to do; call it after opening read-write. */
CV_EXTERN(int) cv_archive_upgrade(cv_archive *a);

/** The acting user's credential, kept (wiped at cv_archive_free) to sign
 * what they decide through this handle: role grants, resets of another's
 * credential (docs/keys.md). NULL forgets it. */
CV_EXTERN(int) cv_archive_sign_with(cv_archive *a, const char *credential);

/** A second handle on the same archive acting as the same user, for another
 * thread: the keys are copied from `a` (no key file or passphrase is read
 * again), the catalog and store are opened anew. A clone cannot change who
 * acts; only cv_user_login can give a handle for another user. */
CV_EXTERN(int) cv_archive_clone(cv_archive **out, const cv_archive *a);

/** Report the progress of this handle's long operations (ingest, verify...)
 * to `cb` from now on (NULL: no more reports), e.g. for a clone running a
 * job. */
CV_EXTERN(int) cv_archive_set_progress(cv_archive *a, cv_progress_cb cb, void *payload);

/** Archive id (hex), directory and acting user, owned by the handle. */
CV_EXTERN(const char *) cv_archive_id(const cv_archive *a);
CV_EXTERN(const char *) cv_archive_dir(const cv_archive *a);
CV_EXTERN(const char *) cv_archive_actor(const cv_archive *a);
/** The acting user's roles, comma-separated, owned by the handle. */
CV_EXTERN(const char *) cv_archive_roles(const cv_archive *a);

/** Directory holding the shipped policies, for this installation. */
CV_EXTERN(const char *) cv_policy_dir(void);

CV_END_DECL

#endif
