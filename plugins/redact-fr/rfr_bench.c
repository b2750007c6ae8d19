/*
 * redact-fr benchmark driver (not installed). Reads a corpus written by
 * tools/bench/redact/gen_corpus.py (JSON lines, one case a line: register,
 * requester, documents), redacts every document with the engine, writes the
 * spans found (JSON lines) for the quality scorer, and times the redaction
 * over several rounds. The figures are printed as one JSON object.
 *
 *   redact_fr_bench --corpus c.jsonl [--out spans.jsonl] [--rounds N]
 *                   [--min-seconds S] [--dict PATH] [--sessions-only]
 */
#define _POSIX_C_SOURCE 200809L
#include "redact_fr.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bcase {
	json_t *obj;
	cv_person_fields *persons;
	const char ***firsts;
	size_t np;
	const char *requester;
	const char **texts;
	size_t *lens;
	size_t nd;
} bcase;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int load_case(json_t *o, bcase *c)
{
	memset(c, 0, sizeof *c);
	c->obj = o;
	c->requester = jstr(o, "requester");
	json_t *ps = json_object_get(o, "persons");
	c->np = json_array_size(ps);
	c->persons = calloc(c->np ? c->np : 1, sizeof *c->persons);
	c->firsts = calloc(c->np ? c->np : 1, sizeof *c->firsts);
	for (size_t i = 0; i < c->np; i++) {
		json_t *p = json_array_get(ps, i);
		cv_person_fields *f = &c->persons[i];
		f->size = sizeof *f;
		f->id = jstr(p, "id");
		f->role = jstr(p, "role");
		f->last = jstr(p, "last");
		json_t *fa = json_object_get(p, "first");
		f->nfirst = json_array_size(fa);
		c->firsts[i] = calloc(f->nfirst + 1, sizeof(char *));
		for (size_t k = 0; k < f->nfirst; k++)
			c->firsts[i][k] = json_string_value(json_array_get(fa, k));
		f->first = c->firsts[i];
		f->born = jstr(p, "born");
		f->sex = jstr(p, "sex");
		f->phone = jstr(p, "phone");
		f->email = jstr(p, "email");
		f->address = jstr(p, "address");
		f->nir = jstr(p, "nir");
		f->function = jstr(p, "function");
	}
	json_t *ds = json_object_get(o, "docs");
	c->nd = json_array_size(ds);
	c->texts = calloc(c->nd ? c->nd : 1, sizeof *c->texts);
	c->lens = calloc(c->nd ? c->nd : 1, sizeof *c->lens);
	for (size_t i = 0; i < c->nd; i++) {
		json_t *t = json_object_get(json_array_get(ds, i), "text");
		c->texts[i] = json_string_value(t);
		c->lens[i] = json_string_length(t);
	}
	return 0;
}

typedef struct corpus {
	bcase *cases;
	size_t ncases, total_bytes, total_docs;
} corpus;

static int load_corpus(const char *path, corpus *cp)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 64;
	memset(cp, 0, sizeof *cp);
	cp->cases = malloc(cap * sizeof *cp->cases);
	char *line = NULL;
	size_t lcap = 0;
	ssize_t ll;
	while ((ll = getline(&line, &lcap, f)) > 0) {
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)ll, 0, &je);
		if (!o) {
			fprintf(stderr, "%s: line %zu: %s\n", path, cp->ncases + 1, je.text);
			return 1;
		}
		if (cp->ncases == cap)
			cp->cases = realloc(cp->cases, (cap *= 2) * sizeof *cp->cases);
		bcase *bc = &cp->cases[cp->ncases];
		load_case(o, bc);
		for (size_t d = 0; d < bc->nd; d++)
			cp->total_bytes += bc->lens[d];
		cp->total_docs += bc->nd;
		cp->ncases++;
	}
	free(line);
	fclose(f);
	return 0;
}

static void free_corpus(corpus *cp)
{
	for (size_t c = 0; c < cp->ncases; c++) {
		for (size_t i = 0; i < cp->cases[c].np; i++)
			free(cp->cases[c].firsts[i]);
		free(cp->cases[c].firsts);
		free(cp->cases[c].persons);
		free(cp->cases[c].texts);
		free(cp->cases[c].lens);
		json_decref(cp->cases[c].obj);
	}
	free(cp->cases);
}

/* Every document's spans, one JSON line per document, for the quality scorer (out NULL: counted only). */
static int write_spans(rfr_engine *e, const corpus *cp, const char *out, size_t *total_spans)
{
	char err[256] = "";
	FILE *fo = out ? fopen(out, "w") : NULL;
	if (out && !fo) {
		perror(out);
		return 1;
	}
	*total_spans = 0;
	for (size_t c = 0; c < cp->ncases; c++) {
		rfr_session *s;
		const bcase *bc = &cp->cases[c];
		if (rfr_session_new(e, &s, bc->persons, bc->np, bc->requester, err, sizeof err)) {
			fprintf(stderr, "session: %s\n", err);
			return 1;
		}
		for (size_t d = 0; d < bc->nd; d++) {
			cv_redact_span *sp;
			size_t n;
			if (rfr_redact(s, bc->texts[d], bc->lens[d], &sp, &n, err, sizeof err)) {
				fprintf(stderr, "redact: %s\n", err);
				return 1;
			}
			*total_spans += n;
			if (fo) {
				json_t *arr = json_array();
				for (size_t k = 0; k < n; k++)
					json_array_append_new(arr, json_pack("[IIiiss]", (json_int_t)sp[k].start,
						(json_int_t)sp[k].end, sp[k].kind, sp[k].flags, sp[k].replacement, sp[k].person));
				json_t *rec = json_pack("{sIsIso}", "case", (json_int_t)c, "doc", (json_int_t)d, "spans", arr);
				char *js = json_dumps(rec, JSON_COMPACT);
				fprintf(fo, "%s\n", js);
				free(js);
				json_decref(rec);
			}
			free(sp);
		}
		rfr_session_free(s);
	}
	if (fo)
		fclose(fo);
	return 0;
}

/* Timed rounds, sessions included (a copy compiles its register once), single thread. */
static int sessions_only; /* --sessions-only: time the registers' compilation alone */

static int time_rounds(rfr_engine *e, const corpus *cp, int rounds, double min_seconds, double *best, double *sum)
{
	char err[256] = "";
	int done = 0;
	double start_all = now();
	*best = 1e30;
	*sum = 0;
	for (int r = 0; r < rounds || (now() - start_all) < min_seconds; r++) {
		double t1 = now();
		for (size_t c = 0; c < cp->ncases; c++) {
			rfr_session *s;
			const bcase *bc = &cp->cases[c];
			rfr_session_new(e, &s, bc->persons, bc->np, bc->requester, err, sizeof err);
			for (size_t d = 0; d < bc->nd && !sessions_only; d++) {
				cv_redact_span *sp;
				size_t n;
				rfr_redact(s, bc->texts[d], bc->lens[d], &sp, &n, err, sizeof err);
				free(sp);
			}
			rfr_session_free(s);
		}
		double dt = now() - t1;
		*sum += dt;
		done++;
		if (dt < *best)
			*best = dt;
	}
	return done;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *out = NULL, *dict = NULL;
	int rounds = 5;
	double min_seconds = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--corpus") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc)
			min_seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--dict") && i + 1 < argc)
			dict = argv[++i];
		else if (!strcmp(argv[i], "--sessions-only"))
			sessions_only = 1;
		else {
			fprintf(stderr, "usage: %s --corpus FILE [--out FILE] [--rounds N] [--min-seconds S] [--dict PATH] "
					"[--sessions-only]\n", argv[0]);
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "redact_fr_bench: --corpus is required\n");
		return 2;
	}
	corpus cp;
	if (load_corpus(path, &cp))
		return 1;
	double t0 = now();
	rfr_engine *e;
	char err[256] = "";
	if (rfr_engine_new(&e, dict, NULL, err, sizeof err)) {
		fprintf(stderr, "engine: %s\n", err);
		return 1;
	}
	double t_load = now() - t0;
	size_t total_spans;
	if (write_spans(e, &cp, out, &total_spans))
		return 1;
	double best, sum;
	int done = time_rounds(e, &cp, rounds, min_seconds, &best, &sum);
	double mb = cp.total_bytes / 1e6;
	printf("{\"cases\": %zu, \"docs\": %zu, \"bytes\": %zu, \"spans\": %zu, \"dict_words\": %zu, "
	       "\"engine_load_s\": %.4f, \"rounds\": %d, \"best_s\": %.6f, \"mean_s\": %.6f, "
	       "\"mb_per_s_best\": %.2f, \"mb_per_s_mean\": %.2f}\n",
		cp.ncases, cp.total_docs, cp.total_bytes, total_spans, rfr_engine_dict_words(e), t_load, done, best,
		sum / (done ? done : 1), mb / best, mb / (sum / (done ? done : 1)));
	rfr_engine_free(e);
	free_corpus(&cp);
	return 0;
}
