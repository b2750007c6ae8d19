#include "journal/journal.h"
#include "crypto/kdf.h"
#include "util/date.h"
#include "util/error.h"
#include "util/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cv__journal_use_key(cv_catalog *c, const unsigned char key[32])
{
	memcpy(c->journal_key, key, 32);
	c->journal_keyed = 1;
}

int cv__journal_encode(cv_buf *out, const cv_jentry *e, int keyed)
{
	cv__buf_clear(out);
	CV_TRY(cv__buf_put(out, keyed ? "cvj2" : "cvj1", 4));
	CV_TRY(cv__buf_put_u64be(out, e->seq));
	const char *f[5] = { e->time, e->actor, e->action, e->object, e->outcome };
	for (int i = 0; i < 5; i++)
		CV_TRY(cv__buf_put_field(out, f[i] ? f[i] : "", f[i] ? strlen(f[i]) : 0));
	if (!keyed)
		return 0;
	CV_TRY(cv__buf_put_field(out, e->signer ? e->signer : "", e->signer ? strlen(e->signer) : 0));
	return cv__buf_put_field(out, e->signer && e->sig ? (const char *)e->sig : "", e->signer && e->sig ? 64 : 0);
}

int cv__journal_hash(unsigned char out[32], const unsigned char prev[32], const cv_jentry *e,
	const unsigned char *key)
{
	cv_buf b = CV_BUF_INIT, enc = CV_BUF_INIT;
	int rc = cv__buf_put(&b, prev, 32);
	if (!rc)
		rc = cv__journal_encode(&enc, e, key != NULL);
	if (!rc)
		rc = cv__buf_put(&b, enc.data, enc.len);
	if (!rc)
		rc = key ? cv__hmac_sha256(out, key, 32, b.data, b.len) : cv__sha256(out, b.data, b.len);
	cv__buf_dispose(&b);
	cv__buf_dispose(&enc);
	return rc;
}

int cv__journal_signed_text(cv_buf *out, const char *archive_id, const char *action, const char *object)
{
	cv__buf_clear(out);
	CV_TRY(cv__buf_put(out, "casevault-decision-v1", 21));
	const char *f[3] = { archive_id, action, object };
	for (int i = 0; i < 3; i++)
		CV_TRY(cv__buf_put_field(out, f[i] ? f[i] : "", f[i] ? strlen(f[i]) : 0));
	return 0;
}

/* The first entry chained with the key; 1 for an archive made keyed. */
static int keyed_from(cv_catalog *c, uint64_t *from)
{
	char *v = NULL;
	int rc = cv__catalog_meta_get(c, "journal_keyed_from", &v);
	if (rc == CV_ENOTFOUND) {
		*from = 1;
		return 0;
	}
	CV_TRY(rc);
	*from = strtoull(v, NULL, 10);
	free(v);
	return *from ? 0 : cv__err(CV_EDAMAGED, "the catalog's journal_keyed_from is malformed");
}

int cv__journal_head(cv_catalog *c, uint64_t *seq, unsigned char hash[32])
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(c, &st, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"));
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != 32)
			rc = cv__err(CV_EDAMAGED, "journal entry %llu has a malformed hash", (unsigned long long)*seq);
		else
			memcpy(hash, sqlite3_column_blob(st, 1), 32);
	} else if (r == SQLITE_DONE) {
		*seq = 0;
		memset(hash, 0, 32);
	} else {
		rc = cv__catalog_fail(c, "read journal head");
	}
	sqlite3_finalize(st);
	return rc;
}

int cv__journal_append_signed(cv_catalog *c, const char *actor, const char *action, const char *object,
	const char *outcome, const char *signer, const unsigned char sig[64], uint64_t *seq_out, unsigned char hash_out[32])
{
	uint64_t seq, from;
	unsigned char prev[32], hash[32];
	char now[32];
	if (!c->journal_keyed)
		return cv__err(CV_ERROR, "internal error: the journal key is not set");
	CV_TRY(cv__journal_head(c, &seq, prev));
	CV_TRY(keyed_from(c, &from));
	cv__now_iso(now);
	cv_jentry e = { seq + 1, now, actor, action, object ? object : "", outcome, signer, sig };
	CV_TRY(cv__journal_hash(hash, prev, &e, e.seq >= from ? c->journal_key : NULL));
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(c, &st,
		"INSERT INTO journal(seq,time,actor,action,object,outcome,prev,hash,signer,sig) VALUES(?,?,?,?,?,?,?,?,?,?)"));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e.seq);
	cv__bind_text(st, 2, e.time);
	cv__bind_text(st, 3, e.actor);
	cv__bind_text(st, 4, e.action);
	cv__bind_text(st, 5, e.object);
	cv__bind_text(st, 6, e.outcome);
	cv__bind_blob(st, 7, prev, 32);
	cv__bind_blob(st, 8, hash, 32);
	cv__bind_text(st, 9, signer);
	cv__bind_blob(st, 10, signer ? sig : NULL, signer ? 64 : 0);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(c, "append to journal");
	sqlite3_finalize(st);
	if (!rc) {
		if (seq_out)
			*seq_out = e.seq;
		if (hash_out)
			memcpy(hash_out, hash, 32);
	}
	return rc;
}

int cv__journal_append(cv_catalog *c, const char *actor, const char *action, const char *object,
	const char *outcome, uint64_t *seq_out, unsigned char hash_out[32])
{
	return cv__journal_append_signed(c, actor, action, object, outcome, NULL, NULL, seq_out, hash_out);
}

int cv__journal_record(cv_catalog *c, const char *actor, const char *action, const char *object, const char *outcome)
{
	if (c->in_tx)
		return cv__journal_append(c, actor, action, object, outcome, NULL, NULL);
	CV_TRY(cv__catalog_begin(c));
	int rc = cv__journal_append(c, actor, action, object, outcome, NULL, NULL);
	if (!rc)
		rc = cv__catalog_commit(c);
	if (rc)
		cv__catalog_rollback(c);
	return rc;
}

int cv__journal_hash_at(cv_catalog *c, uint64_t seq, unsigned char hash[32])
{
	sqlite3_stmt *st = NULL;
	/* cached: verify asks once per commit */
	CV_TRY(cv__catalog_stmt(c, &st, "SELECT hash FROM journal WHERE seq=?"));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32)
		memcpy(hash, sqlite3_column_blob(st, 0), 32);
	else if (r == SQLITE_ROW || r == SQLITE_DONE)
		rc = cv__err(CV_ENOTFOUND, "journal has no entry %llu", (unsigned long long)seq);
	else
		rc = cv__catalog_fail(c, "read journal");
	cv__stmt_done(st);
	return rc;
}

int cv__journal_check(cv_catalog *c, uint64_t *entries, uint64_t *first_bad, char *reason, size_t reason_len)
{
	sqlite3_stmt *st = NULL;
	unsigned char prev[32] = { 0 }, hash[32];
	uint64_t expect = 1, n = 0, from;
	*first_bad = 0;
	CV_TRY(keyed_from(c, &from));
	if (!c->journal_keyed)
		return cv__err(CV_ERROR, "internal error: the journal key is not set");
	CV_TRY(cv__catalog_prepare(c, &st,
		"SELECT seq,time,actor,action,object,outcome,prev,hash,signer,sig FROM journal ORDER BY seq"));
	int r, rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		cv_jentry e;
		e.seq = (uint64_t)sqlite3_column_int64(st, 0);
		e.time = (const char *)sqlite3_column_text(st, 1);
		e.actor = (const char *)sqlite3_column_text(st, 2);
		e.action = (const char *)sqlite3_column_text(st, 3);
		e.object = (const char *)sqlite3_column_text(st, 4);
		e.outcome = (const char *)sqlite3_column_text(st, 5);
		e.signer = (const char *)sqlite3_column_text(st, 8);
		e.sig = sqlite3_column_bytes(st, 9) == 64 ? sqlite3_column_blob(st, 9) : NULL;
		const void *p = sqlite3_column_blob(st, 6), *h = sqlite3_column_blob(st, 7);
		int plen = sqlite3_column_bytes(st, 6), hlen = sqlite3_column_bytes(st, 7);
		n++;
		if (e.seq != expect) {
			*first_bad = expect;
			snprintf(reason, reason_len, "entry %llu is missing (next entry is %llu): removed or reordered",
				(unsigned long long)expect, (unsigned long long)e.seq);
			break;
		}
		if (plen != 32 || memcmp(p, prev, 32) != 0) {
			*first_bad = e.seq;
			snprintf(reason, reason_len, "entry %llu does not link to entry %llu: removed, inserted or reordered",
				(unsigned long long)e.seq, (unsigned long long)(e.seq - 1));
			break;
		}
		if (e.signer && !e.sig) {
			*first_bad = e.seq;
			snprintf(reason, reason_len, "entry %llu names a signer but carries no valid signature",
				(unsigned long long)e.seq);
			break;
		}
		if ((rc = cv__journal_hash(hash, prev, &e, e.seq >= from ? c->journal_key : NULL)))
			break;
		if (hlen != 32 || memcmp(h, hash, 32) != 0) {
			*first_bad = e.seq;
			snprintf(reason, reason_len, "entry %llu was edited, or the chain rewritten without the key: its "
				"content does not match its chain value", (unsigned long long)e.seq);
			break;
		}
		memcpy(prev, hash, 32);
		expect++;
	}
	if (!rc && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = cv__catalog_fail(c, "read journal");
	sqlite3_finalize(st);
	*entries = n;
	if (!rc && *first_bad)
		rc = cv__err(CV_EDAMAGED, "journal damaged at entry %llu: %s", (unsigned long long)*first_bad, reason);
	return rc;
}
