/* The officer's review page (export --review FILE.html): a working paper in
 * French, for the officer only (mode 0600), that names the requester, says
 * what the redaction policy communicates, lists every hidden, kept or
 * flagged mention with its reason and the person it was attributed to (by
 * role and number, never by name), shows the original and the copy side by
 * side, and ends each case with the legend of its numbers. */
#include "export/export_internal.h"
#include "export/review.h"
#include "pages/pdfout.h"
#include "util/html.h"
#include "util/wipe.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cv__export_review_begin(cv_buf *b)
{
	CV_TRY(cv__html_begin(b, "Relecture avant communication",
		".sbs{display:flex;gap:1em}.sbs pre{flex:1;white-space:pre-wrap;border:1px solid #999;padding:.5em;"
		"font-size:9pt}mark.red{background:#f7c6c6}mark.review{background:#ffd966;outline:2px solid #c90}"
		"mark.kept{background:#c6e5f7;outline:2px dashed #069}table.m{border-collapse:collapse;margin:.5em 0}"
		"table.m td,table.m th{border:1px solid #999;padding:.15em .4em;font-size:9pt;vertical-align:top}"
		".pg{display:flex;gap:1em;margin:.5em 0}.pg figure{flex:1;margin:0}.pg img{width:100%;border:1px solid #999}"
		"@media print{.sbs{display:block}.pg{break-inside:avoid}}"));
	return cv__buf_puts(b, "<h1>Relecture avant communication</h1>\n<p class=\"warn\">Document de travail "
				"contenant des données personnelles de tiers : ne pas le remettre au demandeur ; "
				"le détruire après usage.</p>\n<p>Pour chaque document : la liste des mentions masquées, "
				"conservées ou à vérifier, avec le motif et la personne à laquelle chacune a été "
				"attribuée ; puis, à gauche l'original (rouge : masqué ; jaune : à vérifier ; bleu : "
				"conservé), à droite la copie. Les numéros « tiers N » sont expliqués dans la légende "
				"en fin de dossier. Pour corriger : <code>casevault export … --review-out FICHIER.json</code>, "
				"puis <code>--decisions FICHIER.json</code>.</p>\n");
}

int cv__export_review_case(cv_buf *b, const char *ref, const char *name, const char *person, const cv_redpolicy *pol)
{
	CV_TRY(cv__buf_puts(b, "<h2 class=\"case\">Dossier "));
	CV_TRY(cv__html_escape(b, ref));
	CV_TRY(cv__buf_puts(b, " — copie pour "));
	CV_TRY(cv__html_escape(b, name && *name ? name : person));
	CV_TRY(cv__buf_printf(b, " (%s, le demandeur)</h2>\n<p>", person));
	if (pol) {
		cv_buf d = CV_BUF_INIT;
		int rc = cv__redpolicy_describe(pol, &d);
		if (!rc)
			rc = cv__buf_cstr(&d);
		if (!rc)
			rc = cv__html_escape(b, (const char *)d.data);
		cv__buf_dispose(&d);
		CV_TRY(rc);
	}
	return cv__buf_puts(b, "</p>\n");
}

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

static const char *state_label(const cv_span *sp)
{
	if (sp->kept == CV_KEPT_AGENT)
		return "communiqué";
	if (sp->kept)
		return sp->review ? "conservé — à vérifier" : "conservé";
	return sp->review ? "masqué — à vérifier" : "masqué";
}

/* Who the mention was attributed to: role and number, never the name. */
static int attributed(cv_buf *b, const cv_redaction *r, const cv_span *sp)
{
	if (!sp->person[0] && strcmp(sp->kind, "name"))
		return cv__buf_puts(b, "non attribuée");
	CV_TRY(cv__html_escape(b, cv__review_role_label(r, sp->person)));
	if (sp->person[0])
		CV_TRY(cv__buf_printf(b, " (%s)", sp->person));
	if (!sp->kept && !strncmp(sp->replacement, "[tiers ", 7)) {
		CV_TRY(cv__buf_puts(b, " → "));
		CV_TRY(cv__html_escape(b, sp->replacement));
	}
	return 0;
}

static int mention_table(cv_buf *b, const cv_redaction *r, const char *orig, const cv_span *sp, size_t n)
{
	size_t nrev = 0;
	for (size_t i = 0; i < n; i++)
		nrev += sp[i].review;
	if (nrev)
		CV_TRY(cv__buf_printf(b, "<p class=\"warn\"><strong>%zu mention%s à vérifier</strong></p>\n", nrev, nrev > 1 ? "s" : ""));
	if (!n)
		return cv__buf_puts(b, "<p>Aucune mention masquée ni à vérifier.</p>\n");
	CV_TRY(cv__buf_puts(b, "<table class=\"m\"><tr><th>Mention</th><th>Nature</th><th>Proposition</th><th>Motif</th>"
				"<th>Attribuée à</th></tr>\n"));
	for (size_t i = 0; i < n; i++) {
		char *frag = strndup(orig + sp[i].start, sp[i].end - sp[i].start);
		CV_TRY(cv__buf_puts(b, "<tr><td>« "));
		CV_TRY(cv__html_escape(b, frag ? frag : ""));
		if (frag) {
			cv__wipe(frag, strlen(frag));
			free(frag);
		}
		CV_TRY(cv__buf_printf(b, " »</td><td>%s</td><td>%s</td><td>", fr_kind(sp[i].kind), state_label(&sp[i])));
		CV_TRY(cv__html_escape(b, cv__review_reason(&sp[i])));
		CV_TRY(cv__buf_puts(b, "</td><td>"));
		CV_TRY(attributed(b, r, &sp[i]));
		CV_TRY(cv__buf_puts(b, "</td></tr>\n"));
	}
	return cv__buf_puts(b, "</table>\n");
}

static int side_by_side(cv_buf *b, const char *orig, size_t olen, const char *red, const cv_span *sp, size_t n)
{
	CV_TRY(cv__buf_puts(b, "<div class=\"sbs\"><pre class=\"orig\">"));
	size_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		char *pre = strndup(orig + prev, sp[i].start - prev), *mid = strndup(orig + sp[i].start, sp[i].end - sp[i].start);
		int rc = cv__html_escape(b, pre ? pre : "");
		if (!rc)
			rc = cv__buf_printf(b, "<mark class=\"%s\" title=\"%s → ", sp[i].kept ? "kept" : sp[i].review ? "review" : "red",
				fr_kind(sp[i].kind));
		if (!rc)
			rc = cv__html_escape(b, sp[i].kept ? "en clair" : sp[i].replacement);
		if (!rc)
			rc = cv__buf_puts(b, "\">");
		if (!rc)
			rc = cv__html_escape(b, mid ? mid : "");
		if (!rc)
			rc = cv__buf_puts(b, "</mark>");
		prev = sp[i].end;
		if (pre)
			cv__wipe(pre, strlen(pre));
		if (mid)
			cv__wipe(mid, strlen(mid));
		free(pre);
		free(mid);
		CV_TRY(rc);
	}
	char *rest = strndup(orig + prev, olen - prev);
	int rc = cv__html_escape(b, rest ? rest : "");
	if (rest)
		cv__wipe(rest, strlen(rest));
	free(rest);
	CV_TRY(rc);
	CV_TRY(cv__buf_puts(b, "</pre><pre class=\"red\">"));
	CV_TRY(cv__html_escape(b, red));
	return cv__buf_puts(b, "</pre></div>\n");
}

int cv__export_review_doc(cv_buf *b, const cv_redaction *r, const char *title, const char *orig, size_t olen,
	const char *red, const cv_span *sp, size_t n)
{
	CV_TRY(cv__buf_puts(b, "<h3>"));
	CV_TRY(cv__html_escape(b, title));
	CV_TRY(cv__buf_puts(b, "</h3>\n"));
	CV_TRY(mention_table(b, r, orig, sp, n));
	return side_by_side(b, orig, olen, red, sp, n);
}

static int by_number(const void *x, const void *y)
{
	const struct cv_export_number *a = x, *b = y;
	return a->number < b->number ? -1 : a->number > b->number;
}

int cv__export_review_legend(cv_buf *b, const cv_redaction *r, const struct cv_export_number *nums, size_t n)
{
	CV_TRY(cv__buf_puts(b, "<h3>Légende des numéros</h3>\n"));
	if (!n)
		return cv__buf_puts(b, "<p>Aucun tiers n'est masqué dans cette copie.</p>\n");
	struct cv_export_number *s = malloc(n * sizeof *s);
	if (!s)
		return cv__oom();
	memcpy(s, nums, n * sizeof *s);
	qsort(s, n, sizeof *s, by_number);
	int rc = cv__buf_puts(b, "<p>Le même numéro désigne toujours la même personne dans toute la copie.</p>\n<ul>\n");
	for (size_t i = 0; !rc && i < n; i++) {
		rc = cv__buf_printf(b, "<li>[tiers %u] : ", s[i].number);
		if (!rc)
			rc = cv__html_escape(b, cv__review_role_label(r, s[i].person));
		if (!rc && s[i].person[0])
			rc = cv__buf_printf(b, " (%s)", s[i].person);
		if (!rc)
			rc = cv__buf_puts(b, "</li>\n");
	}
	free(s);
	CV_TRY(rc);
	return cv__buf_puts(b, "</ul>\n");
}

/* A page scaled down by a whole factor (a box filter) to at most 900
 * pixels wide: enough to read the boxes, small enough for the page. */
static unsigned char *thumb(const unsigned char *px, uint32_t w, uint32_t h, unsigned ch, uint32_t *tw, uint32_t *th)
{
	uint32_t f = (w + 899) / 900;
	*tw = w / f;
	*th = h / f;
	if (!*tw || !*th)
		return NULL;
	unsigned char *t = malloc((size_t)*tw * *th * ch);
	for (uint32_t y = 0; t && y < *th; y++)
		for (uint32_t x = 0; x < *tw; x++)
			for (unsigned c = 0; c < ch; c++) {
				unsigned sum = 0;
				for (uint32_t dy = 0; dy < f; dy++)
					for (uint32_t dx = 0; dx < f; dx++)
						sum += px[(((size_t)y * f + dy) * w + (size_t)x * f + dx) * ch + c];
				t[((size_t)y * *tw + x) * ch + c] = (unsigned char)(sum / (f * f));
			}
	return t;
}

static int img(cv_buf *b, const unsigned char *px, uint32_t w, uint32_t h, unsigned ch, const char *alt)
{
	uint32_t tw = 0, th = 0;
	unsigned char *t = thumb(px, w, h, ch, &tw, &th);
	cv_buf jpg = CV_BUF_INIT;
	int rc = t ? cv__pdfout_jpeg(&jpg, t, tw, th, ch, 60) : cv__oom();
	cv__wipe_free(t, (size_t)tw * th * ch);
	char *b64 = rc ? NULL : malloc(4 * ((jpg.len + 2) / 3) + 1);
	if (b64) {
		EVP_EncodeBlock((unsigned char *)b64, jpg.data, (int)jpg.len);
		rc = cv__buf_printf(b, "<img alt=\"%s\" src=\"data:image/jpeg;base64,%s\">", alt, b64);
		cv__wipe_free(b64, strlen(b64));
	} else if (!rc) {
		rc = cv__oom();
	}
	cv__buf_wipe_dispose(&jpg);
	return rc;
}

int cv__export_review_page_img(void *u, uint32_t page, const unsigned char *orig, const unsigned char *painted,
	uint32_t w, uint32_t h, unsigned channels)
{
	cv_buf *b = u;
	CV_TRY(cv__buf_printf(b, "<div class=\"pg\"><figure>"));
	CV_TRY(img(b, orig, w, h, channels, "original"));
	CV_TRY(cv__buf_printf(b, "<figcaption>Page %u — original</figcaption></figure><figure>", page + 1));
	CV_TRY(img(b, painted, w, h, channels, "copie"));
	return cv__buf_printf(b, "<figcaption>Page %u — copie</figcaption></figure></div>\n", page + 1);
}
