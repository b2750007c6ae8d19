/* The policy language of docs/policies.md: the YAML tree checked key by key and turned into a retain_policy. Every
 * refusal names the line and says what would be accepted. */
#include "policy_internal.h"

#include "util/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CLOCK_NAMES[] = { "closure", "later_of_closure_and_majority" };

static const char *kind_name(const node *n)
{
	return n->kind == N_SEQ ? "a list" : n->kind == N_MAP ? "a mapping" : "a single value";
}

/* A scalar that is empty (a key with nothing after it) counts as absent. */
static int is_null(const node *n)
{
	return n->kind == N_SCALAR && n->plain &&
		(n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
			!strcmp(n->str, "NULL"));
}

/* Checks the keys of a mapping: each a scalar, none twice, each in `known`
 * (comma-separated list, also used in the message). */
static int check_keys(ctx *c, const node *map, const char *where, const char *known)
{
	for (size_t i = 0; i < map->nkids; i += 2) {
		const node *k = map->kids[i];
		if (k->kind != N_SCALAR)
			return policy_fail(c, k->line, "%s: a key must be a single word, not %s", where, kind_name(k));
		size_t kl = strlen(k->str);
		int ok = 0;
		for (const char *p = known; *p;) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			if (l == kl && !strncmp(p, k->str, l) && kl == k->len)
				ok = 1;
			p += l;
			while (*p == ',' || *p == ' ')
				p++;
		}
		if (!ok)
			return policy_fail(c, k->line, "unknown key '%.64s' in %s (known: %s)", k->str, where, known);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(map->kids[j]->str, k->str))
				return policy_fail(c, k->line, "duplicate key '%s' in %s (first at line %d)", k->str, where,
					map->kids[j]->line);
	}
	return 0;
}

/* The value of key `key` in `map`, or NULL (absent or empty). */
static const node *get(const node *map, const char *key, const node **keynode)
{
	for (size_t i = 0; i + 1 < map->nkids; i += 2)
		if (!strcmp(map->kids[i]->str, key)) {
			if (keynode)
				*keynode = map->kids[i];
			return is_null(map->kids[i + 1]) ? NULL : map->kids[i + 1];
		}
	return NULL;
}

static int has_key(const node *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->nkids; i += 2)
		if (!strcmp(map->kids[i]->str, key))
			return map->kids[i]->line;
	return 0;
}

/* A text: a scalar of at most MAX_TEXT bytes, no NUL, no control
 * characters other than tab and newline. */
static int get_text(ctx *c, const node *v, const char *where, const char *key, char **out)
{
	if (v->kind != N_SCALAR)
		return policy_fail(c, v->line, "%s: '%s' must be text, not %s", where, key, kind_name(v));
	if (v->len > MAX_TEXT)
		return policy_fail(c, v->line, "%s: '%s' is longer than %d bytes", where, key, MAX_TEXT);
	for (size_t i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->str[i];
		if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			return policy_fail(c, v->line, "%s: '%s' holds a control character", where, key);
	}
	size_t n = v->len;
	while (n > 0 && (v->str[n - 1] == '\n' || v->str[n - 1] == ' '))
		n--; /* a block scalar ends with a newline */
	if (n == 0)
		return policy_fail(c, v->line, "%s: '%s' is empty", where, key);
	if (!(*out = malloc(n + 1)))
		return policy_oom(c);
	memcpy(*out, v->str, n);
	(*out)[n] = '\0';
	return 0;
}

/* An identifier: 1..64 of [A-Za-z0-9._-], starting with a letter or digit. */
static int get_ident(ctx *c, const node *v, const char *where, const char *key, char **out)
{
	if (v->kind != N_SCALAR)
		return policy_fail(c, v->line, "%s: '%s' must be a single word, not %s", where, key, kind_name(v));
	int ok = v->len >= 1 && v->len <= MAX_ID && strlen(v->str) == v->len;
	for (size_t i = 0; ok && i < v->len; i++) {
		char ch = v->str[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		ok = alnum || (i > 0 && (ch == '-' || ch == '_' || ch == '.'));
	}
	if (!ok)
		return policy_fail(c, v->line, "%s: bad %s '%.64s' (1 to %d letters, digits, '-', '_' or '.', starting with a letter or digit)",
			where, key, v->str, MAX_ID);
	if (!(*out = strdup(v->str)))
		return policy_oom(c);
	return 0;
}

static int get_clock(ctx *c, const node *v, const char *where, int *out)
{
	if (v->kind != N_SCALAR)
		return policy_fail(c, v->line, "%s: 'clock' must be a single word, not %s", where, kind_name(v));
	for (int i = 0; i < 2; i++)
		if (!strcmp(v->str, CLOCK_NAMES[i]) && strlen(CLOCK_NAMES[i]) == v->len) {
			*out = i;
			return 0;
		}
	return policy_fail(c, v->line, "unknown clock '%.64s' (known: closure, later_of_closure_and_majority)", v->str);
}

/* "5y", "6m", "30d", "5y6m", "1y2m3d": each part at most once, in that
 * order, each number at most 4 digits. Years and months become months. */
static int parse_duration(const char *s, size_t len, int *months, int *days)
{
	static const char units[] = "ymd";
	int next = 0, parts = 0;
	long y = 0, m = 0, d = 0;
	size_t i = 0;
	if (strlen(s) != len)
		return -1;
	while (i < len) {
		size_t start = i;
		long v = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 5)
			v = v * 10 + (s[i++] - '0');
		if (i == start || i - start > 4 || i >= len)
			return -1;
		const char *u = strchr(units + next, s[i]);
		if (!u || !s[i])
			return -1;
		next = (int)(u - units) + 1;
		if (*u == 'y')
			y = v;
		else if (*u == 'm')
			m = v;
		else
			d = v;
		i++;
		parts++;
	}
	if (!parts)
		return -1;
	*months = (int)(y * 12 + m);
	*days = (int)d;
	return 0;
}

static int is_action_word(const char *s)
{
	return !strcmp(s, "archive") || !strcmp(s, "anonymise") || !strcmp(s, "destroy") || !strcmp(s, "keep");
}

#define RULE_KEYS "id, categories, permanent, archive_at, final, after, clock, keep_redacted, source, note"
#define TOP_KEYS "policy, version, source, clock, note, rules"

/* "rule 'std'" once the id reads as one, "rule #2" before: errors found before the id is checked still name the rule
 * the way its author wrote it. */
static void rule_where(const node *m, size_t idx, char *where, size_t n)
{
	snprintf(where, n, "rule #%zu", idx + 1);
	for (size_t i = 0; i + 1 < m->nkids; i += 2) {
		const node *key = m->kids[i], *val = m->kids[i + 1];
		if (key->kind == N_SCALAR && !strcmp(key->str, "id") && val->kind == N_SCALAR && val->len > 0 &&
			val->len <= MAX_ID && strlen(val->str) == val->len &&
			strspn(val->str, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == val->len) {
			snprintf(where, n, "rule '%s'", val->str);
			return;
		}
	}
}

static int rule_id(ctx *c, const retain_policy *p, const node *m, size_t idx, const char *where, rule *r)
{
	const node *v;
	int rc;
	if (!(v = get(m, "id", NULL)))
		return policy_fail(c, m->line, "rule #%zu: missing required field 'id'", idx + 1);
	if ((rc = get_ident(c, v, where, "rule id", &r->id)))
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (!strcmp(p->rules[j].id, r->id))
			return policy_fail(c, v->line, "duplicate rule id '%s' (first at line %d)", r->id, p->rules[j].line);
	return 0;
}

static int rule_permanent(ctx *c, const node *m, const char *where, rule *r)
{
	const node *v = get(m, "permanent", NULL);
	if (!v)
		return 0;
	if (v->kind != N_SCALAR || !v->plain || (strcmp(v->str, "true") && strcmp(v->str, "false")))
		return policy_fail(c, v->line, "%s: 'permanent' must be true or false", where);
	r->permanent = !strcmp(v->str, "true");
	return 0;
}

/* Each category is covered by exactly one rule: cat_line remembers where, to name both lines of a conflict. */
static int rule_categories(ctx *c, retain_policy *p, const node *m, size_t idx, const char *where, int *cat_line)
{
	const rule *r = &p->rules[idx];
	const node *v = get(m, "categories", NULL);
	if (!v)
		return policy_fail(c, m->line, "%s: missing required field 'categories'", where);
	if (v->kind != N_SEQ)
		return policy_fail(c, v->line, "%s: 'categories' must be a list ([placement, ...]), not %s", where,
			kind_name(v));
	if (v->nkids == 0)
		return policy_fail(c, v->line, "%s: 'categories' is empty", where);
	for (size_t i = 0; i < v->nkids; i++) {
		const node *e = v->kids[i];
		if (e->kind != N_SCALAR)
			return policy_fail(c, e->line, "%s: each category must be a single word, not %s", where, kind_name(e));
		int ci = strlen(e->str) == e->len ? policy_cat_index(e->str) : -1;
		if (ci < 0) {
			char known[256];
			return policy_fail(c, e->line, "unknown category '%.64s' (known: %s)", e->str,
				policy_known_categories(known, sizeof known));
		}
		if (p->cat_rule[ci] == (int)idx)
			return policy_fail(c, e->line, "%s: category '%s' is listed twice (first at line %d)", where, e->str,
				cat_line[ci]);
		if (p->cat_rule[ci] >= 0)
			return policy_fail(c, e->line, "category '%s' is covered twice: by rule '%s' (line %d) and by rule '%s'",
				e->str, p->rules[p->cat_rule[ci]].id, cat_line[ci], r->id);
		p->cat_rule[ci] = (int)idx;
		cat_line[ci] = e->line;
	}
	return 0;
}

/* Every rule says where it comes from: the slip shows it. */
static int rule_source(ctx *c, const node *m, const char *where, rule *r)
{
	const node *v = get(m, "source", NULL);
	int rc;
	if (!v)
		return policy_fail(c, m->line, "%s: missing required field 'source' (the legal ground shown on the slip)",
			where);
	if ((rc = get_text(c, v, where, "source", &r->source)))
		return rc;
	if ((v = get(m, "note", NULL)) && v->kind != N_SCALAR)
		return policy_fail(c, v->line, "%s: 'note' must be text, not %s", where, kind_name(v));
	return 0;
}

/* A permanent rule with a delay or a final action is a contradiction the author must resolve, not one we pick for
 * them. */
static int rule_nothing_timed(ctx *c, const node *m, const char *where)
{
	static const char *const not_for_permanent[] = { "final", "after", "archive_at", "clock", "keep_redacted",
		NULL };
	for (int i = 0; not_for_permanent[i]; i++) {
		int line = has_key(m, not_for_permanent[i]);
		if (line)
			return policy_fail(c, line, "%s is permanent: '%s' does not apply (remove it, or set permanent: false)",
				where, not_for_permanent[i]);
	}
	return 0;
}

/* Only "closure", the published rule; the key exists so that a policy can say so. */
static int rule_archive_at(ctx *c, const node *m, const char *where)
{
	const node *v = get(m, "archive_at", NULL);
	if (!v)
		return 0;
	if (v->kind != N_SCALAR)
		return policy_fail(c, v->line, "%s: 'archive_at' must be a single word, not %s", where, kind_name(v));
	if (strcmp(v->str, "closure") || v->len != 7)
		return policy_fail(c, v->line, "unknown archive_at '%.64s' (known: closure)", v->str);
	return 0;
}

static int rule_final(ctx *c, const node *m, const char *where, rule *r)
{
	const node *v = get(m, "final", NULL);
	if (!v)
		return policy_fail(c, m->line,
			"%s: missing required field 'final' (anonymise or destroy; or permanent: true)", where);
	if (v->kind != N_SCALAR)
		return policy_fail(c, v->line, "%s: 'final' must be a single word, not %s", where, kind_name(v));
	if (!strcmp(v->str, "anonymise") && v->len == 9)
		r->final = CV_ACTION_ANONYMISE;
	else if (!strcmp(v->str, "destroy") && v->len == 7)
		r->final = CV_ACTION_DESTROY;
	else if (strlen(v->str) == v->len && is_action_word(v->str))
		return policy_fail(c, v->line, "%s: '%s' cannot be a final action (final: anonymise or destroy; "
			"to keep for ever, write permanent: true)", where, v->str);
	else if (!strcmp(v->str, "anonymize"))
		return policy_fail(c, v->line, "unknown action 'anonymize' (known: archive, anonymise, destroy, keep; "
			"the policy language spells it 'anonymise')");
	else
		return policy_fail(c, v->line, "unknown action '%.64s' (known: archive, anonymise, destroy, keep)", v->str);
	return 0;
}

static int rule_after(ctx *c, const node *m, const char *where, rule *r)
{
	const node *v = get(m, "after", NULL);
	if (!v)
		return policy_fail(c, m->line, "%s: missing required field 'after' (a duration such as 5y)", where);
	if (v->kind != N_SCALAR)
		return policy_fail(c, v->line, "%s: 'after' must be a duration such as 5y, not %s", where, kind_name(v));
	if (parse_duration(v->str, v->len, &r->months, &r->days))
		return policy_fail(c, v->line,
			"bad duration '%.64s' in 'after' of %s (years, months, days as in 5y, 6m, 30d, 5y6m)", v->str, where);
	return 0;
}

static int rule_keep_redacted(ctx *c, const node *m, const char *where, rule *r)
{
	const node *k = NULL, *v = get(m, "keep_redacted", &k);
	int rc;
	if (!v)
		return 0;
	if (v->kind != N_SEQ)
		return policy_fail(c, v->line,
			"%s: 'keep_redacted' must be a list of document types ([judgment, ...]), not %s", where, kind_name(v));
	if (r->final != CV_ACTION_ANONYMISE)
		return policy_fail(c, k->line,
			"%s: 'keep_redacted' applies only to final: anonymise (destroy keeps nothing)", where);
	if (!(r->keep = calloc(v->nkids ? v->nkids : 1, sizeof *r->keep)))
		return policy_oom(c);
	for (size_t i = 0; i < v->nkids; i++) {
		const node *e = v->kids[i];
		char *t = NULL;
		if ((rc = get_ident(c, e, where, "document type", &t)))
			return rc;
		for (size_t j = 0; j < r->nkeep; j++)
			if (!strcmp(r->keep[j], t)) {
				free(t);
				return policy_fail(c, e->line, "%s: document type '%s' is listed twice in keep_redacted", where,
					e->str);
			}
		r->keep[r->nkeep++] = t;
	}
	return 0;
}

/* The checks run in the order a reader meets the fields, so the first error reported is the first one to fix. */
static int check_rule(ctx *c, retain_policy *p, const node *m, size_t idx, int *cat_line)
{
	rule *r = &p->rules[idx];
	char where[MAX_ID + 32];
	const node *v;
	int rc;
	r->line = m->line;
	r->clock = CLOCK_INHERIT;
	if (m->kind != N_MAP)
		return policy_fail(c, m->line, "rule #%zu must be a mapping of keys (id, categories, ...), not %s", idx + 1,
			kind_name(m));
	rule_where(m, idx, where, sizeof where);
	if ((rc = check_keys(c, m, where, RULE_KEYS)) || (rc = rule_id(c, p, m, idx, where, r)))
		return rc;
	snprintf(where, sizeof where, "rule '%s'", r->id);
	if ((rc = rule_permanent(c, m, where, r)) || (rc = rule_categories(c, p, m, idx, where, cat_line)) ||
		(rc = rule_source(c, m, where, r)))
		return rc;
	if (r->permanent)
		return rule_nothing_timed(c, m, where);
	if ((rc = rule_archive_at(c, m, where)) || (rc = rule_final(c, m, where, r)) || (rc = rule_after(c, m, where, r)))
		return rc;
	if ((v = get(m, "clock", NULL)) && (rc = get_clock(c, v, where, &r->clock)))
		return rc;
	return rule_keep_redacted(c, m, where, r);
}

/* A version is a whole number as the author wrote it: "01" or "1.0" would read as another edition than meant. */
static int policy_edition(ctx *c, const node *v, int *out)
{
	int ok = v->kind == N_SCALAR && v->plain && v->len >= 1 && v->len <= 6 && v->str[0] != '0';
	for (size_t i = 0; ok && i < v->len; i++)
		ok = v->str[i] >= '0' && v->str[i] <= '9';
	if (!ok)
		return policy_fail(c, v->line, "'version' must be a whole number from 1 to 999999 (the policy's edition)");
	*out = atoi(v->str);
	return 0;
}

static int check_rules(ctx *c, const node *v, const node *k, retain_policy *p)
{
	int rc, cat_line[MAX_CATS];
	if (v->kind != N_SEQ)
		return policy_fail(c, v->line, "'rules' must be a list of rules (each line starting with '- '), not %s",
			kind_name(v));
	if (v->nkids == 0)
		return policy_fail(c, v->line, "'rules' is empty");
	if (!(p->rules = calloc(v->nkids, sizeof *p->rules)))
		return policy_oom(c);
	for (int i = 0; i < MAX_CATS; i++)
		p->cat_rule[i] = -1, cat_line[i] = 0;
	for (size_t i = 0; i < v->nkids; i++) {
		p->nrules = i + 1;
		if ((rc = check_rule(c, p, v->kids[i], i, cat_line)))
			return rc;
	}
	for (int i = 0; cv__category_codes[i]; i++)
		if (p->cat_rule[i] < 0)
			return policy_fail(c, k->line,
				"category '%s' is covered by no rule (each category of bundle.md needs exactly one)",
				cv__category_codes[i]);
	return 0;
}

int policy_check_tree(ctx *c, const node *root, retain_policy *p)
{
	const node *v, *k = NULL;
	int rc;
	size_t ncats = 0;
	while (cv__category_codes[ncats])
		ncats++;
	if (ncats > MAX_CATS)
		return policy_fail(c, 1, "the vocabulary has %zu categories, this plugin at most %d: rebuild it with a "
			"larger MAX_CATS", ncats, MAX_CATS);
	if (!root)
		return policy_fail(c, 1, "empty policy (expected keys: %s)", TOP_KEYS);
	if (root->kind != N_MAP)
		return policy_fail(c, root->line, "a policy must be a mapping of keys (%s), not %s", TOP_KEYS,
			kind_name(root));
	if ((rc = check_keys(c, root, "the policy", TOP_KEYS)))
		return rc;
	if (!(v = get(root, "policy", NULL)))
		return policy_fail(c, root->line, "missing required field 'policy' (the policy's name)");
	if ((rc = get_ident(c, v, "the policy", "policy name", &p->name)))
		return rc;
	if (!(v = get(root, "version", NULL)))
		return policy_fail(c, root->line, "missing required field 'version' (the policy's edition: 1, 2, ...)");
	if ((rc = policy_edition(c, v, &p->version)))
		return rc;
	if ((v = get(root, "source", NULL)) && (rc = get_text(c, v, "the policy", "source", &p->source)))
		return rc;
	if ((v = get(root, "note", NULL)) && v->kind != N_SCALAR)
		return policy_fail(c, v->line, "the policy: 'note' must be text, not %s", kind_name(v));
	p->clock = CLOCK_CLOSURE;
	if ((v = get(root, "clock", NULL)) && (rc = get_clock(c, v, "the policy", &p->clock)))
		return rc;
	if (!(v = get(root, "rules", &k)))
		return policy_fail(c, root->line, "missing required field 'rules'");
	return check_rules(c, v, k, p);
}
