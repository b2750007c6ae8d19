/* The communication copy (CRPA L. 311-6): every document of a case, third
 * parties hidden, the requester's own data kept, as a BagIt bag in a zip,
 * with the pages a person can open offline (export_pages.c). Text documents
 * (.txt, .md, valid UTF-8) are redacted as text; PDFs, scans and office
 * files are read in a sandbox and rebuilt from their pixels with opaque
 * boxes (pagedocs.c); what cannot be read is listed for manual review, with
 * the reason, instead of being copied or silently dropped. Each export is journaled (who, for whom, which case and
 * documents, the hash of the zip) and recorded with its consultation note
 * (encrypted). */
#include "util/json.h"
#include "export/redaction.h"
#include "export/export_internal.h"
#include "export/review.h"
#include "export/pagedocs.h"
#include "records/blocks.h"
#include "records/cases.h"
#include "records/docs.h"
#include "export/bag.h"
#include "crypto/fieldbox.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/html.h"
#include "util/text.h"
#include "util/wipe.h"

#include <fcntl.h>
#include <stddef.h>
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

/* File names may name someone too: one that names a third party becomes
 * "<doc id>-document.<ext>" in the bag. */
static int doc_bag_path(cv_redaction *r, const cv_export_case *co, cv_export_doc *d, const cv_doc_info *doc)
{
	snprintf(d->bag_path, sizeof d->bag_path, "%s%s", co->prefix, doc->path);
	char *base = strrchr(d->bag_path, '/') ? strrchr(d->bag_path, '/') + 1 : d->bag_path, *words = strdup(base);
	if (!words)
		return cv__oom(); /* a name left unchecked could name a third party */
	char *dot = strrchr(words, '.');
	if (dot)
		*dot = '\0';
	for (char *w = words; *w; w++)
		if (*w == '-' || *w == '_' || *w == '.')
			*w = ' ';
	char *rw = NULL;
	size_t rwl = 0, nn = 0;
	cv_span *nsp = NULL;
	int rc = 0;
	if ((rc = cv_redaction_apply(r, words, strlen(words), &rw, &rwl, &nsp, &nn)) == 0) {
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
	return rc;
}

/* The text the redaction works on: a text document's plaintext (1, in
 * `plain`), a page document's words as read in the sandbox (2, kept in
 * d->pd), or 0 for a document the service must review itself. */
static int doc_text(cv_archive *a, const cv_export_target *tg, const cv_case_key *k, cv_export_doc *d, cv_buf *plain,
	const char **text, size_t *len)
{
	if (!is_text_doc(d->d->path)) {
		int rc = cv__export_pagedoc_read(a, tg->case_id, k, d);
		if (rc == 1) {
			*text = (const char *)d->pd->text.data;
			*len = d->pd->text.len;
			return 2;
		}
		return rc;
	}
	cv__buf_clear(plain);
	CV_TRY(cv__doc_stream(a, tg->case_id, k, d->d->id, 0, collect, plain));
	if (!cv__utf8_valid((const char *)plain->data, plain->len)) {
		cv__wipe(plain->data, plain->len);
		d->manual_why = "texte dans un codage que la lecture automatique ne reconnaît pas";
		return 0;
	}
	CV_TRY(cv__buf_cstr(plain));
	*text = (const char *)plain->data;
	*len = plain->len;
	return 1;
}

/* The numbers of the copy and whom they stand for, for the legend. */
static int note_numbers(cv_export_case *co, const cv_span *sp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (sp[i].kept || strncmp(sp[i].replacement, "[tiers ", 7))
			continue;
		unsigned num = (unsigned)strtoul(sp[i].replacement + 7, NULL, 10);
		size_t j = 0;
		while (j < co->nnums && co->nums[j].number != num)
			j++;
		if (j < co->nnums)
			continue;
		CV_TRY(cv__grow((void **)&co->nums, &co->numcap, co->nnums, sizeof *co->nums));
		co->nums[co->nnums].number = num;
		snprintf(co->nums[co->nnums++].person, sizeof co->nums->person, "%s", sp[i].person);
	}
	return 0;
}

/* The spans the copy applies: the session's, or, after a review, the
 * officer's decisions on them; the text redacted under them. */
static int doc_redact(cv_redaction *r, cv_review *rv, size_t idx, const char *text, size_t len, char **red, size_t *rl,
	cv_span **sp, size_t *ns)
{
	CV_TRY(cv_redaction_apply(r, text, len, red, rl, sp, ns));
	if (!rv)
		return 0;
	cv_span *fin = NULL;
	size_t nf = 0;
	cv_buf o = CV_BUF_INIT;
	int rc = cv__review_spans(rv, idx, text, len, *sp, *ns, &fin, &nf);
	if (!rc)
		rc = cv__redaction_render(&o, text, len, fin, nf);
	cv__wipe(*red, *rl);
	free(*red);
	cv_redaction_spans_free(*sp);
	*red = NULL;
	*sp = NULL;
	if (rc) {
		free(fin);
		cv__buf_wipe_dispose(&o);
		return rc;
	}
	*rl = o.len;
	*red = cv__buf_detach(&o);
	*sp = fin;
	*ns = nf;
	return 0;
}

/* A document redacted into the bag (and onto the review page): a text
 * document as text, a page document as a PDF rebuilt from its pixels; any
 * other, or one that could not be read, is counted for a person to review.
 * `plain` is the caller's scratch buffer, wiped after each document. */
static int doc_copy(cv_archive *a, cv_bag *bag, cv_redaction *r, const cv_case_key *k, const cv_export_target *tg,
	cv_export_case *co, size_t idx, cv_buf *plain, cv_buf *review, cv_review *rv, cv_export_result *res)
{
	cv_export_doc *d = &co->outs[idx];
	const char *text = NULL;
	size_t len = 0;
	int t = doc_text(a, tg, k, d, plain, &text, &len);
	if (t <= 0) {
		res->manual += t == 0;
		return t;
	}
	char *red = NULL;
	size_t rl = 0, ns = 0;
	cv_span *sp = NULL;
	int rc = doc_redact(r, rv, idx, text, len, &red, &rl, &sp, &ns);
	if (!rc && review)
		rc = cv__export_review_doc(review, r, d->title, text, len, red, sp, ns);
	if (!rc && t == 1) {
		rc = cv__bag_add(bag, d->bag_path, red, rl);
		d->copied = !rc;
	} else if (!rc) {
		rc = cv__export_pagedoc_copy(a, tg->case_id, k, d, bag, sp, ns, review);
	}
	for (size_t j = 0; !rc && d->copied && j < ns; j++) {
		d->spans += !sp[j].kept;
		d->review += sp[j].review;
	}
	if (!rc && d->copied)
		rc = note_numbers(co, sp, ns);
	res->documents += d->copied;
	res->manual += !rc && !d->copied;
	res->spans += d->spans;
	co->spans += d->spans;
	res->review += d->review;
	cv__wipe(red, rl);
	free(red);
	cv_redaction_spans_free(sp);
	cv__wipe(plain->data, plain->len);
	cv__export_pagedoc_free(d);
	return rc;
}

/* The review pass: every mention of the case's text documents as the
 * engine proposes them, before any copy is made. */
static int review_pass(cv_archive *a, cv_redaction *r, const cv_case_key *k, const cv_export_target *tg, cv_export_case *co,
	cv_review *rv)
{
	cv_buf plain = CV_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < co->nd; i++) {
		const char *text = NULL;
		size_t len = 0;
		int t = doc_text(a, tg, k, &co->outs[i], &plain, &text, &len);
		if (t <= 0) {
			rc = t;
			continue;
		}
		char *red = NULL;
		size_t rl = 0, ns = 0;
		cv_span *sp = NULL;
		rc = cv_redaction_apply(r, text, len, &red, &rl, &sp, &ns);
		if (!rc)
			rc = cv__review_doc(rv, i, k->k_hash, text, len, sp, ns);
		if (red)
			cv__wipe(red, rl);
		free(red);
		cv_redaction_spans_free(sp);
		cv__wipe(plain.data, plain.len);
	}
	cv__buf_wipe_dispose(&plain);
	return rc;
}

/* The index speaks to the requester by name, and in the right gender. */
static void requester_name(cv_export_case *co, const cv_redaction *r, const char *person)
{
	for (size_t i = 0; r && i < r->npersons; i++) {
		const cv_person *p = &r->persons[i];
		if (strcmp(p->id, person))
			continue;
		cv_buf nb = CV_BUF_INIT;
		for (size_t j = 0; j < p->nfirst; j++)
			cv__buf_printf(&nb, "%s ", p->first[j]);
		cv__buf_puts(&nb, p->last ? p->last : "");
		co->req_name = cv__buf_detach(&nb);
		co->req_female = p->sex && !strcmp(p->sex, "F");
	}
}

static cv_review_mode review_mode(const cv_export_options *o)
{
	if (o->version < 2)
		return 0;
	return o->review_out ? CV_REVIEW_OUT : o->decisions ? CV_REVIEW_APPLY : 0;
}

/* A document's redacted title and its name in the bag (titles and file
 * names may name someone too). */
static int doc_names(cv_redaction *r, cv_export_case *co, size_t i, const cv_export_target *tg, cv_buf *doclist)
{
	cv_export_doc *d = &co->outs[i];
	size_t tl = 0;
	d->d = &co->docs[i];
	cv__buf_printf(doclist, "%s%s/%s", doclist->len ? "," : "", tg->case_id, d->d->id);
	CV_TRY(cv_redaction_apply(r, d->d->title, strlen(d->d->title), &d->title, &tl, NULL, NULL));
	return doc_bag_path(r, co, d, d->d);
}

/* Review modes: the mentions first; OUT writes them and stops, APPLY reads
 * the officer's decisions on them. */
static int review_prepare(cv_archive *a, cv_redaction *r, const cv_case_key *k, const cv_export_target *tg, cv_export_case *co,
	const cv_export_options *o, cv_review *rv, cv_export_result *res)
{
	cv_review_mode mode = review_mode(o);
	CV_TRY(cv__review_begin(rv, mode, mode == CV_REVIEW_OUT ? o->review_out : o->decisions, co, r));
	CV_TRY(review_pass(a, r, k, tg, co, rv));
	res->mentions = (unsigned)rv->nm;
	if (mode == CV_REVIEW_OUT) {
		res->to_check = rv->to_check;
		return cv__review_write(rv);
	}
	return cv__review_load(rv);
}

/* What the review leaves for the record: the corrections to journal. */
static int review_finish(cv_review *rv, cv_export_case *co, cv_export_result *res)
{
	CV_TRY(cv__review_done(rv));
	res->decided += rv->decided;
	res->corrections += rv->corrections;
	co->accepted = rv->accepted;
	CV_TRY(cv__buf_cstr(&rv->journal));
	co->corrections = cv__buf_detach(&rv->journal);
	return co->corrections ? 0 : cv__oom();
}

/* Redact one case into the bag (or, in OUT mode, into the decision file). */
static int export_case(cv_archive *a, cv_bag *bag, cv_export_case *co, const cv_export_target *tg, const cv_export_options *o,
	const cv_redpolicy *pol, cv_buf *review, cv_buf *doclist, cv_export_result *res)
{
	cv_case_key k;
	cv_redaction *r = NULL;
	cv_review rv;
	cv_buf plain = CV_BUF_INIT;
	json_t *measures = NULL;
	cv_review_mode mode = review_mode(o);
	memset(&rv, 0, sizeof rv);
	int rc = cv__case_key_load(a, tg->case_id, &k);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ESTATE, "export: case %s was anonymised or destroyed; nothing can be communicated", co->ci.ref);
	CV_TRY(rc);
	rc = cv__redaction_open(&r, a, tg->case_id, &k, tg->person);
	if (!rc)
		rc = cv__redaction_set_policy(r, pol);
	if (!rc)
		rc = cv__docs_load(a, tg->case_id, &k, 0, &co->docs, &co->nd);
	if (!rc)
		rc = cv__case_measures_json(a, tg->case_id, &k, &measures);
	if (!rc && !(co->outs = calloc(co->nd ? co->nd : 1, sizeof *co->outs)))
		rc = cv__oom();
	if (!rc)
		requester_name(co, r, tg->person);
	/* review modes name every document before the texts, in both runs alike */
	for (size_t i = 0; !rc && mode && i < co->nd; i++)
		rc = doc_names(r, co, i, tg, doclist);
	if (!rc && mode)
		rc = review_prepare(a, r, &k, tg, co, o, &rv, res);
	if (!rc && mode != CV_REVIEW_OUT) {
		if (review)
			rc = cv__export_review_case(review, co->ci.ref, co->req_name, tg->person, pol);
		for (size_t i = 0; !rc && i < co->nd; i++) {
			if (!mode)
				rc = doc_names(r, co, i, tg, doclist);
			if (!rc)
				rc = doc_copy(a, bag, r, &k, tg, co, i, &plain, review, mode ? &rv : NULL, res);
		}
		if (!rc && mode)
			rc = review_finish(&rv, co, res);
		if (!rc && review)
			rc = cv__export_review_legend(review, r, co->nums, co->nnums);
		if (!rc)
			rc = cv__export_view_json(&co->view, &co->ci, r->persons, r->npersons, tg->person, r, co->outs, co->nd,
				measures);
	}
	cv__review_free(&rv);
	json_decref(measures);
	cv__buf_wipe_dispose(&plain);
	cv__redaction_close(r);
	cv__case_key_wipe(&k);
	return rc;
}

/* The cases as they are now; in a copy spanning several, each has its own
 * folder named by its ref. */
static int cases_load(cv_export_case *cs, cv_archive *a, const cv_export_target *tg, size_t n)
{
	for (size_t c = 0; c < n; c++) {
		CV_TRY(cv_case_get(&cs[c].ci, a, tg[c].case_id));
		if (n > 1)
			snprintf(cs[c].prefix, sizeof cs[c].prefix, "%s/", cs[c].ci.ref);
	}
	return 0;
}

static void cases_free(cv_export_case *cs, size_t n)
{
	for (size_t c = 0; c < n; c++) {
		for (size_t i = 0; cs[c].outs && i < cs[c].nd; i++) {
			free(cs[c].outs[i].title);
			cv__export_pagedoc_free(&cs[c].outs[i]);
		}
		free(cs[c].outs);
		cv_doc_list_free(cs[c].docs, cs[c].nd);
		json_decref(cs[c].view);
		free(cs[c].nums);
		free(cs[c].corrections);
		if (cs[c].req_name) {
			cv__wipe(cs[c].req_name, strlen(cs[c].req_name));
			free(cs[c].req_name);
		}
	}
	free(cs);
}

/* dossier.json: one case's view, or every case's under "cases". */
static int bag_dossier(cv_bag *bag, cv_export_case *cs, size_t n)
{
	json_t *v;
	if (n == 1) {
		v = json_incref(cs[0].view);
	} else {
		v = json_pack("{s:s,s:[]}", "format", "casevault-communication-copy", "cases");
		for (size_t c = 0; c < n; c++)
			json_array_append(json_object_get(v, "cases"), cs[c].view);
	}
	char *s = v ? cv__json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(v);
	int rc = s ? cv__bag_add(bag, "dossier.json", s, strlen(s)) : cv__oom();
	if (s) {
		cv__wipe(s, strlen(s));
		free(s);
	}
	return rc;
}

/* The pages beside the documents: index.html, traitement.html for a GDPR
 * access, dossier.json. */
static int bag_pages(cv_bag *bag, cv_export_case *cs, size_t n, const cv_export_options *o, unsigned spans)
{
	cv_buf page = CV_BUF_INIT;
	int rc = cv__export_index_html(&page, cs, n, o->purpose, spans);
	if (!rc)
		rc = cv__bag_add(bag, "index.html", page.data, page.len);
	if (!rc && o->purpose && !strcmp(o->purpose, "gdpr")) {
		cv__buf_clear(&page);
		rc = cv__export_processing_html(&page);
		if (!rc)
			rc = cv__bag_add(bag, "traitement.html", page.data, page.len);
	}
	cv__buf_dispose(&page);
	if (!rc)
		rc = bag_dossier(bag, cs, n);
	return rc;
}

/* The tag files and the zip installed; the bag is gone either way. */
static int bag_close(cv_bag *bag, cv_archive *a, const cv_export_options *o, const char *record_ref,
	cv_export_result *res)
{
	char info[600];
	snprintf(info, sizeof info,
		"Source-Organization: Département — Aide sociale à l'enfance\nExternal-Identifier: %s\n"
		"External-Description: %s, tiers occultés\nBag-Group-Identifier: casevault %s\n",
		record_ref, o->purpose && !strcmp(o->purpose, "gdpr") ? "Réponse à une demande d'accès (RGPD art. 15)"
		: "Copie de communication (CRPA L. 311-6)", a->id);
	return cv__bag_finish(bag, info, res->zip_sha256, &res->bytes);
}

static int export_insert(cv_archive *a, const cv_export_options *o, const cv_export_result *res, const char *cases,
	const char *reqs, const char *docs, const cv_buf *note)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"INSERT INTO exports(id,cases,requester,actor,created,purpose,documents,zip_sha256,note) VALUES(?,?,?,?,?,?,?,?,?)"));
	cv__bind_text(st, 1, res->id);
	cv__bind_text(st, 2, cases);
	cv__bind_text(st, 3, reqs);
	cv__bind_text(st, 4, a->actor);
	cv__bind_text(st, 5, now);
	cv__bind_text(st, 6, o->purpose ? o->purpose : "maft");
	cv__bind_text(st, 7, docs);
	cv__bind_text(st, 8, res->zip_sha256);
	cv__bind_blob(st, 9, note->len ? note->data : NULL, note->len);
	int rc = sqlite3_step(st) != SQLITE_DONE ? cv__catalog_fail(a->cat, "record export") : 0;
	sqlite3_finalize(st);
	return rc;
}

/* Each correction of the review, journaled with the actor of the copy: no
 * text of a mention, only where it is, its kind, the persons' ids and what
 * was decided. */
static int journal_corrections(cv_txn *t, const char *export_id, const cv_export_target *tg, const cv_export_case *cs,
	size_t n)
{
	for (size_t c = 0; c < n; c++) {
		for (const char *line = cs[c].corrections; line && *line;) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			char obj[400];
			snprintf(obj, sizeof obj, "export:%s case:%s for:%s %.*s", export_id, tg[c].case_id, tg[c].person, (int)len, line);
			CV_TRY(cv__txn_journal(t, "case.export.correct", obj, "ok"));
			line += len + (nl != NULL);
		}
	}
	return 0;
}

/* The record of the copy: journaled, and kept with its note. Its id is
 * random, not derived from the copy: two copies of the same case for the
 * same person in the same second are two records. */
static int export_record(cv_archive *a, const cv_export_target *tg, const cv_export_case *cs, size_t n,
	const cv_export_options *o, const cv_redpolicy *pol, const char *record_ref, cv_buf *doclist, cv_export_result *res,
	cv_txn *within)
{
	unsigned char rnd[8];
	cv_buf cases = CV_BUF_INIT, reqs = CV_BUF_INIT, note = CV_BUF_INIT;
	for (size_t c = 0; c < n; c++) {
		cv__buf_printf(&cases, "%s%s", c ? "," : "", tg[c].case_id);
		cv__buf_printf(&reqs, "%s%s", c ? "," : "", tg[c].person);
	}
	cv__buf_cstr(&cases);
	cv__buf_cstr(&reqs);
	cv__buf_cstr(doclist);
	int rc = cv__random(rnd, sizeof rnd);
	if (!rc)
		cv__hex(res->id, rnd, sizeof rnd);
	char owner[64];
	snprintf(owner, sizeof owner, "export:%s", res->id);
	if (!rc && o->note && *o->note)
		rc = cv__note_seal(&note, a, owner, "export-note", o->note);
	cv_txn own, *t = within ? within : &own;
	if (!rc && (rc = cv__txn_begin(t, a, "export")))
		t->a = NULL; /* nothing live: the caller's abort is a no-op */
	if (!rc) {
		rc = cv__txn_sql_begin(t);
		if (!rc)
			rc = export_insert(a, o, res, (char *)cases.data, (char *)reqs.data, (char *)doclist->data, &note);
		cv_buf obj = CV_BUF_INIT;
		cv__buf_printf(&obj, "export:%s %s%s case:%s for:%s docs:%s zip_sha256:%s%s%s", res->id, record_ref[0] ? "ref:" : "",
			record_ref, (char *)cases.data, (char *)reqs.data, (char *)doclist->data, res->zip_sha256,
			o->note ? " note" : "", o->review_path ? " review" : "");
		/* which names the copy shows depends on the policy: a swapped file is visible here */
		cv__buf_printf(&obj, " redaction-policy:%s-v%d:%s", pol->name, pol->version, pol->sha256[0] ? pol->sha256 : "built-in");
		if (review_mode(o) == CV_REVIEW_APPLY)
			cv__buf_printf(&obj, " decisions:%u corrections:%u accepted:%u final", res->decided, res->corrections,
				cs[0].accepted);
		else
			cv__buf_printf(&obj, res->to_check ? " provisional:%u-to-check" : " final", res->to_check);
		cv__buf_cstr(&obj);
		if (!rc)
			rc = cv__txn_journal(t, "case.export", (char *)obj.data, "ok");
		if (!rc)
			rc = journal_corrections(t, res->id, tg, cs, n);
		cv__buf_dispose(&obj);
		/* within: the caller commits (or aborts) the copy with its own rows */
		if (!rc && !within)
			rc = cv__txn_commit(t);
		if (rc || !within)
			cv__txn_abort(t);
	}
	cv__buf_dispose(&note);
	cv__buf_dispose(&cases);
	cv__buf_dispose(&reqs);
	return rc;
}

/* The result's fields this caller's version has: an older caller's struct
 * is smaller. */
static int result_begin(cv_export_result *res)
{
	unsigned int v = 0;
	if (res)
		memcpy(&v, res, sizeof v);
	return cv__result_begin(res, v >= 2 ? sizeof *res : offsetof(cv_export_result, to_check), CV_EXPORT_RESULT_VERSION,
		"export");
}

/* A decision file only: the mentions of the one case, journaled as a read
 * of its personal data; nothing is communicated. */
static int export_review_out(cv_export_result *res, cv_archive *a, const cv_export_target *tg, const cv_export_options *o,
	const cv_redpolicy *pol)
{
	cv_export_case *cs = calloc(1, sizeof *cs);
	cv_buf doclist = CV_BUF_INIT;
	if (!cs)
		return cv__oom();
	int rc = cases_load(cs, a, tg, 1);
	if (!rc)
		rc = export_case(a, NULL, cs, tg, o, pol, NULL, &doclist, res);
	if (!rc) {
		char obj[300];
		snprintf(obj, sizeof obj, "case:%s for:%s mentions:%u to-check:%u", tg->case_id, tg->person, res->mentions,
			res->to_check);
		if ((rc = cv__journal_record(a->cat, a->actor, "case.export.review", obj, "ok")))
			unlink(o->review_out);
	}
	cv__buf_dispose(&doclist);
	cases_free(cs, 1);
	return rc;
}

int cv__export_bag(cv_export_result *res, cv_archive *a, const cv_export_target *tg, size_t n, const cv_export_options *o,
	const char *root, const char *record_ref, cv_txn *within)
{
	cv_bag *bag = NULL;
	cv_buf review = CV_BUF_INIT, doclist = CV_BUF_INIT;
	cv_redpolicy pol;
	CV_TRY(result_begin(res));
	if (review_mode(o) && n != 1)
		return cv__err(CV_EINVAL, "export: a review file covers one case; review each case's copy on its own");
	CV_TRY(cv__redpolicy_load(&pol, o->version >= 2 ? o->redaction_policy : NULL));
	if (review_mode(o) == CV_REVIEW_OUT) {
		int rc = export_review_out(res, a, tg, o, &pol);
		cv__redpolicy_free(&pol);
		return rc;
	}
	cv_export_case *cs = calloc(n ? n : 1, sizeof *cs);
	if (!cs) {
		cv__redpolicy_free(&pol);
		return cv__oom();
	}
	/* the copy's index and view are built before the write transaction */
	cv_alloc_watch watch;
	cv__alloc_watch_start(&watch);
	int rc = cases_load(cs, a, tg, n);
	if (!rc)
		rc = cv__bag_open(&bag, o->out_path, root, o->password);
	if (!rc && o->review_path)
		rc = cv__export_review_begin(&review);
	for (size_t c = 0; !rc && c < n; c++)
		rc = export_case(a, bag, &cs[c], &tg[c], o, &pol, o->review_path ? &review : NULL, &doclist, res);
	if (!rc && review_mode(o) != CV_REVIEW_APPLY)
		res->to_check = res->review;
	if (!rc)
		rc = bag_pages(bag, cs, n, o, res->spans);
	if (!rc)
		rc = cv__alloc_watch_check(&watch, "export");
	if (!rc) {
		rc = bag_close(bag, a, o, record_ref, res);
		bag = NULL;
	}
	if (!rc && o->review_path) {
		cv__html_end(&review);
		rc = cv__write_file_new(o->review_path, review.data, review.len, 0600);
		if (rc)
			unlink(o->out_path);
	}
	if (!rc && (rc = export_record(a, tg, cs, n, o, &pol, record_ref, &doclist, res, within))) {
		unlink(o->out_path);
		if (o->review_path)
			unlink(o->review_path);
	}
	cv__bag_abort(bag);
	cv__buf_wipe_dispose(&review);
	cv__buf_dispose(&doclist);
	cases_free(cs, n);
	cv__redpolicy_free(&pol);
	return rc;
}

CV_EXTERN(int) cv_export_create(cv_export_result *res, cv_archive *a, const char *case_ref, const cv_export_options *o)
{
	char id[40], detail[96];
	CV_TRY(result_begin(res));
	CV_TRY(cv__options_version(o, o ? o->version : 0, CV_EXPORT_OPTIONS_VERSION, "export"));
	if (!o->requester || !*o->requester)
		return cv__err(CV_EINVAL, "export: the requester is missing (the person id in the case, e.g. p1)");
	if (o->version >= 2 && o->review_out && (o->decisions || o->out_path))
		return cv__err(CV_EINVAL, "export: a review file is written instead of the copy, not with it nor from decisions");
	if (!o->out_path && !(o->version >= 2 && o->review_out))
		return cv__err(CV_EINVAL, "export: the output file is missing");
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
	return cv__export_bag(res, a, &tg, 1, o, root, ci.ref, NULL);
}
