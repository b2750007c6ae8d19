/* Policies through the retention plugin: loading one (the shipped default
 * unless a file is given), evaluating a case with it, checking a file. */
#include "retention/retention.h"
#include "util/fs.h"
#include "util/hex.h"

#include <stdio.h>
#include <string.h>

int cv__policy_open(cv_policy *p, const char *path)
{
	memset(p, 0, sizeof *p);
	cv_plugin_load(NULL);
	p->plugin = cv__plugin_retain(NULL);
	if (!p->plugin)
		return cv__err(CV_EPLUGIN, "no retention plugin is loaded");
	char def[1200];
	if (!path) {
		snprintf(def, sizeof def, "%s/ase.yaml", cv_policy_dir());
		path = def;
	}
	snprintf(p->path, sizeof p->path, "%s", path);
	cv_buf b = CV_BUF_INIT;
	int rc = cv__read_file(&b, path, 4 << 20);
	if (rc) {
		cv__buf_dispose(&b);
		return cv__err_prefix("policy");
	}
	unsigned char h[32];
	rc = cv__sha256(h, b.data, b.len);
	cv__hex(p->sha256, h, 32);
	cv__buf_dispose(&b);
	if (rc)
		return rc; /* a policy whose hash is wrong would read as another policy */
	const cv_retain_ops *ops = p->plugin->retain;
	cv_error_clear();
	rc = ops->policy_load(ops->state, &p->handle, path);
	if (rc)
		return cv_error_last()->message[0] ? cv_error_last()->code : cv__err(CV_EINVAL, "policy %s was refused", path);
	const char *d = NULL;
	if (ops->policy_describe) /* the host's copy: absent when the plugin predates ABI 1.1 */
		d = ops->policy_describe(p->handle);
	snprintf(p->describe, sizeof p->describe, "%s", d ? d : path);
	return 0;
}

void cv__policy_close(cv_policy *p)
{
	if (p->plugin && p->handle)
		p->plugin->retain->policy_free(p->handle);
	p->handle = NULL;
}

int cv__policy_eval(cv_policy *p, const cv_retain_case *c, const char *as_of, cv_retain_verdict *v)
{
	const cv_retain_ops *ops = p->plugin->retain;
	memset(v, 0, sizeof *v);
	v->size = sizeof *v;
	/* Nothing is left to do for these; their dates are reduced to months,
	 * which no policy has to understand. */
	if (c->state && (!strcmp(c->state, "anonymised") || !strcmp(c->state, "destroyed"))) {
		v->action = CV_ACTION_KEEP;
		v->rule = c->state;
		v->source = "";
		return 0;
	}
	cv_error_clear();
	if (ops->policy_evaluate(p->handle, c, as_of, v))
		return cv_error_last()->code ? cv_error_last()->code : cv__err(CV_EPLUGIN, "policy evaluation failed");
	if (v->action == CV_ACTION_ARCHIVE) {
		cv_retain_case next = *c;
		cv_retain_verdict w;
		memset(&w, 0, sizeof w);
		w.size = sizeof w;
		next.state = "archived";
		if (ops->policy_evaluate(p->handle, &next, as_of, &w) == 0 &&
			(w.action == CV_ACTION_ANONYMISE || w.action == CV_ACTION_DESTROY))
			*v = w;
	}
	return 0;
}

CV_EXTERN(int) cv_policy_check(char **summary, const char *path)
{
	cv_policy p;
	if (summary)
		*summary = NULL;
	int rc = cv__policy_open(&p, path);
	if (!rc && summary) {
		char s[1400];
		snprintf(s, sizeof s, "%s (%s): valid, sha256 %s", p.describe, p.path, p.sha256);
		*summary = strdup(s);
	}
	cv__policy_close(&p);
	return rc;
}
