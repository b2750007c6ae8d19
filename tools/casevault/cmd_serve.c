/* serve: the staff web service. The command line opens the archive as the
 * service's own user (global options, like every command) and hands it to
 * the web core (tools/serve), which serves until SIGTERM or SIGINT. */
#include "cli.h"

#include "serve.h"

#include <stdlib.h>
#include <string.h>

static const char *USAGE = "casevault serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] [--behind-tls-proxy] "
			   "[--work-dir DIR] [--threads N]";

static const char *HELP =
	"Serves the staff web pages and the JSON API (/api/v1/) until SIGTERM or SIGINT.\n"
	"The archive is opened with the global options (-A, --key-file or --passphrase-file, --as USER: the\n"
	"service's own user); staff log in with their own name and personal credential, and act as themselves.\n"
	"  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080; [::1]:8080 for IPv6)\n"
	"  --tls-cert FILE      PEM certificate chain, with --tls-key: serve HTTPS\n"
	"  --tls-key FILE       PEM private key\n"
	"  --behind-tls-proxy   a TLS reverse proxy is in front: cookies are marked Secure\n"
	"  --work-dir DIR       where the private scratch directory goes (default $XDG_RUNTIME_DIR or /dev/shm)\n"
	"  --threads N          threads serving requests (default one per core, at least 2)\n";

typedef struct serve_ready {
	const char *archive;
} serve_ready;

static void on_ready(const char *url, void *payload)
{
	serve_ready *r = payload;
	printf("casevault: serving %s on %s\n", r->archive, url);
	fflush(stdout);
}

int cmd_serve(cli *c, int argc, char **argv)
{
	static const struct option o[] = { { "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' }, { "tls-key", required_argument, NULL, 'k' },
		{ "behind-tls-proxy", no_argument, NULL, 'b' }, { "work-dir", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 't' },
		CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	sv_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.listen = "127.0.0.1:8080";
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'l': cfg.listen = optarg; break;
		case 'c': cfg.tls_cert = optarg; break;
		case 'k': cfg.tls_key = optarg; break;
		case 'b': cfg.behind_tls_proxy = 1; break;
		case 'w': cfg.work_dir = optarg; break;
		case 't': {
			char *end = NULL;
			long n = strtol(optarg, &end, 10);
			if (!end || *end || n < 1 || n > 32)
				return cli_usage(USAGE, "--threads '%s' is not a number from 1 to 32", optarg);
			cfg.threads = (unsigned)n;
			break;
		}
			CLI_COMMON_CASES(c, USAGE, HELP)
		}
	}
	if (argc != optind)
		return cli_usage(USAGE, "serve takes no operand");
	if ((cfg.tls_cert != NULL) != (cfg.tls_key != NULL))
		return cli_usage(USAGE, "--tls-cert and --tls-key go together");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	serve_ready ready = { cv_archive_dir(a) };
	cfg.base = a;
	cfg.on_ready = on_ready;
	cfg.payload = &ready;
	int rc = sv_run(&cfg);
	cv_archive_free(a);
	if (rc == CV_EINVAL)
		return EXIT_USAGE;
	return rc ? EXIT_FAIL : EXIT_OK;
}
