#include "catalog/catalog.h"
#include "catalog/rowmac.h"
#include "catalog/schema.h"
#include "util/error.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A bind that cannot copy its value (out of memory) leaves the parameter
 * NULL, and the statement would store NULL: a document without its type,
 * sealed and verified as such (found by tests/fault, a malloc failing in
 * ingest). The binders return nothing, so the failure is remembered for
 * the thread (a catalog is used by one thread at a time) and fails the
 * next cv__stmt_exec and the transaction's commit; begin and rollback
 * forget it. Only a value that could not be stored counts (NOMEM,
 * TOOBIG): some callers bind parameters a statement does not have. */
static _Thread_local int tl_bind_failed;

static int bind_failed(cv_catalog *c, const char *what)
{
	return cv__err(CV_ENOMEM, "cannot %s: out of memory (catalog %s)", what, c->path);
}

int cv__catalog_schema_latest(void)
{
	return cv__schema_count();
}

/* What a SQLite result code means to the person at the terminal. SQLite's
 * own message names tables and constraints of our schema: it helps nobody
 * who uses the archive and tells an outsider how the catalog is built, so it
 * never reaches a message. */
static const char *plain_reason(int ec, int *code)
{
	*code = CV_ERROR;
	switch (ec & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		*code = CV_EBUSY;
		return "the catalog is in use by another process; try again in a moment";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		*code = CV_EDAMAGED;
		return "the catalog file is damaged";
	case SQLITE_FULL:
		return "the disk holding the archive is full";
	case SQLITE_IOERR:
		return "the catalog file could not be read or written (input/output error)";
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return "the catalog file cannot be written (read-only file or directory, or no permission)";
	case SQLITE_CANTOPEN:
		return "the catalog file cannot be opened";
	case SQLITE_NOMEM:
		*code = CV_ENOMEM;
		return "out of memory";
	case SQLITE_CONSTRAINT:
		*code = CV_EEXISTS;
		return "it would duplicate or contradict a record already in the catalog";
	case SQLITE_SCHEMA:
	case SQLITE_ERROR:
		*code = CV_EDAMAGED;
		return "the catalog does not have the structure this version of casevault expects "
		       "(made by another version, or altered)";
	default:
		return "unexpected catalog failure";
	}
}

int cv__catalog_bind_failed(void)
{
	return tl_bind_failed;
}

int cv__catalog_step(cv_catalog *c, sqlite3_stmt *st, const char *what)
{
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE && !tl_bind_failed)
		return 0;
	return cv__catalog_fail(c, what);
}

/* SQLite's allocation failures on this thread (watch_malloc below), and
 * their count when the current write transaction began. */
static __thread unsigned long sqlite_failures, tl_failures_at_begin;

/* `path` NULL: a cursor passed down without its catalog */
static int fail_on(sqlite3 *db, const char *path, const char *what)
{
	/* a value that could not be bound was NULL: the constraint it then
	 * broke is not the record's fault; nor is a constraint broken in a
	 * transaction during which SQLite could not allocate (tests/fault: a
	 * case's rows could not be removed, "would contradict a record") */
	int constraint = (sqlite3_errcode(db) & 0xff) == SQLITE_CONSTRAINT;
	if (tl_bind_failed || (constraint && sqlite_failures != tl_failures_at_begin))
		return cv__err(CV_ENOMEM, "cannot %s: out of memory%s%s%s", what, path ? " (catalog " : "", path ? path : "",
			path ? ")" : "");
	int code;
	const char *why = plain_reason(sqlite3_errcode(db), &code);
	return cv__err(code, "cannot %s: %s%s%s%s", what, why, path ? " (catalog " : "", path ? path : "", path ? ")" : "");
}

int cv__catalog_fail(cv_catalog *c, const char *what)
{
	return fail_on(c->db, c->path, what);
}

int cv__stmt_fail(sqlite3_stmt *st, const char *what)
{
	return fail_on(sqlite3_db_handle(st), NULL, what);
}

int cv__catalog_exec(cv_catalog *c, const char *sql)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return cv__catalog_fail(c, "update the catalog");
	return 0;
}

int cv__catalog_prepare(cv_catalog *c, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
		return cv__catalog_fail(c, "query the catalog");
	return 0;
}

/* SQLite's allocator, wrapped to count the failures of each thread: a
 * statement whose step fails for want of memory reads like one that found
 * no more rows, and a write must not commit what such a read left out
 * (engine/txn.c compares the count at begin and commit). */
static sqlite3_mem_methods sqlite_mem;

static void *watch_malloc(int n)
{
	void *p = sqlite_mem.xMalloc(n);
	if (!p)
		sqlite_failures++;
	return p;
}

static void *watch_realloc(void *p, int n)
{
	void *q = sqlite_mem.xRealloc(p, n);
	if (!q && n > 0)
		sqlite_failures++;
	return q;
}

unsigned long cv__catalog_alloc_failures(void)
{
	return sqlite_failures;
}

/* SQLite keeps memory statistics under one process-wide mutex taken on
 * every allocation: with one connection per thread (the web service) that
 * mutex was where the threads queued. casevault never reads them. Must run
 * before SQLite initialises; a no-op if the program already used SQLite. */
static void sqlite_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem) == SQLITE_OK && sqlite_mem.xMalloc &&
		sqlite_mem.xRealloc) {
		sqlite3_mem_methods m = sqlite_mem;
		m.xMalloc = watch_malloc;
		m.xRealloc = watch_realloc;
		(void)sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
	}
}

int cv__catalog_open(cv_catalog **out, const char *path, int create, int busy_ms)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	cv_catalog *c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(path))) {
		free(c);
		return cv__oom();
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
		int code = CV_ENOMEM;
		const char *why = c->db ? plain_reason(sqlite3_errcode(c->db), &code) : "out of memory";
		/* out of memory or busy is not damage (exit 3 said so: tests/fault) */
		int rc = cv__err(code == CV_ENOMEM || code == CV_EBUSY ? code : create ? CV_ERROR : CV_EDAMAGED,
			"cannot open the catalog %s: %s", path, why);
		cv__catalog_close(c);
		return rc;
	}
	sqlite3_busy_timeout(c->db, busy_ms > 0 ? busy_ms : 30000);
	sqlite3_extended_result_codes(c->db, 0);
	/* secure_delete zeroes deleted content (crypto-shredding); FULL makes
	 * each commit durable in WAL mode. A 32 MiB page cache (the default is
	 * 2 MiB) spares whole-catalog passes (sweep plan, verify) most of their
	 * page reads; a memory map saved a little more but made every such
	 * command's RSS include the mapped catalog. */
	int rc = cv__catalog_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		"PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;"
		"PRAGMA cache_size=-32768;");
	if (rc) {
		cv__catalog_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

int cv__catalog_stmt(cv_catalog *c, sqlite3_stmt **st, const char *sql)
{
	int free_slot = -1;
	for (int i = 0; i < CV_STMT_CACHE; i++) {
		if (c->cache[i].sql == sql) {
			sqlite3_reset(c->cache[i].st);
			sqlite3_clear_bindings(c->cache[i].st);
			*st = c->cache[i].st;
			return 0;
		}
		if (!c->cache[i].sql && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return cv__err(CV_ERROR, "internal error: statement cache full");
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return cv__catalog_fail(c, "query the catalog");
	c->cache[free_slot].sql = sql;
	c->cache[free_slot].st = *st;
	return 0;
}

void cv__stmt_done(sqlite3_stmt *st)
{
	if (st)
		sqlite3_reset(st);
}

int cv__stmt_exec(cv_catalog *c, sqlite3_stmt *st, const char *what)
{
	if (tl_bind_failed) {
		sqlite3_reset(st);
		return bind_failed(c, what);
	}
	int r = sqlite3_step(st);
	int rc = (r == SQLITE_DONE || r == SQLITE_ROW) ? 0 : cv__catalog_fail(c, what);
	sqlite3_reset(st);
	return rc;
}

void cv__catalog_close(cv_catalog *c)
{
	if (!c)
		return;
	for (int i = 0; i < CV_STMT_CACHE; i++)
		if (c->cache[i].st)
			sqlite3_finalize(c->cache[i].st);
	cv__rowmac_stop(c);
	sqlite3_close_v2(c->db);
	explicit_bzero(c->journal_key, sizeof c->journal_key);
	free(c->path);
	free(c);
}

int cv__catalog_version(cv_catalog *c, int *version)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(c, &st, "PRAGMA user_version"));
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : cv__catalog_fail(c, "read schema version");
	if (!rc)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* The upgrade that brings seals seals the rows as they are, once: a
 * journal that already records it means someone removed the seals to have
 * altered rows blessed. Without the row key (no archive key given) the
 * migration cannot happen. */
static int seals_never_removed(cv_catalog *c)
{
	if (!c->rowmac)
		return cv__err(CV_EINVAL, "the catalog's rows can only be sealed with the archive's key");
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(c, &st, "SELECT seq FROM journal WHERE action='catalog.seal' LIMIT 1"));
	long long seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (seq)
		return cv__err(CV_EDAMAGED, "the catalog's seals were removed: journal entry %lld records that its rows were "
			"sealed already (restore the catalog from a copy)", seq);
	return 0;
}

int cv__catalog_migrate(cv_catalog *c, int target)
{
	int v = 0;
	CV_TRY(cv__catalog_version(c, &v));
	if (v > cv__schema_count())
		return cv__err(CV_EUNSUPPORTED, "catalog %s has schema version %d; this casevault knows up to %d (upgrade casevault)",
			c->path, v, cv__schema_count());
	for (; v < target; v++) {
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", v + 1);
		CV_TRY(cv__catalog_begin(c));
		int seals = v + 1 == CV_SCHEMA_ROW_SEALS;
		int rc = seals ? seals_never_removed(c) : 0;
		if (!rc)
			rc = cv__catalog_exec(c, cv__schema_step(v));
		if (!rc)
			rc = cv__rowmac_refresh(c);
		if (!rc && seals)
			rc = cv__rowmac_fill(c, NULL);
		if (!rc && v + 1 == CV_SCHEMA_CHUNK_SEALS && cv__rowmac_active(c))
			rc = cv__rowmac_fill(c, "chunks");
		if (!rc)
			rc = cv__catalog_exec(c, bump);
		if (!rc)
			rc = cv__catalog_commit(c);
		if (rc) {
			cv__catalog_rollback(c);
			return cv__err_prefix("migrating catalog from schema %d to %d", v, v + 1);
		}
	}
	return 0;
}

int cv__catalog_begin(cv_catalog *c)
{
	tl_bind_failed = 0;
	tl_failures_at_begin = sqlite_failures;
	CV_TRY(cv__catalog_exec(c, "BEGIN IMMEDIATE"));
	c->in_tx = 1;
	return 0;
}

int cv__catalog_read_begin(cv_catalog *c)
{
	return cv__catalog_exec(c, "BEGIN DEFERRED");
}

void cv__catalog_read_end(cv_catalog *c)
{
	if (sqlite3_get_autocommit(c->db) == 0)
		sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
}

int cv__catalog_commit(cv_catalog *c)
{
	/* The rows this transaction changed get their seals just before the
	 * commit; a row found altered fails it (the caller rolls back). */
	if (tl_bind_failed)
		return bind_failed(c, "update the catalog");
	CV_TRY(cv__rowmac_flush(c));
	int rc = cv__catalog_exec(c, "COMMIT");
	if (!rc)
		c->in_tx = 0;
	return rc;
}

void cv__catalog_rollback(cv_catalog *c)
{
	if (sqlite3_get_autocommit(c->db) == 0)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	tl_bind_failed = 0;
	tl_failures_at_begin = sqlite_failures;
	cv__rowmac_forget(c);
	c->in_tx = 0;
}

int cv__catalog_checkpoint(cv_catalog *c)
{
	int log = 0, ckpt = 0;
	if (sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt) != SQLITE_OK)
		return cv__catalog_fail(c, "WAL checkpoint");
	return 0;
}

int cv__catalog_meta_get(cv_catalog *c, const char *key, char **value)
{
	sqlite3_stmt *st = NULL;
	*value = NULL;
	CV_TRY(cv__catalog_prepare(c, &st, "SELECT v FROM meta WHERE k=?"));
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		if (!(*value = cv__col_strdup(st, 0)))
			rc = cv__oom();
	} else if (r == SQLITE_DONE) {
		rc = cv__err(CV_ENOTFOUND, "catalog has no %s", key);
	} else {
		rc = cv__catalog_fail(c, "read meta");
	}
	sqlite3_finalize(st);
	if (!rc)
		rc = cv__rowmac_check(c, "meta", "k=?1", key);
	if (rc && *value) {
		free(*value);
		*value = NULL;
	}
	return rc;
}

int cv__catalog_meta_set(cv_catalog *c, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(c, &st, "INSERT INTO meta(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v"));
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(c, "write meta");
	sqlite3_finalize(st);
	return rc;
}

void cv__bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s) {
		int r = sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
		if (r == SQLITE_NOMEM || r == SQLITE_TOOBIG)
			tl_bind_failed = 1;
	} else {
		sqlite3_bind_null(st, i);
	}
}

void cv__bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (p) {
		int r = sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
		if (r == SQLITE_NOMEM || r == SQLITE_TOOBIG)
			tl_bind_failed = 1;
	} else {
		sqlite3_bind_null(st, i);
	}
}

/* Called for every column of every listed row: a copy, not a printf. */
void cv__col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (!cap)
		return;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(out, t, n);
	out[n] = '\0';
}

char *cv__col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}
