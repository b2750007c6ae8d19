/* The SQLite catalog: WAL, synchronous=FULL, secure_delete, a versioned
 * schema with forward migrations (PRAGMA user_version). Personal fields are
 * stored encrypted (crypto/fieldbox.h); search goes through blind-index tags.
 * A cv_catalog belongs to one archive handle; not thread-safe. */
#ifndef CV_CATALOG_CATALOG_H
#define CV_CATALOG_CATALOG_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define CV_STMT_CACHE 96

typedef struct cv_catalog {
	sqlite3 *db;
	char *path;
	int in_tx;
	/* The journal's chaining key (journal.h), set by the archive once it is
	 * derived from the master key; wiped at close. */
	unsigned char journal_key[32];
	int journal_keyed;
	/* Sealed rows (rowmac.h), once the archive has given the row key. */
	struct cv_rowmac *rowmac;
	struct {
		const char *sql;  /* a string literal: compared by address */
		sqlite3_stmt *st;
	} cache[CV_STMT_CACHE];
} cv_catalog;

/** Latest schema version this library knows. */
int cv__catalog_schema_latest(void);

int cv__catalog_open(cv_catalog **out, const char *path, int create, int busy_ms);
void cv__catalog_close(cv_catalog *c);
/** Current schema version of the file. */
int cv__catalog_version(cv_catalog *c, int *version);
/** Apply migrations up to `target` (each in its own transaction). */
int cv__catalog_migrate(cv_catalog *c, int target);

int cv__catalog_exec(cv_catalog *c, const char *sql);
int cv__catalog_prepare(cv_catalog *c, sqlite3_stmt **st, const char *sql);
/** A cached statement for `sql` (a string literal), reset and unbound.
 * Do not finalize it: call cv__stmt_done when finished with it, so that it
 * releases its read snapshot. For statements run once per row of a loop. */
int cv__catalog_stmt(cv_catalog *c, sqlite3_stmt **st, const char *sql);
void cv__stmt_done(sqlite3_stmt *st);
/** Step a cached statement to completion (INSERT/UPDATE) and reset it. */
int cv__stmt_exec(cv_catalog *c, sqlite3_stmt *st, const char *what);
/** SQLite allocations that failed in this thread so far (a statement that
 * ran out of memory mid-step can read like one that found no more rows):
 * a write compares it at begin and commit. 0 when SQLite was initialised
 * by the program before casevault could wrap its allocator. */
unsigned long cv__catalog_alloc_failures(void);
/** 1 when a value could not be bound since the last begin or rollback of
 * this thread: a statement then ran with that parameter NULL, and what it
 * found (no row) is not an answer. */
int cv__catalog_bind_failed(void);
/** One step of a query whose answer decides something (a hold, a block, a
 * restriction): 1 a row, 0 no row, or a negative error -- never "no row"
 * for a step or a bind that failed. */
int cv__catalog_step(cv_catalog *c, sqlite3_stmt *st, const char *what);
/** The same for a statement whose step failed, where the catalog handle is
 * not at hand (a cursor passed down). */
int cv__stmt_fail(sqlite3_stmt *st, const char *what);
/** Report a SQLite failure with context; returns CV_ERROR (or CV_EBUSY). */
int cv__catalog_fail(cv_catalog *c, const char *what);
int cv__catalog_begin(cv_catalog *c);
/** One read snapshot for a long reader (verify): every statement until
 * cv__catalog_read_end sees the same catalog, and the file is locked once
 * rather than once per statement. Nothing may be written meanwhile. */
int cv__catalog_read_begin(cv_catalog *c);
void cv__catalog_read_end(cv_catalog *c);
int cv__catalog_commit(cv_catalog *c);
void cv__catalog_rollback(cv_catalog *c);
/** Truncate the WAL after deleting secrets so their bytes leave the disk. */
int cv__catalog_checkpoint(cv_catalog *c);

int cv__catalog_meta_get(cv_catalog *c, const char *key, char **value);
int cv__catalog_meta_set(cv_catalog *c, const char *key, const char *value);

/* Binding helpers: text may be NULL (binds NULL). */
void cv__bind_text(sqlite3_stmt *st, int i, const char *s);
void cv__bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);
/** Copy a text column into a fixed buffer ("" for NULL). */
void cv__col_text(sqlite3_stmt *st, int i, char *out, size_t cap);
/** strdup of a text column (NULL for NULL). */
char *cv__col_strdup(sqlite3_stmt *st, int i);

#endif
