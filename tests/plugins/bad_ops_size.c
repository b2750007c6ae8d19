/* Test plugin: registers a retention table longer than the host's, as a
 * plugin built for a newer minor would; must be refused. */
#include <casevault/plugin.h>

typedef struct {
	cv_retain_ops known;
	void (*from_the_future)(void);
} newer_ops;

static int load(void *state, void **policy, const char *path)
{
	(void)state; (void)path;
	*policy = 0;
	return 0;
}
static int eval(void *policy, const cv_retain_case *c, const char *as_of, cv_retain_verdict *v)
{
	(void)policy; (void)c; (void)as_of; (void)v;
	return 0;
}
static void pfree(void *policy)
{
	(void)policy;
}

static const newer_ops OPS = { { CV_RETAIN_OPS_VERSION, sizeof(newer_ops), 0, load, eval, pfree, 0, 0 }, 0 };

CV_PLUGIN_ENTRY(self, host)
{
	static const cv_plugin_info info = CV_PLUGIN_INFO_INIT("oversized-table", "1.0", "table from a newer minor");
	int rc = host->declare(self, &info);
	return rc ? rc : host->register_retain(self, &OPS.known);
}
