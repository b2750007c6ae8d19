/*
 * redact-fr — the names pass: name units grouped around their civility or
 * cue ("Mme Sophie Leroy", "chez les Morel"), each group decided: a
 * registered person (a third party redacted, the requester kept, an
 * ambiguous one kept and flagged), or somebody the register does not know,
 * numbered and learned so that later bare mentions are caught too.
 */
#include "rfr_names.h"

static int find_entity(rfr_session *S, const char *first, const char *last, int create)
{
	/* Entities never change once made, and the earliest fitting one wins, so
	 * a mention gets the same number however often it is seen. */
	if (!last[0]) {
		/* a first name alone: the entity known by that first name alone,
		 * else the earliest with that first name */
		for (size_t i = 0; i < S->nents; i++)
			if (!S->ents[i].last[0] && strcmp(S->ents[i].first, first) == 0)
				return (int)i;
		for (size_t i = 0; i < S->nents; i++)
			if (strcmp(S->ents[i].first, first) == 0)
				return (int)i;
	} else {
		/* same surname: the same first name, else one without, else (a
		 * surname alone) the earliest with that surname */
		for (size_t i = 0; i < S->nents; i++)
			if (strcmp(S->ents[i].last, last) == 0 && strcmp(S->ents[i].first, first) == 0)
				return (int)i;
		for (size_t i = 0; i < S->nents; i++)
			if (strcmp(S->ents[i].last, last) == 0 && (!S->ents[i].first[0] || !first[0]))
				return (int)i;
	}
	if (!create)
		return -1;
	if (S->nents == S->capents) {
		size_t nc = S->capents ? S->capents * 2 : 16;
		rentity *ne = S->e->a.realloc(S->ents, nc * sizeof *ne);
		if (!ne)
			return -1;
		S->ents = ne;
		S->capents = nc;
	}
	rentity *x = &S->ents[S->nents];
	memset(x, 0, sizeof *x);
	rfr_copy_str(x->first, sizeof x->first, first);
	rfr_copy_str(x->last, sizeof x->last, last);
	return (int)S->nents++;
}

static void append_folded(const work *w, size_t a, size_t b, char *dst, size_t cap)
{
	size_t o = strlen(dst);
	for (size_t i = a; i < b; i++) {
		const rtok *k = &w->tok[i];
		if (o && o + 1 < cap)
			dst[o++] = ' ';
		for (size_t c = 0; c < k->fl && o + 1 < cap; c++)
			dst[o++] = FOLD(w, k)[c];
	}
	dst[o] = 0;
}

/* An unregistered name: number it by its words, learn its surname. */
static void emit_unregistered(work *w, const unit *u, int nu)
{
	rfr_session *S = w->S;
	char first[32] = "", last[64] = "";
	for (int i = 0; i < nu; i++) {
		if (u[i].type == U_FIRST && !last[0])
			append_folded(w, u[i].a, u[i].b, first, sizeof first);
		else if (u[i].type == U_UNK || u[i].type == U_DICT || u[i].type == U_REG)
			append_folded(w, u[i].a, u[i].b, last, sizeof last);
		else if (u[i].type == U_FIRST)
			append_folded(w, u[i].a, u[i].b, last, sizeof last);
	}
	int ent = find_entity(S, first, last, 1);
	if (ent < 0) {
		w->oom = 1;
		return;
	}
	rfr_add_span(w, w->tok[u[0].a].s, w->tok[u[nu - 1].b - 1].e, CV_SPAN_NAME, CV_SPAN_REVIEW, -1, ent);
	for (int i = 0; i < nu; i++) {
		for (size_t k = u[i].a; k < u[i].b; k++)
			w->tok[k].flags |= TF_USED;
		if ((u[i].type != U_UNK && u[i].type != U_DICT) || !w->learn)
			continue;
		/* learn the surname's last word: later bare mentions are caught */
		size_t k = u[i].b - 1;
		const rtok *tk = &w->tok[k];
		int32_t x = tk->lex;
		if (x < SESS_BASE) {
			x = rfr_sess_add(S, FOLD(w, tk), tk->fl);
			if (x < 0) {
				w->oom = 1;
				return;
			}
			w->tok[k].lex = x;
		}
		rfr_lexent *le = sent(S, x);
		if (le->learned < 0 && le->names < 0 && !(le->flags & (LX_FIRST | LX_STOP | LX_CIV | LX_PARTICLE))) {
			le->learned = ent;
			S->nlearned++;
		}
	}
}

static int person_has_initial(const rperson *p, char c)
{
	for (size_t i = 0; i < p->ninitials; i++)
		if (p->initials[i] == c)
			return 1;
	return 0;
}

/* Emit the decision for a set of candidate persons over tokens [a, b). */
static void decide(work *w, size_t a, size_t b, const int *cand, int nc, int weak)
{
	rfr_session *S = w->S;
	int third = -1, nthird = 0, req = 0;
	for (int i = 0; i < nc; i++) {
		if (cand[i] == S->req) {
			req = 1;
		} else {
			if (third < 0)
				third = cand[i];
			nthird++;
		}
	}
	for (size_t k = a; k < b; k++)
		w->tok[k].flags |= TF_USED;
	if (!nthird)
		return; /* the requester: kept */
	size_t s = w->tok[a].s, e = w->tok[b - 1].e;
	if (req || weak) {
		/* could be the requester, or a common word at the start of a
		 * sentence (Petit, Rose): kept, listed for the officer */
		if (e - s < 48)
			rfr_add_span(w, s, e, CV_SPAN_PERSON, CV_SPAN_REVIEW | CV_SPAN_KEEP, third, -1);
		return;
	}
	rfr_add_span(w, s, e, CV_SPAN_PERSON, nthird > 1 ? CV_SPAN_REVIEW : 0, third, -1);
}

static int sex_ok(const rperson *p, int civ)
{
	if (civ == 'M')
		return p->sex != 'F';
	if (civ == 'F')
		return p->sex != 'M';
	return 1;
}

/* Persons named by every registered unit of the group, agreeing with its initials and civility. */
static int common_candidates(const work *w, const unit *u, int nu, int civ, int couple, int *cand)
{
	const rfr_session *S = w->S;
	const unit *u0 = NULL;
	int nc = 0;
	for (int i = 0; i < nu && !u0; i++)
		if (u[i].type == U_REG)
			u0 = &u[i];
	for (int r = 0; r < u0->nref; r++) {
		int p = S->names[u0->ref[r]].person;
		int dup = 0;
		for (int k = 0; k < nc; k++)
			dup |= cand[k] == p;
		if (dup || nc == 64)
			continue;
		int all = 1;
		for (int i = 0; i < nu && all; i++) {
			if (u[i].type == U_REG) {
				int found = 0;
				for (int q = 0; q < u[i].nref; q++)
					found |= S->names[u[i].ref[q]].person == p;
				all = found;
			} else if (u[i].type == U_INIT) {
				all = person_has_initial(&S->p[p], u[i].initial);
			}
		}
		if (!all)
			continue;
		if (!couple && !sex_ok(&S->p[p], civ))
			continue;
		if (couple && p == S->req)
			continue;
		cand[nc++] = p;
	}
	return nc;
}

/* A lone registered word that is also a common word, at a sentence start and with nothing around it that says
 * "person" (Petit, Rose): kept and flagged rather than redacted. */
static int weak_mention(const work *w, const unit *u, int nu, int civ, int cue)
{
	size_t a0 = u[0].a;
	int initial = sentence_initial(w, a0) ||
		(a0 > 0 && (LXF(w, a0 - 1) & (LX_ARTICLE | LX_PARTICLE)) && capitalised(w, a0 - 1) && joinable(w, a0) &&
			sentence_initial(w, a0 - 1));
	int hyphenated = u[0].b - u[0].a >= 2;
	for (size_t t2 = u[0].a + 1; t2 < u[0].b; t2++)
		hyphenated &= (w->tok[t2].gap & G_HYPHEN) && capitalised(w, t2);
	int weak = 0;
	if (nu == 1 && !civ && !cue && initial && !hyphenated)
		for (int r = 0; r < u[0].nref; r++)
			weak |= w->S->names[u[0].ref[r]].weak;
	return weak;
}

/* Secondary first names after a comma belong to the one person named: LEROY Sophie, Marie. The group's new end. */
static size_t more_first_names(const work *w, size_t b, int only)
{
	const rfr_session *S = w->S;
	while (only >= 0 && b < w->nt) {
		unsigned g = w->tok[b].gap;
		if (!(g & G_COMMA) || (g & ~(unsigned)(G_COMMA | G_SPACE)))
			break;
		unit x;
		if (!rfr_match_registered(w, b, &x))
			break;
		int mine = 0;
		for (int q = 0; q < x.nref; q++) {
			const rname *nm = &S->names[x.ref[q]];
			mine |= nm->person == only && nm->part == PART_FIRST2;
		}
		if (!capitalised(w, x.a))
			mine = 0;
		if (!mine)
			break;
		b = x.b;
	}
	return b;
}

/* No single person fits every word: decide word by word (a mother's first name with the father's surname, two
 * names side by side). */
static void decide_each(work *w, const unit *u, int nu, int civ)
{
	const rfr_session *S = w->S;
	for (int i = 0; i < nu; i++) {
		if (u[i].type != U_REG)
			continue;
		int c1[64], n1 = 0;
		for (int r = 0; r < u[i].nref && n1 < 64; r++) {
			int p = S->names[u[i].ref[r]].person;
			int dup = 0;
			for (int k = 0; k < n1; k++)
				dup |= c1[k] == p;
			if (!dup && (i > 0 || sex_ok(&S->p[p], civ)))
				c1[n1++] = p;
		}
		if (n1 == 0)
			for (int r = 0; r < u[i].nref && n1 < 64; r++)
				c1[n1++] = S->names[u[i].ref[r]].person;
		decide(w, u[i].a, u[i].b, c1, n1, 0);
	}
}

/* Resolve units [0, nu) with the civility before them. */
static void resolve(work *w, unit *u, int nu, int civ, int couple, int cue)
{
	rfr_session *S = w->S;
	int nreg = 0, nunreg = 0, reg_first = 0;
	for (int i = 0; i < nu; i++) {
		if (u[i].type == U_REG) {
			nreg++;
			for (int r = 0; r < u[i].nref; r++) {
				int part = S->names[u[i].ref[r]].part;
				if (part == PART_FIRST || part == PART_FIRST2)
					reg_first = 1;
			}
		} else if (u[i].type != U_INIT) {
			nunreg++;
		}
	}
	if (!nreg) {
		emit_unregistered(w, u, nu);
		return;
	}
	/* a first name the register does not know next to a registered
	 * surname is somebody else of that family: Kevin Leroy */
	int only_first_extra = 1;
	for (int i = 0; i < nu; i++)
		if (u[i].type == U_UNK || u[i].type == U_DICT)
			only_first_extra = 0;
	if (nunreg && !(only_first_extra && reg_first)) {
		emit_unregistered(w, u, nu);
		return;
	}
	int cand[64];
	int nc = common_candidates(w, u, nu, civ, couple, cand);
	int weak = weak_mention(w, u, nu, civ, cue);
	if (nc > 0) {
		size_t b = more_first_names(w, u[nu - 1].b, nc == 1 ? cand[0] : -1);
		decide(w, u[0].a, b, cand, nc, weak);
		return;
	}
	decide_each(w, u, nu, civ);
}

/* The units that follow one another from q with nothing but name gaps between them; their number. */
static int take_group(const work *w, size_t q, unit *u, int civ, int cue)
{
	int nu = 0;
	while (nu < 8 && q < w->nt) {
		if (nu > 0) {
			if (u[nu - 1].type == U_INIT ? !joinable_after_dot(w, q) : !joinable(w, q))
				break;
		}
		size_t e = rfr_take_unit(w, q, &u[nu], nu > 0, civ != 0, cue);
		if (!e)
			break;
		nu++;
		q = e;
	}
	/* a trailing initial is not a name on its own */
	while (nu > 0 && u[nu - 1].type == U_INIT)
		nu--;
	return nu;
}

/* Enough evidence that the group is a name: a civility, a registered word, a known first name, a cue, two unknown
 * capitalised words side by side (Swann Kowalski, Livio Boulanger; a common word may be one of them, not at a
 * sentence start), or an initial and a name. */
static int group_is_name(const work *w, const unit *u, int nu, int civ, int cue, int *nreg, int *nfirst)
{
	int nunk = 0, ndict = 0, spaced = 1;
	*nreg = *nfirst = 0;
	for (int m = 0; m < nu; m++) {
		*nreg += u[m].type == U_REG;
		*nfirst += u[m].type == U_FIRST;
		nunk += u[m].type == U_UNK;
		ndict += u[m].type == U_DICT;
		if (m > 0 && (w->tok[u[m].a].gap & (G_HYPHEN | G_APOS)))
			spaced = 0;
	}
	int pair = nu >= 2 && nunk >= 1 && nunk + ndict == nu && spaced &&
		(ndict == 0 || !sentence_initial(w, u[0].a));
	return civ || *nreg || *nfirst || cue || pair || (u[0].type == U_INIT && nu >= 2);
}

void rfr_names_pass(work *w)
{
	const size_t nt = w->nt;
	unit u[8];
	size_t next = 0; /* words before this are decided */
	for (size_t ci = 0; ci < w->ncand && !w->oom; ci++) {
		size_t i = w->cand[ci];
		if (i < next)
			continue;
		const rtok *k = &w->tok[i];
		if (k->flags & (TF_COVERED | TF_USED))
			continue;
		const rfr_lexent *x = LX(w, i);
		/* fast path: lowercase words that name nobody */
		if (!(k->flags & (TF_CAP | TF_ALLCAPS)) && (!x || (x->names < 0 && !(x->flags & LX_CIV))))
			continue;
		size_t j = i;
		int civ = rfr_civility(w, i), couple = 0;
		if (civ) {
			j = i + 1;
			/* M. et Mme, Madame et Monsieur */
			if (j + 1 < nt && (LXF(w, j) & LX_CONJ) && joinable_after_dot(w, j) && rfr_civility(w, j + 1)) {
				couple = 1;
				j += 2;
			}
			if (j >= nt || !joinable_after_dot(w, j))
				continue;
		}
		int cue = civ ? 0 : rfr_cue_before(w, i);
		int nu = take_group(w, j, u, civ, cue);
		if (!nu)
			continue;
		int nreg, nfirst;
		if (!group_is_name(w, u, nu, civ, cue, &nreg, &nfirst))
			continue;
		if (!civ && !cue && rfr_place_before(w, i)) {
			/* rue Victor Hugo, Saint-Denis, collège Jean Moulin */
			for (int m = 0; m < nu; m++)
				for (size_t t2 = u[m].a; t2 < u[m].b; t2++)
					w->tok[t2].flags |= TF_USED;
			next = u[nu - 1].b;
			continue;
		}
		/* an unregistered lone word needs some evidence it is a name */
		if (!civ && !nreg && nu == 1 && u[0].type == U_DICT && cue < 3)
			continue;
		w->learn = civ || cue || nfirst || nreg;
		resolve(w, u, nu, civ, couple, cue);
		if (w->tok[u[nu - 1].b - 1].flags & TF_USED)
			next = u[nu - 1].b;
	}
}

/* Later mentions of learned unregistered surnames. */
void rfr_learned_pass(work *w)
{
	rfr_session *S = w->S;
	if (!S->nlearned)
		return;
	for (size_t ci = 0; ci < w->ncand; ci++) {
		size_t i = w->cand[ci];
		rtok *k = &w->tok[i];
		if ((k->flags & (TF_COVERED | TF_USED)) || !capitalised(w, i))
			continue;
		if (k->lex < SESS_BASE) {
			if (!bloom_has(S, k->h32))
				continue; /* learned words are all in the filter */
			uint64_t h = rfr_hash(FOLD(w, k), k->fl);
			int32_t x = rfr_lex_find(&S->lx, FOLD(w, k), k->fl, h);
			if (x < 0)
				continue;
			k->lex = SESS_BASE + x;
		}
		const rfr_lexent *x = sent(S, k->lex);
		if (x->learned < 0)
			continue;
		if (x->isdict && sentence_initial(w, i))
			continue;
		if (rfr_place_before(w, i))
			continue;
		k->flags |= TF_USED;
		rfr_add_span(w, k->s, k->e, CV_SPAN_NAME, CV_SPAN_REVIEW, -1, x->learned);
	}
}
