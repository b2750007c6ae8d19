/*
 * redact-fr — folding, the lexicon (hash table of folded words with their
 * roles) and the French dictionary, shared by every session of an engine.
 */
#include "rfr_internal.h"
#include "rfr_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <utf8proc.h>

/* ------------------------------------------------------------------ */
/* Folding                                                             */

static void cp_compute(uint32_t cp, rfr_cpinfo *o)
{
	memset(o, 0, sizeof *o);
	if (cp < 0x80) {
		if (cp >= 'a' && cp <= 'z') {
			o->cls = RC_LOWER;
			o->f[0] = (char)cp;
			o->flen = 1;
		} else if (cp >= 'A' && cp <= 'Z') {
			o->cls = RC_UPPER;
			o->f[0] = (char)(cp + 32);
			o->flen = 1;
		} else if (cp >= '0' && cp <= '9') {
			o->cls = RC_DIGIT;
		} else if (cp == ' ' || cp == '\t' || cp == '\f' || cp == '\v' || cp == '\r') {
			o->cls = RC_SPACE;
		} else if (cp == '\n') {
			o->cls = RC_NL;
		} else if (cp == '\'') {
			o->cls = RC_APOS;
		} else if (cp == '-') {
			o->cls = RC_HYPHEN;
		} else if (cp == '.' || cp == '!' || cp == '?') {
			o->cls = RC_SENT;
		} else if (cp == ',') {
			o->cls = RC_COMMA;
		} else if (cp == ':') {
			o->cls = RC_COLON;
		} else if (cp == '@') {
			o->cls = RC_AT;
		} else {
			o->cls = RC_OTHER;
		}
		return;
	}
	switch (cp) {
	case 0x00A0: case 0x1680: case 0x2000: case 0x2001: case 0x2002: case 0x2003: case 0x2004:
	case 0x2005: case 0x2006: case 0x2007: case 0x2008: case 0x2009: case 0x200A: case 0x202F:
	case 0x205F: case 0x3000: case 0x0085:
		o->cls = RC_SPACE;
		return;
	case 0x2028: case 0x2029:
		o->cls = RC_NL;
		return;
	case 0x2019: case 0x2018: case 0x02BC: case 0x00B4: case 0x2032:
		o->cls = RC_APOS;
		return;
	case 0x2010: case 0x2011:
		o->cls = RC_HYPHEN;
		return;
	case 0x2026:
		o->cls = RC_SENT;
		return;
	case 0x00AD: case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF:
		o->cls = RC_IGNORE;
		return;
	case 0xFF20: case 0xFE6B:
		o->cls = RC_OTHER;
		return;
	default:
		break;
	}
	if (cp == 0xFFFD || cp > 0x10FFFF) {
		o->cls = RC_OTHER;
		return;
	}
	utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);
	if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME) {
		o->cls = RC_MARK;
		return;
	}
	if (cat == UTF8PROC_CATEGORY_ZS) {
		o->cls = RC_SPACE;
		return;
	}
	if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_LO) {
		o->cls = RC_OTHER;
		return;
	}
	o->cls = (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT) ? RC_UPPER : RC_LOWER;
	if (cp == 0x0153 || cp == 0x0152 || cp == 0x00E6 || cp == 0x00C6) {
		/* œ, æ: the dictionary and people write "oe", "ae" */
		o->cls = (cp == 0x0152 || cp == 0x00C6) ? RC_UPPER : RC_LOWER;
		o->f[0] = (cp == 0x0153 || cp == 0x0152) ? 'o' : 'a';
		o->f[1] = 'e';
		o->flen = 2;
		return;
	}
	utf8proc_int32_t dst[8];
	int last = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, dst, 8,
		UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD, &last);
	if (n < 0 || n > 8) {
		n = 1;
		dst[0] = (utf8proc_int32_t)cp;
	}
	size_t fl = 0;
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		utf8proc_uint8_t b[4];
		utf8proc_ssize_t bl = utf8proc_encode_char(dst[i], b);
		if (bl <= 0 || fl + (size_t)bl > sizeof o->f)
			break;
		memcpy(o->f + fl, b, (size_t)bl);
		fl += (size_t)bl;
	}
	o->flen = (uint8_t)fl;
}

void rfr_cp_info(const rfr_engine *e, uint32_t cp, rfr_cpinfo *out)
{
	if (cp < RFR_LATIN_TABLE) {
		*out = e->latin[cp];
		return;
	}
	cp_compute(cp, out);
}

size_t rfr_word_at(const rfr_engine *e, const unsigned char *t, size_t len, size_t p, char *buf, size_t cap,
	size_t *flen, int *caps)
{
	size_t fl = 0, nl = 0, nu = 0, q = p;
	int first_up = 0;
	while (q < len) {
		uint32_t cp;
		size_t n = rfr_utf8(t, len, q, &cp);
		rfr_cpinfo ci;
		rfr_cp_info(e, cp, &ci);
		if (ci.cls == RC_LOWER || ci.cls == RC_UPPER) {
			if (nl == 0)
				first_up = ci.cls == RC_UPPER;
			nl++;
			nu += ci.cls == RC_UPPER;
			for (size_t i = 0; i < ci.flen; i++) {
				if (fl < cap)
					buf[fl] = ci.f[i];
				fl++;
			}
		} else if (ci.cls == RC_MARK || (ci.cls == RC_IGNORE && nl > 0)) {
			/* part of the word */
		} else {
			break;
		}
		q += n;
	}
	*flen = fl;
	*caps = nl == 0 ? 0 : (nu == nl && nl >= 2) ? 2 : first_up ? 1 : 0;
	return nl ? q : p;
}

/* ------------------------------------------------------------------ */
/* Lexicon                                                             */

static int lex_grow_slots(rfr_lexicon *lx, const rfr_alloc *a)
{
	size_t ns = lx->mask ? (lx->mask + 1) * 2 : 64;
	uint64_t *s = a->alloc(ns * sizeof *s);
	if (!s)
		return CV_ENOMEM;
	memset(s, 0, ns * sizeof *s);
	for (size_t i = 0; i < lx->n; i++) {
		size_t j = (size_t)lx->ent[i].h & (ns - 1);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = RFR_SLOT(lx->ent[i].h, i);
	}
	a->free(lx->slots);
	lx->slots = s;
	lx->mask = ns - 1;
	return 0;
}

int32_t rfr_lex_add(rfr_lexicon *lx, const rfr_alloc *a, const char *k, size_t n)
{
	uint64_t h = rfr_hash(k, n);
	int32_t i = rfr_lex_find(lx, k, n, h);
	if (i >= 0)
		return i;
	if ((lx->n + 1) * 2 > lx->mask + 1 && lex_grow_slots(lx, a))
		return -1;
	if (lx->n == lx->cap) {
		size_t nc = lx->cap ? lx->cap * 2 : 32;
		rfr_lexent *ne = a->realloc(lx->ent, nc * sizeof *ne);
		if (!ne)
			return -1;
		lx->ent = ne;
		lx->cap = nc;
	}
	if (lx->pool_n + n > lx->pool_cap) {
		size_t nc = lx->pool_cap ? lx->pool_cap : 512;
		while (nc < lx->pool_n + n)
			nc *= 2;
		char *np = a->realloc(lx->pool, nc);
		if (!np)
			return -1;
		lx->pool = np;
		lx->pool_cap = nc;
	}
	memcpy(lx->pool + lx->pool_n, k, n);
	rfr_lexent *x = &lx->ent[lx->n];
	memset(x, 0, sizeof *x);
	x->h = h;
	x->off = (uint32_t)lx->pool_n;
	x->len = (uint32_t)n;
	x->names = -1;
	x->learned = -1;
	lx->pool_n += n;
	size_t j = (size_t)h & lx->mask;
	while (lx->slots[j])
		j = (j + 1) & lx->mask;
	lx->slots[j] = RFR_SLOT(h, lx->n);
	return (int32_t)lx->n++;
}

void rfr_lex_free(rfr_lexicon *lx, const rfr_alloc *a)
{
	a->free(lx->ent);
	a->free(lx->slots);
	a->free(lx->pool);
	memset(lx, 0, sizeof *lx);
}

/* Fold a whole UTF-8 string into its word list; calls fn for each word. */
int rfr_fold_words(const rfr_engine *e, const char *s, size_t len, int (*fn)(void *ctx, const char *w, size_t n,
	int caps, size_t start, size_t end, int sep), void *ctx)
{
	const unsigned char *t = (const unsigned char *)s;
	size_t p = 0;
	int sep = 0; /* what separated this word from the previous: 0 none/space, 1 hyphen, 2 apostrophe, 3 other */
	char buf[128];
	while (p < len) {
		size_t fl;
		int caps;
		size_t q = rfr_word_at(e, t, len, p, buf, sizeof buf, &fl, &caps);
		if (q > p) {
			int rc = fn(ctx, buf, fl < sizeof buf ? fl : sizeof buf, caps, p, q, sep);
			if (rc)
				return rc;
			sep = 0;
			p = q;
			continue;
		}
		uint32_t cp;
		size_t n = rfr_utf8(t, len, p, &cp);
		rfr_cpinfo ci;
		rfr_cp_info(e, cp, &ci);
		if (ci.cls == RC_HYPHEN)
			sep = sep ? 3 : 1;
		else if (ci.cls == RC_APOS)
			sep = sep ? 3 : 2;
		else if (ci.cls != RC_SPACE)
			sep = 3;
		p += n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Static words                                                        */

typedef struct { const char *w; uint32_t flags; uint8_t v; } word_def;

/* Street types: v is the canonical id, so "bd" and "boulevard" compare equal. */
static const word_def WORDS[] = {
	{ "m", LX_CIV_M | LX_ABBR, 0 }, { "monsieur", LX_CIV_M, 0 }, { "mr", LX_CIV_M | LX_ABBR, 0 },
	{ "messieurs", LX_CIV_X, 0 }, { "mm", LX_CIV_X | LX_ABBR, 0 },
	{ "mme", LX_CIV_F | LX_ABBR, 0 }, { "madame", LX_CIV_F, 0 }, { "mlle", LX_CIV_F | LX_ABBR, 0 },
	{ "mademoiselle", LX_CIV_F, 0 }, { "mmes", LX_CIV_F | LX_ABBR, 0 }, { "mesdames", LX_CIV_F, 0 },
	{ "mesdemoiselles", LX_CIV_F, 0 },
	{ "me", LX_CIV_X | LX_ABBR, 0 }, { "maitre", LX_CIV_X, 0 }, { "dr", LX_CIV_X | LX_ABBR, 0 },
	{ "docteur", LX_CIV_X, 0 }, { "pr", LX_CIV_X | LX_ABBR, 0 }, { "professeur", LX_CIV_X, 0 },
	{ "et", LX_CONJ, 0 },
	/* cues: a capitalised word after these is a person's name */
	{ "avec", LX_CUE | LX_CUE_WEAK, 0 }, { "chez", LX_CUE | LX_CUE_WEAK, 0 }, { "camarade", LX_CUE, 0 }, { "camarades", LX_CUE, 0 },
	{ "voisin", LX_CUE, 0 }, { "voisine", LX_CUE, 0 }, { "voisins", LX_CUE, 0 }, { "voisines", LX_CUE, 0 },
	{ "ami", LX_CUE, 0 }, { "amie", LX_CUE, 0 }, { "amis", LX_CUE, 0 }, { "amies", LX_CUE, 0 },
	{ "copain", LX_CUE, 0 }, { "copine", LX_CUE, 0 }, { "copains", LX_CUE, 0 }, { "copines", LX_CUE, 0 },
	{ "famille", LX_CUE_STRONG, 0 }, { "compagnon", LX_CUE, 0 }, { "compagne", LX_CUE, 0 },
	{ "concubin", LX_CUE, 0 }, { "concubine", LX_CUE, 0 }, { "fiance", LX_CUE, 0 }, { "fiancee", LX_CUE, 0 },
	{ "conjoint", LX_CUE, 0 }, { "conjointe", LX_CUE, 0 }, { "mari", LX_CUE, 0 }, { "cousin", LX_CUE, 0 },
	{ "cousine", LX_CUE, 0 }, { "oncle", LX_CUE, 0 }, { "tante", LX_CUE, 0 }, { "frere", LX_CUE, 0 },
	{ "soeur", LX_CUE, 0 }, { "mere", LX_CUE | LX_LABEL, 0 }, { "pere", LX_CUE | LX_LABEL, 0 },
	{ "fils", LX_CUE, 0 }, { "fille", LX_CUE, 0 }, { "neveu", LX_CUE, 0 }, { "niece", LX_CUE, 0 },
	{ "parrain", LX_CUE, 0 }, { "marraine", LX_CUE, 0 }, { "nomme", LX_CUE_STRONG, 0 },
	{ "nommee", LX_CUE_STRONG, 0 }, { "prenomme", LX_CUE_STRONG, 0 }, { "prenommee", LX_CUE_STRONG, 0 },
	{ "denomme", LX_CUE_STRONG, 0 }, { "denommee", LX_CUE_STRONG, 0 }, { "nee", LX_CUE_STRONG, 0 },
	{ "epouse", LX_CUE_STRONG, 0 }, { "veuve", LX_CUE_STRONG, 0 }, { "alias", LX_CUE_STRONG, 0 },
	{ "dit", LX_CUE_STRONG, 0 }, { "dite", LX_CUE_STRONG, 0 }, { "educateur", LX_CUE, 0 },
	{ "educatrice", LX_CUE, 0 }, { "referent", LX_CUE, 0 }, { "referente", LX_CUE, 0 },
	{ "assistante", LX_CUE, 0 }, { "assistant", LX_CUE, 0 }, { "familiale", LX_CUE, 0 },
	{ "familial", LX_CUE, 0 }, { "psychologue", LX_CUE, 0 }, { "juge", LX_CUE, 0 }, { "avocat", LX_CUE, 0 },
	{ "avocate", LX_CUE, 0 }, { "tuteur", LX_CUE, 0 }, { "tutrice", LX_CUE, 0 }, { "nourrice", LX_CUE, 0 },
	{ "amoureux", LX_CUE, 0 }, { "amoureuse", LX_CUE, 0 },
	{ "demi", LX_CUE | LX_CUE_WEAK, 0 },
	{ "infirmiere", LX_CUE, 0 }, { "medecin", LX_CUE, 0 },
	{ "pediatre", LX_CUE, 0 }, { "directeur", LX_CUE, 0 }, { "directrice", LX_CUE, 0 },
	{ "maitresse", LX_CUE, 0 }, { "institutrice", LX_CUE, 0 }, { "instituteur", LX_CUE, 0 },
	{ "accueillant", LX_CUE, 0 }, { "accueillante", LX_CUE, 0 }, { "accueillie", LX_CUE, 0 },
	{ "accueilli", LX_CUE, 0 }, { "place", LX_STREET, 9 }, { "placee", LX_CUE | LX_CUE_WEAK, 0 },
	{ "nom", LX_LABEL, 0 }, { "noms", LX_LABEL, 0 }, { "prenom", LX_LABEL, 0 }, { "prenoms", LX_LABEL, 0 },
	{ "identite", LX_LABEL, 0 }, { "signataire", LX_LABEL, 0 }, { "redacteur", LX_LABEL, 0 },
	{ "redactrice", LX_LABEL, 0 },
	/* articles allowed between a cue and a name: chez les Durand */
	{ "les", LX_ARTICLE | LX_STOP, 0 }, { "la", LX_ARTICLE | LX_PARTICLE, 0 },
	{ "le", LX_ARTICLE | LX_PARTICLE, 0 }, { "l", LX_ARTICLE | LX_PARTICLE, 0 },
	/* particles of compound names */
	{ "de", LX_PARTICLE, 0 }, { "du", LX_PARTICLE, 0 }, { "des", LX_PARTICLE, 0 }, { "d", LX_PARTICLE, 0 },
	{ "da", LX_PARTICLE, 0 }, { "das", LX_PARTICLE, 0 }, { "dos", LX_PARTICLE, 0 }, { "di", LX_PARTICLE, 0 },
	{ "del", LX_PARTICLE, 0 }, { "della", LX_PARTICLE, 0 }, { "van", LX_PARTICLE, 0 },
	{ "von", LX_PARTICLE, 0 }, { "der", LX_PARTICLE, 0 }, { "den", LX_PARTICLE, 0 }, { "ben", LX_PARTICLE, 0 },
	{ "bin", LX_PARTICLE, 0 }, { "ibn", LX_PARTICLE, 0 }, { "el", LX_PARTICLE, 0 }, { "al", LX_PARTICLE, 0 },
	{ "ait", LX_PARTICLE, 0 }, { "mac", LX_PARTICLE, 0 }, { "o", LX_PARTICLE, 0 }, { "n", LX_PARTICLE, 0 },
	/* street types (v = canonical id) */
	{ "rue", LX_STREET, 1 }, { "avenue", LX_STREET, 2 }, { "av", LX_STREET | LX_ABBR, 2 },
	{ "ave", LX_STREET | LX_ABBR, 2 }, { "boulevard", LX_STREET, 3 }, { "bd", LX_STREET | LX_ABBR, 3 },
	{ "bld", LX_STREET | LX_ABBR, 3 }, { "blvd", LX_STREET | LX_ABBR, 3 }, { "impasse", LX_STREET, 4 },
	{ "imp", LX_STREET | LX_ABBR, 4 }, { "chemin", LX_STREET, 5 }, { "allee", LX_STREET, 6 },
	{ "allees", LX_STREET, 6 }, { "route", LX_STREET | LX_STREET_WEAK, 7 }, { "rte", LX_STREET | LX_ABBR, 7 },
	{ "cours", LX_STREET | LX_STREET_WEAK, 8 }, { "pl", LX_STREET | LX_ABBR, 9 }, { "quai", LX_STREET, 10 },
	{ "square", LX_STREET, 11 }, { "sq", LX_STREET | LX_ABBR, 11 }, { "residence", LX_STREET | LX_INSTIT, 12 },
	{ "res", LX_STREET | LX_ABBR, 12 }, { "lotissement", LX_STREET, 13 }, { "passage", LX_STREET | LX_STREET_WEAK, 14 },
	{ "voie", LX_STREET | LX_STREET_WEAK, 15 }, { "sentier", LX_STREET | LX_STREET_WEAK, 16 }, { "hameau", LX_STREET, 17 },
	{ "lieu", LX_STREET | LX_STREET_WEAK, 18 }, { "cite", LX_STREET | LX_STREET_WEAK, 19 }, { "faubourg", LX_STREET, 20 },
	{ "fbg", LX_STREET | LX_ABBR, 20 }, { "rond", LX_STREET | LX_STREET_WEAK, 21 }, { "esplanade", LX_STREET, 22 },
	{ "promenade", LX_STREET | LX_STREET_WEAK, 23 }, { "villa", LX_STREET | LX_STREET_WEAK, 24 }, { "parvis", LX_STREET, 25 },
	{ "chaussee", LX_STREET, 26 }, { "montee", LX_STREET | LX_STREET_WEAK, 27 }, { "clos", LX_STREET | LX_STREET_WEAK, 28 },
	{ "domaine", LX_STREET | LX_STREET_WEAK, 29 }, { "ruelle", LX_STREET, 30 }, { "mail", LX_STREET | LX_STREET_WEAK, 31 },
	{ "traverse", LX_STREET | LX_STREET_WEAK, 32 }, { "quartier", LX_STREET | LX_STREET_WEAK, 33 }, { "parc", LX_STREET | LX_STREET_WEAK | LX_INSTIT, 34 },
	{ "bis", LX_BIS, 0 }, { "ter", LX_BIS, 0 }, { "quater", LX_BIS, 0 }, { "cedex", LX_CEDEX, 0 },
	/* a name right after these is a place or an institution */
	{ "college", LX_INSTIT, 0 }, { "ecole", LX_INSTIT, 0 }, { "lycee", LX_INSTIT, 0 },
	{ "hopital", LX_INSTIT, 0 }, { "clinique", LX_INSTIT, 0 }, { "centre", LX_INSTIT, 0 },
	{ "foyer", LX_INSTIT, 0 }, { "maison", LX_INSTIT, 0 }, { "stade", LX_INSTIT, 0 },
	{ "gymnase", LX_INSTIT, 0 }, { "creche", LX_INSTIT, 0 }, { "mairie", LX_INSTIT, 0 },
	{ "eglise", LX_INSTIT, 0 }, { "gare", LX_INSTIT, 0 }, { "pont", LX_INSTIT, 0 },
	{ "institut", LX_INSTIT, 0 }, { "fondation", LX_INSTIT, 0 }, { "association", LX_INSTIT, 0 },
	{ "universite", LX_INSTIT, 0 }, { "faculte", LX_INSTIT, 0 }, { "tribunal", LX_INSTIT, 0 },
	{ "prefecture", LX_INSTIT, 0 }, { "salle", LX_INSTIT, 0 }, { "groupe", LX_INSTIT, 0 },
	{ "scolaire", LX_INSTIT, 0 }, { "maternelle", LX_INSTIT, 0 }, { "elementaire", LX_INSTIT, 0 },
	{ "primaire", LX_INSTIT, 0 }, { "professionnel", LX_INSTIT, 0 }, { "mecs", LX_INSTIT | LX_STOP, 0 },
	{ "ime", LX_INSTIT | LX_STOP, 0 }, { "itep", LX_INSTIT | LX_STOP, 0 }, { "hotel", LX_INSTIT, 0 },
	{ "square", LX_STREET, 11 }, { "complexe", LX_INSTIT, 0 }, { "piscine", LX_INSTIT, 0 },
	{ "bibliotheque", LX_INSTIT, 0 }, { "mediatheque", LX_INSTIT, 0 }, { "pavillon", LX_INSTIT, 0 },
	{ "service", LX_INSTIT, 0 }, { "pole", LX_INSTIT, 0 }, { "agence", LX_INSTIT, 0 },
	{ "mjc", LX_INSTIT | LX_STOP, 0 }, { "ehpad", LX_INSTIT | LX_STOP, 0 }, { "ccas", LX_INSTIT | LX_STOP, 0 },
	{ "cada", LX_INSTIT | LX_STOP, 0 }, { "chrs", LX_INSTIT | LX_STOP, 0 }, { "crous", LX_INSTIT | LX_STOP, 0 },
	{ "iut", LX_INSTIT | LX_STOP, 0 }, { "cfa", LX_INSTIT | LX_STOP, 0 }, { "chu", LX_INSTIT | LX_STOP, 0 },
	{ "ch", LX_INSTIT | LX_STOP, 0 }, { "cmp", LX_INSTIT | LX_STOP, 0 }, { "cmpp", LX_INSTIT | LX_STOP, 0 },
	{ "sessad", LX_INSTIT | LX_STOP, 0 }, { "lycee", LX_INSTIT, 0 }, { "club", LX_INSTIT, 0 },
	{ "cabinet", LX_INSTIT, 0 }, { "residence", LX_STREET | LX_INSTIT, 12 }, { "cinema", LX_INSTIT, 0 },
	{ "saint", LX_SAINT, 0 }, { "sainte", LX_SAINT, 0 }, { "st", LX_SAINT | LX_ABBR, 0 },
	{ "ste", LX_SAINT | LX_ABBR, 0 }, { "saints", LX_SAINT, 0 },
	/* months */
	{ "janvier", LX_MONTH, 1 }, { "janv", LX_MONTH | LX_ABBR, 1 }, { "fevrier", LX_MONTH, 2 },
	{ "fevr", LX_MONTH | LX_ABBR, 2 }, { "fev", LX_MONTH | LX_ABBR, 2 }, { "mars", LX_MONTH, 3 },
	{ "avril", LX_MONTH, 4 }, { "avr", LX_MONTH | LX_ABBR, 4 }, { "mai", LX_MONTH, 5 },
	{ "juin", LX_MONTH, 6 }, { "juillet", LX_MONTH, 7 }, { "juil", LX_MONTH | LX_ABBR, 7 },
	{ "aout", LX_MONTH, 8 }, { "septembre", LX_MONTH, 9 }, { "sept", LX_MONTH | LX_ABBR, 9 },
	{ "octobre", LX_MONTH, 10 }, { "oct", LX_MONTH | LX_ABBR, 10 }, { "novembre", LX_MONTH, 11 },
	{ "nov", LX_MONTH | LX_ABBR, 11 }, { "decembre", LX_MONTH, 12 }, { "dec", LX_MONTH | LX_ABBR, 12 },
	/* abbreviations whose dot does not end a sentence */
	{ "cf", LX_ABBR, 0 }, { "art", LX_ABBR, 0 }, { "p", LX_ABBR, 0 }, { "no", LX_ABBR, 0 },
	{ "tel", LX_ABBR, 0 }, { "ep", LX_ABBR | LX_CUE_STRONG, 0 }, { "vve", LX_ABBR | LX_CUE_STRONG, 0 },
	{ "ex", LX_ABBR, 0 }, { "env", LX_ABBR, 0 }, { "mlles", LX_ABBR | LX_CIV_F, 0 },
	/* capitalised words that are never a person's name */
	{ "le", LX_STOP, 0 }, { "un", LX_STOP, 0 }, { "une", LX_STOP, 0 }, { "il", LX_STOP, 0 },
	{ "elle", LX_STOP, 0 }, { "ils", LX_STOP, 0 }, { "elles", LX_STOP, 0 }, { "je", LX_STOP, 0 },
	{ "nous", LX_STOP, 0 }, { "vous", LX_STOP, 0 }, { "on", LX_STOP, 0 }, { "ce", LX_STOP, 0 },
	{ "cette", LX_STOP, 0 }, { "mais", LX_STOP, 0 }, { "ou", LX_STOP, 0 }, { "donc", LX_STOP, 0 },
	{ "aujourd", LX_STOP, 0 }, { "hui", LX_STOP, 0 }, { "ase", LX_STOP, 0 }, { "aemo", LX_STOP, 0 },
	{ "aed", LX_STOP, 0 }, { "pjj", LX_STOP, 0 }, { "caf", LX_STOP, 0 }, { "cmp", LX_STOP, 0 },
	{ "cmpp", LX_STOP, 0 }, { "mdph", LX_STOP, 0 }, { "jaf", LX_STOP, 0 }, { "opp", LX_STOP, 0 },
	{ "pmi", LX_STOP, 0 }, { "rsa", LX_STOP, 0 }, { "cdi", LX_STOP, 0 }, { "cdd", LX_STOP, 0 },
	{ "sms", LX_STOP, 0 }, { "tgi", LX_STOP, 0 }, { "sessad", LX_STOP, 0 }, { "tisf", LX_STOP, 0 },
	{ "odpe", LX_STOP, 0 }, { "crip", LX_STOP, 0 }, { "crpa", LX_STOP, 0 }, { "cnaop", LX_STOP, 0 },
	{ "maft", LX_STOP, 0 }, { "rgpd", LX_STOP, 0 }, { "cpam", LX_STOP, 0 }, { "samu", LX_STOP, 0 },
	{ "ief", LX_STOP, 0 }, { "cp", LX_STOP, 0 }, { "ce", LX_STOP, 0 }, { "cm", LX_STOP, 0 },
	{ "tel", LX_STOP, 0 }, { "mail", LX_STREET | LX_STREET_WEAK, 31 }, { "email", LX_STOP, 0 }, { "nir", LX_STOP, 0 },
	{ "iban", LX_STOP, 0 }, { "ppe", LX_STOP, 0 }, { "dap", LX_STOP, 0 }, { "ordonnance", LX_STOP, 0 },
	{ "objet", LX_STOP, 0 }, { "fr", LX_STOP, 0 }, { "cedex", LX_STOP, 0 }, { "bp", LX_STOP, 0 },
	{ "cs", LX_STOP, 0 }, { "ok", LX_STOP, 0 }, { "tv", LX_STOP, 0 }, { "aide", LX_STOP, 0 },
	{ "conseil", LX_STOP, 0 }, { "departement", LX_STOP, 0 }, { "departemental", LX_STOP, 0 },
	{ "france", LX_STOP, 0 }, { "paris", LX_STOP, 0 }, { "noel", LX_STOP, 0 }, { "toussaint", LX_STOP, 0 },
	{ "paques", LX_STOP, 0 }, { "dieu", LX_STOP, 0 }, { "internet", LX_STOP, 0 }, { "facebook", LX_STOP, 0 },
	{ "snapchat", LX_STOP, 0 }, { "instagram", LX_STOP, 0 }, { "whatsapp", LX_STOP, 0 },
	{ "tiktok", LX_STOP, 0 }, { "youtube", LX_STOP, 0 }, { "google", LX_STOP, 0 },
};

/* Places (cities, départements, regions, countries): capitalised words that
 * are not people unless the register says so. */
static const char *const PLACES[] = {
	"lyon", "paris", "marseille", "toulouse", "nice", "nantes", "strasbourg", "montpellier", "bordeaux", "lille",
	"rennes", "reims", "toulon", "grenoble", "dijon", "angers", "nimes", "villeurbanne", "clermont", "limoges",
	"tours", "amiens", "metz", "besancon", "perpignan", "orleans", "rouen", "mulhouse", "caen", "nancy",
	"argenteuil", "montreuil", "roubaix", "tourcoing", "avignon", "poitiers", "pau", "calais", "cannes",
	"antibes", "ajaccio", "bastia", "venissieux", "vaulx", "velin", "bron", "villefranche", "chambery",
	"annecy", "valence", "vienne", "givors", "oullins", "rillieux", "decines", "meyzieu", "caluire", "ecully",
	"tassin", "bourgoin", "oyonnax", "macon", "roanne", "firminy", "montbrison", "brest", "lorient", "vannes",
	"quimper", "saint", "rhone", "alpes", "savoie", "isere", "loire", "ain", "drome", "ardeche", "bretagne",
	"normandie", "provence", "corse", "alsace", "lorraine", "bourgogne", "auvergne", "occitanie", "aquitaine",
	"picardie", "champagne", "ardenne", "gironde", "herault", "gard", "vaucluse", "var", "doubs", "jura",
	"europe", "afrique", "algerie", "maroc", "tunisie", "senegal", "mali", "portugal", "espagne", "italie",
	"turquie", "roumanie", "cameroun", "comores", "guyane", "reunion", "martinique", "guadeloupe", "mayotte",
	"belgique", "suisse", "allemagne", "angleterre", "londres", "bruxelles", "geneve", "alger", "oran",
	"casablanca", "tunis", "dakar", "bamako", "abidjan", "kinshasa", "syrie", "afghanistan", "ukraine",
	"russie", "chine", "armenie", "georgie", "albanie", "kosovo", "serbie", "pologne", "haiti", "congo",
	"guinee", "cote", "ivoire", "mauritanie", "egypte", "libye", "soudan", "erythree", "somalie", "ethiopie",
	"nigeria", "tchad", "niger", "burkina", "faso", "madagascar", "maurice", "seine", "marne", "oise",
	"yvelines", "essonne", "hauts", "bouches", "pyrenees", "dome", "cedex", "francais", "francaise",
	NULL,
};

static int add_static(rfr_engine *e)
{
	for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
		int32_t k = rfr_lex_add(&e->lx, &e->a, WORDS[i].w, strlen(WORDS[i].w));
		if (k < 0)
			return CV_ENOMEM;
		rfr_lexent *x = &e->lx.ent[k];
		x->flags |= WORDS[i].flags;
		if (WORDS[i].flags & LX_MONTH)
			x->month = WORDS[i].v;
		if (WORDS[i].flags & LX_STREET)
			x->street = WORDS[i].v;
	}
	for (size_t i = 0; PLACES[i]; i++) {
		int32_t k = rfr_lex_add(&e->lx, &e->a, PLACES[i], strlen(PLACES[i]));
		if (k < 0)
			return CV_ENOMEM;
		e->lx.ent[k].flags |= LX_STOP | LX_PLACE;
	}
	for (size_t i = 0; rfr_first_names[i]; i++) {
		const char *s = rfr_first_names[i];
		const char *colon = strrchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		uint8_t g = colon ? (colon[1] == 'M' ? 1 : colon[1] == 'F' ? 2 : 3) : 3;
		/* compound first names (Jean-Pierre) are registered as their word
		 * sequence by sessions; the lexicon knows each single word */
		const unsigned char *t = (const unsigned char *)s;
		size_t p = 0;
		char buf[64];
		int nwords = 0;
		while (p < n) {
			size_t fl;
			int caps;
			size_t q = rfr_word_at(e, t, n, p, buf, sizeof buf, &fl, &caps);
			if (q == p) {
				p++;
				continue;
			}
			nwords++;
			p = q;
		}
		if (nwords != 1)
			continue; /* compound: its parts are first names already */
		size_t fl;
		int caps;
		rfr_word_at(e, t, n, 0, buf, sizeof buf, &fl, &caps);
		int32_t k = rfr_lex_add(&e->lx, &e->a, buf, fl < sizeof buf ? fl : sizeof buf);
		if (k < 0)
			return CV_ENOMEM;
		rfr_lexent *x = &e->lx.ent[k];
		x->flags |= LX_FIRST;
		x->gender |= g;
	}
	for (size_t i = 0; i < e->lx.n; i++) {
		rfr_lexent *x = &e->lx.ent[i];
		x->isdict = (uint8_t)rfr_dict_has(e, e->lx.pool + x->off, x->len);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dictionary                                                          */

int rfr_dict_has(const rfr_engine *e, const char *k, size_t n)
{
	if (!e->dict)
		return 0;
	uint64_t h = rfr_hash(k, n);
	size_t j = (size_t)h & e->dict_mask;
	while (e->dict[j]) {
		if (e->dict[j] == h)
			return 1;
		j = (j + 1) & e->dict_mask;
	}
	return 0;
}

static int dict_insert(rfr_engine *e, uint64_t h)
{
	size_t j = (size_t)h & e->dict_mask;
	while (e->dict[j]) {
		if (e->dict[j] == h)
			return 0;
		j = (j + 1) & e->dict_mask;
	}
	e->dict[j] = h;
	e->dict_n++;
	return 1;
}

static int utf8_valid(const unsigned char *t, size_t n)
{
	for (size_t p = 0; p < n;) {
		uint32_t cp;
		size_t l = rfr_utf8(t, n, p, &cp);
		if (cp == 0xFFFD && !(l == 3 && t[p] == 0xEF))
			return 0;
		p += l;
	}
	return 1;
}

static int load_dict(rfr_engine *e, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0; /* no dictionary: reported by rfr_engine_dict_words() */
	size_t cap = 1 << 22, n = 0;
	unsigned char *buf = e->a.alloc(cap);
	if (!buf) {
		fclose(f);
		return CV_ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= ((size_t)1 << 30)) {
				e->a.free(buf);
				fclose(f);
				if (err)
					snprintf(err, errlen, "redact-fr: dictionary %s is larger than 1 GiB", path);
				return CV_EINVAL;
			}
			unsigned char *nb = e->a.realloc(buf, cap * 2);
			if (!nb) {
				e->a.free(buf);
				fclose(f);
				return CV_ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	int latin1 = !utf8_valid(buf, n);
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	size_t slots = 1024;
	while (slots < lines * 2)
		slots *= 2;
	e->dict = e->a.alloc(slots * sizeof *e->dict);
	if (!e->dict) {
		e->a.free(buf);
		return CV_ENOMEM;
	}
	memset(e->dict, 0, slots * sizeof *e->dict);
	e->dict_mask = slots - 1;
	char w[128];
	unsigned char line[512];
	size_t p = 0;
	while (p < n) {
		size_t q = p;
		while (q < n && buf[q] != '\n')
			q++;
		size_t ll = q - p;
		while (ll && (buf[p + ll - 1] == '\r' || buf[p + ll - 1] == ' '))
			ll--;
		const unsigned char *src = buf + p;
		if (latin1) {
			/* ISO-8859-1 -> UTF-8 */
			size_t o = 0;
			for (size_t i = 0; i < ll && o + 2 < sizeof line; i++) {
				unsigned char c = src[i];
				if (c < 0x80) {
					line[o++] = c;
				} else {
					line[o++] = (unsigned char)(0xC0 | (c >> 6));
					line[o++] = (unsigned char)(0x80 | (c & 0x3F));
				}
			}
			src = line;
			ll = o;
		}
		/* single words only: "abat-jour" never matches one token */
		size_t fl;
		int caps;
		size_t end = rfr_word_at(e, src, ll, 0, w, sizeof w, &fl, &caps);
		if (end == ll && ll > 0 && fl <= sizeof w && caps == 0)
			dict_insert(e, rfr_hash(w, fl));
		p = q + 1;
	}
	e->a.free(buf);
	return 0;
}

/* ------------------------------------------------------------------ */

static void *libc_alloc(size_t n) { return malloc(n ? n : 1); }
static void *libc_realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
static void libc_free(void *p) { free(p); }

int rfr_engine_new(rfr_engine **out, const char *dict_path, const rfr_alloc *a, char *err, size_t errlen)
{
	static const rfr_alloc libc = { libc_alloc, libc_realloc, libc_free };
	if (!a)
		a = &libc;
	*out = NULL;
	rfr_engine *e = a->alloc(sizeof *e);
	if (!e)
		return CV_ENOMEM;
	memset(e, 0, sizeof *e);
	e->a = *a;
	for (uint32_t cp = 0; cp < RFR_LATIN_TABLE; cp++)
		cp_compute(cp, &e->latin[cp]);
	int rc = load_dict(e, dict_path ? dict_path : "/usr/share/dict/french", err, errlen);
	if (rc == 0)
		rc = add_static(e);
	if (rc) {
		if (rc == CV_ENOMEM && err)
			snprintf(err, errlen, "redact-fr: out of memory");
		rfr_engine_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void rfr_engine_free(rfr_engine *e)
{
	if (!e)
		return;
	rfr_alloc a = e->a;
	a.free(e->dict);
	rfr_lex_free(&e->lx, &a);
	a.free(e);
}

size_t rfr_engine_dict_words(const rfr_engine *e)
{
	return e ? e->dict_n : 0;
}
