/* Communication copies spanning one or more cases (export.c): the access
 * copy of a GDPR request covers every case of its subject. */
#ifndef CV_EXPORT_INTERNAL_H
#define CV_EXPORT_INTERNAL_H

#include "engine/internal.h"

typedef struct cv_export_target {
	char case_id[40];
	char person[48];
} cv_export_target;
struct cv_export_options;
struct cv_export_result;
/** A copy spanning one or more cases (a GDPR access request covers every
 * case of its subject). No role check here: callers gate. */
int cv__export_bag(struct cv_export_result *res, cv_archive *a, const cv_export_target *t, size_t n,
	const struct cv_export_options *o, const char *root, const char *record_ref);

#endif
