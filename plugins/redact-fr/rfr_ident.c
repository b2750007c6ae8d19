/*
 * redact-fr — identifiers: phone numbers, NIR, IBAN, e-mail addresses,
 * dates and postal addresses. Every parser reads a bounded number of bytes
 * from its start, so scanning a text stays linear whatever it holds.
 */
#include "rfr_ident.h"
#include "rfr_lex.h"

#include <stdio.h>

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_alnum(unsigned char c) { return is_digit(c) || is_alpha(c); }

/* A separator inside a number: space, no-break spaces, '.', '-', '/'. */
static size_t num_sep(const unsigned char *t, size_t len, size_t p, int slash)
{
	if (p >= len)
		return 0;
	unsigned char c = t[p];
	if (c == ' ' || c == '.' || c == '-' || (slash && c == '/'))
		return 1;
	if (c == 0xC2 && p + 1 < len && t[p + 1] == 0xA0)
		return 2;
	if (c == 0xE2 && p + 2 < len && t[p + 1] == 0x80 && (t[p + 2] == 0xAF || t[p + 2] == 0x89))
		return 3;
	return 0;
}

/* Spaces only (for phone prefixes). */
static size_t space_sep(const unsigned char *t, size_t len, size_t p)
{
	size_t n = num_sep(t, len, p, 0);
	return (n && t[p] != '.' && t[p] != '-') ? n : 0;
}

/* The byte after a number must not extend it. */
static int num_boundary(const unsigned char *t, size_t len, size_t q, int slash)
{
	if (q >= len)
		return 1;
	if (is_alnum(t[q]))
		return 0;
	size_t s = num_sep(t, len, q, slash);
	if (s && q + s < len && is_digit(t[q + s]) && t[q] != '.')
		return 0; /* more digits in the same group: a longer number */
	return 1;
}

/* ------------------------------------------------------------------ */
/* Phone numbers                                                       */

size_t rfr_parse_phone(const unsigned char *t, size_t len, size_t p, char *norm, size_t normcap)
{
	size_t q = p;
	int paren = 0, intl = 0;
	unsigned cc = 0;
	if (q < len && t[q] == '(') {
		paren = 1;
		q++;
	}
	if (q < len && t[q] == '+') {
		q++;
		intl = 1;
	} else if (q + 2 < len && t[q] == '0' && t[q + 1] == '0' && t[q + 2] >= '1' && t[q + 2] <= '9') {
		q += 2;
		intl = 1;
	}
	if (intl) {
		if (q + 1 < len && t[q] == '3' && t[q + 1] == '3') {
			cc = 33;
			q += 2;
		} else {
			size_t k = 0;
			while (q < len && is_digit(t[q]) && k < 3) {
				cc = cc * 10 + (unsigned)(t[q] - '0');
				q++;
				k++;
			}
			if (k == 0 || cc == 0 || (q < len && is_digit(t[q])))
				return 0;
		}
		if (paren) {
			if (q >= len || t[q] != ')')
				return 0;
			q++;
		}
		size_t s = space_sep(t, len, q);
		if (!s && q < len && (t[q] == '.' || t[q] == '-'))
			s = 1;
		q += s;
		if (q + 2 < len && t[q] == '(' && t[q + 1] == '0' && t[q + 2] == ')') {
			q += 3;
			q += space_sep(t, len, q);
		}
	} else if (paren) {
		return 0;
	}
	char d[16];
	size_t nd = 0, need_min, need_max;
	if (!intl) {
		need_min = need_max = 10;
	} else if (cc == 33) {
		need_min = need_max = 9;
	} else {
		need_min = 6;
		need_max = 12;
	}
	size_t last = q;
	while (q < len && nd < need_max) {
		if (is_digit(t[q])) {
			d[nd++] = (char)t[q];
			q++;
			last = q;
			continue;
		}
		size_t s = num_sep(t, len, q, 1);
		if (s && nd > 0 && q + s < len && is_digit(t[q + s])) {
			q += s;
			continue;
		}
		break;
	}
	q = last;
	if (nd < need_min)
		return 0;
	if (!num_boundary(t, len, q, 1))
		return 0;
	if (!intl && (d[0] != '0' || d[1] < '1' || d[1] > '9'))
		return 0;
	if (intl && cc == 33 && d[0] == '0')
		return 0;
	if (norm && normcap > 16) {
		size_t o = 0;
		if (intl && cc == 33) {
			norm[o++] = '0';
		} else if (intl) {
			o += (size_t)snprintf(norm, normcap, "+%u", cc);
		}
		for (size_t i = 0; i < nd && o + 1 < normcap; i++)
			norm[o++] = d[i];
		norm[o] = 0;
	}
	return q;
}

/* ------------------------------------------------------------------ */
/* NIR (numéro d'inscription au répertoire)                            */

static int nir_key_ok(const char *s15)
{
	uint64_t v = 0;
	for (int i = 0; i < 13; i++) {
		char c = s15[i];
		unsigned dv;
		if (i == 6 && (c == 'A' || c == 'B')) {
			/* Corsica: 2A counts as 19, 2B as 18 (INSEE) */
			v = v / 10; /* drop the '2' already added */
			v = v * 100 + (c == 'A' ? 19u : 18u);
			continue;
		}
		dv = (unsigned)(c - '0');
		v = v * 10 + dv;
	}
	unsigned key = (unsigned)((s15[13] - '0') * 10 + (s15[14] - '0'));
	return key >= 1 && key <= 97 && key == 97 - (unsigned)(v % 97);
}

size_t rfr_parse_nir(const unsigned char *t, size_t len, size_t p, char out[16], int *nsym)
{
	static const char first_ok[] = "123478";
	if (p >= len || !memchr(first_ok, t[p], sizeof first_ok - 1))
		return 0;
	char s[16];
	size_t n = 0, q = p, last = p;
	while (q < len && n < 15) {
		unsigned char c = t[q];
		int ok = is_digit(c);
		if (!ok && n == 6 && s[5] == '2' && (c == 'A' || c == 'B' || c == 'a' || c == 'b')) {
			ok = 1;
			c = (unsigned char)(c & ~0x20);
		}
		if (ok) {
			s[n++] = (char)c;
			q++;
			last = q;
			continue;
		}
		size_t sp = num_sep(t, len, q, 0);
		if (sp && n > 0 && q + sp < len && (is_digit(t[q + sp]) || (n == 6 && s[5] == '2' && is_alpha(t[q + sp])))) {
			q += sp;
			continue;
		}
		break;
	}
	q = last;
	if (n != 15 && n != 13)
		return 0;
	if (!num_boundary(t, len, q, 0))
		return 0;
	s[n] = 0;
	memcpy(out, s, n + 1);
	*nsym = (n == 15 && !nir_key_ok(s)) ? -15 : (int)n;
	return q;
}

int rfr_nir_valid(const char *s, size_t len)
{
	char out[16];
	int nsym = 0;
	size_t q = rfr_parse_nir((const unsigned char *)s, len, 0, out, &nsym);
	return q == len && nsym == 15 && nir_key_ok(out);
}

/* ------------------------------------------------------------------ */
/* IBAN                                                                */

static int iban_country_len(const unsigned char *cc)
{
	static const struct { char c[3]; int n; } T[] = {
		{ "FR", 27 }, { "MC", 27 }, { "DE", 22 }, { "BE", 16 }, { "ES", 24 }, { "IT", 27 }, { "PT", 25 },
		{ "GB", 22 }, { "CH", 21 }, { "LU", 20 }, { "NL", 18 }, { "AT", 20 }, { "IE", 22 }, { "DK", 18 },
		{ "FI", 18 }, { "SE", 24 }, { "NO", 15 }, { "PL", 28 }, { "GR", 27 }, { "RO", 24 }, { "MA", 28 },
		{ "TN", 24 }, { "DZ", 26 }, { "TR", 26 }, { "SN", 28 }, { "CI", 28 }, { "ML", 28 }, { "CM", 27 },
	};
	char a = (char)(cc[0] & ~0x20), b = (char)(cc[1] & ~0x20);
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
		if (T[i].c[0] == a && T[i].c[1] == b)
			return T[i].n;
	return 0;
}

static int iban_mod97(const char *s, size_t n)
{
	unsigned r = 0;
	for (size_t k = 0; k < n; k++) {
		char c = s[(k + 4) % n];
		if (c >= '0' && c <= '9') {
			r = (r * 10 + (unsigned)(c - '0')) % 97;
		} else {
			unsigned v = (unsigned)((c & ~0x20) - 'A' + 10);
			if (v < 10 || v > 35)
				return 0;
			r = (r * 100 + v) % 97;
		}
	}
	return r == 1;
}

size_t rfr_parse_iban(const unsigned char *t, size_t len, size_t p)
{
	if (p + 4 > len || !is_alpha(t[p]) || !is_alpha(t[p + 1]) || !is_digit(t[p + 2]) || !is_digit(t[p + 3]))
		return 0;
	if (p > 0 && is_alnum(t[p - 1]))
		return 0;
	char s[35];
	size_t ends[35];
	size_t n = 0, q = p;
	while (q < len && n < 34) {
		if (is_alnum(t[q])) {
			s[n] = (char)t[q];
			ends[n] = q + 1;
			n++;
			q++;
			continue;
		}
		if ((t[q] == ' ' || t[q] == '-') && n >= 4 && q + 1 < len && is_alnum(t[q + 1])) {
			q++;
			continue;
		}
		break;
	}
	int cl = iban_country_len(t + p);
	for (size_t l = n; l >= 15; l--) {
		if (cl && (int)l != cl)
			continue;
		size_t e = ends[l - 1];
		if (e < len && is_alnum(t[e]))
			continue;
		if (iban_mod97(s, l))
			return e;
	}
	return 0;
}

int rfr_iban_valid(const char *s, size_t len)
{
	return rfr_parse_iban((const unsigned char *)s, len, 0) == len;
}

/* ------------------------------------------------------------------ */
/* E-mail                                                              */

static int mail_local(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

size_t rfr_parse_email(const unsigned char *t, size_t len, size_t at, size_t *start)
{
	size_t s = at;
	while (s > 0 && mail_local(t[s - 1]) && at - s < 64)
		s--;
	while (s < at && (t[s] == '.' || t[s] == '-'))
		s++;
	if (s == at)
		return 0;
	size_t e = at + 1, dots = 0, lastdot = 0;
	while (e < len && e - at <= 255 && (is_alnum(t[e]) || t[e] == '-' || t[e] == '.')) {
		if (t[e] == '.') {
			if (t[e - 1] == '.' || t[e - 1] == '@')
				break;
			dots++;
			lastdot = e;
		}
		e++;
	}
	while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) {
		if (t[e - 1] == '.' && e - 1 == lastdot) {
			dots--;
			lastdot = 0;
			for (size_t k = e - 2; k > at; k--)
				if (t[k] == '.') {
					lastdot = k;
					break;
				}
		}
		e--;
	}
	if (!dots || !lastdot || e - lastdot - 1 < 2)
		return 0;
	for (size_t k = lastdot + 1; k < e; k++)
		if (!is_alpha(t[k]))
			return 0;
	*start = s;
	return e;
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */

static size_t read_num(const unsigned char *t, size_t len, size_t q, size_t maxd, int *v)
{
	size_t k = 0;
	int x = 0;
	while (q + k < len && is_digit(t[q + k]) && k < maxd + 1) {
		x = x * 10 + (t[q + k] - '0');
		k++;
	}
	if (k > maxd)
		return 0;
	*v = x;
	return k;
}

static size_t skip_spaces(const unsigned char *t, size_t len, size_t q, int nl)
{
	for (;;) {
		if (q < len && (t[q] == ' ' || t[q] == '\t' || (nl && (t[q] == '\n' || t[q] == '\r')))) {
			q++;
			continue;
		}
		size_t s = num_sep(t, len, q, 0);
		if (s > 1) {
			q += s;
			continue;
		}
		return q;
	}
}

size_t rfr_parse_date(const rfr_engine *e, const rfr_lexicon *lx, const unsigned char *t, size_t len, size_t p,
	int *y, int *m, int *d, int *twodigit)
{
	int v1, v2, v3;
	size_t q = p;
	size_t l1 = read_num(t, len, q, 4, &v1);
	if (!l1)
		return 0;
	q += l1;
	*twodigit = 0;
	if (l1 == 4) {
		if (q < len && (t[q] == '-' || t[q] == '/' || t[q] == '.')) {
			unsigned char sep = t[q];
			size_t l2 = read_num(t, len, q + 1, 2, &v2);
			if (!l2 || q + 1 + l2 >= len || t[q + 1 + l2] != sep)
				return 0;
			size_t l3 = read_num(t, len, q + 2 + l2, 2, &v3);
			if (!l3)
				return 0;
			q += 2 + l2 + l3;
			if (q < len && (is_alnum(t[q])))
				return 0;
			*y = v1;
			*m = v2;
			*d = v3;
			return (v2 >= 1 && v2 <= 12 && v3 >= 1 && v3 <= 31) ? q : 0;
		}
		return 0;
	}
	if (l1 > 2)
		return 0;
	if (q < len && (t[q] == '/' || t[q] == '.' || t[q] == '-')) {
		unsigned char sep = t[q];
		size_t l2 = read_num(t, len, q + 1, 2, &v2);
		if (!l2 || q + 1 + l2 >= len || t[q + 1 + l2] != sep)
			return 0;
		size_t l3 = read_num(t, len, q + 2 + l2, 4, &v3);
		if (l3 != 4 && l3 != 2)
			return 0;
		q += 2 + l2 + l3;
		if (q < len && is_alnum(t[q]))
			return 0;
		if (q + 1 < len && t[q] == sep && is_digit(t[q + 1]))
			return 0;
		*d = v1;
		*m = v2;
		*y = v3;
		*twodigit = l3 == 2;
		return (v2 >= 1 && v2 <= 12 && v1 >= 1 && v1 <= 31) ? q : 0;
	}
	/* 12 mars 1984, 1er mars 1984 */
	if (q + 1 < len && (t[q] == 'e' || t[q] == 'E') && (t[q + 1] == 'r' || t[q + 1] == 'R'))
		q += 2;
	size_t q2 = skip_spaces(t, len, q, 1);
	if (q2 == q)
		return 0;
	char w[16];
	size_t fl;
	int caps;
	size_t we = rfr_word_at(e, t, len, q2, w, sizeof w, &fl, &caps);
	if (we == q2 || fl > sizeof w)
		return 0;
	int32_t k = rfr_lex_find(lx, w, fl, rfr_hash(w, fl));
	if (k < 0 || !(lx->ent[k].flags & LX_MONTH))
		return 0;
	v2 = lx->ent[k].month;
	q = we;
	if (q < len && t[q] == '.')
		q++;
	size_t q3 = skip_spaces(t, len, q, 1);
	if (q3 == q)
		return 0;
	size_t l3 = read_num(t, len, q3, 4, &v3);
	if (l3 != 4)
		return 0;
	q = q3 + 4;
	if (q < len && is_alnum(t[q]))
		return 0;
	*d = v1;
	*m = v2;
	*y = v3;
	return (v1 >= 1 && v1 <= 31) ? q : 0;
}

/* ------------------------------------------------------------------ */
/* Postal addresses                                                    */

static int is_addr_particle(const char *w, size_t n)
{
	static const struct { const char *s; size_t n; } P[] = { { "de", 2 }, { "du", 2 }, { "des", 3 }, { "la", 2 },
		{ "le", 2 }, { "les", 3 }, { "l", 1 }, { "d", 1 }, { "aux", 3 }, { "au", 2 }, { "a", 1 }, { "en", 2 },
		{ "sur", 3 }, { "sous", 4 }, { "et", 2 }, { "saint", 5 }, { "sainte", 6 }, { "st", 2 }, { "ste", 3 } };
	if (n > 6)
		return 0;
	for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
		if (P[i].n == n && memcmp(P[i].s, w, n) == 0)
			return 1;
	return 0;
}

static void key_add(char *key, size_t keycap, size_t *kl, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *kl + 1 < keycap; i++)
		key[(*kl)++] = s[i];
	if (keycap)
		key[*kl < keycap ? *kl : keycap - 1] = 0;
}

/* Gap between words of a street or a city: spaces, one line break, or a
 * single hyphen or apostrophe. Returns the next word's start, or 0. */
static size_t word_gap(const rfr_engine *e, const unsigned char *t, size_t len, size_t q, int *kind)
{
	size_t r = q;
	int nl = 0, sp = 0;
	*kind = 0;
	while (r < len) {
		uint32_t cp;
		size_t n = rfr_utf8(t, len, r, &cp);
		rfr_cpinfo ci;
		rfr_cp_info(e, cp, &ci);
		if (ci.cls == RC_SPACE) {
			sp = 1;
		} else if (ci.cls == RC_NL) {
			if (t[r] == '\n' && ++nl > 1)
				return 0;
			sp = 1;
		} else if ((ci.cls == RC_HYPHEN || ci.cls == RC_APOS) && !sp && r == q) {
			*kind = ci.cls == RC_HYPHEN ? 1 : 2;
			return r + n;
		} else {
			break;
		}
		r += n;
	}
	*kind = nl ? 3 : 0;
	return sp ? r : 0;
}

/* One address being read: the text, and the key built as it goes. */
typedef struct addr_scan {
	const rfr_engine *e;
	const rfr_lexicon *lx;
	const unsigned char *t;
	size_t len;
	char *key;
	size_t keycap, kl;
} addr_scan;

/* "12", "12b", "12 bis", "12," before the street type: the end of the separators after it, or 0. */
static size_t addr_number(addr_scan *a, size_t q)
{
	const unsigned char *t = a->t;
	const size_t len = a->len;
	char w[64];
	size_t fl;
	int caps, v;
	size_t l = read_num(t, len, q, 4, &v);
	if (!l)
		return 0;
	key_add(a->key, a->keycap, &a->kl, (const char *)t + q, l);
	q += l;
	if (q < len && (t[q] == 'b' || t[q] == 't' || t[q] == 'B' || t[q] == 'T') &&
		(q + 1 >= len || !is_alnum(t[q + 1])))
		q++;
	size_t r = q;
	while (r < len && (t[r] == ' ' || t[r] == ','))
		r++;
	r += num_sep(t, len, r, 0) > 1 ? num_sep(t, len, r, 0) : 0;
	size_t we = rfr_word_at(a->e, t, len, r, w, sizeof w, &fl, &caps);
	if (we > r && fl <= sizeof w) {
		int32_t k = rfr_lex_find(a->lx, w, fl, rfr_hash(w, fl));
		if (k >= 0 && (a->lx->ent[k].flags & LX_BIS)) {
			q = we;
			r = q;
		}
	}
	while (r < len && (t[r] == ' ' || t[r] == ','))
		r++;
	if (num_sep(t, len, r, 0) > 1)
		r += num_sep(t, len, r, 0);
	return r == q ? 0 : r;
}

/* The street type (rue, av., rond-point...), its canonical id added to the key: the end, or 0. */
static size_t addr_street_type(addr_scan *a, size_t q)
{
	const unsigned char *t = a->t;
	const size_t len = a->len;
	char w[64];
	size_t fl;
	int caps;
	size_t we = rfr_word_at(a->e, t, len, q, w, sizeof w, &fl, &caps);
	if (we == q || fl > sizeof w)
		return 0;
	int32_t k = rfr_lex_find(a->lx, w, fl, rfr_hash(w, fl));
	if (k < 0 || !(a->lx->ent[k].flags & LX_STREET))
		return 0;
	const rfr_lexent *st = &a->lx->ent[k];
	char tid[4];
	size_t tn = 0;
	if (st->street >= 100)
		tid[tn++] = (char)('0' + st->street / 100);
	if (st->street >= 10)
		tid[tn++] = (char)('0' + st->street / 10 % 10);
	tid[tn++] = (char)('0' + st->street % 10);
	key_add(a->key, a->keycap, &a->kl, tid, tn);
	q = we;
	if ((st->flags & LX_ABBR) && q < len && t[q] == '.')
		q++;
	if (q + 1 < len && t[q] == '-' && is_alpha(t[q + 1])) {
		size_t we2 = rfr_word_at(a->e, t, len, q + 1, w, sizeof w, &fl, &caps);
		if (we2 > q + 1)
			q = we2;
	}
	return q;
}

/* The street's name after its type, up to ten words on one line: "du Général Leclerc", "du 8 Mai 1945". Particles
 * join but are left out of the key, so that "rue de la Paix" and "rue la Paix" are one street. The end of its
 * last word, 0 when it has none. */
static size_t addr_street_name(addr_scan *a, size_t q)
{
	const unsigned char *t = a->t;
	const size_t len = a->len;
	char w[64];
	size_t fl, end = 0, nwords = 0;
	int caps, kind;
	int prev_weak = 1; /* after the street type or a particle a lowercase word may follow */
	int prev_month = 0;
	for (int i = 0; i < 10; i++) {
		size_t r = word_gap(a->e, t, len, q, &kind);
		if (!r)
			break;
		if (kind == 3 && nwords > 0)
			break; /* a line break ends the street name */
		if (r < len && is_digit(t[r]) && prev_month && kind == 0) {
			/* rue du 8 Mai 1945: the year after the month */
			int v;
			size_t l = read_num(t, len, r, 4, &v);
			if (l != 4 || (r + l < len && is_alnum(t[r + l])))
				break;
			key_add(a->key, a->keycap, &a->kl, (const char *)t + r, l);
			q = r + l;
			end = q;
			prev_month = 0;
			continue;
		}
		if (r < len && is_digit(t[r]) && prev_weak && kind != 1) {
			/* rue du 8 Mai 1945, avenue du 11 Novembre */
			int v;
			size_t l = read_num(t, len, r, 4, &v);
			if (!l || l > 4 || (r + l < len && !(t[r + l] == ' ')))
				break;
			size_t r2 = r + l + 1;
			size_t we2 = rfr_word_at(a->e, t, len, r2, w, sizeof w, &fl, &caps);
			if (we2 == r2 || !caps)
				break;
			key_add(a->key, a->keycap, &a->kl, (const char *)t + r, l);
			q = r + l;
			prev_weak = 0;
			continue;
		}
		size_t we = rfr_word_at(a->e, t, len, r, w, sizeof w, &fl, &caps);
		if (we == r || fl > sizeof w)
			break;
		int part = is_addr_particle(w, fl);
		if (!part && !caps && !prev_weak)
			break;
		if (!part) {
			int32_t kk = rfr_lex_find(a->lx, w, fl, rfr_hash(w, fl));
			if (kk >= 0 && (a->lx->ent[kk].flags & (LX_CIV | LX_MONTH)) && !caps)
				break;
			key_add(a->key, a->keycap, &a->kl, "_", 1);
			key_add(a->key, a->keycap, &a->kl, w, fl);
			nwords++;
			end = we;
			prev_month = kk >= 0 && (a->lx->ent[kk].flags & LX_MONTH);
		} else {
			prev_month = 0;
		}
		prev_weak = part;
		q = we;
	}
	return nwords ? end : 0;
}

/* An optional postcode and city after the street, on the same line or the next, and "Cedex 12". The address's
 * end: `end` itself when no postcode follows. Not in the key: the street alone tells a register's address. */
static size_t addr_city(addr_scan *a, size_t end)
{
	const unsigned char *t = a->t;
	const size_t len = a->len;
	char w[64];
	size_t fl, r = end;
	int caps, kind, nl = 0;
	while (r < len && (t[r] == ' ' || t[r] == ',' || t[r] == '\t' || t[r] == '\r' || (t[r] == '\n' && !nl++) ||
			   num_sep(t, len, r, 0) > 1)) {
		size_t s = num_sep(t, len, r, 0);
		r += s > 1 ? s : 1;
	}
	int pc;
	size_t l = read_num(t, len, r, 5, &pc);
	if (l != 5 || (r + 5 < len && is_alnum(t[r + 5])))
		return end;
	end = r + 5;
	size_t q = end;
	for (int i = 0; i < 6; i++) {
		size_t g = word_gap(a->e, t, len, q, &kind);
		if (!g || kind == 3)
			break;
		size_t we = rfr_word_at(a->e, t, len, g, w, sizeof w, &fl, &caps);
		if (we == g)
			break;
		int part = is_addr_particle(w, fl);
		if (!caps && !(part && kind == 1))
			break;
		q = we;
		if (!part)
			end = we;
	}
	size_t g = word_gap(a->e, t, len, end, &kind);
	if (g && kind != 3) {
		size_t we = rfr_word_at(a->e, t, len, g, w, sizeof w, &fl, &caps);
		if (we > g && fl == 5 && memcmp(w, "cedex", 5) == 0) {
			end = we;
			size_t g2 = skip_spaces(t, len, end, 0);
			int v;
			size_t l2 = read_num(t, len, g2, 2, &v);
			if (l2 && g2 > end)
				end = g2 + l2;
		}
	}
	return end;
}

size_t rfr_parse_address(const rfr_engine *e, const rfr_lexicon *lx, const unsigned char *t, size_t len, size_t p,
	int need_number, char *key, size_t keycap, size_t *street_off)
{
	addr_scan a = { e, lx, t, len, key, keycap, 0 };
	size_t q = p;
	if (keycap)
		key[0] = 0;
	if (need_number && !(q = addr_number(&a, q)))
		return 0;
	key_add(key, keycap, &a.kl, ":", 1);
	if (street_off)
		*street_off = a.kl;
	if (!(q = addr_street_type(&a, q)))
		return 0;
	size_t end = addr_street_name(&a, q);
	return end ? addr_city(&a, end) : 0;
}
