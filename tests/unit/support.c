#include "support.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	chmod(p, 0700);
	return remove(p);
}

void cvt_rmrf(const char *path)
{
	nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

char *cvt_tmpdir(const char *name)
{
	mkdir(CV_TEST_TMP, 0700);
	size_t n = strlen(CV_TEST_TMP) + strlen(name) + 32;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s-%d", CV_TEST_TMP, name, (int)getpid());
	cvt_rmrf(p);
	mkdir(p, 0700);
	return p;
}

unsigned char *cvt_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	unsigned char *out = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
	*len = n;
	return out;
}

void cvt_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

cv_archive *cvt_archive(const char *name, char **key_file)
{
	char *dir = cvt_tmpdir(name);
	size_t n = strlen(dir) + 16;
	char *key = malloc(n), *arch = malloc(n);
	snprintf(key, n, "%s/key", dir);
	snprintf(arch, n, "%s/a", dir);
	assert_int_equal(cv_keygen(key), 0);
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.actor = "tester";
	cv_archive *a = NULL;
	int rc = cv_archive_init(&a, arch, &o);
	if (rc)
		fprintf(stderr, "init failed: %s\n", cv_error_last()->message);
	assert_int_equal(rc, 0);
	free(dir);
	free(arch);
	if (key_file)
		*key_file = key;
	else
		free(key);
	return a;
}

cv_archive *cvt_reopen(const char *dir, const char *key_file, const char *actor)
{
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key_file;
	o.actor = actor ? actor : "tester";
	cv_archive *a = NULL;
	int rc = cv_archive_open(&a, dir, &o);
	if (rc)
		fprintf(stderr, "open failed: %s\n", cv_error_last()->message);
	assert_int_equal(rc, 0);
	return a;
}
