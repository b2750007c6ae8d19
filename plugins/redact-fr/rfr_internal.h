/*
 * redact-fr — internal declarations shared by the engine's source files:
 * character classes, the lexicon, the engine.
 * The engine (character table, static lexicon, dictionary) is built once by
 * rfr_engine_new and only read afterwards: threads may share it.
 */
#ifndef RFR_INTERNAL_H
#define RFR_INTERNAL_H

#include "redact_fr.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Grow an array by doubling (from `first` elements) so that it holds `need`:
 * the one growth rule of the session's and the work's arrays. NULL when the
 * allocator refuses (the array is then unchanged). */
static inline void *rfr_array_grow(const rfr_alloc *a, void *p, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return p;
	size_t nc = *cap ? *cap : first;
	while (nc < need)
		nc *= 2;
	void *np = a->realloc(p, nc * elem);
	if (np)
		*cap = nc;
	return np;
}

/* An error of the engine's API, told through the (err, errlen) pair every such function takes. */
#define RFR_ERR(code, ...) (err ? (void)snprintf(err, errlen, __VA_ARGS__) : (void)0, (code))

/* Character classes of the tokenizer. */
enum {
	RC_OTHER = 0, /* punctuation, symbols, invalid bytes */
	RC_LOWER,     /* letter, not uppercase */
	RC_UPPER,     /* uppercase or titlecase letter */
	RC_MARK,      /* combining mark: part of a word, folds to nothing */
	RC_DIGIT,     /* ASCII digit */
	RC_SPACE,     /* space, tab, no-break spaces */
	RC_NL,        /* line break */
	RC_APOS,      /* ' and U+2019 */
	RC_HYPHEN,    /* - and U+2010, U+2011 */
	RC_SENT,      /* . ! ? and U+2026 */
	RC_COMMA,
	RC_COLON,
	RC_AT,
	RC_IGNORE     /* zero-width characters, BOM, soft hyphen */
};

/* What a code point is, and its search folding (NFKD, marks stripped,
 * case folded: "É" -> "e", "œ" -> "oe", "ß" -> "ss"). */
typedef struct rfr_cpinfo {
	uint8_t cls;
	uint8_t flen;
	char f[6];
} rfr_cpinfo;

#define RFR_LATIN_TABLE 0x250

/* Decode one UTF-8 sequence at t[p] (p < len). Returns its length (>= 1);
 * *cp is 0xFFFD for an invalid or truncated sequence (length 1). */
static inline size_t rfr_utf8(const unsigned char *t, size_t len, size_t p, uint32_t *cp)
{
	unsigned c = t[p];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		if (p + 1 < len && (t[p + 1] & 0xC0) == 0x80) {
			*cp = ((c & 0x1Fu) << 6) | (t[p + 1] & 0x3Fu);
			return 2;
		}
	} else if (c >= 0xE0 && c <= 0xEF) {
		if (p + 2 < len && (t[p + 1] & 0xC0) == 0x80 && (t[p + 2] & 0xC0) == 0x80) {
			uint32_t v = ((c & 0x0Fu) << 12) | ((t[p + 1] & 0x3Fu) << 6) | (t[p + 2] & 0x3Fu);
			if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
				*cp = v;
				return 3;
			}
		}
	} else if (c >= 0xF0 && c <= 0xF4) {
		if (p + 3 < len && (t[p + 1] & 0xC0) == 0x80 && (t[p + 2] & 0xC0) == 0x80 &&
			(t[p + 3] & 0xC0) == 0x80) {
			uint32_t v = ((c & 0x07u) << 18) | ((t[p + 1] & 0x3Fu) << 12) | ((t[p + 2] & 0x3Fu) << 6) |
				(t[p + 3] & 0x3Fu);
			if (v >= 0x10000 && v <= 0x10FFFF) {
				*cp = v;
				return 4;
			}
		}
	}
	*cp = 0xFFFD;
	return 1;
}

/* The engine's shared part, visible to the identifier parsers. */
typedef struct rfr_lexent {
	uint64_t h;
	uint32_t off, len;   /* folded key in the pool */
	uint32_t flags;      /* LX_* */
	int32_t names;       /* first register name starting with this word, -1 */
	int32_t learned;     /* entity learned in this session, -1 */
	uint8_t gender;      /* for LX_FIRST: 1 M, 2 F, 3 both */
	uint8_t month;       /* for LX_MONTH: 1..12 */
	uint8_t street;      /* for LX_STREET: canonical street type id */
	uint8_t isdict;      /* the word is in the French dictionary */
	uint16_t kin;        /* for LX_KIN: the roles it designates (R_*) */
} rfr_lexent;

typedef struct rfr_lexicon {
	rfr_lexent *ent;
	size_t n, cap;
	uint64_t *slots;     /* high 32 bits of the hash | index + 1; 0 = empty */
	size_t mask;
	char *pool;
	size_t pool_n, pool_cap;
} rfr_lexicon;

enum {
	LX_CIV_M = 1u << 0,     /* M. Monsieur */
	LX_CIV_F = 1u << 1,     /* Mme Madame Mlle */
	LX_CIV_X = 1u << 2,     /* Me Dr Pr */
	LX_CUE = 1u << 3,       /* a name may follow: avec, chez, voisine... */
	LX_CUE_STRONG = 1u << 4,/* a name follows: née, épouse, dit... */
	LX_PARTICLE = 1u << 5,  /* de, da, le, van... inside names */
	LX_STREET = 1u << 6,    /* rue, avenue... */
	LX_INSTIT = 1u << 7,    /* collège, école... (a name after it is a place) */
	LX_SAINT = 1u << 8,
	LX_MONTH = 1u << 9,
	LX_FIRST = 1u << 10,    /* known first name */
	LX_STOP = 1u << 11,     /* never a name when capitalised */
	LX_ARTICLE = 1u << 12,  /* les, la, le, l' after a cue */
	LX_ABBR = 1u << 13,     /* abbreviation: its dot does not end a sentence */
	LX_LABEL = 1u << 14,    /* "Nom :", "Prénom :" */
	LX_CONJ = 1u << 15,     /* et (M. et Mme) */
	LX_BIS = 1u << 16,      /* bis, ter after a house number */
	LX_CEDEX = 1u << 17,
	LX_STREET_WEAK = 1u << 18, /* also a common verb or noun: cite, cours, place */
	LX_CUE_WEAK = 1u << 19,    /* avec, chez: a capitalised common word after it is no name */
	LX_PLACE = 1u << 20,       /* a city, a region, a country */
	LX_COMMON = 1u << 21,      /* an everyday word as well as a name (Petit, Blanc, Rose): a capital at a
	                            * sentence start says nothing */
	LX_KIN = 1u << 22,         /* a kinship word or a role (mère, frère, juge, éducatrice): kin says whom */
	LX_TITLE = 1u << 23,       /* a title between a civility and a name: Mme la juge Ferrand */
	LX_VERB = 1u << 24         /* a verb (or "lui," "elle,") after a sentence-initial word: its subject is a person */
};

/* Roles of the register, as a mask: what a kinship word or a title may designate (rfr_lexent.kin, rperson.role). */
enum {
	R_CHILD = 1u << 0, R_SIBLING = 1u << 1, R_MOTHER = 1u << 2, R_FATHER = 1u << 3, R_GRAND = 1u << 4,
	R_FOSTER = 1u << 5, R_EDUC = 1u << 6, R_JUDGE = 1u << 7, R_PSY = 1u << 8, R_MED = 1u << 9,
	R_LAWYER = 1u << 10, R_OTHER = 1u << 11, R_RELATIVE = 1u << 12 /* a stepparent, an uncle, an aunt */
};
/* Roles an adult holds: what a civility (Mme, M.) designates rather than a child of the case. */
#define R_ADULT (R_MOTHER | R_FATHER | R_GRAND | R_FOSTER | R_EDUC | R_JUDGE | R_PSY | R_MED | R_LAWYER | R_RELATIVE)

#define LX_CIV (LX_CIV_M | LX_CIV_F | LX_CIV_X)

struct rfr_engine {
	rfr_alloc a;
	rfr_cpinfo latin[RFR_LATIN_TABLE];
	uint64_t *dict;  /* open addressing set of word hashes, 0 = empty */
	size_t dict_mask;
	size_t dict_n;
	uint64_t *dict_bloom; /* the same hashes, three bits in one 64-byte block each: a name is told no dictionary
	                       * word from a cache line, where the set is megabytes read at random */
	size_t dict_blocks;
	rfr_lexicon lx;  /* static words */
	uint64_t bloom[512]; /* the static words' hashes, one bit each: most words of a text are none of them */
};

/* Folding of a code point (rfr_fold.c). */
void rfr_cp_info(const rfr_engine *e, uint32_t cp, rfr_cpinfo *out);
/* The folding of U+0000..RFR_LATIN_TABLE-1, computed once per engine: most text is there. */
void rfr_fold_latin(rfr_cpinfo *table);

static inline uint64_t rfr_hash(const char *s, size_t n)
{
	/* eight bytes at a time, little-endian whatever the machine: words are short */
	const unsigned char *u = (const unsigned char *)s;
	uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
	while (n >= 8) {
		uint64_t v = (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
			(uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		u += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v |= (uint64_t)u[i] << (8 * i);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h | 1; /* never 0: 0 marks an empty slot */
}

/* The hash of a word shorter than 8 bytes that can be read 8 bytes at a time (a buffer with room after it): the
 * same value as rfr_hash, without its byte loop. */
static inline uint64_t rfr_hash_short(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t v = (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
		(uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
	uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
	if (n) {
		v &= ~0ull >> (64 - 8 * n);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h | 1;
}

#define RFR_SLOT(h, i) (((uint64_t)(h) & 0xFFFFFFFF00000000ull) | ((uint64_t)(i) + 1))

static inline int32_t rfr_lex_find(const rfr_lexicon *lx, const char *k, size_t n, uint64_t h)
{
	if (!lx->mask)
		return -1;
	size_t j = (size_t)h & lx->mask;
	const uint64_t hi = h & 0xFFFFFFFF00000000ull;
	for (;;) {
		uint64_t sl = lx->slots[j];
		if (!sl)
			return -1;
		if ((sl & 0xFFFFFFFF00000000ull) == hi) {
			int32_t i = (int32_t)((sl & 0xFFFFFFFFull) - 1);
			const rfr_lexent *x = &lx->ent[i];
			/* the 64-bit hash and the length name the word, as in the dictionary's set: comparing the bytes
			 * too was a tenth of the tokenizer's time */
			(void)k;
			if (x->h == h && x->len == n)
				return i;
		}
		j = (j + 1) & lx->mask;
	}
}

static inline int rfr_engine_may_have(const rfr_engine *e, uint64_t h)
{
	return (int)((e->bloom[(h >> 16) & 511] >> ((h >> 10) & 63)) & 1);
}

/* The word is in the French dictionary (rfr_dict.c). */
int rfr_dict_has(const rfr_engine *e, const char *k, size_t n);

/* Fold a word at t[p]: letters and marks only. Returns the end of the word
 * (p when there is none); fills buf (truncated to cap) and *flen, *caps
 * (0 lower, 1 capitalised, 2 all caps). */
size_t rfr_word_at(const rfr_engine *e, const unsigned char *t, size_t len, size_t p, char *buf, size_t cap,
	size_t *flen, int *caps);

/* Split a UTF-8 string into folded words. sep says what came before the
 * word: 0 nothing or spaces, 1 one hyphen, 2 one apostrophe, 3 other. */
int rfr_fold_words(const rfr_engine *e, const char *s, size_t len,
	int (*fn)(void *ctx, const char *w, size_t n, int caps, size_t start, size_t end, int sep), void *ctx);

extern const char *const rfr_first_names[];

#endif
