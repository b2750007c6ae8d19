/* Users, roles and personal credentials. The actor of every command is a
 * registered user; credentials (for decisions needing a second person) are
 * stored only as scrypt hashes: "scrypt$<log2n>$<r>$<p>$<salt hex>$<hash hex>". */
#include "engine/internal.h"
#include "catalog/rowmac.h"
#include "engine/access.h"
#include "engine/identity.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int cv__has_role(const cv_archive *a, const char *role)
{
	return cv__csv_has(a->roles, role);
}

int cv__load_actor(cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	/* roles given behind casevault's back fail here */
	CV_TRY(cv__rowmac_check(a->cat, "users", "name=?1", a->actor));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT roles FROM users WHERE name=?"));
	cv__bind_text(st, 1, a->actor);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		cv__col_text(st, 0, a->roles, sizeof a->roles);
	} else if (r == SQLITE_DONE && cv__catalog_bind_failed()) {
		rc = cv__err(CV_ENOMEM, "cannot read users: out of memory");
	} else if (r == SQLITE_DONE) {
		rc = CV_EDENIED;
	} else {
		rc = cv__catalog_fail(a->cat, "read users");
	}
	sqlite3_finalize(st);
	if (rc == CV_EDENIED) {
		if (!a->read_only)
			cv__journal_record(a->cat, a->actor, "archive.open", a->id, "denied");
		return cv__err(CV_EDENIED, "user '%s' is not registered in archive %s", a->actor, a->dir);
	}
	return rc;
}

int cv__credential_hash(char **out, const char *credential)
{
	cv_scrypt_params prm = CV_CREDENTIAL_SCRYPT;
	unsigned char salt[16], h[32];
	char sh[33], hh[65];
	if (strlen(credential) < 8)
		return cv__err(CV_EINVAL, "a personal credential needs at least 8 characters");
	CV_TRY(cv__random(salt, sizeof salt));
	CV_TRY(cv__scrypt(h, 32, credential, strlen(credential), salt, sizeof salt, &prm));
	cv__hex(sh, salt, 16);
	cv__hex(hh, h, 32);
	cv__wipe(h, sizeof h);
	char *s = malloc(160);
	if (!s)
		return cv__oom();
	snprintf(s, 160, "scrypt$%u$%u$%u$%s$%s", prm.log2_n, prm.r, prm.p, sh, hh);
	*out = s;
	return 0;
}

int cv__credential_check(const char *stored, const char *credential)
{
	cv_scrypt_params prm;
	char sh[33], hh[65];
	unsigned char salt[16], want[32], got[32];
	if (!stored || sscanf(stored, "scrypt$%u$%u$%u$%32[0-9a-f]$%64[0-9a-f]", &prm.log2_n, &prm.r, &prm.p, sh, hh) != 5 ||
		cv__unhex(salt, 16, sh) < 0 || cv__unhex(want, 32, hh) < 0)
		return cv__err(CV_EAUTH, "no personal credential is set for this user");
	CV_TRY(cv__scrypt(got, 32, credential, strlen(credential), salt, 16, &prm));
	int ok = cv__ct_equal(got, want, 32);
	cv__wipe(got, sizeof got);
	return ok ? 0 : cv__err(CV_EAUTH, "wrong credential");
}

int cv__user_check_credential(cv_archive *a, const char *user, const char *credential)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT credential FROM users WHERE name=?"));
	cv__bind_text(st, 1, user);
	char *stored = sqlite3_step(st) == SQLITE_ROW ? cv__col_strdup(st, 0) : NULL;
	sqlite3_finalize(st);
	int rc = credential && *credential ? cv__credential_check(stored, credential) : cv__err(CV_EAUTH, "no credential given");
	free(stored);
	return rc;
}

static int valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 48)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			    c == '-' || c == '@'))
			return 0;
	}
	return 1;
}

int cv__user_insert(cv_archive *a, const char *name, const char *roles_csv, const char *credential)
{
	char *hash = NULL;
	if (credential)
		CV_TRY(cv__credential_hash(&hash, credential));
	char now[32];
	cv__now_iso(now);
	sqlite3_stmt *st = NULL;
	int rc = cv__catalog_prepare(a->cat, &st, "INSERT INTO users(name,roles,credential,created) VALUES(?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, name);
		cv__bind_text(st, 2, roles_csv);
		cv__bind_text(st, 3, hash);
		cv__bind_text(st, 4, now);
		int r = sqlite3_step(st);
		if (r == SQLITE_CONSTRAINT)
			rc = cv__err(CV_EEXISTS, "user '%s' already exists", name);
		else if (r != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "add user");
	}
	sqlite3_finalize(st);
	free(hash);
	return rc;
}

static int roles_csv(char csv[160], const char *name, const char *const *roles, size_t nroles)
{
	csv[0] = '\0';
	if (!name || !valid_name(name))
		return cv__err(CV_EINVAL, "user add: '%s' is not a valid user name (letters, digits, . _ - @; at most 48)",
			name ? name : "");
	if (!nroles)
		return cv__err(CV_EINVAL, "user add %s: a user needs at least one role (%s)", name,
			"admin, archivist, director, dpo, maft, cnaop, auditor");
	for (size_t i = 0; i < nroles; i++) {
		if (!cv__role_known(roles[i]))
			return cv__err(CV_EINVAL, "user add %s: unknown role '%s' (known: admin, archivist, director, dpo, maft, "
				"cnaop, auditor)", name, roles[i]);
		if (cv__csv_has(csv, roles[i]))
			continue;
		if (strlen(csv) + strlen(roles[i]) + 2 > 160)
			return cv__err(CV_EINVAL, "too many roles");
		if (csv[0])
			strcat(csv, ",");
		strcat(csv, roles[i]);
	}
	return 0;
}

/* Whether any admin has personal keys: from then on, what admins decide
 * (grants, resets) must be signed; before, the archive is being set up. */
static int keyed_admins(cv_archive *a, int *n)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT count(*) FROM users WHERE identity IS NOT NULL AND"
		" (','||roles||',') LIKE '%,admin,%'"));
	*n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

/* The acting admin's signature of an admin act (grant, reset), or none
 * while no admin has keys (set-up). `sig` is NULL when unsigned. */
static int admin_signature(cv_archive *a, const char *action, const char *object, unsigned char sig[64], int *signed_)
{
	int keyed = 0;
	*signed_ = 0;
	CV_TRY(keyed_admins(a, &keyed));
	if (!keyed)
		return 0;
	if (!a->credential)
		return cv__err(CV_EAUTH, "%s: an admin signs this with their own credential, and none was given", action);
	CV_TRY(cv__decision_sign(a, a->credential, action, object, sig));
	*signed_ = 1;
	return 0;
}

static int journal_act(cv_txn *t, const char *action, const char *object, const unsigned char *sig)
{
	CV_TRY(cv__txn_sql_begin(t));
	return cv__journal_append_signed(t->a->cat, t->a->actor, action, object, "ok", sig ? t->a->actor : NULL, sig, NULL,
		NULL);
}

CV_EXTERN(int) cv_user_add(cv_archive *a, const char *name, const char *const *roles, size_t nroles,
	const char *credential)
{
	char csv[160], obj[400], pubs[160] = "";
	CV_TRY(roles_csv(csv, name, roles, nroles));
	CV_TRY(cv__access_check(a, "user.add", name));
	cv_identity id;
	memset(&id, 0, sizeof id);
	if (credential)
		CV_TRY(cv__identity_new(&id));
	if (credential)
		cv__identity_pubs_text(pubs, id.sign_pub, id.seal_pub);
	snprintf(obj, sizeof obj, "user:%s roles:%s%s%s", name, csv, pubs[0] ? " " : "", pubs);
	unsigned char sig[64];
	int is_signed = 0;
	int rc = admin_signature(a, "user.add", obj, sig, &is_signed);
	cv_txn t;
	if (!rc)
		rc = cv__txn_begin(&t, a, "user");
	if (rc) {
		cv__identity_wipe(&id);
		return rc;
	}
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__user_insert(a, name, csv, NULL);
	if (!rc && credential)
		rc = cv__identity_store(a, name, &id, credential, 0);
	cv__identity_wipe(&id);
	if (!rc)
		rc = journal_act(&t, "user.add", obj, is_signed ? sig : NULL);
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	return rc;
}

/* A first credential one sets oneself: only an admin, and only while the
 * archive is being set up (no admin has keys yet). Anyone else receives
 * theirs from an admin (at user add, or a reset). */
static int first_credential(cv_archive *a, cv_identity *next)
{
	int keyed = 0;
	CV_TRY(keyed_admins(a, &keyed));
	if (keyed || !cv__has_role(a, "admin"))
		return cv__err(CV_EDENIED, "user passwd: user '%s' has no credential yet; an admin gives the first one",
			a->actor);
	return cv__identity_new(next);
}

/* One's own change: the old credential opens the keys; a one-time credential
 * (from a reset) gives way to new keys, so that the admin who knew it can
 * never sign with them; the entry is signed with the keys the user had. */
static int passwd_own(cv_archive *a, const char *old, cv_identity *next, unsigned char sig[64],
	int *is_signed, char obj[400])
{
	cv_identity_state st;
	cv_identity cur;
	*is_signed = 0;
	CV_TRY(cv__identity_state(&st, a, a->actor));
	if (st.has_credential && (!old || !*old))
		return cv__err(CV_EAUTH, "user passwd: changing one's own credential needs the current one");
	if (st.has_credential && !st.has_identity)
		CV_TRY(cv__user_check_credential(a, a->actor, old)); /* from before personal keys */
	int rc = 0;
	if (st.has_identity) {
		CV_TRY(cv__identity_open(&cur, &st, a, a->actor, old));
		if (st.one_time)
			rc = cv__identity_new(next);
		else
			*next = cur;
	} else {
		rc = st.has_credential ? cv__identity_new(next) : first_credential(a, next);
	}
	char pubs[160];
	cv__identity_pubs_text(pubs, next->sign_pub, next->seal_pub);
	snprintf(obj, 400, "user:%s %s", a->actor, pubs);
	cv_buf text = CV_BUF_INIT;
	if (!rc && st.has_identity)
		rc = cv__journal_signed_text(&text, a->id, "user.passwd", obj);
	if (!rc && st.has_identity && !(rc = cv__sign(sig, cur.sign_priv, text.data, text.len)))
		*is_signed = 1;
	cv__buf_dispose(&text);
	if (st.has_identity)
		cv__identity_wipe(&cur);
	return rc;
}

CV_EXTERN(int) cv_user_passwd(cv_archive *a, const char *name, const char *credential, const char *old)
{
	int own = strcmp(name, a->actor) == 0;
	if (!own)
		CV_TRY(cv__access_check(a, "user.passwd", name));
	if (!credential)
		return cv__err(CV_EINVAL, "user passwd: no new credential given");
	cv_identity_state st;
	CV_TRY(cv__identity_state(&st, a, name));
	cv_identity next;
	memset(&next, 0, sizeof next);
	unsigned char sig[64];
	int is_signed = 0, rc;
	char obj[400], pubs[160];
	if (own) {
		rc = passwd_own(a, old, &next, sig, &is_signed, obj);
	} else {
		rc = cv__identity_new(&next);
		cv__identity_pubs_text(pubs, next.sign_pub, next.seal_pub);
		snprintf(obj, sizeof obj, "user:%s %s one-time", name, pubs);
		if (!rc)
			rc = admin_signature(a, "user.reset", obj, sig, &is_signed);
	}
	cv_txn t;
	if (!rc)
		rc = cv__txn_begin(&t, a, "user");
	if (rc) {
		cv__identity_wipe(&next);
		return rc;
	}
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__identity_store(a, name, &next, credential, !own);
	cv__identity_wipe(&next);
	if (!rc)
		rc = journal_act(&t, own ? "user.passwd" : "user.reset", obj, is_signed ? sig : NULL);
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	return rc;
}

CV_EXTERN(int) cv_user_list(cv_user **out, size_t *count, cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*count = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT name,roles,credential IS NOT NULL,created,identity IS NOT NULL,one_time FROM users ORDER BY name"));
	size_t n = 0, cap = 0;
	cv_user *list = NULL;
	int r, rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			cv_user *p = realloc(list, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			list = p;
		}
		cv_user *u = &list[n++];
		memset(u, 0, sizeof *u);
		cv__col_text(st, 0, u->name, sizeof u->name);
		cv__col_text(st, 1, u->roles, sizeof u->roles);
		u->has_credential = sqlite3_column_int(st, 2);
		cv__col_text(st, 3, u->created, sizeof u->created);
		u->has_keys = sqlite3_column_int(st, 4);
		u->one_time = sqlite3_column_int(st, 5);
	}
	if (!rc && r != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "list users");
	sqlite3_finalize(st);
	if (rc) {
		free(list);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(void) cv_user_list_free(cv_user *list)
{
	free(list);
}

