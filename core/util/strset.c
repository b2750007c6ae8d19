#include "util/strset.h"
#include "util/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

/* Slot holding `str`, or the empty slot where it would go. */
static size_t probe(const char **slots, size_t nslots, const char *str)
{
	size_t i = hash_of(str) & (nslots - 1);
	while (slots[i] && strcmp(slots[i], str))
		i = (i + 1) & (nslots - 1);
	return i;
}

int cv__strset_has(const cv_strset *s, const char *str)
{
	return s->nslots && s->slots[probe(s->slots, s->nslots, str)] != NULL;
}

int cv__strset_add(cv_strset *s, const char *str)
{
	if ((s->n + 1) * 2 > s->nslots) {
		size_t ns = s->nslots ? s->nslots * 2 : 64;
		const char **slots = calloc(ns, sizeof *slots);
		if (!slots)
			return cv__oom();
		for (size_t i = 0; i < s->nslots; i++)
			if (s->slots[i])
				slots[probe(slots, ns, s->slots[i])] = s->slots[i];
		free(s->slots);
		s->slots = slots;
		s->nslots = ns;
	}
	size_t i = probe(s->slots, s->nslots, str);
	if (s->slots[i])
		return 0;
	s->slots[i] = str;
	s->n++;
	return 1;
}

void cv__strset_free(cv_strset *s)
{
	free(s->slots);
	s->slots = NULL;
	s->n = s->nslots = 0;
}
