/* Shared plumbing of the command line. */
#include "cli.h"

#include <termios.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_exit_code(int rc)
{
	switch (rc) {
	case CV_OK: return EXIT_OK;
	case CV_EAUTH:
	case CV_EDENIED: return EXIT_DENIED;
	case CV_EDAMAGED: return EXIT_DAMAGE;
	default: return EXIT_FAIL;
	}
}

/* Hints any command may need, keyed by what the library's message says:
 * the library names what failed, the command line what to type. */
static const char *const HINTS[][2] = {
	{ "archive busy", "wait for the other command to finish, or wait longer with --lock-timeout SEC" },
	{ "no personal credential is set", "set one with 'casevault user passwd NAME --credential-file F'" },
	{ "has no sealing key yet", "an admin must first run 'casevault origins setup --threshold 2 --holder U1 --holder U2'" },
	{ "no ingestion plugin named", "see 'casevault plugin list'" },
	{ "neither a case id nor a reference", "see 'casevault case list'" },
};

int cli_fail(const char *context)
{
	const cv_error *e = cv_error_last();
	if (context && *context)
		fprintf(stderr, "casevault: %s: %s\n", context, e->message[0] ? e->message : cv_error_name(e->code));
	else
		fprintf(stderr, "casevault: %s\n", e->message[0] ? e->message : cv_error_name(e->code));
	for (size_t i = 0; i < sizeof HINTS / sizeof *HINTS; i++)
		cli_hint_if(HINTS[i][0], HINTS[i][1]);
	return cli_exit_code(e->code ? e->code : CV_ERROR);
}

int cli_fail_hint(const char *context, int when, const char *hint)
{
	int code = cv_error_last()->code;
	int x = cli_fail(context);
	if (hint && code == when)
		fprintf(stderr, "casevault: hint: %s\n", hint);
	return x;
}

int cli_hint_if(const char *needle, const char *hint)
{
	if (strstr(cv_error_last()->message, needle))
		fprintf(stderr, "casevault: hint: %s\n", hint);
	return 0;
}

int cli_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "casevault: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return EXIT_USAGE;
}

void cli_progress(const char *what, uint64_t done, uint64_t total, void *payload)
{
	cli *c = payload;
	if (!c || !c->progress)
		return;
	if (!strcmp(what, "ingest"))
		fprintf(stderr, "\r%s: %.1f MB", what, done / 1e6);
	else if (total)
		fprintf(stderr, "\r%s: %llu/%llu", what, (unsigned long long)done, (unsigned long long)total);
	else
		fprintf(stderr, "\r%s: %llu", what, (unsigned long long)done);
	if (total && done >= total)
		fprintf(stderr, "\n");
	fflush(stderr);
}

int cli_open(cli *c, cv_archive **out)
{
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = c->key_file;
	o.passphrase_file = c->passphrase_file;
	o.actor = c->actor;
	o.lock_timeout_ms = c->lock_timeout_ms;
	o.progress = cli_progress;
	o.progress_payload = c;
	o.plugin_path = c->plugin_path;
	int rc = cv_archive_open(out, c->archive, &o);
	/* A damaged upgrade flag stops the upgrade, not the command: verify and
	 * the journal must still be able to say what is wrong, and reads of
	 * damaged rows fail on their own checks. */
	if (!rc && (rc = cv_archive_upgrade(*out)) == CV_EDAMAGED) {
		fprintf(stderr, "casevault: warning: %s; run 'casevault verify'\n", cv_error_last()->message);
		rc = 0;
	}
	if (rc && *out) {
		cv_archive_free(*out);
		*out = NULL;
	}
	if (!rc)
		return 0;
	int x = cli_fail(NULL);
	cli_hint_if("no master key was given", "give --key-file FILE or --passphrase-file FILE (or set CASEVAULT_KEY_FILE "
		"or CASEVAULT_PASSPHRASE_FILE)");
	cli_hint_if("protected by a passphrase", "use --passphrase-file FILE");
	cli_hint_if("protected by a key file", "use --key-file FILE");
	cli_hint_if("is not a casevault archive", "create one with 'casevault init', or give the right -A DIR");
	cli_hint_if("is not registered", "an admin can add the user with 'casevault user add NAME --role ROLE'; or act as a "
		"registered user with --as USER");
	cli_hint_if("exactly 32 bytes", "make a key with 'casevault keygen FILE'");
	return x;
}

int cli_json_out(json_t *v)
{
	if (!v) {
		fprintf(stderr, "casevault: out of memory\n");
		return EXIT_FAIL;
	}
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	json_decref(v);
	if (!s)
		return EXIT_FAIL;
	printf("%s\n", s);
	free(s);
	return 0;
}

int cli_is_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

int cli_parse_subset(const char *s, unsigned *n, unsigned *t)
{
	char extra;
	if (sscanf(s, "%u/%u%c", n, t, &extra) != 2 || *t == 0 || *n < 1 || *n > *t)
		return -1;
	return 0;
}

int cli_read_credential(const char *file, const char *prompt, char **out, const char *context)
{
	if (file)
		return cv_secret_read_file(out, file) ? cli_fail(context) : EXIT_OK;
	return cli_read_tty(out, prompt, context);
}

int cli_plain(cli *c, int argc, char **argv, const char *usage, const char *help, int nargs, const char *why)
{
	static const struct option o[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
			CLI_COMMON_CASES(c, usage, help)
		}
	}
	if (argc - optind != nargs)
		return cli_usage(usage, "%s", why);
	return -1;
}

int cli_plain_open(cli *c, int argc, char **argv, const char *usage, const char *help, int nargs, const char *why,
	cv_archive **a)
{
	int pe = cli_plain(c, argc, argv, usage, help, nargs, why);
	if (pe >= 0)
		return pe;
	int e = cli_open(c, a);
	return e ? e : -1;
}

int cli_dispatch(cli *c, int argc, char **argv, const char *usage, const char *group, const cli_sub *subs)
{
	if (argc < 2)
		return cli_usage(usage, "%s needs a subcommand", group);
	for (const cli_sub *s = subs; s->name; s++)
		if (!strcmp(argv[1], s->name))
			return s->fn(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s\n", usage);
		return EXIT_OK;
	}
	return cli_usage(usage, "unknown %s subcommand '%s'", group, argv[1]);
}

/* An encrypted copy is AES (zip method 99): ZipCrypto, the only method every
 * file explorer opens, falls to a known-plaintext attack and bagit.txt is
 * known text. So the person needs a tool they may not have: say which, and
 * what needs no password at all. */
void cli_password_notice(const char *command, const char *out)
{
	fprintf(stderr, "casevault: %s: %s is encrypted with AES-256 (zip method 99).\n"
		"  The zip tools built into Windows and macOS, and unzip, cannot open it; these free tools can:\n"
		"  7-Zip (Windows; '7z x FILE' on Linux), Keka (macOS), bsdtar from libarchive ('bsdtar -xf FILE').\n"
		"  Give the password through another channel than the file (telephone, separate letter).\n"
		"  A copy handed over in person, or through the département's secure exchange platform, needs no\n"
		"  password: prefer those (without --password-file).\n", command, out);
}

/* The library never talks to a terminal: reading a credential without echo
 * is the command line's job. */
int cli_read_tty(char **out, const char *prompt, const char *context)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, quiet;
	if (!tty || tcgetattr(fileno(tty), &old) < 0) {
		if (tty)
			fclose(tty);
		fprintf(stderr, "casevault: %s: no terminal to read the credential from; use --credential-file FILE\n",
			context);
		return EXIT_USAGE;
	}
	int fd = fileno(tty);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fprintf(tty, "%s", prompt);
	fflush(tty);
	tcsetattr(fd, TCSAFLUSH, &quiet);
	char buf[1024];
	char *line = fgets(buf, sizeof buf, tty);
	tcsetattr(fd, TCSAFLUSH, &old);
	fprintf(tty, "\n");
	fclose(tty);
	if (line)
		buf[strcspn(buf, "\r\n")] = '\0';
	char *sec = line ? strdup(buf) : NULL;
	explicit_bzero(buf, sizeof buf);
	if (!sec) {
		fprintf(stderr, "casevault: %s: %s\n", context, line ? "out of memory" : "no credential entered");
		return EXIT_FAIL;
	}
	*out = sec;
	return EXIT_OK;
}
