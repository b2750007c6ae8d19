/*
 * redact-fr — spans: what the passes found, recorded, sorted and merged
 * into the caller's sorted, non-overlapping spans (identifiers win over
 * names, a kept mention never hides a redaction), each with its
 * replacement and a third party's stable number; and rfr_redact, which runs
 * the passes in order, over a long text window by window.
 */
#include "rfr_work.h"

#include <stdio.h>
#include <stdlib.h>

void *rfr_grow(work *w, void *p, size_t *cap, size_t need, size_t elem)
{
	void *np = rfr_array_grow(&w->E->a, p, cap, need, elem, 64);
	if (!np)
		w->oom = 1;
	return np;
}

void rfr_add_span(work *w, size_t s, size_t e, int kind, int flags, int person, int entity)
{
	if (w->ns == w->capsp) {
		ispan *n = rfr_grow(w, w->sp, &w->capsp, w->ns + 1, sizeof *w->sp);
		if (!n)
			return;
		w->sp = n;
	}
	ispan *x = &w->sp[w->ns++];
	x->s = s;
	x->e = e;
	x->kind = kind;
	x->flags = flags;
	x->person = person;
	x->entity = entity;
}

static int span_cmp(const void *a, const void *b)
{
	const ispan *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->e != y->e)
		return x->e > y->e ? -1 : 1;
	return 0;
}

/* Merge the sorted runs src[a, m) and src[m, b) into dst[a, b). */
static void merge_runs(const ispan *src, ispan *dst, size_t a, size_t m, size_t b)
{
	size_t i = a, j = m, o = a;
	while (i < m && j < b)
		dst[o++] = span_cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
	while (i < m)
		dst[o++] = src[i++];
	while (j < b)
		dst[o++] = src[j++];
}

/* The passes add spans in a few runs, each in text order (identifiers while tokenizing, then names, then learned
 * surnames): merging the runs is linear where qsort paid its full cost on every document. Many runs (or no memory
 * for the merge) fall back to qsort. */
static void sort_spans(work *w, ispan *sp, size_t n)
{
	size_t runs = 1;
	for (size_t i = 1; i < n; i++)
		runs += span_cmp(&sp[i - 1], &sp[i]) > 0;
	if (runs == 1)
		return;
	ispan *tmp = NULL;
	if (runs <= 16 && n > w->capsp2) {
		size_t cap = w->capsp2;
		int oom = w->oom;
		ispan *t = rfr_grow(w, w->sp2, &cap, n, sizeof *t);
		if (t) {
			w->sp2 = t;
			w->capsp2 = cap;
		}
		w->oom = oom; /* no room to merge is no failure: qsort needs none */
	}
	if (runs <= 16 && n <= w->capsp2)
		tmp = w->sp2;
	if (!tmp) {
		qsort(sp, n, sizeof *sp, span_cmp);
		return;
	}
	ispan *src = sp, *dst = tmp;
	while (runs > 1) {
		/* one sweep merges the runs two by two */
		size_t a = 0, left = 0;
		while (a < n) {
			size_t m = a + 1;
			while (m < n && span_cmp(&src[m - 1], &src[m]) <= 0)
				m++;
			size_t b = m;
			if (b < n) {
				b++;
				while (b < n && span_cmp(&src[b - 1], &src[b]) <= 0)
					b++;
			}
			merge_runs(src, dst, a, m, b);
			left++;
			a = b;
		}
		runs = left;
		ispan *t = src;
		src = dst;
		dst = t;
	}
	if (src != sp)
		memcpy(sp, src, n * sizeof *sp);
}

/* Where spans overlap, the merged span takes the most specific kind: e-mail, IBAN, NIR, phone, address, birth date,
 * then a registered person, then an unregistered name. */
static int prio(const ispan *s)
{
	static const int P[] = { 0, 2, 1, 5, 8, 6, 7, 4, 3 };
	if (s->flags & CV_SPAN_KEEP)
		return 0;
	return (s->kind >= 1 && s->kind <= 8) ? P[s->kind] : 0;
}

/* The words inside an identifier are no names ("rue Victor Hugo" in an address, a surname in an e-mail): marked
 * before the name passes run. */
void rfr_cover_identifiers(work *w)
{
	if (!w->ns)
		return;
	sort_spans(w, w->sp, w->ns);
	/* spans and words are both in text order: one walk over the two (a binary search per span read the words of
	 * a long text at random) */
	size_t i = 0;
	for (size_t k = 0; k < w->ns; k++) {
		while (i < w->nt && w->tok[i].e <= w->sp[k].s)
			i++; /* the first word ending after the span's start */
		size_t lo = i;
		for (size_t j = lo; j < w->nt && w->tok[j].s < w->sp[k].e; j++)
			w->tok[j].flags |= TF_COVERED;
	}
}

size_t rfr_merge_spans(work *w)
{
	if (!w->ns)
		return 0;
	sort_spans(w, w->sp, w->ns);
	size_t o = 0;
	for (size_t i = 0; i < w->ns; i++) {
		ispan *x = &w->sp[i];
		if (o > 0 && x->s < w->sp[o - 1].e) {
			ispan *c = &w->sp[o - 1];
			if (x->flags & CV_SPAN_KEEP)
				continue; /* a kept mention inside a redaction */
			if (c->flags & CV_SPAN_KEEP) {
				*c = *x;
				continue;
			}
			if (x->e > c->e)
				c->e = x->e;
			if (prio(x) > prio(c)) {
				c->kind = x->kind;
				c->person = x->person;
				c->entity = x->entity;
				c->flags = x->flags;
			} else {
				c->flags |= x->flags & CV_SPAN_REVIEW;
			}
			continue;
		}
		w->sp[o++] = *x;
	}
	/* a kept marker swallowed an overlapping redaction above: recheck */
	size_t o2 = 0;
	for (size_t i = 0; i < o; i++) {
		if (o2 > 0 && w->sp[i].s < w->sp[o2 - 1].e) {
			if (w->sp[i].e > w->sp[o2 - 1].e)
				w->sp[o2 - 1].e = w->sp[i].e;
			continue;
		}
		w->sp[o2++] = w->sp[i];
	}
	return o2;
}

static const char *kind_repl(int kind)
{
	switch (kind) {
	case CV_SPAN_PHONE: return "[téléphone]";
	case CV_SPAN_EMAIL: return "[courriel]";
	case CV_SPAN_NIR: return "[NIR]";
	case CV_SPAN_IBAN: return "[IBAN]";
	case CV_SPAN_ADDRESS: return "[adresse]";
	case CV_SPAN_BIRTHDATE: return "[date de naissance]";
	default: return "[tiers]";
	}
}

/* "[tiers N]": N is the person's (or the unregistered entity's) number in the session, given at its first span, so
 * that a reader can follow one third party through the copy without knowing who it is. */
static void third_party_label(rfr_session *S, const ispan *x, char *out)
{
	unsigned num = 0;
	if (x->person >= 0) {
		if (!S->num[x->person])
			S->num[x->person] = S->next_num++;
		num = S->num[x->person];
	} else if (x->entity >= 0 && (size_t)x->entity < S->nents) {
		if (!S->ents[x->entity].num)
			S->ents[x->entity].num = S->next_num++;
		num = S->ents[x->entity].num;
	} else {
		num = S->next_num++;
	}
	char digits[12];
	size_t nd = 0;
	do {
		digits[nd++] = (char)('0' + num % 10);
		num /= 10;
	} while (num);
	memcpy(out, "[tiers ", 7);
	for (size_t q = 0; q < nd; q++)
		out[7 + q] = digits[nd - 1 - q];
	out[7 + nd] = ']';
	out[8 + nd] = 0;
}

static void output_span(rfr_session *S, const char *text, const ispan *x, cv_redact_span *o)
{
	memset(o, 0, sizeof *o);
	o->start = x->s;
	o->end = x->e;
	o->kind = x->kind;
	o->flags = x->flags;
	if (x->person >= 0 && (size_t)x->person < S->np)
		memcpy(o->person, S->p[x->person].id, S->p[x->person].idlen + 1);
	if (x->flags & CV_SPAN_KEEP) {
		memcpy(o->replacement, text + x->s, x->e - x->s);
		o->replacement[x->e - x->s] = 0;
	} else if (x->kind == CV_SPAN_PERSON || x->kind == CV_SPAN_NAME) {
		third_party_label(S, x, o->replacement);
	} else {
		const char *r = kind_repl(x->kind);
		memcpy(o->replacement, r, strlen(r) + 1);
	}
}

/* The work borrows the session's buffers: a copy of many documents allocates them once. */
static void work_begin(work *w, rfr_session *S)
{
	memset(w, 0, sizeof *w);
	w->tok = S->tok;
	w->capt = S->capt;
	w->fb = S->fb;
	w->fbcap = S->fbcap;
	w->sp = S->sp;
	w->capsp = S->capsp;
	w->sp2 = S->sp2;
	w->capsp2 = S->capsp2;
	w->cand = S->cand;
	w->capcand = S->capcand;
	w->S = S;
	w->E = S->e;
}

static void work_end(work *w, rfr_session *S)
{
	/* the folded text: wiped after each document, as far as any window wrote (the word copy may write 7 bytes past
	 * its end) */
	size_t used = (w->fbn > w->fbdirty ? w->fbn : w->fbdirty) + 8;
	if (w->fb)
		memset(w->fb, 0, used < w->fbcap ? used : w->fbcap);
	S->tok = w->tok;
	S->capt = w->capt;
	S->fb = w->fb;
	S->fbcap = w->fbcap;
	S->sp = w->sp;
	S->capsp = w->capsp;
	S->sp2 = w->sp2;
	S->capsp2 = w->capsp2;
	S->cand = w->cand;
	S->capcand = w->capcand;
}

/* Where a window starting at `off` ends. A long text is cut at a paragraph break (a blank line) found at or after
 * `win` bytes, looked for over a bounded stretch (RFR_CUT_SEARCH, or the window if smaller); failing that, after a
 * line break that follows a sentence end, then after any line break; with none of them the window grows by that
 * stretch and the search goes on (a text without line breaks is one window). The cut falls just after the line
 * break, so that no word, identifier or name group (none crosses a blank line) is split; the window's first word
 * then reads as a text's first word, which every rule treats as a word after a blank line. */
static size_t window_end(const unsigned char *t, size_t len, size_t off, size_t win)
{
	if (len - off <= win)
		return len;
	const size_t stretch = win < RFR_CUT_SEARCH ? win : RFR_CUT_SEARCH;
	size_t a = off + win;
	while (a < len) {
		size_t b = len - a > stretch ? a + stretch : len;
		size_t sent = 0, line = 0;
		for (const unsigned char *q = t + a; (q = memchr(q, '\n', (size_t)(t + b - q))) != NULL; q++) {
			size_t p = (size_t)(q - t);
			/* "\n\n", "\n\r\n", also with spaces or tabs on the empty line */
			size_t r = p + 1;
			while (r < len && (t[r] == ' ' || t[r] == '\t' || t[r] == '\r'))
				r++;
			if (r < len && t[r] == '\n')
				return r + 1;
			if (!line)
				line = p + 1;
			if (!sent) {
				size_t k = p;
				while (k > off && (t[k - 1] == ' ' || t[k - 1] == '\t' || t[k - 1] == '\r'))
					k--;
				if (k > off && (t[k - 1] == '.' || t[k - 1] == '!' || t[k - 1] == '?' ||
						       (k >= off + 3 && t[k - 3] == 0xE2 && t[k - 2] == 0x80 && t[k - 1] == 0xA6)))
					sent = p + 1;
			}
		}
		if (sent)
			return sent;
		if (line)
			return line;
		a = b;
	}
	return len;
}

size_t rfr_window_size(const rfr_session *S)
{
	return S->window ? S->window : RFR_WINDOW;
}

int rfr_redact(rfr_session *S, const char *text, size_t len, cv_redact_span **spans, size_t *nspans, char *err,
	size_t errlen)
{
	*spans = NULL;
	*nspans = 0;
	if (!S)
		return RFR_ERR(CV_EINVAL, "redact-fr: no session");
	if (len >= (size_t)UINT32_MAX)
		return RFR_ERR(CV_EINVAL, "redact-fr: text of %zu bytes is too large (4 GiB at most)", len);
	if (!text && len)
		return RFR_ERR(CV_EINVAL, "redact-fr: no text");
	if (!len)
		return 0;
	work w;
	work_begin(&w, S);
	const rfr_alloc *A = &S->e->a;
	const unsigned char *t = (const unsigned char *)text;
	const size_t win = rfr_window_size(S);
	cv_redact_span *out = NULL;
	size_t n = 0, cap = 0;
	/* A long text goes through in windows, each with the same (small, cache-resident) buffers; the spans of a
	 * window end before the next starts, so that its sorted, merged spans only need shifting and appending. The
	 * session carries what one window learns to the next, as it does from a document to the next: numbers,
	 * unregistered people, learned surnames. */
	for (size_t off = 0; off < len && !w.oom;) {
		size_t end = window_end(t, len, off, win);
		w.t = t + off;
		w.len = end - off;
		w.nt = 0;
		if (w.fbn > w.fbdirty)
			w.fbdirty = w.fbn;
		w.fbn = 0;
		w.ns = 0;
		w.ncand = 0;
		w.learn = 0;
		rfr_tokenize(&w);
		if (!w.oom) {
			rfr_cover_identifiers(&w);
			rfr_street_pass(&w);
			rfr_names_pass(&w);
			rfr_learned_pass(&w);
		}
		size_t m = w.oom ? 0 : rfr_merge_spans(&w);
		if (m && n + m > cap) {
			size_t nc = cap ? cap : (end == len ? m : (len / (end - off) + 1) * m + 64);
			while (nc < n + m)
				nc *= 2;
			cv_redact_span *o2 = A->realloc(out, nc * sizeof *out);
			if (!o2)
				w.oom = 1;
			else {
				out = o2;
				cap = nc;
			}
		}
		for (size_t i = 0; !w.oom && i < m; i++) {
			ispan *x = &w.sp[i];
			x->s += off;
			x->e += off;
			output_span(S, text, x, &out[n++]);
		}
		off = end;
	}
	work_end(&w, S);
	if (w.oom) {
		A->free(out);
		return RFR_ERR(CV_ENOMEM, "redact-fr: out of memory");
	}
	if (!n) {
		A->free(out);
		out = NULL;
	}
	*spans = out;
	*nspans = n;
	return 0;
}
