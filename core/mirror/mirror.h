/* Mirrors: what push, rotate, restore and the list share (docs/recovery.md).
 *
 * A mirror is a bare git repository with two refs: refs/heads/main (the
 * archive's branch, its encrypted objects) and refs/casevault/mirror, one
 * commit whose first parent is the archive commit the newest snapshot
 * describes and whose tree is
 *     archive.json        the archive's header (id, KDF, key check)
 *     keyring.json        the live epochs' keys, wrapped (state.h)
 *     manifest.json       the snapshots, what each describes
 *     snapshots/<seq>.cms catalog snapshots, sealed under their epoch
 * The mirror commit has no history of its own: when it moves, older
 * keyrings are no longer reachable (and are removed from a local mirror).
 * Objects are staged in a scratch repository next to the archive
 * (DIR/mirror-stage, alternates to DIR/git) that is removed afterwards.
 * Not thread-safe: one archive handle, one push at a time (DIR/mirror.lock). */
#ifndef CV_MIRROR_MIRROR_H
#define CV_MIRROR_MIRROR_H

#include "mirror/state.h"

#define CV_MIRROR_REF "refs/casevault/mirror"
#define CV_MIRROR_MAX_CATALOG ((size_t)8 << 30)

/** Remove a directory tree (no error when absent). */
int cv__rmtree(const char *path);
/** The same on a cleanup path: no error recorded (the caller's stays). */
void cv__rmtree_quiet(const char *path);
/** A URL that names a directory on this machine (a path or file://):
 * *path gets the directory (malloc'd). 0 with *path NULL for others. */
int cv__mirror_local_path(char **path, const char *url);
/** A scratch bare repository at `path` whose object store also reads
 * `alternate` (an objects directory), created afresh; `have` (may be NULL),
 * a commit the alternate holds, gets a ref so that fetches skip its history. */
int cv__mirror_stage(git_repository **out, const char *path, const char *alternate, const git_oid *have);
/** Tell libgit2's pack builder not to look for deltas (ciphertext). */
int cv__mirror_no_delta(git_repository *r);
/** What the remote callbacks of one connection share (ssh.c). */
typedef struct cv_remote_ctx {
	const char *url;
	char refused[512];     /* why a host key or the credentials were refused */
	char rejected[512];    /* a ref the mirror refused to update */
	unsigned tried_agent, tried_user, tried_files;
} cv_remote_ctx;
/** Remote callbacks: ssh host key against ~/.ssh/known_hosts, credentials
 * from ssh-agent or the user's key files. */
void cv__mirror_callbacks(git_remote_callbacks *cb, cv_remote_ctx *x);
int cv__mirror_check_host(git_cert *cert, int valid, const char *host, void *payload);
int cv__mirror_credentials(git_credential **out, const char *url, const char *user, unsigned int allowed,
	void *payload);
/** Why a libgit2 call on a remote failed, in the words of the callbacks
 * when they refused something. */
const char *cv__mirror_reason(const cv_remote_ctx *x);
/** Read a blob at `path` in the tree of commit `commit` (malloc'd). */
int cv__mirror_read(cv_buf *out, git_repository *repo, const git_oid *commit, const char *path);
/** Rewrite a local repository's packs so that only what its refs reach
 * stays: in a mirror, old keyrings and the snapshots of destroyed epochs are
 * gone from disk; in a restored archive, everything of the mirror's own. */
int cv__mirror_prune(const char *path);
/** Push to one mirror (push.c); `prune` for rotate. */
int cv__mirror_push_one(cv_mirror_push_result *out, cv_archive *a, const char *name, int prune);
/** The mirror-wide lock (DIR/mirror.lock): one push or rotate at a time. */
int cv__mirror_lock(cv_archive *a, int *fd);
void cv__mirror_unlock(int fd);

#endif
