/* The vocabulary of bundle.md (vocab.h). */
#include "util/vocab.h"

#include <stddef.h>
#include <string.h>

const cv_term cv__categories[] = {
	{ "prevention", "Prévention", "prévention" },
	{ "information_preoccupante", "Information préoccupante", "information préoccupante" },
	{ "aide_educative", "Aide éducative (AED/AEMO)", "aide éducative (AED/AEMO)" },
	{ "placement", "Placement", "placement" },
	{ "jeune_majeur", "Contrat jeune majeur", "contrat jeune majeur" },
	{ "pupille", "Pupille de l'État", "pupille de l'État" },
	{ "adoption", "Adoption", "adoption" },
	{ "secret_birth", "Accouchement sous le secret", "accouchement sous le secret" },
	{ NULL, NULL, NULL },
};

const cv_term cv__person_roles[] = {
	{ "child", "Enfant", "enfant" },
	{ "mother", "Mère", "mère" },
	{ "father", "Père", "père" },
	{ "parent", "Parent", "parent" },
	{ "sibling", "Frère ou sœur", "frère ou sœur" },
	{ "relative", "Membre de la famille", "membre de la famille" },
	{ "foster_carer", "Assistant familial", "assistant familial" },
	{ "reporter", "Auteur d'un signalement", "auteur d'un signalement" },
	{ "professional", "Professionnel", "professionnel" },
	{ "other", "Autre personne", "autre personne" },
	{ NULL, NULL, NULL },
};

const char *const cv__category_codes[] = { "prevention", "information_preoccupante", "aide_educative", "placement",
	"jeune_majeur", "pupille", "adoption", "secret_birth", NULL };
const char *const cv__role_codes[] = { "child", "mother", "father", "parent", "sibling", "relative", "foster_carer",
	"reporter", "professional", "other", NULL };

const cv_term *cv__term(const cv_term *list, const char *code)
{
	for (size_t i = 0; code && list[i].code; i++)
		if (!strcmp(list[i].code, code))
			return &list[i];
	return NULL;
}

int cv__valid_category(const char *s)
{
	return cv__term(cv__categories, s) != NULL;
}

int cv__valid_role(const char *s)
{
	return cv__term(cv__person_roles, s) != NULL;
}

int cv__permanent_category(const char *s)
{
	return s && (!strcmp(s, "secret_birth") || !strcmp(s, "pupille") || !strcmp(s, "adoption"));
}

const char *cv__path_problem(const char *p)
{
	if (!*p)
		return "is empty";
	if (p[0] == '/')
		return "is absolute";
	if (strlen(p) > 1024)
		return "is longer than 1024 bytes";
	const char *s = p;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0)
			return "has an empty segment";
		if (n == 2 && !strncmp(s, "..", 2))
			return "contains '..' (escapes the bundle)";
		if (n == 1 && s[0] == '.')
			return "contains a '.' segment";
		s = e ? e + 1 : s + n;
	}
	for (s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '\\' || *s == 0x7f)
			return "contains a control character or a backslash";
	return NULL;
}
