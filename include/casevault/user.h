/*
 * casevault — archive users, roles and personal credentials.
 *
 * Credentials are stored only as scrypt hashes and compared in constant time.
 */
#ifndef CASEVAULT_USER_H
#define CASEVAULT_USER_H

#include "archive.h"

CV_BEGIN_DECL

typedef struct cv_user {
	char name[64];
	char roles[160];         /**< comma-separated */
	int has_credential;
	int has_keys;            /**< personal keys (signing decisions) */
	int one_time;            /**< a one-time credential from an admin's reset */
	char created[32];
} cv_user;

/** Register a user (admin only) with their roles and, when `credential` is
 * given, their personal keys under it. The grant is signed by the acting
 * admin (their credential given to cv_archive_sign_with) once any admin has
 * personal keys; before that the archive is being set up and grants are
 * recorded unsigned. */
CV_EXTERN(int) cv_user_add(cv_archive *a, const char *name, const char *const *roles, size_t nroles,
	const char *credential);
/** Change a credential. One's own: `old` is required (it opens one's
 * personal keys, which are then wrapped under `credential`). Another
 * user's (admin only): a reset, which gives that user new personal keys
 * under a one-time `credential` that cannot sign a decision until they
 * change it; `old` is ignored. Both are journaled, signed by the one who
 * acts when they have personal keys (docs/keys.md). */
CV_EXTERN(int) cv_user_passwd(cv_archive *a, const char *name, const char *credential, const char *old);
CV_EXTERN(int) cv_user_list(cv_user **out, size_t *count, cv_archive *a);
CV_EXTERN(void) cv_user_list_free(cv_user *list);

/** Log `user` in with their personal credential (a front end such as the
 * web service, which holds the master key but not the user's credential):
 * on success *out is a new handle on the archive of `a` acting as `user`.
 * A wrong credential, or a user who is not registered or has none, fails
 * with CV_EAUTH and the same message, after the same work. Five failures for
 * one user within 15 minutes lock that user out for 15 minutes: attempts
 * then fail with CV_EREFUSED (even with the right credential). Every attempt
 * is journaled ("user.login": ok, failed or refused; "user.lock" when the
 * lock is set), with the user as actor when registered. */
CV_EXTERN(int) cv_user_login(cv_archive **out, cv_archive *a, const char *user, const char *credential);

/** Read the first line of a credential or passphrase file into a buffer
 * that must be released with cv_secret_free. */
CV_EXTERN(int) cv_secret_read_file(char **out, const char *path);
CV_EXTERN(void) cv_secret_free(char *secret);

CV_END_DECL

#endif
