/* casevault serve — the core's own pages: login and logout, the home page
 * (one card per role), the job pages, the embedded static files and
 * GET /api/v1/session.
 *
 * Ownership: nothing outlives a request here but sessions and pools, which
 * session.c and pool.c own.
 * Thread-safety: handlers run on connection threads; the base handle
 * (cfg->base) is used only under srv->base_lock. */
#include "http.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* from the generated static_assets.c */
extern const unsigned char sv__asset_style_css[];
extern const size_t sv__asset_style_css_len;
extern const unsigned char sv__asset_app_js[];
extern const size_t sv__asset_app_js_len;

/* ------------------------------------------------------------------ login */

static void set_cookie(sv_req *r, const char *value, int clear)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s%s", r->srv->cookie_name, value,
		r->srv->secure ? "; Secure" : "", clear ? "; Max-Age=0" : "");
	if (r->set_cookie) {
		OPENSSL_cleanse(r->set_cookie, strlen(r->set_cookie));
		free(r->set_cookie);
	}
	r->set_cookie = strdup(buf);
	OPENSSL_cleanse(buf, sizeof buf);
}

static void login_get(sv_resp *o, sv_req *r)
{
	sv__login_page(o, r, NULL, sv_query(r, "next"));
}

/* A login form posted from another site is refused: there is no session to
 * carry a CSRF token yet, but a browser says where the form came from. */
static int origin_ok(sv_req *r)
{
	const char *origin = sv__header(r, "Origin");
	const char *host = sv__header(r, "Host");
	const char *site = sv__header(r, "Sec-Fetch-Site");
	/* A browser says where a POST comes from: Sec-Fetch-Site, and Origin,
	 * which some send as "null" (a no-referrer policy somewhere on the way). */
	if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
		return 0;
	if (!origin)
		return 1;
	if (!strcmp(origin, "null"))
		return site && !strcmp(site, "same-origin");
	if (!host)
		return 0;
	char want[512];
	snprintf(want, sizeof want, "%s://%s", r->srv->secure ? "https" : "http", host);
	return !strcmp(origin, want);
}

static void login_refused(sv_resp *o, sv_req *r, int status, const char *msg)
{
	sv__login_page(o, r, msg, sv_form(r, "next"));
	sv_status(o, status);
}

/* A new session (any one presented is gone first: no fixation) for the
 * handle cv_user_login gave, and the cookie that names it. */
static int login_open_session(sv_req *r, cv_archive *h)
{
	char user[64], roles[160];
	snprintf(user, sizeof user, "%s", cv_archive_actor(h));
	snprintf(roles, sizeof roles, "%s", cv_archive_roles(h) ? cv_archive_roles(h) : "");
	if (sv__pool_attach(r->srv, user, h))
		return -1;
	sv_session_view v;
	if (sv__session_create(r->srv, user, roles, &v))
		return -1;
	set_cookie(r, v.sid, 0);
	OPENSSL_cleanse(&v, sizeof v);
	return 0;
}

static void login_post(sv_resp *o, sv_req *r)
{
	if (!origin_ok(r)) {
		sv_error(o, r, 403, "Ce formulaire de connexion ne vient pas de ce site.");
		return;
	}
	const char *old = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, r->srv->cookie_name);
	if (old)
		sv__session_destroy(r->srv, old);
	const char *user = sv_form(r, "user"), *cred = sv_form(r, "credential");
	if (!user || !*user || !cred || !*cred) {
		login_refused(o, r, 400, "Indiquez votre identifiant et votre code personnel.");
		return;
	}
	cv_archive *h = NULL;
	pthread_mutex_lock(&r->srv->base_lock);
	int rc = cv_user_login(&h, r->srv->cfg->base, user, cred);
	pthread_mutex_unlock(&r->srv->base_lock);
	if (rc == CV_EAUTH || rc == CV_ENOTFOUND || rc == CV_EDENIED) {
		login_refused(o, r, 401, "Identifiant ou code personnel incorrect.");
		return;
	}
	if (rc == CV_EREFUSED) {
		login_refused(o, r, 429, "Trop de tentatives : ce compte est verrouillé pendant 15 minutes. "
			"Réessayez plus tard ou contactez un administrateur.");
		return;
	}
	if (rc) {
		cv_archive_free(h);
		sv_fail(o, r, "La connexion a échoué");
		return;
	}
	if (login_open_session(r, h)) {
		sv_error(o, r, 503, "Le service ne peut pas ouvrir de session pour l'instant.");
		return;
	}
	const char *next = sv_form(r, "next");
	sv_redirect(o, next && sv__is_local_path(next) ? next : "/");
}

static void logout_post(sv_resp *o, sv_req *r)
{
	sv__session_destroy(r->srv, r->sid);
	set_cookie(r, "", 1);
	sv_redirect(o, "/login");
}

/* ------------------------------------------------------------------- home */

typedef struct role_card {
	const char *role, *title, *text;
	const sv_route *routes; /* NULL: every module (admin), or by action prefix */
	const char *action_prefix;
} role_card;

/* Built by the compiler: read by every request thread, never written. */
static const role_card CARDS[] = {
	{ "admin", "Administration",
		"Gérer les comptes et les rôles, vérifier l'archive, accéder à toutes les fonctions autorisées.", NULL, NULL },
	{ "archivist", "Archives", "Verser les dossiers, suivre leur cycle de vie, préparer les plans d'élimination.",
		sv_routes_archivist, NULL },
	{ "director", "Direction",
		"Approuver les plans d'élimination et les effacements, suivre l'activité du service.", sv_routes_director,
		NULL },
	{ "dpo", "Protection des données", "Instruire les demandes d'exercice des droits (RGPD) et tenir le registre.",
		sv_routes_dpo, NULL },
	{ "maft", "Accès aux dossiers",
		"Traiter les demandes d'accès des personnes à leur dossier et préparer les copies de communication.",
		sv_routes_maft, NULL },
	{ "cnaop", "Accès aux origines (CNAOP)",
		"Suivre les demandes d'accès aux origines personnelles et approuver les levées du secret.", NULL, "origins." },
	{ "auditor", "Audit", "Consulter et vérifier le journal d'audit.", sv_routes_audit, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const role_card *cards(void)
{
	return CARDS;
}

static const char *module_role(const sv_route *routes)
{
	for (const role_card *c = cards(); c->role; c++)
		if (c->routes == routes)
			return c->role;
	return "admin";
}

static void card_links(sv_resp *o, sv_req *r, const role_card *c, int *n)
{
	const sv_route *const mods[] = { sv_routes_dpo, sv_routes_maft, sv_routes_director, sv_routes_audit,
		sv_routes_archivist, NULL };
	for (size_t m = 0; mods[m]; m++) {
		if (c->routes && c->routes != mods[m])
			continue;
		for (const sv_route *rt = mods[m]; rt->method; rt++) {
			if (c->action_prefix && (!rt->action || strncmp(rt->action, c->action_prefix, strlen(c->action_prefix))))
				continue;
			if (!sv__route_visible(r, rt, module_role(mods[m])))
				continue;
			sv_printf(o, "%s<li><a href=\"", *n ? "" : "<ul>\n");
			sv_esc(o, rt->pattern);
			sv_printf(o, "\">");
			sv_esc(o, rt->nav_fr);
			sv_printf(o, "</a></li>\n");
			(*n)++;
		}
	}
}

static void home(sv_resp *o, sv_req *r)
{
	sv_page_begin(o, r, "Accueil");
	sv_printf(o, "<p>Bienvenue. Voici ce que vos rôles vous permettent de faire.</p>\n<div class=\"cards\">\n");
	for (const role_card *c = cards(); c->role; c++) {
		if (!sv_has_role(r, c->role))
			continue;
		sv_printf(o, "<section class=\"card\">\n<h2>%s</h2>\n<p>%s</p>\n", c->title, c->text);
		int n = 0;
		card_links(o, r, c, &n);
		sv_printf(o, "%s", n ? "</ul>\n" : "<p class=\"hint\">Aucune page n'est encore disponible pour ce rôle.</p>\n");
		sv_printf(o, "</section>\n");
	}
	sv_printf(o, "</div>\n");
	sv_page_end(o, r);
}

/* ---------------------------------------------------------- static, API */

static void static_file(sv_resp *o, const unsigned char *data, size_t len, const char *type)
{
	sv_type(o, type);
	sv_write(o, data, len);
	o->cacheable = 1;
}

static void style_css(sv_resp *o, sv_req *r)
{
	(void)r;
	static_file(o, sv__asset_style_css, sv__asset_style_css_len, "text/css; charset=utf-8");
}

static void app_js(sv_resp *o, sv_req *r)
{
	(void)r;
	static_file(o, sv__asset_app_js, sv__asset_app_js_len, "text/javascript; charset=utf-8");
}

static void api_session(sv_resp *o, sv_req *r)
{
	json_t *roles = json_array();
	const char *p = sv_roles(r);
	while (roles && *p) {
		size_t n = strcspn(p, ",");
		if (n)
			json_array_append_new(roles, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	json_t *v = roles ? json_pack("{s:s,s:o,s:s}", "user", sv_user(r), "roles", roles, "csrf", sv_csrf(r)) : NULL;
	sv_json(o, 200, v);
}

const sv_route sv__public_routes[] = {
	{ "GET", "/login", login_get, NULL, NULL },
	{ "POST", "/login", login_post, NULL, NULL },
	{ "GET", "/static/style.css", style_css, NULL, NULL },
	{ "GET", "/static/app.js", app_js, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

const sv_route sv__core_routes[] = {
	{ "POST", "/logout", logout_post, NULL, NULL },
	{ "GET", "/", home, NULL, NULL },
	{ "GET", "/jobs/*", sv__job_page, NULL, NULL },
	{ "GET", "/jobs/*/file", sv__job_file, NULL, NULL },
	{ "GET", "/api/v1/session", api_session, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
