/* The git side of the archive: a bare repository written with libgit2.
 *
 * Trees and commits are built in a libgit2 mempack backend and then written,
 * with the operation's blobs, into the operation's pack (pack.h), so one
 * operation is made durable with one indexed pack. The branch moves with
 * compare-and-swap only after that. Case trees live at
 * cases/<id[0:2]>/<id[2:4]>/<id>, so a commit touching one case rewrites a
 * handful of trees whatever the size of the archive.
 * A cv_store belongs to one archive handle; not thread-safe. */
#ifndef CV_STORE_STORE_H
#define CV_STORE_STORE_H

#include <git2.h>
#include "store/pack.h"

#define CV_BRANCH "refs/heads/main"

typedef struct cv_store {
	git_repository *repo;
	git_odb *odb;
	git_odb_backend *mempack;
	char *gitdir;
	char *pack_dir;
	git_oid *made;
	size_t nmade, capmade;
	struct cv_packread *reader; /* cv__store_read_unhashed's, opened at first use */
	int reader_failed;
	git_oid reader_last;        /* read again: through libgit2, whose checks say what is wrong */
	void *unhashed;             /* the last object libgit2 read for it */
} cv_store;

typedef struct cv_tree_entry {
	const char *name;
	git_oid oid;
	int is_tree;
} cv_tree_entry;

int cv__store_global_init(void);
int cv__store_create(const char *gitdir);
int cv__store_open(cv_store **out, const char *gitdir);
void cv__store_free(cv_store *s);

/** Current branch head; CV_ENOTFOUND before the first commit. */
int cv__store_head(cv_store *s, git_oid *out);
/** Read an object (the hash is verified by libgit2); must be a blob. */
int cv__store_read_blob(cv_store *s, const git_oid *oid, git_odb_object **out);
int cv__store_exists(cv_store *s, const git_oid *oid);
/** A blob's bytes straight from the packs or loose objects, its SHA-1 not
 * checked: only for a caller that authenticates the content itself. The
 * bytes belong to the store and stay valid until its next such read. */
int cv__store_read_unhashed(cv_store *s, const git_oid *oid, const void **data, size_t *len);
/** Read an object and check that its content hashes to its id (libgit2's
 * SHA-1), without keeping it in any cache: 0 or CV_EDAMAGED with why. */
int cv__store_read_verified(cv_store *s, const git_oid *oid);
/** Reopen the repository (after an aborted operation removed packs). */
int cv__store_reopen(cv_store *s);
/** Object id of a blob without storing it. */
int cv__store_hash_blob(git_oid *out, const void *data, size_t len);

/** Forget trees and commits built but not written (start or abort of an operation). */
void cv__store_reset(cv_store *s);
int cv__store_make_tree(cv_store *s, const cv_tree_entry *e, size_t n, git_oid *out);
/** The id `cv__store_make_tree` would give these entries, nothing stored
 * (verify compares the catalog's expected case tree with the branch's). */
int cv__tree_id(const cv_tree_entry *e, size_t n, git_oid *out);
/** Look up `path` ("a/b/c") under a tree. CV_ENOTFOUND if absent. */
int cv__store_lookup(cv_store *s, const git_oid *tree, const char *path, git_oid *out, int *is_tree);
/** Entries of a tree (names and ids), for verification. Caller frees names. */
int cv__store_list_tree(cv_store *s, const git_oid *tree, cv_tree_entry **out, size_t *n);
void cv__store_list_free(cv_tree_entry *e, size_t n);
/** New root with the case tree at its sharded path (NULL removes it). */
int cv__store_set_case(cv_store *s, const git_oid *root, const char *case_id, const git_oid *case_tree, git_oid *new_root);
typedef struct cv_case_change {
	char id[40];
	git_oid tree;
	int remove;
} cv_case_change;
/** Apply many case-tree changes in one pass (sorted by id, one per id). */
int cv__store_set_cases(cv_store *s, const git_oid *root, const cv_case_change *changes, size_t n, git_oid *new_root);
/** Case tree under a root, CV_ENOTFOUND if absent. */
int cv__store_get_case(cv_store *s, const git_oid *root, const char *case_id, git_oid *out);
int cv__store_commit(cv_store *s, const git_oid *tree, const git_oid *parent, const char *msg, git_oid *out);
int cv__store_commit_info(cv_store *s, const git_oid *commit, git_oid *tree, git_oid *parent, int *has_parent, char **message);
/** Append the trees and commits built since the last reset to `w`. */
int cv__store_pack_made(cv_store *s, cv_packw *w);
/** Merge small packs geometrically (after a commit, under the writer lock);
 * `force` merges every pack under 1 GiB; nothing happens while there are
 * at most `min_packs` packs (0: the default, 32). */
int cv__store_consolidate(cv_store *s, int force, size_t min_packs);
/** Remove ref lock files left by a killed process (call under the writer lock). */
void cv__store_clear_stale_locks(cv_store *s);
/** Move the branch from `old` (NULL: branch must not exist) to `new`. */
int cv__store_move_ref(cv_store *s, const git_oid *new_id, const git_oid *old_id);

/** libgit2's last error message, for messages about damaged objects
 * ("out of memory" when that was the cause). */
const char *cv__git_reason(void);
/** `code`, or CV_ENOMEM when libgit2's last failure was running out of
 * memory: an object that could not be read for want of memory is not
 * damage (tests/fault). */
int cv__git_code(int code);

#endif
