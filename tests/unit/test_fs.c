/* util/fs: an output file is written through a temporary file nobody can
 * plant in advance: a link planted where the old code put its predictable
 * "FILE.tmpPID" is neither followed nor left behind; a link at the target
 * itself is replaced, not written through; the mode is the one asked for. */
#include "support.h"
#include "util/fs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char VICTIM[] = "do not touch\n";

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void planted_temp_link_is_not_followed(void **state)
{
	(void)state;
	char *dir = cvt_tmpdir("fs_planted");
	char *victim = cvt_join(dir, "victim"), *out = cvt_join(dir, "register.html");
	cvt_write(victim, VICTIM, sizeof VICTIM - 1);
	char planted[4096];
	snprintf(planted, sizeof planted, "%s.tmp%d", out, (int)getpid());
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(cv__write_file_atomic(out, "<p>ok</p>", 9, 0600), 0);
	size_t n = 0;
	unsigned char *v = cvt_read(victim, &n);
	assert_int_equal(n, sizeof VICTIM - 1);
	assert_memory_equal(v, VICTIM, n);
	free(v);
	unsigned char *o = cvt_read(out, &n);
	assert_int_equal(n, 9);
	free(o);
	struct stat st;
	assert_int_equal(lstat(out, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(entries(dir), 3); /* victim, the planted link (ours to remove), the output */
	cvt_rmrf(dir);
	free(dir);
	free(victim);
	free(out);
}

static void link_at_target_is_replaced(void **state)
{
	(void)state;
	char *dir = cvt_tmpdir("fs_target_link");
	char *victim = cvt_join(dir, "victim"), *out = cvt_join(dir, "slip.csv");
	cvt_write(victim, VICTIM, sizeof VICTIM - 1);
	assert_int_equal(symlink(victim, out), 0);
	assert_int_equal(cv__write_file_atomic(out, "a;b\n", 4, 0644), 0);
	size_t n = 0;
	unsigned char *v = cvt_read(victim, &n);
	assert_memory_equal(v, VICTIM, sizeof VICTIM - 1);
	free(v);
	struct stat st;
	assert_int_equal(lstat(out, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(entries(dir), 2);
	cvt_rmrf(dir);
	free(dir);
	free(victim);
	free(out);
}

CVT_MAIN(cmocka_unit_test(planted_temp_link_is_not_followed),
	cmocka_unit_test(link_at_target_is_replaced))
