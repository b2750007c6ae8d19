/* Notes kept with requests and exports (who called, a phone number, why
 * a deadline moved) name people: each owner ("request:ID", "export:ID") has
 * a random key of its own, wrapped under the master-derived wrap key in
 * note_keys, and destroyed with any case the owner is about
 * (cv__note_keys_shred). The archive-wide fields key would have kept them
 * readable after every shredding. */
#include "engine/internal.h"
#include "crypto/fieldbox.h"
#include "crypto/kdf.h"
#include "crypto/keywrap.h"
#include "util/date.h"
#include "util/wipe.h"

#include <stdio.h>
#include <string.h>

static int key_load(cv_archive *a, const char *owner, unsigned char key[32])
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT wrapped FROM note_keys WHERE owner=?"));
	cv__bind_text(st, 1, owner);
	int step = cv__catalog_step(a->cat, st, "read the key of the notes");
	int rc = step < 0 ? step : CV_ENOTFOUND; /* a failed read is not a destroyed key */
	if (step > 0) {
		unsigned char plain[48];
		size_t pl = 0;
		int wl = sqlite3_column_bytes(st, 0);
		int u = wl >= 16 && wl <= 48 ? cv__unwrap_pad(plain, &pl, a->k_wrap, 32, sqlite3_column_blob(st, 0), (size_t)wl)
			: CV_EAUTH;
		rc = u == CV_ENOMEM ? u : !u && pl == 32 ? 0
			: cv__err(CV_EDAMAGED, "the key of the notes of %s does not unwrap", owner);
		if (!rc)
			memcpy(key, plain, 32);
		cv__wipe(plain, sizeof plain);
	}
	sqlite3_finalize(st);
	if (rc == CV_ENOTFOUND)
		cv__err(CV_ENOTFOUND, "the notes of %s were destroyed with the case they were about", owner);
	return rc;
}

static int key_store(cv_archive *a, const char *owner, const unsigned char key[32])
{
	unsigned char wrapped[48];
	size_t wl = 0;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__wrap_pad(wrapped, &wl, a->k_wrap, 32, key, 32));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "INSERT INTO note_keys(owner, wrapped, created) VALUES(?,?,?)"));
	cv__bind_text(st, 1, owner);
	cv__bind_blob(st, 2, wrapped, wl);
	cv__bind_text(st, 3, now);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "store the key of a note");
	sqlite3_finalize(st);
	return rc;
}

/* The owner's key, made (in the caller's transaction, or in one of its
 * own) the first time. */
static int key_ensure(cv_archive *a, const char *owner, unsigned char key[32])
{
	int rc = key_load(a, owner, key);
	if (rc != CV_ENOTFOUND)
		return rc;
	cv_error_clear();
	CV_TRY(cv__random(key, 32));
	int own = !a->cat->in_tx;
	if (own)
		CV_TRY(cv__catalog_begin(a->cat));
	rc = key_store(a, owner, key);
	if (own && !rc)
		rc = cv__catalog_commit(a->cat);
	if (own && rc)
		cv__catalog_rollback(a->cat);
	return rc;
}

static void note_aad(char *out, size_t n, const char *owner, const char *where)
{
	snprintf(out, n, "casevault/v1|%s|%s", owner, where);
}

int cv__note_seal(cv_buf *out, cv_archive *a, const char *owner, const char *where, const char *text)
{
	unsigned char key[32];
	char ad[160];
	CV_TRY(key_ensure(a, owner, key));
	note_aad(ad, sizeof ad, owner, where);
	int rc = cv__box_seal(out, key, ad, text, strlen(text));
	cv__wipe(key, sizeof key);
	return rc;
}

int cv__note_open(cv_buf *out, cv_archive *a, const char *owner, const char *where, const void *box, size_t n)
{
	unsigned char key[32];
	char ad[160];
	CV_TRY(key_load(a, owner, key));
	note_aad(ad, sizeof ad, owner, where);
	int rc = cv__box_open(out, key, ad, box, n);
	cv__wipe(key, sizeof key);
	return rc;
}

int cv__note_keys_shred(cv_archive *a, const char *case_id)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "DELETE FROM note_keys WHERE"
		" owner IN (SELECT 'request:' || request_id FROM request_subjects WHERE case_id=?1)"
		" OR owner IN (SELECT 'export:' || id FROM exports WHERE ',' || cases || ',' LIKE '%,' || ?1 || ',%')"));
	cv__bind_text(st, 1, case_id);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "destroy the keys of notes");
	sqlite3_finalize(st);
	return rc;
}
