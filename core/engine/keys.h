/* The key hierarchy below the master key: derived keys, case keys (wrapped
 * in the catalog), catalog field boxes, blind-index and path tags
 * (docs/keys.md). A cv_case_key is the caller's and must be wiped with
 * cv__case_key_wipe. Thread-safe for distinct handles. */
#ifndef CV_ENGINE_KEYS_H
#define CV_ENGINE_KEYS_H

#include "crypto/cms.h"
#include "engine/txn.h"

typedef struct cv_case_key {
	unsigned char key[32];
	unsigned char id[CV_KEY_ID_LEN];
	char id_hex[2 * CV_KEY_ID_LEN + 1];
	unsigned char k_hash[32];   /* keyed chunk hashes (dedup) */
	unsigned char k_fields[32]; /* encrypted catalog fields */
	unsigned char k_tag[32];    /* revision tags (records/revtag.h) */
} cv_case_key;

int cv__derive_master_keys(cv_archive *a);
int cv__case_key_new(cv_archive *a, cv_case_key *k, unsigned char wrapped[48], size_t *wrapped_len);
/** Load and unwrap; CV_ENOTFOUND when the key was destroyed. */
int cv__case_key_load(cv_archive *a, const char *case_id, cv_case_key *k);
/** The same without checking the case's and key's row seals: only for a
 * caller that has just checked every seal of the catalog (verify). */
int cv__case_key_unwrap(cv_archive *a, const char *case_id, cv_case_key *k);
int cv__case_key_derive(cv_case_key *k);
/** Seal `plain` under a case key straight into the operation's pack: no
 * scratch copy of the ciphertext (cms.c, txn.c). `tag` (may be NULL)
 * receives the object's AES-GCM tag, for its chunk row. */
int cv__txn_put_sealed(cv_txn *t, const cv_case_key *k, const void *plain, size_t len, git_oid *out,
	unsigned char tag[CV_CMS_TAG_LEN]);
void cv__case_key_wipe(cv_case_key *k);
/** Encrypted catalog field under the case key, bound to (case, where). */
int cv__case_box(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n);
int cv__case_unbox(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n);
/** Blind-index tag of a folded value for a field ("last", "first", "born"). */
/** A document's path tag (keyed hash of its NFC path): how a new version
 * of a case finds the document it replaces without storing the path. */
int cv__doc_path_tag(const cv_case_key *k, const char *path, unsigned char tag[32]);
int cv__blind_tag(const cv_archive *a, const char *field, const char *folded, unsigned char tag[32]);
/** The blind-index bucket of a folded surname: the keyed tag cut to
 * CV_BLIND_BITS bits, so that many surnames share a bucket on purpose and the
 * catalog cannot link persons without the key (docs/threat-model.md); the
 * candidates of a bucket are told apart after decryption. */
#define CV_BLIND_BITS 10
int cv__blind_bucket(const cv_archive *a, const char *folded, unsigned char bucket[2]);

/** Notes of requests and exports (notes.c), sealed under a key of their
 * owner ("request:ID", "export:ID") made on first use; CV_ENOTFOUND from
 * cv__note_open once it was destroyed with a case the owner is about. */
int cv__note_seal(cv_buf *out, cv_archive *a, const char *owner, const char *where, const char *text);
int cv__note_open(cv_buf *out, cv_archive *a, const char *owner, const char *where, const void *box, size_t n);
/** In the shredding's transaction: destroy the note keys of every request
 * and export about `case_id`. */
int cv__note_keys_shred(cv_archive *a, const char *case_id);

#endif
