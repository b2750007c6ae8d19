/* The writer lock and the one write transaction every change goes through:
 * lock -> objects into a pack -> catalog + journal in one SQLite transaction
 * -> commit -> ref (docs/architecture.md). A cv_txn lives on its caller's
 * stack and belongs to one thread. */
#ifndef CV_ENGINE_TXN_H
#define CV_ENGINE_TXN_H

#include "engine/archive.h"

int cv__lock(cv_archive *a);
void cv__unlock(cv_archive *a);

/** Failed allocations in jansson and SQLite seen from a point of this
 * thread's work: a record built or read while one failed may lack a field
 * or a row, though every call it made "succeeded" (util/json.h, catalog.h). */
typedef struct cv_alloc_watch {
	unsigned long json, sql;
} cv_alloc_watch;
void cv__alloc_watch_start(cv_alloc_watch *w);
/** 0, or CV_ENOMEM ("WHAT: out of memory ...; nothing was written") when
 * an allocation failed since the start. */
int cv__alloc_watch_check(const cv_alloc_watch *w, const char *what);

typedef struct cv_txn {
	cv_archive *a;
	cv_packw pack;
	int locked, sql_open, tree_changed, has_parent;
	git_oid parent;
	git_oid root;
	char op[96];
	cv_case_change *changes; /* case trees to set at commit, one per case */
	size_t nchanges, capchanges;
	cv_alloc_watch watch; /* from begin; a caller that read what it writes before begin moves it back */
} cv_txn;

/** Take the writer lock, note the branch head, start a pack. */
int cv__txn_begin(cv_txn *t, cv_archive *a, const char *op);
/** Store an object (already encrypted) in the operation's pack. */
int cv__txn_put_blob(cv_txn *t, const void *data, size_t len, git_oid *out);
/** Start the catalog write transaction (short: after bulk objects). */
int cv__txn_sql_begin(cv_txn *t);
/** Replace (or with NULL remove) a case's tree in the next commit. */
int cv__txn_set_case_tree(cv_txn *t, const char *case_id, const git_oid *tree);
int cv__txn_journal(cv_txn *t, const char *action, const char *object, const char *outcome);
/** The usual end of a change: when `rc` is 0, journal `action` on
 * `object` as done and commit; in every case release what is left (abort is
 * a no-op after a commit). Returns the first error. */
int cv__txn_finish(cv_txn *t, int rc, const char *action, const char *object);
/** The same for a decision: the journal entry carries `sig`, the acting
 * user's signature of (action, object) (identity.h's cv__decision_sign). */
int cv__txn_finish_signed(cv_txn *t, int rc, const char *action, const char *object, const unsigned char sig[64]);
/** Make it all durable and visible: commit object, pack, catalog, ref. */
int cv__txn_commit(cv_txn *t);
/** Undo everything not committed. Safe to call after commit (no-op). */
void cv__txn_abort(cv_txn *t);
/** Finish a crashed operation whose catalog committed before the ref moved. */
int cv__recover(cv_archive *a);

#endif
