/* The redaction policy: which agents' names a communication copy shows.
 * CADA practice communicates the names of agents acting in their public
 * function while private third parties stay hidden; the choice belongs to
 * the département, so it is a file it edits (policies/redaction.yaml), not a
 * flag of the officer. Only roles that are functions can be shown: a parent,
 * a sibling or the author of a report (whose anonymity the law protects)
 * cannot, whatever the file says. */
#include "export/redpolicy.h"
#include "crypto/kdf.h"
#include "plugin/plugin_host.h"
#include "util/hex.h"
#include "util/text.h"
#include "util/vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_POLICY_BYTES (256 * 1024)

static int bad(const cv_redpolicy *p, const yaml_node_t *n, const char *why, const char *what)
{
	return cv__err(CV_EINVAL, "redaction policy %s, line %lu: %s%s%s", p->path, n ? (unsigned long)n->start_mark.line + 1 : 0UL,
		why, what ? ": " : "", what ? what : "");
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* "hide" or "show"; anything else is a mistake the file's author must see. */
static int show_value(const cv_redpolicy *p, const yaml_node_t *v, int *show)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "show"))
		*show = 1;
	else if (s && !strcmp(s, "hide"))
		*show = 0;
	else
		return bad(p, v, "the value must be hide or show", s);
	return 0;
}

static int role_entry(cv_redpolicy *p, const yaml_node_t *k, const yaml_node_t *v)
{
	const char *role = scalar(k);
	if (!role)
		return bad(p, k, "a role must be a word", NULL);
	if (!strcmp(role, "professional"))
		return show_value(p, v, &p->show_professional);
	if (!strcmp(role, "foster_carer"))
		return show_value(p, v, &p->show_foster_carer);
	if (!cv__valid_role(role))
		return bad(p, k, "unknown role (roles are those of case.json)", role);
	int show = 0;
	CV_TRY(show_value(p, v, &show));
	if (show)
		return bad(p, v, "only professional and foster_carer can be shown; the names of family members, "
			"reporters and other private persons are always hidden", role);
	return 0;
}

static int func_entry(cv_redpolicy *p, const yaml_node_t *k, const yaml_node_t *v)
{
	const char *f = scalar(k);
	if (!f || !*f)
		return bad(p, k, "a function must be a text", NULL);
	if (p->nfuncs == CV_REDPOLICY_MAX_FUNCS)
		return bad(p, k, "too many functions (at most 32)", NULL);
	int show = 0;
	CV_TRY(show_value(p, v, &show));
	char *key = NULL;
	CV_TRY(cv__fold(&key, f, strlen(f)));
	p->funcs[p->nfuncs].key = key;
	p->funcs[p->nfuncs].label = strdup(f);
	p->funcs[p->nfuncs++].show = show;
	if (!p->funcs[p->nfuncs - 1].label)
		return cv__oom();
	return 0;
}

typedef int (*entry_fn)(cv_redpolicy *, const yaml_node_t *, const yaml_node_t *);

static int each_pair(cv_redpolicy *p, yaml_document_t *d, const yaml_node_t *map, entry_fn fn)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return bad(p, map, "expected a mapping (name: hide|show)", NULL);
	for (yaml_node_pair_t *it = map->data.mapping.pairs.start; it < map->data.mapping.pairs.top; it++)
		CV_TRY(fn(p, yaml_document_get_node(d, it->key), yaml_document_get_node(d, it->value)));
	return 0;
}

static int top_entry(cv_redpolicy *p, yaml_document_t *d, const yaml_node_t *k, const yaml_node_t *v)
{
	const char *key = scalar(k);
	if (!key)
		return bad(p, k, "keys are words", NULL);
	if (!strcmp(key, "redaction")) {
		const char *n = scalar(v);
		if (!n || !*n || strlen(n) >= sizeof p->name || strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789._-") != strlen(n))
			return bad(p, v, "the policy's name is one word of letters, digits, '.', '_' or '-' (at most 63)", n);
		snprintf(p->name, sizeof p->name, "%s", scalar(v));
	} else if (!strcmp(key, "version")) {
		char *end = NULL;
		long n = scalar(v) ? strtol(scalar(v), &end, 10) : 0;
		if (!scalar(v) || *end || n < 1 || n > 1000000)
			return bad(p, v, "version is a positive whole number", scalar(v));
		p->version = (int)n;
	} else if (!strcmp(key, "professionals")) {
		return each_pair(p, d, v, role_entry);
	} else if (!strcmp(key, "functions")) {
		return each_pair(p, d, v, func_entry);
	} else if (strcmp(key, "source")) {
		return bad(p, k, "unknown key (redaction, version, source, professionals, functions)", key);
	}
	return 0;
}

int cv__redpolicy_parse(cv_redpolicy *p, const char *buf, size_t len)
{
	yaml_parser_t ps;
	yaml_document_t d;
	if (!yaml_parser_initialize(&ps))
		return cv__oom();
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	int rc = 0;
	if (!yaml_parser_load(&ps, &d)) {
		if (ps.error == YAML_MEMORY_ERROR) {
			yaml_parser_delete(&ps);
			return cv__oom();
		}
		rc = cv__err(CV_EINVAL, "redaction policy %s, line %lu: %s", p->path, (unsigned long)ps.problem_mark.line + 1,
			ps.problem ? ps.problem : "not YAML");
		yaml_parser_delete(&ps);
		return rc;
	}
	yaml_node_t *root = yaml_document_get_root_node(&d);
	if (!root || root->type != YAML_MAPPING_NODE)
		rc = bad(p, root, "the file must be a mapping (redaction:, version:, professionals:)", NULL);
	for (yaml_node_pair_t *it = root && !rc ? root->data.mapping.pairs.start : NULL; !rc && it && it < root->data.mapping.pairs.top; it++)
		rc = top_entry(p, &d, yaml_document_get_node(&d, it->key), yaml_document_get_node(&d, it->value));
	if (!rc && (!p->name[0] || !p->version))
		rc = bad(p, root, "the policy needs its name (redaction:) and version (version:)", NULL);
	yaml_document_delete(&d);
	yaml_parser_delete(&ps);
	return rc;
}

static int read_policy(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? CV_ENOTFOUND : cv__err(CV_ERROR, "redaction policy %s cannot be read: %s", path, strerror(errno));
	*buf = malloc(MAX_POLICY_BYTES + 1);
	*len = *buf ? fread(*buf, 1, MAX_POLICY_BYTES + 1, f) : 0;
	fclose(f);
	if (!*buf)
		return cv__oom();
	if (*len > MAX_POLICY_BYTES)
		return cv__err(CV_EINVAL, "redaction policy %s is larger than 256 KiB", path);
	return 0;
}

int cv__redpolicy_load(cv_redpolicy *p, const char *path)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "built-in");
	p->version = 1;
	char def[1100];
	if (!path) {
		snprintf(def, sizeof def, "%s/redaction.yaml", cv_policy_dir());
		path = def;
	}
	snprintf(p->path, sizeof p->path, "%s", path);
	char *buf = NULL;
	size_t len = 0;
	int rc = read_policy(path, &buf, &len);
	if (rc == CV_ENOTFOUND && path == def) { /* no file installed: hide everything */
		free(buf);
		p->path[0] = '\0';
		return 0;
	}
	if (rc == CV_ENOTFOUND)
		rc = cv__err(CV_ENOTFOUND, "redaction policy %s does not exist", path);
	if (!rc) {
		p->name[0] = '\0';
		p->version = 0;
		rc = cv__redpolicy_parse(p, buf, len);
	}
	unsigned char h[32];
	if (!rc && !(rc = cv__sha256(h, buf, len)))
		cv__hex(p->sha256, h, sizeof h);
	free(buf);
	if (rc)
		cv__redpolicy_free(p);
	return rc;
}

void cv__redpolicy_free(cv_redpolicy *p)
{
	for (size_t i = 0; i < p->nfuncs; i++) {
		free(p->funcs[i].key);
		free(p->funcs[i].label);
	}
	p->nfuncs = 0;
}

int cv__redpolicy_shows(const cv_redpolicy *p, const char *role, const char *function)
{
	if (!role)
		return 0;
	if (!strcmp(role, "foster_carer"))
		return p->show_foster_carer;
	if (strcmp(role, "professional"))
		return 0;
	/* the longest matching function prefix decides, then the role */
	char *f = NULL;
	size_t best = 0;
	int show = p->show_professional;
	if (function && *function && p->nfuncs && cv__fold(&f, function, strlen(function)) == 0) {
		for (size_t i = 0; i < p->nfuncs; i++) {
			size_t kl = strlen(p->funcs[i].key);
			if (kl > best && !strncmp(f, p->funcs[i].key, kl)) {
				best = kl;
				show = p->funcs[i].show;
			}
		}
	}
	free(f);
	return show;
}

int cv__redpolicy_describe(const cv_redpolicy *p, cv_buf *out)
{
	CV_TRY(cv__buf_printf(out, "Politique d'occultation « %s » (version %d) : ", p->name, p->version));
	int any = p->show_professional || p->show_foster_carer;
	for (size_t i = 0; i < p->nfuncs; i++)
		any |= p->funcs[i].show;
	if (!any)
		return cv__buf_puts(out, "les noms de toutes les personnes autres que le demandeur sont masqués, "
			"professionnels compris.");
	CV_TRY(cv__buf_puts(out, "les noms des agents agissant dans l'exercice de leurs fonctions sont communiqués pour "));
	const char *sep = "";
	if (p->show_professional) {
		CV_TRY(cv__buf_puts(out, "les professionnels"));
		sep = ", ";
	}
	if (p->show_foster_carer) {
		CV_TRY(cv__buf_printf(out, "%sles assistants familiaux", sep));
		sep = ", ";
	}
	for (size_t i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].show && !p->show_professional) {
			CV_TRY(cv__buf_printf(out, "%sla fonction « %s »", sep, p->funcs[i].label));
			sep = ", ";
		}
	for (size_t i = 0; i < p->nfuncs; i++)
		if (!p->funcs[i].show && p->show_professional)
			CV_TRY(cv__buf_printf(out, " (sauf « %s »)", p->funcs[i].label));
	return cv__buf_puts(out, " ; leurs coordonnées et tous les autres tiers restent masqués.");
}
