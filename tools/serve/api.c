/* casevault serve — the JSON API under /api/v1/: the same objects as the
 * command line's --json (tools/common/cvjson.h), errors as
 * {"error": {"status", "message"}} through sv_error / sv_fail.
 *
 * Lists that can grow (cases, journal) are paged by the library, one call
 * per request, and say where the next page is in a Link header.
 *
 * Ownership: the core owns sv_req / sv_resp and the JSON body; each handler
 * frees what the library gives it before returning, and hands its JSON to
 * sv_json, which takes it. Thread-safety: handlers are re-entrant (no
 * global mutable state).
 */
#include "serve.h"
#include "cvjson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAGE_DEFAULT = 100, PAGE_MAX = 1000 };

/* A query argument, NULL when absent or empty ("?state=" filters nothing). */
static const char *query_opt(sv_req *r, const char *name)
{
	const char *s = sv_query(r, name);
	return s && *s ? s : NULL;
}

/* A query argument as an unsigned number: 0 if absent (*v untouched), 1 if
 * read, -1 when it is not a plain decimal number. */
static int query_u64(sv_req *r, const char *name, uint64_t *v)
{
	const char *s = sv_query(r, name);
	if (!s)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 1;
}

/* ?limit= (1..PAGE_MAX; larger asks get PAGE_MAX) and ?offset=. */
static int read_page(sv_resp *o, sv_req *r, size_t *limit, size_t *offset)
{
	uint64_t l = PAGE_DEFAULT, off = 0;
	if (query_u64(r, "limit", &l) < 0 || l == 0 || query_u64(r, "offset", &off) < 0 || off > SIZE_MAX / 2) {
		sv_error(o, r, 400, "limit (1 à 1000) et offset sont des nombres entiers positifs.");
		return -1;
	}
	*limit = l > PAGE_MAX ? PAGE_MAX : (size_t)l;
	*offset = (size_t)off;
	return 0;
}

static int valid_state(const char *s)
{
	static const char *const STATES[] = { "active", "archived", "anonymised", "destroyed", NULL };
	for (size_t i = 0; STATES[i]; i++)
		if (!strcmp(s, STATES[i]))
			return 1;
	return 0;
}

/* X-Total-Count, and the next page when there is one. `state` was checked
 * against the known states, so it needs no encoding. */
static void case_page_headers(sv_resp *o, size_t total, size_t offset, size_t limit, const char *state)
{
	char v[256];
	snprintf(v, sizeof v, "%zu", total);
	sv_header(o, "X-Total-Count", v);
	if (offset + limit >= total)
		return;
	snprintf(v, sizeof v, "</api/v1/cases?offset=%zu&limit=%zu%s%s>; rel=\"next\"", offset + limit, limit,
		state ? "&state=" : "", state ? state : "");
	sv_header(o, "Link", v);
}

/* GET /api/v1/cases: `case list --json`, one page. Load-tested: one library
 * call, one array, nothing else per case. */
static void api_cases(sv_resp *o, sv_req *r)
{
	cv_case_list_options lo = CV_CASE_LIST_OPTIONS_INIT;
	const char *state = query_opt(r, "state");
	if (state && !valid_state(state)) {
		sv_error(o, r, 400, "state vaut active, archived, anonymised ou destroyed.");
		return;
	}
	if (read_page(o, r, &lo.limit, &lo.offset))
		return;
	lo.state = state;
	cv_case_info *list = NULL;
	size_t n = 0, total = 0;
	if (cv_case_list_page(&list, &n, &total, sv_archive(r), &lo)) {
		sv_fail(o, r, "La liste des dossiers n'a pas pu être lue");
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, cvj_case(&list[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	cv_case_list_free(list);
	case_page_headers(o, total, lo.offset, lo.limit, state);
	sv_json(o, 200, arr);
}

/* GET /api/v1/cases/<id or ref>: `case show --json` (journaled by the library). */
static void api_case(sv_resp *o, sv_req *r)
{
	cv_case_detail *d = NULL;
	if (cv_case_show(&d, sv_archive(r), sv_param(r, 0))) {
		sv_fail(o, r, "Le dossier n'a pas pu être lu");
		return;
	}
	json_t *v = cvj_case_detail(d);
	cv_case_detail_free(d);
	sv_json(o, 200, v);
}

/* ?overdue=1, ?due_within=N (days), ?as_of=YYYY-MM-DD, as `request list`. */
static int request_filter(sv_resp *o, sv_req *r, cv_request_filter *f)
{
	uint64_t overdue = 0, within = 0;
	int w = query_u64(r, "due_within", &within);
	if (query_u64(r, "overdue", &overdue) < 0 || overdue > 1 || w < 0 || within > 3650) {
		sv_error(o, r, 400, "overdue vaut 0 ou 1 ; due_within est un nombre de jours (0 à 3650).");
		return -1;
	}
	f->overdue = (int)overdue;
	f->due_within = w ? (int)within : -1;
	f->as_of = query_opt(r, "as_of");
	return 0;
}

/* GET /api/v1/requests: `request list --json`. */
static void api_requests(sv_resp *o, sv_req *r)
{
	cv_request_filter f = CV_REQUEST_FILTER_INIT;
	if (request_filter(o, r, &f))
		return;
	cv_request *list = NULL;
	size_t n = 0;
	if (cv_request_list(&list, &n, sv_archive(r), &f)) {
		sv_fail(o, r, "Le registre des demandes n'a pas pu être lu");
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, cvj_request(&list[i], 0))) {
			json_decref(arr);
			arr = NULL;
		}
	cv_request_list_free(list, n);
	sv_json(o, 200, arr);
}

/* GET /api/v1/requests/<id>: `request show --json`. */
static void api_request(sv_resp *o, sv_req *r)
{
	cv_request *q = NULL;
	if (cv_request_get(&q, sv_archive(r), sv_param(r, 0))) {
		sv_fail(o, r, "La demande n'a pas pu être lue");
		return;
	}
	json_t *v = cvj_request(q, 1);
	cv_request_free(q);
	sv_json(o, 200, v);
}

/* The body's keys, each a string or null, into the library's options; the
 * message of the first fault, or NULL. Unknown keys are refused so that a
 * misspelt one ("case_id") is not silently ignored. */
static const char *open_body(json_t *body, cv_request_open_options *ro)
{
	static const char *const KEYS[] = { "type", "case", "subject", "last", "first", "born", "received", "channel",
		"note", NULL };
	const char **dst[] = { &ro->type, &ro->case_id, &ro->subject, &ro->last, &ro->first, &ro->born, &ro->received,
		&ro->channel, &ro->note };
	const char *key;
	json_t *v;
	if (!json_is_object(body))
		return "Le corps doit être un objet JSON (Content-Type: application/json).";
	json_object_foreach(body, key, v) {
		size_t i = 0;
		while (KEYS[i] && strcmp(KEYS[i], key))
			i++;
		if (!KEYS[i])
			return "Clé inconnue : les clés sont type, case, subject, last, first, born, received, channel, note.";
		if (!json_is_string(v) && !json_is_null(v))
			return "Chaque valeur est une chaîne (ou null).";
		const char *s = json_string_value(v);
		*dst[i] = s && *s ? s : NULL;
	}
	return NULL;
}

/* The checks of `request open` on the command line (cmd_request.c). */
static const char *open_check(const cv_request_open_options *ro)
{
	if (!ro->type || !ro->received)
		return "type et received sont obligatoires.";
	if ((ro->subject || ro->case_id) && !(ro->subject && ro->case_id))
		return "subject et case vont ensemble.";
	if ((ro->subject || ro->case_id) && (ro->last || ro->first || ro->born))
		return "Désignez la personne soit par subject et case, soit par last, first et born, pas les deux.";
	if (!ro->subject && !ro->last)
		return "Désignez la personne : subject et case, ou au moins last.";
	return NULL;
}

/* POST /api/v1/requests: `request open`; 201 with the request as `request
 * show --json` gives it (a superset of `request open --json`). */
static void api_request_open(sv_resp *o, sv_req *r)
{
	cv_request_open_options ro = CV_REQUEST_OPEN_OPTIONS_INIT;
	const char *why = open_body(sv_json_body(r), &ro);
	if (!why)
		why = open_check(&ro);
	if (why) {
		sv_error(o, r, 400, why);
		return;
	}
	cv_request *q = NULL;
	if (cv_request_open(&q, sv_archive(r), &ro)) {
		sv_fail(o, r, "La demande n'a pas été enregistrée");
		return;
	}
	char loc[64];
	snprintf(loc, sizeof loc, "/api/v1/requests/%s", q->id);
	sv_header(o, "Location", loc);
	json_t *v = cvj_request(q, 1);
	cv_request_free(q);
	sv_json(o, 201, v);
}

/* GET /api/v1/plans: the stored sweep plans, newest first, without items. */
static void api_plans(sv_resp *o, sv_req *r)
{
	cv_sweep_plan *list = NULL;
	size_t n = 0;
	if (cv_sweep_plan_list(&list, &n, sv_archive(r))) {
		sv_fail(o, r, "La liste des plans n'a pas pu être lue");
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, cvj_plan(&list[i], 0))) {
			json_decref(arr);
			arr = NULL;
		}
	cv_sweep_plan_list_free(list, n);
	sv_json(o, 200, arr);
}

static int journal_filter(sv_resp *o, sv_req *r, cv_journal_filter *f)
{
	uint64_t before = 0, limit = PAGE_DEFAULT;
	if (query_u64(r, "before", &before) < 0 || query_u64(r, "limit", &limit) < 0 || limit == 0) {
		sv_error(o, r, 400, "before et limit (1 à 1000) sont des nombres entiers positifs.");
		return -1;
	}
	f->actor = query_opt(r, "actor");
	f->action = query_opt(r, "action");
	f->object = query_opt(r, "object");
	f->from = query_opt(r, "from");
	f->to = query_opt(r, "to");
	f->before = before;
	f->limit = limit > PAGE_MAX ? PAGE_MAX : (size_t)limit;
	return 0;
}

/* Append "&name=value", percent-encoded (RFC 3986 unreserved kept), to
 * buf; -1 when it does not fit. */
static int link_arg(char *buf, size_t cap, size_t *len, const char *name, const char *value)
{
	static const char HEX[] = "0123456789ABCDEF";
	if (!value)
		return 0;
	int k = snprintf(buf + *len, cap - *len, "&%s=", name);
	if (k < 0 || (size_t)k >= cap - *len)
		return -1;
	*len += (size_t)k;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			strchr("-._~", *p);
		if (*len + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain) {
			buf[(*len)++] = (char)*p;
		} else {
			buf[(*len)++] = '%';
			buf[(*len)++] = HEX[*p >> 4];
			buf[(*len)++] = HEX[*p & 15];
		}
	}
	buf[*len] = '\0';
	return 0;
}

/* The next (older) page: the same filter with before=<last seq>. A filter
 * too long for the header gets no Link (the client pages by itself). */
static void journal_link(sv_resp *o, const cv_journal_filter *f, const cv_journal_entry *e, size_t n)
{
	if (!n || n < f->limit || e[n - 1].seq <= 1)
		return;
	char v[1024];
	size_t len = (size_t)snprintf(v, sizeof v, "</api/v1/journal?before=%llu&limit=%zu",
		(unsigned long long)e[n - 1].seq, f->limit);
	if (link_arg(v, sizeof v, &len, "actor", f->actor) || link_arg(v, sizeof v, &len, "action", f->action) ||
		link_arg(v, sizeof v, &len, "object", f->object) || link_arg(v, sizeof v, &len, "from", f->from) ||
		link_arg(v, sizeof v, &len, "to", f->to) || len + 14 >= sizeof v)
		return;
	memcpy(v + len, ">; rel=\"next\"", 14);
	sv_header(o, "Link", v);
}

/* GET /api/v1/journal: `journal show --json` entries, newest first. */
static void api_journal(sv_resp *o, sv_req *r)
{
	cv_journal_filter f = CV_JOURNAL_FILTER_INIT;
	if (journal_filter(o, r, &f))
		return;
	cv_journal_entry *e = NULL;
	size_t n = 0;
	if (cv_journal_query(&e, &n, sv_archive(r), &f)) {
		sv_fail(o, r, "Le journal n'a pas pu être lu");
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, cvj_journal_entry(&e[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	journal_link(o, &f, e, n);
	cv_journal_list_free(e, n);
	sv_json(o, 200, arr);
}

/* `case list` needs no role (docs/cli.md): only a session. */
const sv_route sv_routes_api[] = {
	{ "GET", "/api/v1/cases", api_cases, NULL, NULL },
	{ "GET", "/api/v1/cases/*", api_case, "case.show", NULL },
	{ "GET", "/api/v1/requests", api_requests, "request.list", NULL },
	{ "POST", "/api/v1/requests", api_request_open, "request.open", NULL },
	{ "GET", "/api/v1/requests/*", api_request, "request.show", NULL },
	{ "GET", "/api/v1/plans", api_plans, "sweep.slip", NULL },
	{ "GET", "/api/v1/journal", api_journal, "journal.show", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
