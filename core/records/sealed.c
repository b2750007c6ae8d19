/* A case's sealed identity (pli fermé of a secret birth): sealed to the
 * archive's sealing certificate (CMS AuthEnvelopedData, RSA-OAEP), so that
 * neither the master key nor any ordinary command can open it; loading it
 * back checked against its SHA-256 and the journal's record of its
 * ingestion; and its integrity for verify, without decrypting it. The
 * sealing key and its shares are origins/' business (docs/origins.md). */
#include "records/sealed.h"
#include "catalog/rowmac.h"
#include "engine/signatures.h"
#include "util/wipe.h"
#include "crypto/certenv.h"
#include "util/hex.h"
#include "util/proc.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The certificate                                                      */

/* The certificate must be the one whose hash the admin signed at origins
 * setup: someone who replaced it in the catalog would otherwise read every
 * identity sealed from then on. Archives set up before signed decisions
 * have no such entry; their certificate's hash is the sealed origins_keys
 * row's. */
int cv__sealing_cert_pinned(cv_archive *a, X509 *x)
{
	char sha[65], pin[65] = "";
	cv_decision d;
	CV_TRY(cv__x509_sha256(x, sha));
	int rc = cv__decision_find(&d, a, "origins.setup", "generation:1 ");
	if (rc == CV_ENOTFOUND) {
		cv_error_clear();
		sqlite3_stmt *st = NULL;
		CV_TRY(cv__rowmac_check(a->cat, "origins_keys", "generation=1", NULL));
		CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT cert_sha256 FROM origins_keys WHERE generation=1"));
		int step = cv__catalog_step(a->cat, st, "read the sealing certificate's pin");
		if (step > 0)
			cv__col_text(st, 0, pin, sizeof pin);
		sqlite3_finalize(st);
		CV_TRY(step < 0 ? step : 0); /* an unread pin is not a certificate that differs */
	} else {
		CV_TRY(rc);
		const char *c = strstr(d.object, " cert:");
		snprintf(pin, sizeof pin, "%.64s", c ? c + 6 : "");
	}
	if (strcmp(pin, sha))
		return cv__err(CV_EDAMAGED, "the sealing certificate in the catalog (sha256 %.16s...) is not the one pinned by "
			"the signed origins setup (%.16s...): nothing is sealed to it", sha, pin[0] ? pin : "none");
	return 0;
}

int cv__sealing_cert(cv_archive *a, X509 **out)
{
	char *pem = NULL;
	*out = NULL;
	int rc = cv__catalog_meta_get(a->cat, "sealing_cert", &pem);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ESTATE, "the archive has no sealing key yet (the origins setup has not been done)");
	CV_TRY(rc);
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(pem);
	if (!x)
		return cv__ossl_fail(CV_EDAMAGED, "the catalog's sealing certificate does not parse");
	int rc2 = cv__sealing_cert_pinned(a, x);
	if (rc2) {
		X509_free(x);
		return rc2;
	}
	*out = x;
	return 0;
}

/* ------------------------------------------------------------------ */

int cv__sealed_seal(cv_buf *out, char cert_sha[65], cv_archive *a, const void *plain, size_t len)
{
	X509 *cert = NULL;
	CV_TRY(cv__sealing_cert(a, &cert));
	int rc = cv__x509_sha256(cert, cert_sha);
	if (!rc)
		rc = cv__cms_to_cert(out, cert, EVP_aes_256_gcm(), plain, len);
	X509_free(cert);
	return rc;
}

int cv__sealed_check_object(cv_archive *a, const void *obj, size_t n, char *why, size_t wn)
{
	X509 *cert = NULL;
	CV_TRY(cv__sealing_cert(a, &cert));
	const unsigned char *p = obj;
	CMS_ContentInfo *cms = n ? d2i_CMS_ContentInfo(NULL, &p, (long)n) : NULL;
	STACK_OF(CMS_RecipientInfo) *ris = NULL;
	why[0] = '\0';
	if (!cms || p != (const unsigned char *)obj + n)
		snprintf(why, wn, "the sealed object is not one DER CMS object");
	else if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_id_smime_ct_authEnvelopedData)
		snprintf(why, wn, "the sealed object is not CMS AuthEnvelopedData");
	else if (!(ris = CMS_get0_RecipientInfos(cms)) || sk_CMS_RecipientInfo_num(ris) != 1)
		snprintf(why, wn, "the sealed object must have exactly one recipient");
	else if (CMS_RecipientInfo_type(sk_CMS_RecipientInfo_value(ris, 0)) != CMS_RECIPINFO_TRANS ||
		CMS_RecipientInfo_ktri_cert_cmp(sk_CMS_RecipientInfo_value(ris, 0), cert) != 0)
		snprintf(why, wn, "the sealed object is not for the archive's sealing certificate");
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	X509_free(cert);
	return why[0] ? CV_EDAMAGED : 0;
}

/* The journal's record of a sealed object, written in the same transaction
 * as the object: the hash-chained journal (anchored in every git commit)
 * vouches for it, so an object put in later with catalog rows to match
 * (anyone can encrypt to the public certificate) is caught. */
static int journaled(cv_archive *a, const char *case_id, const char *oid, const char *sha, int seq, int *ok)
{
	char obj[256];
	sqlite3_stmt *st = NULL;
	*ok = 0;
	snprintf(obj, sizeof obj, "case:%s object:%s sha256:%s version:%d", case_id, oid, sha, seq);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT count(*) FROM journal WHERE action='origins.seal' AND outcome='ok' AND object=?"));
	cv__bind_text(st, 1, obj);
	int r = cv__catalog_step(a->cat, st, "read the journal");
	if (r > 0)
		*ok = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return r < 0 ? r : 0;
}

int cv__sealed_load(cv_archive *a, const char *case_id, git_odb_object **out)
{
	CV_TRY(cv__rowmac_check(a->cat, "origins_sealed", "case_id=?1", case_id));
	sqlite3_stmt *st = NULL;
	char hex[GIT_OID_HEXSZ + 1] = "", sha[65] = "";
	int seq = 0, ok = 0;
	*out = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT c.sealed, s.sha256, s.seq FROM cases c JOIN origins_sealed s ON s.case_id=c.id AND s.oid=c.sealed"
		" WHERE c.id=? ORDER BY s.seq DESC LIMIT 1"));
	cv__bind_text(st, 1, case_id);
	int r = cv__catalog_step(a->cat, st, "read the sealed identity's record");
	if (r > 0) {
		cv__col_text(st, 0, hex, sizeof hex);
		cv__col_text(st, 1, sha, sizeof sha);
		seq = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	CV_TRY(r);
	git_oid oid;
	unsigned char want[32], got[32];
	if (!hex[0] || git_oid_fromstr(&oid, hex) < 0 || cv__unhex(want, 32, sha) < 0)
		return cv__err(CV_EDAMAGED, "case %s: the sealed identity's record is missing or malformed", case_id);
	CV_TRY(journaled(a, case_id, hex, sha, seq, &ok));
	if (!ok)
		return cv__err(CV_EDAMAGED, "case %s: the sealed object is not the one the journal recorded at ingestion",
			case_id);
	CV_TRY(cv__store_read_blob(a->store, &oid, out));
	if (cv__sha256(got, git_odb_object_data(*out), git_odb_object_size(*out)) != 0 || !cv__ct_equal(got, want, 32)) {
		git_odb_object_free(*out);
		*out = NULL;
		return cv__err(CV_EDAMAGED, "case %s: the sealed object does not match the SHA-256 recorded at ingestion",
			case_id);
	}
	return 0;
}

int cv__sealed_verify(cv_archive *a, const char *case_id, const git_oid *root, int quick, char *why, size_t n)
{
	sqlite3_stmt *st = NULL;
	char current[GIT_OID_HEXSZ + 1] = "", last[GIT_OID_HEXSZ + 1] = "";
	why[0] = '\0';
	char state[16] = "";
	CV_TRY(cv__catalog_stmt(a->cat, &st, "SELECT sealed, state FROM cases WHERE id=?"));
	cv__bind_text(st, 1, case_id);
	/* a query that failed is an error, never a check passed */
	int step = cv__catalog_step(a->cat, st, "read the case's sealed object");
	if (step > 0) {
		cv__col_text(st, 0, current, sizeof current);
		cv__col_text(st, 1, state, sizeof state);
	}
	cv__stmt_done(st);
	if (step < 0)
		return step;
	/* An anonymised or destroyed case no longer points at its sealed object. */
	if (!current[0] && strcmp(state, "active") && strcmp(state, "archived"))
		return 0;
	CV_TRY(cv__catalog_stmt(a->cat, &st, "SELECT seq, oid, sha256, size FROM origins_sealed WHERE case_id=? ORDER BY seq"));
	cv__bind_text(st, 1, case_id);
	while (!why[0] && (step = cv__catalog_step(a->cat, st, "read the sealed objects' records")) > 0) {
		int seq = sqlite3_column_int(st, 0);
		git_oid oid;
		unsigned char want[32], got[32];
		cv__col_text(st, 1, last, sizeof last);
		const char *sha = (const char *)sqlite3_column_text(st, 2);
		if (git_oid_fromstr(&oid, last) < 0 || !sha || cv__unhex(want, 32, sha) < 0) {
			snprintf(why, n, "sealed object %d: malformed record in the catalog", seq);
			break;
		}
		int ok = 0;
		if (quick) {
			if (!cv__store_exists(a->store, &oid))
				snprintf(why, n, "sealed object %d (%s) is missing", seq, last);
			else if (journaled(a, case_id, last, sha, seq, &ok) != 0 || !ok)
				snprintf(why, n, "sealed object %d (%s) is not the one the journal recorded at ingestion", seq, last);
			continue;
		}
		git_odb_object *o = NULL;
		if (cv__store_read_blob(a->store, &oid, &o) < 0 && cv__store_read_blob(a->store, &oid, &o) < 0) {
			snprintf(why, n, "sealed object %d (%s) cannot be read: %s", seq, last, cv_error_last()->message);
			break;
		}
		const void *data = git_odb_object_data(o);
		size_t len = git_odb_object_size(o);
		char w2[200] = "";
		if (cv__sha256(got, data, len) != 0 || !cv__ct_equal(got, want, 32) ||
			len != (size_t)sqlite3_column_int64(st, 3))
			snprintf(why, n, "sealed object %d (%s) does not match the SHA-256 recorded at ingestion", seq, last);
		else if (cv__sealed_check_object(a, data, len, w2, sizeof w2) != 0)
			snprintf(why, n, "sealed object %d (%s): %s", seq, last, w2[0] ? w2 : cv_error_last()->message);
		else if (journaled(a, case_id, last, sha, seq, &ok) != 0 || !ok)
			snprintf(why, n, "sealed object %d (%s) is not the one the journal recorded at ingestion", seq, last);
		git_odb_object_free(o);
	}
	cv__stmt_done(st);
	if (step < 0 && !why[0])
		return step;
	if (!why[0] && strcmp(current, last))
		snprintf(why, n, current[0] ? "the case's sealed object is not the last one recorded at ingestion"
					    : "the case has lost its sealed object");
	if (!why[0] && current[0] && root) {
		git_oid ct, got, want;
		int is_tree = 0;
		if (cv__store_get_case(a->store, root, case_id, &ct) == 0 &&
			(cv__store_lookup(a->store, &ct, "sealed", &got, &is_tree) < 0 || git_oid_fromstr(&want, current) < 0 ||
				!git_oid_equal(&got, &want)))
			snprintf(why, n, "the branch's sealed entry differs from the catalog's");
	}
	cv_error_clear();
	return why[0] ? CV_EDAMAGED : 0;
}
