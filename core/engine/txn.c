/* The one write path. Every command that changes the archive goes through
 * it, so crash safety is argued once:
 *   1. take the writer lock (bounded wait) and note the branch head;
 *   2. encrypt and pack the bulk objects (readers are not blocked);
 *   3. BEGIN IMMEDIATE: catalog rows and journal entries;
 *   4. build trees and the commit (its message carries the journal head),
 *      write them into the operation's pack, which libgit2 indexes and fsyncs;
 *   5. record the new head in the catalog and COMMIT: this is the commit point;
 *   6. move the branch with compare-and-swap.
 * A crash before 5 leaves only unreferenced objects; a crash between 5 and 6
 * is finished by cv__recover at the next open (the catalog names the commit,
 * whose objects are already durable). */
#include "util/json.h"
#include "util/buf.h"
#include "engine/internal.h"
#include "journal/anchor.h"
#include "util/date.h"
#include "util/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int cv__lock(cv_archive *a)
{
	if (a->lock_fd >= 0)
		return 0;
	if (a->read_only)
		return cv__err(CV_EDENIED, "archive %s is open read-only", a->dir);
	int fd = open(a->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cv__err(CV_ERROR, "cannot open lock file %s: %s", a->lock_path, strerror(errno));
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			return cv__err(CV_ERROR, "cannot lock %s: %s", a->lock_path, strerror(e));
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= a->lock_timeout_ms) {
			close(fd);
			return cv__err(CV_EBUSY, "archive busy: another process is writing to %s (waited %.1f s)", a->dir,
				a->lock_timeout_ms / 1000.0);
		}
		struct timespec nap = { 0, 20 * 1000000L };
		nanosleep(&nap, NULL);
	}
	a->lock_fd = fd;
	return 0;
}

void cv__unlock(cv_archive *a)
{
	if (a->lock_fd >= 0) {
		flock(a->lock_fd, LOCK_UN);
		close(a->lock_fd);
		a->lock_fd = -1;
	}
}

static int catalog_head(cv_archive *a, git_oid *out, int *has)
{
	char *hex = NULL;
	int rc = cv__catalog_meta_get(a->cat, "head", &hex);
	if (rc == CV_ENOTFOUND) {
		*has = 0;
		return 0;
	}
	CV_TRY(rc);
	rc = git_oid_fromstr(out, hex) < 0 ? cv__err(CV_EDAMAGED, "catalog head '%s' is malformed", hex) : 0;
	free(hex);
	*has = !rc;
	return rc;
}

/* Bring the branch to the catalog's head when a crash stopped between the
 * catalog commit and the ref move. Called with or without the lock. */
static int recover_locked(cv_archive *a)
{
	git_oid cat, ref, parent;
	int has_cat = 0, has_parent = 0;
	CV_TRY(catalog_head(a, &cat, &has_cat));
	if (!has_cat)
		return 0;
	int r = cv__store_head(a->store, &ref);
	if (r == 0 && git_oid_equal(&ref, &cat))
		return 0;
	if (r < 0 && r != CV_ENOTFOUND)
		return r;
	CV_TRY(cv__store_commit_info(a->store, &cat, NULL, &parent, &has_parent, NULL));
	if (r == CV_ENOTFOUND && !has_parent)
		return cv__store_move_ref(a->store, &cat, NULL);
	if (r == 0 && has_parent && git_oid_equal(&parent, &ref))
		return cv__store_move_ref(a->store, &cat, &ref);
	char c1[GIT_OID_HEXSZ + 1], c2[GIT_OID_HEXSZ + 1];
	git_oid_tostr(c1, sizeof c1, &cat);
	git_oid_tostr(c2, sizeof c2, &ref);
	return cv__err(CV_EDAMAGED, "catalog head %s and branch %s disagree beyond one interrupted operation", c1,
		r == 0 ? c2 : "(none)");
}

int cv__recover(cv_archive *a)
{
	int held = a->lock_fd >= 0;
	if (!held) {
		int saved = a->lock_timeout_ms;
		a->lock_timeout_ms = 0;
		int rc = cv__lock(a);
		a->lock_timeout_ms = saved;
		if (rc)
			return rc; /* a writer is active; it will have recovered */
	}
	cv__store_clear_stale_locks(a->store);
	int rc = recover_locked(a);
	if (!held)
		cv__unlock(a);
	return rc;
}

/* At load, before the host starts threads: jansson's allocator is a plain
 * global that its users read without a lock (util/json.h). */
__attribute__((constructor)) static void watch_json(void)
{
	cv__json_watch_install();
}

void cv__alloc_watch_start(cv_alloc_watch *w)
{
	cv__json_watch_install();
	w->json = cv__json_failures();
	w->sql = cv__catalog_alloc_failures();
}

int cv__alloc_watch_check(const cv_alloc_watch *w, const char *what)
{
	if (cv__json_failures() == w->json && cv__catalog_alloc_failures() == w->sql)
		return 0;
	return cv__err(CV_ENOMEM, "%s: out of memory while building a record; nothing was written", what);
}

int cv__txn_begin(cv_txn *t, cv_archive *a, const char *op)
{
	memset(t, 0, sizeof *t);
	t->a = a;
	snprintf(t->op, sizeof t->op, "%s", op);
	cv__alloc_watch_start(&t->watch);
	CV_TRY(cv__lock(a));
	t->locked = 1;
	cv__store_clear_stale_locks(a->store);
	int rc = recover_locked(a);
	if (!rc)
		rc = cv__packw_init(&t->pack, a->store->pack_dir, a->store->odb);
	if (rc) {
		cv__unlock(a);
		t->locked = 0;
		return rc;
	}
	cv__store_reset(a->store);
	int has = 0;
	rc = catalog_head(a, &t->parent, &has);
	t->has_parent = has;
	if (!rc && has)
		rc = cv__store_commit_info(a->store, &t->parent, &t->root, NULL, NULL, NULL);
	if (!rc && !has)
		rc = cv__store_make_tree(a->store, NULL, 0, &t->root);
	if (rc)
		cv__txn_abort(t);
	return rc;
}

int cv__txn_put_blob(cv_txn *t, const void *data, size_t len, git_oid *out)
{
	return cv__packw_add(&t->pack, GIT_OBJECT_BLOB, data, len, 0, out);
}

int cv__txn_put_sealed(cv_txn *t, const cv_case_key *k, const void *plain, size_t len, git_oid *out,
	unsigned char tag[CV_CMS_TAG_LEN])
{
	cv_buf *b = NULL;
	CV_TRY(cv__packw_append_begin(&t->pack, cv__cms_sealed_size(len), &b));
	int rc = cv__cms_seal(b, k->key, k->id, plain, len);
	if (!rc && tag)
		rc = cv__cms_tag(b->data, b->len, tag);
	int r = cv__packw_append_end(&t->pack, rc == 0, GIT_OBJECT_BLOB, 0, out);
	return rc ? rc : r;
}

int cv__txn_sql_begin(cv_txn *t)
{
	if (t->sql_open)
		return 0;
	CV_TRY(cv__catalog_begin(t->a->cat));
	t->sql_open = 1;
	return 0;
}

/* Recorded now, applied at commit in one pass over the shards. */
int cv__txn_set_case_tree(cv_txn *t, const char *case_id, const git_oid *tree)
{
	for (size_t i = 0; i < t->nchanges; i++) {
		if (!strcmp(t->changes[i].id, case_id)) {
			t->changes[i].remove = !tree;
			if (tree)
				git_oid_cpy(&t->changes[i].tree, tree);
			t->tree_changed = 1;
			return 0;
		}
	}
	if (strlen(case_id) >= sizeof t->changes->id)
		return cv__err(CV_EINVAL, "case id too long");
	CV_TRY(cv__grow((void **)&t->changes, &t->capchanges, t->nchanges, sizeof *t->changes));
	cv_case_change *c = &t->changes[t->nchanges++];
	memset(c, 0, sizeof *c);
	snprintf(c->id, sizeof c->id, "%s", case_id);
	c->remove = !tree;
	if (tree)
		git_oid_cpy(&c->tree, tree);
	t->tree_changed = 1;
	return 0;
}

static int change_cmp(const void *a, const void *b)
{
	return strcmp(((const cv_case_change *)a)->id, ((const cv_case_change *)b)->id);
}

int cv__txn_journal(cv_txn *t, const char *action, const char *object, const char *outcome)
{
	CV_TRY(cv__txn_sql_begin(t));
	return cv__journal_append(t->a->cat, t->a->actor, action, object, outcome, NULL, NULL);
}

/* After a commit, the head goes to the configured outside file, if any. The
 * operation is durable whatever happens here; a failure to anchor is
 * journaled, so that the gap it leaves is visible. */
static void auto_anchor(cv_archive *a)
{
	char *path = NULL;
	if (cv__catalog_meta_get(a->cat, "anchor_file", &path) || !path || !*path) {
		free(path);
		cv_error_clear();
		return;
	}
	uint64_t seq = 0;
	unsigned char head[32];
	char now[32];
	cv__now_iso(now);
	int rc = cv__journal_head(a->cat, &seq, head);
	if (!rc)
		rc = cv__anchor_append(path, a->id, seq, head, now, a->k_anchor);
	if (rc)
		cv__journal_record(a->cat, a->actor, "journal.anchor", "auto", "failed");
	free(path);
	cv_error_clear();
}

int cv__txn_finish(cv_txn *t, int rc, const char *action, const char *object)
{
	if (!rc)
		rc = cv__txn_journal(t, action, object, "ok");
	if (!rc)
		rc = cv__txn_commit(t);
	cv__txn_abort(t);
	return rc;
}

int cv__txn_finish_signed(cv_txn *t, int rc, const char *action, const char *object, const unsigned char sig[64])
{
	if (!rc)
		rc = cv__txn_sql_begin(t);
	if (!rc)
		rc = cv__journal_append_signed(t->a->cat, t->a->actor, action, object, "ok", t->a->actor, sig, NULL, NULL);
	if (!rc)
		rc = cv__txn_commit(t);
	cv__txn_abort(t);
	return rc;
}

int cv__txn_commit(cv_txn *t)
{
	cv_archive *a = t->a;
	git_oid commit;
	/* a record built while an allocation failed may lack a field: nothing is stored */
	CV_TRY(cv__alloc_watch_check(&t->watch, t->op));
	CV_TRY(cv__txn_sql_begin(t));
	if (t->tree_changed) {
		uint64_t seq = 0;
		unsigned char head[32];
		char hhex[65], msg[512];
		/* what can fail without writing comes before the trees are written */
		CV_TRY(cv__journal_head(a->cat, &seq, head));
		if (t->nchanges) {
			git_oid nr;
			qsort(t->changes, t->nchanges, sizeof *t->changes, change_cmp);
			CV_TRY(cv__store_set_cases(a->store, &t->root, t->changes, t->nchanges, &nr));
			git_oid_cpy(&t->root, &nr);
			t->nchanges = 0;
		}
		cv__hex(hhex, head, 32);
		snprintf(msg, sizeof msg, "casevault %s\n\nJournal-Seq: %llu\nJournal-Head: %s\nArchive: %s\n", t->op,
			(unsigned long long)seq, hhex, a->id);
		CV_TRY(cv__store_commit(a->store, &t->root, t->has_parent ? &t->parent : NULL, msg, &commit));
		CV_TRY(cv__store_pack_made(a->store, &t->pack));
		CV_TRY(cv__packw_flush(&t->pack));
		char chex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(chex, sizeof chex, &commit);
		CV_TRY(cv__catalog_meta_set(a->cat, "head", chex));
	} else {
		CV_TRY(cv__packw_flush(&t->pack));
	}
	CV_TRY(cv__catalog_commit(a->cat));
	t->sql_open = 0;
	int rc = 0;
	if (t->tree_changed) {
		rc = cv__store_move_ref(a->store, &commit, t->has_parent ? &t->parent : NULL);
		if (rc)
			cv__err_prefix("the operation is committed in the catalog but the branch did not move "
				"(the next command will finish it)");
	}
	cv__packw_dispose(&t->pack);
	cv__store_reset(a->store);
	free(t->changes);
	t->changes = NULL;
	/* Committed. Packs are merged when the handle is closed (once per
	 * command), or now if a long session has piled up many. A failure here
	 * loses nothing: old packs go only after the merged one is durable. */
	a->wrote = 1;
	if (!rc && cv__store_consolidate(a->store, 0, 64) != 0)
		cv_error_clear();
	if (!rc)
		auto_anchor(a);
	cv__unlock(a);
	t->locked = 0;
	t->a = NULL;
	return rc;
}

void cv__txn_abort(cv_txn *t)
{
	cv_archive *a = t->a;
	if (!a)
		return;
	if (t->sql_open)
		cv__catalog_rollback(a->cat);
	free(t->changes);
	t->changes = NULL;
	t->nchanges = t->capchanges = 0;
	cv__packw_discard(&t->pack); /* waits for a pack in flight, then removes them all */
	int discarded = t->pack.nwritten > 0;
	cv__packw_dispose(&t->pack);
	cv__store_reset(a->store);
	if (discarded)
		cv__store_reopen(a->store);
	if (t->locked)
		cv__unlock(a);
	t->a = NULL;
}
