/* The sealed identity of a secret birth (pli fermé). It can only be stored
 * once the archive has a sealing key (origins setup); until then a bundle
 * carrying one is refused, so the identity never lands under an ordinary
 * case key. At commit it is encrypted to the sealing certificate (CMS
 * AuthEnvelopedData, origins.c), never to the case key: no ordinary command
 * (doc cat, export, key case, a rights request) can reach it, and the master
 * key cannot open it. The object is a git blob at the case tree's "sealed"
 * entry; cases.sealed names it and origins_sealed records its SHA-256 so that
 * verify checks it without decrypting. */
#include "ingest/ingest_model.h"
#include "util/proc.h"
#include "records/sealed.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <string.h>

#define CV_SEALED_MAX (1u << 20)

static int has_sealing_key(cv_archive *a, int *has)
{
	char *v = NULL;
	int rc = cv__catalog_meta_get(a->cat, "sealing_cert", &v);
	free(v);
	if (rc == CV_ENOTFOUND) {
		cv_error_clear();
		*has = 0;
		return 0;
	}
	*has = rc == 0;
	return rc;
}

int cv__sealed_begin(cv_ingest *t)
{
	int has = 0;
	if (t->has_sealed || t->in_sealed)
		return cv__err(CV_EINVAL, "%s: the sealed identity is given twice", t->source);
	if (t->have_case && strcmp(t->c.category, "secret_birth") != 0) {
		t->failed = 1;
		return cv__err(CV_EINVAL, "%s: sealed: a sealed identity belongs only to a secret_birth case (this one is %s)",
			t->source, t->c.category);
	}
	CV_TRY(has_sealing_key(t->a, &has));
	if (!has) {
		t->failed = 1;
		return cv__err(CV_ESTATE, "%s: sealed: this bundle holds a sealed identity (secret birth) but the archive has "
			"no sealing key yet (the origins setup has not been done)", t->source);
	}
	/* The identity is about to be in this process's memory. */
	cv__no_core_dumps();
	t->in_sealed = 1;
	cv__buf_clear(&t->sealed_plain);
	return 0;
}

int cv__sealed_write(cv_ingest *t, const void *data, size_t len)
{
	if (!t->in_sealed)
		return cv__err(CV_ESTATE, "%s: sealed data outside the sealed part", t->source);
	if (t->sealed_plain.len + len > CV_SEALED_MAX) {
		t->failed = 1;
		return cv__err(CV_EINVAL, "%s: sealed: the sealed identity is larger than %u bytes", t->source, CV_SEALED_MAX);
	}
	return cv__buf_put(&t->sealed_plain, data, len);
}

int cv__sealed_end(cv_ingest *t)
{
	if (!t->in_sealed)
		return cv__err(CV_ESTATE, "%s: sealed part ended twice", t->source);
	t->in_sealed = 0;
	if (t->sealed_plain.len == 0) {
		t->failed = 1;
		return cv__err(CV_EINVAL, "%s: sealed: the sealed identity is empty", t->source);
	}
	t->has_sealed = 1;
	return 0;
}

/* Called inside the ingest transaction (catalog open, lock held), before the
 * case tree is rebuilt: the tree then carries the new "sealed" entry. A
 * re-ingested identity is a new object; the earlier ones stay in history. */
int cv__sealed_store(cv_ingest *t)
{
	cv_archive *a = t->a;
	cv_buf obj = CV_BUF_INIT;
	char cert_sha[65] = "", hex[GIT_OID_HEXSZ + 1], sha[65], now[32];
	unsigned char h[32];
	git_oid oid;
	int rc = cv__sealed_seal(&obj, cert_sha, a, t->sealed_plain.data, t->sealed_plain.len);
	cv__buf_wipe_dispose(&t->sealed_plain); /* the clear identity is not needed any more */
	if (!rc)
		rc = cv__txn_put_blob(&t->txn, obj.data, obj.len, &oid);
	if (!rc)
		rc = cv__sha256(h, obj.data, obj.len);
	if (rc) {
		cv__buf_dispose(&obj);
		return rc;
	}
	git_oid_cpy(&t->sealed_oid, &oid);
	git_oid_tostr(hex, sizeof hex, &oid);
	cv__hex(sha, h, 32);
	cv__now_iso(now);
	size_t size = obj.len;
	cv__buf_dispose(&obj);
	sqlite3_stmt *st = NULL;
	int seq = 1;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT coalesce(max(seq),0)+1 FROM origins_sealed WHERE case_id=?"));
	cv__bind_text(st, 1, t->case_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"INSERT INTO origins_sealed(case_id,seq,oid,sha256,size,cert_sha256,created) VALUES(?,?,?,?,?,?,?)"));
	cv__bind_text(st, 1, t->case_id);
	sqlite3_bind_int(st, 2, seq);
	cv__bind_text(st, 3, hex);
	cv__bind_text(st, 4, sha);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)size);
	cv__bind_text(st, 6, cert_sha);
	cv__bind_text(st, 7, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "record the sealed identity");
	sqlite3_finalize(st);
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "UPDATE cases SET sealed=? WHERE id=?");
	if (!rc) {
		cv__bind_text(st, 1, hex);
		cv__bind_text(st, 2, t->case_id);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cv__catalog_fail(a->cat, "record the sealed identity");
		sqlite3_finalize(st);
	}
	char jobj[256];
	snprintf(jobj, sizeof jobj, "case:%s object:%s sha256:%s version:%d", t->case_id, hex, sha, seq);
	if (!rc)
		rc = cv__txn_journal(&t->txn, "origins.seal", jobj, "ok");
	return rc;
}
