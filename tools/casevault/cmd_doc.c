/* doc list / cat / log */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


static int doc_list(cli *c, int argc, char **argv)
{
	static const char *U = "casevault doc list ID [--json]";
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Lists a case's documents, removed ones included (journaled).\n", 1, "doc list needs one case id", &a);
	if (pe >= 0)
		return pe;
	cv_doc_info *d = NULL;
	size_t n = 0;
	int rc = cv_doc_list(&d, &n, a, argv[optind]);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, cvj_doc(&d[i]));
		cv_doc_list_free(d, n);
		return cli_json_out(arr);
	}
	printf("%-5s  %-10s  %-12s  %4s  %10s  %s\n", "ID", "DATE", "TYPE", "REVS", "SIZE", "TITLE");
	for (size_t i = 0; i < n; i++)
		printf("%-5s  %-10s  %-12s  %4u  %10llu  %s%s\n", d[i].id, d[i].date[0] ? d[i].date : "-",
			d[i].type[0] ? d[i].type : "-", d[i].revisions, (unsigned long long)d[i].size, d[i].title,
			d[i].removed ? "  (removed)" : "");
	cv_doc_list_free(d, n);
	return EXIT_OK;
}

static int doc_log(cli *c, int argc, char **argv)
{
	static const char *U = "casevault doc log ID DOC [--json]";
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Lists the revisions of a document.\n", 2, "doc log needs a case id and a document id", &a);
	if (pe >= 0)
		return pe;
	cv_doc_rev *r = NULL;
	size_t n = 0;
	int rc = cv_doc_log(&r, &n, a, argv[optind], argv[optind + 1]);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:i,s:s,s:I,s:i,s:i,s:o}", "rev", (int)r[i].rev, "date", r[i].date,
				"size", (json_int_t)r[i].size, "chunks", (int)r[i].chunks, "case_version", (int)r[i].case_version,
				"note", cvj_str_or_null(r[i].note)));
		cv_doc_log_free(r);
		return cli_json_out(arr);
	}
	printf("%4s  %-20s  %12s  %6s  %s\n", "REV", "STORED", "SIZE", "CHUNKS", "NOTE");
	for (size_t i = 0; i < n; i++)
		printf("%4u  %-20s  %12llu  %6u  %s\n", r[i].rev, r[i].date, (unsigned long long)r[i].size, r[i].chunks, r[i].note);
	cv_doc_log_free(r);
	return EXIT_OK;
}

static int write_stdout(const void *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static int doc_cat(cli *c, int argc, char **argv)
{
	static const char *U = "casevault doc cat ID DOC [--rev N]";
	static const struct option o[] = { { "rev", required_argument, NULL, 'r' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	unsigned rev = 0;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'r': {
			char *end = NULL;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || !end || *end || v == 0 || v > 1000000)
				return cli_usage(U, "--rev '%s' is not a revision number (1, 2, ...)", optarg);
			rev = (unsigned)v;
			break;
		}
			CLI_COMMON_CASES(c, U, "Writes a document (latest revision, or --rev N) to stdout; journaled.\n")
		}
	}
	if (argc - optind != 2)
		return cli_usage(U, "doc cat needs a case id and a document id");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	int rc = cv_doc_cat(a, argv[optind], argv[optind + 1], rev, write_stdout, NULL);
	cv_archive_free(a);
	if (fflush(stdout) != 0 && !rc) {
		fprintf(stderr, "casevault: doc cat: cannot write to standard output\n");
		return EXIT_FAIL;
	}
	return rc ? cli_fail(NULL) : EXIT_OK;
}

int cmd_doc(cli *c, int argc, char **argv)
{
	static const cli_sub subs[] = { { "list", doc_list }, { "cat", doc_cat }, { "log", doc_log }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, "casevault doc list|cat|log ...", "doc", subs);
}
