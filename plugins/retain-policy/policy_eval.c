/* The verdict for one case at one date: a pure function of (policy, case, as-of date), with no clock, locale or
 * global state, so that a sweep plan can be recomputed and checked. Dates follow the core's calendar (util/date.h). */
#include "policy_internal.h"

#include "util/date.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A field of the case when the caller's layout has it (size 0 = all). */
#define CASE_HAS(c, f) ((c)->size == 0 || (c)->size >= offsetof(cv_retain_case, f) + sizeof((c)->f))

enum { ST_ACTIVE, ST_ARCHIVED, ST_ANONYMISED, ST_DESTROYED };

int policy_date_add(char out[11], const char *in, int months, int days)
{
	char mid[11];
	/* past these, every result is after 9999; refusing them here also keeps the month count from overflowing */
	if (months < 0 || days < 0 || months > 12 * 9999 || days > 366 * 9999)
		return -1;
	if (cv__date_add_months(mid, in, months))
		return -1;
	return cv__date_add_days(out, mid, days);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int eval_fail(char *err, size_t errlen, const cv_retain_case *c, const char *fmt, ...)
{
	if (err && errlen) {
		char msg[POLICY_ERR_MAX];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		const char *who = c && CASE_HAS(c, ref) && c->ref ? c->ref : c && c->id ? c->id : "?";
		snprintf(err, errlen, "case %s: %s", who, msg);
	}
	return CV_EINVAL;
}

static const char *opt_date(const char *v)
{
	return v && *v ? v : NULL; /* "" counts as absent */
}

/* The rule and state of a case whose fields all make sense, or the first one that does not. */
static int eval_inputs(const retain_policy *p, const cv_retain_case *c, const char *as_of, const rule **r, int *st,
	char *err, size_t errlen)
{
	static const char *const STATES[] = { "active", "archived", "anonymised", "destroyed" };
	const char *closed = CASE_HAS(c, closed) ? opt_date(c->closed) : NULL;
	const char *born = CASE_HAS(c, child_born) ? opt_date(c->child_born) : NULL;
	if (!as_of || !cv__date_valid(as_of))
		return eval_fail(err, errlen, c, "invalid as-of date '%.32s' (YYYY-MM-DD)", as_of ? as_of : "(null)");
	if (!c->category)
		return eval_fail(err, errlen, c, "no category");
	int ci = policy_cat_index(c->category);
	if (ci < 0 || p->cat_rule[ci] < 0) {
		char known[256];
		return eval_fail(err, errlen, c, "category '%.64s' is covered by no rule of policy %s (known: %s)",
			c->category, p->name, policy_known_categories(known, sizeof known));
	}
	*r = &p->rules[p->cat_rule[ci]];
	*st = -1;
	for (int i = 0; c->state && i < 4; i++)
		if (!strcmp(c->state, STATES[i]))
			*st = i;
	if (*st < 0)
		return eval_fail(err, errlen, c, "unknown state '%.32s' (known: active, archived, anonymised, destroyed)",
			c->state ? c->state : "(null)");
	if (closed && !cv__date_valid(closed))
		return eval_fail(err, errlen, c, "invalid closure date '%.32s'", closed);
	if (born && !cv__date_valid(born))
		return eval_fail(err, errlen, c, "invalid birth date of the child '%.32s'", born);
	return 0;
}

/* What a rule with a delay says: an open case is kept; a closed active one is archived from its closure; an
 * archived one meets its final action `after` the clock's start. Anonymised or destroyed: nothing left to do.
 * Valid ISO dates compare as strings. */
static int eval_timed(const retain_policy *p, const rule *r, const cv_retain_case *c, int st, const char *as_of,
	cv_retain_verdict *v, char *err, size_t errlen)
{
	const char *closed = CASE_HAS(c, closed) ? opt_date(c->closed) : NULL;
	const char *born = CASE_HAS(c, child_born) ? opt_date(c->child_born) : NULL;
	if (st == ST_ACTIVE && closed) {
		memcpy(v->due, closed, 11);
		if (strcmp(as_of, closed) >= 0)
			v->action = CV_ACTION_ARCHIVE;
	} else if (st == ST_ARCHIVED) {
		if (!closed)
			return eval_fail(err, errlen, c, "archived but has no closure date: the retention clock cannot start");
		char start[11], due[11];
		memcpy(start, closed, 11);
		int clock = r->clock == CLOCK_INHERIT ? p->clock : r->clock;
		if (clock == CLOCK_MAJORITY && born) {
			char major[11];
			if (policy_date_add(major, born, MAJORITY_MONTHS, 0))
				return eval_fail(err, errlen, c, "the child's 18th birthday is past year 9999");
			if (strcmp(major, start) > 0)
				memcpy(start, major, 11);
		}
		if (policy_date_add(due, start, r->months, r->days))
			return eval_fail(err, errlen, c, "rule %s: due date past year 9999", r->id);
		memcpy(v->due, due, 11);
		if (strcmp(as_of, due) >= 0)
			v->action = r->final;
	}
	return 0;
}

int policy_eval(const retain_policy *p, const cv_retain_case *c, const char *as_of, cv_retain_verdict *out,
	char *err, size_t errlen)
{
	cv_retain_verdict v;
	const rule *r = NULL;
	int st = -1, rc;
	if (err && errlen)
		err[0] = '\0';
	if (!p || !c || !out)
		return eval_fail(err, errlen, c, "no policy, case or verdict");
	if (out->size && out->size < offsetof(cv_retain_verdict, rule))
		return eval_fail(err, errlen, c, "verdict structure too small (%zu bytes)", out->size);
	if (!CASE_HAS(c, state))
		return eval_fail(err, errlen, c, "case structure too small (%zu bytes)", c->size);
	if ((rc = eval_inputs(p, c, as_of, &r, &st, err, errlen)))
		return rc;
	memset(&v, 0, sizeof v);
	v.action = CV_ACTION_KEEP;
	v.rule = r->id;
	v.source = r->source;
	if (r->permanent) {
		v.permanent = 1;
	} else {
		v.final_action = r->final == CV_ACTION_DESTROY ? "destroy" : "anonymise";
		v.keep_redacted = (const char *const *)r->keep;
		v.nkeep_redacted = r->nkeep;
		if ((rc = eval_timed(p, r, c, st, as_of, &v, err, errlen)))
			return rc;
	}
	size_t n = out->size && out->size < sizeof v ? out->size : sizeof v;
	v.size = n;
	memcpy(out, &v, n);
	return 0;
}
