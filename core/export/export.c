/* The communication copy (CRPA L. 311-6): every document of a case, third
 * parties hidden, the requester's own data kept, as a BagIt bag in a zip,
 * with a French index a person can open offline. Text documents (.txt, .md,
 * valid UTF-8) are redacted; other formats cannot be redacted automatically
 * and are listed for manual review instead of being copied or silently
 * dropped. Each export is journaled (who, for whom, which case and documents,
 * the hash of the zip) and recorded with its consultation note (encrypted). */
#include "export/redaction.h"
#include "export/export_internal.h"
#include "records/blocks.h"
#include "records/cases.h"
#include "records/docs.h"
#include "export/bag.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/vocab.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/html.h"
#include "util/text.h"
#include "util/wipe.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static int is_text_doc(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".md") || !strcasecmp(dot, ".text"));
}

static int collect(const void *data, size_t len, void *payload)
{
	return cv__buf_put(payload, data, len);
}

typedef struct doc_out {
	const cv_doc_info *d;
	char *title;       /* redacted title */
	int copied;        /* redacted and in the bag */
	unsigned spans, review;
	char bag_path[1100];
} doc_out;

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
static const char *fr_kind(const char *k)
{
	static const char *const map[][2] = { { "person", "personne" }, { "name", "nom" }, { "phone", "téléphone" },
		{ "email", "courriel" }, { "nir", "NIR" }, { "iban", "IBAN" }, { "address", "adresse" },
		{ "birthdate", "date de naissance" } };
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(map[i][0], k))
			return map[i][1];
	return "autre";
}

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

static int review_html(cv_buf *b, const char *ref, const char *title, const char *orig, size_t olen, const char *red,
	const cv_span *sp, size_t n)
{
	CV_TRY(cv__buf_puts(b, "<h2>"));
	CV_TRY(cv__html_escape(b, title));
	CV_TRY(cv__buf_puts(b, "</h2>\n"));
	size_t nrev = 0;
	for (size_t i = 0; i < n; i++)
		nrev += sp[i].review;
	if (nrev) {
		CV_TRY(cv__buf_printf(b, "<div class=\"warn\"><strong>%zu mention%s à vérifier</strong><ul>\n", nrev, nrev > 1 ? "s" : ""));
		for (size_t i = 0; i < n; i++) {
			if (!sp[i].review)
				continue;
			char *frag = strndup(orig + sp[i].start, sp[i].end - sp[i].start);
			CV_TRY(cv__buf_puts(b, "<li>« "));
			CV_TRY(cv__html_escape(b, frag ? frag : ""));
			CV_TRY(cv__buf_printf(b, " » — %s, %s</li>\n", sp[i].kept ? "conservé (peut désigner le demandeur)" : "masqué",
				fr_kind(sp[i].kind)));
			if (frag) {
				cv__wipe(frag, strlen(frag));
				free(frag);
			}
		}
		CV_TRY(cv__buf_puts(b, "</ul></div>\n"));
	}
	CV_TRY(cv__buf_puts(b, "<div class=\"sbs\"><pre class=\"orig\">"));
	size_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		char *pre = strndup(orig + prev, sp[i].start - prev), *mid = strndup(orig + sp[i].start, sp[i].end - sp[i].start);
		CV_TRY(cv__html_escape(b, pre ? pre : ""));
		CV_TRY(cv__buf_printf(b, "<mark class=\"%s\" title=\"%s → ", sp[i].kept ? "kept" : sp[i].review ? "review" : "red",
			fr_kind(sp[i].kind)));
		CV_TRY(cv__html_escape(b, sp[i].replacement));
		CV_TRY(cv__buf_puts(b, "\">"));
		CV_TRY(cv__html_escape(b, mid ? mid : ""));
		CV_TRY(cv__buf_puts(b, "</mark>"));
		prev = sp[i].end;
		free(pre);
		free(mid);
	}
	char *rest = strndup(orig + prev, olen - prev);
	CV_TRY(cv__html_escape(b, rest ? rest : ""));
	free(rest);
	CV_TRY(cv__buf_puts(b, "</pre><pre class=\"red\">"));
	CV_TRY(cv__html_escape(b, red));
	CV_TRY(cv__buf_puts(b, "</pre></div>\n"));
	(void)ref;
	return 0;
}

static json_t *view_json(const cv_case_info *ci, const cv_person *persons, size_t np, const char *requester,
	cv_redaction *r, doc_out *docs, size_t nd, json_t *measures)
{
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
			if (cv_redaction_apply(r, name, strlen(name), &lab, &ll, &sp, &ns) == 0 && ns && sp[0].replacement[0] == '[')
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
	return json_pack("{s:s,s:{s:s,s:s,s:s,s:o},s:o,s:O,s:o}", "format", "casevault-communication-copy", "case", "ref",
		ci->ref, "category", ci->category, "opened", ci->opened, "closed", ci->closed[0] ? json_string(ci->closed) : json_null(),
		"persons", ps, "measures", measures ? measures : json_array(), "documents", ds);
}


/* One case of a copy, as it was redacted. */
typedef struct case_out {
	cv_case_info ci;
	char prefix[140];          /* "" or "<ref>/" in a copy spanning cases */
	cv_doc_info *docs;
	size_t nd;
	doc_out *outs;
	unsigned spans;
	json_t *view;
	char *req_name;            /* the requester's name, for the index */
	int req_female;            /* the index speaks to them: « seule ou accompagnée » */
} case_out;

static int index_html(cv_buf *b, case_out *cs, size_t nc, const char *purpose, unsigned total_spans)
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
	for (size_t c = 0; c < nc; c++) {
		const cv_case_info *ci = &cs[c].ci;
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
		for (size_t i = 0; i < cs[c].nd; i++) {
			doc_out *d = &cs[c].outs[i];
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
		for (size_t i = 0; i < cs[c].nd; i++)
			manual += !cs[c].outs[i].copied;
		if (manual) {
			CV_TRY(cv__buf_puts(b, "<h3>Documents qui vous seront remis séparément</h3>\n<p>Ces documents ne sont pas "
					       "au format texte : le service doit les relire lui-même pour masquer ce qui concerne "
					       "d'autres personnes avant de vous les communiquer. Ils font bien partie de votre "
					       "dossier.</p>\n<ul>\n"));
			for (size_t i = 0; i < cs[c].nd; i++) {
				doc_out *d = &cs[c].outs[i];
				if (d->copied)
					continue;
				char fd[32];
				fr_date(fd, d->d->date);
				CV_TRY(cv__buf_puts(b, "<li>"));
				CV_TRY(cv__html_escape(b, d->title));
				if (d->d->date[0])
					CV_TRY(cv__buf_printf(b, " (%s)", fd));
				CV_TRY(cv__buf_puts(b, " — à examiner par le service</li>\n"));
			}
			CV_TRY(cv__buf_puts(b, "</ul>\n"));
		}
	}
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
static int processing_html(cv_buf *b)
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


/* Redact one case into the bag. */
static int export_case(cv_archive *a, cv_bag *bag, case_out *co, const cv_export_target *tg, const cv_export_options *o,
	cv_buf *review, cv_buf *doclist, cv_export_result *res)
{
	cv_case_key k;
	cv_redaction *r = NULL;
	cv_buf plain = CV_BUF_INIT;
	json_t *measures = NULL;
	int rc = cv__case_key_load(a, tg->case_id, &k);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ESTATE, "export: case %s was anonymised or destroyed; nothing can be communicated", co->ci.ref);
	CV_TRY(rc);
	rc = cv__redaction_open(&r, a, tg->case_id, &k, tg->person);
	if (!rc)
		rc = cv__docs_load(a, tg->case_id, &k, 0, &co->docs, &co->nd);
	if (!rc)
		rc = cv__case_measures_json(a, tg->case_id, &k, &measures);
	if (!rc && !(co->outs = calloc(co->nd ? co->nd : 1, sizeof *co->outs)))
		rc = cv__oom();
	if (!rc && review) {
		cv__buf_puts(review, "<h2 class=\"case\">Dossier ");
		cv__html_escape(review, co->ci.ref);
		cv__buf_printf(review, " — copie pour %s</h2>\n", tg->person);
	}
	for (size_t i = 0; !rc && i < co->nd; i++) {
		doc_out *d = &co->outs[i];
		cv_doc_info *doc = &co->docs[i];
		d->d = doc;
		cv__buf_printf(doclist, "%s%s/%s", doclist->len ? "," : "", tg->case_id, doc->id);
		/* Titles and file names may name someone too. */
		size_t tl = 0;
		if ((rc = cv_redaction_apply(r, doc->title, strlen(doc->title), &d->title, &tl, NULL, NULL)))
			break;
		snprintf(d->bag_path, sizeof d->bag_path, "%s%s", co->prefix, doc->path);
		char *base = strrchr(d->bag_path, '/') ? strrchr(d->bag_path, '/') + 1 : d->bag_path, *words = strdup(base);
		char *dot = words ? strrchr(words, '.') : NULL;
		if (dot)
			*dot = '\0';
		for (char *w = words; w && *w; w++)
			if (*w == '-' || *w == '_' || *w == '.')
				*w = ' ';
		char *rw = NULL;
		size_t rwl = 0, nn = 0;
		cv_span *nsp = NULL;
		if (words && (rc = cv_redaction_apply(r, words, strlen(words), &rw, &rwl, &nsp, &nn)) == 0) {
			int named = 0;
			for (size_t j = 0; j < nn; j++)
				named |= !nsp[j].kept;
			if (named) {
				char ext[32] = "";
				if (strrchr(base, '.'))
					snprintf(ext, sizeof ext, "%s", strrchr(base, '.'));
				snprintf(base, sizeof d->bag_path - (size_t)(base - d->bag_path), "%s-document%s", doc->id, ext);
			}
		}
		free(words);
		free(rw);
		cv_redaction_spans_free(nsp);
		if (rc)
			break;
		if (!is_text_doc(doc->path)) {
			res->manual++;
			continue;
		}
		cv__buf_clear(&plain);
		if ((rc = cv__doc_stream(a, tg->case_id, &k, doc->id, 0, collect, &plain)))
			break;
		if (!cv__utf8_valid((const char *)plain.data, plain.len)) {
			res->manual++; /* not UTF-8 text: a person must look at it */
			cv__wipe(plain.data, plain.len);
			continue;
		}
		char *red = NULL;
		size_t rl = 0, ns = 0;
		cv_span *sp = NULL;
		if ((rc = cv_redaction_apply(r, (const char *)plain.data, plain.len, &red, &rl, &sp, &ns)))
			break;
		for (size_t j = 0; j < ns; j++) {
			d->spans += !sp[j].kept;
			d->review += sp[j].review;
		}
		rc = cv__bag_add(bag, d->bag_path, red, rl);
		if (!rc && review)
			rc = review_html(review, co->ci.ref, d->title, (const char *)plain.data, plain.len, red, sp, ns);
		d->copied = !rc;
		res->documents += d->copied;
		res->spans += d->spans;
		co->spans += d->spans;
		res->review += d->review;
		cv__wipe(red, rl);
		free(red);
		cv_redaction_spans_free(sp);
		cv__wipe(plain.data, plain.len);
	}
	for (size_t i = 0; !rc && r && i < r->npersons; i++) {
		const cv_person *p = &r->persons[i];
		if (strcmp(p->id, tg->person))
			continue;
		cv_buf nb = CV_BUF_INIT;
		for (size_t j = 0; j < p->nfirst; j++)
			cv__buf_printf(&nb, "%s ", p->first[j]);
		cv__buf_puts(&nb, p->last ? p->last : "");
		co->req_name = cv__buf_detach(&nb);
		co->req_female = p->sex && !strcmp(p->sex, "F");
	}
	if (!rc)
		co->view = view_json(&co->ci, r->persons, r->npersons, tg->person, r, co->outs, co->nd, measures);
	json_decref(measures);
	cv__buf_wipe_dispose(&plain);
	cv__redaction_close(r);
	cv__case_key_wipe(&k);
	return rc;
}

int cv__export_bag(cv_export_result *res, cv_archive *a, const cv_export_target *tg, size_t n, const cv_export_options *o,
	const char *root, const char *record_ref)
{
	cv_bag *bag = NULL;
	cv_buf page = CV_BUF_INIT, review = CV_BUF_INIT, doclist = CV_BUF_INIT;
	memset(res, 0, sizeof *res);
	case_out *cs = calloc(n ? n : 1, sizeof *cs);
	if (!cs)
		return cv__oom();
	int rc = 0;
	for (size_t c = 0; !rc && c < n; c++) {
		rc = cv_case_get(&cs[c].ci, a, tg[c].case_id);
		if (!rc && n > 1)
			snprintf(cs[c].prefix, sizeof cs[c].prefix, "%s/", cs[c].ci.ref);
	}
	if (!rc)
		rc = cv__bag_open(&bag, o->out_path, root, o->password);
	if (!rc && o->review_path) {
		rc = cv__html_begin(&review, "Relecture avant communication",
			".sbs{display:flex;gap:1em}.sbs pre{flex:1;white-space:pre-wrap;border:1px solid #999;padding:.5em;"
			"font-size:9pt}mark.red{background:#f7c6c6}mark.review{background:#ffd966;outline:2px solid #c90}"
			"mark.kept{background:#c6e5f7;outline:2px dashed #069}");
		if (!rc)
			rc = cv__buf_puts(&review, "<h1>Relecture avant communication</h1>\n<p class=\"warn\">Document de travail "
						   "contenant des données personnelles de tiers : ne pas le remettre au demandeur ; "
						   "le détruire après usage.</p>\n<p>À gauche l'original (rouge : masqué ; jaune : à "
						   "vérifier ; bleu : conservé car pouvant désigner le demandeur), à droite la copie. "
						   "Chaque mention à vérifier dit ce qui a été reconnu : personne (un tiers inscrit au "
						   "registre du dossier), nom (un nom absent du registre), téléphone, courriel, NIR, "
						   "IBAN, adresse ou date de naissance.</p>\n");
	}
	for (size_t c = 0; !rc && c < n; c++)
		rc = export_case(a, bag, &cs[c], &tg[c], o, o->review_path ? &review : NULL, &doclist, res);
	if (!rc)
		rc = index_html(&page, cs, n, o->purpose, res->spans);
	if (!rc)
		rc = cv__bag_add(bag, "index.html", page.data, page.len);
	if (!rc && o->purpose && !strcmp(o->purpose, "gdpr")) {
		cv__buf_clear(&page);
		rc = processing_html(&page);
		if (!rc)
			rc = cv__bag_add(bag, "traitement.html", page.data, page.len);
	}
	if (!rc) {
		json_t *v;
		if (n == 1) {
			v = json_incref(cs[0].view);
		} else {
			v = json_pack("{s:s,s:[]}", "format", "casevault-communication-copy", "cases");
			for (size_t c = 0; c < n; c++)
				json_array_append(json_object_get(v, "cases"), cs[c].view);
		}
		char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
		json_decref(v);
		rc = s ? cv__bag_add(bag, "dossier.json", s, strlen(s)) : cv__oom();
		if (s) {
			cv__wipe(s, strlen(s));
			free(s);
		}
	}
	char info[600];
	snprintf(info, sizeof info,
		"Source-Organization: Département — Aide sociale à l'enfance\nExternal-Identifier: %s\n"
		"External-Description: %s, tiers occultés\nBag-Group-Identifier: casevault %s\n",
		record_ref, o->purpose && !strcmp(o->purpose, "gdpr") ? "Réponse à une demande d'accès (RGPD art. 15)"
		: "Copie de communication (CRPA L. 311-6)", a->id);
	if (!rc) {
		rc = cv__bag_finish(bag, info, res->zip_sha256, &res->bytes);
		bag = NULL;
	}
	if (!rc && o->review_path) {
		cv__html_end(&review);
		rc = cv__write_file_new(o->review_path, review.data, review.len, 0600);
		if (rc)
			unlink(o->out_path);
	}
	/* The record of the copy: journaled, and kept with its note. */
	if (!rc) {
		unsigned char rnd[8];
		char now[32];
		cv__now_iso(now);
		cv_buf cases = CV_BUF_INIT, reqs = CV_BUF_INIT;
		for (size_t c = 0; c < n; c++) {
			cv__buf_printf(&cases, "%s%s", c ? "," : "", tg[c].case_id);
			cv__buf_printf(&reqs, "%s%s", c ? "," : "", tg[c].person);
		}
		cv__buf_cstr(&cases);
		cv__buf_cstr(&reqs);
		cv__buf_cstr(&doclist);
		/* Random, not derived from the copy: two copies of the same case for
		 * the same person in the same second are two records. */
		rc = cv__random(rnd, sizeof rnd);
		if (!rc)
			cv__hex(res->id, rnd, sizeof rnd);
		cv_buf note = CV_BUF_INIT;
		char ad[96];
		snprintf(ad, sizeof ad, "casevault/v1|%s|export-note", res->id);
		if (!rc && o->note && *o->note)
			rc = cv__box_seal(&note, a->k_afields, ad, o->note, strlen(o->note));
		cv_txn t;
		if (!rc)
			rc = cv__txn_begin(&t, a, "export");
		if (!rc) {
			sqlite3_stmt *st = NULL;
			rc = cv__txn_sql_begin(&t);
			if (!rc)
				rc = cv__catalog_prepare(a->cat, &st,
					"INSERT INTO exports(id,cases,requester,actor,created,purpose,documents,zip_sha256,note) VALUES(?,?,?,?,?,?,?,?,?)");
			if (!rc) {
				cv__bind_text(st, 1, res->id);
				cv__bind_text(st, 2, (char *)cases.data);
				cv__bind_text(st, 3, (char *)reqs.data);
				cv__bind_text(st, 4, a->actor);
				cv__bind_text(st, 5, now);
				cv__bind_text(st, 6, o->purpose ? o->purpose : "maft");
				cv__bind_text(st, 7, (char *)doclist.data);
				cv__bind_text(st, 8, res->zip_sha256);
				cv__bind_blob(st, 9, note.len ? note.data : NULL, note.len);
				if (sqlite3_step(st) != SQLITE_DONE)
					rc = cv__catalog_fail(a->cat, "record export");
				sqlite3_finalize(st);
			}
			cv_buf obj = CV_BUF_INIT;
			cv__buf_printf(&obj, "export:%s %s%s case:%s for:%s docs:%s zip_sha256:%s%s%s", res->id, record_ref[0] ? "ref:" : "",
				record_ref, (char *)cases.data, (char *)reqs.data, (char *)doclist.data, res->zip_sha256,
				o->note ? " note" : "", o->review_path ? " review" : "");
			cv__buf_cstr(&obj);
			if (!rc)
				rc = cv__txn_journal(&t, "case.export", (char *)obj.data, "ok");
			cv__buf_dispose(&obj);
			if (!rc)
				rc = cv__txn_commit(&t);
			cv__txn_abort(&t);
		}
		cv__buf_dispose(&note);
		cv__buf_dispose(&cases);
		cv__buf_dispose(&reqs);
		if (rc) {
			unlink(o->out_path);
			if (o->review_path)
				unlink(o->review_path);
		}
	}
	cv__bag_abort(bag);
	cv__buf_dispose(&page);
	cv__buf_wipe_dispose(&review);
	cv__buf_dispose(&doclist);
	for (size_t c = 0; c < n; c++) {
		for (size_t i = 0; cs[c].outs && i < cs[c].nd; i++)
			free(cs[c].outs[i].title);
		free(cs[c].outs);
		cv_doc_list_free(cs[c].docs, cs[c].nd);
		json_decref(cs[c].view);
		if (cs[c].req_name) {
			cv__wipe(cs[c].req_name, strlen(cs[c].req_name));
			free(cs[c].req_name);
		}
	}
	free(cs);
	return rc;
}

CV_EXTERN(int) cv_export_create(cv_export_result *res, cv_archive *a, const char *case_ref, const cv_export_options *o)
{
	char id[40], detail[96];
	memset(res, 0, sizeof *res);
	if (!o || o->version != CV_EXPORT_OPTIONS_VERSION)
		return cv__err(CV_EINVAL, "export: unsupported options version");
	if (!o->requester || !*o->requester)
		return cv__err(CV_EINVAL, "export: --for PERSON is required (the person id in the case, e.g. p1)");
	if (!o->out_path)
		return cv__err(CV_EINVAL, "export: --out FILE.zip is required");
	snprintf(detail, sizeof detail, "for:%.40s", o->requester);
	CV_TRY(cv__case_gate(a, "case.export", case_ref, id, detail));
	CV_TRY(cv__export_allowed(a, id, o->requester));
	cv_case_info ci;
	CV_TRY(cv_case_get(&ci, a, id));
	cv_export_target tg;
	memset(&tg, 0, sizeof tg);
	snprintf(tg.case_id, sizeof tg.case_id, "%s", id);
	snprintf(tg.person, sizeof tg.person, "%s", o->requester);
	char root[200];
	snprintf(root, sizeof root, "copie-%s", ci.ref);
	return cv__export_bag(res, a, &tg, 1, o, root, ci.ref);
}
