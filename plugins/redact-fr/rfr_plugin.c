/*
 * redact-fr — the casevault plugin: French redaction for the communication
 * copy (CRPA L.311-6). A thin wrapper mapping cv_redact_ops onto the engine
 * (redact_fr.h). The dictionary is loaded on the first session, from the
 * "dict.french" setting or /usr/share/dict/french.
 */
#include "redact_fr.h"

#include <string.h>

static const cv_host *host;
static cv_plugin *me;

typedef struct state {
	rfr_engine *engine;
} state;

static state the_state;

static void *h_alloc(size_t n) { return host->alloc(n ? n : 1); }
static void *h_realloc(void *p, size_t n) { return host->realloc(p, n ? n : 1); }
static void h_free(void *p) { host->free(p); }

static int ensure_engine(state *st)
{
	if (st->engine)
		return 0;
	static const rfr_alloc a = { h_alloc, h_realloc, h_free };
	const char *dict = host->config_get ? host->config_get(me, "dict.french") : NULL;
	char err[256] = "";
	int rc = rfr_engine_new(&st->engine, dict, &a, err, sizeof err);
	if (rc)
		return host->error(rc, "%s", err[0] ? err : "redact-fr: cannot load the engine");
	if (rfr_engine_dict_words(st->engine) == 0)
		host->log(me, CV_LOG_WARN,
			"French dictionary %s not found or empty: unregistered names will be over-detected",
			dict ? dict : "/usr/share/dict/french");
	return 0;
}

static int session_new(void *stp, void **session, const cv_person_fields *persons, size_t n, const char *requester)
{
	state *st = stp;
	*session = NULL;
	int rc = ensure_engine(st);
	if (rc)
		return rc;
	char err[256] = "";
	rfr_session *s = NULL;
	rc = rfr_session_new(st->engine, &s, persons, n, requester, err, sizeof err);
	if (rc)
		return host->error(rc, "%s", err[0] ? err : "redact-fr: cannot start a session");
	*session = s;
	return 0;
}

static int redact(void *session, const char *text, size_t len, cv_redact_span **spans, size_t *nspans)
{
	char err[256] = "";
	int rc = rfr_redact(session, text, len, spans, nspans, err, sizeof err);
	if (rc)
		return host->error(rc, "%s", err[0] ? err : "redact-fr: redaction failed");
	return 0;
}

static void session_free(void *session)
{
	rfr_session_free(session);
}

static void unload(void *stp)
{
	state *st = stp;
	rfr_engine_free(st->engine);
	st->engine = NULL;
}

CV_PLUGIN_ENTRY(self, h)
{
	static const cv_plugin_info info = CV_PLUGIN_INFO_INIT("redact-fr", "1.0.0",
		"French redaction of third parties for the communication copy (CRPA L.311-6)");
	static cv_redact_ops ops = {
		CV_REDACT_OPS_VERSION, sizeof(cv_redact_ops), NULL, session_new, redact, session_free, unload,
	};
	host = h;
	me = self;
	ops.state = &the_state;
	int rc = h->declare(self, &info);
	if (rc == 0)
		rc = h->register_redact(self, &ops);
	return rc;
}
