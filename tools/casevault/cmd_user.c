/* user add / passwd / list */
#include "cli.h"

#include <string.h>

static int user_add(cli *c, int argc, char **argv)
{
	static const char *U = "casevault user add NAME --role R [--role R2...] [--credential-file F]";
	static const struct option o[] = { { "role", required_argument, NULL, 'r' },
		{ "credential-file", required_argument, NULL, 'f' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *roles[16];
	size_t nroles = 0;
	const char *cred_file = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (nroles == 16)
				return cli_usage(U, "too many roles");
			roles[nroles++] = optarg;
			break;
		case 'f': cred_file = optarg; break;
			CLI_COMMON_CASES(c, U, "Roles: admin, archivist, director, dpo, maft, cnaop, auditor. The personal\n"
				"credential (first line of F) confirms decisions such as approving a sweep.\n")
		}
	}
	if (argc - optind != 1)
		return cli_usage(U, "user add needs exactly one user name");
	if (!nroles)
		return cli_usage(U, "user add needs at least one --role");
	char *cred = NULL;
	if (cred_file && cv_secret_read_file(&cred, cred_file))
		return cli_fail("user add");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e) {
		cv_secret_free(cred);
		return e;
	}
	int rc = cv_user_add(a, argv[optind], roles, nroles, cred);
	cv_secret_free(cred);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json)
		return cli_json_out(json_pack("{s:s}", "name", argv[optind]));
	printf("added user %s\n", argv[optind]);
	return EXIT_OK;
}

static int user_passwd(cli *c, int argc, char **argv)
{
	static const char *U = "casevault user passwd NAME [--credential-file F]";
	static const struct option o[] = { { "credential-file", required_argument, NULL, 'f' }, CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 } };
	const char *cred_file = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'f': cred_file = optarg; break;
			CLI_COMMON_CASES(c, U, "Sets a user's personal credential (first line of F, or typed at the terminal).\n")
		}
	}
	if (argc - optind != 1)
		return cli_usage(U, "user passwd needs exactly one user name");
	char *cred = NULL;
	int ce = cli_read_credential(cred_file, "new credential: ", &cred, "user passwd");
	if (ce)
		return ce;
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e) {
		cv_secret_free(cred);
		return e;
	}
	int rc = cv_user_passwd(a, argv[optind], cred);
	cv_secret_free(cred);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (!c->json)
		printf("credential set for %s\n", argv[optind]);
	return c->json ? cli_json_out(json_pack("{s:s}", "name", argv[optind])) : EXIT_OK;
}

static int user_list(cli *c, int argc, char **argv)
{
	static const char *U = "casevault user list [--json]";
	cv_archive *a = NULL;
	int pe = cli_plain_open(c, argc, argv, U, "Lists registered users and their roles.\n", 0, "user list takes no arguments", &a);
	if (pe >= 0)
		return pe;
	cv_user *u = NULL;
	size_t n = 0;
	int rc = cv_user_list(&u, &n, a);
	cv_archive_free(a);
	if (rc)
		return cli_fail(NULL);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *roles = json_array();
			char buf[sizeof u[i].roles];
			strcpy(buf, u[i].roles);
			for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","))
				json_array_append_new(roles, json_string(s));
			json_array_append_new(arr, json_pack("{s:s,s:o,s:b,s:s}", "name", u[i].name, "roles", roles, "credential",
				u[i].has_credential, "created", u[i].created));
		}
		cv_user_list_free(u);
		return cli_json_out(arr);
	}
	printf("%-20s %-30s %s\n", "USER", "ROLES", "CREDENTIAL");
	for (size_t i = 0; i < n; i++)
		printf("%-20s %-30s %s\n", u[i].name, u[i].roles, u[i].has_credential ? "set" : "-");
	cv_user_list_free(u);
	return EXIT_OK;
}

int cmd_user(cli *c, int argc, char **argv)
{
	static const cli_sub subs[] = { { "add", user_add }, { "passwd", user_passwd }, { "list", user_list }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, "casevault user add|passwd|list ...", "user", subs);
}
