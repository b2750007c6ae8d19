/*
 * casevault — the GDPR rights register of the DPO (RGPD art. 12 to 21).
 *
 * Requests are opened on a subject (a person of one case, or found by
 * identity across cases), get a deadline (one month, art. 12(3)), a proposed
 * decision by legal basis, an identity check, a decision by a DPO confirmed
 * with their own credential, and a fulfilment. Results are freed with their
 * *_free.
 */
#ifndef CASEVAULT_REQUEST_H
#define CASEVAULT_REQUEST_H

#include "archive.h"
#include "sweep.h"

CV_BEGIN_DECL

typedef struct cv_request_subject {
	char case_id[40];
	char ref[128];
	char person[48];
} cv_request_subject;

typedef struct cv_request {
	char id[20];
	char type[16];           /**< access, rectification, erasure, restriction, portability, objection */
	char state[16];          /**< open, decided, fulfilled */
	char received[11];
	char due[11];            /**< one month after receipt */
	char extended_due[11];   /**< "" unless extended */
	char effective_due[11];
	char *extension_reason;
	char channel[32];
	char opened_by[64], opened_at[32];
	char identity_method[64], identity_by[64], identity_at[32];
	char proposal[16];       /**< grant, refuse, weigh */
	char proposal_ground[320];
	char decision[16];       /**< grant, refuse, partial, "" */
	char ground[320];
	char decided_by[64], decided_at[32];
	char fulfilled_by[64], fulfilled_at[32];
	char outcome[512];
	char *certificate;       /**< erasure certificate (JSON) or NULL */
	cv_request_subject *subjects;
	size_t nsubjects;
	char extended_by[64];    /**< who extended the deadline, "" unless extended */
	char extended_at[32];    /**< when (UTC, ISO 8601): the real time of the decision */
} cv_request;

typedef struct cv_request_open_options {
	unsigned int version;
	const char *type;
	const char *subject;     /**< person id in --case ... */
	const char *case_id;
	const char *last, *first, *born; /**< ... or found by identity across cases */
	const char *received;    /**< YYYY-MM-DD */
	const char *channel;     /**< courrier, courriel, guichet... */
	const char *note;        /**< kept encrypted */
} cv_request_open_options;

#define CV_REQUEST_OPEN_OPTIONS_VERSION 1
#define CV_REQUEST_OPEN_OPTIONS_INIT { CV_REQUEST_OPEN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_request_open_options_init(cv_request_open_options *opts, unsigned int version);

/** Register a request (dpo or admin). A subject found in several cases gives
 * one request covering all of them. */
CV_EXTERN(int) cv_request_open(cv_request **out, cv_archive *a, const cv_request_open_options *o);
CV_EXTERN(int) cv_request_get(cv_request **out, cv_archive *a, const char *id);
CV_EXTERN(void) cv_request_free(cv_request *r);

typedef struct cv_request_filter {
	unsigned int version;
	int overdue;             /**< only requests past their deadline */
	int due_within;          /**< only those due within N days (-1: no filter) */
	const char *as_of;       /**< the day to judge by (NULL: today) */
} cv_request_filter;

#define CV_REQUEST_FILTER_VERSION 1
#define CV_REQUEST_FILTER_INIT { CV_REQUEST_FILTER_VERSION, 0, -1, NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_request_filter_init(cv_request_filter *opts, unsigned int version);

CV_EXTERN(int) cv_request_list(cv_request **out, size_t *count, cv_archive *a, const cv_request_filter *f);
CV_EXTERN(void) cv_request_list_free(cv_request *list, size_t count);

/** Two more months (art. 12(3)), once, before the first deadline; the reason
 * is recorded. Dated by the clock: `as_of` must be NULL (a decision cannot be
 * dated; CV_EINVAL otherwise). */
CV_EXTERN(int) cv_request_extend(cv_archive *a, const char *id, const char *reason, const char *as_of);
/** Record how the requester's identity was checked (by whom, when). */
CV_EXTERN(int) cv_request_verify_identity(cv_archive *a, const char *id, const char *method);
/** Decide (dpo only), confirmed with the acting user's credential:
 * decision is "grant", "refuse" or "partial"; ground is the legal ground. */
CV_EXTERN(int) cv_request_decide(cv_archive *a, const char *id, const char *decision, const char *ground,
	const char *credential);

typedef struct cv_request_fulfil_options {
	unsigned int version;
	const char *out_path;    /**< access/portability: the copy (.zip) */
	const char *password;    /**< optional zip password */
	const char *case_id;     /**< rectification: which case (when several) */
	const char *doc;         /**< rectification of a document: its id ... */
	const void *content;     /**< ... and the rectified content */
	size_t content_len;
	const char *field;       /**< rectification of a field: last, first, born, sex, phone, email, address, nir */
	const char *value;
	const char *note;
	/* version 2 */
	const char *credential;  /**< the acting user's own credential: their key signs the fulfilment */
} cv_request_fulfil_options;

#define CV_REQUEST_FULFIL_OPTIONS_VERSION 2
#define CV_REQUEST_FULFIL_OPTIONS_INIT { CV_REQUEST_FULFIL_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, \
	NULL }

/** Set *opts to the defaults of `version` (CV_EINVAL for a version this
 * library does not know): the _INIT macro for callers that cannot use it. */
CV_EXTERN(int) cv_request_fulfil_options_init(cv_request_fulfil_options *opts, unsigned int version);

/** The archives director's approval (visa) of a granted erasure that reaches
 * archived cases, which are public archives (Code du patrimoine R.212-14):
 * signed with the director's own key over the request and the archived
 * cases it would shred; fulfilment is refused without it. `credential` is
 * the director's own. */
CV_EXTERN(int) cv_request_approve(cv_archive *a, const char *id, const char *credential);

/** Carry out the decision; the request is marked fulfilled only when the
 * action completed. Refused before the identity check. */
CV_EXTERN(int) cv_request_fulfil(cv_archive *a, const char *id, const cv_request_fulfil_options *o);
/** End a restriction (or a granted objection) put in place by a request. */
CV_EXTERN(int) cv_request_lift(cv_archive *a, const char *id, const char *reason);
/** The register for accountability (art. 5(2), 30): HTML (printable) or CSV. */
CV_EXTERN(int) cv_request_register(cv_archive *a, cv_format fmt, const char *out_path);

CV_END_DECL

#endif
