/* Mirror helpers: scratch repositories, URLs, reading a mirror's files,
 * pruning a local mirror, the mirror lock (mirror.h). */
#define _XOPEN_SOURCE 700
#include "mirror/mirror.h"
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

int cv__rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cv__err(CV_ERROR, "cannot remove %s: %s", path, strerror(errno));
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return cv__err(CV_ERROR, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

void cv__rmtree_quiet(const char *path)
{
	/* nftw allocates: a walk cut short by a failed allocation is tried
	 * again once (what is left is removed at the next push anyway) */
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int cv__mirror_local_path(char **path, const char *url)
{
	*path = NULL;
	const char *p = url;
	if (!strncmp(url, "file://", 7))
		p = url + 7;
	else if (strstr(url, "://"))
		return 0;
	*path = strdup(p);
	return *path ? 0 : cv__oom();
}

/* Encrypted objects do not delta: libgit2's pack builder is told so (it
 * skips the delta search for objects above the threshold), which keeps
 * pushes and repacks at the speed of reading. */
int cv__mirror_no_delta(git_repository *r)
{
	git_config *cfg = NULL;
	int rc = 0;
	if (git_repository_config(&cfg, r) < 0 || git_config_set_int64(cfg, "pack.bigFileThreshold", 4096) < 0)
		rc = cv__err(CV_ERROR, "cannot configure the repository: %s", cv__git_reason());
	git_config_free(cfg);
	return rc;
}

/* The scratch repository opened, with a ref on what the alternate holds:
 * fetches then send only what is missing (a fetch from a local mirror
 * otherwise copies its whole history into the scratch repository). */
static int stage_open(git_repository **out, const char *path, const git_oid *have)
{
	if (git_repository_open_bare(out, path) < 0)
		return cv__err(cv__git_code(CV_ERROR), "cannot open the scratch repository %s: %s", path, cv__git_reason());
	git_reference *ref = NULL;
	if (have && git_reference_create(&ref, *out, "refs/casevault/have", have, 1, NULL) < 0) {
		git_repository_free(*out);
		*out = NULL;
		return cv__err(cv__git_code(CV_ERROR), "cannot prepare the scratch repository %s: %s", path,
			cv__git_reason());
	}
	git_reference_free(ref);
	return 0;
}

int cv__mirror_stage(git_repository **out, const char *path, const char *alternate, const git_oid *have)
{
	*out = NULL;
	CV_TRY(cv__rmtree(path));
	git_repository *repo = NULL;
	if (git_repository_init(&repo, path, 1) < 0)
		return cv__err(CV_ERROR, "cannot create the scratch repository %s: %s", path, cv__git_reason());
	git_repository_free(repo);
	char *alt = cv__path_join(path, "objects/info/alternates");
	char line[PATH_MAX + 2];
	int n = snprintf(line, sizeof line, "%s\n", alternate);
	int rc = alt ? cv__write_file_atomic(alt, line, (size_t)n, 0600) : cv__oom();
	free(alt);
	CV_TRY(rc);
	/* libgit2 1.5 can open a repository whose paths it could not allocate,
	 * and then says "not a repository" or "invalid argument: 'path &&
	 * *path'": a repository that failed to open or to take the ref is
	 * opened afresh once before it is believed */
	rc = stage_open(out, path, have);
	if (rc && rc != CV_ENOMEM)
		rc = stage_open(out, path, have);
	CV_TRY(rc);
	return cv__mirror_no_delta(*out);
}

void cv__mirror_callbacks(git_remote_callbacks *cb, cv_remote_ctx *x)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = cv__mirror_credentials;
	cb->certificate_check = cv__mirror_check_host;
	cb->payload = x;
}

const char *cv__mirror_reason(const cv_remote_ctx *x)
{
	return x && x->refused[0] ? x->refused : cv__git_reason();
}

static int mirror_read_once(cv_buf *out, git_repository *repo, const git_oid *commit, const char *path)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	int rc = 0;
	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&t, c) < 0)
		rc = cv__err(cv__git_code(CV_EDAMAGED), "the mirror's commit is not readable: %s", cv__git_reason());
	else if (git_tree_entry_bypath(&e, t, path) < 0)
		rc = cv__err(CV_EDAMAGED, "the mirror has no %s", path);
	else if (git_blob_lookup(&b, repo, git_tree_entry_id(e)) < 0)
		rc = cv__err(cv__git_code(CV_EDAMAGED), "the mirror's %s is not readable: %s", path, cv__git_reason());
	else {
		out->len = 0;
		rc = cv__buf_put(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	}
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

int cv__mirror_read(cv_buf *out, git_repository *repo, const git_oid *commit, const char *path)
{
	int rc = mirror_read_once(out, repo, commit, path);
	if (rc != CV_EDAMAGED)
		return rc;
	/* libgit2 1.5 says "object not found" when the list of packs could not
	 * be refreshed for want of memory: the packs are read again once
	 * before the mirror is called damaged */
	git_odb *odb = NULL;
	if (git_repository_odb(&odb, repo) == 0)
		git_odb_refresh(odb);
	git_odb_free(odb);
	cv_error_clear();
	return mirror_read_once(out, repo, commit, path);
}

static int is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

/* Remove every pack but `keep` and every loose object. */
static int drop_others(const char *objdir, const char *keep)
{
	char *packdir = cv__path_join(objdir, "pack");
	DIR *d = packdir ? opendir(packdir) : NULL;
	struct dirent *e;
	int rc = 0;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "pack-", 5) || !strncmp(e->d_name + 5, keep, strlen(keep)))
			continue;
		char *p = cv__path_join(packdir, e->d_name);
		if (!p || unlink(p) < 0)
			rc = p ? cv__err(CV_ERROR, "cannot remove %s: %s", p, strerror(errno)) : cv__oom();
		free(p);
	}
	if (d)
		closedir(d);
	if (!rc && packdir)
		rc = cv__fsync_dir(packdir);
	free(packdir);
	d = opendir(objdir);
	while (!rc && d && (e = readdir(d))) {
		if (!is_hex2(e->d_name))
			continue;
		char *p = cv__path_join(objdir, e->d_name);
		rc = p ? cv__rmtree(p) : cv__oom();
		free(p);
	}
	if (d)
		closedir(d);
	return rc ? rc : cv__fsync_dir(objdir);
}

int cv__mirror_prune(const char *path)
{
	git_repository *repo = NULL;
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	int rc = 0;
	if (git_repository_open_bare(&repo, path) < 0)
		return cv__err(CV_ERROR, "cannot open the repository %s: %s", path, cv__git_reason());
	if ((rc = cv__mirror_no_delta(repo))) {
		git_repository_free(repo);
		return rc;
	}
	/* Every object the refs reach, in one new pack; then the rest goes. The
	 * new pack is complete (and synced) before anything is removed. */
	if (git_packbuilder_new(&pb, repo) < 0 || git_revwalk_new(&w, repo) < 0 ||
		git_revwalk_push_glob(w, "refs/*") < 0 || git_packbuilder_insert_walk(pb, w) < 0)
		rc = cv__err(CV_ERROR, "cannot list what the repository %s holds: %s", path, cv__git_reason());
	char *objdir = cv__path_join(path, "objects"), *packdir = cv__path_join(path, "objects/pack");
	if (!rc && (!objdir || !packdir))
		rc = cv__oom();
	if (!rc) {
		git_packbuilder_set_threads(pb, 1);
		if (git_packbuilder_write(pb, packdir, 0, NULL, NULL) < 0)
			rc = cv__err(CV_ERROR, "cannot rewrite the repository %s: %s", path, cv__git_reason());
	}
	if (!rc)
		rc = cv__fsync_dir(packdir);
	if (!rc)
		rc = drop_others(objdir, git_packbuilder_name(pb));
	free(objdir);
	free(packdir);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	git_repository_free(repo);
	return rc;
}

int cv__mirror_lock(cv_archive *a, int *fd)
{
	char *p = cv__path_join(a->dir, "mirror.lock");
	if (!p)
		return cv__oom();
	*fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(p);
	if (*fd < 0)
		return cv__err(CV_ERROR, "cannot open the mirror lock in %s: %s", a->dir, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		close(*fd);
		*fd = -1;
		return cv__err(CV_EBUSY, "another push or rotation of the mirrors of %s is running", a->dir);
	}
	return 0;
}

void cv__mirror_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
