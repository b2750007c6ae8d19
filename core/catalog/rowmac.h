/* Sealed catalog rows: every row of the tables that drive a decision or an
 * irreversible act (rowmac.c's list: cases, case keys, persons, users,
 * plans, requests, restrictions, origins, meta...) carries
 *   mac = HMAC-SHA-256(row key, "cvrow1" | table | each column but mac)
 * under a key derived from the master key. Someone who can write the
 * catalog file but holds no key cannot change, add or move such a row
 * without its seal failing.
 *
 * How rows are sealed without any write path having to remember it: a
 * SQLite pre-update hook sees every insert, update and delete of this
 * connection. An update or delete first checks the old row's seal (so
 * casevault never blesses a row someone altered: the transaction fails,
 * naming it); an insert or update records the row, and
 * cv__catalog_commit seals the recorded rows just before COMMIT. A
 * protected row changed outside an explicit transaction is refused (the
 * commit hook aborts it). Reads check the seal before use
 * (cv__rowmac_check); verify checks every row (cv__rowmac_scan).
 *
 * Owned by the catalog (cv_catalog.rowmac); the key is wiped at close. Not
 * thread-safe: one catalog connection, one thread. */
#ifndef CV_CATALOG_ROWMAC_H
#define CV_CATALOG_ROWMAC_H

#include "catalog/catalog.h"

/** Start sealing on `c` with `key` (hooks installed, tables' columns read). */
int cv__rowmac_start(cv_catalog *c, const unsigned char key[32]);
/** Re-read the tables' columns (after a migration changed them). */
int cv__rowmac_refresh(cv_catalog *c);
/** Seal the rows changed in this transaction: CV_EDAMAGED (naming the row)
 * if one of them had been altered outside casevault before it was changed.
 * Called by cv__catalog_commit. */
int cv__rowmac_flush(cv_catalog *c);
/** Forget what this transaction changed (rollback). */
void cv__rowmac_forget(cv_catalog *c);
/** Seal every row of every protected table, or of `table` only (the
 * upgrades that bring seals). */
int cv__rowmac_fill(cv_catalog *c, const char *table);
/** Check the seal of the rows of `table` matching `where` (SQL with one
 * text parameter ?1, or NULL for every row): CV_EDAMAGED naming the first
 * row whose seal fails. No-op before cv__rowmac_start or on a catalog
 * without seals. */
int cv__rowmac_check(cv_catalog *c, const char *table, const char *where, const char *arg);
/** Every row of every protected table: `bad` is called for each row whose
 * seal fails (table, the row's first column as text), then 0 or the
 * callback's non-zero value. */
int cv__rowmac_scan(cv_catalog *c, int (*bad)(const char *table, const char *row, void *payload), void *payload,
	uint64_t *rows);
/** 1 once the catalog's rows are sealed (schema with mac columns). */
int cv__rowmac_active(const cv_catalog *c);
void cv__rowmac_stop(cv_catalog *c);

#endif
