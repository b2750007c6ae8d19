/* Private state of an archive handle and the helpers the modules share.
 * A cv_archive is owned by its caller and used from one thread at a time. */
#ifndef CV_INTERNAL_H
#define CV_INTERNAL_H

#include "casevault.h"
#include "catalog/catalog.h"
#include "crypto/cms.h"
#include "crypto/kdf.h"
#include "journal/journal.h"
#include "store/pack.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

#define CV_ARCHIVE_FORMAT 1
#define CV_MASTER_SCRYPT { 17, 8, 1 }
#define CV_CREDENTIAL_SCRYPT { 15, 8, 1 }

/* HKDF labels: one per job, never reused. */
#define CV_LABEL_WRAP "casevault/v1 case-key-wrap"
#define CV_LABEL_BLIND "casevault/v1 blind-index"
#define CV_LABEL_CHECK "casevault/v1 key-check"
#define CV_LABEL_CHUNKER "casevault/v1 chunker"
#define CV_LABEL_AFIELDS "casevault/v1 archive-fields"
#define CV_LABEL_STATS "casevault/v1 statistics"
#define CV_LABEL_CHUNK_HASH "casevault/v1 chunk-hash"
#define CV_LABEL_CFIELDS "casevault/v1 catalog-fields"

struct cv_archive {
	char *dir, *gitdir, *catalog_path, *lock_path, *config_path;
	char id[33];
	unsigned char master[32];
	unsigned char k_wrap[32], k_blind[32], k_afields[32], k_stats[32];
	unsigned char gear_seed[2048];
	cv_catalog *cat;
	cv_store *store;
	char actor[64];
	char roles[160];
	int lock_fd;
	int lock_timeout_ms;
	int read_only;
	cv_progress_cb progress;
	void *progress_payload;
	char *plugin_path;
	int wrote;      /* committed something: merge packs at close */
};

/* --- roles (users.c) ------------------------------------------------- */
/** 0 if the actor holds one of the roles (comma-separated list); else journals
 * the refusal and returns CV_EDENIED naming action and needed roles. */
int cv__require_role(cv_archive *a, const char *action, const char *object, const char *roles);
int cv__has_role(const cv_archive *a, const char *role);
int cv__load_actor(cv_archive *a);
int cv__user_insert(cv_archive *a, const char *name, const char *roles_csv, const char *credential);
int cv__credential_hash(char **out, const char *credential);
int cv__credential_check(const char *stored, const char *credential);

/* --- writer lock and the write transaction (txn.c) ------------------- */
int cv__lock(cv_archive *a);
void cv__unlock(cv_archive *a);

typedef struct cv_txn {
	cv_archive *a;
	cv_packw pack;
	int locked, sql_open, tree_changed, has_parent;
	git_oid parent;
	git_oid root;
	char op[96];
	cv_case_change *changes; /* case trees to set at commit, one per case */
	size_t nchanges, capchanges;
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
/** Make it all durable and visible: commit object, pack, catalog, ref. */
int cv__txn_commit(cv_txn *t);
/** Undo everything not committed. Safe to call after commit (no-op). */
void cv__txn_abort(cv_txn *t);
/** Finish a crashed operation whose catalog committed before the ref moved. */
int cv__recover(cv_archive *a);

/* --- keys (keys.c) ------------------------------------------------------ */
typedef struct cv_case_key {
	unsigned char key[32];
	unsigned char id[CV_KEY_ID_LEN];
	char id_hex[2 * CV_KEY_ID_LEN + 1];
	unsigned char k_hash[32];   /* keyed chunk hashes (dedup) */
	unsigned char k_fields[32]; /* encrypted catalog fields */
} cv_case_key;

int cv__derive_master_keys(cv_archive *a);
int cv__case_key_new(cv_archive *a, cv_case_key *k, unsigned char wrapped[48], size_t *wrapped_len);
/** Load and unwrap; CV_ENOTFOUND when the key was destroyed. */
int cv__case_key_load(cv_archive *a, const char *case_id, cv_case_key *k);
int cv__case_key_derive(cv_case_key *k);
void cv__case_key_wipe(cv_case_key *k);
/** Encrypted catalog field under the case key, bound to (case, where). */
int cv__case_box(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n);
int cv__case_unbox(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n);
/** Blind-index tag of a folded value for a field ("last", "first", "born"). */
int cv__blind_tag(const cv_archive *a, const char *field, const char *folded, unsigned char tag[32]);

/* --- cases (cases.c) ----------------------------------------------------- */
/** Check the role first, then resolve the case (see cases.c). */
int cv__case_gate(cv_archive *a, const char *action, const char *roles, const char *id_or_ref, char id[40], const char *detail);
/** Resolve an id or a ref to the case id. */
int cv__case_resolve(cv_archive *a, const char *id_or_ref, char id[40]);
/** Rebuild a case's tree (manifest + current documents) into the txn. */
int cv__case_rebuild_tree(cv_txn *t, const char *case_id, const cv_case_key *k);
int cv__case_fill_info(cv_archive *a, sqlite3_stmt *st, cv_case_info *ci);
#define CV_CASE_COLUMNS "id,ref,category,state,opened,closed,territory,hold IS NOT NULL,restricted," \
	"permanent,sealed IS NOT NULL,version"

/* --- documents (docs.c) ------------------------------------------------ */
/** Stream a revision's chunks after authenticating each. */
int cv__doc_stream(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev,
	cv_write_cb cb, void *payload);

/* --- restrictions (retention.c) ------------------------------------- */
/** Whether a copy of the case may be made for `requester` now: a restricted
 * case (GDPR art. 18) may only serve the data subject's own access. */
int cv__export_allowed(cv_archive *a, const char *case_id, const char *requester);

/** Rights register hooks (rights.c): the block an open request puts on a
 * case, and whether `person` is the subject of a restriction on it. */
int cv__rights_block(cv_archive *a, const char *case_id, char *reason, size_t n);
int cv__restriction_subject(cv_archive *a, const char *case_id, const char *person, int *is_subject);
/** Refuse (and journal) a use of a restricted case (GDPR art. 18). */
int cv__restricted_use(cv_archive *a, const char *case_id, const char *action);

/* --- exports (export.c) ---------------------------------------------- */
typedef struct cv_export_target {
	char case_id[40];
	char person[48];
} cv_export_target;
struct cv_export_options;
struct cv_export_result;
/** A copy spanning one or more cases (a GDPR access request covers every
 * case of its subject). No role check here: callers gate. */
int cv__export_bag(struct cv_export_result *res, cv_archive *a, const cv_export_target *t, size_t n,
	const struct cv_export_options *o, const char *root, const char *record_ref);

/* --- misc --------------------------------------------------------------- */
void cv__progress(cv_archive *a, const char *what, uint64_t done, uint64_t total);
int cv__valid_category(const char *s);
int cv__valid_role(const char *s);
int cv__permanent_category(const char *s);

#endif
