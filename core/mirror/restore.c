/* Restoring an archive from a mirror (casevault/mirror.h): the branch's
 * objects and the mirror's own files fetched into DIR/git (the mirror's
 * files are then pruned); the chosen snapshot opened with its epoch key (unwrapped with
 * the master key) becomes DIR/catalog.db; the branch set to the commit the
 * snapshot describes; archive.json written last, as at init, so that an
 * interrupted restore never looks like an archive. */
#include "util/json.h"
#include "mirror/mirror.h"
#include "mirror/snapshot.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/hex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fetch(git_repository *r, const char *url, const char *spec)
{
	git_remote *rem = NULL;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	cv_remote_ctx x = { url };
	cv__mirror_callbacks(&fo.callbacks, &x);
	char *s = (char *)spec;
	git_strarray specs = { &s, 1 };
	int rc = 0;
	if (git_remote_create_anonymous(&rem, r, url) < 0 || git_remote_fetch(rem, &specs, &fo, NULL) < 0)
		rc = cv__err(CV_ERROR, "cannot fetch from the mirror at %s: %s", url, cv__mirror_reason(&x));
	git_remote_free(rem);
	return rc;
}

static int empty_target(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			return cv__err(CV_ERROR, "cannot open %s: %s", dir, strerror(errno));
		if (mkdir(dir, 0700) < 0)
			return cv__err(CV_ERROR, "cannot create %s: %s", dir, strerror(errno));
		return 0;
	}
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty) {
		/* a restore killed midway leaves no archive.json (written last) */
		char *hdr = cv__path_join(dir, "archive.json"), *git = cv__path_join(dir, "git");
		int interrupted = hdr && git && !cv__exists(hdr) && cv__exists(git);
		free(hdr);
		free(git);
		if (interrupted)
			return cv__err(CV_EEXISTS, "%s holds a restore that was interrupted (it is not an archive): remove the "
				"directory and restore again", dir);
		return cv__err(CV_EEXISTS, "%s is not empty; an archive is restored into a new or empty directory", dir);
	}
	chmod(dir, 0700);
	return 0;
}

typedef struct rst {
	char *gitdir;
	git_repository *data, *stg; /* stg: the same repository, named for what is read */
	cv_archive *k;       /* keys only (cv__archive_keyed) */
	cv_mstate st;
	json_t *man;
	cv_msnap snap, *all;
	size_t nall;
	git_oid mc;
	cv_buf hdr;
} rst;

static int load_mirror(rst *x, const char *url, const char *dir, uint64_t want, const cv_open_options *opts)
{
	cv_buf b = CV_BUF_INIT;
	CV_TRY(cv__store_create(x->gitdir));
	if (git_repository_open_bare(&x->data, x->gitdir) < 0)
		return cv__err(CV_ERROR, "cannot open %s: %s", x->gitdir, cv__git_reason());
	CV_TRY(cv__mirror_no_delta(x->data));
	/* the mirror commit brings everything: the archive's history is its parent */
	CV_TRY(fetch(x->data, url, "+" CV_MIRROR_REF ":refs/casevault/fetched"));
	if (git_reference_name_to_id(&x->mc, x->data, "refs/casevault/fetched") < 0)
		return cv__err(CV_ENOTFOUND, "%s is not a casevault mirror (no %s)", url, CV_MIRROR_REF);
	x->stg = x->data; /* the mirror's files are read from the same repository */
	CV_TRY(cv__mirror_read(&x->hdr, x->stg, &x->mc, "archive.json"));
	CV_TRY(cv__archive_keyed(&x->k, dir, x->hdr.data, x->hdr.len, opts));
	int rc = cv__mirror_read(&b, x->stg, &x->mc, "keyring.json");
	if (!rc)
		rc = cv__mstate_from_keyring(&x->st, x->k, (const char *)b.data, b.len);
	if (!rc)
		rc = cv__mirror_read(&b, x->stg, &x->mc, "manifest.json");
	if (!rc)
		rc = cv__json_parse(&x->man, b.data, b.len, 0, "the mirror's manifest");
	if (!rc)
		rc = cv__manifest_pick(x->man, want, &x->snap, &x->all, &x->nall);
	cv__buf_dispose(&b);
	return rc;
}

/* The snapshot, opened, becomes DIR/catalog.db. */
static int write_catalog(rst *x)
{
	cv_buf blob = CV_BUF_INIT, image = CV_BUF_INIT;
	char file[64], eid[2 * CV_EPOCH_ID_LEN + 1];
	snprintf(file, sizeof file, "snapshots/%012llu.cms", (unsigned long long)x->snap.seq);
	int rc = cv__mirror_read(&blob, x->stg, &x->mc, file);
	if (!rc)
		rc = cv__snapshot_epoch(eid, blob.data, blob.len);
	cv_epoch *e = rc ? NULL : cv__mstate_epoch(&x->st, eid);
	if (!rc && (!e || !e->has_key))
		rc = cv__err(CV_EAUTH, "snapshot %llu was sealed under epoch %s, whose key was destroyed: it can no longer be "
			"read by anyone", (unsigned long long)x->snap.seq, eid);
	if (!rc)
		rc = cv__snapshot_open(&image, e, blob.data, blob.len, CV_MIRROR_MAX_CATALOG);
	if (!rc)
		rc = cv__write_file_new(x->k->catalog_path, image.data, image.len, 0600);
	cv__buf_wipe_dispose(&image);
	cv__buf_dispose(&blob);
	return rc;
}

static int set_branch(rst *x)
{
	git_oid c;
	git_commit *cm = NULL;
	git_reference *ref = NULL;
	if (git_oid_fromstr(&c, x->snap.commit) < 0 || git_commit_lookup(&cm, x->data, &c) < 0)
		return cv__err(CV_EDAMAGED, "the mirror lacks commit %s that snapshot %llu describes", x->snap.commit,
			(unsigned long long)x->snap.seq);
	git_commit_free(cm);
	int rc = git_reference_create(&ref, x->data, CV_BRANCH, &c, 1, NULL) < 0
		? cv__err(CV_ERROR, "cannot set the branch: %s", cv__git_reason())
		: 0;
	git_reference_free(ref);
	if (!rc && git_reference_remove(x->data, "refs/casevault/fetched") < 0)
		rc = cv__err(CV_ERROR, "cannot tidy the restored repository: %s", cv__git_reason());
	/* A local fetch brings every object of the mirror, its keyrings and
	 * snapshots too: only what the branch reaches stays. */
	if (!rc)
		rc = cv__mirror_prune(x->gitdir);
	return rc;
}

/* The restored archive's own mirror state: the epochs of the keyring and
 * the mirror it came from. */
static int write_state(rst *x, const char *url)
{
	const char *name = json_string_value(json_object_get(x->man, "name"));
	cv_mentry *m = calloc(1, sizeof *m);
	if (!m)
		return cv__oom();
	x->st.mirrors = m;
	x->st.nmirrors = 1;
	snprintf(m->name, sizeof m->name, "%s", name ? name : "origin");
	snprintf(m->url, sizeof m->url, "%s", url);
	cv__now_iso(m->added);
	return cv__mstate_save(&x->st, x->k);
}

static int finish_files(rst *x)
{
	int fd = open(x->k->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cv__err(CV_ERROR, "cannot create %s: %s", x->k->lock_path, strerror(errno));
	close(fd);
	CV_TRY(cv__write_file_atomic(x->k->config_path, x->hdr.data, x->hdr.len, 0600));
	return cv__fsync_dir(x->k->dir);
}

/* Open the result as the acting user: an admin; the catalog must describe
 * the snapshot's commit and journal head; the restore is journaled. */
static int adopt(cv_restore_result *out, rst *x, const char *dir, const cv_open_options *opts)
{
	cv_archive *a = NULL;
	CV_TRY(cv_archive_open(&a, dir, opts));
	char *head = NULL;
	uint64_t seq = 0;
	unsigned char h[32];
	char hh[65];
	int rc = cv__access_check(a, "archive.restore", NULL);
	if (!rc)
		rc = cv__catalog_meta_get(a->cat, "head", &head);
	if (!rc)
		rc = cv__journal_head(a->cat, &seq, h);
	cv__hex(hh, h, 32);
	if (!rc && (!head || strcmp(head, x->snap.commit) || seq != x->snap.journal_seq || strcmp(hh, x->snap.journal_head)))
		rc = cv__err(CV_EDAMAGED, "snapshot %llu does not describe what the mirror's manifest says (commit or journal "
			"head differ)", (unsigned long long)x->snap.seq);
	char obj[160], mc[41];
	git_oid_tostr(mc, sizeof mc, &x->mc);
	snprintf(obj, sizeof obj, "mirror:%.12s snapshot:%llu", mc, (unsigned long long)x->snap.seq);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "archive.restore", obj, "ok");
	if (!rc) {
		out->snapshot = x->snap.seq;
		snprintf(out->commit, sizeof out->commit, "%s", x->snap.commit);
		out->journal_seq = x->snap.journal_seq;
		snprintf(out->journal_head, sizeof out->journal_head, "%s", x->snap.journal_head);
		snprintf(out->taken, sizeof out->taken, "%s", x->snap.taken);
	}
	free(head);
	cv_archive_free(a);
	return rc;
}

static void rst_dispose(rst *x)
{
	git_repository_free(x->data);
	free(x->gitdir);
	cv__mstate_dispose(&x->st);
	free(x->all);
	json_decref(x->man);
	cv__buf_dispose(&x->hdr);
	cv_archive_free(x->k);
}

CV_EXTERN(int) cv_archive_restore(cv_restore_result *out, const char *url, const char *dir, uint64_t snapshot,
	const cv_open_options *opts)
{
	CV_TRY(cv__result_begin(out, sizeof *out, CV_RESTORE_RESULT_VERSION, "restore result"));
	if (!url || !*url || !dir || !*dir)
		return cv__err(CV_EINVAL, "restore needs a mirror URL and a target directory");
	CV_TRY(cv__store_global_init());
	CV_TRY(empty_target(dir));
	rst x;
	memset(&x, 0, sizeof x);
	x.gitdir = cv__path_join(dir, "git");
	int rc = x.gitdir ? 0 : cv__oom();
	if (!rc)
		rc = load_mirror(&x, url, dir, snapshot, opts);
	if (!rc)
		rc = write_catalog(&x);
	if (!rc)
		rc = set_branch(&x);
	if (!rc)
		rc = write_state(&x, url);
	if (!rc)
		rc = finish_files(&x);
	rst_dispose(&x);
	if (!rc)
		rc = adopt(out, &x, dir, opts);
	if (rc) {
		/* the directory was new or empty: leave nothing half-restored */
		char *keep = strdup(cv_error_last()->message);
		int code = rc;
		cv__rmtree_quiet(dir);
		if (keep) {
			rc = cv__err(code, "%s", keep);
			free(keep);
		}
		return cv__err_prefix("restore into %s", dir);
	}
	return 0;
}
