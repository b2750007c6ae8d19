/* casevault — the command line. Global options, then one command. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static const cli_command COMMANDS[] = {
	{ "keygen", cmd_keygen, "write a new random master key file (mode 0600)" },
	{ "init", cmd_init, "create an archive" },
	{ "user", cmd_user, "archive users: add, passwd, list" },
	{ "ingest", cmd_ingest, "ingest case bundles (directory, .tar, .tar.gz, .zip)" },
	{ "case", cmd_case, "cases: list, show, close, hold, release" },
	{ "doc", cmd_doc, "documents: list, cat, log" },
	{ "find", cmd_find, "find a person's cases by surname, first name, birth date" },
	{ "redact", cmd_redact, "redacted text of files for a requester, using a case's register" },
	{ "export", cmd_export, "the communication copy of a case (BagIt zip, French index)" },
	{ "request", cmd_request, "the GDPR rights register: open, list, show, extend, verify-identity, decide, fulfil" },
	{ "key", cmd_key, "key case ID: the case key, for recovery with openssl" },
	{ "verify", cmd_verify, "decrypt and authenticate every object; check catalog, git and journal" },
	{ "journal", cmd_journal, "the audit journal: verify, show, anchor" },
	{ "sweep", cmd_sweep, "retention: plan, approve, run, slip, certificate" },
	{ "policy", cmd_policy, "policy check FILE: validate a retention policy" },
	{ "stats", cmd_stats, "anonymised statistics for the observatory (ODPE)" },
	{ "origins", cmd_origins, "secret births: sealed identities, conditions, release to the CNAOP" },
	{ "plugin", cmd_plugin, "plugin list" },
	{ "access", cmd_access, "who may do what: the access table" },
	{ "mirror", cmd_mirror, "off-site mirrors: add, remove, list, configure, push, rotate" },
	{ "restore", cmd_restore, "rebuild an archive from a mirror (--from URL --to DIR)" },
	{ "serve", cmd_serve, "the staff web service (HTTP, libmicrohttpd)" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: casevault [-A DIR] [--key-file F | --passphrase-file F] [--as USER] [--json] COMMAND ...\n\n"
		   "Secure records archive for child-protection case files.\n\ncommands:\n");
	for (const cli_command *c = COMMANDS; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\nglobal options:\n"
		   "  -A, --archive DIR        archive directory (CASEVAULT_ARCHIVE)\n"
		   "  --key-file F             32-byte master key file (CASEVAULT_KEY_FILE)\n"
		   "  --passphrase-file F      master passphrase, first line of F (CASEVAULT_PASSPHRASE_FILE)\n"
		   "  --as USER                act as this registered user (CASEVAULT_USER; default: login name)\n"
		   "  --json                   one JSON document on stdout\n"
		   "  --lock-timeout SEC       how long a writer waits for another (default 30; CASEVAULT_LOCK_TIMEOUT)\n"
		   "  --plugin-path DIRS       extra plugin directories, ':'-separated (CASEVAULT_PLUGIN_PATH)\n"
		   "  -h, --help, --version\n\n"
		   "exit status: 0 done, 1 failed or refused, 2 usage, 3 damage found, 4 wrong key or not allowed\n"
		   "'casevault COMMAND --help' describes a command.\n");
}

static void on_log(int level, const char *msg, void *payload)
{
	(void)payload;
	if (level >= CV_LOG_WARN)
		fprintf(stderr, "casevault: warning: %s\n", msg);
}

/* Every command may hold the master key, case keys and plaintext: no core
 * file, and no ptrace attach by other processes of the same user, from the
 * start (before any credential or key file is read). */
static void no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	no_core_dumps();
	cli c;
	memset(&c, 0, sizeof c);
	c.prog = "casevault";
	c.archive = getenv("CASEVAULT_ARCHIVE");
	c.key_file = getenv("CASEVAULT_KEY_FILE");
	c.passphrase_file = getenv("CASEVAULT_PASSPHRASE_FILE");
	c.actor = getenv("CASEVAULT_USER");
	c.lock_timeout_ms = -1;
	c.progress = isatty(2);
	const char *lt = getenv("CASEVAULT_LOCK_TIMEOUT");
	if (lt && *lt)
		c.lock_timeout_ms = (int)(atof(lt) * 1000);
	int key_given = 0, pass_given = 0;

	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "as", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "lock-timeout", required_argument, NULL, 't' },
		{ "plugin-path", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+A:h", opts, NULL)) != -1) {
		switch (o) {
		case 'A': c.archive = optarg; break;
		case 'k': c.key_file = optarg; key_given = 1; break;
		case 'p': c.passphrase_file = optarg; pass_given = 1; break;
		case 'u': c.actor = optarg; break;
		case 'j': c.json = 1; break;
		case 't': {
			char *end = NULL;
			double s = strtod(optarg, &end);
			if (!end || *end || s < 0) {
				fprintf(stderr, "casevault: --lock-timeout '%s' is not a number of seconds\n", optarg);
				return EXIT_USAGE;
			}
			c.lock_timeout_ms = (int)(s * 1000);
			break;
		}
		case 'P': c.plugin_path = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("casevault %s\n", cv_version()); return EXIT_OK;
		default:
			fprintf(stderr, "casevault: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	/* An explicit option wins over the environment's other key source. */
	if (key_given && !pass_given)
		c.passphrase_file = NULL;
	if (pass_given && !key_given)
		c.key_file = NULL;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	if (!strcmp(name, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	cv_log_set_callback(on_log, NULL);
	for (const cli_command *cmd = COMMANDS; cmd->name; cmd++) {
		if (!strcmp(cmd->name, name)) {
			optind++;
			int sub_argc = argc - optind + 1;
			char **sub_argv = argv + optind - 1; /* sub_argv[0] is the command name */
			optind = 1;
			return cmd->run(&c, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "casevault: unknown command '%s'\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
