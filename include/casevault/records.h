/*
 * casevault — the records a case is made of, as plain borrowed strings.
 *
 * These structs carry data into the core (ingestion) and are shared by the
 * public API and the plugin ABI. Strings are UTF-8 and owned by the caller;
 * the core copies what it keeps. Optional fields are NULL when absent.
 * Members are only ever appended; `size` lets the core read older layouts.
 */
#ifndef CASEVAULT_RECORDS_H
#define CASEVAULT_RECORDS_H

#include "common.h"

CV_BEGIN_DECL

typedef struct cv_case_fields {
	size_t size;            /**< sizeof(cv_case_fields) as the caller knows it */
	const char *ref;        /**< département's reference, unique */
	const char *category;   /**< prevention, information_preoccupante, ... */
	const char *opened;     /**< YYYY-MM-DD */
	const char *closed;     /**< YYYY-MM-DD or NULL while services go on */
	const char *territory;  /**< optional */
} cv_case_fields;

typedef struct cv_person_fields {
	size_t size;
	const char *id;         /**< bundle-local id, e.g. "p1" */
	const char *role;       /**< child, mother, father, ... */
	const char *last;       /**< surname */
	const char *const *first; /**< first names */
	size_t nfirst;
	const char *born;       /**< YYYY-MM-DD, optional */
	const char *sex;        /**< "M", "F", "X", optional */
	const char *phone;
	const char *email;
	const char *address;
	const char *nir;
	const char *function;   /**< for professionals */
} cv_person_fields;

typedef struct cv_measure_fields {
	size_t size;
	const char *type;       /**< AEMO, AED, placement, ... */
	const char *basis;      /**< judicial, administrative */
	const char *start;      /**< YYYY-MM-DD */
	const char *end;        /**< YYYY-MM-DD or NULL */
} cv_measure_fields;

typedef struct cv_doc_fields {
	size_t size;
	const char *path;       /**< relative path inside the bundle */
	const char *title;
	const char *date;       /**< YYYY-MM-DD, optional */
	const char *type;       /**< report, judgment, ... optional */
	const char *const *concerns; /**< person ids */
	size_t nconcerns;
	uint64_t size_hint;     /**< expected size in bytes, 0 if unknown */
} cv_doc_fields;

/** Category, role and sex vocabularies (NULL-terminated), as bundle.md. */
CV_EXTERN(const char *const *) cv_case_categories(void);
CV_EXTERN(const char *const *) cv_person_roles(void);

CV_END_DECL

#endif
