/* casevault serve — the archives director's pages: sweep plans waiting for
 * approval, one plan with its items, its elimination slip (bordereau), and
 * the approval or refusal of a plan with the director's own credential.
 *
 * Ownership: page module of the web service (director pages); uses only
 * serve.h and the public API. Every plan, list and file made here is freed
 * or removed before the handler returns.
 * Thread-safety: handlers keep no state of their own (static tables are
 * read-only), so they run concurrently on the core's connection threads.
 */
#include "serve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ vocabulary */

/* The plan's state as a director reads it; "planned" is what asks for them. */
static const char *state_fr(const char *s)
{
	if (!strcmp(s, "planned"))
		return "en attente d'approbation";
	if (!strcmp(s, "approved"))
		return "approuvé";
	if (!strcmp(s, "running"))
		return "en cours d'exécution";
	if (!strcmp(s, "done"))
		return "exécuté";
	if (!strcmp(s, "refused"))
		return "refusé";
	return s;
}

static const char *state_class(const char *s)
{
	return !strcmp(s, "planned") ? "info" : !strcmp(s, "refused") ? "error" : "ok";
}

static const char *action_fr(const char *a)
{
	if (!strcmp(a, "keep"))
		return "conserver";
	if (!strcmp(a, "archive"))
		return "verser";
	if (!strcmp(a, "anonymise"))
		return "anonymiser";
	if (!strcmp(a, "destroy"))
		return "détruire";
	return a;
}

/* The plan stores the block reason in English (it is part of the signed
 * plan); the page says it in French, falling back to the stored words. */
static void blocked_fr(sv_resp *o, const char *why)
{
	char a[64] = "", t[32] = "", day[64];
	if (sscanf(why, "legal hold since %63s", a) == 1)
		sv_escf(o, "gel juridique depuis le %s", sv_date_fr(day, a));
	else if (!strncmp(why, "restriction of processing", 25))
		sv_esc(o, "limitation du traitement (RGPD art. 18)");
	else if (sscanf(why, "open rights request %63s (%31[a-z])", a, t) == 2)
		sv_escf(o, "demande d'exercice des droits %s en cours (%s)", a, t);
	else
		sv_escf(o, "bloqué (%s)", why);
}

/* ------------------------------------------------------------- plan list */

static void plans_table(sv_resp *o, const cv_sweep_plan *list, size_t n, int waiting, const char *caption)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += (!strcmp(list[i].state, "planned")) == waiting;
	if (!shown) {
		sv_printf(o, "<p>%s</p>\n", waiting ? "Aucun plan en attente d'approbation." : "Aucun autre plan.");
		return;
	}
	sv_printf(o, "<table class=\"list\">\n<caption>");
	sv_esc(o, caption);
	sv_printf(o, "</caption>\n<thead><tr><th scope=\"col\">Plan</th><th scope=\"col\">Date d'effet</th>"
		"<th scope=\"col\">Politique</th><th scope=\"col\">Établi par</th><th scope=\"col\">Conserver</th>"
		"<th scope=\"col\">Verser</th><th scope=\"col\">Anonymiser</th><th scope=\"col\">Détruire</th>"
		"<th scope=\"col\">Bloqués</th><th scope=\"col\">État</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const cv_sweep_plan *p = &list[i];
		if ((!strcmp(p->state, "planned")) != waiting)
			continue;
		char d1[64], d2[64];
		sv_html(o, "<tr><th scope=\"row\"><a href=\"/plans/%s\">%s</a></th><td>%s</td><td>%s</td><td>%s, le %s</td>",
			p->id, p->id, sv_date_fr(d1, p->as_of), p->policy, p->planner, sv_date_fr(d2, p->planned));
		sv_printf(o, "<td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td>", p->counts[0], p->counts[1],
			p->counts[2], p->counts[3], p->nblocked);
		sv_html(o, "<td><span class=\"badge %s\">%s</span></td></tr>\n", state_class(p->state), state_fr(p->state));
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

static void plans_list(sv_resp *o, sv_req *r)
{
	cv_sweep_plan *list = NULL;
	size_t n = 0;
	if (cv_sweep_plan_list(&list, &n, sv_archive(r))) {
		sv_fail(o, r, "La liste des plans d'élimination n'a pas pu être lue");
		return;
	}
	sv_page_begin(o, r, "Plans d'élimination");
	sv_printf(o, "<p>Un plan dit ce que la politique de conservation donne à chaque "
		"dossier à sa date d'effet. Rien n'est versé, anonymisé ni détruit avant qu'un directeur ou une directrice "
		"des archives, autre que l'auteur du plan, l'ait approuvé avec son code personnel.</p>\n");
	sv_printf(o, "<h2>En attente d'approbation</h2>\n");
	plans_table(o, list, n, 1, "Plans en attente d'approbation, du plus récent au plus ancien");
	sv_printf(o, "<h2>Autres plans</h2>\n");
	plans_table(o, list, n, 0, "Plans approuvés, refusés ou exécutés, du plus récent au plus ancien");
	sv_page_end(o, r);
	cv_sweep_plan_list_free(list, n);
}

/* ------------------------------------------------------------- one plan */

static void plan_summary(sv_resp *o, const cv_sweep_plan *p)
{
	char d[64];
	sv_printf(o, "<dl>\n");
	sv_html(o, "<dt>État</dt><dd><span class=\"badge %s\">%s</span></dd>\n", state_class(p->state), state_fr(p->state));
	sv_html(o, "<dt>Date d'effet</dt><dd>%s</dd>\n", sv_date_fr(d, p->as_of));
	sv_html(o, "<dt>Politique de conservation</dt><dd>%s</dd>\n", p->policy);
	sv_html(o, "<dt>Établi par</dt><dd>%s, le %s</dd>\n", p->planner, sv_date_fr(d, p->planned));
	if (p->approver[0])
		sv_html(o, "<dt>Approuvé par</dt><dd>%s, le %s</dd>\n", p->approver, sv_date_fr(d, p->approved));
	if (p->refused_by[0])
		sv_html(o, "<dt>Refusé par</dt><dd>%s, le %s</dd>\n<dt>Motif du refus</dt><dd>%s</dd>\n", p->refused_by,
			sv_date_fr(d, p->refused_at), p->refusal ? p->refusal : "—");
	sv_html(o, "<dt>Empreinte SHA-256 du plan</dt><dd><code>%s</code></dd>\n", p->sha256);
	if (!p->nitems) {
		sv_printf(o, "<dt>Dossiers</dt><dd>aucun dossier</dd>\n</dl>\n");
		return;
	}
	sv_html(o, "<dt>Dossiers</dt><dd>%zu %s : %zu à conserver, %zu à verser, %zu à anonymiser, %zu à détruire ; ",
		p->nitems, sv_plural((long)p->nitems, "dossier", "dossiers"), p->counts[0], p->counts[1], p->counts[2],
		p->counts[3]);
	sv_html(o, "%zu %s</dd>\n</dl>\n", p->nblocked, sv_plural((long)p->nblocked, "bloqué", "bloqués"));
}

static void plan_items(sv_resp *o, const cv_sweep_plan *p, int all)
{
	size_t shown = 0;
	for (size_t i = 0; i < p->nitems; i++)
		shown += all || strcmp(p->items[i].action, "keep");
	if (!shown) {
		sv_printf(o, "<p>Aucun dossier n'a d'action à cette date : tous sont conservés en l'état.</p>\n");
		return;
	}
	sv_printf(o, "<table class=\"list\">\n<caption>%s</caption>\n<thead><tr><th scope=\"col\">Dossier</th>"
		"<th scope=\"col\">Catégorie</th><th scope=\"col\">Action</th><th scope=\"col\">Règle</th>"
		"<th scope=\"col\">Échéance</th><th scope=\"col\">Blocage</th></tr></thead>\n<tbody>\n",
		all ? "Tous les dossiers du plan" : "Dossiers à verser, anonymiser ou détruire");
	for (size_t i = 0; i < p->nitems; i++) {
		const cv_sweep_item *x = &p->items[i];
		if (!all && !strcmp(x->action, "keep"))
			continue;
		char d[64];
		sv_printf(o, "%s", x->blocked[0] ? "<tr class=\"late\">" : "<tr>");
		sv_html(o, "<th scope=\"row\"><a href=\"/cases/%s\">%s</a></th><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
			x->case_id, x->ref, sv_category_fr(x->category), action_fr(x->action),
			x->rule, sv_date_fr(d, x->due));
		if (x->blocked[0])
			blocked_fr(o, x->blocked);
		else
			sv_printf(o, "—");
		sv_printf(o, "</td></tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

/* The credential is asked again at each decision: the signature is the
 * director's own, which the master key held by the service cannot forge. */
static void approve_form(sv_resp *o, sv_req *r, const cv_sweep_plan *p)
{
	sv_html(o, "<form method=\"post\" action=\"/plans/%s/approve\" class=\"actions\">\n", p->id);
	sv_csrf_field(o, r);
	sv_printf(o, "<p><label for=\"cred-approve\">Votre code personnel (signature de l'approbation)</label>\n"
		"<input type=\"password\" id=\"cred-approve\" name=\"credential\" autocomplete=\"current-password\" required></p>\n"
		"<p><button type=\"submit\" data-confirm=\"Approuver ce plan ? Les éliminations qu'il prévoit pourront être exécutées.\">Approuver le plan</button></p>\n</form>\n");
}

static void refuse_form(sv_resp *o, sv_req *r, const cv_sweep_plan *p)
{
	sv_html(o, "<form method=\"post\" action=\"/plans/%s/refuse\" class=\"actions\">\n", p->id);
	sv_csrf_field(o, r);
	sv_printf(o, "<p><label for=\"reason\">Motif du refus</label>\n"
		"<textarea id=\"reason\" name=\"reason\" rows=\"3\" cols=\"60\" required></textarea></p>\n"
		"<p><label for=\"cred-refuse\">Votre code personnel (signature du refus)</label>\n"
		"<input type=\"password\" id=\"cred-refuse\" name=\"credential\" autocomplete=\"current-password\" required></p>\n"
		"<p><button type=\"submit\" data-confirm=\"Refuser ce plan ? Le refus est définitif.\">Refuser le plan</button></p>\n</form>\n");
}

/* Planned plans only; the library refuses the planner, but saying so first
 * spares them typing their credential for nothing. */
static void decision_forms(sv_resp *o, sv_req *r, const cv_sweep_plan *p)
{
	if (!strcmp(p->planner, sv_user(r) ? sv_user(r) : ""))
		sv_notice(o, "info", "Vous avez établi ce plan : un autre directeur ou une autre directrice doit l'approuver.");
	sv_printf(o, "<h2>Décision</h2>\n");
	if (sv_allowed(r, "sweep.approve"))
		approve_form(o, r, p);
	if (sv_allowed(r, "sweep.refuse"))
		refuse_form(o, r, p);
}

static void plan_show(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0);
	cv_sweep_plan *p = NULL;
	if (cv_sweep_plan_get(&p, sv_archive(r), id)) {
		sv_fail(o, r, "Ce plan d'élimination n'a pas pu être lu");
		return;
	}
	const char *q = sv_query(r, "tous");
	int all = q && !strcmp(q, "1");
	char title[64];
	snprintf(title, sizeof title, "Plan d'élimination %s", p->id);
	sv_page_begin(o, r, title);
	plan_summary(o, p);
	sv_html(o, "<p class=\"actions\"><a href=\"/plans/%s/slip.html\">Bordereau d'élimination</a> "
		"<a href=\"/plans/%s/slip.html?telecharger=1\">Bordereau à imprimer (fichier HTML)</a> "
		"<a href=\"/plans/%s/slip.csv\">Bordereau au format CSV</a></p>\n", p->id, p->id, p->id);
	if (!strcmp(p->state, "planned") && (sv_allowed(r, "sweep.approve") || sv_allowed(r, "sweep.refuse")))
		decision_forms(o, r, p);
	sv_printf(o, "<h2>Dossiers</h2>\n");
	if (all)
		sv_html(o, "<p class=\"actions\"><a href=\"/plans/%s\">N'afficher que les dossiers à traiter</a></p>\n", p->id);
	else
		sv_html(o, "<p class=\"actions\"><a href=\"/plans/%s?tous=1\">Afficher aussi les dossiers conservés</a></p>\n", p->id);
	plan_items(o, p, all);
	sv_page_end(o, r);
	cv_sweep_plan_free(p);
}

/* ------------------------------------------------------------------ slip */

/* The library writes the slip to a private file that the answer reads and
 * wipes; a failed attempt may have left a partial file, removed here. */
static void slip_send(sv_resp *o, sv_req *r, cv_format fmt)
{
	const char *id = sv_param(r, 0);
	int html = fmt == CV_FORMAT_HTML;
	char *path = sv_work_path(r, "slip", html ? ".html" : ".csv");
	if (!path) {
		sv_error(o, r, 500, "Mémoire insuffisante.");
		return;
	}
	if (cv_sweep_slip(sv_archive(r), id, fmt, path)) {
		unlink(path);
		sv_fail(o, r, "Le bordereau d'élimination n'a pas pu être produit");
		free(path);
		return;
	}
	/* The HTML slip is shown inline; ?telecharger=1 gives it as a file, whose
	 * own stylesheet then applies (the service's CSP blocks inline styles). */
	const char *dl = sv_query(r, "telecharger");
	int attach = !html || (dl && !strcmp(dl, "1"));
	char name[96];
	snprintf(name, sizeof name, "bordereau-%s.%s", id, html ? "html" : "csv");
	if (sv_send_file(o, path, html ? "text/html; charset=utf-8" : "text/csv; charset=utf-8", attach ? name : NULL, 1)) {
		unlink(path);
		sv_error(o, r, 500, "Le bordereau d'élimination n'a pas pu être envoyé.");
	}
	free(path);
}

static void slip_html(sv_resp *o, sv_req *r)
{
	slip_send(o, r, CV_FORMAT_HTML);
}

static void slip_csv(sv_resp *o, sv_req *r)
{
	slip_send(o, r, CV_FORMAT_CSV);
}

/* ------------------------------------------------------------- decisions */

static int nonblank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 1;
	return 0;
}

/* sv_page_begin shows the registered text for ?ok=<code>; the registry is
 * shared by every page and keeps the first text given for a code. */
static void decided(sv_resp *o, sv_req *r, const char *ok)
{
	if (!strcmp(ok, "approved"))
		sv_notice_text(ok, "Le plan est approuvé et signé. L'archiviste peut maintenant l'exécuter.");
	else
		sv_notice_text(ok, "Le plan est refusé. Il ne pourra jamais être exécuté ; un nouveau plan devra être établi.");
	char loc[96];
	snprintf(loc, sizeof loc, "/plans/%s?ok=%s", sv_param(r, 0), ok);
	sv_redirect(o, loc);
}

static void plan_approve(sv_resp *o, sv_req *r)
{
	const char *cred = sv_form(r, "credential");
	if (!cred || !*cred) {
		sv_error(o, r, 400, "Saisissez votre code personnel pour signer l'approbation.");
		return;
	}
	if (cv_sweep_approve(sv_archive(r), sv_param(r, 0), cred)) {
		sv_fail(o, r, "Le plan n'a pas été approuvé");
		return;
	}
	decided(o, r, "approved");
}

static void plan_refuse(sv_resp *o, sv_req *r)
{
	const char *cred = sv_form(r, "credential"), *reason = sv_form(r, "reason");
	if (!nonblank(reason)) {
		sv_error(o, r, 400, "Indiquez le motif du refus.");
		return;
	}
	if (!cred || !*cred) {
		sv_error(o, r, 400, "Saisissez votre code personnel pour signer le refus.");
		return;
	}
	if (cv_sweep_refuse(sv_archive(r), sv_param(r, 0), reason, cred)) {
		sv_fail(o, r, "Le plan n'a pas été refusé");
		return;
	}
	decided(o, r, "refused");
}

const sv_route sv_routes_director[] = {
	{ "GET", "/plans", plans_list, "sweep.slip", "Plans d'élimination" },
	{ "GET", "/plans/*", plan_show, "sweep.slip", NULL },
	{ "GET", "/plans/*/slip.html", slip_html, "sweep.slip", NULL },
	{ "GET", "/plans/*/slip.csv", slip_csv, "sweep.slip", NULL },
	{ "POST", "/plans/*/approve", plan_approve, "sweep.approve", NULL },
	{ "POST", "/plans/*/refuse", plan_refuse, "sweep.refuse", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
