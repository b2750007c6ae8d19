/* casevault serve — HTML for every page: the frame (sv_page_begin/end),
 * escaping, notices, error answers, French dates and plurals.
 *
 * Ownership: writes into the caller's sv_resp; returns nothing to free.
 * Thread-safety: stateless but for the registry of notice texts, which has
 * its own lock. No inline script or style anywhere (the CSP forbids them). */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- escaping */

void sv_esc(sv_resp *o, const char *text)
{
	const char *s = text ? text : "";
	while (*s) {
		size_t n = strcspn(s, "&<>\"'");
		sv_write(o, s, n);
		s += n;
		switch (*s) {
		case '&': sv_write(o, "&amp;", 5); break;
		case '<': sv_write(o, "&lt;", 4); break;
		case '>': sv_write(o, "&gt;", 4); break;
		case '"': sv_write(o, "&quot;", 6); break;
		case '\'': sv_write(o, "&#39;", 5); break;
		default: return;
		}
		s++;
	}
}

void sv_escf(sv_resp *o, const char *fmt, ...)
{
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s) {
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		sv_esc(o, s);
		free(s);
	}
	va_end(ap);
}

void sv_csrf_field(sv_resp *o, const sv_req *r)
{
	sv_printf(o, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", sv_csrf(r));
}

/* ----------------------------------------------------------------- notices */

typedef struct notice_text {
	char *code, *text;
	struct notice_text *next;
} notice_text;

static pthread_mutex_t notice_lock = PTHREAD_MUTEX_INITIALIZER;
static notice_text *notices;

void sv_notice_text(const char *code, const char *text_fr)
{
	pthread_mutex_lock(&notice_lock);
	notice_text *n = notices;
	while (n && strcmp(n->code, code))
		n = n->next;
	if (!n && (n = calloc(1, sizeof *n))) {
		n->code = strdup(code);
		n->text = strdup(text_fr);
		if (n->code && n->text) {
			n->next = notices;
			notices = n;
		} else {
			free(n->code);
			free(n->text);
			free(n);
		}
	}
	pthread_mutex_unlock(&notice_lock);
}

/* Only registered codes are shown: the query string never reaches the page
 * as text (no content injection through a crafted link). */
static void notice_from_query(sv_resp *o, sv_req *r, const char *param, const char *kind)
{
	const char *code = sv_query(r, param);
	if (!code)
		return;
	char text[512] = "";
	pthread_mutex_lock(&notice_lock);
	for (notice_text *n = notices; n; n = n->next)
		if (!strcmp(n->code, code)) {
			snprintf(text, sizeof text, "%s", n->text);
			break;
		}
	pthread_mutex_unlock(&notice_lock);
	if (text[0])
		sv_notice(o, kind, text);
}

void sv_notice(sv_resp *o, const char *kind, const char *text_fr)
{
	const char *k = kind && (!strcmp(kind, "ok") || !strcmp(kind, "error")) ? kind : "info";
	sv_printf(o, "<div class=\"notice notice-%s\" role=\"%s\"><p>", k, strcmp(k, "error") ? "status" : "alert");
	sv_esc(o, text_fr);
	sv_printf(o, "</p></div>\n");
}

/* ------------------------------------------------------------------- frame */

/* The page modules and the role that reaches them, for the menu of a
 * route without an action (and for the home page's cards). */
typedef struct module {
	const sv_route *routes;
	const char *role;
} module;

static const module MODULES[] = {
	{ sv_routes_dpo, "dpo" },
	{ sv_routes_maft, "maft" },
	{ sv_routes_director, "director" },
	{ sv_routes_audit, "auditor" },
	{ sv_routes_archivist, "archivist" },
	{ NULL, NULL },
};

static int nav_route(const sv_route *rt)
{
	return rt->nav_fr && rt->method && !strcmp(rt->method, "GET") && !strchr(rt->pattern, '*');
}

int sv__route_visible(sv_req *r, const sv_route *rt, const char *role)
{
	if (!nav_route(rt))
		return 0;
	if (rt->action)
		return sv_allowed(r, rt->action);
	return sv_has_role(r, role) || sv_has_role(r, "admin");
}

/* The first module a pattern appears in owns it in the menu. */
static int seen_before(const module *upto, const sv_route *which, const char *pattern)
{
	for (const module *m = MODULES; m <= upto; m++)
		for (const sv_route *rt = m->routes; rt->method; rt++) {
			if (rt == which)
				return 0;
			if (nav_route(rt) && !strcmp(rt->pattern, pattern))
				return 1;
		}
	return 0;
}

/* The menu entry a page belongs to: its own path, or the entry its path
 * extends ("/requests/R1" is under "/requests"): aria-current="page" for
 * the page itself, "location" under it. */
static const char *current(const char *path, const char *entry)
{
	size_t n = strlen(entry);
	if (!strcmp(path, entry))
		return " aria-current=\"page\"";
	if (n > 1 && !strncmp(path, entry, n) && path[n] == '/')
		return " aria-current=\"location\"";
	return "";
}

/* Roles as the staff say them. */
static void roles_fr(sv_resp *o, const char *csv)
{
	static const char *const FR[][2] = { { "admin", "administration" }, { "archivist", "archiviste" },
		{ "director", "direction des archives" }, { "dpo", "délégué à la protection des données" },
		{ "maft", "officier MAFT" }, { "cnaop", "correspondant CNAOP" }, { "auditor", "audit" } };
	int first = 1;
	for (const char *p = csv; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *label = NULL;
		for (size_t i = 0; i < sizeof FR / sizeof *FR; i++)
			if (strlen(FR[i][0]) == len && !strncmp(FR[i][0], p, len))
				label = FR[i][1];
		sv_printf(o, "%s", first ? "" : ", ");
		if (label)
			sv_esc(o, label);
		else
			sv_escf(o, "%.*s", (int)len, p);
		first = 0;
		p = e ? e + 1 : NULL;
	}
}

static void nav(sv_resp *o, sv_req *r)
{
	sv_printf(o, "<nav aria-label=\"Menu principal\"><ul>\n<li><a href=\"/\"%s>Accueil</a></li>\n",
		!strcmp(sv_path(r), "/") ? " aria-current=\"page\"" : "");
	for (const module *m = MODULES; m->routes; m++)
		for (const sv_route *rt = m->routes; rt->method; rt++) {
			if (!sv__route_visible(r, rt, m->role) || seen_before(m, rt, rt->pattern))
				continue;
			sv_printf(o, "<li><a href=\"");
			sv_esc(o, rt->pattern);
			sv_printf(o, "\"%s>", current(sv_path(r), rt->pattern));
			sv_esc(o, rt->nav_fr);
			sv_printf(o, "</a></li>\n");
		}
	sv_printf(o, "</ul></nav>\n");
}

static void head(sv_resp *o, const char *title_fr, unsigned refresh_s)
{
	sv_printf(o, "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	if (refresh_s)
		sv_printf(o, "<meta http-equiv=\"refresh\" content=\"%u\">\n", refresh_s);
	sv_printf(o, "<title>");
	sv_esc(o, title_fr);
	/* an empty icon: no request for /favicon.ico, no 404 on every page */
	sv_printf(o, " — casevault</title>\n<link rel=\"icon\" href=\"data:,\">\n"
		"<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
		"<script src=\"/static/app.js\" defer></script>\n</head>\n<body>\n"
		"<a class=\"skip\" href=\"#contenu\">Aller au contenu</a>\n");
}

void sv_page_begin(sv_resp *o, sv_req *r, const char *title_fr)
{
	sv__page_begin_ex(o, r, title_fr, 0);
}

void sv__page_begin_ex(sv_resp *o, sv_req *r, const char *title_fr, unsigned refresh_s)
{
	head(o, title_fr, refresh_s);
	sv_printf(o, "<header class=\"site\">\n<p class=\"brand\"><a href=\"/\">casevault</a> "
		"<span>Archives de la protection de l'enfance</span></p>\n");
	if (sv_user(r)) {
		sv_printf(o, "<div class=\"who\"><span>Connecté : <strong>");
		sv_esc(o, sv_user(r));
		sv_printf(o, "</strong> (");
		roles_fr(o, sv_roles(r));
		sv_printf(o, ")</span>\n<form method=\"post\" action=\"/logout\" class=\"inline\">");
		sv_csrf_field(o, r);
		sv_printf(o, "<button type=\"submit\">Se déconnecter</button></form></div>\n");
	}
	sv_printf(o, "</header>\n");
	if (sv_user(r))
		nav(o, r);
	sv_printf(o, "<main id=\"contenu\">\n<h1>");
	sv_esc(o, title_fr);
	sv_printf(o, "</h1>\n");
	notice_from_query(o, r, "ok", "ok");
	notice_from_query(o, r, "err", "error");
}

void sv_page_end(sv_resp *o, sv_req *r)
{
	(void)r;
	sv_printf(o, "</main>\n<footer class=\"site\"><p>casevault — service réservé aux personnels habilités. "
		"Chaque consultation est journalisée.</p></footer>\n</body>\n</html>\n");
}

void sv__login_page(sv_resp *o, sv_req *r, const char *error_fr, const char *next)
{
	sv_page_begin(o, r, "Connexion");
	if (error_fr)
		sv_notice(o, "error", error_fr);
	sv_printf(o, "<form method=\"post\" action=\"/login\" class=\"login\">\n");
	if (next && sv__is_local_path(next)) {
		sv_printf(o, "<input type=\"hidden\" name=\"next\" value=\"");
		sv_esc(o, next);
		sv_printf(o, "\">\n");
	}
	sv_printf(o, "<p><label for=\"user\">Identifiant</label>\n"
		"<input id=\"user\" name=\"user\" type=\"text\" autocomplete=\"username\" autocapitalize=\"none\" "
		"spellcheck=\"false\" required autofocus></p>\n"
		"<p><label for=\"credential\">Code personnel</label>\n"
		"<input id=\"credential\" name=\"credential\" type=\"password\" autocomplete=\"current-password\" required></p>\n"
		"<p><button type=\"submit\">Se connecter</button></p>\n</form>\n");
	sv_page_end(o, r);
}

/* ------------------------------------------------------------------ errors */

int sv_http_status(int cv_code)
{
	switch (cv_code) {
	case CV_EDENIED:
	case CV_EAUTH: return 403;
	case CV_ENOTFOUND: return 404;
	case CV_EINVAL: return 400;
	case CV_EREFUSED:
	case CV_ESTATE: return 409;
	case CV_EBUSY: return 503;
	case CV_EUNSUPPORTED: return 501;
	default: return 500;
	}
}

static const char *status_title(int status)
{
	switch (status) {
	case 400: return "Demande invalide";
	case 401: return "Connexion nécessaire";
	case 403: return "Accès refusé";
	case 404: return "Page introuvable";
	case 405: return "Action impossible";
	case 409: return "Action refusée";
	case 413: return "Envoi trop volumineux";
	case 429: return "Trop de tentatives";
	case 501: return "Fonction non disponible";
	case 503: return "Service occupé";
	default: return "Erreur du service";
	}
}

static json_t *error_json(int status, const char *message)
{
	return json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", message ? message : "");
}

static void error_page(sv_resp *o, sv_req *r, int status, const char *message_fr, const char *detail)
{
	sv__resp_reset_body(o);
	sv_type(o, "text/html; charset=utf-8");
	o->status = status;
	sv_page_begin(o, r, status_title(status));
	sv_printf(o, "<div class=\"notice notice-error\" role=\"alert\"><p>");
	sv_esc(o, message_fr);
	sv_printf(o, "</p>");
	if (detail && *detail) {
		sv_printf(o, "<p class=\"detail\">");
		sv_esc(o, detail);
		sv_printf(o, "</p>");
	}
	sv_printf(o, "</div>\n<p><a href=\"/\">Retour à l'accueil</a></p>\n");
	sv_page_end(o, r);
}

void sv_error(sv_resp *o, sv_req *r, int status, const char *message_fr)
{
	if (sv_is_api(r)) {
		sv_json(o, status, error_json(status, message_fr));
		return;
	}
	error_page(o, r, status, message_fr, NULL);
}

void sv_fail(sv_resp *o, sv_req *r, const char *what_fr)
{
	const cv_error *e = cv_error_last();
	int status = sv_http_status(e->code);
	/* The library's message is written for users; a 500's may name files
	 * or internals, so it stays out of the answer. */
	const char *detail = status != 500 && e->message[0] ? e->message : NULL;
	if (sv_is_api(r)) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s%s%s", what_fr, detail ? " : " : ".", detail ? detail : "");
		sv_json(o, status, error_json(status, msg));
		return;
	}
	char what[512];
	snprintf(what, sizeof what, "%s.", what_fr);
	error_page(o, r, status, what, detail);
}

/* ------------------------------------------------------------ French words */

const char *sv_plural(long n, const char *one, const char *many)
{
	return n >= -1 && n <= 1 ? one : many;
}

/* n digits at s as a number, or -1: dates are read on every row of every
 * list page, where sscanf was a tenth of the register's time. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int sv_iso_date(const char *iso, int *y, int *m, int *d)
{
	if (!iso || strnlen(iso, 10) < 10 || iso[4] != '-' || iso[7] != '-')
		return -1;
	*y = digits(iso, 4);
	*m = digits(iso + 5, 2);
	*d = digits(iso + 8, 2);
	return *y < 0 || *m < 1 || *m > 12 || *d < 1 || *d > 31 ? -1 : 0;
}

const char *sv_date_fr(char out[64], const char *iso)
{
	char fr[48];
	cv_date_format_fr(fr, iso);
	snprintf(out, 64, "%s", fr);
	return out;
}

/* Markup with its values: the format is trusted HTML, every %s argument is
 * escaped. A walk over the format, not vsnprintf: only the listed
 * conversions exist, so an unescaped %s cannot slip in. */
void sv_html(sv_resp *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	for (const char *p = fmt; *p;) {
		const char *pct = strchr(p, '%');
		size_t lit = pct ? (size_t)(pct - p) : strlen(p);
		sv_write(o, p, lit);
		if (!pct)
			break;
		p = pct + 1;
		char b[32] = "";
		if (*p == 's') {
			const char *s = va_arg(ap, const char *);
			sv_esc(o, s ? s : "");
			p++;
			continue;
		}
		if (*p == '%')
			snprintf(b, sizeof b, "%%"), p++;
		else if (!strncmp(p, "zu", 2))
			snprintf(b, sizeof b, "%zu", va_arg(ap, size_t)), p += 2;
		else if (!strncmp(p, "llu", 3))
			snprintf(b, sizeof b, "%llu", va_arg(ap, unsigned long long)), p += 3;
		else if (!strncmp(p, "ld", 2))
			snprintf(b, sizeof b, "%ld", va_arg(ap, long)), p += 2;
		else if (*p == 'u')
			snprintf(b, sizeof b, "%u", va_arg(ap, unsigned)), p++;
		else if (*p == 'd')
			snprintf(b, sizeof b, "%d", va_arg(ap, int)), p++;
		sv_write(o, b, strlen(b));
	}
	va_end(ap);
}

/* A query-string value, percent-encoded (unreserved characters only, so the
 * result needs no HTML escaping inside an attribute). */
void sv_url_arg(sv_resp *o, const char *name, const char *value, int *first)
{
	if (!value || !*value)
		return;
	sv_printf(o, "%s%s=", *first ? "?" : "&amp;", name);
	*first = 0;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			sv_write(o, p, 1);
		else
			sv_printf(o, "%%%02X", *p);
	}
}

/* "12,3 Mo": French decimal comma, units in octets. */
const char *sv_bytes_fr(char out[32], uint64_t n)
{
	static const char *const unit[] = { "ko", "Mo", "Go", "To" };
	if (n < 1000) {
		snprintf(out, 32, "%llu %s", (unsigned long long)n, n > 1 ? "octets" : "octet");
		return out;
	}
	double v = (double)n / 1000;
	int u = 0;
	while (v >= 1000 && u < 3)
		v /= 1000, u++;
	snprintf(out, 32, "%.1f %s", v, unit[u]);
	char *dot = strchr(out, '.');
	if (dot)
		*dot = ',';
	return out;
}

/* Same labels as the elimination slip (bundle.md vocabulary). */
const char *sv_category_fr(const char *c)
{
	static const char *const map[][2] = { { "prevention", "Prévention" },
		{ "information_preoccupante", "Information préoccupante" }, { "aide_educative", "Aide éducative (AED/AEMO)" },
		{ "placement", "Placement" }, { "jeune_majeur", "Contrat jeune majeur" }, { "pupille", "Pupille de l'État" },
		{ "adoption", "Adoption" }, { "secret_birth", "Accouchement sous le secret" } };
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(map[i][0], c))
			return map[i][1];
	return c;
}
