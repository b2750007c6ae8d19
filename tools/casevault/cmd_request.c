/* request open / list / show / extend / verify-identity / decide / fulfil / lift / register */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* "case" and "subject" are the contract's keys (docs/cli.md): a string for a
 * request about one person in one case, as most are; an array, in the same
 * order as "subjects", when it covers several, so that no case of a
 * request is ever left out of a listing. "subjects" always has them all. */
static json_t *req_json(const cv_request *r, int full)
{
	json_t *subs = json_array(), *cases = json_array(), *persons = json_array();
	for (size_t i = 0; i < r->nsubjects; i++) {
		json_array_append_new(subs, json_pack("{s:s,s:s,s:s}", "case", r->subjects[i].case_id, "ref", r->subjects[i].ref,
			"person", r->subjects[i].person));
		json_array_append_new(cases, json_string(r->subjects[i].case_id));
		json_array_append_new(persons, json_string(r->subjects[i].person));
	}
	json_t *one_case = r->nsubjects == 1 ? json_incref(json_array_get(cases, 0)) : r->nsubjects ? json_incref(cases) : json_null();
	json_t *one_subj = r->nsubjects == 1 ? json_incref(json_array_get(persons, 0)) : r->nsubjects ? json_incref(persons) : json_null();
	json_decref(cases);
	json_decref(persons);
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "id", r->id, "type", r->type, "received", r->received, "due",
		r->effective_due, "state", r->state, "subject", one_subj, "case", one_case, "subjects", subs);
	if (!full)
		return o;
	json_object_set_new(o, "first_due", json_string(r->due));
	json_object_set_new(o, "extended_due", cli_str_or_null(r->extended_due));
	json_object_set_new(o, "extension_reason", cli_str_or_null(r->extension_reason));
	json_object_set_new(o, "extended_by", cli_str_or_null(r->extended_by));
	json_object_set_new(o, "extended_at", cli_str_or_null(r->extended_at));
	json_object_set_new(o, "channel", cli_str_or_null(r->channel));
	json_object_set_new(o, "opened_by", json_string(r->opened_by));
	json_object_set_new(o, "identity", r->identity_at[0] ? json_pack("{s:s,s:s,s:s}", "method", r->identity_method, "by",
		r->identity_by, "at", r->identity_at) : json_null());
	json_object_set_new(o, "proposal", json_pack("{s:s,s:s}", "decision", r->proposal, "ground", r->proposal_ground));
	json_object_set_new(o, "decision", r->decision[0] ? json_pack("{s:s,s:s,s:s,s:s}", "decision", r->decision, "ground",
		r->ground, "by", r->decided_by, "at", r->decided_at) : json_null());
	json_object_set_new(o, "fulfilled", r->fulfilled_at[0] ? json_pack("{s:s,s:s,s:s}", "by", r->fulfilled_by, "at",
		r->fulfilled_at, "outcome", r->outcome) : json_null());
	json_object_set_new(o, "certificate", r->certificate ? json_loads(r->certificate, 0, NULL) : json_null());
	return o;
}

static void req_text(const cv_request *r)
{
	printf("request %s: %s, %s\n  received %s, due %s\n", r->id, r->type, r->state, r->received, r->due);
	if (r->extended_due[0])
		printf("  extended to %s by %s at %s\n", r->extended_due, r->extended_by, r->extended_at);
	for (size_t i = 0; i < r->nsubjects; i++)
		printf("  subject %s in case %s (%s)\n", r->subjects[i].person, r->subjects[i].ref, r->subjects[i].case_id);
	printf("  proposed: %s — %s\n", r->proposal, r->proposal_ground);
	if (r->identity_at[0])
		printf("  identity checked: %s, by %s at %s\n", r->identity_method, r->identity_by, r->identity_at);
	if (r->decision[0])
		printf("  decision: %s — %s (by %s at %s)\n", r->decision, r->ground, r->decided_by, r->decided_at);
	if (r->fulfilled_at[0])
		printf("  fulfilled by %s at %s: %s\n", r->fulfilled_by, r->fulfilled_at, r->outcome);
}

static int read_content(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "casevault: request fulfil: cannot open %s\n", path);
		return -1;
	}
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	size_t k;
	while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *p = realloc(b, cap *= 2);
			if (!p) {
				free(b);
				b = NULL;
			} else {
				b = p;
			}
		}
	}
	fclose(f);
	if (!b)
		return -1;
	*out = b;
	*len = n;
	return 0;
}

int cmd_request(cli *c, int argc, char **argv)
{
	static const char *U =
		"casevault request open --type T (--subject P --case ID | --last L [--first F] [--born D]) --received D [--channel C] [--note N]\n"
		"       casevault request list [--overdue] [--due-within DAYS] [--as-of D]\n"
		"       casevault request show ID | extend ID --reason R | verify-identity ID --method M\n"
		"       casevault request decide ID --grant|--refuse|--partial --ground G [--credential-file F]\n"
		"       casevault request fulfil ID [--out FILE.zip] [--password-file F] [--case C] [--doc DOC --file F | --field F --value V]\n"
		"       casevault request lift ID --reason R | register --out FILE.html|FILE.csv";
	static const struct option o[] = { { "type", 1, NULL, 'T' }, { "subject", 1, NULL, 's' }, { "case", 1, NULL, 'c' },
		{ "last", 1, NULL, 'L' }, { "first", 1, NULL, 'F' }, { "born", 1, NULL, 'B' }, { "received", 1, NULL, 'r' },
		{ "channel", 1, NULL, 'C' }, { "note", 1, NULL, 'n' }, { "overdue", 0, NULL, 'o' }, { "due-within", 1, NULL, 'w' },
		{ "as-of", 1, NULL, 'a' }, { "reason", 1, NULL, 'R' }, { "method", 1, NULL, 'm' }, { "grant", 0, NULL, 'g' },
		{ "refuse", 0, NULL, 'x' }, { "partial", 0, NULL, 'p' }, { "ground", 1, NULL, 'G' },
		{ "credential-file", 1, NULL, 'k' }, { "out", 1, NULL, 'O' }, { "password-file", 1, NULL, 'P' },
		{ "doc", 1, NULL, 'd' }, { "file", 1, NULL, 'f' }, { "field", 1, NULL, 'e' }, { "value", 1, NULL, 'v' },
		CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	cv_request_open_options ro = CV_REQUEST_OPEN_OPTIONS_INIT;
	cv_request_filter rf = CV_REQUEST_FILTER_INIT;
	cv_request_fulfil_options fo = CV_REQUEST_FULFIL_OPTIONS_INIT;
	const char *reason = NULL, *method = NULL, *decision = NULL, *ground = NULL, *cred_file = NULL, *out = NULL,
		   *pw_file = NULL, *file = NULL, *as_of = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'T': ro.type = optarg; break;
		case 's': ro.subject = optarg; break;
		case 'c': ro.case_id = optarg; fo.case_id = optarg; break;
		case 'L': ro.last = optarg; break;
		case 'F': ro.first = optarg; break;
		case 'B': ro.born = optarg; break;
		case 'r': ro.received = optarg; break;
		case 'C': ro.channel = optarg; break;
		case 'n': ro.note = optarg; fo.note = optarg; break;
		case 'o': rf.overdue = 1; break;
		case 'w': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (!end || *end || v < 0 || v > 3650)
				return cli_usage(U, "--due-within wants a number of days");
			rf.due_within = (int)v;
			break;
		}
		case 'a': as_of = optarg; break;
		case 'R': reason = optarg; break;
		case 'm': method = optarg; break;
		case 'g': decision = decision ? "" : "grant"; break;
		case 'x': decision = decision ? "" : "refuse"; break;
		case 'p': decision = decision ? "" : "partial"; break;
		case 'G': ground = optarg; break;
		case 'k': cred_file = optarg; break;
		case 'O': out = optarg; break;
		case 'P': pw_file = optarg; break;
		case 'd': fo.doc = optarg; break;
		case 'f': file = optarg; break;
		case 'e': fo.field = optarg; break;
		case 'v': fo.value = optarg; break;
			CLI_COMMON_CASES(c, U, "The GDPR rights register (dpo or admin; decisions by a dpo with their credential).\n"
				"Deadline: one month from receipt (art. 12(3)), one extension of two months before it expires.\n")
		}
	}
	if (optind >= argc)
		return cli_usage(U, "request needs a subcommand");
	const char *sub = argv[optind];
	const char *id = argc - optind >= 2 ? argv[optind + 1] : NULL;
	int needs_id = strcmp(sub, "open") && strcmp(sub, "list") && strcmp(sub, "register");
	if (strcmp(sub, "open") && strcmp(sub, "list") && strcmp(sub, "register") && strcmp(sub, "show") && strcmp(sub, "extend") &&
		strcmp(sub, "verify-identity") && strcmp(sub, "decide") && strcmp(sub, "fulfil") && strcmp(sub, "lift"))
		return cli_usage(U, "unknown request subcommand '%s'", sub);
	if (needs_id && argc - optind != 2)
		return cli_usage(U, "request %s needs a request id", sub);
	if (!needs_id && argc - optind != 1)
		return cli_usage(U, "request %s takes options only", sub);
	if (!strcmp(sub, "open") && (!ro.type || !ro.received))
		return cli_usage(U, "request open needs --type and --received");
	if (!strcmp(sub, "decide") && (!decision || !*decision || !ground))
		return cli_usage(U, "request decide needs exactly one of --grant, --refuse, --partial, and --ground");
	if (!strcmp(sub, "register") && !out)
		return cli_usage(U, "request register needs --out FILE.html|FILE.csv");
	if (!strcmp(sub, "fulfil") && file && !fo.doc)
		return cli_usage(U, "--file goes with --doc");
	if (as_of && strcmp(sub, "list"))
		return cli_usage(U, "--as-of only simulates a listing (request list); a decision such as request %s is "
			"recorded at the time it is made", sub);
	rf.as_of = as_of;
	char *cred = NULL, *pw = NULL, *content = NULL;
	int ce = !strcmp(sub, "decide") ? cli_read_credential(cred_file, "your personal credential: ", &cred, "request decide") : 0;
	if (ce)
		return ce;
	if (pw_file && cv_secret_read_file(&pw, pw_file))
		return cli_fail("request fulfil");
	if (file && read_content(file, &content, &fo.content_len)) {
		cv_secret_free(pw);
		return EXIT_FAIL;
	}
	fo.content = content;
	fo.out_path = out;
	fo.password = pw;
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e) {
		cv_secret_free(cred);
		cv_secret_free(pw);
		free(content);
		return e;
	}
	int rc = 0;
	cv_request *r = NULL;
	if (!strcmp(sub, "open")) {
		rc = cv_request_open(&r, a, &ro);
	} else if (!strcmp(sub, "list")) {
		cv_request *list = NULL;
		size_t n = 0;
		rc = cv_request_list(&list, &n, a, &rf);
		if (!rc) {
			if (c->json) {
				json_t *arr = json_array();
				for (size_t i = 0; i < n; i++)
					json_array_append_new(arr, req_json(&list[i], 0));
				cli_json_out(arr);
			} else {
				printf("%-14s %-14s %-10s %-10s %-10s %-20s %s\n", "ID", "TYPE", "RECEIVED", "DUE", "STATE", "CASE", "SUBJECT");
				for (size_t i = 0; i < n; i++)
					printf("%-14s %-14s %-10s %-10s %-10s %-20s %s%s\n", list[i].id, list[i].type, list[i].received,
						list[i].effective_due, list[i].state, list[i].nsubjects ? list[i].subjects[0].ref : "-",
						list[i].nsubjects ? list[i].subjects[0].person : "-", list[i].nsubjects > 1 ? " (+ more)" : "");
			}
			cv_request_list_free(list, n);
		}
	} else if (!strcmp(sub, "register")) {
		size_t ol = strlen(out);
		cv_format fmt = ol > 4 && !strcmp(out + ol - 4, ".csv") ? CV_FORMAT_CSV : CV_FORMAT_HTML;
		if (fmt == CV_FORMAT_HTML && !(ol > 5 && !strcmp(out + ol - 5, ".html"))) {
			cv_archive_free(a);
			return cli_usage(U, "--out must end in .html or .csv");
		}
		rc = cv_request_register(a, fmt, out);
		if (!rc && !c->json)
			printf("wrote %s\n", out);
		if (!rc && c->json)
			cli_json_out(json_pack("{s:s}", "out", out));
	} else {
		if (!strcmp(sub, "extend"))
			rc = cv_request_extend(a, id, reason, NULL);
		else if (!strcmp(sub, "verify-identity"))
			rc = cv_request_verify_identity(a, id, method);
		else if (!strcmp(sub, "decide"))
			rc = cv_request_decide(a, id, decision, ground, cred);
		else if (!strcmp(sub, "fulfil"))
			rc = cv_request_fulfil(a, id, &fo);
		if (!rc && !strcmp(sub, "fulfil") && pw && out)
			cli_password_notice("request fulfil", out);
		else if (!strcmp(sub, "lift"))
			rc = cv_request_lift(a, id, reason);
		if (!rc)
			rc = cv_request_get(&r, a, id);
	}
	cv_secret_free(cred);
	cv_secret_free(pw);
	free(content);
	cv_archive_free(a);
	if (rc) {
		cv_request_free(r);
		return cli_fail(NULL);
	}
	if (r) {
		if (c->json)
			cli_json_out(req_json(r, strcmp(sub, "open") != 0));
		else
			req_text(r);
		cv_request_free(r);
	}
	return EXIT_OK;
}
