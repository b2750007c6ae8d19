/* case list / show / close / hold / release */
#include "cli.h"

#include <string.h>

static json_t *case_json(const cv_case_info *ci)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:b,s:b,s:i,s:i,s:I}", "id", ci->id, "ref", ci->ref, "category",
		ci->category, "state", ci->state, "opened", cli_str_or_null(ci->opened), "closed", cli_str_or_null(ci->closed),
		"territory", cli_str_or_null(ci->territory), "on_hold", ci->on_hold, "restricted", ci->restricted, "permanent",
		ci->permanent, "version", (int)ci->version, "documents", (int)ci->ndocs, "bytes", (json_int_t)ci->bytes);
}

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
			json_array_append_new(arr, case_json(&list[i]));
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

static json_t *person_json(const cv_person *p)
{
	json_t *first = json_array();
	for (size_t i = 0; i < p->nfirst; i++)
		json_array_append_new(first, json_string(p->first[i]));
	json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "id", p->id, "role", p->role, "last", p->last ? p->last : "", "first", first);
	const char *keys[] = { "born", "sex", "phone", "email", "address", "nir", "function" };
	const char *vals[] = { p->born, p->sex, p->phone, p->email, p->address, p->nir, p->function };
	for (int i = 0; i < 7; i++)
		if (vals[i])
			json_object_set_new(o, keys[i], json_string(vals[i]));
	return o;
}

json_t *cli_doc_json(const cv_doc_info *d);
json_t *cli_doc_json(const cv_doc_info *d)
{
	json_t *conc = json_array();
	for (size_t i = 0; i < d->nconcerns; i++)
		json_array_append_new(conc, json_string(d->concerns[i]));
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:i,s:I,s:o,s:b}", "id", d->id, "title", d->title, "path", d->path, "date",
		cli_str_or_null(d->date), "type", cli_str_or_null(d->type), "revisions", (int)d->revisions, "size",
		(json_int_t)d->size, "concerns", conc, "removed", d->removed);
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
		json_t *out = case_json(&d->info), *persons = json_array(), *docs = json_array(), *ms = json_array();
		for (size_t i = 0; i < d->npersons; i++)
			json_array_append_new(persons, person_json(&d->persons[i]));
		for (size_t i = 0; i < d->ndocs; i++)
			json_array_append_new(docs, cli_doc_json(&d->docs[i]));
		for (size_t i = 0; i < d->nmeasures; i++)
			json_array_append_new(ms, json_pack("{s:s,s:o,s:s,s:o}", "type", d->measures[i].type, "basis",
				cli_str_or_null(d->measures[i].basis), "start", d->measures[i].start, "end", cli_str_or_null(d->measures[i].end)));
		json_object_set_new(out, "persons", persons);
		json_object_set_new(out, "measures", ms);
		json_object_set_new(out, "documents", docs);
		if (d->hold_reason)
			json_object_set_new(out, "hold_reason", json_string(d->hold_reason));
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
		return cli_json_out(case_json(&ci));
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
