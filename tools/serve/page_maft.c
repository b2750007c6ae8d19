/* casevault serve — the MAFT officer's pages: find a person's cases, see a
 * case, prepare its communication copy, review every mention the redaction
 * proposes and make the final copy from the officer's decisions
 * (docs/redaction.md, "Review and correction before the copy is final").
 *
 * Ownership: written for the MAFT officer's role; /cases/<id> is shared with
 * the archivist's pages (which link to it). Reviews in progress live in
 * review_store.c, never on disk: the decision file the library writes is
 * read, overwritten and removed by the job that asked for it, and the one
 * written for the final copy is removed the same way once the library has
 * read it.
 * Thread-safety: handlers keep no state of their own (reviews are in the
 * mutex-guarded store); jobs get their own handle and their own argument.
 * Nothing is journaled here: the library journals every read with the actor.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf, explicit_bzero, O_NOFOLLOW */
#endif
#include "serve.h"
#include "review_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DECISION_FILE (64u << 20) /* the library's own bound on a decision file */
#define MAX_ADD_ROWS 32               /* passages to mask in one form */
#define EMPTY_ADD_ROWS 2              /* blank rows offered for new passages */

/* ------------------------------------------------------------- vocabulary */

/* The library's codes in the officer's words (docs/format.md vocabulary). */
typedef struct fr_term {
	const char *code, *label, *phrase;
} fr_term;

static const fr_term ROLES[] = {
	{ "child", "Enfant", "enfant" }, { "mother", "Mère", "mère" }, { "father", "Père", "père" },
	{ "parent", "Parent", "parent" }, { "sibling", "Frère ou sœur", "frère ou sœur" },
	{ "relative", "Membre de la famille", "membre de la famille" },
	{ "foster_carer", "Assistant familial", "assistant familial" },
	{ "reporter", "Auteur d'un signalement", "auteur d'un signalement" },
	{ "professional", "Professionnel", "professionnel" }, { "other", "Autre personne", "autre personne" },
	{ NULL, NULL, NULL },
};

static const fr_term STATES[] = {
	{ "active", "Actif (services en cours)", NULL }, { "archived", "Archivé", NULL },
	{ "anonymised", "Anonymisé", NULL }, { "destroyed", "Détruit", NULL }, { NULL, NULL, NULL },
};

static const fr_term DOC_TYPES[] = {
	{ "report", "Rapport", NULL }, { "judgment", "Jugement", NULL }, { "note", "Note", NULL },
	{ "contract", "Contrat", NULL }, { "letter", "Courrier", NULL }, { "decision", "Décision", NULL },
	{ "order", "Ordonnance", NULL }, { "assessment", "Évaluation", NULL }, { "medical", "Document médical", NULL },
	{ "photo", "Photographie", NULL }, { NULL, NULL, NULL },
};

static const fr_term BASES[] = {
	{ "judicial", "Judiciaire", NULL }, { "administrative", "Administrative", NULL },
	{ "contractual", "Contractuelle", NULL }, { NULL, NULL, NULL },
};

/* A span's kind as docs/redaction.md says it to the officer, never the API name. */
static const fr_term KINDS[] = {
	{ "person", "personne du registre", NULL }, { "name", "nom", NULL }, { "phone", "téléphone", NULL },
	{ "email", "courriel", NULL }, { "nir", "NIR", NULL }, { "iban", "IBAN", NULL }, { "address", "adresse", NULL },
	{ "birthdate", "date de naissance", NULL }, { NULL, NULL, NULL },
};

static const fr_term *term(const fr_term *list, const char *code)
{
	for (size_t i = 0; code && list[i].code; i++)
		if (!strcmp(list[i].code, code))
			return &list[i];
	return NULL;
}

/* Unknown codes are shown as they are: a new code must not hide a value. */
static const char *label_of(const fr_term *list, const char *code)
{
	const fr_term *t = term(list, code);
	return t ? t->label : code && *code ? code : "—";
}

static const char *role_phrase(const char *code)
{
	const fr_term *t = term(ROLES, code);
	return t ? t->phrase : code && *code ? code : "personne du registre";
}

static const char *purpose_fr(const char *p)
{
	return p && !strcmp(p, "gdpr") ? "droit d'accès (RGPD, art. 15)" : "accès au dossier (CRPA, art. L. 311-6)";
}

/* ---------------------------------------------------------------- helpers */

/* Ids we put in paths and URLs: the characters a route's '*' accepts. */
static int safe_id(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n >= max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t')
			return 0;
	return 1;
}

static int iso_date(const char *s)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

/* Escaped text of s[0..n), for pieces of a context around a mention. */
static void esc_n(sv_resp *o, const char *s, size_t n)
{
	char *c = strndup(s, n);
	if (!c)
		return;
	sv_esc(o, c);
	explicit_bzero(c, n);
	free(c);
}

static void date_cell(sv_resp *o, const char *iso)
{
	char buf[64];
	sv_esc(o, sv_date_fr(buf, iso));
}

/* Decision files name third parties: jansson frees without wiping, so every
 * string is wiped before the tree goes (the tree must be ours alone). */
static void json_wipe_decref(json_t *j)
{
	if (!j)
		return;
	if (json_is_string(j)) {
		explicit_bzero((char *)json_string_value(j), json_string_length(j));
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			json_wipe_decref(json_incref(v));
	} else if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
			json_wipe_decref(json_incref(v));
	}
	json_decref(j);
}

static char *dump_doc(const json_t *doc)
{
	return json_dumps(doc, JSON_INDENT(2));
}

static const char *jstr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Overwrite, then remove: a decision file holds third parties' names. The
 * work directory is on tmpfs by default, where overwriting does reach the
 * only copy. */
static void wipe_unlink(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		static const char zeros[8192];
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			for (off_t done = 0; done < st.st_size;) {
				size_t n = st.st_size - done < (off_t)sizeof zeros ? (size_t)(st.st_size - done) : sizeof zeros;
				ssize_t w = write(fd, zeros, n);
				if (w <= 0)
					break;
				done += w;
			}
			fsync(fd);
		}
		close(fd);
	}
	unlink(path);
}

/* The whole file as a string, or NULL. */
static char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return NULL;
	char *buf = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < MAX_DECISION_FILE && (buf = malloc(st.st_size + 1))) {
		size_t n = 0;
		ssize_t k;
		while (n < (size_t)st.st_size && (k = read(fd, buf + n, st.st_size - n)) > 0)
			n += k;
		buf[n] = '\0';
		if (n != (size_t)st.st_size) {
			explicit_bzero(buf, n);
			free(buf);
			buf = NULL;
		}
	}
	close(fd);
	return buf;
}

/* A new file, mode 0600, never over an existing one or through a link. */
static int write_new(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(data), n = 0;
	while (n < len) {
		ssize_t w = write(fd, data + n, len - n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		n += w;
	}
	int ok = n == len && close(fd) == 0;
	if (n != len)
		close(fd);
	if (!ok)
		wipe_unlink(path);
	return ok ? 0 : -1;
}

/* A refusal in the officer's words: the French lead, then the library's
 * detail without the work directory's path (which the officer never saw)
 * and without the command line's advice. malloc'd, or NULL. */
static char *refusal_text(const char *lead, const char *message, const char *path)
{
	const char *at = path ? strstr(message, path) : NULL, *hint = strstr(message, "; make a new review file");
	size_t cut = hint ? (size_t)(hint - message) : strlen(message);
	char *text = NULL;
	int n = at && (size_t)(at - message) + strlen(path) <= cut
		? asprintf(&text, "%s (détail : %.*sdecisions%.*s).", lead, (int)(at - message), message,
			(int)(cut - (at - message) - strlen(path)), at + strlen(path))
		: asprintf(&text, "%s (détail : %.*s).", lead, (int)cut, message);
	return n >= 0 ? text : NULL;
}

/* ------------------------------------------------------------------ /find */

static void find_form(sv_resp *o, const char *last, const char *first, const char *born)
{
	sv_printf(o, "<form method=\"get\" action=\"/find\" class=\"filters\">\n"
		     "<p class=\"hint\">Les accents et les majuscules sont sans importance ; la date de naissance est facultative.</p>\n"
		     "<p><label for=\"last\">Nom</label> <input type=\"text\" id=\"last\" name=\"last\" required "
		     "autocomplete=\"off\" value=\"");
	sv_esc(o, last ? last : "");
	sv_printf(o, "\"></p>\n<p><label for=\"first\">Prénom(s)</label> <input type=\"text\" id=\"first\" name=\"first\" "
		     "autocomplete=\"off\" value=\"");
	sv_esc(o, first ? first : "");
	sv_printf(o, "\"></p>\n<p><label for=\"born\">Date de naissance</label> <input type=\"date\" id=\"born\" "
		     "name=\"born\" value=\"");
	sv_esc(o, born ? born : "");
	sv_printf(o, "\"></p>\n<p><button type=\"submit\">Rechercher</button></p>\n</form>\n");
}

static void find_results(sv_resp *o, const cv_find_hit *hits, size_t n)
{
	sv_printf(o, "<h2>Résultats</h2>\n");
	if (!n) {
		sv_printf(o, "<p>Aucun dossier ne correspond à cette recherche. Vérifiez l'orthographe du nom ; "
			     "une date de naissance, si elle est donnée, doit être exacte.</p>\n");
		return;
	}
	sv_printf(o, "<table class=\"list\">\n<caption>%zu %s</caption>\n<thead><tr><th scope=\"col\">Dossier</th>"
		     "<th scope=\"col\">Rôle de la personne dans ce dossier</th><th scope=\"col\">Identifiant de la personne</th>"
		     "</tr></thead>\n<tbody>\n", n, sv_plural((long)n, "dossier où figure la personne recherchée",
			     "dossiers où figure la personne recherchée"));
	for (size_t i = 0; i < n; i++) {
		/* the person is preselected as the requester of a copy */
		sv_printf(o, "<tr><th scope=\"row\"><a href=\"/cases/");
		sv_esc(o, hits[i].case_id);
		if (safe_id(hits[i].person, sizeof hits[i].person)) {
			sv_printf(o, "?for=");
			sv_esc(o, hits[i].person);
		}
		sv_printf(o, "\">");
		sv_esc(o, hits[i].ref);
		sv_printf(o, "</a></th><td>");
		sv_esc(o, label_of(ROLES, hits[i].role));
		sv_printf(o, "</td><td>");
		sv_esc(o, hits[i].person);
		sv_printf(o, "</td></tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

/* The query's problem in French, or NULL. */
static const char *find_problem(const char *last, const char *born)
{
	if (blank(last))
		return "Indiquez le nom de la personne.";
	if (born && *born && !iso_date(born))
		return "La date de naissance doit être une date (AAAA-MM-JJ).";
	return NULL;
}

static void page_find(sv_resp *o, sv_req *r)
{
	const char *last = sv_query(r, "last"), *first = sv_query(r, "first"), *born = sv_query(r, "born");
	const char *problem = last ? find_problem(last, born) : NULL;
	cv_find_hit *hits = NULL;
	size_t n = 0;
	if (last && !problem) {
		cv_find_query q = CV_FIND_QUERY_INIT;
		q.last = last;
		q.first = blank(first) ? NULL : first;
		q.born = born && *born ? born : NULL;
		if (cv_case_find(&hits, &n, sv_archive(r), &q)) {
			sv_fail(o, r, "La recherche n'a pas abouti");
			return;
		}
	}
	if (problem)
		sv_status(o, 400);
	sv_page_begin(o, r, "Rechercher une personne"); /* the title is the page's h1 */
	if (problem)
		sv_notice(o, "error", problem);
	find_form(o, last, first, born);
	if (last && !problem)
		find_results(o, hits, n);
	sv_page_end(o, r);
	cv_case_find_free(hits);
}

/* ------------------------------------------------------------ /cases/<id> */

static void case_badges(sv_resp *o, const cv_case_info *ci, const char *hold_reason)
{
	if (!ci->on_hold && !ci->restricted && !ci->permanent && !ci->has_sealed)
		return;
	sv_printf(o, "<ul class=\"badges\">\n");
	if (ci->on_hold) {
		sv_printf(o, "<li class=\"badge hold\">Gel juridique");
		if (hold_reason && *hold_reason) {
			sv_printf(o, " : ");
			sv_esc(o, hold_reason);
		}
		sv_printf(o, "</li>\n");
	}
	if (ci->restricted)
		sv_printf(o, "<li class=\"badge restricted\">Traitement limité (RGPD, art. 18)</li>\n");
	if (ci->permanent)
		sv_printf(o, "<li class=\"badge permanent\">Conservation définitive</li>\n");
	if (ci->has_sealed)
		sv_printf(o, "<li class=\"badge sealed\">Identité scellée (accouchement sous le secret)</li>\n");
	sv_printf(o, "</ul>\n");
}

static void case_facts(sv_resp *o, const cv_case_info *ci)
{
	sv_printf(o, "<dl class=\"facts\">\n<dt>Référence</dt><dd>");
	sv_esc(o, ci->ref);
	sv_printf(o, "</dd>\n<dt>Catégorie</dt><dd>");
	sv_esc(o, sv_category_fr(ci->category));
	sv_printf(o, "</dd>\n<dt>État</dt><dd>");
	sv_esc(o, label_of(STATES, ci->state));
	sv_printf(o, "</dd>\n<dt>Ouverture</dt><dd>");
	date_cell(o, ci->opened);
	sv_printf(o, "</dd>\n<dt>Fin des services</dt><dd>");
	if (ci->closed[0])
		date_cell(o, ci->closed);
	else
		sv_printf(o, "services en cours");
	sv_printf(o, "</dd>\n<dt>Territoire</dt><dd>");
	sv_esc(o, ci->territory[0] ? ci->territory : "—");
	sv_printf(o, "</dd>\n<dt>Documents</dt><dd>%u %s</dd>\n</dl>\n", ci->ndocs,
		sv_plural(ci->ndocs, "document", "documents"));
}

static void person_names(sv_resp *o, const cv_person *p)
{
	for (size_t j = 0; j < p->nfirst; j++) {
		sv_esc(o, p->first[j]);
		if (j + 1 < p->nfirst)
			sv_printf(o, " ");
	}
}

static void case_persons(sv_resp *o, const cv_case_detail *d)
{
	if (!d->npersons) {
		sv_printf(o, "<p>Ce dossier ne contient plus de données personnelles (dossier anonymisé ou détruit).</p>\n");
		return;
	}
	sv_printf(o, "<table class=\"list\">\n<caption>Personnes du dossier (%zu)</caption>\n<thead><tr>"
		     "<th scope=\"col\">Nom</th><th scope=\"col\">Prénoms</th><th scope=\"col\">Rôle</th>"
		     "<th scope=\"col\">Date de naissance</th><th scope=\"col\">Identifiant</th></tr></thead>\n<tbody>\n",
		d->npersons);
	for (size_t i = 0; i < d->npersons; i++) {
		const cv_person *p = &d->persons[i];
		sv_printf(o, "<tr><th scope=\"row\">");
		sv_esc(o, p->last ? p->last : "—");
		sv_printf(o, "</th><td>");
		person_names(o, p);
		sv_printf(o, "</td><td>");
		sv_esc(o, label_of(ROLES, p->role));
		if (p->function && *p->function) {
			sv_printf(o, " (");
			sv_esc(o, p->function);
			sv_printf(o, ")");
		}
		sv_printf(o, "</td><td>");
		date_cell(o, p->born);
		sv_printf(o, "</td><td>");
		sv_esc(o, p->id);
		sv_printf(o, "</td></tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

static void case_measures(sv_resp *o, const cv_case_detail *d)
{
	if (!d->nmeasures)
		return;
	sv_printf(o, "<table class=\"list\">\n<caption>Mesures (%zu)</caption>\n<thead><tr><th scope=\"col\">Mesure</th>"
		     "<th scope=\"col\">Fondement</th><th scope=\"col\">Début</th><th scope=\"col\">Fin</th></tr></thead>\n"
		     "<tbody>\n", d->nmeasures);
	for (size_t i = 0; i < d->nmeasures; i++) {
		const cv_measure *m = &d->measures[i];
		sv_printf(o, "<tr><th scope=\"row\">");
		sv_esc(o, m->type);
		sv_printf(o, "</th><td>");
		sv_esc(o, label_of(BASES, m->basis));
		sv_printf(o, "</td><td>");
		date_cell(o, m->start);
		sv_printf(o, "</td><td>");
		if (m->end[0])
			date_cell(o, m->end);
		else
			sv_printf(o, "en cours");
		sv_printf(o, "</td></tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

static void case_docs(sv_resp *o, const cv_case_detail *d)
{
	if (!d->ndocs)
		return;
	sv_printf(o, "<table class=\"list\">\n<caption>Documents (%zu)</caption>\n<thead><tr><th scope=\"col\">Titre</th>"
		     "<th scope=\"col\">Type</th><th scope=\"col\">Date</th><th scope=\"col\">Identifiant</th></tr></thead>\n"
		     "<tbody>\n", d->ndocs);
	for (size_t i = 0; i < d->ndocs; i++) {
		const cv_doc_info *doc = &d->docs[i];
		sv_printf(o, "<tr><th scope=\"row\">");
		sv_esc(o, doc->title && *doc->title ? doc->title : doc->path ? doc->path : "—");
		if (doc->removed)
			sv_printf(o, " <span class=\"badge\">retiré du dossier</span>");
		sv_printf(o, "</th><td>");
		sv_esc(o, label_of(DOC_TYPES, doc->type));
		sv_printf(o, "</td><td>");
		date_cell(o, doc->date);
		sv_printf(o, "</td><td>");
		sv_esc(o, doc->id);
		sv_printf(o, "</td></tr>\n");
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

/* The requester offered first: the person the officer came from (?for=),
 * else the child, else the first person. */
static const cv_person *default_requester(const cv_case_detail *d, const char *wanted)
{
	for (size_t i = 0; wanted && i < d->npersons; i++)
		if (!strcmp(d->persons[i].id, wanted))
			return &d->persons[i];
	for (size_t i = 0; i < d->npersons; i++)
		if (d->persons[i].role && !strcmp(d->persons[i].role, "child"))
			return &d->persons[i];
	return d->npersons ? &d->persons[0] : NULL;
}

static void copy_form(sv_resp *o, sv_req *r, const cv_case_detail *d)
{
	const cv_person *def = default_requester(d, sv_query(r, "for"));
	sv_printf(o, "<section aria-labelledby=\"copy-title\">\n<h2 id=\"copy-title\">Préparer une copie de communication</h2>\n"
		     "<p class=\"hint\">Les mentions de tiers sont d'abord repérées et vous sont soumises : la copie n'est faite "
		     "qu'après votre relecture.</p>\n<form method=\"post\" action=\"/cases/");
	sv_esc(o, d->info.id);
	sv_printf(o, "/copy\">\n");
	sv_csrf_field(o, r);
	sv_printf(o, "<p><label for=\"requester\">Demandeur</label> <select id=\"requester\" name=\"requester\">\n");
	for (size_t i = 0; i < d->npersons; i++) {
		const cv_person *p = &d->persons[i];
		sv_printf(o, "<option value=\"");
		sv_esc(o, p->id);
		sv_printf(o, "\"%s>", p == def ? " selected" : "");
		person_names(o, p);
		sv_printf(o, " ");
		sv_esc(o, p->last ? p->last : "");
		sv_escf(o, " — %s (%s)", label_of(ROLES, p->role), p->id);
		sv_printf(o, "</option>\n");
	}
	sv_printf(o, "</select></p>\n<fieldset>\n<legend>Motif de la demande</legend>\n"
		     "<p><label><input type=\"radio\" name=\"purpose\" value=\"maft\" checked> Accès au dossier "
		     "(CRPA, art. L. 311-6)</label></p>\n<p><label><input type=\"radio\" name=\"purpose\" value=\"gdpr\"> "
		     "Droit d'accès (RGPD, art. 15)</label></p>\n</fieldset>\n"
		     "<p><button type=\"submit\">Préparer la relecture</button></p>\n</form>\n</section>\n");
}

static void page_case(sv_resp *o, sv_req *r)
{
	cv_case_detail *d = NULL;
	if (cv_case_show(&d, sv_archive(r), sv_param(r, 0))) {
		sv_fail(o, r, "Le dossier n'a pas pu être affiché");
		return;
	}
	char title[160];
	snprintf(title, sizeof title, "Dossier %s", d->info.ref);
	sv_page_begin(o, r, title);
	case_badges(o, &d->info, d->hold_reason);
	case_facts(o, &d->info);
	case_persons(o, d);
	case_measures(o, d);
	case_docs(o, d);
	if (sv_allowed(r, "case.export") && d->npersons)
		copy_form(o, r, d);
	if (sv_allowed(r, "case.hold")) {
		sv_printf(o, "<p class=\"actions\"><a href=\"/cases/");
		sv_esc(o, d->info.id);
		sv_printf(o, "/hold\">%s</a></p>\n", d->info.on_hold ? "Voir ou lever le gel juridique" : "Placer un gel juridique");
	}
	sv_page_end(o, r);
	cv_case_detail_free(d);
}

/* ------------------------------------------------------ POST /cases/<id>/copy */

/* A review job: the decision file, read into the store, never left on disk. */
typedef struct review_job {
	rs_meta meta;
	char user[64];
	char *persons;        /* JSON [{"id","role"}]: the register without names, for reassignments */
	char *path;           /* where the library writes the decision file */
} review_job;

static void review_job_free(void *arg)
{
	review_job *rj = arg;
	if (rj->path) {
		wipe_unlink(rj->path); /* a job that failed half-way leaves nothing behind */
		free(rj->path);
	}
	rs_free(rj->persons);
	free(rj);
}

static int review_count(const char *doc, unsigned *to_check)
{
	json_t *j = json_loads(doc, 0, NULL);
	json_t *ms = json_object_get(j, "mentions"), *m;
	size_t i;
	int n = json_is_array(ms) ? (int)json_array_size(ms) : -1;
	*to_check = 0;
	json_array_foreach(ms, i, m)
		*to_check += json_is_true(json_object_get(m, "to_check"));
	json_wipe_decref(j);
	return n;
}

static int job_review(sv_job *j, cv_archive *a, void *arg)
{
	review_job *rj = arg;
	cv_export_options eo = CV_EXPORT_OPTIONS_INIT;
	cv_export_result res = CV_EXPORT_RESULT_INIT;
	eo.requester = rj->meta.requester;
	eo.purpose = rj->meta.purpose;
	eo.review_out = rj->path;
	sv_job_progress("Repérage des mentions dans les documents", 0, 0, j);
	int rc = cv_export_create(&res, a, rj->meta.case_id, &eo);
	if (rc) {
		char *text = refusal_text("La relecture n'a pas pu être préparée", cv_error_last()->message, rj->path);
		if (text)
			sv_job_message(j, text);
		free(text);
		return rc;
	}
	char *doc = read_text(rj->path);
	wipe_unlink(rj->path);
	char id[33];
	if (!doc || rs_put(id, rj->user, &rj->meta, doc, rj->persons)) {
		rs_free(doc);
		sv_job_message(j, "Le fichier de relecture n'a pas pu être lu : préparez une nouvelle copie.");
		return CV_ERROR;
	}
	unsigned to_check = 0;
	int n = review_count(doc, &to_check);
	rs_free(doc);
	char msg[200], href[48], check[64] = ", aucune à vérifier";
	if (to_check)
		snprintf(check, sizeof check, " dont %u à vérifier", to_check);
	snprintf(msg, sizeof msg, "%d %s%s. La relecture reste disponible une heure.", n,
		sv_plural(n, "mention repérée", "mentions repérées"), check);
	snprintf(href, sizeof href, "/reviews/%s", id);
	sv_job_message(j, msg);
	sv_job_set_value(j, id);
	sv_job_link(j, href, "Relire les mentions");
	return 0;
}

/* The register without names: ids and roles are what a reassignment needs. */
static char *persons_json(const cv_case_detail *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < d->npersons; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s}", "id", d->persons[i].id, "role",
			d->persons[i].role ? d->persons[i].role : ""));
	char *s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	return s;
}

static const cv_person *person_in(const cv_case_detail *d, const char *id)
{
	for (size_t i = 0; id && i < d->npersons; i++)
		if (!strcmp(d->persons[i].id, id))
			return &d->persons[i];
	return NULL;
}

/* The job's argument from the form; NULL with *why set when the form is wrong. */
static review_job *review_job_new(sv_req *r, const cv_case_detail *d, const char **why)
{
	const char *req = sv_form(r, "requester"), *purpose = sv_form(r, "purpose");
	if (!purpose || !*purpose)
		purpose = "maft";
	*why = NULL;
	if (strcmp(purpose, "maft") && strcmp(purpose, "gdpr"))
		*why = "Le motif de la demande est inconnu.";
	else if (!person_in(d, req) || strlen(req) >= sizeof ((rs_meta *)0)->requester)
		*why = "Choisissez le demandeur parmi les personnes du dossier.";
	if (*why)
		return NULL;
	review_job *rj = calloc(1, sizeof *rj);
	if (!rj)
		return NULL;
	snprintf(rj->meta.case_id, sizeof rj->meta.case_id, "%s", d->info.id);
	snprintf(rj->meta.ref, sizeof rj->meta.ref, "%s", d->info.ref);
	snprintf(rj->meta.requester, sizeof rj->meta.requester, "%s", req);
	snprintf(rj->meta.purpose, sizeof rj->meta.purpose, "%s", purpose);
	snprintf(rj->user, sizeof rj->user, "%s", sv_user(r) ? sv_user(r) : "");
	rj->persons = persons_json(d);
	rj->path = sv_work_path(r, "relecture", ".json");
	if (!rj->persons || !rj->path) {
		review_job_free(rj);
		return NULL;
	}
	return rj;
}

static void post_copy(sv_resp *o, sv_req *r)
{
	cv_case_detail *d = NULL;
	if (cv_case_show(&d, sv_archive(r), sv_param(r, 0))) {
		sv_fail(o, r, "La copie n'a pas pu être préparée");
		return;
	}
	const char *why = NULL;
	review_job *rj = review_job_new(r, d, &why);
	char title[200], jid[33];
	snprintf(title, sizeof title, "Relecture de la copie du dossier %s", d->info.ref);
	cv_case_detail_free(d);
	if (!rj) {
		sv_error(o, r, why ? 400 : 500, why ? why : "La copie n'a pas pu être préparée (mémoire insuffisante).");
		return;
	}
	/* on failure the core has already run review_job_free */
	if (sv_job_start(jid, r, title, job_review, rj, review_job_free)) {
		sv_error(o, r, 503, "La préparation de la copie n'a pas pu être lancée : réessayez dans un instant.");
		return;
	}
	char loc[48];
	snprintf(loc, sizeof loc, "/jobs/%s", jid);
	sv_redirect(o, loc);
}

/* -------------------------------------------------------- /reviews/<id> */

/* A review as the pages use it: the store's copy and its parsed trees. */
typedef struct review {
	const char *id;
	rs_view v;
	json_t *doc;          /* the decision file, with the officer's choices so far */
	json_t *persons;      /* [{"id","role"}] */
} review;

static int review_load(review *rv, sv_req *r)
{
	memset(rv, 0, sizeof *rv);
	rv->id = sv_param(r, 0);
	if (rs_get(&rv->v, rv->id, sv_user(r)))
		return -1;
	rv->doc = json_loads(rv->v.doc, JSON_REJECT_DUPLICATES, NULL);
	rv->persons = json_loads(rv->v.persons ? rv->v.persons : "[]", 0, NULL);
	return json_is_object(rv->doc) && json_is_array(json_object_get(rv->doc, "mentions")) && json_is_array(rv->persons) ? 0 : -2;
}

static void review_dispose(review *rv)
{
	json_wipe_decref(rv->doc);
	json_decref(rv->persons);
	rs_view_free(&rv->v);
}

static void review_gone(sv_resp *o, sv_req *r)
{
	sv_error(o, r, 404, "Cette relecture n'existe pas ou n'existe plus : une relecture expire une heure après avoir "
			    "été préparée. Préparez-en une nouvelle depuis la page du dossier.");
}

static unsigned tiers_number(const char *replacement)
{
	return replacement && !strncmp(replacement, "[tiers ", 7) ? (unsigned)strtoul(replacement + 7, NULL, 10) : 0;
}

static const char *doc_title(const json_t *doc, const char *doc_id)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(doc, "documents"), i, d)
		if (doc_id && jstr(d, "id") && !strcmp(jstr(d, "id"), doc_id))
			return jstr(d, "title") && *jstr(d, "title") ? jstr(d, "title") : doc_id;
	return doc_id ? doc_id : "—";
}

/* The number a person carries in the copy, from the legend (0: none yet). */
static unsigned number_of_person(const json_t *doc, const char *pid)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(doc, "legend"), i, e)
		if (jstr(e, "person") && !strcmp(jstr(e, "person"), pid))
			return (unsigned)json_integer_value(json_object_get(e, "number"));
	return 0;
}

static void review_counts(sv_resp *o, const json_t *doc)
{
	size_t i;
	json_t *m;
	long n = 0, check = 0, masked = 0, kept = 0, shown = 0;
	json_array_foreach(json_object_get(doc, "mentions"), i, m) {
		const char *p = jstr(m, "proposed");
		n++;
		check += json_is_true(json_object_get(m, "to_check"));
		masked += p && !strcmp(p, "masqué");
		kept += p && !strcmp(p, "conservé");
		shown += p && !strcmp(p, "communiqué");
	}
	sv_printf(o, "<p class=\"summary\"><strong>%ld %s", n, sv_plural(n, "mention", "mentions"));
	if (check)
		sv_printf(o, " dont %ld à vérifier", check);
	else
		sv_printf(o, ", aucune à vérifier");
	sv_printf(o, "</strong> — proposition : %ld %s, %ld %s, %ld %s.</p>\n", masked, sv_plural(masked, "masquée", "masquées"),
		kept, sv_plural(kept, "conservée", "conservées"), shown, sv_plural(shown, "communiquée", "communiquées"));
}

static void review_intro(sv_resp *o, const review *rv)
{
	const json_t *doc = rv->doc;
	sv_printf(o, "<dl class=\"facts\">\n<dt>Dossier</dt><dd><a href=\"/cases/");
	sv_esc(o, rv->v.meta.case_id);
	sv_printf(o, "\">");
	sv_esc(o, rv->v.meta.ref);
	sv_printf(o, "</a></dd>\n<dt>Copie pour</dt><dd>");
	sv_esc(o, jstr(doc, "requester_name") ? jstr(doc, "requester_name") : "");
	sv_escf(o, " (%s, le demandeur)", rv->v.meta.requester);
	sv_printf(o, "</dd>\n<dt>Motif</dt><dd>");
	sv_esc(o, purpose_fr(rv->v.meta.purpose));
	sv_printf(o, "</dd>\n<dt>Politique d'occultation</dt><dd>");
	sv_esc(o, jstr(doc, "policy") ? jstr(doc, "policy") : "—");
	sv_printf(o, "</dd>\n</dl>\n");
	sv_notice(o, "info", "Document de travail : il nomme des tiers en clair. Ne le communiquez pas au demandeur ; "
			     "détruisez toute version imprimée après usage. Les numéros de la légende ne figurent pas dans la copie.");
	review_counts(o, doc);
}

static void legend_row(sv_resp *o, const json_t *legend, const json_t *e)
{
	unsigned num = (unsigned)json_integer_value(json_object_get(e, "number"));
	json_t *same = json_object_get(e, "same_as");
	sv_printf(o, "<tr><th scope=\"row\">[tiers %u]</th><td>", num);
	sv_esc(o, jstr(e, "role") ? jstr(e, "role") : "—");
	sv_printf(o, "</td><td>");
	sv_esc(o, jstr(e, "person") ? jstr(e, "person") : "absente du registre");
	sv_printf(o, "</td><td><select name=\"same_as-%u\" aria-label=\"Même personne que [tiers %u]\">"
		     "<option value=\"\">— (personne distincte)</option>", num, num);
	size_t i;
	json_t *x;
	json_array_foreach(legend, i, x) {
		unsigned other = (unsigned)json_integer_value(json_object_get(x, "number"));
		if (other == num)
			continue;
		sv_printf(o, "<option value=\"%u\"%s>même personne que [tiers %u]</option>", other,
			json_is_integer(same) && json_integer_value(same) == other ? " selected" : "", other);
	}
	sv_printf(o, "</select></td></tr>\n");
}

static void review_legend(sv_resp *o, const json_t *doc)
{
	json_t *legend = json_object_get(doc, "legend"), *e;
	size_t i, n = json_array_size(legend);
	if (!n)
		return;
	sv_printf(o, "<table class=\"list legend\">\n<caption>Légende des numéros (%zu) : qui chaque numéro désigne "
		     "(pour l'agent seulement)</caption>\n<thead><tr><th scope=\"col\">Numéro</th><th scope=\"col\">Rôle</th>"
		     "<th scope=\"col\">Personne du registre</th><th scope=\"col\">Fusionner deux numéros</th></tr></thead>\n"
		     "<tbody>\n", n);
	json_array_foreach(legend, i, e)
		legend_row(o, legend, e);
	sv_printf(o, "</tbody>\n</table>\n");
}

/* The context with the mention in <mark>: the library cut 60 bytes each side
 * (then back to a character boundary) and turned line breaks into spaces. */
static void context_cell(sv_resp *o, const json_t *m)
{
	const char *ctx = jstr(m, "context"), *text = jstr(m, "text");
	json_int_t start = json_integer_value(json_object_get(m, "start"));
	if (!ctx || !text || !*text) {
		sv_esc(o, ctx ? ctx : text ? text : "");
		return;
	}
	char *t = strdup(text);
	if (!t)
		return;
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	size_t tl = strlen(t), cl = strlen(ctx), want = start < 60 ? (size_t)start : 60, at = cl;
	for (size_t k = want; k <= want + 4 && k + tl <= cl && at == cl; k++)
		if (!memcmp(ctx + k, t, tl))
			at = k;
	if (at == cl && strstr(ctx, t))
		at = (size_t)(strstr(ctx, t) - ctx);
	if (at == cl) {
		sv_esc(o, ctx);
	} else {
		/* a side of 60 bytes or more was cut from a longer text */
		if (at >= 60)
			sv_printf(o, "… ");
		esc_n(o, ctx, at);
		sv_printf(o, "<mark>");
		sv_esc(o, t);
		sv_printf(o, "</mark>");
		sv_esc(o, ctx + at + tl);
		if (cl - at - tl >= 60)
			sv_printf(o, " …");
	}
	explicit_bzero(t, tl);
	free(t);
}

static void attribution_cell(sv_resp *o, const json_t *m)
{
	const char *person = jstr(m, "person"), *role = jstr(m, "role");
	sv_esc(o, role ? role : "—");
	if (person)
		sv_escf(o, " (%s)", person);
	unsigned num = tiers_number(jstr(m, "replacement"));
	if (num)
		sv_printf(o, ", [tiers %u]", num);
}

static void proposal_cell(sv_resp *o, const json_t *m)
{
	const char *p = jstr(m, "proposed"), *repl = jstr(m, "replacement"), *why = jstr(m, "reason");
	sv_printf(o, "<strong>");
	sv_esc(o, p ? p : "—");
	sv_printf(o, "</strong>");
	if (repl && *repl) {
		sv_printf(o, " → ");
		sv_esc(o, repl);
	}
	if (why && *why) {
		sv_printf(o, "<br><small>");
		sv_esc(o, why);
		sv_printf(o, "</small>");
	}
}

static void radio(sv_resp *o, const char *mid, const char *value, int checked, const char *label)
{
	sv_printf(o, "<label><input type=\"radio\" name=\"decision-");
	sv_esc(o, mid);
	sv_printf(o, "\" value=\"%s\"%s> %s</label><br>\n", value, checked ? " checked" : "", label);
}

static void reassign_select(sv_resp *o, const review *rv, const char *mid, const char *target)
{
	sv_printf(o, "<select name=\"reassign-");
	sv_esc(o, mid);
	sv_printf(o, "\" aria-label=\"Personne à qui attribuer la mention ");
	sv_esc(o, mid);
	sv_printf(o, "\"><option value=\"\">— choisir —</option>");
	size_t i;
	json_t *p;
	json_array_foreach(rv->persons, i, p) {
		const char *pid = jstr(p, "id");
		if (!pid || !strcmp(pid, rv->v.meta.requester))
			continue; /* the library refuses a reassignment to the requester */
		sv_printf(o, "<option value=\"");
		sv_esc(o, pid);
		sv_printf(o, "\"%s>", target && !strcmp(target, pid) ? " selected" : "");
		sv_escf(o, "%s (%s)", role_phrase(jstr(p, "role")), pid);
		unsigned num = number_of_person(rv->doc, pid);
		if (num)
			sv_printf(o, ", [tiers %u]", num);
		sv_printf(o, "</option>");
	}
	sv_printf(o, "</select>");
}

/* The choices that change something: unmask what is hidden, mask what is
 * kept, reassign a name; the current decision is always offered. */
static void decision_cell(sv_resp *o, const review *rv, const json_t *m)
{
	const char *mid = jstr(m, "id"), *dec = jstr(m, "decision"), *p = jstr(m, "proposed"), *kind = jstr(m, "kind");
	int check = json_is_true(json_object_get(m, "to_check")), hidden = p && !strcmp(p, "masqué");
	int is_name = kind && (!strcmp(kind, "person") || !strcmp(kind, "name"));
	dec = dec ? dec : "";
	int reassign = !strncmp(dec, "reassign:", 9);
	sv_printf(o, "<fieldset class=\"choice\"><legend>Décision pour ");
	sv_esc(o, mid);
	sv_printf(o, "</legend>\n");
	/* "" (as proposed) needs no acceptance unless the mention is to check:
	 * an explicit "accept" is what the library counts as the officer's. */
	radio(o, mid, check ? "accept" : "", check ? !strcmp(dec, "accept") : !*dec || !strcmp(dec, "accept"),
		"accepter la proposition");
	if (hidden || !strcmp(dec, "unmask"))
		radio(o, mid, "unmask", !strcmp(dec, "unmask"), "démasquer (laisser en clair)");
	if (!hidden || !strcmp(dec, "mask"))
		radio(o, mid, "mask", !strcmp(dec, "mask"), "masquer");
	if (is_name || reassign) {
		radio(o, mid, "reassign", reassign, "réattribuer à :");
		reassign_select(o, rv, mid, reassign ? dec + 9 : NULL);
	}
	sv_printf(o, "</fieldset>");
}

static void mention_row(sv_resp *o, const review *rv, const json_t *m)
{
	int check = json_is_true(json_object_get(m, "to_check"));
	sv_printf(o, "<tr%s><th scope=\"row\">", check ? " class=\"to-check\"" : "");
	sv_esc(o, jstr(m, "id") ? jstr(m, "id") : "");
	if (check)
		sv_printf(o, "<br><span class=\"badge to-check\">À vérifier</span>");
	sv_printf(o, "</th><td>");
	sv_esc(o, doc_title(rv->doc, jstr(m, "doc")));
	sv_printf(o, "</td><td class=\"context\">");
	context_cell(o, m);
	sv_printf(o, "</td><td>");
	sv_esc(o, label_of(KINDS, jstr(m, "kind")));
	sv_printf(o, "</td><td>");
	attribution_cell(o, m);
	sv_printf(o, "</td><td>");
	proposal_cell(o, m);
	sv_printf(o, "</td><td>");
	decision_cell(o, rv, m);
	sv_printf(o, "</td></tr>\n");
}

/* One table of mentions: those to check (listed first), or the others. */
static void mention_table(sv_resp *o, const review *rv, int to_check)
{
	json_t *ms = json_object_get(rv->doc, "mentions"), *m;
	size_t i, n = 0;
	json_array_foreach(ms, i, m)
		n += json_is_true(json_object_get(m, "to_check")) == to_check;
	if (!n)
		return;
	sv_printf(o, "<table class=\"list mentions%s\">\n<caption>", to_check ? " to-check" : "");
	if (to_check)
		sv_printf(o, "Mentions à vérifier (%zu) : chacune doit recevoir une décision", n);
	else
		sv_printf(o, "Autres mentions (%zu) : la proposition s'applique sauf décision contraire", n);
	sv_printf(o, "</caption>\n<thead><tr><th scope=\"col\">Mention</th><th scope=\"col\">Document</th>"
		     "<th scope=\"col\">Contexte</th><th scope=\"col\">Nature</th><th scope=\"col\">Attribuée à</th>"
		     "<th scope=\"col\">Proposition</th><th scope=\"col\">Décision</th></tr></thead>\n<tbody>\n");
	json_array_foreach(ms, i, m)
		if (json_is_true(json_object_get(m, "to_check")) == to_check)
			mention_row(o, rv, m);
	sv_printf(o, "</tbody>\n</table>\n");
}

static void add_row(sv_resp *o, const review *rv, size_t k, const json_t *a)
{
	const char *doc = a ? jstr(a, "doc") : NULL, *text = a ? jstr(a, "text") : NULL, *person = a ? jstr(a, "person") : NULL;
	sv_printf(o, "<tr><th scope=\"row\">%zu</th><td><select name=\"add-doc\" aria-label=\"Document du passage %zu\">", k + 1,
		k + 1);
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(rv->doc, "documents"), i, d) {
		if (!jstr(d, "fingerprint"))
			continue; /* only text documents can take a passage */
		sv_printf(o, "<option value=\"");
		sv_esc(o, jstr(d, "id") ? jstr(d, "id") : "");
		sv_printf(o, "\"%s>", doc && jstr(d, "id") && !strcmp(doc, jstr(d, "id")) ? " selected" : "");
		sv_esc(o, doc_title(rv->doc, jstr(d, "id")));
		sv_printf(o, "</option>");
	}
	sv_printf(o, "</select></td><td><input type=\"text\" name=\"add-text\" aria-label=\"Passage %zu à masquer\" value=\"",
		k + 1);
	sv_esc(o, text ? text : "");
	sv_printf(o, "\"></td><td><select name=\"add-person\" aria-label=\"Personne désignée par le passage %zu\">"
		     "<option value=\"\">absente du registre (nouveau numéro)</option>", k + 1);
	json_t *p;
	json_array_foreach(rv->persons, i, p) {
		const char *pid = jstr(p, "id");
		if (!pid || !strcmp(pid, rv->v.meta.requester))
			continue;
		sv_printf(o, "<option value=\"");
		sv_esc(o, pid);
		sv_printf(o, "\"%s>", person && !strcmp(person, pid) ? " selected" : "");
		sv_escf(o, "%s (%s)", role_phrase(jstr(p, "role")), pid);
		sv_printf(o, "</option>");
	}
	sv_printf(o, "</select></td></tr>\n");
}

static void review_add(sv_resp *o, const review *rv)
{
	json_t *adds = json_object_get(rv->doc, "add"), *a;
	size_t i, n = json_array_size(adds);
	sv_printf(o, "<table class=\"list add\">\n<caption>Passages oubliés à masquer : chaque occurrence du passage "
		     "(mots entiers) dans le document sera masquée</caption>\n<thead><tr><th scope=\"col\">N°</th>"
		     "<th scope=\"col\">Document</th><th scope=\"col\">Passage</th><th scope=\"col\">Personne désignée</th>"
		     "</tr></thead>\n<tbody>\n");
	json_array_foreach(adds, i, a)
		add_row(o, rv, i, a);
	for (size_t k = 0; k < EMPTY_ADD_ROWS && n + k < MAX_ADD_ROWS; k++)
		add_row(o, rv, n + k, NULL);
	sv_printf(o, "</tbody>\n</table>\n");
}

static void review_page(sv_resp *o, sv_req *r, const review *rv, int status, const char *problem)
{
	char title[200];
	snprintf(title, sizeof title, "Relecture de la copie du dossier %s", rv->v.meta.ref);
	sv_status(o, status);
	sv_page_begin(o, r, title);
	if (problem)
		sv_notice(o, "error", problem);
	else if (rv->v.refusal) {
		char *msg = NULL;
		if (asprintf(&msg, "La dernière demande de copie définitive a été refusée. %s", rv->v.refusal) >= 0) {
			sv_notice(o, "error", msg);
			free(msg);
		}
	}
	review_intro(o, rv);
	sv_printf(o, "<form method=\"post\" action=\"/reviews/");
	sv_esc(o, rv->id);
	sv_printf(o, "\">\n");
	sv_csrf_field(o, r);
	review_legend(o, rv->doc);
	mention_table(o, rv, 1);
	mention_table(o, rv, 0);
	review_add(o, rv);
	sv_printf(o, "<p class=\"actions\"><button type=\"submit\">Faire la copie définitive</button></p>\n</form>\n");
	sv_page_end(o, r);
}

static void page_review(sv_resp *o, sv_req *r)
{
	review rv;
	int rc = review_load(&rv, r);
	if (rc == -1)
		review_gone(o, r);
	else if (rc)
		sv_error(o, r, 500, "La relecture est illisible : préparez-en une nouvelle depuis la page du dossier.");
	else
		review_page(o, r, &rv, 200, NULL);
	review_dispose(&rv);
}

/* -------------------------------------------------------- POST /reviews/<id> */

static int person_listed(const review *rv, const char *pid)
{
	size_t i;
	json_t *p;
	json_array_foreach(rv->persons, i, p)
		if (pid && jstr(p, "id") && !strcmp(jstr(p, "id"), pid))
			return 1;
	return 0;
}

static int third_party(const review *rv, const char *pid)
{
	return person_listed(rv, pid) && strcmp(pid, rv->v.meta.requester);
}

/* Each mention's "decision" from the form; a problem is written to `why`
 * (first one only) and the choice is still kept for the page shown again. */
static void form_decisions(sv_req *r, review *rv, char *why, size_t wn)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(rv->doc, "mentions"), i, m) {
		const char *mid = jstr(m, "id");
		char field[96], dec[128];
		if (!mid)
			continue;
		snprintf(field, sizeof field, "decision-%s", mid);
		const char *v = sv_form(r, field);
		v = v ? v : "";
		if (!strcmp(v, "reassign")) {
			snprintf(field, sizeof field, "reassign-%s", mid);
			const char *to = sv_form(r, field);
			snprintf(dec, sizeof dec, "reassign:%s", to ? to : "");
			if (!third_party(rv, to) && !*why)
				snprintf(why, wn, "Mention %s : choisissez la personne du registre (autre que le demandeur) à qui "
					"l'attribuer.", mid);
		} else if (!*v || !strcmp(v, "accept") || !strcmp(v, "unmask") || !strcmp(v, "mask")) {
			snprintf(dec, sizeof dec, "%s", v);
		} else {
			if (!*why)
				snprintf(why, wn, "Mention %s : cette décision n'existe pas.", mid);
			dec[0] = '\0';
		}
		json_object_set_new(m, "decision", json_string(dec));
	}
}

/* Merged numbers: "same_as" in the legend. */
static void form_merges(sv_req *r, review *rv, char *why, size_t wn)
{
	json_t *legend = json_object_get(rv->doc, "legend"), *e;
	size_t i;
	json_array_foreach(legend, i, e) {
		json_int_t num = json_integer_value(json_object_get(e, "number"));
		char field[48];
		snprintf(field, sizeof field, "same_as-%lld", (long long)num);
		const char *v = sv_form(r, field);
		char *end = NULL;
		long long to = v && *v ? strtoll(v, &end, 10) : 0;
		int known = 0;
		size_t k;
		json_t *x;
		json_array_foreach(legend, k, x)
			known |= json_integer_value(json_object_get(x, "number")) == to;
		if (v && *v && (*end || to == num || !known)) {
			if (!*why)
				snprintf(why, wn, "Le numéro %lld ne peut être fusionné qu'avec un autre numéro de la légende.",
					(long long)num);
			to = 0;
		}
		json_object_set_new(e, "same_as", to ? json_integer(to) : json_null());
	}
}

static int text_doc(const review *rv, const char *id)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(rv->doc, "documents"), i, d)
		if (id && jstr(d, "id") && !strcmp(jstr(d, "id"), id) && jstr(d, "fingerprint"))
			return 1;
	return 0;
}

/* Passages the engine missed: rows with a text. */
static void form_adds(sv_req *r, review *rv, char *why, size_t wn)
{
	const char *docs[MAX_ADD_ROWS], *texts[MAX_ADD_ROWS], *persons[MAX_ADD_ROWS];
	size_t nd = sv_form_all(r, "add-doc", docs, MAX_ADD_ROWS), nt = sv_form_all(r, "add-text", texts, MAX_ADD_ROWS),
	       np = sv_form_all(r, "add-person", persons, MAX_ADD_ROWS);
	json_t *adds = json_array();
	for (size_t k = 0; k < nt && k < MAX_ADD_ROWS; k++) {
		if (blank(texts[k]))
			continue;
		const char *doc = k < nd ? docs[k] : NULL, *person = k < np && *persons[k] ? persons[k] : NULL;
		if ((!text_doc(rv, doc) || strlen(texts[k]) < 2 || (person && !third_party(rv, person))) && !*why)
			snprintf(why, wn, "Passage %zu : choisissez un document texte, un passage de deux caractères ou plus "
				"et, s'il y a lieu, une personne du registre autre que le demandeur.", k + 1);
		json_array_append_new(adds, json_pack("{s:s,s:s,s:o}", "doc", doc ? doc : "", "text", texts[k], "person",
			person ? json_string(person) : json_null()));
	}
	json_t *old = json_incref(json_object_get(rv->doc, "add")); /* earlier passages: names, wiped */
	json_object_set_new(rv->doc, "add", adds);
	json_wipe_decref(old);
}

/* The library's own rule (docs/redaction.md): a mention to check without a
 * decision stops the copy. Said here, before any work, with the ids. */
static int undecided(const review *rv, char *why, size_t wn)
{
	size_t i, n = 0, len;
	json_t *m;
	char list[200] = "";
	json_array_foreach(json_object_get(rv->doc, "mentions"), i, m) {
		const char *dec = jstr(m, "decision");
		if (!json_is_true(json_object_get(m, "to_check")) || (dec && *dec))
			continue;
		len = strlen(list);
		if (n++ < 8)
			snprintf(list + len, sizeof list - len, "%s%s", n > 1 ? ", " : "", jstr(m, "id") ? jstr(m, "id") : "?");
	}
	if (n)
		snprintf(why, wn, "%zu %s à vérifier %s sans décision (%s%s) : la copie n'est définitive que lorsque chacune "
			"est acceptée, démasquée, masquée ou réattribuée.", n, sv_plural((long)n, "mention", "mentions"),
			n > 1 ? "restent" : "reste", list, n > 8 ? ", …" : "");
	return n != 0;
}

/* The final copy's job: the decisions file goes as soon as the library has read it. */
typedef struct final_job {
	rs_meta meta;
	char user[64];
	char review_id[33];
	char *decisions, *zip;
	int zip_handed;       /* sv_job_file took the zip: the job core wipes it */
} final_job;

static void final_job_free(void *arg)
{
	final_job *fj = arg;
	if (fj->decisions) {
		wipe_unlink(fj->decisions);
		free(fj->decisions);
	}
	if (fj->zip && !fj->zip_handed)
		wipe_unlink(fj->zip);
	free(fj->zip);
	free(fj);
}

/* Kept for the review page and shown by the job instead of the raw message. */
static void keep_refusal(sv_job *j, const final_job *fj, const char *message)
{
	const char *lead = strstr(message, "another state of the case")
		? "Le dossier a changé depuis la préparation de cette relecture : préparez-en une nouvelle depuis la page du dossier"
		: strstr(message, "to check") ? "Des mentions à vérifier restent sans décision"
		: "Les décisions ont été refusées";
	char *text = refusal_text(lead, message, fj->decisions);
	rs_set_refusal(fj->review_id, fj->user, text ? text : lead);
	sv_job_message(j, text ? text : lead);
	free(text);
}

static int job_final(sv_job *j, cv_archive *a, void *arg)
{
	final_job *fj = arg;
	cv_export_options eo = CV_EXPORT_OPTIONS_INIT;
	cv_export_result res = CV_EXPORT_RESULT_INIT;
	eo.requester = fj->meta.requester;
	eo.purpose = fj->meta.purpose;
	eo.decisions = fj->decisions;
	eo.out_path = fj->zip;
	sv_job_progress("Copie définitive : occultation des documents", 0, 0, j);
	int rc = cv_export_create(&res, a, fj->meta.case_id, &eo);
	wipe_unlink(fj->decisions); /* read by now: the file goes at once, whatever the outcome */
	char href[48], name[160], msg[400];
	snprintf(href, sizeof href, "/reviews/%s", fj->review_id);
	if (rc) {
		keep_refusal(j, fj, cv_error_last()->message);
		sv_job_link(j, href, "Revenir à la relecture");
		return rc;
	}
	rs_set_refusal(fj->review_id, fj->user, NULL);
	snprintf(name, sizeof name, "copie-%s.zip", fj->meta.ref);
	sv_job_file(j, fj->zip, "application/zip", name);
	fj->zip_handed = 1;
	snprintf(msg, sizeof msg, "Copie définitive : %u %s, %u %s, %u %s ; %u %s de l'agent sur les mentions, "
		"%u %s (chacune journalisée).", res.documents, sv_plural(res.documents, "document", "documents"), res.spans,
		sv_plural(res.spans, "passage masqué", "passages masqués"), res.manual,
		sv_plural(res.manual, "document à remettre à part", "documents à remettre à part"), res.decided,
		sv_plural(res.decided, "décision", "décisions"), res.corrections,
		sv_plural(res.corrections, "correction", "corrections"));
	sv_job_message(j, msg);
	sv_job_link(j, href, "Revenir à la relecture");
	return 0;
}

/* Write the decision file and start the final copy; 0, or -1 with nothing left behind. */
static int start_final(sv_req *r, const review *rv, const char *text, char jid[33])
{
	final_job *fj = calloc(1, sizeof *fj);
	if (!fj)
		return -1;
	fj->meta = rv->v.meta;
	snprintf(fj->user, sizeof fj->user, "%s", sv_user(r) ? sv_user(r) : "");
	snprintf(fj->review_id, sizeof fj->review_id, "%s", rv->id);
	fj->decisions = sv_work_path(r, "decisions", ".json");
	fj->zip = sv_work_path(r, "copie", ".zip");
	if (!fj->decisions || !fj->zip || write_new(fj->decisions, text)) {
		free(fj->decisions); /* write_new removed what it began */
		free(fj->zip);
		free(fj);
		return -1;
	}
	char title[200];
	snprintf(title, sizeof title, "Copie définitive du dossier %s", rv->v.meta.ref);
	/* on failure the core has already run final_job_free, which removed the file */
	return sv_job_start(jid, r, title, job_final, fj, final_job_free) ? -1 : 0;
}

static void post_review(sv_resp *o, sv_req *r)
{
	review rv;
	int rc = review_load(&rv, r);
	if (rc) {
		if (rc == -1)
			review_gone(o, r);
		else
			sv_error(o, r, 500, "La relecture est illisible : préparez-en une nouvelle depuis la page du dossier.");
		review_dispose(&rv);
		return;
	}
	char why[600] = "";
	form_decisions(r, &rv, why, sizeof why);
	form_merges(r, &rv, why, sizeof why);
	form_adds(r, &rv, why, sizeof why);
	int status = *why ? 400 : undecided(&rv, why, sizeof why) ? 409 : 0;
	char *text = dump_doc(rv.doc);
	/* the officer's choices are kept whatever happens next */
	if (text)
		rs_update(rv.id, sv_user(r), text);
	char jid[33];
	if (status)
		review_page(o, r, &rv, status, why);
	else if (!text || start_final(r, &rv, text, jid))
		review_page(o, r, &rv, 503, "La copie définitive n'a pas pu être lancée : réessayez dans un instant.");
	else {
		char loc[48];
		snprintf(loc, sizeof loc, "/jobs/%s", jid);
		sv_redirect(o, loc);
	}
	rs_free(text);
	review_dispose(&rv);
}

/* ----------------------------------------------------------------- routes */

const sv_route sv_routes_maft[] = {
	{ "GET", "/find", page_find, "person.find", "Rechercher une personne" },
	{ "GET", "/cases/*", page_case, "case.show", NULL },
	{ "POST", "/cases/*/copy", post_copy, "case.export", NULL },
	{ "GET", "/reviews/*", page_review, "case.export", NULL },
	{ "POST", "/reviews/*", post_review, "case.export", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
