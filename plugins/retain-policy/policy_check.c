/* retain-policy-check: check a retention policy file and show what it says,
 * without an archive. For the archivist writing a département's policy.
 *
 *   retain-policy-check FILE
 *       checks FILE; prints each category with its rule, or the first error
 *       ("FILE:LINE: what is wrong") and exits 1.
 *   retain-policy-check FILE CATEGORY STATE CLOSED|- BORN|- AS_OF
 *       also prints the verdict for one case ("-" = no date).
 *
 * Exit status: 0 valid, 1 invalid policy or case, 2 usage. */
#include "policy.h"

#include "util/vocab.h"

#include <stdio.h>
#include <string.h>

static const char *const ACTIONS[] = { "keep", "archive", "anonymise", "destroy" };

int main(int argc, char **argv)
{
	char err[POLICY_ERR_MAX];
	retain_policy *p = NULL;
	if (argc != 2 && argc != 7) {
		fprintf(stderr, "usage: %s FILE [CATEGORY STATE CLOSED|- BORN|- AS_OF]\n", argv[0]);
		return 2;
	}
	int rc = policy_parse_file(argv[1], &p, err, sizeof err);
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("policy %s, edition %d: valid, %zu rules\n", policy_name(p), policy_version(p), policy_nrules(p));
	for (size_t i = 0; cv__category_codes[i]; i++) {
		cv_retain_case c = { sizeof c, "check", "check", cv__category_codes[i], "archived", NULL, "2000-01-01", NULL };
		cv_retain_verdict v = { sizeof v };
		if (policy_eval(p, &c, "2000-01-01", &v, err, sizeof err) == 0)
			printf("  %-26s rule %-24s %s\n", cv__category_codes[i], v.rule,
				v.permanent ? "permanent" : v.final_action);
	}
	if (argc == 7) {
		cv_retain_case c = { sizeof c, "check", "check", argv[2], argv[3], NULL,
			strcmp(argv[4], "-") ? argv[4] : NULL, strcmp(argv[5], "-") ? argv[5] : NULL };
		cv_retain_verdict v = { sizeof v };
		if (policy_eval(p, &c, argv[6], &v, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			policy_free(p);
			return 1;
		}
		printf("verdict at %s: %s, due %s, rule %s%s\n  source: %s\n", argv[6], ACTIONS[v.action],
			v.due[0] ? v.due : "never", v.rule, v.permanent ? " (permanent)" : "", v.source);
		if (v.nkeep_redacted) {
			printf("  kept redacted at anonymisation:");
			for (size_t i = 0; i < v.nkeep_redacted; i++)
				printf(" %s", v.keep_redacted[i]);
			printf("\n");
		}
	}
	policy_free(p);
	return 0;
}
