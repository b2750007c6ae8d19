/* Logging a user in with their personal credential, for a front end that
 * holds the master key but not the users' credentials (the web service).
 *
 * Who may log in as whom is decided by what the master key cannot forge:
 * a user with personal keys proves their credential by opening their keys,
 * and those keys must be the ones the journal registered under signatures
 * (signatures.c) — an insider who rewrites the users table with the master
 * key gets a refusal, not a session. Attempts are journaled; the lockout
 * (5 failures in 15 minutes lock the user out for 15 minutes) is read back
 * from the journal, so it holds across restarts and for every front end.
 * Uses the handle it is given from one thread, like every handle. */
#include "engine/internal.h"
#include "engine/identity.h"
#include "engine/signatures.h"
#include "engine/users.h"
#include "util/date.h"
#include "util/wipe.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOGIN_MAX_FAILS 5
#define LOGIN_WINDOW_S (15 * 60)
#define LOGIN_LOCK_S (15 * 60)
#define LOGIN_WRONG "wrong user name or credential"

/* Seconds since 1970 of a timestamp the library wrote ("2026-11-23T09:19:29Z"); -1 otherwise. */
static int64_t iso_epoch(const char *iso)
{
	int y, mo, d, h, mi, s;
	char z;
	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 || z != 'Z')
		return -1;
	return cv__date_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* From the user's latest login entries, newest first: the end of a lock in
 * force (0 if none), and the failures since the last success or lock that
 * fall within the window. */
static int login_state(cv_archive *a, const char *user, int64_t now, int64_t *locked_until, int *fails)
{
	sqlite3_stmt *st = NULL;
	*locked_until = 0;
	*fails = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT time, action, outcome FROM journal WHERE actor=?1 AND action IN"
		" ('user.login','user.lock') ORDER BY seq DESC LIMIT 64"));
	cv__bind_text(st, 1, user);
	/* a lock or a failure unread would let guesses through: a failed step,
	 * bind or column is an error, not an empty history */
	int r, rc = 0;
	while ((r = cv__catalog_step(a->cat, st, "read the journal")) > 0) {
		const char *when = (const char *)sqlite3_column_text(st, 0);
		const char *action = (const char *)sqlite3_column_text(st, 1);
		const char *outcome = (const char *)sqlite3_column_text(st, 2);
		if (!when || !action || !outcome) {
			rc = cv__oom(); /* the journal's columns are NOT NULL */
			break;
		}
		int64_t t = iso_epoch(when);
		if (!strcmp(action, "user.lock")) {
			if (t >= 0 && t + LOGIN_LOCK_S > now)
				*locked_until = t + LOGIN_LOCK_S;
			break;
		}
		if (!strcmp(outcome, "ok") || t < 0 || t + LOGIN_WINDOW_S <= now)
			break;
		if (!strcmp(outcome, "failed"))
			(*fails)++;
	}
	if (!rc && r < 0)
		rc = r;
	sqlite3_finalize(st);
	return rc;
}

/* The credential against what only the user could have set: their personal
 * keys, registered in the journal; or, for a user who has none yet (an
 * archive set up before personal keys), the credential's hash. CV_EAUTH for
 * every kind of "no". */
static int check_credential(cv_archive *a, const char *user, const char *credential, int *known)
{
	cv_identity_state st;
	int rc = cv__identity_state(&st, a, user);
	*known = rc != CV_ENOTFOUND;
	if (rc == CV_ENOTFOUND || (!rc && !st.has_credential)) {
		/* the same work as for a registered user: no timing oracle on names */
		(void)cv__credential_check("scrypt$15$8$1$00000000000000000000000000000000$"
			"0000000000000000000000000000000000000000000000000000000000000000", credential);
		return cv__err(CV_EAUTH, LOGIN_WRONG);
	}
	if (rc)
		return rc;
	if (!st.has_identity)
		return cv__user_check_credential(a, user, credential) ? cv__err(CV_EAUTH, LOGIN_WRONG) : 0;
	cv_identity id;
	cv_identity_state st2;
	if (cv__identity_open(&id, &st2, a, user, credential))
		return cv__err(CV_EAUTH, LOGIN_WRONG);
	cv__identity_wipe(&id);
	unsigned char sp[32], xp[32];
	if ((rc = cv__registered_keys(a, user, sp, xp)))
		return rc == CV_EDAMAGED ? rc : cv__err(CV_EAUTH, "user '%s' has no personal keys registered in the journal; "
			"logging in is refused (run 'casevault verify')", user);
	if (!cv__ct_equal(sp, st.sign_pub, 32) || !cv__ct_equal(xp, st.seal_pub, 32))
		return cv__err(CV_EDAMAGED, "user '%s': the keys in the catalog are not the ones the journal registered; "
			"logging in is refused (run 'casevault verify')", user);
	return 0;
}

static int valid_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (!len || len > 48)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@", n[i]))
			return 0;
	return 1;
}

/* A failure: journaled, and the fifth in the window sets the lock. */
static int login_failed(cv_archive *a, const char *user, int fails, int rc)
{
	char msg[512];
	snprintf(msg, sizeof msg, "%s", cv_error_last()->message);
	cv__journal_record(a->cat, user, "user.login", "", "failed");
	if (fails + 1 >= LOGIN_MAX_FAILS) {
		char obj[96];
		snprintf(obj, sizeof obj, "user:%s", user);
		cv__journal_record(a->cat, user, "user.lock", obj, "ok");
	}
	return cv__err(rc, "%s", msg);
}

CV_EXTERN(int) cv_user_login(cv_archive **out, cv_archive *a, const char *user, const char *credential)
{
	if (!out || !a)
		return cv__err(CV_EINVAL, "login: no handle given");
	*out = NULL;
	if (a->read_only)
		return cv__err(CV_ESTATE, "login: the archive is open read-only; logins are journaled");
	if (!valid_name(user) || !credential || !*credential) {
		cv__journal_record(a->cat, "-", "user.login", "user:unregistered", "failed");
		return cv__err(CV_EAUTH, LOGIN_WRONG);
	}
	int64_t now = (int64_t)time(NULL), until = 0;
	int fails = 0;
	CV_TRY(login_state(a, user, now, &until, &fails));
	if (until) {
		cv__journal_record(a->cat, user, "user.login", "", "refused");
		time_t u = (time_t)until;
		struct tm tm;
		gmtime_r(&u, &tm);
		return cv__err(CV_EREFUSED, "user '%s' is locked out until %02d:%02d UTC after %d failed logins within %d "
			"minutes", user, tm.tm_hour, tm.tm_min, LOGIN_MAX_FAILS, LOGIN_WINDOW_S / 60);
	}
	int known = 0, rc = check_credential(a, user, credential, &known);
	if (rc == CV_EAUTH) {
		if (!known) {
			cv__journal_record(a->cat, "-", "user.login", "user:unregistered", "failed");
			return cv__err(CV_EAUTH, LOGIN_WRONG);
		}
		return login_failed(a, user, fails, rc);
	}
	if (rc) {
		cv__journal_record(a->cat, user, "user.login", "", "failed");
		return rc;
	}
	CV_TRY(cv__archive_open_as(out, a, user));
	if ((rc = cv__journal_record(a->cat, user, "user.login", "", "ok"))) {
		cv_archive_free(*out);
		*out = NULL;
	}
	return rc;
}
