/* origins setup / status / record / approve / release / reshare / rewrap:
 * sealed identities of secret births under threshold control (CNAOP). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define MAXN CV_ORIGINS_MAX_HOLDERS

typedef struct creds {
	char *v[MAXN];
	size_t n;
} creds;

static void creds_free(creds *c)
{
	for (size_t i = 0; i < c->n; i++)
		cv_secret_free(c->v[i]);
	c->n = 0;
}

/* Read credential files, or ask on the terminal for each name in `who`. */
static int creds_read(creds *c, const char *const *files, size_t nfiles, const char *const *who, size_t nwho,
	const char *what)
{
	if (nfiles) {
		for (size_t i = 0; i < nfiles; i++) {
			if (cv_secret_read_file(&c->v[c->n], files[i]))
				return cli_fail(what);
			c->n++;
		}
		return 0;
	}
	for (size_t i = 0; i < nwho; i++) {
		char prompt[160];
		snprintf(prompt, sizeof prompt, "credential of %s: ", who[i]);
		int e = cli_read_tty(&c->v[c->n], prompt, what);
		if (e)
			return e;
		c->n++;
	}
	return 0;
}

static json_t *key_json(const cv_origins_key_info *k)
{
	if (!k->ready)
		return json_pack("{s:b}", "ready", 0);
	json_t *h = json_array();
	for (unsigned i = 0; i < k->nholders; i++)
		json_array_append_new(h, json_string(k->holders[i]));
	return json_pack("{s:b,s:i,s:i,s:o,s:s,s:s,s:s}", "ready", 1, "generation", (int)k->generation, "threshold",
		(int)k->threshold, "holders", h, "certificate_sha256", k->cert_sha256, "created", k->created, "created_by",
		k->created_by);
}

static void key_text(const cv_origins_key_info *k)
{
	if (!k->ready) {
		printf("sealing key: none yet (an admin runs 'casevault origins setup --threshold K --holder U...')\n");
		return;
	}
	printf("sealing key: generation %u, %u of %u holders needed (", k->generation, k->threshold, k->nholders);
	for (unsigned i = 0; i < k->nholders; i++)
		printf("%s%s", i ? ", " : "", k->holders[i]);
	printf(")\n  certificate sha256 %s, made %s by %s\n", k->cert_sha256, k->created, k->created_by);
}

static json_t *release_json(const cv_origins_release_info *r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", r->id, "case", r->case_id, "released", r->released_at,
		"actor", r->actor, "holders", r->holders, "condition", r->condition, "recipient_sha256", r->recipient_sha256,
		"sha256", r->out_sha256);
}

static json_t *status_json(const cv_origins_info *s)
{
	json_t *o = json_pack("{s:o}", "key", key_json(&s->key));
	if (!s->case_id[0])
		return o;
	json_t *facts = json_array(), *appr = json_array(), *rel = json_array();
	for (size_t i = 0; i < s->nfacts; i++) {
		const cv_origins_fact *f = &s->facts[i];
		json_array_append_new(facts, json_pack("{s:s,s:s,s:o,s:o,s:s,s:s}", "id", f->id, "kind", f->kind, "date",
			cli_str_or_null(f->date), "source", f->source ? json_string(f->source) : json_null(), "recorded_by",
			f->recorded_by, "recorded_at", f->recorded_at));
	}
	for (size_t i = 0; i < s->napprovals; i++) {
		const cv_origins_approval *x = &s->approvals[i];
		json_array_append_new(appr, json_pack("{s:s,s:s,s:s,s:o,s:b}", "holder", x->holder, "approved", x->approved_at,
			"expires", x->expires_at, "release", cli_str_or_null(x->release), "valid", x->valid));
	}
	for (size_t i = 0; i < s->nreleases; i++)
		json_array_append_new(rel, release_json(&s->releases[i]));
	json_object_set_new(o, "case", json_string(s->case_id));
	json_object_set_new(o, "ref", json_string(s->ref));
	json_object_set_new(o, "category", json_string(s->category));
	json_object_set_new(o, "sealed", json_boolean(s->sealed));
	json_object_set_new(o, "sealed_at", cli_str_or_null(s->sealed_at));
	json_object_set_new(o, "sealed_sha256", cli_str_or_null(s->sealed_sha256));
	json_object_set_new(o, "sealed_versions", json_integer(s->sealed_versions));
	json_object_set_new(o, "disclosable", json_boolean(s->disclosable));
	json_object_set_new(o, "condition", cli_str_or_null(s->condition));
	json_object_set_new(o, "reason", json_string(s->reason));
	json_object_set_new(o, "facts", facts);
	json_object_set_new(o, "approvals", appr);
	json_object_set_new(o, "valid_approvals", json_integer(s->valid_approvals));
	json_object_set_new(o, "releases", rel);
	return o;
}

static void status_text(const cv_origins_info *s)
{
	if (s->case_id[0]) {
		printf("case %s (%s, %s)\n", s->ref, s->case_id, s->category);
		if (s->sealed)
			printf("  sealed identity: present (stored %s; %u version%s; object sha256 %s)\n", s->sealed_at,
				s->sealed_versions, s->sealed_versions == 1 ? "" : "s", s->sealed_sha256);
		else
			printf("  sealed identity: none\n");
		printf("  recorded facts:%s\n", s->nfacts ? "" : " none");
		for (size_t i = 0; i < s->nfacts; i++) {
			const cv_origins_fact *f = &s->facts[i];
			printf("    %-10s %-8s recorded by %s at %s; source: %s\n", f->date[0] ? f->date : "(no date)", f->kind,
				f->recorded_by, f->recorded_at, f->source ? f->source : "(recorded, shown to cnaop and admin)");
		}
		printf("  disclosure: %s — %s\n", s->disclosable ? "possible" : "not possible", s->reason);
		printf("  approvals: %u valid of %u needed (each valid %d hours)\n", s->valid_approvals, s->key.threshold,
			CV_ORIGINS_APPROVAL_HOURS);
		for (size_t i = 0; i < s->napprovals; i++) {
			const cv_origins_approval *x = &s->approvals[i];
			printf("    %s at %s, until %s%s%s%s\n", x->holder, x->approved_at, x->expires_at, x->valid ? " (valid)" : "",
				x->release[0] ? " used by release " : "", x->release);
		}
		for (size_t i = 0; i < s->nreleases; i++) {
			const cv_origins_release_info *r = &s->releases[i];
			printf("  released %s to the CNAOP at %s by %s (holders %s; condition %s; envelope sha256 %s)\n", r->id,
				r->released_at, r->actor, r->holders, r->condition, r->out_sha256);
		}
	}
	key_text(&s->key);
}

int cmd_origins(cli *c, int argc, char **argv)
{
	static const char *U =
		"casevault origins setup --threshold K --holder U [--holder U...] [--credential-file F...]\n"
		"       casevault origins status [ID]\n"
		"       casevault origins record ID --parent-consent|--parent-death --date D|--parent-refusal --source S [--date D]\n"
		"       casevault origins approve ID [--credential-file F]\n"
		"       casevault origins release ID --to-cnaop --recipient-cert CERT --out FILE [--credential-file F...] [--holder U...]\n"
		"       casevault origins reshare --threshold K --holder U... [--credential-file F...] --current-credential-file F...\n"
		"       casevault origins rewrap --credential-file OLD --new-credential-file NEW";
	static const struct option o[] = { { "threshold", required_argument, NULL, 'k' },
		{ "holder", required_argument, NULL, 'u' }, { "credential-file", required_argument, NULL, 'f' },
		{ "current-credential-file", required_argument, NULL, 'F' },
		{ "new-credential-file", required_argument, NULL, 'N' }, { "parent-consent", no_argument, NULL, 'C' },
		{ "parent-death", no_argument, NULL, 'D' }, { "parent-refusal", no_argument, NULL, 'R' },
		{ "date", required_argument, NULL, 'd' }, { "source", required_argument, NULL, 's' },
		{ "to-cnaop", no_argument, NULL, 't' }, { "recipient-cert", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	const char *holders[MAXN], *files[MAXN], *cur_files[MAXN];
	size_t nholders = 0, nfiles = 0, ncur = 0;
	const char *kind = NULL, *date = NULL, *source = NULL, *cert = NULL, *out = NULL, *new_file = NULL;
	int threshold = 0, to_cnaop = 0, ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'k': threshold = atoi(optarg); break;
		case 'u':
			if (nholders == MAXN)
				return cli_usage(U, "at most %d --holder", MAXN);
			holders[nholders++] = optarg;
			break;
		case 'f':
			if (nfiles == MAXN)
				return cli_usage(U, "at most %d --credential-file", MAXN);
			files[nfiles++] = optarg;
			break;
		case 'F':
			if (ncur == MAXN)
				return cli_usage(U, "at most %d --current-credential-file", MAXN);
			cur_files[ncur++] = optarg;
			break;
		case 'N': new_file = optarg; break;
		case 'C':
		case 'D':
		case 'R': {
			const char *k = ch == 'C' ? CV_ORIGINS_CONSENT : ch == 'D' ? CV_ORIGINS_DEATH : CV_ORIGINS_REFUSAL;
			if (kind && strcmp(kind, k))
				return cli_usage(U, "record one fact at a time");
			kind = k;
			break;
		}
		case 'd': date = optarg; break;
		case 's': source = optarg; break;
		case 't': to_cnaop = 1; break;
		case 'r': cert = optarg; break;
		case 'o': out = optarg; break;
			CLI_COMMON_CASES(c, U,
				"Sealed identities of secret births (pli fermé), released only to the CNAOP (CASF L.147-6).\n"
				"setup (admin, once): makes the sealing key and splits it among the holders (cnaop users), each\n"
				"  share wrapped under the holder's own credential (files in the order of --holder, or asked).\n"
				"status: whether a case holds a sealed identity, the recorded facts, approvals and releases.\n"
				"record (cnaop, admin): a fact about the birth parent and its source (kept encrypted).\n"
				"approve (a holder): approves disclosure with their credential; valid 72 hours.\n"
				"release (a holder): with a disclosure condition and the threshold of approvals, asks each\n"
				"  approving holder's credential again and writes a CMS envelope for the CNAOP's certificate.\n"
				"reshare: new holders (their credentials) from the current ones (--current-credential-file).\n"
				"rewrap (a holder): re-wraps one's share under one's new credential after 'user passwd'.\n"
				"See docs/origins.md.\n")
		}
	}
	if (optind >= argc)
		return cli_usage(U, "origins needs a subcommand");
	const char *sub = argv[optind];
	int npos = argc - optind - 1;
	const char *id = npos >= 1 ? argv[optind + 1] : NULL;
	int needs_id = !strcmp(sub, "record") || !strcmp(sub, "approve") || !strcmp(sub, "release");
	if (!strcmp(sub, "setup") || !strcmp(sub, "reshare")) {
		if (npos)
			return cli_usage(U, "origins %s takes options only", sub);
		if (threshold < 2 || !nholders)
			return cli_usage(U, "origins %s needs --threshold K (at least 2) and --holder U for each holder", sub);
		if (nfiles && nfiles != nholders)
			return cli_usage(U, "give one --credential-file per --holder, in the same order");
	} else if (!strcmp(sub, "status")) {
		if (npos > 1)
			return cli_usage(U, "origins status takes at most one case id");
	} else if (needs_id) {
		if (npos != 1)
			return cli_usage(U, "origins %s needs one case id", sub);
		if (!strcmp(sub, "record") && (!kind || !source))
			return cli_usage(U, "origins record needs --parent-consent, --parent-death or --parent-refusal, and --source S");
		if (!strcmp(sub, "release") && (!to_cnaop || !cert || !out))
			return cli_usage(U, "origins release needs --to-cnaop, --recipient-cert CERT and --out FILE "
					    "(the identity goes only to the CNAOP)");
		if (!strcmp(sub, "release") && nholders && nholders != nfiles)
			return cli_usage(U, "with --holder, give one --holder per --credential-file, in the same order");
		if (!strcmp(sub, "approve") && nfiles > 1)
			return cli_usage(U, "origins approve takes your own credential only");
	} else if (!strcmp(sub, "rewrap")) {
		if (npos || nfiles != 1 || !new_file)
			return cli_usage(U, "origins rewrap needs --credential-file OLD and --new-credential-file NEW");
	} else {
		return cli_usage(U, "unknown origins subcommand '%s'", sub);
	}

	creds cr = { { NULL }, 0 }, cc = { { NULL }, 0 };
	int e = 0;
	if (!strcmp(sub, "setup") || !strcmp(sub, "reshare"))
		e = creds_read(&cr, files, nfiles, holders, nholders, sub);
	if (!e && !strcmp(sub, "reshare")) {
		if (!ncur) {
			creds_free(&cr);
			return cli_usage(U, "origins reshare needs the current holders' credentials (--current-credential-file F, "
					    "as many as the current threshold)");
		}
		e = creds_read(&cc, cur_files, ncur, NULL, 0, sub);
	}
	if (!e && !strcmp(sub, "approve")) {
		e = cli_read_credential(nfiles ? files[0] : NULL, "your personal credential: ", &cr.v[0], "origins approve");
		if (!e)
			cr.n = 1;
	}
	if (!e && !strcmp(sub, "rewrap")) {
		e = creds_read(&cr, files, 1, NULL, 0, sub);
		if (!e)
			e = creds_read(&cc, &new_file, 1, NULL, 0, sub);
	}
	if (!e && !strcmp(sub, "release") && nfiles)
		e = creds_read(&cr, files, nfiles, NULL, 0, sub);
	cv_archive *a = NULL;
	if (!e)
		e = cli_open(c, &a);
	if (e) {
		creds_free(&cr);
		creds_free(&cc);
		return e;
	}

	int rc = 0;
	json_t *j = NULL;
	if (!strcmp(sub, "setup") || !strcmp(sub, "reshare")) {
		cv_origins_key_info k;
		if (!strcmp(sub, "setup")) {
			cv_origins_setup_options so = CV_ORIGINS_SETUP_OPTIONS_INIT;
			so.threshold = (unsigned)threshold;
			so.holders = holders;
			so.nholders = nholders;
			so.credentials = (const char *const *)cr.v;
			rc = cv_origins_setup(&k, a, &so);
		} else {
			cv_origins_reshare_options ro = CV_ORIGINS_RESHARE_OPTIONS_INIT;
			ro.threshold = (unsigned)threshold;
			ro.holders = holders;
			ro.nholders = nholders;
			ro.credentials = (const char *const *)cr.v;
			ro.current_credentials = (const char *const *)cc.v;
			ro.ncurrent = cc.n;
			rc = cv_origins_reshare(&k, a, &ro);
		}
		if (!rc && c->json)
			j = key_json(&k);
		else if (!rc) {
			printf("origins %s: done; the private key exists only as shares now\n", sub);
			key_text(&k);
		}
	} else if (!strcmp(sub, "status")) {
		cv_origins_info *s = NULL;
		rc = cv_origins_status(&s, a, id);
		if (!rc && c->json)
			j = status_json(s);
		else if (!rc)
			status_text(s);
		cv_origins_status_free(s);
	} else if (!strcmp(sub, "record")) {
		cv_origins_fact_options fo = CV_ORIGINS_FACT_OPTIONS_INIT;
		char fid[20];
		fo.kind = kind;
		fo.date = date;
		fo.source = source;
		rc = cv_origins_record(fid, a, id, &fo);
		if (!rc && c->json)
			j = json_pack("{s:s,s:s,s:s,s:o}", "fact", fid, "case", id, "kind", kind, "date", cli_str_or_null(date));
		else if (!rc)
			printf("origins record: fact %s (%s%s%s) recorded for case %s\n", fid, kind, date ? ", " : "", date ? date : "",
				id);
	} else if (!strcmp(sub, "approve")) {
		cv_origins_approval ap;
		rc = cv_origins_approve(&ap, a, id, cr.n ? cr.v[0] : NULL);
		if (!rc && c->json)
			j = json_pack("{s:s,s:s,s:s,s:s}", "case", id, "holder", ap.holder, "approved", ap.approved_at, "expires",
				ap.expires_at);
		else if (!rc)
			printf("origins approve: %s approves disclosure for case %s, valid until %s\n", ap.holder, id, ap.expires_at);
	} else if (!strcmp(sub, "release")) {
		/* Without credential files, ask each holder whose approval is valid. */
		const char *names[MAXN];
		size_t nnames = 0;
		if (!nfiles) {
			cv_origins_info *s = NULL;
			rc = cv_origins_status(&s, a, id);
			for (size_t i = 0; !rc && i < s->napprovals && cr.n < MAXN && cr.n < s->key.threshold; i++) {
				if (!s->approvals[i].valid)
					continue;
				int dup = 0;
				for (size_t k = 0; k < nnames; k++)
					dup |= !strcmp(names[k], s->approvals[i].holder);
				if (dup)
					continue;
				char prompt[160];
				snprintf(prompt, sizeof prompt, "credential of %s (approving holder): ", s->approvals[i].holder);
				if ((rc = cli_read_tty(&cr.v[cr.n], prompt, "origins release")))
					break;
				names[nnames++] = strdup(s->approvals[i].holder);
				cr.n++;
			}
			cv_origins_status_free(s);
		}
		if (!rc) {
			cv_origins_release_options ro = CV_ORIGINS_RELEASE_OPTIONS_INIT;
			cv_origins_release_info ri;
			ro.to_cnaop = to_cnaop;
			ro.recipient_cert = cert;
			ro.out_path = out;
			ro.credentials = (const char *const *)cr.v;
			ro.holders = nfiles ? (nholders ? holders : NULL) : names;
			ro.ncredentials = cr.n;
			rc = cv_origins_release(&ri, a, id, &ro);
			if (!rc && c->json) {
				j = release_json(&ri);
				json_object_set_new(j, "file", json_string(out));
			} else if (!rc) {
				printf("origins release %s: the sealed identity of case %s is in %s, encrypted for the CNAOP's certificate\n"
				       "  (sha256 %s; condition %s; holders %s)\n",
					ri.id, id, out, ri.out_sha256, ri.condition, ri.holders);
			}
		}
		for (size_t i = 0; i < nnames; i++)
			free((char *)names[i]);
	} else if (!strcmp(sub, "rewrap")) {
		rc = cv_origins_rewrap(a, cr.v[0], cc.v[0]);
		if (!rc && c->json)
			j = json_pack("{s:b}", "rewrapped", 1);
		else if (!rc)
			printf("origins rewrap: your share is now wrapped under your current credential\n");
	}
	creds_free(&cr);
	creds_free(&cc);
	if (rc) {
		int x = rc > 0 ? rc : cli_fail(NULL); /* > 0: an exit status, already explained */
		cv_archive_free(a);
		return x;
	}
	cv_archive_free(a);
	if (j)
		return cli_json_out(j);
	return EXIT_OK;
}
