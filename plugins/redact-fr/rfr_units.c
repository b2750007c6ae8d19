/*
 * redact-fr — name units: whether the word (or the two or three words) at a
 * position can be part of a name, and of which kind: a registered name, a
 * known first name, an initial, an unknown capitalised word, a common word
 * used as a surname; and the words before it that tell a person (cues) from
 * a place. Pure functions of the work: nothing is decided or written here.
 */
#include "rfr_names.h"

static int tok_dict(const work *w, size_t i)
{
	const rfr_lexent *x = LX(w, i);
	if (x)
		return x->isdict;
	return rfr_dict_has(w->E, FOLD(w, &w->tok[i]), w->tok[i].fl);
}

static int is_initial(const work *w, size_t i)
{
	const rtok *k = &w->tok[i];
	return (k->flags & TF_CAP) && (k->flags & TF_DOT) && k->fl == 1 && k->e - k->s <= 2;
}

int rfr_civility(const work *w, size_t i)
{
	const rtok *k = &w->tok[i];
	uint32_t f = LXF(w, i);
	if (!(f & LX_CIV) || (k->flags & TF_COVERED))
		return 0;
	const char *s = FOLD(w, k);
	if (k->fl == 1 && s[0] == 'm') {
		if (!(k->flags & TF_CAP) || !(k->flags & TF_DOT))
			return 0;
	} else if ((f & LX_ABBR) && k->fl <= 2) {
		/* Me, Dr, Pr, Mr: capitalised */
		if (!(k->flags & TF_CAP))
			return 0;
	}
	return (f & LX_CIV_M) ? 'M' : (f & LX_CIV_F) ? 'F' : 'X';
}

size_t rfr_match_registered(const work *w, size_t i, unit *u)
{
	const rfr_lexent *x = LX(w, i);
	if (!x || x->names < 0)
		return 0;
	size_t best = 0;
	u->nref = 0;
	for (int32_t ni = x->names; ni >= 0; ni = w->S->names[ni].next) {
		const rname *nm = &w->S->names[ni];
		if (i + nm->ntok > w->nt)
			continue;
		int ok = 1;
		for (size_t k = 0; k < nm->ntok && ok; k++) {
			const rtok *tk = &w->tok[i + k];
			if (tk->lex != nm->tok[k] || (tk->flags & (TF_COVERED | TF_USED)))
				ok = 0;
			else if (k > 0 && !joinable(w, i + k))
				ok = 0;
		}
		if (!ok)
			continue;
		/* common words and aliases only as capitalised names */
		if (nm->weak || nm->part == PART_ALIAS) {
			size_t h = i + nm->lead;
			if (!capitalised(w, h))
				continue;
		}
		if (nm->ntok > best) {
			best = nm->ntok;
			u->nref = 0;
		}
		if (nm->ntok == best && u->nref < MAXREF)
			u->ref[u->nref++] = ni;
	}
	if (!best)
		return 0;
	u->a = i;
	u->b = i + best;
	u->type = U_REG;
	return best;
}

/* A capitalised word that is not a common word. */
static int unknown_cap(const work *w, size_t i)
{
	const rtok *k = &w->tok[i];
	if (!capitalised(w, i) || k->fl < 2 || (k->flags & (TF_COVERED | TF_USED)))
		return 0;
	uint32_t f = LXF(w, i);
	if (f & (LX_STOP | LX_CIV | LX_MONTH | LX_STREET | LX_INSTIT | LX_SAINT | LX_CUE | LX_CUE_STRONG | LX_LABEL |
			LX_ARTICLE | LX_CONJ))
		return 0;
	return !tok_dict(w, i);
}

static int first_name(const work *w, size_t i)
{
	const rtok *k = &w->tok[i];
	if (!capitalised(w, i) || (k->flags & (TF_COVERED | TF_USED)))
		return 0;
	uint32_t f = LXF(w, i);
	return (f & LX_FIRST) && !(f & (LX_STOP | LX_CIV));
}

size_t rfr_take_unit(const work *w, size_t j, unit *u, int have, int civ, int cue)
{
	if (j >= w->nt || (w->tok[j].flags & (TF_COVERED | TF_USED)))
		return 0;
	if (rfr_match_registered(w, j, u))
		return u->b;
	if (first_name(w, j)) {
		u->a = j;
		u->b = j + 1;
		u->type = U_FIRST;
		u->nref = 0;
		return u->b;
	}
	if (is_initial(w, j) && j + 1 < w->nt && joinable_after_dot(w, j + 1)) {
		u->a = j;
		u->b = j + 1;
		u->type = U_INIT;
		u->nref = 0;
		u->initial = FOLD(w, &w->tok[j])[0];
		return u->b;
	}
	uint32_t f = LXF(w, j);
	if ((f & LX_PARTICLE) && j + 1 < w->nt && joinable(w, j + 1) &&
		!(!have && !civ && (f & LX_ARTICLE) && capitalised(w, j) && sentence_initial(w, j))) {
		/* de Villiers, Le Goff, Da Costa: the particle joins the word after */
		size_t k = j + 1;
		if ((LXF(w, k) & LX_PARTICLE) && k + 1 < w->nt && joinable(w, k + 1))
			k++; /* de La Fontaine */
		if (unknown_cap(w, k)) {
			u->a = j;
			u->b = k + 1;
			u->type = U_UNK;
			u->nref = 0;
			return u->b;
		}
		if (capitalised(w, j) && capitalised(w, k) && !(LXF(w, k) & LX_STOP) && (have || civ) &&
			!sentence_initial(w, j)) {
			u->a = j;
			u->b = k + 1;
			u->type = U_DICT;
			u->nref = 0;
			return u->b;
		}
		return 0;
	}
	if (unknown_cap(w, j)) {
		u->a = j;
		u->b = j + 1;
		u->type = U_UNK;
		u->nref = 0;
		return u->b;
	}
	if (capitalised(w, j) && (have || civ || cue >= 3) && !(f & (LX_STOP | LX_CIV | LX_MONTH | LX_CUE | LX_LABEL)) &&
		!sentence_initial(w, j) && w->tok[j].fl >= 2) {
		/* a common word used as a surname: Kevin Petit, Mme Blanc */
		/* across a line break only when no label follows: "Martine\nPoulain à"
		 * is a name, "Zoé\nNé(e) le" is not */
		if (have && (w->tok[j].gap & G_NL) &&
			(j + 1 >= w->nt || (w->tok[j + 1].gap & (G_COLON | G_OTHER | G_NL | G_BLANK))))
			return 0;
		u->a = j;
		u->b = j + 1;
		u->type = U_DICT;
		u->nref = 0;
		return u->b;
	}
	if (!have && !civ && capitalised(w, j) && w->tok[j].fl >= 2 && !sentence_initial(w, j) &&
		!(f & (LX_STOP | LX_CIV | LX_MONTH | LX_CUE | LX_LABEL | LX_PARTICLE | LX_ARTICLE | LX_SAINT | LX_INSTIT |
			LX_STREET)) &&
		j + 1 < w->nt && joinable(w, j + 1) && !(w->tok[j + 1].gap & (G_HYPHEN | G_APOS | G_NL)) &&
		unknown_cap(w, j + 1)) {
		/* Thaïs ESNAULT: a capitalised common word before an unknown one */
		u->a = j;
		u->b = j + 1;
		u->type = U_DICT;
		u->nref = 0;
		return u->b;
	}
	return 0;
}

int rfr_cue_before(const work *w, size_t i)
{
	if (i == 0)
		return 0;
	unsigned g = w->tok[i].gap;
	size_t k = i - 1;
	if ((g & G_COLON) && !(g & ~(unsigned)(G_COLON | G_SPACE)) && (LXF(w, k) & LX_LABEL))
		return 3;
	if (g & ~(unsigned)(G_SPACE | G_APOS))
		return 0;
	uint32_t f = LXF(w, k);
	if (f & LX_CUE_STRONG)
		return 3;
	if (f & LX_CUE)
		return (f & LX_CUE_WEAK) ? 1 : 2;
	if ((f & LX_ARTICLE) && k > 0 && !(w->tok[k].gap & ~(unsigned)(G_SPACE))) {
		/* chez les Durand, la famille des Morel */
		uint32_t f2 = LXF(w, k - 1);
		if (f2 & (LX_CUE | LX_CUE_STRONG))
			return 3;
	}
	return 0;
}

int rfr_place_before(const work *w, size_t i)
{
	if (i == 0)
		return 0;
	unsigned g = w->tok[i].gap;
	uint32_t f = LXF(w, i - 1);
	if ((f & LX_SAINT) && ((g & G_HYPHEN) || (capitalised(w, i - 1) && joinable(w, i))))
		return 1;
	if (g & G_HYPHEN)
		return 0;
	for (size_t back = 1; back <= 3 && back <= i; back++) {
		size_t k = i - back;
		if (w->tok[k + 1].gap & ~(unsigned)(G_SPACE | G_APOS | G_HYPHEN))
			return 0;
		uint32_t fk = LXF(w, k);
		if ((fk & LX_INSTIT) || ((fk & LX_STREET) && !(fk & LX_STREET_WEAK)))
			return 1;
		/* only particles and capitalised words between: "avenue du Général
		 * Leclerc", "école primaire Jean Moulin" (primaire is LX_INSTIT) */
		if (!(fk & (LX_PARTICLE | LX_ARTICLE)) && !capitalised(w, k))
			return 0;
	}
	return 0;
}
