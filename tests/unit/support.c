#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	assert_int_equal(cv_key_generate(key), 0);
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

/* --- added for the engine-core suite ------------------------------------ */



char *cvt_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

unsigned char *cvt_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
		size_t r = fread(b + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

int cvt_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void cvt_fill(void *p, size_t n, uint64_t seed)
{
	unsigned char *b = p;
	uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
	size_t i = 0;
	while (i < n) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint64_t v = x * 0x2545F4914F6CDD1DULL;
		for (int k = 0; k < 8 && i < n; k++, i++)
			b[i] = (unsigned char)(v >> (8 * k));
	}
}

const void *cvt_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	if (!nlen || hlen < nlen || !hay)
		return NULL;
	const unsigned char *h = hay, *nd = needle;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (h[i] == nd[0] && !memcmp(h + i, nd, nlen))
			return h + i;
	return NULL;
}

void cvt_each_file(const char *dir, cvt_file_fn fn, void *payload)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = cvt_join(dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				cvt_each_file(p, fn, payload);
			} else if (S_ISREG(st.st_mode)) {
				size_t n = 0;
				unsigned char *b = cvt_read(p, &n);
				if (b)
					fn(p, b, n, payload);
				free(b);
			}
		}
		free(p);
	}
	closedir(d);
}

int cvt_sink_cb(const void *data, size_t len, void *payload)
{
	cvt_sink *s = payload;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + len)
			cap *= 2;
		unsigned char *p = realloc(s->data, cap);
		if (!p)
			return -1;
		s->data = p;
		s->cap = cap;
	}
	memcpy(s->data + s->len, data, len);
	s->len += len;
	return 0;
}

void cvt_sink_free(cvt_sink *s)
{
	free(s->data);
	memset(s, 0, sizeof *s);
}

int cvt_ingest_case(cv_archive *a, const char *ref, const char *doc_path, const void *doc, size_t len,
	cv_ingest_result *res)
{
	cv_ingest *t = NULL;
	int rc = cv_ingest_begin(&t, a, ref);
	if (rc)
		return rc;
	cv_case_fields c = { sizeof c, ref, "placement", "2020-01-15", NULL, "31" };
	static const char *const first[] = { "Testfirst" };
	cv_person_fields p;
	memset(&p, 0, sizeof p);
	p.size = sizeof p;
	p.id = "p1";
	p.role = "child";
	p.last = "Testlast";
	p.first = first;
	p.nfirst = 1;
	p.born = "2012-03-04";
	static const char *const concerns[] = { "p1" };
	cv_doc_fields d = { sizeof d, doc_path, "Rapport", "2021-02-03", "report", concerns, 1, len };
	if ((rc = cv_ingest_set_case(t, &c)) || (rc = cv_ingest_add_person(t, &p)) || (rc = cv_ingest_doc_begin(t, &d)) ||
		(rc = cv_ingest_doc_write(t, doc, len)) || (rc = cv_ingest_doc_end(t))) {
		cv_ingest_abort(t);
		return rc;
	}
	return cv_ingest_commit(t, res);
}
