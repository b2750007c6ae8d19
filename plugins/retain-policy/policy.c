/* The entry points of policy.h: a policy read from a file or a buffer, parsed (policy_tree.c) and checked
 * (policy_rules.c), freed, and asked about; and the one error of a parse. */
#include "policy_internal.h"

#include "util/vocab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int policy_fail(ctx *c, int line, const char *fmt, ...)
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

int policy_oom(ctx *c)
{
	if (!c->failed && c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	c->failed = 1;
	return CV_ENOMEM;
}

int policy_cat_index(const char *s)
{
	for (int i = 0; i < MAX_CATS && cv__category_codes[i]; i++)
		if (!strcmp(cv__category_codes[i], s))
			return i;
	return -1;
}

/* Sorted, unlike the vocabulary, so that a reader looking for a misspelt category finds it where it would be. */
const char *policy_known_categories(char *out, size_t n)
{
	const char *prev = NULL;
	out[0] = '\0';
	for (;;) {
		const char *next = NULL;
		for (size_t i = 0; cv__category_codes[i]; i++) {
			const char *s = cv__category_codes[i];
			if ((!prev || strcmp(s, prev) > 0) && (!next || strcmp(s, next) < 0))
				next = s;
		}
		if (!next)
			return out;
		strncat(out, prev ? ", " : "", n - strlen(out) - 1);
		strncat(out, next, n - strlen(out) - 1);
		prev = next;
	}
}

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

int policy_rule_for(const retain_policy *p, const char *category)
{
	int c = p && category ? policy_cat_index(category) : -1;
	return c < 0 ? -1 : p->cat_rule[c];
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
		return policy_fail(&c, 1, "no input");
	if (len > POLICY_MAX_BYTES)
		return policy_fail(&c, 1, "policy larger than %d bytes", POLICY_MAX_BYTES);
	if ((rc = policy_tree_load(&c, buf ? buf : "", len, &root)))
		return rc;
	retain_policy *p = calloc(1, sizeof *p);
	if (!p) {
		policy_tree_free(root);
		return policy_oom(&c);
	}
	rc = policy_check_tree(&c, root, p);
	policy_tree_free(root);
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
