/* user add / passwd / list */
#include "cli.h"

#include <string.h>

/* The acting admin's own credential, to sign a grant or a reset: from
 * --admin-credential-file, or asked at the terminal when one is needed and
 * none was given (cv_archive_sign_with). */
static int admin_sign(cli *c, cv_archive *a, const char *file, const char *context)
{
	(void)c;
	if (!file)
		return 0;
	char *me = NULL;
	int e = cli_read_credential(file, "your own credential: ", &me, context);
	if (e)
		return e;
	int rc = cv_archive_sign_with(a, me);
	cv_secret_free(me);
	return rc ? cli_fail(context) : 0;
}

static int user_add(cli *c, int argc, char **argv)
{
	static const char *U = "casevault user add NAME --role R [--role R2...] [--credential-file F] [--admin-credential-file A]";
	static const struct option o[] = { { "role", required_argument, NULL, 'r' },
		{ "credential-file", required_argument, NULL, 'f' }, { "admin-credential-file", required_argument, NULL, 'A' },
		CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *roles[16];
	size_t nroles = 0;
	const char *cred_file = NULL, *admin_file = NULL;
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
		case 'A': admin_file = optarg; break;
			CLI_COMMON_CASES(c, U, "Roles: admin, archivist, director, dpo, maft, cnaop, auditor. The new user's personal\n"
				"credential (first line of F) protects their personal keys, which sign their decisions. Once an\n"
				"admin has personal keys, every grant is signed by the admin who makes it: give your own\n"
				"credential with --admin-credential-file.\n")
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
	if (!e)
		e = admin_sign(c, a, admin_file, "user add");
	if (e) {
		cv_secret_free(cred);
		cv_archive_free(a);
		return e;
	}
	int rc = cv_user_add(a, argv[optind], roles, nroles, cred);
	cv_secret_free(cred);
	cv_archive_free(a);
	if (rc)
		return cli_fail_hint(NULL, CV_EAUTH, "give your own credential with --admin-credential-file F");
	if (c->json)
		return cli_json_out(json_pack("{s:s}", "name", argv[optind]));
	printf("added user %s\n", argv[optind]);
	return EXIT_OK;
}

static int user_passwd(cli *c, int argc, char **argv)
{
	static const char *U = "casevault user passwd NAME [--credential-file NEW] [--old-credential-file OLD] "
			       "[--admin-credential-file A]";
	static const struct option o[] = { { "credential-file", required_argument, NULL, 'f' },
		{ "old-credential-file", required_argument, NULL, 'o' }, { "admin-credential-file", required_argument, NULL, 'A' },
		CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *cred_file = NULL, *old_file = NULL, *admin_file = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'f': cred_file = optarg; break;
		case 'o': old_file = optarg; break;
		case 'A': admin_file = optarg; break;
			CLI_COMMON_CASES(c, U, "Your own credential: give the current one (--old-credential-file). Another user's (an\n"
				"admin's reset): they get new personal keys under a one-time credential that signs no decision\n"
				"until they change it; the reset is signed with your own credential (--admin-credential-file).\n")
		}
	}
	if (argc - optind != 1)
		return cli_usage(U, "user passwd needs exactly one user name");
	char *cred = NULL, *old = NULL;
	int ce = cli_read_credential(cred_file, "new credential: ", &cred, "user passwd");
	if (!ce && old_file)
		ce = cli_read_credential(old_file, "current credential: ", &old, "user passwd");
	if (ce) {
		cv_secret_free(cred);
		return ce;
	}
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (!e)
		e = admin_sign(c, a, admin_file, "user passwd");
	if (e) {
		cv_secret_free(cred);
		cv_secret_free(old);
		cv_archive_free(a);
		return e;
	}
	int own = !strcmp(argv[optind], cv_archive_actor(a));
	int rc = cv_user_passwd(a, argv[optind], cred, old);
	cv_secret_free(cred);
	cv_secret_free(old);
	cv_archive_free(a);
	if (rc)
		return cli_fail_hint(NULL, CV_EAUTH, own ? "give your current credential with --old-credential-file F"
			: "give your own credential with --admin-credential-file F");
	if (!c->json)
		printf(own ? "credential changed for %s\n" : "one-time credential set for %s: they must change it before "
			"any decision\n", argv[optind]);
	return c->json ? cli_json_out(json_pack("{s:s,s:b}", "name", argv[optind], "one_time", !own)) : EXIT_OK;
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
			json_array_append_new(arr, json_pack("{s:s,s:o,s:b,s:b,s:b,s:s}", "name", u[i].name, "roles", roles,
				"credential", u[i].has_credential, "keys", u[i].has_keys, "one_time", u[i].one_time, "created",
				u[i].created));
		}
		cv_user_list_free(u);
		return cli_json_out(arr);
	}
	printf("%-20s %-30s %s\n", "USER", "ROLES", "CREDENTIAL");
	for (size_t i = 0; i < n; i++)
		printf("%-20s %-30s %s\n", u[i].name, u[i].roles, u[i].one_time ? "one-time (to change)"
			: u[i].has_keys ? "set, personal keys" : u[i].has_credential ? "set" : "-");
	cv_user_list_free(u);
	return EXIT_OK;
}

int cmd_user(cli *c, int argc, char **argv)
{
	static const cli_sub subs[] = { { "add", user_add }, { "passwd", user_passwd }, { "list", user_list }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, "casevault user add|passwd|list ...", "user", subs);
}
