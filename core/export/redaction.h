/* Redaction sessions (redaction.c), shared by the redact command, the
 * exports and the sweep. A session owns the decrypted register of one case
 * (wiped by cv__redaction_close) and is used by one thread at a time. */
#ifndef CV_REDACTION_H
#define CV_REDACTION_H

#include "engine/internal.h"
#include "plugin/plugin_host.h"
#include "casevault/export.h"
#include "export/redpolicy.h"

/* redact-fr marks undecidable mentions it keeps with this bit (outside the
 * ABI's CV_SPAN_* bits); they are reported as kept, for review. */

struct cv_redaction {
	const cv_loaded *plugin;
	void *session;
	cv_person *persons;
	size_t npersons;
	cv_person_fields *fields;
	char requester[48];
	unsigned char *shown;        /**< per person: names communicated under the policy */
	char policy[96];             /**< "name vN" of the policy applied, "" for none */
};

/* cv_span.kept values: kept because it may designate the requester (the
 * plugin's CV_SPAN_KEEP), or because the policy communicates the names of
 * that agent, or because the officer unmasked it. */
#define CV_KEPT_REQUESTER 1
#define CV_KEPT_AGENT 2
#define CV_KEPT_OFFICER 3 /* unmasked by the officer at review */

/** Open a session with an already-loaded case key (no role check, no journal). */
int cv__redaction_open(cv_redaction **out, cv_archive *a, const char *case_id, const cv_case_key *k, const char *requester);
void cv__redaction_close(cv_redaction *r);
/** Apply a redaction policy to the session's next texts: the names of the
 * persons it shows are kept (kept = CV_KEPT_AGENT). NULL: hide every name. */
int cv__redaction_set_policy(cv_redaction *r, const cv_redpolicy *p);
/** The redacted text of `text` under `spans` (each applied unless kept). */
int cv__redaction_render(cv_buf *out, const char *text, size_t len, const cv_span *sp, size_t n);

#endif
