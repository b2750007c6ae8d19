/* A user's personal keys: Ed25519 to sign decisions, X25519 to receive
 * origins shares, both wrapped under a key derived from that user's own
 * credential (scrypt), never under the master key: the master key reads data
 * but cannot decide in anyone's name (docs/keys.md). A cv_identity holds
 * private keys: the caller wipes it (cv__identity_wipe). Not thread-safe:
 * one archive handle, one thread. */
#ifndef CV_ENGINE_IDENTITY_H
#define CV_ENGINE_IDENTITY_H

#include "engine/archive.h"
#include "crypto/sign.h"

typedef struct cv_identity {
	unsigned char sign_priv[CV_SIGN_KEY], sign_pub[CV_SIGN_KEY];
	unsigned char seal_priv[CV_SEAL_KEY], seal_pub[CV_SEAL_KEY];
} cv_identity;

/** What the catalog says of a user's keys. */
typedef struct cv_identity_state {
	int has_identity;          /* personal keys exist */
	int has_credential;        /* a credential is set (hash) */
	int one_time;              /* set by an admin's reset: no decision before it is changed */
	unsigned char sign_pub[CV_SIGN_KEY], seal_pub[CV_SEAL_KEY];
} cv_identity_state;

/** Fresh key pairs. */
int cv__identity_new(cv_identity *id);
void cv__identity_wipe(cv_identity *id);
/** The private keys wrapped under `credential`, bound to archive, user and
 * public keys. */
int cv__identity_wrap(cv_buf *out, const cv_identity *id, const char *credential, const char *archive_id,
	const char *user);
/** CV_EAUTH for a wrong credential or a blob that is not this user's. */
int cv__identity_unwrap(cv_identity *id, const void *blob, size_t n, const char *credential, const char *archive_id,
	const char *user, const unsigned char sign_pub[CV_SIGN_KEY], const unsigned char seal_pub[CV_SEAL_KEY]);
/** A user's keys and credential as the catalog has them (CV_ENOTFOUND: no
 * such user). */
int cv__identity_state(cv_identity_state *st, cv_archive *a, const char *user);
/** Open `user`'s keys with `credential` (CV_EAUTH when wrong; CV_ESTATE
 * when the user has none yet). */
int cv__identity_open(cv_identity *id, cv_identity_state *st, cv_archive *a, const char *user, const char *credential);
/** Store a user's keys under `credential` (hash, wrapped keys, public keys,
 * one-time flag) in the caller's transaction. */
int cv__identity_store(cv_archive *a, const char *user, const cv_identity *id, const char *credential, int one_time);
/** The acting user's signature of a decision (journal.h's signed text):
 * opens their keys with `credential`; refused with a one-time credential or
 * without personal keys. */
int cv__decision_sign(cv_archive *a, const char *credential, const char *action, const char *object,
	unsigned char sig[CV_SIGN_SIG]);
/** The acting user's keys for a decision, opened with `credential`:
 * refused with a one-time credential or without personal keys. The caller
 * wipes them (cv__identity_wipe). */
int cv__decider_open(cv_identity *id, cv_archive *a, const char *credential);
/** The same for a command: refusals journaled as denied on `deny_object`,
 * reported as "<command>: why (user U); nothing was decided". */
int cv__decider_open_or_deny(cv_identity *id, cv_archive *a, const char *credential, const char *action,
	const char *deny_object, const char *command);
/** Sign (action, object) with opened keys. */
int cv__decider_sign(const cv_identity *id, cv_archive *a, const char *action, const char *object,
	unsigned char sig[CV_SIGN_SIG]);
/** cv__decision_sign for a command: a missing or wrong credential, or one
 * that may not decide, is journaled as denied on `deny_object` and
 * reported as "<command>: why (user U); nothing was decided". */
int cv__decision_sign_or_deny(cv_archive *a, const char *credential, const char *action, const char *deny_object,
	const char *object, unsigned char sig[CV_SIGN_SIG], const char *command);
/** "sign:HEX seal:HEX", the public keys as journal objects record them. */
void cv__identity_pubs_text(char out[160], const unsigned char sign_pub[32], const unsigned char seal_pub[32]);

#endif
