/* A complete casevault plugin: a redaction plugin that hides e-mail
 * addresses. It shows the whole ABI: the entry symbol, declaring the
 * plugin, registering a versioned operations table, using host functions.
 * Build: cc -shared -fPIC -I/usr/include example_redact.c -o example.so */
#include <casevault/plugin.h>
#include <string.h>

static const cv_host *host;

static int is_mail_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		c == '_' || c == '-' || c == '+';
}

static int session_new(void *state, void **session, const cv_person_fields *persons, size_t n,
	const char *requester)
{
	(void)state; (void)persons; (void)n; (void)requester;
	*session = host->alloc(1); /* this plugin keeps no per-copy state */
	return *session ? 0 : host->error(CV_ENOMEM, "example: out of memory");
}

static int redact(void *session, const char *text, size_t len, cv_redact_span **out, size_t *nout)
{
	(void)session;
	size_t cap = 8, n = 0;
	cv_redact_span *spans = host->alloc(cap * sizeof *spans);
	if (!spans)
		return host->error(CV_ENOMEM, "example: out of memory");
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '@')
			continue;
		size_t s = i, e = i + 1;
		while (s > 0 && is_mail_char(text[s - 1]))
			s--;
		while (e < len && is_mail_char(text[e]))
			e++;
		if (s == i || e == i + 1 || !memchr(text + i, '.', e - i))
			continue; /* not local@domain.tld */
		if (n == cap) {
			cv_redact_span *p = host->realloc(spans, (cap *= 2) * sizeof *spans);
			if (!p) {
				host->free(spans);
				return host->error(CV_ENOMEM, "example: out of memory");
			}
			spans = p;
		}
		memset(&spans[n], 0, sizeof spans[n]);
		spans[n].start = s;
		spans[n].end = e;
		spans[n].kind = CV_SPAN_EMAIL;
		strcpy(spans[n].replacement, "[courriel]");
		n++;
		i = e;
	}
	*out = spans;
	*nout = n;
	return 0;
}

static void session_free(void *session)
{
	host->free(session);
}

static const cv_redact_ops OPS = {
	CV_REDACT_OPS_VERSION, sizeof(cv_redact_ops), NULL, session_new, redact, session_free, NULL,
};

CV_PLUGIN_ENTRY(self, h)
{
	static const cv_plugin_info info =
		CV_PLUGIN_INFO_INIT("example-email", "1.0.0", "example: hides e-mail addresses");
	host = h;
	int rc = h->declare(self, &info);
	if (rc == 0)
		rc = h->register_redact(self, &OPS);
	h->log(self, CV_LOG_DEBUG, "loaded");
	return rc;
}
