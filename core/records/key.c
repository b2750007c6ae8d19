/* Handing out a case key for recovery with openssl: role-gated, journaled. */
#include "engine/internal.h"
#include "records/cases.h"
#include "records/blocks.h"
#include "catalog/rowmac.h"
#include "util/hex.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

CV_EXTERN(int) cv_case_key_export(char key_id_hex[33], char key_hex[65], cv_archive *a, const char *case_ref)
{
	char id[40], obj[64];
	cv_case_key k;
	CV_TRY(cv__case_gate(a, "key.case", case_ref, id, NULL));
	snprintf(obj, sizeof obj, "case:%s", id);
	/* A key handed out outlives any later shredding: never while processing
	 * is restricted (GDPR art. 18), and every export is listed on the
	 * shredding certificate (cv__key_exports). */
	CV_TRY(cv__rowmac_check(a->cat, "cases", "id=?1", id));
	CV_TRY(cv__restricted_use(a, id, "key.case"));
	int rc = cv__case_key_load(a, id, &k);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ESTATE, "case %s has no key any more: it was destroyed by crypto-shredding", case_ref);
	CV_TRY(rc);
	rc = cv__journal_record(a->cat, a->actor, "key.case", obj, "ok");
	if (!rc) {
		cv__hex(key_id_hex, k.id, CV_KEY_ID_LEN);
		cv__hex(key_hex, k.key, 32);
	}
	cv__case_key_wipe(&k);
	return rc;
}

json_t *cv__key_exports(cv_archive *a, const char *case_id)
{
	sqlite3_stmt *st = NULL;
	char obj[64];
	json_t *arr = json_array();
	snprintf(obj, sizeof obj, "case:%s", case_id);
	if (!arr) {
		cv__oom();
		return NULL;
	}
	if (cv__catalog_prepare(a->cat, &st, "SELECT time, actor FROM journal WHERE action='key.case' AND "
		"outcome='ok' AND object=? ORDER BY seq")) {
		json_decref(arr);
		return NULL;
	}
	cv__bind_text(st, 1, obj);
	int step, bad = 0;
	while ((step = cv__catalog_step(a->cat, st, "read the case's key exports")) == 1)
		bad |= json_array_append_new(arr, json_pack("{s:s,s:s}", "at", (const char *)sqlite3_column_text(st, 0),
			"by", (const char *)sqlite3_column_text(st, 1))) != 0;
	sqlite3_finalize(st);
	if (step < 0 || bad) {
		/* a certificate must not leave out a key that was handed out */
		if (bad)
			cv__oom();
		json_decref(arr);
		return NULL;
	}
	return arr;
}
