/* Redaction sessions through the redaction plugin: the case's register is
 * decrypted, handed to the plugin as cv_person_fields, and the spans it
 * returns are checked (bounds, order) before they are applied: the plugin's
 * output is not trusted to be well formed. */
#include "export/redaction.h"
#include "records/persons.h"
#include "records/blocks.h"
#include "records/cases.h"
#include "util/text.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_name(int k)
{
	switch (k) {
	case CV_SPAN_PERSON: return "person";
	case CV_SPAN_NAME: return "name";
	case CV_SPAN_PHONE: return "phone";
	case CV_SPAN_EMAIL: return "email";
	case CV_SPAN_NIR: return "nir";
	case CV_SPAN_IBAN: return "iban";
	case CV_SPAN_ADDRESS: return "address";
	case CV_SPAN_BIRTHDATE: return "birthdate";
	default: return "other";
	}
}


int cv__redaction_open(cv_redaction **out, cv_archive *a, const char *case_id, const cv_case_key *k, const char *requester)
{
	*out = NULL;
	cv_plugin_load(a->plugin_path);
	const cv_loaded *pl = cv__plugin_redact(NULL);
	if (!pl)
		return cv__err(CV_EPLUGIN, "no redaction plugin is loaded");
	cv_redaction *r = calloc(1, sizeof *r);
	if (!r)
		return cv__oom();
	r->plugin = pl;
	int rc = cv__persons_load(a, case_id, k, &r->persons, &r->npersons);
	if (!rc && requester) {
		size_t i = 0;
		while (i < r->npersons && strcmp(r->persons[i].id, requester))
			i++;
		if (i == r->npersons)
			rc = cv__err(CV_ENOTFOUND, "person '%s' is not in case %s", requester, case_id);
	}
	if (!rc) {
		r->fields = calloc(r->npersons ? r->npersons : 1, sizeof *r->fields);
		if (!r->fields)
			rc = cv__oom();
		for (size_t i = 0; !rc && i < r->npersons; i++) {
			const cv_person *p = &r->persons[i];
			cv_person_fields *f = &r->fields[i];
			f->size = sizeof *f;
			f->id = p->id;
			f->role = p->role;
			f->last = p->last;
			f->first = (const char *const *)p->first;
			f->nfirst = p->nfirst;
			f->born = p->born;
			f->sex = p->sex;
			f->phone = p->phone;
			f->email = p->email;
			f->address = p->address;
			f->nir = p->nir;
			f->function = p->function;
		}
	}
	if (!rc) {
		snprintf(r->requester, sizeof r->requester, "%s", requester ? requester : "");
		cv_error_clear();
		if (pl->redact->session_new(pl->redact->state, &r->session, r->fields, r->npersons, requester))
			rc = cv_error_last()->code ? cv_error_last()->code : cv__err(CV_EPLUGIN, "redaction plugin refused the register");
	}
	if (rc) {
		cv__redaction_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void cv__redaction_close(cv_redaction *r)
{
	if (!r)
		return;
	if (r->session)
		r->plugin->redact->session_free(r->session);
	for (size_t i = 0; i < r->npersons; i++)
		cv__person_free_fields(&r->persons[i]);
	free(r->persons);
	free(r->fields);
	free(r->shown);
	free(r);
}

/* The plugin's spans in the host's form; the policy decides which agents'
 * names stay. */
static int spans_convert(const cv_redaction *r, const char *text, const cv_redact_span *raw, size_t n, cv_span **out)
{
	cv_span *sp = calloc(n ? n : 1, sizeof *sp);
	if (!sp)
		return cv__oom();
	for (size_t i = 0; i < n; i++) {
		sp[i].start = raw[i].start;
		sp[i].end = raw[i].end;
		cv__copy_trunc(sp[i].kind, sizeof sp[i].kind, kind_name(raw[i].kind));
		cv__copy_trunc(sp[i].replacement, sizeof sp[i].replacement, raw[i].replacement);
		cv__copy_trunc(sp[i].person, sizeof sp[i].person, raw[i].person);
		sp[i].review = (raw[i].flags & CV_SPAN_REVIEW) != 0;
		if ((raw[i].flags & CV_SPAN_KEEP) != 0 || (raw[i].end - raw[i].start == strlen(raw[i].replacement) &&
			!memcmp(text + raw[i].start, raw[i].replacement, raw[i].end - raw[i].start)))
			sp[i].kept = CV_KEPT_REQUESTER;
		else if (raw[i].kind == CV_SPAN_PERSON && r->shown)
			for (size_t j = 0; j < r->npersons; j++)
				if (r->shown[j] && !strcmp(r->persons[j].id, sp[i].person))
					sp[i].kept = CV_KEPT_AGENT;
	}
	*out = sp;
	return 0;
}

int cv__redaction_render(cv_buf *o, const char *text, size_t len, const cv_span *sp, size_t n)
{
	size_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		if (sp[i].kept)
			continue;
		CV_TRY(cv__buf_put(o, text + prev, sp[i].start - prev));
		CV_TRY(cv__buf_puts(o, sp[i].replacement));
		prev = sp[i].end;
	}
	CV_TRY(cv__buf_put(o, text + prev, len - prev));
	return cv__buf_cstr(o);
}

CV_EXTERN(int) cv_redaction_apply(cv_redaction *r, const char *text, size_t len, char **out, size_t *outlen, cv_span **spans,
	size_t *nspans)
{
	cv_redact_span *raw = NULL;
	size_t n = 0;
	*out = NULL;
	*outlen = 0;
	if (spans)
		*spans = NULL;
	if (nspans)
		*nspans = 0;
	cv_error_clear();
	if (r->plugin->redact->redact(r->session, text, len, &raw, &n))
		return cv_error_last()->code ? cv_error_last()->code : cv__err(CV_EPLUGIN, "redaction failed");
	size_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		if (raw[i].start < prev || raw[i].end <= raw[i].start || raw[i].end > len ||
			!memchr(raw[i].replacement, '\0', sizeof raw[i].replacement)) {
			free(raw);
			return cv__err(CV_EPLUGIN, "redaction plugin %s returned malformed spans", r->plugin->name);
		}
		prev = raw[i].end;
	}
	cv_span *sp = NULL;
	cv_buf o = CV_BUF_INIT;
	int rc = spans_convert(r, text, raw, n, &sp);
	free(raw); /* the host's alloc is malloc */
	if (!rc)
		rc = cv__redaction_render(&o, text, len, sp, n);
	if (rc) {
		cv__buf_wipe_dispose(&o);
		free(sp);
		return rc;
	}
	*outlen = o.len;
	*out = cv__buf_detach(&o);
	if (spans) {
		*spans = sp;
		*nspans = n;
	} else {
		free(sp);
	}
	return 0;
}

int cv__redaction_set_policy(cv_redaction *r, const cv_redpolicy *p)
{
	free(r->shown);
	r->shown = NULL;
	r->policy[0] = '\0';
	if (!p)
		return 0;
	snprintf(r->policy, sizeof r->policy, "%s v%d", p->name, p->version);
	if (!(r->shown = calloc(r->npersons ? r->npersons : 1, 1)))
		return cv__oom();
	for (size_t i = 0; i < r->npersons; i++)
		r->shown[i] = strcmp(r->persons[i].id, r->requester) &&
			cv__redpolicy_shows(p, r->persons[i].role, r->persons[i].function);
	return 0;
}

CV_EXTERN(void) cv_redaction_spans_free(cv_span *spans)
{
	free(spans);
}

CV_EXTERN(int) cv_redaction_new(cv_redaction **out, cv_archive *a, const char *case_ref, const char *requester)
{
	char id[40], detail[80];
	cv_case_key k;
	*out = NULL;
	snprintf(detail, sizeof detail, "for:%.40s", requester ? requester : "");
	CV_TRY(cv__case_gate(a, "redact", case_ref, id, detail));
	CV_TRY(cv__export_allowed(a, id, requester));
	int rc = cv__case_key_load(a, id, &k);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ESTATE, "case %s was anonymised or destroyed: it has no register any more", case_ref);
	CV_TRY(rc);
	char obj[160];
	snprintf(obj, sizeof obj, "case:%s %s", id, detail);
	rc = cv__journal_record(a->cat, a->actor, "redact", obj, "ok");
	if (!rc)
		rc = cv__redaction_open(out, a, id, &k, requester);
	cv__case_key_wipe(&k);
	cv_redpolicy pol; /* the same names shown as in the copy */
	if (!rc && !(rc = cv__redpolicy_load(&pol, NULL))) {
		rc = cv__redaction_set_policy(*out, &pol);
		cv__redpolicy_free(&pol);
	}
	if (rc) {
		cv__redaction_close(*out);
		*out = NULL;
	}
	return rc;
}

CV_EXTERN(void) cv_redaction_free(cv_redaction *r)
{
	cv__redaction_close(r);
}
