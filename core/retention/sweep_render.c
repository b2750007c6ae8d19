/* The elimination slip (bordereau d'élimination, Code du patrimoine
 * R. 212-14) of a plan and the destruction certificate of a run, as printable
 * French HTML, CSV or JSON. Only refs, categories, dates, rules and volumes:
 * nothing personal. */
#include "util/json.h"
#include "retention/sweep_internal.h"
#include "records/cases.h"
#include "util/date.h"
#include "util/vocab.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/html.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fr_action(const char *a)
{
	if (!a)
		return "—";
	if (!strcmp(a, "archive"))
		return "Archivage";
	if (!strcmp(a, "anonymise"))
		return "Anonymisation";
	if (!strcmp(a, "destroy"))
		return "Destruction";
	return "Conservation";
}

static const char *fr_category(const char *c)
{
	const cv_term *t = cv__term(cv__categories, c);
	return t ? t->label : c ? c : "—";
}

/* Dates on the slip and the certificate as a director reads them: « 30 juin
 * 2026 »; instants in Paris time. A missing date is a dash. */
static const char *fr_day(char out[32], const char *iso)
{
	if (!iso || !*iso)
		return "—";
	cv__date_fr(out, iso);
	return out;
}

static const char *fr_instant(char out[48], const char *iso)
{
	if (!iso || !*iso)
		return "—";
	cv__datetime_fr(out, iso);
	return out;
}

static const char *fr_request_type(const char *t)
{
	static const char *const map[][2] = { { "access", "accès" }, { "rectification", "rectification" },
		{ "erasure", "effacement" }, { "restriction", "limitation" }, { "portability", "portabilité" },
		{ "objection", "opposition" } };
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(map[i][0], t))
			return map[i][1];
	return t;
}

/* Why a case is blocked. The plan records the reason as the sweep wrote it
 * (it is part of the signed plan, so it is not rewritten); the slip says it
 * in French. */
static void fr_blocked(char *out, size_t n, const char *why)
{
	char a[64] = "", t[32] = "", day[32];
	if (!why || !*why)
		snprintf(out, n, "%s", "");
	else if (sscanf(why, "legal hold since %63s", a) == 1)
		snprintf(out, n, "gel juridique depuis le %s", fr_day(day, a));
	else if (!strncmp(why, "restriction of processing", 25))
		snprintf(out, n, "limitation du traitement (RGPD art. 18)");
	else if (sscanf(why, "open rights request %63s (%31[a-z])", a, t) == 2)
		snprintf(out, n, "demande d'exercice des droits %s en cours (%s)", a, fr_request_type(t));
	else
		snprintf(out, n, "bloqué (%s)", why);
}

static int row(cv_buf *b, const char *const *cells, size_t n, const char *tag)
{
	CV_TRY(cv__buf_puts(b, "<tr>"));
	for (size_t i = 0; i < n; i++) {
		CV_TRY(cv__buf_printf(b, "<%s>", tag));
		CV_TRY(cv__html_escape(b, cells[i]));
		CV_TRY(cv__buf_printf(b, "</%s>", tag));
	}
	return cv__buf_puts(b, "</tr>\n");
}

static int meta(cv_buf *b, const char *k, const char *v)
{
	const char *c[2] = { k, v && *v ? v : "—" };
	return row(b, c, 2, "td");
}

static int write_out(const char *path, cv_buf *b)
{
	return cv__write_file_atomic(path, b->data, b->len, 0644);
}

static int slip_html(cv_archive *a, const cv_sweep_plan *p, cv_buf *b)
{
	char title[128];
	snprintf(title, sizeof title, "Bordereau d'élimination — plan %s", p->id);
	/* Nine columns with long French dates: words are not cut in the middle
	 * (« Anonymisation »), the table is a little smaller instead. */
	CV_TRY(cv__html_begin(b, title, ".nowrap3{font-size:9.5pt}.nowrap3 td{overflow-wrap:break-word}"));
	CV_TRY(cv__buf_puts(b, "<h1>Bordereau d'élimination</h1>\n<p class=\"muted\">Archives de l'Aide sociale à l'enfance — "
			       "proposition d'élimination soumise au visa de l'autorité de contrôle scientifique et technique "
			       "(Code du patrimoine, art. R. 212-14). Aucune élimination n'a lieu avant ce visa.</p>\n"));
	CV_TRY(cv__buf_puts(b, "<table class=\"meta\">\n"));
	CV_TRY(meta(b, "Archive", a->id));
	CV_TRY(meta(b, "Plan", p->id));
	CV_TRY(meta(b, "Empreinte SHA-256 du plan", p->sha256));
	char d1[32], d2[32], d3[32], t1[48], t2[48];
	CV_TRY(meta(b, "Date d'effet", fr_day(d1, p->as_of)));
	char pol[256];
	snprintf(pol, sizeof pol, "%s (SHA-256 %.16s…)", p->policy, p->policy_sha256);
	CV_TRY(meta(b, "Politique de conservation", pol));
	char by[160];
	snprintf(by, sizeof by, "%s, le %s", p->planner, fr_instant(t1, p->planned));
	CV_TRY(meta(b, "Établi par", by));
	CV_TRY(meta(b, "État", !strcmp(p->state, "planned") ? "en attente de visa" : !strcmp(p->state, "approved") ? "visé"
		: !strcmp(p->state, "running") ? "en cours d'exécution" : "exécuté"));
	CV_TRY(cv__buf_puts(b, "</table>\n<h2>Récapitulatif</h2>\n<table>\n"));
	const char *h[] = { "Action", "Dossiers", "dont bloqués", "Volume" };
	CV_TRY(row(b, h, 4, "th"));
	static const char *const acts[] = { "archive", "anonymise", "destroy", "keep" };
	for (int k = 0; k < 4; k++) {
		size_t n = 0, nb = 0;
		uint64_t vol = 0;
		for (size_t i = 0; i < p->nitems; i++)
			if (!strcmp(p->items[i].action, acts[k])) {
				n++;
				nb += p->items[i].blocked[0] != '\0';
				vol += p->items[i].bytes;
			}
		char sn[32], sb[32], sv[32];
		snprintf(sn, sizeof sn, "%zu", n);
		snprintf(sb, sizeof sb, "%zu", nb);
		cv__human_bytes(sv, vol);
		const char *c[] = { fr_action(acts[k]), sn, sb, sv };
		CV_TRY(row(b, c, 4, "td"));
	}
	CV_TRY(cv__buf_puts(b, "</table>\n<h2>Détail des dossiers</h2>\n<table class=\"nowrap3\">\n<thead>"));
	const char *hd[] = { "Réf. dossier", "Catégorie", "Ouverture", "Clôture", "Règle", "Échéance", "Volume", "Action",
		"Blocage" };
	CV_TRY(row(b, hd, 9, "th"));
	CV_TRY(cv__buf_puts(b, "</thead>\n<tbody>\n"));
	for (size_t i = 0; i < p->nitems; i++) {
		const cv_sweep_item *x = &p->items[i];
		char vol[64], hv[32], why[256];
		cv__human_bytes(hv, x->bytes);
		snprintf(vol, sizeof vol, "%u document%s, %s", x->documents, x->documents > 1 ? "s" : "", hv);
		fr_blocked(why, sizeof why, x->blocked);
		const char *c[] = { x->ref, fr_category(x->category), fr_day(d1, x->opened),
			x->closed[0] ? fr_day(d2, x->closed) : "en cours", x->rule, fr_day(d3, x->due), vol, fr_action(x->action),
			why };
		CV_TRY(row(b, c, 9, "td"));
	}
	CV_TRY(cv__buf_puts(b, "</tbody>\n</table>\n<h2>Règles appliquées</h2>\n<table>\n"));
	const char *rh[] = { "Règle", "Fondement" };
	CV_TRY(row(b, rh, 2, "th"));
	for (size_t i = 0; i < p->nitems; i++) {
		size_t j = 0;
		while (j < i && strcmp(p->items[j].rule, p->items[i].rule))
			j++;
		if (j < i)
			continue; /* each rule once */
		const char *c[] = { p->items[i].rule, p->items[i].source };
		CV_TRY(row(b, c, 2, "td"));
	}
	CV_TRY(cv__buf_puts(b, "</table>\n<h2>Visas</h2>\n<div class=\"sign\">\n<div><strong>Le service producteur"
			       "</strong><br>Établi par : "));
	CV_TRY(cv__html_escape(b, p->planner));
	CV_TRY(cv__buf_puts(b, "<br>Date : "));
	CV_TRY(cv__html_escape(b, fr_instant(t1, p->planned)));
	CV_TRY(cv__buf_puts(b, "<br>Signature :</div>\n<div><strong>Le directeur des archives (visa)</strong><br>Approuvé par : "));
	CV_TRY(cv__html_escape(b, p->approver[0] ? p->approver : "…………………………"));
	CV_TRY(cv__buf_puts(b, "<br>Date : "));
	CV_TRY(cv__html_escape(b, p->approved[0] ? fr_instant(t2, p->approved) : "…………………………"));
	CV_TRY(cv__buf_puts(b, "<br>Signature :</div>\n</div>\n<p class=\"muted\">Les dossiers bloqués (gel juridique, "
			       "limitation du traitement, demande de droits en cours) ne seront pas traités. Ce bordereau ne "
			       "contient aucune donnée personnelle : références, catégories, dates et volumes seulement.</p>\n"));
	return cv__html_end(b);
}

static const char *fr_result(const char *r)
{
	return !r || !*r ? "" : !strcmp(r, "blocked") ? "bloqué, non traité" : !strcmp(r, "done") ? "effectué" : r;
}

/* For a spreadsheet: French headers and words; dates stay ISO so that they
 * sort, and ids stay as they are. Programs read `sweep show --json`. */
static int slip_csv(const cv_sweep_plan *p, cv_buf *b)
{
	const char *h[] = { "Plan", "Empreinte SHA-256 du plan", "Date d'effet", "Réf. dossier", "Identifiant du dossier",
		"Catégorie", "Ouverture", "Clôture", "Règle", "Fondement", "Échéance", "Documents", "Octets", "Action",
		"Blocage", "Résultat" };
	for (size_t i = 0; i < 16; i++)
		CV_TRY(cv__csv_field(b, h[i], i == 15));
	for (size_t i = 0; i < p->nitems; i++) {
		const cv_sweep_item *x = &p->items[i];
		char nd[16], nb[24], why[256];
		snprintf(nd, sizeof nd, "%u", x->documents);
		snprintf(nb, sizeof nb, "%llu", (unsigned long long)x->bytes);
		fr_blocked(why, sizeof why, x->blocked);
		const char *c[] = { p->id, p->sha256, p->as_of, x->ref, x->case_id, fr_category(x->category), x->opened,
			x->closed, x->rule, x->source, x->due, nd, nb, fr_action(x->action), why, fr_result(x->result) };
		for (size_t k = 0; k < 16; k++)
			CV_TRY(cv__csv_field(b, c[k], k == 15));
	}
	return 0;
}

CV_EXTERN(int) cv_sweep_slip(cv_archive *a, const char *plan_id, cv_format fmt, const char *out_path)
{
	cv_sweep_plan *p = NULL;
	CV_TRY(cv__access_check(a, "sweep.slip", plan_id));
	CV_TRY(cv_sweep_plan_get(&p, a, plan_id));
	cv_buf b = CV_BUF_INIT;
	int rc;
	if (fmt == CV_FORMAT_HTML) {
		rc = slip_html(a, p, &b);
	} else if (fmt == CV_FORMAT_CSV) {
		rc = slip_csv(p, &b);
	} else {
		char *doc = NULL;
		size_t n = 0;
		rc = cv_sweep_plan_document(&doc, &n, a, p->id);
		if (!rc)
			rc = cv__buf_put(&b, doc, n);
		free(doc);
	}
	if (!rc)
		rc = write_out(out_path, &b);
	char obj[160];
	snprintf(obj, sizeof obj, "plan:%s", p->id);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "sweep.slip", obj, "ok");
	cv__buf_dispose(&b);
	cv_sweep_plan_free(p);
	return rc;
}

/* ------------------------------------------------------------------ */

#define KEYS_OUT_WARNING "the key of a case listed under keys_exported was handed out (key case) before the " \
	"shredding: whoever holds that copy can still open the case's history; the shredding does not reach it"

int cv__sweep_certify(cv_archive *a, cv_sweep_plan *p, char cert_id[20])
{
	sqlite3_stmt *st = NULL;
	cert_id[0] = '\0';
	/* Only when nothing remains. */
	for (size_t i = 0; i < p->nitems; i++)
		if (strcmp(p->items[i].action, "keep") && !p->items[i].result[0])
			return 0;
	/* what the certificate says is read before its transaction: watched from here */
	cv_alloc_watch watch;
	cv__alloc_watch_start(&watch);
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT id FROM certificates WHERE plan_id=?"));
	cv__bind_text(st, 1, p->id);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		cv__col_text(st, 0, cert_id, 20);
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cv__catalog_fail(a->cat, "read the plan's certificate");
	if (cert_id[0])
		return 0;
	json_t *cases = json_array();
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT i.case_id, i.action, i.result, i.key_id, i.done_at, c.ref, c.category FROM plan_items i"
		" JOIN cases c ON c.id=i.case_id WHERE i.plan_id=? AND i.action!='keep' ORDER BY c.ref"));
	cv__bind_text(st, 1, p->id);
	size_t n[4] = { 0, 0, 0, 0 }, nexported = 0;
	int rc = 0;
	while (!rc && (step = cv__catalog_step(a->cat, st, "read the plan's items")) == 1) {
		const char *act = (const char *)sqlite3_column_text(st, 1), *res = (const char *)sqlite3_column_text(st, 2);
		json_t *exported = cv__key_exports(a, (const char *)sqlite3_column_text(st, 0));
		if (!exported) {
			rc = cv_error_last()->code ? cv_error_last()->code : cv__oom();
			break;
		}
		nexported += json_array_size(exported);
		json_array_append_new(cases, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:o}", "case", sqlite3_column_text(st, 0),
			"ref", sqlite3_column_text(st, 5), "category", sqlite3_column_text(st, 6), "action", act, "result",
			res ? res : "", "key_id", sqlite3_column_text(st, 3) ? json_string((const char *)sqlite3_column_text(st, 3))
			: json_null(), "date", sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "",
			"keys_exported", exported));
		if (res && !strcmp(res, "blocked"))
			n[0]++;
		else if (!strcmp(act, "archive"))
			n[1]++;
		else if (!strcmp(act, "anonymise"))
			n[2]++;
		else
			n[3]++;
	}
	sqlite3_finalize(st);
	if (!rc && step < 0)
		rc = step;
	if (rc) {
		json_decref(cases);
		return rc;
	}
	/* Mirrors keep catalog snapshots that hold these keys (wrapped) until
	 * the epoch sealing them is destroyed: the certificate says when. A
	 * date that could not be read for want of memory fails the certificate
	 * rather than store "unknown" in it. */
	char gone[11], gone_why[256] = "";
	int mr = cv_mirror_keys_gone_by(gone, a);
	if (mr == CV_ENOMEM) {
		json_decref(cases);
		return mr;
	}
	if (mr && mr != CV_ENOTFOUND)
		snprintf(gone_why, sizeof gone_why, "%s", cv_error_last()->message);
	cv_error_clear();
	cv_txn t;
	rc = cv__txn_begin(&t, a, "sweep certificate");
	if (rc) {
		json_decref(cases);
		return rc;
	}
	t.watch = watch;
	rc = cv__txn_sql_begin(&t);
	uint64_t seq = 0;
	unsigned char head[32];
	char hhex[65], now[32];
	cv__now_iso(now);
	if (!rc)
		rc = cv__journal_head(a->cat, &seq, head);
	cv__hex(hhex, head, 32);
	json_t *doc = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:I,s:s},s:{s:I,s:I,s:I,s:I},s:o}", "format",
		"casevault-destruction-certificate", "version", 1, "archive", a->id, "plan", p->id, "plan_sha256", p->sha256,
		"as_of", p->as_of, "policy", p->policy, "approved_by", p->approver, "run_by", a->actor, "date", now,
		"journal_head", "seq", (json_int_t)seq, "sha256", hhex, "totals", "blocked", (json_int_t)n[0], "archived",
		(json_int_t)n[1], "anonymised", (json_int_t)n[2], "destroyed", (json_int_t)n[3], "cases", cases);
	if (doc && nexported)
		json_object_set_new(doc, "warning", json_string(KEYS_OUT_WARNING));
	if (doc)
		json_object_set_new(doc, "offsite_copies", mr == 0 ? json_pack("{s:s}", "keys_gone_by", gone)
			: mr == CV_ENOTFOUND ? json_pack("{s:b}", "mirrors", 0)
			: json_pack("{s:s}", "unknown", gone_why));
	char *body = doc ? cv__json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!rc && !body)
		rc = cv__oom();
	char sha[65];
	if (!rc) {
		unsigned char h[32];
		rc = cv__sha256(h, body, strlen(body));
		cv__hex(sha, h, 32);
		snprintf(cert_id, 20, "%.16s", sha);
	}
	if (!rc) {
		rc = cv__catalog_prepare(a->cat, &st,
			"INSERT INTO certificates(id,plan_id,created,actor,body,sha256) VALUES(?,?,?,?,?,?)");
	}
	if (!rc) {
		cv__bind_text(st, 1, cert_id);
		cv__bind_text(st, 2, p->id);
		cv__bind_text(st, 3, now);
		cv__bind_text(st, 4, a->actor);
		cv__bind_blob(st, 5, body, strlen(body));
		cv__bind_text(st, 6, sha);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "store certificate");
		sqlite3_finalize(st);
	}
	if (!rc)
		rc = cv__catalog_prepare(a->cat, &st, "UPDATE plans SET state='done' WHERE id=?");
	if (!rc) {
		cv__bind_text(st, 1, p->id);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "close plan");
		sqlite3_finalize(st);
	}
	char obj[200];
	snprintf(obj, sizeof obj, "certificate:%s plan:%s sha256:%s", cert_id, p->id, sha);
	if (!rc)
		rc = cv__txn_journal(&t, "sweep.certificate", obj, "ok");
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	free(body);
	if (!rc)
		snprintf(p->state, sizeof p->state, "done");
	return rc;
}

static int cert_html(json_t *d, cv_buf *b)
{
	char title[96];
	const char *plan = json_string_value(json_object_get(d, "plan"));
	snprintf(title, sizeof title, "Certificat de destruction — plan %s", plan);
	CV_TRY(cv__html_begin(b, title, NULL));
	CV_TRY(cv__buf_puts(b, "<h1>Certificat de destruction et d'anonymisation</h1>\n<p class=\"muted\">Exécution d'un "
			       "plan de conservation visé (Code du patrimoine, art. R. 212-14). Les clés des dossiers anonymisés ou "
			       "détruits ont été détruites : aucune version antérieure de ces dossiers ne peut plus être lue.</p>\n"
			       "<table class=\"meta\">\n"));
	static const char *const keys[][2] = { { "archive", "Archive" }, { "plan", "Plan" }, { "plan_sha256", "Empreinte du plan" },
		{ "as_of", "Date d'effet" }, { "policy", "Politique" }, { "approved_by", "Visé par" }, { "run_by", "Exécuté par" },
		{ "date", "Date d'exécution" } };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const char *v = json_string_value(json_object_get(d, keys[i][0]));
		char day[32], when[48];
		if (!strcmp(keys[i][0], "as_of"))
			v = fr_day(day, v);
		else if (!strcmp(keys[i][0], "date"))
			v = fr_instant(when, v);
		CV_TRY(meta(b, keys[i][1], v));
	}
	json_t *jh = json_object_get(d, "journal_head");
	char head[128];
	snprintf(head, sizeof head, "entrée %lld, SHA-256 %s", (long long)json_integer_value(json_object_get(jh, "seq")),
		json_string_value(json_object_get(jh, "sha256")));
	CV_TRY(meta(b, "Tête du journal", head));
	CV_TRY(cv__buf_puts(b, "</table>\n<h2>Dossiers traités</h2>\n<table>\n<thead>"));
	const char *h[] = { "Réf. dossier", "Catégorie", "Action", "Résultat", "Clé détruite (identifiant)", "Date" };
	CV_TRY(row(b, h, 6, "th"));
	CV_TRY(cv__buf_puts(b, "</thead>\n<tbody>\n"));
	json_t *cases = json_object_get(d, "cases");
	for (size_t i = 0; i < json_array_size(cases); i++) {
		json_t *c = json_array_get(cases, i);
		const char *res = json_string_value(json_object_get(c, "result"));
		const char *kid = json_string_value(json_object_get(c, "key_id"));
		char when[48];
		const char *cells[] = { json_string_value(json_object_get(c, "ref")),
			fr_category(json_string_value(json_object_get(c, "category"))),
			fr_action(json_string_value(json_object_get(c, "action"))), res && !strcmp(res, "blocked") ? "bloqué, non traité"
			: "effectué", kid ? kid : "—", fr_instant(when, json_string_value(json_object_get(c, "date"))) };
		CV_TRY(row(b, cells, 6, "td"));
	}
	CV_TRY(cv__buf_puts(b, "</tbody>\n</table>\n<p>Bilan : "));
	/* Each count agrees with its noun and participle: « 1 dossier anonymisé »,
	 * « 2 dossiers bloqués, non traités ». */
	static const char *const tot[][3] = { { "archived", "archivé", "archivés" }, { "anonymised", "anonymisé", "anonymisés" },
		{ "destroyed", "détruit", "détruits" }, { "blocked", "bloqué, non traité", "bloqués, non traités" } };
	json_t *jt = json_object_get(d, "totals");
	int said = 0;
	for (size_t i = 0; i < sizeof tot / sizeof *tot; i++) {
		json_int_t n = json_integer_value(json_object_get(jt, tot[i][0]));
		if (n > 0)
			CV_TRY(cv__buf_printf(b, "%s%lld dossier%s %s", said++ ? " ; " : "", (long long)n, n > 1 ? "s" : "",
				tot[i][n > 1 ? 2 : 1]));
	}
	CV_TRY(cv__buf_puts(b, said ? ".</p>\n" : "aucun dossier traité.</p>\n"));
	json_t *off = json_object_get(d, "offsite_copies");
	const char *gone = json_string_value(json_object_get(off, "keys_gone_by"));
	char gday[32];
	if (gone)
		CV_TRY(cv__buf_printf(b, "<p>Copies hors site : les clés détruites figurent encore, chiffrées, dans les "
			"instantanés du catalogue envoyés aux miroirs ; elles y deviennent illisibles au plus tard le %s, quand "
			"la clé d'époque qui scelle ces instantanés est détruite (fenêtre de conservation des sauvegardes).</p>\n",
			fr_day(gday, gone)));
	else if (json_object_get(off, "mirrors"))
		CV_TRY(cv__buf_puts(b, "<p>Copies hors site : l'archive n'a pas de miroir.</p>\n"));
	CV_TRY(cv__buf_puts(b, "<div class=\"sign\"><div><strong>Le responsable de l'exécution</strong>"
			       "<br>Signature :</div><div><strong>Le directeur des archives</strong><br>Signature :</div></div>\n"));
	return cv__html_end(b);
}

CV_EXTERN(int) cv_sweep_certificate(cv_archive *a, const char *id, cv_format fmt, const char *out_path)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__access_check(a, "sweep.certificate", id));
	if (!id || strlen(id) < 4)
		return cv__err(CV_EINVAL, "give a plan or certificate id");
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT body FROM certificates WHERE id LIKE ?1 || '%' OR plan_id LIKE ?1 || '%' LIMIT 1"));
	cv__bind_text(st, 1, id);
	int step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		int rc = step == SQLITE_DONE ? cv__err(CV_ENOTFOUND, "no destruction certificate for '%s' (it is written when "
			"a run completes)", id) : cv__catalog_fail(a->cat, "read the certificate");
		sqlite3_finalize(st);
		return rc;
	}
	json_t *d = NULL;
	int rc = cv__json_parse(&d, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), 0, "the certificate");
	cv_buf b = CV_BUF_INIT;
	if (!rc && fmt == CV_FORMAT_JSON)
		rc = cv__buf_put(&b, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	if (rc == CV_EDAMAGED)
		cv__err_prefix("certificate %s", id);
	if (!rc && fmt == CV_FORMAT_HTML)
		rc = cert_html(d, &b);
	if (!rc && fmt == CV_FORMAT_CSV) {
		const char *h[] = { "Plan", "Réf. dossier", "Catégorie", "Action", "Résultat", "Clé détruite (identifiant)",
			"Date (UTC)" };
		for (int i = 0; i < 7; i++)
			cv__csv_field(&b, h[i], i == 6);
		json_t *cases = json_object_get(d, "cases");
		for (size_t i = 0; i < json_array_size(cases); i++) {
			json_t *c = json_array_get(cases, i);
			const char *res = json_string_value(json_object_get(c, "result"));
			const char *v[] = { json_string_value(json_object_get(d, "plan")),
				json_string_value(json_object_get(c, "ref")), fr_category(json_string_value(json_object_get(c, "category"))),
				fr_action(json_string_value(json_object_get(c, "action"))), res && !strcmp(res, "blocked")
				? "bloqué, non traité" : "effectué", json_string_value(json_object_get(c, "key_id")),
				json_string_value(json_object_get(c, "date")) };
			for (int j = 0; j < 7; j++)
				cv__csv_field(&b, v[j], j == 6);
		}
	}
	if (!rc)
		rc = write_out(out_path, &b);
	json_decref(d);
	cv__buf_dispose(&b);
	return rc;
}
