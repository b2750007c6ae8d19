/* A host table for tests and fuzzers that drive a plugin without the core:
 * libc memory, an error function that keeps the last message, a silent log,
 * no configuration. A test fills in the members it needs beyond these
 * (declare, register_*, ingestion sink, NFC...). Header-only, one copy per
 * test program; not thread-safe. */
#ifndef CV_TEST_FAKE_HOST_H
#define CV_TEST_FAKE_HOST_H

#include <casevault/plugin.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fake_host_error_msg[2048];
static int fake_host_error_code, fake_host_errors;

static int fake_host_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fake_host_error_msg, sizeof fake_host_error_msg, fmt, ap);
	va_end(ap);
	fake_host_error_code = code;
	fake_host_errors++;
	return code;
}

static void fake_host_log(cv_plugin *self, int level, const char *fmt, ...)
{
	(void)self;
	(void)level;
	(void)fmt;
}

static const char *fake_host_config(cv_plugin *self, const char *key)
{
	(void)self;
	(void)key;
	return NULL;
}

static void fake_host_wipe(void *p, size_t n)
{
	memset(p, 0, n);
}

/** Zero `h`, then set the ABI, the size, libc memory, wipe, error, log and
 * an empty configuration. */
static inline void fake_host_init(cv_host *h)
{
	memset(h, 0, sizeof *h);
	h->abi_major = CV_PLUGIN_ABI_MAJOR;
	h->abi_minor = CV_PLUGIN_ABI_MINOR;
	h->size = sizeof *h;
	h->alloc = malloc;
	h->realloc = realloc;
	h->free = free;
	h->wipe = fake_host_wipe;
	h->error = fake_host_error;
	h->log = fake_host_log;
	h->config_get = fake_host_config;
}

#endif
