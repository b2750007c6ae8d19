/*
 * redact-fr — the lexicon: a hash table of folded words with their roles
 * (civility, cue, particle, street type, month, first name, place, kinship
 * word, everyday word that is also a name, verb...), and the words every
 * engine knows from the start. The engine's lexicon is filled once; a
 * session's grows with its register and what it learns.
 */
#include "rfr_internal.h"
#include "rfr_lex.h"

#include <stdlib.h>

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
	rfr_lexent *ne = rfr_array_grow(a, lx->ent, &lx->cap, lx->n + 1, sizeof *ne, 32);
	if (!ne)
		return -1;
	lx->ent = ne;
	if (lx->pool_n + n > lx->pool_cap) {
		char *np = rfr_array_grow(a, lx->pool, &lx->pool_cap, lx->pool_n + n, 1, 512);
		if (!np)
			return -1;
		lx->pool = np;
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

/* ------------------------------------------------------------------ */
/* Static words                                                        */

/* Roles a kinship word designates, by its WORDS value (0: none). */
static const uint16_t KIN[] = {
	0, R_MOTHER, R_FATHER, R_SIBLING, R_CHILD | R_SIBLING, R_GRAND, R_FOSTER, R_EDUC, R_JUDGE, R_PSY,
	R_MED | R_PSY, R_LAWYER, R_RELATIVE
};

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
	{ "familial", LX_CUE, 0 }, { "psychologue", LX_CUE, 0 }, { "juge", LX_CUE | LX_CUE_STRONG | LX_TITLE, 0 },
	{ "avocat", LX_CUE, 0 },
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
	/* kinship words and roles: who the name right after them is (v indexes KIN below) */
	{ "maman", LX_KIN, 1 }, { "papa", LX_KIN, 2 }, { "mamie", LX_KIN, 5 }, { "mamy", LX_KIN, 5 },
	{ "papi", LX_KIN, 5 }, { "papy", LX_KIN, 5 }, { "jumeau", LX_KIN | LX_CUE, 3 },
	{ "jumelle", LX_KIN | LX_CUE, 3 }, { "magistrat", LX_KIN | LX_CUE | LX_CUE_STRONG | LX_TITLE, 8 },
	{ "magistrate", LX_KIN | LX_CUE | LX_CUE_STRONG | LX_TITLE, 8 }, { "psychiatre", LX_KIN | LX_CUE, 10 },
	{ "presidente", LX_TITLE, 8 }, { "president", LX_TITLE, 8 }, { "procureur", LX_TITLE | LX_KIN, 8 },
	{ "procureure", LX_TITLE | LX_KIN, 8 }, { "substitut", LX_TITLE | LX_KIN, 8 },
	/* a verb or a pronoun of apposition right after a capitalised word at a sentence start: it is the subject,
	 * a person ("Petit a noté", "Louis, lui, refuse"), not the word (Petit à petit, Rose des vents) */
	{ "a", LX_VERB, 0 }, { "avait", LX_VERB, 0 }, { "aura", LX_VERB, 0 }, { "est", LX_VERB, 0 },
	{ "etait", LX_VERB, 0 }, { "sera", LX_VERB, 0 }, { "n", LX_VERB | LX_PARTICLE, 0 }, { "ne", LX_VERB, 0 },
	{ "dit", LX_VERB | LX_CUE_STRONG, 0 }, { "estime", LX_VERB, 0 }, { "rappelle", LX_VERB, 0 },
	{ "propose", LX_VERB, 0 }, { "pense", LX_VERB, 0 }, { "indique", LX_VERB, 0 }, { "souligne", LX_VERB, 0 },
	{ "explique", LX_VERB, 0 }, { "refuse", LX_VERB, 0 }, { "confirme", LX_VERB, 0 }, { "affirme", LX_VERB, 0 },
	{ "signale", LX_VERB, 0 }, { "souhaite", LX_VERB, 0 }, { "demande", LX_VERB, 0 }, { "reste", LX_VERB, 0 },
	{ "vient", LX_VERB, 0 }, { "va", LX_VERB, 0 }, { "fait", LX_VERB, 0 }, { "doit", LX_VERB, 0 },
	{ "peut", LX_VERB, 0 }, { "veut", LX_VERB, 0 }, { "note", LX_VERB, 0 }, { "constate", LX_VERB, 0 },
	{ "observe", LX_VERB, 0 }, { "evoque", LX_VERB, 0 }, { "raconte", LX_VERB, 0 }, { "ajoute", LX_VERB, 0 },
	{ "accompagne", LX_VERB, 0 }, { "recoit", LX_VERB, 0 }, { "semble", LX_VERB, 0 }, { "se", LX_VERB, 0 },
	{ "s", LX_VERB, 0 }, { "lui", LX_VERB, 0 }, { "elle", LX_VERB | LX_STOP, 0 }, { "pleure", LX_VERB, 0 },
	{ "sourit", LX_VERB, 0 }, { "arrive", LX_VERB, 0 }, { "part", LX_VERB, 0 }, { "appelle", LX_VERB, 0 },
	{ "telephone", LX_VERB, 0 }, { "ecrit", LX_VERB, 0 }, { "precise", LX_VERB, 0 }, { "declare", LX_VERB, 0 },
	{ "assure", LX_VERB, 0 }, { "participe", LX_VERB, 0 }, { "joue", LX_VERB, 0 }, { "vit", LX_VERB, 0 },
	{ "habite", LX_VERB, 0 }, { "travaille", LX_VERB, 0 },
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


/* Cue words that are also kinship words or roles: { word, KIN index }. */
static const struct { const char *w; uint8_t v; } KIN_WORDS[] = {
	{ "mere", 1 }, { "pere", 2 }, { "frere", 3 }, { "soeur", 3 }, { "fils", 4 }, { "fille", 4 },
	{ "assistante", 6 }, { "assistant", 6 }, { "familiale", 6 }, { "familial", 6 }, { "accueillant", 6 },
	{ "accueillante", 6 }, { "nourrice", 6 }, { "educateur", 7 }, { "educatrice", 7 }, { "referent", 7 },
	{ "referente", 7 }, { "juge", 8 }, { "psychologue", 9 }, { "medecin", 10 }, { "pediatre", 10 },
	{ "docteur", 10 }, { "dr", 10 }, { "avocat", 11 }, { "avocate", 11 }, { "maitre", 11 }, { "me", 11 },
	{ "oncle", 12 }, { "tante", 12 },
};

/* Everyday words that are also names: only these stay unredacted, flagged, when a capital at a sentence start
 * is all there is ("Petit à petit", "Rose est sa couleur"); a rarer dictionary word that is a registered name
 * (Rousseau, Louis) is the person wherever it stands. */
static const char *const COMMON[] = {
	"petit", "petite", "grand", "grande", "gros", "blanc", "blanche", "noir", "noire", "rose", "roux", "rousse",
	"brun", "brune", "vert", "bon", "bonne", "beau", "belle", "fort", "clair", "claire", "franc", "jeune",
	"vieux", "court", "long", "doux", "gentil", "pierre", "fontaine", "boulanger", "boucher", "berger",
	"marchand", "charpentier", "meunier", "mercier", "barbier", "chevalier", "renard", "loup", "lapin",
	"bois", "fleur", "perle", "jade", "ambre", "marine", "olive", "aurore", "violette", "capucine", "prudence",
	"constance", "colombe", "lys", "riviere", "roche", "sauvage", "bonnet", "page", "masse", "aime", "desire",
	"parfait", "sage", "simple", "poisson", "mouton", "lion", "ange", "leger", "carre", "grange", "moulin",
	"chene", "vigne", "poirier", "pommier", "noyer", "rocher", "lac", "bouvier", "fournier",
	NULL,
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

int rfr_lex_add_static(rfr_engine *e)
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
		if (WORDS[i].flags & LX_KIN)
			x->kin = KIN[WORDS[i].v];
	}
	for (size_t i = 0; i < sizeof KIN_WORDS / sizeof KIN_WORDS[0]; i++) {
		int32_t k = rfr_lex_add(&e->lx, &e->a, KIN_WORDS[i].w, strlen(KIN_WORDS[i].w));
		if (k < 0)
			return CV_ENOMEM;
		e->lx.ent[k].flags |= LX_KIN;
		e->lx.ent[k].kin |= KIN[KIN_WORDS[i].v];
	}
	for (size_t i = 0; COMMON[i]; i++) {
		int32_t k = rfr_lex_add(&e->lx, &e->a, COMMON[i], strlen(COMMON[i]));
		if (k < 0)
			return CV_ENOMEM;
		e->lx.ent[k].flags |= LX_COMMON;
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
