/* A user's personal keys (identity.h). */
#include "engine/identity.h"
#include "catalog/rowmac.h"
#include "engine/users.h"
#include "crypto/cms.h"
#include "crypto/fieldbox.h"
#include "journal/journal.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "cvid2"

void cv__identity_wipe(cv_identity *id)
{
	cv__wipe(id, sizeof *id);
}

int cv__identity_new(cv_identity *id)
{
	memset(id, 0, sizeof *id);
	int rc = cv__sign_keygen(id->sign_priv, id->sign_pub);
	if (!rc)
		rc = cv__seal_keygen(id->seal_priv, id->seal_pub);
	if (rc)
		cv__identity_wipe(id);
	return rc;
}

void cv__identity_pubs_text(char out[160], const unsigned char sign_pub[32], const unsigned char seal_pub[32])
{
	char s[65], e[65];
	cv__hex(s, sign_pub, 32);
	cv__hex(e, seal_pub, 32);
	snprintf(out, 160, "sign:%s seal:%s", s, e);
}

/* Format "cvid2": MAGIC | log2(N) r p | salt (16) | key id (16) | a CMS
 * AuthEnvelopedData (AES-256-GCM) with one KEK recipient, the KEK being
 * scrypt(credential, salt): `openssl kdf SCRYPT` and `openssl cms -decrypt
 * -secretkey` open it, as they open origins shares (docs/origins.md). The
 * 64 bytes inside are the Ed25519 then the X25519 private key; their public
 * halves must be the user's registered ones, which binds the blob to its
 * user. */
int cv__identity_wrap(cv_buf *out, const cv_identity *id, const char *credential, const char *archive_id,
	const char *user)
{
	(void)archive_id;
	(void)user;
	cv_scrypt_params prm = CV_CREDENTIAL_SCRYPT;
	unsigned char salt[16], kid[CV_KEY_ID_LEN], kek[32], plain[64];
	CV_TRY(cv__random(salt, sizeof salt));
	CV_TRY(cv__random(kid, sizeof kid));
	CV_TRY(cv__scrypt(kek, 32, credential, strlen(credential), salt, sizeof salt, &prm));
	memcpy(plain, id->sign_priv, 32);
	memcpy(plain + 32, id->seal_priv, 32);
	cv_buf box = CV_BUF_INIT;
	int rc = cv__cms_seal(&box, kek, kid, plain, sizeof plain);
	cv__wipe(kek, sizeof kek);
	cv__wipe(plain, sizeof plain);
	unsigned char head[3] = { (unsigned char)prm.log2_n, (unsigned char)prm.r, (unsigned char)prm.p };
	if (!rc)
		rc = cv__buf_put(out, MAGIC, 5);
	if (!rc)
		rc = cv__buf_put(out, head, 3);
	if (!rc)
		rc = cv__buf_put(out, salt, sizeof salt);
	if (!rc)
		rc = cv__buf_put(out, kid, sizeof kid);
	if (!rc)
		rc = cv__buf_put(out, box.data, box.len);
	cv__buf_dispose(&box);
	return rc;
}

/* The private keys must be the halves of the registered public keys. */
static int keys_match(const cv_identity *id, const char *user)
{
	unsigned char s[32], e[32];
	CV_TRY(cv__sign_public(s, id->sign_priv));
	CV_TRY(cv__seal_public(e, id->seal_priv));
	if (!cv__ct_equal(s, id->sign_pub, 32) || !cv__ct_equal(e, id->seal_pub, 32))
		return cv__err(CV_EDAMAGED, "the personal keys of user '%s' do not match their public keys", user);
	return 0;
}

int cv__identity_unwrap(cv_identity *id, const void *blob, size_t n, const char *credential, const char *archive_id,
	const char *user, const unsigned char sign_pub[CV_SIGN_KEY], const unsigned char seal_pub[CV_SEAL_KEY])
{
	(void)archive_id;
	const unsigned char *p = blob;
	const size_t head = 5 + 3 + 16 + CV_KEY_ID_LEN;
	if (n < head || memcmp(p, MAGIC, 5) || p[5] < 10 || p[5] > 22 || !p[6] || !p[7])
		return cv__err(CV_EDAMAGED, "the personal keys of user '%s' are malformed", user);
	cv_scrypt_params prm = { p[5], p[6], p[7] };
	unsigned char kek[32];
	CV_TRY(cv__scrypt(kek, 32, credential, strlen(credential), p + 8, 16, &prm));
	cv_buf plain = CV_BUF_INIT;
	int rc = cv__cms_open(&plain, kek, p + 24, p + head, n - head);
	cv__wipe(kek, sizeof kek);
	if (rc || plain.len != 64) {
		cv__buf_wipe_dispose(&plain);
		/* a box that could not be opened for want of memory says nothing
		 * about the credential (nor may it journal a denial) */
		return rc == CV_ENOMEM ? rc : cv__err(CV_EAUTH, "wrong credential");
	}
	memcpy(id->sign_priv, plain.data, 32);
	memcpy(id->seal_priv, plain.data + 32, 32);
	memcpy(id->sign_pub, sign_pub, 32);
	memcpy(id->seal_pub, seal_pub, 32);
	cv__buf_wipe_dispose(&plain);
	rc = keys_match(id, user);
	if (rc)
		cv__identity_wipe(id);
	return rc;
}

int cv__identity_state(cv_identity_state *st, cv_archive *a, const char *user)
{
	memset(st, 0, sizeof *st);
	CV_TRY(cv__rowmac_check(a->cat, "users", "name=?1", user));
	sqlite3_stmt *q = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &q, "SELECT credential IS NOT NULL, identity IS NOT NULL, one_time, sign_pub,"
		" seal_pub FROM users WHERE name=?"));
	cv__bind_text(q, 1, user);
	/* a failed step or bind is not "no such user" (that is a refusal, journaled) */
	int r = cv__catalog_step(a->cat, q, "read users"), rc = 0;
	if (r == 1) {
		st->has_credential = sqlite3_column_int(q, 0);
		st->has_identity = sqlite3_column_int(q, 1) && sqlite3_column_bytes(q, 3) == 32 &&
			sqlite3_column_bytes(q, 4) == 32;
		st->one_time = sqlite3_column_int(q, 2);
		if (st->has_identity) {
			memcpy(st->sign_pub, sqlite3_column_blob(q, 3), 32);
			memcpy(st->seal_pub, sqlite3_column_blob(q, 4), 32);
		}
	} else {
		rc = r == 0 ? cv__err(CV_ENOTFOUND, "no user '%s'", user) : r;
	}
	sqlite3_finalize(q);
	return rc;
}

int cv__identity_open(cv_identity *id, cv_identity_state *st, cv_archive *a, const char *user, const char *credential)
{
	CV_TRY(cv__identity_state(st, a, user));
	if (!credential || !*credential)
		return cv__err(CV_EAUTH, "no credential given");
	if (!st->has_identity)
		return cv__err(CV_ESTATE, "user '%s' has no personal keys yet: their credential must be set again (it "
			"predates personal keys, or was never set)", user);
	sqlite3_stmt *q = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &q, "SELECT identity FROM users WHERE name=?"));
	cv__bind_text(q, 1, user);
	int rc = sqlite3_step(q) == SQLITE_ROW
		? cv__identity_unwrap(id, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0), credential, a->id, user,
			st->sign_pub, st->seal_pub)
		: cv__catalog_fail(a->cat, "read users");
	sqlite3_finalize(q);
	return rc;
}

int cv__identity_store(cv_archive *a, const char *user, const cv_identity *id, const char *credential, int one_time)
{
	char *hash = NULL;
	CV_TRY(cv__credential_hash(&hash, credential));
	cv_buf wrapped = CV_BUF_INIT;
	int rc = cv__identity_wrap(&wrapped, id, credential, a->id, user);
	sqlite3_stmt *q = NULL;
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &q, "UPDATE users SET credential=?, identity=?, sign_pub=?, seal_pub=?,"
			" one_time=? WHERE name=?");
	if (!rc) {
		cv__bind_text(q, 1, hash);
		cv__bind_blob(q, 2, wrapped.data, wrapped.len);
		cv__bind_blob(q, 3, id->sign_pub, 32);
		cv__bind_blob(q, 4, id->seal_pub, 32);
		sqlite3_bind_int(q, 5, one_time);
		cv__bind_text(q, 6, user);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "store a credential");
		else if (sqlite3_changes(a->cat->db) != 1)
			rc = cv__err(CV_ENOTFOUND, "no user '%s'", user);
		sqlite3_finalize(q);
	}
	cv__buf_dispose(&wrapped);
	free(hash);
	return rc;
}

int cv__decider_open(cv_identity *id, cv_archive *a, const char *credential)
{
	cv_identity_state st;
	CV_TRY(cv__identity_open(id, &st, a, a->actor, credential));
	if (!st.one_time)
		return 0;
	cv__identity_wipe(id);
	return cv__err(CV_EDENIED, "user '%s' holds a one-time credential from an admin's reset: it must be changed "
		"before any decision", a->actor);
}

int cv__decider_sign(const cv_identity *id, cv_archive *a, const char *action, const char *object,
	unsigned char sig[CV_SIGN_SIG])
{
	cv_buf text = CV_BUF_INIT;
	int rc = cv__journal_signed_text(&text, a->id, action, object);
	if (!rc)
		rc = cv__sign(sig, id->sign_priv, text.data, text.len);
	cv__buf_dispose(&text);
	return rc;
}

int cv__decision_sign(cv_archive *a, const char *credential, const char *action, const char *object,
	unsigned char sig[CV_SIGN_SIG])
{
	cv_identity id;
	CV_TRY(cv__decider_open(&id, a, credential));
	int rc = cv__decider_sign(&id, a, action, object, sig);
	cv__identity_wipe(&id);
	return rc;
}

int cv__decider_open_or_deny(cv_identity *id, cv_archive *a, const char *credential, const char *action,
	const char *deny_object, const char *command)
{
	int rc = credential && *credential ? cv__decider_open(id, a, credential) : cv__err(CV_EAUTH, "no credential given");
	if (!rc)
		return 0;
	char why[400];
	snprintf(why, sizeof why, "%s", cv_error_last()->message);
	/* a refused credential is an attempt the journal keeps; a failure to
	 * check it (out of memory, I/O) is not one, and the archive stays as it
	 * was (tests/fault) */
	if (cv__is_refusal(rc))
		cv__journal_record(a->cat, a->actor, action, deny_object, "denied");
	return cv__err(rc, "%s: %s (user %s); nothing was decided", command, why, a->actor);
}

int cv__decision_sign_or_deny(cv_archive *a, const char *credential, const char *action, const char *deny_object,
	const char *object, unsigned char sig[CV_SIGN_SIG], const char *command)
{
	cv_identity id;
	CV_TRY(cv__decider_open_or_deny(&id, a, credential, action, deny_object, command));
	int rc = cv__decider_sign(&id, a, action, object, sig);
	cv__identity_wipe(&id);
	return rc;
}
