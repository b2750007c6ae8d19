/* redact --case ID --for PERSON FILE... ; export ID --for PERSON --out FILE.zip,
 * and the review round trip: export --review-out FILE.json, then
 * export --decisions FILE.json --out FILE.zip. */
#include "cli.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_all(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "casevault: redact: cannot open %s\n", path);
		return -1;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		if (n == cap) {
			char *p = malloc(cap * 2);
			if (p)
				memcpy(p, buf, n);
			OPENSSL_cleanse(buf, n);
			free(buf);
			buf = p;
			cap *= 2;
			if (!buf)
				break;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		if (!k)
			break;
		n += k;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return -1;
	*out = buf;
	*len = n;
	return 0;
}

/* The library's error, then what to type about it. */
static int export_fail(const char *context, const char *case_ref)
{
	char show[160];
	snprintf(show, sizeof show, "see 'casevault case show %s'", case_ref ? case_ref : "ID");
	int x = cli_fail(context);
	cli_hint_if("no redaction plugin is loaded", "see 'casevault plugin list'");
	cli_hint_if("is not in case", show);
	return x;
}

static int write_out(const void *data, size_t len, void *payload)
{
	return fwrite(data, 1, len, payload) == len ? 0 : -1;
}

/* The spans of one file for --json; a page document's carry their boxes. */
static json_t *spans_json(const cv_span *sp, size_t n, const cv_redacted_doc *doc)
{
	json_t *arr = json_array();
	for (size_t k = 0; k < n; k++) {
		json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:o,s:b,s:i}", "start", (json_int_t)sp[k].start, "end",
			(json_int_t)sp[k].end, "kind", sp[k].kind, "replacement", sp[k].replacement, "person",
			cvj_str_or_null(sp[k].person), "review", sp[k].review, "kept", sp[k].kept);
		if (doc) {
			json_t *boxes = json_array(), *page = json_null();
			for (size_t b = 0; b < doc->nboxes; b++) {
				const cv_doc_box *x = &doc->boxes[b];
				if (x->span != k)
					continue;
				if (json_is_null(page))
					page = json_integer(x->page);
				json_array_append_new(boxes, json_pack("[i,i,i,i]", x->x0, x->y0, x->x1, x->y1));
			}
			json_object_set_new(o, "page", page);
			json_object_set_new(o, "boxes", boxes);
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

/* A page document: its redacted PDF to `out` (written beside it, then
 * renamed into place: never half a file, never over an existing one). */
static int redact_paged(cli *c, cv_redaction *r, const char *file, const char *text, size_t len, const char *out,
	json_t *files)
{
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "casevault: redact: %s already exists (the redacted PDF is never written over a file)\n", out);
		return EXIT_FAIL;
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", out);
	int fd = mkstemp(tmp);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
	if (!f) {
		fprintf(stderr, "casevault: redact: cannot write beside %s\n", out);
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	cv_redacted_doc doc = CV_REDACTED_DOC_INIT;
	int rc = cv_redaction_apply_document(&doc, r, text, len, file, write_out, f);
	int ok = !rc && fflush(f) == 0 && fsync(fileno(f)) == 0;
	fclose(f);
	if (ok && link(tmp, out) != 0) {
		fprintf(stderr, "casevault: redact: %s already exists or cannot be created\n", out);
		ok = 0;
		rc = 1;
	}
	unlink(tmp);
	if (rc) {
		if (rc < 0)
			cli_fail(file);
		cli_hint_if("bubblewrap", "install the bubblewrap package (Debian: apt-get install bubblewrap)");
		cv_redacted_doc_dispose(&doc);
		return EXIT_FAIL;
	}
	if (c->json)
		json_array_append_new(files, json_pack("{s:s,s:s,s:i,s:s%,s:o}", "file", file, "out", out, "pages", (int)doc.pages,
			"text", doc.text, doc.text_len, "spans", spans_json(doc.spans, doc.nspans, &doc)));
	else
		fwrite(doc.text, 1, doc.text_len, stdout);
	cv_redacted_doc_dispose(&doc);
	return EXIT_OK;
}

int cmd_redact(cli *c, int argc, char **argv)
{
	static const char *U = "casevault redact --case ID --for PERSON [--json] [--out FILE.pdf] FILE...";
	static const struct option o[] = { { "case", required_argument, NULL, 'c' }, { "for", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *case_id = NULL, *person = NULL, *out_path = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'c': case_id = optarg; break;
		case 'f': person = optarg; break;
		case 'o': out_path = optarg; break;
			CLI_COMMON_CASES(c, U, "Redacts files for a requester using the case's register: third parties become\n"
				"[tiers N], their identifiers [téléphone], [adresse]...; prints the text, or the spans with --json\n"
				"(byte offsets, kind, replacement). FILE '-' reads standard input. Journaled.\n"
				"A PDF, a scan (PNG, JPEG, TIFF) or a DOCX/ODT is read in a sandbox (OCR in French for scans) and\n"
				"rebuilt from its pixels with opaque boxes over hidden mentions: --out names that PDF (one FILE).\n"
				"It prints the text as read, redacted; with --json, each span's page and boxes too.\n")
		}
	}
	if (!case_id || !person || optind >= argc)
		return cli_usage(U, "redact needs --case, --for and at least one file");
	if (out_path && argc - optind != 1)
		return cli_usage(U, "--out names the redacted PDF of one document: give one FILE");
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e)
		return e;
	cv_redaction *r = NULL;
	if (cv_redaction_new(&r, a, case_id, person)) {
		cv_archive_free(a);
		return export_fail(NULL, case_id);
	}
	int status = EXIT_OK;
	json_t *files = json_array();
	for (int i = optind; i < argc; i++) {
		char *text = NULL, *out = NULL;
		size_t len = 0, olen = 0, n = 0;
		cv_span *sp = NULL;
		if (read_all(argv[i], &text, &len)) {
			status = EXIT_FAIL;
			continue;
		}
		if (cv_document_is_paged(text, len, argv[i])) {
			int x = out_path ? redact_paged(c, r, argv[i], text, len, out_path, files)
				: cli_usage(U, "%s is a PDF, a scan or an office document: give --out FILE.pdf for its redacted copy", argv[i]);
			status = x ? x : status;
		} else if (cv_redaction_apply(r, text, len, &out, &olen, &sp, &n)) {
			status = cli_fail(argv[i]);
		} else if (c->json) {
			json_array_append_new(files, json_pack("{s:s,s:o}", "file", argv[i], "spans", spans_json(sp, n, NULL)));
		} else {
			fwrite(out, 1, olen, stdout);
		}
		OPENSSL_cleanse(text, len);
		free(text);
		if (out) {
			OPENSSL_cleanse(out, olen);
			free(out);
		}
		cv_redaction_spans_free(sp);
	}
	cv_redaction_free(r);
	cv_archive_free(a);
	if (c->json)
		cli_json_out(files);
	else
		json_decref(files);
	return status;
}

/* What the command says once the copy or the decision file is written. */
static int export_report(cli *c, const cv_export_options *eo, const cv_export_result *r, const char *case_ref)
{
	if (eo->review_out) {
		if (c->json)
			return cli_json_out(json_pack("{s:s,s:i,s:i}", "review_out", eo->review_out, "mentions", (int)r->mentions,
				"to_check", (int)r->to_check));
		printf("wrote %s: %u mention%s, %u to check (mode 0600: third parties in clear, destroy after use)\n"
		       "decide each in \"decision\", then: casevault export %s --for %s --decisions %s --out FILE.zip\n",
			eo->review_out, r->mentions, r->mentions == 1 ? "" : "s", r->to_check, case_ref, eo->requester, eo->review_out);
		return EXIT_OK;
	}
	if (!eo->decisions && r->to_check)
		fprintf(stderr, "casevault: export: provisional copy: %u mention%s to check; review them with\n"
				"  casevault export %s --for %s --review-out FILE.json\nthen make the final copy with --decisions FILE.json\n",
			r->to_check, r->to_check == 1 ? "" : "s", case_ref, eo->requester);
	if (c->json)
		return cli_json_out(json_pack("{s:s,s:s,s:i,s:i,s:i,s:i,s:I,s:s,s:i,s:i,s:i,s:b}", "id", r->id, "out", eo->out_path,
			"documents", (int)r->documents, "manual_review", (int)r->manual, "redactions", (int)r->spans, "to_review",
			(int)r->review, "bytes", (json_int_t)r->bytes, "zip_sha256", r->zip_sha256, "to_check", (int)r->to_check,
			"decided", (int)r->decided, "corrections", (int)r->corrections, "final", r->to_check == 0));
	printf("wrote %s: %u document%s redacted (%u passage%s hidden, %u mention%s to review), %u listed for manual "
	       "review\nsha256 %s\n", eo->out_path, r->documents, r->documents == 1 ? "" : "s", r->spans, r->spans == 1 ? "" : "s",
		r->review, r->review == 1 ? "" : "s", r->manual, r->zip_sha256);
	if (eo->decisions)
		printf("final copy: %u decision%s applied, %u correction%s journaled\n", r->decided, r->decided == 1 ? "" : "s",
			r->corrections, r->corrections == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_export(cli *c, int argc, char **argv)
{
	static const char *U = "casevault export ID --for PERSON (--out FILE.zip [--decisions FILE.json] | --review-out FILE.json)\n"
			       "       [--password-file F] [--note TEXT] [--review FILE.html] [--redaction-policy FILE]";
	static const struct option o[] = { { "for", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
		{ "password-file", required_argument, NULL, 'p' }, { "note", required_argument, NULL, 'n' },
		{ "review", required_argument, NULL, 'r' }, { "review-out", required_argument, NULL, 'R' },
		{ "decisions", required_argument, NULL, 'D' }, { "redaction-policy", required_argument, NULL, 'P' }, CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 } };
	cv_export_options eo = CV_EXPORT_OPTIONS_INIT;
	const char *pw_file = NULL;
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'f': eo.requester = optarg; break;
		case 'o': eo.out_path = optarg; break;
		case 'p': pw_file = optarg; break;
		case 'n': eo.note = optarg; break;
		case 'r': eo.review_path = optarg; break;
		case 'R': eo.review_out = optarg; break;
		case 'D': eo.decisions = optarg; break;
		case 'P': eo.redaction_policy = optarg; break;
			CLI_COMMON_CASES(c, U, "Writes the communication copy of a case for a person: a BagIt bag in a zip with every\n"
				"document redacted for them, their view of the case (dossier.json) and a French index.html.\n"
				"--review-out: no copy; an editable decision file (JSON, mode 0600) listing every hidden, kept\n"
				"or flagged mention with its reason and the person it was attributed to. Write a decision for\n"
				"each (accept, unmask, mask, reassign:PERSON; same_as in the legend merges numbers; add masks a\n"
				"missed passage), then --decisions FILE.json makes the final copy; each correction is journaled.\n"
				"A copy made while mentions to check have no decision is provisional (said on stderr).\n"
				"--redaction-policy: another policy than the installed redaction.yaml (agents' names shown or not).\n"
				"--password-file: AES-256 encrypted zip (off by default): 7-Zip, Keka or bsdtar open it,\n"
				"the zip tools built into Windows and macOS and unzip do not; prefer handing the plain copy\n"
				"over in person or through a secure exchange platform.\n"
				"--review: a side-by-side page for the officer (mode 0600).\n"
				"Journaled with the hash of the zip.\n")
		}
	}
	if (argc - optind != 1 || !eo.requester || !(eo.out_path || eo.review_out))
		return cli_usage(U, "export needs a case id, --for and --out (or --review-out)");
	if (eo.review_out && (eo.out_path || eo.decisions || pw_file || eo.review_path || eo.note))
		return cli_usage(U, "--review-out writes the decision file only: no --out, --decisions, --password-file, --review or --note");
	size_t ol = eo.out_path ? strlen(eo.out_path) : 0;
	if (eo.out_path && (ol < 4 || strcmp(eo.out_path + ol - 4, ".zip")))
		return cli_usage(U, "--out must name a .zip file");
	char *pw = NULL;
	if (pw_file && cv_secret_read_file(&pw, pw_file))
		return cli_fail("export");
	eo.password = pw;
	cv_archive *a = NULL;
	int e = cli_open(c, &a);
	if (e) {
		cv_secret_free(pw);
		return e;
	}
	cv_export_result r = CV_EXPORT_RESULT_INIT;
	int rc = cv_export_create(&r, a, argv[optind], &eo);
	cv_secret_free(pw);
	cv_archive_free(a);
	if (rc) {
		int x = export_fail("export", argv[optind]);
		cli_hint_if("make a new review file", "casevault export ID --for PERSON --review-out FILE.json");
		return x;
	}
	if (pw_file)
		cli_password_notice("export", eo.out_path);
	return export_report(c, &eo, &r, argv[optind]);
}
