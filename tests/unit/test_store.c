/* store/store + store/pack: a bare repository written through casevault's
 * own pack writer; case trees at their sharded paths rebuilt in O(depth)
 * trees; commits; the branch moved with compare-and-swap; the result is a
 * repository `git fsck --strict` accepts; discarded packs leave nothing. */
#include "support.h"
#include "store/pack.h"
#include "store/store.h"
#include "store/packread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir, *gitdir;

static int setup(void **s)
{
	(void)s;
	dir = cvt_tmpdir("store");
	gitdir = cvt_join(dir, "git");
	return cv__store_create(gitdir) == 0 ? 0 : -1;
}

static int teardown(void **s)
{
	(void)s;
	cvt_rmrf(dir);
	free(gitdir);
	free(dir);
	return 0;
}

static int pack_files_exist(const cv_packw *w, size_t i)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/pack-%s.pack", w->pack_dir, w->written[i]);
	int a = access(p, F_OK) == 0;
	snprintf(p, sizeof p, "%s/pack-%s.idx", w->pack_dir, w->written[i]);
	int b = access(p, F_OK) == 0;
	return a + b;
}

static void case_id(char out[17], unsigned n)
{
	unsigned char b[8];
	cvt_fill(b, sizeof b, 5000 + n);
	for (int i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_write_commit_read_fsck(void **st)
{
	(void)st;
	cv_store *s = NULL;
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	git_oid head;
	assert_int_equal(cv__store_head(s, &head), CV_ENOTFOUND);

	/* blobs through the pack writer (level 0: stored blocks, as for ciphertext) */
	size_t sizes[3] = { 10, 1000, 200000 };
	unsigned char *blob[3];
	git_oid bid[3];
	cv_packw w;
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	for (int i = 0; i < 3; i++) {
		blob[i] = malloc(sizes[i]);
		cvt_fill(blob[i], sizes[i], 60 + i);
		assert_int_equal(cv__store_hash_blob(&bid[i], blob[i], sizes[i]), 0);
		git_oid got_id;
		assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, blob[i], sizes[i], 0, &got_id), 0);
		assert_true(git_oid_equal(&got_id, &bid[i])); /* the writer's id is git's */
	}

	/* a case tree and the root with it at cases/xx/yy/<id> */
	cv__store_reset(s);
	assert_int_equal(s->nmade, 0);
	cv_tree_entry ents[3] = { { "000000", bid[0], 0 }, { "000001", bid[1], 0 }, { "manifest", bid[2], 0 } };
	git_oid ct, root, got;
	assert_int_equal(cv__store_make_tree(s, ents, 3, &ct), 0);
	assert_int_equal(s->nmade, 1);
	char id[17];
	case_id(id, 0);
	assert_int_equal(cv__store_set_case(s, NULL, id, &ct, &root), 0);
	assert_int_equal(s->nmade, 1 + 4); /* root, cases, xx, yy */
	assert_int_equal(cv__store_get_case(s, &root, id, &got), 0);
	assert_true(git_oid_equal(&got, &ct));
	char path[128];
	snprintf(path, sizeof path, "cases/%.2s/%.2s/%s/manifest", id, id + 2, id);
	int is_tree = -1;
	assert_int_equal(cv__store_lookup(s, &root, path, &got, &is_tree), 0);
	assert_true(git_oid_equal(&got, &bid[2]));
	assert_int_equal(is_tree, 0);
	assert_int_equal(cv__store_lookup(s, &root, "cases/zz", &got, NULL), CV_ENOTFOUND);

	git_oid c1;
	assert_int_equal(cv__store_commit(s, &root, NULL, "casevault test\n\nJournal-Seq: 1\n", &c1), 0);
	assert_int_equal(cv__store_pack_made(s, &w), 0);
	assert_int_equal(cv__packw_flush(&w), 0);
	assert_int_equal(w.nwritten, 1);
	assert_int_equal(pack_files_exist(&w, 0), 2);
	assert_int_equal(cv__store_move_ref(s, &c1, NULL), 0);
	/* "must not exist yet" is a compare-and-swap too */
	assert_int_equal(cv__store_move_ref(s, &c1, NULL), CV_EBUSY);
	assert_int_equal(cv__store_head(s, &head), 0);
	assert_true(git_oid_equal(&head, &c1));
	cv__packw_dispose(&w);
	cv__store_reset(s);

	/* read back after the mempack was dropped: from the pack */
	for (int i = 0; i < 3; i++) {
		git_odb_object *o = NULL;
		assert_int_equal(cv__store_read_blob(s, &bid[i], &o), 0);
		assert_int_equal(git_odb_object_size(o), sizes[i]);
		assert_memory_equal(git_odb_object_data(o), blob[i], sizes[i]);
		git_odb_object_free(o);
	}
	git_odb_object *o = NULL;
	assert_int_equal(cv__store_read_blob(s, &ct, &o), CV_EDAMAGED); /* a tree is not a blob */
	assert_null(o);
	git_oid missing;
	memset(&missing, 0x42, sizeof missing);
	assert_int_equal(cv__store_read_blob(s, &missing, &o), CV_EDAMAGED);
	assert_false(cv__store_exists(s, &missing));

	/* many cases: setting one more still makes only depth+1 trees */
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	git_oid r = root;
	cv__store_reset(s);
	for (unsigned n = 1; n <= 60; n++) {
		char cid[17];
		case_id(cid, n);
		size_t before = s->nmade;
		assert_int_equal(cv__store_set_case(s, &r, cid, &ct, &r), 0);
		assert_int_equal(s->nmade - before, 4);
	}
	char last[17];
	case_id(last, 61);
	size_t before = s->nmade;
	assert_int_equal(cv__store_set_case(s, &r, last, &ct, &r), 0);
	assert_int_equal(s->nmade - before, 4);
	/* removing a case prunes the trees it leaves empty */
	assert_int_equal(cv__store_set_case(s, &r, last, NULL, &r), 0);
	assert_int_equal(cv__store_get_case(s, &r, last, &got), CV_ENOTFOUND);
	snprintf(path, sizeof path, "cases/%.2s/%.2s", last, last + 2);
	int lr = cv__store_lookup(s, &r, path, &got, NULL);
	/* (only if no other case shares the xx/yy directory) */
	int shares = 0;
	for (unsigned n = 0; n <= 60; n++) {
		char cid[17];
		case_id(cid, n);
		shares |= !strncmp(cid, last, 4);
	}
	if (!shares)
		assert_int_equal(lr, CV_ENOTFOUND);
	assert_int_equal(cv__store_get_case(s, &r, id, &got), 0);
	assert_int_equal(cv__store_set_case(s, &r, "abc", &ct, &r), CV_EINVAL);

	git_oid c2, c2tree, c2parent;
	assert_int_equal(cv__store_commit(s, &r, &c1, "casevault second\n", &c2), 0);
	assert_int_equal(cv__store_pack_made(s, &w), 0);
	if (cv__packw_flush(&w) != 0)
		fail_msg("flush: %s", cv_error_last()->message);
	/* CAS with a wrong old id: refused, branch unchanged */
	git_oid wrong = c2;
	assert_int_equal(cv__store_move_ref(s, &c2, &wrong), CV_EBUSY);
	assert_int_equal(cv__store_head(s, &head), 0);
	assert_true(git_oid_equal(&head, &c1));
	assert_int_equal(cv__store_move_ref(s, &c2, &c1), 0);
	assert_int_equal(cv__store_head(s, &head), 0);
	assert_true(git_oid_equal(&head, &c2));
	/* and now the old id is stale */
	assert_int_equal(cv__store_move_ref(s, &c1, &c1), CV_EBUSY);
	int hp = 0;
	char *msg = NULL;
	assert_int_equal(cv__store_commit_info(s, &c2, &c2tree, &c2parent, &hp, &msg), 0);
	assert_true(hp);
	assert_true(git_oid_equal(&c2parent, &c1));
	assert_true(git_oid_equal(&c2tree, &r));
	assert_string_equal(msg, "casevault second\n");
	free(msg);
	cv_tree_entry *le = NULL;
	size_t ln = 0;
	assert_int_equal(cv__store_list_tree(s, &r, &le, &ln), 0);
	assert_int_equal(ln, 1);
	assert_string_equal(le[0].name, "cases");
	assert_true(le[0].is_tree);
	cv__store_list_free(le, ln);
	cv__packw_dispose(&w);
	cv__store_reset(s);
	cv__store_free(s);
	for (int i = 0; i < 3; i++)
		free(blob[i]);

	/* git itself agrees */
	int rc = cvt_sh("git --git-dir='%s' fsck --strict --no-dangling >'%s/fsck.log' 2>&1", gitdir, dir);
	if (rc != 0) {
		char *lp = cvt_join(dir, "fsck.log");
		size_t n = 0;
		unsigned char *log = cvt_read(lp, &n);
		fail_msg("git fsck --strict exited %d:\n%s", rc, log ? (char *)log : "");
	}
	assert_int_equal(cvt_sh("test \"$(git --git-dir='%s' rev-parse refs/heads/main)\" = \"$(git --git-dir='%s' rev-parse HEAD)\"",
		gitdir, gitdir), 0);
}

/* cv__object_id is git's object id, for each type the store writes */
static void test_object_id_matches_git(void **st)
{
	(void)st;
	char *f = cvt_join(dir, "obj.bin"), *o = cvt_join(dir, "obj.id");
	unsigned char data[3000];
	cvt_fill(data, sizeof data, 77);
	size_t lens[] = { 0, 1, 3000 };
	for (size_t i = 0; i < 3; i++) {
		cvt_write(f, data, lens[i]);
		assert_int_equal(cvt_sh("git hash-object -t blob --literally '%s' >'%s'", f, o), 0);
		size_t n = 0;
		unsigned char *hex = cvt_read(o, &n);
		git_oid want, got, got2;
		assert_int_equal(git_oid_fromstrn(&want, (const char *)hex, 40), 0);
		free(hex);
		assert_int_equal(cv__object_id(&got, GIT_OBJECT_BLOB, data, lens[i]), 0);
		assert_true(git_oid_equal(&got, &want));
		assert_int_equal(cv__store_hash_blob(&got2, data, lens[i]), 0);
		assert_true(git_oid_equal(&got2, &want));
	}
	git_oid x;
	assert_int_equal(cv__object_id(&x, GIT_OBJECT_TAG, data, 1), CV_EINVAL);
	free(f);
	free(o);
}

/* Two objects with the same id cannot share a pack. */
static void test_duplicate_in_pack_refused(void **st)
{
	(void)st;
	cv_store *s = NULL;
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	cv_packw w;
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, "same", 4, 0, NULL), 0);
	assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, "same", 4, 0, NULL), 0);
	assert_true(cv__packw_flush(&w) < 0);
	assert_int_equal(w.nwritten, 0);
	cv__packw_dispose(&w);
	cv__store_free(s);
	/* nothing was left in the pack directory */
	char *pd = cvt_join(gitdir, "objects/pack");
	assert_int_equal(cvt_sh("test -z \"$(ls '%s' | grep tmp_)\"", pd), 0);
	free(pd);
}

static int in_flight(const cv_packw *w)
{
	int n = 0;
	for (int i = 0; i < CV_PACK_SLOTS; i++)
		n += w->busy[i];
	return n;
}

static void test_packw_discard(void **st)
{
	(void)st;
	cv_store *s = NULL;
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	cv_packw w;
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	unsigned char small[100];
	cvt_fill(small, sizeof small, 9);
	git_oid so, bo;
	assert_int_equal(cv__store_hash_blob(&so, small, sizeof small), 0);
	assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, small, sizeof small, 0, NULL), 0);
	assert_int_equal(w.nwritten, 0);
	/* a blob that would take the buffer over CV_PACK_FLUSH makes the writer
	 * flush what it has first, then the blob itself (it fills a pack on its
	 * own), in the background: each pack is listed once it is durable */
	size_t big = CV_PACK_FLUSH + 4096;
	unsigned char *b = malloc(big);
	cvt_fill(b, big, 10);
	assert_int_equal(cv__store_hash_blob(&bo, b, big), 0);
	assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, b, big, 0, NULL), 0);
	assert_int_equal(in_flight(&w), 2);
	assert_int_equal(w.nwritten, 0);
	assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, "x", 1, 0, NULL), 0);
	assert_int_equal(cv__packw_flush(&w), 0);
	assert_int_equal(in_flight(&w), 0);
	assert_int_equal(w.nwritten, 3);
	assert_int_equal(pack_files_exist(&w, 0), 2);
	assert_int_equal(pack_files_exist(&w, 1), 2);
	assert_int_equal(pack_files_exist(&w, 2), 2);
	assert_true(w.bytes_written > big);
	cv__packw_discard(&w);
	assert_int_equal(pack_files_exist(&w, 0), 0);
	assert_int_equal(pack_files_exist(&w, 1), 0);
	assert_int_equal(pack_files_exist(&w, 2), 0);
	cv__packw_dispose(&w);
	cv__store_free(s);
	/* a fresh look at the repository: the objects are gone */
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	assert_false(cv__store_exists(s, &so));
	assert_false(cv__store_exists(s, &bo));
	cv__store_free(s);

	/* an abort while a pack is still being written waits for it, then
	 * removes it with the rest */
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	cvt_fill(b, big, 11);
	assert_int_equal(cv__store_hash_blob(&bo, b, big), 0);
	assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, b, big, 0, NULL), 0);
	assert_int_equal(in_flight(&w), 1);
	cv__packw_discard(&w);
	assert_int_equal(in_flight(&w), 0);
	assert_int_equal(w.nwritten, 1);
	assert_int_equal(pack_files_exist(&w, 0), 0);
	cv__packw_dispose(&w);
	cv__store_free(s);
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	assert_false(cv__store_exists(s, &bo));
	cv__store_free(s);

	/* pack after pack: never more than CV_PACK_INFLIGHT in flight, and
	 * every one listed and readable once flushed */
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	git_oid many[CV_PACK_SLOTS + 2];
	for (int k = 0; k < CV_PACK_SLOTS + 2; k++) {
		cvt_fill(b, big, 20 + k);
		assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, b, big, 0, &many[k]), 0);
		assert_int_equal(in_flight(&w), k + 1 < CV_PACK_INFLIGHT ? k + 1 : CV_PACK_INFLIGHT);
	}
	assert_int_equal(cv__packw_flush(&w), 0);
	assert_int_equal(in_flight(&w), 0);
	assert_int_equal(w.nwritten, CV_PACK_SLOTS + 2);
	cv__packw_dispose(&w);
	cv__store_free(s);
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	for (int k = 0; k < CV_PACK_SLOTS + 2; k++) {
		git_odb_object *o = NULL;
		assert_int_equal(cv__store_read_blob(s, &many[k], &o), 0);
		assert_int_equal(git_odb_object_size(o), big);
		git_odb_object_free(o);
	}
	cv__store_free(s);

	/* a failure on the writer thread reaches the caller with its message */
	assert_int_equal(cv__packw_init(&w, "/nonexistent/pack", NULL), 0);
	assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, b, big, 0, NULL), 0);
	cv_error_clear();
	assert_true(cv__packw_flush(&w) < 0);
	assert_non_null(strstr(cv_error_last()->message, "/nonexistent/pack"));
	assert_int_equal(w.nwritten, 0);
	cv__packw_dispose(&w);
	free(b);
	/* flushing an empty writer writes nothing */
	assert_int_equal(cv__packw_init(&w, "/nonexistent", NULL), 0);
	assert_int_equal(cv__packw_flush(&w), 0);
	assert_int_equal(w.nwritten, 0);
	cv__packw_dispose(&w);
}

/* Ciphertext entries are zlib streams of stored blocks written by pack.c
 * itself: sizes around the 65,535-byte block limit and an empty object
 * read back through libgit2, and git's own verify-pack accepts the pack.
 * An object appended in place and then dropped leaves nothing. */
static void test_stored_blocks_and_append(void **st)
{
	(void)st;
	cv_store *s = NULL;
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	cv_packw w;
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	static const size_t sizes[] = { 0, 1, 65534, 65535, 65536, 65537, 131070, 131071, 131072, 300001 };
	enum { NS = sizeof sizes / sizeof *sizes };
	unsigned char *b = malloc(300001);
	git_oid ids[NS];
	for (size_t i = 0; i < NS; i++) {
		cvt_fill(b, sizes[i], 300 + (unsigned)i);
		assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, b, sizes[i], 0, &ids[i]), 0);
	}
	/* appended in place, then dropped */
	cv_buf *buf = NULL;
	assert_int_equal(cv__packw_append_begin(&w, 5000, &buf), 0);
	size_t before = buf->len;
	cvt_fill(b, 5000, 999);
	assert_int_equal(cv__buf_put(buf, b, 5000), 0);
	git_oid dropped;
	assert_int_equal(cv__store_hash_blob(&dropped, b, 5000), 0);
	assert_int_equal(cv__packw_append_end(&w, 0, GIT_OBJECT_BLOB, 0, NULL), 0);
	assert_int_equal(w.entries.len, before);
	/* appended in place and kept */
	git_oid kept, want;
	assert_int_equal(cv__packw_append_begin(&w, 4000, &buf), 0);
	cvt_fill(b, 4000, 1000);
	assert_int_equal(cv__buf_put(buf, b, 4000), 0);
	assert_int_equal(cv__packw_append_end(&w, 1, GIT_OBJECT_BLOB, 0, &kept), 0);
	assert_int_equal(cv__store_hash_blob(&want, b, 4000), 0);
	assert_true(git_oid_equal(&kept, &want));
	assert_int_equal(cv__packw_flush(&w), 0);
	assert_int_equal(cvt_sh("git verify-pack '%s/pack-%s.idx' >/dev/null 2>&1", s->pack_dir, w.written[0]), 0);
	cv__packw_dispose(&w);
	cv__store_free(s);
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	for (size_t i = 0; i < NS; i++) {
		git_odb_object *o = NULL;
		cvt_fill(b, sizes[i], 300 + (unsigned)i);
		assert_int_equal(cv__store_read_blob(s, &ids[i], &o), 0);
		assert_int_equal(git_odb_object_size(o), sizes[i]);
		if (sizes[i])
			assert_memory_equal(git_odb_object_data(o), b, sizes[i]);
		git_odb_object_free(o);
	}
	assert_true(cv__store_exists(s, &kept));
	assert_false(cv__store_exists(s, &dropped));
	cv__store_free(s);
	free(b);
}

/* Trees are serialised by store.c, not libgit2's tree builder: the same
 * entries give the same id in git's order (a subtree sorts as if its name
 * ended with '/'), and bad names are refused. */
static void test_tree_matches_libgit2(void **st)
{
	(void)st;
	cv_store *s = NULL;
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	git_oid x, y;
	assert_int_equal(cv__store_hash_blob(&x, "x", 1), 0);
	assert_int_equal(cv__store_hash_blob(&y, "y", 1), 0);
	cv_tree_entry e[] = { { "a.b", x, 0 }, { "a", y, 1 }, { "a-c", x, 0 }, { "a0", y, 0 }, { "b", x, 1 },
		{ "manifest", y, 0 }, { "000001", x, 0 }, { "000000", y, 0 }, { "d1", x, 1 }, { "d10", y, 1 }, { "d1.0", x, 0 } };
	size_t n = sizeof e / sizeof *e;
	git_oid ours, theirs;
	assert_int_equal(cv__store_make_tree(s, e, n, &ours), 0);
	git_treebuilder *tb = NULL;
	assert_int_equal(git_treebuilder_new(&tb, s->repo, NULL), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(git_treebuilder_insert(NULL, tb, e[i].name, &e[i].oid,
			e[i].is_tree ? GIT_FILEMODE_TREE : GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&theirs, tb), 0);
	git_treebuilder_free(tb);
	assert_true(git_oid_equal(&ours, &theirs));
	/* readable as a tree through libgit2 */
	int is_tree = -1;
	git_oid got;
	assert_int_equal(cv__store_lookup(s, &ours, "d1.0", &got, &is_tree), 0);
	assert_true(git_oid_equal(&got, &x));
	assert_int_equal(is_tree, 0);
	cv_tree_entry dup[] = { { "a", x, 0 }, { "a", y, 0 } };
	assert_int_equal(cv__store_make_tree(s, dup, 2, &got), CV_ERROR);
	cv_tree_entry slash[] = { { "a/b", x, 0 } };
	assert_int_equal(cv__store_make_tree(s, slash, 1, &got), CV_ERROR);
	cv_tree_entry dot[] = { { "..", x, 1 } };
	assert_int_equal(cv__store_make_tree(s, dot, 1, &got), CV_ERROR);
	cv__store_free(s);
}

static int count_packs(const char *pack_dir)
{
	return cvt_sh("test \"$(ls '%s' | grep -c '\\.pack$')\" -eq 1", pack_dir) == 0 ? 1 : 0;
}

/* Forty packs merged into one by store/repack.c: every object is still
 * readable, git accepts the merged pack; a damaged entry stops the merge
 * and leaves the source packs as they were. */
static void test_consolidate_merges_packs(void **st)
{
	(void)st;
	char *g = cvt_join(dir, "merge.git");
	assert_int_equal(cv__store_create(g), 0);
	cv_store *s = NULL;
	assert_int_equal(cv__store_open(&s, g), 0);
	enum { NPACKS = 40, PER = 3 };
	git_oid ids[NPACKS * PER];
	unsigned char blob[5000];
	for (int p = 0; p < NPACKS; p++) {
		cv_packw w;
		assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
		for (int k = 0; k < PER; k++) {
			cvt_fill(blob, sizeof blob, 100 + (uint64_t)(p * PER + k));
			assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, blob, sizeof blob - (size_t)k, 0, &ids[p * PER + k]), 0);
		}
		assert_int_equal(cv__packw_flush(&w), 0);
		cv__packw_dispose(&w);
	}
	assert_int_equal(cvt_sh("test \"$(ls '%s' | grep -c '\\.pack$')\" -eq %d", s->pack_dir, NPACKS), 0);

	/* a flipped byte inside an entry of one source pack: refused, nothing removed */
	assert_int_equal(cvt_sh("f=$(ls '%s'/*.pack | head -n 1); chmod u+w \"$f\" &&"
		" printf '\\377' | dd of=\"$f\" bs=1 seek=100 conv=notrunc 2>/dev/null", s->pack_dir), 0);
	assert_int_equal(cv__store_consolidate(s, 1, 0), CV_EDAMAGED);
	assert_non_null(strstr(cv_error_last()->message, "does not match its CRC"));
	assert_int_equal(cvt_sh("test \"$(ls '%s' | grep -c '\\.pack$')\" -eq %d", s->pack_dir, NPACKS), 0);
	assert_int_equal(cvt_sh("test -z \"$(ls '%s' | grep tmp_)\"", s->pack_dir), 0);
	/* put the damaged pack aside (its objects are lost) and merge the rest */
	assert_int_equal(cvt_sh("f=$(ls '%s'/*.pack | head -n 1); rm -f \"$f\" \"${f%%.pack}.idx\"", s->pack_dir), 0);
	cv__store_free(s);
	assert_int_equal(cv__store_open(&s, g), 0);
	assert_int_equal(cv__store_consolidate(s, 1, 0), 0);
	assert_true(count_packs(s->pack_dir));
	assert_int_equal(cvt_sh("git verify-pack '%s'/*.idx", s->pack_dir), 0);
	cv__store_free(s);
	assert_int_equal(cv__store_open(&s, g), 0);
	int readable = 0;
	for (int i = 0; i < NPACKS * PER; i++) {
		if (!cv__store_exists(s, &ids[i]))
			continue;
		git_odb_object *o = NULL;
		assert_int_equal(cv__store_read_blob(s, &ids[i], &o), 0);
		cvt_fill(blob, sizeof blob, 100 + (uint64_t)i);
		assert_int_equal(git_odb_object_size(o), sizeof blob - (size_t)(i % PER));
		assert_memory_equal(git_odb_object_data(o), blob, git_odb_object_size(o));
		git_odb_object_free(o);
		readable++;
	}
	assert_int_equal(readable, (NPACKS - 1) * PER);
	cv__store_free(s);
	free(g);
}

/* The pack reader serves exactly libgit2's bytes, from casevault's packs
 * (stored blocks) and from packs git itself compressed; what it cannot
 * serve it says so (CV_ENOTFOUND), and cv__store_read_unhashed then gets
 * the same bytes from libgit2. */
static void check_reader_matches(cv_store *s, const git_oid *ids, size_t n)
{
	cv_packread *r = NULL;
	assert_int_equal(cv__packread_open(&r, s->pack_dir), 0);
	size_t served = 0;
	for (size_t i = 0; i < n; i++) {
		git_odb_object *o = NULL;
		assert_int_equal(cv__store_read_blob(s, &ids[i], &o), 0);
		const void *d = NULL;
		size_t len = 0;
		if (cv__packread_blob(r, &ids[i], &d, &len) == 0) {
			served++;
			assert_int_equal(len, git_odb_object_size(o));
			assert_memory_equal(d, git_odb_object_data(o), len);
		}
		assert_int_equal(cv__store_read_unhashed(s, &ids[i], &d, &len), 0);
		assert_int_equal(len, git_odb_object_size(o));
		assert_memory_equal(d, git_odb_object_data(o), len);
		git_odb_object_free(o);
	}
	assert_int_equal(served, n); /* whole blob entries: all of them */
	git_oid absent;
	memset(&absent, 0x5a, sizeof absent);
	const void *d = NULL;
	size_t len = 0;
	assert_int_equal(cv__packread_blob(r, &absent, &d, &len), CV_ENOTFOUND);
	cv__packread_free(r);
}

static void test_pack_reader(void **st)
{
	(void)st;
	static const size_t sizes[] = { 0, 1, 1000, 65535, 65536, 200001, 3u << 20 };
	enum { N = sizeof sizes / sizeof *sizes };
	cv_store *s = NULL;
	cv_packw w;
	git_oid ids[N];
	unsigned char *b = malloc(3u << 20);
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	assert_int_equal(cv__packw_init(&w, s->pack_dir, s->odb), 0);
	for (size_t i = 0; i < N; i++) {
		cvt_fill(b, sizes[i], 900 + (unsigned)i);
		if (i == 3)
			memset(b, 'a', sizes[i]); /* compressible: git's repack below deflates it */
		assert_int_equal(cv__packw_add(&w, GIT_OBJECT_BLOB, b, sizes[i], 0, &ids[i]), 0);
	}
	assert_int_equal(cv__packw_flush(&w), 0);
	cv__packw_dispose(&w);
	cv__store_free(s);
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	check_reader_matches(s, ids, N);
	cv__store_free(s);
	/* the same objects after git rewrote every pack (zlib level 9, no deltas) */
	assert_int_equal(cvt_sh("git --git-dir='%s' -c pack.compression=9 repack -a -d -F -q --keep-unreachable --window=0 2>/dev/null", gitdir), 0);
	assert_int_equal(cv__store_open(&s, gitdir), 0);
	check_reader_matches(s, ids, N);
	cv__store_free(s);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_commit_read_fsck),
		cmocka_unit_test(test_object_id_matches_git),
		cmocka_unit_test(test_duplicate_in_pack_refused),
		cmocka_unit_test(test_packw_discard),
		cmocka_unit_test(test_stored_blocks_and_append),
		cmocka_unit_test(test_tree_matches_libgit2),
		cmocka_unit_test(test_consolidate_merges_packs),
		cmocka_unit_test(test_pack_reader),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
