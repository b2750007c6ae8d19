/* key case, journal verify/show/anchor, plugin list, find */
#include "cli.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

int cmd_key(cli *c, int argc, char **argv)
{
	static const char *U = "casevault key case ID [--json]";
	if (argc < 2 || strcmp(argv[1], "case")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("usage: %s\nPrints the case key id and key (hex) for recovery with openssl cms; needs admin or auditor;\n"
			       "journaled.\n", U);
			return EXIT_OK;
		}
		return cli_usage(U, "key needs the subcommand 'case'");
	}
	argc--;
	argv++;
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Prints the case key id and key (hex); needs admin or auditor; journaled.\n", 1, "key case needs one case id", &a);
	if (pe >= 0)
		return pe;
	char id[33], key[65];
	int rc = cv_case_key_export(id, key, a, argv[optind]);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json)
		cli_json_out(json_pack("{s:s,s:s}", "key_id", id, "key", key));
	else
		printf("key_id %s\nkey    %s\n", id, key);
	OPENSSL_cleanse(key, sizeof key);
	return EXIT_OK;
}

static int journal_verify(cli *c, cv_archive *a, const char *anchor_file)
{
	cv_journal_report r = CV_JOURNAL_REPORT_INIT;
	int rc = cv_journal_verify(&r, a);
	if (!rc && anchor_file) {
		uint64_t checked = r.anchors;
		rc = cv_journal_verify_anchors(&r, a, anchor_file);
		r.anchors += checked;
	}
	cv_archive_free(a);
	if (rc && rc != CV_EDAMAGED)
		return cli_fail(NULL);
	if (c->json)
		cli_json_out(json_pack("{s:b,s:I,s:I,s:o,s:o}", "ok", rc == 0, "entries", (json_int_t)r.entries, "anchors",
			(json_int_t)r.anchors, "first_bad", r.first_bad ? json_integer((json_int_t)r.first_bad) : json_null(),
			"reason", cvj_str_or_null(r.reason)));
	else if (rc)
		fprintf(stderr, "casevault: journal DAMAGED at entry %llu: %s\n", (unsigned long long)r.first_bad, r.reason);
	else
		printf("journal ok: %llu entries, %llu anchors checked\n", (unsigned long long)r.entries,
			(unsigned long long)r.anchors);
	return rc ? EXIT_DAMAGE : EXIT_OK;
}

static int journal_sub(cli *c, int argc, char **argv)
{
	static const char *U = "casevault journal verify [--anchor FILE] | show [--from SEQ] [--limit N] | "
			       "anchor [--out FILE] [--auto FILE|--no-auto]";
	static const struct option o[] = { { "from", required_argument, NULL, 'f' }, { "limit", required_argument, NULL, 'l' },
		{ "anchor", required_argument, NULL, 'a' }, { "out", required_argument, NULL, 'o' },
		{ "auto", required_argument, NULL, 'u' }, { "no-auto", no_argument, NULL, 'n' }, CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 } };
	unsigned long long from = 1, limit = 0;
	const char *anchor = NULL, *out = NULL, *autofile = NULL;
	int noauto = 0, ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'f': from = strtoull(optarg, NULL, 10); break;
		case 'l': limit = strtoull(optarg, NULL, 10); break;
		case 'a': anchor = optarg; break;
		case 'o': out = optarg; break;
		case 'u': autofile = optarg; break;
		case 'n': noauto = 1; break;
			CLI_COMMON_CASES(c, U, "verify: checks the keyed chain and the heads recorded in git commits, and with --anchor\n"
				"that the archive extends every anchor of FILE (exit 3 names the first bad entry or the rollback);\n"
				"show: lists entries; anchor: prints the head, with --out appends a signed anchor line to FILE\n"
				"(keep it away from the archive), with --auto FILE anchors after every commit (--no-auto stops).\n")
		}
	}
	if (argc - optind != 1)
		return cli_usage(U, "journal needs one of verify, show, anchor");
	const char *sub = argv[optind];
	if (strcmp(sub, "verify") && strcmp(sub, "show") && strcmp(sub, "anchor"))
		return cli_usage(U, "unknown journal subcommand '%s'", sub);
	if (anchor && strcmp(sub, "verify"))
		return cli_usage(U, "--anchor goes with journal verify");
	if ((out || autofile || noauto) && strcmp(sub, "anchor"))
		return cli_usage(U, "--out, --auto and --no-auto go with journal anchor");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	int rc = 0;
	if (!strcmp(sub, "verify"))
		return journal_verify(c, a, anchor);
	if (!strcmp(sub, "anchor") && (autofile || noauto)) {
		char abs[4096];
		if (autofile && !realpath(autofile, abs) && snprintf(abs, sizeof abs, "%s", autofile) < 0)
			abs[0] = '\0';
		rc = cv_journal_anchor_auto(a, noauto ? NULL : abs);
		cv_archive_free(a);
		if (rc)
			return cli_fail(NULL);
		if (!c->json)
			printf(noauto ? "automatic anchors stopped\n" : "anchoring after every commit to %s\n", abs);
		return c->json ? cli_json_out(json_pack("{s:o}", "auto", noauto ? json_null() : json_string(abs))) : EXIT_OK;
	}
	if (!strcmp(sub, "anchor")) {
		uint64_t seq = 0;
		char hash[65];
		rc = out ? cv_journal_anchor_write(&seq, hash, a, out) : cv_journal_anchor(&seq, hash, a);
		const char *id = cv_archive_id(a);
		char idc[40];
		snprintf(idc, sizeof idc, "%s", id);
		cv_archive_free(a);
		if (rc)
			return cli_fail(NULL);
		if (c->json)
			return cli_json_out(json_pack("{s:s,s:I,s:s}", "archive", idc, "seq", (json_int_t)seq, "hash", hash));
		printf("casevault journal anchor: archive %s seq %llu sha256 %s\n", idc, (unsigned long long)seq, hash);
		return EXIT_OK;
	}
	cv_journal_entry *list = NULL;
	size_t n = 0;
	rc = cv_journal_list(&list, &n, a, from, limit);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, cvj_journal_entry(&list[i]));
		cv_journal_list_free(list, n);
		return cli_json_out(arr);
	}
	for (size_t i = 0; i < n; i++)
		printf("%6llu  %s  %-12s %-18s %-8s %s\n", (unsigned long long)list[i].seq, list[i].time, list[i].actor,
			list[i].action, list[i].outcome, list[i].object ? list[i].object : "");
	cv_journal_list_free(list, n);
	return EXIT_OK;
}

int cmd_journal(cli *c, int argc, char **argv)
{
	return journal_sub(c, argc, argv);
}

int cmd_plugin(cli *c, int argc, char **argv)
{
	static const char *U = "casevault plugin list [--json]";
	static const struct option o[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
			CLI_COMMON_CASES(c, U, "Lists loaded plugins: name, kind, version, ABI and file. Refused plugins are\n"
				"reported on stderr with the reason.\n")
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "list"))
		return cli_usage(U, "plugin needs the subcommand 'list'");
	cv_plugin_load(c->plugin_path);
	cv_plugin_desc *d = NULL;
	size_t n = 0;
	if (cv_plugin_list(&d, &n))
		return cli_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			char abi[32];
			snprintf(abi, sizeof abi, "%u.%u", d[i].abi_major, d[i].abi_minor);
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", d[i].name, "kind", d[i].kind,
				"version", d[i].version, "abi", abi, "file", d[i].file, "description", d[i].description));
		}
		cv_plugin_list_free(d);
		return cli_json_out(arr);
	}
	printf("%-16s %-7s %-9s %-5s %s\n", "NAME", "KIND", "VERSION", "ABI", "FILE");
	for (size_t i = 0; i < n; i++)
		printf("%-16s %-7s %-9s %u.%-3u %s\n", d[i].name, d[i].kind, d[i].version, d[i].abi_major, d[i].abi_minor, d[i].file);
	if (!n)
		printf("(no plugins loaded)\n");
	cv_plugin_list_free(d);
	return EXIT_OK;
}

int cmd_find(cli *c, int argc, char **argv)
{
	static const char *U = "casevault find --last L [--first F] [--born YYYY-MM-DD] [--json]";
	static const struct option o[] = { { "last", required_argument, NULL, 'l' }, { "first", required_argument, NULL, 'f' },
		{ "born", required_argument, NULL, 'b' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	cv_find_query q = CV_FIND_QUERY_INIT;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'l': q.last = optarg; break;
		case 'f': q.first = optarg; break;
		case 'b': q.born = optarg; break;
			CLI_COMMON_CASES(c, U, "Finds the cases where a person appears; case, accents, Unicode form, hyphens and\n"
				"spaces do not matter. One of several first names is enough. Journaled (without the query).\n")
		}
	}
	if (optind < argc)
		return cli_usage(U, "find takes options only");
	if (!q.last)
		return cli_usage(U, "find needs --last");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	cv_find_hit *h = NULL;
	size_t n = 0;
	int rc = cv_case_find(&h, &n, a, &q);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			int dup = 0;
			for (size_t j = 0; j < i; j++)
				dup |= !strcmp(h[j].case_id, h[i].case_id);
			if (!dup)
				json_array_append_new(arr, json_string(h[i].case_id));
		}
		cv_case_find_free(h);
		return cli_json_out(arr);
	}
	if (!n)
		printf("no case found\n");
	else
		printf("%-16s  %-22s  %-8s  %s\n", "CASE", "REF", "PERSON", "ROLE");
	for (size_t i = 0; i < n; i++)
		printf("%-16s  %-22s  %-8s  %s\n", h[i].case_id, h[i].ref, h[i].person, h[i].role);
	cv_case_find_free(h);
	return EXIT_OK;
}

/* access: the library's access table, as a table or JSON; needs no archive
 * (who may do what is the same in every archive). */
int cmd_access(cli *c, int argc, char **argv)
{
	static const char *U = "casevault access [--json]";
	static const struct option o[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
			CLI_COMMON_CASES(c, U, "Who may do what: each action, the command that performs it, the roles allowed and\n"
				"any further condition. Other commands (keygen, init, case list, user list, plugin list,\n"
				"policy check) need no role.\n")
		}
	}
	if (argc != optind)
		return cli_usage(U, "access takes no arguments");
	size_t n = 0;
	const cv_access_rule *r = cv_access_rules(&n);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o}", "action", r[i].action, "command", r[i].command,
				"roles", r[i].roles, "condition", cvj_str_or_null(r[i].condition)));
		return cli_json_out(arr);
	}
	printf("%-26s %-24s %-34s %s\n", "COMMAND", "ACTION", "ROLES", "CONDITION");
	for (size_t i = 0; i < n; i++)
		printf("%-26s %-24s %-34s %s\n", r[i].command, r[i].action, r[i].roles, r[i].condition ? r[i].condition : "");
	return EXIT_OK;
}
