/* The redaction policy file (export/redpolicy.c), the one a département
 * edits to communicate agents' names: what it shows (per role, then the
 * longest matching function prefix, accents and case ignored), the sentence
 * the review page prints, and every mistake in the file refused with its
 * line and the reason, including an attempt to show a family member or a
 * reporter. Loading: a missing file named by the user is an error, a file
 * over 256 KiB is refused, the file's SHA-256 is kept for the journal. */
#include "support.h"
#include "export/redpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(cv_redpolicy *p, const char *text)
{
	memset(p, 0, sizeof *p);
	snprintf(p->path, sizeof p->path, "test.yaml");
	return cv__redpolicy_parse(p, text, strlen(text));
}

static char *describe(const cv_redpolicy *p)
{
	cv_buf b = CV_BUF_INIT;
	assert_int_equal(cv__redpolicy_describe(p, &b), 0);
	assert_int_equal(cv__buf_cstr(&b), 0);
	char *s = strdup((const char *)b.data);
	cv__buf_dispose(&b);
	return s;
}

static void shows_by_role_then_longest_function(void **s)
{
	(void)s;
	cv_redpolicy p;
	assert_int_equal(parse(&p, "redaction: dep-31\n"
				   "version: 3\n"
				   "source: CADA\n"
				   "professionals:\n"
				   "  professional: show\n"
				   "  foster_carer: hide\n"
				   "  mother: hide\n"
				   "functions:\n"
				   "  Éducateur spécialisé: hide\n"
				   "  éducateur: show\n"
				   "  PSYCHOLOGUE: hide\n"),
		0);
	assert_string_equal(p.name, "dep-31");
	assert_int_equal(p.version, 3);
	assert_int_equal(p.nfuncs, 3);
	/* the role's setting when no function matches */
	assert_int_equal(cv__redpolicy_shows(&p, "professional", NULL), 1);
	assert_int_equal(cv__redpolicy_shows(&p, "professional", "juge des enfants"), 1);
	/* the longest matching beginning wins, accents and case ignored */
	assert_int_equal(cv__redpolicy_shows(&p, "professional", "educateur chef"), 1);
	assert_int_equal(cv__redpolicy_shows(&p, "professional", "EDUCATEUR SPECIALISE de l'ASE"), 0);
	assert_int_equal(cv__redpolicy_shows(&p, "professional", "Psychologue clinicienne"), 0);
	/* other roles are never shown, whatever their function */
	assert_int_equal(cv__redpolicy_shows(&p, "foster_carer", NULL), 0);
	assert_int_equal(cv__redpolicy_shows(&p, "mother", "éducateur"), 0);
	assert_int_equal(cv__redpolicy_shows(&p, "reporter", NULL), 0);
	assert_int_equal(cv__redpolicy_shows(&p, NULL, "éducateur"), 0);
	char *d = describe(&p);
	assert_non_null(strstr(d, "« dep-31 » (version 3)"));
	assert_non_null(strstr(d, "les professionnels"));
	assert_non_null(strstr(d, " (sauf « Éducateur spécialisé »)"));
	assert_non_null(strstr(d, " (sauf « PSYCHOLOGUE »)"));
	assert_null(strstr(d, "assistants familiaux"));
	free(d);
	cv__redpolicy_free(&p);

	/* professionals hidden, two functions and foster carers shown */
	assert_int_equal(parse(&p, "redaction: dep-64\nversion: 1\nprofessionals:\n  professional: hide\n  foster_carer: show\n"
				   "functions:\n  juge: show\n  référent: show\n  psychologue: hide\n"),
		0);
	assert_int_equal(cv__redpolicy_shows(&p, "professional", "Juge des enfants"), 1);
	assert_int_equal(cv__redpolicy_shows(&p, "professional", "Referente ASE"), 1);
	assert_int_equal(cv__redpolicy_shows(&p, "professional", "psychologue"), 0);
	assert_int_equal(cv__redpolicy_shows(&p, "professional", NULL), 0);
	assert_int_equal(cv__redpolicy_shows(&p, "foster_carer", NULL), 1);
	d = describe(&p);
	assert_non_null(strstr(d, "les assistants familiaux, la fonction « juge », la fonction « référent »"));
	assert_null(strstr(d, "psychologue"));
	assert_null(strstr(d, "sauf"));
	free(d);
	cv__redpolicy_free(&p);

	/* everything hidden */
	assert_int_equal(parse(&p, "redaction: all-hidden\nversion: 2\nprofessionals:\n  professional: hide\nfunctions: {}\n"), 0);
	d = describe(&p);
	assert_non_null(strstr(d, "professionnels compris"));
	free(d);
	cv__redpolicy_free(&p);
}

/* Each bad file: refused with CV_EINVAL, its line, and the reason. */
static void bad_files_refused_with_line_and_reason(void **s)
{
	(void)s;
	static const char HEAD[] = "redaction: x\nversion: 1\n";
	struct {
		const char *what, *body;
		int line;
		const char *why;
	} bad[] = {
		{ "show a mother", "professionals:\n  mother: show\n", 4, "only professional and foster_carer can be shown" },
		{ "show a reporter", "professionals:\n  reporter: show\n", 4, "are always hidden: reporter" },
		{ "unknown role", "professionals:\n  uncle: hide\n", 4, "unknown role (roles are those of case.json): uncle" },
		{ "role not a word", "professionals:\n  [a, b]: hide\n", 4, "a role must be a word" },
		{ "yes for show", "professionals:\n  professional: yes\n", 4, "the value must be hide or show: yes" },
		{ "list for a value", "professionals:\n  foster_carer: [show]\n", 4, "the value must be hide or show" },
		{ "professionals a list", "professionals:\n  - professional\n", 4, "expected a mapping (name: hide|show)" },
		{ "empty function", "functions:\n  '': show\n", 4, "a function must be a text" },
		{ "function value", "functions:\n  juge: montrer\n", 4, "the value must be hide or show: montrer" },
		{ "unknown key", "colour: red\n", 3, "unknown key (redaction, version, source, professionals, functions): colour" },
		{ "key not a word", "? [a]\n: b\n", 3, "keys are words" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[512], want[160];
		snprintf(text, sizeof text, "%s%s", HEAD, bad[i].body);
		cv_redpolicy p;
		int rc = parse(&p, text);
		const char *msg = cv_error_last()->message;
		if (rc != CV_EINVAL)
			fail_msg("%s: code %d (%s)", bad[i].what, rc, msg);
		snprintf(want, sizeof want, "redaction policy test.yaml, line %d: ", bad[i].line);
		if (!strstr(msg, want) || !strstr(msg, bad[i].why))
			fail_msg("%s: wanted '%s…%s', got: %s", bad[i].what, want, bad[i].why, msg);
		cv__redpolicy_free(&p);
	}
	struct {
		const char *what, *text, *why;
	} whole[] = {
		{ "no version", "redaction: x\n", "the policy needs its name (redaction:) and version (version:)" },
		{ "no name", "version: 4\n", "the policy needs its name (redaction:) and version (version:)" },
		{ "version 0", "redaction: x\nversion: 0\n", "version is a positive whole number: 0" },
		{ "version text", "redaction: x\nversion: deux\n", "version is a positive whole number: deux" },
		{ "version list", "redaction: x\nversion: [1]\n", "version is a positive whole number" },
		{ "name of two words", "redaction: ma politique\nversion: 1\n", "the policy's name is one word" },
		{ "a list", "- redaction\n- version\n", "the file must be a mapping" },
		{ "not YAML", "redaction: x\nversion: [1\n", "redaction policy test.yaml, line " },
		{ "empty", "", "the file must be a mapping" },
	};
	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
		cv_redpolicy p;
		int rc = parse(&p, whole[i].text);
		const char *msg = cv_error_last()->message;
		if (rc != CV_EINVAL)
			fail_msg("%s: code %d (%s)", whole[i].what, rc, msg);
		if (!strstr(msg, whole[i].why) || !strstr(msg, "test.yaml"))
			fail_msg("%s: wanted '%s', got: %s", whole[i].what, whole[i].why, msg);
		cv__redpolicy_free(&p);
	}
	/* at most 32 functions */
	char text[4096];
	int n = snprintf(text, sizeof text, "%sfunctions:\n", HEAD);
	for (int i = 0; i < 33; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "  fonction%02d: show\n", i);
	cv_redpolicy p;
	assert_int_equal(parse(&p, text), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "line 36: too many functions (at most 32)"));
	cv__redpolicy_free(&p);
	text[n - (int)strlen("  fonction32: show\n")] = '\0';
	assert_int_equal(parse(&p, text), 0);
	assert_int_equal(p.nfuncs, 32);
	cv__redpolicy_free(&p);
}

static void load_from_files(void **s)
{
	(void)s;
	char *dir = cvt_tmpdir("cov_redpolicy");
	char *path = cvt_join(dir, "politique.yaml");
	static const char good[] = "redaction: fichier\nversion: 7\nprofessionals:\n  professional: show\n";
	cvt_write(path, good, strlen(good));
	cv_redpolicy p;
	assert_int_equal(cv__redpolicy_load(&p, path), 0);
	assert_string_equal(p.name, "fichier");
	assert_int_equal(p.version, 7);
	assert_string_equal(p.path, path);
	/* sha256 of the file's bytes, for the journal */
	assert_int_equal(strlen(p.sha256), 64);
	char cmd[2048], want[65] = "";
	snprintf(cmd, sizeof cmd, "sha256sum '%s' | cut -c1-64 > '%s.sum'", path, path);
	assert_int_equal(cvt_sh("%s", cmd), 0);
	char *sum_path = NULL;
	size_t len = 0;
	{
		size_t n = strlen(path) + 5;
		sum_path = malloc(n);
		snprintf(sum_path, n, "%s.sum", path);
	}
	unsigned char *sum = cvt_read(sum_path, &len);
	assert_non_null(sum);
	assert_true(len >= 64);
	memcpy(want, sum, 64);
	assert_string_equal(p.sha256, want);
	free(sum);
	free(sum_path);
	cv__redpolicy_free(&p);

	/* a file the user names and that is missing: an error, not the default */
	char *missing = cvt_join(dir, "absente.yaml");
	assert_int_equal(cv__redpolicy_load(&p, missing), CV_ENOTFOUND);
	assert_non_null(strstr(cv_error_last()->message, "absente.yaml does not exist"));
	free(missing);

	/* over 256 KiB */
	size_t big = 256 * 1024 + 1;
	char *data = malloc(big);
	memset(data, '#', big);
	char *large = cvt_join(dir, "grosse.yaml");
	cvt_write(large, data, big);
	assert_int_equal(cv__redpolicy_load(&p, large), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "is larger than 256 KiB"));
	free(large);
	free(data);

	/* a bad file through load: its path in the message */
	char *broken = cvt_join(dir, "cassee.yaml");
	static const char bad[] = "redaction: x\nversion: 1\nprofessionals:\n  father: show\n";
	cvt_write(broken, bad, strlen(bad));
	assert_int_equal(cv__redpolicy_load(&p, broken), CV_EINVAL);
	assert_non_null(strstr(cv_error_last()->message, "cassee.yaml, line 4"));
	free(broken);

	cvt_rmrf(dir);
	free(path);
	free(dir);
}

CVT_MAIN(cmocka_unit_test(shows_by_role_then_longest_function),
	cmocka_unit_test(bad_files_refused_with_line_and_reason),
	cmocka_unit_test(load_from_files))
