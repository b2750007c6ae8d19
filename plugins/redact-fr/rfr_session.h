/*
 * redact-fr — a session: one case's register compiled for one communication
 * copy (rfr_session.c builds it, the redaction passes read it and add what
 * they learn: numbers, unregistered names).
 * A session is owned by its caller and used by one thread at a time; the
 * engine it points to is shared and read-only.
 */
#ifndef RFR_SESSION_H
#define RFR_SESSION_H

#include "rfr_internal.h"

enum { PART_LAST = 1, PART_FIRST = 2, PART_FIRST2 = 3, PART_ALIAS = 4 };

#define NAME_MAXTOK 8

/* A registered name as words of the lexicon; names starting with the same word are chained. */
typedef struct rname {
	int person;
	uint8_t part;
	uint8_t ntok;
	uint8_t weak;      /* every word of it is a French dictionary word */
	uint8_t common;    /* every word of it is an everyday word (LX_COMMON): Petit, Rose */
	uint8_t lead;      /* number of leading particles (da, le...) */
	int32_t tok[NAME_MAXTOK];
	int32_t next;      /* next name starting with the same word */
} rname;

/* What a register entry is matched by, normalised once. */
typedef struct rperson {
	char id[48];
	size_t idlen;
	char sex;          /* 'M', 'F' or 0 */
	uint16_t role;     /* R_* of the register's role, 0 unknown */
	char phone[24];
	char email[128];
	char nir[16];
	char addr[160];    /* address key "number:type_words" */
	size_t addr_street;
	int by, bm, bd;
	char initials[8];
	size_t ninitials;
} rperson;

/* A registered word an OCR variant may stand for, laid out for a quick scan. */
typedef struct rfuzzy {
	int32_t id;        /* session word id */
	uint32_t off;      /* its folded form in the session pool */
	uint8_t len;
	uint8_t req;       /* the requester carries it */
	char c0;           /* its first letter */
} rfuzzy;

/* Somebody the register does not know, met in the text. */
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
	uint64_t learned_lens; /* bit n: a word of n bytes was learned (63: longer), to skip most words at once */
	uint64_t bloom[64];  /* words of the session lexicon, to skip most lookups */
	struct rfuzzy *fuzzy; /* registered name words of 3 letters or more, for OCR variants (rfr_units.c) */
	size_t nfuzzy, capfuzzy;
	uint64_t fcache[64];   /* OCR lookups already made: hash tag | result + 1 (0 empty) */
	/* work buffers kept between texts (the folded copy is wiped after each) */
	void *tok;
	size_t capt;
	char *fb;
	size_t fbcap;
	void *sp;
	size_t capsp;
	void *sp2;           /* room to merge the spans' runs */
	size_t capsp2;
	uint32_t *cand;
	size_t capcand;
	size_t window;       /* bytes of text a long one is redacted by (0: RFR_WINDOW); tests set it smaller */
};

/* A long text is redacted in windows of about this many bytes, cut at a paragraph break found within
 * RFR_CUT_SEARCH bytes after it (rfr_spans.c): the words' records and the folded copy then stay small. */
#define RFR_WINDOW ((size_t)1 << 20)
#define RFR_CUT_SEARCH ((size_t)64 << 10)

/* Set the window (0: the default); for tests. */
void rfr_session_set_window(rfr_session *s, size_t bytes);
size_t rfr_window_size(const rfr_session *s);

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

/* The session's words first: they carry the register's names and what was learned. */
static inline int32_t lookup(const rfr_session *s, const char *k, size_t n, uint64_t h)
{
	if (s->lx.n && bloom_has(s, h)) {
		int32_t x = rfr_lex_find(&s->lx, k, n, h);
		if (x >= 0)
			return SESS_BASE + x;
	}
	if (!rfr_engine_may_have(s->e, h))
		return -1;
	return rfr_lex_find(&s->e->lx, k, n, h);
}

/* The register's words an OCR variant may stand for (rfr_units.c). 0 or CV_ENOMEM. */
int rfr_fuzzy_build(rfr_session *S);

/* Add a word to the session lexicon, with what the engine knows of it. Its id, or -1 out of memory. */
int32_t rfr_sess_add(rfr_session *s, const char *k, size_t n);

/* Bounded copy, always NUL-terminated; NULL copies as "". */
void rfr_copy_str(char *dst, size_t cap, const char *s);
void rfr_lower_ascii(char *s);

#endif
