/* Users, roles and personal credentials (users.c). The acting user is
 * loaded when the archive opens; these read the handle's copy. */
#ifndef CV_ENGINE_USERS_H
#define CV_ENGINE_USERS_H

#include "engine/archive.h"

int cv__has_role(const cv_archive *a, const char *role);
int cv__load_actor(cv_archive *a);
int cv__user_insert(cv_archive *a, const char *name, const char *roles_csv, const char *credential);
int cv__credential_hash(char **out, const char *credential);
int cv__credential_check(const char *stored, const char *credential);

/** 0 when `credential` is `user`'s (CV_EAUTH otherwise). */
int cv__user_check_credential(cv_archive *a, const char *user, const char *credential);

#endif
