/* Revision tags (revtag.h). */
#include "util/json.h"
#include "records/revtag.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

static const char SQL_REV_HASHES[] = "SELECT hash FROM rev_chunks WHERE case_id=? AND doc_id=? AND rev=? ORDER BY seq";
static const char SQL_REV_ROW[] = "SELECT size, nchunks, tag FROM revisions WHERE case_id=? AND doc_id=? AND rev=?";

int cv__rev_tag(unsigned char tag[32], const cv_case_key *k, const char *case_id, const char *doc_id, unsigned rev,
	uint64_t size, const unsigned char (*hashes)[32], size_t n)
{
	cv_buf b = CV_BUF_INIT;
	int rc = cv__buf_put(&b, "casevault-revision-v1", 21);
	if (!rc)
		rc = cv__buf_put_field(&b, case_id, strlen(case_id));
	if (!rc)
		rc = cv__buf_put_field(&b, doc_id, strlen(doc_id));
	if (!rc)
		rc = cv__buf_put_u64be(&b, rev);
	if (!rc)
		rc = cv__buf_put_u64be(&b, size);
	if (!rc)
		rc = cv__buf_put_u64be(&b, n);
	if (!rc && n)
		rc = cv__buf_put(&b, hashes, 32 * n);
	if (!rc)
		rc = cv__hmac_sha256(tag, k->k_tag, 32, b.data, b.len);
	cv__buf_dispose(&b);
	return rc;
}

int cv__rev_tag_store(cv_archive *a, const char *case_id, const char *doc_id, unsigned rev, const unsigned char tag[32])
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &st, "UPDATE revisions SET tag=? WHERE case_id=? AND doc_id=? AND rev=?"));
	cv__bind_blob(st, 1, tag, 32);
	cv__bind_text(st, 2, case_id);
	cv__bind_text(st, 3, doc_id);
	sqlite3_bind_int(st, 4, (int)rev);
	return cv__stmt_exec(a->cat, st, "record a revision's tag");
}

/* The revision's chunk hashes in order, and its row. */
static int load_rev(cv_archive *a, const char *case_id, const char *doc_id, unsigned rev, unsigned char (**hashes)[32],
	size_t *n, uint64_t *size, size_t *nchunks, unsigned char tag[32], int *has_tag)
{
	sqlite3_stmt *st = NULL;
	*hashes = NULL;
	*n = 0;
	*has_tag = 0;
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_REV_ROW));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, doc_id);
	sqlite3_bind_int(st, 3, (int)rev);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		*nchunks = (size_t)sqlite3_column_int64(st, 1);
		if (sqlite3_column_bytes(st, 2) == 32) {
			memcpy(tag, sqlite3_column_blob(st, 2), 32);
			*has_tag = 1;
		}
	}
	cv__stmt_done(st);
	if (r != SQLITE_ROW)
		return r == SQLITE_DONE ? cv__err(CV_ENOTFOUND, "document %s has no revision %u", doc_id, rev)
					: cv__catalog_fail(a->cat, "read revisions");
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_REV_HASHES));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, doc_id);
	sqlite3_bind_int(st, 3, (int)rev);
	size_t cap = 0;
	int rc = 0;
	/* a bind that failed ran the query with NULL: a short list, read as
	 * damage (tests/fault) */
	while (!rc && (r = cv__catalog_step(a->cat, st, "read revision chunks")) == 1) {
		if (sqlite3_column_bytes(st, 0) != 32) {
			rc = cv__err(CV_EDAMAGED, "case %s document %s revision %u: a malformed chunk row", case_id, doc_id, rev);
			break;
		}
		if ((rc = cv__grow((void **)hashes, &cap, *n, 32)))
			break;
		memcpy((*hashes)[(*n)++], sqlite3_column_blob(st, 0), 32);
	}
	cv__stmt_done(st);
	if (!rc && r < 0)
		rc = r;
	if (rc) {
		free(*hashes);
		*hashes = NULL;
	}
	return rc;
}

int cv__rev_seal(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev)
{
	unsigned char (*hashes)[32] = NULL, tag[32];
	size_t n = 0, nchunks = 0;
	uint64_t size = 0;
	int has;
	CV_TRY(load_rev(a, case_id, doc_id, rev, &hashes, &n, &size, &nchunks, tag, &has));
	int rc = n == nchunks ? cv__rev_tag(tag, k, case_id, doc_id, rev, size, (const unsigned char (*)[32])hashes, n)
			      : cv__err(CV_EDAMAGED, "case %s document %s revision %u: %zu chunk rows for %zu chunks", case_id,
				      doc_id, rev, n, nchunks);
	free(hashes);
	return rc ? rc : cv__rev_tag_store(a, case_id, doc_id, rev, tag);
}

static int upgrade_pending(cv_archive *a)
{
	char *v = NULL;
	int pending = cv__catalog_meta_get(a->cat, "revision_tags", &v) == 0 && !strcmp(v, "pending");
	free(v);
	cv_error_clear();
	return pending;
}

int cv__rev_check(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev)
{
	unsigned char (*hashes)[32] = NULL, stored[32], want[32];
	size_t n = 0, nchunks = 0;
	uint64_t size = 0;
	int has;
	CV_TRY(load_rev(a, case_id, doc_id, rev, &hashes, &n, &size, &nchunks, stored, &has));
	int rc = cv__rev_tag(want, k, case_id, doc_id, rev, size, (const unsigned char (*)[32])hashes, n);
	free(hashes);
	if (rc)
		return rc;
	if (!has)
		return cv__err(CV_EDAMAGED, "case %s document %s revision %u has no tag: its chunk list cannot be trusted%s",
			case_id, doc_id, rev, upgrade_pending(a) ? " (the archive has not been upgraded yet: open it read-write "
			"once with this version)" : "");
	if (n != nchunks || !cv__ct_equal(want, stored, 32))
		return cv__err(CV_EDAMAGED, "case %s document %s revision %u: its chunk list, order or size differs from "
			"what was stored (chunk rows removed, added, reordered or edited)", case_id, doc_id, rev);
	return 0;
}

int cv__rev_tag_hex(cv_archive *a, const char *case_id, const char *doc_id, unsigned rev, char hex[65])
{
	sqlite3_stmt *st = NULL;
	hex[0] = '\0';
	CV_TRY(cv__catalog_stmt(a->cat, &st, SQL_REV_ROW));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, doc_id);
	sqlite3_bind_int(st, 3, (int)rev);
	/* a failed step or bind is not "no tag": a manifest without it (tests/fault) */
	int step = cv__catalog_step(a->cat, st, "read revision"), rc = step < 0 ? step : 0;
	if (step > 0 && sqlite3_column_bytes(st, 2) == 32)
		cv__hex(hex, sqlite3_column_blob(st, 2), 32);
	else if (step > 0 && sqlite3_column_type(st, 2) != SQLITE_NULL && !sqlite3_column_blob(st, 2))
		rc = cv__oom();
	cv__stmt_done(st);
	return rc;
}

/* The manifest the sealed case row names, opened with the case key: it must
 * be this case's, of the case's current version. */
static int manifest_load(json_t **out, cv_archive *a, const char *case_id, const cv_case_key *k)
{
	sqlite3_stmt *st = NULL;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int version = 0;
	*out = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT manifest, version FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	/* a failed read is an error: it would skip the comparison below */
	int step = cv__catalog_step(a->cat, st, "read the case's manifest");
	if (step > 0) {
		cv__col_text(st, 0, hex, sizeof hex);
		version = sqlite3_column_int(st, 1);
		if (!hex[0] && sqlite3_column_type(st, 0) != SQLITE_NULL)
			step = cv__oom();
	}
	sqlite3_finalize(st);
	if (step < 0)
		return step;
	git_oid oid;
	if (!hex[0] || git_oid_fromstr(&oid, hex) < 0)
		return 0; /* no manifest yet: nothing to compare with */
	git_odb_object *obj = NULL;
	cv_buf plain = CV_BUF_INIT;
	int rc = cv__store_read_blob(a->store, &oid, &obj);
	if (!rc)
		rc = cv__cms_open(&plain, k->key, k->id, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	json_t *m = NULL;
	if (!rc && cv__json_parse(&m, plain.data, plain.len, 0, "manifest") == CV_ENOMEM)
		rc = CV_ENOMEM; /* not damage (tests/fault) */
	cv__buf_wipe_dispose(&plain);
	json_t *c = json_object_get(m, "case");
	const char *mid = json_string_value(json_object_get(c, "id"));
	if (!rc && (!m || !mid || strcmp(mid, case_id) ||
		json_integer_value(json_object_get(c, "version")) != version))
		rc = cv__err(CV_EDAMAGED, "case %s: its manifest is not the one of its current version %d", case_id, version);
	if (rc)
		json_decref(m);
	else
		*out = m;
	return rc;
}

int cv__manifest_check(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev,
	unsigned latest)
{
	json_t *m = NULL;
	CV_TRY(manifest_load(&m, a, case_id, k));
	if (!m)
		return 0;
	json_t *docs = json_object_get(m, "documents"), *d = NULL;
	for (size_t i = 0; i < json_array_size(docs) && !d; i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(docs, i), "id")) ?: "", doc_id))
			d = json_array_get(docs, i);
	int rc = 0;
	if (d && (unsigned)json_integer_value(json_object_get(d, "rev")) != latest) {
		rc = cv__err(CV_EDAMAGED, "case %s document %s: the catalog's latest revision (%u) is not the manifest's (%u): "
			"revisions were removed or added behind casevault's back", case_id, doc_id, latest,
			(unsigned)json_integer_value(json_object_get(d, "rev")));
	} else if (d && rev == latest) {
		/* the revision read is the manifest's own: its tag too */
		char tag[65];
		const char *want = json_string_value(json_object_get(d, "tag"));
		rc = cv__rev_tag_hex(a, case_id, doc_id, rev, tag);
		if (!rc && want && strcmp(want, tag))
			rc = cv__err(CV_EDAMAGED, "case %s document %s revision %u is not the one its manifest lists", case_id,
				doc_id, rev);
	}
	json_decref(m);
	return rc;
}
