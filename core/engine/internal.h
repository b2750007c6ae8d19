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
/** Seal `plain` under a case key straight into the operation's pack: no
 * scratch copy of the ciphertext (cms.c, txn.c). */
int cv__txn_put_sealed(cv_txn *t, const cv_case_key *k, const void *plain, size_t len, git_oid *out);
void cv__case_key_wipe(cv_case_key *k);
/** Encrypted catalog field under the case key, bound to (case, where). */
int cv__case_box(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n);
int cv__case_unbox(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n);
/** Blind-index tag of a folded value for a field ("last", "first", "born"). */
/** A document's path tag (keyed hash of its NFC path): how a new version
 * of a case finds the document it replaces without storing the path. */
int cv__doc_path_tag(const cv_case_key *k, const char *path, unsigned char tag[32]);
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

/* --- origins (origins.c, origins_case.c, sealed.c) ------------------------
 * The sealing key of secret-birth identities and its shares; see
 * docs/origins.md. None of these ever puts secret bytes in a message. */
/** Turn core dumps off for the rest of the process (RLIMIT_CORE 0,
 * PR_SET_DUMPABLE 0): a share, the key or a sealed identity is about to be
 * in memory. */
void cv__origins_no_dumps(void);
/** Current generation and threshold; CV_ESTATE before origins setup. */
int cv__origins_current(cv_archive *a, unsigned *generation, unsigned *threshold);
int cv__origins_holders(cv_archive *a, unsigned generation, char (*names)[64], size_t *n);
/** 1 if `user` holds a share of `generation`, 0 if not, < 0 on error. */
int cv__origins_is_holder(cv_archive *a, unsigned generation, const char *user);
int cv__origins_key_info(cv_archive *a, cv_origins_key_info *out);
/** Open `holder`'s share with `credential` (CV_EAUTH if wrong); the caller
 * wipes `share` (cv__buf_wipe_dispose). */
int cv__origins_share_open(cv_buf *share, unsigned *share_no, cv_archive *a, unsigned generation, const char *holder,
	const char *credential);
/** Match credentials to distinct holders among `cand` by opening their
 * shares, until `need` are matched (`names[i]`, optional, says whose). Fills
 * shares/nos/who (index into cand). CV_EAUTH: a credential opens no
 * candidate's share; CV_EDENIED: a holder given twice, or too few; `*bad` is
 * the failing credential's index. */
int cv__origins_match(cv_buf *shares, unsigned *nos, size_t *who, size_t *nmatched, size_t *bad, cv_archive *a,
	unsigned generation, char (*cand)[64], size_t ncand, const char *const *creds, const char *const *names,
	size_t ncreds, size_t need);
/** Seal `plain` to the sealing certificate: CMS AuthEnvelopedData (DER),
 * appended to `out`; `cert_sha` receives the certificate's SHA-256. */
int cv__origins_seal(cv_buf *out, char cert_sha[65], cv_archive *a, const void *plain, size_t len);
/** Structure of a sealed object without decrypting it: 0, or CV_EDAMAGED
 * with `why` set. */
int cv__origins_check_object(cv_archive *a, const void *obj, size_t n, char *why, size_t wn);
/** Read and check a recipient certificate (PEM or DER; RSA >= 2048 or EC,
 * valid now); `der` receives it in DER, `fingerprint` its SHA-256. */
int cv__origins_recipient(cv_buf *der, char fingerprint[65], const char *path);
/** Rebuild the key from shares, open the sealed object, re-encrypt its
 * content as CMS EnvelopedData (AES-256-CBC) for the recipient; everything
 * secret is wiped before returning. */
int cv__origins_unseal_for(cv_buf *out, cv_archive *a, const cv_buf *shares, const unsigned *nos, size_t n,
	const void *obj, size_t objlen, const cv_buf *recipient_der);
/** Integrity of a case's sealed objects without decrypting them (verify):
 * the catalog's record, the SHA-256 of each object, its CMS structure and
 * recipient, and (with `root`) the branch's "sealed" entry. 0 when sound or
 * absent; CV_EDAMAGED with `why` set. */
int cv__sealed_verify(cv_archive *a, const char *case_id, const git_oid *root, int quick, char *why, size_t n);
/** The case's current sealed object, checked against its SHA-256 and the
 * journal's record of its ingestion (CV_EDAMAGED otherwise). */
int cv__sealed_load(cv_archive *a, const char *case_id, git_odb_object **out);

#endif
