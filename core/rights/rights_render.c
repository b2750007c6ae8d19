/* The GDPR rights register as a document (HTML for people, CSV for
 * spreadsheets): every request, its deadline, decision and legal ground
 * (RGPD art. 5(2), 30). Reads through the public request API; journaled.
 *
 * Everything on the page is French: codes become words, dates long French
 * dates, instants Paris time. What was done is said from the request's
 * structured fields (type, decision, state, fulfilment, certificate), not
 * from the library's `outcome` note, which is an English trace for the
 * journal and the JSON output. */
#include "engine/internal.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/html.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *fr_type(const char *t)
{
	return !strcmp(t, "access") ? "accès (art. 15)" : !strcmp(t, "rectification") ? "rectification (art. 16)"
		: !strcmp(t, "erasure") ? "effacement (art. 17)" : !strcmp(t, "restriction") ? "limitation (art. 18)"
		: !strcmp(t, "portability") ? "portabilité (art. 20)" : "opposition (art. 21)";
}

/* The feminine agrees with « la demande ». */
static const char *fr_decision(const char *d)
{
	return !strcmp(d, "grant") ? "accordée" : !strcmp(d, "refuse") ? "refusée"
		: !strcmp(d, "partial") ? "accordée en partie" : !strcmp(d, "weigh") ? "à apprécier" : d[0] ? d : "—";
}

static const char *fr_state(const char *s)
{
	return !strcmp(s, "open") ? "en attente de décision" : !strcmp(s, "decided") ? "décidée, à exécuter"
		: !strcmp(s, "fulfilled") ? "exécutée" : s;
}

/* "1 dossier", "2 dossiers": French counts 0 and 1 in the singular. */
static const char *plural(size_t n, const char *one, const char *many)
{
	return n > 1 ? many : one;
}

static size_t distinct_cases(const cv_request *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nsubjects; i++) {
		size_t j = 0;
		while (j < i && strcmp(r->subjects[j].case_id, r->subjects[i].case_id))
			j++;
		n += j == i;
	}
	return n;
}

/* What was done, in French, from the structured fields; without the date and
 * the author, which the page and the CSV give apart. */
static int execution_fr(cv_buf *b, const cv_request *r)
{
	if (strcmp(r->state, "fulfilled"))
		return cv__buf_puts(b, fr_state(r->state));
	if (!strcmp(r->decision, "refuse"))
		return cv__buf_puts(b, "refus notifié au demandeur, avec son fondement");
	const char *t = r->type;
	if (!strcmp(t, "access"))
		return cv__buf_puts(b, "copie de communication établie, tiers occultés (CRPA L. 311-6)");
	if (!strcmp(t, "portability"))
		return cv__buf_puts(b, "copie des données établie, avec leur description structurée (dossier.json)");
	if (!strcmp(t, "rectification"))
		return cv__buf_puts(b, "rectification enregistrée ; la version d'origine est conservée comme preuve");
	if (!strcmp(t, "restriction") || !strcmp(t, "objection")) {
		size_t n = distinct_cases(r);
		return cv__buf_printf(b, "traitement limité dans %zu %s : conservation, constatation ou défense de droits en "
			"justice et accès de la personne seulement", n, plural(n, "dossier", "dossiers"));
	}
	if (!strcmp(t, "erasure")) {
		json_t *c = r->certificate ? json_loads(r->certificate, 0, NULL) : NULL;
		json_t *d = json_object_get(c, "destroyed");
		size_t keys = 0;
		for (size_t i = 0; i < json_array_size(d); i++)
			keys += json_string_value(json_object_get(json_array_get(d, i), "key_id")) != NULL;
		int rc;
		if (c)
			rc = cv__buf_printf(b, "effacement par destruction des clés : %zu %s", keys,
				plural(keys, "clé de dossier détruite", "clés de dossier détruites"));
		else
			rc = cv__buf_puts(b, "effacement effectué");
		json_decref(c);
		return rc;
	}
	return cv__buf_puts(b, "exécutée");
}

static int esc_day(cv_buf *b, const char *iso)
{
	char d[32];
	if (!iso || !*iso)
		return cv__buf_puts(b, "—");
	cv__date_fr(d, iso);
	return cv__html_escape(b, d);
}

static int esc_instant(cv_buf *b, const char *iso)
{
	char d[48];
	if (!iso || !*iso)
		return cv__buf_puts(b, "—");
	cv__datetime_fr(d, iso);
	return cv__html_escape(b, d);
}

/* "par dpo, le 7 décembre 2026 à 00 h 51" */
static int by_when(cv_buf *b, const char *who, const char *when)
{
	CV_TRY(cv__buf_puts(b, "par "));
	CV_TRY(cv__html_escape(b, who && *who ? who : "—"));
	CV_TRY(cv__buf_puts(b, ", le "));
	return esc_instant(b, when);
}

/* The erasure certificate as the DPO reads it; the JSON itself stays in the
 * register (request show --json). */
static int certificate_html(cv_buf *b, const cv_request *r)
{
	json_t *c = json_loads(r->certificate, 0, NULL);
	CV_TRY(cv__buf_puts(b, "<h2>Certificat d'effacement — demande "));
	CV_TRY(cv__html_escape(b, r->id));
	CV_TRY(cv__buf_puts(b, "</h2>\n"));
	if (!c)
		return cv__buf_puts(b, "<p class=\"warn\">Le certificat enregistré n'est pas lisible.</p>\n");
	int rc = cv__buf_puts(b, "<table class=\"meta\">\n<tr><td>Demande</td><td>");
	if (!rc)
		rc = cv__html_escape(b, json_string_value(json_object_get(c, "request")));
	if (!rc)
		rc = cv__buf_puts(b, "</td></tr>\n<tr><td>Décision</td><td>");
	const char *dec = json_string_value(json_object_get(c, "decision"));
	if (!rc)
		rc = cv__html_escape(b, fr_decision(dec ? dec : ""));
	if (!rc)
		rc = cv__buf_puts(b, "</td></tr>\n<tr><td>Effacement exécuté</td><td>");
	if (!rc)
		rc = by_when(b, json_string_value(json_object_get(c, "by")), json_string_value(json_object_get(c, "date")));
	if (!rc)
		rc = cv__buf_puts(b, "</td></tr>\n<tr><td>Archive</td><td>");
	if (!rc)
		rc = cv__html_escape(b, json_string_value(json_object_get(c, "archive")));
	if (!rc)
		rc = cv__buf_puts(b, "</td></tr>\n</table>\n<table>\n<thead><tr><th>Réf. dossier</th><th>Clé détruite "
				     "(identifiant)</th></tr></thead>\n<tbody>\n");
	json_t *d = json_object_get(c, "destroyed");
	for (size_t i = 0; !rc && i < json_array_size(d); i++) {
		json_t *x = json_array_get(d, i);
		const char *kid = json_string_value(json_object_get(x, "key_id"));
		rc = cv__buf_puts(b, "<tr><td>");
		if (!rc)
			rc = cv__html_escape(b, json_string_value(json_object_get(x, "ref")));
		if (!rc)
			rc = cv__buf_puts(b, "</td><td>");
		if (!rc)
			rc = cv__html_escape(b, kid ? kid : "aucune : le dossier était déjà anonymisé ou détruit");
		if (!rc)
			rc = cv__buf_puts(b, "</td></tr>\n");
	}
	if (!rc)
		rc = cv__buf_puts(b, "</tbody>\n</table>\n<p class=\"muted\">La clé de chaque dossier a été détruite : aucune "
				     "version de ces dossiers, même ancienne, ne peut plus être lue.</p>\n");
	json_decref(c);
	return rc;
}

static int register_csv(cv_buf *b, cv_request *list, size_t n)
{
	/* French headers and words; dates stay ISO (instants in UTC, as the
	 * headers say) so that they sort. Programs read `request list --json`. */
	static const char *const h[] = { "N°", "Type", "Reçue le", "Échéance", "Échéance prolongée",
		"Motif de la prolongation", "Prolongée par", "Prolongée le (UTC)", "Canal", "Dossiers / personnes",
		"Vérification d'identité", "Identité vérifiée par", "Identité vérifiée le (UTC)", "Proposition",
		"Fondement proposé", "Décision", "Fondement", "Décidée par", "Décidée le (UTC)", "État", "Exécutée par",
		"Exécutée le (UTC)", "Exécution" };
	enum { NCOL = sizeof h / sizeof *h };
	for (int i = 0; i < NCOL; i++)
		CV_TRY(cv__csv_field(b, h[i], i == NCOL - 1));
	int rc = 0;
	for (size_t k = 0; !rc && k < n; k++) {
		cv_request *r = &list[k];
		cv_buf subj = CV_BUF_INIT, ex = CV_BUF_INIT;
		for (size_t i = 0; i < r->nsubjects; i++)
			cv__buf_printf(&subj, "%s%s/%s", i ? " " : "", r->subjects[i].ref, r->subjects[i].person);
		cv__buf_cstr(&subj);
		rc = execution_fr(&ex, r);
		if (!rc)
			rc = cv__buf_cstr(&ex);
		const char *c[] = { r->id, fr_type(r->type), r->received, r->due, r->extended_due, r->extension_reason,
			r->extended_by, r->extended_at, r->channel, (char *)subj.data, r->identity_method, r->identity_by,
			r->identity_at, fr_decision(r->proposal), r->proposal_ground, r->decision[0] ? fr_decision(r->decision) : "",
			r->ground, r->decided_by, r->decided_at, fr_state(r->state), r->fulfilled_by, r->fulfilled_at,
			(char *)ex.data };
		for (int i = 0; !rc && i < NCOL; i++)
			rc = cv__csv_field(b, c[i], i == NCOL - 1);
		cv__buf_dispose(&subj);
		cv__buf_dispose(&ex);
	}
	return rc;
}

static int request_row(cv_buf *b, const cv_request *r, const char *today)
{
	int64_t days = 0;
	cv__date_diff_days(today, r->effective_due, &days);
	int late = strcmp(r->state, "fulfilled") && days < 0;
	CV_TRY(cv__buf_puts(b, late ? "<tr style=\"background:#fbe3e3\"><td>" : "<tr><td>"));
	CV_TRY(cv__html_escape(b, r->id));
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	CV_TRY(cv__html_escape(b, fr_type(r->type)));
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	CV_TRY(esc_day(b, r->received));
	if (r->channel[0]) {
		CV_TRY(cv__buf_puts(b, "<br><span class=\"muted\">"));
		CV_TRY(cv__html_escape(b, r->channel));
		CV_TRY(cv__buf_puts(b, "</span>"));
	}
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	CV_TRY(esc_day(b, r->due));
	if (r->extended_due[0]) {
		/* Art. 12(3): the extension, its reason, and who decided it when. */
		CV_TRY(cv__buf_puts(b, "<br>prolongée au "));
		CV_TRY(esc_day(b, r->extended_due));
		if (r->extended_at[0] || r->extended_by[0]) {
			CV_TRY(cv__buf_puts(b, " "));
			CV_TRY(by_when(b, r->extended_by, r->extended_at));
		}
		if (r->extension_reason && *r->extension_reason) {
			CV_TRY(cv__buf_puts(b, " ; motif : "));
			CV_TRY(cv__html_escape(b, r->extension_reason));
		}
	}
	if (late)
		CV_TRY(cv__buf_puts(b, "<br><strong>en retard</strong>"));
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	for (size_t i = 0; i < r->nsubjects; i++) {
		CV_TRY(cv__html_escape(b, r->subjects[i].ref));
		CV_TRY(cv__buf_puts(b, " / "));
		CV_TRY(cv__html_escape(b, r->subjects[i].person));
		CV_TRY(cv__buf_puts(b, "<br>"));
	}
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	if (r->identity_at[0]) {
		CV_TRY(cv__html_escape(b, r->identity_method));
		CV_TRY(cv__buf_puts(b, "<br>"));
		CV_TRY(by_when(b, r->identity_by, r->identity_at));
	} else {
		CV_TRY(cv__buf_puts(b, "pas encore vérifiée"));
	}
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	CV_TRY(cv__html_escape(b, fr_decision(r->proposal)));
	CV_TRY(cv__buf_puts(b, "<br><span class=\"muted\">"));
	CV_TRY(cv__html_escape(b, r->proposal_ground));
	CV_TRY(cv__buf_puts(b, "</span></td><td>"));
	if (r->decision[0]) {
		CV_TRY(cv__html_escape(b, fr_decision(r->decision)));
		if (r->ground[0]) {
			CV_TRY(cv__buf_puts(b, "<br>"));
			CV_TRY(cv__html_escape(b, r->ground));
		}
	} else {
		CV_TRY(cv__buf_puts(b, "pas encore décidée"));
	}
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	if (r->decided_by[0] || r->decided_at[0]) {
		CV_TRY(cv__html_escape(b, r->decided_by[0] ? r->decided_by : "—"));
		CV_TRY(cv__buf_puts(b, "<br>le "));
		CV_TRY(esc_instant(b, r->decided_at));
	} else {
		CV_TRY(cv__buf_puts(b, "—"));
	}
	CV_TRY(cv__buf_puts(b, "</td><td>"));
	cv_buf ex = CV_BUF_INIT;
	int rc = execution_fr(&ex, r);
	if (!rc)
		rc = cv__buf_cstr(&ex);
	if (!rc) {
		/* a sentence: capitalised in its cell */
		const char *s = (const char *)ex.data;
		if (s[0] >= 'a' && s[0] <= 'z') {
			char first[2] = { (char)(s[0] - 'a' + 'A'), '\0' };
			rc = cv__buf_puts(b, first);
			s++;
		}
		if (!rc)
			rc = cv__html_escape(b, s);
	}
	cv__buf_dispose(&ex);
	CV_TRY(rc);
	if (!strcmp(r->state, "fulfilled")) {
		CV_TRY(cv__buf_puts(b, "<br>"));
		CV_TRY(by_when(b, r->fulfilled_by, r->fulfilled_at));
		if (r->certificate)
			CV_TRY(cv__buf_puts(b, "<br>certificat d'effacement ci-dessous"));
	}
	return cv__buf_puts(b, "</td></tr>\n");
}

CV_EXTERN(int) cv_request_register(cv_archive *a, cv_format fmt, const char *out_path)
{
	cv_request *list = NULL;
	size_t n = 0;
	cv_request_filter f = CV_REQUEST_FILTER_INIT;
	CV_TRY(cv__access_check(a, "request.register", out_path));
	CV_TRY(cv_request_list(&list, &n, a, &f));
	/* The register is dated, and lateness judged, by the day in Paris: the
	 * date the page prints, whatever zone the server runs in. */
	char today[11], ftoday[32];
	cv__date_today_paris(today);
	cv__date_fr(ftoday, today);
	cv_buf b = CV_BUF_INIT;
	int rc = 0;
	if (fmt == CV_FORMAT_CSV) {
		rc = register_csv(&b, list, n);
	} else {
		/* Ten columns: words and ids are not cut in the middle (the default
		 * lets a cell break anywhere), the landscape page gives the room. */
		rc = cv__html_begin(&b, "Registre des demandes d'exercice des droits",
			"table{font-size:8.5pt}td{overflow-wrap:break-word}@page{size:A4 landscape}");
		if (!rc)
			rc = cv__buf_printf(&b, "<h1>Registre des demandes d'exercice des droits</h1>\n<p class=\"muted\">"
						"Archive %s — état au %s — RGPD articles 5(2), 12 à 21 et 30. Les personnes sont désignées par la "
						"référence du dossier et leur identifiant dans le dossier. Heures de Paris.</p>\n<table>\n"
						"<thead><tr><th>N°</th><th>Type</th><th>Reçue le</th><th>Échéance</th><th>Dossiers / "
						"personnes</th><th>Identité vérifiée</th><th>Proposition</th><th>Décision et fondement</th>"
						"<th>Décidée par</th><th>Exécution</th></tr></thead>\n<tbody>\n", a->id, ftoday);
		for (size_t k = 0; !rc && k < n; k++)
			rc = request_row(&b, &list[k], today);
		if (!rc)
			rc = cv__buf_puts(&b, "</tbody>\n</table>\n");
		for (size_t k = 0; !rc && k < n; k++)
			if (list[k].certificate)
				rc = certificate_html(&b, &list[k]);
		if (!rc)
			rc = cv__html_end(&b);
	}
	if (!rc)
		rc = cv__write_file_atomic(out_path, b.data, b.len, 0600);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "request.register", "", "ok");
	cv__buf_wipe_dispose(&b);
	cv_request_list_free(list, n);
	return rc;
}
