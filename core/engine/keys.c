/* Key hierarchy: the master key never encrypts data; HKDF derives one key
 * per job from it. Each case has its own random key, wrapped with RFC 5649
 * and kept only in the catalog, from which its own sub-keys are derived. */
#include "engine/internal.h"
#include "catalog/rowmac.h"
#include "crypto/fieldbox.h"
#include "crypto/keywrap.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <string.h>

int cv__derive_master_keys(cv_archive *a)
{
	const unsigned char *salt = (const unsigned char *)a->id;
	size_t sl = strlen(a->id);
	CV_TRY(cv__hkdf(a->k_wrap, 32, a->master, 32, salt, sl, CV_LABEL_WRAP));
	CV_TRY(cv__hkdf(a->k_blind, 32, a->master, 32, salt, sl, CV_LABEL_BLIND));
	CV_TRY(cv__hkdf(a->k_afields, 32, a->master, 32, salt, sl, CV_LABEL_AFIELDS));
	CV_TRY(cv__hkdf(a->k_stats, 32, a->master, 32, salt, sl, CV_LABEL_STATS));
	CV_TRY(cv__hkdf(a->k_journal, 32, a->master, 32, salt, sl, CV_LABEL_JOURNAL));
	CV_TRY(cv__hkdf(a->k_anchor, 32, a->master, 32, salt, sl, CV_LABEL_ANCHOR));
	CV_TRY(cv__hkdf(a->k_rows, 32, a->master, 32, salt, sl, CV_LABEL_ROWS));
	CV_TRY(cv__hkdf(a->gear_seed, sizeof a->gear_seed, a->master, 32, salt, sl, CV_LABEL_CHUNKER));
	return 0;
}

int cv__case_key_derive(cv_case_key *k)
{
	cv__hex(k->id_hex, k->id, CV_KEY_ID_LEN);
	/* one extraction for the three: same secret, same salt */
	unsigned char prk[32];
	int rc = cv__hkdf_extract(prk, k->key, 32, k->id, CV_KEY_ID_LEN);
	if (!rc)
		rc = cv__hkdf_expand(k->k_hash, 32, prk, CV_LABEL_CHUNK_HASH);
	if (!rc)
		rc = cv__hkdf_expand(k->k_fields, 32, prk, CV_LABEL_CFIELDS);
	if (!rc)
		rc = cv__hkdf_expand(k->k_tag, 32, prk, CV_LABEL_REV_TAG);
	cv__wipe(prk, sizeof prk);
	return rc;
}

int cv__case_key_new(cv_archive *a, cv_case_key *k, unsigned char wrapped[48], size_t *wrapped_len)
{
	memset(k, 0, sizeof *k);
	CV_TRY(cv__random(k->key, 32));
	CV_TRY(cv__random(k->id, CV_KEY_ID_LEN));
	CV_TRY(cv__case_key_derive(k));
	return cv__wrap_pad(wrapped, wrapped_len, a->k_wrap, 32, k->key, 32);
}

/* No key: shredded if the (sealed) case row says so; otherwise its key was
 * deleted behind casevault's back, and that is damage, not erasure. */
static int key_missing(cv_archive *a, const char *case_id)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT state FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	int shredded = sqlite3_step(st) == SQLITE_ROW && (!strcmp((const char *)sqlite3_column_text(st, 0), "anonymised") ||
		!strcmp((const char *)sqlite3_column_text(st, 0), "destroyed"));
	sqlite3_finalize(st);
	if (shredded)
		return cv__err(CV_ENOTFOUND, "case %s has no key: it was destroyed (crypto-shredding)", case_id);
	return cv__err(CV_EDAMAGED, "case %s: its key is missing from the catalog, but the case was never shredded (run "
		"'casevault verify'; restore the catalog from a copy)", case_id);
}

int cv__case_key_load(cv_archive *a, const char *case_id, cv_case_key *k)
{
	memset(k, 0, sizeof *k);
	/* the case and its key row as casevault sealed them, before any use */
	CV_TRY(cv__rowmac_check(a->cat, "cases", "id=?1", case_id));
	CV_TRY(cv__rowmac_check(a->cat, "case_keys", "case_id=?1", case_id));
	return cv__case_key_unwrap(a, case_id, k);
}

int cv__case_key_unwrap(cv_archive *a, const char *case_id, cv_case_key *k)
{
	sqlite3_stmt *st = NULL;
	memset(k, 0, sizeof *k);
	CV_TRY(cv__catalog_stmt(a->cat, &st, "SELECT key_id, wrapped FROM case_keys WHERE case_id=?"));
	cv__bind_text(st, 1, case_id);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		const char *kid = (const char *)sqlite3_column_text(st, 0);
		const unsigned char *w = sqlite3_column_blob(st, 1);
		int wl = sqlite3_column_bytes(st, 1);
		unsigned char plain[48];
		size_t pl = 0;
		if (!kid || cv__unhex(k->id, CV_KEY_ID_LEN, kid) < 0 || wl < 16 || wl > 48) {
			rc = cv__err(CV_EDAMAGED, "case %s: key record is malformed", case_id);
		} else if ((rc = cv__unwrap_pad(plain, &pl, a->k_wrap, 32, w, (size_t)wl)) == CV_ENOMEM) {
			/* not damage (tests/fault) */
		} else if (rc < 0 || pl != 32) {
			rc = cv__err(CV_EDAMAGED, "case %s: the case key does not unwrap (catalog damaged)", case_id);
		} else {
			memcpy(k->key, plain, 32);
			rc = cv__case_key_derive(k);
		}
		cv__wipe(plain, sizeof plain);
	} else if (r == SQLITE_DONE) {
		rc = key_missing(a, case_id);
	} else {
		rc = cv__catalog_fail(a->cat, "read case key");
	}
	cv__stmt_done(st);
	if (rc)
		cv__case_key_wipe(k);
	return rc;
}

void cv__case_key_wipe(cv_case_key *k)
{
	cv__wipe(k, sizeof *k);
}

static void aad(char *out, size_t n, const char *case_id, const char *where)
{
	snprintf(out, n, "casevault/v1|%s|%s", case_id, where);
}

int cv__case_box(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n)
{
	char ad[256];
	aad(ad, sizeof ad, case_id, where);
	return cv__box_seal(out, k->k_fields, ad, p, n);
}

int cv__case_unbox(cv_buf *out, const cv_case_key *k, const char *case_id, const char *where, const void *p, size_t n)
{
	char ad[256];
	aad(ad, sizeof ad, case_id, where);
	int rc = cv__box_open(out, k->k_fields, ad, p, n);
	if (rc == CV_ENOMEM)
		return rc;
	if (rc)
		return cv__err(rc, "case %s: encrypted field %s does not authenticate (catalog damaged)", case_id, where);
	return 0;
}

/* HMAC-SHA-256 of a length-framed (field, value) pair: a tag that cannot
 * be confused across fields. */
static int field_tag(const unsigned char key[32], const char *field, const char *value, unsigned char tag[32])
{
	cv_buf b = CV_BUF_INIT;
	int rc = cv__buf_put_field(&b, field, strlen(field));
	if (!rc)
		rc = cv__buf_put_field(&b, value, strlen(value));
	if (!rc)
		rc = cv__hmac_sha256(tag, key, 32, b.data, b.len);
	cv__buf_wipe_dispose(&b);
	return rc;
}

int cv__doc_path_tag(const cv_case_key *k, const char *path, unsigned char tag[32])
{
	return field_tag(k->k_hash, "path", path, tag);
}

int cv__blind_tag(const cv_archive *a, const char *field, const char *folded, unsigned char tag[32])
{
	return field_tag(a->k_blind, field, folded, tag);
}

int cv__blind_bucket(const cv_archive *a, const char *folded, unsigned char bucket[2])
{
	unsigned char tag[32];
	CV_TRY(field_tag(a->k_blind, "last", folded, tag));
	bucket[0] = tag[0];
	bucket[1] = (unsigned char)(tag[1] & ((1u << (CV_BLIND_BITS - 8)) - 1));
	cv__wipe(tag, sizeof tag);
	return 0;
}
