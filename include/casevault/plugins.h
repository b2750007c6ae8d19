/*
 * casevault — the plugins this process has loaded (host side).
 *
 * Plugins are loaded once per process, from the build tree or install prefix,
 * then from CASEVAULT_PLUGIN_PATH and the archive options' plugin_path.
 */
#ifndef CASEVAULT_PLUGINS_H
#define CASEVAULT_PLUGINS_H

#include "common.h"

CV_BEGIN_DECL

typedef struct cv_plugin_desc {
	char name[64];
	char kind[16];           /**< ingest, redact, retain */
	char version[32];
	unsigned int abi_major, abi_minor;
	char file[1024];
	char description[256];
} cv_plugin_desc;

/** Load plugins (idempotent). `extra_path` is ':'-separated, may be NULL. */
CV_EXTERN(int) cv_plugin_load(const char *extra_path);

/** One row per registered kind of each plugin. */
CV_EXTERN(int) cv_plugin_list(cv_plugin_desc **out, size_t *count);
CV_EXTERN(void) cv_plugin_list_free(cv_plugin_desc *list);

/** Where plugins' log lines and loader warnings go (level: cv_log_level). */
typedef void (*cv_log_cb)(int level, const char *message, void *payload);
CV_EXTERN(void) cv_log_set_callback(cv_log_cb cb, void *payload);

/** Refusals met while loading (owned by the library; valid until exit). */
CV_EXTERN(size_t) cv_plugin_refusals(const char *const **messages);

CV_END_DECL

#endif
