/* Page documents in the copy: the words are read once (and kept for the
 * copy pass after a review), the document's bytes are decrypted again for
 * its pixels rather than kept, and the PDF rebuilt from them is the only
 * form of the document that enters the bag. */
#include "export/pagedocs.h"
#include "records/docs.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int collect(const void *data, size_t len, void *payload)
{
	return cv__buf_put(payload, data, len);
}

/* What the index tells the requester about a document the service must
 * review itself: the parser's refusal, or the sandbox's reason. */
static const char *why_fr(const cv_pagedoc *pd, int rc)
{
	if (rc == CV_EUNSUPPORTED)
		return "la lecture automatique de ce format n'est pas disponible sur ce poste";
	switch (pd->ecode) {
	case CV_DP_EUNSUPPORTED: return "document protégé ou d'un format non pris en charge";
	case CV_DP_ELIMIT: return "document trop volumineux pour une lecture automatique";
	case CV_DP_EMALFORMED: return "fichier endommagé ou illisible";
	default: return "le document n'a pas pu être lu automatiquement";
	}
}

int cv__export_pagedoc_read(cv_archive *a, const char *case_id, const cv_case_key *k, cv_export_doc *d)
{
	if (d->pd)
		return 1;
	if (d->manual_why)
		return 0;
	cv_buf raw = CV_BUF_INIT;
	CV_TRY(cv__doc_stream(a, case_id, k, d->d->id, 0, collect, &raw));
	cv_pagedoc_kind kind = cv__pagedoc_kind(raw.data, raw.len, d->d->path);
	int rc = 0;
	if (kind == CV_PAGEDOC_NONE) {
		d->manual_why = "format que le service doit relire lui-même";
	} else if (!(d->pd = calloc(1, sizeof *d->pd))) {
		rc = cv__oom();
	} else if ((rc = cv__pagedoc_read(d->pd, raw.data, raw.len, kind)) == 0) {
		rc = 1;
	} else if (rc != CV_ENOMEM) { /* this document fails, the copy goes on */
		d->manual_why = why_fr(d->pd, rc);
		snprintf(d->read_error, sizeof d->read_error, "%s", cv_error_last()->message);
		cv__export_pagedoc_free(d);
		rc = 0;
	}
	cv__buf_wipe_dispose(&raw);
	return rc;
}

void cv__export_pagedoc_free(cv_export_doc *d)
{
	cv__pagedoc_dispose(d->pd);
	free(d->pd);
	d->pd = NULL;
}

/* The hidden spans' byte ranges, in order, and their labels, for the
 * boxes (the labels point into the spans). */
static int hidden_ranges(const cv_span *sp, size_t n, size_t **out, const char ***labels, size_t *nr)
{
	*nr = 0;
	*out = malloc(2 * (n ? n : 1) * sizeof **out);
	*labels = malloc((n ? n : 1) * sizeof **labels);
	if (!*out || !*labels) {
		free(*out);
		free(*labels);
		*out = NULL;
		*labels = NULL;
		return cv__oom();
	}
	for (size_t i = 0; i < n; i++) {
		if (sp[i].kept)
			continue;
		(*out)[2 * *nr] = sp[i].start;
		(*out)[2 * *nr + 1] = sp[i].end;
		(*labels)[(*nr)++] = sp[i].replacement;
	}
	return 0;
}

/* "rapport.docx" is copied as "rapport.docx.pdf": two originals never
 * share a name in the copy, and the original's format stays visible. */
static void pdf_name(char *path, size_t n)
{
	size_t l = strlen(path);
	if (l < 4 || strcasecmp(path + l - 4, ".pdf"))
		snprintf(path + l, n - l, ".pdf");
}

int cv__export_pagedoc_copy(cv_archive *a, const char *case_id, const cv_case_key *k, cv_export_doc *d, cv_bag *bag,
	const cv_span *sp, size_t n, cv_buf *review)
{
	cv_buf raw = CV_BUF_INIT, pdf = CV_BUF_INIT;
	size_t *ranges = NULL, nr = 0, nb = 0;
	const char **labels = NULL;
	cv_page_box *boxes = NULL;
	int rc = cv__doc_stream(a, case_id, k, d->d->id, 0, collect, &raw);
	if (!rc)
		rc = hidden_ranges(sp, n, &ranges, &labels, &nr);
	if (!rc)
		rc = cv__pagedoc_boxes(d->pd, ranges, labels, nr, &boxes, &nb);
	if (!rc && (rc = cv__pagedoc_render(d->pd, raw.data, raw.len, boxes, nb, d->title, collect, &pdf,
		review ? cv__export_review_page_img : NULL, review)) != 0 && rc != CV_ENOMEM) {
		/* unreadable the second time: this document fails alone */
		d->manual_why = why_fr(d->pd, rc);
		snprintf(d->read_error, sizeof d->read_error, "%s", cv_error_last()->message);
		rc = 1;
	}
	if (!rc) {
		pdf_name(d->bag_path, sizeof d->bag_path);
		rc = cv__bag_add(bag, d->bag_path, pdf.data, pdf.len);
		d->pages = (unsigned)d->pd->npages;
		d->copied = !rc;
	}
	rc = rc == 1 ? 0 : rc;
	free(ranges);
	free(labels);
	free(boxes);
	cv__buf_wipe_dispose(&raw);
	cv__buf_wipe_dispose(&pdf);
	return rc;
}

CV_EXTERN(int) cv_document_is_paged(const void *data, size_t len, const char *name)
{
	return cv__pagedoc_kind(data, len, name) != CV_PAGEDOC_NONE;
}

/* The session's boxes in the caller's form. */
static int boxes_out(cv_redacted_doc *res, const cv_pagedoc *pd, const cv_page_box *b, size_t nb)
{
	if (!(res->boxes = calloc(nb ? nb : 1, sizeof *res->boxes)))
		return cv__oom();
	for (size_t i = 0; i < nb; i++)
		res->boxes[i] = (cv_doc_box){ b[i].span, b[i].page, b[i].x0, b[i].y0, b[i].x1, b[i].y1, pd->pages[b[i].page].dpi };
	res->nboxes = nb;
	return 0;
}

/* Box i hides range i of the hidden spans: say which span that is. */
static void boxes_to_spans(cv_redacted_doc *res)
{
	size_t *idx = malloc((res->nspans ? res->nspans : 1) * sizeof *idx), n = 0;
	if (!idx)
		return;
	for (size_t i = 0; i < res->nspans; i++)
		if (!res->spans[i].kept)
			idx[n++] = i;
	for (size_t i = 0; i < res->nboxes; i++)
		res->boxes[i].span = res->boxes[i].span < n ? idx[res->boxes[i].span] : res->boxes[i].span;
	free(idx);
}

CV_EXTERN(int) cv_redaction_apply_document(cv_redacted_doc *res, cv_redaction *r, const void *data, size_t len,
	const char *name, cv_write_cb out, void *payload)
{
	CV_TRY(cv__result_begin(res, sizeof *res, CV_REDACTED_DOC_VERSION, "redact"));
	cv_pagedoc_kind kind = cv__pagedoc_kind(data, len, name);
	if (kind == CV_PAGEDOC_NONE)
		return cv__err(CV_EINVAL, "not a PDF, an image (PNG, JPEG, TIFF) or an office document (DOCX, ODT)");
	cv_pagedoc pd;
	size_t *ranges = NULL, nr = 0, nb = 0;
	const char **labels = NULL;
	cv_page_box *boxes = NULL;
	int rc = cv__pagedoc_read(&pd, data, len, kind);
	if (!rc)
		rc = cv_redaction_apply(r, (const char *)pd.text.data, pd.text.len, &res->text, &res->text_len, &res->spans,
			&res->nspans);
	if (!rc)
		rc = hidden_ranges(res->spans, res->nspans, &ranges, &labels, &nr);
	if (!rc)
		rc = cv__pagedoc_boxes(&pd, ranges, labels, nr, &boxes, &nb);
	if (!rc)
		rc = cv__pagedoc_render(&pd, data, len, boxes, nb, NULL, out, payload, NULL, NULL);
	if (!rc && !(rc = boxes_out(res, &pd, boxes, nb))) {
		res->pages = (unsigned)pd.npages;
		boxes_to_spans(res);
	}
	free(ranges);
	free(labels);
	free(boxes);
	cv__pagedoc_dispose(&pd);
	if (rc)
		cv_redacted_doc_dispose(res);
	return rc;
}

CV_EXTERN(void) cv_redacted_doc_dispose(cv_redacted_doc *res)
{
	if (!res)
		return;
	if (res->text)
		cv__wipe_free(res->text, res->text_len);
	cv_redaction_spans_free(res->spans);
	free(res->boxes);
	res->text = NULL;
	res->spans = NULL;
	res->boxes = NULL;
	res->text_len = res->nspans = res->nboxes = 0;
	res->pages = 0;
}
