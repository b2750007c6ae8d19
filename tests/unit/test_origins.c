/* origins through the public API: core dumps off once key material is in
 * memory; a 3-of-3 key: two holders are not enough, three release; a 2-of-3
 * key: every pair of holders releases, the envelope opens with openssl and
 * the CNAOP's key; argument checks; the sealed bytes are nowhere in the
 * archive directory. */
#include "support.h"
#include "engine/internal.h"
#include "util/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static const char SEALED[] = "Identite scellee de test: Berthe OUESSANT-KERGUELEN, nee le 1980-02-03";
static const char *const HOLDERS[] = { "h1", "h2", "h3" };
static const char *const CREDS[] = { "credential of holder one", "credential of holder two",
	"credential of holder three" };

static void test_core_dumps_off(void **s)
{
	(void)s;
	cv__no_core_dumps();
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

typedef struct fixture {
	char *dir, *key, *work;
	char case_id[40];
} fixture;

static void make(fixture *f, const char *name, unsigned threshold)
{
	cv_archive *a = cvt_archive(name, &f->key);
	f->dir = strdup(cv_archive_dir(a));
	f->work = cvt_tmpdir("origins-work");
	for (int i = 0; i < 3; i++) {
		const char *role = "cnaop";
		assert_int_equal(cv_user_add(a, HOLDERS[i], &role, 1, CREDS[i]), 0);
	}
	/* the admin signs the setup with personal keys of their own */
	assert_int_equal(cv_user_passwd(a, "tester", "phrase de l'administrateur", NULL), 0);
	cv_origins_setup_options so = CV_ORIGINS_SETUP_OPTIONS_INIT;
	cv_origins_key_info k;
	so.threshold = 1;
	so.holders = HOLDERS;
	so.nholders = 3;
	so.credential = "phrase de l'administrateur";
	assert_int_equal(cv_origins_setup(&k, a, &so), CV_EINVAL);
	so.threshold = threshold;
	so.version = 99;
	assert_int_equal(cv_origins_setup(&k, a, &so), CV_EINVAL);
	so.version = CV_ORIGINS_SETUP_OPTIONS_VERSION;
	if (cv_origins_setup(&k, a, &so))
		fail_msg("setup: %s", cv_error_last()->message);
	assert_int_equal(k.generation, 1);
	assert_int_equal(k.threshold, threshold);
	assert_int_equal(k.nholders, 3);

	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, a, "unit"), 0);
	cv_case_fields c = { sizeof c, "ASE-U-1", "secret_birth", "2001-01-01", NULL, "29" };
	static const char *const first[] = { "Enfant" };
	cv_person_fields p;
	memset(&p, 0, sizeof p);
	p.size = sizeof p;
	p.id = "p1";
	p.role = "child";
	p.last = "X";
	p.first = first;
	p.nfirst = 1;
	static const char *const concerns[] = { "p1" };
	cv_doc_fields d = { sizeof d, "docs/info.txt", "Informations", "2001-01-02", "report", concerns, 1, 5 };
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	assert_int_equal(cv_ingest_add_person(t, &p), 0);
	assert_int_equal(cv_ingest_doc_begin(t, &d), 0);
	assert_int_equal(cv_ingest_doc_write(t, "info\n", 5), 0);
	assert_int_equal(cv_ingest_doc_end(t), 0);
	assert_int_equal(cv_ingest_sealed_begin(t), 0);
	assert_int_equal(cv_ingest_sealed_write(t, SEALED, 20), 0);
	assert_int_equal(cv_ingest_sealed_write(t, SEALED + 20, sizeof SEALED - 1 - 20), 0);
	assert_int_equal(cv_ingest_sealed_end(t), 0);
	if (cv_ingest_commit(t, &r))
		fail_msg("ingest: %s", cv_error_last()->message);
	snprintf(f->case_id, sizeof f->case_id, "%s", r.case_id);
	cv_origins_fact_options fo = CV_ORIGINS_FACT_OPTIONS_INIT;
	char fid[20];
	fo.kind = CV_ORIGINS_DEATH;
	fo.date = "2020-02-02";
	fo.source = "acte de deces";
	assert_int_equal(cv_origins_record(fid, a, f->case_id, &fo), 0);
	assert_true(fid[0] == 'f');
	cv_archive_free(a);
	assert_int_equal(cvt_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/cnaop.key -out %s/cnaop.crt "
				"-subj /CN=cnaop -days 2 >/dev/null 2>&1", f->work, f->work), 0);
}

static void approve(fixture *f, int i)
{
	cv_archive *a = cvt_reopen(f->dir, f->key, HOLDERS[i]);
	cv_origins_approval ap;
	if (cv_origins_approve(&ap, a, f->case_id, CREDS[i]))
		fail_msg("approve %s: %s", HOLDERS[i], cv_error_last()->message);
	assert_string_equal(ap.holder, HOLDERS[i]);
	cv_archive_free(a);
}

static int release(fixture *f, int by, const int *who, size_t n, const char *out)
{
	cv_archive *a = cvt_reopen(f->dir, f->key, HOLDERS[by]);
	const char *creds[3];
	for (size_t i = 0; i < n; i++)
		creds[i] = CREDS[who[i]];
	char cert[512];
	snprintf(cert, sizeof cert, "%s/cnaop.crt", f->work);
	cv_origins_release_options o = CV_ORIGINS_RELEASE_OPTIONS_INIT;
	cv_origins_release_info ri;
	o.recipient_cert = cert;
	o.out_path = out;
	o.credentials = creds;
	o.ncredentials = n;
	int rc = cv_origins_release(&ri, a, f->case_id, &o);
	assert_int_equal(rc, CV_EINVAL); /* to_cnaop not set */
	o.to_cnaop = 1;
	rc = cv_origins_release(&ri, a, f->case_id, &o);
	cv_archive_free(a);
	return rc;
}

static void opens_to_sealed(fixture *f, const char *out)
{
	assert_int_equal(cvt_sh("openssl cms -decrypt -inform DER -in %s -inkey %s/cnaop.key -recip %s/cnaop.crt "
				"-out %s.txt", out, f->work, f->work, out), 0);
	char txt[600];
	snprintf(txt, sizeof txt, "%s.txt", out);
	size_t len = 0;
	unsigned char *got = cvt_read(txt, &len);
	assert_non_null(got);
	assert_int_equal(len, sizeof SEALED - 1);
	assert_memory_equal(got, SEALED, len);
	free(got);
	unlink(txt);
}

static void no_clear_copy(const char *path, const unsigned char *data, size_t len, void *payload)
{
	(void)payload;
	if (cvt_memmem(data, len, "OUESSANT", 8))
		fail_msg("the sealed identity is in clear in %s", path);
}

static void test_three_of_three(void **s)
{
	(void)s;
	fixture f;
	make(&f, "origins-3of3", 3);
	char out[512];
	snprintf(out, sizeof out, "%s/r.p7m", f.work);
	approve(&f, 0);
	approve(&f, 1);
	int two[] = { 0, 1 }, three[] = { 0, 1, 2 };
	assert_int_equal(release(&f, 0, two, 2, out), CV_EDENIED); /* 2 approvals of 3 */
	approve(&f, 2);
	assert_int_equal(release(&f, 0, two, 2, out), CV_EDENIED); /* 2 credentials of 3 */
	assert_int_equal(access(out, F_OK), -1);
	if (release(&f, 0, three, 3, out))
		fail_msg("release: %s", cv_error_last()->message);
	opens_to_sealed(&f, out);
	cvt_each_file(f.dir, no_clear_copy, NULL);
	cvt_rmrf(f.work);
	free(f.dir);
	free(f.key);
	free(f.work);
}

static void test_every_pair_of_two_of_three(void **s)
{
	(void)s;
	fixture f;
	make(&f, "origins-2of3", 2);
	static const int pairs[3][2] = { { 0, 1 }, { 1, 2 }, { 2, 0 } };
	for (int i = 0; i < 3; i++) {
		char out[512];
		snprintf(out, sizeof out, "%s/r%d.p7m", f.work, i);
		approve(&f, pairs[i][0]);
		approve(&f, pairs[i][1]);
		if (release(&f, pairs[i][1], pairs[i], 2, out))
			fail_msg("release by %s and %s: %s", HOLDERS[pairs[i][0]], HOLDERS[pairs[i][1]], cv_error_last()->message);
		opens_to_sealed(&f, out);
	}
	cv_archive *a = cvt_reopen(f.dir, f.key, "tester");
	cv_origins_info *st = NULL;
	assert_int_equal(cv_origins_status(&st, a, f.case_id), 0);
	assert_int_equal(st->sealed, 1);
	assert_int_equal(st->disclosable, 1);
	assert_string_equal(st->condition, "death");
	assert_int_equal(st->nreleases, 3);
	assert_int_equal(st->valid_approvals, 0);
	assert_int_equal(st->nfacts, 1);
	assert_non_null(st->facts[0].source); /* tester is the admin */
	cv_origins_status_free(st);
	cv_verify_report rep = CV_VERIFY_REPORT_INIT;
	assert_int_equal(cv_archive_verify(&rep, a, NULL, NULL, NULL), 0);
	cv_archive_free(a);
	cvt_each_file(f.dir, no_clear_copy, NULL);
	cvt_rmrf(f.work);
	free(f.dir);
	free(f.key);
	free(f.work);
}

CVT_MAIN(cmocka_unit_test(test_core_dumps_off),
	cmocka_unit_test(test_three_of_three),
	cmocka_unit_test(test_every_pair_of_two_of_three))
