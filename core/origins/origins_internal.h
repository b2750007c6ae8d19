/* The sealing key of secret-birth identities, its shares and their holders
 * (origins.c), shared with the case-level commands (origins_case.c); see
 * docs/origins.md. None of these ever puts secret bytes in a message. Not
 * thread-safe: one archive handle, one thread. */
#ifndef CV_ORIGINS_INTERNAL_H
#define CV_ORIGINS_INTERNAL_H

#include "engine/internal.h"
#include "records/sealed.h"

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

#endif
