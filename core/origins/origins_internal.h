/* The sealing key of secret-birth identities: its cryptography
 * (origins_crypto.c), its state and holders (origins_key.c), shared with the
 * case-level commands (origins_case.c); see docs/origins.md. Buffers that
 * held a share or the key are the caller's to wipe (cv__buf_wipe_dispose);
 * none of these ever puts secret bytes in a message. Not thread-safe: one
 * archive handle, one thread. */
#ifndef CV_ORIGINS_INTERNAL_H
#define CV_ORIGINS_INTERNAL_H

#include "engine/internal.h"
#include "records/sealed.h"

/** A share as stored, `obj` a CMS KEK object whose key id is `kid`. Since
 * schema 12 the share is sealed to its holder's X25519 public key: `kdf` is
 * "x25519", `salt` the ephemeral public key (32 bytes), the KEK
 * HKDF(X25519(ephemeral, holder)). Before, `kdf` was "scrypt$N$r$p" and
 * the KEK scrypt(credential, salt) (16 bytes): such shares still open, and
 * origins rewrap moves them to the holder's public key. */
typedef struct cv__wrapped_share {
	unsigned char salt[32];
	size_t salt_len;
	unsigned char kid[CV_KEY_ID_LEN];
	char kdf[48];
	cv_buf obj;
} cv__wrapped_share;

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
/** Read and check a recipient certificate (PEM or DER; RSA >= 2048 or EC,
 * valid now); `der` receives it in DER, `fingerprint` its SHA-256. */
int cv__origins_recipient(cv_buf *der, char fingerprint[65], const char *path);
/** Rebuild the key from shares, open the sealed object, re-encrypt its
 * content as CMS EnvelopedData (AES-256-CBC) for the recipient; everything
 * secret is wiped before returning. */
int cv__origins_unseal_for(cv_buf *out, cv_archive *a, const cv_buf *shares, const unsigned *nos, size_t n,
	const void *obj, size_t objlen, const cv_buf *recipient_der);

/** A new key pair: its private half as PKCS#8 DER in `der` (the secret to
 * split; wiped on error), its self-signed certificate in PEM (malloc'd) and
 * the certificate's SHA-256. */
int cv__origins_key_make(cv_buf *der, char **pem, char cert_sha[65], const char *archive_id);
/** The private key rebuilt from shares into `secret`, checked against the
 * archive's sealing certificate (CV_EAUTH if the shares do not rebuild it);
 * `cert_sha` receives the certificate's SHA-256. */
int cv__origins_rebuild(cv_buf *secret, char cert_sha[65], cv_archive *a, const cv_buf *shares, const unsigned *nos,
	size_t n);
/** Split `secret` into `n` shares, `k` of them needed, numbered in `nos`,
 * each wrapped under `creds[i]`; the clear shares are wiped before returning. */
int cv__origins_split_wrap(cv__wrapped_share *w, unsigned char *nos, const cv_buf *secret, unsigned k,
	const char *const *creds, size_t n);
/** Split `secret` into `n` shares, `k` of them needed, each sealed to the
 * X25519 public key of its holder; the clear shares are wiped. */
int cv__origins_split_seal(cv__wrapped_share *w, unsigned char *nos, const cv_buf *secret, unsigned k,
	const unsigned char (*seal_pubs)[32], size_t n);
/** Seal one share to a holder's public key (a fresh ephemeral key and id). */
int cv__origins_share_seal(cv__wrapped_share *w, const unsigned char seal_pub[32], const cv_buf *share);
/** Wrap one share under `credential` (the scheme before schema 12). */
int cv__origins_share_wrap(cv__wrapped_share *w, const char *credential, const cv_buf *share);
void cv__origins_wrapped_free(cv__wrapped_share *w, size_t n);
/** Wipe and free `n` buffers that held shares. */
void cv__origins_shares_wipe(cv_buf *b, size_t n);

#endif
