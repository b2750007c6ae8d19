/* request open / list / show / extend / verify-identity / decide / fulfil / lift / register */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

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

static const char U[] =
	"casevault request open --type T (--subject P --case ID | --last L [--first F] [--born D]) --received D [--channel C] [--note N]\n"
	"       casevault request list [--overdue] [--due-within DAYS] [--as-of D]\n"
	"       casevault request show ID | extend ID --reason R | verify-identity ID --method M\n"
	"       casevault request decide ID --grant|--refuse|--partial --ground G [--credential-file F]\n"
	"       casevault request approve ID [--credential-file F]   (archives director: erasure of archived cases)\n"
	"       casevault request fulfil ID [--credential-file F] [--out FILE.zip] [--password-file F] [--case C]\n"
	"                                [--doc DOC --file F | --field F --value V]\n"
	"       casevault request lift ID --reason R | register --out FILE.html|FILE.csv";

/* Everything the command line says, for whichever subcommand. */
typedef struct req_args {
	cv_request_open_options ro;
	cv_request_filter rf;
	cv_request_fulfil_options fo;
	const char *reason, *method, *decision, *ground, *cred_file, *out, *pw_file, *file, *as_of;
} req_args;

/* -1 to go on, or the exit status (help printed, or a usage error). */
static int req_parse(cli *c, int argc, char **argv, req_args *x)
{
	static const struct option o[] = { { "type", 1, NULL, 'T' }, { "subject", 1, NULL, 's' }, { "case", 1, NULL, 'c' },
		{ "last", 1, NULL, 'L' }, { "first", 1, NULL, 'F' }, { "born", 1, NULL, 'B' }, { "received", 1, NULL, 'r' },
		{ "channel", 1, NULL, 'C' }, { "note", 1, NULL, 'n' }, { "overdue", 0, NULL, 'o' }, { "due-within", 1, NULL, 'w' },
		{ "as-of", 1, NULL, 'a' }, { "reason", 1, NULL, 'R' }, { "method", 1, NULL, 'm' }, { "grant", 0, NULL, 'g' },
		{ "refuse", 0, NULL, 'x' }, { "partial", 0, NULL, 'p' }, { "ground", 1, NULL, 'G' },
		{ "credential-file", 1, NULL, 'k' }, { "out", 1, NULL, 'O' }, { "password-file", 1, NULL, 'P' },
		{ "doc", 1, NULL, 'd' }, { "file", 1, NULL, 'f' }, { "field", 1, NULL, 'e' }, { "value", 1, NULL, 'v' },
		CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'T': x->ro.type = optarg; break;
		case 's': x->ro.subject = optarg; break;
		case 'c': x->ro.case_id = optarg; x->fo.case_id = optarg; break;
		case 'L': x->ro.last = optarg; break;
		case 'F': x->ro.first = optarg; break;
		case 'B': x->ro.born = optarg; break;
		case 'r': x->ro.received = optarg; break;
		case 'C': x->ro.channel = optarg; break;
		case 'n': x->ro.note = optarg; x->fo.note = optarg; break;
		case 'o': x->rf.overdue = 1; break;
		case 'w': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (!end || *end || v < 0 || v > 3650)
				return cli_usage(U, "--due-within wants a number of days");
			x->rf.due_within = (int)v;
			break;
		}
		case 'a': x->as_of = optarg; break;
		case 'R': x->reason = optarg; break;
		case 'm': x->method = optarg; break;
		case 'g': x->decision = x->decision ? "" : "grant"; break;
		case 'x': x->decision = x->decision ? "" : "refuse"; break;
		case 'p': x->decision = x->decision ? "" : "partial"; break;
		case 'G': x->ground = optarg; break;
		case 'k': x->cred_file = optarg; break;
		case 'O': x->out = optarg; break;
		case 'P': x->pw_file = optarg; break;
		case 'd': x->fo.doc = optarg; break;
		case 'f': x->file = optarg; break;
		case 'e': x->fo.field = optarg; break;
		case 'v': x->fo.value = optarg; break;
			CLI_COMMON_CASES(c, U, "The GDPR rights register (dpo or admin; decisions by a dpo with their credential).\n"
				"Deadline: one month from receipt (art. 12(3)), one extension of two months before it expires.\n")
		}
	}
	return -1;
}

/* The options each subcommand needs, checked before the archive is opened:
 * -1 to go on, or a usage error. */
static int req_check(const char *sub, int nargs, const req_args *x)
{
	static const char *const subs[] = { "open", "list", "register", "show", "extend", "verify-identity", "decide",
		"approve", "fulfil", "lift", NULL };
	size_t i = 0;
	while (subs[i] && strcmp(subs[i], sub))
		i++;
	if (!subs[i])
		return cli_usage(U, "unknown request subcommand '%s'", sub);
	int needs_id = strcmp(sub, "open") && strcmp(sub, "list") && strcmp(sub, "register");
	if (needs_id && nargs != 2)
		return cli_usage(U, "request %s needs a request id", sub);
	if (!needs_id && nargs != 1)
		return cli_usage(U, "request %s takes options only", sub);
	if (!strcmp(sub, "open") && (!x->ro.type || !x->ro.received))
		return cli_usage(U, "request open needs --type and --received");
	if (!strcmp(sub, "open") && (x->ro.subject || x->ro.case_id) && (!x->ro.subject || !x->ro.case_id))
		return cli_usage(U, "request open needs --subject PERSON with --case ID, or --last/--first/--born");
	if (!strcmp(sub, "open") && !x->ro.subject && !x->ro.case_id && !x->ro.last)
		return cli_usage(U, "request open needs --subject PERSON --case ID, or --last L [--first F] [--born D]");
	if ((!strcmp(sub, "extend") || !strcmp(sub, "lift")) && !x->reason)
		return cli_usage(U, "request %s needs the reason with --reason R", sub);
	if (!strcmp(sub, "verify-identity") && !x->method)
		return cli_usage(U, "request verify-identity needs the method with --method M (e.g. 'pièce d'identité au "
			"guichet')");
	if (!strcmp(sub, "decide") && (!x->decision || !*x->decision || !x->ground))
		return cli_usage(U, "request decide needs exactly one of --grant, --refuse, --partial, and --ground");
	if (!strcmp(sub, "register") && !x->out)
		return cli_usage(U, "request register needs --out FILE.html|FILE.csv");
	if (!strcmp(sub, "fulfil") && x->file && !x->fo.doc)
		return cli_usage(U, "--file goes with --doc");
	if (x->as_of && strcmp(sub, "list"))
		return cli_usage(U, "--as-of only simulates a listing (request list); a decision such as request %s is "
			"recorded at the time it is made", sub);
	return -1;
}

/* The library's error, then what to type about it. */
static int req_fail(const char *id)
{
	char verify[160], decide[200];
	snprintf(verify, sizeof verify, "record it first with 'casevault request verify-identity %s --method M'",
		id ? id : "ID");
	snprintf(decide, sizeof decide, "the DPO decides with 'casevault request decide %s --grant|--refuse|--partial "
		"--ground G'", id ? id : "ID");
	int x = cli_fail(NULL);
	cli_hint_if("no rights request", "see 'casevault request list'");
	cli_hint_if("identity has not been checked", verify);
	cli_hint_if("has no decision yet", decide);
	cli_hint_if("needs a file to write the copy to", "give --out FILE.zip");
	cli_hint_if("a rectification needs", "give --doc DOC --file F (the rectified document) or --field NAME --value V");
	cli_hint_if("covers several cases", "say which with --case");
	cli_hint_if("no redaction plugin is loaded", "see 'casevault plugin list'");
	return x;
}

static int req_list(cli *c, cv_archive *a, const req_args *x)
{
	cv_request *list = NULL;
	size_t n = 0;
	int rc = cv_request_list(&list, &n, a, &x->rf);
	if (rc)
		return rc;
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, cvj_request(&list[i], 0));
		cli_json_out(arr);
	} else {
		printf("%-14s %-14s %-10s %-10s %-10s %-20s %s\n", "ID", "TYPE", "RECEIVED", "DUE", "STATE", "CASE", "SUBJECT");
		for (size_t i = 0; i < n; i++)
			printf("%-14s %-14s %-10s %-10s %-10s %-20s %s%s\n", list[i].id, list[i].type, list[i].received,
				list[i].effective_due, list[i].state, list[i].nsubjects ? list[i].subjects[0].ref : "-",
				list[i].nsubjects ? list[i].subjects[0].person : "-", list[i].nsubjects > 1 ? " (+ more)" : "");
	}
	cv_request_list_free(list, n);
	return 0;
}

/* > 0: a usage error, already said. */
static int req_register(cli *c, cv_archive *a, const char *out)
{
	size_t ol = strlen(out);
	cv_format fmt = ol > 4 && !strcmp(out + ol - 4, ".csv") ? CV_FORMAT_CSV : CV_FORMAT_HTML;
	if (fmt == CV_FORMAT_HTML && !(ol > 5 && !strcmp(out + ol - 5, ".html")))
		return cli_usage(U, "--out must end in .html or .csv");
	int rc = cv_request_register(a, fmt, out);
	if (!rc && !c->json)
		printf("wrote %s\n", out);
	if (!rc && c->json)
		cli_json_out(json_pack("{s:s}", "out", out));
	return rc;
}

/* The archives director's approval: the director may not read the
 * request back (request show is not theirs), so it says what it did. */
static int req_approve(cli *c, cv_archive *a, const char *id, const char *cred)
{
	int rc = cv_request_approve(a, id, cred);
	if (!rc && c->json)
		cli_json_out(json_pack("{s:s,s:b}", "id", id, "approved", 1));
	else if (!rc)
		printf("approved the erasure of the archived cases of request %s (Code du patrimoine R.212-14)\n", id);
	return rc;
}

/* A subcommand acting on one request, which is read back to be shown. */
static int req_act(cv_archive *a, const char *sub, const char *id, const req_args *x, const char *cred, cv_request **r)
{
	int rc = 0;
	if (!strcmp(sub, "extend"))
		rc = cv_request_extend(a, id, x->reason, NULL);
	else if (!strcmp(sub, "verify-identity"))
		rc = cv_request_verify_identity(a, id, x->method);
	else if (!strcmp(sub, "decide"))
		rc = cv_request_decide(a, id, x->decision, x->ground, cred);
	else if (!strcmp(sub, "fulfil"))
		rc = cv_request_fulfil(a, id, &x->fo);
	else if (!strcmp(sub, "lift"))
		rc = cv_request_lift(a, id, x->reason);
	if (!rc && !strcmp(sub, "fulfil") && x->fo.password && x->out)
		cli_password_notice("request fulfil", x->out);
	if (!rc)
		rc = cv_request_get(r, a, id);
	return rc;
}

/* Secrets and the rectified document, read before the archive is opened:
 * 0, or the exit status. */
static int req_inputs(const char *sub, req_args *x, char **cred, char **pw, char **content)
{
	if (!strcmp(sub, "decide") || !strcmp(sub, "fulfil") || !strcmp(sub, "approve")) {
		char what[32];
		snprintf(what, sizeof what, "request %s", sub);
		int ce = cli_read_credential(x->cred_file, "your personal credential: ", cred, what);
		if (ce)
			return ce;
	}
	if (x->pw_file && cv_secret_read_file(pw, x->pw_file))
		return cli_fail("request fulfil");
	if (x->file && read_content(x->file, content, &x->fo.content_len)) {
		cv_secret_free(*pw);
		*pw = NULL;
		return EXIT_FAIL;
	}
	x->fo.content = *content;
	x->fo.credential = *cred;
	x->fo.out_path = x->out;
	x->fo.password = *pw;
	x->rf.as_of = x->as_of;
	return 0;
}

int cmd_request(cli *c, int argc, char **argv)
{
	req_args x = { CV_REQUEST_OPEN_OPTIONS_INIT, CV_REQUEST_FILTER_INIT, CV_REQUEST_FULFIL_OPTIONS_INIT, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL };
	int e = req_parse(c, argc, argv, &x);
	if (e >= 0)
		return e;
	if (optind >= argc)
		return cli_usage(U, "request needs a subcommand");
	const char *sub = argv[optind];
	const char *id = argc - optind >= 2 ? argv[optind + 1] : NULL;
	if ((e = req_check(sub, argc - optind, &x)) >= 0)
		return e;
	char *cred = NULL, *pw = NULL, *content = NULL;
	cv_archive *a = NULL;
	e = req_inputs(sub, &x, &cred, &pw, &content);
	if (!e)
		e = cli_open(c, &a);
	if (e) {
		cv_secret_free(cred);
		cv_secret_free(pw);
		free(content);
		return e;
	}
	int rc = 0;
	cv_request *r = NULL;
	if (!strcmp(sub, "open"))
		rc = cv_request_open(&r, a, &x.ro);
	else if (!strcmp(sub, "list"))
		rc = req_list(c, a, &x);
	else if (!strcmp(sub, "register"))
		rc = req_register(c, a, x.out);
	else if (!strcmp(sub, "approve"))
		rc = req_approve(c, a, id, cred);
	else
		rc = req_act(a, sub, id, &x, cred, &r);
	cv_secret_free(cred);
	cv_secret_free(pw);
	free(content);
	cv_archive_free(a);
	if (rc > 0)
		return rc;
	if (rc) {
		cv_request_free(r);
		return req_fail(id);
	}
	if (r) {
		if (c->json)
			cli_json_out(cvj_request(r, strcmp(sub, "open") != 0));
		else
			req_text(r);
		cv_request_free(r);
	}
	return EXIT_OK;
}
