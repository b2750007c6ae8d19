/* The vocabulary of bundle.md, once: case categories with their French
 * names, person roles with theirs, the permanent categories and the rule a
 * document path follows. Pure and thread-safe; part of the static util
 * library the plugins link too (so a plugin and the core never disagree). */
#ifndef CV_UTIL_VOCAB_H
#define CV_UTIL_VOCAB_H

/** A term: its code in bundles and the catalog, its French name as a
 * heading or a table cell ("Placement"), and inside a sentence
 * ("contrat jeune majeur"). */
typedef struct cv_term {
	const char *code;
	const char *label;
	const char *phrase;
} cv_term;

/** Case categories and person roles, ending with a {NULL} entry. */
extern const cv_term cv__categories[];
extern const cv_term cv__person_roles[];
/** Codes only, NULL-terminated (the public cv_categories/cv_roles). */
extern const char *const cv__category_codes[];
extern const char *const cv__role_codes[];

int cv__valid_category(const char *s);
int cv__valid_role(const char *s);
/** Secret birth, pupille, adoption: kept permanently by default (their data
 * serve the access to origins). */
int cv__permanent_category(const char *s);
/** The term for `code` in `list`, or NULL. */
const cv_term *cv__term(const cv_term *list, const char *code);
/** Why a document path is not acceptable (relative, no "..", no empty or
 * "." segment, no backslash or control character, at most 1024 bytes), or
 * NULL when it is. */
const char *cv__path_problem(const char *p);

#endif
