/* The sealing key's state and holders, and the calls that change them:
 * setup (the key made once and split among its first holders), reshare (new
 * holders, confirmed by the current ones) and rewrap (a holder's share under
 * their new credential). The cryptography is origins_crypto.c; see
 * docs/origins.md. */
#include "origins/origins_internal.h"
#include "catalog/rowmac.h"
#include "engine/identity.h"
#include "engine/signatures.h"
#include "util/proc.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* State of the key                                                     */

int cv__origins_current(cv_archive *a, unsigned *generation, unsigned *threshold)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__rowmac_check(a->cat, "origins_keys", NULL, NULL));
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT generation, threshold FROM origins_keys WHERE retired IS NULL ORDER BY generation DESC LIMIT 1"));
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		*generation = (unsigned)sqlite3_column_int(st, 0);
		*threshold = (unsigned)sqlite3_column_int(st, 1);
	} else if (r == SQLITE_DONE) {
		rc = cv__err(CV_ESTATE, "the archive has no sealing key yet (the origins setup has not been done)");
	} else {
		rc = cv__catalog_fail(a->cat, "read the sealing key");
	}
	sqlite3_finalize(st);
	return rc;
}

int cv__origins_holders(cv_archive *a, unsigned generation, char (*names)[64], size_t *n)
{
	sqlite3_stmt *st = NULL;
	*n = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT holder FROM origins_shares WHERE generation=? ORDER BY share_no"));
	sqlite3_bind_int(st, 1, (int)generation);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW && *n < CV_ORIGINS_MAX_HOLDERS)
		cv__col_text(st, 0, names[(*n)++], 64);
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "read the holders");
}

int cv__origins_is_holder(cv_archive *a, unsigned generation, const char *user)
{
	char names[CV_ORIGINS_MAX_HOLDERS][64];
	size_t n = 0;
	CV_TRY(cv__origins_holders(a, generation, names, &n));
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], user))
			return 1;
	return 0;
}

int cv__origins_key_info(cv_archive *a, cv_origins_key_info *out)
{
	sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof *out);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT generation, threshold, cert_sha256, created, created_by FROM origins_keys WHERE retired IS NULL"
		" ORDER BY generation DESC LIMIT 1"));
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		out->ready = 1;
		out->generation = (unsigned)sqlite3_column_int(st, 0);
		out->threshold = (unsigned)sqlite3_column_int(st, 1);
		cv__col_text(st, 2, out->cert_sha256, sizeof out->cert_sha256);
		cv__col_text(st, 3, out->created, sizeof out->created);
		cv__col_text(st, 4, out->created_by, sizeof out->created_by);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return cv__catalog_fail(a->cat, "read the sealing key");
	if (!out->ready)
		return 0;
	size_t n = 0;
	CV_TRY(cv__origins_holders(a, out->generation, out->holders, &n));
	out->nholders = (unsigned)n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* setup, reshare, rewrap                                               */

static int user_row(cv_archive *a, const char *name, char roles[160], char **credential)
{
	sqlite3_stmt *st = NULL;
	*credential = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT roles, credential FROM users WHERE name=?"));
	cv__bind_text(st, 1, name);
	int r = cv__catalog_step(a->cat, st, "read users"), rc = 0;
	if (r == 1) {
		cv__col_text(st, 0, roles, 160);
		*credential = cv__col_strdup(st, 1);
	} else {
		rc = r == 0 ? cv__err(CV_ENOTFOUND, "no user '%s' in the archive", name) : r;
	}
	sqlite3_finalize(st);
	return rc;
}

/* New holders: K >= 2, N >= K, distinct cnaop users, each with personal
 * keys as the journal registered them: their shares are sealed to those
 * public keys (`pubs`), so nobody's passphrase is needed, and a key swapped
 * into the catalog would not be used. */
static int check_holders(cv_archive *a, const char *action, unsigned k, const char *const *holders, size_t n,
	unsigned char (*pubs)[32])
{
	if (k < 2)
		return cv__err(CV_EINVAL, "%s: the threshold must be at least 2 (no single person may unseal)", action);
	if (n < k)
		return cv__err(CV_EINVAL, "%s: %zu holder%s for a threshold of %u; at least %u are needed", action, n,
			n == 1 ? "" : "s", k, k);
	if (n > CV_ORIGINS_MAX_HOLDERS)
		return cv__err(CV_EINVAL, "%s: at most %d holders", action, CV_ORIGINS_MAX_HOLDERS);
	if (!holders)
		return cv__err(CV_EINVAL, "%s: no holders given", action);
	for (size_t i = 0; i < n; i++) {
		if (!holders[i] || !*holders[i])
			return cv__err(CV_EINVAL, "%s: empty holder name", action);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(holders[i], holders[j]))
				return cv__err(CV_EINVAL, "%s: holder '%s' is given twice", action, holders[i]);
	}
	for (size_t i = 0; i < n; i++) {
		char roles[160] = "", *stored = NULL;
		unsigned char sign_pub[32];
		CV_TRY(user_row(a, holders[i], roles, &stored));
		free(stored);
		if (!cv__csv_has(roles, "cnaop"))
			return cv__err(CV_EINVAL, "%s: '%s' does not have the cnaop role (roles: %s)", action, holders[i], roles);
		int rc = cv__registered_keys(a, holders[i], sign_pub, pubs[i]);
		if (rc == CV_ENOTFOUND)
			return cv__err(CV_EINVAL, "%s: '%s' has no personal keys yet (they are made with the user's own "
				"credential: user add --credential-file, or user passwd)", action, holders[i]);
		CV_TRY(rc);
	}
	return 0;
}

static int insert_generation(cv_archive *a, unsigned gen, unsigned k, size_t n, const char *cert_sha, const char *now)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"INSERT INTO origins_keys(generation,threshold,holders,cert_sha256,created,created_by) VALUES(?,?,?,?,?,?)"));
	sqlite3_bind_int(st, 1, (int)gen);
	sqlite3_bind_int(st, 2, (int)k);
	sqlite3_bind_int(st, 3, (int)n);
	cv__bind_text(st, 4, cert_sha);
	cv__bind_text(st, 5, now);
	cv__bind_text(st, 6, a->actor);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "record the sealing key");
	sqlite3_finalize(st);
	return rc;
}

static int put_share(cv_archive *a, const char *sql, unsigned gen, const char *holder, unsigned no,
	const cv__wrapped_share *w, const char *now)
{
	sqlite3_stmt *st = NULL;
	char kid[2 * CV_KEY_ID_LEN + 1];
	cv__hex(kid, w->kid, CV_KEY_ID_LEN);
	CV_TRY(cv__catalog_prepare(a->cat, &st, sql));
	sqlite3_bind_int(st, 1, (int)gen);
	cv__bind_text(st, 2, holder);
	sqlite3_bind_int(st, 3, (int)no);
	cv__bind_text(st, 4, w->kdf);
	cv__bind_blob(st, 5, w->salt, w->salt_len);
	cv__bind_text(st, 6, kid);
	cv__bind_blob(st, 7, w->obj.data, w->obj.len);
	cv__bind_text(st, 8, now);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "store a share");
	sqlite3_finalize(st);
	return rc;
}

static const char SQL_INS_SHARE[] =
	"INSERT INTO origins_shares(generation,holder,share_no,kdf,salt,kek_id,wrapped,created) VALUES(?,?,?,?,?,?,?,?)";

static void holders_csv(char *out, size_t n, const char *const *holders, size_t nh)
{
	out[0] = '\0';
	for (size_t i = 0; i < nh; i++) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", i ? "," : "", holders[i]);
	}
}

/* One generation's rows: the key's record and one share per holder. */
static int store_generation(cv_archive *a, unsigned gen, unsigned k, const char *const *holders, size_t n,
	const cv__wrapped_share *w, const unsigned char *nos, const char *cert_sha, const char *now)
{
	CV_TRY(insert_generation(a, gen, k, n, cert_sha, now));
	for (size_t i = 0; i < n; i++)
		CV_TRY(put_share(a, SQL_INS_SHARE, gen, holders[i], nos[i], &w[i], now));
	return 0;
}

/* Once only: the holders of an existing key change by a reshare. */
static int setup_not_done(cv_archive *a)
{
	char *pem = NULL;
	int has = cv__catalog_meta_get(a->cat, "sealing_cert", &pem);
	free(pem);
	if (has == 0)
		return cv__err(CV_ESTATE, "origins setup: the archive already has a sealing key; its holders are changed by a "
			"reshare");
	if (has != CV_ENOTFOUND)
		return has;
	cv_error_clear();
	return 0;
}

/* Checked again inside the transaction: two setups at once must not both
 * store a key. */
static int setup_store(cv_archive *a, const cv_origins_setup_options *o, const char *pem, const char *cert_sha,
	const cv__wrapped_share *w, const unsigned char *nos, const cv_identity *me)
{
	cv_txn t;
	char now[32], obj[1024], hl[800];
	unsigned char sig[64];
	cv__now_iso(now);
	holders_csv(hl, sizeof hl, o->holders, o->nholders);
	/* the certificate's hash, pinned by the admin's signature: sealing and
	 * verify compare the catalog's certificate with it */
	snprintf(obj, sizeof obj, "generation:1 threshold:%u holders:%s cert:%s", o->threshold, hl, cert_sha);
	CV_TRY(cv__decider_sign(me, a, "origins.setup", obj, sig));
	CV_TRY(cv__txn_begin(&t, a, "origins setup"));
	char *again = NULL;
	int rc = cv__txn_sql_begin(&t);
	if (!rc && cv__catalog_meta_get(a->cat, "sealing_cert", &again) == 0)
		rc = cv__err(CV_ESTATE, "origins setup: another setup finished meanwhile");
	free(again);
	if (!rc)
		cv_error_clear();
	if (!rc)
		rc = cv__catalog_meta_set(a->cat, "sealing_cert", pem);
	if (!rc)
		rc = store_generation(a, 1, o->threshold, o->holders, o->nholders, w, nos, cert_sha, now);
	return cv__txn_finish_signed(&t, rc, "origins.setup", obj, sig);
}

CV_EXTERN(int) cv_origins_setup(cv_origins_key_info *out, cv_archive *a, const cv_origins_setup_options *o)
{
	if (out)
		memset(out, 0, sizeof *out);
	CV_TRY(cv__options_version(o, o ? o->version : 0, CV_ORIGINS_SETUP_OPTIONS_VERSION, "origins setup"));
	CV_TRY(cv__access_check(a, "origins.setup", ""));
	CV_TRY(setup_not_done(a));
	unsigned char pubs[CV_ORIGINS_MAX_HOLDERS][32];
	CV_TRY(check_holders(a, "origins.setup", o->threshold, o->holders, o->nholders, pubs));
	cv_identity me;
	CV_TRY(cv__decider_open_or_deny(&me, a, o->version >= 2 ? o->credential : NULL, "origins.setup", "",
		"origins setup"));
	cv_buf der = CV_BUF_INIT;
	cv__wrapped_share w[CV_ORIGINS_MAX_HOLDERS];
	unsigned char nos[CV_ORIGINS_MAX_HOLDERS];
	char cert_sha[65] = "", *pem = NULL;
	memset(w, 0, sizeof w);
	int rc = cv__origins_key_make(&der, &pem, cert_sha, a->id);
	if (!rc)
		rc = cv__origins_split_seal(w, nos, &der, o->threshold, (const unsigned char (*)[32])pubs, o->nholders);
	cv__buf_wipe_dispose(&der); /* from here on, only the shares exist */
	if (!rc)
		rc = setup_store(a, o, pem, cert_sha, w, nos, &me);
	cv__identity_wipe(&me);
	cv__origins_wrapped_free(w, o->nholders);
	free(pem);
	if (!rc && out)
		rc = cv__origins_key_info(a, out);
	return rc;
}

/* `k` current holders confirm with their credentials, their shares opened
 * in memory; a refusal is journaled with the failing credential's rank. */
static int reshare_confirm(cv_buf *shares, unsigned *nos, size_t *who, size_t *nm, cv_archive *a, unsigned gen,
	unsigned k, char (*cur)[64], size_t ncur, const cv_origins_reshare_options *o)
{
	size_t bad = 0;
	size_t ncreds = o->ncurrent > CV_ORIGINS_MAX_HOLDERS ? CV_ORIGINS_MAX_HOLDERS : o->ncurrent;
	int rc = cv__origins_match(shares, nos, who, nm, &bad, a, gen, cur, ncur, o->current_credentials, NULL, ncreds, k);
	if (!rc)
		return 0;
	char obj[96], msg[512];
	snprintf(obj, sizeof obj, "generation:%u credential:%zu", gen, bad + 1);
	cv__err_prefix("origins reshare: %u current holders must confirm with their credentials", k);
	int code = cv_error_last()->code;
	snprintf(msg, sizeof msg, "%s", cv_error_last()->message);
	if (cv__is_refusal(code))
		cv__journal_record(a->cat, a->actor, "origins.reshare", obj, "denied");
	cv__origins_shares_wipe(shares, *nm);
	return cv__err(code, "%s", msg);
}

/* The old generation is retired and its wrapped shares deleted. */
static int retire_generation(cv_archive *a, unsigned gen, const char *now)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "UPDATE origins_keys SET retired=? WHERE generation=?"));
	cv__bind_text(st, 1, now);
	sqlite3_bind_int(st, 2, (int)gen);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "retire the old shares");
	sqlite3_finalize(st);
	CV_TRY(rc);
	CV_TRY(cv__catalog_prepare(a->cat, &st, "DELETE FROM origins_shares WHERE generation<=?"));
	sqlite3_bind_int(st, 1, (int)gen);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "delete the old shares");
	sqlite3_finalize(st);
	return rc;
}

static void reshare_object(char *obj, size_t n, const cv_origins_reshare_options *o, unsigned gen, char (*cur)[64],
	const size_t *who, size_t nm, const char *cert_sha)
{
	char hl[800], by[800] = "";
	const char *byv[CV_ORIGINS_MAX_HOLDERS] = { NULL };
	for (size_t i = 0; i < nm; i++)
		byv[i] = cur[who[i]];
	holders_csv(hl, sizeof hl, o->holders, o->nholders);
	holders_csv(by, sizeof by, byv, nm);
	snprintf(obj, n, "generation:%u threshold:%u holders:%s confirmed-by:%s replaces:%u cert:%s", gen + 1, o->threshold,
		hl, by, gen, cert_sha);
}

/* The generation must still be the one confirmed: two reshares at once
 * would otherwise both retire it. */
static int reshare_store(cv_archive *a, const cv_origins_reshare_options *o, unsigned gen, const cv__wrapped_share *w,
	const unsigned char *nos, const char *cert_sha, const char *obj, const cv_identity *me)
{
	cv_txn t;
	char now[32];
	unsigned g2 = 0, k2 = 0;
	unsigned char sig[64];
	cv__now_iso(now);
	CV_TRY(cv__decider_sign(me, a, "origins.reshare", obj, sig));
	CV_TRY(cv__txn_begin(&t, a, "origins reshare"));
	int rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__origins_current(a, &g2, &k2);
	if (!rc && g2 != gen)
		rc = cv__err(CV_ESTATE, "origins reshare: the holders changed meanwhile; try again");
	if (!rc)
		rc = retire_generation(a, gen, now);
	if (!rc)
		rc = store_generation(a, gen + 1, o->threshold, o->holders, o->nholders, w, nos, cert_sha, now);
	return cv__txn_finish_signed(&t, rc, "origins.reshare", obj, sig);
}

CV_EXTERN(int) cv_origins_reshare(cv_origins_key_info *out, cv_archive *a, const cv_origins_reshare_options *o)
{
	if (out)
		memset(out, 0, sizeof *out);
	CV_TRY(cv__options_version(o, o ? o->version : 0, CV_ORIGINS_RESHARE_OPTIONS_VERSION, "origins reshare"));
	CV_TRY(cv__access_check(a, "origins.reshare", ""));
	unsigned gen = 0, k = 0;
	CV_TRY(cv__origins_current(a, &gen, &k));
	unsigned char pubs[CV_ORIGINS_MAX_HOLDERS][32];
	CV_TRY(check_holders(a, "origins.reshare", o->threshold, o->holders, o->nholders, pubs));
	cv_identity me;
	CV_TRY(cv__decider_open_or_deny(&me, a, o->version >= 2 ? o->credential : NULL, "origins.reshare", "",
		"origins reshare"));
	char cur[CV_ORIGINS_MAX_HOLDERS][64];
	size_t ncur = 0;
	int rc = cv__origins_holders(a, gen, cur, &ncur);
	if (rc) {
		cv__identity_wipe(&me);
		return rc;
	}
	cv__no_core_dumps();
	cv_buf shares[CV_ORIGINS_MAX_HOLDERS];
	unsigned snos[CV_ORIGINS_MAX_HOLDERS];
	size_t who[CV_ORIGINS_MAX_HOLDERS], nm = 0;
	for (size_t i = 0; i < CV_ORIGINS_MAX_HOLDERS; i++)
		shares[i] = (cv_buf)CV_BUF_INIT;
	if ((rc = reshare_confirm(shares, snos, who, &nm, a, gen, k, cur, ncur, o))) {
		cv__identity_wipe(&me);
		return rc;
	}
	cv_buf secret = CV_BUF_INIT;
	cv__wrapped_share w[CV_ORIGINS_MAX_HOLDERS];
	unsigned char nos[CV_ORIGINS_MAX_HOLDERS];
	char cert_sha[65] = "", obj[1400];
	memset(w, 0, sizeof w);
	rc = cv__origins_rebuild(&secret, cert_sha, a, shares, snos, nm);
	cv__origins_shares_wipe(shares, nm);
	if (!rc)
		rc = cv__origins_split_seal(w, nos, &secret, o->threshold, (const unsigned char (*)[32])pubs, o->nholders);
	cv__buf_wipe_dispose(&secret);
	reshare_object(obj, sizeof obj, o, gen, cur, who, nm, cert_sha);
	if (!rc)
		rc = reshare_store(a, o, gen, w, nos, cert_sha, obj, &me);
	cv__identity_wipe(&me);
	cv__origins_wrapped_free(w, o->nholders);
	/* The old wrapped shares leave the WAL now (secure_delete cleared their pages). */
	if (!rc && cv__catalog_checkpoint(a->cat) != 0)
		cv_error_clear();
	if (!rc && out)
		rc = cv__origins_key_info(a, out);
	return rc;
}

/* The kind of a holder's share: "x25519" (sealed to their public key) or
 * the scrypt parameters of a share made before schema 12. */
static int share_kind(cv_archive *a, unsigned gen, const char *holder, char kdf[48])
{
	sqlite3_stmt *st = NULL;
	kdf[0] = '\0';
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT kdf FROM origins_shares WHERE generation=? AND holder=?"));
	sqlite3_bind_int(st, 1, (int)gen);
	cv__bind_text(st, 2, holder);
	int step = cv__catalog_step(a->cat, st, "read the share");
	if (step > 0)
		cv__col_text(st, 0, kdf, 48);
	sqlite3_finalize(st);
	return step < 0 ? step : 0;
}

/* A share made before schema 12 (under the holder's credential) moves to
 * the holder's public key; a share sealed to it needs nothing: 'user
 * passwd' re-wraps the personal key itself. `new_credential` is no longer
 * used. */
CV_EXTERN(int) cv_origins_rewrap(cv_archive *a, const char *old_credential, const char *new_credential)
{
	(void)new_credential;
	unsigned gen = 0, k = 0;
	char obj[128], kdf[48];
	unsigned char sign_pub[32], seal_pub[32];
	CV_TRY(cv__access_check(a, "origins.rewrap", ""));
	CV_TRY(cv__origins_current(a, &gen, &k));
	snprintf(obj, sizeof obj, "holder:%s generation:%u", a->actor, gen);
	int is = cv__origins_is_holder(a, gen, a->actor);
	if (is < 0)
		return is;
	if (!is) {
		cv__journal_record(a->cat, a->actor, "origins.rewrap", obj, "denied");
		return cv__err(CV_EDENIED, "origins rewrap: '%s' holds no share of the sealing key", a->actor);
	}
	CV_TRY(share_kind(a, gen, a->actor, kdf));
	if (!strcmp(kdf, "x25519"))
		return cv__err(CV_ESTATE, "origins rewrap: the share of '%s' is sealed to their personal key already; "
			"'user passwd' re-wraps that key under a new credential, and the share needs nothing", a->actor);
	if (!old_credential || !*old_credential)
		return cv__err(CV_EAUTH, "origins rewrap: give the credential the share is wrapped under");
	int rc = cv__registered_keys(a, a->actor, sign_pub, seal_pub);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ESTATE, "origins rewrap: '%s' has no personal keys yet: set a credential first (user passwd)",
			a->actor);
	CV_TRY(rc);
	cv__no_core_dumps();
	cv_buf share = CV_BUF_INIT;
	unsigned no = 0;
	rc = cv__origins_share_open(&share, &no, a, gen, a->actor, old_credential);
	if (rc && !cv__is_refusal(rc))
		return rc; /* could not check it (out of memory): no attempt refused */
	if (rc) {
		cv__journal_record(a->cat, a->actor, "origins.rewrap", obj, "denied");
		return cv__err(CV_EAUTH, "origins rewrap: wrong credential for the share of '%s'", a->actor);
	}
	cv__wrapped_share w;
	memset(&w, 0, sizeof w);
	rc = cv__origins_share_seal(&w, seal_pub, &share);
	cv__buf_wipe_dispose(&share);
	char now[32];
	cv__now_iso(now);
	cv_txn t;
	if (!rc)
		rc = cv__txn_begin(&t, a, "origins rewrap");
	if (!rc) {
		rc = cv__txn_sql_begin(&t);
		if (!rc)
			rc = put_share(a,
				"UPDATE origins_shares SET share_no=?3, kdf=?4, salt=?5, kek_id=?6, wrapped=?7, created=?8"
				" WHERE generation=?1 AND holder=?2",
				gen, a->actor, no, &w, now);
		if (!rc && sqlite3_changes(a->cat->db) != 1)
			rc = cv__err(CV_ESTATE, "origins rewrap: the holders changed meanwhile");
		rc = cv__txn_finish(&t, rc, "origins.rewrap", obj);
	}
	cv__origins_wrapped_free(&w, 1);
	if (!rc && cv__catalog_checkpoint(a->cat) != 0)
		cv_error_clear();
	return rc;
}
