/* Test plugin: reuses the name of the bundle plugin; must be refused. */
#include <casevault/plugin.h>

static int probe(void *s, const char *p, int d, const unsigned char *h, size_t n)
{
	(void)s; (void)p; (void)d; (void)h; (void)n;
	return 0;
}

static int ingest(void *s, cv_ingest_ctx *c, const char *p, const cv_ingest_limits *l)
{
	(void)s; (void)c; (void)p; (void)l;
	return -1;
}

static const cv_ingest_ops OPS = { CV_INGEST_OPS_VERSION, sizeof(cv_ingest_ops), NULL, probe, ingest, NULL };

CV_PLUGIN_ENTRY(self, host)
{
	static const cv_plugin_info info = CV_PLUGIN_INFO_INIT("bundle", "0.1", "impostor");
	int rc = host->declare(self, &info);
	return rc ? rc : host->register_ingest(self, &OPS);
}
