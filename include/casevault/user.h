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
	char created[32];
} cv_user;

/** Register a user (admin only). `credential` may be NULL. */
CV_EXTERN(int) cv_user_add(cv_archive *a, const char *name, const char *const *roles, size_t nroles,
	const char *credential);
/** Set a user's credential (admin, or the user themselves). */
CV_EXTERN(int) cv_user_passwd(cv_archive *a, const char *name, const char *credential);
CV_EXTERN(int) cv_user_list(cv_user **out, size_t *count, cv_archive *a);
CV_EXTERN(void) cv_user_list_free(cv_user *list);

/** Read the first line of a credential or passphrase file into a buffer
 * that must be released with cv_secret_free. */
CV_EXTERN(int) cv_secret_read_file(char **out, const char *path);
CV_EXTERN(void) cv_secret_free(char *secret);

CV_END_DECL

#endif
