/* ingest (public API): a case with a 9 MiB document read back byte for
 * byte; re-ingest with one changed document (revisions, chunk reuse); a
 * removed document stays readable; an aborted ingest changes nothing;
 * invalid inputs are refused naming the field; the blind-index search
 * folds case, accents, hyphens and spaces; no name, phone or e-mail of a
 * person is anywhere on disk in clear. */
#include "support.h"
#include "engine/internal.h"
#include "ingest/ingest_model.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG_LEN (9u << 20)

static cv_archive *A;
static char *KEY, *ADIR;
static unsigned char *big1, *big2;
static const char NOTE[] = "Note de situation: entretien du 3 mars, la famille est reçue au service.\n";
static const char RAPPORT[] = "Rapport éducatif annuel. L'enfant progresse à l'école.\n";
static char case_id[40];

/* persons of the test case (their data must never be on disk in clear) */
static const char *const P1_FIRST[] = { "Marie", "Cl\xc3\xa9mence" };
static const char *const P2_FIRST[] = { "H\xc3\xa9l\xc3\xa8ne" };
static const char *const P3_FIRST[] = { "Anne" };
static const cv_person_fields P[3] = {
	{ .size = sizeof(cv_person_fields), .id = "p1", .role = "child", .last = "Da Silva", .first = P1_FIRST, .nfirst = 2,
		.born = "2012-03-04", .sex = "F", .phone = "0611223344", .email = "marie.dasilva@example.org" },
	{ .size = sizeof(cv_person_fields), .id = "p2", .role = "mother", .last = "Lef\xc3\xa8vre", .first = P2_FIRST, .nfirst = 1,
		.born = "1985-07-21", .sex = "F", .phone = "+33 6 55 44 33 22", .email = "helene.lefevre@example.net",
		.address = "12 rue des Acacias, 31000 Toulouse", .nir = "2850731555123" },
	{ .size = sizeof(cv_person_fields), .id = "p3", .role = "professional", .last = "Garnier", .first = P3_FIRST, .nfirst = 1,
		.function = "r\xc3\xa9" "f\xc3\xa9rente ASE" },
};
static const char *const SECRETS[] = { "Da Silva", "Lef\xc3\xa8vre", "Lefe\xcc\x80vre", "H\xc3\xa9l\xc3\xa8ne", "Cl\xc3\xa9mence",
	"Garnier", "0611223344", "+33 6 55 44 33 22", "marie.dasilva@example.org", "helene.lefevre@example.net",
	"rue des Acacias", "2850731555123", "Note de situation", "Rapport \xc3\xa9" "ducatif annuel", NULL };

typedef struct tdoc {
	const char *path, *title;
	const void *data;
	size_t len;
} tdoc;

static int ingest(const tdoc *docs, size_t n, cv_ingest_result *res)
{
	cv_ingest *t = NULL;
	int rc = cv_ingest_begin(&t, A, "test-bundle");
	if (rc)
		return rc;
	cv_case_fields c = { sizeof c, "ASE-31-2020-00042", "placement", "2020-01-15", NULL, "31" };
	static const char *const concerns[] = { "p1", "p2" };
	cv_measure_fields m = { sizeof m, "AEMO", "judicial", "2020-01-15", "2021-06-30" };
	rc = cv_ingest_set_case(t, &c);
	for (int i = 0; !rc && i < 3; i++)
		rc = cv_ingest_add_person(t, &P[i]);
	if (!rc)
		rc = cv_ingest_add_measure(t, &m);
	for (size_t i = 0; !rc && i < n; i++) {
		cv_doc_fields d = { sizeof d, docs[i].path, docs[i].title, "2021-02-03", "report", concerns, 2, docs[i].len };
		rc = cv_ingest_doc_begin(t, &d);
		const unsigned char *p = docs[i].data;
		for (size_t off = 0; !rc && off < docs[i].len; off += 65536)
			rc = cv_ingest_doc_write(t, p + off, docs[i].len - off < 65536 ? docs[i].len - off : 65536);
		if (!rc)
			rc = cv_ingest_doc_end(t);
	}
	if (rc) {
		cv_ingest_abort(t);
		return rc;
	}
	return cv_ingest_commit(t, res);
}

static const char *doc_id_of(const char *path, int *removed)
{
	static char id[16];
	cv_doc_info *l = NULL;
	size_t n = 0;
	assert_int_equal(cv_doc_list(&l, &n, A, case_id), 0);
	id[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].path, path)) {
			snprintf(id, sizeof id, "%s", l[i].id);
			if (removed)
				*removed = l[i].removed;
		}
	cv_doc_list_free(l, n);
	if (!id[0])
		fail_msg("document %s not listed", path);
	return id;
}

static void expect_doc(const char *doc, unsigned rev, const void *want, size_t len)
{
	cvt_sink s = { 0 };
	int rc = cv_doc_cat(A, case_id, doc, rev, cvt_sink_cb, &s);
	if (rc)
		fail_msg("doc cat %s rev %u: %s", doc, rev, cv_error_last()->message);
	if (s.len != len)
		fail_msg("doc %s rev %u: %zu bytes read, %zu expected", doc, rev, s.len, len);
	if (len && memcmp(s.data, want, len))
		fail_msg("doc %s rev %u: content differs", doc, rev);
	cvt_sink_free(&s);
}

static int setup(void **s)
{
	(void)s;
	A = cvt_archive("ingest", &KEY);
	ADIR = strdup(cv_archive_dir(A));
	big1 = malloc(BIG_LEN);
	big2 = malloc(BIG_LEN);
	cvt_fill(big1, BIG_LEN, 9001);
	memcpy(big2, big1, BIG_LEN);
	cvt_fill(big2 + (5u << 20), 100, 9002); /* 100 bytes changed in the middle */
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	cv_archive_free(A);
	free(big1);
	free(big2);
	free(ADIR);
	free(KEY);
	return 0;
}

static void test_first_ingest_round_trip(void **s)
{
	(void)s;
	tdoc docs[3] = { { "docs/big.bin", "Dossier scanné", big1, BIG_LEN }, { "docs/note.txt", "Note", NOTE, sizeof NOTE - 1 },
		{ "docs/rapport.txt", "Rapport", RAPPORT, sizeof RAPPORT - 1 } };
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	int rc = ingest(docs, 3, &r);
	if (rc)
		fail_msg("ingest: %s", cv_error_last()->message);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.case_version, 1);
	assert_int_equal(r.docs_new, 3);
	assert_int_equal(r.bytes_in, BIG_LEN + sizeof NOTE - 1 + sizeof RAPPORT - 1);
	assert_true(r.chunks_new >= 4); /* 9 MiB is several chunks (at most 4 MiB each) */
	assert_string_equal(r.ref, "ASE-31-2020-00042");
	snprintf(case_id, sizeof case_id, "%s", r.case_id);
	assert_true(strlen(case_id) > 0);

	expect_doc(doc_id_of("docs/big.bin", NULL), 0, big1, BIG_LEN);
	expect_doc(doc_id_of("docs/big.bin", NULL), 1, big1, BIG_LEN);
	expect_doc(doc_id_of("docs/note.txt", NULL), 0, NOTE, sizeof NOTE - 1);
	cv_case_info ci;
	assert_int_equal(cv_case_get(&ci, A, "ASE-31-2020-00042"), 0);
	assert_string_equal(ci.id, case_id);
	assert_string_equal(ci.category, "placement");
	assert_string_equal(ci.state, "active");
	assert_int_equal(ci.ndocs, 3);
	cv_case_detail *d = NULL;
	assert_int_equal(cv_case_show(&d, A, case_id), 0);
	assert_int_equal(d->npersons, 3);
	assert_string_equal(d->persons[1].last, "Lef\xc3\xa8vre");
	assert_string_equal(d->persons[0].phone, "0611223344");
	assert_int_equal(d->nmeasures, 1);
	cv_case_detail_free(d);
}

static void test_reingest_one_changed(void **s)
{
	(void)s;
	tdoc docs[3] = { { "docs/big.bin", "Dossier scanné", big2, BIG_LEN }, { "docs/note.txt", "Note", NOTE, sizeof NOTE - 1 },
		{ "docs/rapport.txt", "Rapport", RAPPORT, sizeof RAPPORT - 1 } };
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	r = (cv_ingest_result)CV_INGEST_RESULT_INIT;
	int rc = ingest(docs, 3, &r);
	if (rc)
		fail_msg("re-ingest: %s", cv_error_last()->message);
	assert_int_equal(r.created, 0);
	assert_int_equal(r.case_version, 2);
	assert_string_equal(r.case_id, case_id);
	assert_int_equal(r.docs_new, 0);
	assert_int_equal(r.docs_changed, 1);
	assert_int_equal(r.docs_unchanged, 2);
	assert_int_equal(r.docs_removed, 0);
	print_message("  re-ingest: %llu chunks new, %llu reused, %llu bytes stored\n", (unsigned long long)r.chunks_new,
		(unsigned long long)r.chunks_reused, (unsigned long long)r.bytes_stored);
	assert_true(r.chunks_reused >= 3);    /* note, rapport and the untouched parts of big */
	assert_true(r.chunks_new >= 1 && r.chunks_new <= 2);
	assert_true(r.bytes_stored < BIG_LEN / 2);

	const char *big = doc_id_of("docs/big.bin", NULL);
	char bigid[16];
	snprintf(bigid, sizeof bigid, "%s", big);
	cv_doc_rev *log = NULL;
	size_t n = 0;
	assert_int_equal(cv_doc_log(&log, &n, A, case_id, bigid), 0);
	assert_int_equal(n, 2);
	assert_int_equal(log[0].rev, 1);
	assert_int_equal(log[1].rev, 2);
	assert_int_equal(log[0].size, BIG_LEN);
	assert_int_equal(log[1].case_version, 2);
	cv_doc_log_free(log);
	expect_doc(bigid, 1, big1, BIG_LEN);
	expect_doc(bigid, 2, big2, BIG_LEN);
	expect_doc(bigid, 0, big2, BIG_LEN);
	cvt_sink sink = { 0 };
	assert_int_equal(cv_doc_cat(A, case_id, bigid, 3, cvt_sink_cb, &sink), CV_ENOTFOUND);
	assert_int_equal(sink.len, 0);

	const char *note = doc_id_of("docs/note.txt", NULL);
	assert_int_equal(cv_doc_log(&log, &n, A, case_id, note), 0);
	assert_int_equal(n, 1);
	cv_doc_log_free(log);

	/* the same bundle once more: nothing new at all */
	r = (cv_ingest_result)CV_INGEST_RESULT_INIT;
	assert_int_equal(ingest(docs, 3, &r), 0);
	assert_int_equal(r.docs_unchanged, 3);
	assert_int_equal(r.chunks_new, 0);
	assert_int_equal(r.bytes_stored, 0);
}

static void test_removed_doc_stays_readable(void **s)
{
	(void)s;
	char rid[16];
	snprintf(rid, sizeof rid, "%s", doc_id_of("docs/rapport.txt", NULL));
	tdoc docs[2] = { { "docs/big.bin", "Dossier scanné", big2, BIG_LEN }, { "docs/note.txt", "Note", NOTE, sizeof NOTE - 1 } };
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	r = (cv_ingest_result)CV_INGEST_RESULT_INIT;
	assert_int_equal(ingest(docs, 2, &r), 0);
	assert_int_equal(r.docs_removed, 1);
	assert_int_equal(r.docs_unchanged, 2);
	int removed = 0;
	assert_string_equal(doc_id_of("docs/rapport.txt", &removed), rid);
	assert_int_equal(removed, 1);
	expect_doc(rid, 1, RAPPORT, sizeof RAPPORT - 1);
	expect_doc(rid, 0, RAPPORT, sizeof RAPPORT - 1);
	cv_case_info ci;
	assert_int_equal(cv_case_get(&ci, A, case_id), 0);
	assert_int_equal(ci.ndocs, 2);
}

static char *pack_listing(void)
{
	char *out = calloc(1, 65536);
	DIR *d = opendir(A->store->pack_dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strlen(out) + strlen(e->d_name) + 2 < 65536) {
			strcat(out, e->d_name);
			strcat(out, "\n");
		}
	if (d)
		closedir(d);
	return out;
}

/* What an ingest that stores nothing must leave as it was: the catalog's
 * head, the branch, the pack files and the case list. */
typedef struct snap {
	char head[64];
	git_oid branch;
	char *packs;
	size_t ncases;
} snap;

static void snap_take(snap *s)
{
	char *h = NULL;
	assert_int_equal(cv__catalog_meta_get(A->cat, "head", &h), 0);
	snprintf(s->head, sizeof s->head, "%s", h);
	free(h);
	assert_int_equal(cv__store_head(A->store, &s->branch), 0);
	s->packs = pack_listing();
	cv_case_info *l = NULL;
	assert_int_equal(cv_case_list(&l, &s->ncases, A, NULL), 0);
	cv_case_list_free(l);
}

static void snap_unchanged(snap *before)
{
	snap now;
	snap_take(&now);
	assert_string_equal(before->head, now.head);
	assert_true(git_oid_equal(&before->branch, &now.branch));
	assert_string_equal(before->packs, now.packs);
	assert_int_equal(before->ncases, now.ncases);
	free(before->packs);
	free(now.packs);
}

static void test_abort_changes_nothing(void **s)
{
	(void)s;
	snap s0;
	snap_take(&s0);

	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, A, "aborted"), 0);
	cv_case_fields c = { sizeof c, "ASE-ABORT-1", "prevention", "2024-01-01", NULL, NULL };
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	assert_int_equal(cv_ingest_add_person(t, &P[0]), 0);
	cv_doc_fields d = { sizeof d, "x.bin", "Gros", NULL, NULL, NULL, 0, 0 };
	assert_int_equal(cv_ingest_doc_begin(t, &d), 0);
	/* more than one pack's worth (CV_PACK_FLUSH), so a pack hits the disk */
	for (int i = 0; i < 2; i++)
		assert_int_equal(cv_ingest_doc_write(t, big1, BIG_LEN), 0);
	assert_int_equal(cv_ingest_doc_write(t, big2, BIG_LEN), 0);
	assert_int_equal(cv_ingest_doc_end(t), 0);
	cv_ingest_abort(t);

	snap_unchanged(&s0);
	cv_case_info ci;
	assert_int_equal(cv_case_get(&ci, A, "ASE-ABORT-1"), CV_ENOTFOUND);

	/* a commit that fails (a document concerns an unknown person) too */
	snap_take(&s0);
	assert_int_equal(cv_ingest_begin(&t, A, "bad-commit"), 0);
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	assert_int_equal(cv_ingest_add_person(t, &P[0]), 0);
	static const char *const who[] = { "p9" };
	cv_doc_fields d2 = { sizeof d2, "y.txt", "Y", NULL, NULL, who, 1, 0 };
	assert_int_equal(cv_ingest_doc_begin(t, &d2), 0);
	assert_int_equal(cv_ingest_doc_write(t, big1, 3u << 20), 0);
	assert_int_equal(cv_ingest_doc_end(t), 0);
	assert_int_equal(cv_ingest_commit(t, NULL), CV_EINVAL);
	snap_unchanged(&s0);
}

/* The chunk pipeline (ingest_pipe.c): documents from empty to 6 MiB, so
 * that chunks of every size, up to the chunker's 4 MiB maximum, go round
 * the worker's ring many times; the same content twice is stored once;
 * every document reads back identical. */
static const cv_person_fields PIPE_CHILD = { .size = sizeof(cv_person_fields), .id = "p1", .role = "child",
	.last = "Tuyau" };

static void test_pipeline_mixed_sizes(void **s)
{
	(void)s;
	enum { N = 240 };
	static size_t len[N];
	static char path[N][24];
	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, A, "pipeline"), 0);
	cv_case_fields c = { sizeof c, "ASE-PIPE-1", "prevention", "2024-01-01", NULL, NULL };
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	assert_int_equal(cv_ingest_add_person(t, &PIPE_CHILD), 0);
	for (int i = 0; i < N; i++) {
		len[i] = i % 40 == 7 ? 6u << 20 : i % 3 == 0 ? (size_t)i * 977 : (size_t)(i * 7919) % 300000;
		if (i == 200)
			len[i] = len[47]; /* a copy of document 47 */
		snprintf(path[i], sizeof path[i], "d/%03d.bin", i);
		cv_doc_fields d = { sizeof d, path[i], "Piece", NULL, NULL, NULL, 0, len[i] };
		assert_int_equal(cv_ingest_doc_begin(t, &d), 0);
		const unsigned char *src = big1 + (i == 200 ? 47 : i) * 4099 % (BIG_LEN - (6u << 20));
		for (size_t off = 0; off < len[i]; off += 100000)
			assert_int_equal(cv_ingest_doc_write(t, src + off, len[i] - off < 100000 ? len[i] - off : 100000), 0);
		assert_int_equal(cv_ingest_doc_end(t), 0);
	}
	cv_ingest_result res = CV_INGEST_RESULT_INIT;
	assert_int_equal(cv_ingest_commit(t, &res), 0);
	assert_int_equal(res.docs_new, N);
	assert_true(res.chunks_reused >= 1);
	char saved[40];
	snprintf(saved, sizeof saved, "%s", case_id);
	snprintf(case_id, sizeof case_id, "%s", res.case_id);
	for (int i = 0; i < N; i++) {
		const unsigned char *src = big1 + (i == 200 ? 47 : i) * 4099 % (BIG_LEN - (6u << 20));
		expect_doc(doc_id_of(path[i], NULL), 0, src, len[i]);
	}
	snprintf(case_id, sizeof case_id, "%s", saved);
}

/* An error on the worker (here: its pack cannot be written) reaches the
 * caller with its message, at a later write or at the commit, and nothing
 * is stored. */
static void test_pipeline_worker_error(void **s)
{
	(void)s;
	snap s0;
	snap_take(&s0);
	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, A, "broken"), 0);
	cv_case_fields c = { sizeof c, "ASE-PIPE-ERR", "prevention", "2024-01-01", NULL, NULL };
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	assert_int_equal(cv_ingest_add_person(t, &PIPE_CHILD), 0);
	free(t->txn.pack.pack_dir);
	t->txn.pack.pack_dir = strdup("/nonexistent/casevault-pack");
	cv_doc_fields d = { sizeof d, "x.bin", "Gros", NULL, NULL, NULL, 0, 0 };
	int rc = cv_ingest_doc_begin(t, &d);
	for (int i = 0; !rc && i < 3; i++)
		rc = cv_ingest_doc_write(t, big1, BIG_LEN);
	if (!rc)
		rc = cv_ingest_doc_end(t);
	if (!rc) {
		rc = cv_ingest_commit(t, NULL);
	} else {
		assert_non_null(strstr(cv_error_last()->message, "/nonexistent/casevault-pack"));
		/* once failed, the ingest stays failed */
		assert_true(cv_ingest_doc_write(t, "x", 1) < 0);
		assert_true(cv_ingest_commit(t, NULL) < 0);
		rc = CV_ERROR;
	}
	assert_true(rc < 0);
	snap_unchanged(&s0);
	cv_case_info ci;
	assert_int_equal(cv_case_get(&ci, A, "ASE-PIPE-ERR"), CV_ENOTFOUND);
}

/* ---- invalid inputs ---- */

enum step { S_CASE, S_PERSONS, S_DOC, S_COMMIT };

typedef struct bad_case {
	const char *what;
	cv_case_fields c;
	const cv_person_fields *extra_person; /* added after P[0] */
	cv_doc_fields d;
	enum step fails_at;
	const char *must_name[3];
} bad_case;

static void run_bad(const bad_case *b)
{
	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, A, "bad.zip"), 0);
	int rc = cv_ingest_set_case(t, &b->c);
	enum step at = S_CASE;
	if (!rc) {
		at = S_PERSONS;
		rc = cv_ingest_add_person(t, &P[0]);
		if (!rc && b->extra_person)
			rc = cv_ingest_add_person(t, b->extra_person);
	}
	if (!rc) {
		at = S_DOC;
		rc = cv_ingest_doc_begin(t, &b->d);
		if (!rc)
			rc = cv_ingest_doc_write(t, "abc", 3);
		if (!rc)
			rc = cv_ingest_doc_end(t);
	}
	if (!rc) {
		at = S_COMMIT;
		rc = cv_ingest_commit(t, NULL);
		t = NULL;
	}
	if (rc == 0)
		fail_msg("%s: accepted", b->what);
	const char *msg = cv_error_last()->message;
	if (rc != CV_EINVAL)
		fail_msg("%s: code %d, expected CV_EINVAL (%s)", b->what, rc, msg);
	if (at != b->fails_at)
		fail_msg("%s: failed at step %d, expected %d (%s)", b->what, at, b->fails_at, msg);
	for (int i = 0; i < 3 && b->must_name[i]; i++)
		if (!strstr(msg, b->must_name[i]))
			fail_msg("%s: message does not name '%s': %s", b->what, b->must_name[i], msg);
	if (t) {
		/* a failed transaction is dead: nothing more is accepted */
		assert_true(cv_ingest_doc_write(t, "x", 1) < 0);
		assert_int_equal(cv_ingest_commit(t, NULL), CV_ESTATE);
	}
}

static void test_invalid_inputs(void **s)
{
	(void)s;
	static const char *const c1[] = { "p1" }, *const c9[] = { "p9" };
	cv_case_fields ok = { sizeof ok, "ASE-BAD-1", "placement", "2020-01-15", NULL, NULL };
	cv_doc_fields dok = { sizeof dok, "a.txt", "A", "2021-01-01", NULL, c1, 1, 0 };
	cv_person_fields dup = P[1];
	dup.id = "p1";
	cv_person_fields badrole = P[1];
	badrole.role = "uncle";
	cv_person_fields badborn = P[1];
	badborn.born = "1985-02-30";
	cv_person_fields bademail = P[1];
	bademail.email = "not-an-address";
	cv_person_fields badid = P[1];
	badid.id = "p 2";
	bad_case cases[] = {
		{ "bad category", { sizeof ok, "ASE-BAD-1", "orphanage", "2020-01-15", NULL, NULL }, NULL, dok, S_CASE,
			{ "case.category", "orphanage" } },
		{ "missing category", { sizeof ok, "ASE-BAD-1", NULL, "2020-01-15", NULL, NULL }, NULL, dok, S_CASE, { "case.category" } },
		{ "bad opened date", { sizeof ok, "ASE-BAD-1", "placement", "2020-02-30", NULL, NULL }, NULL, dok, S_CASE,
			{ "case.opened", "2020-02-30" } },
		{ "short date", { sizeof ok, "ASE-BAD-1", "placement", "2020-1-15", NULL, NULL }, NULL, dok, S_CASE, { "case.opened" } },
		{ "closed before opened", { sizeof ok, "ASE-BAD-1", "placement", "2020-01-15", "2019-01-01", NULL }, NULL, dok, S_CASE,
			{ "case.closed" } },
		{ "ref with a slash", { sizeof ok, "ASE/1", "placement", "2020-01-15", NULL, NULL }, NULL, dok, S_CASE, { "case.ref" } },
		{ "duplicate person id", ok, &dup, dok, S_PERSONS, { "p1", "twice" } },
		{ "bad role", ok, &badrole, dok, S_PERSONS, { "role", "uncle" } },
		{ "bad birth date", ok, &badborn, dok, S_PERSONS, { "born", "1985-02-30" } },
		{ "bad e-mail", ok, &bademail, dok, S_PERSONS, { "email" } },
		{ "bad person id", ok, &badid, dok, S_PERSONS, { "p 2" } },
		{ "path with ..", ok, NULL, { sizeof dok, "docs/../../etc/passwd", "A", NULL, NULL, c1, 1, 0 }, S_DOC,
			{ "docs/../../etc/passwd", ".." } },
		{ "absolute path", ok, NULL, { sizeof dok, "/etc/passwd", "A", NULL, NULL, c1, 1, 0 }, S_DOC, { "/etc/passwd", "absolute" } },
		{ "empty segment", ok, NULL, { sizeof dok, "a//b", "A", NULL, NULL, c1, 1, 0 }, S_DOC, { "a//b" } },
		{ "backslash", ok, NULL, { sizeof dok, "a\\b", "A", NULL, NULL, c1, 1, 0 }, S_DOC, { "backslash" } },
		{ "no title", ok, NULL, { sizeof dok, "a.txt", NULL, NULL, NULL, c1, 1, 0 }, S_DOC, { "a.txt", "title" } },
		{ "bad document date", ok, NULL, { sizeof dok, "a.txt", "A", "2021-13-01", NULL, c1, 1, 0 }, S_DOC,
			{ "a.txt", "date", "2021-13-01" } },
		{ "unknown person in concerns", ok, NULL, { sizeof dok, "a.txt", "A", NULL, NULL, c9, 1, 0 }, S_COMMIT,
			{ "concerns", "p9", "a.txt" } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		run_bad(&cases[i]);
	cv_case_info ci;
	assert_int_equal(cv_case_get(&ci, A, "ASE-BAD-1"), CV_ENOTFOUND);
	/* invalid UTF-8 in a name */
	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, A, "utf8"), 0);
	assert_int_equal(cv_ingest_set_case(t, &ok), 0);
	cv_person_fields u = P[1];
	u.last = "Lef\xe8vre"; /* Latin-1 */
	assert_int_equal(cv_ingest_add_person(t, &u), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "last"));
	cv_ingest_abort(t);
	/* two documents with the same path */
	assert_int_equal(cv_ingest_begin(&t, A, "dup"), 0);
	assert_int_equal(cv_ingest_set_case(t, &ok), 0);
	assert_int_equal(cv_ingest_doc_begin(t, &dok), 0);
	assert_int_equal(cv_ingest_doc_end(t), 0);
	assert_int_equal(cv_ingest_doc_begin(t, &dok), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "a.txt"));
	cv_ingest_abort(t);
	/* a document before the case fields */
	assert_int_equal(cv_ingest_begin(&t, A, "order"), 0);
	assert_true(cv_ingest_doc_begin(t, &dok) < 0);
	cv_ingest_abort(t);
}

/* ---- find ---- */

static size_t find(const char *last, const char *first, const char *born, const char *want_person)
{
	cv_find_query q = CV_FIND_QUERY_INIT;
	q.last = last;
	q.first = first;
	q.born = born;
	cv_find_hit *h = NULL;
	size_t n = 0;
	int rc = cv_case_find(&h, &n, A, &q);
	if (rc)
		fail_msg("find %s/%s: %s", last, first ? first : "-", cv_error_last()->message);
	if (want_person) {
		if (n != 1)
			fail_msg("find last='%s' first='%s' born='%s': %zu hits, expected 1", last, first ? first : "", born ? born : "", n);
		assert_string_equal(h[0].case_id, case_id);
		assert_string_equal(h[0].person, want_person);
		assert_string_equal(h[0].ref, "ASE-31-2020-00042");
	}
	cv_case_find_free(h);
	return n;
}

static void test_find_folding(void **s)
{
	(void)s;
	find("Da Silva", NULL, NULL, "p1");
	find("da silva", NULL, NULL, "p1");
	find("DASILVA", NULL, NULL, "p1");
	find("Da-Silva", NULL, NULL, "p1");
	find("  da   SILVA ", NULL, NULL, "p1");
	find("Lef\xc3\xa8vre", NULL, NULL, "p2");
	find("LEFEVRE", NULL, NULL, "p2");
	find("lefevre", NULL, NULL, "p2");
	find("Lefe\xcc\x80vre", NULL, NULL, "p2"); /* NFD */
	find("LEF\xc3\x88VRE", NULL, NULL, "p2");  /* LEFÈVRE */
	find("Da Silva", "Marie", NULL, "p1");
	find("Da Silva", "clemence", NULL, "p1");
	find("Da Silva", "CL\xc3\x89MENCE", NULL, "p1");
	find("Da Silva", "Cle\xcc\x81mence", NULL, "p1");
	find("Da Silva", "Marie Clémence", NULL, "p1");
	find("Da Silva", "Clémence Marie", NULL, "p1");
	find("Da Silva", "Marie-Clémence", NULL, "p1");
	find("Da Silva", "Marie", "2012-03-04", "p1");
	find("Garnier", "anne", NULL, "p3");
	if (find("h\xc3\xa9l\xc3\xa8ne", NULL, NULL, NULL) != 0)
		fail_msg("a first name matched as a surname");
	assert_int_equal(find("Da Silva", "Paul", NULL, NULL), 0);
	assert_int_equal(find("Da Silva", "Marie Paul", NULL, NULL), 0);
	assert_int_equal(find("Da Silva", NULL, "2012-03-05", NULL), 0);
	assert_int_equal(find("Dupont", NULL, NULL, NULL), 0);
	assert_int_equal(find("Silva", NULL, NULL, NULL), 0);
	cv_find_query q = CV_FIND_QUERY_INIT;
	cv_find_hit *h = NULL;
	size_t n = 0;
	q.last = "---";
	assert_int_equal(cv_case_find(&h, &n, A, &q), CV_EINVAL);
	q.last = "Da Silva";
	q.born = "2012-3-4";
	assert_int_equal(cv_case_find(&h, &n, A, &q), CV_EINVAL);
	/* the journal records the search, never the name */
	cv_journal_entry *l = NULL;
	assert_int_equal(cv_journal_list(&l, &n, A, 1, 0), 0);
	for (size_t i = 0; i < n; i++)
		if (strstr(l[i].object, "Silva") || strstr(l[i].object, "silva"))
			fail_msg("journal entry %llu holds a searched name: %s", (unsigned long long)l[i].seq, l[i].object);
	cv_journal_list_free(l, n);
}

/* ---- nothing personal in clear on disk ---- */

typedef struct scan {
	size_t files, bytes;
	int found;
} scan;

static void scan_file(const char *path, const unsigned char *data, size_t len, void *payload)
{
	scan *sc = payload;
	sc->files++;
	sc->bytes += len;
	for (size_t i = 0; SECRETS[i]; i++)
		if (cvt_memmem(data, len, SECRETS[i], strlen(SECRETS[i]))) {
			print_message("  '%s' in clear in %s\n", SECRETS[i], path);
			sc->found++;
		}
	/* and no stretch of a document's bytes */
	for (size_t off = 0; off < BIG_LEN; off += BIG_LEN / 8)
		if (cvt_memmem(data, len, big1 + off + 7, 24)) {
			print_message("  document bytes in clear in %s\n", path);
			sc->found++;
			break;
		}
}

static void test_no_personal_data_on_disk(void **s)
{
	(void)s;
	/* also after a checkpoint (the WAL moved into the database) */
	for (int pass = 0; pass < 2; pass++) {
		scan sc = { 0, 0, 0 };
		cvt_each_file(ADIR, scan_file, &sc);
		print_message("  pass %d: scanned %zu files, %zu bytes\n", pass, sc.files, sc.bytes);
		assert_true(sc.files >= 5);
		assert_true(sc.bytes > BIG_LEN);
		assert_int_equal(sc.found, 0);
		assert_int_equal(cv__catalog_checkpoint(A->cat), 0);
	}
}

static void test_read_role_gated(void **s)
{
	(void)s;
	const char *roles[] = { "auditor" };
	assert_int_equal(cv_user_add(A, "aud", roles, 1, NULL), 0);
	cv_archive *b = cvt_reopen(ADIR, KEY, "aud");
	cvt_sink sink = { 0 };
	int rc = cv_doc_cat(b, case_id, "d1", 0, cvt_sink_cb, &sink);
	assert_int_equal(rc, CV_EDENIED);
	assert_int_equal(sink.len, 0);
	cv_find_query q = CV_FIND_QUERY_INIT;
	q.last = "Da Silva";
	cv_find_hit *h = NULL;
	size_t n = 0;
	assert_int_equal(cv_case_find(&h, &n, b, &q), CV_EDENIED);
	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, b, "x"), CV_EDENIED);
	assert_null(t);
	cv_archive_free(b);
}

/* Odd documents: empty, one byte, all zeros over three maximal chunks
 * (the same chunk three times), a copy of another document, and more than
 * ten documents (d10 sorts before d2 as text). */
static void test_edge_documents(void **s)
{
	(void)s;
	size_t zl = 3 * (4u << 20) + 5;
	unsigned char *zeros = calloc(1, zl);
	cv_ingest *t = NULL;
	assert_int_equal(cv_ingest_begin(&t, A, "edge"), 0);
	cv_case_fields c = { sizeof c, "ASE-EDGE-1", "aide_educative", "2022-05-01", NULL, NULL };
	assert_int_equal(cv_ingest_set_case(t, &c), 0);
	assert_int_equal(cv_ingest_add_person(t, &P[2]), 0);
	struct { const char *path; const void *data; size_t len; } d[12] = {
		{ "empty.txt", "", 0 }, { "one.txt", "x", 1 }, { "zeros.bin", zeros, zl }, { "copy-of-note.txt", NOTE, sizeof NOTE - 1 },
		{ "note.txt", NOTE, sizeof NOTE - 1 },
	};
	char names[12][16];
	for (int i = 5; i < 12; i++) {
		snprintf(names[i], sizeof names[i], "n%02d.txt", i);
		d[i].path = names[i];
		d[i].data = names[i];
		d[i].len = strlen(names[i]);
	}
	for (int i = 0; i < 12; i++) {
		cv_doc_fields f = { sizeof f, d[i].path, "T", NULL, NULL, NULL, 0, 0 };
		assert_int_equal(cv_ingest_doc_begin(t, &f), 0);
		if (d[i].len)
			assert_int_equal(cv_ingest_doc_write(t, d[i].data, d[i].len), 0);
		assert_int_equal(cv_ingest_doc_end(t), 0);
	}
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	int rc = cv_ingest_commit(t, &r);
	if (rc)
		fail_msg("edge ingest: %s", cv_error_last()->message);
	assert_int_equal(r.docs_new, 12);
	assert_true(r.chunks_reused >= 3); /* two repeated zero chunks, the copied note */
	cv_doc_info *l = NULL;
	size_t n = 0;
	assert_int_equal(cv_doc_list(&l, &n, A, r.case_id), 0);
	assert_int_equal(n, 12);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < 12 && strcmp(d[k].path, l[i].path))
			k++;
		assert_true(k < 12);
		assert_int_equal(l[i].size, d[k].len);
		cvt_sink sink = { 0 };
		rc = cv_doc_cat(A, r.case_id, l[i].id, 0, cvt_sink_cb, &sink);
		if (rc)
			fail_msg("cat %s (%s): %s", l[i].id, l[i].path, cv_error_last()->message);
		assert_int_equal(sink.len, d[k].len);
		if (d[k].len)
			assert_memory_equal(sink.data, d[k].data, d[k].len);
		cvt_sink_free(&sink);
	}
	cv_doc_list_free(l, n);
	cv_verify_report rep = CV_VERIFY_REPORT_INIT;
	rc = cv_archive_verify(&rep, A, NULL, NULL, NULL);
	if (rc)
		fail_msg("verify after edge ingest: %s", cv_error_last()->message);
	free(zeros);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_ingest_round_trip),
		cmocka_unit_test(test_reingest_one_changed),
		cmocka_unit_test(test_removed_doc_stays_readable),
		cmocka_unit_test(test_abort_changes_nothing),
		cmocka_unit_test(test_pipeline_mixed_sizes),
		cmocka_unit_test(test_pipeline_worker_error),
		cmocka_unit_test(test_invalid_inputs),
		cmocka_unit_test(test_find_folding),
		cmocka_unit_test(test_no_personal_data_on_disk),
		cmocka_unit_test(test_read_role_gated),
		cmocka_unit_test(test_edge_documents),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
