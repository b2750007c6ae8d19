#include "util/buf.h"
#include "store/store.h"
#include "store/packread.h"
#include "util/error.h"
#include "util/fs.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_rc;

static void global_init(void)
{
	if (git_libgit2_init() < 0) {
		/* its global state (allocators, thread keys, caches) could not be
		 * set up: memory, in every case we have seen (tests/fault) */
		g_init_rc = -1;
		return;
	}
	/* Durability: packs, indexes and refs are fsynced by libgit2. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/* Trees refer to blobs of the operation's pack before it is indexed;
	 * casevault guarantees they land in the same pack. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	/* Keep mapped pack windows small so that reading a 1 GiB document
	 * does not map it all. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)4 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, (size_t)128);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB, (size_t)0);
	/* The fan-out trees (cases/xx, cases/xx/yy) are larger than libgit2's
	 * default 4 KiB limit for cached trees: without this, every path lookup
	 * re-reads and re-inflates them (verify of 100,000 cases spent half its
	 * time there). */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)1 << 20);
}

int cv__store_global_init(void)
{
	pthread_once(&g_once, global_init);
	if (g_init_rc)
		return cv__err(CV_ENOMEM, "the git library could not start: out of memory (or the process's thread "
			"resources are exhausted)");
	return 0;
}

int cv__store_create(const char *gitdir)
{
	CV_TRY(cv__store_global_init());
	git_repository *repo = NULL;
	git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	o.description = "casevault encrypted case store (opaque ids only)";
	if (git_repository_init_ext(&repo, gitdir, &o) < 0)
		return cv__err(CV_ERROR, "cannot create git repository %s: %s", gitdir, cv__git_reason());
	git_repository_free(repo);
	return cv__fsync_dir(gitdir);
}

int cv__store_open(cv_store **out, const char *gitdir)
{
	CV_TRY(cv__store_global_init());
	cv_store *s = calloc(1, sizeof *s);
	if (!s)
		return cv__oom();
	s->gitdir = strdup(gitdir);
	s->pack_dir = cv__path_join(gitdir, "objects/pack");
	if (!s->gitdir || !s->pack_dir) {
		cv__store_free(s);
		return cv__oom();
	}
	/* libgit2 1.5 reports some failed allocations while it validates the
	 * directory as "not a repository": one more try tells a passing
	 * shortage from a directory that is not one (tests/fault). */
	if (git_repository_open_bare(&s->repo, gitdir) < 0 && git_repository_open_bare(&s->repo, gitdir) < 0) {
		int rc = cv__err(cv__git_code(CV_EDAMAGED), "cannot open git repository %s: %s", gitdir, cv__git_reason());
		cv__store_free(s);
		return rc;
	}
	if (git_repository_odb(&s->odb, s->repo) < 0 || git_mempack_new(&s->mempack) < 0 ||
		git_odb_add_backend(s->odb, s->mempack, 1000) < 0) {
		int rc = cv__err(CV_ERROR, "cannot set up object database of %s: %s", gitdir, cv__git_reason());
		cv__store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void cv__store_free(cv_store *s)
{
	if (!s)
		return;
	/* The odb owns the mempack backend once added. */
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	cv__packread_free(s->reader);
	git_odb_backend_data_free(NULL, s->unhashed);
	free(s->made);
	free(s->gitdir);
	free(s->pack_dir);
	free(s);
}

int cv__store_head(cv_store *s, git_oid *out)
{
	git_reference *ref = NULL;
	int e = git_reference_lookup(&ref, s->repo, CV_BRANCH);
	if (e == GIT_ENOTFOUND)
		return cv__err(CV_ENOTFOUND, "branch %s does not exist yet", CV_BRANCH);
	if (e < 0)
		return cv__err(cv__git_code(CV_EDAMAGED), "cannot read branch %s: %s", CV_BRANCH, cv__git_reason());
	const git_oid *id = git_reference_target(ref);
	if (!id) {
		git_reference_free(ref);
		return cv__err(CV_EDAMAGED, "branch %s is not a direct reference", CV_BRANCH);
	}
	git_oid_cpy(out, id);
	git_reference_free(ref);
	return 0;
}

int cv__store_read_blob(cv_store *s, const git_oid *oid, git_odb_object **out)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, oid);
	int e = git_odb_read(out, s->odb, oid);
	if (e == GIT_ENOTFOUND)
		return cv__err(CV_EDAMAGED, "object %s is missing from the git repository", hex);
	if (e < 0)
		return cv__err(cv__git_code(CV_EDAMAGED), "object %s cannot be read: %s", hex, cv__git_reason());
	if (git_odb_object_type(*out) != GIT_OBJECT_BLOB) {
		git_odb_object_free(*out);
		*out = NULL;
		return cv__err(CV_EDAMAGED, "object %s is not a blob", hex);
	}
	return 0;
}

int cv__store_exists(cv_store *s, const git_oid *oid)
{
	return git_odb_exists(s->odb, oid);
}

int cv__store_hash_blob(git_oid *out, const void *data, size_t len)
{
	return cv__object_id(out, GIT_OBJECT_BLOB, data, len);
}

int cv__store_reopen(cv_store *s)
{
	/* libgit2 keeps removed packs open; start afresh so that objects of a
	 * discarded operation are not believed to exist. */
	git_odb *odb = NULL;
	git_odb_backend *mp = NULL;
	git_repository *repo = NULL;
	if (git_repository_open_bare(&repo, s->gitdir) < 0 || git_repository_odb(&odb, repo) < 0 ||
		git_mempack_new(&mp) < 0 || git_odb_add_backend(odb, mp, 1000) < 0) {
		git_odb_free(odb);
		git_repository_free(repo);
		return cv__err(CV_ERROR, "cannot reopen git repository %s: %s", s->gitdir, cv__git_reason());
	}
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	s->repo = repo;
	s->odb = odb;
	s->mempack = mp;
	s->nmade = 0;
	return 0;
}

void cv__store_reset(cv_store *s)
{
	git_mempack_reset(s->mempack);
	s->nmade = 0;
}

static int record_made(cv_store *s, const git_oid *oid)
{
	CV_TRY(cv__grow((void **)&s->made, &s->capmade, s->nmade, sizeof *s->made));
	git_oid_cpy(&s->made[s->nmade++], oid);
	return 0;
}

/* Git's tree order: names compared bytewise, a subtree's name as if it
 * ended with '/'. */
static int tree_order(const void *pa, const void *pb)
{
	const cv_tree_entry *a = *(const cv_tree_entry *const *)pa, *b = *(const cv_tree_entry *const *)pb;
	size_t la = strlen(a->name), lb = strlen(b->name), m = la < lb ? la : lb;
	int c = memcmp(a->name, b->name, m);
	if (c)
		return c;
	unsigned ca = la > m ? (unsigned char)a->name[m] : a->is_tree ? '/' : 0;
	unsigned cb = lb > m ? (unsigned char)b->name[m] : b->is_tree ? '/' : 0;
	return (int)ca - (int)cb;
}

/* Serialised here and handed to the in-memory backend directly: libgit2's
 * tree builder writes through git_odb_write, whose existence check rescans
 * the pack directory on every miss, and a case of 2,000 documents made
 * 2,000 such scans (60 % of an ingest's commit). `git fsck --strict` in the
 * tests checks what this produces. */
/* A tree's serialised form, in git's order; entries' names are checked. */
static int tree_serialise(cv_buf *b, const cv_tree_entry *e, size_t n)
{
	const cv_tree_entry **sorted = malloc((n ? n : 1) * sizeof *sorted);
	if (!sorted)
		return cv__oom();
	for (size_t i = 0; i < n; i++)
		sorted[i] = &e[i];
	qsort(sorted, n, sizeof *sorted, tree_order);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const char *name = sorted[i]->name;
		if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
			rc = cv__err(CV_ERROR, "internal error: '%s' is not a valid tree entry name", name);
		else if (i && !strcmp(name, sorted[i - 1]->name))
			rc = cv__err(CV_ERROR, "internal error: tree entry '%s' appears twice", name);
		else if (!(rc = cv__buf_puts(b, sorted[i]->is_tree ? "40000 " : "100644 ")) &&
			!(rc = cv__buf_put(b, name, strlen(name) + 1)))
			rc = cv__buf_put(b, sorted[i]->oid.id, GIT_OID_RAWSZ);
	}
	free(sorted);
	return rc;
}

int cv__tree_id(const cv_tree_entry *e, size_t n, git_oid *out)
{
	cv_buf b = CV_BUF_INIT;
	int rc = tree_serialise(&b, e, n);
	if (!rc)
		rc = cv__object_id(out, GIT_OBJECT_TREE, b.data, b.len);
	cv__buf_dispose(&b);
	return rc;
}

int cv__store_make_tree(cv_store *s, const cv_tree_entry *e, size_t n, git_oid *out)
{
	cv_buf b = CV_BUF_INIT;
	int rc = tree_serialise(&b, e, n);
	if (!rc)
		rc = cv__object_id(out, GIT_OBJECT_TREE, b.data, b.len);
	if (!rc && git_odb_exists_ext(s->odb, out, GIT_ODB_LOOKUP_NO_REFRESH) != 1) {
		if (s->mempack->write(s->mempack, out, b.data, b.len, GIT_OBJECT_TREE) < 0)
			rc = cv__err(CV_ERROR, "cannot write tree: %s", cv__git_reason());
		else
			rc = record_made(s, out);
	}
	cv__buf_dispose(&b);
	return rc;
}

/* Below git_odb_read: no SHA-1 is computed and no object is cached. Full
 * verify authenticates every chunk with AES-GCM and its keyed hash, which a
 * SHA-1 of the same bytes (libgit2 1.5's collision-detecting SHA-1 was 40 %
 * of a full verify) adds nothing to. The pack reader (packread.c) serves
 * what it can; the on-disk backends' own read the rest. */
/* An object from the on-disk backends (never the in-memory one), neither
 * hashed nor cached; `*data` is the library's to free
 * (git_odb_backend_data_free). */
static int backend_read(cv_store *s, const git_oid *oid, void **data, size_t *len, git_object_t *type)
{
	size_t nb = git_odb_num_backends(s->odb);
	for (size_t b = 0; b < nb; b++) {
		git_odb_backend *be = NULL;
		if (git_odb_get_backend(&be, s->odb, b) < 0 || !be->read || be == s->mempack)
			continue;
		int e = be->read(data, len, type, be, oid);
		if (e == 0)
			return 0;
		if (e != GIT_ENOTFOUND)
			return cv__err(cv__git_code(CV_EDAMAGED), "object cannot be read: %s", cv__git_reason());
	}
	return cv__err(CV_EDAMAGED, "object is missing");
}

int cv__store_read_unhashed(cv_store *s, const git_oid *oid, const void **data, size_t *len)
{
	if (!s->reader && !s->reader_failed && cv__packread_open(&s->reader, s->pack_dir) != 0) {
		s->reader_failed = 1;
		cv_error_clear();
	}
	int again = git_oid_equal(oid, &s->reader_last);
	if (s->reader && !again && cv__packread_blob(s->reader, oid, data, len) == 0) {
		git_oid_cpy(&s->reader_last, oid);
		return 0;
	}
	memset(&s->reader_last, 0, sizeof s->reader_last);
	git_odb_backend_data_free(NULL, s->unhashed);
	s->unhashed = NULL;
	git_object_t type = GIT_OBJECT_INVALID;
	void *d = NULL;
	CV_TRY(backend_read(s, oid, &d, len, &type));
	s->unhashed = d; /* freed at the next read or with the store */
	*data = d;
	return type == GIT_OBJECT_BLOB ? 0 : cv__err(CV_EDAMAGED, "object is not a blob");
}

int cv__store_read_verified(cv_store *s, const git_oid *oid)
{
	void *d = NULL;
	size_t len = 0;
	git_object_t type = GIT_OBJECT_INVALID;
	CV_TRY(backend_read(s, oid, &d, &len, &type));
	git_oid got;
	int rc = git_odb_hash(&got, d, len, type) < 0 ? cv__err(cv__git_code(CV_EDAMAGED), "object cannot be hashed: %s", cv__git_reason())
		: !git_oid_equal(&got, oid) ? cv__err(CV_EDAMAGED, "object hash mismatch (its content is not the object)") : 0;
	git_odb_backend_data_free(NULL, d);
	return rc;
}

int cv__store_lookup(cv_store *s, const git_oid *tree, const char *path, git_oid *out, int *is_tree)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	if (git_tree_lookup(&t, s->repo, tree) < 0)
		return cv__err(cv__git_code(CV_EDAMAGED), "tree cannot be read: %s", cv__git_reason());
	int r = git_tree_entry_bypath(&e, t, path);
	git_tree_free(t);
	if (r == GIT_ENOTFOUND)
		return cv__err(CV_ENOTFOUND, "%s is not in the tree", path);
	if (r < 0)
		return cv__err(cv__git_code(CV_EDAMAGED), "tree lookup of %s: %s", path, cv__git_reason());
	git_oid_cpy(out, git_tree_entry_id(e));
	if (is_tree)
		*is_tree = git_tree_entry_type(e) == GIT_OBJECT_TREE;
	git_tree_entry_free(e);
	return 0;
}

int cv__store_list_tree(cv_store *s, const git_oid *tree, cv_tree_entry **out, size_t *n)
{
	git_tree *t = NULL;
	if (git_tree_lookup(&t, s->repo, tree) < 0)
		return cv__err(cv__git_code(CV_EDAMAGED), "tree cannot be read: %s", cv__git_reason());
	size_t cnt = git_tree_entrycount(t);
	cv_tree_entry *e = calloc(cnt ? cnt : 1, sizeof *e);
	if (!e) {
		git_tree_free(t);
		return cv__oom();
	}
	for (size_t i = 0; i < cnt; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		e[i].name = strdup(git_tree_entry_name(te));
		git_oid_cpy(&e[i].oid, git_tree_entry_id(te));
		e[i].is_tree = git_tree_entry_type(te) == GIT_OBJECT_TREE;
		if (!e[i].name) {
			cv__store_list_free(e, i);
			git_tree_free(t);
			return cv__oom();
		}
	}
	git_tree_free(t);
	*out = e;
	*n = cnt;
	return 0;
}

void cv__store_list_free(cv_tree_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)e[i].name);
	free(e);
}

/* A tree builder holding `tree`'s entries (an empty one for NULL). */
static int builder_on(cv_store *s, const git_oid *tree, git_treebuilder **tb)
{
	git_tree *t = NULL;
	if (tree && git_tree_lookup(&t, s->repo, tree) < 0)
		return cv__err(cv__git_code(CV_EDAMAGED), "tree cannot be read: %s", cv__git_reason());
	int r = git_treebuilder_new(tb, s->repo, t);
	git_tree_free(t);
	return r < 0 ? cv__err(cv__git_code(CV_ERROR), "tree builder: %s", cv__git_reason()) : 0;
}

static int set_path(cv_store *s, const git_oid *tree, const char *const *comp, size_t n, const git_oid *leaf,
	git_oid *out, int *empty, int is_root)
{
	git_treebuilder *tb = NULL;
	int rc = 0;
	CV_TRY(builder_on(s, tree, &tb));
	if (n == 1) {
		if (leaf) {
			if (git_treebuilder_insert(NULL, tb, comp[0], leaf, GIT_FILEMODE_TREE) < 0)
				rc = cv__err(CV_ERROR, "tree entry %s: %s", comp[0], cv__git_reason());
		} else if (git_treebuilder_get(tb, comp[0])) {
			git_treebuilder_remove(tb, comp[0]);
		}
	} else {
		const git_tree_entry *e = git_treebuilder_get(tb, comp[0]);
		git_oid sub, newsub;
		int has = e && git_tree_entry_type(e) == GIT_OBJECT_TREE, subempty = 0;
		if (has)
			git_oid_cpy(&sub, git_tree_entry_id(e));
		rc = set_path(s, has ? &sub : NULL, comp + 1, n - 1, leaf, &newsub, &subempty, 0);
		if (!rc) {
			if (subempty) {
				if (e)
					git_treebuilder_remove(tb, comp[0]);
			} else if (git_treebuilder_insert(NULL, tb, comp[0], &newsub, GIT_FILEMODE_TREE) < 0) {
				rc = cv__err(CV_ERROR, "tree entry %s: %s", comp[0], cv__git_reason());
			}
		}
	}
	if (!rc) {
		*empty = git_treebuilder_entrycount(tb) == 0;
		if (!*empty || is_root) {
			if (git_treebuilder_write(out, tb) < 0)
				rc = cv__err(CV_ERROR, "cannot write tree: %s", cv__git_reason());
			else
				rc = record_made(s, out);
		}
	}
	git_treebuilder_free(tb);
	return rc;
}

static void case_path(char comp[3][3], const char *case_id, const char *parts[4])
{
	memcpy(comp[0], case_id, 2);
	comp[0][2] = '\0';
	memcpy(comp[1], case_id + 2, 2);
	comp[1][2] = '\0';
	parts[0] = "cases";
	parts[1] = comp[0];
	parts[2] = comp[1];
	parts[3] = case_id;
}

int cv__store_set_case(cv_store *s, const git_oid *root, const char *case_id, const git_oid *case_tree, git_oid *new_root)
{
	char comp[3][3];
	const char *parts[4];
	int empty = 0;
	if (strlen(case_id) < 4)
		return cv__err(CV_EINVAL, "case id too short");
	case_path(comp, case_id, parts);
	return set_path(s, root, parts, 4, case_tree, new_root, &empty, 1);
}

/* Many cases at once: one pass over the sharded directories, each touched
 * tree rebuilt once (a sweep batch touches hundreds of cases). `ch` must be
 * sorted by id, one change per id. */
static int apply_changes(cv_store *s, const git_oid *tree, const cv_case_change *ch, size_t n, int level, git_oid *out,
	int *empty)
{
	static const char *const ROOT_NAME = "cases";
	git_treebuilder *tb = NULL;
	int rc = 0;
	CV_TRY(builder_on(s, tree, &tb));
	size_t i = 0;
	while (!rc && i < n) {
		char name[48];
		size_t j = i + 1;
		if (level == 0) {
			snprintf(name, sizeof name, "%s", ROOT_NAME);
			j = n;
		} else if (level == 3) {
			snprintf(name, sizeof name, "%s", ch[i].id);
		} else {
			size_t off = level == 1 ? 0 : 2;
			snprintf(name, sizeof name, "%.2s", ch[i].id + off);
			while (j < n && !strncmp(ch[j].id + off, ch[i].id + off, 2))
				j++;
		}
		if (level == 3) {
			if (!ch[i].remove) {
				if (git_treebuilder_insert(NULL, tb, name, &ch[i].tree, GIT_FILEMODE_TREE) < 0)
					rc = cv__err(CV_ERROR, "tree entry %s: %s", name, cv__git_reason());
			} else if (git_treebuilder_get(tb, name)) {
				git_treebuilder_remove(tb, name);
			}
		} else {
			const git_tree_entry *e = git_treebuilder_get(tb, name);
			git_oid sub, newsub;
			int has = e && git_tree_entry_type(e) == GIT_OBJECT_TREE, subempty = 0;
			if (has)
				git_oid_cpy(&sub, git_tree_entry_id(e));
			rc = apply_changes(s, has ? &sub : NULL, ch + i, j - i, level + 1, &newsub, &subempty);
			if (!rc) {
				if (subempty) {
					if (e)
						git_treebuilder_remove(tb, name);
				} else if (git_treebuilder_insert(NULL, tb, name, &newsub, GIT_FILEMODE_TREE) < 0) {
					rc = cv__err(CV_ERROR, "tree entry %s: %s", name, cv__git_reason());
				}
			}
		}
		i = j;
	}
	if (!rc) {
		*empty = git_treebuilder_entrycount(tb) == 0;
		if (!*empty || level == 0) {
			if (git_treebuilder_write(out, tb) < 0)
				rc = cv__err(CV_ERROR, "cannot write tree: %s", cv__git_reason());
			else
				rc = record_made(s, out);
		}
	}
	git_treebuilder_free(tb);
	return rc;
}

int cv__store_set_cases(cv_store *s, const git_oid *root, const cv_case_change *changes, size_t n, git_oid *new_root)
{
	int empty = 0;
	for (size_t i = 0; i < n; i++)
		if (strlen(changes[i].id) < 4)
			return cv__err(CV_EINVAL, "case id too short");
	return apply_changes(s, root, changes, n, 0, new_root, &empty);
}

int cv__store_get_case(cv_store *s, const git_oid *root, const char *case_id, git_oid *out)
{
	char path[128];
	if (strlen(case_id) < 4 || strlen(case_id) > 64)
		return cv__err(CV_EINVAL, "bad case id");
	snprintf(path, sizeof path, "cases/%.2s/%.2s/%s", case_id, case_id + 2, case_id);
	int is_tree = 0;
	CV_TRY(cv__store_lookup(s, root, path, out, &is_tree));
	if (!is_tree)
		return cv__err(CV_EDAMAGED, "%s is not a tree", path);
	return 0;
}

int cv__store_commit(cv_store *s, const git_oid *tree, const git_oid *parent, const char *msg, git_oid *out)
{
	git_tree *t = NULL;
	git_commit *p = NULL;
	git_signature *sig = NULL;
	int rc = 0;
	if (git_tree_lookup(&t, s->repo, tree) < 0)
		return cv__err(CV_ERROR, "new tree cannot be read: %s", cv__git_reason());
	if (parent && git_commit_lookup(&p, s->repo, parent) < 0) {
		git_tree_free(t);
		return cv__err(cv__git_code(CV_EDAMAGED), "parent commit cannot be read: %s", cv__git_reason());
	}
	if (git_signature_now(&sig, "casevault", "casevault@localhost") < 0) {
		rc = cv__err(CV_ERROR, "signature: %s", cv__git_reason());
	} else {
		const git_commit *parents[1] = { p };
		if (git_commit_create(out, s->repo, NULL, sig, sig, "UTF-8", msg, t, p ? 1 : 0, parents) < 0)
			rc = cv__err(CV_ERROR, "cannot create commit: %s", cv__git_reason());
		else
			rc = record_made(s, out);
	}
	git_signature_free(sig);
	git_commit_free(p);
	git_tree_free(t);
	return rc;
}

/* Read raw from the object database (libgit2 checks its hash) rather than
 * through git_commit_lookup: verify walks every commit once, and parsed
 * commits would fill the object cache for nothing. */
int cv__store_commit_info(cv_store *s, const git_oid *commit, git_oid *tree, git_oid *parent, int *has_parent, char **message)
{
	git_odb_object *o = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, commit);
	if (git_odb_read(&o, s->odb, commit) < 0)
		return cv__err(cv__git_code(CV_EDAMAGED), "commit %s cannot be read: %s", hex, cv__git_reason());
	const char *d = git_odb_object_data(o), *end = d + git_odb_object_size(o);
	const char *body = git_odb_object_type(o) == GIT_OBJECT_COMMIT ? memmem(d, (size_t)(end - d), "\n\n", 2) : NULL;
	git_oid t;
	int rc = 0;
	if (!body || end - d < 46 || memcmp(d, "tree ", 5) || git_oid_fromstrn(&t, d + 5, GIT_OID_HEXSZ) < 0 || d[45] != '\n')
		rc = cv__err(CV_EDAMAGED, "commit %s is malformed", hex);
	const char *p = d + 46;
	int np = 0;
	if (!rc && end - p >= 48 && !memcmp(p, "parent ", 7)) {
		if (parent && git_oid_fromstrn(parent, p + 7, GIT_OID_HEXSZ) < 0)
			rc = cv__err(CV_EDAMAGED, "commit %s is malformed", hex);
		np = 1;
	}
	if (!rc && tree)
		git_oid_cpy(tree, &t);
	if (!rc && has_parent)
		*has_parent = np;
	if (!rc && message && !(*message = strndup(body + 2, (size_t)(end - body - 2))))
		rc = cv__oom();
	git_odb_object_free(o);
	return rc;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

int cv__store_pack_made(cv_store *s, cv_packw *w)
{
	/* The same tree can be built twice in one operation; a pack must not
	 * hold an object twice. */
	qsort(s->made, s->nmade, sizeof *s->made, oid_cmp);
	for (size_t i = 0; i < s->nmade; i++) {
		if (i && git_oid_equal(&s->made[i], &s->made[i - 1]))
			continue;
		if (!s->mempack->exists(s->mempack, &s->made[i]))
			continue; /* stored by an earlier operation */
		git_odb_object *o = NULL;
		if (git_odb_read(&o, s->odb, &s->made[i]) < 0)
			return cv__err(CV_ERROR, "cannot read back new object: %s", cv__git_reason());
		int rc = cv__packw_add(w, git_odb_object_type(o), git_odb_object_data(o), git_odb_object_size(o), 1, NULL);
		git_odb_object_free(o);
		CV_TRY(rc);
	}
	return 0;
}

void cv__store_clear_stale_locks(cv_store *s)
{
	/* Only called under the archive's writer lock: no other casevault
	 * writer can be updating a ref, so a lock file left here is from a
	 * process that was killed, and git would refuse every update. */
	static const char *const locks[] = { "refs/heads/main.lock", "packed-refs.lock", "HEAD.lock", "config.lock" };
	for (size_t i = 0; i < sizeof locks / sizeof *locks; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", s->gitdir, locks[i]);
		unlink(p);
	}
}

int cv__store_move_ref(cv_store *s, const git_oid *new_id, const git_oid *old_id)
{
	git_reference *ref = NULL;
	int e;
	if (old_id)
		e = git_reference_create_matching(&ref, s->repo, CV_BRANCH, new_id, 1, old_id, "casevault");
	else
		e = git_reference_create(&ref, s->repo, CV_BRANCH, new_id, 0, "casevault");
	git_reference_free(ref);
	if (e == GIT_EMODIFIED || e == GIT_EEXISTS)
		return cv__err(CV_EBUSY, "branch %s moved under us (compare-and-swap failed)", CV_BRANCH);
	if (e < 0)
		return cv__err(CV_ERROR, "cannot move branch %s: %s", CV_BRANCH, cv__git_reason());
	return 0;
}

/* libgit2 1.5 files some allocation failures under other classes: zlib
 * failing to start (only ever for memory), a tree builder that could not
 * hold one more entry ("failed to append entry" when writing it, "failed
 * to insert" when its name map could not grow: both only for memory) */
static int git_oom(const git_error *e)
{
	return e && (e->klass == GIT_ERROR_NOMEMORY ||
		(e->klass == GIT_ERROR_ZLIB && e->message && strstr(e->message, "init")) ||
		(e->klass == GIT_ERROR_TREE && e->message &&
			(strstr(e->message, "failed to append entry") || strstr(e->message, "failed to insert"))));
}

const char *cv__git_reason(void)
{
	const git_error *e = git_error_last();
	if (git_oom(e))
		return "out of memory";
	return e && e->message ? e->message : "unknown libgit2 error";
}

int cv__git_code(int code)
{
	return git_oom(git_error_last()) ? CV_ENOMEM : code;
}
