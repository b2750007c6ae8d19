/*
 * redact-fr — the state of one redaction: the text's words, the spans found
 * so far, and the passes that fill them (rfr_tokenize.c, rfr_idspan.c,
 * rfr_units.c, rfr_names.c, rfr_spans.c).
 * A work lives for one rfr_redact call, on the caller's thread; it borrows
 * the session's buffers and gives them back.
 */
#ifndef RFR_WORK_H
#define RFR_WORK_H

#include "rfr_session.h"

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

enum {
	TF_CAP = 1, TF_ALLCAPS = 2, TF_DOT = 4, TF_COVERED = 8, TF_USED = 16, TF_ORIG = 32,
	TF_DICT_KNOWN = 64, /* TF_DICT below is set: the dictionary was asked once for this word */
	TF_DICT = 128,
	TF_FUZZY = 256,     /* a registered name read through one changed letter (OCR, a typo): Lerov */
	TF_FUZZY_REQ = 512, /* ... and the requester's name is one letter away too */
	TF_FUZZY_SEEN = 1024 /* the OCR reading was tried */
};

typedef struct rtok {
	uint32_t s, e;   /* original bytes */
	uint32_t f, fl;  /* folded word in the work buffer */
	int32_t lex;
	uint16_t gap;
	uint16_t flags;
	uint32_t lxf;    /* the lexicon entry's flags (LX_*), copied: every rule reads them, a lookup apart */
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
	size_t fbdirty;  /* the most folded bytes an earlier window of the text left in fb (each writes from 0) */
	ispan *sp;
	size_t ns, capsp;
	ispan *sp2;      /* where runs of spans are merged */
	size_t capsp2;
	int oom;
	int learn;       /* the current group is strong enough evidence to learn from */
	uint32_t *cand;  /* words worth a look: capitalised, register words, civilities, streets */
	size_t ncand, capcand;
} work;

/* The folded word: the text itself for lowercase ASCII words. */
static inline const char *FOLD(const work *w, const rtok *k)
{
	return (k->flags & TF_ORIG) ? (const char *)w->t + k->f : w->fb + k->f;
}

static inline const rfr_lexent *LX(const work *w, size_t i)
{
	return w->tok[i].lex >= 0 ? sent(w->S, w->tok[i].lex) : NULL;
}

static inline uint32_t LXF(const work *w, size_t i)
{
	return w->tok[i].lxf;
}

/* Give token i another lexicon entry (learned, read through a wrong letter), its flags with it. */
static inline void set_lex(const work *w, size_t i, int32_t id)
{
	w->tok[i].lex = id;
	w->tok[i].lxf = id >= 0 ? sent(w->S, id)->flags : 0;
}

static inline int capitalised(const work *w, size_t i)
{
	return (w->tok[i].flags & (TF_CAP | TF_ALLCAPS)) != 0;
}

/* Grow an array of the work to hold `need` elements; NULL (and w->oom set) when memory runs out. */
void *rfr_grow(work *w, void *p, size_t *cap, size_t need, size_t elem);
/* Record a finding; dropped (w->oom set) when memory runs out. */
void rfr_add_span(work *w, size_t s, size_t e, int kind, int flags, int person, int entity);

/* The passes, in the order rfr_redact runs them. */
void rfr_tokenize(work *w);
void rfr_cover_identifiers(work *w);
void rfr_street_pass(work *w);
void rfr_names_pass(work *w);
void rfr_learned_pass(work *w);
size_t rfr_merge_spans(work *w);

/* Identifiers where the tokenizer says one may start, attributed to the register (rfr_idspan.c). Each returns
 * the end of what it recognised at p, 0 when nothing. */
size_t rfr_id_iban(work *w, size_t p);
size_t rfr_id_number(work *w, size_t p);
size_t rfr_id_phone(work *w, size_t p);
void rfr_id_email(work *w, size_t at);

#endif
