/* The one access table (access.c): who may perform each action. Static,
 * thread-safe to read. */
#ifndef CV_ENGINE_ACCESS_H
#define CV_ENGINE_ACCESS_H

#include "engine/archive.h"
#include "casevault/access.h"

/** 0 when the acting user holds a role the table gives `action`; otherwise
 * journals the refusal on `object` and returns CV_EDENIED naming the command
 * and the roles it needs. */
int cv__access_check(cv_archive *a, const char *action, const char *object);
/** 1 if `role` is a staff role casevault knows. */
int cv__role_known(const char *role);
/** 1 if the comma-separated `csv` holds `item` exactly. */
int cv__csv_has(const char *csv, const char *item);

#endif
