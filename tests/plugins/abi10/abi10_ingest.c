/* An ingestion plugin built against the frozen ABI 1.0 header: reads a file
 * named *.abi10 whose first line is a case reference and stores the file as
 * the case's one document. */
#include "abi10.h"
#include <stdio.h>
#include <string.h>

static const cv_host *host;

static int probe(void *state, const char *path, int is_dir, const unsigned char *head, size_t headlen)
{
	(void)state; (void)head; (void)headlen;
	size_t n = strlen(path);
	return !is_dir && n > 6 && !strcmp(path + n - 6, ".abi10") ? 100 : 0;
}

static int ingest(void *state, cv_ingest_ctx *ctx, const char *path, const cv_ingest_limits *limits)
{
	(void)state; (void)limits;
	char text[4096];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	char ref[64];
	size_t rl = strcspn(text, "\n");
	if (!n || rl == 0 || rl >= sizeof ref)
		return host->error(CV_EINVAL, "%s: the first line must be a case reference", path);
	memcpy(ref, text, rl);
	ref[rl] = '\0';
	cv_case_fields c = { sizeof c, ref, "prevention", "2020-01-06", NULL, "31" };
	const char *first[] = { "Inès" };
	cv_person_fields p = { sizeof p, "p1", "child", "Abidi", first, 1, "2015-04-02", "F",
		NULL, NULL, NULL, NULL, NULL };
	const char *concerns[] = { "p1" };
	cv_doc_fields d = { sizeof d, "note.txt", "Note", "2020-01-06", "report", concerns, 1, n };
	int rc = host->case_set(ctx, &c);
	if (!rc)
		rc = host->person_add(ctx, &p);
	if (!rc)
		rc = host->doc_begin(ctx, &d);
	if (!rc)
		rc = host->doc_write(ctx, text, n);
	if (!rc)
		rc = host->doc_end(ctx);
	return rc;
}

static const cv_ingest_ops OPS = { CV_INGEST_OPS_VERSION, sizeof(cv_ingest_ops), NULL, probe, ingest, NULL };

CV_PLUGIN_ENTRY(self, h)
{
	static const cv_plugin_info info = { sizeof info, CV_PLUGIN_ABI_MAJOR, CV_PLUGIN_ABI_MINOR, "abi10-ingest",
		"1.0", "test: ingestion plugin built for ABI 1.0" };
	host = h;
	int rc = h->declare(self, &info);
	return rc ? rc : h->register_ingest(self, &OPS);
}
