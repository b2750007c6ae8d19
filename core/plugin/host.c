/* The host table a plugin receives: declaring itself, registering its
 * operations tables (accepting older, shorter ones), memory, errors, logs,
 * configuration, Unicode and date helpers, and the ingestion sink. The table
 * is static and read-only; the sink is valid only inside an ingest call. */
#include "plugin/plugin_host.h"
#include "ingest/ingest_model.h"
#include "util/date.h"
#include "util/text.h"
#include "util/vocab.h"
#include "util/wipe.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h_error(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cv__err(code < 0 ? code : CV_EPLUGIN, "%s", msg);
}

static void h_log(cv_plugin *self, int level, const char *fmt, ...)
{
	char msg[1024], line[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(line, sizeof line, "%s: %s", self && self->slot ? self->slot->name : "plugin", msg);
	cv__plugin_log(level, line);
}

static int valid_plugin_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (len == 0 || len > 48)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '-'))
			return 0;
	return 1;
}

static int h_declare(cv_plugin *self, const cv_plugin_info *info)
{
	cv_loaded *s = self->slot;
	if (!info || info->size < sizeof(size_t) + 2 * sizeof(unsigned) + 2 * sizeof(char *))
		return cv__err(CV_EPLUGIN, "plugin %s: malformed plugin info", s->file);
	s->abi_major = info->abi_major;
	s->abi_minor = info->abi_minor;
	if (info->abi_major != CV_PLUGIN_ABI_MAJOR || info->abi_minor > CV_PLUGIN_ABI_MINOR)
		return cv__err(CV_EPLUGIN, "plugin %s (%s) was built for plugin ABI %u.%u; this casevault provides %u.%u",
			info->name ? info->name : "?", s->file, info->abi_major, info->abi_minor, CV_PLUGIN_ABI_MAJOR,
			CV_PLUGIN_ABI_MINOR);
	if (!valid_plugin_name(info->name))
		return cv__err(CV_EPLUGIN, "plugin in %s has an invalid name (lower-case letters, digits and -)", s->file);
	const cv_loaded *other = cv__plugin_named(info->name, s);
	if (other)
		return cv__err(CV_EEXISTS, "plugin %s in %s: a plugin of that name is already loaded from %s", info->name,
			s->file, other->file);
	snprintf(s->name, sizeof s->name, "%s", info->name);
	snprintf(s->version, sizeof s->version, "%s", info->version ? info->version : "");
	snprintf(s->description, sizeof s->description, "%s", info->description ? info->description : "");
	s->declared = 1;
	return 0;
}

/* Operations tables only grow at the end (plugin.h). A table from a plugin
 * built for an older minor is shorter than the host's: it is accepted when it
 * covers at least the ABI 1.0 members, and copied into a zeroed full-size
 * table so that the members it lacks read as absent. A table longer than the
 * host's comes from a newer minor the host cannot honour: refused. */
static int ops_accept(cv_plugin *self, void *copy, size_t host_size, const void *ops, unsigned version,
	unsigned want_version, size_t size, size_t min_size, const char *what)
{
	cv_loaded *s = self->slot;
	if (!s->declared)
		return cv__err(CV_EPLUGIN, "plugin %s: register before declare", s->file);
	if (!ops || version != want_version)
		return cv__err(CV_EPLUGIN, "plugin %s: %s operations table version %u is not %u", s->name, what,
			ops ? version : 0, want_version);
	if (size < min_size)
		return cv__err(CV_EPLUGIN, "plugin %s: %s operations table is %zu bytes, smaller than ABI 1.0's %zu", s->name,
			what, size, min_size);
	if (size > host_size)
		return cv__err(CV_EPLUGIN, "plugin %s: %s operations table is %zu bytes, larger than this casevault's %zu "
			"(built for a newer plugin ABI)", s->name, what, size, host_size);
	memset(copy, 0, host_size);
	memcpy(copy, ops, size);
	return 0;
}

#define OPS_END(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define ACCEPT(self, field, ops, type, want, last10, what)                                                      \
	ops_accept(self, &(self)->slot->field, sizeof(type), ops, (ops) ? (ops)->version : 0, want,             \
		(ops) ? (ops)->size : 0, OPS_END(type, last10), what)

static int h_register_ingest(cv_plugin *self, const cv_ingest_ops *ops)
{
	CV_TRY(ACCEPT(self, ingest_ops, ops, cv_ingest_ops, CV_INGEST_OPS_VERSION, unload, "ingestion"));
	const cv_ingest_ops *o = &self->slot->ingest_ops;
	if (!o->probe || !o->ingest)
		return cv__err(CV_EPLUGIN, "plugin %s: ingestion operations lack probe or ingest", self->slot->name);
	self->slot->ingest = o;
	return 0;
}

static int h_register_redact(cv_plugin *self, const cv_redact_ops *ops)
{
	CV_TRY(ACCEPT(self, redact_ops, ops, cv_redact_ops, CV_REDACT_OPS_VERSION, unload, "redaction"));
	const cv_redact_ops *o = &self->slot->redact_ops;
	if (!o->session_new || !o->redact || !o->session_free)
		return cv__err(CV_EPLUGIN, "plugin %s: redaction operations are incomplete", self->slot->name);
	self->slot->redact = o;
	return 0;
}

static int h_register_retain(cv_plugin *self, const cv_retain_ops *ops)
{
	CV_TRY(ACCEPT(self, retain_ops, ops, cv_retain_ops, CV_RETAIN_OPS_VERSION, unload, "retention"));
	const cv_retain_ops *o = &self->slot->retain_ops;
	if (!o->policy_load || !o->policy_evaluate || !o->policy_free)
		return cv__err(CV_EPLUGIN, "plugin %s: retention operations are incomplete", self->slot->name);
	self->slot->retain = o;
	return 0;
}

static void h_wipe(void *p, size_t n)
{
	cv__wipe(p, n);
}

static const char *h_config_get(cv_plugin *self, const char *key)
{
	(void)self;
	static char def_policy[1400];
	if (!key)
		return NULL;
	if (!strcmp(key, "policy.dir"))
		return cv_policy_dir();
	if (!strcmp(key, "policy.default")) {
		snprintf(def_policy, sizeof def_policy, "%s/ase.yaml", cv_policy_dir());
		return def_policy;
	}
	if (!strcmp(key, "dict.french")) {
		const char *e = getenv("CASEVAULT_DICT");
		return e && *e ? e : "/usr/share/dict/french";
	}
	return NULL;
}

static int h_nfc(char **out, const char *in, size_t len)
{
	return cv__nfc(out, in, len);
}

static int h_fold(char **out, const char *in, size_t len)
{
	return cv__fold(out, in, len);
}

static int h_date_valid(const char *s)
{
	return cv__date_valid(s);
}

static int h_case_set(cv_ingest_ctx *c, const cv_case_fields *f)
{
	return cv_ingest_set_case(c->t, f);
}
static int h_person_add(cv_ingest_ctx *c, const cv_person_fields *p)
{
	return cv_ingest_add_person(c->t, p);
}
static int h_measure_add(cv_ingest_ctx *c, const cv_measure_fields *m)
{
	return cv_ingest_add_measure(c->t, m);
}
static int h_doc_begin(cv_ingest_ctx *c, const cv_doc_fields *d)
{
	return cv_ingest_doc_begin(c->t, d);
}
static int h_doc_write(cv_ingest_ctx *c, const void *p, size_t n)
{
	return cv_ingest_doc_write(c->t, p, n);
}
static int h_doc_end(cv_ingest_ctx *c)
{
	return cv_ingest_doc_end(c->t);
}
static int h_sealed_begin(cv_ingest_ctx *c)
{
	return cv_ingest_sealed_begin(c->t);
}
static int h_sealed_write(cv_ingest_ctx *c, const void *p, size_t n)
{
	return cv_ingest_sealed_write(c->t, p, n);
}
static int h_sealed_end(cv_ingest_ctx *c)
{
	return cv_ingest_sealed_end(c->t);
}
static void h_progress(cv_ingest_ctx *c, const char *what, uint64_t done, uint64_t total)
{
	cv__progress(c->t->a, what, done, total);
}

static const cv_host g_host = {
	CV_PLUGIN_ABI_MAJOR, CV_PLUGIN_ABI_MINOR, sizeof(cv_host),
	h_declare, h_register_ingest, h_register_redact, h_register_retain,
	malloc, realloc, free, h_wipe,
	h_error, h_log, h_config_get,
	h_nfc, h_fold, h_date_valid, cv__valid_category, cv__valid_role,
	h_case_set, h_person_add, h_measure_add, h_doc_begin, h_doc_write, h_doc_end,
	h_sealed_begin, h_sealed_write, h_sealed_end, h_progress,
};

const cv_host *cv__host_table(void)
{
	return &g_host;
}
