/*
 * casevault — secret birth and access to origins (CNAOP, CASF L.147-6).
 *
 * The birth parent's identity (pli fermé) is sealed, at ingestion, to the
 * archive's sealing certificate (CMS, RSA-3072). The matching private key
 * exists only as Shamir shares (libgfshare), one per holder (a `cnaop` user),
 * each wrapped under a key derived (scrypt) from that holder's own
 * credential: neither one person nor the master key can unseal.
 *
 * Disclosure needs a recorded legal condition (the parent's consent, or death
 * without a recorded refusal), approvals by a threshold of distinct holders
 * within a time window, and those holders' credentials again at release; the
 * identity leaves only as a CMS envelope for the CNAOP's certificate.
 * Refusals return CV_EDENIED or CV_EAUTH and are journaled. Nothing here ever
 * returns, logs or journals the sealed identity. See docs/origins.md.
 */
#ifndef CASEVAULT_ORIGINS_H
#define CASEVAULT_ORIGINS_H

#include "archive.h"

CV_BEGIN_DECL

/** How long an approval counts for a release. */
#define CV_ORIGINS_APPROVAL_HOURS 72
#define CV_ORIGINS_MAX_HOLDERS 32

/** The sealing key: its generation (1 at setup, +1 at each reshare). */
typedef struct cv_origins_key_info {
	int ready;                     /**< 0 until origins setup has run */
	unsigned int generation;
	unsigned int threshold;
	unsigned int nholders;
	char holders[CV_ORIGINS_MAX_HOLDERS][64];
	char cert_sha256[65];          /**< SHA-256 of the sealing certificate (DER) */
	char created[32];
	char created_by[64];
} cv_origins_key_info;

typedef struct cv_origins_setup_options {
	unsigned int version;
	unsigned int threshold;        /**< K: shares needed (at least 2) */
	const char *const *holders;    /**< users with the cnaop role and a credential */
	size_t nholders;               /**< N >= K */
	const char *const *credentials; /**< version 1 only: no longer used (shares are sealed to the holders'
	                                     public keys; no holder's passphrase is needed) */
	/* version 2 */
	const char *credential;        /**< the acting admin's own credential: their key signs the setup */
} cv_origins_setup_options;

#define CV_ORIGINS_SETUP_OPTIONS_VERSION 2
#define CV_ORIGINS_SETUP_OPTIONS_INIT { CV_ORIGINS_SETUP_OPTIONS_VERSION, 2, NULL, 0, NULL, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_origins_setup_options_init(cv_origins_setup_options *opts, unsigned int version);

/** Create the sealing key pair (admin, once): the certificate stays in the
 * catalog, the private key is split into one share per holder, each wrapped
 * under that holder's credential, then wiped. */
CV_EXTERN(int) cv_origins_setup(cv_origins_key_info *out, cv_archive *a, const cv_origins_setup_options *o);

typedef struct cv_origins_reshare_options {
	unsigned int version;
	unsigned int threshold;        /**< the new K */
	const char *const *holders;    /**< the new holders ... */
	size_t nholders;
	const char *const *credentials; /**< version 1 only: no longer used (new shares are sealed to the
	                                     new holders' public keys) */
	const char *const *current_credentials; /**< credentials of at least K current holders */
	size_t ncurrent;
	/* version 2 */
	const char *credential;        /**< the acting user's own credential: their key signs the reshare */
} cv_origins_reshare_options;

#define CV_ORIGINS_RESHARE_OPTIONS_VERSION 2
#define CV_ORIGINS_RESHARE_OPTIONS_INIT { CV_ORIGINS_RESHARE_OPTIONS_VERSION, 2, NULL, 0, NULL, NULL, 0, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_origins_reshare_options_init(cv_origins_reshare_options *opts, unsigned int version);

/** Replace the holders (admin or cnaop): the key is rebuilt in memory from
 * a threshold of current shares, split again with fresh randomness for the new
 * holders, and the old shares are deleted (they no longer combine with the
 * new ones); pending approvals lapse. */
CV_EXTERN(int) cv_origins_reshare(cv_origins_key_info *out, cv_archive *a, const cv_origins_reshare_options *o);

/** A holder re-wraps their own share under a new credential (after
 * `user passwd`); `new_credential` must be the user's current credential. */
CV_EXTERN(int) cv_origins_rewrap(cv_archive *a, const char *old_credential, const char *new_credential);

/** Kinds of recorded facts. */
#define CV_ORIGINS_CONSENT "consent"   /**< the birth parent lifted the secret */
#define CV_ORIGINS_DEATH "death"       /**< the birth parent died (date) */
#define CV_ORIGINS_REFUSAL "refusal"   /**< the birth parent refused disclosure */

typedef struct cv_origins_fact_options {
	unsigned int version;
	const char *kind;              /**< CV_ORIGINS_CONSENT, _DEATH or _REFUSAL */
	const char *date;              /**< YYYY-MM-DD: required for a death, optional otherwise */
	const char *source;            /**< where the fact comes from (kept encrypted) */
} cv_origins_fact_options;

#define CV_ORIGINS_FACT_OPTIONS_VERSION 1
#define CV_ORIGINS_FACT_OPTIONS_INIT { CV_ORIGINS_FACT_OPTIONS_VERSION, NULL, NULL, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_origins_fact_options_init(cv_origins_fact_options *opts, unsigned int version);

/** Record a fact about the birth parent on a case holding a sealed identity
 * (cnaop or admin). `fact_id` receives the new fact's id. */
CV_EXTERN(int) cv_origins_record(char fact_id[20], cv_archive *a, const char *case_id, const cv_origins_fact_options *o);

typedef struct cv_origins_fact {
	char id[20];
	char kind[16];
	char date[11];                 /**< "" when not given */
	char *source;                  /**< NULL unless the reader may see it (cnaop, admin) */
	char recorded_by[64];
	char recorded_at[32];
} cv_origins_fact;

typedef struct cv_origins_approval {
	char holder[64];
	char approved_at[32];
	char expires_at[32];
	char release[20];              /**< the release that used it, "" if none */
	int valid;                     /**< counts for a release now */
} cv_origins_approval;

typedef struct cv_origins_release_info {
	char id[20];
	char case_id[40];
	char released_at[32];
	char actor[64];
	char holders[256];             /**< comma-separated */
	char condition[16];            /**< consent or death */
	char recipient_sha256[65];     /**< SHA-256 of the recipient certificate (DER) */
	char out_sha256[65];           /**< SHA-256 of the envelope written */
} cv_origins_release_info;

typedef struct cv_origins_info {
	cv_origins_key_info key;
	char case_id[40];              /**< "" when no case was asked */
	char ref[128];
	char category[32];
	int sealed;                    /**< a sealed identity is stored */
	char sealed_at[32];
	char sealed_sha256[65];        /**< SHA-256 of the sealed object (ciphertext) */
	unsigned int sealed_versions;
	int disclosable;               /**< a legal condition is recorded */
	char condition[16];            /**< consent, death or "" */
	char reason[256];              /**< why (not) disclosable */
	cv_origins_fact *facts;
	size_t nfacts;
	cv_origins_approval *approvals;
	size_t napprovals;
	unsigned int valid_approvals;  /**< distinct current holders with a valid approval */
	cv_origins_release_info *releases;
	size_t nreleases;
} cv_origins_info;

/** Whether a case holds a sealed identity, the recorded facts, approvals and
 * releases, and the sealing key (cnaop, admin, auditor, archivist; journaled).
 * `case_id` NULL: the sealing key only. Never reveals the identity. */
CV_EXTERN(int) cv_origins_status(cv_origins_info **out, cv_archive *a, const char *case_id);
CV_EXTERN(void) cv_origins_status_free(cv_origins_info *s);

/** Record the acting holder's approval of a disclosure (a cnaop user holding
 * a share), confirmed by opening their share with `credential` (in memory,
 * wiped at once). Needs a disclosure condition. Valid
 * CV_ORIGINS_APPROVAL_HOURS. */
CV_EXTERN(int) cv_origins_approve(cv_origins_approval *out, cv_archive *a, const char *case_id, const char *credential);

typedef struct cv_origins_release_options {
	unsigned int version;
	int to_cnaop;                  /**< must be 1: the only recipient the law allows */
	const char *recipient_cert;    /**< the CNAOP's X.509 certificate (PEM or DER file) */
	const char *out_path;          /**< the CMS envelope to write (DER, mode 0600, never overwritten) */
	const char *const *credentials; /**< credentials of approving holders (at least the threshold) */
	const char *const *holders;    /**< optional: whose each credential is (NULL: found by trying) */
	size_t ncredentials;
} cv_origins_release_options;

#define CV_ORIGINS_RELEASE_OPTIONS_VERSION 1
#define CV_ORIGINS_RELEASE_OPTIONS_INIT { CV_ORIGINS_RELEASE_OPTIONS_VERSION, 0, NULL, NULL, NULL, NULL, 0 }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_origins_release_options_init(cv_origins_release_options *opts, unsigned int version);

/** Release the sealed identity to the CNAOP (a holder): needs a disclosure
 * condition, valid approvals by the threshold of distinct holders, and each
 * of those holders' credentials; the key is rebuilt in memory, the identity
 * re-encrypted as CMS EnvelopedData (AES-256) for the recipient certificate,
 * and everything wiped. */
CV_EXTERN(int) cv_origins_release(cv_origins_release_info *out, cv_archive *a, const char *case_id,
	const cv_origins_release_options *o);

CV_END_DECL

#endif
