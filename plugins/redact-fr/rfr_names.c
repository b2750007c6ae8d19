/*
 * redact-fr — the names pass: name units grouped around their civility or
 * cue ("Mme Sophie Leroy", "chez les Morel"), each group decided: a
 * registered person (a third party redacted, the requester kept, an
 * ambiguous one kept and flagged), or somebody the register does not know,
 * numbered and learned so that later bare mentions are caught too. Of
 * several registered persons a name fits, the words around it choose: a
 * civility means an adult, kinship words and titles a role of the register
 * (sa mère, son père, le juge), the requester named in full beside it
 * somebody else, a verb after a sentence-initial everyday word a person.
 */
#include "rfr_names.h"

/* A record's first name may be this first name: the same, or longer and starting with it ("celinemartin", first
 * names read together, may be another Céline). */
static int same_first(const char *rec, const char *first)
{
	size_t n = strlen(first);
	return n && strncmp(rec, first, n) == 0;
}

/* Entities are name records, never changed once made: ("", surname), (first name, ""), (first name, surname). A
 * full-name record may stand for a person already numbered by one part of their name; its canonical record is the one
 * whose number it takes. The canonical of record i is a function of records [0, i] alone, so it is the same however
 * often it is asked and whatever is met later: a mention keeps its number for the whole session. */
static size_t entity_canon(const rfr_session *S, size_t i)
{
	const rentity *x = &S->ents[i];
	if (x->first[0] && x->last[0]) {
		/* "Bouchet", later "Céline Bouchet": the surname's record, unless another first name already went with
		 * that surname (two people of one family) */
		size_t j = SIZE_MAX;
		int other = 0;
		for (size_t k = 0; k < i; k++) {
			const rentity *y = &S->ents[k];
			if (strcmp(y->last, x->last) != 0)
				continue;
			if (!y->first[0]) {
				if (j == SIZE_MAX)
					j = k;
			} else if (strcmp(y->first, x->first) != 0) {
				other = 1;
			}
		}
		if (j != SIZE_MAX && !other)
			return j;
		/* "Céline", later "Céline Bouchet": the first name's record, unless that first name already went with
		 * another surname (two Célines) */
		j = SIZE_MAX;
		other = 0;
		for (size_t k = 0; k < i; k++) {
			const rentity *y = &S->ents[k];
			if (!same_first(y->first, x->first))
				continue;
			if (!y->last[0] && strcmp(y->first, x->first) == 0) {
				if (j == SIZE_MAX)
					j = k;
			} else if (strcmp(y->last, x->last) != 0 || strcmp(y->first, x->first) != 0) {
				other = 1;
			}
		}
		if (j != SIZE_MAX && !other)
			return j;
		return i;
	}
	if (x->first[0]) {
		/* a first name alone, recorded when met: the one full name that carries it then, else itself (none, or
		 * two people with that first name: separate numbers) */
		size_t j = SIZE_MAX, n = 0;
		for (size_t k = 0; k < i && n < 2; k++)
			if ((S->ents[k].last[0] || strcmp(S->ents[k].first, x->first) != 0) &&
				same_first(S->ents[k].first, x->first)) {
				j = k;
				n++;
			}
		return n == 1 ? entity_canon(S, j) : i;
	}
	return i;
}

/* The record of a mention, made when it is new (-1 out of memory). Lookups only ever find the record a mention
 * found before, or the earliest fitting one: records added later change neither. */
static int find_entity(rfr_session *S, const char *first, const char *last)
{
	if (!last[0]) {
		/* a first name alone: its own record (made at its first mention, see entity_canon) */
		for (size_t i = 0; i < S->nents; i++)
			if (!S->ents[i].last[0] && strcmp(S->ents[i].first, first) == 0)
				return (int)i;
	} else if (!first[0]) {
		/* a surname alone: the record of that surname alone, else the earliest with that surname */
		for (size_t i = 0; i < S->nents; i++)
			if (!S->ents[i].first[0] && strcmp(S->ents[i].last, last) == 0)
				return (int)i;
		for (size_t i = 0; i < S->nents; i++)
			if (strcmp(S->ents[i].last, last) == 0)
				return (int)i;
	} else {
		for (size_t i = 0; i < S->nents; i++)
			if (strcmp(S->ents[i].last, last) == 0 && strcmp(S->ents[i].first, first) == 0)
				return (int)i;
	}
	rentity *ne = rfr_array_grow(&S->e->a, S->ents, &S->capents, S->nents + 1, sizeof *ne, 16);
	if (!ne)
		return -1;
	S->ents = ne;
	rentity *x = &S->ents[S->nents];
	memset(x, 0, sizeof *x);
	rfr_copy_str(x->first, sizeof x->first, first);
	rfr_copy_str(x->last, sizeof x->last, last);
	return (int)S->nents++;
}

static void append_folded(const work *w, size_t a, size_t b, char *dst, size_t cap)
{
	size_t o = strlen(dst);
	/* no separator: Da Silva, Da-Silva and DaSilva are one key, one number */
	for (size_t i = a; i < b; i++) {
		const rtok *k = &w->tok[i];
		for (size_t c = 0; c < k->fl && o + 1 < cap; c++)
			dst[o++] = FOLD(w, k)[c];
	}
	dst[o] = 0;
}

/* A name of unknown words only ("Maïssa Charrier", "Swann KOWALSKI"): its first word read as the first name, so that
 * the surname alone ("Mme Charrier") is the same person. Not when that word alone is in capitals and the rest is not
 * (KOWALSKI Swann: the surname first). 1 when so. */
static int unknown_first(const work *w, const unit *u, int nu)
{
	if (nu < 2 || (u[0].type != U_UNK && u[0].type != U_DICT) || u[0].b - u[0].a != 1 ||
		(LXF(w, u[0].a) & LX_PARTICLE))
		return 0;
	int caps = 1;
	for (int i = 0; i < nu; i++) {
		if (u[i].type != U_UNK && u[i].type != U_DICT)
			return 0;
		for (size_t k = u[i].a; k < u[i].b && i > 0; k++)
			caps &= (w->tok[k].flags & TF_ALLCAPS) != 0;
	}
	return !(w->tok[u[0].a].flags & TF_ALLCAPS) || caps;
}

/* An unregistered name: number it by its words, learn its surname. */
static void emit_unregistered(work *w, const unit *u, int nu)
{
	rfr_session *S = w->S;
	char first[32] = "", last[64] = "";
	int lead = unknown_first(w, u, nu), firsts = 0;
	if (lead)
		append_folded(w, u[0].a, u[0].b, first, sizeof first);
	for (int i = 0; i < nu; i++)
		firsts += u[i].type == U_FIRST;
	for (int i = lead; i < nu; i++) {
		if (u[i].type == U_FIRST && firsts == nu && nu >= 2 && i == nu - 1)
			append_folded(w, u[i].a, u[i].b, last, sizeof last); /* Céline Martin: first names, the last a surname */
		else if (u[i].type == U_FIRST && !last[0])
			append_folded(w, u[i].a, u[i].b, first, sizeof first);
		else if (u[i].type == U_UNK || u[i].type == U_DICT || u[i].type == U_REG)
			append_folded(w, u[i].a, u[i].b, last, sizeof last);
		else if (u[i].type == U_FIRST)
			append_folded(w, u[i].a, u[i].b, last, sizeof last);
	}
	int ent = find_entity(S, first, last);
	if (ent < 0) {
		w->oom = 1;
		return;
	}
	ent = (int)entity_canon(S, (size_t)ent);
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
			set_lex(w, k, x);
		}
		rfr_lexent *le = sent(S, x);
		if (le->learned < 0 && le->names < 0 && !(le->flags & (LX_FIRST | LX_STOP | LX_CIV | LX_PARTICLE))) {
			le->learned = ent;
			S->nlearned++;
			S->learned_lens |= 1ull << (tk->fl < 63 ? tk->fl : 63);
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

/* Emit the decision for a set of candidate persons over tokens [a, b); `review`: list it for the officer. */
static void decide(work *w, size_t a, size_t b, const int *cand, int nc, int weak, int review)
{
	rfr_session *S = w->S;
	int third = -1, nthird = 0, req = 0;
	for (int i = 0; i < nc; i++) {
		if (cand[i] == S->req) {
			req = 1;
		} else {
			/* of several, the first of the register: the same one whatever the order they were found in */
			if (third < 0 || cand[i] < third)
				third = cand[i];
			nthird++;
		}
	}
	unsigned fuzzy = 0;
	for (size_t k = a; k < b; k++) {
		w->tok[k].flags |= TF_USED;
		fuzzy |= w->tok[k].flags & (TF_FUZZY | TF_FUZZY_REQ);
	}
	size_t s = w->tok[a].s, e = w->tok[b - 1].e;
	if (!nthird) {
		/* the requester: kept; read through a wrong letter, also listed for the officer */
		if (fuzzy && e - s < 48)
			rfr_add_span(w, s, e, CV_SPAN_PERSON, CV_SPAN_REVIEW | CV_SPAN_KEEP, S->req, -1);
		return;
	}
	if (req || weak) {
		/* could be the requester, or a common word at the start of a
		 * sentence (Petit, Rose): kept, listed for the officer */
		if (e - s < 48)
			rfr_add_span(w, s, e, CV_SPAN_PERSON, CV_SPAN_REVIEW | CV_SPAN_KEEP, third, -1);
		return;
	}
	rfr_add_span(w, s, e, CV_SPAN_PERSON, nthird > 1 || fuzzy || review ? CV_SPAN_REVIEW : 0, third, -1);
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

/* A verb right after the word at b - 1 ("Petit a noté", "Louis, lui, refuse", "Meunier, de son côté, propose"):
 * a capitalised word at a sentence start is then its subject, a person, not the everyday word it also is. */
static int verb_after(const work *w, size_t b)
{
	if (b >= w->nt)
		return 0;
	unsigned g = w->tok[b].gap;
	if (!(g & ~(unsigned)G_SPACE)) {
		const rtok *k = &w->tok[b];
		/* "a" folds "à" too: Petit à petit */
		if (k->fl == 1 && FOLD(w, k)[0] == 'a' && w->t[k->s] != 'a')
			return 0;
		return (LXF(w, b) & LX_VERB) != 0;
	}
	if ((g & G_COMMA) && !(g & ~(unsigned)(G_SPACE | G_COMMA))) {
		const rtok *k = &w->tok[b];
		const char *f = FOLD(w, k);
		if ((k->fl == 3 && !memcmp(f, "lui", 3)) || (k->fl == 4 && !memcmp(f, "elle", 4)))
			return 1;
		return k->fl == 2 && !memcmp(f, "de", 2) && b + 1 < w->nt && w->tok[b + 1].fl == 3 &&
			!memcmp(FOLD(w, &w->tok[b + 1]), "son", 3);
	}
	return 0;
}

/* A lone registered word that is also an everyday word, at a sentence start and with nothing around it that says
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
	if (nu == 1 && !civ && !cue && initial && !hyphenated && !verb_after(w, u[0].b))
		for (int r = 0; r < u[0].nref; r++)
			weak |= w->S->names[u[0].ref[r]].common ||
				(w->S->names[u[0].ref[r]].lead && w->S->names[u[0].ref[r]].weak); /* La Croix-Rouge */
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
		decide(w, u[i].a, u[i].b, c1, n1, 0, 0);
	}
}

/* Keep the candidates that pass `test` (the requester always stays: kin never takes a mention from them), unless
 * that would leave no third party. The new count. */
static int keep_if(const rfr_session *S, int *cand, int nc, int (*test)(const rfr_session *S, int p, unsigned arg),
	unsigned arg)
{
	int third = 0;
	for (int i = 0; i < nc; i++)
		third += cand[i] != S->req && test(S, cand[i], arg);
	if (!third)
		return nc;
	int o = 0;
	for (int i = 0; i < nc; i++)
		if (cand[i] == S->req || test(S, cand[i], arg))
			cand[o++] = cand[i];
	return o;
}

static int has_role(const rfr_session *S, int p, unsigned roles)
{
	return (S->p[p].role & roles) != 0;
}

static int born_by(const rfr_session *S, int p, unsigned year)
{
	return S->p[p].by > 0 && (unsigned)S->p[p].by <= year;
}

/* The length of a name of the requester's, of that part, starting at token k (0: none). Tokens already decided
 * count too: this reads what the sentence says, not what is left to redact. */
static size_t requester_name_at(const work *w, size_t k, int part)
{
	const rfr_session *S = w->S;
	const rfr_lexent *x = LX(w, k);
	if (!x || x->names < 0)
		return 0;
	for (int32_t ni = x->names; ni >= 0; ni = S->names[ni].next) {
		const rname *nm = &S->names[ni];
		if (nm->person != S->req || nm->part != part || k + nm->ntok > w->nt)
			continue;
		size_t q = 0;
		while (q < nm->ntok && w->tok[k + q].lex == nm->tok[q] && (q == 0 || joinable(w, k + q)))
			q++;
		if (q == nm->ntok)
			return q;
	}
	return 0;
}

/* The requester is named in full (first name and surname) elsewhere in the sentence of tokens [a, b): "Mme Garnier
 * accompagnait Anne-Marie Garnier" names two people, so the civility is not the requester. */
static int requester_in_sentence(const work *w, size_t a, size_t b)
{
	size_t lo = a, hi = b;
	while (lo > 0 && a - lo < 40 && !sentence_initial(w, lo))
		lo--;
	while (hi < w->nt && hi - b < 40 && !sentence_initial(w, hi))
		hi++;
	for (size_t k = lo; k < hi; k++) {
		if (k >= a && k < b)
			continue;
		size_t n = requester_name_at(w, k, PART_FIRST);
		if (n && k + n < hi && joinable(w, k + n) && requester_name_at(w, k + n, PART_LAST))
			return 1;
	}
	return 0;
}

static int folded_is_n(const work *w, size_t i, const char *s, size_t n)
{
	return w->tok[i].fl == n && memcmp(FOLD(w, &w->tok[i]), s, n) == 0;
}

/* the word at i folds to the string literal s */
#define folded_is(w, i, s) folded_is_n((w), (i), (s), sizeof(s) - 1)

/* Later in the sentence of tokens [a, b), the requester is the mention's child: "M. Duval a indiqué vouloir
 * reprendre contact avec son fils David" (son fils, sa fille, then the requester's first name). */
static int requester_child_after(const work *w, size_t b)
{
	for (size_t k = b; k + 2 < w->nt && k - b < 40; k++) {
		if (k > b && sentence_initial(w, k))
			return 0;
		if (!(folded_is(w, k, "son") || folded_is(w, k, "sa")) || !(LXF(w, k + 1) & LX_KIN) ||
			!(LX(w, k + 1)->kin & R_CHILD) || ((w->tok[k].gap | w->tok[k + 1].gap) & ~(unsigned)G_SPACE))
			continue;
		if (requester_name_at(w, k + 2, PART_FIRST))
			return 1;
	}
	return 0;
}

/* One person, one number: of several third parties carrying the same name, the kinship word or title says which
 * ("sa mère, Mme Leroy", "le juge Martin"), and a civility designates an adult rather than a child of the case
 * ("Mme Durand" is the mother, not the 9-year-old sister): by the register's role, else by a generation between
 * birth years. */
static int narrow(const work *w, int *cand, int nc, int civ, unsigned roles, size_t a, size_t b, int *review)
{
	const rfr_session *S = w->S;
	if (nc < 2)
		return nc;
	int has_req = 0;
	for (int i = 0; i < nc; i++)
		has_req |= cand[i] == S->req;
	if (civ && has_req && requester_child_after(w, b)) {
		/* the requester is this person's child: a parent, never the requester */
		int o = 0;
		for (int i = 0; i < nc; i++)
			if (cand[i] != S->req)
				cand[o++] = cand[i];
		nc = o ? o : nc;
		has_req = o ? 0 : has_req;
	}
	if (civ && has_req && requester_in_sentence(w, a, b)) {
		/* the surest reading, not a certain one (the requester may be named twice): listed for the officer */
		int o = 0;
		for (int i = 0; i < nc; i++)
			if (cand[i] != S->req)
				cand[o++] = cand[i];
		if (o) {
			nc = o;
			*review = 1;
		}
	}
	if (roles)
		nc = keep_if(S, cand, nc, has_role, roles);
	if (roles && !(roles & ~(unsigned)R_ADULT) && S->req >= 0 && !(S->p[S->req].role & roles)) {
		/* "sa mère, Mme Leroy", "M. Leroy, son père": a parent or a professional is not the requester, the child
		 * of the file (a brother or a son could be: "Mme Leroy et son fils François") */
		int third = 0;
		for (int i = 0; i < nc; i++)
			third += cand[i] != S->req && has_role(S, cand[i], roles);
		int o = 0;
		for (int i = 0; i < nc && third; i++)
			if (cand[i] != S->req)
				cand[o++] = cand[i];
		if (third)
			nc = o;
	}
	if (civ) {
		nc = keep_if(S, cand, nc, has_role, R_ADULT);
		int oldest = 0;
		for (int i = 0; i < nc; i++)
			if (cand[i] != S->req && S->p[cand[i]].by > 0 && (!oldest || S->p[cand[i]].by < oldest))
				oldest = S->p[cand[i]].by;
		if (oldest)
			nc = keep_if(S, cand, nc, born_by, (unsigned)oldest + 15);
	}
	return nc;
}

/* The group holds a first name and a surname of the requester's (registered words; a first name also as the first
 * word of a longer registered name: "MALLET Jean Marc David" for the requester Jean, Marc, David Mallet when
 * somebody else is Jean-Marc). */
static int requester_whole(const work *w, const unit *u, int nu)
{
	const rfr_session *S = w->S;
	int first = 0, last = 0;
	for (int i = 0; i < nu; i++) {
		if (u[i].type != U_REG)
			continue;
		for (int r = 0; r < u[i].nref; r++) {
			const rname *nm = &S->names[u[i].ref[r]];
			if (nm->person != S->req)
				continue;
			first |= nm->part == PART_FIRST || nm->part == PART_FIRST2;
			last |= nm->part == PART_LAST || nm->part == PART_ALIAS;
		}
		const rfr_lexent *x = LX(w, u[i].a);
		for (int32_t ni = x ? x->names : -1; ni >= 0; ni = S->names[ni].next)
			first |= S->names[ni].person == S->req &&
				(S->names[ni].part == PART_FIRST || S->names[ni].part == PART_FIRST2);
	}
	return first && last;
}

/* Kept and listed: the mention may be the requester's. */
static void keep_for_requester(work *w, const unit *u, int nu)
{
	for (size_t k = u[0].a; k < u[nu - 1].b; k++)
		w->tok[k].flags |= TF_USED;
	size_t s = w->tok[u[0].a].s, e = w->tok[u[nu - 1].b - 1].e;
	if (e - s < 48)
		rfr_add_span(w, s, e, CV_SPAN_PERSON, CV_SPAN_REVIEW | CV_SPAN_KEEP, w->S->req, -1);
}

/* Resolve units [0, nu) with the civility before them; `roles` is what kinship words or titles around say (R_*). */
static void resolve(work *w, unit *u, int nu, int civ, int couple, int cue, unsigned roles)
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
		if (requester_whole(w, u, nu)) {
			/* the requester's first name and surname around a word the register does not know ("Ludovic Lc
			 * Gall", "Lina Bcn Ali": a misread particle): kept, listed, never taken from them */
			keep_for_requester(w, u, nu);
			return;
		}
		emit_unregistered(w, u, nu);
		return;
	}
	int cand[64], review = 0;
	int nc = common_candidates(w, u, nu, civ, couple, cand);
	if (!couple)
		nc = narrow(w, cand, nc, civ, roles, u[0].a, u[nu - 1].b, &review);
	int weak = weak_mention(w, u, nu, civ, cue);
	if (nc > 0) {
		size_t b = more_first_names(w, u[nu - 1].b, nc == 1 ? cand[0] : -1);
		decide(w, u[0].a, b, cand, nc, weak, review);
		return;
	}
	if (requester_whole(w, u, nu)) {
		keep_for_requester(w, u, nu); /* no one person fits, but the requester's names are there */
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

/* The roles (R_*) the words around a mention give it: a title between civility and name (Dr, Mme la juge), or a
 * kinship word right before it (sa mère, Mme Leroy; son frère Louis; la grand-mère Leroy). "la mère de Lucas" says
 * nothing of Lucas: only a word touching the mention counts. */
static unsigned mention_roles(const work *w, size_t i, size_t j)
{
	unsigned m = 0;
	for (size_t k = i; k < j; k++)
		if (LXF(w, k) & LX_KIN)
			m |= LX(w, k)->kin;
	if (i == 0 || (w->tok[i].gap & ~(unsigned)(G_SPACE | G_COMMA)) || !(LXF(w, i - 1) & LX_KIN))
		return m;
	unsigned r = LX(w, i - 1)->kin;
	if ((r & (R_MOTHER | R_FATHER)) && i >= 2 && (w->tok[i - 1].gap & G_HYPHEN)) {
		if (folded_is(w, i - 2, "grand") || folded_is(w, i - 2, "arriere"))
			r = R_GRAND;
		else if (folded_is(w, i - 2, "beau") || folded_is(w, i - 2, "belle"))
			r = R_RELATIVE | R_FOSTER; /* le beau-père, la belle-mère */
	}
	return m | r;
}

/* The roles what follows a mention gives it: "M. Leroy, son père," (a father), "Mme Durand et son fils Lucas" (a
 * parent). Only words right after the mention, within the sentence. */
static unsigned roles_after(const work *w, size_t b)
{
	if (b + 1 >= w->nt || (w->tok[b].gap & ~(unsigned)(G_SPACE | G_COMMA)))
		return 0;
	size_t k = b;
	int comma = (w->tok[b].gap & G_COMMA) != 0;
	if (!comma) {
		if (!(LXF(w, b) & LX_CONJ))
			return 0;
		k++;
	}
	if (k + 1 >= w->nt || !(folded_is(w, k, "son") || folded_is(w, k, "sa") || folded_is(w, k, "ses")))
		return 0;
	if ((w->tok[k].gap | w->tok[k + 1].gap) & ~(unsigned)(G_SPACE | G_COMMA) || !(LXF(w, k + 1) & LX_KIN))
		return 0;
	unsigned r = LX(w, k + 1)->kin;
	if (comma)
		return r & R_ADULT; /* an apposition: what the person is */
	/* "et son fils": the person has children */
	return (r & R_CHILD) ? (unsigned)(R_MOTHER | R_FATHER | R_FOSTER | R_GRAND) : 0;
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
		/* and a capital at a sentence start on a common word or a pronoun (Selon, Nous, Il) that is nobody's name
		 * and no civility, particle or first name: no rule takes it as the start of a name */
		if (k->fl >= 2 && (!x || x->names < 0) && !(k->lxf & (LX_CIV | LX_PARTICLE | LX_FIRST)) &&
			sentence_initial(w, i) && ((k->lxf & LX_STOP) || rfr_tok_dict(w, i)))
			continue;
		size_t j = i;
		int civ = (k->lxf & LX_CIV) ? rfr_civility(w, i) : 0, couple = 0;
		if (civ) {
			j = i + 1;
			/* M. et Mme, Madame et Monsieur */
			if (j + 1 < nt && (LXF(w, j) & LX_CONJ) && joinable_after_dot(w, j) && rfr_civility(w, j + 1)) {
				couple = 1;
				j += 2;
			}
			/* Mme la juge Ferrand, M. le docteur Caron: the title is no name */
			if (j + 1 < nt && (LXF(w, j) & LX_ARTICLE) && (LXF(w, j + 1) & (LX_TITLE | LX_KIN)) &&
				joinable_after_dot(w, j) && joinable(w, j + 1))
				j += 2;
			if (j >= nt || !joinable_after_dot(w, j))
				continue;
		}
		if (!civ && i > 0 && !capitalised(w, i - 1) && (LXF(w, i - 1) & LX_PARTICLE) &&
			!(w->tok[i - 1].flags & (TF_USED | TF_COVERED))) {
			/* "selon da Silva" for the registered DaSilva: the lowercase particle is part of the name */
			unit g;
			if (rfr_match_registered(w, i - 1, &g) == 2 && g.b == i + 1)
				j = --i;
		}
		int cue = civ || i == 0 || !(LXF(w, i - 1) & (LX_LABEL | LX_CUE | LX_CUE_STRONG | LX_ARTICLE)) ?
			0 : rfr_cue_before(w, i);
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
		/* a known first name that is an everyday word, alone at a sentence start: the word (Rose des vents,
		 * Claire et précise) unless a verb makes it a subject */
		if (!civ && !cue && !nreg && nu == 1 && u[0].type == U_FIRST && (LXF(w, u[0].a) & LX_COMMON) &&
			sentence_initial(w, u[0].a) && !verb_after(w, u[0].b))
			continue;
		/* an unregistered lone word needs some evidence it is a name */
		if (!civ && !nreg && nu == 1 && u[0].type == U_DICT && cue < 3)
			continue;
		w->learn = civ || cue || nfirst || nreg;
		resolve(w, u, nu, civ, couple, cue, mention_roles(w, i, j) | roles_after(w, u[nu - 1].b));
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
			/* learned words are all in the filter; the length tells most others apart without hashing */
			if (!(S->learned_lens & (1ull << (k->fl < 63 ? k->fl : 63))))
				continue;
			uint64_t h = rfr_hash(FOLD(w, k), k->fl);
			if (!bloom_has(S, h))
				continue;
			int32_t x = rfr_lex_find(&S->lx, FOLD(w, k), k->fl, h);
			if (x < 0)
				continue;
			set_lex(w, i, SESS_BASE + x);
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
