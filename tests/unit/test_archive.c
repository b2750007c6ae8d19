/* archive: init and open, the key check before anything else is touched,
 * passphrase archives, actors, key file hygiene, keygen, the writer lock. */
#include "support.h"
#include "engine/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static cv_archive *open_with(const char *adir, const char *key, const char *pass, const char *actor, int *rc)
{
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.passphrase_file = pass;
	o.actor = actor ? actor : "tester";
	cv_archive *a = (cv_archive *)0x1;
	*rc = cv_archive_open(&a, adir, &o);
	if (*rc)
		assert_null(a);
	return a;
}

static void test_init_and_reopen(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a = cvt_archive("arch-reopen", &key);
	char *adir = strdup(cv_archive_dir(a)), id[40];
	snprintf(id, sizeof id, "%s", cv_archive_id(a));
	assert_int_equal(strlen(id), 32);
	assert_string_equal(cv_archive_actor(a), "tester");
	cv_archive_free(a);
	/* the layout */
	const char *files[] = { "archive.json", "catalog.db", "git", "lock", NULL };
	for (size_t i = 0; files[i]; i++) {
		char *p = cvt_join(adir, files[i]);
		if (access(p, F_OK) != 0)
			fail_msg("%s missing from a new archive", files[i]);
		free(p);
	}
	struct stat st;
	assert_int_equal(stat(adir, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	char *cat = cvt_join(adir, "catalog.db");
	assert_int_equal(stat(cat, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);
	free(cat);

	int rc;
	a = open_with(adir, key, NULL, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(cv_archive_id(a), id);
	cv_user *u = NULL;
	size_t n = 0;
	assert_int_equal(cv_user_list(&u, &n, a), 0);
	assert_int_equal(n, 1);
	assert_string_equal(u[0].name, "tester");
	assert_string_equal(u[0].roles, "admin");
	cv_user_list_free(u);
	cv_archive_free(a);

	/* init refuses a non-empty directory */
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.actor = "tester";
	assert_int_equal(cv_archive_init(&a, adir, &o), CV_EEXISTS);
	assert_null(a);
	/* opening what is not an archive */
	char *empty = cvt_tmpdir("arch-notone");
	assert_int_equal(cv_archive_open(&a, empty, &o), CV_ENOTFOUND);
	cvt_rmrf(empty);
	free(empty);
	free(adir);
	free(key);
}

static void test_wrong_key_touches_nothing(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a = cvt_archive("arch-wrongkey", &key);
	char *adir = strdup(cv_archive_dir(a));
	cv_archive_free(a);
	char *other = cvt_join(adir, "../other.key");
	unlink(other);
	assert_int_equal(cv_key_generate(other), 0);

	char *cat = cvt_join(adir, "catalog.db"), *wal = cvt_join(adir, "catalog.db-wal");
	struct stat before, after, wb, wa;
	assert_int_equal(stat(cat, &before), 0);
	int had_wal = stat(wal, &wb) == 0;
	size_t n0 = 0, n1 = 0;
	unsigned char *b0 = cvt_read(cat, &n0);
	sleep(1); /* so that any write would show in the mtime */
	int rc;
	open_with(adir, other, NULL, NULL, &rc);
	assert_int_equal(rc, CV_EAUTH);
	assert_non_null(strstr(cv_error_last()->message, "wrong key"));
	assert_int_equal(stat(cat, &after), 0);
	unsigned char *b1 = cvt_read(cat, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(b0, b1, n0);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	int has_wal = stat(wal, &wa) == 0;
	assert_int_equal(had_wal, has_wal);
	if (had_wal) {
		assert_int_equal(wb.st_size, wa.st_size);
		assert_int_equal(wb.st_mtim.tv_sec, wa.st_mtim.tv_sec);
		assert_int_equal(wb.st_mtim.tv_nsec, wa.st_mtim.tv_nsec);
	}
	/* and the right key still works */
	a = open_with(adir, key, NULL, NULL, &rc);
	assert_int_equal(rc, 0);
	cv_archive_free(a);
	unlink(other);
	free(b0);
	free(b1);
	free(cat);
	free(wal);
	free(other);
	free(adir);
	free(key);
}

static void test_passphrase_archive(void **s)
{
	(void)s;
	char *d = cvt_tmpdir("arch-pass");
	char *adir = cvt_join(d, "a"), *pass = cvt_join(d, "pass"), *bad = cvt_join(d, "bad"), *key = cvt_join(d, "key");
	cvt_write(pass, "correct horse battery staple\nsecond line ignored\n", 50);
	cvt_write(bad, "correct horse battery stapl\n", 28);
	assert_int_equal(cv_key_generate(key), 0);
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.passphrase_file = pass;
	o.actor = "tester";
	cv_archive *a = NULL;
	assert_int_equal(cv_archive_init(&a, adir, &o), 0);
	cv_archive_free(a);
	size_t n = 0;
	char *cfgp = cvt_join(adir, "archive.json");
	unsigned char *cfg = cvt_read(cfgp, &n);
	assert_non_null(strstr((char *)cfg, "scrypt"));
	assert_null(strstr((char *)cfg, "horse"));
	free(cfg);
	free(cfgp);

	int rc;
	open_with(adir, NULL, bad, NULL, &rc);
	assert_int_equal(rc, CV_EAUTH);
	open_with(adir, key, NULL, NULL, &rc); /* a key file on a passphrase archive */
	assert_int_equal(rc, CV_EAUTH);
	open_with(adir, key, pass, NULL, &rc); /* both */
	assert_int_equal(rc, CV_EINVAL);
	open_with(adir, NULL, NULL, NULL, &rc); /* neither */
	assert_int_equal(rc, CV_EINVAL);
	a = open_with(adir, NULL, pass, NULL, &rc);
	assert_int_equal(rc, 0);
	cv_archive_free(a);
	cvt_rmrf(d);
	free(d);
	free(adir);
	free(pass);
	free(bad);
	free(key);
}

static void test_unknown_actor(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a = cvt_archive("arch-actor", &key);
	char *adir = strdup(cv_archive_dir(a));
	const char *roles[] = { "archivist" };
	assert_int_equal(cv_user_add(a, "arch1", roles, 1, NULL), 0);
	cv_archive_free(a);
	int rc;
	open_with(adir, key, NULL, "nobody", &rc);
	assert_int_equal(rc, CV_EDENIED);
	assert_non_null(strstr(cv_error_last()->message, "nobody"));
	a = open_with(adir, key, NULL, "arch1", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(cv_archive_actor(a), "arch1");
	/* an archivist may not add users */
	assert_int_equal(cv_user_add(a, "x", roles, 1, NULL), CV_EDENIED);
	cv_archive_free(a);
	free(adir);
	free(key);
}

static void test_key_file_mode(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a = cvt_archive("arch-mode", &key);
	char *adir = strdup(cv_archive_dir(a));
	cv_archive_free(a);
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(chmod(key, 0644), 0);
	int rc;
	open_with(adir, key, NULL, NULL, &rc);
	assert_true(rc == CV_EAUTH || rc == CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "chmod"));
	assert_int_equal(chmod(key, 0640), 0);
	open_with(adir, key, NULL, NULL, &rc);
	assert_true(rc < 0);
	assert_int_equal(chmod(key, 0600), 0);
	a = open_with(adir, key, NULL, NULL, &rc);
	assert_int_equal(rc, 0);
	cv_archive_free(a);
	/* a key file of the wrong size */
	char *shortk = cvt_join(adir, "../short.key");
	cvt_write(shortk, "0123456789", 10);
	chmod(shortk, 0600);
	open_with(adir, shortk, NULL, NULL, &rc);
	assert_true(rc < 0);
	free(shortk);
	free(adir);
	free(key);
}

static void test_keygen_no_overwrite(void **s)
{
	(void)s;
	char *d = cvt_tmpdir("arch-keygen");
	char *k = cvt_join(d, "k");
	assert_int_equal(cv_key_generate(k), 0);
	size_t n0 = 0, n1 = 0;
	unsigned char *b0 = cvt_read(k, &n0);
	assert_int_equal(n0, 32);
	struct stat st;
	assert_int_equal(stat(k, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cv_key_generate(k), CV_EEXISTS);
	unsigned char *b1 = cvt_read(k, &n1);
	assert_int_equal(n1, 32);
	assert_memory_equal(b0, b1, 32);
	/* two keys differ */
	char *k2 = cvt_join(d, "k2");
	assert_int_equal(cv_key_generate(k2), 0);
	unsigned char *b2 = cvt_read(k2, &n1);
	assert_memory_not_equal(b0, b2, 32);
	assert_true(cv_key_generate("") < 0);
	free(b0);
	free(b1);
	free(b2);
	free(k);
	free(k2);
	cvt_rmrf(d);
	free(d);
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void test_writer_lock(void **s)
{
	(void)s;
	char *key = NULL;
	cv_archive *a1 = cvt_archive("arch-lock", &key);
	char *adir = strdup(cv_archive_dir(a1));
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.actor = "tester";
	o.lock_timeout_ms = 300;
	cv_archive *a2 = NULL;
	assert_int_equal(cv_archive_open(&a2, adir, &o), 0);
	assert_int_equal(cv__lock(a1), 0);
	const char *roles[] = { "auditor" };
	double t0 = now_ms();
	assert_int_equal(cv_user_add(a2, "u1", roles, 1, NULL), CV_EBUSY);
	double waited = now_ms() - t0;
	assert_true(waited >= 250);
	assert_true(waited < 5000);
	assert_non_null(strstr(cv_error_last()->message, "busy"));
	/* a third handle opened while the lock is held still opens (recovery is skipped) */
	cv_archive *a3 = NULL;
	assert_int_equal(cv_archive_open(&a3, adir, &o), 0);
	cv_archive_free(a3);
	cv__unlock(a1);
	assert_int_equal(cv_user_add(a2, "u1", roles, 1, NULL), 0);
	/* the other handle sees it */
	cv_user *u = NULL;
	size_t n = 0;
	assert_int_equal(cv_user_list(&u, &n, a1), 0);
	assert_int_equal(n, 2);
	cv_user_list_free(u);
	/* a read-only handle cannot write */
	o.read_only = 1;
	assert_int_equal(cv_archive_open(&a3, adir, &o), 0);
	assert_true(cv_user_add(a3, "u2", roles, 1, NULL) < 0);
	cv_archive_free(a3);
	cv_archive_free(a2);
	cv_archive_free(a1);
	free(adir);
	free(key);
}

CVT_MAIN(cmocka_unit_test(test_init_and_reopen),
	cmocka_unit_test(test_wrong_key_touches_nothing),
	cmocka_unit_test(test_passphrase_archive),
	cmocka_unit_test(test_unknown_actor),
	cmocka_unit_test(test_key_file_mode),
	cmocka_unit_test(test_keygen_no_overwrite),
	cmocka_unit_test(test_writer_lock))
