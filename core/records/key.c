/* Handing out a case key for recovery with openssl: role-gated, journaled. */
#include "engine/internal.h"
#include "records/cases.h"
#include "util/hex.h"

#include <stdio.h>

CV_EXTERN(int) cv_case_key_export(char key_id_hex[33], char key_hex[65], cv_archive *a, const char *case_ref)
{
	char id[40], obj[64];
	cv_case_key k;
	CV_TRY(cv__case_gate(a, "key.case", case_ref, id, NULL));
	snprintf(obj, sizeof obj, "case:%s", id);
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
