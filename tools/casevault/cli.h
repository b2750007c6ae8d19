/* Shared plumbing of the casevault command: global options, opening the
 * archive, output (text or JSON), errors and exit codes. The command uses
 * only the public API of libcasevault. */
#ifndef CV_CLI_H
#define CV_CLI_H

#include <casevault.h>
#include "cvjson.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_DAMAGE = 3, EXIT_DENIED = 4 };

typedef struct cli {
	const char *archive;
	const char *key_file;
	const char *passphrase_file;
	const char *actor;
	const char *plugin_path;
	int json;
	int lock_timeout_ms;
	int progress;      /* stderr is a terminal */
	const char *prog;  /* "casevault" */
} cli;

typedef struct cli_command {
	const char *name;
	int (*run)(cli *c, int argc, char **argv);
	const char *summary;
} cli_command;

/** Open the archive named by the global options (read_only: no writes). */
int cli_open(cli *c, cv_archive **out);
/** Options of a command that takes only the common ones and exactly `nargs`
 * operands (at argv[optind] after the call). Returns -1 to go on, or the
 * exit status to return (help printed, or a usage error saying `why`). */
int cli_plain(cli *c, int argc, char **argv, const char *usage, const char *help, int nargs, const char *why);
/** Print the library's last error and return the exit code it maps to. */
int cli_fail(const char *context);
/** Exit code for a library return code. */
int cli_exit_code(int rc);
/** cli_fail, then, when the library's error code is `when`, a hint in the
 * command line's words ("see 'casevault case list'", "use --credential-file"):
 * the library says what failed, the command line says what to type. */
int cli_fail_hint(const char *context, int when, const char *hint);
/** After a cli_fail: a hint when the library's message says `needle`. */
int cli_hint_if(const char *needle, const char *hint);
/** Usage error: print message and the command's usage; returns 2. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Print a JSON value on stdout (and free it); returns 0. */
int cli_json_out(json_t *v);
/** Common option handling inside a subcommand: --json and --help. */
int cli_is_help(int argc, char **argv);
/** Parse "N/T". */
int cli_parse_subset(const char *s, unsigned *n, unsigned *t);
void cli_progress(const char *what, uint64_t done, uint64_t total, void *payload);
/** cli_plain, then cli_open: -1 to go on with *a open, else an exit status. */
int cli_plain_open(cli *c, int argc, char **argv, const char *usage, const char *help, int nargs, const char *why,
	cv_archive **a);

/** A command group's subcommands, ending with { NULL, NULL }. */
typedef struct cli_sub {
	const char *name;
	int (*fn)(cli *c, int argc, char **argv);
} cli_sub;
/** Run argv[1]'s subcommand (or --help, or a usage error). */
int cli_dispatch(cli *c, int argc, char **argv, const char *usage, const char *group, const cli_sub *subs);

/** Tell the user which tools open an AES-encrypted copy, and what needs no password. */
void cli_password_notice(const char *command, const char *out);
/** Read a secret from the terminal without echo (malloc'd, free with
 * cv_secret_free): 0, or an exit status after saying why on stderr. */
int cli_read_tty(char **out, const char *prompt, const char *context);
/** Read a credential: from --credential-file or the terminal. Free with cv_secret_free. */
/** A credential from FILE (its first line) or the terminal: 0, or an exit
 * status after saying why on stderr. */
int cli_read_credential(const char *file, const char *prompt, char **out, const char *context);

int cmd_keygen(cli *c, int argc, char **argv);
int cmd_init(cli *c, int argc, char **argv);
int cmd_user(cli *c, int argc, char **argv);
int cmd_case(cli *c, int argc, char **argv);
int cmd_doc(cli *c, int argc, char **argv);
int cmd_key(cli *c, int argc, char **argv);
int cmd_verify(cli *c, int argc, char **argv);
int cmd_journal(cli *c, int argc, char **argv);
int cmd_plugin(cli *c, int argc, char **argv);
int cmd_access(cli *c, int argc, char **argv);
int cmd_ingest(cli *c, int argc, char **argv);
int cmd_find(cli *c, int argc, char **argv);
int cmd_sweep(cli *c, int argc, char **argv);
int cmd_policy(cli *c, int argc, char **argv);
int cmd_stats(cli *c, int argc, char **argv);
int cmd_redact(cli *c, int argc, char **argv);
int cmd_export(cli *c, int argc, char **argv);
int cmd_origins(cli *c, int argc, char **argv);
int cmd_request(cli *c, int argc, char **argv);
int cmd_serve(cli *c, int argc, char **argv);
int cmd_mirror(cli *c, int argc, char **argv);
int cmd_restore(cli *c, int argc, char **argv);

#endif

/* Every subcommand accepts --json and --help; these keep their parsing
 * uniform. Use in a getopt_long loop. */
#define CLI_COMMON_OPTS { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }
#define CLI_COMMON_CASES(c, usage, help)                                                            \
	case 'j': (c)->json = 1; break;                                                              \
	case 'h': printf("usage: %s\n%s", usage, help); return EXIT_OK;                             \
	case '?':                                                                                   \
	case ':': return cli_usage(usage, "unknown option or missing value in '%s'", argv[optind - 1]);
/* optind = 0 makes glibc re-read the optstring (the global parse used "+"). */
#define CLI_BEGIN_OPTS() do { optind = 0; opterr = 0; } while (0)
