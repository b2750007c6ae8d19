/* Finding, checking and loading plugins, and the host table they get.
 *
 * Search order: the build tree (when the library runs from it) or the
 * install prefix (lib/casevault/plugins, found next to the library itself so
 * an installed tree can be moved), then CASEVAULT_PLUGIN_PATH, then the
 * caller's extra path. A file is refused, and the refusal reported, when it
 * is not a regular file, is group- or world-writable, is owned by someone
 * other than the user or root, has no entry symbol, declares another ABI
 * major or a newer minor, reuses a name already loaded, or fails its init. */
#include "plugin/plugin_host.h"
#include "util/vocab.h"
#include "ingest/ingest_model.h"
#include "util/date.h"
#include "util/text.h"
#include "util/wipe.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stddef.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CV_BUILD_DIR
#define CV_BUILD_DIR ""
#endif
#ifndef CV_BUILD_PLUGIN_DIR
#define CV_BUILD_PLUGIN_DIR ""
#endif
#ifndef CV_BUILD_POLICY_DIR
#define CV_BUILD_POLICY_DIR ""
#endif
#ifndef CV_INSTALL_PLUGIN_DIR
#define CV_INSTALL_PLUGIN_DIR ""
#endif
#ifndef CV_INSTALL_POLICY_DIR
#define CV_INSTALL_POLICY_DIR ""
#endif

#define MAX_PLUGINS 64
#define MAX_REFUSALS 64

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static cv_loaded g_plugins[MAX_PLUGINS];
static size_t g_nplugins;
static char *g_refusals[MAX_REFUSALS];
static size_t g_nrefusals;
static int g_loaded_default;
static cv_log_cb g_log_cb;
static void *g_log_payload;
static char g_policy_dir[1300];

struct cv_plugin {
	cv_loaded *slot;
};
/* The handle each plugin gets lives as long as the process: a plugin may keep
 * it (retain-policy does, for host->log) and use it in any later call. */
static cv_plugin g_selves[MAX_PLUGINS];

struct cv_ingest_ctx {
	cv_ingest *t;
};

static void refuse(const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (g_nrefusals < MAX_REFUSALS)
		g_refusals[g_nrefusals++] = strdup(msg);
	if (g_log_cb)
		g_log_cb(CV_LOG_WARN, msg, g_log_payload);
}

/* --- host table ------------------------------------------------------- */

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
	if (!g_log_cb)
		return;
	char msg[1024], line[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(line, sizeof line, "%s: %s", self && self->slot ? self->slot->name : "plugin", msg);
	g_log_cb(level, line, g_log_payload);
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
	for (size_t i = 0; i < g_nplugins; i++)
		if (&g_plugins[i] != s && g_plugins[i].declared && !strcmp(g_plugins[i].name, info->name))
			return cv__err(CV_EEXISTS, "plugin %s in %s: a plugin of that name is already loaded from %s", info->name,
				s->file, g_plugins[i].file);
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

/* --- locating and loading --------------------------------------------- */

static void lib_dir(char *out, size_t n)
{
	Dl_info info;
	out[0] = '\0';
	if (dladdr((void *)&cv_plugin_load, &info) && info.dli_fname) {
		char *copy = realpath(info.dli_fname, NULL);
		if (copy) {
			char *slash = strrchr(copy, '/');
			if (slash)
				*slash = '\0';
			snprintf(out, n, "%s", copy);
			free(copy);
		}
	}
}

static int from_build_tree(void)
{
	char dir[1024];
	lib_dir(dir, sizeof dir);
	size_t bl = strlen(CV_BUILD_DIR);
	return bl && !strncmp(dir, CV_BUILD_DIR, bl) && (dir[bl] == '/' || dir[bl] == '\0');
}

CV_EXTERN(const char *) cv_policy_dir(void)
{
	pthread_mutex_lock(&g_lock);
	if (!g_policy_dir[0]) {
		char dir[1024];
		lib_dir(dir, sizeof dir);
		char rel[1200];
		snprintf(rel, sizeof rel, "%s/../share/casevault/policies", dir);
		const char *e = getenv("CASEVAULT_POLICY_DIR");
		if (e && *e)
			snprintf(g_policy_dir, sizeof g_policy_dir, "%s", e);
		else if (from_build_tree())
			snprintf(g_policy_dir, sizeof g_policy_dir, "%s", CV_BUILD_POLICY_DIR);
		else if (dir[0] && access(rel, R_OK) == 0)
			snprintf(g_policy_dir, sizeof g_policy_dir, "%s", rel);
		else
			snprintf(g_policy_dir, sizeof g_policy_dir, "%s", CV_INSTALL_POLICY_DIR);
	}
	pthread_mutex_unlock(&g_lock);
	return g_policy_dir;
}

static int file_trusted(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode)) {
		refuse("plugin %s refused: not a regular file", path);
		return 0;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		refuse("plugin %s refused: it is writable by group or others (mode %04o)", path, (unsigned)(st->st_mode & 07777));
		return 0;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		refuse("plugin %s refused: owned by uid %u, neither you nor root", path, (unsigned)st->st_uid);
		return 0;
	}
	return 1;
}

static void load_file(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
		refuse("plugin %s refused: dangling link", path);
		return;
	}
	if (!file_trusted(path, &st))
		return;
	for (size_t i = 0; i < g_nplugins; i++)
		if (!strcmp(g_plugins[i].file, path))
			return; /* same file found twice through the search path */
	if (g_nplugins == MAX_PLUGINS) {
		refuse("plugin %s refused: more than %d plugins", path, MAX_PLUGINS);
		return;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		refuse("plugin %s refused: cannot load it: %s", path, e ? e : "unknown error");
		return;
	}
	cv_plugin_entry_fn entry;
	*(void **)&entry = dlsym(h, CV_PLUGIN_ENTRY_NAME);
	if (!entry) {
		refuse("plugin %s refused: it has no %s entry point", path, CV_PLUGIN_ENTRY_NAME);
		dlclose(h);
		return;
	}
	cv_loaded *slot = &g_plugins[g_nplugins];
	memset(slot, 0, sizeof *slot);
	snprintf(slot->file, sizeof slot->file, "%s", path);
	slot->handle = h;
	cv_plugin *self = &g_selves[g_nplugins];
	self->slot = slot;
	g_nplugins++;
	cv_error_clear();
	int rc = entry(self, &g_host);
	if (rc == 0 && !slot->declared)
		rc = cv__err(CV_EPLUGIN, "it did not declare itself (host->declare)");
	if (rc == 0 && !slot->ingest && !slot->redact && !slot->retain)
		rc = cv__err(CV_EPLUGIN, "it registered no operations");
	if (rc) {
		const char *m = cv_error_last()->message;
		refuse("plugin %s%s%s refused: initialisation failed: %s", slot->name[0] ? slot->name : "", slot->name[0] ? " in " : "",
			path, m && *m ? m : "no reason given");
		g_nplugins--;
		if (slot->ingest && slot->ingest->unload)
			slot->ingest->unload(slot->ingest->state);
		if (slot->redact && slot->redact->unload)
			slot->redact->unload(slot->redact->state);
		if (slot->retain && slot->retain->unload)
			slot->retain->unload(slot->retain->state);
		memset(slot, 0, sizeof *slot);
		dlclose(h);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct stat st;
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		refuse("plugin directory %s refused: it is world-writable", dir);
		closedir(d);
		return;
	}
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256) {
		size_t len = strlen(e->d_name);
		if (len > 3 && !strcmp(e->d_name + len - 3, ".so"))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		if (names[i]) {
			snprintf(path, sizeof path, "%s/%s", dir, names[i]);
			load_file(path);
		}
		free(names[i]);
	}
}

static void load_path_list(const char *list)
{
	if (!list || !*list)
		return;
	char *copy = strdup(list), *save = NULL;
	for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
		load_dir(p);
	free(copy);
}

CV_EXTERN(int) cv_plugin_load(const char *extra_path)
{
	pthread_mutex_lock(&g_lock);
	if (!g_loaded_default) {
		g_loaded_default = 1;
		char dir[1024], rel[1200];
		lib_dir(dir, sizeof dir);
		if (from_build_tree()) {
			load_dir(CV_BUILD_PLUGIN_DIR);
		} else {
			snprintf(rel, sizeof rel, "%s/casevault/plugins", dir);
			if (dir[0] && access(rel, R_OK) == 0)
				load_dir(rel);
			else
				load_dir(CV_INSTALL_PLUGIN_DIR);
		}
		load_path_list(getenv("CASEVAULT_PLUGIN_PATH"));
	}
	load_path_list(extra_path);
	pthread_mutex_unlock(&g_lock);
	return 0;
}

CV_EXTERN(size_t) cv_plugin_refusals(const char *const **messages)
{
	*messages = (const char *const *)g_refusals;
	return g_nrefusals;
}

CV_EXTERN(void) cv_log_set_callback(cv_log_cb cb, void *payload)
{
	g_log_cb = cb;
	g_log_payload = payload;
}

size_t cv__plugins(cv_loaded **out)
{
	*out = g_plugins;
	return g_nplugins;
}

CV_EXTERN(int) cv_plugin_list(cv_plugin_desc **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	cv_plugin_desc *list = calloc(g_nplugins * 3 + 1, sizeof *list);
	if (!list)
		return cv__oom();
	size_t n = 0;
	for (size_t i = 0; i < g_nplugins; i++) {
		const cv_loaded *p = &g_plugins[i];
		const char *kinds[3] = { p->ingest ? "ingest" : NULL, p->redact ? "redact" : NULL, p->retain ? "retain" : NULL };
		for (int k = 0; k < 3; k++) {
			if (!kinds[k])
				continue;
			cv_plugin_desc *d = &list[n++];
			snprintf(d->name, sizeof d->name, "%s", p->name);
			snprintf(d->kind, sizeof d->kind, "%s", kinds[k]);
			snprintf(d->version, sizeof d->version, "%s", p->version);
			d->abi_major = p->abi_major;
			d->abi_minor = p->abi_minor;
			snprintf(d->file, sizeof d->file, "%s", p->file);
			snprintf(d->description, sizeof d->description, "%s", p->description);
		}
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(void) cv_plugin_list_free(cv_plugin_desc *list)
{
	free(list);
}

static const cv_loaded *find_kind(const char *name, int kind)
{
	for (size_t i = 0; i < g_nplugins; i++) {
		const cv_loaded *p = &g_plugins[i];
		const void *ops = kind == 1 ? (const void *)p->ingest : kind == 2 ? (const void *)p->redact : (const void *)p->retain;
		if (ops && (!name || !strcmp(p->name, name)))
			return p;
	}
	return NULL;
}

const cv_loaded *cv__plugin_redact(const char *name)
{
	return find_kind(name, 2);
}

const cv_loaded *cv__plugin_retain(const char *name)
{
	return find_kind(name, 3);
}

/* --- bundle ingestion through the plugins ------------------------------ */

CV_EXTERN(int) cv_ingest_bundle(cv_ingest_result *result, cv_archive *a, const char *path, const cv_ingest_options *opts)
{
	cv_ingest_options defaults = CV_INGEST_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	CV_TRY(cv__options_version(opts, opts->version, CV_INGEST_OPTIONS_VERSION, "ingest"));
	memset(result, 0, sizeof *result);
	struct stat st;
	if (stat(path, &st) < 0)
		return cv__err(CV_EINVAL, "%s: cannot read it: %s", path, strerror(errno));
	int is_dir = S_ISDIR(st.st_mode);
	unsigned char head[512];
	size_t headlen = 0;
	if (!is_dir) {
		FILE *f = fopen(path, "rb");
		if (!f)
			return cv__err(CV_EINVAL, "%s: cannot open it: %s", path, strerror(errno));
		headlen = fread(head, 1, sizeof head, f);
		fclose(f);
	}
	cv_plugin_load(a->plugin_path);
	const cv_loaded *best = NULL;
	int best_bid = 0;
	char tried[512] = "";
	for (size_t i = 0; i < g_nplugins; i++) {
		const cv_loaded *p = &g_plugins[i];
		if (!p->ingest)
			continue;
		if (opts->plugin) {
			if (!strcmp(p->name, opts->plugin)) {
				best = p;
				break;
			}
			continue;
		}
		int bid = p->ingest->probe(p->ingest->state, path, is_dir, head, headlen);
		size_t tl = strlen(tried);
		snprintf(tried + tl, sizeof tried - tl, "%s%s", tl ? ", " : "", p->name);
		if (bid > best_bid) {
			best_bid = bid;
			best = p;
		}
	}
	if (!best) {
		if (opts->plugin)
			return cv__err(CV_EINVAL, "%s: no ingestion plugin named '%s' is loaded", path,
				opts->plugin);
		return cv__err(CV_EINVAL, "%s: no ingestion plugin accepts this input (tried: %s); a bundle is a directory, "
			".tar, .tar.gz or .zip with case.json at its root", path, tried[0] ? tried : "none loaded");
	}
	cv_ingest_limits lim = { sizeof lim, opts->max_entry_bytes ? opts->max_entry_bytes : (uint64_t)4 << 30,
		opts->max_total_bytes ? opts->max_total_bytes : (uint64_t)16 << 30,
		opts->max_entries ? opts->max_entries : 100000,
		opts->max_manifest_bytes ? opts->max_manifest_bytes : (uint64_t)16 << 20,
		opts->max_ratio > 0 ? opts->max_ratio : 200.0 };
	cv_ingest *t = NULL;
	CV_TRY(cv_ingest_begin(&t, a, path));
	cv_ingest_ctx ctx = { t };
	cv_error_clear();
	int rc = best->ingest->ingest(best->ingest->state, &ctx, path, &lim);
	if (rc) {
		if (!cv_error_last()->message[0])
			cv__err(CV_EPLUGIN, "%s: plugin %s failed without giving a reason", path, best->name);
		rc = cv_error_last()->code ? cv_error_last()->code : CV_EPLUGIN;
		cv_ingest_abort(t);
		return rc;
	}
	rc = cv_ingest_commit(t, result);
	if (!rc)
		snprintf(result->plugin, sizeof result->plugin, "%s", best->name);
	return rc;
}
