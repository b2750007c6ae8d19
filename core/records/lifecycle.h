/* The life of a case after ingestion (lifecycle.c): closure, hold and
 * release are public API (casevault/case.h); shredding is for the sweep and
 * the rights register, inside their transaction. */
#ifndef CV_RECORDS_LIFECYCLE_H
#define CV_RECORDS_LIFECYCLE_H

#include "engine/internal.h"

/** A document an anonymisation keeps, already redacted by the caller. */
typedef struct cv_survivor {
	char *title, *type, *date, *text;
	size_t len;
} cv_survivor;

/** Crypto-shred a case: its key and every row that names a person go; its
 * reference, category, month-precision dates and statistical record stay
 * (anonymise) or the statistics go too (destroy). An anonymisation stores
 * `sv` (owned by the caller) under a fresh key. `key_id` receives the
 * destroyed key's id. */
int cv__case_shred(cv_txn *t, const char *case_id, int destroy, const cv_survivor *sv, size_t nsv, char key_id[33]);

#endif
