/* The signatures in the journal (signatures.c): each user's public key as
 * the journal registered it, each decision's signature checked against the
 * key its author had then and the roles they held, every decision that must
 * be signed found signed, and the catalog's public keys equal to the
 * registered ones. Reads the whole journal; allocates nothing the caller
 * frees. Not thread-safe: one archive handle, one thread. */
#ifndef CV_ENGINE_SIGNATURES_H
#define CV_ENGINE_SIGNATURES_H

#include "engine/archive.h"

/** A signed decision as the journal holds it. */
typedef struct cv_decision {
	uint64_t seq;
	char actor[64];
	char object[512];
} cv_decision;

/** 0 when every signature holds; CV_EDAMAGED with the entry (0 for the
 * catalog) and the reason otherwise. */
int cv__signatures_check(cv_archive *a, uint64_t *first_bad, char *reason, size_t reason_len);
/** The last signed `action` whose object starts with `object_prefix`,
 * once every signature of the journal has been checked: CV_EDAMAGED when
 * one does not hold, CV_ENOTFOUND when there is no such decision. */
int cv__decision_find(cv_decision *out, cv_archive *a, const char *action, const char *object_prefix);

/** `user`'s public keys as the journal registered them, once every
 * signature of the journal has been checked (CV_ENOTFOUND: none). */
int cv__registered_keys(cv_archive *a, const char *user, unsigned char sign_pub[32], unsigned char seal_pub[32]);

#endif
