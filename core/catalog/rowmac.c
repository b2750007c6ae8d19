/* Sealed catalog rows (rowmac.h): the seal, the hooks that keep it, and
 * its checks. */
/* Debian's SQLite is built with the pre-update hook; its declarations are
 * behind this macro. */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "catalog/rowmac.h"
#include "crypto/kdf.h"
#include "util/error.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tables whose rows drive a decision or an irreversible act. The
 * journal has its own chain; documents, revisions and their chunk lists are
 * bound by revision tags (records/revtag.h); chunk rows are sealed because
 * they carry the AES-GCM tag that binds a stored object to them (schema
 * 15); the blind index only narrows a search whose candidates are
 * decrypted and compared. */
static const char *const TABLES[] = { "meta", "users", "cases", "case_keys", "persons", "plans", "plan_items",
	"certificates", "exports", "requests", "request_subjects", "restrictions", "rectifications", "origins_keys",
	"origins_shares", "origins_sealed", "origins_facts", "origins_approvals", "origins_releases", "note_keys",
	"plan_refusals", "chunks" };
#define NTABLES (sizeof TABLES / sizeof *TABLES)
#define MAXCOLS 40

typedef struct rm_table {
	int ncol;               /* columns, mac included */
	int mac_col;            /* -1: the table has no seal column (older schema) */
	int pk[4], npk;         /* the columns that name a row */
	sqlite3_stmt *sel, *upd;
} rm_table;

typedef struct cv_rowmac {
	unsigned char key[32];
	cv_hmac *h;
	rm_table tab[NTABLES];
	uint64_t *set;          /* rows changed in this transaction: (table+1) << 56 | rowid, 0 = empty */
	size_t cap, n;
	int sealing;            /* our own sealing updates pass the hook */
	struct {                /* checks' statements, by table and `where` literal */
		int t;
		const char *where;
		sqlite3_stmt *st;
	} checks[48];
	int nchecks;
	int damaged;
	int damage_code; /* CV_EDAMAGED, or CV_ENOMEM when a seal could not be computed or noted */
	char damage[200];
} cv_rowmac;

static int table_index(const char *name)
{
	for (size_t i = 0; i < NTABLES; i++)
		if (!strcmp(TABLES[i], name))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* The seal                                                             */

static int put_u32(cv_hmac *h, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
		(unsigned char)v };
	return cv__hmac_update(h, b, 4);
}

static int put_value(cv_hmac *h, sqlite3_value *v)
{
	int type = v ? sqlite3_value_type(v) : SQLITE_NULL;
	unsigned char t = (unsigned char)type, b[8];
	CV_TRY(cv__hmac_update(h, &t, 1));
	if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
		uint64_t x;
		if (type == SQLITE_INTEGER) {
			x = (uint64_t)sqlite3_value_int64(v);
		} else {
			double d = sqlite3_value_double(v);
			memcpy(&x, &d, 8);
		}
		for (int i = 0; i < 8; i++)
			b[i] = (unsigned char)(x >> (56 - 8 * i));
		return cv__hmac_update(h, b, 8);
	}
	if (type == SQLITE_NULL)
		return 0;
	const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_value_text(v) : sqlite3_value_blob(v);
	int n = sqlite3_value_bytes(v);
	CV_TRY(put_u32(h, (uint32_t)n));
	return n ? cv__hmac_update(h, p, (size_t)n) : 0;
}

/* The seal of a row given as its values (mac's own slot skipped). */
static int seal_of(cv_rowmac *rm, int t, sqlite3_value **vals, unsigned char out[32])
{
	const rm_table *x = &rm->tab[t];
	CV_TRY(cv__hmac_reset(rm->h));
	CV_TRY(cv__hmac_update(rm->h, "cvrow1", 6));
	CV_TRY(put_u32(rm->h, (uint32_t)strlen(TABLES[t])));
	CV_TRY(cv__hmac_update(rm->h, TABLES[t], strlen(TABLES[t])));
	CV_TRY(put_u32(rm->h, (uint32_t)(x->ncol - 1)));
	for (int i = 0; i < x->ncol; i++)
		if (i != x->mac_col)
			CV_TRY(put_value(rm->h, vals[i]));
	return cv__hmac_final(rm->h, out);
}

/* 1 the seal matches, 0 it does not, -1 it could not be computed (out of
 * memory in the HMAC): that is not a row altered outside casevault, as it
 * was reported (tests/fault). */
static int seal_matches(cv_rowmac *rm, int t, sqlite3_value **vals)
{
	unsigned char want[32];
	sqlite3_value *m = vals[rm->tab[t].mac_col];
	if (seal_of(rm, t, vals, want))
		return -1;
	return m && sqlite3_value_type(m) == SQLITE_BLOB && sqlite3_value_bytes(m) == 32 &&
		cv__ct_equal(want, sqlite3_value_blob(m), 32);
}

/* "table row" for a message: the row's key columns. */
static void row_name(char *out, size_t n, cv_rowmac *rm, int t, sqlite3_value **vals, sqlite3_int64 rowid)
{
	const rm_table *x = &rm->tab[t];
	int l = snprintf(out, n, "%s ", TABLES[t]);
	if (!x->npk)
		snprintf(out + l, n - (size_t)l, "row %lld", (long long)rowid);
	for (int i = 0; i < x->npk && (size_t)l < n; i++) {
		sqlite3_value *v = vals[x->pk[i]];
		if (v && sqlite3_value_type(v) == SQLITE_BLOB) {
			/* a keyed hash (chunks): its first bytes name it */
			const unsigned char *b = sqlite3_value_blob(v);
			int bn = sqlite3_value_bytes(v);
			l += snprintf(out + l, n - (size_t)l, "%s", i ? "/" : "");
			for (int j = 0; j < bn && j < 8 && (size_t)l < n; j++)
				l += snprintf(out + l, n - (size_t)l, "%02x", b[j]);
			continue;
		}
		const unsigned char *s = v ? sqlite3_value_text(v) : NULL;
		l += snprintf(out + l, n - (size_t)l, "%s%s", i ? "/" : "", s ? (const char *)s : "?");
	}
}

/* ------------------------------------------------------------------ */
/* Rows changed in this transaction                                     */

static uint64_t set_key(int t, sqlite3_int64 rowid)
{
	return ((uint64_t)(t + 1) << 56) | ((uint64_t)rowid & 0x00ffffffffffffffULL);
}

static size_t slot(const cv_rowmac *rm, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 20) & (rm->cap - 1);
	while (rm->set[i] && rm->set[i] != k)
		i = (i + 1) & (rm->cap - 1);
	return i;
}

static int set_has(const cv_rowmac *rm, uint64_t k)
{
	return rm->cap && rm->set[slot(rm, k)] == k;
}

static int set_add(cv_rowmac *rm, uint64_t k)
{
	if ((rm->n + 1) * 2 > rm->cap) {
		size_t ncap = rm->cap ? rm->cap * 2 : 256;
		uint64_t *old = rm->set, *nw = calloc(ncap, sizeof *nw);
		size_t ocap = rm->cap;
		if (!nw)
			return -1;
		rm->set = nw;
		rm->cap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i])
				rm->set[slot(rm, old[i])] = old[i];
		free(old);
	}
	size_t i = slot(rm, k);
	if (!rm->set[i]) {
		rm->set[i] = k;
		rm->n++;
	}
	return 0;
}

static void note_problem(cv_rowmac *rm, int code, const char *fmt, const char *what)
{
	if (!rm->damaged) {
		rm->damaged = 1;
		rm->damage_code = code;
		snprintf(rm->damage, sizeof rm->damage, fmt, what);
	}
}

static void note_damage(cv_rowmac *rm, const char *fmt, const char *what)
{
	note_problem(rm, CV_EDAMAGED, fmt, what);
}

/* Before each change of this connection: an old row must carry its seal
 * (unless this transaction wrote it); a new one is sealed at commit. */
static void preupdate(void *ctx, sqlite3 *db, int op, const char *zdb, const char *tbl, sqlite3_int64 k1,
	sqlite3_int64 k2)
{
	cv_rowmac *rm = ctx;
	int t = strcmp(zdb, "main") ? -1 : table_index(tbl);
	if (rm->sealing || t < 0 || rm->tab[t].mac_col < 0)
		return;
	if (op != SQLITE_INSERT && !set_has(rm, set_key(t, k1))) {
		sqlite3_value *vals[MAXCOLS] = { 0 };
		int n = sqlite3_preupdate_count(db);
		for (int i = 0; i < n && i < MAXCOLS; i++)
			sqlite3_preupdate_old(db, i, &vals[i]);
		int match = n != rm->tab[t].ncol ? 0 : seal_matches(rm, t, vals);
		if (match < 0) {
			note_problem(rm, CV_ENOMEM, "%s", "out of memory while checking the seals of catalog rows");
		} else if (!match) {
			char name[160];
			row_name(name, sizeof name, rm, t, vals, k1);
			note_damage(rm, "the catalog row %s was altered outside casevault (its seal does not match)", name);
		}
	}
	if (op != SQLITE_DELETE && set_add(rm, set_key(t, k2)))
		note_problem(rm, CV_ENOMEM, "%s", "out of memory while sealing catalog rows");
}

/* A protected row changed outside an explicit transaction would stay
 * unsealed: refused. */
static int commit_hook(void *ctx)
{
	cv_rowmac *rm = ctx;
	if (rm->n && !rm->sealing) {
		note_damage(rm, "%s", "a sealed catalog row was changed outside a transaction");
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Life                                                                 */

static int read_columns(cv_catalog *c, int t)
{
	rm_table *x = &c->rowmac->tab[t];
	sqlite3_stmt *st = NULL;
	char sql[96];
	sqlite3_finalize(x->sel);
	sqlite3_finalize(x->upd);
	memset(x, 0, sizeof *x);
	x->mac_col = -1;
	snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", TABLES[t]);
	CV_TRY(cv__catalog_prepare(c, &st, sql));
	int step;
	/* a step that failed must not read as "no seal column": the table's
	 * seals would go unchecked */
	while ((step = cv__catalog_step(c, st, "read the catalog's columns")) == 1) {
		int cid = sqlite3_column_int(st, 0), pk = sqlite3_column_int(st, 5);
		if (!strcmp((const char *)sqlite3_column_text(st, 1), "mac"))
			x->mac_col = cid;
		if (pk > 0 && pk <= 4) {
			x->pk[pk - 1] = cid;
			x->npk = pk > x->npk ? pk : x->npk;
		}
		x->ncol = cid + 1;
	}
	sqlite3_finalize(st);
	if (step < 0)
		return step;
	if (x->ncol > MAXCOLS)
		return cv__err(CV_EDAMAGED, "the catalog table %s has more columns than casevault made", TABLES[t]);
	if (x->mac_col < 0)
		return 0;
	snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE rowid=?", TABLES[t]);
	CV_TRY(cv__catalog_prepare(c, &x->sel, sql));
	snprintf(sql, sizeof sql, "UPDATE %s SET mac=?2 WHERE rowid=?1", TABLES[t]);
	return cv__catalog_prepare(c, &x->upd, sql);
}

int cv__rowmac_refresh(cv_catalog *c)
{
	if (c->rowmac) {
		for (int i = 0; i < c->rowmac->nchecks; i++)
			sqlite3_finalize(c->rowmac->checks[i].st);
		c->rowmac->nchecks = 0;
	}
	for (size_t t = 0; c->rowmac && t < NTABLES; t++)
		CV_TRY(read_columns(c, (int)t));
	return 0;
}

int cv__rowmac_start(cv_catalog *c, const unsigned char key[32])
{
	cv_rowmac *rm = calloc(1, sizeof *rm);
	if (!rm)
		return cv__oom();
	memcpy(rm->key, key, 32);
	int rc = cv__hmac_new(&rm->h, rm->key, 32);
	if (rc) {
		explicit_bzero(rm, sizeof *rm);
		free(rm);
		return rc;
	}
	c->rowmac = rm;
	sqlite3_preupdate_hook(c->db, preupdate, rm);
	sqlite3_commit_hook(c->db, commit_hook, rm);
	rc = cv__rowmac_refresh(c);
	if (rc)
		cv__rowmac_stop(c);
	return rc;
}

void cv__rowmac_stop(cv_catalog *c)
{
	cv_rowmac *rm = c->rowmac;
	if (!rm)
		return;
	sqlite3_preupdate_hook(c->db, NULL, NULL);
	sqlite3_commit_hook(c->db, NULL, NULL);
	for (size_t t = 0; t < NTABLES; t++) {
		sqlite3_finalize(rm->tab[t].sel);
		sqlite3_finalize(rm->tab[t].upd);
	}
	for (int i = 0; i < rm->nchecks; i++)
		sqlite3_finalize(rm->checks[i].st);
	cv__hmac_free(rm->h);
	free(rm->set);
	explicit_bzero(rm, sizeof *rm);
	free(rm);
	c->rowmac = NULL;
}

int cv__rowmac_active(const cv_catalog *c)
{
	return c->rowmac && c->rowmac->tab[0].mac_col >= 0;
}

void cv__rowmac_forget(cv_catalog *c)
{
	cv_rowmac *rm = c->rowmac;
	if (!rm)
		return;
	if (rm->n)
		memset(rm->set, 0, rm->cap * sizeof *rm->set);
	rm->n = 0;
	rm->damaged = 0;
}

/* ------------------------------------------------------------------ */
/* Sealing and checking                                                 */

/* Seal one row as it is now (it may have been deleted since: nothing). */
static int seal_row(cv_catalog *c, int t, sqlite3_int64 rowid)
{
	cv_rowmac *rm = c->rowmac;
	rm_table *x = &rm->tab[t];
	sqlite3_reset(x->sel);
	sqlite3_bind_int64(x->sel, 1, rowid);
	int step = sqlite3_step(x->sel);
	if (step == SQLITE_DONE)
		return 0;
	if (step != SQLITE_ROW)
		return cv__catalog_fail(c, "seal catalog rows");
	sqlite3_value *vals[MAXCOLS] = { 0 };
	for (int i = 0; i < x->ncol; i++)
		vals[i] = sqlite3_column_value(x->sel, i);
	unsigned char m[32];
	CV_TRY(seal_of(rm, t, vals, m));
	sqlite3_reset(x->sel);
	sqlite3_reset(x->upd);
	sqlite3_bind_int64(x->upd, 1, rowid);
	/* a failed bind (out of memory) would store a NULL seal: tests/fault */
	int b = sqlite3_bind_blob(x->upd, 2, m, 32, SQLITE_TRANSIENT);
	int rc = b == SQLITE_NOMEM ? cv__catalog_fail(c, "seal catalog rows")
		: sqlite3_step(x->upd) == SQLITE_DONE ? 0 : cv__catalog_fail(c, "seal catalog rows");
	sqlite3_reset(x->upd);
	return rc;
}

int cv__rowmac_flush(cv_catalog *c)
{
	cv_rowmac *rm = c->rowmac;
	if (!rm)
		return 0;
	if (rm->damaged)
		return cv__err(rm->damage_code ? rm->damage_code : CV_EDAMAGED, "%s; nothing was changed", rm->damage);
	int rc = 0;
	rm->sealing = 1;
	for (size_t i = 0; !rc && i < rm->cap; i++) {
		uint64_t k = rm->set[i];
		if (k)
			rc = seal_row(c, (int)(k >> 56) - 1, (sqlite3_int64)(k & 0x00ffffffffffffffULL));
	}
	rm->sealing = 0;
	if (!rc)
		cv__rowmac_forget(c);
	return rc;
}

int cv__rowmac_fill(cv_catalog *c, const char *table)
{
	cv_rowmac *rm = c->rowmac;
	int rc = 0;
	for (size_t t = 0; rm && !rc && t < NTABLES; t++) {
		if (rm->tab[t].mac_col < 0 || (table && strcmp(table, TABLES[t])))
			continue;
		char sql[80];
		sqlite3_stmt *st = NULL;
		snprintf(sql, sizeof sql, "SELECT rowid FROM %s", TABLES[t]);
		rc = cv__catalog_prepare(c, &st, sql);
		rm->sealing = 1;
		int step = SQLITE_DONE;
		while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
			rc = seal_row(c, (int)t, sqlite3_column_int64(st, 0));
		if (!rc && step != SQLITE_DONE)
			rc = cv__catalog_fail(c, "seal catalog rows");
		rm->sealing = 0;
		sqlite3_finalize(st);
	}
	return rc;
}

/* Rows of one table from `st` (SELECT rowid, *): `bad` for each broken
 * seal. */
static int check_rows(cv_catalog *c, int t, sqlite3_stmt *st, int (*bad)(const char *, const char *, void *),
	void *payload, uint64_t *rows)
{
	cv_rowmac *rm = c->rowmac;
	int rc = 0, step;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_value *vals[MAXCOLS] = { 0 };
		for (int i = 0; i < rm->tab[t].ncol; i++)
			vals[i] = sqlite3_column_value(st, i + 1);
		if (rows)
			(*rows)++;
		/* rows this transaction wrote are sealed at its commit */
		if (set_has(rm, set_key(t, sqlite3_column_int64(st, 0))))
			continue;
		int match = seal_matches(rm, t, vals);
		if (match < 0) {
			rc = cv__oom();
			break;
		}
		if (match)
			continue;
		char name[160];
		row_name(name, sizeof name, rm, t, vals, 0);
		rc = bad(TABLES[t], strchr(name, ' ') + 1, payload);
	}
	/* a step that failed (out of memory) checked none of the rows left:
	 * not a check passed */
	if (!rc && step != SQLITE_DONE)
		rc = cv__catalog_fail(c, "check catalog rows");
	return rc;
}

static int first_bad(const char *table, const char *row, void *payload)
{
	(void)payload;
	return cv__err(CV_EDAMAGED, "the catalog row %s %s was altered outside casevault (its seal does not match)", table,
		row);
}

/* Checks run for every case of a verify or a sweep: their statements are
 * prepared once (`where` is a string literal, compared by address). */
static int check_stmt(cv_catalog *c, int t, const char *where, sqlite3_stmt **st, int *owned)
{
	cv_rowmac *rm = c->rowmac;
	*owned = 0;
	for (int i = 0; i < rm->nchecks; i++)
		if (rm->checks[i].t == t && rm->checks[i].where == where) {
			*st = rm->checks[i].st;
			return 0;
		}
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT rowid, * FROM %s%s%s", TABLES[t], where ? " WHERE " : "", where ? where : "");
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return cv__catalog_fail(c, "check catalog rows");
	if (rm->nchecks < (int)(sizeof rm->checks / sizeof *rm->checks)) {
		rm->checks[rm->nchecks].t = t;
		rm->checks[rm->nchecks].where = where;
		rm->checks[rm->nchecks++].st = *st;
		return 0;
	}
	*owned = 1; /* more kinds of checks than slots: this one is not kept */
	return 0;
}

int cv__rowmac_check(cv_catalog *c, const char *table, const char *where, const char *arg)
{
	int t = table_index(table);
	if (!c->rowmac || t < 0 || c->rowmac->tab[t].mac_col < 0)
		return 0;
	sqlite3_stmt *st = NULL;
	int owned = 0;
	CV_TRY(check_stmt(c, t, where, &st, &owned));
	/* a failed bind (out of memory) would check no row at all: tests/fault */
	int rc = arg && sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT) == SQLITE_NOMEM
		? cv__catalog_fail(c, "check catalog rows") : check_rows(c, t, st, first_bad, NULL, NULL);
	if (owned) {
		sqlite3_finalize(st);
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return rc;
}

int cv__rowmac_scan(cv_catalog *c, int (*bad)(const char *table, const char *row, void *payload), void *payload,
	uint64_t *rows)
{
	int rc = 0;
	for (size_t t = 0; !rc && c->rowmac && t < NTABLES; t++) {
		if (c->rowmac->tab[t].mac_col < 0)
			continue;
		char sql[80];
		sqlite3_stmt *st = NULL;
		snprintf(sql, sizeof sql, "SELECT rowid, * FROM %s", TABLES[t]);
		rc = cv__catalog_prepare(c, &st, sql);
		if (!rc)
			rc = check_rows(c, (int)t, st, bad, payload, rows);
		sqlite3_finalize(st);
	}
	return rc;
}
