/* The "bundle" ingestion plugin: case bundles as bundle.md defines them, from
 * a directory or a .tar, .tar.gz or .zip archive. */
#include "bundle.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const cv_host *g_host;

int bundle_feed_header(bundle_run *r)
{
	const cv_host *h = r->h;
	int rc = h->case_set(r->ctx, &r->m.c);
	for (size_t i = 0; !rc && i < r->m.npersons; i++)
		rc = h->person_add(r->ctx, &r->m.persons[i].f);
	for (size_t i = 0; !rc && i < r->m.nmeasures; i++)
		rc = h->measure_add(r->ctx, &r->m.measures[i]);
	return rc;
}

void bundle_doc_label(const bundle_run *r, size_t i, char *out, size_t n)
{
	if (i == r->m.ndocs)
		snprintf(out, n, "sealed.path '%s'", r->m.sealed_path);
	else
		snprintf(out, n, "documents[%zu].path '%s'", i, r->m.docs[i].f.path);
}

int bundle_account(bundle_run *r, const char *what, uint64_t doc_bytes, size_t add)
{
	if (doc_bytes > r->lim->max_entry_bytes)
		return r->h->error(CV_EINVAL, "%s: %s: larger than the limit of %llu bytes per document", r->label, what,
			(unsigned long long)r->lim->max_entry_bytes);
	r->total += add;
	if (r->total > r->lim->max_total_bytes)
		return r->h->error(CV_EINVAL, "%s: %s brings the documents over the limit of %llu bytes in total", r->label,
			what, (unsigned long long)r->lim->max_total_bytes);
	r->h->progress(r->ctx, "ingest", r->total, r->expected);
	return 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcasecmp(s + a - b, suf);
}

static int probe(void *state, const char *path, int is_dir, const unsigned char *head, size_t len)
{
	(void)state;
	if (is_dir) {
		char p[4096];
		snprintf(p, sizeof p, "%s/case.json", path);
		FILE *f = fopen(p, "rb");
		if (f) {
			fclose(f);
			return 90;
		}
		return 10; /* a directory without case.json: we can still explain why */
	}
	if (len >= 4 && !memcmp(head, "PK\x03\x04", 4))
		return 80;
	if (len >= 2 && head[0] == 0x1f && head[1] == 0x8b)
		return 80;
	if (len >= 262 && !memcmp(head + 257, "ustar", 5))
		return 80;
	if (has_suffix(path, ".tar") || has_suffix(path, ".tar.gz") || has_suffix(path, ".tgz") || has_suffix(path, ".zip"))
		return 20; /* claims to be one; the reader will say what is wrong */
	return 0;
}

static int ingest(void *state, cv_ingest_ctx *ctx, const char *path, const cv_ingest_limits *lim)
{
	(void)state;
	bundle_run r;
	memset(&r, 0, sizeof r);
	r.h = g_host;
	r.ctx = ctx;
	r.label = path;
	r.lim = lim;
	struct stat st;
	if (stat(path, &st) < 0)
		return g_host->error(CV_EINVAL, "%s: cannot read it", path);
	int is_dir = S_ISDIR(st.st_mode);
	int rc = is_dir ? bundle_ingest_dir(&r, path) : bundle_ingest_archive(&r, path);
	bundle_manifest_free(&r.m);
	return rc;
}

static const cv_ingest_ops OPS = {
	CV_INGEST_OPS_VERSION, sizeof(cv_ingest_ops), NULL, probe, ingest, NULL,
};

CV_PLUGIN_ENTRY(self, host)
{
	static const cv_plugin_info info = CV_PLUGIN_INFO_INIT("bundle", "1.0.0",
		"case bundles (bundle.md v1): directory, .tar, .tar.gz, .zip");
	if (host->abi_major != CV_PLUGIN_ABI_MAJOR)
		return -1;
	g_host = host;
	int rc = host->declare(self, &info);
	return rc ? rc : host->register_ingest(self, &OPS);
}
