/* libFuzzer target: the officer's decision file (core/export/review_file.c)
 * read against a fixed case of two documents and a register of three, then
 * the spans the copy would apply. The file is edited by hand: beyond "no
 * crash, no leak", whatever is accepted must leave no mention to check
 * undecided, and give spans inside the text, sorted, not overlapping, each
 * applied one with a replacement. */
#include "export/review.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const char *TEXT[2] = { "Mme Durand et Kevin Duchamp sont venus. Paul Garnier a appelé le 06 12 34 56 78.",
	"Kevin revient avec la boulangère du quartier et M. Bernard." };
static const cv_span SPANS0[] = {
	{ 4, 10, "person", "[tiers 1]", "p2", 0, 0 }, { 14, 27, "name", "[tiers 2]", "", 1, 0 },
	{ 40, 52, "person", "[tiers 3]", "p3", 0, 0 }, { 66, 80, "phone", "[téléphone]", "p3", 0, 0 } };
static const cv_span SPANS1[] = { { 0, 5, "name", "Kevin", "", 1, 1 }, { 52, 59, "name", "[tiers 4]", "", 1, 0 } };
static const cv_span *SPANS[2] = { SPANS0, SPANS1 };
static const size_t NSPANS[2] = { 4, 2 };

static cv_export_case co;
static cv_doc_info docs[2];
static cv_export_doc outs[2];
static cv_redaction red;
static cv_person persons[3];
static const unsigned char hkey[32] = { 1, 2, 3 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(co.ci.id, sizeof co.ci.id, "c1");
	snprintf(co.ci.ref, sizeof co.ci.ref, "ASE-1");
	static char *ids[] = { "p1", "p2", "p3" }, *roles[] = { "child", "mother", "professional" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(docs[i].id, sizeof docs[i].id, "d%zu", i + 1);
		outs[i].title = (char *)"Document";
	}
	for (size_t i = 0; i < 3; i++) {
		persons[i].id = ids[i];
		persons[i].role = roles[i];
	}
	co.docs = docs;
	co.outs = outs;
	co.nd = 2;
	red.persons = persons;
	red.npersons = 3;
	snprintf(red.requester, sizeof red.requester, "p1");
	snprintf(red.policy, sizeof red.policy, "pol v1");
	return 0;
}

static void check_spans(const char *text, const cv_span *sp, size_t n)
{
	size_t len = strlen(text), prev = 0;
	for (size_t i = 0; i < n; i++) {
		CHECK(sp[i].start >= prev && sp[i].end > sp[i].start && sp[i].end <= len);
		CHECK(sp[i].kept || sp[i].replacement[0]);
		prev = sp[i].end;
	}
	cv_buf out = CV_BUF_INIT;
	CHECK(cv__redaction_render(&out, text, len, sp, n) == 0);
	cv__buf_dispose(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cv_review rv;
	CHECK(cv__review_begin(&rv, CV_REVIEW_APPLY, "fuzz.json", &co, &red) == 0);
	for (size_t d = 0; d < 2; d++)
		CHECK(cv__review_doc(&rv, d, hkey, TEXT[d], strlen(TEXT[d]), SPANS[d], NSPANS[d]) == 0);
	if (cv__review_load_buffer(&rv, (const char *)data, size) == 0) {
		for (size_t i = 0; i < rv.nm; i++)
			CHECK(!rv.m[i].to_check || rv.m[i].dec != CV_DEC_NONE);
		for (size_t d = 0; d < 2; d++) {
			cv_span *sp = NULL;
			size_t n = 0;
			if (cv__review_spans(&rv, d, TEXT[d], strlen(TEXT[d]), SPANS[d], NSPANS[d], &sp, &n) == 0) {
				check_spans(TEXT[d], sp, n);
				free(sp);
			}
		}
		(void)cv__review_done(&rv);
	}
	cv__review_free(&rv);
	return 0;
}
