/* casevault serve — the archivist's pages: the list of cases (paged,
 * filtered by state), the deposit of a case bundle (upload, then ingestion
 * as a job), and legal holds placed on or lifted from a case.
 *
 * Ownership: page module of the web service (archivist pages); uses only
 * serve.h and the public API. An ingestion job owns the uploaded bundle
 * (taken from the core with sv_upload_take) and wipes it (overwrite, then
 * unlink) as soon as the ingestion returns; its free_arg wipes it too when
 * the job never ran, so the file never outlives the job.
 * Thread-safety: handlers keep no state of their own (static tables are
 * read-only); a job touches only its own ingest_job and handle.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_NOFOLLOW, O_CLOEXEC, strcasecmp */
#endif
#include "serve.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES_PAGE 50

/* ------------------------------------------------------------ vocabulary */

/* The case states in list order; the filter only accepts these. */
static const char *const STATES[][2] = { { "active", "actif" }, { "archived", "archivé" },
	{ "anonymised", "anonymisé" }, { "destroyed", "détruit" } };

static const char *state_fr(const char *s)
{
	for (size_t i = 0; i < sizeof STATES / sizeof *STATES; i++)
		if (!strcmp(STATES[i][0], s))
			return STATES[i][1];
	return s;
}

/* "aucun dossier", "1 dossier", "2 dossiers". */
static void count_fr(sv_resp *o, size_t n, const char *one, const char *many)
{
	if (!n)
		sv_html(o, "aucun %s", one);
	else
		sv_html(o, "%zu %s", n, sv_plural((long)n, one, many));
}

/* ------------------------------------------------------------ case list */

typedef struct list_q {
	const char *state;       /* a known state code, or NULL for all */
	size_t page;             /* 1-based */
} list_q;

static int list_read(list_q *q, sv_req *r)
{
	const char *s = sv_query(r, "state"), *p = sv_query(r, "page");
	q->state = NULL;
	q->page = 1;
	if (s && *s) {
		for (size_t i = 0; i < sizeof STATES / sizeof *STATES; i++)
			if (!strcmp(STATES[i][0], s))
				q->state = STATES[i][0];
		if (!q->state)
			return -1;
	}
	if (p && *p) {
		char *end = NULL;
		unsigned long v = strtoul(p, &end, 10);
		if (*end || !v || v > 100000000UL)
			return -1;
		q->page = v;
	}
	return 0;
}

static void list_filter(sv_resp *o, const list_q *q)
{
	sv_printf(o, "<form method=\"get\" action=\"/cases\" class=\"filters\">\n<p><label for=\"f-state\">État</label>\n"
		"<select id=\"f-state\" name=\"state\">\n<option value=\"\">tous</option>\n");
	for (size_t i = 0; i < sizeof STATES / sizeof *STATES; i++)
		sv_html(o, "<option value=\"%s\"%s>%s</option>\n", STATES[i][0],
			q->state && !strcmp(q->state, STATES[i][0]) ? " selected" : "", STATES[i][1]);
	sv_printf(o, "</select>\n<button type=\"submit\">Afficher</button></p>\n</form>\n");
}

static void case_badges(sv_resp *o, const cv_case_info *c)
{
	if (c->on_hold)
		sv_printf(o, "<span class=\"badge error\">gel juridique</span> ");
	if (c->restricted)
		sv_printf(o, "<span class=\"badge late\">traitement limité</span> ");
	if (c->permanent)
		sv_printf(o, "<span class=\"badge info\">conservation définitive</span> ");
}

/* Hold and release from the list: a hold is asked for with its reason on its
 * own page; a release is one button. */
static void case_actions(sv_resp *o, sv_req *r, const cv_case_info *c)
{
	if (!c->on_hold && sv_allowed(r, "case.hold") && strcmp(c->state, "destroyed"))
		sv_html(o, "<a href=\"/cases/%s/hold\">Placer un gel</a>", c->id);
	if (c->on_hold && sv_allowed(r, "case.release")) {
		sv_html(o, "<form method=\"post\" action=\"/cases/%s/release\">", c->id);
		sv_csrf_field(o, r);
		sv_html(o, "<button type=\"submit\" data-confirm=\"Lever le gel de ce dossier ?\" aria-label=\"Lever le gel du dossier %s\">Lever le gel</button></form>", c->ref);
	}
}

static void list_rows(sv_resp *o, sv_req *r, const cv_case_info *c, size_t n, size_t total)
{
	/* Readers who may not hold or release get no empty column. */
	int acts = sv_allowed(r, "case.hold") || sv_allowed(r, "case.release");
	sv_printf(o, "<table class=\"list\">\n<caption>");
	count_fr(o, total, "dossier", "dossiers");
	sv_printf(o, "</caption>\n<thead><tr><th scope=\"col\">Référence</th><th scope=\"col\">Catégorie</th>"
		"<th scope=\"col\">État</th><th scope=\"col\">Ouvert le</th><th scope=\"col\">Clos le</th>"
		"<th scope=\"col\">Documents</th><th scope=\"col\">Volume</th><th scope=\"col\">Mentions</th>%s</tr></thead>\n"
		"<tbody>\n", acts ? "<th scope=\"col\">Actions</th>" : ""); /* sv_printf: trusted markup */
	for (size_t i = 0; i < n; i++) {
		char d1[64], d2[64], b[32];
		sv_html(o, "<tr><th scope=\"row\"><a href=\"/cases/%s\">%s</a></th><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			"<td>%u</td><td>%s</td><td>", c[i].id, c[i].ref, sv_category_fr(c[i].category), state_fr(c[i].state),
			sv_date_fr(d1, c[i].opened), sv_date_fr(d2, c[i].closed), c[i].ndocs, sv_bytes_fr(b, c[i].bytes));
		case_badges(o, &c[i]);
		sv_printf(o, "</td>");
		if (acts) {
			sv_printf(o, "<td class=\"actions\">");
			case_actions(o, r, &c[i]);
			sv_printf(o, "</td>");
		}
		sv_printf(o, "</tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

static void page_link(sv_resp *o, const list_q *q, size_t page, const char *rel, const char *label)
{
	sv_printf(o, "<a href=\"/cases?");
	if (q->state)
		sv_printf(o, "state=%s&amp;", q->state); /* a known code: nothing to escape */
	sv_printf(o, "page=%zu\" rel=\"%s\">%s</a>\n", page, rel, label);
}

static void list_paging(sv_resp *o, const list_q *q, size_t total)
{
	size_t pages = (total + CASES_PAGE - 1) / CASES_PAGE;
	if (pages <= 1)
		return;
	sv_printf(o, "<nav aria-label=\"Pages de la liste\" class=\"actions\">\n");
	if (q->page > 1)
		page_link(o, q, q->page - 1, "prev", "Page précédente");
	sv_printf(o, "<span>Page %zu sur %zu</span>\n", q->page, pages);
	if (q->page < pages)
		page_link(o, q, q->page + 1, "next", "Page suivante");
	sv_printf(o, "</nav>\n");
}

static void cases_page(sv_resp *o, sv_req *r)
{
	list_q q;
	if (list_read(&q, r)) {
		sv_error(o, r, 400, "Filtre ou numéro de page invalide.");
		return;
	}
	cv_case_list_options lo = CV_CASE_LIST_OPTIONS_INIT;
	lo.state = q.state;
	lo.offset = (q.page - 1) * CASES_PAGE;
	lo.limit = CASES_PAGE;
	cv_case_info *c = NULL;
	size_t n = 0, total = 0;
	if (cv_case_list_page(&c, &n, &total, sv_archive(r), &lo)) {
		sv_fail(o, r, "La liste des dossiers n'a pas pu être lue");
		return;
	}
	sv_page_begin(o, r, "Dossiers");
	if (sv_allowed(r, "case.ingest"))
		sv_printf(o, "<p class=\"actions\"><a href=\"/ingest\">Verser un dossier</a></p>\n");
	list_filter(o, &q);
	if (n)
		list_rows(o, r, c, n, total);
	else if (total)
		sv_printf(o, "<p>Cette page est au-delà de la fin de la liste.</p>\n");
	else
		sv_printf(o, "<p>Aucun dossier.</p>\n");
	list_paging(o, &q, total);
	cv_case_list_free(c);
	sv_page_end(o, r);
}

/* --------------------------------------------------------------- ingest */

static void ingest_form(sv_resp *o, sv_req *r)
{
	sv_page_begin(o, r, "Verser un dossier");
	sv_printf(o, "<p>Déposez le paquet d'un dossier tel que l'exporte le logiciel métier : "
		"une archive <code>.zip</code>, <code>.tar</code> ou <code>.tar.gz</code> contenant <code>case.json</code> "
		"et ses documents. Le dossier est enregistré en entier ou pas du tout ; un dossier déjà versé reçoit une "
		"nouvelle version.</p>\n");
	sv_printf(o, "<form method=\"post\" action=\"/ingest\" enctype=\"multipart/form-data\" data-upload>\n");
	sv_csrf_field(o, r);
	sv_printf(o, "<p><label for=\"bundle\">Paquet du dossier</label>\n<input type=\"file\" id=\"bundle\" name=\"bundle\" "
		"accept=\".zip,.tar,.gz,.tgz,application/zip,application/x-tar,application/gzip\" required></p>\n"
		"<p><progress id=\"upload-progress\" max=\"100\" value=\"0\" aria-label=\"Envoi du fichier\" hidden>envoi en cours</progress></p>\n"
		"<p class=\"actions\"><button type=\"submit\">Verser</button></p>\n</form>\n");
	sv_page_end(o, r);
}

/* The suffix the bundle readers recognise, from the browser's file name. */
static const char *bundle_suffix(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	static const char *const ok[][2] = { { ".tar.gz", ".tar.gz" }, { ".tgz", ".tar.gz" }, { ".tar", ".tar" },
		{ ".zip", ".zip" } };
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		size_t k = strlen(ok[i][0]);
		if (n > k && !strcasecmp(name + n - k, ok[i][0]))
			return ok[i][1];
	}
	return NULL;
}

typedef struct ingest_job {
	char *path;              /* the bundle in the work directory, owned here */
	char name[256];          /* the file name the browser sent, for messages */
} ingest_job;

/* A bundle holds personal data: overwrite it before removing it, so it does
 * not linger on the disk of the work directory. */
static void wipe_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd >= 0 && !fstat(fd, &st)) {
		static const char zero[65536];
		for (off_t left = st.st_size; left > 0;) {
			ssize_t w = write(fd, zero, left < (off_t)sizeof zero ? (size_t)left : sizeof zero);
			if (w <= 0)
				break;
			left -= w;
		}
		fsync(fd);
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static void ingest_job_free(void *arg)
{
	ingest_job *g = arg;
	if (!g)
		return;
	if (g->path)
		wipe_file(g->path);
	free(g->path);
	free(g);
}

static void ingest_message(sv_job *j, const cv_ingest_result *res)
{
	char msg[1024], b[32];
	int w;
	if (res->unchanged)
		w = snprintf(msg, sizeof msg, "Dossier %s : identique à sa version %u, rien n'a été enregistré.", res->ref,
			res->case_version);
	else
		w = snprintf(msg, sizeof msg, "Dossier %s%s, version %u. Documents : %u %s, %u %s, %u %s, %u %s ; %s %s.",
			res->ref, res->created ? " (nouveau dossier)" : "", res->case_version, res->docs_new,
			sv_plural(res->docs_new, "nouveau", "nouveaux"), res->docs_changed,
			sv_plural(res->docs_changed, "modifié", "modifiés"), res->docs_unchanged,
			sv_plural(res->docs_unchanged, "inchangé", "inchangés"), res->docs_removed,
			sv_plural(res->docs_removed, "retiré", "retirés"), sv_bytes_fr(b, res->bytes_stored),
			sv_plural((long)res->bytes_stored, "enregistré", "enregistrés"));
	/* Rectifications decided under the GDPR survive a new version of the
	 * source: the archivist must know the source still holds the old data. */
	if (res->rectifications_kept && w > 0 && (size_t)w < sizeof msg)
		snprintf(msg + w, sizeof msg - w, " %u %s au-dessus de la source : %s.", res->rectifications_kept,
			sv_plural(res->rectifications_kept, "rectification maintenue", "rectifications maintenues"),
			res->rectifications);
	sv_job_message(j, msg);
}

/* The library names the bundle by its path in the private work directory;
 * the archivist knows it by the name of the file they sent. */
static void ingest_failed(sv_job *j, const ingest_job *g)
{
	const char *why = cv_error_last()->message;
	size_t pl = strlen(g->path);
	const char *at = strstr(why, g->path);
	char detail[768], msg[1280];
	if (at)
		snprintf(detail, sizeof detail, "%.*s%s%s", (int)(at - why), why, g->name, at + pl);
	else
		snprintf(detail, sizeof detail, "%s", why);
	snprintf(msg, sizeof msg, "Le paquet « %s » n'a pas été versé ; rien n'a été enregistré. Détail : %s", g->name,
		detail);
	sv_job_message(j, msg);
}

static int ingest_run(sv_job *j, cv_archive *a, void *arg)
{
	ingest_job *g = arg;
	cv_ingest_result res = CV_INGEST_RESULT_INIT;
	sv_job_progress("Lecture du paquet et enregistrement", 0, 0, j);
	int rc = cv_ingest_bundle(&res, a, g->path, NULL);
	if (rc)
		ingest_failed(j, g);
	/* The bundle is no longer needed: wipe it now rather than when the job
	 * expires; free_arg then has nothing left to do. */
	wipe_file(g->path);
	free(g->path);
	g->path = NULL;
	if (rc)
		return rc;
	ingest_message(j, &res);
	char href[64];
	snprintf(href, sizeof href, "/cases/%s", res.case_id);
	sv_job_link(j, href, "Voir le dossier");
	sv_job_set_value(j, res.case_id);
	return 0;
}

/* The upload is renamed with the suffix of its format (the bundle readers
 * go by it) inside the same private work directory. */
static char *bundle_take(sv_req *r, const char *suffix)
{
	char *taken = sv_upload_take(r, "bundle");
	if (!taken)
		return NULL;
	char *path = sv_work_path(r, "bundle", suffix);
	if (!path || rename(taken, path)) {
		wipe_file(taken);
		free(taken);
		free(path);
		return NULL;
	}
	free(taken);
	return path;
}

static void ingest_post(sv_resp *o, sv_req *r)
{
	const sv_upload *up = sv_upload_get(r, "bundle");
	if (!up || !up->size) {
		sv_error(o, r, 400, "Choisissez le paquet du dossier à verser.");
		return;
	}
	const char *suffix = bundle_suffix(up->filename);
	if (!suffix) {
		sv_error(o, r, 400, "Le paquet doit être une archive .zip, .tar ou .tar.gz.");
		return;
	}
	ingest_job *g = calloc(1, sizeof *g);
	if (g)
		snprintf(g->name, sizeof g->name, "%s", up->filename);
	if (!g || !(g->path = bundle_take(r, suffix))) {
		free(g);
		sv_error(o, r, 500, "Le paquet reçu n'a pas pu être mis de côté.");
		return;
	}
	char id[33], loc[48];
	int rc = sv_job_start(id, r, "Versement d'un dossier", ingest_run, g, ingest_job_free);
	if (rc) { /* the core has already wiped the bundle through ingest_job_free */
		sv_job_refused(o, r, rc, "Le versement n'a pas pu être lancé");
		return;
	}
	snprintf(loc, sizeof loc, "/jobs/%s", id);
	sv_redirect(o, loc);
}

/* ----------------------------------------------------------------- hold */

/* The case named in the path (id or ref), or an error answer. */
static int case_of(cv_case_info *ci, sv_resp *o, sv_req *r)
{
	if (!cv_case_get(ci, sv_archive(r), sv_param(r, 0)))
		return 0;
	sv_fail(o, r, "Ce dossier n'a pas été trouvé");
	return -1;
}

static void hold_form(sv_resp *o, sv_req *r)
{
	cv_case_info ci;
	if (case_of(&ci, o, r))
		return;
	char title[160];
	snprintf(title, sizeof title, "Gel juridique du dossier %s", ci.ref);
	sv_page_begin(o, r, title);
	sv_html(o, "<p><a href=\"/cases/%s\">Retour au dossier %s</a></p>\n", ci.id, ci.ref);
	if (ci.on_hold) {
		sv_notice(o, "info", "Ce dossier est déjà sous gel juridique.");
		if (sv_allowed(r, "case.release")) {
			sv_html(o, "<form method=\"post\" action=\"/cases/%s/release\" class=\"actions\">\n", ci.id);
			sv_csrf_field(o, r);
			sv_printf(o, "<button type=\"submit\" data-confirm=\"Lever le gel de ce dossier ?\">Lever le gel</button>\n</form>\n");
		}
		sv_page_end(o, r);
		return;
	}
	sv_printf(o, "<p>Un gel juridique (contentieux, enquête, demande d'une autorité) suspend toute action de "
		"conservation sur le dossier : il ne sera ni versé, ni anonymisé, ni détruit tant que le gel n'est pas "
		"levé.</p>\n");
	sv_html(o, "<form method=\"post\" action=\"/cases/%s/hold\">\n", ci.id);
	sv_csrf_field(o, r);
	sv_printf(o, "<p><label for=\"reason\">Motif du gel</label>\n<textarea id=\"reason\" name=\"reason\" rows=\"3\" "
		"cols=\"60\" required aria-describedby=\"reason-aide\"></textarea>\n<small id=\"reason-aide\">Par exemple la "
		"référence d'une procédure ; n'y écrivez aucun nom.</small></p>\n"
		"<p class=\"actions\"><button type=\"submit\">Placer le gel</button></p>\n</form>\n");
	sv_page_end(o, r);
}

static int nonblank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 1;
	return 0;
}

/* The case page is another module's: its sv_page_begin shows the text
 * registered here for ?ok=held / ?ok=released. */
static void back_to_case(sv_resp *o, const cv_case_info *ci, const char *ok)
{
	if (!strcmp(ok, "held"))
		sv_notice_text(ok, "Le gel juridique est placé : aucune action de conservation ne touchera ce dossier tant "
			"qu'il n'est pas levé.");
	else
		sv_notice_text(ok, "Le gel juridique est levé.");
	char loc[96];
	snprintf(loc, sizeof loc, "/cases/%s?ok=%s", ci->id, ok);
	sv_redirect(o, loc);
}

static void hold_post(sv_resp *o, sv_req *r)
{
	const char *reason = sv_form(r, "reason");
	cv_case_info ci;
	if (!nonblank(reason)) {
		sv_error(o, r, 400, "Indiquez le motif du gel.");
		return;
	}
	if (case_of(&ci, o, r))
		return;
	if (cv_case_hold(sv_archive(r), ci.id, reason)) {
		sv_fail(o, r, "Le gel n'a pas été placé");
		return;
	}
	back_to_case(o, &ci, "held");
}

static void release_post(sv_resp *o, sv_req *r)
{
	cv_case_info ci;
	if (case_of(&ci, o, r))
		return;
	if (cv_case_release(sv_archive(r), ci.id)) {
		sv_fail(o, r, "Le gel n'a pas été levé");
		return;
	}
	back_to_case(o, &ci, "released");
}

const sv_route sv_routes_archivist[] = {
	{ "GET", "/cases", cases_page, NULL, "Dossiers" },
	{ "GET", "/ingest", ingest_form, "case.ingest", "Verser un dossier" },
	{ "POST", "/ingest", ingest_post, "case.ingest", NULL },
	{ "GET", "/cases/*/hold", hold_form, "case.hold", NULL },
	{ "POST", "/cases/*/hold", hold_post, "case.hold", NULL },
	{ "POST", "/cases/*/release", release_post, "case.release", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
