/* casevault serve — the auditor's pages: the audit journal with filters and
 * paging, the integrity state (journal chain check, full or quick archive
 * verification run as a job) and the journal head to write down outside.
 *
 * Ownership: page module of the web service (audit pages); uses only
 * serve.h and the public API. A verification job owns its verify_job,
 * freed by the core through free_arg when the job ends.
 * Thread-safety: handlers keep no state of their own; a verification's
 * damage callback may be called from the library's checking threads, so the
 * damage list it fills is behind a mutex.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gmtime_r, strcasecmp */
#endif
#include "serve.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define JOURNAL_PAGE 50

/* -------------------------------------------------------------- journal */

static const char *outcome_fr(const char *s)
{
	static const char *const map[][2] = { { "ok", "réussi" }, { "unchanged", "sans changement" },
		{ "denied", "non autorisé" }, { "refused", "refusé" }, { "failed", "échoué" } };
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(map[i][0], s))
			return map[i][1];
	return s;
}

static const char *outcome_class(const char *s)
{
	return !strcmp(s, "ok") || !strcmp(s, "unchanged") ? "ok" : "error";
}

/* YYYY-MM-DD, as <input type="date"> sends it. */
static int is_day(const char *s)
{
	static const char pat[] = "dddd-dd-dd";
	if (strlen(s) != 10)
		return 0;
	for (int i = 0; i < 10; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-')
			return 0;
	return 1;
}

typedef struct jq {
	const char *dossier, *actor, *action, *from, *to;
	char case_id[40];        /* the dossier field resolved to a case id */
	uint64_t before;
} jq;

static const char *q_or_empty(sv_req *r, const char *name)
{
	const char *v = sv_query(r, name);
	return v ? v : "";
}

/* The filters from the query string; NULL, or the French reason they are wrong. */
static const char *jq_read(jq *q, sv_req *r)
{
	memset(q, 0, sizeof *q);
	q->dossier = q_or_empty(r, "dossier");
	q->actor = q_or_empty(r, "acteur");
	q->action = q_or_empty(r, "action");
	q->from = q_or_empty(r, "du");
	q->to = q_or_empty(r, "au");
	const char *b = sv_query(r, "before");
	if (b && *b) {
		char *end = NULL;
		unsigned long long v = strtoull(b, &end, 10);
		if (*end || !v)
			return "Le numéro d'entrée de la page demandée n'est pas valide.";
		q->before = v;
	}
	if ((*q->from && !is_day(q->from)) || (*q->to && !is_day(q->to)))
		return "Les dates s'écrivent AAAA-MM-JJ.";
	return NULL;
}

/* A case ref is resolved to its id, because the journal names ids only; a
 * value that is no case is searched as it is (a request or plan id). */
static void jq_resolve(sv_resp *o, sv_req *r, jq *q)
{
	if (!*q->dossier)
		return;
	cv_case_info ci;
	if (cv_case_get(&ci, sv_archive(r), q->dossier)) {
		cv_error_clear();
		sv_notice(o, "info", "Aucun dossier ne porte cette référence ou cet identifiant : "
			"les entrées qui nomment cette valeur telle quelle sont affichées.");
		return;
	}
	snprintf(q->case_id, sizeof q->case_id, "%s", ci.id);
	char msg[256];
	snprintf(msg, sizeof msg, "Entrées du dossier %s (identifiant %s).", ci.ref, ci.id);
	sv_notice(o, "info", msg);
}

static void jq_form(sv_resp *o, const jq *q)
{
	sv_printf(o, "<form method=\"get\" action=\"/journal\" class=\"filters\">\n<fieldset>\n<legend>Filtrer</legend>\n");
	sv_html(o, "<p><label for=\"f-dossier\">Dossier (référence ou identifiant)</label>\n"
		"<input type=\"text\" id=\"f-dossier\" name=\"dossier\" value=\"%s\"></p>\n", q->dossier);
	sv_html(o, "<p><label for=\"f-acteur\">Acteur (nom d'utilisateur)</label>\n"
		"<input type=\"text\" id=\"f-acteur\" name=\"acteur\" value=\"%s\" autocomplete=\"off\"></p>\n", q->actor);
	sv_html(o, "<p><label for=\"f-action\">Action</label>\n"
		"<input type=\"text\" id=\"f-action\" name=\"action\" value=\"%s\" aria-describedby=\"f-action-aide\">\n"
		"<small id=\"f-action-aide\">Exacte (« sweep.approve ») ou un préfixe terminé par un point "
		"(« request. »).</small></p>\n", q->action);
	/* The library filters days in UTC; the table shows Paris time: say so. */
	sv_html(o, "<p><label for=\"f-du\">Du</label>\n<input type=\"date\" id=\"f-du\" name=\"du\" value=\"%s\" "
		"aria-describedby=\"f-dates-aide\"></p>\n<p><label for=\"f-au\">Au</label>\n<input type=\"date\" id=\"f-au\" "
		"name=\"au\" value=\"%s\" aria-describedby=\"f-dates-aide\">\n<small id=\"f-dates-aide\">Jours compris, "
		"comptés en temps universel (UTC).</small></p>\n", q->from, q->to);
	sv_printf(o, "<p class=\"actions\"><button type=\"submit\">Filtrer</button> "
		"<a href=\"/journal\">Tout afficher</a></p>\n</fieldset>\n</form>\n");
}

static void jq_rows(sv_resp *o, const cv_journal_entry *e, size_t n)
{
	sv_printf(o, "<table class=\"list\">\n<caption>Entrées du journal, de la plus récente à la plus ancienne "
		"(heure de Paris)</caption>\n<thead><tr><th scope=\"col\">N°</th><th scope=\"col\">Date</th>"
		"<th scope=\"col\">Acteur</th><th scope=\"col\">Action</th><th scope=\"col\">Objet</th>"
		"<th scope=\"col\">Résultat</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		char d[64];
		sv_html(o, "<tr><th scope=\"row\">%llu</th><td>%s</td><td>%s</td><td><code>%s</code></td><td><code>%s</code></td>"
			"<td><span class=\"badge %s\">%s</span></td></tr>\n", (unsigned long long)e[i].seq,
			sv_date_fr(d, e[i].time), e[i].actor, e[i].action, e[i].object ? e[i].object : "",
			outcome_class(e[i].outcome), outcome_fr(e[i].outcome));
	}
	sv_printf(o, "</tbody>\n</table>\n");
}

/* A link to the journal with the same filters, from `before` on (0: the newest). */
static void jq_link(sv_resp *o, const jq *q, uint64_t before)
{
	int first = 1;
	sv_printf(o, "<a href=\"/journal");
	sv_url_arg(o, "dossier", q->dossier, &first);
	sv_url_arg(o, "acteur", q->actor, &first);
	sv_url_arg(o, "action", q->action, &first);
	sv_url_arg(o, "du", q->from, &first);
	sv_url_arg(o, "au", q->to, &first);
	if (before) {
		char b[24];
		snprintf(b, sizeof b, "%llu", (unsigned long long)before);
		sv_url_arg(o, "before", b, &first);
	}
	sv_printf(o, "\"");
}

/* Paging newest first: "older" continues below the last entry shown, with
 * the same filters. */
static void jq_paging(sv_resp *o, const jq *q, uint64_t older)
{
	if (!q->before && !older)
		return;
	sv_printf(o, "<nav aria-label=\"Pages du journal\" class=\"actions\">\n");
	if (q->before) {
		jq_link(o, q, 0);
		sv_printf(o, ">Entrées les plus récentes</a>\n");
	}
	if (older) {
		jq_link(o, q, older);
		sv_printf(o, " rel=\"next\">Entrées plus anciennes</a>\n");
	}
	sv_printf(o, "</nav>\n");
}

static void journal_page(sv_resp *o, sv_req *r)
{
	jq q;
	const char *bad = jq_read(&q, r);
	if (bad) {
		sv_error(o, r, 400, bad);
		return;
	}
	sv_page_begin(o, r, "Journal d'audit");
	sv_printf(o, "<p>Chaque lecture de données personnelles, chaque décision et chaque refus y est inscrit, "
		"chaîné au précédent. Il désigne les dossiers par leurs identifiants, jamais par les personnes qu'ils "
		"concernent.</p>\n");
	jq_resolve(o, r, &q);
	jq_form(o, &q);
	cv_journal_filter f = CV_JOURNAL_FILTER_INIT;
	f.actor = *q.actor ? q.actor : NULL;
	f.action = *q.action ? q.action : NULL;
	f.object = q.case_id[0] ? q.case_id : *q.dossier ? q.dossier : NULL;
	f.from = *q.from ? q.from : NULL;
	f.to = *q.to ? q.to : NULL;
	f.before = q.before;
	f.limit = JOURNAL_PAGE + 1; /* one more tells whether an older page exists */
	cv_journal_entry *e = NULL;
	size_t n = 0;
	if (cv_journal_query(&e, &n, sv_archive(r), &f)) {
		char msg[600];
		snprintf(msg, sizeof msg, "Le journal n'a pas pu être lu : %s", cv_error_last()->message);
		sv_notice(o, "error", msg);
	} else if (!n) {
		sv_printf(o, "<p>Aucune entrée ne correspond à ces critères.</p>\n");
		jq_paging(o, &q, 0);
	} else {
		size_t shown = n > JOURNAL_PAGE ? JOURNAL_PAGE : n;
		jq_rows(o, e, shown);
		jq_paging(o, &q, n > JOURNAL_PAGE ? e[shown - 1].seq : 0);
	}
	cv_journal_list_free(e, n);
	sv_page_end(o, r);
}

/* --------------------------------------------------------------- verify */

static void chain_state(sv_resp *o, sv_req *r)
{
	cv_journal_report rep = CV_JOURNAL_REPORT_INIT;
	int rc = cv_journal_verify(&rep, sv_archive(r));
	sv_printf(o, "<h2>Chaîne du journal d'audit</h2>\n");
	if (!rc) {
		sv_html(o, "<p class=\"ok\">Chaîne intacte : %llu %s, %llu %s.</p>\n", (unsigned long long)rep.entries,
			sv_plural((long)rep.entries, "entrée vérifiée", "entrées vérifiées"), (unsigned long long)rep.anchors,
			sv_plural((long)rep.anchors, "ancre contrôlée", "ancres contrôlées"));
	} else if (rc == CV_EDAMAGED) {
		sv_html(o, "<p class=\"error\">Chaîne rompue à l'entrée n° %llu : %s</p>\n<p>%llu %s avant la rupture. "
			"Signalez-le sans attendre à l'administrateur et au délégué à la protection des données.</p>\n",
			(unsigned long long)rep.first_bad, rep.reason, (unsigned long long)rep.entries,
			sv_plural((long)rep.entries, "entrée vérifiée", "entrées vérifiées"));
	} else {
		sv_html(o, "<p class=\"error\">La chaîne n'a pas pu être vérifiée : %s</p>\n", cv_error_last()->message);
	}
}

static void verify_page(sv_resp *o, sv_req *r)
{
	sv_page_begin(o, r, "Intégrité de l'archive");
	chain_state(o, r);
	sv_printf(o, "<h2>Vérifier l'archive</h2>\n<p>La vérification complète déchiffre et authentifie chaque objet de "
		"l'archive et contrôle le catalogue face à git et au journal ; elle peut durer longtemps. La vérification "
		"rapide ne contrôle que la structure, sans déchiffrer.</p>\n");
	sv_printf(o, "<form method=\"post\" action=\"/verify\" class=\"actions\">\n");
	sv_csrf_field(o, r);
	sv_printf(o, "<input type=\"hidden\" name=\"mode\" value=\"quick\">\n"
		"<button type=\"submit\">Lancer une vérification rapide</button>\n</form>\n");
	sv_printf(o, "<form method=\"post\" action=\"/verify\" class=\"actions\">\n");
	sv_csrf_field(o, r);
	sv_printf(o, "<input type=\"hidden\" name=\"mode\" value=\"full\">\n"
		"<button type=\"submit\">Lancer une vérification complète</button>\n</form>\n");
	sv_page_end(o, r);
}

typedef struct verify_job {
	int quick;
	pthread_mutex_t mu;      /* the damage callback may run on checking threads */
	uint64_t ndamaged;
	char damage[2048];       /* the first damaged objects, for the message */
} verify_job;

static void verify_job_free(void *arg)
{
	verify_job *v = arg;
	pthread_mutex_destroy(&v->mu);
	free(v);
}

static void on_damage(const char *object, const char *reason, void *payload)
{
	verify_job *v = payload;
	pthread_mutex_lock(&v->mu);
	size_t len = strlen(v->damage);
	if (v->ndamaged++ < 20 && len + 8 < sizeof v->damage)
		snprintf(v->damage + len, sizeof v->damage - len, "%s%s (%s)", len ? " ; " : "", object, reason);
	pthread_mutex_unlock(&v->mu);
}

/* "424,4 ko authentifiés". */
static const char *authenticated(char out[48], uint64_t bytes)
{
	char b[32];
	snprintf(out, 48, "%s %s", sv_bytes_fr(b, bytes), bytes > 1 ? "authentifiés" : "authentifié");
	return out;
}

static void verify_message(sv_job *j, const verify_job *v, const cv_verify_report *rep)
{
	char b[48], msg[3072];
	int w = snprintf(msg, sizeof msg, "Vérification %s terminée : %llu %s, %llu %s, %s, %llu %s du journal. ",
		v->quick ? "rapide" : "complète", (unsigned long long)rep->cases, sv_plural((long)rep->cases, "dossier", "dossiers"),
		(unsigned long long)rep->objects, sv_plural((long)rep->objects, "objet contrôlé", "objets contrôlés"),
		v->quick ? "structure seulement" : authenticated(b, rep->bytes), (unsigned long long)rep->journal_entries,
		sv_plural((long)rep->journal_entries, "entrée", "entrées"));
	if (w < 0 || (size_t)w >= sizeof msg)
		w = 0;
	if (!v->ndamaged)
		snprintf(msg + w, sizeof msg - w, "Aucun objet endommagé.");
	else
		snprintf(msg + w, sizeof msg - w, "%llu %s : %s%s", (unsigned long long)v->ndamaged,
			sv_plural((long)v->ndamaged, "objet endommagé", "objets endommagés"), v->damage,
			v->ndamaged > 20 ? " ; …" : "");
	sv_job_message(j, msg);
}

static int verify_run(sv_job *j, cv_archive *a, void *arg)
{
	verify_job *v = arg;
	cv_verify_options opts = CV_VERIFY_OPTIONS_INIT;
	opts.quick = v->quick;
	cv_verify_report rep = CV_VERIFY_REPORT_INIT;
	sv_job_progress("Vérification en cours", 0, 0, j);
	int rc = cv_archive_verify(&rep, a, &opts, on_damage, v);
	if (!rc || rc == CV_EDAMAGED)
		verify_message(j, v, &rep);
	return rc;
}

static void verify_start(sv_resp *o, sv_req *r)
{
	const char *mode = sv_form(r, "mode");
	if (!mode || (strcmp(mode, "quick") && strcmp(mode, "full"))) {
		sv_error(o, r, 400, "Choisissez une vérification rapide ou complète.");
		return;
	}
	verify_job *v = calloc(1, sizeof *v);
	if (!v || pthread_mutex_init(&v->mu, NULL)) {
		free(v);
		sv_error(o, r, 500, "Mémoire insuffisante.");
		return;
	}
	v->quick = !strcmp(mode, "quick");
	char id[33], loc[48];
	int rc = sv_job_start(id, r, v->quick ? "Vérification rapide de l'archive" : "Vérification complète de l'archive",
		verify_run, v, verify_job_free);
	if (rc) { /* v is freed by the core through verify_job_free */
		sv_job_refused(o, r, rc, "La vérification n'a pas pu être lancée");
		return;
	}
	snprintf(loc, sizeof loc, "/jobs/%s", id);
	sv_redirect(o, loc);
}

/* -------------------------------------------------------------- anchors */

/* A head noted earlier still holds when the entry of that number has that
 * hash; together with an intact chain, the archive extends the anchor. */
static void anchor_check(sv_resp *o, sv_req *r, const char *seq_s, const char *hash)
{
	char *end = NULL;
	unsigned long long seq = strtoull(seq_s, &end, 10);
	if (!*seq_s || *end || !seq || strlen(hash) != 64) {
		sv_notice(o, "error", "Indiquez le numéro d'entrée et l'empreinte de 64 caractères, tels qu'ils ont été notés.");
		return;
	}
	cv_journal_entry *e = NULL;
	size_t n = 0;
	if (cv_journal_list(&e, &n, sv_archive(r), seq, 1)) {
		char msg[600];
		snprintf(msg, sizeof msg, "Le journal n'a pas pu être lu : %s", cv_error_last()->message);
		sv_notice(o, "error", msg);
		return;
	}
	if (n && e[0].seq == seq && !strcasecmp(e[0].hash, hash))
		sv_notice(o, "ok", "L'entrée notée porte toujours cette empreinte : l'archive prolonge cette ancre, "
			"pourvu que la chaîne soit intacte (page Intégrité).");
	else if (!n || e[0].seq != seq)
		sv_notice(o, "error", "Le journal n'a plus d'entrée de ce numéro : il a été tronqué ou remplacé depuis l'ancre. "
			"Signalez-le sans attendre.");
	else
		sv_notice(o, "error", "L'entrée de ce numéro porte une autre empreinte : le journal a été réécrit depuis "
			"l'ancre. Signalez-le sans attendre.");
	cv_journal_list_free(e, n);
}

static void anchor_check_form(sv_resp *o, sv_req *r)
{
	const char *seq = sv_query(r, "seq"), *hash = sv_query(r, "hash");
	sv_printf(o, "<h2>Contrôler une ancre notée</h2>\n");
	if (seq || hash)
		anchor_check(o, r, seq ? seq : "", hash ? hash : "");
	sv_html(o, "<form method=\"get\" action=\"/anchors\">\n<p><label for=\"a-seq\">Numéro d'entrée noté</label>\n"
		"<input type=\"text\" inputmode=\"numeric\" id=\"a-seq\" name=\"seq\" value=\"%s\" required></p>\n"
		"<p><label for=\"a-hash\">Empreinte SHA-256 notée</label>\n<input type=\"text\" id=\"a-hash\" name=\"hash\" "
		"value=\"%s\" size=\"70\" maxlength=\"64\" required autocomplete=\"off\"></p>\n"
		"<p class=\"actions\"><button type=\"submit\">Contrôler</button></p>\n</form>\n", seq ? seq : "",
		hash ? hash : "");
}

/* The time the head was read, for the written record. */
static const char *now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static void anchors_page(sv_resp *o, sv_req *r)
{
	uint64_t seq = 0;
	char hash[65], now[64], iso[32];
	cv_archive *a = sv_archive(r);
	if (cv_journal_anchor(&seq, hash, a)) {
		sv_fail(o, r, "La tête du journal n'a pas pu être lue");
		return;
	}
	sv_page_begin(o, r, "Ancre du journal d'audit");
	sv_printf(o, "<p>Le journal est une chaîne : chaque entrée contient "
		"l'empreinte de la précédente. Mais quelqu'un qui aurait la main sur le serveur pourrait réécrire la chaîne "
		"entière, ou la tronquer, et recalculer les empreintes. Une ancre notée <strong>hors de l'archive</strong> "
		"— registre papier, courriel au service des archives départementales, autre serveur — l'en empêche : une "
		"archive qui ne la prolonge plus se trahit.</p>\n");
	sv_html(o, "<dl class=\"anchor\">\n<dt>Archive</dt><dd><code>%s</code></dd>\n<dt>Relevée le</dt><dd>%s</dd>\n"
		"<dt>Dernière entrée (n°)</dt><dd><code>%llu</code></dd>\n<dt>Empreinte SHA-256 de la tête</dt>"
		"<dd><code>%s</code></dd>\n</dl>\n", cv_archive_id(a), sv_date_fr(now, now_iso(iso)),
		(unsigned long long)seq, hash);
	sv_printf(o, "<p>Notez ces deux valeurs (ou imprimez cette page) et conservez-les ailleurs. Pour des ancres "
		"signées contrôlées automatiquement, un administrateur lance <code>casevault journal anchor --out FICHIER</code> "
		"puis <code>casevault verify --anchor FICHIER</code>.</p>\n");
	anchor_check_form(o, r);
	sv_page_end(o, r);
}

const sv_route sv_routes_audit[] = {
	{ "GET", "/journal", journal_page, "journal.show", "Journal d'audit" },
	{ "GET", "/verify", verify_page, "archive.verify", "Intégrité" },
	{ "POST", "/verify", verify_start, "archive.verify", NULL },
	{ "GET", "/anchors", anchors_page, "journal.anchor", "Ancres" },
	{ NULL, NULL, NULL, NULL, NULL },
};
