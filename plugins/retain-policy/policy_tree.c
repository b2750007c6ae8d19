/* A policy file's YAML (libyaml's event API) as a small tree of scalars, lists and mappings with their lines.
 *
 * The reader keeps to what an archivist needs and refuses the rest with a line number: one document, mappings,
 * sequences and scalars; no anchors, aliases or tags (they would let one line stand for another, which a reviewer
 * of the policy could miss). Duplicate keys are left to the checker, which names both lines. */
#include "policy_internal.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void policy_tree_free(node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		policy_tree_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static node *node_new(ctx *c, int kind, int line)
{
	if (++c->nnodes > MAX_NODES) {
		policy_fail(c, line, "policy too large (more than %d YAML nodes)", MAX_NODES);
		return NULL;
	}
	node *n = calloc(1, sizeof *n);
	if (!n)
		policy_oom(c);
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
			return policy_oom(c);
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

/* libyaml's own message, with the line of the construct it was reading when it has one. */
static int syntax_error(ctx *c, const yaml_parser_t *ps)
{
	int line = (int)ps->problem_mark.line + 1;
	if (ps->error == YAML_MEMORY_ERROR)
		return policy_oom(c);
	if (ps->context)
		return policy_fail(c, line, "YAML syntax error: %s %s (line %d)", ps->problem ? ps->problem : "error",
			ps->context, (int)ps->context_mark.line + 1);
	return policy_fail(c, line, "YAML syntax error: %s", ps->problem ? ps->problem : "unreadable input");
}

/* The node a scalar, list or mapping event starts; *out stays NULL on error. */
static int event_node(ctx *c, const yaml_event_t *ev, int line, int depth, node **out)
{
	const unsigned char *anchor = ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.anchor
		: ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
		: ev->data.mapping_start.anchor;
	const unsigned char *tag = ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.tag
		: ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.tag
		: ev->data.mapping_start.tag;
	node *n;
	*out = NULL;
	if (anchor)
		return policy_fail(c, line, "anchors (&%s) are not allowed in a policy: write the value out",
			(const char *)anchor);
	if (tag)
		return policy_fail(c, line, "YAML tags (%s) are not allowed in a policy", (const char *)tag);
	if (ev->type != YAML_SCALAR_EVENT) {
		if (depth >= MAX_DEPTH)
			return policy_fail(c, line, "%s nested too deeply", event_what(ev->type));
		if (!(n = node_new(c, ev->type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP, line)))
			return c->failed ? CV_EINVAL : CV_ENOMEM;
		*out = n;
		return 0;
	}
	if (!(n = node_new(c, N_SCALAR, line)))
		return c->failed ? CV_EINVAL : CV_ENOMEM;
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (!(n->str = malloc(n->len + 1))) {
		policy_tree_free(n);
		return policy_oom(c);
	}
	memcpy(n->str, ev->data.scalar.value, n->len);
	n->str[n->len] = '\0';
	*out = n;
	return 0;
}

/* Hang `n` under the open list or mapping (or make it the root); lists and mappings become the open one. */
static int attach(ctx *c, node **root, node **stack, int *depth, node *n, int line)
{
	int rc;
	if (*depth == 0) {
		if (*root) { /* cannot happen with one document; be safe */
			policy_tree_free(n);
			return policy_fail(c, line, "a policy file holds one YAML document");
		}
		*root = n;
	} else if ((rc = node_add(c, stack[*depth - 1], n))) {
		policy_tree_free(n);
		return rc;
	}
	if (n->kind != N_SCALAR)
		stack[(*depth)++] = n;
	return 0;
}

int policy_tree_load(ctx *c, const char *buf, size_t len, node **root)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	node *stack[MAX_DEPTH + 1];
	int depth = 0, docs = 0, rc = 0, done = 0;
	*root = NULL;
	if (!yaml_parser_initialize(&ps))
		return policy_oom(c);
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&ps, &ev)) {
			rc = syntax_error(c, &ps);
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
				rc = policy_fail(c, line, "a policy file holds one YAML document (found a second '---')");
			break;
		case YAML_ALIAS_EVENT:
			rc = policy_fail(c, line, "aliases (*%s) are not allowed in a policy: write the value out",
				(const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (!(rc = event_node(c, &ev, line, depth, &n)))
				rc = attach(c, root, stack, &depth, n, line);
			break;
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
		policy_tree_free(*root);
		*root = NULL;
	}
	return rc;
}
