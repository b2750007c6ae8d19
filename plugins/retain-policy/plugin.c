/* The "retain-policy" plugin: retention policies written in YAML
 * (docs/policies.md), evaluated case by case for the sweep. A thin layer over
 * policy.c that speaks the plugin ABI: errors go through host->error, the
 * default policy comes from host->config_get("policy.default"). */
#include "policy.h"

#include <stdio.h>

#define RP_VERSION "1.0.0"

static const cv_host *rp_host;
static cv_plugin *rp_self;

static int rp_policy_load(void *state, void **out, const char *path)
{
	(void)state;
	char err[POLICY_ERR_MAX];
	retain_policy *p = NULL;
	if (!out)
		return rp_host->error(CV_EINVAL, "retain-policy: no place for the policy");
	*out = NULL;
	if (!path || !*path)
		path = rp_host->config_get ? rp_host->config_get(rp_self, "policy.default") : NULL;
	if (!path || !*path)
		return rp_host->error(CV_EINVAL, "retain-policy: no policy file given and policy.default is not set");
	int rc = policy_parse_file(path, &p, err, sizeof err);
	if (rc)
		return rp_host->error(rc, "%s", err);
	rp_host->log(rp_self, CV_LOG_DEBUG, "policy %s (edition %d) loaded from %s: %zu rules", policy_name(p),
		policy_version(p), path, policy_nrules(p));
	*out = p;
	return 0;
}

static int rp_policy_evaluate(void *policy, const cv_retain_case *c, const char *as_of, cv_retain_verdict *out)
{
	char err[POLICY_ERR_MAX];
	int rc = policy_eval(policy, c, as_of, out, err, sizeof err);
	if (rc)
		return rp_host->error(rc, "retain-policy: %s", err);
	return 0;
}

static void rp_policy_free(void *policy)
{
	policy_free(policy);
}

/* ABI 1.1: the policy's name and edition, for the sweep plan and the slip.
 * The host calls plugins from one thread at a time (plugin.h). */
static const char *rp_policy_describe(void *policy)
{
	static char buf[160];
	snprintf(buf, sizeof buf, "%s v%d", policy_name(policy), policy_version(policy));
	return buf;
}

static const cv_retain_ops RP_OPS = {
	CV_RETAIN_OPS_VERSION, sizeof(cv_retain_ops), NULL, rp_policy_load, rp_policy_evaluate, rp_policy_free, NULL,
	rp_policy_describe,
};

CV_PLUGIN_ENTRY(self, h)
{
	static const cv_plugin_info info = CV_PLUGIN_INFO_INIT("retain-policy", RP_VERSION,
		"retention policies in YAML: archive at closure, anonymise or destroy after a delay, or keep permanently");
	if (!h || h->size < offsetof(cv_host, config_get) + sizeof(h->config_get))
		return CV_EPLUGIN; /* a host too old to give us what we use */
	rp_host = h;
	rp_self = self;
	int rc = h->declare(self, &info);
	if (rc == 0)
		rc = h->register_retain(self, &RP_OPS);
	return rc;
}
