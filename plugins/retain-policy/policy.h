/* Retention policies in YAML (docs/policies.md): parsing, validation and
 * evaluation, in plain C with no host table, so that unit tests, fuzzers and
 * the core itself can use them without dlopen (link policy.c, policy_tree.c,
 * policy_rules.c, policy_eval.c, libyaml and casevault_util). The plugin
 * (plugin.c) is a thin wrapper around these functions.
 *
 * Every parse error names the file and the line:
 *   "policies/x.yaml:12: unknown action 'delete' (known: archive, anonymise, destroy, keep)"
 * Evaluation is a pure function of (policy, case, as-of date): no clock, no
 * locale, no global state. A parsed policy is immutable and may be shared by
 * threads. */
#ifndef CV_RETAIN_POLICY_H
#define CV_RETAIN_POLICY_H

#include <casevault/plugin.h>

#include <stddef.h>

/** Longest accepted policy file, in bytes. */
#define POLICY_MAX_BYTES (1024 * 1024)
/** Room for one error message; longer ones are cut. */
#define POLICY_ERR_MAX 512

typedef struct retain_policy retain_policy;

/** Parse and validate `len` bytes of YAML. `name` is the file name used in
 * error messages ("policies/ase.yaml"; "<buffer>" when NULL). On success
 * *out is a new policy to free with policy_free. On failure returns a
 * negative CV_E* code (CV_EINVAL for a bad policy, CV_ENOMEM), *out is NULL,
 * and `err` (when not NULL) holds "name:line: what is wrong". */
int policy_parse_buffer(const char *buf, size_t len, const char *name, retain_policy **out, char *err, size_t errlen);

/** Read `path` and parse it as policy_parse_buffer does, naming `path` in
 * errors. CV_ENOTFOUND when the file cannot be opened, CV_ERROR on a read
 * error. */
int policy_parse_file(const char *path, retain_policy **out, char *err, size_t errlen);

/** The verdict for case `c` at `as_of` (YYYY-MM-DD), as the retention ABI
 * defines it (include/casevault/plugin.h, docs/policies.md "Verdicts").
 * `out->size` says how much of the verdict the caller knows (0 = all of
 * it). Returns 0, or CV_EINVAL with `err` set for an unknown category or
 * state, an invalid date, or an archived case without a closure date.
 * Strings in the verdict point into the policy and live as long as it. */
int policy_eval(const retain_policy *p, const cv_retain_case *c, const char *as_of, cv_retain_verdict *out, char *err,
	size_t errlen);

void policy_free(retain_policy *p);

/** The policy's name ("ase-default"), its edition number, and its rules. */
const char *policy_name(const retain_policy *p);
int policy_version(const retain_policy *p);
size_t policy_nrules(const retain_policy *p);
/** Rule id of the i-th rule, in file order (NULL past the end). */
const char *policy_rule_id(const retain_policy *p, size_t i);
/** The rule that covers `category`, as its index, or -1. */
int policy_rule_for(const retain_policy *p, const char *category);

/** A rule's delay as the evaluator applies it, exposed for tests: `in` plus
 * `months` months (the day kept, or the month's last day when it does not
 * exist: 2024-02-29 + 12 months = 2025-02-28), then plus `days` days, both
 * at least 0. Returns 0, or -1 for an invalid date or a result outside the
 * core's calendar (1800..9999, util/date.h, which also says what a valid
 * date is: cv__date_valid). */
int policy_date_add(char out[11], const char *in, int months, int days);

/* The categories a policy must cover are the vocabulary's (cv__category_codes,
 * util/vocab.h, linked from the casevault_util library). */

#endif
