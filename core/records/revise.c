/* A new revision of one document outside ingestion (a rectification): the
 * earlier revisions stay, as evidence; exports read the latest. */
#include "records/docs.h"
#include "records/revtag.h"
#include "store/chunker.h"
#include "util/date.h"
#include "util/wipe.h"

#include <stdio.h>
#include <string.h>

typedef struct rev_ctx {
	cv_txn *t;
	const char *case_id;
	const cv_case_key *k;
	const char *doc_id;
	unsigned rev;
	int seq;
	uint64_t size;
	int rc;
} rev_ctx;

static int on_chunk(const unsigned char *data, size_t len, void *payload)
{
	rev_ctx *c = payload;
	cv_archive *a = c->t->a;
	unsigned char h[32];
	char hex[GIT_OID_HEXSZ + 1] = "";
	CV_TRY(cv__hmac_sha256(h, c->k->k_hash, 32, data, len));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT oid FROM chunks WHERE case_id=? AND hash=?"));
	cv__bind_text(st, 1, c->case_id);
	cv__bind_blob(st, 2, h, 32);
	if (sqlite3_step(st) == SQLITE_ROW)
		cv__col_text(st, 0, hex, sizeof hex);
	sqlite3_finalize(st);
	if (!hex[0]) {
		git_oid oid;
		unsigned char tag[CV_CMS_TAG_LEN];
		CV_TRY(cv__txn_put_sealed(c->t, c->k, data, len, &oid, tag));
		git_oid_tostr(hex, sizeof hex, &oid);
		CV_TRY(cv__catalog_prepare(a->cat, &st, "INSERT INTO chunks(case_id,hash,oid,size,tag) VALUES(?,?,?,?,?)"));
		cv__bind_text(st, 1, c->case_id);
		cv__bind_blob(st, 2, h, 32);
		cv__bind_text(st, 3, hex);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
		cv__bind_blob(st, 5, tag, sizeof tag);
		int r = sqlite3_step(st);
		sqlite3_finalize(st);
		if (r != SQLITE_DONE)
			return cv__catalog_fail(a->cat, "store chunk");
	}
	CV_TRY(cv__catalog_prepare(a->cat, &st, "INSERT INTO rev_chunks(case_id,doc_id,rev,seq,hash) VALUES(?,?,?,?,?)"));
	cv__bind_text(st, 1, c->case_id);
	cv__bind_text(st, 2, c->doc_id);
	sqlite3_bind_int(st, 3, (int)c->rev);
	sqlite3_bind_int(st, 4, c->seq++);
	cv__bind_blob(st, 5, h, 32);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	c->size += len;
	return r == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "store chunk list");
}

int cv__doc_revise(cv_txn *t, const char *case_id, const cv_case_key *k, const char *doc_id, const void *data, size_t len,
	const char *note, unsigned *new_rev)
{
	cv_archive *a = t->a;
	sqlite3_stmt *st = NULL;
	unsigned latest = 0;
	int version = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT (SELECT max(rev) FROM revisions WHERE case_id=?1 AND doc_id=?2), (SELECT version FROM cases WHERE id=?1)"));
	cv__bind_text(st, 1, case_id);
	cv__bind_text(st, 2, doc_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		latest = (unsigned)sqlite3_column_int(st, 0);
		version = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (!latest)
		return cv__err(CV_ENOTFOUND, "case %s has no document '%s'", case_id, doc_id);
	rev_ctx c = { t, case_id, k, doc_id, latest + 1, 0, 0, 0 };
	cv_chunker ch;
	int rc = cv__chunker_init(&ch, a->gear_seed, 0, 0, 0);
	if (!rc)
		rc = cv__chunker_feed(&ch, data, len, on_chunk, &c);
	if (!rc)
		rc = cv__chunker_finish(&ch, on_chunk, &c);
	if (!rc && c.seq == 0)
		rc = on_chunk((const unsigned char *)"", 0, &c);
	cv__chunker_dispose(&ch);
	char now[32];
	cv__now_iso(now);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st,
			"INSERT INTO revisions(case_id,doc_id,rev,case_version,created,size,nchunks,note) VALUES(?,?,?,?,?,?,?,?)");
	if (!rc) {
		cv__bind_text(st, 1, case_id);
		cv__bind_text(st, 2, doc_id);
		sqlite3_bind_int(st, 3, (int)c.rev);
		sqlite3_bind_int(st, 4, version);
		cv__bind_text(st, 5, now);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)c.size);
		sqlite3_bind_int(st, 7, c.seq);
		cv__bind_text(st, 8, note);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "store revision");
		sqlite3_finalize(st);
	}
	if (!rc)
		rc = cv__rev_seal(a, case_id, k, doc_id, c.rev);
	if (!rc && new_rev)
		*new_rev = c.rev;
	return rc;
}
