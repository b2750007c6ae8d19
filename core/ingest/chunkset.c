/* Open-addressing hash set of chunk hashes (already uniformly random, so the
 * first 8 bytes serve as the slot hash). */
#include "ingest/ingest_model.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const unsigned char h[32], size_t nslots)
{
	uint64_t v;
	memcpy(&v, h, sizeof v);
	return (size_t)(v & (nslots - 1));
}

size_t cv__chunkset_find(const cv_chunkset *s, const unsigned char h[32])
{
	if (!s->nslots)
		return (size_t)-1;
	for (size_t i = slot_of(h, s->nslots);; i = (i + 1) & (s->nslots - 1)) {
		size_t k = s->slots[i];
		if (!k)
			return (size_t)-1;
		if (!memcmp(s->keys[k - 1], h, 32))
			return k - 1;
	}
}

static int rehash(cv_chunkset *s, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof *slots);
	if (!slots)
		return cv__oom();
	for (size_t k = 0; k < s->n; k++) {
		size_t i = slot_of(s->keys[k], nslots);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = k + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	return 0;
}

int cv__chunkset_add(cv_chunkset *s, const unsigned char h[32], const git_oid *oid)
{
	if ((s->n + 1) * 2 > s->nslots) {
		size_t ns = s->nslots ? s->nslots * 2 : 64;
		unsigned char(*keys)[32] = realloc(s->keys, ns / 2 * sizeof *keys);
		if (!keys)
			return cv__oom();
		s->keys = keys;
		git_oid *oids = realloc(s->oids, ns / 2 * sizeof *oids);
		if (!oids)
			return cv__oom();
		s->oids = oids;
		CV_TRY(rehash(s, ns));
	}
	memcpy(s->keys[s->n], h, 32);
	git_oid_cpy(&s->oids[s->n], oid);
	s->n++;
	size_t i = slot_of(h, s->nslots);
	while (s->slots[i])
		i = (i + 1) & (s->nslots - 1);
	s->slots[i] = s->n;
	return 0;
}

void cv__chunkset_free(cv_chunkset *s)
{
	free(s->keys);
	free(s->oids);
	free(s->slots);
	memset(s, 0, sizeof *s);
}
