/* The GDPR rights register as a document (HTML for people, CSV for
 * spreadsheets): every request, its deadline, decision and legal ground
 * (RGPD art. 5(2), 30). Reads through the public request API; journaled. */
#include "internal.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/html.h"

#include <stdio.h>
#include <string.h>

static const char *fr_type(const char *t)
{
	return !strcmp(t, "access") ? "accès (art. 15)" : !strcmp(t, "rectification") ? "rectification (art. 16)"
		: !strcmp(t, "erasure") ? "effacement (art. 17)" : !strcmp(t, "restriction") ? "limitation (art. 18)"
		: !strcmp(t, "portability") ? "portabilité (art. 20)" : "opposition (art. 21)";
}

static const char *fr_decision(const char *d)
{
	return !strcmp(d, "grant") ? "accordée" : !strcmp(d, "refuse") ? "refusée" : !strcmp(d, "partial") ? "partielle"
		: !strcmp(d, "weigh") ? "à apprécier" : d[0] ? d : "—";
}

CV_EXTERN(int) cv_request_register(cv_archive *a, cv_format fmt, const char *out_path)
{
	cv_request *list = NULL;
	size_t n = 0;
	cv_request_filter f = CV_REQUEST_FILTER_INIT;
	CV_TRY(cv_request_list(&list, &n, a, &f));
	char today[11];
	cv__date_today(today);
	cv_buf b = CV_BUF_INIT;
	int rc = 0;
	if (fmt == CV_FORMAT_CSV) {
		const char *h[] = { "id", "type", "received", "due", "extended_due", "extension_reason", "channel", "subjects",
			"identity_method", "identity_by", "identity_at", "proposal", "proposal_ground", "decision", "ground", "decided_by",
			"decided_at", "state", "fulfilled_by", "fulfilled_at", "outcome" };
		for (int i = 0; i < 21; i++)
			cv__csv_field(&b, h[i], i == 20);
		for (size_t k = 0; k < n; k++) {
			cv_request *r = &list[k];
			cv_buf subj = CV_BUF_INIT;
			for (size_t i = 0; i < r->nsubjects; i++)
				cv__buf_printf(&subj, "%s%s/%s", i ? " " : "", r->subjects[i].ref, r->subjects[i].person);
			cv__buf_cstr(&subj);
			const char *c[] = { r->id, r->type, r->received, r->due, r->extended_due, r->extension_reason, r->channel,
				(char *)subj.data, r->identity_method, r->identity_by, r->identity_at, r->proposal, r->proposal_ground,
				r->decision, r->ground, r->decided_by, r->decided_at, r->state, r->fulfilled_by, r->fulfilled_at, r->outcome };
			for (int i = 0; i < 21; i++)
				cv__csv_field(&b, c[i], i == 20);
			cv__buf_dispose(&subj);
		}
	} else {
		rc = cv__html_begin(&b, "Registre des demandes d'exercice des droits", "table{font-size:8.5pt}@page{size:A4 landscape}");
		cv__buf_printf(&b, "<h1>Registre des demandes d'exercice des droits</h1>\n<p class=\"muted\">Archive %s — état au "
				     "%s — RGPD articles 5(2), 12 à 21 et 30. Les personnes sont désignées par la référence du "
				     "dossier et leur identifiant dans le dossier.</p>\n<table>\n<thead><tr><th>N°</th><th>Type</th>"
				     "<th>Reçue</th><th>Échéance</th><th>Dossiers / personnes</th><th>Identité vérifiée</th>"
				     "<th>Proposition</th><th>Décision et fondement</th><th>Décidée par</th><th>Exécution</th></tr>"
				     "</thead>\n<tbody>\n", a->id, today);
		for (size_t k = 0; k < n; k++) {
			cv_request *r = &list[k];
			int64_t days = 0;
			cv__date_diff_days(today, r->effective_due, &days);
			int late = strcmp(r->state, "fulfilled") && days < 0;
			cv__buf_puts(&b, late ? "<tr style=\"background:#fbe3e3\"><td>" : "<tr><td>");
			cv__html_escape(&b, r->id);
			cv__buf_puts(&b, "</td><td>");
			cv__html_escape(&b, fr_type(r->type));
			cv__buf_puts(&b, "</td><td>");
			cv__html_escape(&b, r->received);
			if (r->channel[0]) {
				cv__buf_puts(&b, "<br><span class=\"muted\">");
				cv__html_escape(&b, r->channel);
				cv__buf_puts(&b, "</span>");
			}
			cv__buf_puts(&b, "</td><td>");
			cv__html_escape(&b, r->due);
			if (r->extended_due[0]) {
				cv__buf_puts(&b, "<br>prolongée au ");
				cv__html_escape(&b, r->extended_due);
				cv__buf_puts(&b, " : ");
				cv__html_escape(&b, r->extension_reason ? r->extension_reason : "");
			}
			if (late)
				cv__buf_puts(&b, "<br><strong>en retard</strong>");
			cv__buf_puts(&b, "</td><td>");
			for (size_t i = 0; i < r->nsubjects; i++) {
				cv__html_escape(&b, r->subjects[i].ref);
				cv__buf_puts(&b, " / ");
				cv__html_escape(&b, r->subjects[i].person);
				cv__buf_puts(&b, "<br>");
			}
			cv__buf_puts(&b, "</td><td>");
			if (r->identity_at[0]) {
				cv__html_escape(&b, r->identity_method);
				cv__buf_puts(&b, "<br>");
				cv__html_escape(&b, r->identity_by);
				cv__buf_puts(&b, ", ");
				cv__html_escape(&b, r->identity_at);
			} else {
				cv__buf_puts(&b, "non");
			}
			cv__buf_puts(&b, "</td><td>");
			cv__html_escape(&b, fr_decision(r->proposal));
			cv__buf_puts(&b, "<br><span class=\"muted\">");
			cv__html_escape(&b, r->proposal_ground);
			cv__buf_puts(&b, "</span></td><td>");
			cv__html_escape(&b, fr_decision(r->decision));
			if (r->ground[0]) {
				cv__buf_puts(&b, "<br>");
				cv__html_escape(&b, r->ground);
			}
			cv__buf_puts(&b, "</td><td>");
			cv__html_escape(&b, r->decided_by[0] ? r->decided_by : "—");
			cv__buf_puts(&b, "<br>");
			cv__html_escape(&b, r->decided_at);
			cv__buf_puts(&b, "</td><td>");
			if (!strcmp(r->state, "fulfilled")) {
				cv__html_escape(&b, r->fulfilled_at);
				cv__buf_puts(&b, " (");
				cv__html_escape(&b, r->fulfilled_by);
				cv__buf_puts(&b, ")<br>");
				cv__html_escape(&b, r->outcome);
				if (r->certificate)
					cv__buf_puts(&b, "<br>certificat d'effacement au registre");
			} else {
				cv__buf_puts(&b, "en cours");
			}
			cv__buf_puts(&b, "</td></tr>\n");
		}
		cv__buf_puts(&b, "</tbody>\n</table>\n");
		for (size_t k = 0; k < n; k++) {
			if (!list[k].certificate)
				continue;
			cv__buf_puts(&b, "<h2>Certificat d'effacement — demande ");
			cv__html_escape(&b, list[k].id);
			cv__buf_puts(&b, "</h2>\n<pre>");
			cv__html_escape(&b, list[k].certificate);
			cv__buf_puts(&b, "</pre>\n");
		}
		cv__html_end(&b);
	}
	if (!rc)
		rc = cv__write_file_atomic(out_path, b.data, b.len, 0600);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "request.register", "", "ok");
	cv__buf_wipe_dispose(&b);
	cv_request_list_free(list, n);
	return rc;
}
