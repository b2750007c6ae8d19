/*
 * redact-fr — the tokenizer: one pass over the text that cuts it into folded
 * words (offsets kept in the original bytes), notes what lies between two
 * words (the gap the name rules read), lists the words worth a look by the
 * later passes, and hands the places where an identifier may start (digits,
 * '+', '(', '@', IBAN country codes) to rfr_idspan.c.
 */
#include "rfr_work.h"

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

static inline uint64_t load64le(const unsigned char *u)
{
	return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
		(uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
}

/* The number of bytes of v with their high bit set (and no other bit): a multiply adds them up, where the popcount
 * instruction is not there without -mpopcnt. */
static inline unsigned count_high_bits(uint64_t v)
{
	return (unsigned)(((v >> 7) * 0x0101010101010101ull) >> 56);
}

/* The ASCII letters from q, eight bytes at a time (a byte-by-byte table lookup was the tokenizer's main cost on
 * name-dense text); *nu counts the capitals. Returns where the letters stop, or where fewer than 8 bytes remain
 * (the caller finishes byte by byte). */
static inline size_t ascii_letters(const unsigned char *t, size_t len, size_t q, unsigned *nu)
{
	const uint64_t H = 0x8080808080808080ull, L7 = 0x7F7F7F7F7F7F7F7Full;
	while (q + 8 <= len) {
		uint64_t v = load64le(t + q);
		uint64_t x = (v | 0x2020202020202020ull) & L7;
		/* per byte, high bit set: >= 'a' after folding, > 'z', not ASCII */
		uint64_t ge_a = (x + 0x1F1F1F1F1F1F1F1Full) & H, gt_z = (x + 0x0505050505050505ull) & H;
		uint64_t letter = ge_a & ~gt_z & ~(v & H);
		uint64_t upper = letter & ~((v & 0x2020202020202020ull) << 2);
		uint64_t stop = ~letter & H;
		if (stop) {
			unsigned n = (unsigned)__builtin_ctzll(stop) / 8;
			uint64_t keep = n ? (~0ull >> (64 - 8 * n)) : 0;
			*nu += count_high_bits(upper & keep);
			return q + n;
		}
		*nu += count_high_bits(upper);
		q += 8;
	}
	return q;
}

/* What lies since the last word; it becomes the next word's gap. */
typedef struct gapst {
	unsigned gap;
	unsigned chars, hyph, apos, nls;
	int line_start; /* nothing but spaces since the last line break */
} gapst;

/* A word being folded. */
typedef struct wordst {
	uint64_t h;
	unsigned nl, nu;  /* letters, uppercase letters */
	int first_up;     /* -1 before the first letter */
	int orig;         /* the folded word is the text itself */
} wordst;

/* The folded text is personal data: grow its buffer without leaving a copy. */
static int grow_fb(work *w, size_t need)
{
	if (need <= w->fbcap)
		return 1;
	size_t nc = w->fbcap ? w->fbcap : 4096;
	while (nc < need)
		nc *= 2;
	char *nb = w->E->a.alloc(nc);
	if (!nb) {
		w->oom = 1;
		return 0;
	}
	if (w->fb) {
		memcpy(nb, w->fb, w->fbn);
		/* only this text's bytes (its earlier windows' too, and the 7 a word copy may write past them) can be
		 * there: the buffer is wiped after each text */
		size_t used = (w->fbn > w->fbdirty ? w->fbn : w->fbdirty) + 8;
		memset(w->fb, 0, used < w->fbcap ? used : w->fbcap);
		w->fbdirty = 0;
		w->E->a.free(w->fb);
	}
	w->fb = nb;
	w->fbcap = nc;
	return 1;
}

static inline size_t char_class(const rfr_engine *E, const unsigned char *t, size_t len, size_t p, rfr_cpinfo *ci)
{
	unsigned char c = t[p];
	if (c < 0x80) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			ci->cls = c >= 'a' ? RC_LOWER : RC_UPPER;
		else
			*ci = E->latin[c];
		return 1;
	}
	uint32_t cp;
	size_t n = rfr_utf8(t, len, p, &cp);
	rfr_cp_info(E, cp, ci);
	return n;
}

/* Most French words are ASCII letters: a lowercase one is its own folding and needs no copy. */
static inline size_t fold_ascii(work *w, size_t p, size_t q, unsigned nu, wordst *ws)
{
	const unsigned char *t = w->t;
	ws->nl = (unsigned)(q - p);
	ws->nu = nu;
	ws->first_up = t[p] <= 'Z';
	if (!nu) {
		ws->orig = 1;
		ws->h = ws->nl < 8 && p + 8 <= w->len ? rfr_hash_short((const char *)t + p, ws->nl)
						       : rfr_hash((const char *)t + p, ws->nl);
		return q;
	}
	size_t f0 = w->fbn;
	if (w->fbn + ws->nl + 8 > w->fbcap && !grow_fb(w, w->fbn + ws->nl + 64))
		return q;
	/* eight letters at a time (the buffer has room after the word, and up to 7 bytes written past it are wiped
	 * with the rest): | 0x20 lowercases an ASCII letter */
	char *d = w->fb + f0;
	size_t i = p;
	for (; i < q && i + 8 <= w->len; i += 8, d += 8) {
		uint64_t v;
		memcpy(&v, t + i, 8);
		v |= 0x2020202020202020ull;
		memcpy(d, &v, 8);
	}
	for (; i < q; i++)
		*d++ = (char)(t[i] | 0x20);
	w->fbn = f0 + ws->nl;
	/* the buffer always has 64 bytes of room after a word */
	ws->h = ws->nl < 8 ? rfr_hash_short(w->fb + f0, ws->nl) : rfr_hash(w->fb + f0, ws->nl);
	return q;
}

/* Any other word, code point by code point; marks and zero-width characters stay inside it. */
static size_t fold_unicode(work *w, size_t p, wordst *ws)
{
	const unsigned char *t = w->t;
	const size_t len = w->len;
	size_t f0 = w->fbn;
	while (p < len) {
		unsigned char b = t[p];
		if (b < 0x80) {
			if (b >= 'a' && b <= 'z') {
				if (ws->first_up < 0)
					ws->first_up = 0;
				ws->nl++;
			} else if (b >= 'A' && b <= 'Z') {
				if (ws->first_up < 0)
					ws->first_up = 1;
				ws->nl++;
				ws->nu++;
				b = (unsigned char)(b + 32);
			} else {
				break;
			}
			if (w->fbn == w->fbcap && !grow_fb(w, w->fbn + 64))
				return p;
			w->fb[w->fbn++] = (char)b;
			p++;
			continue;
		}
		uint32_t cp;
		size_t m = rfr_utf8(t, len, p, &cp);
		rfr_cpinfo wi;
		rfr_cp_info(w->E, cp, &wi);
		if (wi.cls == RC_LOWER || wi.cls == RC_UPPER) {
			if (ws->first_up < 0)
				ws->first_up = wi.cls == RC_UPPER;
			ws->nl++;
			ws->nu += wi.cls == RC_UPPER;
			if (w->fbn + wi.flen > w->fbcap && !grow_fb(w, w->fbn + 64))
				return p;
			memcpy(w->fb + w->fbn, wi.f, wi.flen);
			w->fbn += wi.flen;
		} else if (wi.cls != RC_MARK && wi.cls != RC_IGNORE) {
			break;
		}
		p += m;
	}
	ws->h = rfr_hash(w->fb + f0, w->fbn - f0);
	return p;
}

/* The gap as the name rules read it: one hyphen or apostrophe alone joins, more of them or with other
 * punctuation separates. */
static inline unsigned gap_close(const gapst *g)
{
	unsigned gap = g->gap;
	if (g->hyph == 1 && g->chars == 1)
		gap |= G_HYPHEN;
	else if (g->hyph)
		gap |= G_OTHER;
	if (g->apos == 1 && g->chars == 1)
		gap |= G_APOS;
	else if (g->apos)
		gap |= G_OTHER;
	if (g->nls >= 2)
		gap |= G_BLANK;
	return gap;
}

/* The later passes look only at capitalised words, the register's words, civilities and street types: most
 * words of a text are none of them. */
static inline void note_candidate(work *w, const rtok *k, unsigned nu)
{
	/* only the session's words carry register names: the engine's function words need no lookup here */
	int cand = (k->flags & TF_CAP) || nu >= 2 || (k->lxf & (LX_CIV | LX_STREET)) ||
		(k->lex >= SESS_BASE && sent(w->S, k->lex)->names >= 0);
	if (!cand)
		return;
	if (w->ncand == w->capcand) {
		uint32_t *nc = rfr_grow(w, w->cand, &w->capcand, w->ncand + 1, sizeof *w->cand);
		if (!nc)
			return;
		w->cand = nc;
	}
	w->cand[w->ncand++] = (uint32_t)(w->nt - 1);
}

static inline void push_word(work *w, size_t start, size_t p, size_t f0, const wordst *ws, const gapst *g)
{
	rtok *k = &w->tok[w->nt++];
	k->s = (uint32_t)start;
	k->e = (uint32_t)p;
	k->f = ws->orig ? (uint32_t)start : (uint32_t)f0;
	k->fl = ws->orig ? (uint32_t)(p - start) : (uint32_t)(w->fbn - f0);
	k->flags = ws->orig ? TF_ORIG : 0;
	if (ws->first_up == 1)
		k->flags |= TF_CAP;
	if (ws->nl >= 2 && ws->nu == ws->nl)
		k->flags |= TF_ALLCAPS;
	if (p < w->len && w->t[p] == '.')
		k->flags |= TF_DOT;
	k->gap = (uint16_t)gap_close(g);
	k->lex = k->fl ? lookup(w->S, FOLD(w, k), k->fl, ws->h) : -1;
	k->lxf = k->lex >= 0 ? sent(w->S, k->lex)->flags : 0;
	note_candidate(w, k, ws->nu);
}

/* A word at p: folded, looked up, recorded. Returns its end (w->oom set when memory ran out). */
static inline size_t take_word(work *w, size_t p, gapst *g)
{
	const unsigned char *t = w->t;
	const size_t len = w->len;
	if (w->fbn + 64 > w->fbcap && !grow_fb(w, w->fbn + 64))
		return p;
	if (w->nt == w->capt) {
		rtok *nt = rfr_grow(w, w->tok, &w->capt, w->nt + 1, sizeof *w->tok);
		if (!nt)
			return p;
		w->tok = nt;
	}
	size_t start = p, f0 = w->fbn;
	wordst ws = { 0, 0, 0, -1, 0 };
	size_t q = p;
	unsigned nu = 0;
	unsigned char lt;
	q = ascii_letters(t, len, q, &nu);
	while (q < len && (lt = ASCII_LETTER[t[q]]) != 0) {
		nu += lt >> 1;
		q++;
	}
	if (q > p && (q >= len || t[q] < 0x80)) {
		p = fold_ascii(w, p, q, nu, &ws);
	} else {
		/* The slow path rescans the ASCII prefix and counts its capitals a second time, as the engine always
		 * has: "aBCé" reads as all capitals. Kept so that splitting the tokenizer changes no span. */
		ws.nu = nu;
		p = fold_unicode(w, p, &ws);
	}
	if (w->oom)
		return p;
	push_word(w, start, p, f0, &ws, g);
	g->gap = 0;
	g->chars = g->hyph = g->apos = g->nls = 0;
	g->line_start = 0;
	return p;
}

/* Digits, or '+' or '(' that may start an international number. Returns where scanning goes on. */
static size_t take_number(work *w, size_t p, int digit, gapst *g)
{
	const unsigned char *t = w->t;
	const size_t len = w->len;
	const rfr_engine *E = w->E;
	size_t e = 0;
	if (digit) {
		/* an IBAN starts with two letters of its own: "FR76", not the end of "ABCFR76" */
		if (p >= 2 && !(t[p - 1] & 0x80) && !(t[p - 2] & 0x80) && E->latin[t[p - 1]].cls >= RC_LOWER &&
			E->latin[t[p - 1]].cls <= RC_UPPER && E->latin[t[p - 2]].cls >= RC_LOWER &&
			E->latin[t[p - 2]].cls <= RC_UPPER && (p == 2 || !is_alnum_b(t[p - 3])))
			e = rfr_id_iban(w, p - 2);
		if (!e && !(p > 0 && is_alnum_b(t[p - 1])))
			e = rfr_id_number(w, p);
		if (!e) {
			e = p;
			while (e < len && t[e] >= '0' && t[e] <= '9')
				e++;
		}
		g->gap |= G_DIGIT | G_OTHER;
	} else {
		unsigned char c = t[p];
		if (!(p > 0 && is_alnum_b(t[p - 1])) &&
			((c == '+' && t[p + 1] >= '1' && t[p + 1] <= '9') || (c == '(' && t[p + 1] == '+')))
			e = rfr_id_phone(w, p);
		if (!e)
			e = p + 1;
		g->gap |= G_OTHER;
	}
	g->chars++;
	g->line_start = 0;
	return e;
}

/* A character between words (n bytes at p, of class cls), added to the gap. */
static inline void take_gap_char(work *w, size_t p, size_t n, int cls, gapst *g)
{
	const unsigned char *t = w->t;
	unsigned char c = t[p];
	switch (cls) {
	case RC_SPACE:
		g->gap |= G_SPACE;
		if (c == '\r' && !(p + 1 < w->len && t[p + 1] == '\n')) {
			g->gap |= G_NL;
			g->nls++;
			g->line_start = 1;
		}
		break;
	case RC_NL:
		g->gap |= G_NL;
		g->nls++;
		g->line_start = 1;
		break;
	case RC_HYPHEN:
		g->hyph++;
		g->chars++;
		if (g->line_start)
			g->gap |= G_BULLET;
		break;
	case RC_APOS:
		g->apos++;
		g->chars++;
		break;
	case RC_SENT:
		g->gap |= G_SENT;
		g->chars++;
		break;
	case RC_COMMA:
		g->gap |= G_COMMA;
		g->chars++;
		break;
	case RC_COLON:
		g->gap |= G_COLON;
		g->chars++;
		break;
	case RC_AT:
		rfr_id_email(w, p);
		g->gap |= G_OTHER;
		g->chars++;
		break;
	case RC_IGNORE:
		break;
	default:
		/* '*', '•', '–' or '—' opening a line: a list item, which starts a new sentence */
		if (g->line_start && (c == '*' || (n == 3 && t[p] == 0xE2 && t[p + 1] == 0x80 &&
						  (t[p + 2] == 0xA2 || t[p + 2] == 0x93 || t[p + 2] == 0x94))))
			g->gap |= G_BULLET;
		g->gap |= G_OTHER;
		g->chars++;
		break;
	}
	if (cls != RC_SPACE && cls != RC_NL && cls != RC_IGNORE)
		g->line_start = 0;
}

void rfr_tokenize(work *w)
{
	const unsigned char *t = w->t;
	const size_t len = w->len;
	gapst g = { G_START, 0, 0, 0, 0, 1 };
	size_t p = 0;
	/* the folded words take about as many bytes as the text: one buffer from the start, rather than a chain of
	 * copies (each wiped) on a long text */
	if (!grow_fb(w, len + 128))
		return;
	while (p < len && !w->oom) {
		unsigned char c = t[p];
		if (c == ' ') {
			g.gap |= G_SPACE;
			p++;
			continue;
		}
		rfr_cpinfo ci;
		size_t n = char_class(w->E, t, len, p, &ci);
		if (ci.cls == RC_LOWER || ci.cls == RC_UPPER || ci.cls == RC_MARK)
			p = take_word(w, p, &g);
		else if (ci.cls == RC_DIGIT || ((c == '+' || c == '(') && p + 1 < len))
			p = take_number(w, p, ci.cls == RC_DIGIT, &g);
		else {
			take_gap_char(w, p, n, ci.cls, &g);
			p += n;
		}
	}
}
