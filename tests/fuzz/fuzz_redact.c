/* libFuzzer target: the French redaction engine of plugins/redact-fr,
 * compiled in directly (no dlopen), fed arbitrary bytes both as the text to
 * redact and as the case's register.
 *
 * Input layout: the bytes before the first 0x00 describe the register, one
 * person a line, fields separated by '|':
 *   last|first1,first2|born|phone|email|address|nir|sex
 * (the first line is the requester "p1"); the bytes after it are the text.
 * Without a 0x00 the whole input is the text and the register is a fixed
 * one. Every text is redacted twice in the same session (the second time
 * must give the same spans, with the same numbers), the register lines are
 * redacted as text too, and the contract is checked each time: spans
 * sorted, not overlapping, inside the text, known kinds, replacement and
 * person NUL-terminated, a kept mention's replacement equal to its text.
 *
 * Build: CC=clang cmake -S . -B build-fuzz -DCV_FUZZ=ON && cmake --build build-fuzz --target fuzz_redact
 * Run:   build-fuzz/tests/fuzz_redact -max_total_time=60 tests/fuzz/corpus/redact */
#include "redact-fr/rfr_fold.c"
#include "redact-fr/rfr_lex.c"
#include "redact-fr/rfr_dict.c"
#include "redact-fr/rfr_ident.c"
#include "redact-fr/rfr_session.c"
#include "redact-fr/rfr_tokenize.c"
#include "redact-fr/rfr_idspan.c"
#include "redact-fr/rfr_units.c"
#include "redact-fr/rfr_names.c"
#include "redact-fr/rfr_spans.c"
#include "redact-fr/rfr_firstnames.c"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static rfr_engine *engine;

static void harness_fail(const char *what)
{
	fprintf(stderr, "harness check failed: %s\n", what);
	abort();
}

static void check(const char *text, size_t len, const cv_redact_span *sp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (sp[i].start >= sp[i].end || sp[i].end > len)
			harness_fail("span outside the text or empty");
		if (i && sp[i - 1].end > sp[i].start)
			harness_fail("spans overlap or are not sorted");
		if (sp[i].kind < CV_SPAN_PERSON || sp[i].kind > CV_SPAN_BIRTHDATE)
			harness_fail("unknown kind");
		if (!memchr(sp[i].replacement, 0, sizeof sp[i].replacement) || !memchr(sp[i].person, 0, sizeof sp[i].person))
			harness_fail("replacement or person not terminated");
		if (sp[i].flags & CV_SPAN_KEEP) {
			size_t l = sp[i].end - sp[i].start;
			if (strlen(sp[i].replacement) != l || memcmp(sp[i].replacement, text + sp[i].start, l) != 0)
				harness_fail("a kept mention's replacement differs from its text");
		} else if (!sp[i].replacement[0]) {
			harness_fail("empty replacement");
		}
	}
}

static void redact_twice(rfr_session *s, const char *text, size_t len)
{
	cv_redact_span *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	char err[256];
	if (rfr_redact(s, text, len, &a, &na, err, sizeof err) != 0)
		harness_fail("redact failed");
	check(text, len, a, na);
	if (rfr_redact(s, text, len, &b, &nb, err, sizeof err) != 0)
		harness_fail("second redact failed");
	check(text, len, b, nb);
	/* learned names may add spans the second time, never remove or renumber */
	for (size_t i = 0, j = 0; i < na; i++) {
		while (j < nb && b[j].end <= a[i].start)
			j++;
		if (j == nb || b[j].start > a[i].start || b[j].end < a[i].end)
			harness_fail("a span disappeared on the second pass");
		if ((a[i].kind == CV_SPAN_PERSON || a[i].kind == CV_SPAN_NAME) && !(a[i].flags & CV_SPAN_KEEP) &&
			b[j].start == a[i].start && b[j].end == a[i].end && strcmp(a[i].replacement, b[j].replacement) != 0)
			harness_fail("a third party was renumbered within a session");
	}
	free(a);
	free(b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	const char *dict = access("/usr/share/dict/french", R_OK) == 0 ? "/usr/share/dict/french" : "/nonexistent";
	if (rfr_engine_new(&engine, dict, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_redact: %s\n", err);
		abort();
	}
	return 0;
}

#define MAXP 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, 0, size);
	char *regbuf = NULL;
	const char *text = (const char *)data;
	size_t tlen = size;
	cv_person_fields p[MAXP];
	const char *firsts[MAXP][4];
	char ids[MAXP][4];
	size_t np = 0;
	memset(p, 0, sizeof p);
	if (nul) {
		size_t rl = (size_t)(nul - (const char *)data);
		regbuf = malloc(rl + 1);
		memcpy(regbuf, data, rl);
		regbuf[rl] = 0;
		text = nul + 1;
		tlen = size - rl - 1;
		char *save = NULL;
		for (char *line = strtok_r(regbuf, "\n", &save); line && np < MAXP; line = strtok_r(NULL, "\n", &save)) {
			char *f[8] = { 0 };
			int nf = 0;
			char *c = line;
			f[nf++] = c;
			for (; *c && nf < 8; c++)
				if (*c == '|') {
					*c = 0;
					f[nf++] = c + 1;
				}
			cv_person_fields *q = &p[np];
			q->size = sizeof *q;
			snprintf(ids[np], sizeof ids[np], "p%zu", np + 1);
			q->id = ids[np];
			q->last = f[0];
			size_t nfirst = 0;
			if (f[1]) {
				char *s2 = NULL;
				for (char *fn = strtok_r(f[1], ",", &s2); fn && nfirst < 4; fn = strtok_r(NULL, ",", &s2))
					firsts[np][nfirst++] = fn;
			}
			q->first = firsts[np];
			q->nfirst = nfirst;
			q->born = f[2];
			q->phone = f[3];
			q->email = f[4];
			q->address = f[5];
			q->nir = f[6];
			q->sex = f[7];
			np++;
		}
	} else {
		static const char *f1[] = { "François", "Louis" }, *f2[] = { "Sophie" }, *f3[] = { "Marc" };
		p[0] = (cv_person_fields){ sizeof p[0], "p1", "child", "Leroy", f1, 2, "2001-05-14", "M", "06 11 22 33 44",
			"francois.leroy@example.fr", "3 rue des Lilas, 69003 Lyon", NULL, NULL };
		p[1] = (cv_person_fields){ sizeof p[1], "p2", "mother", "Leroy", f2, 1, "1980-03-12", "F", "06 12 34 56 78",
			"sophie.leroy@gmail.com", "12 avenue Jean Jaurès, 69007 Lyon", "280036912345615", NULL };
		p[2] = (cv_person_fields){ sizeof p[2], "p3", "father", "Petit", f3, 1, NULL, "M", NULL, NULL, NULL, NULL,
			NULL };
		np = 3;
	}
	rfr_session *s = NULL;
	char err[256];
	if (rfr_session_new(engine, &s, p, np, "p1", err, sizeof err) != 0)
		harness_fail("session failed");
	redact_twice(s, text, tlen);
	/* the register's own strings, redacted as text */
	for (size_t i = 0; i < np; i++) {
		const char *fields[] = { p[i].last, p[i].born, p[i].phone, p[i].email, p[i].address, p[i].nir };
		for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
			if (fields[k])
				redact_twice(s, fields[k], strlen(fields[k]));
	}
	rfr_session_free(s);
	free(regbuf);
	return 0;
}
