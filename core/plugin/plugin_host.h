/* The plugin host: loads modules once per process and keeps their operation
 * tables. Loading is serialised by a mutex; the tables are read-only after. */
#ifndef CV_PLUGIN_HOST_H
#define CV_PLUGIN_HOST_H

#include "casevault/plugin.h"
#include "casevault/plugins.h"

typedef struct cv_loaded {
	char name[64], version[32], description[256], file[1024];
	unsigned abi_major, abi_minor;
	void *handle;
	/* Point at the copies below once registered, NULL otherwise. A copy is
	 * the host's full-size table: members a plugin built for an older minor
	 * does not know are zero (absent). */
	const cv_ingest_ops *ingest;
	const cv_redact_ops *redact;
	const cv_retain_ops *retain;
	cv_ingest_ops ingest_ops;
	cv_redact_ops redact_ops;
	cv_retain_ops retain_ops;
	int declared;
} cv_loaded;

/** Loaded plugins (after cv_plugin_load). */
size_t cv__plugins(cv_loaded **out);
const cv_loaded *cv__plugin_redact(const char *name);
const cv_loaded *cv__plugin_retain(const char *name);
const cv_host *cv__host_table(void);

#endif
