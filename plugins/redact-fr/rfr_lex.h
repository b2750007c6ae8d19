/*
 * redact-fr — lexicon functions shared by the engine's source files.
 */
#ifndef RFR_LEX_H
#define RFR_LEX_H

#include "rfr_internal.h"

int32_t rfr_lex_add(rfr_lexicon *lx, const rfr_alloc *a, const char *k, size_t n);
void rfr_lex_free(rfr_lexicon *lx, const rfr_alloc *a);

/* Split a UTF-8 string into folded words. sep says what came before the
 * word: 0 nothing or spaces, 1 one hyphen, 2 one apostrophe, 3 other. */
int rfr_fold_words(const rfr_engine *e, const char *s, size_t len,
	int (*fn)(void *ctx, const char *w, size_t n, int caps, size_t start, size_t end, int sep), void *ctx);

#endif
