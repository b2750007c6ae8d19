/* The JSON objects shared by the command line and the web service's API
 * (cvjson.h). Keys are the contract of docs/cli.md: change them only there
 * first. */
#include "cvjson.h"

json_t *cvj_str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *cvj_case(const cv_case_info *ci)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:b,s:b,s:i,s:i,s:I}", "id", ci->id, "ref", ci->ref, "category",
		ci->category, "state", ci->state, "opened", cvj_str_or_null(ci->opened), "closed", cvj_str_or_null(ci->closed),
		"territory", cvj_str_or_null(ci->territory), "on_hold", ci->on_hold, "restricted", ci->restricted, "permanent",
		ci->permanent, "version", (int)ci->version, "documents", (int)ci->ndocs, "bytes", (json_int_t)ci->bytes);
}

static json_t *person_json(const cv_person *p)
{
	json_t *first = json_array();
	for (size_t i = 0; i < p->nfirst; i++)
		json_array_append_new(first, json_string(p->first[i]));
	json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "id", p->id, "role", p->role, "last", p->last ? p->last : "", "first", first);
	const char *keys[] = { "born", "sex", "phone", "email", "address", "nir", "function" };
	const char *vals[] = { p->born, p->sex, p->phone, p->email, p->address, p->nir, p->function };
	for (int i = 0; o && i < 7; i++)
		if (vals[i])
			json_object_set_new(o, keys[i], json_string(vals[i]));
	return o;
}

json_t *cvj_doc(const cv_doc_info *d)
{
	json_t *conc = json_array();
	for (size_t i = 0; i < d->nconcerns; i++)
		json_array_append_new(conc, json_string(d->concerns[i]));
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:i,s:I,s:o,s:b}", "id", d->id, "title", d->title, "path", d->path, "date",
		cvj_str_or_null(d->date), "type", cvj_str_or_null(d->type), "revisions", (int)d->revisions, "size",
		(json_int_t)d->size, "concerns", conc, "removed", d->removed);
}

json_t *cvj_case_detail(const cv_case_detail *d)
{
	json_t *out = cvj_case(&d->info), *persons = json_array(), *docs = json_array(), *ms = json_array();
	for (size_t i = 0; i < d->npersons; i++)
		json_array_append_new(persons, person_json(&d->persons[i]));
	for (size_t i = 0; i < d->ndocs; i++)
		json_array_append_new(docs, cvj_doc(&d->docs[i]));
	for (size_t i = 0; i < d->nmeasures; i++)
		json_array_append_new(ms, json_pack("{s:s,s:o,s:s,s:o}", "type", d->measures[i].type, "basis",
			cvj_str_or_null(d->measures[i].basis), "start", d->measures[i].start, "end",
			cvj_str_or_null(d->measures[i].end)));
	json_object_set_new(out, "persons", persons);
	json_object_set_new(out, "measures", ms);
	json_object_set_new(out, "documents", docs);
	if (d->hold_reason)
		json_object_set_new(out, "hold_reason", json_string(d->hold_reason));
	return out;
}

/* "case" and "subject" are the contract's keys (docs/cli.md): a string for a
 * request about one person in one case, as most are; an array, in the same
 * order as "subjects", when it covers several, so that no case of a
 * request is ever left out of a listing. "subjects" always has them all. */
static json_t *one_or_all(json_t *arr, size_t n)
{
	json_t *v = n == 1 ? json_incref(json_array_get(arr, 0)) : n ? json_incref(arr) : json_null();
	json_decref(arr);
	return v;
}

static void request_details(json_t *o, const cv_request *r)
{
	json_object_set_new(o, "first_due", json_string(r->due));
	json_object_set_new(o, "extended_due", cvj_str_or_null(r->extended_due));
	json_object_set_new(o, "extension_reason", cvj_str_or_null(r->extension_reason));
	json_object_set_new(o, "extended_by", cvj_str_or_null(r->extended_by));
	json_object_set_new(o, "extended_at", cvj_str_or_null(r->extended_at));
	json_object_set_new(o, "channel", cvj_str_or_null(r->channel));
	json_object_set_new(o, "opened_by", json_string(r->opened_by));
	json_object_set_new(o, "identity", r->identity_at[0] ? json_pack("{s:s,s:s,s:s}", "method", r->identity_method, "by",
		r->identity_by, "at", r->identity_at) : json_null());
	json_object_set_new(o, "proposal", json_pack("{s:s,s:s}", "decision", r->proposal, "ground", r->proposal_ground));
	json_object_set_new(o, "decision", r->decision[0] ? json_pack("{s:s,s:s,s:s,s:s}", "decision", r->decision, "ground",
		r->ground, "by", r->decided_by, "at", r->decided_at) : json_null());
	json_object_set_new(o, "fulfilled", r->fulfilled_at[0] ? json_pack("{s:s,s:s,s:s}", "by", r->fulfilled_by, "at",
		r->fulfilled_at, "outcome", r->outcome) : json_null());
	json_object_set_new(o, "certificate", r->certificate ? json_loads(r->certificate, 0, NULL) : json_null());
}

json_t *cvj_request(const cv_request *r, int full)
{
	json_t *subs = json_array(), *cases = json_array(), *persons = json_array();
	for (size_t i = 0; i < r->nsubjects; i++) {
		json_array_append_new(subs, json_pack("{s:s,s:s,s:s}", "case", r->subjects[i].case_id, "ref", r->subjects[i].ref,
			"person", r->subjects[i].person));
		json_array_append_new(cases, json_string(r->subjects[i].case_id));
		json_array_append_new(persons, json_string(r->subjects[i].person));
	}
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "id", r->id, "type", r->type, "received", r->received, "due",
		r->effective_due, "state", r->state, "subject", one_or_all(persons, r->nsubjects), "case",
		one_or_all(cases, r->nsubjects), "subjects", subs);
	if (o && full)
		request_details(o, r);
	return o;
}

static json_t *plan_item(const cv_sweep_item *x)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:o,s:o,s:i,s:I,s:o}", "case", x->case_id, "ref", x->ref,
		"category", x->category, "state", x->state, "opened", cvj_str_or_null(x->opened), "closed",
		cvj_str_or_null(x->closed), "action", x->action, "rule", x->rule, "source", x->source, "due", cvj_str_or_null(x->due),
		"blocked", cvj_str_or_null(x->blocked), "documents", (int)x->documents, "bytes", (json_int_t)x->bytes, "result",
		cvj_str_or_null(x->result));
}

json_t *cvj_plan(const cv_sweep_plan *p, int with_items)
{
	json_t *top = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:{s:I,s:I,s:I,s:I},s:I}", "id", p->id, "sha256",
		p->sha256, "as_of", p->as_of, "policy", p->policy, "state", p->state, "planner", p->planner, "planned", p->planned,
		"approver", cvj_str_or_null(p->approver), "approved", cvj_str_or_null(p->approved), "totals", "keep",
		(json_int_t)p->counts[0], "archive", (json_int_t)p->counts[1], "anonymise", (json_int_t)p->counts[2], "destroy",
		(json_int_t)p->counts[3], "blocked", (json_int_t)p->nblocked);
	if (top && p->refused_by[0])
		json_object_set_new(top, "refusal", json_pack("{s:s,s:s,s:s}", "by", p->refused_by, "at", p->refused_at,
			"reason", p->refusal ? p->refusal : ""));
	if (!top || !with_items)
		return top;
	json_t *items = json_array();
	for (size_t i = 0; i < p->nitems; i++)
		json_array_append_new(items, plan_item(&p->items[i]));
	json_object_set_new(top, "items", items);
	return top;
}

/* A plan's item alone: the command line streams them one by one. */
json_t *cvj_plan_item(const cv_sweep_item *x)
{
	return plan_item(x);
}

json_t *cvj_journal_entry(const cv_journal_entry *e)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq, "time", e->time, "actor", e->actor,
		"action", e->action, "object", e->object ? e->object : "", "outcome", e->outcome, "hash", e->hash);
}

json_t *cvj_find_hit(const cv_find_hit *h)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "case", h->case_id, "ref", h->ref, "person", h->person, "role", h->role);
}
