/* casevault serve — the DPO's pages: the GDPR rights register (RGPD art. 12
 * to 21) and each step of a request (open, identity check, decision,
 * extension, fulfilment, the archives director's visa, lift).
 *
 * Each step calls the same library function as `casevault request …`
 * (tools/casevault/cmd_request.c) with the same checks first; the library
 * decides and journals, the page only says it in French.
 *
 * Ownership: the core owns sv_req / sv_resp and the form strings; every
 * credential or password is copied here, used, then wiped (explicit_bzero)
 * and freed. Thread-safety: handlers are re-entrant (no global mutable
 * state; the tables below are const); the access copy runs as a job in its
 * own thread with its own handle and its own copy of the secrets.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* explicit_bzero, localtime_r */
#endif
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ vocabulary */

/* The six rights, with their article: the words of the register. */
static const char *const TYPES[][3] = {
	{ "access", "accès", "art. 15" },
	{ "rectification", "rectification", "art. 16" },
	{ "erasure", "effacement", "art. 17" },
	{ "restriction", "limitation", "art. 18" },
	{ "portability", "portabilité", "art. 20" },
	{ "objection", "opposition", "art. 21" },
};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

/* The library stores the channel as given (free text): the form offers the
 * ways a request reaches the Département and accepts only these. */
static const char *const CHANNELS[] = { "courrier", "courriel", "guichet", "téléphone", NULL };

/* The person fields a rectification may rewrite (cv_request_fulfil_options). */
static const char *const FIELDS[][2] = {
	{ "last", "nom" }, { "first", "prénom(s)" }, { "born", "date de naissance" }, { "sex", "sexe" },
	{ "phone", "téléphone" }, { "email", "courriel" }, { "address", "adresse" },
	{ "nir", "NIR (numéro de sécurité sociale)" },
};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

static const char *type_fr(const char *t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(t, TYPES[i][0]))
			return TYPES[i][1];
	return t;
}

static const char *type_art(const char *t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(t, TYPES[i][0]))
			return TYPES[i][2];
	return "";
}

static const char *state_fr(const char *s)
{
	return !strcmp(s, "open") ? "ouverte" : !strcmp(s, "decided") ? "décidée" : !strcmp(s, "fulfilled") ? "réalisée" : s;
}

/* Feminine: it agrees with « la demande ». */
static const char *decision_fr(const char *d)
{
	return !strcmp(d, "grant") ? "accordée" : !strcmp(d, "refuse") ? "refusée" : !strcmp(d, "partial")
		? "accordée en partie" : d[0] ? d : "—";
}

static const char *proposal_fr(const char *p)
{
	return !strcmp(p, "grant") ? "accorder" : !strcmp(p, "refuse") ? "refuser" : !strcmp(p, "weigh")
		? "à apprécier par le DPO" : p[0] ? p : "—";
}

/* ----------------------------------------------------------------- dates */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int day_number(const char *iso, long *out)
{
	int y, m, d;
	if (sv_iso_date(iso, &y, &m, &d))
		return -1;
	*out = days_from_civil(y, m, d);
	return 0;
}

/* Today as the library judges deadlines (its local day), so that the
 * counts here agree with `request list --overdue`. */
static void today_iso(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	snprintf(out, 11, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Days from `today` to the request's deadline (negative: late); 0 on a
 * date that cannot be read, so that nothing is flagged by mistake. */
static long days_left(const cv_request *q, const char *today)
{
	long a, b;
	if (day_number(today, &a) || day_number(q->effective_due, &b))
		return 0;
	return b - a;
}

static int is_pending(const cv_request *q)
{
	return strcmp(q->state, "fulfilled") != 0;
}

/* "en retard de 3 jours", "échéance aujourd'hui", "il reste 5 jours". */
static void delay_text(sv_resp *o, long n)
{
	if (n < 0)
		sv_escf(o, "en retard de %ld %s", -n, sv_plural(-n, "jour", "jours"));
	else if (n == 0)
		sv_esc(o, "échéance aujourd'hui");
	else
		sv_escf(o, "il reste %ld %s", n, sv_plural(n, "jour", "jours"));
}

static void esc_date(sv_resp *o, const char *iso)
{
	char b[64];
	sv_esc(o, sv_date_fr(b, iso));
}

/* ------------------------------------------------------------- utilities */

/* A copy of a secret the core owns, to be wiped by wipe_free. */
static char *secret_copy(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static const char *form_or_empty(const sv_req *r, const char *name)
{
	const char *v = sv_form(r, name);
	return v ? v : "";
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* One line of a description list; the value escaped, "—" when empty. */
static void dl_row(sv_resp *o, const char *term, const char *value)
{
	sv_printf(o, "<dt>");
	sv_esc(o, term);
	sv_printf(o, "</dt><dd>");
	sv_esc(o, value && *value ? value : "—");
	sv_printf(o, "</dd>\n");
}

static void dl_date(sv_resp *o, const char *term, const char *iso)
{
	char b[64];
	dl_row(o, term, sv_date_fr(b, iso));
}

/* "par dpo1, le 7 décembre 2026 à 11 h 20" */
static void dl_by(sv_resp *o, const char *term, const char *who, const char *when)
{
	char b[64], line[200];
	snprintf(line, sizeof line, "par %s, le %s", who && *who ? who : "—", sv_date_fr(b, when));
	dl_row(o, term, line);
}

/* The notices of each step, shown by sv_page_begin for ?ok=<code>. The
 * codes carry a "request-" prefix: the registry is shared by every page and
 * keeps the first text given for a code. */
static const char *const OK_TEXT[][2] = {
	{ "request-opened", "La demande a été enregistrée dans le registre." },
	{ "request-identity", "La vérification d'identité a été enregistrée." },
	{ "request-decided", "La décision a été signée et enregistrée." },
	{ "request-extended", "Le délai a été prolongé de deux mois. Informez-en le demandeur, avec le motif, avant la "
		"première échéance (RGPD art. 12(3))." },
	{ "request-fulfilled", "La demande a été exécutée et marquée réalisée." },
	{ "request-approved", "Votre visa a été signé et enregistré ; le DPO peut maintenant exécuter l'effacement." },
	{ "request-lifted", "La limitation du traitement a été levée." },
};

static void register_notice(const char *code)
{
	for (size_t i = 0; i < sizeof OK_TEXT / sizeof OK_TEXT[0]; i++)
		if (!strcmp(code, OK_TEXT[i][0]))
			sv_notice_text(code, OK_TEXT[i][1]);
}

/* 303 to `path` with its notice: "/requests/R1?ok=request-decided". */
static void redirect_ok_to(sv_resp *o, const char *path, const char *code)
{
	char loc[160];
	register_notice(code);
	snprintf(loc, sizeof loc, "%s?ok=%s", path, code);
	sv_redirect(o, loc);
}

static void redirect_ok(sv_resp *o, const char *id, const char *step)
{
	char path[64], code[32];
	snprintf(path, sizeof path, "/requests/%s", id);
	snprintf(code, sizeof code, "request-%s", step);
	redirect_ok_to(o, path, code);
}

/* The distinct cases of a request, once each (a request may name several
 * persons of one case). */
static size_t distinct_cases(const cv_request *q)
{
	size_t n = 0;
	for (size_t i = 0; i < q->nsubjects; i++) {
		size_t j = 0;
		while (j < i && strcmp(q->subjects[j].case_id, q->subjects[i].case_id))
			j++;
		n += j == i;
	}
	return n;
}

/* ------------------------------------------------------- the register */

typedef struct list_filter {
	const char *state;   /* open, decided, fulfilled, pending (not fulfilled) or NULL */
	const char *due;     /* overdue, soon or NULL */
} list_filter;

/* The same rule as the library's listing: only a request not yet
 * fulfilled is late or due soon. */
static int row_kept(const list_filter *f, const cv_request *q, long n)
{
	if (f->state && (!strcmp(f->state, "pending") ? !is_pending(q) : strcmp(q->state, f->state) != 0))
		return 0;
	if (f->due && !strcmp(f->due, "overdue") && !(is_pending(q) && n < 0))
		return 0;
	if (f->due && !strcmp(f->due, "soon") && !(is_pending(q) && n >= 0 && n <= 7))
		return 0;
	return 1;
}

static int filter_read(list_filter *f, sv_req *r)
{
	f->state = nonempty(sv_query(r, "state"));
	f->due = nonempty(sv_query(r, "due"));
	if (f->state && strcmp(f->state, "pending") && strcmp(f->state, "open") && strcmp(f->state, "decided") &&
		strcmp(f->state, "fulfilled"))
		return -1;
	if (f->due && strcmp(f->due, "overdue") && strcmp(f->due, "soon"))
		return -1;
	return 0;
}

static void figure(sv_resp *o, const char *cls, const char *href, size_t n, const char *one, const char *many)
{
	sv_printf(o, "<li class=\"%s\"><a href=\"", cls);
	sv_esc(o, href);
	sv_printf(o, "\"><span class=\"badge\">%zu</span> ", n);
	sv_esc(o, sv_plural((long)n, one, many));
	sv_printf(o, "</a></li>\n");
}

static void register_figures(sv_resp *o, const cv_request *list, size_t n, const char *today)
{
	size_t pending = 0, soon = 0, late = 0;
	for (size_t i = 0; i < n; i++) {
		long d = days_left(&list[i], today);
		if (!is_pending(&list[i]))
			continue;
		pending++;
		soon += d >= 0 && d <= 7;
		late += d < 0;
	}
	sv_printf(o, "<h2>En un coup d'œil</h2>\n<ul class=\"figures\">\n");
	figure(o, "info", "/requests?state=pending", pending, "demande en cours", "demandes en cours");
	figure(o, "soon", "/requests?due=soon", soon, "échéance proche (7 jours)", "échéances proches (7 jours)");
	figure(o, late ? "late" : "ok", "/requests?due=overdue", late, "demande en retard", "demandes en retard");
	sv_printf(o, "</ul>\n");
}

static void option(sv_resp *o, const char *value, const char *label, const char *current)
{
	sv_printf(o, "<option value=\"");
	sv_esc(o, value);
	sv_printf(o, "\"%s>", current && !strcmp(current, value) ? " selected" : "");
	sv_esc(o, label);
	sv_printf(o, "</option>");
}

static void register_filters(sv_resp *o, const list_filter *f)
{
	sv_printf(o, "<form method=\"get\" action=\"/requests\" class=\"filters\">\n"
		"<label for=\"f-state\">État</label> <select id=\"f-state\" name=\"state\">");
	option(o, "", "tous les états", f->state);
	option(o, "pending", "en cours (ouverte ou décidée)", f->state);
	option(o, "open", "ouverte", f->state);
	option(o, "decided", "décidée", f->state);
	option(o, "fulfilled", "réalisée", f->state);
	sv_printf(o, "</select>\n<label for=\"f-due\">Échéance</label> <select id=\"f-due\" name=\"due\">");
	option(o, "", "toutes les échéances", f->due);
	option(o, "overdue", "en retard", f->due);
	option(o, "soon", "échéance proche (7 jours)", f->due);
	sv_printf(o, "</select>\n<button type=\"submit\">Filtrer</button>\n</form>\n");
}

/* The subjects' cases, as references (never names): "ASE-2019-001 (p1)". */
static void subjects_cell(sv_resp *o, const cv_request *q)
{
	if (!q->nsubjects) {
		sv_esc(o, "aucun (personne inconnue de l'archive)");
		return;
	}
	for (size_t i = 0; i < q->nsubjects; i++) {
		if (i)
			sv_printf(o, "<br>");
		sv_escf(o, "%s (%s)", q->subjects[i].ref[0] ? q->subjects[i].ref : q->subjects[i].case_id,
			q->subjects[i].person);
	}
}

static void register_row(sv_resp *o, const cv_request *q, long n)
{
	int pending = is_pending(q);
	sv_printf(o, "<tr%s><th scope=\"row\"><a href=\"/requests/", !pending ? "" : n < 0 ? " class=\"late\"" : n <= 7
		? " class=\"soon\"" : "");
	sv_esc(o, q->id);
	sv_printf(o, "\">");
	sv_esc(o, q->id);
	sv_printf(o, "</a></th><td>");
	sv_esc(o, type_fr(q->type));
	sv_printf(o, "</td><td>");
	esc_date(o, q->received);
	sv_printf(o, "</td><td>");
	esc_date(o, q->effective_due);
	if (q->extended_due[0])
		sv_esc(o, " (prolongée)");
	sv_printf(o, "</td><td>");
	if (pending)
		delay_text(o, n);
	else
		sv_esc(o, "—");
	sv_printf(o, "</td><td>");
	sv_esc(o, state_fr(q->state));
	sv_printf(o, "</td><td>");
	subjects_cell(o, q);
	sv_printf(o, "</td></tr>\n");
}

static void register_table(sv_resp *o, const cv_request *list, size_t n, const list_filter *f, const char *today)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += row_kept(f, &list[i], days_left(&list[i], today));
	if (!shown) {
		sv_printf(o, "<p class=\"info\">%s</p>\n", f->state || f->due ? "Aucune demande ne répond au filtre."
			: "Aucune demande enregistrée.");
		return;
	}
	sv_printf(o, "<table class=\"list\">\n<caption>");
	sv_escf(o, "%zu %s%s, par échéance", shown, sv_plural((long)shown, "demande", "demandes"),
		f->state || f->due ? sv_plural((long)shown, " retenue par le filtre", " retenues par le filtre") : "");
	sv_printf(o, "</caption>\n<thead><tr><th scope=\"col\">N°</th><th scope=\"col\">Type</th>"
		"<th scope=\"col\">Reçue le</th><th scope=\"col\">Échéance</th><th scope=\"col\">Délai</th>"
		"<th scope=\"col\">État</th><th scope=\"col\">Dossiers (personnes)</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		long d = days_left(&list[i], today);
		if (row_kept(f, &list[i], d))
			register_row(o, &list[i], d);
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

static void register_links(sv_resp *o, sv_req *r)
{
	sv_printf(o, "<ul class=\"actions\">\n");
	if (sv_allowed(r, "request.open"))
		sv_printf(o, "<li><a href=\"/requests/new\">Enregistrer une nouvelle demande</a></li>\n");
	if (sv_allowed(r, "request.register"))
		sv_printf(o, "<li><a href=\"/requests/register.html\">Télécharger le registre (HTML, imprimable)</a></li>\n"
			"<li><a href=\"/requests/register.csv\">Télécharger le registre (CSV, tableur)</a></li>\n");
	sv_printf(o, "</ul>\n");
}

/* GET /requests: the figures first, then the table, every request once. */
static void h_register(sv_resp *o, sv_req *r)
{
	list_filter f;
	if (filter_read(&f, r)) {
		sv_error(o, r, 400, "Filtre inconnu : l'état est en cours, ouverte, décidée ou réalisée (pending, open, "
			"decided, fulfilled) et l'échéance en retard ou proche (overdue, soon).");
		return;
	}
	cv_request_filter rf = CV_REQUEST_FILTER_INIT;
	cv_request *list = NULL;
	size_t n = 0;
	if (cv_request_list(&list, &n, sv_archive(r), &rf)) {
		sv_fail(o, r, "Le registre des demandes n'a pas pu être lu");
		return;
	}
	char today[11];
	today_iso(today);
	sv_page_begin(o, r, "Registre des demandes RGPD");
	register_figures(o, list, n, today);
	sv_printf(o, "<h2>Demandes</h2>\n");
	register_links(o, r);
	register_filters(o, &f);
	register_table(o, list, n, &f, today);
	sv_page_end(o, r);
	cv_request_list_free(list, n);
}

/* GET /requests/register.csv and .html: the library writes the register
 * into the work directory, the answer reads it and removes it. */
static void send_register(sv_resp *o, sv_req *r, cv_format fmt)
{
	int csv = fmt == CV_FORMAT_CSV;
	char *path = sv_work_path(r, "registre", csv ? ".csv" : ".html");
	if (!path) {
		sv_error(o, r, 500, "Le registre n'a pas pu être préparé (mémoire).");
		return;
	}
	if (cv_request_register(sv_archive(r), fmt, path)) {
		unlink(path);
		free(path);
		sv_fail(o, r, "Le registre n'a pas pu être produit");
		return;
	}
	char today[11], name[64];
	today_iso(today);
	snprintf(name, sizeof name, "registre-rgpd-%s.%s", today, csv ? "csv" : "html");
	if (sv_send_file(o, path, csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8", name, 1)) {
		unlink(path);
		sv_error(o, r, 500, "Le registre a été produit mais n'a pas pu être envoyé.");
	}
	free(path);
}

static void h_register_csv(sv_resp *o, sv_req *r)
{
	send_register(o, r, CV_FORMAT_CSV);
}

static void h_register_html(sv_resp *o, sv_req *r)
{
	send_register(o, r, CV_FORMAT_HTML);
}

/* ------------------------------------------------------ opening a request */

static void text_input(sv_resp *o, const char *id, const char *name, const char *label, const char *type,
	const char *extra)
{
	sv_printf(o, "<p><label for=\"%s\">", id);
	sv_esc(o, label);
	sv_printf(o, "</label> <input type=\"%s\" id=\"%s\" name=\"%s\"%s></p>\n", type, id, name, extra ? extra : "");
}

static void new_form_subject(sv_resp *o)
{
	sv_printf(o, "<fieldset>\n<legend>La personne dans un dossier connu</legend>\n");
	text_input(o, "n-case", "case", "Dossier (référence ou identifiant)", "text", " autocomplete=\"off\"");
	text_input(o, "n-subject", "subject", "Identifiant de la personne dans ce dossier (p1, p2…)", "text",
		" autocomplete=\"off\"");
	sv_printf(o, "</fieldset>\n<p>ou</p>\n<fieldset>\n<legend>La personne par son identité (recherchée dans tous "
		"les dossiers)</legend>\n");
	text_input(o, "n-last", "last", "Nom de naissance ou d'usage", "text", " autocomplete=\"off\"");
	text_input(o, "n-first", "first", "Prénom(s) (facultatif)", "text", " autocomplete=\"off\"");
	text_input(o, "n-born", "born", "Date de naissance (facultative)", "date", NULL);
	sv_printf(o, "<p class=\"info\">Une même personne trouvée dans plusieurs dossiers donne une seule demande qui "
		"les couvre tous.</p>\n</fieldset>\n");
}

static void new_form_receipt(sv_resp *o)
{
	char today[11];
	today_iso(today);
	sv_printf(o, "<p><label for=\"n-received\">Reçue le</label> <input type=\"date\" id=\"n-received\" "
		"name=\"received\" required value=\"%s\" max=\"%s\"></p>\n", today, today);
	sv_printf(o, "<p><label for=\"n-channel\">Canal de réception</label> <select id=\"n-channel\" name=\"channel\">");
	option(o, "", "non précisé", NULL);
	for (size_t i = 0; CHANNELS[i]; i++)
		option(o, CHANNELS[i], CHANNELS[i], NULL);
	sv_printf(o, "</select></p>\n<p><label for=\"n-note\">Note (conservée chiffrée ; détruite avec les dossiers "
		"effacés)</label> <textarea id=\"n-note\" name=\"note\" rows=\"4\" cols=\"60\"></textarea></p>\n");
}

/* GET /requests/new */
static void h_new(sv_resp *o, sv_req *r)
{
	sv_page_begin(o, r, "Nouvelle demande RGPD");
	sv_printf(o, "<form method=\"post\" action=\"/requests\">\n");
	sv_csrf_field(o, r);
	sv_printf(o, "<p><label for=\"n-type\">Droit exercé</label> <select id=\"n-type\" name=\"type\" required>");
	for (size_t i = 0; i < NTYPES; i++) {
		char label[64];
		snprintf(label, sizeof label, "%s (RGPD %s)", TYPES[i][1], TYPES[i][2]);
		option(o, TYPES[i][0], label, NULL);
	}
	sv_printf(o, "</select></p>\n<h2>Personne concernée</h2>\n");
	new_form_subject(o);
	sv_printf(o, "<h2>Réception</h2>\n");
	new_form_receipt(o);
	sv_printf(o, "<p class=\"info\">Le délai de réponse est d'un mois à compter de la réception (RGPD art. 12(3)) ; "
		"l'outil propose une décision selon le fondement du traitement.</p>\n"
		"<p><button type=\"submit\">Enregistrer la demande</button></p>\n</form>\n");
	sv_page_end(o, r);
}

/* The checks of `request open` (cmd_request.c req_check), in French;
 * NULL when the form is complete. */
static const char *open_check(const cv_request_open_options *ro)
{
	size_t i = 0;
	while (i < NTYPES && (!ro->type || strcmp(ro->type, TYPES[i][0])))
		i++;
	if (i == NTYPES)
		return "Choisissez le droit exercé.";
	if (!ro->received)
		return "La date de réception est obligatoire.";
	if ((ro->subject || ro->case_id) && (ro->last || ro->first || ro->born))
		return "Désignez la personne soit dans un dossier, soit par son identité, pas les deux.";
	if ((ro->subject || ro->case_id) && !(ro->subject && ro->case_id))
		return "Une personne dans un dossier demande le dossier et l'identifiant de la personne.";
	if (!ro->subject && !ro->last)
		return "Désignez la personne : un dossier et son identifiant, ou au moins son nom.";
	for (i = 0; ro->channel && CHANNELS[i] && strcmp(CHANNELS[i], ro->channel); i++)
		;
	if (ro->channel && !CHANNELS[i])
		return "Canal de réception inconnu.";
	return NULL;
}

/* POST /requests */
static void h_open(sv_resp *o, sv_req *r)
{
	cv_request_open_options ro = CV_REQUEST_OPEN_OPTIONS_INIT;
	ro.type = nonempty(sv_form(r, "type"));
	ro.case_id = nonempty(sv_form(r, "case"));
	ro.subject = nonempty(sv_form(r, "subject"));
	ro.last = nonempty(sv_form(r, "last"));
	ro.first = nonempty(sv_form(r, "first"));
	ro.born = nonempty(sv_form(r, "born"));
	ro.received = nonempty(sv_form(r, "received"));
	ro.channel = nonempty(sv_form(r, "channel"));
	ro.note = nonempty(sv_form(r, "note"));
	const char *why = open_check(&ro);
	if (why) {
		sv_error(o, r, 400, why);
		return;
	}
	cv_request *q = NULL;
	if (cv_request_open(&q, sv_archive(r), &ro)) {
		sv_fail(o, r, "La demande n'a pas été enregistrée");
		return;
	}
	redirect_ok(o, q->id, "opened");
	cv_request_free(q);
}

/* ------------------------------------------------------ one request: facts */

static void show_subjects(sv_resp *o, const cv_request *q)
{
	size_t nc = distinct_cases(q);
	if (!q->nsubjects) {
		/* registered all the same (art. 15(1)): the answer confirms that nothing is held */
		sv_printf(o, "<p class=\"info\">Aucune donnée de cette personne dans l'archive : la réponse lui confirme que "
			"le Département ne détient pas de dossier à son nom. L'identité déclarée est conservée chiffrée avec la "
			"demande.</p>\n");
		return;
	}
	sv_printf(o, "<table class=\"list\">\n<caption>");
	sv_escf(o, "Personnes concernées : %zu %s, %zu %s", q->nsubjects, sv_plural((long)q->nsubjects, "personne",
		"personnes"), nc, sv_plural((long)nc, "dossier", "dossiers"));
	sv_printf(o, "</caption>\n<thead><tr><th scope=\"col\">Référence du dossier</th><th scope=\"col\">Identifiant "
		"du dossier</th><th scope=\"col\">Personne</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < q->nsubjects; i++) {
		sv_printf(o, "<tr><th scope=\"row\">");
		sv_esc(o, q->subjects[i].ref[0] ? q->subjects[i].ref : "—");
		sv_printf(o, "</th><td>");
		sv_esc(o, q->subjects[i].case_id);
		sv_printf(o, "</td><td>");
		sv_esc(o, q->subjects[i].person);
		sv_printf(o, "</td></tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

static void show_deadlines(sv_resp *o, const cv_request *q, const char *today)
{
	long n = days_left(q, today);
	sv_printf(o, "<h2>Délais</h2>\n<dl>\n");
	dl_date(o, "Reçue le", q->received);
	dl_date(o, "Première échéance (un mois)", q->due);
	if (q->extended_due[0]) {
		dl_date(o, "Échéance prolongée (trois mois)", q->extended_due);
		dl_row(o, "Motif de la prolongation", q->extension_reason ? q->extension_reason
			: "illisible (détruit avec un dossier effacé)");
		dl_by(o, "Prolongée", q->extended_by, q->extended_at);
	}
	sv_printf(o, "<dt>Échéance effective</dt><dd%s>", !is_pending(q) ? "" : n < 0 ? " class=\"late\"" : n <= 7
		? " class=\"soon\"" : "");
	esc_date(o, q->effective_due);
	if (is_pending(q)) {
		sv_esc(o, " — ");
		delay_text(o, n);
	}
	sv_printf(o, "</dd>\n</dl>\n");
}

static void show_identity(sv_resp *o, const cv_request *q)
{
	sv_printf(o, "<h2>Vérification d'identité</h2>\n");
	if (!q->identity_at[0]) {
		sv_printf(o, "<p class=\"soon\">Pas encore enregistrée : la demande ne peut pas être exécutée avant.</p>\n");
		return;
	}
	sv_printf(o, "<dl>\n");
	dl_row(o, "Méthode", q->identity_method);
	dl_by(o, "Vérifiée", q->identity_by, q->identity_at);
	sv_printf(o, "</dl>\n");
}

static void show_decision(sv_resp *o, const cv_request *q)
{
	sv_printf(o, "<h2>Proposition et décision</h2>\n<dl>\n");
	dl_row(o, "Proposition de l'outil", proposal_fr(q->proposal));
	dl_row(o, "Fondement proposé", q->proposal_ground);
	if (q->decision[0]) {
		char d[64];
		snprintf(d, sizeof d, "demande %s", decision_fr(q->decision));
		dl_row(o, "Décision du DPO", d);
		dl_row(o, "Fondement", q->ground);
		dl_by(o, "Décidée et signée", q->decided_by, q->decided_at);
	} else {
		dl_row(o, "Décision du DPO", "pas encore prise");
	}
	sv_printf(o, "</dl>\n");
}

/* What was done, in French from the structured fields (as the register
 * says it); the library's outcome is an English trace for the journal. */
static const char *execution_fr(const cv_request *q)
{
	const char *t = q->type;
	if (!strcmp(q->decision, "refuse"))
		return "refus notifié au demandeur, avec son fondement";
	if (!strcmp(t, "access"))
		return "copie de communication établie, tiers occultés (CRPA L. 311-6)";
	if (!strcmp(t, "portability"))
		return "copie des données établie, avec leur description structurée (dossier.json)";
	if (!strcmp(t, "rectification"))
		return "rectification enregistrée ; la version d'origine est conservée comme preuve";
	if (!strcmp(t, "restriction") || !strcmp(t, "objection"))
		return "traitement limité : conservation, constatation ou défense de droits en justice et accès de la "
		       "personne seulement";
	return "effacement par destruction des clés des dossiers";
}

static void show_certificate(sv_resp *o, const cv_request *q)
{
	json_t *c = json_loads(q->certificate, 0, NULL);
	json_t *d = json_object_get(c, "destroyed");
	sv_printf(o, "<table class=\"list\">\n<caption>Certificat d'effacement</caption>\n<thead><tr><th scope=\"col\">"
		"Référence du dossier</th><th scope=\"col\">Clé détruite (identifiant)</th><th scope=\"col\">Remises "
		"antérieures de la clé</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < json_array_size(d); i++) {
		json_t *x = json_array_get(d, i);
		const char *ref = json_string_value(json_object_get(x, "ref"));
		const char *kid = json_string_value(json_object_get(x, "key_id"));
		size_t ne = json_array_size(json_object_get(x, "keys_exported"));
		sv_printf(o, "<tr><th scope=\"row\">");
		sv_esc(o, ref ? ref : "—");
		sv_printf(o, "</th><td>");
		sv_esc(o, kid ? kid : "aucune : le dossier était déjà anonymisé ou détruit");
		sv_printf(o, "</td><td%s>", ne ? " class=\"error\"" : "");
		if (ne)
			sv_escf(o, "%zu %s : qui détient cette copie peut encore lire l'historique du dossier", ne,
				sv_plural((long)ne, "remise", "remises"));
		else
			sv_esc(o, "aucune");
		sv_printf(o, "</td></tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
	if (!c)
		sv_printf(o, "<p class=\"error\">Le certificat enregistré n'est pas lisible.</p>\n");
	json_decref(c);
}

static void show_fulfilment(sv_resp *o, const cv_request *q)
{
	sv_printf(o, "<h2>Exécution</h2>\n");
	if (!q->fulfilled_at[0]) {
		sv_printf(o, "<p>Pas encore exécutée.</p>\n");
		return;
	}
	long due, done;
	sv_printf(o, "<dl>\n");
	dl_row(o, "Ce qui a été fait", execution_fr(q));
	dl_by(o, "Exécutée", q->fulfilled_by, q->fulfilled_at);
	if (!day_number(q->effective_due, &due) && !day_number(q->fulfilled_at, &done))
		dl_row(o, "Respect du délai", done <= due ? "dans le délai" : "après l'échéance");
	sv_printf(o, "</dl>\n");
	if (q->certificate)
		show_certificate(o, q);
}

/* ----------------------------------------- one request: the next steps */

static void form_begin(sv_resp *o, sv_req *r, const cv_request *q, const char *step, const char *title, int multipart)
{
	sv_printf(o, "<h3>");
	sv_esc(o, title);
	sv_printf(o, "</h3>\n<form method=\"post\" action=\"");
	sv_escf(o, "/requests/%s/%s", q->id, step);
	sv_printf(o, "\"%s>\n", multipart ? " enctype=\"multipart/form-data\"" : "");
	sv_csrf_field(o, r);
}

static void form_end(sv_resp *o, const char *button)
{
	sv_printf(o, "<p><button type=\"submit\">");
	sv_esc(o, button);
	sv_printf(o, "</button></p>\n</form>\n");
}

/* The personal credential re-entered to sign; `id` keeps labels unique. */
static void credential_input(sv_resp *o, const char *id, const char *label)
{
	sv_printf(o, "<p><label for=\"%s\">", id);
	sv_esc(o, label);
	sv_printf(o, "</label> <input type=\"password\" id=\"%s\" name=\"credential\" autocomplete=\"current-password\" "
		"required></p>\n", id);
}

static void textarea(sv_resp *o, const char *id, const char *name, const char *label, const char *value)
{
	sv_printf(o, "<p><label for=\"%s\">", id);
	sv_esc(o, label);
	sv_printf(o, "</label> <textarea id=\"%s\" name=\"%s\" rows=\"3\" cols=\"70\" required>", id, name);
	sv_esc(o, value ? value : "");
	sv_printf(o, "</textarea></p>\n");
}

static void step_identity(sv_resp *o, sv_req *r, const cv_request *q)
{
	form_begin(o, r, q, "identity", "Enregistrer la vérification d'identité", 0);
	sv_printf(o, "<p><label for=\"s-method\">Méthode (60 caractères au plus)</label> <input type=\"text\" "
		"id=\"s-method\" name=\"method\" maxlength=\"60\" required list=\"s-methods\">\n<datalist id=\"s-methods\">"
		"<option value=\"pièce d'identité présentée au guichet\"><option value=\"copie de pièce d'identité jointe "
		"au courrier\"><option value=\"questions sur le dossier, par téléphone\"></datalist></p>\n");
	form_end(o, "Enregistrer");
}

static void radio(sv_resp *o, const char *name, const char *value, const char *label, int checked)
{
	sv_printf(o, "<input type=\"radio\" id=\"r-%s-%s\" name=\"%s\" value=\"%s\"%s> <label for=\"r-%s-%s\">", name,
		value, name, value, checked ? " checked" : "", name, value);
	sv_esc(o, label);
	sv_printf(o, "</label>\n");
}

static void step_decide(sv_resp *o, sv_req *r, const cv_request *q)
{
	form_begin(o, r, q, "decide", "Décider (DPO)", 0);
	sv_printf(o, "<fieldset>\n<legend>Décision</legend>\n");
	radio(o, "decision", "grant", "accorder", !strcmp(q->proposal, "grant"));
	radio(o, "decision", "partial", "accorder en partie", 0);
	radio(o, "decision", "refuse", "refuser", !strcmp(q->proposal, "refuse"));
	sv_printf(o, "</fieldset>\n");
	textarea(o, "s-ground", "ground", "Fondement juridique (proposé par l'outil ; à adapter)", q->proposal_ground);
	credential_input(o, "s-cred-decide", "Votre code personnel (il signe la décision)");
	form_end(o, "Signer la décision");
}

static void step_extend(sv_resp *o, sv_req *r, const cv_request *q)
{
	form_begin(o, r, q, "extend", "Prolonger le délai de deux mois", 0);
	sv_printf(o, "<p class=\"info\">Une seule fois, avant la première échéance ; le motif est enregistré et doit être "
		"communiqué au demandeur (RGPD art. 12(3)).</p>\n");
	textarea(o, "s-reason-extend", "reason", "Motif (complexité, nombre de demandes…)", NULL);
	form_end(o, "Prolonger");
}

static void step_lift(sv_resp *o, sv_req *r, const cv_request *q)
{
	form_begin(o, r, q, "lift", "Lever la limitation du traitement", 0);
	textarea(o, "s-reason-lift", "reason", "Motif de la levée", NULL);
	form_end(o, "Lever la limitation");
}

/* Which case to rectify, when the request covers several. */
static void rectify_case_select(sv_resp *o, const cv_request *q)
{
	if (distinct_cases(q) < 2)
		return;
	sv_printf(o, "<p><label for=\"s-rcase\">Dossier à rectifier</label> <select id=\"s-rcase\" name=\"case\" "
		"required>");
	for (size_t i = 0; i < q->nsubjects; i++) {
		size_t j = 0;
		while (j < i && strcmp(q->subjects[j].case_id, q->subjects[i].case_id))
			j++;
		if (j == i)
			option(o, q->subjects[i].case_id, q->subjects[i].ref[0] ? q->subjects[i].ref : q->subjects[i].case_id,
				NULL);
	}
	sv_printf(o, "</select></p>\n");
}

static void fulfil_rectification(sv_resp *o, const cv_request *q)
{
	rectify_case_select(o, q);
	sv_printf(o, "<fieldset>\n<legend>Soit un champ de l'identité de la personne</legend>\n<p><label for=\"s-field\">"
		"Champ</label> <select id=\"s-field\" name=\"field\">");
	option(o, "", "—", NULL);
	for (size_t i = 0; i < NFIELDS; i++)
		option(o, FIELDS[i][0], FIELDS[i][1], NULL);
	sv_printf(o, "</select></p>\n");
	text_input(o, "s-value", "value", "Nouvelle valeur (date : AAAA-MM-JJ)", "text", " autocomplete=\"off\"");
	sv_printf(o, "</fieldset>\n<fieldset>\n<legend>Soit un document</legend>\n");
	text_input(o, "s-doc", "doc", "Identifiant du document (fiche du dossier)", "text", " autocomplete=\"off\"");
	text_input(o, "s-file", "document", "Version rectifiée du document", "file", NULL);
	sv_printf(o, "</fieldset>\n<p class=\"info\">L'original est conservé comme preuve ; la rectification survit aux "
		"versements ultérieurs du dossier.</p>\n");
}

static void fulfil_copy_fields(sv_resp *o)
{
	sv_printf(o, "<p class=\"info\">La copie (zip BagIt, tiers occultés) est préparée en arrière-plan ; vous la "
		"téléchargerez depuis la page de la tâche.</p>\n");
	sv_printf(o, "<p><label for=\"s-zpw\">Mot de passe du zip (facultatif)</label> <input type=\"password\" "
		"id=\"s-zpw\" name=\"zip_password\" autocomplete=\"new-password\"></p>\n<p class=\"info\">Un zip chiffré "
		"(AES-256) ne s'ouvre qu'avec 7-Zip, Keka ou bsdtar : préférez une remise en main propre ; communiquez le "
		"mot de passe par un autre canal.</p>\n");
}

static void fulfil_erasure_fields(sv_resp *o)
{
	sv_printf(o, "<p class=\"error\">L'effacement détruit la clé de chaque dossier concerné : aucune version, même "
		"ancienne, ne pourra plus être lue. Il est refusé sous conservation pour contentieux et pour les dossiers "
		"conservés sans limite de durée.</p>\n<p><input type=\"checkbox\" id=\"s-confirm\" name=\"confirm\" "
		"value=\"1\" required> <label for=\"s-confirm\">Je confirme l'effacement définitif</label></p>\n");
}

static void step_fulfil(sv_resp *o, sv_req *r, const cv_request *q)
{
	int granted = strcmp(q->decision, "refuse") != 0;
	const char *t = q->type;
	int rect = granted && !strcmp(t, "rectification");
	form_begin(o, r, q, "fulfil", granted ? "Exécuter la décision" : "Enregistrer la notification du refus", rect);
	if (rect)
		fulfil_rectification(o, q);
	else if (granted && (!strcmp(t, "access") || !strcmp(t, "portability")))
		fulfil_copy_fields(o);
	else if (granted && !strcmp(t, "erasure"))
		fulfil_erasure_fields(o);
	else if (granted)
		sv_printf(o, "<p class=\"info\">Les dossiers seront marqués « traitement limité » : seuls la conservation, "
			"la défense de droits en justice et l'accès de la personne resteront possibles.</p>\n");
	credential_input(o, "s-cred-fulfil", "Votre code personnel (il signe l'exécution)");
	form_end(o, granted ? "Exécuter" : "Enregistrer");
}

/* ------------------------------------------ one request: erasure visa */

/* Archived cases are public archives: a granted erasure reaching them waits
 * for the archives director's visa (Code du patrimoine R.212-14). */
static size_t archived_cases(cv_archive *a, const cv_request *q)
{
	size_t n = 0;
	for (size_t i = 0; i < q->nsubjects; i++) {
		cv_case_info ci;
		size_t j = 0;
		while (j < i && strcmp(q->subjects[j].case_id, q->subjects[i].case_id))
			j++;
		if (j == i && !cv_case_get(&ci, a, q->subjects[i].case_id) && !strcmp(ci.state, "archived"))
			n++;
	}
	return n;
}

/* The newest visa in the journal, if the user may read it; 0 when found. */
static int visa_find(cv_archive *a, const cv_request *q, char who[64], char when[32])
{
	cv_journal_filter f = CV_JOURNAL_FILTER_INIT;
	f.action = "request.approve";
	f.object = q->id;
	f.limit = 10;
	cv_journal_entry *e = NULL;
	size_t n = 0;
	int found = -1;
	if (cv_journal_query(&e, &n, a, &f)) {
		cv_error_clear();
		return -1;
	}
	for (size_t i = 0; found && i < n; i++)
		if (!strcmp(e[i].outcome, "ok")) {
			snprintf(who, 64, "%s", e[i].actor);
			snprintf(when, 32, "%s", e[i].time);
			found = 0;
		}
	cv_journal_list_free(e, n);
	return found;
}

static void show_visa(sv_resp *o, sv_req *r, const cv_request *q)
{
	if (strcmp(q->type, "erasure") || strcmp(q->state, "decided") || !strcmp(q->decision, "refuse"))
		return;
	size_t n = archived_cases(sv_archive(r), q);
	if (!n)
		return;
	char who[64], when[32];
	sv_printf(o, "<h2>Visa du directeur des archives</h2>\n<p>");
	sv_escf(o, "L'effacement touche %zu %s (archives publiques) : il ne peut être exécuté qu'après le visa signé du "
		"directeur des archives (Code du patrimoine R.212-14).", n, sv_plural((long)n, "dossier archivé",
		"dossiers archivés"));
	sv_printf(o, "</p>\n");
	if (!visa_find(sv_archive(r), q, who, when)) {
		char b[64], line[200];
		snprintf(line, sizeof line, "Visa donné par %s, le %s.", who, sv_date_fr(b, when));
		sv_notice(o, "ok", line);
		return;
	}
	sv_printf(o, "<p class=\"soon\">Pas de visa enregistré à ce jour. Le directeur le donne sur la page <a href=\"");
	sv_escf(o, "/requests/%s/approve", q->id);
	sv_printf(o, "\">");
	sv_escf(o, "/requests/%s/approve", q->id);
	sv_printf(o, "</a>.</p>\n");
}

/* ------------------------------------------ one request: the page */

/* Whether a restriction this request may have put is still on a case. */
static int restriction_in_place(cv_archive *a, const cv_request *q)
{
	for (size_t i = 0; i < q->nsubjects; i++) {
		cv_case_info ci;
		if (!cv_case_get(&ci, a, q->subjects[i].case_id) && ci.restricted)
			return 1;
	}
	return 0;
}

/* Only the steps the user's roles allow and the request's state permits;
 * the library checks both again. */
static void show_steps(sv_resp *o, sv_req *r, const cv_request *q, const char *today)
{
	int pending = is_pending(q), shown = 0;
	sv_printf(o, "<h2>Étapes suivantes</h2>\n");
	if (pending && !q->identity_at[0] && sv_allowed(r, "request.verify_identity") && ++shown)
		step_identity(o, r, q);
	if (!strcmp(q->state, "open") && sv_allowed(r, "request.decide") && ++shown)
		step_decide(o, r, q);
	else if (!strcmp(q->state, "open") && ++shown)
		sv_printf(o, "<p class=\"info\">La décision revient au DPO, qui la signe avec son code personnel.</p>\n");
	if (pending && !q->extended_due[0] && strcmp(today, q->due) <= 0 && sv_allowed(r, "request.extend") && ++shown)
		step_extend(o, r, q);
	if (!strcmp(q->state, "decided") && sv_allowed(r, "request.fulfil") && ++shown) {
		if (q->identity_at[0])
			step_fulfil(o, r, q);
		else
			sv_printf(o, "<p class=\"soon\">L'exécution attend la vérification d'identité.</p>\n");
	}
	if (!pending && (!strcmp(q->type, "restriction") || !strcmp(q->type, "objection")) &&
		strcmp(q->decision, "refuse") && sv_allowed(r, "request.lift") && restriction_in_place(sv_archive(r), q) &&
		++shown)
		step_lift(o, r, q);
	if (!shown)
		sv_printf(o, "<p>Aucune étape ne vous revient dans l'état actuel de la demande.</p>\n");
}

static void show_summary(sv_resp *o, const cv_request *q)
{
	char t[96];
	snprintf(t, sizeof t, "%s (RGPD %s)", type_fr(q->type), type_art(q->type));
	sv_printf(o, "<dl>\n");
	dl_row(o, "Droit exercé", t);
	dl_row(o, "État", state_fr(q->state));
	dl_row(o, "Canal de réception", q->channel);
	dl_by(o, "Enregistrée", q->opened_by, q->opened_at);
	sv_printf(o, "</dl>\n");
}

/* The fixed paths come first in the route table; should the core match
 * '*' before them, they are served here under their own action. */
static int fixed_path(sv_resp *o, sv_req *r, const char *id)
{
	static const struct { const char *id, *action; sv_handler fn; } P[] = {
		{ "new", "request.open", h_new },
		{ "register.csv", "request.register", h_register_csv },
		{ "register.html", "request.register", h_register_html },
	};
	for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
		if (!strcmp(id, P[i].id)) {
			if (sv_allowed(r, P[i].action))
				P[i].fn(o, r);
			else
				sv_error(o, r, 403, "Votre rôle ne permet pas cette action.");
			return 1;
		}
	return 0;
}

/* GET /requests/<id> */
static void h_show(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0);
	if (fixed_path(o, r, id))
		return;
	cv_request *q = NULL;
	if (cv_request_get(&q, sv_archive(r), id)) {
		sv_fail(o, r, "La demande n'a pas pu être lue");
		return;
	}
	char today[11], title[96];
	today_iso(today);
	snprintf(title, sizeof title, "Demande n° %s — %s", q->id, type_fr(q->type));
	sv_page_begin(o, r, title);
	show_summary(o, q);
	sv_printf(o, "<h2>Personnes concernées</h2>\n");
	show_subjects(o, q);
	show_deadlines(o, q, today);
	show_identity(o, q);
	show_decision(o, q);
	show_visa(o, r, q);
	show_fulfilment(o, q);
	show_steps(o, r, q, today);
	sv_printf(o, "<p><a href=\"/requests\">Retour au registre</a></p>\n");
	sv_page_end(o, r);
	cv_request_free(q);
}

/* --------------------------------------------------- the steps (POST) */

/* POST /requests/<id>/identity */
static void h_identity(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0), *method = nonempty(sv_form(r, "method"));
	if (!method) {
		sv_error(o, r, 400, "Indiquez comment l'identité du demandeur a été vérifiée.");
		return;
	}
	if (cv_request_verify_identity(sv_archive(r), id, method)) {
		sv_fail(o, r, "La vérification d'identité n'a pas été enregistrée");
		return;
	}
	redirect_ok(o, id, "identity");
}

/* POST /requests/<id>/extend */
static void h_extend(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0), *reason = nonempty(sv_form(r, "reason"));
	if (!reason) {
		sv_error(o, r, 400, "Le motif de la prolongation est obligatoire : il est enregistré et communiqué au "
			"demandeur.");
		return;
	}
	if (cv_request_extend(sv_archive(r), id, reason, NULL)) {
		sv_fail(o, r, "Le délai n'a pas été prolongé");
		return;
	}
	redirect_ok(o, id, "extended");
}

/* POST /requests/<id>/lift */
static void h_lift(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0), *reason = nonempty(sv_form(r, "reason"));
	if (!reason) {
		sv_error(o, r, 400, "Le motif de la levée est obligatoire.");
		return;
	}
	if (cv_request_lift(sv_archive(r), id, reason)) {
		sv_fail(o, r, "La limitation n'a pas été levée");
		return;
	}
	redirect_ok(o, id, "lifted");
}

/* POST /requests/<id>/decide: signed with the DPO's own credential. */
static void h_decide(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0), *dec = form_or_empty(r, "decision"), *ground = nonempty(sv_form(r, "ground"));
	if (strcmp(dec, "grant") && strcmp(dec, "refuse") && strcmp(dec, "partial")) {
		sv_error(o, r, 400, "Choisissez la décision : accorder, accorder en partie ou refuser.");
		return;
	}
	if (!ground) {
		sv_error(o, r, 400, "Le fondement juridique de la décision est obligatoire.");
		return;
	}
	char *cred = secret_copy(sv_form(r, "credential"));
	if (!cred) {
		sv_error(o, r, 400, "Saisissez votre code personnel : il signe la décision.");
		return;
	}
	int rc = cv_request_decide(sv_archive(r), id, dec, ground, cred);
	wipe_free(cred);
	if (rc) {
		sv_fail(o, r, "La décision n'a pas été enregistrée");
		return;
	}
	redirect_ok(o, id, "decided");
}

/* GET /requests/<id>/approve: the director may not read the request (not
 * request.show), so the page says what the visa covers, in general. */
static void h_approve_page(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0);
	char title[80];
	snprintf(title, sizeof title, "Visa d'effacement — demande n° %s", id);
	sv_page_begin(o, r, title);
	sv_printf(o, "<p>Le DPO a accordé l'effacement de données d'une personne (RGPD art. 17) dont certains "
		"dossiers sont archivés : ce sont des archives publiques, qui ne peuvent être éliminées sans le visa du "
		"directeur des archives (Code du patrimoine R.212-14). Votre visa, signé avec votre code "
		"personnel, porte sur la demande et exactement les dossiers archivés qu'elle détruirait.</p>\n");
	const char *ok = sv_query(r, "ok");
	if (!ok || strcmp(ok, "request-approved")) {
		sv_printf(o, "<form method=\"post\" action=\"");
		sv_escf(o, "/requests/%s/approve", id);
		sv_printf(o, "\">\n");
		sv_csrf_field(o, r);
		credential_input(o, "s-cred-approve", "Votre code personnel (il signe le visa)");
		form_end(o, "Signer le visa");
	}
	sv_page_end(o, r);
}

/* POST /requests/<id>/approve: the archives director's visa. */
static void h_approve(sv_resp *o, sv_req *r)
{
	const char *id = sv_param(r, 0);
	char *cred = secret_copy(sv_form(r, "credential"));
	if (!cred) {
		sv_error(o, r, 400, "Saisissez votre code personnel : il signe le visa.");
		return;
	}
	int rc = cv_request_approve(sv_archive(r), id, cred);
	wipe_free(cred);
	if (rc) {
		sv_fail(o, r, "Le visa n'a pas été enregistré");
		return;
	}
	char path[80];
	snprintf(path, sizeof path, "/requests/%s/approve", id);
	redirect_ok_to(o, path, "request-approved");
}

/* ------------------------------------------------- fulfilment (POST) */

/* The access or portability copy, made in a job: what it needs, its own
 * copies of the secrets (wiped in copy_free). */
typedef struct copy_job {
	char id[20];
	char type[16];
	char *credential, *password;
	char *out;          /* NULL once handed to the job as its file */
} copy_job;

static void copy_free(void *p)
{
	copy_job *c = p;
	wipe_free(c->credential);
	wipe_free(c->password);
	if (c->out) {
		unlink(c->out); /* a copy not handed out: it may hold personal data */
		free(c->out);
	}
	free(c);
}

static int copy_run(sv_job *j, cv_archive *a, void *p)
{
	copy_job *c = p;
	cv_request_fulfil_options fo = CV_REQUEST_FULFIL_OPTIONS_INIT;
	fo.out_path = c->out;
	fo.password = c->password;
	fo.credential = c->credential;
	int rc = cv_request_fulfil(a, c->id, &fo);
	/* the secrets are no longer needed, whatever the outcome */
	wipe_free(c->credential);
	wipe_free(c->password);
	c->credential = c->password = NULL;
	char name[64], link[64];
	if (rc) {
		/* the French sentence first, the library's reason after (as sv_fail) */
		char msg[640];
		snprintf(msg, sizeof msg, "La copie n'a pas été faite et la demande n'est pas marquée réalisée : %s",
			cv_error_last()->message);
		snprintf(link, sizeof link, "/requests/%s", c->id);
		sv_job_message(j, msg);
		sv_job_link(j, link, "Revenir à la demande");
		return rc;
	}
	snprintf(name, sizeof name, "%s-%s.zip", !strcmp(c->type, "access") ? "acces" : "portabilite", c->id);
	snprintf(link, sizeof link, "/requests/%s?ok=request-fulfilled", c->id);
	sv_job_file(j, c->out, "application/zip", name);
	free(c->out);
	c->out = NULL;
	sv_job_message(j, "Copie établie, tiers occultés ; la demande est marquée réalisée. Remettez le fichier au "
		"demandeur par un moyen sûr.");
	sv_job_link(j, link, "Voir la demande");
	return 0;
}

static void fulfil_by_job(sv_resp *o, sv_req *r, const cv_request *q, char *cred)
{
	copy_job *c = calloc(1, sizeof *c);
	if (!c || !(c->out = sv_work_path(r, "copie", ".zip"))) {
		wipe_free(cred);
		free(c);
		sv_error(o, r, 500, "La copie n'a pas pu être préparée (mémoire).");
		return;
	}
	snprintf(c->id, sizeof c->id, "%s", q->id);
	snprintf(c->type, sizeof c->type, "%s", q->type);
	c->credential = cred;
	c->password = secret_copy(sv_form(r, "zip_password"));
	char job[33];
	register_notice("request-fulfilled"); /* for the job's link back */
	/* On failure the core has already called copy_free (job.c). */
	int rc = sv_job_start(job, r, "Copie de communication (demande RGPD)", copy_run, c, copy_free);
	if (rc == CV_EBUSY) {
		sv_error(o, r, 503, "Vous avez déjà plusieurs tâches en cours : réessayez quand l'une d'elles sera "
			"terminée.");
		return;
	}
	if (rc) {
		sv_error(o, r, 500, "La copie n'a pas pu être lancée.");
		return;
	}
	char loc[64];
	snprintf(loc, sizeof loc, "/jobs/%s", job);
	sv_redirect(o, loc);
}

/* The rectified document, read whole (rectified documents are texts or
 * small files); the caller wipes and frees *buf. */
static int read_upload(const sv_upload *u, char **buf, size_t *len)
{
	enum { MAX_DOC = 64 << 20 };
	if (u->size > MAX_DOC)
		return -1;
	FILE *f = fopen(u->path, "rb");
	if (!f)
		return -1;
	*buf = malloc(u->size ? (size_t)u->size : 1);
	*len = *buf ? fread(*buf, 1, (size_t)u->size, f) : 0;
	fclose(f);
	return *buf && *len == u->size ? 0 : -1;
}

/* Rectification: one field of the person, or a new revision of a document
 * (cmd_request.c: --field/--value or --doc/--file). 0, or an answer sent. */
static int rectification_inputs(sv_resp *o, sv_req *r, cv_request_fulfil_options *fo, char **content)
{
	const sv_upload *u = sv_upload_get(r, "document");
	fo->case_id = nonempty(sv_form(r, "case"));
	fo->doc = nonempty(sv_form(r, "doc"));
	fo->field = nonempty(sv_form(r, "field"));
	fo->value = nonempty(sv_form(r, "value"));
	int by_doc = fo->doc || (u && u->size), by_field = fo->field || fo->value;
	const char *why = by_doc == by_field ? "Indiquez soit un champ et sa nouvelle valeur, soit un document et sa "
		"version rectifiée (l'un ou l'autre)." : by_doc && !(fo->doc && u && u->size) ? "Un document rectifié "
		"demande son identifiant et le fichier de sa version rectifiée." : by_field && !(fo->field && fo->value)
		? "Une rectification d'identité demande le champ et sa nouvelle valeur." : NULL;
	if (why) {
		sv_error(o, r, 400, why);
		return -1;
	}
	if (by_doc && read_upload(u, content, &fo->content_len)) {
		sv_error(o, r, 400, "Le document rectifié n'a pas pu être lu (64 Mio au plus).");
		return -1;
	}
	if (by_doc) {
		fo->field = fo->value = NULL;
		fo->content = *content;
	}
	return 0;
}

static void fulfil_now(sv_resp *o, sv_req *r, const cv_request *q, char *cred)
{
	cv_request_fulfil_options fo = CV_REQUEST_FULFIL_OPTIONS_INIT;
	char *content = NULL;
	int granted = strcmp(q->decision, "refuse") != 0, rc = 0;
	if (granted && !strcmp(q->type, "rectification") && rectification_inputs(o, r, &fo, &content)) {
		wipe_free(cred);
		return;
	}
	fo.credential = cred;
	rc = cv_request_fulfil(sv_archive(r), q->id, &fo);
	wipe_free(cred);
	if (content) {
		explicit_bzero(content, fo.content_len);
		free(content);
	}
	if (rc) {
		sv_fail(o, r, "La demande n'a pas été exécutée");
		return;
	}
	redirect_ok(o, q->id, "fulfilled");
}

/* A copy takes a while (every document redacted): a job makes it, once
 * the request is ready; otherwise the library's refusal is said at once. */
static int copy_in_job(const cv_request *q)
{
	return !strcmp(q->state, "decided") && q->identity_at[0] && strcmp(q->decision, "refuse") && q->nsubjects &&
		(!strcmp(q->type, "access") || !strcmp(q->type, "portability"));
}

/* POST /requests/<id>/fulfil: signed with one's own credential. */
static void h_fulfil(sv_resp *o, sv_req *r)
{
	cv_request *q = NULL;
	if (cv_request_get(&q, sv_archive(r), sv_param(r, 0))) {
		sv_fail(o, r, "La demande n'a pas pu être lue");
		return;
	}
	int granted = strcmp(q->decision, "refuse") != 0;
	char *cred = secret_copy(sv_form(r, "credential"));
	if (!cred)
		sv_error(o, r, 400, "Saisissez votre code personnel : il signe l'exécution.");
	else if (granted && !strcmp(q->type, "erasure") && strcmp(form_or_empty(r, "confirm"), "1")) {
		wipe_free(cred);
		sv_error(o, r, 400, "Cochez la confirmation : l'effacement est définitif.");
	} else if (copy_in_job(q))
		fulfil_by_job(o, r, q, cred);
	else
		fulfil_now(o, r, q, cred);
	cv_request_free(q);
}

/* ---------------------------------------------------------------- routes */

/* The fixed paths come before the pattern with a star, which would match
 * them too. */
const sv_route sv_routes_dpo[] = {
	{ "GET", "/requests", h_register, "request.list", "Registre des demandes" },
	{ "GET", "/requests/new", h_new, "request.open", "Nouvelle demande" },
	{ "POST", "/requests", h_open, "request.open", NULL },
	{ "GET", "/requests/register.csv", h_register_csv, "request.register", NULL },
	{ "GET", "/requests/register.html", h_register_html, "request.register", NULL },
	{ "GET", "/requests/*", h_show, "request.show", NULL },
	{ "POST", "/requests/*/identity", h_identity, "request.verify_identity", NULL },
	{ "POST", "/requests/*/decide", h_decide, "request.decide", NULL },
	{ "POST", "/requests/*/extend", h_extend, "request.extend", NULL },
	{ "POST", "/requests/*/fulfil", h_fulfil, "request.fulfil", NULL },
	{ "GET", "/requests/*/approve", h_approve_page, "request.approve", NULL },
	{ "POST", "/requests/*/approve", h_approve, "request.approve", NULL },
	{ "POST", "/requests/*/lift", h_lift, "request.lift", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
