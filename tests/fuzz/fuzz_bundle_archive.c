/* libFuzzer target: the bundle plugin's archive reader (.tar, .tar.gz,
 * .zip through libarchive: src_archive.c, bundle.c, manifest.c), driven
 * through the plugin's own entry point and ingest operation on a file that
 * holds the fuzz bytes. The host's sink discards documents but checks what
 * the plugin feeds it: paths the core would accept, documents begun and
 * ended in order, no more bytes than the limits allow. */
#include "ingest-bundle/bundle.c"
#include "ingest-bundle/src_archive.c"
#include "ingest-bundle/manifest.c"

#include "engine/internal.h"
#include "util/date.h"
#include "util/text.h"
#include "fake_host.h"

#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

/* The directory reader is not under test here. */
int bundle_ingest_dir(bundle_run *r, const char *path)
{
	return r->h->error(CV_EINVAL, "%s: directories are not fuzzed", path);
}

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "harness check failed: %s\n", #cond); abort(); } } while (0)

static const cv_ingest_ops *ops;
static char path[256];
static cv_ingest_limits lim;

/* what the sink has seen in one run */
static struct {
	int case_set, in_doc, in_sealed, docs;
	size_t persons;
	uint64_t doc_bytes, total;
} st;

static int h_nfc(char **out, const char *in, size_t len) { return cv__nfc(out, in, len); }
static int h_fold(char **out, const char *in, size_t len) { return cv__fold(out, in, len); }
static int h_date_valid(const char *s) { return cv__date_valid(s); }
static int h_category_valid(const char *s) { return cv__valid_category(s); }
static int h_role_valid(const char *s) { return cv__valid_role(s); }
static const char *h_config_get(cv_plugin *self, const char *key) { (void)self; (void)key; return NULL; }

static int h_declare(cv_plugin *self, const cv_plugin_info *info)
{
	(void)self;
	CHECK(info && info->name && info->abi_major == CV_PLUGIN_ABI_MAJOR);
	return 0;
}
static int h_register_ingest(cv_plugin *self, const cv_ingest_ops *o)
{
	(void)self;
	ops = o;
	return 0;
}
static int h_register_other(cv_plugin *self, const void *o) { (void)self; (void)o; return CV_EPLUGIN; }

static int s_case_set(cv_ingest_ctx *ctx_, const cv_case_fields *c)
{
	(void)ctx_;
	CHECK(!st.case_set && c && c->ref && cv__valid_category(c->category) && cv__date_valid(c->opened));
	st.case_set = 1;
	return 0;
}
static int s_person_add(cv_ingest_ctx *ctx_, const cv_person_fields *p)
{
	(void)ctx_;
	CHECK(st.case_set && !st.docs && p && p->id && p->last && cv__valid_role(p->role));
	st.persons++;
	return 0;
}
static int s_measure_add(cv_ingest_ctx *ctx_, const cv_measure_fields *m)
{
	(void)ctx_;
	CHECK(st.case_set && m && m->type && cv__date_valid(m->start));
	return 0;
}
static int s_doc_begin(cv_ingest_ctx *ctx_, const cv_doc_fields *d)
{
	(void)ctx_;
	CHECK(st.case_set && !st.in_doc && !st.in_sealed && d && d->path && !cv__path_problem(d->path) && d->title);
	st.in_doc = 1;
	st.doc_bytes = 0;
	st.docs++;
	return 0;
}
static int s_doc_write(cv_ingest_ctx *ctx_, const void *data, size_t len)
{
	(void)ctx_;
	CHECK(st.in_doc || st.in_sealed);
	CHECK(data || !len);
	st.doc_bytes += len;
	st.total += len;
	CHECK(st.doc_bytes <= lim.max_entry_bytes && st.total <= lim.max_total_bytes);
	/* touch every byte handed over (ASan sees a bad buffer) */
	volatile unsigned char x = 0;
	for (size_t i = 0; i < len; i += 4096)
		x ^= ((const unsigned char *)data)[i];
	if (len)
		x ^= ((const unsigned char *)data)[len - 1];
	(void)x;
	return 0;
}
static int s_doc_end(cv_ingest_ctx *ctx_)
{
	(void)ctx_;
	CHECK(st.in_doc);
	st.in_doc = 0;
	return 0;
}
static int s_sealed_begin(cv_ingest_ctx *ctx_)
{
	(void)ctx_;
	CHECK(st.case_set && !st.in_doc && !st.in_sealed);
	st.in_sealed = 1;
	st.doc_bytes = 0;
	return 0;
}
static int s_sealed_end(cv_ingest_ctx *ctx_)
{
	(void)ctx_;
	CHECK(st.in_sealed);
	st.in_sealed = 0;
	return 0;
}
static void s_progress(cv_ingest_ctx *ctx_, const char *what, uint64_t done, uint64_t total)
{
	(void)ctx_; (void)what; (void)done; (void)total;
}

static cv_host host;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fake_host_init(&host);
	host.declare = h_declare;
	host.register_ingest = h_register_ingest;
	host.register_redact = (int (*)(cv_plugin *, const cv_redact_ops *))h_register_other;
	host.register_retain = (int (*)(cv_plugin *, const cv_retain_ops *))h_register_other;
	host.config_get = h_config_get;
	host.nfc = h_nfc;
	host.fold = h_fold;
	host.date_valid = h_date_valid;
	host.category_valid = h_category_valid;
	host.role_valid = h_role_valid;
	host.case_set = s_case_set;
	host.person_add = s_person_add;
	host.measure_add = s_measure_add;
	host.doc_begin = s_doc_begin;
	host.doc_write = s_doc_write;
	host.doc_end = s_doc_end;
	host.sealed_begin = s_sealed_begin;
	host.sealed_write = s_doc_write;
	host.sealed_end = s_sealed_end;
	host.progress = s_progress;
	if (casevault_plugin_entry(NULL, &host) != 0 || !ops)
		abort();
	const char *tmp = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/cv-fuzz-bundle-%d.bin", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	lim.size = sizeof lim;
	lim.max_entry_bytes = 8u << 20;
	lim.max_total_bytes = 32u << 20;
	lim.max_entries = 1000;
	lim.max_manifest_bytes = 1u << 20;
	lim.max_ratio = 200.0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	memset(&st, 0, sizeof st);
	fake_host_errors = 0;
	(void)ops->probe(ops->state, path, 0, data, size < 512 ? size : 512);
	int rc = ops->ingest(ops->state, NULL, path, &lim);
	if (rc) {
		CHECK(rc < 0 && fake_host_errors >= 1); /* every refusal is explained */
	} else {
		CHECK(st.case_set && !st.in_doc && !st.in_sealed);
	}
	unlink(path);
	return 0;
}
