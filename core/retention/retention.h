/* Retention through the plugin ABI: loading a policy with the retention
 * plugin and evaluating a case. Used by the sweep; one policy per call,
 * freed by the caller (cv__policy_close). A policy is used by one thread at a
 * time. Blocks are decided in records/blocks.h. */
#ifndef CV_RETENTION_H
#define CV_RETENTION_H

#include "engine/internal.h"
#include "plugin/plugin_host.h"
#include "records/blocks.h"

typedef struct cv_policy {
	const cv_loaded *plugin;
	void *handle;
	char path[1024];
	char sha256[65];
	char describe[128];
} cv_policy;

/** Load `path` (NULL: the shipped default) with the retention plugin. */
int cv__policy_open(cv_policy *p, const char *path);
void cv__policy_close(cv_policy *p);
/** Evaluate, following an ARCHIVE verdict through to the final action when
 * that is already due (a case closed long ago goes straight to it). */
int cv__policy_eval(cv_policy *p, const cv_retain_case *c, const char *as_of, cv_retain_verdict *v);

#endif
