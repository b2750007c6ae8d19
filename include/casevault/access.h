/*
 * casevault — who may do what: the one access table.
 *
 * Every action that reads personal data or decides something names the roles
 * allowed to perform it here, and the library consults this table, and only
 * it, before acting (a refusal is journaled). Some actions add a condition
 * the roles cannot express (a director other than the planner, a holder of
 * the current sealing key, one's own credential): `condition` says which, in
 * words. The table is static and thread-safe to read.
 */
#ifndef CASEVAULT_ACCESS_H
#define CASEVAULT_ACCESS_H

#include "archive.h"

CV_BEGIN_DECL

typedef struct cv_access_rule {
	const char *action;      /**< as journaled: "case.show", "sweep.approve", ... */
	const char *command;     /**< the command line that performs it: "case show" */
	const char *roles;       /**< comma-separated, in cv_user_roles() order; "" = any registered user */
	const char *condition;   /**< an extra condition in words, or NULL */
} cv_access_rule;

/** The table, `*n` rules, in command order. */
CV_EXTERN(const cv_access_rule *) cv_access_rules(size_t *n);
/** The rule for `action`, or NULL. */
CV_EXTERN(const cv_access_rule *) cv_access_rule_find(const char *action);
/** Whether the archive's acting user holds a role the rule allows (1/0);
 * CV_ENOTFOUND for an unknown action. Journals nothing. */
CV_EXTERN(int) cv_access_allowed(const cv_archive *a, const char *action);
/** Like cv_access_allowed, for a front end that refuses before calling the
 * library: 0 when allowed; CV_EDENIED otherwise, the refusal journaled with
 * `object` (opaque ids only; NULL: none). CV_ENOTFOUND for an unknown action. */
CV_EXTERN(int) cv_access_require(cv_archive *a, const char *action, const char *object);
/** Staff roles known to casevault (NULL-terminated): admin, archivist,
 * director, dpo, maft, cnaop, auditor. */
CV_EXTERN(const char *const *) cv_user_roles(void);

CV_END_DECL

#endif
