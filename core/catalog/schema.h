/* Schema migrations: step i upgrades a catalog from version i to i+1.
 * Static SQL text, never edited once released; thread-safe to read. */
#ifndef CV_CATALOG_SCHEMA_H
#define CV_CATALOG_SCHEMA_H

/** The schema version whose rows carry seals (rowmac.h). */
#define CV_SCHEMA_ROW_SEALS 12
/** The schema version whose chunk rows carry seals and object tags. */
#define CV_SCHEMA_CHUNK_SEALS 15

int cv__schema_count(void);
const char *cv__schema_step(int i);

#endif
