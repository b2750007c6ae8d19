/* Review and correction of a copy (review.h): the mentions of one case as the
 * engine proposed them, the officer's decisions on them, and the spans the
 * copy applies. The decision file is only trusted for decisions: every
 * mention it names must be one the engine gives now, on the same texts
 * (keyed fingerprints), so a file made on another revision, another
 * register or another engine is refused rather than applied to the wrong
 * words. */
#include "export/review.h"
#include "crypto/kdf.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIERS "[tiers "

int cv__review_begin(cv_review *rv, cv_review_mode mode, const char *path, const cv_export_case *co, const cv_redaction *r)
{
	memset(rv, 0, sizeof *rv);
	rv->mode = mode;
	rv->path = path;
	rv->co = co;
	rv->r = r;
	if (!(rv->docs = calloc(co->nd ? co->nd : 1, sizeof *rv->docs)))
		return cv__oom();
	if (mode == CV_REVIEW_OUT && !(rv->out = json_array()))
		return cv__oom();
	return 0;
}

void cv__review_free(cv_review *rv)
{
	free(rv->docs);
	cv__wipe(rv->m, rv->cap * sizeof *rv->m);
	free(rv->m);
	for (size_t i = 0; i < rv->nadd; i++) {
		cv__wipe(rv->add[i].text, strlen(rv->add[i].text));
		free(rv->add[i].text);
	}
	free(rv->add);
	json_decref(rv->out);
	json_decref(rv->file);
	cv__buf_dispose(&rv->journal);
	memset(rv, 0, sizeof *rv);
}

int cv__review_doc(cv_review *rv, size_t doc, const unsigned char *hkey, const char *text, size_t len, const cv_span *sp,
	size_t n)
{
	unsigned char h[32];
	CV_TRY(cv__hmac_sha256(h, hkey, 32, text, len));
	cv__hex(rv->docs[doc].fingerprint, h, 16);
	rv->docs[doc].text = 1;
	for (size_t i = 0; i < n; i++) {
		CV_TRY(cv__grow((void **)&rv->m, &rv->cap, rv->nm, sizeof *rv->m));
		cv_mention *m = &rv->m[rv->nm++];
		memset(m, 0, sizeof *m);
		snprintf(m->id, sizeof m->id, "m%zu", rv->nm);
		m->doc = doc;
		m->sp = sp[i];
		m->final = sp[i];
		m->to_check = sp[i].review;
		rv->to_check += m->to_check;
		if (rv->mode == CV_REVIEW_OUT) {
			json_t *j = cv__review_mention_json(rv, m, text, len);
			if (!j || json_array_append_new(rv->out, j))
				return cv__oom();
		}
	}
	return 0;
}

/* "[tiers N]" → N, 0 for any other label. */
static unsigned tiers_number(const char *repl)
{
	if (strncmp(repl, TIERS, sizeof TIERS - 1))
		return 0;
	char *end = NULL;
	unsigned long n = strtoul(repl + sizeof TIERS - 1, &end, 10);
	return end && *end == ']' && n < 1000000 ? (unsigned)n : 0;
}

/* The number a person has in this copy (0 when none yet). */
static unsigned person_number(const cv_review *rv, const char *person)
{
	for (size_t i = 0; person[0] && i < rv->nm; i++) {
		const cv_span *s = &rv->m[i].sp;
		if (!s->kept && !strcmp(s->person, person) && tiers_number(s->replacement))
			return tiers_number(s->replacement);
	}
	for (size_t i = 0; person[0] && i < rv->nadd; i++)
		if (!strcmp(rv->add[i].person, person) && tiers_number(rv->add[i].replacement))
			return tiers_number(rv->add[i].replacement);
	return 0;
}

static unsigned next_number(const cv_review *rv)
{
	unsigned max = 0;
	for (size_t i = 0; i < rv->nm; i++) {
		unsigned a = tiers_number(rv->m[i].sp.replacement), b = tiers_number(rv->m[i].final.replacement);
		max = a > max ? a : max;
		max = b > max ? b : max;
	}
	for (size_t i = 0; i < rv->nadd; i++)
		if (tiers_number(rv->add[i].replacement) > max)
			max = tiers_number(rv->add[i].replacement);
	return max + 1;
}

static int is_third_party(const cv_review *rv, const char *person)
{
	if (!person[0] || !strcmp(person, rv->r->requester))
		return 0;
	for (size_t i = 0; i < rv->r->npersons; i++)
		if (!strcmp(rv->r->persons[i].id, person))
			return 1;
	return 0;
}

/* The label a masked person gets: the number they already have, or the next. */
static void person_label(const cv_review *rv, const char *person, char *out, size_t n)
{
	unsigned num = is_third_party(rv, person) ? person_number(rv, person) : 0;
	snprintf(out, n, TIERS "%u]", num ? num : next_number(rv));
}

static int journal_line(cv_review *rv, const cv_mention *m, const char *decision)
{
	rv->corrections++;
	return cv__buf_printf(&rv->journal, "doc:%s mention:%s kind:%s proposed:%s person:%s decision:%s\n",
		rv->co->docs[m->doc].id, m->id, m->sp.kind, m->sp.kept ? "kept" : "masked", m->sp.person[0] ? m->sp.person : "-",
		decision);
}

/* One decision applied to its mention's final span. */
static int decide(cv_review *rv, cv_mention *m)
{
	cv_span *f = &m->final;
	char dec[80];
	switch (m->dec) {
	case CV_DEC_NONE:
		return 0;
	case CV_DEC_ACCEPT:
		rv->accepted++;
		return 0;
	case CV_DEC_UNMASK:
		f->kept = CV_KEPT_OFFICER;
		return journal_line(rv, m, "unmask");
	case CV_DEC_MASK:
		/* only names are ever kept (identifiers of the requester give no
		 * span): a kept mention becomes a person; a hidden one stays as is */
		if (f->kept) {
			f->kept = 0;
			person_label(rv, f->person, f->replacement, sizeof f->replacement);
		}
		return journal_line(rv, m, "mask");
	case CV_DEC_REASSIGN:
		if (!is_third_party(rv, m->target))
			return cv__err(CV_EINVAL, "review file %s, mention %s: '%s' is not a third party of the case (a person id of "
				"the register other than the requester; to leave a mention in clear, write \"unmask\")",
				rv->path, m->id, m->target);
		f->kept = 0;
		snprintf(f->kind, sizeof f->kind, "person");
		snprintf(f->person, sizeof f->person, "%s", m->target);
		person_label(rv, m->target, f->replacement, sizeof f->replacement);
		snprintf(dec, sizeof dec, "reassign:%s", m->target);
		return journal_line(rv, m, dec);
	}
	return 0;
}

/* Merged numbers: every "[tiers N]" becomes "[tiers M]". */
static int merge_numbers(cv_review *rv, unsigned from, unsigned into)
{
	char want[48], to[48];
	snprintf(want, sizeof want, TIERS "%u]", from);
	snprintf(to, sizeof to, TIERS "%u]", into);
	for (size_t i = 0; i < rv->nm; i++)
		if (!strcmp(rv->m[i].final.replacement, want))
			snprintf(rv->m[i].final.replacement, sizeof rv->m[i].final.replacement, "%s", to);
	for (size_t i = 0; i < rv->nadd; i++)
		if (!strcmp(rv->add[i].replacement, want))
			snprintf(rv->add[i].replacement, sizeof rv->add[i].replacement, "%s", to);
	rv->corrections++;
	return cv__buf_printf(&rv->journal, "merge:%u into:%u\n", from, into);
}

static int refuse_undecided(const cv_review *rv)
{
	unsigned left = 0;
	char list[200] = "";
	for (size_t i = 0; i < rv->nm; i++) {
		if (!rv->m[i].to_check || rv->m[i].dec != CV_DEC_NONE)
			continue;
		if (left++ < 8)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", left > 1 ? ", " : "", rv->m[i].id);
	}
	if (!left)
		return 0;
	return cv__err(CV_ESTATE, "review file %s: %u mention%s to check %s no decision (%s%s); the copy is final only when "
		"each is accepted, unmasked, masked or reassigned", rv->path, left, left > 1 ? "s" : "", left > 1 ? "have" : "has",
		list, left > 8 ? ", ..." : "");
}

int cv__review_decide_all(cv_review *rv, const unsigned *merge_from, const unsigned *merge_into, size_t nmerge)
{
	CV_TRY(refuse_undecided(rv));
	for (size_t i = 0; i < rv->nm; i++) {
		rv->decided += rv->m[i].dec != CV_DEC_NONE;
		CV_TRY(decide(rv, &rv->m[i]));
	}
	for (size_t i = 0; i < rv->nadd; i++)
		if (!rv->add[i].replacement[0])
			person_label(rv, rv->add[i].person, rv->add[i].replacement, sizeof rv->add[i].replacement);
	for (size_t i = 0; i < nmerge; i++)
		CV_TRY(merge_numbers(rv, merge_from[i], merge_into[i]));
	return 0;
}

static int word_edge(const char *text, size_t len, size_t at)
{
	if (at >= len)
		return 1;
	unsigned char c = (unsigned char)text[at];
	return !(c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}

static int overlaps(const cv_span *sp, size_t n, size_t s, size_t e)
{
	for (size_t i = 0; i < n; i++)
		if (sp[i].start < e && s < sp[i].end)
			return 1;
	return 0;
}

/* The passages the officer masks by hand, as spans of this document. */
static int added_spans(cv_review *rv, size_t doc, const char *text, size_t len, cv_span **sp, size_t *n, size_t *cap)
{
	for (size_t a = 0; a < rv->nadd; a++) {
		cv_added *ad = &rv->add[a];
		size_t tl = strlen(ad->text);
		if (ad->doc != doc || !tl)
			continue;
		for (const char *p = text; (p = memmem(p, len - (size_t)(p - text), ad->text, tl)); p += tl) {
			size_t s = (size_t)(p - text), e = s + tl;
			if (!word_edge(text, len, e) || (s && !word_edge(text, len, s - 1)) || overlaps(*sp, *n, s, e))
				continue;
			CV_TRY(cv__grow((void **)sp, cap, *n, sizeof **sp));
			cv_span *x = &(*sp)[(*n)++];
			memset(x, 0, sizeof *x);
			x->start = s;
			x->end = e;
			snprintf(x->kind, sizeof x->kind, "%s", ad->person[0] ? "person" : "name");
			snprintf(x->person, sizeof x->person, "%s", ad->person);
			snprintf(x->replacement, sizeof x->replacement, "%s", ad->replacement);
			ad->found++;
		}
	}
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const cv_span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

int cv__review_spans(cv_review *rv, size_t doc, const char *text, size_t len, const cv_span *now, size_t n, cv_span **out,
	size_t *nout)
{
	size_t k = 0, cap = n + 1, got = 0;
	cv_span *sp = calloc(cap, sizeof *sp);
	if (!sp)
		return cv__oom();
	int rc = 0;
	for (size_t i = 0; !rc && i < rv->nm; i++) {
		if (rv->m[i].doc != doc)
			continue;
		/* the engine must give now what was reviewed */
		if (k >= n || now[k].start != rv->m[i].sp.start || now[k].end != rv->m[i].sp.end ||
			strcmp(now[k].replacement, rv->m[i].sp.replacement))
			rc = cv__err(CV_ESTATE, "document %s gave other mentions than at the review; make a new review file",
				rv->co->docs[doc].id);
		else
			sp[got++] = rv->m[i].final;
		k++;
	}
	if (!rc && k != n)
		rc = cv__err(CV_ESTATE, "document %s gave other mentions than at the review; make a new review file",
			rv->co->docs[doc].id);
	if (!rc)
		rc = added_spans(rv, doc, text, len, &sp, &got, &cap);
	if (rc) {
		free(sp);
		return rc;
	}
	if (got > 1)
		qsort(sp, got, sizeof *sp, by_start);
	*out = sp;
	*nout = got;
	return 0;
}

int cv__review_done(cv_review *rv)
{
	for (size_t i = 0; i < rv->nadd; i++)
		if (!rv->add[i].found)
			return cv__err(CV_EINVAL, "review file %s: the passage to mask number %zu (\"add\") is not found as a whole "
				"word in document %s (outside the mentions already listed)", rv->path, i + 1, rv->co->docs[rv->add[i].doc].id);
	return 0;
}
