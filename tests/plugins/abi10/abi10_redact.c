/* A redaction plugin built against the frozen ABI 1.0 header: hides every
 * occurrence of the word "SECRET". */
#include "abi10.h"
#include <string.h>

static const cv_host *host;

static int session_new(void *state, void **session, const cv_person_fields *persons, size_t n, const char *requester)
{
	(void)state; (void)persons; (void)n; (void)requester;
	*session = host->alloc(1);
	return *session ? 0 : host->error(CV_ENOMEM, "abi10-redact: out of memory");
}

static int redact(void *session, const char *text, size_t len, cv_redact_span **out, size_t *nout)
{
	(void)session;
	size_t n = 0, cap = 4;
	cv_redact_span *spans = host->alloc(cap * sizeof *spans);
	if (!spans)
		return host->error(CV_ENOMEM, "abi10-redact: out of memory");
	for (size_t i = 0; i + 6 <= len; i++) {
		if (memcmp(text + i, "SECRET", 6))
			continue;
		if (n == cap) {
			cv_redact_span *p = host->realloc(spans, (cap *= 2) * sizeof *spans);
			if (!p) {
				host->free(spans);
				return host->error(CV_ENOMEM, "abi10-redact: out of memory");
			}
			spans = p;
		}
		memset(&spans[n], 0, sizeof spans[n]);
		spans[n].start = i;
		spans[n].end = i + 6;
		spans[n].kind = 2;
		strcpy(spans[n].replacement, "[masqué]");
		n++;
		i += 5;
	}
	*out = spans;
	*nout = n;
	return 0;
}

static void session_free(void *session)
{
	host->free(session);
}

static const cv_redact_ops OPS = { CV_REDACT_OPS_VERSION, sizeof(cv_redact_ops), NULL, session_new, redact,
	session_free, NULL };

CV_PLUGIN_ENTRY(self, h)
{
	static const cv_plugin_info info = { sizeof info, CV_PLUGIN_ABI_MAJOR, CV_PLUGIN_ABI_MINOR, "abi10-redact",
		"1.0", "test: redaction plugin built for ABI 1.0" };
	host = h;
	int rc = h->declare(self, &info);
	return rc ? rc : h->register_redact(self, &OPS);
}
