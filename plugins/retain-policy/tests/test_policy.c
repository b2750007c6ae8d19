/* Unit tests of the retention policy language and evaluator (policy*.c),
 * linked directly, without the plugin host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"
#include "util/date.h"
#include "util/vocab.h"

/* A valid policy; error tests change one line of it. Line numbers matter. */
static const char BASE[] =
	"policy: t\n"                                                                    /* 1 */
	"version: 1\n"                                                                   /* 2 */
	"rules:\n"                                                                       /* 3 */
	"  - id: std\n"                                                                  /* 4 */
	"    categories: [prevention, information_preoccupante, aide_educative, placement, jeune_majeur]\n" /* 5 */
	"    final: anonymise\n"                                                         /* 6 */
	"    after: 5y\n"                                                                /* 7 */
	"    source: \"Code civil art. 2224\"\n"                                         /* 8 */
	"  - id: perm\n"                                                                 /* 9 */
	"    categories: [pupille, adoption, secret_birth]\n"                            /* 10 */
	"    permanent: true\n"                                                          /* 11 */
	"    source: \"CASF L. 147-6\"\n";                                               /* 12 */

/* BASE with the first occurrence of `from` replaced by `to` (static buffer). */
static const char *with(const char *from, const char *to)
{
	static char out[8192];
	const char *at = strstr(BASE, from);
	assert_non_null(at);
	snprintf(out, sizeof out, "%.*s%s%s", (int)(at - BASE), BASE, to, at + strlen(from));
	return out;
}

static retain_policy *parse_ok(const char *text)
{
	char err[POLICY_ERR_MAX];
	retain_policy *p = NULL;
	int rc = policy_parse_buffer(text, strlen(text), "t.yaml", &p, err, sizeof err);
	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

/* Parsing fails with CV_EINVAL and the message is "t.yaml:LINE: ..." and
 * contains `what`. */
static void parse_err(const char *text, int line, const char *what)
{
	char err[POLICY_ERR_MAX], prefix[32];
	retain_policy *p = (retain_policy *)1;
	int rc = policy_parse_buffer(text, strlen(text), "t.yaml", &p, err, sizeof err);
	assert_int_equal(rc, CV_EINVAL);
	assert_null(p);
	snprintf(prefix, sizeof prefix, "t.yaml:%d: ", line);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what)) {
		print_error("got '%s'\nwant '%s...%s'\n", err, prefix, what);
		fail();
	}
}

static retain_policy *load_file(const char *rel)
{
	char path[1024], err[POLICY_ERR_MAX];
	retain_policy *p = NULL;
	snprintf(path, sizeof path, "%s/%s", CV_POLICY_SRC_DIR, rel);
	int rc = policy_parse_file(path, &p, err, sizeof err);
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return p;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

static void test_shipped_ase(void **st)
{
	(void)st;
	retain_policy *p = load_file("ase.yaml");
	assert_string_equal(policy_name(p), "ase-default");
	assert_int_equal(policy_version(p), 1);
	for (size_t i = 0; cv__category_codes[i]; i++)
		assert_true(policy_rule_for(p, cv__category_codes[i]) >= 0);
	assert_string_equal(policy_rule_id(p, (size_t)policy_rule_for(p, "placement")), "ase-standard");
	assert_string_equal(policy_rule_id(p, (size_t)policy_rule_for(p, "jeune_majeur")), "ase-standard");
	assert_string_equal(policy_rule_id(p, (size_t)policy_rule_for(p, "secret_birth")), "origins-secret-birth");
	assert_string_equal(policy_rule_id(p, (size_t)policy_rule_for(p, "pupille")), "origins-pupille");
	assert_string_equal(policy_rule_id(p, (size_t)policy_rule_for(p, "adoption")), "origins-adoption");
	assert_int_equal(policy_rule_for(p, "nope"), -1);
	policy_free(p);
}

static void test_examples_load(void **st)
{
	(void)st;
	retain_policy *p = load_file("examples/majority-clock.yaml");
	assert_string_equal(policy_name(p), "ase-majority");
	policy_free(p);
	p = load_file("examples/mixed-destroy.yaml");
	assert_string_equal(policy_name(p), "example-mixed");
	assert_int_equal(policy_version(p), 3);
	assert_int_equal(policy_nrules(p), 4);
	policy_free(p);
}

static void test_file_missing(void **st)
{
	(void)st;
	char err[POLICY_ERR_MAX];
	retain_policy *p = NULL;
	assert_int_equal(policy_parse_file("/nonexistent/x.yaml", &p, err, sizeof err), CV_ENOTFOUND);
	assert_null(p);
	assert_non_null(strstr(err, "/nonexistent/x.yaml"));
}

static void test_file_error_names_path(void **st)
{
	(void)st;
	char path[] = "/tmp/cv-retain-XXXXXX", err[POLICY_ERR_MAX], want[128];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *t = with("final: anonymise", "final: delete");
	FILE *f = fdopen(fd, "w");
	fputs(t, f);
	fclose(f);
	retain_policy *p = NULL;
	assert_int_equal(policy_parse_file(path, &p, err, sizeof err), CV_EINVAL);
	snprintf(want, sizeof want, "%s:6: unknown action 'delete' (known: archive, anonymise, destroy, keep)", path);
	assert_string_equal(err, want);
	remove(path);
}

static void test_base_valid(void **st)
{
	(void)st;
	policy_free(parse_ok(BASE));
	/* optional keys */
	policy_free(parse_ok(with("version: 1\n", "version: 7\nsource: \"x\"\nclock: closure\nnote: n\n")));
	policy_free(parse_ok(with("    after: 5y\n", "    after: 5y6m\n    archive_at: closure\n    clock: later_of_closure_and_majority\n"
		"    keep_redacted: [judgment, report]\n    note: \"ok\"\n")));
	policy_free(parse_ok(with("    permanent: true\n", "    permanent: true\n    note: \"ok\"\n")));
	/* block scalars and quoting */
	policy_free(parse_ok(with("    source: \"Code civil art. 2224\"\n", "    source: >-\n      Code civil\n      art. 2224\n")));
}

/* ------------------------------------------------------------------ */
/* Errors, each with its line                                          */

static void test_err_unknown_action(void **st)
{
	(void)st;
	char err[POLICY_ERR_MAX];
	retain_policy *p = NULL;
	const char *t = with("final: anonymise", "final: delete");
	assert_int_equal(policy_parse_buffer(t, strlen(t), "policies/x.yaml", &p, err, sizeof err), CV_EINVAL);
	assert_string_equal(err, "policies/x.yaml:6: unknown action 'delete' (known: archive, anonymise, destroy, keep)");
	parse_err(with("final: anonymise", "final: keep"), 6, "'keep' cannot be a final action");
	parse_err(with("final: anonymise", "final: archive"), 6, "'archive' cannot be a final action");
	parse_err(with("final: anonymise", "final: anonymize"), 6, "unknown action 'anonymize'");
	parse_err(with("final: anonymise", "final: [anonymise]"), 6, "'final' must be a single word");
}

static void test_err_unknown_category(void **st)
{
	(void)st;
	parse_err(with("[pupille, adoption", "[pupille, adoptoin"), 10,
		"unknown category 'adoptoin' (known: adoption, aide_educative,");
	parse_err(with("[pupille, adoption, secret_birth]", "[pupille, adoption, secret_birth, foo]"), 10,
		"unknown category 'foo'");
}

static void test_err_category_twice(void **st)
{
	(void)st;
	parse_err(with("[pupille, adoption", "[pupille, placement, adoption"), 10,
		"category 'placement' is covered twice: by rule 'std' (line 5) and by rule 'perm'");
	parse_err(with("[pupille, adoption", "[pupille, pupille, adoption"), 10, "category 'pupille' is listed twice");
	/* the same category on another line of a block list */
	parse_err(with("    categories: [pupille, adoption, secret_birth]\n",
		"    categories:\n      - pupille\n      - adoption\n      - secret_birth\n      - pupille\n"), 14,
		"category 'pupille' is listed twice (first at line 11)");
}

static void test_err_category_missing(void **st)
{
	(void)st;
	parse_err(with("[pupille, adoption, secret_birth]", "[pupille, adoption]"), 3,
		"category 'secret_birth' is covered by no rule");
	parse_err(with(", jeune_majeur]", "]"), 3, "category 'jeune_majeur' is covered by no rule");
}

static void test_err_bad_duration(void **st)
{
	(void)st;
	static const char *const bad[] = { "5", "5x", "y", "5y5y", "6m5y", "12345y", "\"5 y\"", "-5y", "5Y",
		"5y6", "d", "1.5y", "\"\"", "[5y]", NULL };
	for (int i = 0; bad[i]; i++) {
		char line[64];
		snprintf(line, sizeof line, "after: %s", bad[i]);
		parse_err(with("after: 5y", line), 7, i < 13 ? "bad duration" : "'after' must be a duration");
	}
	static const char *const good[] = { "0d", "30d", "6m", "5y6m", "1y2m3d", "9999y", "5y30d", NULL };
	for (int i = 0; good[i]; i++) {
		char line[64];
		snprintf(line, sizeof line, "after: %s", good[i]);
		policy_free(parse_ok(with("after: 5y", line)));
	}
}

static void test_err_duplicate_rule_id(void **st)
{
	(void)st;
	parse_err(with("  - id: perm", "  - id: std"), 9, "duplicate rule id 'std' (first at line 4)");
}

static void test_err_unknown_key(void **st)
{
	(void)st;
	parse_err(with("    after: 5y\n", "    after: 5y\n    delete_after: 5y\n"), 8,
		"unknown key 'delete_after' in rule 'std' (known: id, categories,");
	parse_err(with("version: 1\n", "version: 1\nowner: me\n"), 3, "unknown key 'owner' in the policy");
	parse_err(with("version: 1\n", "version: 1\n[a]: b\n"), 3, "a key must be a single word");
}

static void test_err_duplicate_key(void **st)
{
	(void)st;
	parse_err(with("    after: 5y\n", "    after: 5y\n    after: 6y\n"), 8, "duplicate key 'after' in rule 'std' (first at line 7)");
}

static void test_err_wrong_type(void **st)
{
	(void)st;
	parse_err(with("[pupille, adoption, secret_birth]", "pupille"), 10, "'categories' must be a list");
	parse_err(with("version: 1", "version: one"), 2, "'version' must be a whole number");
	parse_err(with("version: 1", "version: \"1\""), 2, "'version' must be a whole number");
	parse_err(with("version: 1", "version: 0"), 2, "'version' must be a whole number");
	parse_err(with("permanent: true", "permanent: yes"), 11, "'permanent' must be true or false");
	parse_err(with("source: \"CASF L. 147-6\"", "source: [a, b]"), 12, "'source' must be text");
	parse_err(with("  - id: std", "  - id: {a: b}"), 4, "'rule id' must be a single word");
	parse_err(with("  - id: std", "  - id: \"has space\""), 4, "bad rule id 'has space'");
	parse_err(with("policy: t", "policy: [t]"), 1, "'policy name' must be a single word");
	parse_err("- a\n- b\n", 1, "a policy must be a mapping");
	parse_err("policy: t\nversion: 1\nrules: {a: b}\n", 3, "'rules' must be a list");
	parse_err("policy: t\nversion: 1\nrules:\n  - just-a-word\n", 4, "rule #1 must be a mapping");
}

static void test_err_missing_field(void **st)
{
	(void)st;
	parse_err(with("policy: t\n", ""), 1, "missing required field 'policy'");
	parse_err(with("version: 1\n", ""), 1, "missing required field 'version'");
	parse_err("policy: t\nversion: 1\n", 1, "missing required field 'rules'");
	parse_err("policy: t\nversion: 1\nrules: []\n", 3, "'rules' is empty");
	parse_err(with("  - id: std\n    categories", "  - categories"), 4, "rule #1: missing required field 'id'");
	parse_err(with("    source: \"Code civil art. 2224\"\n", ""), 4, "rule 'std': missing required field 'source'");
	parse_err(with("    source: \"Code civil art. 2224\"\n", "    source:\n"), 4, "missing required field 'source'");
	parse_err(with("    source: \"Code civil art. 2224\"\n", "    source: \"  \"\n"), 8, "'source' is empty");
	parse_err(with("    final: anonymise\n", ""), 4, "rule 'std': missing required field 'final'");
	parse_err(with("    after: 5y\n", ""), 4, "rule 'std': missing required field 'after'");
	parse_err(with("    categories: [pupille, adoption, secret_birth]\n", ""), 9, "rule 'perm': missing required field 'categories'");
	parse_err(with("[pupille, adoption, secret_birth]", "[]"), 10, "'categories' is empty");
}

static void test_err_permanent_conflicts(void **st)
{
	(void)st;
	parse_err(with("    permanent: true\n", "    permanent: true\n    final: destroy\n"), 12,
		"rule 'perm' is permanent: 'final' does not apply");
	parse_err(with("    permanent: true\n", "    permanent: true\n    after: 5y\n"), 12,
		"rule 'perm' is permanent: 'after' does not apply");
	parse_err(with("    permanent: true\n", "    permanent: true\n    keep_redacted: [judgment]\n"), 12,
		"'keep_redacted' does not apply");
	parse_err(with("    permanent: true\n", "    permanent: true\n    clock: closure\n"), 12, "'clock' does not apply");
	/* permanent: false is an ordinary rule, which then needs final and after */
	parse_err(with("    permanent: true\n", "    permanent: false\n"), 9, "rule 'perm': missing required field 'final'");
}

static void test_err_misc(void **st)
{
	(void)st;
	parse_err(with("    after: 5y\n", "    after: 5y\n    clock: birthday\n"), 8,
		"unknown clock 'birthday' (known: closure, later_of_closure_and_majority)");
	parse_err(with("version: 1\n", "version: 1\nclock: [closure]\n"), 3, "'clock' must be a single word");
	parse_err(with("    after: 5y\n", "    after: 5y\n    archive_at: majority\n"), 8, "unknown archive_at 'majority'");
	parse_err(with("    final: anonymise\n", "    final: destroy\n    keep_redacted: [judgment]\n"), 7,
		"'keep_redacted' applies only to final: anonymise");
	parse_err(with("    after: 5y\n", "    after: 5y\n    keep_redacted: judgment\n"), 8, "'keep_redacted' must be a list");
	parse_err(with("    after: 5y\n", "    after: 5y\n    keep_redacted: [judgment, judgment]\n"), 8, "listed twice in keep_redacted");
	parse_err("", 1, "empty policy");
	parse_err("# only a comment\n", 1, "empty policy");
	parse_err(with("version: 1\n", "version: 1\nrules2: &a x\n"), 3, "anchors (&a) are not allowed");
	parse_err(with("    after: 5y\n", "    after: *a\n"), 7, "aliases (*a) are not allowed");
	parse_err(with("policy: t", "policy: !!str t"), 1, "YAML tags");
	parse_err(with("    after: 5y\n", "    after: [5y\n"), 8, "YAML syntax error");
	parse_err(with("policy: t\n", "policy: t\n  version: 2\n"), 2, "YAML syntax error");
	char two[9000];
	snprintf(two, sizeof two, "%s---\n%s", BASE, BASE);
	parse_err(two, 13, "one YAML document");
	parse_err(with("source: \"CASF L. 147-6\"", "source: \"CASF\\u0000L. 147-6\""), 12, "control character");
	parse_err(with("  - id: std", "  - id: \"st\\0d\""), 4, "bad rule id");
	/* no error buffer: still fails cleanly */
	retain_policy *p = NULL;
	assert_int_equal(policy_parse_buffer("x", 1, NULL, &p, NULL, 0), CV_EINVAL);
	assert_null(p);
}

static void test_err_deep_and_large(void **st)
{
	(void)st;
	char deep[400] = "policy: t\nnote: ";
	for (int i = 0; i < 100; i++)
		strcat(deep, "[");
	parse_err(deep, 2, "nested too deeply");
	size_t n = 30000 * 3 + 64;
	char *big = malloc(n), *w = big;
	assert_non_null(big);
	w += sprintf(w, "policy: t\nnote: [");
	for (int i = 0; i < 30000; i++)
		w += sprintf(w, "1, ");
	sprintf(w, "1]\n");
	parse_err(big, 2, "policy too large");
	free(big);
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

static cv_retain_verdict eval(const retain_policy *p, const char *cat, const char *state, const char *closed,
	const char *born, const char *as_of)
{
	cv_retain_case c = { sizeof c, "c1", "ASE-31-0001", cat, state, "2015-01-01", closed, born };
	cv_retain_verdict v;
	char err[POLICY_ERR_MAX];
	memset(&v, 0x5a, sizeof v);
	v.size = sizeof v;
	int rc = policy_eval(p, &c, as_of, &v, err, sizeof err);
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(v.size, sizeof v);
	return v;
}

static void eval_err(const retain_policy *p, const char *cat, const char *state, const char *closed, const char *born,
	const char *as_of, const char *what)
{
	cv_retain_case c = { sizeof c, "c1", "ASE-31-0001", cat, state, "2015-01-01", closed, born };
	cv_retain_verdict v = { sizeof v };
	char err[POLICY_ERR_MAX];
	assert_int_equal(policy_eval(p, &c, as_of, &v, err, sizeof err), CV_EINVAL);
	if (!strstr(err, what) || strncmp(err, "case ASE-31-0001: ", 18)) {
		print_error("got '%s', want '%s'\n", err, what);
		fail();
	}
}

static void test_eval_active(void **st)
{
	(void)st;
	retain_policy *p = load_file("ase.yaml");
	cv_retain_verdict v = eval(p, "placement", "active", NULL, NULL, "2030-01-01");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.due, "");
	assert_string_equal(v.rule, "ase-standard");
	assert_non_null(strstr(v.source, "2224"));
	assert_int_equal(v.permanent, 0);
	assert_string_equal(v.final_action, "anonymise");
	/* "" counts as no closure date */
	v = eval(p, "placement", "active", "", NULL, "2030-01-01");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.due, "");
	/* closed: archived from the closure date on */
	v = eval(p, "placement", "active", "2021-06-30", NULL, "2021-06-29");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.due, "2021-06-30");
	v = eval(p, "placement", "active", "2021-06-30", NULL, "2021-06-30");
	assert_int_equal(v.action, CV_ACTION_ARCHIVE);
	assert_string_equal(v.due, "2021-06-30");
	v = eval(p, "placement", "active", "2021-06-30", NULL, "2027-01-01");
	assert_int_equal(v.action, CV_ACTION_ARCHIVE);
	assert_string_equal(v.due, "2021-06-30");
	policy_free(p);
}

static void test_eval_archived_boundary(void **st)
{
	(void)st;
	retain_policy *p = load_file("ase.yaml");
	cv_retain_verdict v = eval(p, "placement", "archived", "2021-06-30", NULL, "2026-06-29");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.due, "2026-06-30");
	assert_string_equal(v.final_action, "anonymise");
	v = eval(p, "placement", "archived", "2021-06-30", NULL, "2026-06-30");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2026-06-30");
	v = eval(p, "placement", "archived", "2021-06-30", NULL, "2040-01-01");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2026-06-30");
	assert_int_equal(v.nkeep_redacted, 0);
	/* the shipped default counts from closure even when the child is minor */
	v = eval(p, "aide_educative", "archived", "2021-06-30", "2010-05-01", "2026-06-30");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2026-06-30");
	/* every non-permanent category of the default follows the same rule */
	static const char *const std_cats[] = { "prevention", "information_preoccupante", "aide_educative",
		"placement", "jeune_majeur", NULL };
	for (int i = 0; std_cats[i]; i++) {
		v = eval(p, std_cats[i], "archived", "2019-12-31", NULL, "2024-12-31");
		assert_int_equal(v.action, CV_ACTION_ANONYMISE);
		assert_string_equal(v.due, "2024-12-31");
		assert_string_equal(v.rule, "ase-standard");
	}
	policy_free(p);
}

static void test_eval_done_states(void **st)
{
	(void)st;
	retain_policy *p = load_file("ase.yaml");
	static const char *const done[] = { "anonymised", "destroyed", NULL };
	for (int i = 0; done[i]; i++) {
		cv_retain_verdict v = eval(p, "placement", done[i], "2010-01-01", NULL, "2030-01-01");
		assert_int_equal(v.action, CV_ACTION_KEEP);
		assert_string_equal(v.due, "");
		assert_string_equal(v.rule, "ase-standard");
	}
	policy_free(p);
}

static void test_eval_permanent(void **st)
{
	(void)st;
	retain_policy *p = load_file("ase.yaml");
	static const char *const cats[] = { "secret_birth", "pupille", "adoption", NULL };
	static const char *const rules[] = { "origins-secret-birth", "origins-pupille", "origins-adoption" };
	static const char *const states[] = { "active", "archived", "anonymised", "destroyed", NULL };
	for (int i = 0; cats[i]; i++)
		for (int s = 0; states[s]; s++) {
			cv_retain_verdict v = eval(p, cats[i], states[s], "1990-01-01", "1980-01-01", "2090-01-01");
			assert_int_equal(v.action, CV_ACTION_KEEP);
			assert_int_equal(v.permanent, 1);
			assert_string_equal(v.due, "");
			assert_string_equal(v.rule, rules[i]);
			assert_non_null(v.source);
			assert_non_null(strstr(v.source, "L. 147-6"));
			assert_null(v.final_action);
			assert_int_equal(v.nkeep_redacted, 0);
		}
	/* open permanent case too */
	cv_retain_verdict v = eval(p, "adoption", "active", NULL, NULL, "2090-01-01");
	assert_int_equal(v.permanent, 1);
	policy_free(p);
}

static void test_eval_majority_clock(void **st)
{
	(void)st;
	retain_policy *p = load_file("examples/majority-clock.yaml");
	/* born 2010-05-01, closed 2021-06-30: start 2028-05-01, due 2033-05-01 */
	cv_retain_verdict v = eval(p, "placement", "archived", "2021-06-30", "2010-05-01", "2033-04-30");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.due, "2033-05-01");
	v = eval(p, "placement", "archived", "2021-06-30", "2010-05-01", "2033-05-01");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2033-05-01");
	/* already of age at closure: closure counts */
	v = eval(p, "jeune_majeur", "archived", "2021-06-30", "2001-02-03", "2026-06-30");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2026-06-30");
	/* 18th birthday on the closure day */
	v = eval(p, "placement", "archived", "2021-06-30", "2003-06-30", "2026-06-29");
	assert_string_equal(v.due, "2026-06-30");
	/* no birth date: falls back to the closure */
	v = eval(p, "placement", "archived", "2021-06-30", NULL, "2026-06-30");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2026-06-30");
	v = eval(p, "placement", "archived", "2021-06-30", "", "2026-06-30");
	assert_string_equal(v.due, "2026-06-30");
	/* the archiving step itself does not wait for majority */
	v = eval(p, "placement", "active", "2021-06-30", "2010-05-01", "2021-06-30");
	assert_int_equal(v.action, CV_ACTION_ARCHIVE);
	assert_string_equal(v.due, "2021-06-30");
	/* born on 29 February: 18th birthday in a common year is 28 February */
	v = eval(p, "placement", "archived", "2020-01-15", "2008-02-29", "2031-02-28");
	assert_string_equal(v.due, "2031-02-28");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	policy_free(p);
}

static void test_eval_leap_days(void **st)
{
	(void)st;
	char out[11];
	assert_int_equal(policy_date_add(out, "2024-02-29", 12, 0), 0);
	assert_string_equal(out, "2025-02-28");
	assert_int_equal(policy_date_add(out, "2024-02-29", 48, 0), 0);
	assert_string_equal(out, "2028-02-29");
	assert_int_equal(policy_date_add(out, "2026-01-31", 1, 0), 0);
	assert_string_equal(out, "2026-02-28");
	assert_int_equal(policy_date_add(out, "2020-08-31", 66, 0), 0); /* 5y6m */
	assert_string_equal(out, "2026-02-28");
	assert_int_equal(policy_date_add(out, "2023-12-31", 0, 1), 0);
	assert_string_equal(out, "2024-01-01");
	assert_int_equal(policy_date_add(out, "2024-02-28", 0, 1), 0);
	assert_string_equal(out, "2024-02-29");
	assert_int_equal(policy_date_add(out, "2024-01-01", 0, 366), 0);
	assert_string_equal(out, "2025-01-01");
	assert_int_equal(policy_date_add(out, "2023-01-01", 0, 365), 0);
	assert_string_equal(out, "2024-01-01");
	assert_int_equal(policy_date_add(out, "2021-06-30", 60, 0), 0);
	assert_string_equal(out, "2026-06-30");
	assert_int_equal(policy_date_add(out, "9999-12-31", 0, 1), -1);
	assert_int_equal(policy_date_add(out, "9999-06-01", 12, 0), -1);
	assert_int_equal(policy_date_add(out, "2023-02-29", 1, 0), -1);
	assert_int_equal(policy_date_add(out, "2023-2-28", 1, 0), -1);
	assert_false(cv__date_valid("2023-02-29"));
	assert_true(cv__date_valid("2000-02-29"));
	assert_false(cv__date_valid("1900-02-29"));
	assert_false(cv__date_valid("2024-13-01"));
	assert_false(cv__date_valid("2024-00-10"));
	assert_false(cv__date_valid("2024-01-01x"));

	retain_policy *p = load_file("ase.yaml");
	/* closed on a leap day: five years later is 28 February */
	cv_retain_verdict v = eval(p, "placement", "archived", "2024-02-29", NULL, "2029-02-27");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.due, "2029-02-28");
	v = eval(p, "placement", "archived", "2024-02-29", NULL, "2029-02-28");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	policy_free(p);

	/* one year after a leap day */
	p = parse_ok(with("after: 5y", "after: 1y"));
	v = eval(p, "placement", "archived", "2024-02-29", NULL, "2025-02-28");
	assert_string_equal(v.due, "2025-02-28");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	policy_free(p);
	/* combined durations: months together, then days */
	p = parse_ok(with("after: 5y", "after: 1y1m1d"));
	v = eval(p, "placement", "archived", "2024-01-31", NULL, "2025-01-01");
	assert_string_equal(v.due, "2025-03-01"); /* 2024-01-31 + 13m = 2025-02-28, + 1d */
	policy_free(p);
}

static void test_eval_destroy_vs_anonymise(void **st)
{
	(void)st;
	retain_policy *p = load_file("examples/mixed-destroy.yaml");
	cv_retain_verdict v = eval(p, "information_preoccupante", "archived", "2020-03-01", NULL, "2025-03-01");
	assert_int_equal(v.action, CV_ACTION_DESTROY);
	assert_string_equal(v.final_action, "destroy");
	assert_string_equal(v.rule, "short-files");
	assert_int_equal(v.nkeep_redacted, 0);
	v = eval(p, "prevention", "archived", "2020-03-01", NULL, "2025-02-28");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.final_action, "destroy");
	assert_string_equal(v.due, "2025-03-01");
	/* measures: anonymise, judgments kept redacted, majority clock per rule */
	v = eval(p, "placement", "archived", "2020-03-01", "2010-05-01", "2025-03-01");
	assert_int_equal(v.action, CV_ACTION_KEEP);
	assert_string_equal(v.due, "2033-05-01");
	assert_string_equal(v.final_action, "anonymise");
	assert_int_equal(v.nkeep_redacted, 1);
	assert_string_equal(v.keep_redacted[0], "judgment");
	v = eval(p, "aide_educative", "archived", "2020-03-01", "2010-05-01", "2033-05-01");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	/* the policy-wide clock is closure: young adults count from closure */
	v = eval(p, "jeune_majeur", "archived", "2020-03-01", "2010-05-01", "2025-03-01");
	assert_int_equal(v.action, CV_ACTION_ANONYMISE);
	assert_string_equal(v.due, "2025-03-01");
	v = eval(p, "pupille", "archived", "2020-03-01", NULL, "2099-01-01");
	assert_int_equal(v.permanent, 1);
	assert_string_equal(v.rule, "origins");
	policy_free(p);
}

static void test_eval_errors(void **st)
{
	(void)st;
	retain_policy *p = load_file("ase.yaml");
	eval_err(p, "placment", "archived", "2021-06-30", NULL, "2026-06-30", "category 'placment' is covered by no rule");
	eval_err(p, "placement", "closed", "2021-06-30", NULL, "2026-06-30", "unknown state 'closed'");
	eval_err(p, "placement", "archived", "2021-06-30", NULL, "2026-6-30", "invalid as-of date");
	eval_err(p, "placement", "archived", "2021-06-30", NULL, NULL, "invalid as-of date");
	eval_err(p, "placement", "archived", "2021-02-30", NULL, "2026-06-30", "invalid closure date");
	eval_err(p, "placement", "archived", "2021-06-30", "2010-13-01", "2026-06-30", "invalid birth date");
	eval_err(p, "placement", "archived", NULL, NULL, "2026-06-30", "archived but has no closure date");
	eval_err(p, NULL, "archived", NULL, NULL, "2026-06-30", "no category");
	eval_err(p, "placement", NULL, NULL, NULL, "2026-06-30", "unknown state");
	policy_free(p);
	p = parse_ok(with("after: 5y", "after: 9999y"));
	eval_err(p, "placement", "archived", "2021-06-30", NULL, "2026-06-30", "past year 9999");
	policy_free(p);
}

static void test_eval_deterministic_and_sizes(void **st)
{
	(void)st;
	retain_policy *p = load_file("ase.yaml");
	cv_retain_case c = { sizeof c, "c1", "R1", "placement", "archived", "2015-01-01", "2021-06-30", NULL };
	cv_retain_verdict a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0xff, sizeof b);
	a.size = b.size = sizeof a;
	assert_int_equal(policy_eval(p, &c, "2026-06-30", &a, NULL, 0), 0);
	assert_int_equal(policy_eval(p, &c, "2026-06-30", &b, NULL, 0), 0);
	assert_memory_equal(&a, &b, sizeof a);
	/* an older, smaller verdict: nothing written past its size */
	cv_retain_verdict s;
	memset(&s, 0x77, sizeof s);
	s.size = offsetof(cv_retain_verdict, final_action);
	assert_int_equal(policy_eval(p, &c, "2026-06-30", &s, NULL, 0), 0);
	assert_int_equal(s.action, CV_ACTION_ANONYMISE);
	unsigned char canary[sizeof s.final_action];
	memset(canary, 0x77, sizeof canary);
	assert_memory_equal(&s.final_action, canary, sizeof canary);
	/* size 0 means the whole current layout */
	memset(&s, 0, sizeof s);
	assert_int_equal(policy_eval(p, &c, "2026-06-30", &s, NULL, 0), 0);
	assert_string_equal(s.final_action, "anonymise");
	/* an older, smaller case: child_born not read, closure clock applies */
	cv_retain_case old = c;
	old.size = offsetof(cv_retain_case, child_born);
	old.child_born = "garbage";
	memset(&s, 0, sizeof s);
	assert_int_equal(policy_eval(p, &old, "2026-06-30", &s, NULL, 0), 0);
	/* a verdict too small to hold the action */
	s.size = 2;
	assert_int_equal(policy_eval(p, &c, "2026-06-30", &s, NULL, 0), CV_EINVAL);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_ase),
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_file_error_names_path),
		cmocka_unit_test(test_base_valid),
		cmocka_unit_test(test_err_unknown_action),
		cmocka_unit_test(test_err_unknown_category),
		cmocka_unit_test(test_err_category_twice),
		cmocka_unit_test(test_err_category_missing),
		cmocka_unit_test(test_err_bad_duration),
		cmocka_unit_test(test_err_duplicate_rule_id),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_duplicate_key),
		cmocka_unit_test(test_err_wrong_type),
		cmocka_unit_test(test_err_missing_field),
		cmocka_unit_test(test_err_permanent_conflicts),
		cmocka_unit_test(test_err_misc),
		cmocka_unit_test(test_err_deep_and_large),
		cmocka_unit_test(test_eval_active),
		cmocka_unit_test(test_eval_archived_boundary),
		cmocka_unit_test(test_eval_done_states),
		cmocka_unit_test(test_eval_permanent),
		cmocka_unit_test(test_eval_majority_clock),
		cmocka_unit_test(test_eval_leap_days),
		cmocka_unit_test(test_eval_destroy_vs_anonymise),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_eval_deterministic_and_sizes),
	};
	return cmocka_run_group_tests_name("retain.policy", tests, NULL, NULL);
}
