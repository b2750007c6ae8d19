/* A retention plugin built against the frozen ABI 1.0 header, whose table
 * ends before ABI 1.1's policy_describe: every closed case is due for
 * destruction one year after closure. */
#include "abi10.h"
#include <stdio.h>
#include <string.h>

static const cv_host *host;
static cv_plugin *me;

static int policy_load(void *state, void **policy, const char *path)
{
	(void)state;
	*policy = host->alloc(1);
	host->log(me, 1, "policy %s loaded", path); /* uses the handle kept from the entry call */
	return *policy ? 0 : host->error(CV_ENOMEM, "abi10-retain: out of memory");
}

static int policy_evaluate(void *policy, const cv_retain_case *c, const char *as_of, cv_retain_verdict *v)
{
	(void)policy;
	host->log(me, 0, "evaluating %s", c->ref);
	v->rule = "abi10-one-year";
	v->source = "test";
	v->final_action = "destroy";
	v->action = 0;
	v->due[0] = '\0';
	if (!c->closed)
		return 0;
	int y, m, d;
	if (sscanf(c->closed, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return host->error(CV_EINVAL, "abi10-retain: bad closure date");
	snprintf(v->due, sizeof v->due, "%04d-%02d-%02d", y + 1, m, d);
	v->action = strcmp(as_of, v->due) >= 0 ? 3 : 0;
	return 0;
}

static void policy_free(void *policy)
{
	host->free(policy);
}

static const cv_retain_ops OPS = { CV_RETAIN_OPS_VERSION, sizeof(cv_retain_ops), NULL, policy_load, policy_evaluate,
	policy_free, NULL };

CV_PLUGIN_ENTRY(self, h)
{
	static const cv_plugin_info info = { sizeof info, CV_PLUGIN_ABI_MAJOR, CV_PLUGIN_ABI_MINOR, "abi10-retain",
		"1.0", "test: retention plugin built for ABI 1.0" };
	host = h;
	me = self;
	int rc = h->declare(self, &info);
	return rc ? rc : h->register_retain(self, &OPS);
}
