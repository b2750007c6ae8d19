/* Users, roles and personal credentials. The actor of every command is a
 * registered user; credentials (for decisions needing a second person) are
 * stored only as scrypt hashes: "scrypt$<log2n>$<r>$<p>$<salt hex>$<hash hex>". */
#include "engine/internal.h"
#include "engine/access.h"
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
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT roles FROM users WHERE name=?"));
	cv__bind_text(st, 1, a->actor);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		cv__col_text(st, 0, a->roles, sizeof a->roles);
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

CV_EXTERN(int) cv_user_add(cv_archive *a, const char *name, const char *const *roles, size_t nroles,
	const char *credential)
{
	char csv[160] = "";
	if (!name || !valid_name(name))
		return cv__err(CV_EINVAL, "user add: '%s' is not a valid user name (letters, digits, . _ - @; at most 48)",
			name ? name : "");
	if (!nroles)
		return cv__err(CV_EINVAL, "user add %s: a user needs at least one role (%s)", name,
			"admin, archivist, director, dpo, maft, cnaop, auditor");
	for (size_t i = 0; i < nroles; i++) {
		if (!cv__role_known(roles[i]))
			return cv__err(CV_EINVAL, "user add %s: unknown role '%s' (known: admin, archivist, director, dpo, maft, cnaop, auditor)",
				name, roles[i]);
		if (cv__csv_has(csv, roles[i]))
			continue;
		if (strlen(csv) + strlen(roles[i]) + 2 > sizeof csv)
			return cv__err(CV_EINVAL, "too many roles");
		if (csv[0])
			strcat(csv, ",");
		strcat(csv, roles[i]);
	}
	CV_TRY(cv__access_check(a, "user.add", name));
	cv_txn t;
	CV_TRY(cv__txn_begin(&t, a, "user"));
	char obj[256];
	snprintf(obj, sizeof obj, "user:%s roles:%s", name, csv);
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__user_insert(a, name, csv, credential);
	return cv__txn_finish(&t, rc, "user.add", obj);
}

CV_EXTERN(int) cv_user_passwd(cv_archive *a, const char *name, const char *credential)
{
	if (strcmp(name, a->actor) != 0)
		CV_TRY(cv__access_check(a, "user.passwd", name));
	char *hash = NULL;
	CV_TRY(cv__credential_hash(&hash, credential));
	cv_txn t;
	int rc = cv__txn_begin(&t, a, "user");
	if (rc) {
		free(hash);
		return rc;
	}
	sqlite3_stmt *st = NULL;
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "UPDATE users SET credential=? WHERE name=?");
	if (!rc) {
		cv__bind_text(st, 1, hash);
		cv__bind_text(st, 2, name);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "set credential");
		else if (sqlite3_changes(a->cat->db) == 0)
			rc = cv__err(CV_ENOTFOUND, "user passwd: no user '%s'", name);
	}
	sqlite3_finalize(st);
	free(hash);
	char obj[128];
	snprintf(obj, sizeof obj, "user:%s", name);
	return cv__txn_finish(&t, rc, "user.passwd", obj);
}

CV_EXTERN(int) cv_user_list(cv_user **out, size_t *count, cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*count = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT name,roles,credential IS NOT NULL,created FROM users ORDER BY name"));
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

