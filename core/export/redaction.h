/* Redaction sessions (redaction.c), shared by the redact command, the
 * exports and the sweep. A session owns the decrypted register of one case
 * (wiped by cv__redaction_close) and is used by one thread at a time. */
#ifndef CV_REDACTION_H
#define CV_REDACTION_H

#include "engine/internal.h"
#include "plugin/plugin_host.h"
#include "casevault/export.h"

/* redact-fr marks undecidable mentions it keeps with this bit (outside the
 * ABI's CV_SPAN_* bits); they are reported as kept, for review. */

struct cv_redaction {
	const cv_loaded *plugin;
	void *session;
	cv_person *persons;
	size_t npersons;
	cv_person_fields *fields;
	char requester[48];
};

/** Open a session with an already-loaded case key (no role check, no journal). */
int cv__redaction_open(cv_redaction **out, cv_archive *a, const char *case_id, const cv_case_key *k, const char *requester);
void cv__redaction_close(cv_redaction *r);

#endif
