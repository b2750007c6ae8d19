/* The redaction policy (redpolicy.c): whether the names of agents acting in
 * their public function (a référent ASE, a judge, an assistant familial) are
 * communicated or hidden, per role of the register and, for professionals,
 * per function. Default: every name hidden (policies/redaction.yaml). A
 * policy is loaded once per copy, owned by its caller, read-only after
 * loading (may then be shared between threads). */
#ifndef CV_REDPOLICY_H
#define CV_REDPOLICY_H

#include "engine/internal.h"

#define CV_REDPOLICY_MAX_FUNCS 32

typedef struct cv_redpolicy {
	char name[64];
	int version;
	char path[1024];                 /**< "" for the built-in default */
	char sha256[65];                 /**< of the file ("" built-in): journaled with each copy */
	int show_professional;           /**< role professional, any function */
	int show_foster_carer;           /**< role foster_carer */
	struct {
		char *key;               /**< folded prefix of a function ("juge") */
		char *label;             /**< as the file writes it */
		int show;
	} funcs[CV_REDPOLICY_MAX_FUNCS];
	size_t nfuncs;
} cv_redpolicy;

/** Load `path`, or the installed default (<policy dir>/redaction.yaml) when
 * NULL; a missing default gives the built-in one (every name hidden). Bad
 * files are refused with the line and the reason. */
int cv__redpolicy_load(cv_redpolicy *p, const char *path);
void cv__redpolicy_free(cv_redpolicy *p);
/** Parse a policy's bytes into *p (zeroed, p->path set by the caller for
 * messages); what the fuzzer drives. */
int cv__redpolicy_parse(cv_redpolicy *p, const char *buf, size_t len);
/** Whether the names of a person with this role and function are shown. */
int cv__redpolicy_shows(const cv_redpolicy *p, const char *role, const char *function);
/** One French sentence for the review page: what the policy communicates. */
int cv__redpolicy_describe(const cv_redpolicy *p, cv_buf *out);

#endif
