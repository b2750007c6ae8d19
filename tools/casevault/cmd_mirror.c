/* casevault mirror add|remove|list|configure|push|rotate and casevault
 * restore: off-site copies that crypto-shredding reaches (docs/recovery.md). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *MIRROR_U = "casevault mirror add NAME URL | remove NAME | list | configure [--epoch-days N] "
	"[--retention-days N] | push [NAME] | rotate [--retention DAYS]";

static int parse_days(const char *s, int *out, const char *what, const char *usage)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 36600)
		return cli_usage(usage, "%s must be a number of days (0 to 36600), not '%s'", what, s);
	*out = (int)v;
	return -1;
}

static int m_add(cli *c, int argc, char **argv)
{
	static const char *U = "casevault mirror add NAME URL";
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Registers a mirror: a directory (created as a bare git repository if it\n"
		"does not exist), a file:// URL or an ssh:// URL (keys from ssh-agent). Needs admin.\n", 2,
		"mirror add needs a NAME and a URL", &a);
	if (pe >= 0)
		return pe;
	int rc = cv_mirror_add(a, argv[optind], argv[optind + 1]);
	cv_archive_free(a);
	if (rc)
		return cli_fail("mirror add");
	if (c->json)
		return cli_json_out(json_pack("{s:s,s:s}", "name", argv[optind], "url", argv[optind + 1]));
	printf("mirror %s added; send it the archive with 'casevault mirror push %s'\n", argv[optind], argv[optind]);
	return EXIT_OK;
}

static int m_remove(cli *c, int argc, char **argv)
{
	static const char *U = "casevault mirror remove NAME";
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Forgets a mirror; its copy is left as it is (delete it yourself, or\n"
		"it stays readable with the master key until its epochs' keys are destroyed). Needs admin.\n", 1,
		"mirror remove needs a NAME", &a);
	if (pe >= 0)
		return pe;
	int rc = cv_mirror_remove(a, argv[optind]);
	cv_archive_free(a);
	if (rc)
		return cli_fail_hint("mirror remove", CV_ENOTFOUND, "see 'casevault mirror list'");
	if (!c->json)
		printf("mirror %s removed from the list\n", argv[optind]);
	return c->json ? cli_json_out(json_pack("{s:s}", "removed", argv[optind])) : EXIT_OK;
}

static json_t *info_json(const cv_mirror_info *m)
{
	return json_pack("{s:s,s:s,s:s,s:s?,s:I,s:I,s:s?,s:s?,s:I,s:b}", "name", m->name, "url", m->url, "added", m->added,
		"last_push", m->last_push[0] ? m->last_push : NULL, "snapshot", (json_int_t)m->snapshot, "journal_seq",
		(json_int_t)m->journal_seq, "journal_head", m->journal_head[0] ? m->journal_head : NULL, "commit",
		m->commit[0] ? m->commit : NULL, "snapshots", (json_int_t)m->snapshots, "stale", m->stale);
}

static int m_list(cli *c, int argc, char **argv)
{
	static const char *U = "casevault mirror list [--json]";
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Lists the mirrors: last push, the journal head of its snapshot, how\n"
		"many snapshots each holds, and whether it still holds keys of destroyed epochs (stale).\n", 0,
		"mirror list takes no argument", &a);
	if (pe >= 0)
		return pe;
	cv_mirror_info *l = NULL;
	size_t n = 0;
	int rc = cv_mirror_list(&l, &n, a);
	cv_mirror_settings set = CV_MIRROR_SETTINGS_INIT;
	if (!rc)
		rc = cv_mirror_configure(a, NULL, &set);
	cv_archive_free(a);
	if (rc)
		return cli_fail("mirror list");
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, info_json(&l[i]));
		cv_mirror_list_free(l);
		return cli_json_out(arr);
	}
	if (!n)
		printf("no mirror; add one with 'casevault mirror add NAME URL'\n");
	for (size_t i = 0; i < n; i++) {
		printf("%s  %s\n", l[i].name, l[i].url);
		if (l[i].last_push[0])
			printf("  last push %s: snapshot %llu, journal entry %llu (%.16s…), commit %.12s; %zu snapshot%s held%s\n",
				l[i].last_push, (unsigned long long)l[i].snapshot, (unsigned long long)l[i].journal_seq,
				l[i].journal_head, l[i].commit, l[i].snapshots, l[i].snapshots > 1 ? "s" : "",
				l[i].stale ? "; STALE: it still holds keys of destroyed epochs, push it" : "");
		else
			printf("  never pushed\n");
	}
	printf("epochs of %d days, retention window %d days\n", set.epoch_days, set.retention_days);
	cv_mirror_list_free(l);
	return EXIT_OK;
}

static int m_configure(cli *c, int argc, char **argv)
{
	static const char *U = "casevault mirror configure [--epoch-days N] [--retention-days N]";
	static const struct option o[] = { { "epoch-days", required_argument, NULL, 'e' },
		{ "retention-days", required_argument, NULL, 'r' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	cv_mirror_settings set = CV_MIRROR_SETTINGS_INIT;
	const char *ed = NULL, *rd = NULL;
	int ch, x;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'e': ed = optarg; break;
		case 'r': rd = optarg; break;
			CLI_COMMON_CASES(c, U, "Sets how long an epoch key seals snapshots (default 30 days) and how long\n"
				"snapshots stay readable after their epoch ends (default 90 days). Needs admin.\n")
		}
	}
	if (optind != argc)
		return cli_usage(U, "mirror configure takes no operand");
	cv_archive *a = NULL;
	if (cli_open(c, &a))
		return cli_exit_code(cv_error_last()->code);
	int rc = cv_mirror_configure(a, NULL, &set);
	if (!rc && ed && (x = parse_days(ed, &set.epoch_days, "--epoch-days", U)) >= 0) {
		cv_archive_free(a);
		return x;
	}
	if (!rc && rd && (x = parse_days(rd, &set.retention_days, "--retention-days", U)) >= 0) {
		cv_archive_free(a);
		return x;
	}
	if (!rc && (ed || rd))
		rc = cv_mirror_configure(a, &set, NULL);
	cv_archive_free(a);
	if (rc)
		return cli_fail("mirror configure");
	if (c->json)
		return cli_json_out(json_pack("{s:i,s:i}", "epoch_days", set.epoch_days, "retention_days", set.retention_days));
	printf("epochs of %d days, retention window %d days\n", set.epoch_days, set.retention_days);
	return EXIT_OK;
}

static json_t *push_json(const cv_mirror_push_result *r)
{
	return json_pack("{s:s,s:I,s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:s?,s:b}", "name", r->name, "snapshot",
		(json_int_t)r->snapshot, "epoch", r->epoch, "commit", r->commit, "mirror_commit", r->mirror_commit,
		"journal_seq", (json_int_t)r->journal_seq, "journal_head", r->journal_head, "snapshots",
		(json_int_t)r->snapshots, "shredded", (json_int_t)r->shredded, "keys_gone_by",
		r->keys_gone_by[0] ? r->keys_gone_by : NULL, "pruned", r->pruned);
}

static void push_text(const cv_mirror_push_result *r)
{
	printf("mirror %s: snapshot %llu (journal entry %llu, commit %.12s) pushed; %zu snapshot%s held\n", r->name,
		(unsigned long long)r->snapshot, (unsigned long long)r->journal_seq, r->commit, r->snapshots,
		r->snapshots > 1 ? "s" : "");
	if (r->keys_gone_by[0])
		printf("  %zu case key%s shredded while a live epoch was current: still readable in older snapshots "
		       "until %s, when that epoch's key is destroyed (at the first push or rotation from then; "
		       "'casevault mirror rotate --retention 0' does it now)\n",
			r->shredded, r->shredded > 1 ? "s" : "", r->keys_gone_by);
}

static int m_push(cli *c, int argc, char **argv)
{
	static const char *U = "casevault mirror push [NAME]";
	static const struct option o[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
			CLI_COMMON_CASES(c, U, "Sends the archive's encrypted objects and a new encrypted catalog snapshot to\n"
				"one mirror (or every mirror). A push cut short leaves the mirror as it was.\n"
				"Needs admin or archivist.\n")
		}
	}
	if (argc - optind > 1)
		return cli_usage(U, "mirror push takes at most one mirror name");
	cv_archive *a = NULL;
	if (cli_open(c, &a))
		return cli_exit_code(cv_error_last()->code);
	cv_mirror_info *l = NULL;
	size_t n = 0;
	int failed = 0;
	if (optind == argc) {
		if (cv_mirror_list(&l, &n, a)) {
			cv_archive_free(a);
			return cli_fail("mirror push");
		}
		if (!n) {
			cv_archive_free(a);
			cv_mirror_list_free(l);
			fprintf(stderr, "casevault: mirror push: the archive has no mirror\ncasevault: hint: add one with 'casevault mirror "
				"add NAME URL'\n");
			return EXIT_FAIL;
		}
	}
	json_t *arr = json_array();
	size_t count = optind < argc ? 1 : n;
	for (size_t i = 0; i < count; i++) {
		cv_mirror_push_result r = CV_MIRROR_PUSH_RESULT_INIT;
		const char *name = optind < argc ? argv[optind] : l[i].name;
		if (cv_mirror_push(&r, a, name)) {
			failed = cli_fail_hint("mirror push", CV_ENOTFOUND, "see 'casevault mirror list'");
			continue;
		}
		if (c->json)
			json_array_append_new(arr, push_json(&r));
		else
			push_text(&r);
	}
	cv_mirror_list_free(l);
	cv_archive_free(a);
	if (c->json)
		cli_json_out(optind < argc && json_array_size(arr) == 1 ? json_incref(json_array_get(arr, 0)) : json_incref(arr));
	json_decref(arr);
	return failed ? failed : EXIT_OK;
}

static int m_rotate(cli *c, int argc, char **argv)
{
	static const char *U = "casevault mirror rotate [--retention DAYS]";
	static const struct option o[] = { { "retention", required_argument, NULL, 'r' }, CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 } };
	int ch, days = -1, x;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if ((x = parse_days(optarg, &days, "--retention", U)) >= 0)
				return x;
			break;
			CLI_COMMON_CASES(c, U, "Starts a new epoch now, destroys the keys of epochs whose snapshots are all\n"
				"older than the retention window (DAYS; 0: every epoch but the new one; default: the\n"
				"configured window), then rewrites every mirror so that none keeps them. Needs admin.\n")
		}
	}
	if (optind != argc)
		return cli_usage(U, "mirror rotate takes no operand");
	cv_archive *a = NULL;
	if (cli_open(c, &a))
		return cli_exit_code(cv_error_last()->code);
	cv_mirror_rotate_result r = CV_MIRROR_ROTATE_RESULT_INIT;
	int rc = cv_mirror_rotate(&r, a, days);
	cv_archive_free(a);
	if (rc)
		return cli_fail("mirror rotate");
	if (c->json)
		return cli_json_out(json_pack("{s:s,s:I,s:I,s:I}", "epoch", r.epoch, "destroyed", (json_int_t)r.destroyed,
			"pushed", (json_int_t)r.pushed, "failed", (json_int_t)r.failed));
	printf("new epoch %.16s; %zu epoch key%s destroyed; %zu mirror%s rewritten\n", r.epoch, r.destroyed,
		r.destroyed > 1 ? "s" : "", r.pushed, r.pushed > 1 ? "s" : "");
	return EXIT_OK;
}

int cmd_mirror(cli *c, int argc, char **argv)
{
	static const cli_sub subs[] = { { "add", m_add }, { "remove", m_remove }, { "list", m_list },
		{ "configure", m_configure }, { "push", m_push }, { "rotate", m_rotate }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, MIRROR_U, "mirror", subs);
}

int cmd_restore(cli *c, int argc, char **argv)
{
	static const char *U = "casevault restore --from URL --to DIR [--snapshot N] [--json]";
	static const struct option o[] = { { "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "snapshot", required_argument, NULL, 's' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *from = NULL, *to = NULL;
	unsigned long long snap = 0;
	int ch;
	char *end = NULL;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 's':
			snap = strtoull(optarg, &end, 10);
			if (!*optarg || *end || !snap)
				return cli_usage(U, "--snapshot takes a snapshot number (see 'casevault mirror list'), not '%s'", optarg);
			break;
			CLI_COMMON_CASES(c, U, "Rebuilds an archive in the new or empty directory DIR from the mirror at URL,\n"
				"with the master key (--key-file or --passphrase-file), as it was at the mirror's newest\n"
				"snapshot (or snapshot N). Run 'casevault -A DIR verify' afterwards. Acts as an admin of\n"
				"the archive; the restore is journaled in the restored archive.\n")
		}
	}
	if (!from || !to || optind != argc)
		return cli_usage(U, "restore needs --from URL and --to DIR");
	cv_open_options opts = CV_OPEN_OPTIONS_INIT;
	opts.key_file = c->key_file;
	opts.passphrase_file = c->passphrase_file;
	opts.actor = c->actor;
	opts.lock_timeout_ms = c->lock_timeout_ms;
	cv_restore_result r = CV_RESTORE_RESULT_INIT;
	if (cv_archive_restore(&r, from, to, snap, &opts)) {
		int x = cli_fail(NULL);
		cli_hint_if("no master key was given", "give --key-file FILE or --passphrase-file FILE");
		return x;
	}
	if (c->json)
		return cli_json_out(json_pack("{s:s,s:I,s:s,s:I,s:s,s:s}", "archive", to, "snapshot", (json_int_t)r.snapshot,
			"commit", r.commit, "journal_seq", (json_int_t)r.journal_seq, "journal_head", r.journal_head, "taken",
			r.taken));
	printf("archive restored in %s from snapshot %llu taken %s (journal entry %llu, commit %.12s);\n"
	       "check it with 'casevault -A %s verify' and 'casevault -A %s journal verify'\n",
		to, (unsigned long long)r.snapshot, r.taken, (unsigned long long)r.journal_seq, r.commit, to, to);
	return EXIT_OK;
}
