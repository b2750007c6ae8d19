/*
 * redact-fr benchmark driver (not installed). Reads a corpus written by
 * tools/bench/redact/gen_corpus.py (JSON lines, one case a line: register,
 * requester, documents), redacts every document with the engine, writes the
 * spans found (JSON lines) for the quality scorer, and times the redaction
 * over several rounds. The figures are printed as one JSON object.
 *
 *   redact_fr_bench --corpus c.jsonl [--out spans.jsonl] [--rounds N]
 *                   [--min-seconds S] [--dict PATH]
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

int main(int argc, char **argv)
{
	const char *corpus = NULL, *out = NULL, *dict = NULL;
	int rounds = 5;
	double min_seconds = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--corpus") && i + 1 < argc)
			corpus = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc)
			min_seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--dict") && i + 1 < argc)
			dict = argv[++i];
		else {
			fprintf(stderr, "usage: %s --corpus FILE [--out FILE] [--rounds N] [--min-seconds S] [--dict PATH]\n",
				argv[0]);
			return 2;
		}
	}
	if (!corpus) {
		fprintf(stderr, "redact_fr_bench: --corpus is required\n");
		return 2;
	}
	FILE *f = fopen(corpus, "r");
	if (!f) {
		perror(corpus);
		return 1;
	}
	size_t ncases = 0, cap = 64;
	bcase *cases = malloc(cap * sizeof *cases);
	char *line = NULL;
	size_t lcap = 0;
	ssize_t ll;
	size_t total_bytes = 0, total_docs = 0;
	while ((ll = getline(&line, &lcap, f)) > 0) {
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)ll, 0, &je);
		if (!o) {
			fprintf(stderr, "%s: line %zu: %s\n", corpus, ncases + 1, je.text);
			return 1;
		}
		if (ncases == cap)
			cases = realloc(cases, (cap *= 2) * sizeof *cases);
		load_case(o, &cases[ncases]);
		for (size_t d = 0; d < cases[ncases].nd; d++)
			total_bytes += cases[ncases].lens[d];
		total_docs += cases[ncases].nd;
		ncases++;
	}
	free(line);
	fclose(f);

	double t0 = now();
	rfr_engine *e;
	char err[256] = "";
	if (rfr_engine_new(&e, dict, NULL, err, sizeof err)) {
		fprintf(stderr, "engine: %s\n", err);
		return 1;
	}
	double t_load = now() - t0;

	/* pass 1: spans for the scorer */
	FILE *fo = out ? fopen(out, "w") : NULL;
	if (out && !fo) {
		perror(out);
		return 1;
	}
	size_t total_spans = 0;
	for (size_t c = 0; c < ncases; c++) {
		rfr_session *s;
		bcase *bc = &cases[c];
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
			total_spans += n;
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

	/* timed rounds: sessions + redaction, single thread */
	double best = 1e30, sum = 0;
	int done = 0;
	double start_all = now();
	for (int r = 0; r < rounds || (now() - start_all) < min_seconds; r++) {
		double t1 = now();
		for (size_t c = 0; c < ncases; c++) {
			rfr_session *s;
			bcase *bc = &cases[c];
			rfr_session_new(e, &s, bc->persons, bc->np, bc->requester, err, sizeof err);
			for (size_t d = 0; d < bc->nd; d++) {
				cv_redact_span *sp;
				size_t n;
				rfr_redact(s, bc->texts[d], bc->lens[d], &sp, &n, err, sizeof err);
				free(sp);
			}
			rfr_session_free(s);
		}
		double dt = now() - t1;
		sum += dt;
		done++;
		if (dt < best)
			best = dt;
	}
	double mb = total_bytes / 1e6;
	printf("{\"cases\": %zu, \"docs\": %zu, \"bytes\": %zu, \"spans\": %zu, \"dict_words\": %zu, "
	       "\"engine_load_s\": %.4f, \"rounds\": %d, \"best_s\": %.6f, \"mean_s\": %.6f, "
	       "\"mb_per_s_best\": %.2f, \"mb_per_s_mean\": %.2f}\n",
		ncases, total_docs, total_bytes, total_spans, rfr_engine_dict_words(e), t_load, done, best,
		sum / (done ? done : 1), mb / best, mb / (sum / (done ? done : 1)));
	rfr_engine_free(e);
	for (size_t c = 0; c < ncases; c++) {
		for (size_t i = 0; i < cases[c].np; i++)
			free(cases[c].firsts[i]);
		free(cases[c].firsts);
		free(cases[c].persons);
		free(cases[c].texts);
		free(cases[c].lens);
		json_decref(cases[c].obj);
	}
	free(cases);
	return 0;
}
