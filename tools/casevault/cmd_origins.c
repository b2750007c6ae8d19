/* origins setup / status / record / approve / release / reshare / rewrap:
 * sealed identities of secret births under threshold control (CNAOP). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define MAXN CV_ORIGINS_MAX_HOLDERS

static const char U[] =
	"casevault origins setup --threshold K --holder U [--holder U...] [--credential-file YOURS]\n"
	"       casevault origins status [ID]\n"
	"       casevault origins record ID --parent-consent|--parent-death --date D|--parent-refusal --source S [--date D]\n"
	"       casevault origins approve ID [--credential-file F]\n"
	"       casevault origins release ID --to-cnaop --recipient-cert CERT --out FILE [--credential-file F...] [--holder U...]\n"
	"       casevault origins reshare --threshold K --holder U... [--credential-file YOURS] --current-credential-file F...\n"
	"       casevault origins rewrap --credential-file OLD";

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
			cvj_str_or_null(f->date), "source", f->source ? json_string(f->source) : json_null(), "recorded_by",
			f->recorded_by, "recorded_at", f->recorded_at));
	}
	for (size_t i = 0; i < s->napprovals; i++) {
		const cv_origins_approval *x = &s->approvals[i];
		json_array_append_new(appr, json_pack("{s:s,s:s,s:s,s:o,s:b}", "holder", x->holder, "approved", x->approved_at,
			"expires", x->expires_at, "release", cvj_str_or_null(x->release), "valid", x->valid));
	}
	for (size_t i = 0; i < s->nreleases; i++)
		json_array_append_new(rel, release_json(&s->releases[i]));
	json_object_set_new(o, "case", json_string(s->case_id));
	json_object_set_new(o, "ref", json_string(s->ref));
	json_object_set_new(o, "category", json_string(s->category));
	json_object_set_new(o, "sealed", json_boolean(s->sealed));
	json_object_set_new(o, "sealed_at", cvj_str_or_null(s->sealed_at));
	json_object_set_new(o, "sealed_sha256", cvj_str_or_null(s->sealed_sha256));
	json_object_set_new(o, "sealed_versions", json_integer(s->sealed_versions));
	json_object_set_new(o, "disclosable", json_boolean(s->disclosable));
	json_object_set_new(o, "condition", cvj_str_or_null(s->condition));
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

/* Everything the command line says, for whichever subcommand. */
typedef struct orig_args {
	const char *holders[MAXN], *files[MAXN], *cur_files[MAXN];
	size_t nholders, nfiles, ncur;
	const char *kind, *date, *source, *cert, *out, *new_file;
	int threshold, to_cnaop;
} orig_args;

/* -1 to go on, or the exit status (help printed, or a usage error). */
static int orig_parse(cli *c, int argc, char **argv, orig_args *x)
{
	static const struct option o[] = { { "threshold", required_argument, NULL, 'k' },
		{ "holder", required_argument, NULL, 'u' }, { "credential-file", required_argument, NULL, 'f' },
		{ "current-credential-file", required_argument, NULL, 'F' },
		{ "new-credential-file", required_argument, NULL, 'N' }, { "parent-consent", no_argument, NULL, 'C' },
		{ "parent-death", no_argument, NULL, 'D' }, { "parent-refusal", no_argument, NULL, 'R' },
		{ "date", required_argument, NULL, 'd' }, { "source", required_argument, NULL, 's' },
		{ "to-cnaop", no_argument, NULL, 't' }, { "recipient-cert", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' }, CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	int ch;
	CLI_BEGIN_OPTS();
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (ch) {
		case 'k': x->threshold = atoi(optarg); break;
		case 'u':
			if (x->nholders == MAXN)
				return cli_usage(U, "at most %d --holder", MAXN);
			x->holders[x->nholders++] = optarg;
			break;
		case 'f':
			if (x->nfiles == MAXN)
				return cli_usage(U, "at most %d --credential-file", MAXN);
			x->files[x->nfiles++] = optarg;
			break;
		case 'F':
			if (x->ncur == MAXN)
				return cli_usage(U, "at most %d --current-credential-file", MAXN);
			x->cur_files[x->ncur++] = optarg;
			break;
		case 'N': x->new_file = optarg; break;
		case 'C':
		case 'D':
		case 'R': {
			const char *k = ch == 'C' ? CV_ORIGINS_CONSENT : ch == 'D' ? CV_ORIGINS_DEATH : CV_ORIGINS_REFUSAL;
			if (x->kind && strcmp(x->kind, k))
				return cli_usage(U, "record one fact at a time");
			x->kind = k;
			break;
		}
		case 'd': x->date = optarg; break;
		case 's': x->source = optarg; break;
		case 't': x->to_cnaop = 1; break;
		case 'r': x->cert = optarg; break;
		case 'o': x->out = optarg; break;
			CLI_COMMON_CASES(c, U,
				"Sealed identities of secret births (pli fermé), released only to the CNAOP (CASF L.147-6).\n"
				"setup (admin, once): makes the sealing key and splits it among the holders (cnaop users), each\n"
				"  share sealed to the holder's personal public key (no holder's passphrase is needed); the\n"
				"  admin signs the setup with their own credential (--credential-file, or asked).\n"
				"status: whether a case holds a sealed identity, the recorded facts, approvals and releases.\n"
				"record (cnaop, admin): a fact about the birth parent and its source (kept encrypted).\n"
				"approve (a holder): approves disclosure with their credential; valid 72 hours.\n"
				"release (a holder): with a disclosure condition and the threshold of approvals, asks each\n"
				"  approving holder's credential again and writes a CMS envelope for the CNAOP's certificate.\n"
				"reshare: new holders (by public key) from the current ones (--current-credential-file), signed\n"
				"  with your own credential (--credential-file).\n"
				"rewrap (a holder): moves a share made before personal keys to one's public key.\n"
				"See docs/origins.md.\n")
		}
	}
	return -1;
}

/* The options each subcommand needs, checked before any credential is
 * asked or the archive opened: -1 to go on, or a usage error. */
static int orig_check(const char *sub, int npos, const orig_args *x)
{
	if (!strcmp(sub, "setup") || !strcmp(sub, "reshare")) {
		if (npos)
			return cli_usage(U, "origins %s takes options only", sub);
		if (x->threshold < 2 || !x->nholders)
			return cli_usage(U, "origins %s needs --threshold K (at least 2) and --holder U for each holder", sub);
		if (x->nfiles > 1)
			return cli_usage(U, "origins %s takes your own credential only (--credential-file YOURS): the holders' "
				"shares are sealed to their public keys", sub);
		if (!strcmp(sub, "reshare") && !x->ncur)
			return cli_usage(U, "origins reshare needs the current holders' credentials (--current-credential-file F, "
				"as many as the current threshold)");
	} else if (!strcmp(sub, "status")) {
		if (npos > 1)
			return cli_usage(U, "origins status takes at most one case id");
	} else if (!strcmp(sub, "record") || !strcmp(sub, "approve") || !strcmp(sub, "release")) {
		if (npos != 1)
			return cli_usage(U, "origins %s needs one case id", sub);
		if (!strcmp(sub, "record") && (!x->kind || !x->source))
			return cli_usage(U, "origins record needs --parent-consent, --parent-death or --parent-refusal, and --source S");
		if (!strcmp(sub, "release") && (!x->to_cnaop || !x->cert || !x->out))
			return cli_usage(U, "origins release needs --to-cnaop, --recipient-cert CERT and --out FILE "
				"(the identity goes only to the CNAOP)");
		if (!strcmp(sub, "release") && x->nholders && x->nholders != x->nfiles)
			return cli_usage(U, "with --holder, give one --holder per --credential-file, in the same order");
		if (!strcmp(sub, "approve") && x->nfiles > 1)
			return cli_usage(U, "origins approve takes your own credential only");
	} else if (!strcmp(sub, "rewrap")) {
		if (npos || x->nfiles != 1)
			return cli_usage(U, "origins rewrap needs --credential-file OLD (the credential the old share is wrapped "
				"under)");
	} else {
		return cli_usage(U, "unknown origins subcommand '%s'", sub);
	}
	return -1;
}

/* The credentials a subcommand needs before the archive is opened (a
 * release without files asks later, once it knows the approvers): 0, or the
 * exit status. */
static int orig_credentials(const char *sub, const orig_args *x, creds *cr, creds *cc)
{
	int e = 0;
	if (!strcmp(sub, "setup") || !strcmp(sub, "reshare")) {
		char what[32];
		snprintf(what, sizeof what, "origins %s", sub);
		e = cli_read_credential(x->nfiles ? x->files[0] : NULL, "your personal credential: ", &cr->v[0], what);
		if (!e)
			cr->n = 1;
	}
	if (!e && !strcmp(sub, "reshare"))
		e = creds_read(cc, x->cur_files, x->ncur, NULL, 0, sub);
	if (!e && !strcmp(sub, "approve")) {
		e = cli_read_credential(x->nfiles ? x->files[0] : NULL, "your personal credential: ", &cr->v[0], "origins approve");
		if (!e)
			cr->n = 1;
	}
	if (!e && !strcmp(sub, "rewrap"))
		e = creds_read(cr, x->files, 1, NULL, 0, sub);
	if (!e && !strcmp(sub, "release") && x->nfiles)
		e = creds_read(cr, x->files, x->nfiles, NULL, 0, sub);
	return e;
}

static int run_setup(cli *c, cv_archive *a, const char *sub, const orig_args *x, const creds *cr, const creds *cc,
	json_t **j)
{
	cv_origins_key_info k;
	int rc;
	if (!strcmp(sub, "setup")) {
		cv_origins_setup_options so = CV_ORIGINS_SETUP_OPTIONS_INIT;
		so.threshold = (unsigned)x->threshold;
		so.holders = x->holders;
		so.nholders = x->nholders;
		so.credential = cr->v[0];
		rc = cv_origins_setup(&k, a, &so);
	} else {
		cv_origins_reshare_options ro = CV_ORIGINS_RESHARE_OPTIONS_INIT;
		ro.threshold = (unsigned)x->threshold;
		ro.holders = x->holders;
		ro.nholders = x->nholders;
		ro.credential = cr->v[0];
		ro.current_credentials = (const char *const *)cc->v;
		ro.ncurrent = cc->n;
		rc = cv_origins_reshare(&k, a, &ro);
	}
	if (!rc && c->json)
		*j = key_json(&k);
	else if (!rc) {
		printf("origins %s: done; the private key exists only as shares now\n", sub);
		key_text(&k);
	}
	return rc;
}

static int run_status(cli *c, cv_archive *a, const char *id, json_t **j)
{
	cv_origins_info *s = NULL;
	int rc = cv_origins_status(&s, a, id);
	if (!rc && c->json)
		*j = status_json(s);
	else if (!rc)
		status_text(s);
	cv_origins_status_free(s);
	return rc;
}

static int run_record(cli *c, cv_archive *a, const char *id, const orig_args *x, json_t **j)
{
	cv_origins_fact_options fo = CV_ORIGINS_FACT_OPTIONS_INIT;
	char fid[20];
	fo.kind = x->kind;
	fo.date = x->date;
	fo.source = x->source;
	int rc = cv_origins_record(fid, a, id, &fo);
	if (!rc && c->json)
		*j = json_pack("{s:s,s:s,s:s,s:o}", "fact", fid, "case", id, "kind", x->kind, "date", cvj_str_or_null(x->date));
	else if (!rc)
		printf("origins record: fact %s (%s%s%s) recorded for case %s\n", fid, x->kind, x->date ? ", " : "",
			x->date ? x->date : "", id);
	return rc;
}

static int run_approve(cli *c, cv_archive *a, const char *id, const creds *cr, json_t **j)
{
	cv_origins_approval ap;
	int rc = cv_origins_approve(&ap, a, id, cr->n ? cr->v[0] : NULL);
	if (!rc && c->json)
		*j = json_pack("{s:s,s:s,s:s,s:s}", "case", id, "holder", ap.holder, "approved", ap.approved_at, "expires",
			ap.expires_at);
	else if (!rc)
		printf("origins approve: %s approves disclosure for case %s, valid until %s\n", ap.holder, id, ap.expires_at);
	return rc;
}

/* Without credential files, each holder whose approval is valid is asked
 * on the terminal, up to the threshold; their names go with the
 * credentials (strdup'd into `names`). > 0: an exit status, already said. */
static int ask_approvers(cv_archive *a, const char *id, creds *cr, const char **names, size_t *nnames)
{
	cv_origins_info *s = NULL;
	int rc = cv_origins_status(&s, a, id);
	for (size_t i = 0; !rc && i < s->napprovals && cr->n < MAXN && cr->n < s->key.threshold; i++) {
		if (!s->approvals[i].valid)
			continue;
		int dup = 0;
		for (size_t k = 0; k < *nnames; k++)
			dup |= !strcmp(names[k], s->approvals[i].holder);
		if (dup)
			continue;
		char prompt[160];
		snprintf(prompt, sizeof prompt, "credential of %s (approving holder): ", s->approvals[i].holder);
		if ((rc = cli_read_tty(&cr->v[cr->n], prompt, "origins release")))
			break;
		names[(*nnames)++] = strdup(s->approvals[i].holder);
		cr->n++;
	}
	cv_origins_status_free(s);
	return rc;
}

static int run_release(cli *c, cv_archive *a, const char *id, const orig_args *x, creds *cr, json_t **j)
{
	const char *names[MAXN];
	size_t nnames = 0;
	int rc = x->nfiles ? 0 : ask_approvers(a, id, cr, names, &nnames);
	if (!rc) {
		cv_origins_release_options ro = CV_ORIGINS_RELEASE_OPTIONS_INIT;
		cv_origins_release_info ri;
		ro.to_cnaop = x->to_cnaop;
		ro.recipient_cert = x->cert;
		ro.out_path = x->out;
		ro.credentials = (const char *const *)cr->v;
		ro.holders = x->nfiles ? (x->nholders ? x->holders : NULL) : names;
		ro.ncredentials = cr->n;
		rc = cv_origins_release(&ri, a, id, &ro);
		if (!rc && c->json) {
			*j = release_json(&ri);
			json_object_set_new(*j, "file", json_string(x->out));
		} else if (!rc) {
			printf("origins release %s: the sealed identity of case %s is in %s, encrypted for the CNAOP's certificate\n"
			       "  (sha256 %s; condition %s; holders %s)\n",
				ri.id, id, x->out, ri.out_sha256, ri.condition, ri.holders);
		}
	}
	for (size_t i = 0; i < nnames; i++)
		free((char *)names[i]);
	return rc;
}

static int run_rewrap(cli *c, cv_archive *a, const creds *cr, const creds *cc, json_t **j)
{
	(void)cc;
	int rc = cv_origins_rewrap(a, cr->v[0], NULL);
	if (!rc && c->json)
		*j = json_pack("{s:b}", "rewrapped", 1);
	else if (!rc)
		printf("origins rewrap: your share is now sealed to your personal key\n");
	return rc;
}

/* The library's error, then what to type about it. */
static int origins_fail(const char *id)
{
	char record[200], approve[120];
	snprintf(record, sizeof record, "a cnaop user or an admin records one with 'casevault origins record %s "
		"--parent-consent --source S' or '--parent-death --date D --source S'", id ? id : "ID");
	snprintf(approve, sizeof approve, "each holder approves with 'casevault origins approve %s'", id ? id : "ID");
	int x = cli_fail(NULL);
	cli_hint_if("already has a sealing key", "to change its holders, use 'casevault origins reshare'");
	cli_hint_if("no user '", "an admin adds a holder with 'casevault user add NAME --role cnaop --credential-file F'");
	cli_hint_if("has no personal credential yet", "set one with 'casevault user passwd NAME --credential-file F'");
	cli_hint_if("current holders must confirm", "give their credentials with --current-credential-file F");
	cli_hint_if("(it must be set first)", "set it first with 'casevault user passwd'");
	cli_hint_if("no disclosure condition is recorded", record);
	cli_hint_if("a death needs its date", "give --date YYYY-MM-DD");
	cli_hint_if("distinct holders are needed", approve);
	return x;
}

int cmd_origins(cli *c, int argc, char **argv)
{
	orig_args x;
	memset(&x, 0, sizeof x);
	int e = orig_parse(c, argc, argv, &x);
	if (e >= 0)
		return e;
	if (optind >= argc)
		return cli_usage(U, "origins needs a subcommand");
	const char *sub = argv[optind];
	int npos = argc - optind - 1;
	const char *id = npos >= 1 ? argv[optind + 1] : NULL;
	if ((e = orig_check(sub, npos, &x)) >= 0)
		return e;
	creds cr = { { NULL }, 0 }, cc = { { NULL }, 0 };
	cv_archive *a = NULL;
	e = orig_credentials(sub, &x, &cr, &cc);
	if (!e)
		e = cli_open(c, &a);
	if (e) {
		creds_free(&cr);
		creds_free(&cc);
		return e;
	}
	int rc = 0;
	json_t *j = NULL;
	if (!strcmp(sub, "setup") || !strcmp(sub, "reshare"))
		rc = run_setup(c, a, sub, &x, &cr, &cc, &j);
	else if (!strcmp(sub, "status"))
		rc = run_status(c, a, id, &j);
	else if (!strcmp(sub, "record"))
		rc = run_record(c, a, id, &x, &j);
	else if (!strcmp(sub, "approve"))
		rc = run_approve(c, a, id, &cr, &j);
	else if (!strcmp(sub, "release"))
		rc = run_release(c, a, id, &x, &cr, &j);
	else if (!strcmp(sub, "rewrap"))
		rc = run_rewrap(c, a, &cr, &cc, &j);
	creds_free(&cr);
	creds_free(&cc);
	if (rc) {
		int code = rc > 0 ? rc : origins_fail(id); /* > 0: an exit status, already explained */
		cv_archive_free(a);
		return code;
	}
	cv_archive_free(a);
	if (j)
		return cli_json_out(j);
	return EXIT_OK;
}
