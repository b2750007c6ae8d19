/* keygen, init, verify */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_keygen(cli *c, int argc, char **argv)
{
	static const char *U = "casevault keygen FILE";
	int pe = cli_plain(c, argc, argv, U, "Writes 32 random bytes to a new file with mode 0600; never overwrites.\n", 1, "keygen needs exactly one file name");
	if (pe >= 0)
		return pe;
	if (cv_key_generate(argv[optind]))
		return cli_fail("keygen");
	if (c->json)
		return cli_json_out(json_pack("{s:s}", "key_file", argv[optind]));
	fprintf(stderr, "casevault: wrote a new master key to %s (keep a copy offline: without it the archive cannot be read)\n",
		argv[optind]);
	return EXIT_OK;
}

int cmd_init(cli *c, int argc, char **argv)
{
	static const char *U = "casevault [-A DIR] --key-file F | --passphrase-file F init [--credential-file C]";
	static const struct option o[] = { { "credential-file", required_argument, NULL, 'f' }, CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 } };
	const char *cred_file = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'f': cred_file = optarg; break;
			CLI_COMMON_CASES(c, U, "Creates an archive in a new or empty directory; the caller becomes its first admin.\n"
				"With --credential-file, the admin's personal keys are made under that credential at once, and\n"
				"every later grant is signed; without it, the archive is being set up until an admin has keys.\n")
		}
	}
	if (argc != optind)
		return cli_usage(U, "init takes no arguments (the directory is given with -A)");
	char *cred = NULL;
	if (cred_file && cv_secret_read_file(&cred, cred_file))
		return cli_fail("init");
	cv_open_options opts = CV_OPEN_OPTIONS_INIT;
	opts.key_file = c->key_file;
	opts.passphrase_file = c->passphrase_file;
	opts.actor = c->actor;
	opts.lock_timeout_ms = c->lock_timeout_ms;
	cv_archive *a = NULL;
	int rc = cv_archive_init(&a, c->archive, &opts);
	if (!rc && cred)
		rc = cv_user_passwd(a, cv_archive_actor(a), cred, NULL);
	cv_secret_free(cred);
	if (rc) {
		cv_archive_free(a);
		return cli_fail(NULL);
	}
	if (c->json)
		cli_json_out(json_pack("{s:s,s:s,s:s}", "id", cv_archive_id(a), "dir", cv_archive_dir(a), "admin", cv_archive_actor(a)));
	else
		printf("created archive %s in %s; first admin: %s\n", cv_archive_id(a), cv_archive_dir(a), cv_archive_actor(a));
	cv_archive_free(a);
	return EXIT_OK;
}

static void on_damage(const char *object, const char *reason, void *payload)
{
	json_t *list = payload;
	fprintf(stderr, "casevault: DAMAGED %s: %s\n", object, reason);
	if (list)
		json_array_append_new(list, json_pack("{s:s,s:s}", "object", object, "reason", reason));
}

int cmd_verify(cli *c, int argc, char **argv)
{
	static const char *U = "casevault verify [--quick] [--subset N/T] [--anchor FILE] [--threads N] [--json]";
	static const struct option o[] = { { "quick", no_argument, NULL, 'q' }, { "subset", required_argument, NULL, 's' },
		{ "anchor", required_argument, NULL, 'a' }, { "threads", required_argument, NULL, 't' },
		CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	cv_verify_options vo = CV_VERIFY_OPTIONS_INIT;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'q': vo.quick = 1; break;
		case 'a': vo.anchor_file = optarg; break;
		case 't': {
			char *end = NULL;
			unsigned long t = strtoul(optarg, &end, 10);
			if (!*optarg || *end || t < 1 || t > 8)
				return cli_usage(U, "--threads wants a number from 1 to 8");
			vo.threads = (unsigned)t;
			break;
		}
		case 's':
			if (cli_parse_subset(optarg, &vo.subset_n, &vo.subset_t))
				return cli_usage(U, "--subset wants N/T with 1 <= N <= T (e.g. 3/7)");
			break;
			CLI_COMMON_CASES(c, U,
				"Decrypts and authenticates every live object (or part N of T), checks the catalog against git\n"
				"and the journal chain. --quick checks structure only. --anchor FILE: the archive must extend every\n"
				"anchor written to FILE (journal anchor --out); a rollback is damage. --threads N: cases checked on N\n"
				"threads (default: one per core). Exit 3 names each damaged object.\n")
		}
	}
	if (optind < argc)
		return cli_usage(U, "verify takes no arguments");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	cv_verify_report r = CV_VERIFY_REPORT_INIT;
	json_t *damaged = json_array();
	int rc = cv_archive_verify(&r, a, &vo, on_damage, damaged);
	cv_archive_free(a);
	if (rc && rc != CV_EDAMAGED) {
		json_decref(damaged);
		return cli_fail("verify");
	}
	if (c->json) {
		cli_json_out(json_pack("{s:b,s:I,s:I,s:I,s:I,s:o}", "ok", rc == 0, "cases", (json_int_t)r.cases, "objects",
			(json_int_t)r.objects, "bytes", (json_int_t)r.bytes, "journal_entries", (json_int_t)r.journal_entries,
			"damaged", damaged));
	} else {
		json_decref(damaged);
		printf("%s: %llu cases, %llu objects, %.1f MB authenticated, %llu journal entries, %llu damaged\n",
			rc ? "DAMAGED" : "ok", (unsigned long long)r.cases, (unsigned long long)r.objects, r.bytes / 1e6,
			(unsigned long long)r.journal_entries, (unsigned long long)r.damaged);
	}
	return rc ? EXIT_DAMAGE : EXIT_OK;
}
