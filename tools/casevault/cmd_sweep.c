/* sweep plan / approve / run / slip / certificate, policy check, stats */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* One JSON document on stdout, streamed item by item: a plan can hold
 * 100,000 cases. `extra` (may be NULL) is merged into the top object. */
static int plan_json_out(const cv_sweep_plan *p, json_t *extra)
{
	json_t *top = cvj_plan(p, 0);
	if (extra)
		json_object_update(top, extra);
	json_decref(extra);
	char *head = json_dumps(top, JSON_INDENT(2));
	json_decref(top);
	if (!head)
		return EXIT_FAIL;
	size_t hl = strlen(head);
	while (hl && head[hl - 1] != '}')
		hl--;
	printf("%.*s,\n  \"items\": [", (int)(hl ? hl - 2 : 0), head); /* drop "\n}" */
	free(head);
	for (size_t i = 0; i < p->nitems; i++) {
		json_t *it = cvj_plan_item(&p->items[i]);
		char *s = it ? json_dumps(it, JSON_COMPACT) : NULL;
		json_decref(it);
		printf("%s\n    %s", i ? "," : "", s ? s : "null");
		free(s);
	}
	printf("\n  ]\n}\n");
	return ferror(stdout) ? EXIT_FAIL : EXIT_OK;
}

static void plan_text(const cv_sweep_plan *p, int all)
{
	printf("plan %s (sha256 %s)\n  as of %s, policy %s, state %s, made by %s at %s\n", p->id, p->sha256, p->as_of, p->policy,
		p->state, p->planner, p->planned);
	if (p->approver[0])
		printf("  approved by %s at %s\n", p->approver, p->approved);
	if (p->refused_by[0])
		printf("  refused by %s at %s: %s\n", p->refused_by, p->refused_at, p->refusal ? p->refusal : "");
	printf("  %zu cases: %zu keep, %zu archive, %zu anonymise, %zu destroy; %zu blocked\n", p->nitems, p->counts[0],
		p->counts[1], p->counts[2], p->counts[3], p->nblocked);
	int header = 0;
	for (size_t i = 0; i < p->nitems; i++) {
		const cv_sweep_item *x = &p->items[i];
		if (!all && !strcmp(x->action, "keep"))
			continue;
		if (!header++)
			printf("%-22s %-24s %-10s %-10s %-22s %s\n", "REF", "CATEGORY", "ACTION", "DUE", "RULE", "BLOCKED / RESULT");
		printf("%-22s %-24s %-10s %-10s %-22s %s%s%s\n", x->ref, x->category, x->action, x->due[0] ? x->due : "-", x->rule,
			x->blocked, x->blocked[0] && x->result[0] ? " / " : "", x->result);
	}
}

/* The library's error, then what to type about it. */
static int sweep_fail(const char *plan)
{
	char approve[160];
	snprintf(approve, sizeof approve, "a director other than the planner must first run 'casevault sweep approve %s'",
		plan ? plan : "PLAN");
	int x = cli_fail(NULL);
	cli_hint_if("a plan id has", "see 'casevault sweep plan'");
	cli_hint_if("no sweep plan", "see 'casevault sweep plan'");
	cli_hint_if("is not approved", approve);
	cli_hint_if("no retention plugin is loaded", "see 'casevault plugin list'");
	cli_hint_if("no redaction plugin is loaded", "see 'casevault plugin list'");
	return x;
}

static int parse_format(const char *out, cv_format *fmt)
{
	const char *dot = out ? strrchr(out, '.') : NULL;
	if (!dot)
		return -1;
	if (!strcmp(dot, ".html") || !strcmp(dot, ".htm"))
		*fmt = CV_FORMAT_HTML;
	else if (!strcmp(dot, ".csv"))
		*fmt = CV_FORMAT_CSV;
	else if (!strcmp(dot, ".json"))
		*fmt = CV_FORMAT_JSON;
	else
		return -1;
	return 0;
}

static const char SWEEP_U[] = "casevault sweep plan [--as-of D] [--policy FILE] [--all]\n"
			       "       casevault sweep list | show PLAN | approve PLAN [--credential-file F] | run PLAN\n"
			       "       casevault sweep refuse PLAN --reason TEXT [--credential-file F]\n"
			       "       casevault sweep slip PLAN --out FILE.html|.csv|.json | certificate PLAN --out FILE.html|.csv|.json";

/* The options each subcommand needs, checked before the archive is opened:
 * -1 to go on, or a usage error. */
static int sweep_check(const char *sub, int npos, const char *as_of, const char *out, const char *reason,
	cv_format *fmt)
{
	const char *U = SWEEP_U;
	if (as_of && strcmp(sub, "plan"))
		return cli_usage(U, "--as-of only applies to sweep plan: an approval or a run is recorded at the time it is "
			"made and acts on what is due today");
	if (reason && strcmp(sub, "refuse"))
		return cli_usage(U, "--reason only applies to sweep refuse");
	if (!strcmp(sub, "plan") || !strcmp(sub, "list")) {
		if (npos)
			return cli_usage(U, "sweep %s takes options only", sub);
	} else if (!strcmp(sub, "refuse")) {
		if (npos != 1 || !reason || !*reason)
			return cli_usage(U, "sweep refuse needs a plan id and --reason TEXT");
	} else if (!strcmp(sub, "approve") || !strcmp(sub, "run") || !strcmp(sub, "show")) {
		if (npos != 1)
			return cli_usage(U, "sweep %s needs a plan id", sub);
	} else if (!strcmp(sub, "slip") || !strcmp(sub, "certificate")) {
		if (npos != 1 || !out)
			return cli_usage(U, "sweep %s needs a plan id and --out FILE", sub);
		if (parse_format(out, fmt))
			return cli_usage(U, "--out must end in .html, .csv or .json");
	} else {
		return cli_usage(U, "unknown sweep subcommand '%s'", sub);
	}
	return -1;
}

/* The stored plans, newest first: one line each, or a JSON array. */
static int sweep_list_out(cli *c, cv_archive *a)
{
	cv_sweep_plan *list = NULL;
	size_t n = 0;
	if (cv_sweep_plan_list(&list, &n, a))
		return sweep_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, cvj_plan(&list[i], 0));
		cv_sweep_plan_list_free(list, n);
		return cli_json_out(arr);
	}
	printf("%-16s  %-10s  %-9s  %-12s  %s\n", "PLAN", "AS OF", "STATE", "PLANNER", "ARCHIVE/ANONYMISE/DESTROY");
	for (size_t i = 0; i < n; i++)
		printf("%-16s  %-10s  %-9s  %-12s  %zu/%zu/%zu\n", list[i].id, list[i].as_of, list[i].state, list[i].planner,
			list[i].counts[1], list[i].counts[2], list[i].counts[3]);
	cv_sweep_plan_list_free(list, n);
	return EXIT_OK;
}

/* A run says what it did; with --json, the plan as it now stands too. */
static int sweep_run_out(cli *c, cv_archive *a, const char *plan)
{
	cv_sweep_report r = CV_SWEEP_REPORT_INIT;
	cv_sweep_plan *p = NULL;
	int rc = cv_sweep_run(&r, a, plan);
	if (c->progress)
		fprintf(stderr, "\n");
	if (!rc && c->json)
		rc = cv_sweep_plan_get(&p, a, plan);
	if (rc)
		return sweep_fail(plan);
	if (!c->json) {
		printf("sweep run: %zu done, %zu blocked, %zu remaining%s%s\n", r.done, r.blocked, r.remaining,
			r.certificate[0] ? "; destruction certificate " : "", r.certificate);
		return EXIT_OK;
	}
	json_t *extra = json_pack("{s:{s:I,s:I,s:I,s:o}}", "run", "done", (json_int_t)r.done, "blocked",
		(json_int_t)r.blocked, "remaining", (json_int_t)r.remaining, "certificate", cvj_str_or_null(r.certificate));
	int code = plan_json_out(p, extra);
	cv_sweep_plan_free(p);
	return code;
}

/* A plan shown (text or JSON), or the file a slip or certificate went to. */
static int sweep_out(cli *c, cv_sweep_plan *p, const char *out, int all)
{
	if (!p) {
		if (c->json)
			return cli_json_out(json_pack("{s:s}", "out", out));
		printf("wrote %s\n", out);
		return EXIT_OK;
	}
	if (c->json) {
		int code = plan_json_out(p, NULL);
		cv_sweep_plan_free(p);
		return code;
	}
	plan_text(p, all);
	cv_sweep_plan_free(p);
	return EXIT_OK;
}

int cmd_sweep(cli *c, int argc, char **argv)
{
	const char *U = SWEEP_U;
	static const struct option o[] = { { "as-of", required_argument, NULL, 'a' }, { "policy", required_argument, NULL, 'p' },
		{ "credential-file", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'l' }, { "reason", required_argument, NULL, 'r' }, CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 } };
	const char *as_of = NULL, *policy = NULL, *cred_file = NULL, *out = NULL, *reason = NULL;
	int all = 0, ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'a': as_of = optarg; break;
		case 'p': policy = optarg; break;
		case 'f': cred_file = optarg; break;
		case 'o': out = optarg; break;
		case 'l': all = 1; break;
		case 'r': reason = optarg; break;
			CLI_COMMON_CASES(c, U,
				"plan: evaluates every case against the policy at the as-of date (default today; never later)\n"
				"and stores the plan; the same archive, policy and date give the same plan. approve: a director\n"
				"other than the planner confirms with their own credential; refuse: the same director's \"no\",\n"
				"signed, with its reason (the plan can then never run). list: the stored plans, newest first.\n"
				"run: executes an approved plan\n"
				"(resumable), refusing it whole if any of its actions is not due by today's date.\n"
				"slip: the elimination slip (bordereau) for the archives director. certificate: the destruction\n"
				"certificate of a completed run.\n")
		}
	}
	if (optind >= argc)
		return cli_usage(U, "sweep needs a subcommand");
	const char *sub = argv[optind];
	int npos = argc - optind - 1;
	const char *plan = npos >= 1 ? argv[optind + 1] : NULL;
	cv_format fmt = CV_FORMAT_HTML;
	int e = sweep_check(sub, npos, as_of, out, reason, &fmt);
	if (e >= 0)
		return e;
	char *cred = NULL;
	int decides = !strcmp(sub, "approve") || !strcmp(sub, "refuse");
	int ce = decides ? cli_read_credential(cred_file, "your personal credential: ", &cred, sub) : 0;
	if (ce)
		return ce;
	cv_archive *a = NULL;
	if ((e = cli_open(c, &a))) {
		cv_secret_free(cred);
		return e;
	}
	int rc = 0;
	cv_sweep_plan *p = NULL;
	if (!strcmp(sub, "plan")) {
		cv_sweep_options so = CV_SWEEP_OPTIONS_INIT;
		so.as_of = as_of;
		so.policy = policy;
		rc = cv_sweep_plan_make(&p, a, &so);
	} else if (!strcmp(sub, "show")) {
		rc = cv_sweep_plan_get(&p, a, plan);
		all = 1;
	} else if (!strcmp(sub, "approve")) {
		rc = cv_sweep_approve(a, plan, cred);
		if (!rc)
			rc = cv_sweep_plan_get(&p, a, plan);
	} else if (!strcmp(sub, "refuse")) {
		rc = cv_sweep_refuse(a, plan, reason, cred);
		if (!rc)
			rc = cv_sweep_plan_get(&p, a, plan);
	} else if (!strcmp(sub, "list")) {
		cv_secret_free(cred);
		int code = sweep_list_out(c, a);
		cv_archive_free(a);
		return code;
	} else if (!strcmp(sub, "run")) {
		int code = sweep_run_out(c, a, plan);
		cv_archive_free(a);
		return code;
	} else if (!strcmp(sub, "slip")) {
		rc = cv_sweep_slip(a, plan, fmt, out);
	} else {
		rc = cv_sweep_certificate(a, plan, fmt, out);
	}
	cv_secret_free(cred);
	cv_archive_free(a);
	if (rc)
		return sweep_fail(plan);
	return sweep_out(c, p, out, all);
}

int cmd_policy(cli *c, int argc, char **argv)
{
	static const char *U = "casevault policy check FILE";
	static const struct option o[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
			CLI_COMMON_CASES(c, U, "Validates a retention policy (YAML); errors name file and line.\n")
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "check"))
		return cli_usage(U, "policy needs 'check FILE'");
	cv_plugin_load(c->plugin_path);
	char *summary = NULL;
	if (cv_policy_check(&summary, argv[optind + 1]))
		return sweep_fail(NULL);
	if (c->json)
		cli_json_out(json_pack("{s:b,s:s}", "ok", 1, "policy", summary ? summary : ""));
	else
		printf("%s\n", summary ? summary : "valid");
	free(summary);
	return EXIT_OK;
}

int cmd_stats(cli *c, int argc, char **argv)
{
	static const char *U = "casevault stats [--by category|measure|age|duration|territory] [--threshold N] [--csv] [--json]";
	static const struct option o[] = { { "by", required_argument, NULL, 'b' }, { "threshold", required_argument, NULL, 't' },
		{ "csv", no_argument, NULL, 'c' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *by = "category";
	unsigned threshold = 5;
	int csv = 0, ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'b': by = optarg; break;
		case 't': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (!end || *end || v < 1 || v > 1000)
				return cli_usage(U, "--threshold wants a number from 1 to 1000");
			threshold = (unsigned)v;
			break;
		}
		case 'c': csv = 1; break;
			CLI_COMMON_CASES(c, U, "Anonymised counts for the observatory (ODPE) over active, archived and anonymised\n"
				"cases; cells under the threshold (default 5) are suppressed.\n")
		}
	}
	if (optind < argc)
		return cli_usage(U, "stats takes options only");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	cv_stat_row *r = NULL;
	size_t n = 0;
	int rc = cv_stats_get(&r, &n, a, by, threshold);
	cv_archive_free(a);
	if (rc)
		return cli_fail_hint(NULL, CV_EINVAL, "give --by category, measure, age, duration or territory");
	if (c->json) {
		json_t *arr = json_array();
#define CELL(v) ((v) < 0 ? json_null() : json_integer(v))
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:o,s:o}", by, r[i].key, "count", CELL(r[i].count), "active",
				CELL(r[i].count_active), "archived", CELL(r[i].count_archived), "anonymised", CELL(r[i].count_anonymised)));
		cv_stats_free(r);
		return cli_json_out(json_pack("{s:s,s:i,s:o}", "by", by, "threshold", (int)threshold, "rows", arr));
	}
#define SHOW(v, buf) ((v) < 0 ? (snprintf(buf, sizeof buf, "<%u", threshold), buf) : (snprintf(buf, sizeof buf, "%lld", (long long)(v)), buf))
	if (csv)
		printf("%s,count,active,archived,anonymised\r\n", by);
	else
		printf("%-28s %8s %8s %8s %10s\n", by, "count", "active", "archived", "anonymised");
	for (size_t i = 0; i < n; i++) {
		char b1[16], b2[16], b3[16], b4[16];
		printf(csv ? "%s,%s,%s,%s,%s\r\n" : "%-28s %8s %8s %8s %10s\n", r[i].key, SHOW(r[i].count, b1),
			SHOW(r[i].count_active, b2), SHOW(r[i].count_archived, b3), SHOW(r[i].count_anonymised, b4));
	}
	cv_stats_free(r);
	return EXIT_OK;
}
