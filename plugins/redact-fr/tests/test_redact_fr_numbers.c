/*
 * redact-fr unit tests: "[tiers N]" numbers (issue 18, « Le même numéro
 * désigne toujours la même personne »). An unregistered person named by
 * their surname, their first name and their full name in any order keeps
 * one number; two people sharing a first name keep two; the requester's own
 * first name is never taken for a third party's; a registered person's
 * surname read through a wrong letter next to their first name keeps their
 * number; a second pass of a text in the same session gives the same spans
 * and numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redact_fr.h"
#include "rfr_test_dict.h"
#include "rfr_test_support.h"

/* The shared word list, and the verbs these sentences use. */
static const char *const NUMBERS_DICT[] = { "parle", "passe", "voit", "écrit", "appelle", NULL };
static char dict_path[256];
static rfr_engine *E;

static int setup_all(void **st)
{
	(void)st;
	return rfr_test_engine(&E, dict_path, sizeof dict_path, "numbers-dict", NUMBERS_DICT);
}

static int teardown_all(void **st)
{
	(void)st;
	rfr_engine_free(E);
	unlink(dict_path);
	return 0;
}

/* ---- a little register (rfr_test_support.h) ----------------------------- */


/* One person of the register with a role and one first name. */
static void person(reg *r, const char *id, const char *role, const char *sex, const char *last, const char *f1)
{
	add_person(r, id, sex, last, f1, NULL, NULL, NULL, NULL, NULL, NULL);
	set_role(r, role);
}

/* The requester Zoé Garnier, her mother Élodie Garnier, her father Kevin Joly. */
static void garnier(reg *r)
{
	memset(r, 0, sizeof *r);
	person(r, "p1", "child", "F", "Garnier", "Zoé");
	person(r, "p2", "mother", "F", "Garnier", "Élodie");
	person(r, "p3", "father", "M", "Joly", "Kevin");
}

static rfr_session *session(reg *r, const char *req)
{
	rfr_session *s;
	char err[256];
	assert_int_equal(rfr_session_new(E, &s, r->p, r->n, req, err, sizeof err), 0);
	return s;
}




/* The span of exactly the bracketed part of ctx: its kind, replacement, person and flags must be these. */
static void expect(const result *x, const char *ctx, int kind, const char *repl, const char *person, int flags)
{
	size_t s, e;
	locate(x, ctx, &s, &e);
	for (size_t i = 0; i < x->n; i++) {
		const cv_redact_span *k = &x->s[i];
		if (k->start != s || k->end != e)
			continue;
		if (k->kind != kind || strcmp(k->replacement, repl) || strcmp(k->person, person) || k->flags != flags)
			fail_msg("%s: got kind %d \"%s\" person \"%s\" flags 0x%x", ctx, k->kind, k->replacement, k->person,
				(unsigned)k->flags);
		return;
	}
	fail_msg("no span of exactly %s", ctx);
}

/* No span at all touches the bracketed part: the requester's own words. */
static void untouched(const result *x, const char *ctx)
{
	size_t s, e;
	locate(x, ctx, &s, &e);
	for (size_t i = 0; i < x->n; i++)
		if (x->s[i].start < e && x->s[i].end > s)
			fail_msg("%s: touched by \"%s\" flags 0x%x", ctx, x->s[i].replacement, (unsigned)x->s[i].flags);
}

/* A second pass of the same text in the same session: the same spans, the same numbers. */
static void again_same(rfr_session *s, const result *a)
{
	result b = run(s, a->text);
	assert_int_equal(b.n, a->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(b.s[i].start, a->s[i].start);
		assert_int_equal(b.s[i].end, a->s[i].end);
		assert_int_equal(b.s[i].kind, a->s[i].kind);
		assert_int_equal(b.s[i].flags, a->s[i].flags);
		assert_string_equal(b.s[i].replacement, a->s[i].replacement);
		assert_string_equal(b.s[i].person, a->s[i].person);
	}
	free(b.s);
}

#define NAME CV_SPAN_NAME
#define REVIEW CV_SPAN_REVIEW

/* ---- unregistered people ------------------------------------------------ */

/* The surname first, then the full name, then the first name alone: one number. */
static void t_surname_then_full_then_first(void **st)
{
	(void)st;
	reg r;
	garnier(&r);
	rfr_session *s = session(&r, "p1");
	const char *t1 = "Zoé a vu Mme Bouchet au tribunal.";
	const char *t2 = "Plus tard, Zoé joue avec Céline Bouchet. Céline habite rue des Lilas.";
	result a = run(s, t1), b = run(s, t2);
	expect(&a, "Mme [Bouchet] au", NAME, "[tiers 1]", "", REVIEW);
	expect(&b, "avec [Céline Bouchet].", NAME, "[tiers 1]", "", REVIEW);
	expect(&b, "[Céline] habite", NAME, "[tiers 1]", "", REVIEW);
	untouched(&b, "Plus tard, [Zoé] joue");
	again_same(s, &a);
	again_same(s, &b);
	/* and the second pass numbered nobody new */
	assert_int_equal(rfr_session_numbered(s), 1);
	free(a.s);
	free(b.s);
	rfr_session_free(s);
}

/* The first name first, then the full name, then the surname: one number. */
static void t_first_then_full_then_surname(void **st)
{
	(void)st;
	reg r;
	garnier(&r);
	rfr_session *s = session(&r, "p1");
	const char *t1 = "Zoé joue souvent avec Céline.";
	const char *t2 = "Ce jour, Céline Bouchet est venue. Mme Bouchet a rappelé.";
	result a = run(s, t1), b = run(s, t2);
	expect(&a, "avec [Céline].", NAME, "[tiers 1]", "", REVIEW);
	expect(&b, "Ce jour, [Céline Bouchet] est", NAME, "[tiers 1]", "", REVIEW);
	expect(&b, "Mme [Bouchet] a", NAME, "[tiers 1]", "", REVIEW);
	again_same(s, &b);
	again_same(s, &a);
	assert_int_equal(rfr_session_numbered(s), 1);
	free(a.s);
	free(b.s);
	rfr_session_free(s);
}

/* A name of unknown words ("Maïssa Charrier": no known first name) and its surname alone, in both orders. */
static void t_unknown_first_name(void **st)
{
	(void)st;
	reg r;
	garnier(&r);
	rfr_session *s = session(&r, "p1");
	const char *t = "Zoé parle de son amie Maïssa Charrier. Plus tard, Mme Charrier est venue. "
		"Mme Kowalski est venue ce jour. Zoé a vu Swann Kowalski.";
	result a = run(s, t);
	expect(&a, "amie [Maïssa Charrier].", NAME, "[tiers 1]", "", REVIEW);
	expect(&a, "Mme [Charrier] est", NAME, "[tiers 1]", "", REVIEW);
	expect(&a, "Mme [Kowalski] est venue ce", NAME, "[tiers 2]", "", REVIEW);
	expect(&a, "vu [Swann Kowalski].", NAME, "[tiers 2]", "", REVIEW);
	again_same(s, &a);
	assert_int_equal(rfr_session_numbered(s), 2);
	free(a.s);
	rfr_session_free(s);
}

/* Two unregistered people with one first name: the first name alone is neither of them (its own number, listed
 * for the officer), and each full name keeps its number. */
static void t_two_people_one_first_name(void **st)
{
	(void)st;
	reg r;
	garnier(&r);
	rfr_session *s = session(&r, "p1");
	const char *t1 = "Zoé joue avec Céline Bouchet et avec Céline Martin.";
	const char *t2 = "Ce jour, Céline est venue. Plus tard, Céline Martin a rappelé. Céline Bouchet aussi.";
	result a = run(s, t1), b = run(s, t2);
	expect(&a, "avec [Céline Bouchet] et", NAME, "[tiers 1]", "", REVIEW);
	expect(&a, "avec [Céline Martin].", NAME, "[tiers 2]", "", REVIEW);
	expect(&b, "Ce jour, [Céline] est", NAME, "[tiers 3]", "", REVIEW);
	expect(&b, "tard, [Céline Martin] a", NAME, "[tiers 2]", "", REVIEW);
	expect(&b, "rappelé. [Céline Bouchet] aussi", NAME, "[tiers 1]", "", REVIEW);
	again_same(s, &b);
	assert_int_equal(rfr_session_numbered(s), 3);
	free(a.s);
	free(b.s);
	rfr_session_free(s);
}

/* A surname that already went with one first name is not given to another first name of that family:
 * "Mme Bouchet", "Céline Bouchet", then "Paul Bouchet" is somebody else. */
static void t_same_surname_other_first_name(void **st)
{
	(void)st;
	reg r;
	garnier(&r);
	rfr_session *s = session(&r, "p1");
	const char *t = "Zoé a vu Mme Bouchet. Ce jour, Céline Bouchet est venue. Plus tard, Paul Bouchet a rappelé. "
		"Céline joue. Paul joue.";
	result a = run(s, t);
	expect(&a, "Mme [Bouchet].", NAME, "[tiers 1]", "", REVIEW);
	expect(&a, "jour, [Céline Bouchet] est", NAME, "[tiers 1]", "", REVIEW);
	expect(&a, "tard, [Paul Bouchet] a", NAME, "[tiers 2]", "", REVIEW);
	expect(&a, "[Céline] joue", NAME, "[tiers 1]", "", REVIEW);
	expect(&a, "[Paul] joue", NAME, "[tiers 2]", "", REVIEW);
	again_same(s, &a);
	free(a.s);
	rfr_session_free(s);
}

/* The requester's first name is theirs: an unregistered "Zoé Bouchet" is hidden, "Zoé" alone stays the requester
 * (never that third party's number), and the mother's first name alone is the mother. */
static void t_requester_first_name_kept(void **st)
{
	(void)st;
	reg r;
	garnier(&r);
	rfr_session *s = session(&r, "p1");
	const char *t = "Ce jour, Zoé Bouchet est venue. Plus tard, Zoé a rappelé. Élodie Bouchet joue. Élodie a dit.";
	result a = run(s, t);
	expect(&a, "jour, [Zoé Bouchet] est", NAME, "[tiers 1]", "", REVIEW);
	untouched(&a, "tard, [Zoé] a rappelé");
	expect(&a, "[Élodie Bouchet] joue", NAME, "[tiers 2]", "", REVIEW);
	expect(&a, "[Élodie] a dit", CV_SPAN_PERSON, "[tiers 3]", "p2", 0);
	again_same(s, &a);
	free(a.s);
	rfr_session_free(s);
}

/* ---- registered people read through a wrong letter ------------------------- */

/* "Kevin Jaly" for the father Kevin Joly: his first name says whose surname it is; his number, listed. */
static void t_ocr_surname_after_first_name(void **st)
{
	(void)st;
	reg r;
	garnier(&r);
	rfr_session *s = session(&r, "p1");
	const char *t = "Ce jour, JOLY Kevin est venu. Plus tard, Kevin Jaly a rappelé. Kevin Joly aussi.";
	result a = run(s, t);
	expect(&a, "jour, [JOLY Kevin] est", CV_SPAN_PERSON, "[tiers 1]", "p3", 0);
	expect(&a, "tard, [Kevin Jaly] a", CV_SPAN_PERSON, "[tiers 1]", "p3", REVIEW);
	expect(&a, "rappelé. [Kevin Joly] aussi", CV_SPAN_PERSON, "[tiers 1]", "p3", 0);
	again_same(s, &a);
	assert_int_equal(rfr_session_numbered(s), 1);
	free(a.s);
	rfr_session_free(s);
}

/* The same misreading of the requester's name stays theirs: kept and listed, never hidden. */
static void t_ocr_requester_kept(void **st)
{
	(void)st;
	reg r;
	memset(&r, 0, sizeof r);
	person(&r, "p1", "child", "M", "Joly", "Kevin");
	person(&r, "p2", "mother", "F", "Jolu", "Sophie");
	rfr_session *s = session(&r, "p1");
	const char *t = "Ce jour, Kevin Jaly est venu. Plus tard, Sophie Jolu a rappelé.";
	result a = run(s, t);
	expect(&a, "jour, [Kevin Jaly] est", CV_SPAN_PERSON, "Kevin Jaly", "p1", CV_SPAN_KEEP | REVIEW);
	expect(&a, "tard, [Sophie Jolu] a", CV_SPAN_PERSON, "[tiers 1]", "p2", 0);
	free(a.s);
	rfr_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_surname_then_full_then_first),
		cmocka_unit_test(t_first_then_full_then_surname),
		cmocka_unit_test(t_unknown_first_name),
		cmocka_unit_test(t_two_people_one_first_name),
		cmocka_unit_test(t_same_surname_other_first_name),
		cmocka_unit_test(t_requester_first_name_kept),
		cmocka_unit_test(t_ocr_surname_after_first_name),
		cmocka_unit_test(t_ocr_requester_kept),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
