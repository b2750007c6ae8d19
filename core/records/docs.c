/* Documents: listing (metadata decrypted), revision history, and reading a
 * revision chunk by chunk. Every chunk is authenticated (GCM tag) and then
 * matched against the keyed hash the catalog expects, so an object cannot be
 * swapped for another object of the same case. */
#include "util/json.h"
#include "records/docs.h"
#include "records/revtag.h"
#include "records/cases.h"
#include "records/blocks.h"
#include "util/wipe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cv__doc_latest_rev(cv_archive *a, const char *case_id, const char *doc_id, unsigned *rev)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT max(rev) FROM revisions WHERE case_id=? AND doc_id=?"));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, doc_id);
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*rev = (unsigned)sqlite3_column_int(st, 0);
	else
		rc = cv__err(CV_ENOTFOUND, "case %s has no document %s", case_id, doc_id);
	sqlite3_finalize(st);
	return rc;
}

static char *jdup(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return strdup(v ? v : "");
}

int cv__docs_load(cv_archive *a, const char *case_id, const cv_case_key *k, int all, cv_doc_info **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	cv_buf plain = CV_BUF_INIT;
	*out = NULL;
	*n = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT d.doc_id, d.meta, d.removed, d.type, d.date,"
		" (SELECT count(*) FROM revisions r WHERE r.case_id=d.case_id AND r.doc_id=d.doc_id),"
		" (SELECT r.size FROM revisions r WHERE r.case_id=d.case_id AND r.doc_id=d.doc_id ORDER BY r.rev DESC LIMIT 1)"
		" FROM documents d WHERE d.case_id=? AND (?2 OR d.removed=0) ORDER BY d.seq"));
	cv__bind_text(st, 1, case_id);
	sqlite3_bind_int(st, 2, all);
	size_t cap = 0;
	int r = 0, rc = 0;
	/* stops at the first failure: a later row must not clear it (a document
	 * listed without its path crashed a copy, tests/fault) */
	while (!rc && (r = cv__catalog_step(a->cat, st, "list documents")) == 1) {
		char id[16], where[32];
		cv__col_text(st, 0, id, sizeof id);
		snprintf(where, sizeof where, "doc:%s", id);
		rc = cv__case_unbox(&plain, k, case_id, where, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (rc)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			cv_doc_info *p = realloc(*out, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			*out = p;
		}
		cv_doc_info *d = &(*out)[*n];
		memset(d, 0, sizeof *d);
		snprintf(d->id, sizeof d->id, "%s", id);
		json_t *m = NULL;
		if ((rc = cv__json_parse(&m, plain.data, plain.len, 0, "document record")) != 0)
			break;
		d->title = jdup(m, "title");
		d->path = jdup(m, "path");
		json_t *c = json_object_get(m, "concerns");
		size_t nc = json_array_size(c);
		d->concerns = calloc(nc ? nc : 1, sizeof *d->concerns);
		for (size_t i = 0; d->concerns && i < nc; i++) {
			const char *v = json_string_value(json_array_get(c, i));
			d->concerns[d->nconcerns++] = strdup(v ? v : "");
		}
		json_decref(m);
		/* a document read without its concerns would leave them out of a manifest (tests/fault) */
		if (!d->concerns || (d->nconcerns && !d->concerns[d->nconcerns - 1]) || d->nconcerns != nc)
			rc = cv__oom();
		for (size_t i = 0; !rc && i < d->nconcerns; i++)
			if (!d->concerns[i])
				rc = cv__oom();
		d->removed = sqlite3_column_int(st, 2);
		cv__col_text(st, 3, d->type, sizeof d->type);
		cv__col_text(st, 4, d->date, sizeof d->date);
		d->revisions = (unsigned)sqlite3_column_int(st, 5);
		d->size = (uint64_t)sqlite3_column_int64(st, 6);
		(*n)++;
		if (!d->title || !d->path)
			rc = cv__oom();
	}
	if (!rc && r < 0)
		rc = r;
	sqlite3_finalize(st);
	cv__buf_wipe_dispose(&plain);
	if (rc) {
		cv_doc_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

CV_EXTERN(void) cv_doc_list_free(cv_doc_info *list, size_t count)
{
	for (size_t i = 0; list && i < count; i++) {
		free(list[i].title);
		free(list[i].path);
		for (size_t j = 0; j < list[i].nconcerns; j++)
			free(list[i].concerns[j]);
		free(list[i].concerns);
	}
	free(list);
}

/* Resolve the case, check the role, journal the read, load the key. */
static int open_for_read(cv_archive *a, const char *case_ref, const char *action, const char *detail, char id[40],
	cv_case_key *k)
{
	char obj[160];
	CV_TRY(cv__case_gate(a, action, case_ref, id, detail));
	CV_TRY(cv__restricted_use(a, id, action));
	snprintf(obj, sizeof obj, "case:%s%s%s", id, detail ? " " : "", detail ? detail : "");
	int rc = cv__case_key_load(a, id, k);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ESTATE, "case %s was anonymised or destroyed: its documents can no longer be read", case_ref);
	CV_TRY(rc);
	rc = cv__journal_record(a->cat, a->actor, action, obj, "ok");
	if (rc)
		cv__case_key_wipe(k);
	return rc;
}

CV_EXTERN(int) cv_doc_list(cv_doc_info **out, size_t *count, cv_archive *a, const char *case_id)
{
	char id[40];
	cv_case_key k;
	*out = NULL;
	*count = 0;
	CV_TRY(open_for_read(a, case_id, "doc.list", NULL, id, &k));
	int rc = cv__docs_load(a, id, &k, 1, out, count);
	cv__case_key_wipe(&k);
	return rc;
}

static int doc_exists(cv_archive *a, const char *case_id, const char *doc_id)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT 1 FROM documents WHERE case_id=? AND doc_id=?"));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, doc_id);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : cv__err(CV_ENOTFOUND, "case %s has no document '%s'", case_id, doc_id);
}

CV_EXTERN(int) cv_doc_log(cv_doc_rev **out, size_t *count, cv_archive *a, const char *case_ref, const char *doc_id)
{
	char id[40], detail[64];
	*out = NULL;
	*count = 0;
	snprintf(detail, sizeof detail, "doc:%.40s", doc_id);
	CV_TRY(cv__case_gate(a, "doc.log", case_ref, id, detail));
	CV_TRY(doc_exists(a, id, doc_id));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT rev, created, size, nchunks, case_version, note FROM revisions WHERE case_id=? AND doc_id=? ORDER BY rev"));
	cv__bind_text(st, 1, id);
	cv__bind_text(st, 2, doc_id);
	size_t n = 0, cap = 0;
	cv_doc_rev *list = NULL;
	int r, rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			cv_doc_rev *p = realloc(list, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			list = p;
		}
		cv_doc_rev *v = &list[n++];
		memset(v, 0, sizeof *v);
		v->rev = (unsigned)sqlite3_column_int(st, 0);
		cv__col_text(st, 1, v->date, sizeof v->date);
		v->size = (uint64_t)sqlite3_column_int64(st, 2);
		v->chunks = (unsigned)sqlite3_column_int(st, 3);
		v->case_version = (unsigned)sqlite3_column_int(st, 4);
		cv__col_text(st, 5, v->note, sizeof v->note);
	}
	if (!rc && (r != SQLITE_DONE || cv__catalog_bind_failed()))
		rc = cv__catalog_fail(a->cat, "read revisions");
	sqlite3_finalize(st);
	if (rc) {
		free(list);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

CV_EXTERN(void) cv_doc_log_free(cv_doc_rev *list)
{
	free(list);
}

typedef struct chunk_ref {
	git_oid oid;
	unsigned char hash[32];
} chunk_ref;

/* The revision's chunks, in order, each with its object: all of them known
 * before the first byte is released. */
static int chunk_refs(cv_archive *a, const char *case_id, const char *doc_id, unsigned rev, chunk_ref **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT c.oid, rc.hash, rc.seq FROM rev_chunks rc LEFT JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash"
		" WHERE rc.case_id=? AND rc.doc_id=? AND rc.rev=? ORDER BY rc.seq"));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, doc_id);
	sqlite3_bind_int(st, 3, (int)rev);
	size_t cap = 0;
	int r, rc = 0;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);
		if ((rc = cv__grow((void **)out, &cap, *n, sizeof **out)))
			break;
		chunk_ref *c = &(*out)[*n];
		if (!hex && sqlite3_column_type(st, 0) != SQLITE_NULL)
			rc = cv__oom(); /* a chunk's object id there but not read */
		else if (!hex || git_oid_fromstr(&c->oid, hex) < 0 || sqlite3_column_bytes(st, 1) != 32)
			rc = cv__err(CV_EDAMAGED, "case %s document %s revision %u chunk %d: its record is missing or "
				"malformed", case_id, doc_id, rev, sqlite3_column_int(st, 2));
		else
			memcpy(c->hash, sqlite3_column_blob(st, 1), 32);
		(*n)++;
	}
	if (!rc && (r != SQLITE_DONE || cv__catalog_bind_failed()))
		rc = cv__catalog_fail(a->cat, "read chunks");
	sqlite3_finalize(st);
	if (!rc && *n == 0)
		rc = cv__err(CV_ENOTFOUND, "document %s has no revision %u", doc_id, rev);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* One chunk: read, authenticate (GCM tag), and match to its keyed hash. */
static int open_chunk(cv_archive *a, const cv_case_key *k, const chunk_ref *c, cv_buf *plain)
{
	git_odb_object *obj = NULL;
	CV_TRY(cv__store_read_blob(a->store, &c->oid, &obj));
	int rc = cv__cms_open(plain, k->key, k->id, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	unsigned char h[32];
	if (!rc)
		rc = cv__hmac_sha256(h, k->k_hash, 32, plain->data, plain->len);
	if (!rc && !cv__ct_equal(h, c->hash, 32)) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, &c->oid);
		rc = cv__err(CV_EDAMAGED, "object %s does not hold the chunk the catalog expects", hex);
	}
	return rc;
}

int cv__doc_stream(cv_archive *a, const char *case_id, const cv_case_key *k, const char *doc_id, unsigned rev,
	cv_write_cb cb, void *payload)
{
	unsigned latest = 0;
	CV_TRY(cv__doc_latest_rev(a, case_id, doc_id, &latest));
	if (!rev)
		rev = latest;
	/* The chunk list is checked against its tag, the latest revision and its
	 * tag against the case's manifest, and every chunk's record found,
	 * before any byte leaves. */
	CV_TRY(cv__rev_check(a, case_id, k, doc_id, rev));
	CV_TRY(cv__manifest_check(a, case_id, k, doc_id, rev, latest));
	chunk_ref *refs = NULL;
	size_t n = 0;
	CV_TRY(chunk_refs(a, case_id, doc_id, rev, &refs, &n));
	cv_buf plain = CV_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		cv__buf_clear(&plain);
		rc = open_chunk(a, k, &refs[i], &plain);
		if (rc)
			cv__err_prefix("case %s document %s revision %u chunk %zu", case_id, doc_id, rev, i);
		else if (plain.len) {
			/* the writer's own reason (a full disk, memory) when it gave one */
			cv_error_clear();
			if (cb(plain.data, plain.len, payload) != 0)
				rc = cv_error_last()->code ? cv__err_prefix("writing document %s", doc_id)
							   : cv__err(CV_ERROR, "output failed while writing document %s", doc_id);
		}
		cv__wipe(plain.data, plain.len);
	}
	free(refs);
	cv__buf_wipe_dispose(&plain);
	return rc;
}

CV_EXTERN(int) cv_doc_cat(cv_archive *a, const char *case_ref, const char *doc_id, unsigned int rev, cv_write_cb cb,
	void *payload)
{
	char id[40], detail[64];
	cv_case_key k;
	unsigned latest = 0;
	snprintf(detail, sizeof detail, "doc:%.40s", doc_id);
	CV_TRY(cv__case_gate(a, "doc.read", case_ref, id, detail));
	CV_TRY(doc_exists(a, id, doc_id));
	CV_TRY(cv__doc_latest_rev(a, id, doc_id, &latest));
	if (rev > latest)
		return cv__err(CV_ENOTFOUND, "document %s has %u revision%s; there is no revision %u", doc_id, latest,
			latest > 1 ? "s" : "", rev);
	snprintf(detail, sizeof detail, "doc:%s rev:%u", doc_id, rev ? rev : latest);
	CV_TRY(open_for_read(a, case_ref, "doc.read", detail, id, &k));
	int rc = cv__doc_stream(a, id, &k, doc_id, rev ? rev : latest, cb, payload);
	cv__case_key_wipe(&k);
	return rc;
}
