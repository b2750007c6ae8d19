/*
 * redact-fr — name units: what a word or two at a position can be in a name
 * (rfr_units.c), read by the names pass that groups them and decides whose
 * name the group is (rfr_names.c).
 * Functions of one work, on the caller's thread; they only read the session
 * (the names pass alone changes it).
 */
#ifndef RFR_NAMES_H
#define RFR_NAMES_H

#include "rfr_work.h"

#define MAXREF 24

typedef enum { U_REG = 1, U_FIRST, U_INIT, U_UNK, U_DICT } unit_type;

/* Tokens [a, b) that make one part of a name. */
typedef struct unit {
	size_t a, b;
	int type;
	int nref;
	int32_t ref[MAXREF];  /* U_REG: the register names it matches, all of the longest length */
	char initial;         /* U_INIT */
} unit;

/* The gap before token j lets it continue a name. */
static inline int joinable(const work *w, size_t j)
{
	unsigned g = w->tok[j].gap;
	if (g & (G_BLANK | G_START))
		return 0;
	return (g & ~(unsigned)(G_SPACE | G_NL | G_HYPHEN | G_APOS)) == 0;
}

/* After an initial or "M.": the gap may hold that dot. */
static inline int joinable_after_dot(const work *w, size_t j)
{
	unsigned g = w->tok[j].gap;
	if (g & (G_BLANK | G_START))
		return 0;
	if (!(w->tok[j - 1].flags & TF_DOT))
		return joinable(w, j);
	return (g & ~(unsigned)(G_SPACE | G_NL | G_SENT | G_HYPHEN)) == 0;
}

/* Capitals at a sentence start say nothing about a name; the dot of "M." or "J." ends no sentence. */
static inline int sentence_initial(const work *w, size_t i)
{
	unsigned g = w->tok[i].gap;
	if (i == 0 || (g & (G_START | G_BLANK | G_COLON | G_BULLET)))
		return 1;
	if (g & G_SENT) {
		const rtok *pk = &w->tok[i - 1];
		if (pk->flags & TF_DOT) {
			uint32_t pf = LXF(w, i - 1);
			if ((pf & (LX_ABBR | LX_CIV)) || (pk->fl == 1 && (pk->flags & TF_CAP)))
				return 0;
		}
		return 1;
	}
	if ((g & G_OTHER) && (g & G_NL))
		return 1;
	return 0;
}

/* The word at i is in the French dictionary (asked once per word). */
int rfr_tok_dict(const work *w, size_t i);
/* An unknown capitalised word one letter away from a registered name is read as that name (rfr_units.c). */
void rfr_fuzzy_at(const work *w, size_t i);
/* Civility at i: 'M', 'F', 'X' or 0. */
int rfr_civility(const work *w, size_t i);
/* Longest register name starting at token i (its length in tokens, 0 for none), into u. */
size_t rfr_match_registered(const work *w, size_t i, unit *u);
/* One name unit at j, given what the group holds so far (`have`), its civility and the cue before it; the end of
 * the unit, or 0. */
size_t rfr_take_unit(const work *w, size_t j, unit *u, int have, int civ, int cue);
/* A cue word right before token i: 1 weak (avec, chez), 2 a person follows (camarade, voisine, mère), 3 a surname
 * follows (famille, née, chez les, "Nom :"): only then may a common word be the name. */
int rfr_cue_before(const work *w, size_t i);
/* A place: Saint-Denis, rue Victor Hugo, collège Jean Moulin. */
int rfr_place_before(const work *w, size_t i);

#endif
