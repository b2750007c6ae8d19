/* retain-policy's private declarations, shared by its four files: policy.c
 * (entry points, errors), policy_tree.c (YAML to a tree), policy_rules.c (the
 * tree checked into a policy) and policy_eval.c (verdicts).
 * Owned by the plugin. A parse (its ctx and tree) belongs to one thread; a
 * finished retain_policy is immutable and may be shared by threads. */
#ifndef CV_RETAIN_POLICY_INTERNAL_H
#define CV_RETAIN_POLICY_INTERNAL_H

#include "policy.h"

#define MAX_DEPTH 32
#define MAX_NODES 20000
#define MAX_TEXT 4000   /* a source or description, in bytes */
#define MAX_ID 64
#define MAJORITY_MONTHS (18 * 12)
/* cat_rule is indexed by the vocabulary's category codes (cv__category_codes);
 * a vocabulary longer than this is refused at parse time rather than overrun. */
#define MAX_CATS 32

enum { CLOCK_INHERIT = -1, CLOCK_CLOSURE = 0, CLOCK_MAJORITY = 1 };

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
	int cat_rule[MAX_CATS]; /* index of the rule covering each category */
};

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

/* One parse: where its first error goes. */
typedef struct ctx {
	const char *name;
	char *err;
	size_t errlen;
	int failed;
	size_t nnodes;
} ctx;

/* The first error of a parse, as "name:line: message"; later ones are dropped. Returns CV_EINVAL. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int policy_fail(ctx *c, int line, const char *fmt, ...);
/* Out of memory during a parse. Returns CV_ENOMEM. */
int policy_oom(ctx *c);

/* Index of `s` in the vocabulary's categories (cv__category_codes), or -1. */
int policy_cat_index(const char *s);
/* The categories sorted by name, one line, for messages. */
const char *policy_known_categories(char *out, size_t n);

/* The tree of the one YAML document in `buf`; NULL root for an empty one. */
int policy_tree_load(ctx *c, const char *buf, size_t len, node **root);
void policy_tree_free(node *n);

/* Check the tree against the policy language and fill `p`. */
int policy_check_tree(ctx *c, const node *root, retain_policy *p);

#endif
