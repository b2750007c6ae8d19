/*
 * redact-fr — name units: whether the word (or the two or three words) at a
 * position can be part of a name, and of which kind: a registered name, a
 * known first name, an initial, an unknown capitalised word, a common word
 * used as a surname, a particle glued to the word after it as the register
 * spells it (Da Silva for DaSilva); and the words before it that tell a
 * person (cues) from a place. Nothing is decided here; the only writes are
 * what a word is found to be, kept on the word so that it is asked once
 * (its dictionary answer, its reading through a wrong letter, below).
 */
#include "rfr_names.h"

int rfr_tok_dict(const work *w, size_t i)
{
	const rfr_lexent *x = LX(w, i);
	if (x)
		return x->isdict;
	/* the same word is asked about by several rules: the big table once */
	rtok *k = &w->tok[i];
	if (!(k->flags & TF_DICT_KNOWN))
		k->flags |= TF_DICT_KNOWN | (rfr_dict_has(w->E, FOLD(w, k), k->fl) ? TF_DICT : 0);
	return (k->flags & TF_DICT) != 0;
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

/* A particle and the capitalised word after it that the register holds glued: "Da Silva", "Le Goff", "N'Diaye"
 * for DaSilva, Legoff, Ndiaye. The glued word's lexicon entry, or NULL. */
static const rfr_lexent *glued_name(const work *w, size_t i)
{
	if (i + 1 >= w->nt || !(LXF(w, i) & LX_PARTICLE) || !joinable(w, i + 1) || !capitalised(w, i + 1) ||
		(w->tok[i + 1].flags & (TF_COVERED | TF_USED)))
		return NULL;
	const rtok *a = &w->tok[i], *b = &w->tok[i + 1];
	char buf[64];
	if (a->fl + b->fl > sizeof buf)
		return NULL;
	memcpy(buf, FOLD(w, a), a->fl);
	memcpy(buf + a->fl, FOLD(w, b), b->fl);
	size_t n = a->fl + b->fl;
	const rfr_session *S = w->S;
	uint64_t h = rfr_hash(buf, n);
	if (!bloom_has(S, h))
		return NULL;
	int32_t x = rfr_lex_find(&S->lx, buf, n, h);
	return x >= 0 && S->lx.ent[x].names >= 0 ? &S->lx.ent[x] : NULL;
}

size_t rfr_match_registered(const work *w, size_t i, unit *u)
{
	const rfr_lexent *g = glued_name(w, i);
	if (g) {
		u->nref = 0;
		for (int32_t ni = g->names; ni >= 0 && u->nref < MAXREF; ni = w->S->names[ni].next)
			if (w->S->names[ni].ntok == 1)
				u->ref[u->nref++] = ni;
		if (u->nref) {
			u->a = i;
			u->b = i + 2;
			u->type = U_REG;
			return 2;
		}
	}
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
	return !rfr_tok_dict(w, i);
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
	/* only a word the lexicons know nothing of (or learned as somebody's surname) may be a registered name misread */
	if ((w->tok[j].lex < 0 || (w->tok[j].lex >= SESS_BASE && !w->tok[j].lxf)) && !(w->tok[j].flags & TF_FUZZY_SEEN))
		rfr_fuzzy_at(w, j);
	if (j + 1 < w->nt && (LXF(w, j) & LX_PARTICLE) && (w->tok[j + 1].lex < 0 || w->tok[j + 1].lex >= SESS_BASE))
		rfr_fuzzy_at(w, j + 1); /* Da Casta for Da Costa */
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
		/* "de" is also the preposition: "la part de Kévin\nBlanchard" names Kévin Blanchard, whose first name the
		 * particle must not swallow into an unknown surname */
		const rfr_lexent *kx = LX(w, k);
		if (!capitalised(w, j) && kx && (kx->names >= 0 || (kx->flags & LX_FIRST)))
			return 0;
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

/* ------------------------------------------------------------------ */
/* Registered names read through one wrong letter                      */
/* An OCR confusion or a typo ("Lerov", "Duraud", "Mereier") is taken for the registered word it is one edit away
 * from, when the names pass looks at the word. Only capitalised words of five letters or more that no lexicon knows
 * and no dictionary holds, in a name position, and only onto a word with the same first letter: a variant of a
 * name is rare, a false one costs a person's story. A variant that could be the requester's name makes the mention
 * kept and flagged, never hidden; for that reason alone, a word of three or four letters right after a registered
 * word ("Marc Jaly" for the requester Marc Joly) is read as the requester's when one letter away from it. */

#define FUZZY_MIN 5
#define FUZZY_SHORT 3 /* shorter words only right after a registered word, and only onto the requester's */
#define FUZZY_MAX 40

static int word_of_requester(const rfr_session *S, int32_t id)
{
	for (int32_t ni = sent(S, id)->names; ni >= 0; ni = S->names[ni].next)
		if (S->names[ni].person == S->req)
			return 1;
	return 0;
}

/* The register's single-word names long enough to be matched through a wrong letter (built with the session). */
int rfr_fuzzy_build(rfr_session *S)
{
	for (size_t i = 0; i < S->nnames; i++) {
		const rname *nm = &S->names[i];
		if (nm->ntok != 1)
			continue;
		int32_t id = nm->tok[0];
		const rfr_lexent *x = sent(S, id);
		if (x->len < FUZZY_SHORT || x->len > FUZZY_MAX || (x->flags & LX_PARTICLE))
			continue;
		int dup = 0;
		for (size_t k = 0; k < S->nfuzzy && !dup; k++)
			dup = S->fuzzy[k].id == id;
		if (dup)
			continue;
		rfuzzy *nf = rfr_array_grow(&S->e->a, S->fuzzy, &S->capfuzzy, S->nfuzzy + 1, sizeof *nf, 16);
		if (!nf)
			return CV_ENOMEM;
		S->fuzzy = nf;
		rfuzzy *f = &S->fuzzy[S->nfuzzy++];
		f->id = id;
		f->off = x->off;
		f->len = (uint8_t)x->len;
		f->req = (uint8_t)word_of_requester(S, id);
		f->c0 = S->lx.pool[x->off];
	}
	return 0;
}

/* a and b differ by one substitution, one insertion or one deletion (not equal). */
static int one_edit(const char *a, size_t na, const char *b, size_t nb)
{
	if (na > nb) {
		const char *t = a;
		a = b;
		b = t;
		size_t tn = na;
		na = nb;
		nb = tn;
	}
	if (nb - na > 1)
		return 0;
	size_t i = 0;
	while (i < na && a[i] == b[i])
		i++;
	if (i == na)
		return nb == na + 1;
	if (na == nb)
		return memcmp(a + i + 1, b + i + 1, na - i - 1) == 0;
	return memcmp(a + i, b + i + 1, na - i) == 0;
}


/* The registered word one edit away from k: its index in S->fuzzy + 1 (0 none), bit 16 set when the requester
 * carries one of the words it is near. Cached per session: the same misspelling recurs. */
static unsigned fuzzy_lookup(rfr_session *S, const char *f, size_t fl, uint32_t h32)
{
	uint64_t *slot = &S->fcache[h32 & 63];
	uint64_t tag = ((uint64_t)h32 << 32) | ((uint64_t)fl << 24);
	if (*slot && (*slot & 0xFFFFFFFFFF000000ull) == tag)
		return (unsigned)(*slot & 0xFFFFFF) - 1;
	unsigned best = 0, req = 0;
	for (size_t i = 0; i < S->nfuzzy; i++) {
		const rfuzzy *z = &S->fuzzy[i];
		if (z->c0 != f[0] || (size_t)z->len + 1 < fl || (size_t)z->len > fl + 1 ||
			!one_edit(f, fl, S->lx.pool + z->off, z->len))
			continue;
		int mine = z->req;
		if (!best || (mine && !req))
			best = (unsigned)i + 1;
		req |= (unsigned)mine;
	}
	unsigned r = best | (req << 16);
	*slot = tag | (r + 1);
	return r;
}

/* The registered surname one edit away from f of the one person whose first name `prev` starts (a third party), or
 * -1: none, or two of them. */
static int32_t surname_of_first(const rfr_session *S, const char *f, size_t fl, const rfr_lexent *prev)
{
	int32_t found = -1;
	for (size_t i = 0; i < S->nfuzzy; i++) {
		const rfuzzy *z = &S->fuzzy[i];
		if (z->c0 != f[0] || z->req || (size_t)z->len + 1 < fl || (size_t)z->len > fl + 1 ||
			!one_edit(f, fl, S->lx.pool + z->off, z->len))
			continue;
		int mine = 0;
		for (int32_t ni = sent(S, z->id)->names; ni >= 0 && !mine; ni = S->names[ni].next) {
			const rname *nm = &S->names[ni];
			if (nm->ntok != 1 || (nm->part != PART_LAST && nm->part != PART_ALIAS) || nm->person == S->req)
				continue;
			for (int32_t nj = prev->names; nj >= 0 && !mine; nj = S->names[nj].next)
				mine = S->names[nj].person == nm->person &&
					(S->names[nj].part == PART_FIRST || S->names[nj].part == PART_FIRST2);
		}
		if (!mine)
			continue;
		if (found >= 0 && found != z->id)
			return -1;
		found = z->id;
	}
	return found;
}

/* A position where a surname or first name is expected: after a civility or another name word, or before one,
 * or anywhere but a sentence start. */
static int name_position(const work *w, size_t i)
{
	if (!sentence_initial(w, i))
		return 1;
	return i + 1 < w->nt && joinable(w, i + 1) && LX(w, i + 1) && LX(w, i + 1)->names >= 0;
}

/* Read the word at i through one wrong letter if it is an unknown capitalised word in a name position: its lexicon
 * id becomes the registered word's. Asked by the names pass when it looks at the word, once per word. */
void rfr_fuzzy_at(const work *w, size_t i)
{
	rfr_session *S = w->S;
	rtok *k = &w->tok[i];
	if (!S->nfuzzy || (k->flags & (TF_FUZZY_SEEN | TF_COVERED | TF_USED)))
		return;
	k->flags |= TF_FUZZY_SEEN;
	if (k->fl < FUZZY_SHORT || k->fl > FUZZY_MAX || !capitalised(w, i))
		return;
	int shortw = k->fl < FUZZY_MIN;
	if (shortw) {
		/* right after a registered word, or after a compound first name that is one (Jean-Marc Jaly) */
		size_t b = i - (i > 0);
		while (b > 0 && (w->tok[b].gap & G_HYPHEN) && joinable(w, b))
			b--;
		if (i == 0 || !joinable(w, i) || !LX(w, b) || LX(w, b)->names < 0)
			return;
	}
	const rfr_lexent *x = LX(w, i);
	/* a known word (a first name, a place, a registered name already) is itself; a word learned as an unregistered
	 * surname is read like an unknown one, so that a second reading of a text decides as the first did */
	if (x && (x->flags || x->names >= 0))
		return;
	if (rfr_tok_dict(w, i) || !name_position(w, i))
		return;
	unsigned r = fuzzy_lookup(S, FOLD(w, k), k->fl, (uint32_t)rfr_hash(FOLD(w, k), k->fl));
	if (!(r & 0xFFFF))
		return;
	int32_t id = S->fuzzy[(r & 0xFFFF) - 1].id;
	if (shortw && !(r >> 16)) {
		/* "Kevin Jaly" for Kevin Joly: the first name just before says whose surname it is */
		size_t b = i - 1;
		while (b > 0 && (w->tok[b].gap & G_HYPHEN) && joinable(w, b))
			b--;
		id = surname_of_first(S, FOLD(w, k), k->fl, LX(w, b));
		if (id < 0)
			return;
	}
	set_lex(w, i, id);
	k->flags |= TF_FUZZY | ((r >> 16) ? TF_FUZZY_REQ : 0);
}
