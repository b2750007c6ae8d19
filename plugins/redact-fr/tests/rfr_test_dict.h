/* The redact-fr unit tests' word list: a small dictionary written by the
 * test, so that results do not depend on the machine's word list, and the
 * engine built on it (shared by test_redact_fr.c and
 * test_redact_fr_numbers.c; header-only, one copy per test program). */
#ifndef RFR_TEST_DICT_H
#define RFR_TEST_DICT_H

#include <stdio.h>
#include <unistd.h>

#include "redact_fr.h"

static const char *MINI_DICT[] = { "le", "la", "les", "de", "du", "des", "et", "un", "une", "il", "elle", "est",
	"a", "petit", "petite", "blanc", "roux", "rose", "pierre", "claire", "marie", "martin", "bernard", "avec",
	"chez", "son", "sa", "ami", "amie", "voisine", "voisin", "camarade", "famille", "mère", "père", "garçon",
	"mur", "cheveux", "rapport", "selon", "vu", "venu", "venue", "dit", "habite", "fils", "fille", "école",
	"juge", "enfant", "ans", "place", "rue", "avenue", "à", "au", "en", "pour", "par", "sur", "ce", "jour",
	"plus", "tard", "est", "revenu", "joue", "souvent", "appartement", "boulanger", "lyon", "né", "née",
	"nom", "prénom", "mme", "tribunal", "enfants", "hôpital", "élève", "été", "vers", "qui", "drap", "nous", "vu",
	"procédure", "concernant", "entendu", "compagnon", "attendu", "que", "juge", "obligations", "indique", "sale",
	"conteste", "fait", "rappelé", "vouloir", "déménager", "blanche", NULL };

/* Write MINI_DICT then `more` (NULL-terminated, may be NULL) to a file named
 * after `tag` and the process, into path; 0 or -1. */
static int rfr_test_dict_write(char *path, size_t cap, const char *tag, const char *const *more)
{
	snprintf(path, cap, "/tmp/rfr-test-%s-%ld.txt", tag, (long)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t i = 0; MINI_DICT[i]; i++)
		fprintf(f, "%s\n", MINI_DICT[i]);
	for (size_t i = 0; more && more[i]; i++)
		fprintf(f, "%s\n", more[i]);
	return fclose(f) ? -1 : 0;
}

/* The engine on that word list; 0 or -1. */
static int rfr_test_engine(rfr_engine **e, char *path, size_t cap, const char *tag, const char *const *more)
{
	char err[256];
	if (rfr_test_dict_write(path, cap, tag, more))
		return -1;
	return rfr_engine_new(e, path, NULL, err, sizeof err) == 0 ? 0 : -1;
}

#endif
