/*
 * redact-fr — identifier spans: phone numbers, NIR, IBAN, birth dates,
 * e-mail and postal addresses found in the text (parsers in rfr_ident.c),
 * attributed to the person of the register they belong to. The requester's
 * own identifiers are never redacted.
 */
#include "rfr_ident.h"
#include "rfr_work.h"

static int find_phone_owner(const rfr_session *S, const char *norm)
{
	for (size_t i = 0; i < S->np; i++)
		if (S->p[i].phone[0] && strcmp(S->p[i].phone, norm) == 0)
			return (int)i;
	return -1;
}

size_t rfr_id_iban(work *w, size_t p)
{
	size_t e = rfr_parse_iban(w->t, w->len, p);
	if (e)
		rfr_add_span(w, p, e, CV_SPAN_IBAN, 0, -1, -1);
	return e;
}

size_t rfr_id_phone(work *w, size_t p)
{
	char buf[32]; /* the longest normalised number, "+" and 15 digits, fits */
	size_t e = rfr_parse_phone(w->t, w->len, p, buf, sizeof buf);
	if (e) {
		int owner = find_phone_owner(w->S, buf);
		if (owner < 0 || owner != w->S->req)
			rfr_add_span(w, p, e, CV_SPAN_PHONE, 0, owner, -1);
	}
	return e;
}

/* A NIR is redacted when its key checks or it is somebody's of the register: 13 digits alone are too common. */
static size_t id_nir(work *w, size_t p, int *done)
{
	const rfr_session *S = w->S;
	char buf[16];
	int nsym;
	size_t e = rfr_parse_nir(w->t, w->len, p, buf, &nsym);
	*done = 0;
	if (!e)
		return 0;
	int owner = -1;
	for (size_t i = 0; i < S->np; i++)
		if (S->p[i].nir[0] && strncmp(S->p[i].nir, buf, 13) == 0)
			owner = (int)i;
	if (owner >= 0 && owner == S->req) {
		*done = 1; /* the requester's own NIR is kept */
		return e;
	}
	if (nsym == 15 || owner >= 0) {
		rfr_add_span(w, p, e, CV_SPAN_NIR, 0, owner, -1);
		*done = 1;
	}
	return e;
}

/* Dates are redacted only as a third party's birth date: other dates are the file's own history. */
static size_t id_birthdate(work *w, size_t p)
{
	const rfr_session *S = w->S;
	int y, m, d, two;
	size_t e = rfr_parse_date(w->E, &w->E->lx, w->t, w->len, p, &y, &m, &d, &two);
	if (!e)
		return 0;
	int owner = -1, req = 0;
	for (size_t i = 0; i < S->np; i++) {
		const rperson *rp = &S->p[i];
		if (!rp->by || rp->bm != m || rp->bd != d || (two ? rp->by % 100 != y : rp->by != y))
			continue;
		if ((int)i == S->req)
			req = 1;
		else if (owner < 0)
			owner = (int)i;
	}
	if (owner >= 0 && !req)
		rfr_add_span(w, p, e, CV_SPAN_BIRTHDATE, 0, owner, -1);
	return e;
}

/* Every address with a house number is redacted, the requester's own excepted. */
static size_t id_address(work *w, size_t p)
{
	const rfr_session *S = w->S;
	char buf[160];
	size_t off = 0;
	size_t e = rfr_parse_address(w->E, &w->E->lx, w->t, w->len, p, 1, buf, sizeof buf, &off);
	if (!e)
		return 0;
	int owner = -1;
	for (size_t i = 0; i < S->np; i++)
		if (S->p[i].addr[0] && strcmp(S->p[i].addr, buf) == 0) {
			if ((int)i == S->req)
				return e; /* the requester's own address is kept */
			if (owner < 0)
				owner = (int)i;
		}
	rfr_add_span(w, p, e, CV_SPAN_ADDRESS, 0, owner, -1);
	return e;
}

/* The parsers are tried from the most to the least specific: a NIR is also a run of digits a phone parser could
 * take, and a house number starts like a date. */
size_t rfr_id_number(work *w, size_t p)
{
	int done;
	size_t e = id_nir(w, p, &done);
	if (done)
		return e;
	if ((e = rfr_id_phone(w, p)) || (e = id_birthdate(w, p)))
		return e;
	return id_address(w, p);
}

void rfr_id_email(work *w, size_t at)
{
	size_t s;
	size_t e = rfr_parse_email(w->t, w->len, at, &s);
	if (!e)
		return;
	char buf[128];
	size_t n = e - s;
	int owner = -1;
	if (n < sizeof buf) {
		memcpy(buf, w->t + s, n);
		buf[n] = 0;
		rfr_lower_ascii(buf);
		for (size_t i = 0; i < w->S->np; i++)
			if (w->S->p[i].email[0] && strcmp(w->S->p[i].email, buf) == 0) {
				if ((int)i == w->S->req)
					return;
				owner = (int)i;
				break;
			}
	}
	rfr_add_span(w, s, e, CV_SPAN_EMAIL, 0, owner, -1);
}

/* A street named without a number is redacted only when it is a third party's street (and not also the
 * requester's): "rue Victor Hugo" alone is mostly a place, not an address. */
void rfr_street_pass(work *w)
{
	rfr_session *S = w->S;
	/* the street types of the third parties' addresses: "place", "cours" or "passage" in running text is worth
	 * parsing only when somebody lives on such a street */
	uint64_t types = 0;
	for (size_t i = 0; i < S->np; i++) {
		const rperson *rp = &S->p[i];
		if (!rp->addr[0] || (int)i == S->req)
			continue;
		unsigned id = 0;
		for (const char *c = rp->addr + rp->addr_street; *c >= '0' && *c <= '9' && id < 64; c++)
			id = id * 10 + (unsigned)(*c - '0');
		types |= id < 64 ? 1ull << id : ~0ull;
	}
	if (!types)
		return;
	for (size_t ci = 0; ci < w->ncand; ci++) {
		size_t i = w->cand[ci];
		if ((w->tok[i].flags & TF_COVERED) || !(LXF(w, i) & LX_STREET))
			continue;
		unsigned st = LX(w, i)->street;
		if (st < 64 && !(types & (1ull << st)))
			continue;
		char key[160];
		size_t off = 0;
		size_t e = rfr_parse_address(w->E, &w->E->lx, w->t, w->len, w->tok[i].s, 0, key, sizeof key, &off);
		if (!e)
			continue;
		const char *street = key + off;
		int owner = -1, req = 0;
		for (size_t p = 0; p < S->np; p++) {
			const rperson *rp = &S->p[p];
			if (!rp->addr[0] || strcmp(rp->addr + rp->addr_street, street) != 0)
				continue;
			if ((int)p == S->req)
				req = 1;
			else if (owner < 0)
				owner = (int)p;
		}
		if (owner < 0 || req)
			continue;
		rfr_add_span(w, w->tok[i].s, e, CV_SPAN_ADDRESS, 0, owner, -1);
		for (size_t k = i; k < w->nt && w->tok[k].s < e; k++)
			w->tok[k].flags |= TF_COVERED;
	}
}
