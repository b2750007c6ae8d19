/*
 * redact-fr — sessions: a case's register compiled once per copy into what
 * the passes match against (names as words of a session lexicon, compound
 * surnames also glued, roles as masks, phones, e-mails, NIR, addresses and
 * birth dates normalised), and freed wiped.
 */
#include "rfr_ident.h"
#include "rfr_lex.h"
#include "rfr_session.h"

#include "util/date.h"

#include <stdlib.h>

int32_t rfr_sess_add(rfr_session *s, const char *k, size_t n)
{
	size_t before = s->lx.n;
	int32_t x = rfr_lex_add(&s->lx, &s->e->a, k, n);
	if (x < 0)
		return -1;
	rfr_lexent *le = &s->lx.ent[x];
	if (s->lx.n != before) {
		int32_t g = rfr_lex_find(&s->e->lx, k, n, le->h);
		if (g >= 0) {
			const rfr_lexent *ge = &s->e->lx.ent[g];
			le->flags = ge->flags;
			le->gender = ge->gender;
			le->month = ge->month;
			le->street = ge->street;
			le->isdict = ge->isdict;
			le->kin = ge->kin;
		} else {
			le->isdict = (uint8_t)rfr_dict_has(s->e, k, n);
		}
		s->bloom[(le->h >> 7) & 63] |= 1ull << ((le->h >> 1) & 63);
	}
	return SESS_BASE + x;
}

void rfr_copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
}

void rfr_lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

typedef struct name_ctx {
	rfr_session *s;
	int32_t tok[NAME_MAXTOK];
	size_t n;
	int overflow;
	int seps[NAME_MAXTOK];
} name_ctx;

static int collect_word(void *ctx, const char *w, size_t n, int caps, size_t start, size_t end, int sep)
{
	(void)caps; (void)start; (void)end;
	name_ctx *c = ctx;
	if (c->n == NAME_MAXTOK) {
		c->overflow = 1;
		return 0;
	}
	int32_t k = rfr_sess_add(c->s, w, n);
	if (k < 0)
		return CV_ENOMEM;
	c->seps[c->n] = sep;
	c->tok[c->n++] = k;
	return 0;
}

static int add_name_words(rfr_session *s, int person, int part, const int32_t *tok, size_t n)
{
	if (n == 0)
		return 0;
	rname *nn = rfr_array_grow(&s->e->a, s->names, &s->capnames, s->nnames + 1, sizeof *nn, 32);
	if (!nn)
		return CV_ENOMEM;
	s->names = nn;
	/* the same name twice for the same person: keep one (names starting with the same word are chained) */
	for (int32_t i = sent(s, tok[0])->names; i >= 0; i = s->names[i].next) {
		rname *o = &s->names[i];
		if (o->person == person && o->ntok == n && memcmp(o->tok, tok, n * sizeof *tok) == 0) {
			if (part < o->part)
				o->part = (uint8_t)part;
			return 0;
		}
	}
	rname *x = &s->names[s->nnames];
	memset(x, 0, sizeof *x);
	x->person = person;
	x->part = (uint8_t)part;
	x->ntok = (uint8_t)n;
	memcpy(x->tok, tok, n * sizeof *tok);
	int weak = 1, common = 1;
	size_t lead = 0;
	for (size_t i = 0; i < n; i++) {
		const rfr_lexent *w = sent(s, tok[i]);
		int particle = (w->flags & LX_PARTICLE) && i + 1 < n;
		if (particle && lead == i)
			lead++;
		if (!particle && !w->isdict && !(w->flags & LX_STOP))
			weak = 0;
		if (!particle && !(w->flags & LX_COMMON))
			common = 0;
	}
	x->weak = (uint8_t)weak;
	x->common = (uint8_t)(weak && common);
	x->lead = (uint8_t)lead;
	x->next = sent(s, tok[0])->names;
	sent(s, tok[0])->names = (int32_t)s->nnames;
	s->nnames++;
	return 0;
}

/* A compound surname is written with or without its spaces, hyphens and apostrophes (Da Silva, DaSilva,
 * Da-Silva; Le Goff, LeGoff; N'Diaye, Ndiaye): the register's words glued are the same surname, one number. The
 * other way round (the register joined, the text spaced) is read in the text (rfr_units.c). */
static int compound_joined(rfr_session *s, int person, const name_ctx *c)
{
	char buf[64];
	if (c->n < 2)
		return 0;
	size_t o = 0;
	for (size_t i = 0; i < c->n; i++) {
		const rfr_lexent *x = sent(s, c->tok[i]);
		if (o + x->len > sizeof buf)
			return 0;
		memcpy(buf + o, s->lx.pool + x->off, x->len);
		o += x->len;
	}
	int32_t k = rfr_sess_add(s, buf, o);
	return k < 0 ? CV_ENOMEM : add_name_words(s, person, PART_LAST, &k, 1);
}

static int add_name(rfr_session *s, int person, int part, const char *str)
{
	if (!str || !*str)
		return 0;
	name_ctx c;
	memset(&c, 0, sizeof c);
	c.s = s;
	int rc = rfr_fold_words(s->e, str, strlen(str), collect_word, &c);
	if (rc)
		return rc;
	if (c.n == 0)
		return 0;
	rc = add_name_words(s, person, part, c.tok, c.n);
	if (rc == 0 && part == PART_LAST)
		rc = compound_joined(s, person, &c);
	if (rc || part != PART_LAST || c.n < 2)
		return rc;
	/* surnames with particles or several parts: "Da Silva" is also
	 * "Silva", "Martin-Dupont" also "Martin" and "Dupont" (aliases only
	 * match capitalised) */
	size_t lead = 0;
	while (lead + 1 < c.n && (sent(s, c.tok[lead])->flags & LX_PARTICLE))
		lead++;
	if (lead)
		rc = add_name_words(s, person, PART_ALIAS, c.tok + lead, c.n - lead);
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		if (sent(s, c.tok[i])->flags & LX_PARTICLE)
			continue;
		if (lead == 0 || i >= lead)
			if (!(lead && i == lead && c.n - lead == 1))
				rc = add_name_words(s, person, PART_ALIAS, c.tok + i, 1);
	}
	return rc;
}

/* The first word of a first name, folded into w (cap bytes, *fl its full folded length); 0 when there is none. */
static int first_word(const rfr_engine *e, const char *name, char *w, size_t cap, size_t *fl)
{
	int caps;
	const unsigned char *ft = (const unsigned char *)name;
	size_t flen = strlen(name), q = 0;
	*fl = 0;
	while (q < flen && rfr_word_at(e, ft, flen, q, w, cap, fl, &caps) == q)
		q++;
	return q < flen;
}

/* "J. Leroy" is matched by the initials of the first names. */
static void add_initial(const rfr_engine *e, rperson *rp, const char *first)
{
	char w[16];
	size_t fl;
	if (rp->ninitials < sizeof rp->initials && first_word(e, first, w, sizeof w, &fl) && fl > 0)
		rp->initials[rp->ninitials++] = w[0];
}

/* The sex a known first name gives, when the register has none: civilities then tell people apart. */
static void sex_from_first(const rfr_engine *e, rperson *rp, const char *first)
{
	char w[64];
	size_t fl;
	if (!first_word(e, first, w, sizeof w, &fl) || fl > sizeof w)
		return;
	int32_t x = rfr_lex_find(&e->lx, w, fl, rfr_hash(w, fl));
	if (x >= 0 && (e->lx.ent[x].flags & LX_FIRST)) {
		uint8_t g = e->lx.ent[x].gender;
		rp->sex = g == 1 ? 'M' : g == 2 ? 'F' : 0;
	}
}

static int person_names(rfr_session *s, int i, const cv_person_fields *pf)
{
	rperson *rp = &s->p[i];
	int rc = add_name(s, i, PART_LAST, pf->last);
	for (size_t k = 0; rc == 0 && k < pf->nfirst && pf->first; k++) {
		rc = add_name(s, i, k == 0 ? PART_FIRST : PART_FIRST2, pf->first[k]);
		if (rc == 0 && pf->first[k])
			add_initial(s->e, rp, pf->first[k]);
		if (rc == 0 && k == 0 && !rp->sex && pf->first[k])
			sex_from_first(s->e, rp, pf->first[k]);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */

/* The address key of the register's address: from its house number, else from its street type. */
static void person_address(rfr_session *s, rperson *rp, const char *addr)
{
	rp->addr[0] = 0;
	if (!addr || !*addr)
		return;
	const unsigned char *t = (const unsigned char *)addr;
	size_t len = strlen(addr), p = 0;
	while (p < len && !(t[p] >= '0' && t[p] <= '9'))
		p++;
	size_t off = 0;
	if (p < len && rfr_parse_address(s->e, &s->e->lx, t, len, p, 1, rp->addr, sizeof rp->addr, &off)) {
		rp->addr_street = off;
		return;
	}
	for (p = 0; p < len; p++) {
		if (p > 0 && t[p - 1] != ' ')
			continue;
		if (rfr_parse_address(s->e, &s->e->lx, t, len, p, 0, rp->addr, sizeof rp->addr, &off)) {
			rp->addr_street = off;
			return;
		}
	}
	rp->addr[0] = 0;
}

/* Identifiers in the form the passes produce, so that matching is a string comparison. */
static void person_ids(rfr_session *s, rperson *rp, const cv_person_fields *pf)
{
	if (pf->phone) {
		const unsigned char *t = (const unsigned char *)pf->phone;
		size_t len = strlen(pf->phone), q = 0;
		while (q < len && !(t[q] == '+' || t[q] == '(' || (t[q] >= '0' && t[q] <= '9')))
			q++;
		if (q < len && !rfr_parse_phone(t, len, q, rp->phone, sizeof rp->phone))
			rp->phone[0] = 0;
	}
	rfr_copy_str(rp->email, sizeof rp->email, pf->email);
	rfr_lower_ascii(rp->email);
	if (pf->nir) {
		size_t o = 0;
		for (const char *c = pf->nir; *c && o < 15; c++)
			if ((*c >= '0' && *c <= '9') || *c == 'A' || *c == 'B' || *c == 'a' || *c == 'b')
				rp->nir[o++] = (char)(*c >= 'a' ? *c - 32 : *c);
		rp->nir[o] = 0;
	}
	person_address(s, rp, pf->address);
	/* the core hands over valid dates only; anything else matches no date in the text */
	if (!pf->born || cv__date_parse(pf->born, &rp->by, &rp->bm, &rp->bd))
		rp->by = rp->bm = rp->bd = 0;
}

/* A professional's role from the words of their function ("juge des enfants", "référente ASE", "psychologue"). */
static uint16_t function_mask(const rfr_engine *e, const char *function)
{
	static const struct { const char *w; uint16_t m; } F[] = {
		{ "juge", R_JUDGE }, { "magistrat", R_JUDGE }, { "magistrate", R_JUDGE }, { "psychologue", R_PSY },
		{ "medecin", R_MED }, { "pediatre", R_MED }, { "psychiatre", R_MED | R_PSY }, { "docteur", R_MED },
		{ "avocat", R_LAWYER }, { "avocate", R_LAWYER }, { "educateur", R_EDUC }, { "educatrice", R_EDUC },
		{ "referent", R_EDUC }, { "referente", R_EDUC }, { "assistant", R_EDUC }, { "assistante", R_EDUC },
	};
	uint16_t m = 0;
	const unsigned char *t = (const unsigned char *)function;
	size_t len = strlen(function), p = 0;
	while (p < len) {
		char w[32];
		size_t fl;
		int caps;
		size_t q = rfr_word_at(e, t, len, p, w, sizeof w, &fl, &caps);
		if (q == p) {
			p++;
			continue;
		}
		for (size_t i = 0; i < sizeof F / sizeof F[0] && fl < sizeof w; i++)
			if (strlen(F[i].w) == fl && memcmp(F[i].w, w, fl) == 0)
				m |= F[i].m;
		p = q;
	}
	return m;
}

/* The register's role as a mask the kinship words are compared with (R_*); 0 for a role it does not know. */
static uint16_t role_mask(const char *role)
{
	static const struct { const char *r; uint16_t m; } ROLES[] = {
		{ "child", R_CHILD }, { "sibling", R_SIBLING }, { "brother", R_SIBLING }, { "sister", R_SIBLING },
		{ "half_sibling", R_SIBLING }, { "twin", R_SIBLING }, { "mother", R_MOTHER }, { "father", R_FATHER },
		{ "grandparent", R_GRAND }, { "grandmother", R_GRAND }, { "grandfather", R_GRAND },
		{ "foster_carer", R_FOSTER }, { "foster_parent", R_FOSTER }, { "educator", R_EDUC },
		{ "social_worker", R_EDUC }, { "referent", R_EDUC }, { "judge", R_JUDGE }, { "psychologist", R_PSY },
		{ "psychiatrist", R_MED | R_PSY }, { "doctor", R_MED }, { "lawyer", R_LAWYER }, { "other", R_OTHER },
		{ "foster_sibling", R_SIBLING }, { "professional", R_EDUC }, { "relative", R_RELATIVE },
		{ "stepfather", R_RELATIVE }, { "stepmother", R_RELATIVE }, { "stepparent", R_RELATIVE },
		{ "uncle", R_RELATIVE }, { "aunt", R_RELATIVE },
	};
	if (!role)
		return 0;
	for (size_t i = 0; i < sizeof ROLES / sizeof ROLES[0]; i++)
		if (strcmp(role, ROLES[i].r) == 0)
			return ROLES[i].m;
	return R_OTHER;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

static rfr_session *session_alloc(rfr_engine *e, size_t npersons)
{
	rfr_session *s = e->a.alloc(sizeof *s);
	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	s->e = e;
	s->req = -1;
	s->next_num = 1;
	s->np = npersons;
	s->p = e->a.alloc((npersons ? npersons : 1) * sizeof *s->p);
	s->num = e->a.alloc((npersons ? npersons : 1) * sizeof *s->num);
	if (!s->p || !s->num) {
		rfr_session_free(s);
		return NULL;
	}
	memset(s->p, 0, (npersons ? npersons : 1) * sizeof *s->p);
	memset(s->num, 0, (npersons ? npersons : 1) * sizeof *s->num);
	return s;
}

int rfr_session_new(rfr_engine *e, rfr_session **out, const cv_person_fields *persons, size_t npersons,
	const char *requester_id, char *err, size_t errlen)
{
	*out = NULL;
	if (npersons > 100000)
		return RFR_ERR(CV_EINVAL, "redact-fr: too many persons (%zu)", npersons);
	rfr_session *s = session_alloc(e, npersons);
	if (!s)
		return RFR_ERR(CV_ENOMEM, "redact-fr: out of memory");
	for (size_t i = 0; i < npersons; i++) {
		const cv_person_fields *pf = &persons[i];
		rperson *rp = &s->p[i];
		rfr_copy_str(rp->id, sizeof rp->id, pf->id);
		rp->idlen = strlen(rp->id);
		if (requester_id && pf->id && strcmp(pf->id, requester_id) == 0 && s->req < 0)
			s->req = (int)i;
		if (pf->sex && (pf->sex[0] == 'M' || pf->sex[0] == 'F'))
			rp->sex = pf->sex[0];
		rp->role = role_mask(pf->role);
		if (pf->function && (!rp->role || rp->role == R_EDUC)) {
			/* a professional: the function says which ("juge des enfants", "psychologue") */
			uint16_t fm = function_mask(e, pf->function);
			if (fm)
				rp->role = fm;
		}
		int rc = person_names(s, (int)i, pf);
		if (rc) {
			rfr_session_free(s);
			return RFR_ERR(rc, "redact-fr: out of memory");
		}
		person_ids(s, rp, pf);
	}
	if (rfr_fuzzy_build(s)) {
		rfr_session_free(s);
		return RFR_ERR(CV_ENOMEM, "redact-fr: out of memory");
	}
	*out = s;
	return 0;
}

void rfr_session_free(rfr_session *s)
{
	if (!s)
		return;
	rfr_alloc a = s->e->a;
	rfr_lex_free(&s->lx, &a);
	if (s->fb)
		memset(s->fb, 0, s->fbcap);
	a.free(s->fb);
	a.free(s->tok);
	a.free(s->sp);
	a.free(s->sp2);
	a.free(s->cand);
	if (s->p)
		memset(s->p, 0, s->np * sizeof *s->p); /* names, phones, NIR: wipe */
	a.free(s->p);
	a.free(s->num);
	a.free(s->names);
	a.free(s->fuzzy);
	if (s->ents)
		memset(s->ents, 0, s->nents * sizeof *s->ents);
	a.free(s->ents);
	a.free(s);
}

unsigned rfr_session_numbered(const rfr_session *s)
{
	return s ? s->next_num - 1 : 0;
}

void rfr_session_set_window(rfr_session *s, size_t bytes)
{
	if (s)
		s->window = bytes;
}
