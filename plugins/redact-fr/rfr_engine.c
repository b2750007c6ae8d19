/*
 * redact-fr — sessions (a case's register compiled into the lexicon) and
 * the redaction pass.
 *
 * One pass over the text tokenizes it into folded words (offsets kept in
 * the original bytes) and recognises identifiers as they start (digits, '+',
 * '(', '@', IBAN country codes). A second, linear pass over the words groups
 * name-like words (civility, first names, initials, surnames, particles) and
 * decides whose name each group is; a third pass catches later mentions of
 * unregistered names learned from the second. Spans are then sorted,
 * overlaps merged (identifiers win over names), and third parties numbered.
 * No step looks further than a few words or a few dozen bytes ahead, so the
 * whole is linear in the text's length.
 */
#include "rfr_ident.h"
#include "rfr_internal.h"
#include "rfr_lex.h"

#include <stdio.h>
#include <stdlib.h>

#define ERR(code, ...) (err ? (void)snprintf(err, errlen, __VA_ARGS__) : (void)0, (code))

enum { PART_LAST = 1, PART_FIRST = 2, PART_FIRST2 = 3, PART_ALIAS = 4 };

#define NAME_MAXTOK 8

typedef struct rname {
	int person;
	uint8_t part;
	uint8_t ntok;
	uint8_t weak;      /* every word of it is a common French word */
	uint8_t lead;      /* number of leading particles (da, le...) */
	int32_t tok[NAME_MAXTOK];
	int32_t next;      /* next name starting with the same word */
} rname;

typedef struct rperson {
	char id[48];
	size_t idlen;
	char sex;          /* 'M', 'F' or 0 */
	char phone[24];
	char email[128];
	char nir[16];
	char addr[160];    /* address key "number:type_words" */
	size_t addr_street;
	int by, bm, bd;
	char initials[8];
	size_t ninitials;
} rperson;

typedef struct rentity {
	char first[32];
	char last[64];
	unsigned num;
} rentity;

struct rfr_session {
	rfr_engine *e;
	rfr_lexicon lx;
	rperson *p;
	size_t np;
	int req;           /* requester index, -1 */
	rname *names;
	size_t nnames, capnames;
	unsigned *num;     /* per person, 0 = not numbered yet */
	unsigned next_num;
	rentity *ents;
	size_t nents, capents;
	size_t nlearned;
	uint64_t bloom[64];  /* words of the session lexicon, to skip most lookups */
	/* work buffers kept between texts (the folded copy is wiped after each) */
	void *tok;
	size_t capt;
	char *fb;
	size_t fbcap;
	void *sp;
	size_t capsp;
	uint32_t *cand;
	size_t capcand;
};

/* Word ids: engine words are [0, n), session words SESS_BASE + index. */
#define SESS_BASE (1 << 28)

static inline rfr_lexent *sent(const rfr_session *s, int32_t id)
{
	return id >= SESS_BASE ? &s->lx.ent[id - SESS_BASE] : &s->e->lx.ent[id];
}

static inline int bloom_has(const rfr_session *s, uint64_t h)
{
	return (int)((s->bloom[(h >> 7) & 63] >> ((h >> 1) & 63)) & 1);
}

/* Add a word to the session lexicon, with what the engine knows of it. */
static int32_t sess_add(rfr_session *s, const char *k, size_t n)
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
		} else {
			le->isdict = (uint8_t)rfr_dict_has(s->e, k, n);
		}
		s->bloom[(le->h >> 7) & 63] |= 1ull << ((le->h >> 1) & 63);
	}
	return SESS_BASE + x;
}

static inline int32_t lookup(const rfr_session *s, const char *k, size_t n, uint64_t h)
{
	if (s->lx.n && bloom_has(s, h)) {
		int32_t x = rfr_lex_find(&s->lx, k, n, h);
		if (x >= 0)
			return SESS_BASE + x;
	}
	return rfr_lex_find(&s->e->lx, k, n, h);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

static void copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

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
	int32_t k = sess_add(c->s, w, n);
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
	if (s->nnames == s->capnames) {
		size_t nc = s->capnames ? s->capnames * 2 : 32;
		rname *nn = s->e->a.realloc(s->names, nc * sizeof *nn);
		if (!nn)
			return CV_ENOMEM;
		s->names = nn;
		s->capnames = nc;
	}
	/* the same name twice for the same person: keep one */
	for (size_t i = 0; i < s->nnames; i++) {
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
	int weak = 1;
	size_t lead = 0;
	for (size_t i = 0; i < n; i++) {
		const rfr_lexent *w = sent(s, tok[i]);
		int particle = (w->flags & LX_PARTICLE) && i + 1 < n;
		if (particle && lead == i)
			lead++;
		if (!particle && !w->isdict && !(w->flags & LX_STOP))
			weak = 0;
	}
	x->weak = (uint8_t)weak;
	x->lead = (uint8_t)lead;
	x->next = sent(s, tok[0])->names;
	sent(s, tok[0])->names = (int32_t)s->nnames;
	s->nnames++;
	return 0;
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

static void parse_date(const char *s, int *y, int *m, int *d)
{
	*y = *m = *d = 0;
	if (!s || strlen(s) < 10)
		return;
	if (sscanf(s, "%4d-%2d-%2d", y, m, d) != 3)
		*y = *m = *d = 0;
}

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
	/* no number: find the street type */
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

int rfr_session_new(rfr_engine *e, rfr_session **out, const cv_person_fields *persons, size_t npersons,
	const char *requester_id, char *err, size_t errlen)
{
	*out = NULL;
	if (npersons > 100000)
		return ERR(CV_EINVAL, "redact-fr: too many persons (%zu)", npersons);
	rfr_session *s = e->a.alloc(sizeof *s);
	if (!s)
		return ERR(CV_ENOMEM, "redact-fr: out of memory");
	memset(s, 0, sizeof *s);
	s->e = e;
	s->req = -1;
	s->next_num = 1;
	int rc = 0;
	s->np = npersons;
	s->p = e->a.alloc((npersons ? npersons : 1) * sizeof *s->p);
	s->num = e->a.alloc((npersons ? npersons : 1) * sizeof *s->num);
	if (!s->p || !s->num) {
		rfr_session_free(s);
		return ERR(CV_ENOMEM, "redact-fr: out of memory");
	}
	memset(s->p, 0, (npersons ? npersons : 1) * sizeof *s->p);
	memset(s->num, 0, (npersons ? npersons : 1) * sizeof *s->num);
	for (size_t i = 0; i < npersons; i++) {
		const cv_person_fields *pf = &persons[i];
		rperson *rp = &s->p[i];
		copy_str(rp->id, sizeof rp->id, pf->id);
		rp->idlen = strlen(rp->id);
		if (requester_id && pf->id && strcmp(pf->id, requester_id) == 0 && s->req < 0)
			s->req = (int)i;
		if (pf->sex && (pf->sex[0] == 'M' || pf->sex[0] == 'F'))
			rp->sex = pf->sex[0];
		rc = add_name(s, (int)i, PART_LAST, pf->last);
		for (size_t k = 0; rc == 0 && k < pf->nfirst && pf->first; k++) {
			rc = add_name(s, (int)i, k == 0 ? PART_FIRST : PART_FIRST2, pf->first[k]);
			if (rc == 0 && pf->first[k] && rp->ninitials < sizeof rp->initials) {
				char w[16];
				size_t fl;
				int caps;
				const unsigned char *ft = (const unsigned char *)pf->first[k];
				size_t flen = strlen(pf->first[k]), q = 0;
				while (q < flen && rfr_word_at(e, ft, flen, q, w, sizeof w, &fl, &caps) == q)
					q++;
				if (q < flen && fl > 0)
					rp->initials[rp->ninitials++] = w[0];
			}
			if (rc == 0 && k == 0 && !rp->sex && pf->first[k]) {
				/* sex from the first name when the register has none */
				char w[64];
				size_t fl;
				int caps;
				const unsigned char *ft = (const unsigned char *)pf->first[k];
				size_t flen = strlen(pf->first[k]), q = 0;
				while (q < flen && rfr_word_at(e, ft, flen, q, w, sizeof w, &fl, &caps) == q)
					q++;
				if (q < flen && fl <= sizeof w) {
					int32_t x = rfr_lex_find(&e->lx, w, fl, rfr_hash(w, fl));
					if (x >= 0 && (e->lx.ent[x].flags & LX_FIRST)) {
						uint8_t g = e->lx.ent[x].gender;
						rp->sex = g == 1 ? 'M' : g == 2 ? 'F' : 0;
					}
				}
			}
		}
		if (rc) {
			rfr_session_free(s);
			return ERR(rc, "redact-fr: out of memory");
		}
		if (pf->phone) {
			const unsigned char *t = (const unsigned char *)pf->phone;
			size_t len = strlen(pf->phone), q = 0;
			while (q < len && !(t[q] == '+' || t[q] == '(' || (t[q] >= '0' && t[q] <= '9')))
				q++;
			if (q < len && !rfr_parse_phone(t, len, q, rp->phone, sizeof rp->phone))
				rp->phone[0] = 0;
		}
		copy_str(rp->email, sizeof rp->email, pf->email);
		lower_ascii(rp->email);
		if (pf->nir) {
			/* keep the symbols only */
			size_t o = 0;
			for (const char *c = pf->nir; *c && o < 15; c++)
				if ((*c >= '0' && *c <= '9') || *c == 'A' || *c == 'B' || *c == 'a' || *c == 'b')
					rp->nir[o++] = (char)(*c >= 'a' ? *c - 32 : *c);
			rp->nir[o] = 0;
		}
		person_address(s, rp, pf->address);
		parse_date(pf->born, &rp->by, &rp->bm, &rp->bd);
	}
	for (size_t i = 0; i < s->nnames; i++) {
		rname *x = &s->names[i];
		int weak = 1;
		for (size_t k = 0; k < x->ntok; k++) {
			const rfr_lexent *w = sent(s, x->tok[k]);
			int particle = (w->flags & LX_PARTICLE) && k + 1 < x->ntok;
			if (!particle && !w->isdict && !(w->flags & LX_STOP))
				weak = 0;
		}
		x->weak = (uint8_t)weak;
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
	a.free(s->cand);
	if (s->p)
		memset(s->p, 0, s->np * sizeof *s->p); /* names, phones, NIR: wipe */
	a.free(s->p);
	a.free(s->num);
	a.free(s->names);
	if (s->ents)
		memset(s->ents, 0, s->nents * sizeof *s->ents);
	a.free(s->ents);
	a.free(s);
}

unsigned rfr_session_numbered(const rfr_session *s)
{
	return s ? s->next_num - 1 : 0;
}

/* ------------------------------------------------------------------ */
/* The redaction pass                                                  */

/* Gap flags: what lies between a word and the previous one. */
enum {
	G_SPACE = 1 << 0,
	G_NL = 1 << 1,
	G_BLANK = 1 << 2,   /* an empty line */
	G_HYPHEN = 1 << 3,  /* exactly one hyphen */
	G_APOS = 1 << 4,    /* exactly one apostrophe */
	G_COMMA = 1 << 5,
	G_SENT = 1 << 6,    /* . ! ? … */
	G_COLON = 1 << 7,
	G_OTHER = 1 << 8,
	G_DIGIT = 1 << 9,
	G_START = 1 << 10,  /* first word of the text */
	G_BULLET = 1 << 11  /* a line starting with a dash or a bullet */
};

enum { TF_CAP = 1, TF_ALLCAPS = 2, TF_DOT = 4, TF_COVERED = 8, TF_USED = 16, TF_ORIG = 32 };

typedef struct rtok {
	uint32_t s, e;   /* original bytes */
	uint32_t f, fl;  /* folded word in the work buffer */
	int32_t lex;
	uint16_t gap;
	uint16_t flags;
	uint32_t h32;    /* low half of the folded word's hash (Bloom filter bits) */
} rtok;

typedef struct ispan {
	size_t s, e;
	int kind;
	int flags;
	int person;   /* register index, -1 */
	int entity;   /* unregistered entity, -1 */
} ispan;

typedef struct work {
	rfr_session *S;
	const rfr_engine *E;
	const unsigned char *t;
	size_t len;
	rtok *tok;
	size_t nt, capt;
	char *fb;
	size_t fbn, fbcap;
	ispan *sp;
	size_t ns, capsp;
	int oom;
	int learn;       /* the current group is strong enough evidence to learn from */
	uint32_t *cand;  /* words worth a look: capitalised, register words, civilities, streets */
	size_t ncand, capcand;
} work;

/* The folded text is personal data: grow its buffer without leaving a copy. */
static char *grow_fb(work *w, size_t need)
{
	if (need <= w->fbcap)
		return w->fb;
	size_t nc = w->fbcap ? w->fbcap : 4096;
	while (nc < need)
		nc *= 2;
	char *nb = w->E->a.alloc(nc);
	if (!nb) {
		w->oom = 1;
		return NULL;
	}
	if (w->fb) {
		memcpy(nb, w->fb, w->fbn);
		memset(w->fb, 0, w->fbcap);
		w->E->a.free(w->fb);
	}
	w->fbcap = nc;
	return nb;
}

/* The folded word: the text itself for lowercase ASCII words. */
static inline const char *FOLD(const work *w, const rtok *k)
{
	return (k->flags & TF_ORIG) ? (const char *)w->t + k->f : w->fb + k->f;
}

static void *grow(work *w, void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t nc = *cap ? *cap : 64;
	while (nc < need)
		nc *= 2;
	void *np = w->E->a.realloc(p, nc * elem);
	if (!np) {
		w->oom = 1;
		return NULL;
	}
	*cap = nc;
	return np;
}

static void add_span(work *w, size_t s, size_t e, int kind, int flags, int person, int entity)
{
	if (w->ns == w->capsp) {
		ispan *n = grow(w, w->sp, &w->capsp, w->ns + 1, sizeof *w->sp);
		if (!n)
			return;
		w->sp = n;
	}
	ispan *x = &w->sp[w->ns++];
	x->s = s;
	x->e = e;
	x->kind = kind;
	x->flags = flags;
	x->person = person;
	x->entity = entity;
}

/* --- identifiers ---------------------------------------------------- */

static int find_phone_owner(const rfr_session *S, const char *norm)
{
	for (size_t i = 0; i < S->np; i++)
		if (S->p[i].phone[0] && strcmp(S->p[i].phone, norm) == 0)
			return (int)i;
	return -1;
}

static size_t try_number(work *w, size_t p)
{
	const unsigned char *t = w->t;
	size_t len = w->len;
	rfr_session *S = w->S;
	char buf[160];
	int nsym;
	size_t e = rfr_parse_nir(t, len, p, buf, &nsym);
	if (e) {
		int owner = -1;
		for (size_t i = 0; i < S->np; i++)
			if (S->p[i].nir[0] && strncmp(S->p[i].nir, buf, 13) == 0)
				owner = (int)i;
		if (owner >= 0 && owner == S->req)
			return e; /* the requester's own NIR is kept */
		if (nsym == 15 || owner >= 0) {
			add_span(w, p, e, CV_SPAN_NIR, 0, owner, -1);
			return e;
		}
	}
	e = rfr_parse_phone(t, len, p, buf, sizeof buf);
	if (e) {
		int owner = find_phone_owner(S, buf);
		if (owner < 0 || owner != S->req)
			add_span(w, p, e, CV_SPAN_PHONE, 0, owner, -1);
		return e;
	}
	int y, m, d, two;
	e = rfr_parse_date(w->E, &w->E->lx, t, len, p, &y, &m, &d, &two);
	if (e) {
		int owner = -1, req = 0;
		for (size_t i = 0; i < S->np; i++) {
			const rperson *rp = &S->p[i];
			if (!rp->by || rp->bm != m || rp->bd != d || (two ? rp->by % 100 != y : rp->by != y))
				continue;
			if ((int)i == S->req)
				req = 1;
			else if (owner < 0)
				owner = (int)i;
		}
		if (owner >= 0 && !req)
			add_span(w, p, e, CV_SPAN_BIRTHDATE, 0, owner, -1);
		return e;
	}
	size_t off = 0;
	e = rfr_parse_address(w->E, &w->E->lx, t, len, p, 1, buf, sizeof buf, &off);
	if (e) {
		int owner = -1;
		for (size_t i = 0; i < S->np; i++)
			if (S->p[i].addr[0] && strcmp(S->p[i].addr, buf) == 0) {
				if ((int)i == S->req)
					return e; /* the requester's own address is kept */
				if (owner < 0)
					owner = (int)i;
			}
		add_span(w, p, e, CV_SPAN_ADDRESS, 0, owner, -1);
		return e;
	}
	return 0;
}

static void try_email(work *w, size_t at)
{
	size_t s;
	size_t e = rfr_parse_email(w->t, w->len, at, &s);
	if (!e)
		return;
	char buf[128];
	size_t n = e - s;
	int owner = -1;
	if (n < sizeof buf) {
		memcpy(buf, w->t + s, n);
		buf[n] = 0;
		lower_ascii(buf);
		for (size_t i = 0; i < w->S->np; i++)
			if (w->S->p[i].email[0] && strcmp(w->S->p[i].email, buf) == 0) {
				if ((int)i == w->S->req)
					return;
				owner = (int)i;
				break;
			}
	}
	add_span(w, s, e, CV_SPAN_EMAIL, 0, owner, -1);
}

/* --- tokenizer ------------------------------------------------------ */

static int is_alnum_b(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 1 lowercase ASCII letter, 2 uppercase */
static const unsigned char ASCII_LETTER[256] = {
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
	['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2, ['G'] = 2, ['H'] = 2, ['I'] = 2,
	['J'] = 2, ['K'] = 2, ['L'] = 2, ['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2,
	['S'] = 2, ['T'] = 2, ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2, ['Y'] = 2, ['Z'] = 2,
};

static void tokenize(work *w)
{
	const unsigned char *t = w->t;
	const size_t len = w->len;
	const rfr_engine *E = w->E;
	const rfr_session *S = w->S;
	unsigned gap = G_START;
	unsigned gap_chars = 0, hyph = 0, apos = 0, nls = 0;
	int line_start = 1; /* nothing but spaces since the last line break */
	size_t p = 0;
	while (p < len && !w->oom) {
		unsigned char c = t[p];
		if (c == ' ') {
			gap |= G_SPACE;
			p++;
			continue;
		}
		rfr_cpinfo ci;
		size_t n = 1;
		if (c < 0x80) {
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
				ci.cls = c >= 'a' ? RC_LOWER : RC_UPPER;
			} else {
				ci = E->latin[c];
			}
		} else {
			uint32_t cp;
			n = rfr_utf8(t, len, p, &cp);
			rfr_cp_info(E, cp, &ci);
		}
		if (ci.cls == RC_LOWER || ci.cls == RC_UPPER || ci.cls == RC_MARK) {
			/* a word */
			if (w->fbn + 64 > w->fbcap) {
				char *nb = grow_fb(w, w->fbn + 64);
				if (!nb)
					return;
				w->fb = nb;
			}
			if (w->nt == w->capt) {
				rtok *nt = grow(w, w->tok, &w->capt, w->nt + 1, sizeof *w->tok);
				if (!nt)
					return;
				w->tok = nt;
			}
			size_t start = p, f0 = w->fbn;
			uint64_t h;
			unsigned nl = 0, nu = 0;
			int first_up = -1, orig = 0;
			/* fast path: a word of ASCII letters (most French words) */
			size_t q = p;
			unsigned char lt;
			while (q < len && (lt = ASCII_LETTER[t[q]]) != 0) {
				nu += lt >> 1;
				q++;
			}
			if (q > p && (q >= len || t[q] < 0x80)) {
				nl = (unsigned)(q - p);
				first_up = t[p] <= 'Z';
				if (!nu) {
					orig = 1; /* the folded word is the text itself */
					h = rfr_hash((const char *)t + p, nl);
				} else {
					if (w->fbn + nl > w->fbcap) {
						char *nb = grow_fb(w, w->fbn + nl + 64);
						if (!nb)
							return;
						w->fb = nb;
					}
					for (size_t i = p; i < q; i++)
						w->fb[w->fbn++] = (char)(t[i] | 0x20);
					h = rfr_hash(w->fb + f0, nl);
				}
				p = q;
			} else {
			while (p < len) {
				unsigned char b = t[p];
				if (b < 0x80) {
					if (b >= 'a' && b <= 'z') {
						if (first_up < 0)
							first_up = 0;
						nl++;
					} else if (b >= 'A' && b <= 'Z') {
						if (first_up < 0)
							first_up = 1;
						nl++;
						nu++;
						b = (unsigned char)(b + 32);
					} else {
						break;
					}
					if (w->fbn == w->fbcap) {
						char *nb = grow_fb(w, w->fbn + 64);
						if (!nb)
							return;
						w->fb = nb;
					}
					w->fb[w->fbn++] = (char)b;
					p++;
					continue;
				}
				uint32_t cp;
				size_t m = rfr_utf8(t, len, p, &cp);
				rfr_cpinfo wi;
				rfr_cp_info(E, cp, &wi);
				if (wi.cls == RC_LOWER || wi.cls == RC_UPPER) {
					if (first_up < 0)
						first_up = wi.cls == RC_UPPER;
					nl++;
					nu += wi.cls == RC_UPPER;
					if (w->fbn + wi.flen > w->fbcap) {
						char *nb = grow_fb(w, w->fbn + 64);
						if (!nb)
							return;
						w->fb = nb;
					}
					memcpy(w->fb + w->fbn, wi.f, wi.flen);
					w->fbn += wi.flen;
				} else if (wi.cls != RC_MARK && wi.cls != RC_IGNORE) {
					break;
				}
				p += m;
			}
			h = rfr_hash(w->fb + f0, w->fbn - f0);
			}
			rtok *k = &w->tok[w->nt++];
			k->s = (uint32_t)start;
			k->e = (uint32_t)p;
			k->f = orig ? (uint32_t)start : (uint32_t)f0;
			k->fl = orig ? (uint32_t)(p - start) : (uint32_t)(w->fbn - f0);
			k->flags = orig ? TF_ORIG : 0;
			if (first_up == 1)
				k->flags |= TF_CAP;
			if (nl >= 2 && nu == nl)
				k->flags |= TF_ALLCAPS;
			if (p < len && t[p] == '.')
				k->flags |= TF_DOT;
			if (hyph == 1 && gap_chars == 1)
				gap |= G_HYPHEN;
			else if (hyph)
				gap |= G_OTHER;
			if (apos == 1 && gap_chars == 1)
				gap |= G_APOS;
			else if (apos)
				gap |= G_OTHER;
			if (nls >= 2)
				gap |= G_BLANK;
			k->gap = (uint16_t)gap;
			k->lex = k->fl ? lookup(S, FOLD(w, k), k->fl, h) : -1;
			k->h32 = (uint32_t)h;
			int cand = (k->flags & TF_CAP) || nu >= 2;
			if (!cand && k->lex >= 0) {
				const rfr_lexent *le = sent(S, k->lex);
				cand = le->names >= 0 || (le->flags & (LX_CIV | LX_STREET));
			}
			if (cand) {
				if (w->ncand == w->capcand) {
					uint32_t *nc = grow(w, w->cand, &w->capcand, w->ncand + 1, sizeof *w->cand);
					if (!nc)
						return;
					w->cand = nc;
				}
				w->cand[w->ncand++] = (uint32_t)(w->nt - 1);
			}
			gap = 0;
			gap_chars = hyph = apos = nls = 0;
			line_start = 0;
			continue;
		}
		if (ci.cls == RC_DIGIT || ((c == '+' || c == '(') && p + 1 < len)) {
			size_t e = 0;
			if (ci.cls == RC_DIGIT) {
				if (p >= 2 && !(t[p - 1] & 0x80) && !(t[p - 2] & 0x80) && E->latin[t[p - 1]].cls >= RC_LOWER &&
					E->latin[t[p - 1]].cls <= RC_UPPER && E->latin[t[p - 2]].cls >= RC_LOWER &&
					E->latin[t[p - 2]].cls <= RC_UPPER && (p == 2 || !is_alnum_b(t[p - 3]))) {
					e = rfr_parse_iban(t, len, p - 2);
					if (e)
						add_span(w, p - 2, e, CV_SPAN_IBAN, 0, -1, -1);
				}
				if (!e && !(p > 0 && is_alnum_b(t[p - 1])))
					e = try_number(w, p);
				if (!e) {
					e = p;
					while (e < len && t[e] >= '0' && t[e] <= '9')
						e++;
				}
				gap |= G_DIGIT | G_OTHER;
			} else {
				if (!(p > 0 && is_alnum_b(t[p - 1])) &&
					((c == '+' && t[p + 1] >= '1' && t[p + 1] <= '9') || (c == '(' && t[p + 1] == '+'))) {
					char buf[32];
					e = rfr_parse_phone(t, len, p, buf, sizeof buf);
					if (e) {
						int owner = find_phone_owner(w->S, buf);
						if (owner < 0 || owner != w->S->req)
							add_span(w, p, e, CV_SPAN_PHONE, 0, owner, -1);
					}
				}
				if (!e)
					e = p + 1;
				gap |= G_OTHER;
			}
			gap_chars++;
			line_start = 0;
			p = e;
			continue;
		}
		switch (ci.cls) {
		case RC_SPACE:
			gap |= G_SPACE;
			if (c == '\r' && !(p + 1 < len && t[p + 1] == '\n')) {
				gap |= G_NL;
				nls++;
				line_start = 1;
			}
			break;
		case RC_NL:
			gap |= G_NL;
			nls++;
			line_start = 1;
			break;
		case RC_HYPHEN:
			hyph++;
			gap_chars++;
			if (line_start)
				gap |= G_BULLET;
			break;
		case RC_APOS:
			apos++;
			gap_chars++;
			break;
		case RC_SENT:
			gap |= G_SENT;
			gap_chars++;
			break;
		case RC_COMMA:
			gap |= G_COMMA;
			gap_chars++;
			break;
		case RC_COLON:
			gap |= G_COLON;
			gap_chars++;
			break;
		case RC_AT:
			try_email(w, p);
			gap |= G_OTHER;
			gap_chars++;
			break;
		case RC_IGNORE:
			break;
		default:
			if (line_start && (c == '*' || (n == 3 && t[p] == 0xE2 && t[p + 1] == 0x80 &&
						     (t[p + 2] == 0xA2 || t[p + 2] == 0x93 || t[p + 2] == 0x94))))
				gap |= G_BULLET;
			gap |= G_OTHER;
			gap_chars++;
			break;
		}
		if (ci.cls != RC_SPACE && ci.cls != RC_NL && ci.cls != RC_IGNORE)
			line_start = 0;
		p += n;
	}
}

/* --- names ---------------------------------------------------------- */

#define MAXREF 24

typedef enum { U_REG = 1, U_FIRST, U_INIT, U_UNK, U_DICT } unit_type;

typedef struct unit {
	size_t a, b;       /* tokens [a, b) */
	int type;
	int nref;
	int32_t ref[MAXREF];
	char initial;
} unit;

static inline const rfr_lexent *LX(const work *w, size_t i)
{
	return w->tok[i].lex >= 0 ? sent(w->S, w->tok[i].lex) : NULL;
}

static inline uint32_t LXF(const work *w, size_t i)
{
	const rfr_lexent *x = LX(w, i);
	return x ? x->flags : 0;
}

static inline int capitalised(const work *w, size_t i)
{
	return (w->tok[i].flags & (TF_CAP | TF_ALLCAPS)) != 0;
}

static int tok_dict(const work *w, size_t i)
{
	const rfr_lexent *x = LX(w, i);
	if (x)
		return x->isdict;
	return rfr_dict_has(w->E, FOLD(w, &w->tok[i]), w->tok[i].fl);
}

/* The gap before token j lets it continue a name. */
static int joinable(const work *w, size_t j)
{
	unsigned g = w->tok[j].gap;
	if (g & (G_BLANK | G_START))
		return 0;
	return (g & ~(unsigned)(G_SPACE | G_NL | G_HYPHEN | G_APOS)) == 0;
}

/* After an initial or "M.": the gap may hold that dot. */
static int joinable_after_dot(const work *w, size_t j)
{
	unsigned g = w->tok[j].gap;
	if (g & (G_BLANK | G_START))
		return 0;
	if (!(w->tok[j - 1].flags & TF_DOT))
		return joinable(w, j);
	return (g & ~(unsigned)(G_SPACE | G_NL | G_SENT | G_HYPHEN)) == 0;
}

static int is_initial(const work *w, size_t i)
{
	const rtok *k = &w->tok[i];
	return (k->flags & TF_CAP) && (k->flags & TF_DOT) && k->fl == 1 && k->e - k->s <= 2;
}

static int sentence_initial(const work *w, size_t i)
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

/* Civility at i: returns 'M', 'F', 'X' or 0. */
static int civility(const work *w, size_t i)
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

/* Longest register name starting at token i. */
static size_t match_registered(const work *w, size_t i, unit *u)
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

/* Take one name unit at j. `have` is what the group holds so far. */
static size_t take_unit(const work *w, size_t j, unit *u, int have, int civ, int cue)
{
	if (j >= w->nt || (w->tok[j].flags & (TF_COVERED | TF_USED)))
		return 0;
	if (match_registered(w, j, u))
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

/* A cue word right before token i: 1 weak (avec, chez), 2 a person follows
 * (camarade, voisine, mère), 3 a surname follows (famille, née, chez les,
 * "Nom :"): only then may a common word be the name. */
static int cue_before(const work *w, size_t i)
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

/* A place: Saint-Denis, rue Victor Hugo, collège Jean Moulin. */
static int place_before(const work *w, size_t i)
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
	copy_str(x->first, sizeof x->first, first);
	copy_str(x->last, sizeof x->last, last);
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
	add_span(w, w->tok[u[0].a].s, w->tok[u[nu - 1].b - 1].e, CV_SPAN_NAME, CV_SPAN_REVIEW, -1, ent);
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
			x = sess_add(S, FOLD(w, tk), tk->fl);
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
			add_span(w, s, e, CV_SPAN_PERSON, CV_SPAN_REVIEW | RFR_SPAN_KEEP, third, -1);
		return;
	}
	add_span(w, s, e, CV_SPAN_PERSON, nthird > 1 ? CV_SPAN_REVIEW : 0, third, -1);
}

static int sex_ok(const rperson *p, int civ)
{
	if (civ == 'M')
		return p->sex != 'F';
	if (civ == 'F')
		return p->sex != 'M';
	return 1;
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
	/* candidates: persons named by every registered unit */
	int cand[64], nc = 0;
	{
		const unit *u0 = NULL;
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
	}
	int weak = 0;
	size_t a0 = u[0].a;
	int initial = sentence_initial(w, a0) ||
		(a0 > 0 && (LXF(w, a0 - 1) & (LX_ARTICLE | LX_PARTICLE)) && capitalised(w, a0 - 1) &&
			joinable(w, a0) && sentence_initial(w, a0 - 1));
	int hyphenated = u[0].b - u[0].a >= 2;
	for (size_t t2 = u[0].a + 1; t2 < u[0].b; t2++)
		hyphenated &= (w->tok[t2].gap & G_HYPHEN) && capitalised(w, t2);
	if (nu == 1 && !civ && !cue && initial && !hyphenated) {
		for (int r = 0; r < u[0].nref; r++)
			weak |= S->names[u[0].ref[r]].weak;
	}
	if (nc > 0) {
		size_t a = u[0].a, b = u[nu - 1].b;
		/* secondary first names after a comma: LEROY Sophie, Marie */
		int only = nc == 1 ? cand[0] : -1;
		while (only >= 0 && b < w->nt) {
			unsigned g = w->tok[b].gap;
			if (!(g & G_COMMA) || (g & ~(unsigned)(G_COMMA | G_SPACE)))
				break;
			unit x;
			if (!match_registered(w, b, &x))
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
		decide(w, a, b, cand, nc, weak);
		return;
	}
	/* no single person fits every word: decide word by word (a mother's
	 * first name with the father's surname, two names side by side) */
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

static void names_pass(work *w)
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
		int civ = civility(w, i), couple = 0;
		if (civ) {
			j = i + 1;
			/* M. et Mme, Madame et Monsieur */
			if (j + 1 < nt && (LXF(w, j) & LX_CONJ) && joinable_after_dot(w, j) && civility(w, j + 1)) {
				couple = 1;
				j += 2;
			}
			if (j >= nt || !joinable_after_dot(w, j)) {
				continue;
			}
		}
		int cue = civ ? 0 : cue_before(w, i);
		int nu = 0;
		size_t q = j;
		while (nu < 8 && q < nt) {
			if (nu > 0) {
				if (u[nu - 1].type == U_INIT ? !joinable_after_dot(w, q) : !joinable(w, q))
					break;
			}
			size_t e = take_unit(w, q, &u[nu], nu > 0, civ != 0, cue);
			if (!e)
				break;
			nu++;
			q = e;
		}
		/* a trailing initial is not a name on its own */
		while (nu > 0 && u[nu - 1].type == U_INIT)
			nu--;
		if (!nu)
			continue;
		int nreg = 0, nfirst = 0;
		for (int m = 0; m < nu; m++) {
			nreg += u[m].type == U_REG;
			nfirst += u[m].type == U_FIRST;
		}
		int nunk = 0, spaced = 1;
		for (int m = 0; m < nu; m++) {
			nunk += u[m].type == U_UNK;
			if (m > 0 && (w->tok[u[m].a].gap & (G_HYPHEN | G_APOS)))
				spaced = 0;
		}
		/* capitalised unknown words side by side: Swann Kowalski, Livio
		 * Boulanger (a common word may be one of them, not at a sentence start) */
		int ndict = 0;
		for (int m = 0; m < nu; m++)
			ndict += u[m].type == U_DICT;
		int pair = nu >= 2 && nunk >= 1 && nunk + ndict == nu && spaced &&
			(ndict == 0 || !sentence_initial(w, u[0].a));
		int accept = civ || nreg || nfirst || cue || pair || (u[0].type == U_INIT && nu >= 2);
		if (!accept)
			continue;
		if (!civ && !cue && place_before(w, i)) {
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
static void learned_pass(work *w)
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
		if (place_before(w, i))
			continue;
		k->flags |= TF_USED;
		add_span(w, k->s, k->e, CV_SPAN_NAME, CV_SPAN_REVIEW, -1, x->learned);
	}
}

/* Street names without a number that are a third party's street. */
static void street_pass(work *w)
{
	rfr_session *S = w->S;
	int any = 0;
	for (size_t i = 0; i < S->np; i++)
		any |= S->p[i].addr[0] != 0 && (int)i != S->req;
	if (!any)
		return;
	for (size_t ci = 0; ci < w->ncand; ci++) {
		size_t i = w->cand[ci];
		if ((w->tok[i].flags & TF_COVERED) || !(LXF(w, i) & LX_STREET))
			continue;
		char key[160];
		size_t off = 0;
		size_t e = rfr_parse_address(w->E, &w->E->lx, w->t, w->len, w->tok[i].s, 0, key, sizeof key, &off);
		if (!e)
			continue;
		const char *street = key + off;
		int owner = -1, req = 0;
		for (size_t p = 0; p < S->np; p++) {
			const rperson *rp = &S->p[p];
			if (!rp->addr[0] || strcmp(rp->addr + rp->addr_street, street) != 0)
				continue;
			if ((int)p == S->req)
				req = 1;
			else if (owner < 0)
				owner = (int)p;
		}
		if (owner < 0 || req)
			continue;
		add_span(w, w->tok[i].s, e, CV_SPAN_ADDRESS, 0, owner, -1);
		for (size_t k = i; k < w->nt && w->tok[k].s < e; k++)
			w->tok[k].flags |= TF_COVERED;
	}
}

static int span_cmp(const void *a, const void *b)
{
	const ispan *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->e != y->e)
		return x->e > y->e ? -1 : 1;
	return 0;
}

static int prio(const ispan *s)
{
	static const int P[] = { 0, 2, 1, 5, 8, 6, 7, 4, 3 };
	if (s->flags & RFR_SPAN_KEEP)
		return 0;
	return (s->kind >= 1 && s->kind <= 8) ? P[s->kind] : 0;
}

/* Sort identifier spans and mark the words they cover. */
static void cover_identifiers(work *w)
{
	if (!w->ns)
		return;
	qsort(w->sp, w->ns, sizeof *w->sp, span_cmp);
	for (size_t k = 0; k < w->ns; k++) {
		/* first word ending after the span's start (words are in order) */
		size_t lo = 0, hi = w->nt;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (w->tok[mid].e <= w->sp[k].s)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < w->nt && w->tok[i].s < w->sp[k].e; i++)
			w->tok[i].flags |= TF_COVERED;
	}
}

static size_t merge_spans(work *w)
{
	if (!w->ns)
		return 0;
	qsort(w->sp, w->ns, sizeof *w->sp, span_cmp);
	size_t o = 0;
	for (size_t i = 0; i < w->ns; i++) {
		ispan *x = &w->sp[i];
		if (o > 0 && x->s < w->sp[o - 1].e) {
			ispan *c = &w->sp[o - 1];
			if (x->flags & RFR_SPAN_KEEP)
				continue; /* a kept mention inside a redaction */
			if (c->flags & RFR_SPAN_KEEP) {
				*c = *x;
				continue;
			}
			if (x->e > c->e)
				c->e = x->e;
			if (prio(x) > prio(c)) {
				c->kind = x->kind;
				c->person = x->person;
				c->entity = x->entity;
				c->flags = x->flags;
			} else {
				c->flags |= x->flags & CV_SPAN_REVIEW;
			}
			continue;
		}
		w->sp[o++] = *x;
	}
	/* a kept marker swallowed an overlapping redaction above: recheck */
	size_t o2 = 0;
	for (size_t i = 0; i < o; i++) {
		if (o2 > 0 && w->sp[i].s < w->sp[o2 - 1].e) {
			if (w->sp[i].e > w->sp[o2 - 1].e)
				w->sp[o2 - 1].e = w->sp[i].e;
			continue;
		}
		w->sp[o2++] = w->sp[i];
	}
	return o2;
}

static const char *kind_repl(int kind)
{
	switch (kind) {
	case CV_SPAN_PHONE: return "[téléphone]";
	case CV_SPAN_EMAIL: return "[courriel]";
	case CV_SPAN_NIR: return "[NIR]";
	case CV_SPAN_IBAN: return "[IBAN]";
	case CV_SPAN_ADDRESS: return "[adresse]";
	case CV_SPAN_BIRTHDATE: return "[date de naissance]";
	default: return "[tiers]";
	}
}

int rfr_redact(rfr_session *S, const char *text, size_t len, cv_redact_span **spans, size_t *nspans, char *err,
	size_t errlen)
{
	*spans = NULL;
	*nspans = 0;
	if (!S)
		return ERR(CV_EINVAL, "redact-fr: no session");
	if (len >= (size_t)UINT32_MAX)
		return ERR(CV_EINVAL, "redact-fr: text of %zu bytes is too large (4 GiB at most)", len);
	if (!text && len)
		return ERR(CV_EINVAL, "redact-fr: no text");
	if (!len)
		return 0;
	work w;
	memset(&w, 0, sizeof w);
	w.tok = S->tok;
	w.capt = S->capt;
	w.fb = S->fb;
	w.fbcap = S->fbcap;
	w.sp = S->sp;
	w.capsp = S->capsp;
	w.cand = S->cand;
	w.capcand = S->capcand;
	w.S = S;
	w.E = S->e;
	w.t = (const unsigned char *)text;
	w.len = len;
	const rfr_alloc *A = &S->e->a;
	tokenize(&w);
	if (!w.oom) {
		cover_identifiers(&w);
		street_pass(&w);
		names_pass(&w);
		learned_pass(&w);
	}
	size_t n = w.oom ? 0 : merge_spans(&w);
	cv_redact_span *out = NULL;
	if (!w.oom && n) {
		out = A->alloc(n * sizeof *out);
		if (!out)
			w.oom = 1;
	}
	if (!w.oom) {
		for (size_t i = 0; i < n; i++) {
			const ispan *x = &w.sp[i];
			cv_redact_span *o = &out[i];
			memset(o, 0, sizeof *o);
			o->start = x->s;
			o->end = x->e;
			o->kind = x->kind;
			o->flags = x->flags;
			if (x->person >= 0 && (size_t)x->person < S->np)
				memcpy(o->person, S->p[x->person].id, S->p[x->person].idlen + 1);
			if (x->flags & RFR_SPAN_KEEP) {
				memcpy(o->replacement, text + x->s, x->e - x->s);
				o->replacement[x->e - x->s] = 0;
			} else if (x->kind == CV_SPAN_PERSON || x->kind == CV_SPAN_NAME) {
				unsigned num = 0;
				if (x->person >= 0) {
					if (!S->num[x->person])
						S->num[x->person] = S->next_num++;
					num = S->num[x->person];
				} else if (x->entity >= 0 && (size_t)x->entity < S->nents) {
					if (!S->ents[x->entity].num)
						S->ents[x->entity].num = S->next_num++;
					num = S->ents[x->entity].num;
				} else {
					num = S->next_num++;
				}
				char digits[12];
				size_t nd = 0;
				do {
					digits[nd++] = (char)('0' + num % 10);
					num /= 10;
				} while (num);
				memcpy(o->replacement, "[tiers ", 7);
				for (size_t q = 0; q < nd; q++)
					o->replacement[7 + q] = digits[nd - 1 - q];
				o->replacement[7 + nd] = ']';
				o->replacement[8 + nd] = 0;
			} else {
				const char *r = kind_repl(x->kind);
				memcpy(o->replacement, r, strlen(r) + 1);
			}
		}
	}
	if (w.fb)
		memset(w.fb, 0, w.fbn); /* the folded text: wiped after each document */
	S->tok = w.tok;
	S->capt = w.capt;
	S->fb = w.fb;
	S->fbcap = w.fbcap;
	S->sp = w.sp;
	S->capsp = w.capsp;
	S->cand = w.cand;
	S->capcand = w.capcand;
	if (w.oom) {
		A->free(out);
		return ERR(CV_ENOMEM, "redact-fr: out of memory");
	}
	*spans = out;
	*nspans = n;
	return 0;
}
