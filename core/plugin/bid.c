/* Bundle ingestion through the plugins: each ingestion plugin bids for an
 * input (as libarchive's format readers do), the highest bid wins unless the
 * caller names one, and the winner feeds the case to the host's ingest
 * transaction: all or nothing. */
#include "plugin/plugin_host.h"
#include "ingest/ingest_model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

CV_EXTERN(int) cv_ingest_bundle(cv_ingest_result *result, cv_archive *a, const char *path, const cv_ingest_options *opts)
{
	cv_ingest_options defaults = CV_INGEST_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	CV_TRY(cv__options_version(opts, opts->version, CV_INGEST_OPTIONS_VERSION, "ingest"));
	CV_TRY(cv__result_begin(result, sizeof *result, CV_INGEST_RESULT_VERSION, "ingest"));
	struct stat st;
	if (stat(path, &st) < 0)
		return cv__err(CV_EINVAL, "%s: cannot read it: %s", path, strerror(errno));
	int is_dir = S_ISDIR(st.st_mode);
	unsigned char head[512];
	size_t headlen = 0;
	if (!is_dir) {
		FILE *f = fopen(path, "rb");
		if (!f)
			return cv__err(CV_EINVAL, "%s: cannot open it: %s", path, strerror(errno));
		headlen = fread(head, 1, sizeof head, f);
		fclose(f);
	}
	cv_plugin_load(a->plugin_path);
	const cv_loaded *best = NULL;
	int best_bid = 0;
	char tried[512] = "";
	cv_loaded *all = NULL;
	size_t nall = cv__plugins(&all);
	for (size_t i = 0; i < nall; i++) {
		const cv_loaded *p = &all[i];
		if (!p->ingest)
			continue;
		if (opts->plugin) {
			if (!strcmp(p->name, opts->plugin)) {
				best = p;
				break;
			}
			continue;
		}
		int bid = p->ingest->probe(p->ingest->state, path, is_dir, head, headlen);
		size_t tl = strlen(tried);
		snprintf(tried + tl, sizeof tried - tl, "%s%s", tl ? ", " : "", p->name);
		if (bid > best_bid) {
			best_bid = bid;
			best = p;
		}
	}
	if (!best) {
		if (opts->plugin)
			return cv__err(CV_EINVAL, "%s: no ingestion plugin named '%s' is loaded", path,
				opts->plugin);
		return cv__err(CV_EINVAL, "%s: no ingestion plugin accepts this input (tried: %s); a bundle is a directory, "
			".tar, .tar.gz or .zip with case.json at its root", path, tried[0] ? tried : "none loaded");
	}
	cv_ingest_limits lim = { sizeof lim, opts->max_entry_bytes ? opts->max_entry_bytes : (uint64_t)4 << 30,
		opts->max_total_bytes ? opts->max_total_bytes : (uint64_t)16 << 30,
		opts->max_entries ? opts->max_entries : 100000,
		opts->max_manifest_bytes ? opts->max_manifest_bytes : (uint64_t)16 << 20,
		opts->max_ratio > 0 ? opts->max_ratio : 200.0 };
	cv_ingest *t = NULL;
	CV_TRY(cv_ingest_begin(&t, a, path));
	cv_ingest_ctx ctx = { t };
	cv_error_clear();
	int rc = best->ingest->ingest(best->ingest->state, &ctx, path, &lim);
	if (rc) {
		if (!cv_error_last()->message[0])
			cv__err(CV_EPLUGIN, "%s: plugin %s failed without giving a reason", path, best->name);
		rc = cv_error_last()->code ? cv_error_last()->code : CV_EPLUGIN;
		cv_ingest_abort(t);
		return rc;
	}
	rc = cv_ingest_commit(t, result);
	if (!rc)
		snprintf(result->plugin, sizeof result->plugin, "%s", best->name);
	return rc;
}
