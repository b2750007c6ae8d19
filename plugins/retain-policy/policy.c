/* Retention policies: YAML (libyaml event API) to a small tree, the tree
 * checked against the policy language of docs/policies.md, and the
 * evaluator. See policy.h.
 *
 * The YAML reader keeps to what an archivist needs and refuses the rest with
 * a line number: one document, mappings, sequences and scalars; no anchors,
 * aliases or tags (they would let one line stand for another, which a
 * reviewer of the policy could miss); duplicate keys are errors (YAML says
 * so, libyaml does not check). */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

const char *const policy_categories[] = {
	"prevention", "information_preoccupante", "aide_educative", "placement",
	"jeune_majeur", "pupille", "adoption", "secret_birth", NULL,
};
#define NCATS 8
/* The same list, sorted, for messages. */
static const char KNOWN_CATS[] =
	"adoption, aide_educative, information_preoccupante, jeune_majeur, placement, prevention, pupille, secret_birth";

enum { CLOCK_INHERIT = -1, CLOCK_CLOSURE = 0, CLOCK_MAJORITY = 1 };
static const char *const CLOCK_NAMES[] = { "closure", "later_of_closure_and_majority" };

#define MAX_DEPTH 32
#define MAX_NODES 20000
#define MAX_TEXT 4000   /* a source or description, in bytes */
#define MAX_ID 64
#define MAJORITY_MONTHS (18 * 12)

/* ------------------------------------------------------------------ */
/* Dates                                                               */

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static int date_parse(const char *s, int *y, int *m, int *d)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > mdays(*y, *m))
		return -1;
	return 0;
}

int policy_date_valid(const char *s)
{
	int y, m, d;
	return date_parse(s, &y, &m, &d) == 0;
}

static long date_key(int y, int m, int d)
{
	return (long)y * 10000 + m * 100 + d;
}

int policy_date_add(char out[11], const char *in, int months, int days)
{
	int y, m, d;
	if (date_parse(in, &y, &m, &d) || months < 0 || days < 0)
		return -1;
	long total = (long)y * 12 + (m - 1) + months;
	if (total / 12 > 9999)
		return -1;
	y = (int)(total / 12);
	m = (int)(total % 12) + 1;
	if (d > mdays(y, m))
		d = mdays(y, m);
	while (days > 0) {
		int left = mdays(y, m) - d; /* days left in this month */
		if (days <= left) {
			d += days;
			break;
		}
		days -= left + 1;
		d = 1;
		if (++m > 12) {
			m = 1;
			if (++y > 9999)
				return -1;
		}
	}
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The policy                                                          */

typedef struct rule {
	char *id;
	int line;
	int permanent;
	int final;           /* CV_ACTION_ANONYMISE or CV_ACTION_DESTROY */
	int months, days;    /* after */
	int clock;           /* CLOCK_INHERIT or a CLOCK_* */
	char *source;
	char **keep;         /* keep_redacted */
	size_t nkeep;
} rule;

struct retain_policy {
	char *name;
	int version;
	char *source;
	int clock;
	rule *rules;
	size_t nrules;
	int cat_rule[NCATS]; /* index of the rule covering each category */
};

static void rule_clear(rule *r)
{
	free(r->id);
	free(r->source);
	for (size_t i = 0; i < r->nkeep; i++)
		free(r->keep[i]);
	free(r->keep);
}

void policy_free(retain_policy *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->source);
	for (size_t i = 0; i < p->nrules; i++)
		rule_clear(&p->rules[i]);
	free(p->rules);
	free(p);
}

const char *policy_name(const retain_policy *p)
{
	return p ? p->name : NULL;
}

int policy_version(const retain_policy *p)
{
	return p ? p->version : 0;
}

size_t policy_nrules(const retain_policy *p)
{
	return p ? p->nrules : 0;
}

const char *policy_rule_id(const retain_policy *p, size_t i)
{
	return p && i < p->nrules ? p->rules[i].id : NULL;
}

static int cat_index(const char *s)
{
	for (int i = 0; i < NCATS; i++)
		if (!strcmp(policy_categories[i], s))
			return i;
	return -1;
}

int policy_rule_for(const retain_policy *p, const char *category)
{
	int c = p && category ? cat_index(category) : -1;
	return c < 0 ? -1 : p->cat_rule[c];
}

/* ------------------------------------------------------------------ */
/* YAML to a tree                                                      */

enum { N_SCALAR, N_SEQ, N_MAP };

typedef struct node {
	int kind;
	int line;            /* 1-based */
	int plain;           /* scalar written without quotes or block style */
	char *str;           /* scalar text, NUL-terminated */
	size_t len;
	struct node **kids;  /* sequence items; mapping keys and values, alternating */
	size_t nkids, cap;
} node;

typedef struct ctx {
	const char *name;
	char *err;
	size_t errlen;
	int failed;
	size_t nnodes;
} ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(ctx *c, int line, const char *fmt, ...)
{
	if (c->failed) /* the first error is the one reported */
		return CV_EINVAL;
	c->failed = 1;
	if (c->err && c->errlen) {
		char msg[POLICY_ERR_MAX];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "%s:%d: %s", c->name, line, msg);
	}
	return CV_EINVAL;
}

static int oom(ctx *c)
{
	if (!c->failed && c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	c->failed = 1;
	return CV_ENOMEM;
}

static void node_free(node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static node *node_new(ctx *c, int kind, int line)
{
	if (++c->nnodes > MAX_NODES) {
		fail(c, line, "policy too large (more than %d YAML nodes)", MAX_NODES);
		return NULL;
	}
	node *n = calloc(1, sizeof *n);
	if (!n)
		oom(c);
	else {
		n->kind = kind;
		n->line = line;
	}
	return n;
}

static int node_add(ctx *c, node *parent, node *kid)
{
	if (parent->nkids == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		node **k = realloc(parent->kids, cap * sizeof *k);
		if (!k)
			return oom(c);
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

static const char *event_what(yaml_event_type_t t)
{
	return t == YAML_ALIAS_EVENT ? "alias" : t == YAML_SCALAR_EVENT ? "value"
		: t == YAML_SEQUENCE_START_EVENT ? "list" : "mapping";
}

/* Builds the tree of the one document in `buf`. */
static int load_tree(ctx *c, const char *buf, size_t len, node **root)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	node *stack[MAX_DEPTH + 1];
	int depth = 0, docs = 0, rc = 0, done = 0;
	*root = NULL;
	if (!yaml_parser_initialize(&ps))
		return oom(c);
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&ps, &ev)) {
			int line = (int)ps.problem_mark.line + 1;
			if (ps.error == YAML_MEMORY_ERROR)
				rc = oom(c);
			else if (ps.context)
				rc = fail(c, line, "YAML syntax error: %s %s (line %d)", ps.problem ? ps.problem : "error",
					ps.context, (int)ps.context_mark.line + 1);
			else
				rc = fail(c, line, "YAML syntax error: %s", ps.problem ? ps.problem : "unreadable input");
			break;
		}
		int line = (int)ev.start_mark.line + 1;
		node *n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = fail(c, line, "a policy file holds one YAML document (found a second '---')");
			break;
		case YAML_ALIAS_EVENT:
			rc = fail(c, line, "aliases (*%s) are not allowed in a policy: write the value out",
				(const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const unsigned char *anchor = ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.anchor
				: ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
				: ev.data.mapping_start.anchor;
			const unsigned char *tag = ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.tag
				: ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.tag
				: ev.data.mapping_start.tag;
			if (anchor) {
				rc = fail(c, line, "anchors (&%s) are not allowed in a policy: write the value out",
					(const char *)anchor);
				break;
			}
			if (tag) {
				rc = fail(c, line, "YAML tags (%s) are not allowed in a policy", (const char *)tag);
				break;
			}
			if (ev.type == YAML_SCALAR_EVENT) {
				if (!(n = node_new(c, N_SCALAR, line))) {
					rc = c->failed ? CV_EINVAL : CV_ENOMEM;
					break;
				}
				n->len = ev.data.scalar.length;
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				if (!(n->str = malloc(n->len + 1))) {
					node_free(n);
					rc = oom(c);
					break;
				}
				memcpy(n->str, ev.data.scalar.value, n->len);
				n->str[n->len] = '\0';
			} else {
				if (depth >= MAX_DEPTH) {
					rc = fail(c, line, "%s nested too deeply", event_what(ev.type));
					break;
				}
				if (!(n = node_new(c, ev.type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP, line))) {
					rc = c->failed ? CV_EINVAL : CV_ENOMEM;
					break;
				}
			}
			if (depth == 0) {
				if (*root) { /* cannot happen with one document; be safe */
					node_free(n);
					rc = fail(c, line, "a policy file holds one YAML document");
					break;
				}
				*root = n;
			} else if ((rc = node_add(c, stack[depth - 1], n))) {
				node_free(n);
				break;
			}
			if (n->kind != N_SCALAR)
				stack[depth++] = n;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&ps);
	if (rc) {
		node_free(*root);
		*root = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Checking the tree                                                   */

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
			return fail(c, k->line, "%s: a key must be a single word, not %s", where, kind_name(k));
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
			return fail(c, k->line, "unknown key '%.64s' in %s (known: %s)", k->str, where, known);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(map->kids[j]->str, k->str))
				return fail(c, k->line, "duplicate key '%s' in %s (first at line %d)", k->str, where,
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
		return fail(c, v->line, "%s: '%s' must be text, not %s", where, key, kind_name(v));
	if (v->len > MAX_TEXT)
		return fail(c, v->line, "%s: '%s' is longer than %d bytes", where, key, MAX_TEXT);
	for (size_t i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->str[i];
		if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			return fail(c, v->line, "%s: '%s' holds a control character", where, key);
	}
	size_t n = v->len;
	while (n > 0 && (v->str[n - 1] == '\n' || v->str[n - 1] == ' '))
		n--; /* a block scalar ends with a newline */
	if (n == 0)
		return fail(c, v->line, "%s: '%s' is empty", where, key);
	if (!(*out = malloc(n + 1)))
		return oom(c);
	memcpy(*out, v->str, n);
	(*out)[n] = '\0';
	return 0;
}

/* An identifier: 1..64 of [A-Za-z0-9._-], starting with a letter or digit. */
static int get_ident(ctx *c, const node *v, const char *where, const char *key, char **out)
{
	if (v->kind != N_SCALAR)
		return fail(c, v->line, "%s: '%s' must be a single word, not %s", where, key, kind_name(v));
	int ok = v->len >= 1 && v->len <= MAX_ID && strlen(v->str) == v->len;
	for (size_t i = 0; ok && i < v->len; i++) {
		char ch = v->str[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		ok = alnum || (i > 0 && (ch == '-' || ch == '_' || ch == '.'));
	}
	if (!ok)
		return fail(c, v->line, "%s: bad %s '%.64s' (1 to %d letters, digits, '-', '_' or '.', starting with a letter or digit)",
			where, key, v->str, MAX_ID);
	if (!(*out = strdup(v->str)))
		return oom(c);
	return 0;
}

static int get_clock(ctx *c, const node *v, const char *where, int *out)
{
	if (v->kind != N_SCALAR)
		return fail(c, v->line, "%s: 'clock' must be a single word, not %s", where, kind_name(v));
	for (int i = 0; i < 2; i++)
		if (!strcmp(v->str, CLOCK_NAMES[i]) && strlen(CLOCK_NAMES[i]) == v->len) {
			*out = i;
			return 0;
		}
	return fail(c, v->line, "unknown clock '%.64s' (known: closure, later_of_closure_and_majority)", v->str);
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

static int check_rule(ctx *c, retain_policy *p, const node *m, size_t idx, int cat_line[NCATS])
{
	rule *r = &p->rules[idx];
	char where[MAX_ID + 32];
	const node *v, *k = NULL;
	int rc;
	r->line = m->line;
	r->clock = CLOCK_INHERIT;
	if (m->kind != N_MAP)
		return fail(c, m->line, "rule #%zu must be a mapping of keys (id, categories, ...), not %s", idx + 1,
			kind_name(m));
	snprintf(where, sizeof where, "rule #%zu", idx + 1);
	for (size_t i = 0; i + 1 < m->nkids; i += 2) { /* name the rule by its id even before checking it */
		const node *key = m->kids[i], *val = m->kids[i + 1];
		if (key->kind == N_SCALAR && !strcmp(key->str, "id") && val->kind == N_SCALAR && val->len > 0 &&
			val->len <= MAX_ID && strlen(val->str) == val->len &&
			strspn(val->str, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == val->len) {
			snprintf(where, sizeof where, "rule '%s'", val->str);
			break;
		}
	}
	if ((rc = check_keys(c, m, where, RULE_KEYS)))
		return rc;
	if (!(v = get(m, "id", NULL)))
		return fail(c, m->line, "rule #%zu: missing required field 'id'", idx + 1);
	if ((rc = get_ident(c, v, where, "rule id", &r->id)))
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (!strcmp(p->rules[j].id, r->id))
			return fail(c, v->line, "duplicate rule id '%s' (first at line %d)", r->id, p->rules[j].line);
	snprintf(where, sizeof where, "rule '%s'", r->id);

	/* permanent */
	if ((v = get(m, "permanent", NULL))) {
		if (v->kind != N_SCALAR || !v->plain || (strcmp(v->str, "true") && strcmp(v->str, "false")))
			return fail(c, v->line, "%s: 'permanent' must be true or false", where);
		r->permanent = !strcmp(v->str, "true");
	}

	/* categories */
	if (!(v = get(m, "categories", NULL)))
		return fail(c, m->line, "%s: missing required field 'categories'", where);
	if (v->kind != N_SEQ)
		return fail(c, v->line, "%s: 'categories' must be a list ([placement, ...]), not %s", where,
			kind_name(v));
	if (v->nkids == 0)
		return fail(c, v->line, "%s: 'categories' is empty", where);
	for (size_t i = 0; i < v->nkids; i++) {
		const node *e = v->kids[i];
		if (e->kind != N_SCALAR)
			return fail(c, e->line, "%s: each category must be a single word, not %s", where, kind_name(e));
		int ci = strlen(e->str) == e->len ? cat_index(e->str) : -1;
		if (ci < 0)
			return fail(c, e->line, "unknown category '%.64s' (known: %s)", e->str, KNOWN_CATS);
		if (p->cat_rule[ci] == (int)idx)
			return fail(c, e->line, "%s: category '%s' is listed twice (first at line %d)", where, e->str,
				cat_line[ci]);
		if (p->cat_rule[ci] >= 0)
			return fail(c, e->line, "category '%s' is covered twice: by rule '%s' (line %d) and by rule '%s'",
				e->str, p->rules[p->cat_rule[ci]].id, cat_line[ci], r->id);
		p->cat_rule[ci] = (int)idx;
		cat_line[ci] = e->line;
	}

	/* source: every rule says where it comes from (the slip shows it) */
	if (!(v = get(m, "source", NULL)))
		return fail(c, m->line, "%s: missing required field 'source' (the legal ground shown on the slip)",
			where);
	if ((rc = get_text(c, v, where, "source", &r->source)))
		return rc;
	if ((v = get(m, "note", NULL)) && v->kind != N_SCALAR)
		return fail(c, v->line, "%s: 'note' must be text, not %s", where, kind_name(v));

	if (r->permanent) {
		static const char *const not_for_permanent[] = { "final", "after", "archive_at", "clock",
			"keep_redacted", NULL };
		for (int i = 0; not_for_permanent[i]; i++) {
			int line = has_key(m, not_for_permanent[i]);
			if (line)
				return fail(c, line, "%s is permanent: '%s' does not apply (remove it, or set permanent: false)",
					where, not_for_permanent[i]);
		}
		return 0;
	}

	/* archive_at: only "closure" (the published rule); optional */
	if ((v = get(m, "archive_at", NULL))) {
		if (v->kind != N_SCALAR)
			return fail(c, v->line, "%s: 'archive_at' must be a single word, not %s", where, kind_name(v));
		if (strcmp(v->str, "closure") || v->len != 7)
			return fail(c, v->line, "unknown archive_at '%.64s' (known: closure)", v->str);
	}

	/* final */
	if (!(v = get(m, "final", NULL)))
		return fail(c, m->line, "%s: missing required field 'final' (anonymise or destroy; or permanent: true)",
			where);
	if (v->kind != N_SCALAR)
		return fail(c, v->line, "%s: 'final' must be a single word, not %s", where, kind_name(v));
	if (!strcmp(v->str, "anonymise") && v->len == 9)
		r->final = CV_ACTION_ANONYMISE;
	else if (!strcmp(v->str, "destroy") && v->len == 7)
		r->final = CV_ACTION_DESTROY;
	else if (strlen(v->str) == v->len && is_action_word(v->str))
		return fail(c, v->line, "%s: '%s' cannot be a final action (final: anonymise or destroy; "
			"to keep for ever, write permanent: true)", where, v->str);
	else if (!strcmp(v->str, "anonymize"))
		return fail(c, v->line, "unknown action 'anonymize' (known: archive, anonymise, destroy, keep; "
			"the policy language spells it 'anonymise')");
	else
		return fail(c, v->line, "unknown action '%.64s' (known: archive, anonymise, destroy, keep)", v->str);

	/* after */
	if (!(v = get(m, "after", NULL)))
		return fail(c, m->line, "%s: missing required field 'after' (a duration such as 5y)", where);
	if (v->kind != N_SCALAR)
		return fail(c, v->line, "%s: 'after' must be a duration such as 5y, not %s", where, kind_name(v));
	if (parse_duration(v->str, v->len, &r->months, &r->days))
		return fail(c, v->line, "bad duration '%.64s' in 'after' of %s (years, months, days as in 5y, 6m, 30d, 5y6m)",
			v->str, where);

	/* clock */
	if ((v = get(m, "clock", NULL)) && (rc = get_clock(c, v, where, &r->clock)))
		return rc;

	/* keep_redacted */
	if ((v = get(m, "keep_redacted", &k))) {
		if (v->kind != N_SEQ)
			return fail(c, v->line, "%s: 'keep_redacted' must be a list of document types ([judgment, ...]), not %s",
				where, kind_name(v));
		if (r->final != CV_ACTION_ANONYMISE)
			return fail(c, k->line, "%s: 'keep_redacted' applies only to final: anonymise (destroy keeps nothing)",
				where);
		if (!(r->keep = calloc(v->nkids ? v->nkids : 1, sizeof *r->keep)))
			return oom(c);
		for (size_t i = 0; i < v->nkids; i++) {
			const node *e = v->kids[i];
			char *t = NULL;
			if ((rc = get_ident(c, e, where, "document type", &t)))
				return rc;
			for (size_t j = 0; j < r->nkeep; j++)
				if (!strcmp(r->keep[j], t)) {
					free(t);
					return fail(c, e->line, "%s: document type '%s' is listed twice in keep_redacted", where,
						e->str);
				}
			r->keep[r->nkeep++] = t;
		}
	}
	return 0;
}

static int check_policy(ctx *c, const node *root, retain_policy *p)
{
	const node *v, *k = NULL;
	int rc, cat_line[NCATS];
	if (!root)
		return fail(c, 1, "empty policy (expected keys: %s)", TOP_KEYS);
	if (root->kind != N_MAP)
		return fail(c, root->line, "a policy must be a mapping of keys (%s), not %s", TOP_KEYS, kind_name(root));
	if ((rc = check_keys(c, root, "the policy", TOP_KEYS)))
		return rc;
	if (!(v = get(root, "policy", NULL)))
		return fail(c, root->line, "missing required field 'policy' (the policy's name)");
	if ((rc = get_ident(c, v, "the policy", "policy name", &p->name)))
		return rc;
	if (!(v = get(root, "version", NULL)))
		return fail(c, root->line, "missing required field 'version' (the policy's edition: 1, 2, ...)");
	{
		int ok = v->kind == N_SCALAR && v->plain && v->len >= 1 && v->len <= 6 && v->str[0] != '0';
		for (size_t i = 0; ok && i < v->len; i++)
			ok = v->str[i] >= '0' && v->str[i] <= '9';
		if (!ok)
			return fail(c, v->line, "'version' must be a whole number from 1 to 999999 (the policy's edition)");
		p->version = atoi(v->str);
	}
	if ((v = get(root, "source", NULL)) && (rc = get_text(c, v, "the policy", "source", &p->source)))
		return rc;
	if ((v = get(root, "note", NULL)) && v->kind != N_SCALAR)
		return fail(c, v->line, "the policy: 'note' must be text, not %s", kind_name(v));
	p->clock = CLOCK_CLOSURE;
	if ((v = get(root, "clock", NULL)) && (rc = get_clock(c, v, "the policy", &p->clock)))
		return rc;
	if (!(v = get(root, "rules", &k)))
		return fail(c, root->line, "missing required field 'rules'");
	if (v->kind != N_SEQ)
		return fail(c, v->line, "'rules' must be a list of rules (each line starting with '- '), not %s",
			kind_name(v));
	if (v->nkids == 0)
		return fail(c, v->line, "'rules' is empty");
	if (!(p->rules = calloc(v->nkids, sizeof *p->rules)))
		return oom(c);
	for (int i = 0; i < NCATS; i++)
		p->cat_rule[i] = -1, cat_line[i] = 0;
	for (size_t i = 0; i < v->nkids; i++) {
		p->nrules = i + 1;
		if ((rc = check_rule(c, p, v->kids[i], i, cat_line)))
			return rc;
	}
	for (int i = 0; i < NCATS; i++)
		if (p->cat_rule[i] < 0)
			return fail(c, k->line, "category '%s' is covered by no rule (each category of bundle.md needs exactly one)",
				policy_categories[i]);
	return 0;
}

int policy_parse_buffer(const char *buf, size_t len, const char *name, retain_policy **out, char *err,
	size_t errlen)
{
	ctx c = { name ? name : "<buffer>", err, errlen, 0, 0 };
	node *root = NULL;
	int rc;
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!buf && len)
		return fail(&c, 1, "no input");
	if (len > POLICY_MAX_BYTES)
		return fail(&c, 1, "policy larger than %d bytes", POLICY_MAX_BYTES);
	if ((rc = load_tree(&c, buf ? buf : "", len, &root)))
		return rc;
	retain_policy *p = calloc(1, sizeof *p);
	if (!p) {
		node_free(root);
		return oom(&c);
	}
	rc = check_policy(&c, root, p);
	node_free(root);
	if (rc) {
		policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int policy_parse_file(const char *path, retain_policy **out, char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!path) {
		if (err && errlen)
			snprintf(err, errlen, "no policy file given");
		return CV_EINVAL;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open policy: %s", path, strerror(e));
		return e == ENOENT ? CV_ENOTFOUND : CV_ERROR;
	}
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	int rc = 0;
	while (buf) {
		if (len == cap) {
			if (cap > POLICY_MAX_BYTES) {
				if (err && errlen)
					snprintf(err, errlen, "%s:1: policy larger than %d bytes", path, POLICY_MAX_BYTES);
				rc = CV_EINVAL;
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				if (err && errlen)
					snprintf(err, errlen, "%s: read error", path);
				rc = CV_ERROR;
			}
			break;
		}
	}
	fclose(f);
	if (!buf) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return CV_ENOMEM;
	}
	if (!rc)
		rc = policy_parse_buffer(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

/* A field of the case when the caller's layout has it (size 0 = all). */
#define CASE_HAS(c, f) ((c)->size == 0 || (c)->size >= offsetof(cv_retain_case, f) + sizeof((c)->f))

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

static const char *opt_date(const cv_retain_case *c, const char *v)
{
	(void)c;
	return v && *v ? v : NULL; /* "" counts as absent */
}

int policy_eval(const retain_policy *p, const cv_retain_case *c, const char *as_of, cv_retain_verdict *out,
	char *err, size_t errlen)
{
	cv_retain_verdict v;
	int y, m, d;
	if (err && errlen)
		err[0] = '\0';
	if (!p || !c || !out)
		return eval_fail(err, errlen, c, "no policy, case or verdict");
	if (out->size && out->size < offsetof(cv_retain_verdict, rule))
		return eval_fail(err, errlen, c, "verdict structure too small (%zu bytes)", out->size);
	if (!CASE_HAS(c, state))
		return eval_fail(err, errlen, c, "case structure too small (%zu bytes)", c->size);
	const char *closed = CASE_HAS(c, closed) ? opt_date(c, c->closed) : NULL;
	const char *born = CASE_HAS(c, child_born) ? opt_date(c, c->child_born) : NULL;

	if (!as_of || date_parse(as_of, &y, &m, &d))
		return eval_fail(err, errlen, c, "invalid as-of date '%.32s' (YYYY-MM-DD)", as_of ? as_of : "(null)");
	long now = date_key(y, m, d);
	if (!c->category)
		return eval_fail(err, errlen, c, "no category");
	int ci = cat_index(c->category);
	if (ci < 0 || p->cat_rule[ci] < 0)
		return eval_fail(err, errlen, c, "category '%.64s' is covered by no rule of policy %s (known: %s)",
			c->category, p->name, KNOWN_CATS);
	const rule *r = &p->rules[p->cat_rule[ci]];
	static const char *const STATES[] = { "active", "archived", "anonymised", "destroyed" };
	int st = -1;
	for (int i = 0; c->state && i < 4; i++)
		if (!strcmp(c->state, STATES[i]))
			st = i;
	if (st < 0)
		return eval_fail(err, errlen, c, "unknown state '%.32s' (known: active, archived, anonymised, destroyed)",
			c->state ? c->state : "(null)");
	if (closed && !policy_date_valid(closed))
		return eval_fail(err, errlen, c, "invalid closure date '%.32s'", closed);
	if (born && !policy_date_valid(born))
		return eval_fail(err, errlen, c, "invalid birth date of the child '%.32s'", born);

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
		if (st == 0 && closed) {
			/* services ended: archived from the closure date on */
			date_parse(closed, &y, &m, &d);
			memcpy(v.due, closed, 11);
			if (now >= date_key(y, m, d))
				v.action = CV_ACTION_ARCHIVE;
		} else if (st == 1) {
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
			memcpy(v.due, due, 11);
			date_parse(due, &y, &m, &d);
			if (now >= date_key(y, m, d))
				v.action = r->final;
		}
		/* active and open: kept while services go on; anonymised or
		 * destroyed: nothing left to do. KEEP, due "". */
	}
	size_t n = out->size && out->size < sizeof v ? out->size : sizeof v;
	v.size = n;
	memcpy(out, &v, n);
	return 0;
}
