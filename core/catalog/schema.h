/* Schema migrations: step i upgrades a catalog from version i to i+1.
 * Static SQL text, never edited once released; thread-safe to read. */
#ifndef CV_CATALOG_SCHEMA_H
#define CV_CATALOG_SCHEMA_H

int cv__schema_count(void);
const char *cv__schema_step(int i);

#endif
