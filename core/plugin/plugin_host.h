/* The plugin host: the loader (loader.c) loads modules once per process and
 * keeps their operations tables; the host table (host.c) is what they call;
 * bid.c runs bundle ingestion through them. Loading is serialised by a
 * mutex; the registry and tables are read-only after. */
#ifndef CV_PLUGIN_HOST_H
#define CV_PLUGIN_HOST_H

#include "casevault/plugin.h"

#include <sys/types.h>

#include "casevault/plugins.h"
#include "casevault/ingest.h"

typedef struct cv_loaded cv_loaded;

/* The handle a plugin gets from the host; it lives as long as the process
 * (a plugin may keep it, as retain-policy does for host->log). */
struct cv_plugin {
	cv_loaded *slot;
};

/* The sink handle of one ingestion: the host's ingest transaction. */
struct cv_ingest_ctx {
	cv_ingest *t;
};

struct cv_loaded {
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
	dev_t dev; /* the file loaded, to load it once whatever path reached it */
	ino_t ino;
	int fd;    /* the descriptor it was loaded from, open while it is loaded */
};

/** Loaded plugins (after cv_plugin_load). */
size_t cv__plugins(cv_loaded **out);
const cv_loaded *cv__plugin_redact(const char *name);
const cv_loaded *cv__plugin_retain(const char *name);
const cv_host *cv__host_table(void);

/** The loaded plugin named `name` other than `except`, or NULL. */
const cv_loaded *cv__plugin_named(const char *name, const cv_loaded *except);
/** Pass a line to the application's log callback, if any. */
void cv__plugin_log(int level, const char *line);

#endif
