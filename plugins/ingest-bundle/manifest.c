/* Validation of case.json against bundle.md. Unknown fields are refused so
 * that a misspelt field ("telephone") cannot silently drop data. */
#include "manifest.h"

#include "util/json.h"
#include "util/vocab.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
	const cv_host *h;
	const char *label;
} ctx;

#define FAIL(cx, ...) fail_at(cx, __VA_ARGS__)

static int fail_at(ctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_at(ctx *cx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cx->h->error(CV_EINVAL, "%s: case.json: %s", cx->label, msg);
}

/* Codes as one line for a message ("prevention, placement, ..."), in their order. Category and role lists come from
 * the vocabulary (util/vocab.h), so the list the user reads is the one the core checks against. */
static const char *code_list(char *out, size_t n, const char *const *codes)
{
	out[0] = '\0';
	for (size_t i = 0; codes[i]; i++) {
		strncat(out, i ? ", " : "", n - strlen(out) - 1);
		strncat(out, codes[i], n - strlen(out) - 1);
	}
	return out;
}

static int only_keys(ctx *cx, json_t *o, const char *where, const char *const *known)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], k))
			i++;
		if (!known[i]) {
			char list[512];
			return FAIL(cx, "%s: unknown field '%s' (known: %s)", where, k, code_list(list, sizeof list, known));
		}
	}
	return 0;
}

/* Optional string: absent or null -> NULL; other types refused. */
static int opt_str(ctx *cx, json_t *o, const char *key, const char *where, const char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return FAIL(cx, "%s.%s: must be a string", where, key);
	*out = json_string_value(v);
	if (!**out)
		*out = NULL;
	return 0;
}

static int req_str(ctx *cx, json_t *o, const char *key, const char *where, const char **out)
{
	if (opt_str(cx, o, key, where, out))
		return CV_EINVAL;
	if (!*out)
		return FAIL(cx, "%s.%s: is missing", where, key);
	return 0;
}

static int opt_date(ctx *cx, json_t *o, const char *key, const char *where, const char **out)
{
	if (opt_str(cx, o, key, where, out))
		return CV_EINVAL;
	if (*out && !cx->h->date_valid(*out))
		return FAIL(cx, "%s.%s: '%s' is not a valid date (YYYY-MM-DD)", where, key, *out);
	return 0;
}

static int req_date(ctx *cx, json_t *o, const char *key, const char *where, const char **out)
{
	if (opt_date(cx, o, key, where, out))
		return CV_EINVAL;
	if (!*out)
		return FAIL(cx, "%s.%s: is missing", where, key);
	return 0;
}

static int str_array(ctx *cx, json_t *o, const char *key, const char *where, const char ***out, size_t *n)
{
	json_t *a = json_object_get(o, key);
	*out = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return FAIL(cx, "%s.%s: must be a list of strings", where, key);
	size_t len = json_array_size(a);
	*out = cx->h->alloc((len ? len : 1) * sizeof **out);
	if (!*out)
		return cx->h->error(CV_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_string(v) || !*json_string_value(v))
			return FAIL(cx, "%s.%s[%zu]: must be a non-empty string", where, key, i);
		(*out)[(*n)++] = json_string_value(v);
	}
	return 0;
}

static const char *const CASE_KEYS[] = { "ref", "category", "opened", "closed", "territory", NULL };
static const char *const PERSON_KEYS[] = { "id", "role", "last", "first", "born", "sex", "phone", "email", "address", "nir",
	"function", NULL };
static const char *const MEASURE_KEYS[] = { "type", "basis", "start", "end", NULL };
static const char *const DOC_KEYS[] = { "path", "title", "date", "type", "concerns", NULL };
static const char *const TOP_KEYS[] = { "bundle_version", "case", "persons", "measures", "documents", "sealed", NULL };

static int parse_case(ctx *cx, bundle_manifest *m, json_t *c)
{
	if (!json_is_object(c))
		return FAIL(cx, "case: is missing or not an object");
	if (only_keys(cx, c, "case", CASE_KEYS) || req_str(cx, c, "ref", "case", &m->c.ref) ||
		req_str(cx, c, "category", "case", &m->c.category) || req_date(cx, c, "opened", "case", &m->c.opened) ||
		opt_date(cx, c, "closed", "case", &m->c.closed) || opt_str(cx, c, "territory", "case", &m->c.territory))
		return CV_EINVAL;
	char known[256];
	if (!cx->h->category_valid(m->c.category))
		return FAIL(cx, "case.category: '%s' is not one of %s", m->c.category,
			code_list(known, sizeof known, cv__category_codes));
	if (m->c.closed && strcmp(m->c.closed, m->c.opened) < 0)
		return FAIL(cx, "case.closed: %s is before case.opened %s", m->c.closed, m->c.opened);
	m->c.size = sizeof m->c;
	return 0;
}

static int parse_persons(ctx *cx, bundle_manifest *m, json_t *arr)
{
	if (!json_is_array(arr))
		return FAIL(cx, "persons: is missing or not a list");
	m->npersons = json_array_size(arr);
	m->persons = cx->h->alloc((m->npersons ? m->npersons : 1) * sizeof *m->persons);
	if (!m->persons)
		return cx->h->error(CV_ENOMEM, "out of memory");
	memset(m->persons, 0, (m->npersons ? m->npersons : 1) * sizeof *m->persons);
	for (size_t i = 0; i < m->npersons; i++) {
		json_t *p = json_array_get(arr, i);
		bundle_person *bp = &m->persons[i];
		cv_person_fields *f = &bp->f;
		char where[48];
		snprintf(where, sizeof where, "persons[%zu]", i);
		if (!json_is_object(p))
			return FAIL(cx, "%s: must be an object", where);
		f->size = sizeof *f;
		if (only_keys(cx, p, where, PERSON_KEYS) || req_str(cx, p, "id", where, &f->id) ||
			req_str(cx, p, "role", where, &f->role) || req_str(cx, p, "last", where, &f->last) ||
			str_array(cx, p, "first", where, &bp->first, &f->nfirst) || opt_date(cx, p, "born", where, &f->born) ||
			opt_str(cx, p, "sex", where, &f->sex) || opt_str(cx, p, "phone", where, &f->phone) ||
			opt_str(cx, p, "email", where, &f->email) || opt_str(cx, p, "address", where, &f->address) ||
			opt_str(cx, p, "nir", where, &f->nir) || opt_str(cx, p, "function", where, &f->function))
			return CV_EINVAL;
		f->first = bp->first;
		char known[256];
		if (!cx->h->role_valid(f->role))
			return FAIL(cx, "%s.role: '%s' is not one of %s", where, f->role,
				code_list(known, sizeof known, cv__role_codes));
		if (f->sex && strcmp(f->sex, "M") && strcmp(f->sex, "F") && strcmp(f->sex, "X"))
			return FAIL(cx, "%s.sex: '%s' is not M, F or X", where, f->sex);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->persons[j].f.id, f->id))
				return FAIL(cx, "%s.id: '%s' is used by persons[%zu] too", where, f->id, j);
	}
	return 0;
}

static int parse_measures(ctx *cx, bundle_manifest *m, json_t *arr)
{
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return FAIL(cx, "measures: must be a list");
	m->nmeasures = json_array_size(arr);
	m->measures = cx->h->alloc((m->nmeasures ? m->nmeasures : 1) * sizeof *m->measures);
	if (!m->measures)
		return cx->h->error(CV_ENOMEM, "out of memory");
	memset(m->measures, 0, (m->nmeasures ? m->nmeasures : 1) * sizeof *m->measures);
	for (size_t i = 0; i < m->nmeasures; i++) {
		json_t *o = json_array_get(arr, i);
		cv_measure_fields *f = &m->measures[i];
		char where[48];
		snprintf(where, sizeof where, "measures[%zu]", i);
		if (!json_is_object(o))
			return FAIL(cx, "%s: must be an object", where);
		f->size = sizeof *f;
		if (only_keys(cx, o, where, MEASURE_KEYS) || req_str(cx, o, "type", where, &f->type) ||
			opt_str(cx, o, "basis", where, &f->basis) || req_date(cx, o, "start", where, &f->start) ||
			opt_date(cx, o, "end", where, &f->end))
			return CV_EINVAL;
		if (f->end && strcmp(f->end, f->start) < 0)
			return FAIL(cx, "%s.end: %s is before start %s", where, f->end, f->start);
	}
	return 0;
}

typedef struct path_at {
	const char *path;
	size_t i;
} path_at;

static int path_at_cmp(const void *pa, const void *pb)
{
	const path_at *a = pa, *b = pb;
	int c = strcmp(a->path, b->path);
	return c ? c : (a->i < b->i ? -1 : a->i > b->i);
}

/* A path listed twice, reported at its second listing (the earliest such),
 * as a reader going down the list would find it. Sorted rather than
 * compared pairwise: a bundle of 20,000 documents is 20,000 log 20,000
 * comparisons, not 200 million. */
static int duplicate_paths(ctx *cx, const bundle_manifest *m)
{
	if (m->ndocs < 2)
		return 0;
	path_at *v = cx->h->alloc(m->ndocs * sizeof *v);
	if (!v)
		return cx->h->error(CV_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->ndocs; i++)
		v[i] = (path_at){ m->docs[i].f.path, i };
	qsort(v, m->ndocs, sizeof *v, path_at_cmp);
	size_t first = 0, best = (size_t)-1, also = 0;
	for (size_t k = 1; k < m->ndocs; k++) {
		if (strcmp(v[k].path, v[first].path)) {
			first = k;
			continue;
		}
		if (v[k].i < best) {
			best = v[k].i;
			also = v[first].i;
		}
	}
	cx->h->free(v);
	if (best == (size_t)-1)
		return 0;
	return FAIL(cx, "documents[%zu].path: '%s' is listed twice (also documents[%zu])", best, m->docs[best].f.path, also);
}

static int parse_docs(ctx *cx, bundle_manifest *m, json_t *arr)
{
	if (!json_is_array(arr))
		return FAIL(cx, "documents: is missing or not a list");
	m->ndocs = json_array_size(arr);
	m->docs = cx->h->alloc((m->ndocs ? m->ndocs : 1) * sizeof *m->docs);
	if (!m->docs)
		return cx->h->error(CV_ENOMEM, "out of memory");
	memset(m->docs, 0, (m->ndocs ? m->ndocs : 1) * sizeof *m->docs);
	for (size_t i = 0; i < m->ndocs; i++) {
		json_t *o = json_array_get(arr, i);
		bundle_doc *bd = &m->docs[i];
		cv_doc_fields *f = &bd->f;
		char where[48];
		snprintf(where, sizeof where, "documents[%zu]", i);
		if (!json_is_object(o))
			return FAIL(cx, "%s: must be an object", where);
		f->size = sizeof *f;
		if (only_keys(cx, o, where, DOC_KEYS) || req_str(cx, o, "path", where, &f->path) ||
			req_str(cx, o, "title", where, &f->title) || opt_date(cx, o, "date", where, &f->date) ||
			opt_str(cx, o, "type", where, &f->type) || str_array(cx, o, "concerns", where, &bd->concerns, &f->nconcerns))
			return CV_EINVAL;
		f->concerns = bd->concerns;
		const char *why = cv__path_problem(f->path);
		if (why)
			return FAIL(cx, "%s.path: '%s' %s", where, f->path, why);
		if (!strcmp(f->path, "case.json"))
			return FAIL(cx, "%s.path: case.json itself is not a document", where);
		for (size_t j = 0; j < f->nconcerns; j++) {
			size_t k = 0;
			while (k < m->npersons && strcmp(m->persons[k].f.id, f->concerns[j]))
				k++;
			if (k == m->npersons)
				return FAIL(cx, "%s.concerns: '%s' is not the id of any person", where, f->concerns[j]);
		}
	}
	return duplicate_paths(cx, m);
}

int bundle_manifest_parse(bundle_manifest *m, const cv_host *host, const char *label, const char *text, size_t len)
{
	ctx cx = { host, label };
	json_error_t je;
	memset(m, 0, sizeof *m);
	m->h = host;
	int oom = 0;
	m->root = cv__json_load_checked(text, len, JSON_REJECT_DUPLICATES, &je, &oom);
	if (!m->root && oom)
		return host->error(CV_ENOMEM, "%s: case.json: out of memory while reading it", label);
	if (!m->root)
		return host->error(CV_EINVAL, "%s: case.json: line %d, column %d: %s", label, je.line, je.column, je.text);
	if (!json_is_object(m->root))
		return FAIL(&cx, "the top level must be an object");
	if (only_keys(&cx, m->root, "top level", TOP_KEYS))
		return CV_EINVAL;
	json_t *ver = json_object_get(m->root, "bundle_version");
	if (!ver)
		return FAIL(&cx, "bundle_version: is missing (this casevault reads version 1)");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		return FAIL(&cx, "bundle_version: only version 1 is supported");
	if (parse_case(&cx, m, json_object_get(m->root, "case")) || parse_persons(&cx, m, json_object_get(m->root, "persons")) ||
		parse_measures(&cx, m, json_object_get(m->root, "measures")) ||
		parse_docs(&cx, m, json_object_get(m->root, "documents")))
		return CV_EINVAL;
	json_t *sealed = json_object_get(m->root, "sealed");
	if (sealed && !json_is_null(sealed)) {
		static const char *const SK[] = { "path", NULL };
		if (!json_is_object(sealed))
			return FAIL(&cx, "sealed: must be null or an object {\"path\": ...}");
		if (only_keys(&cx, sealed, "sealed", SK) || req_str(&cx, sealed, "path", "sealed", &m->sealed_path))
			return CV_EINVAL;
		const char *why = cv__path_problem(m->sealed_path);
		if (why)
			return FAIL(&cx, "sealed.path: '%s' %s", m->sealed_path, why);
		if (strcmp(m->c.category, "secret_birth"))
			return FAIL(&cx, "sealed: only a secret_birth case may hold a sealed identity (this case is %s)", m->c.category);
		for (size_t j = 0; j < m->ndocs; j++)
			if (!strcmp(m->docs[j].f.path, m->sealed_path))
				return FAIL(&cx, "sealed.path: '%s' is also listed as an ordinary document", m->sealed_path);
	}
	return 0;
}

void bundle_manifest_free(bundle_manifest *m)
{
	if (!m->h)
		return;
	for (size_t i = 0; m->persons && i < m->npersons; i++)
		m->h->free(m->persons[i].first);
	for (size_t i = 0; m->docs && i < m->ndocs; i++)
		m->h->free(m->docs[i].concerns);
	m->h->free(m->persons);
	m->h->free(m->measures);
	m->h->free(m->docs);
	json_decref(m->root);
	memset(m, 0, sizeof *m);
}
