/* ingest BUNDLE... : each bundle succeeds or fails on its own. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || !end || v <= 0)
		return -1;
	double mult = 1;
	if (*end == 'K' || *end == 'k')
		mult = 1024.0, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024.0 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1024.0 * 1024 * 1024, end++;
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = (uint64_t)(v * mult);
	return 0;
}

int cmd_ingest(cli *c, int argc, char **argv)
{
	static const char *U = "casevault ingest [--plugin NAME] [--max-entry-size SIZE] [--max-total-size SIZE]\n"
			       "                        [--max-entries N] [--max-ratio R] BUNDLE...";
	static const struct option o[] = { { "plugin", required_argument, NULL, 'p' },
		{ "max-entry-size", required_argument, NULL, 'e' }, { "max-total-size", required_argument, NULL, 't' },
		{ "max-entries", required_argument, NULL, 'n' }, { "max-ratio", required_argument, NULL, 'r' }, CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 } };
	cv_ingest_options io = CV_INGEST_OPTIONS_INIT;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'p': io.plugin = optarg; break;
		case 'e':
			if (parse_size(optarg, &io.max_entry_bytes))
				return cli_usage(U, "--max-entry-size '%s' is not a size (e.g. 512M, 4G)", optarg);
			break;
		case 't':
			if (parse_size(optarg, &io.max_total_bytes))
				return cli_usage(U, "--max-total-size '%s' is not a size (e.g. 16G)", optarg);
			break;
		case 'n': {
			char *end = NULL;
			io.max_entries = strtoull(optarg, &end, 10);
			if (!end || *end || !io.max_entries)
				return cli_usage(U, "--max-entries '%s' is not a positive number", optarg);
			break;
		}
		case 'r': {
			char *end = NULL;
			io.max_ratio = strtod(optarg, &end);
			if (!end || *end || io.max_ratio < 1)
				return cli_usage(U, "--max-ratio '%s' is not a ratio >= 1", optarg);
			break;
		}
			CLI_COMMON_CASES(c, U, "Each bundle is stored whole or not at all; the exit status is 1 if any failed.\n"
				"Defaults: entry 4 GiB, total 16 GiB, 100000 entries, expansion ratio 200.\n")
		}
	}
	if (optind >= argc)
		return cli_usage(U, "ingest needs at least one bundle");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	int ok = 0, failed = 0, worst = EXIT_OK;
	json_t *results = json_array();
	for (int i = optind; i < argc; i++) {
		cv_ingest_result r = CV_INGEST_RESULT_INIT;
		int rc = cv_ingest_bundle(&r, a, argv[i], &io);
		if (c->progress)
			fprintf(stderr, "\r\033[K");
		if (rc) {
			failed++;
			int code = cli_fail(NULL);
			if (code == EXIT_DENIED || worst == EXIT_OK)
				worst = code;
			json_array_append_new(results, json_pack("{s:s,s:b,s:s}", "bundle", argv[i], "ok", 0, "error",
				cv_error_last()->message));
			continue;
		}
		ok++;
		if (!c->json && r.unchanged)
			printf("%s: case %s (%s) unchanged: identical to version %u, nothing stored\n", argv[i], r.case_id, r.ref,
				r.case_version);
		else if (!c->json)
			printf("%s: case %s (%s) version %u%s: %u new, %u changed, %u unchanged, %u removed documents; "
			       "%.1f MB read, %.1f MB stored\n",
				argv[i], r.case_id, r.ref, r.case_version, r.created ? " (new case)" : "", r.docs_new, r.docs_changed,
				r.docs_unchanged, r.docs_removed, r.bytes_in / 1e6, r.bytes_stored / 1e6);
		if (!c->json && r.rectifications_kept)
			printf("  %u rectification%s kept over the source: %s\n", r.rectifications_kept,
				r.rectifications_kept > 1 ? "s" : "", r.rectifications);
		json_t *jr = json_pack("{s:s,s:b,s:s,s:s,s:i,s:b,s:i,s:i,s:i,s:i,s:I,s:I,s:s,s:b,s:i}", "bundle", argv[i],
			"ok", 1, "case", r.case_id, "ref", r.ref, "version", (int)r.case_version, "created", r.created, "new", (int)r.docs_new,
			"changed", (int)r.docs_changed, "unchanged", (int)r.docs_unchanged, "removed", (int)r.docs_removed, "bytes_in",
			(json_int_t)r.bytes_in, "bytes_stored", (json_int_t)r.bytes_stored, "plugin", r.plugin, "identical",
			r.unchanged, "rectifications_kept", (int)r.rectifications_kept);
		if (r.rectifications_kept)
			json_object_set_new(jr, "rectifications", json_string(r.rectifications));
		json_array_append_new(results, jr);
	}
	cv_archive_free(a);
	fprintf(stderr, "casevault: ingest: %d bundle%s ingested, %d failed\n", ok, ok == 1 ? "" : "s", failed);
	if (c->json)
		cli_json_out(json_pack("{s:i,s:i,s:o}", "ingested", ok, "failed", failed, "bundles", results));
	else
		json_decref(results);
	return failed ? (worst == EXIT_OK ? EXIT_FAIL : worst) : EXIT_OK;
}
