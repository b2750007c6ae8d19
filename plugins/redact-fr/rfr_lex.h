/*
 * redact-fr — lexicon functions shared by the engine's source files.
 * A lexicon belongs to its holder (the engine's is read-only once built; a
 * session's grows with it) and is never locked.
 */
#ifndef RFR_LEX_H
#define RFR_LEX_H

#include "rfr_internal.h"

int32_t rfr_lex_add(rfr_lexicon *lx, const rfr_alloc *a, const char *k, size_t n);
void rfr_lex_free(rfr_lexicon *lx, const rfr_alloc *a);
/* The engine's words from the start: civilities, cues, particles, street types, months, places, first names. */
int rfr_lex_add_static(rfr_engine *e);

#endif
