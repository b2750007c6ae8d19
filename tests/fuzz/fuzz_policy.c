/* libFuzzer target: the YAML retention policy parser and the evaluator of
 * plugins/retain-policy, compiled in directly, plus the plugin's ABI glue
 * driven through a tiny fake host.
 *
 * Every input is parsed from memory. A parse error must name the file and a
 * line ("fuzz.yaml:N: ..."). A policy that parses is evaluated over a grid
 * of cases and dates, twice, and the verdicts must be identical and
 * consistent with docs/policies.md (a permanent rule keeps, a final action
 * only on an archived case, an archive only on an active one, due dates
 * valid or empty).
 *
 * Build: CC=clang cmake -S . -B build-fuzz -DCV_FUZZ=ON && cmake --build build-fuzz --target fuzz_policy
 * Run:   build-fuzz/tests/fuzz_policy -max_total_time=60 tests/fuzz/corpus/policy */
#include "retain-policy/policy.c"
#include "retain-policy/policy_tree.c"
#include "retain-policy/policy_rules.c"
#include "retain-policy/policy_eval.c"
#include "retain-policy/plugin.c"

#include "fake_host.h"

#include <stdint.h>
#include <stdlib.h>

struct cv_plugin {
	int declared;
	const cv_retain_ops *ops;
};

static int fk_declare(cv_plugin *self, const cv_plugin_info *info)
{
	(void)info;
	self->declared = 1;
	return 0;
}

static int fk_register_retain(cv_plugin *self, const cv_retain_ops *ops)
{
	self->ops = ops;
	return 0;
}

static cv_host fk_host;
static cv_plugin fk_self;

static void fk_init(void)
{
	if (fk_self.declared)
		return;
	fake_host_init(&fk_host);
	fk_host.declare = fk_declare;
	fk_host.register_retain = fk_register_retain;
	if (casevault_plugin_entry(&fk_self, &fk_host) || !fk_self.ops)
		abort();
}

/* the vocabulary's categories, then one that is none */
static const char *f_category(size_t i)
{
	for (size_t k = 0; cv__category_codes[k]; k++)
		if (k == i)
			return cv__category_codes[k];
	return "bogus";
}
static const char *const F_STATES[] = { "active", "archived", "anonymised", "destroyed", "closed" };
static const char *const F_CLOSED[] = { NULL, "2021-06-30", "2024-02-29", "9998-12-31" };
static const char *const F_BORN[] = { NULL, "2010-05-01", "2008-02-29" };
static const char *const F_ASOF[] = { "2021-06-29", "2026-06-30", "9999-12-31" };

static void check_verdict(const retain_policy *p, const cv_retain_case *c, const char *as_of)
{
	cv_retain_verdict a, b;
	char ea[POLICY_ERR_MAX];
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	int ra = policy_eval(p, c, as_of, &a, ea, sizeof ea);
	int rb = fk_self.ops->policy_evaluate((void *)p, c, as_of, &b);
	if (ra != rb)
		abort();
	if (ra) {
		if (ra != CV_EINVAL || strncmp(ea, "case ", 5))
			abort();
		return;
	}
	if (memcmp(&a, &b, sizeof a)) /* the same inputs give the same verdict */
		abort();
	if (a.action < CV_ACTION_KEEP || a.action > CV_ACTION_DESTROY || !a.rule || !a.source)
		abort();
	if (a.due[0] && !cv__date_valid(a.due))
		abort();
	if (a.permanent && (a.action != CV_ACTION_KEEP || a.due[0] || a.final_action))
		abort();
	if (!a.permanent && (!a.final_action || (strcmp(a.final_action, "anonymise") && strcmp(a.final_action, "destroy"))))
		abort();
	if (a.action == CV_ACTION_ARCHIVE && strcmp(c->state, "active"))
		abort();
	if ((a.action == CV_ACTION_ANONYMISE || a.action == CV_ACTION_DESTROY) &&
		(strcmp(c->state, "archived") || strcmp(a.final_action, a.action == CV_ACTION_DESTROY ? "destroy" : "anonymise")))
		abort();
	if (a.action != CV_ACTION_KEEP && strcmp(a.due, as_of) > 0) /* nothing is done before it is due */
		abort();
	if (a.nkeep_redacted && (!a.keep_redacted || !a.keep_redacted[a.nkeep_redacted - 1]))
		abort();
	if (policy_rule_for(p, c->category) < 0 || strcmp(policy_rule_id(p, (size_t)policy_rule_for(p, c->category)), a.rule))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[POLICY_ERR_MAX];
	retain_policy *p = NULL;
	fk_init();
	int rc = policy_parse_buffer((const char *)data, size, "fuzz.yaml", &p, err, sizeof err);
	if (rc) {
		/* every error names the file and a line */
		if (p || (rc != CV_EINVAL && rc != CV_ENOMEM))
			abort();
		if (rc == CV_EINVAL) {
			const char *q = err + strlen("fuzz.yaml:");
			if (strncmp(err, "fuzz.yaml:", 10) || *q < '1' || *q > '9')
				abort();
			while (*q >= '0' && *q <= '9')
				q++;
			if (q[0] != ':' || q[1] != ' ' || !q[2])
				abort();
		}
		return 0;
	}
	/* a valid policy covers every category once */
	for (size_t i = 0; cv__category_codes[i]; i++)
		if (policy_rule_for(p, cv__category_codes[i]) < 0)
			abort();
	if (!policy_name(p) || policy_version(p) < 1 || policy_nrules(p) < 1)
		abort();
	size_t ncats = 0;
	while (cv__category_codes[ncats])
		ncats++;
	for (size_t ci = 0; ci <= ncats; ci++)
		for (size_t si = 0; si < sizeof F_STATES / sizeof *F_STATES; si++)
			for (size_t k = 0; k < sizeof F_CLOSED / sizeof *F_CLOSED; k++)
				for (size_t bi = 0; bi < sizeof F_BORN / sizeof *F_BORN; bi++)
					for (size_t ai = 0; ai < sizeof F_ASOF / sizeof *F_ASOF; ai++) {
						cv_retain_case c = { sizeof c, "c1", "REF", f_category(ci), F_STATES[si], "2015-01-01",
							F_CLOSED[k], F_BORN[bi] };
						check_verdict(p, &c, F_ASOF[ai]);
					}
	policy_free(p);
	return 0;
}
