/* verify: a sound archive passes (full, quick, subsets); one flipped byte
 * in a pack is reported as damage naming the object and the pack file (its
 * index's CRC-32); a chunk row pointed at another object of the same case
 * is caught by the AES-GCM tag it records, by its seal if the tag was
 * copied too, and by the keyed hash for a sealed row without a tag;
 * the report is the same on one thread and on several. */
#include "support.h"
#include "engine/internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

typedef struct damages {
	size_t n;
	char objects[4096];
} damages;

static void on_damage(const char *object, const char *reason, void *payload)
{
	damages *d = payload;
	d->n++;
	size_t l = strlen(d->objects);
	snprintf(d->objects + l, sizeof d->objects - l, "%s: %s\n", object, reason);
}

static char *make_archive(const char *name, char **key, size_t doclen)
{
	cv_archive *a = cvt_archive(name, key);
	char *adir = strdup(cv_archive_dir(a));
	unsigned char *doc = malloc(doclen);
	cvt_fill(doc, doclen, 123);
	cv_ingest_result r = CV_INGEST_RESULT_INIT;
	if (cvt_ingest_case(a, "ASE-V-1", "docs/scan.pdf", doc, doclen, &r) != 0)
		fail_msg("ingest: %s", cv_error_last()->message);
	assert_int_equal(cvt_ingest_case(a, "ASE-V-2", "docs/note.txt", "petite note", 11, &r), 0);
	free(doc);
	cv_archive_free(a);
	return adir;
}

static void test_sound_archive_passes(void **s)
{
	(void)s;
	char *key = NULL, *adir = make_archive("verify-ok", &key, 3u << 20);
	cv_archive *a = cvt_reopen(adir, key, NULL);
	cv_verify_report rep = CV_VERIFY_REPORT_INIT;
	damages d = { 0, "" };
	int rc = cv_archive_verify(&rep, a, NULL, on_damage, &d);
	if (rc)
		fail_msg("verify failed on a sound archive: %s\n%s", cv_error_last()->message, d.objects);
	assert_int_equal(rep.cases, 2);
	assert_int_equal(rep.damaged, 0);
	assert_true(rep.bytes >= (3u << 20) + 11);
	assert_true(rep.objects >= 6);
	assert_true(rep.journal_entries >= 3);
	uint64_t full_objects = rep.objects;

	cv_verify_options o = CV_VERIFY_OPTIONS_INIT;
	o.quick = 1;
	assert_int_equal(cv_archive_verify(&rep, a, &o, on_damage, &d), 0);
	assert_int_equal(rep.damaged, 0);
	assert_int_equal(rep.bytes, 0); /* nothing decrypted */
	assert_int_equal(rep.cases, 2);

	/* the parts of a rotating check cover everything */
	uint64_t parts = 0;
	o = (cv_verify_options)CV_VERIFY_OPTIONS_INIT;
	o.subset_t = 3;
	for (unsigned n = 1; n <= 3; n++) {
		o.subset_n = n;
		assert_int_equal(cv_archive_verify(&rep, a, &o, on_damage, &d), 0);
		parts += rep.objects;
	}
	assert_int_equal(parts, full_objects);
	o.subset_n = 4;
	assert_int_equal(cv_archive_verify(&rep, a, &o, on_damage, &d), CV_EINVAL);
	o.subset_n = 0;
	assert_int_equal(cv_archive_verify(&rep, a, &o, on_damage, &d), CV_EINVAL);
	assert_int_equal(d.n, 0);
	cv_archive_free(a);
	free(adir);
	free(key);
}

static char *largest_pack(const char *adir)
{
	char *pd = cvt_join(adir, "git/objects/pack");
	DIR *d = opendir(pd);
	assert_non_null(d);
	struct dirent *e;
	char *best = NULL;
	off_t bs = -1;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".pack"))
			continue;
		char *p = cvt_join(pd, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && st.st_size > bs) {
			bs = st.st_size;
			free(best);
			best = p;
		} else {
			free(p);
		}
	}
	closedir(d);
	free(pd);
	return best;
}

static void test_flipped_pack_byte(void **s)
{
	(void)s;
	char *key = NULL, *adir = make_archive("verify-flip", &key, 3u << 20);
	char *pack = largest_pack(adir);
	assert_non_null(pack);
	struct stat st;
	assert_int_equal(stat(pack, &st), 0);
	assert_true(st.st_size > (3 << 20));
	chmod(pack, 0644);
	int fd = open(pack, O_RDWR);
	assert_true(fd >= 0);
	off_t off = st.st_size / 2;
	unsigned char b;
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
	chmod(pack, 0444);

	cv_archive *a = cvt_reopen(adir, key, NULL);
	cv_verify_report rep = CV_VERIFY_REPORT_INIT;
	damages d = { 0, "" };
	assert_int_equal(cv_archive_verify(&rep, a, NULL, on_damage, &d), CV_EDAMAGED);
	print_message("  reported:\n%s", d.objects);
	assert_true(rep.damaged >= 1);
	assert_int_equal(d.n, rep.damaged);
	assert_true(strstr(d.objects, "git object") || strstr(d.objects, ".pack"));
	/* the pack file itself is named too (its checksum no longer holds) */
	assert_non_null(strstr(d.objects, strrchr(pack, '/') + 1));
	/* reading the damaged document fails rather than returning altered bytes */
	cvt_sink sink = { 0 };
	assert_true(cv_doc_cat(a, "ASE-V-1", "d1", 0, cvt_sink_cb, &sink) < 0);
	cvt_sink_free(&sink);
	/* the verification itself is journaled as damaged */
	cv_journal_entry *l = NULL;
	size_t n = 0;
	assert_int_equal(cv_journal_list(&l, &n, a, 1, 0), 0);
	int seen = 0;
	for (size_t i = 0; i < n; i++)
		seen |= !strcmp(l[i].action, "archive.verify") && !strcmp(l[i].outcome, "damaged");
	assert_true(seen);
	cv_journal_list_free(l, n);
	cv_archive_free(a);
	free(pack);
	free(adir);
	free(key);
}

/* Point one chunk record at another chunk object of the same case: with
 * the raw SQL of someone who can write the catalog file (TAG_TOO: the other
 * object's tag copied as well, which anyone can read from its last bytes),
 * or through the library's own connection, which seals the row again — as
 * the migration sealed rows written before tags, whose tag is NULL. */
static const char SWAP[] =
	"UPDATE chunks SET oid=(SELECT oid FROM chunks c2 WHERE c2.case_id=chunks.case_id AND c2.hash<>chunks.hash LIMIT 1)%s"
	" WHERE rowid=(SELECT rowid FROM chunks WHERE case_id IN (SELECT case_id FROM chunks GROUP BY case_id HAVING count(*)>1)"
	" LIMIT 1)";

static void swap_chunk(const char *name, const char *set_tag, int sealed, damages *d)
{
	char *key = NULL, *adir = make_archive(name, &key, 6u << 20);
	char sql[1024];
	snprintf(sql, sizeof sql, SWAP, set_tag);
	if (!sealed) {
		char *cat = cvt_join(adir, "catalog.db");
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(cat, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_changes(db), 1);
		sqlite3_close(db);
		free(cat);
	}
	cv_archive *a = cvt_reopen(adir, key, NULL);
	if (sealed) {
		assert_int_equal(cv__catalog_begin(a->cat), 0);
		assert_int_equal(cv__catalog_exec(a->cat, sql), 0);
		assert_int_equal(sqlite3_changes(a->cat->db), 1);
		assert_int_equal(cv__catalog_commit(a->cat), 0);
	}
	cv_verify_report rep = CV_VERIFY_REPORT_INIT;
	assert_int_equal(cv_archive_verify(&rep, a, NULL, on_damage, d), CV_EDAMAGED);
	print_message("  reported:\n%s", d->objects);
	if (!sealed) {
		/* the document's ~100 chunks are shared out among a team of
		 * threads (chunks.c): the same report as one thread's */
		for (unsigned t = 1; t <= 4; t += 3) {
			cv_verify_options o = CV_VERIFY_OPTIONS_INIT;
			damages dt = { 0, "" };
			o.threads = t;
			assert_int_equal(cv_archive_verify(&rep, a, &o, on_damage, &dt), CV_EDAMAGED);
			assert_string_equal(dt.objects, d->objects);
		}
	}
	cvt_sink sink = { 0 };
	assert_true(cv_doc_cat(a, "ASE-V-1", "d1", 0, cvt_sink_cb, &sink) < 0);
	cvt_sink_free(&sink);
	cv_archive_free(a);
	free(adir);
	free(key);
}

static void test_swapped_chunk(void **s)
{
	(void)s;
	damages d = { 0, "" };
	swap_chunk("verify-swap", "", 0, &d);
	assert_non_null(strstr(d.objects, "catalog row chunks "));
	assert_non_null(strstr(d.objects, "is not the object its catalog row records (AES-GCM tag"));

	memset(&d, 0, sizeof d);
	swap_chunk("verify-swap-tag",
		", tag=(SELECT tag FROM chunks c2 WHERE c2.case_id=chunks.case_id AND c2.hash<>chunks.hash LIMIT 1)"
		", size=(SELECT size FROM chunks c2 WHERE c2.case_id=chunks.case_id AND c2.hash<>chunks.hash LIMIT 1)",
		0, &d);
	/* the object passes for the tag and size it was given: the row's seal
	 * does not */
	assert_non_null(strstr(d.objects, "catalog row chunks "));
	assert_non_null(strstr(d.objects, "altered outside casevault"));
	assert_null(strstr(d.objects, "AES-GCM tag"));

	memset(&d, 0, sizeof d);
	swap_chunk("verify-swap-untagged", ", tag=NULL", 1, &d);
	assert_null(strstr(d.objects, "catalog row"));
	assert_non_null(strstr(d.objects, "does not match the catalog's keyed hash"));
}

/* The case walk on one thread and on several gives the same report, in
 * the same order: a document hidden in the catalog (its case tree no
 * longer the one the catalog describes) in three cases, the chunk rows of
 * a fourth deleted. Run under TSan by scripts/test.sh. */
static void test_threads_same_report(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a = cvt_archive("verify-threads", &key);
	char *adir = strdup(cv_archive_dir(a));
	for (int i = 0; i < 24; i++) {
		char ref[32], body[64];
		snprintf(ref, sizeof ref, "ASE-T-%02d", i);
		snprintf(body, sizeof body, "note du dossier %d", i);
		cv_ingest_result r = CV_INGEST_RESULT_INIT;
		if (cvt_ingest_case(a, ref, "docs/note.txt", body, strlen(body), &r) != 0)
			fail_msg("ingest: %s", cv_error_last()->message);
	}
	cv_archive_free(a);
	a = cvt_reopen(adir, key, NULL);
	for (unsigned t = 1; t <= 3; t++) { /* sound: no damage whatever the threads */
		cv_verify_options o = CV_VERIFY_OPTIONS_INIT;
		o.threads = t;
		cv_verify_report rep = CV_VERIFY_REPORT_INIT;
		damages d = { 0, "" };
		if (cv_archive_verify(&rep, a, &o, on_damage, &d) != 0)
			fail_msg("threads=%u on a sound archive: %s\n%s", t, cv_error_last()->message, d.objects);
		assert_int_equal(rep.cases, 24);
	}
	cv_archive_free(a);
	/* a loose object whose content is not its id: found by the pass over
	 * every other object, by its name */
	char *ldir = cvt_join(adir, "git/objects/00"), *lobj = cvt_join(ldir, "112233445566778899aabbccddeeff00112233");
	mkdir(ldir, 0700);
	{
		static const char body[] = "blob 5\0hello";
		unsigned char z[128];
		uLongf zl = sizeof z;
		assert_int_equal(compress(z, &zl, (const Bytef *)body, sizeof body - 1), Z_OK);
		cvt_write(lobj, z, zl);
	}
	char *cat = cvt_join(adir, "catalog.db");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(cat, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE documents SET removed=1 WHERE case_id IN (SELECT id FROM cases WHERE ref IN "
		"('ASE-T-03','ASE-T-11','ASE-T-20'))", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 3);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM rev_chunks WHERE case_id=(SELECT id FROM cases WHERE ref='ASE-T-07')",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	a = cvt_reopen(adir, key, NULL);
	for (int quick = 0; quick <= 1; quick++) {
		damages one = { 0, "" }, many = { 0, "" };
		cv_verify_options o = CV_VERIFY_OPTIONS_INIT;
		cv_verify_report rep = CV_VERIFY_REPORT_INIT;
		o.quick = quick;
		o.threads = 1;
		assert_int_equal(cv_archive_verify(&rep, a, &o, on_damage, &one), CV_EDAMAGED);
		assert_int_equal(rep.damaged, one.n);
		o.threads = 3;
		assert_int_equal(cv_archive_verify(&rep, a, &o, on_damage, &many), CV_EDAMAGED);
		print_message("  quick=%d reported:\n%s", quick, one.objects);
		assert_string_equal(one.objects, many.objects);
		assert_true(one.n >= 4);
		assert_non_null(strstr(one.objects, "case tree holds entries the catalog does not list"));
		assert_non_null(strstr(one.objects, "revision 1"));
		if (!quick)
			assert_non_null(strstr(one.objects, "git object 00112233445566778899aabbccddeeff00112233: object hash mismatch"));
	}
	cv_archive_free(a);
	free(ldir);
	free(lobj);
	free(cat);
	free(adir);
	free(key);
}

CVT_MAIN(cmocka_unit_test(test_sound_archive_passes),
	cmocka_unit_test(test_flipped_pack_byte),
	cmocka_unit_test(test_swapped_chunk),
	cmocka_unit_test(test_threads_same_report))
