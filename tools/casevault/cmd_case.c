/* case list / show / close / hold / release */
#include "cli.h"

#include <string.h>

static int case_list(cli *c, int argc, char **argv)
{
	static const char *U = "casevault case list [--state active|archived|anonymised|destroyed] [--json]";
	static const struct option o[] = { { "state", required_argument, NULL, 's' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *state = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
			CLI_COMMON_CASES(c, U, "Lists cases (no personal data).\n")
		}
	}
	if (optind < argc)
		return cli_usage(U, "case list takes no arguments");
	if (state && strcmp(state, "active") && strcmp(state, "archived") && strcmp(state, "anonymised") && strcmp(state, "destroyed"))
		return cli_usage(U, "--state '%s' is not one of active, archived, anonymised, destroyed", state);
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	cv_case_info *list = NULL;
	size_t n = 0;
	int rc = cv_case_list(&list, &n, a, state);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, cvj_case(&list[i]));
		cv_case_list_free(list);
		return cli_json_out(arr);
	}
	printf("%-16s  %-22s  %-24s  %-10s  %-10s  %-10s  %s\n", "ID", "REF", "CATEGORY", "STATE", "OPENED", "CLOSED", "DOCS");
	for (size_t i = 0; i < n; i++)
		printf("%-16s  %-22s  %-24s  %-10s  %-10s  %-10s  %u%s\n", list[i].id, list[i].ref, list[i].category, list[i].state,
			list[i].opened, list[i].closed[0] ? list[i].closed : "-", list[i].ndocs, list[i].on_hold ? "  (hold)" : "");
	cv_case_list_free(list);
	return EXIT_OK;
}

static int case_show(cli *c, int argc, char **argv)
{
	static const char *U = "casevault case show ID [--json]";
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Shows a case with its persons, measures and documents (journaled).\nID is the case id or its reference.\n", 1, "case show needs one case id", &a);
	if (pe >= 0)
		return pe;
	cv_case_detail *d = NULL;
	int rc = cv_case_show(&d, a, argv[optind]);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json) {
		json_t *out = cvj_case_detail(d);
		cv_case_detail_free(d);
		return cli_json_out(out);
	}
	const cv_case_info *ci = &d->info;
	printf("case %s  ref %s\n  category  %s\n  state     %s%s\n  opened    %s\n  closed    %s\n  territory %s\n  version   %u\n",
		ci->id, ci->ref, ci->category, ci->state, ci->permanent ? " (kept permanently)" : "", ci->opened,
		ci->closed[0] ? ci->closed : "-", ci->territory[0] ? ci->territory : "-", ci->version);
	if (d->hold_reason)
		printf("  HOLD      %s\n", d->hold_reason);
	if (ci->restricted)
		printf("  RESTRICTED (GDPR art. 18)\n");
	printf("persons:\n");
	for (size_t i = 0; i < d->npersons; i++) {
		const cv_person *p = &d->persons[i];
		printf("  %-6s %-13s %s", p->id, p->role, p->last ? p->last : "");
		for (size_t j = 0; j < p->nfirst; j++)
			printf("%s%s", j ? " " : ", ", p->first[j]);
		if (p->born)
			printf("  born %s", p->born);
		printf("\n");
	}
	printf("measures:\n");
	for (size_t i = 0; i < d->nmeasures; i++)
		printf("  %-12s %-14s %s .. %s\n", d->measures[i].type, d->measures[i].basis, d->measures[i].start,
			d->measures[i].end[0] ? d->measures[i].end : "");
	printf("documents:\n");
	for (size_t i = 0; i < d->ndocs; i++)
		printf("  %-5s %-10s %-10s %s  (%s, %u rev.)\n", d->docs[i].id, d->docs[i].date[0] ? d->docs[i].date : "-",
			d->docs[i].type[0] ? d->docs[i].type : "-", d->docs[i].title, d->docs[i].path, d->docs[i].revisions);
	cv_case_detail_free(d);
	return EXIT_OK;
}

static int case_change(cli *c, int argc, char **argv, const char *what)
{
	char U[160];
	const char *date = NULL, *reason = NULL;
	snprintf(U, sizeof U, "casevault case %s ID%s", what,
		!strcmp(what, "close") ? " --date YYYY-MM-DD" : !strcmp(what, "hold") ? " --reason R" : "");
	static const struct option o[] = { { "date", required_argument, NULL, 'd' }, { "reason", required_argument, NULL, 'r' },
		CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'd': date = optarg; break;
		case 'r': reason = optarg; break;
			CLI_COMMON_CASES(c, U, "close: end of the last service (the case becomes archived);\n"
				"hold: legal hold, blocks every sweep action; release: lifts it.\n")
		}
	}
	if (argc - optind != 1)
		return cli_usage(U, "case %s needs one case id", what);
	if (!strcmp(what, "close") && !date)
		return cli_usage(U, "case close needs --date");
	if (!strcmp(what, "hold") && !reason)
		return cli_usage(U, "case hold needs --reason");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	int rc = !strcmp(what, "close") ? cv_case_close(a, argv[optind], date)
		: !strcmp(what, "hold") ? cv_case_hold(a, argv[optind], reason) : cv_case_release(a, argv[optind]);
	cv_case_info ci;
	if (!rc)
		rc = cv_case_get(&ci, a, argv[optind]);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json)
		return cli_json_out(cvj_case(&ci));
	printf("case %s (%s): %s%s\n", ci.ref, ci.id, ci.state, ci.on_hold ? ", on hold" : "");
	return EXIT_OK;
}

static int case_close(cli *c, int argc, char **argv)
{
	return case_change(c, argc, argv, "close");
}

static int case_hold(cli *c, int argc, char **argv)
{
	return case_change(c, argc, argv, "hold");
}

static int case_release(cli *c, int argc, char **argv)
{
	return case_change(c, argc, argv, "release");
}

int cmd_case(cli *c, int argc, char **argv)
{
	static const cli_sub subs[] = { { "list", case_list }, { "show", case_show }, { "close", case_close },
		{ "hold", case_hold }, { "release", case_release }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, "casevault case list|show|close|hold|release ...", "case", subs);
}
