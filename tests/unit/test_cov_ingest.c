/* The ingest API's refusals not covered by test_ingest.c (ingest/ingest.c),
 * through the public API as a plugin or a caller uses it: each bad field is
 * refused at the call that gives it, with the code and a message naming
 * the field and the source; the transaction is dead afterwards (every
 * later call fails with CV_ESTATE, so that a plugin ignoring an error
 * cannot commit half a case) and nothing is stored. Calls out of order are
 * CV_ESTATE. The published vocabularies are exactly what set_case and
 * add_person accept. An anonymised case can no longer receive documents: an
 * old export ingested again must not bring it back. */
#include "support.h"
#include "engine/internal.h"
#include "records/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cv_archive *A;

static int setup(void **s)
{
	(void)s;
	A = cvt_archive("cov_ingest", NULL);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	char *dir = strdup(cv_archive_dir(A));
	cv_archive_free(A);
	cvt_rmrf(dir);
	free(dir);
	return 0;
}

static const char *const FIRST[] = { "Camille" };
static const char *const C1[] = { "p1" };

static cv_case_fields case_ok(const char *ref)
{
	cv_case_fields c = { sizeof c, ref, "placement", "2020-01-15", NULL, "31" };
	return c;
}

static cv_person_fields person_ok(void)
{
	cv_person_fields p;
	memset(&p, 0, sizeof p);
	p.size = sizeof p;
	p.id = "p1";
	p.role = "child";
	p.last = "Lemoine";
	p.first = FIRST;
	p.nfirst = 1;
	p.born = "2012-03-04";
	p.sex = "F";
	return p;
}

static cv_measure_fields measure_ok(void)
{
	cv_measure_fields m = { sizeof m, "placement", "judicial", "2020-01-15", "2020-06-30" };
	return m;
}

static cv_doc_fields doc_ok(void)
{
	cv_doc_fields d = { sizeof d, "docs/a.txt", "Rapport", "2021-02-03", "report", C1, 1, 0 };
	return d;
}

/* `rc` is the refusal expected: its code, and a message naming the source
 * and every fragment; then the transaction is dead and is thrown away. */
static void refused(cv_ingest *t, int rc, int code, const char *what, const char *frag1, const char *frag2)
{
	const char *msg = cv_error_last()->message;
	if (rc != code)
		fail_msg("%s: code %d, expected %d (%s)", what, rc, code, msg);
	if (!strstr(msg, "cov-src"))
		fail_msg("%s: message does not name the source: %s", what, msg);
	if (frag1 && !strstr(msg, frag1))
		fail_msg("%s: message does not say '%s': %s", what, frag1, msg);
	if (frag2 && !strstr(msg, frag2))
		fail_msg("%s: message does not say '%s': %s", what, frag2, msg);
	if (t) {
		cv_measure_fields m = measure_ok();
		assert_int_equal(cv_ingest_add_measure(t, &m), CV_ESTATE);
		assert_non_null(strstr(cv_error_last()->message, "ingest already failed"));
		assert_int_equal(cv_ingest_doc_end(t), CV_ESTATE);
		assert_int_equal(cv_ingest_commit(t, NULL), CV_ESTATE);
		assert_non_null(strstr(cv_error_last()->message, "nothing stored"));
	}
}

static cv_ingest *begin(void)
{
	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, A, "cov-src"), 0);
	return t;
}

/* A transaction with valid case fields and person p1. */
static cv_ingest *begin_with_case(const char *ref)
{
	cv_ingest *t = begin();
	cv_case_fields c = case_ok(ref);
	cv_person_fields p = person_ok();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	assert_int_equal(cv_ingest_add_person(t, &p), 0);
	return t;
}

static size_t ncases(void)
{
	cv_case_info *cs = NULL;
	size_t n = 0;
	assert_int_equal(cv_case_list(&cs, &n, A, NULL), 0);
	cv_case_list_free(cs);
	return n;
}

static void case_fields_refused(void **s)
{
	(void)s;
	size_t before = ncases();
	cv_ingest *t = begin();
	cv_case_fields c = case_ok("ASE-COV-1");
	c.ref = NULL;
	refused(t, cv_ingest_set_case(t, &c), CV_EINVAL, "no ref", "case.ref is missing", NULL);
	t = begin();
	c.ref = "";
	refused(t, cv_ingest_set_case(t, &c), CV_EINVAL, "empty ref", "case.ref is missing", NULL);
	t = begin();
	refused(t, cv_ingest_set_case(t, NULL), CV_EINVAL, "no fields", "case.ref is missing", NULL);

	char ref[121];
	memset(ref, 'R', 120);
	ref[120] = '\0';
	t = begin();
	c = case_ok(ref);
	refused(t, cv_ingest_set_case(t, &c), CV_EINVAL, "ref of 120 bytes", "is too long (at most 119 bytes)", "RRRR");
	ref[119] = '\0'; /* 119 bytes: accepted */
	t = begin();
	c = case_ok(ref);
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	cv_ingest_abort(t);

	t = begin();
	c = case_ok("ASE-COV-1");
	c.closed = "2021-02-30";
	refused(t, cv_ingest_set_case(t, &c), CV_EINVAL, "bad closed", "case.closed '2021-02-30'", "YYYY-MM-DD");

	t = begin();
	c = case_ok("ASE-COV-1");
	c.territory = "0123456789abcdef"; /* 16 bytes */
	refused(t, cv_ingest_set_case(t, &c), CV_EINVAL, "long territory", "case.territory '0123456789abcdef' is too long", NULL);

	t = begin();
	c = case_ok("ASE-COV-1");
	c.territory = "Haute-Garonne";
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	refused(t, cv_ingest_set_case(t, &c), CV_EINVAL, "twice", "case fields given twice", NULL);
	assert_int_equal(ncases(), before);
}

static void person_fields_refused(void **s)
{
	(void)s;
	size_t before = ncases();
	cv_case_fields c = case_ok("ASE-COV-2");
	cv_ingest *t = begin();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	cv_person_fields p = person_ok();
	p.id = NULL;
	refused(t, cv_ingest_add_person(t, &p), CV_EINVAL, "no id", "a person has no id", NULL);

	t = begin();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	p = person_ok();
	p.id = "p12345678901234567890123456789012345678901"; /* 41 bytes */
	refused(t, cv_ingest_add_person(t, &p), CV_EINVAL, "long id", "an id over 40 bytes", NULL);

	t = begin();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	refused(t, cv_ingest_add_person(t, NULL), CV_EINVAL, "no person", "a person has no id", NULL);

	t = begin();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	p = person_ok();
	p.last = "";
	refused(t, cv_ingest_add_person(t, &p), CV_EINVAL, "empty surname", "person p1: 'last' (surname) is missing", NULL);

	t = begin();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	p = person_ok();
	p.sex = "H";
	refused(t, cv_ingest_add_person(t, &p), CV_EINVAL, "bad sex", "person p1: sex 'H' is not M, F or X", NULL);

	t = begin();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	static const char *const two[] = { "Camille", "" };
	p = person_ok();
	p.first = two;
	p.nfirst = 2;
	refused(t, cv_ingest_add_person(t, &p), CV_EINVAL, "empty first name", "person p1: an empty first name", NULL);

	/* M, F and X are the three sexes accepted */
	static const char *const sexes[] = { "M", "F", "X" };
	t = begin();
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	for (int i = 0; i < 3; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i + 1);
		p = person_ok();
		p.id = id;
		p.sex = sexes[i];
		assert_int_equal(cv_ingest_add_person(t, &p), 0);
	}
	cv_ingest_abort(t);
	assert_int_equal(ncases(), before);
}

static void measure_fields_refused(void **s)
{
	(void)s;
	size_t before = ncases();
	struct {
		const char *what;
		cv_measure_fields m;
		const char *frag1, *frag2;
	} bad[] = {
		{ "no type", { sizeof(cv_measure_fields), NULL, NULL, "2020-01-15", NULL }, "a measure has no type", NULL },
		{ "long type", { sizeof(cv_measure_fields), "t1234567890123456789012345678901234567890", NULL, "2020-01-15", NULL },
			"a type over 40 bytes", NULL },
		{ "no start", { sizeof(cv_measure_fields), "aemo", NULL, NULL, NULL }, "measure aemo: start '(missing)'", NULL },
		{ "bad start", { sizeof(cv_measure_fields), "aemo", NULL, "2020-00-10", NULL }, "measure aemo: start '2020-00-10'", NULL },
		{ "bad end", { sizeof(cv_measure_fields), "aemo", NULL, "2020-01-15", "2020-06-31" }, "measure aemo: end '2020-06-31'",
			"YYYY-MM-DD" },
		{ "end before start", { sizeof(cv_measure_fields), "aemo", NULL, "2020-01-15", "2020-01-14" },
			"measure aemo: end is before start", NULL },
		{ "long basis", { sizeof(cv_measure_fields), "aemo", "b234567890123456789012345678901", "2020-01-15", NULL },
			"measure aemo: basis 'b234567890123456789012345678901' is too long", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cv_ingest *t = begin_with_case("ASE-COV-3");
		refused(t, cv_ingest_add_measure(t, &bad[i].m), CV_EINVAL, bad[i].what, bad[i].frag1, bad[i].frag2);
	}
	/* the limits themselves are accepted: a 40-byte type, a 30-byte basis,
	 * an end on the start day */
	cv_ingest *t = begin_with_case("ASE-COV-3");
	cv_measure_fields m = { sizeof m, "t123456789012345678901234567890123456789", "b23456789012345678901234567890",
		"2020-01-15", "2020-01-15" };
	assert_int_equal(cv_ingest_add_measure(t, &m), 0);
	cv_ingest_abort(t);
	assert_int_equal(ncases(), before);
}

static void document_fields_refused(void **s)
{
	(void)s;
	size_t before = ncases();
	cv_ingest *t = begin_with_case("ASE-COV-4");
	cv_doc_fields d = doc_ok();
	d.path = NULL;
	refused(t, cv_ingest_doc_begin(t, &d), CV_EINVAL, "no path", "a document has no path", NULL);

	t = begin_with_case("ASE-COV-4");
	refused(t, cv_ingest_doc_begin(t, NULL), CV_EINVAL, "no fields", "a document has no path", NULL);

	t = begin_with_case("ASE-COV-4");
	d = doc_ok();
	d.type = "t234567890123456789012345678901"; /* 31 bytes */
	refused(t, cv_ingest_doc_begin(t, &d), CV_EINVAL, "long type", "document docs/a.txt: type", "is too long");

	t = begin_with_case("ASE-COV-4");
	static const char *const latin1[] = { "p\xe9re" };
	d = doc_ok();
	d.concerns = latin1;
	refused(t, cv_ingest_doc_begin(t, &d), CV_EINVAL, "concerns not UTF-8", "document docs/a.txt: bad 'concerns' entry", NULL);

	t = begin_with_case("ASE-COV-4");
	d = doc_ok();
	d.title = "Rapport \xff";
	refused(t, cv_ingest_doc_begin(t, &d), CV_EINVAL, "title not UTF-8", "document title: not valid UTF-8 text", NULL);
	assert_int_equal(ncases(), before);
}

static void calls_out_of_order(void **s)
{
	(void)s;
	size_t before = ncases();
	cv_doc_fields d = doc_ok();
	cv_ingest *t = begin_with_case("ASE-COV-5");
	refused(t, cv_ingest_doc_write(t, "abc", 3), CV_ESTATE, "write outside", "document data outside a document", NULL);

	t = begin_with_case("ASE-COV-5");
	refused(t, cv_ingest_doc_end(t), CV_ESTATE, "end without begin", "document ended twice", NULL);

	t = begin_with_case("ASE-COV-5");
	assert_int_equal(cv_ingest_doc_begin(t, &d), 0);
	assert_int_equal(cv_ingest_doc_write(t, "abc", 3), 0);
	assert_int_equal(cv_ingest_doc_end(t), 0);
	refused(t, cv_ingest_doc_end(t), CV_ESTATE, "ended twice", "document ended twice", NULL);

	t = begin_with_case("ASE-COV-5");
	assert_int_equal(cv_ingest_doc_begin(t, &d), 0);
	cv_doc_fields d2 = doc_ok();
	d2.path = "docs/b.txt";
	refused(t, cv_ingest_doc_begin(t, &d2), CV_ESTATE, "begun twice", "document begun before the previous one ended", NULL);

	/* commit frees the transaction whatever happens */
	t = begin_with_case("ASE-COV-5");
	assert_int_equal(cv_ingest_doc_begin(t, &d), 0);
	assert_int_equal(cv_ingest_doc_write(t, "abc", 3), 0);
	int rc = cv_ingest_commit(t, NULL);
	refused(NULL, rc, CV_ESTATE, "commit inside a document", "a document was not ended", NULL);

	t = begin();
	rc = cv_ingest_commit(t, NULL);
	refused(NULL, rc, CV_EINVAL, "commit without a case", "no case fields were given", NULL);

	assert_int_equal(cv_ingest_commit(NULL, NULL), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "no ingest transaction"));
	assert_int_equal(cv_ingest_doc_write(NULL, "x", 1), CV_EINVAL);
	assert_int_equal(ncases(), before);
}

/* cv_case_categories / cv_person_roles publish what set_case and
 * add_person accept: every listed value passes, a value off the list is
 * refused naming it. */
static void vocabularies_are_the_ones_enforced(void **s)
{
	(void)s;
	const char *const *cat = cv_case_categories(), *const *roles = cv_person_roles();
	size_t ncat = 0, nroles = 0;
	for (; cat[ncat]; ncat++) {
		cv_ingest *t = begin();
		cv_case_fields c = case_ok("ASE-COV-6");
		c.category = cat[ncat];
		if (cv_ingest_set_case(t, &c))
			fail_msg("category %s listed but refused: %s", cat[ncat], cv_error_last()->message);
		cv_ingest_abort(t);
	}
	assert_int_equal(ncat, 8);
	cv_ingest *t = begin_with_case("ASE-COV-6");
	for (; roles[nroles]; nroles++) {
		char id[16];
		snprintf(id, sizeof id, "r%zu", nroles);
		cv_person_fields p = person_ok();
		p.id = id;
		p.role = roles[nroles];
		if (cv_ingest_add_person(t, &p))
			fail_msg("role %s listed but refused: %s", roles[nroles], cv_error_last()->message);
	}
	cv_ingest_abort(t);
	assert_int_equal(nroles, 10);
	t = begin();
	cv_case_fields c = case_ok("ASE-COV-6");
	c.category = "orphelinat";
	refused(t, cv_ingest_set_case(t, &c), CV_EINVAL, "off the list", "case.category 'orphelinat'", NULL);
}

static void anonymised_case_cannot_come_back(void **s)
{
	(void)s;
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	assert_int_equal(cvt_ingest_case(A, "ASE-COV-7", "docs/a.txt", "premier rapport", 15, &r), 0);
	cv_case_info ci;
	assert_int_equal(cv_case_get(&ci, A, "ASE-COV-7"), 0);
	char cid[40];
	snprintf(cid, sizeof cid, "%s", ci.id);

	/* anonymise it the way the sweep and an erasure do */
	cv_txn tx;
	char key_id[33];
	assert_int_equal(cv__txn_begin(&tx, A, "test: anonymise"), 0);
	int rc = cv__txn_sql_begin(&tx);
	if (!rc)
		rc = cv__case_shred(&tx, cid, 0, NULL, 0, key_id);
	assert_int_equal(cv__txn_finish(&tx, rc, "test.anonymise", cid), 0);
	assert_int_equal(cv_case_get(&ci, A, "ASE-COV-7"), 0);
	assert_string_equal(ci.state, "anonymised");

	/* the same bundle again: refused at set_case, naming the case and its state */
	cv_ingest *t = begin();
	cv_case_fields c = case_ok("ASE-COV-7");
	refused(t, cv_ingest_set_case(t, &c), CV_ESTATE, "anonymised", "case ASE-COV-7 is anonymised",
		"can no longer receive documents");
	cvt_sink sink = { 0 };
	assert_true(cv_doc_cat(A, cid, "d1", 0, cvt_sink_cb, &sink) != 0);
	assert_int_equal(sink.len, 0);
	cvt_sink_free(&sink);
	assert_int_equal(cv_case_get(&ci, A, "ASE-COV-7"), 0);
	assert_string_equal(ci.state, "anonymised");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(case_fields_refused),
		cmocka_unit_test(person_fields_refused),
		cmocka_unit_test(measure_fields_refused),
		cmocka_unit_test(document_fields_refused),
		cmocka_unit_test(calls_out_of_order),
		cmocka_unit_test(vocabularies_are_the_ones_enforced),
		cmocka_unit_test(anonymised_case_cannot_come_back),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
