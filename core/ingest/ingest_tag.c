/* The input tag of an ingest: a keyed digest of everything the bundle said
 * (case fields, persons, measures, documents with their chunk hashes, the
 * sealed identity). An ingest whose tag equals the one stored for the case
 * by its last ingest changes nothing: no version, no commit. Keyed by the
 * case key (it would otherwise confirm a guess of a person's data), and
 * independent of the order of persons and documents in case.json. */
#include "ingest/ingest_model.h"

#include <stdlib.h>
#include <string.h>

static int put_str(cv_hmac *h, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
	unsigned char len[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };
	CV_TRY(cv__hmac_update(h, len, 4));
	return s ? cv__hmac_update(h, s, n) : 0;
}

static int digest_cmp(const void *x, const void *y)
{
	return memcmp(x, y, 32);
}

/* One digest per person and per document, sorted, then fed in order. */
static int person_digest(cv_hmac *h, const cv_person *p, unsigned char out[32])
{
	char *json = cv__person_to_json(p);
	if (!json)
		return cv__oom();
	int rc = cv__hmac_reset(h);
	if (!rc)
		rc = put_str(h, json);
	if (!rc)
		rc = cv__hmac_final(h, out);
	cv__wipe(json, strlen(json));
	free(json);
	return rc;
}

static int doc_digest(cv_hmac *h, const cv_ingest *t, const cv_ingest_doc *d, unsigned char out[32])
{
	CV_TRY(cv__hmac_reset(h));
	const char *f[] = { d->path, d->title, d->date, d->type };
	for (size_t i = 0; i < 4; i++)
		CV_TRY(put_str(h, f[i]));
	for (size_t i = 0; i < d->nconcerns; i++)
		CV_TRY(put_str(h, d->concerns[i]));
	CV_TRY(put_str(h, "chunks"));
	CV_TRY(cv__hmac_update(h, t->hashes + d->first, 32 * d->nchunks));
	return cv__hmac_final(h, out);
}

static int sorted_digests(cv_hmac *h, const cv_ingest *t, unsigned char (**out)[32])
{
	size_t n = t->npersons + t->ndocs;
	unsigned char (*dg)[32] = malloc((n ? n : 1) * sizeof *dg);
	if (!dg)
		return cv__oom();
	int rc = 0;
	for (size_t i = 0; !rc && i < t->npersons; i++)
		rc = person_digest(h, &t->persons[i], dg[i]);
	for (size_t i = 0; !rc && i < t->ndocs; i++)
		rc = doc_digest(h, t, &t->docs[i], dg[t->npersons + i]);
	if (rc) {
		free(dg);
		return rc;
	}
	qsort(dg, t->npersons, 32, digest_cmp);
	qsort(dg + t->npersons, t->ndocs, 32, digest_cmp);
	*out = dg;
	return 0;
}

int cv__ingest_input_tag(cv_ingest *t, unsigned char tag[32])
{
	unsigned char key[32];
	static const char label[] = "casevault/v1 input-tag";
	CV_TRY(cv__hmac_sha256(key, t->key.k_hash, 32, label, sizeof label - 1));
	cv_hmac *h = NULL;
	int rc = cv__hmac_new(&h, key, sizeof key);
	cv__wipe(key, sizeof key);
	if (rc)
		return rc;
	unsigned char (*dg)[32] = NULL;
	rc = sorted_digests(h, t, &dg);
	if (!rc)
		rc = cv__hmac_reset(h);
	const char *cf[] = { t->c.ref, t->c.category, t->c.opened, t->c.closed, t->c.territory };
	for (size_t i = 0; !rc && i < 5; i++)
		rc = put_str(h, cf[i]);
	for (size_t i = 0; !rc && i < t->nmeasures; i++) {
		const cv_measure *m = &t->measures[i];
		const char *mf[] = { m->type, m->basis, m->start, m->end };
		for (size_t j = 0; !rc && j < 4; j++)
			rc = put_str(h, mf[j]);
	}
	if (!rc)
		rc = put_str(h, "persons+documents");
	if (!rc)
		rc = cv__hmac_update(h, dg, 32 * (t->npersons + t->ndocs));
	if (!rc)
		rc = put_str(h, t->has_sealed ? "sealed" : "no sealed identity");
	if (!rc && t->has_sealed)
		rc = cv__hmac_update(h, t->sealed_plain.data, t->sealed_plain.len);
	if (!rc)
		rc = cv__hmac_final(h, tag);
	cv__hmac_free(h);
	free(dg);
	return rc;
}
