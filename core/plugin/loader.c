/* Finding, checking and loading plugins, and the registry of those loaded.
 *
 * Search order: the build tree (when the library runs from it) or the
 * install prefix (lib/casevault/plugins, found next to the library itself so
 * an installed tree can be moved), then CASEVAULT_PLUGIN_PATH, then the
 * caller's extra path. A file is refused, and the refusal reported, when it
 * is not a regular file, is group- or world-writable, is owned by someone
 * other than the user or root, has no entry symbol, declares another ABI
 * major or a newer minor, reuses a name already loaded, or fails its init.
 * Loading is serialised by a mutex; the registry is read-only afterwards. */
#include "plugin/plugin_host.h"
#include "util/error.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
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

/* The handle each plugin gets lives as long as the process: a plugin may keep
 * it (retain-policy does, for host->log) and use it in any later call. */
static cv_plugin g_selves[MAX_PLUGINS];

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

static int owner_ok(const struct stat *st)
{
	return st->st_uid == geteuid() || st->st_uid == 0;
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
	if (!owner_ok(st)) {
		refuse("plugin %s refused: owned by uid %u, neither you nor root", path, (unsigned)st->st_uid);
		return 0;
	}
	return 1;
}

/* Whoever can write a directory on the way to a plugin can swap the plugin.
 * The plugin's own directory must be writable by its owner only (you or
 * root; a sticky world-writable one is refused too: anyone could add a file
 * there); an ancestor may also be a root-owned sticky directory such as
 * /tmp, where nobody can rename what they do not own. */
static int one_dir_trusted(const char *dir, const char *here, int leaf)
{
	struct stat st;
	if (stat(here, &st) < 0 || !S_ISDIR(st.st_mode)) {
		refuse("plugin directory %s refused: %s is not a readable directory", dir, here);
		return 0;
	}
	if (!owner_ok(&st)) {
		refuse("plugin directory %s refused: %s is owned by uid %u, neither you nor root", dir, here,
			(unsigned)st.st_uid);
		return 0;
	}
	int shared_but_safe = !leaf && (st.st_mode & S_ISVTX) && st.st_uid == 0;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !shared_but_safe) {
		refuse("plugin directory %s refused: %s is writable by group or others (mode %04o)", dir, here,
			(unsigned)(st.st_mode & 07777));
		return 0;
	}
	return 1;
}

static int dir_chain_trusted(const char *dir)
{
	char *p = realpath(dir, NULL);
	if (!p) {
		refuse("plugin directory %s refused: cannot resolve it: %s", dir, strerror(errno));
		return 0;
	}
	int ok = 1;
	for (int leaf = 1; ok; leaf = 0) { /* the directory, then each parent up to "/" */
		ok = one_dir_trusted(dir, p, leaf);
		char *slash = strrchr(p, '/');
		if (!slash || (slash == p && !p[1]))
			break;
		if (slash == p)
			p[1] = '\0';
		else
			*slash = '\0';
	}
	free(p);
	return ok;
}

/* The file is opened once; the checks and the load are on that descriptor
 * (dlopen of /proc/self/fd/N maps the very file that was checked), so
 * nobody can swap it between the check and the load. Loading runs the
 * library's constructors before its entry point can be checked: that is
 * why the file and its directories must be trusted first. */
static void load_file(int dirfd, const char *dir, const char *name)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		refuse("plugin %s refused: %s", path, errno == ELOOP ? "a symbolic link (install the file itself)"
			: strerror(errno));
		return;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !file_trusted(path, &st)) {
		close(fd);
		return;
	}
	for (size_t i = 0; i < g_nplugins; i++)
		if (g_plugins[i].dev == st.st_dev && g_plugins[i].ino == st.st_ino) {
			close(fd); /* the same file found twice through the search path */
			return;
		}
	if (g_nplugins == MAX_PLUGINS) {
		refuse("plugin %s refused: more than %d plugins", path, MAX_PLUGINS);
		close(fd);
		return;
	}
	/* The descriptor stays open while the plugin is loaded: the dynamic
	 * loader knows an object by its path, and a reused descriptor number
	 * would make it hand back the plugin loaded earlier under that name. */
	char byfd[64];
	snprintf(byfd, sizeof byfd, "/proc/self/fd/%d", fd);
	void *h = dlopen(byfd, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		close(fd);
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
		close(fd);
		return;
	}
	cv_loaded *slot = &g_plugins[g_nplugins];
	memset(slot, 0, sizeof *slot);
	snprintf(slot->file, sizeof slot->file, "%s", path);
	slot->dev = st.st_dev;
	slot->ino = st.st_ino;
	slot->fd = fd;
	slot->handle = h;
	cv_plugin *self = &g_selves[g_nplugins];
	self->slot = slot;
	g_nplugins++;
	cv_error_clear();
	int rc = entry(self, cv__host_table());
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
		close(fd);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return; /* a search path entry that does not exist is not an error */
	if (!dir_chain_trusted(dir)) {
		close(dfd);
		return;
	}
	DIR *d = fdopendir(dup(dfd));
	if (!d) {
		close(dfd);
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
		if (names[i])
			load_file(dfd, dir, names[i]);
		free(names[i]);
	}
	close(dfd);
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

const cv_loaded *cv__plugin_named(const char *name, const cv_loaded *except)
{
	for (size_t i = 0; i < g_nplugins; i++)
		if (&g_plugins[i] != except && g_plugins[i].declared && !strcmp(g_plugins[i].name, name))
			return &g_plugins[i];
	return NULL;
}

void cv__plugin_log(int level, const char *line)
{
	if (g_log_cb)
		g_log_cb(level, line, g_log_payload);
}
