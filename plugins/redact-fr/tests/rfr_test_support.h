/* What both redact-fr unit test programs use to write a register and read
 * the engine's answer: a little register (persons with their first names),
 * a run that checks the span contract, and the bracket notation of the
 * expectations ("Mme [Leroy] est venue": the bracketed part's offsets).
 * Header-only; one copy per test program. */
#ifndef RFR_TEST_SUPPORT_H
#define RFR_TEST_SUPPORT_H

#include <string.h>

#include "redact_fr.h"

typedef struct reg {
	cv_person_fields p[8];
	const char *firsts[8][4];
	size_t n;
} reg;

static void add_person(reg *r, const char *id, const char *sex, const char *last, const char *f1, const char *f2,
	const char *born, const char *phone, const char *email, const char *address, const char *nir)
{
	cv_person_fields *p = &r->p[r->n];
	memset(p, 0, sizeof *p);
	p->size = sizeof *p;
	p->id = id;
	p->sex = sex;
	p->last = last;
	r->firsts[r->n][0] = f1;
	r->firsts[r->n][1] = f2;
	p->first = r->firsts[r->n];
	p->nfirst = f2 ? 2 : 1;
	p->born = born;
	p->phone = phone;
	p->email = email;
	p->address = address;
	p->nir = nir;
	r->n++;
}

static void set_role(reg *r, const char *role)
{
	r->p[r->n - 1].role = role;
}

typedef struct result {
	cv_redact_span *s;
	size_t n;
	const char *text;
} result;

static result run(rfr_session *s, const char *text)
{
	result r = { NULL, 0, text };
	char err[256] = "";
	int rc = rfr_redact(s, text, strlen(text), &r.s, &r.n, err, sizeof err);
	assert_int_equal(rc, 0);
	/* the contract: sorted, not overlapping, inside the text */
	const size_t tl = strlen(text);
	for (size_t i = 0; i < r.n; i++) {
		assert_true(r.s[i].start < r.s[i].end);
		assert_true(r.s[i].end <= tl);
		if (i)
			assert_true(r.s[i - 1].end <= r.s[i].start);
	}
	return r;
}

/* `ctx` is a piece of the text with the name in brackets: "[Leroy] est venue".
 * Finds the bracketed part's offsets in the text. */
static void locate(const result *r, const char *ctx, size_t *s, size_t *e)
{
	char plain[256];
	size_t o = 0, a = 0, b = 0;
	for (const char *c = ctx; *c && o + 1 < sizeof plain; c++) {
		if (*c == '[')
			a = o;
		else if (*c == ']')
			b = o;
		else
			plain[o++] = *c;
	}
	plain[o] = 0;
	if (!b) {
		a = 0;
		b = o;
	}
	const char *p = strstr(r->text, plain);
	if (!p)
		fail_msg("not in the text: %s", plain);
	*s = (size_t)(p - r->text) + a;
	*e = (size_t)(p - r->text) + b;
}

#endif
