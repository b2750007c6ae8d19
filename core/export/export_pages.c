/* The pages of a communication copy, in French for the person who reads
 * them: index.html (the cases and documents, what was hidden and why),
 * traitement.html (what the Département does with the data, for a GDPR
 * access) and dossier.json's view of each case. The officer's review page
 * is review_page.c. */
#include "export/export_internal.h"
#include "util/date.h"
#include "util/vocab.h"
#include "util/html.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fr_type(const char *t)
{
	static const char *const map[][2] = { { "report", "rapport" }, { "judgment", "jugement" }, { "note", "note" },
		{ "contract", "contrat" }, { "letter", "courrier" }, { "decision", "décision" }, { "order", "ordonnance" },
		{ "assessment", "évaluation" }, { "medical", "document médical" }, { "photo", "photographie" } };
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(map[i][0], t))
			return map[i][1];
	return t[0] ? t : "—";
}

/* "2019-05-02" -> "2 mai 2019"; a missing date is a dash. */
static void fr_date(char out[32], const char *iso)
{
	if (iso && *iso)
		cv__date_fr(out, iso);
	else
		snprintf(out, 32, "—");
}

/* The kind of a span in the officer's words (the library's kinds are API
 * names). */
static const char *fr_role(const char *r)
{
	const cv_term *t = cv__term(cv__person_roles, r);
	return t ? t->phrase : r;
}

static const char *fr_category(const char *c)
{
	const cv_term *t = cv__term(cv__categories, c);
	return t ? t->phrase : c;
}

int cv__export_view_json(json_t **out, const cv_case_info *ci, const cv_person *persons, size_t np, const char *requester,
	cv_redaction *r, cv_export_doc *docs, size_t nd, json_t *measures)
{
	*out = NULL;
	json_t *ps = json_array();
	for (size_t i = 0; i < np; i++) {
		const cv_person *p = &persons[i];
		if (!strcmp(p->id, requester)) {
			json_t *first = json_array();
			for (size_t j = 0; j < p->nfirst; j++)
				json_array_append_new(first, json_string(p->first[j]));
			json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:b}", "id", p->id, "role", p->role, "last", p->last, "first", first,
				"you", 1);
			if (p->born)
				json_object_set_new(o, "born", json_string(p->born));
			if (p->sex)
				json_object_set_new(o, "sex", json_string(p->sex));
			json_array_append_new(ps, o);
		} else {
			/* The label the copy uses for this person, as the redaction
			 * engine numbers them: redact the name itself. */
			char *lab = NULL;
			size_t ll = 0;
			cv_span *sp = NULL;
			size_t ns = 0;
			char name[512];
			snprintf(name, sizeof name, "%s %s", p->nfirst ? p->first[0] : "", p->last ? p->last : "");
			const char *label = "[tiers]";
			int ar = cv_redaction_apply(r, name, strlen(name), &lab, &ll, &sp, &ns);
			if (ar == CV_ENOMEM) {
				/* a label that falls back for want of memory would differ
				 * from the one the pages give this person */
				json_decref(ps);
				return ar;
			}
			if (ar == 0 && ns && sp[0].replacement[0] == '[')
				label = sp[0].replacement;
			json_array_append_new(ps, json_pack("{s:s,s:s}", "label", label, "role", fr_role(p->role)));
			cv_redaction_spans_free(sp);
			if (lab) {
				cv__wipe(lab, ll);
				free(lab);
			}
		}
	}
	json_t *ds = json_array();
	for (size_t i = 0; i < nd; i++)
		json_array_append_new(ds, json_pack("{s:s,s:o,s:o,s:o,s:b}", "title", docs[i].title, "date",
			docs[i].d->date[0] ? json_string(docs[i].d->date) : json_null(), "type",
			docs[i].d->type[0] ? json_string(docs[i].d->type) : json_null(), "file",
			docs[i].copied ? json_string(docs[i].bag_path) : json_null(), "manual_review", !docs[i].copied));
	/* every other failed allocation is counted by the export's jansson watch (util/json.h) */
	*out = json_pack("{s:s,s:{s:s,s:s,s:s,s:o},s:o,s:O,s:o}", "format", "casevault-communication-copy", "case", "ref",
		ci->ref, "category", ci->category, "opened", ci->opened, "closed", ci->closed[0] ? json_string(ci->closed) : json_null(),
		"persons", ps, "measures", measures ? measures : json_array(), "documents", ds);
	return *out ? 0 : cv__oom();
}

/* One case: its documents in the copy, then those a person must review
 * before they are handed over. */
static int index_case(cv_buf *b, const cv_export_case *cs)
{
	const cv_case_info *ci = &cs->ci;
	char fo[32], fc[32];
	fr_date(fo, ci->opened);
	fr_date(fc, ci->closed);
	CV_TRY(cv__buf_puts(b, "<h2>Dossier "));
	CV_TRY(cv__html_escape(b, ci->ref));
	CV_TRY(cv__buf_puts(b, "</h2>\n<p>Catégorie : "));
	CV_TRY(cv__html_escape(b, fr_category(ci->category)));
	if (ci->closed[0])
		CV_TRY(cv__buf_printf(b, ". Dossier ouvert le %s et clos le %s.</p>\n", fo, fc));
	else
		CV_TRY(cv__buf_printf(b, ". Dossier ouvert le %s, toujours en cours.</p>\n", fo));
	CV_TRY(cv__buf_puts(b, "<table>\n<thead><tr><th>Date</th><th>Document</th><th>Type</th><th>Fichier</th></tr></thead>\n<tbody>\n"));
	for (size_t i = 0; i < cs->nd; i++) {
		cv_export_doc *d = &cs->outs[i];
		if (!d->copied)
			continue;
		char fd[32];
		fr_date(fd, d->d->date);
		CV_TRY(cv__buf_puts(b, "<tr><td>"));
		CV_TRY(cv__html_escape(b, fd));
		CV_TRY(cv__buf_puts(b, "</td><td><a href=\""));
		CV_TRY(cv__html_escape(b, d->bag_path));
		CV_TRY(cv__buf_puts(b, "\">"));
		CV_TRY(cv__html_escape(b, d->title));
		CV_TRY(cv__buf_puts(b, "</a></td><td>"));
		CV_TRY(cv__html_escape(b, fr_type(d->d->type)));
		CV_TRY(cv__buf_puts(b, "</td><td>"));
		CV_TRY(cv__html_escape(b, d->bag_path));
		CV_TRY(cv__buf_puts(b, "</td></tr>\n"));
	}
	CV_TRY(cv__buf_puts(b, "</tbody>\n</table>\n"));
	int manual = 0;
	for (size_t i = 0; i < cs->nd; i++)
		manual += !cs->outs[i].copied;
	if (manual) {
		CV_TRY(cv__buf_puts(b, "<h3>Documents qui vous seront remis séparément</h3>\n<p>Ces documents n'ont pas "
				       "pu être préparés automatiquement : le service doit les relire lui-même pour masquer ce "
				       "qui concerne d'autres personnes avant de vous les communiquer. Ils font bien partie de "
				       "votre dossier.</p>\n<ul>\n"));
		for (size_t i = 0; i < cs->nd; i++) {
			cv_export_doc *d = &cs->outs[i];
			if (d->copied)
				continue;
			char fd[32];
			fr_date(fd, d->d->date);
			CV_TRY(cv__buf_puts(b, "<li>"));
			CV_TRY(cv__html_escape(b, d->title));
			if (d->d->date[0])
				CV_TRY(cv__buf_printf(b, " (%s)", fd));
			CV_TRY(cv__buf_puts(b, " — à examiner par le service"));
			if (d->manual_why) {
				CV_TRY(cv__buf_puts(b, " ("));
				CV_TRY(cv__html_escape(b, d->manual_why));
				CV_TRY(cv__buf_puts(b, ")"));
			}
			CV_TRY(cv__buf_puts(b, "</li>\n"));
		}
		CV_TRY(cv__buf_puts(b, "</ul>\n"));
	}
	return 0;
}

int cv__export_index_html(cv_buf *b, cv_export_case *cs, size_t nc, const char *purpose, unsigned total_spans)
{
	char title[200];
	snprintf(title, sizeof title, nc == 1 ? "Votre dossier %s — copie de communication" : "Vos dossiers — copie de communication",
		cs[0].ci.ref);
	CV_TRY(cv__html_begin(b, title, NULL));
	CV_TRY(cv__buf_puts(b, nc == 1 ? "<h1>Votre dossier de l'Aide sociale à l'enfance</h1>\n"
				       : "<h1>Vos dossiers de l'Aide sociale à l'enfance</h1>\n"));
	/* Dated in Paris: a copy made at 00:30 in Toulouse is of that day, not
	 * of the day before (UTC), whatever zone the server runs in. */
	char today[11], ft[32];
	cv__date_today_paris(today);
	fr_date(ft, today);
	const char *e = cs[0].req_female ? "e" : "";
	CV_TRY(cv__buf_puts(b, "<p>Cette copie a été préparée pour "));
	CV_TRY(cv__html_escape(b, cs[0].req_name ? cs[0].req_name : "vous"));
	CV_TRY(cv__buf_printf(b, " le %s.", ft));
	if (purpose && !strcmp(purpose, "gdpr"))
		CV_TRY(cv__buf_puts(b, " Elle répond à votre demande d'accès à vos données personnelles (RGPD, article 15) : "
				       "<a href=\"traitement.html\">ce que le Département fait de vos données</a>."));
	CV_TRY(cv__buf_printf(b, "</p>\n<p>Vous pouvez lire ces documents seul%s ou accompagné%s d'une personne de votre choix ou "
				 "d'un professionnel du service. N'hésitez pas à demander des explications sur les mots ou les "
				 "décisions que vous ne comprenez pas.</p>\n", e, e));
	for (size_t c = 0; c < nc; c++)
		CV_TRY(index_case(b, &cs[c]));
	CV_TRY(cv__buf_puts(b, "<h2>Ce qui a été masqué, et pourquoi</h2>\n<p>Votre dossier parle aussi d'autres "
				 "personnes : vos parents, des familles d'accueil, des professionnels, parfois la personne qui "
				 "a alerté le service, ou d'autres enfants. La loi protège leur vie privée : un document "
				 "administratif n'est communiqué qu'après avoir occulté ce qui porterait atteinte à la vie "
				 "privée d'autres personnes (Code des relations entre le public et l'administration, article "
				 "L. 311-6). Tout ce qui vous concerne vous-même a été conservé.</p>\n<ul>\n"
				 "<li><strong>[tiers 1]</strong>, <strong>[tiers 2]</strong>… remplacent le nom d'une autre "
				 "personne. Le même numéro désigne toujours la même personne dans un même dossier.</li>\n"
				 "<li><strong>[téléphone]</strong>, <strong>[adresse]</strong>, <strong>[courriel]</strong>, "
				 "<strong>[NIR]</strong> (numéro de sécurité sociale), <strong>[IBAN]</strong> et <strong>[date "
				 "de naissance]</strong> remplacent les coordonnées et identifiants d'autres personnes.</li>\n"
				 "</ul>\n"));
	/* French counts 0 and 1 in the singular, and the verb agrees. */
	if (total_spans == 0)
		CV_TRY(cv__buf_puts(b, "<p>Aucun passage n'a été masqué dans cette copie.</p>\n"));
	else if (total_spans == 1)
		CV_TRY(cv__buf_puts(b, "<p>1 passage a été masqué dans cette copie.</p>\n"));
	else
		CV_TRY(cv__buf_printf(b, "<p>%u passages ont été masqués dans cette copie.</p>\n", total_spans));
	CV_TRY(cv__buf_printf(b, "<h2>Pour toute question</h2>\n<p>Adressez-vous au service de l'Aide sociale à l'enfance du "
			       "Département (mission adoption, filiation et tutelles), qui a préparé cette copie. Si vous êtes né%s "
			       "sous le secret et cherchez vos origines, le Conseil national pour l'accès aux origines personnelles "
			       "(CNAOP) peut être saisi (Code de l'action sociale et des familles, article L. 147-2). Si vous "
			       "contestez un refus ou un masquage, vous pouvez saisir la Commission d'accès aux documents "
			       "administratifs (CADA, article L. 342-1 du Code des relations entre le public et "
			       "l'administration). Pour vos données personnelles, vous pouvez aussi contacter le délégué à la "
			       "protection des données du Département ou la CNIL.</p>\n<p class=\"muted\">Le fichier "
			       "<code>dossier.json</code> décrit le dossier sous une forme lisible par un ordinateur. Les "
			       "empreintes des fichiers (manifest-sha256.txt) permettent de vérifier que la copie est "
			       "intacte.</p>\n", e));
	return cv__html_end(b);
}

/* GDPR art. 15(1): what the controller does with the data, in plain French. */
int cv__export_processing_html(cv_buf *b)
{
	CV_TRY(cv__html_begin(b, "Le traitement de vos données", NULL));
	return cv__buf_puts(b,
		"<h1>Ce que le Département fait de vos données</h1>\n"
		"<p>Information donnée en réponse à votre demande d'accès (règlement général sur la protection des données, "
		"article 15).</p>\n"
		"<h2>Pourquoi</h2>\n<p>Le Département conserve les dossiers de l'Aide sociale à l'enfance pour protéger les "
		"enfants et accompagner leurs familles (Code de l'action sociale et des familles, articles L. 221-1 et "
		"suivants), pour garder la preuve de ce qui a été fait, et pour permettre aux personnes de consulter plus tard "
		"leur dossier et de connaître leur histoire.</p>\n"
		"<h2>Sur quelle base</h2>\n<p>Une obligation légale et une mission d'intérêt public confiées au Département "
		"(RGPD, article 6, paragraphe 1, points c et e).</p>\n"
		"<h2>Qui peut y accéder</h2>\n<p>Les agents habilités du service de l'Aide sociale à l'enfance et des archives "
		"du Département ; le juge des enfants et les autorités judiciaires lorsqu'ils le demandent ; le Conseil national "
		"pour l'accès aux origines personnelles (CNAOP) pour les naissances sous le secret ; l'observatoire "
		"départemental de la protection de l'enfance (ODPE), sous forme de statistiques anonymes seulement.</p>\n"
		"<h2>Combien de temps</h2>\n<p>Les données sont conservées tant que des mesures d'aide sont en cours, puis "
		"archivées cinq ans après la fin de la dernière mesure pour servir de preuve (Code civil, article 2224), puis "
		"anonymisées ou détruites, après visa du directeur des archives. Les dossiers de pupilles de l'État, "
		"d'adoption et de naissance sous le secret sont conservés sans limite de durée, pour l'accès aux origines.</p>\n"
		"<h2>Vos droits</h2>\n<p>Vous pouvez demander l'accès à vos données, leur rectification, la limitation de "
		"leur traitement, et vous opposer à un traitement ; l'effacement et la portabilité sont limités parce que le "
		"traitement répond à une obligation légale (RGPD, articles 17, paragraphe 3, et 20, paragraphe 3). Adressez "
		"votre demande au délégué à la protection des données du Département.</p>\n"
		"<h2>Réclamation</h2>\n<p>Si vous estimez que vos droits ne sont pas respectés, vous pouvez adresser une "
		"réclamation à la Commission nationale de l'informatique et des libertés (CNIL), 3 place de Fontenoy, "
		"TSA 80715, 75334 Paris Cedex 07, www.cnil.fr.</p>\n</body>\n</html>\n");
}
