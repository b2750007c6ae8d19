/* The signatures in the journal: who could sign what, replayed from the
 * journal itself. Each user's public key is registered by the entry that
 * made it (user.add, user.reset: signed by an admin who has keys, unsigned
 * only while the archive was being set up and no admin had any; user.passwd:
 * signed by the key it replaces, unsigned only for a first credential); each
 * decision is signed by its author's key registered at that point; at the
 * end, the catalog's public keys must be the registered ones. */
#include "engine/signatures.h"
#include "engine/access.h"
#include "catalog/catalog.h"
#include "crypto/sign.h"
#include "journal/journal.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Actions that are never done without their author's signature. */
static const char *const SIGNED[] = { "sweep.approve", "sweep.refuse", "request.decide", "request.approve", "request.fulfil",
	"origins.setup", "origins.reshare", "origins.approve", "origins.release", NULL };

typedef struct reg_user {
	char name[64];
	char roles[160];
	unsigned char sign_pub[32], seal_pub[32];
	int keyed;
} reg_user;

typedef struct registry {
	reg_user *u;
	size_t n, cap;
	int admin_keyed; /* set-up is over: an admin has keys */
	/* the decision looked for, if any: its last signed occurrence */
	const char *want_action, *want_prefix;
	cv_decision *found;
	int nfound;
} registry;

typedef struct trust_report {
	uint64_t *first_bad;
	char *reason;
	size_t reason_len;
} trust_report;

static reg_user *find(registry *r, const char *name, int add)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->u[i].name, name))
			return &r->u[i];
	if (!add || cv__grow((void **)&r->u, &r->cap, r->n, sizeof *r->u))
		return NULL;
	reg_user *x = &r->u[r->n++];
	memset(x, 0, sizeof *x);
	snprintf(x->name, sizeof x->name, "%s", name);
	return x;
}

static int word(const char *obj, const char *key, char *out, size_t n)
{
	const char *p = strstr(obj, key);
	if (!p || (p != obj && p[-1] != ' '))
		return 0;
	p += strlen(key);
	size_t l = strcspn(p, " ");
	if (l >= n)
		return 0;
	memcpy(out, p, l);
	out[l] = '\0';
	return 1;
}

/* Whether the csv `held` shares a role with the csv `allowed`. */
static int any_role(const char *held, const char *allowed)
{
	char one[32];
	for (const char *p = allowed; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l < sizeof one) {
			memcpy(one, p, l);
			one[l] = '\0';
			if (cv__csv_has(held, one))
				return 1;
		}
		p = p[l] ? p + l + 1 : NULL;
	}
	return 0;
}

static int is_signed_action(const char *action)
{
	for (size_t i = 0; SIGNED[i]; i++)
		if (!strcmp(SIGNED[i], action))
			return 1;
	return 0;
}

typedef struct jrow {
	uint64_t seq;
	const char *actor, *action, *object, *outcome, *signer;
	const unsigned char *sig;
} jrow;

static int bad(trust_report *rep, uint64_t seq, const char *fmt, const char *a1, const char *a2)
{
	*rep->first_bad = seq;
	if (seq)
		snprintf(rep->reason, rep->reason_len, "entry %llu: ", (unsigned long long)seq);
	else
		rep->reason[0] = '\0';
	size_t l = strlen(rep->reason);
	snprintf(rep->reason + l, rep->reason_len - l, fmt, a1, a2);
	return cv__err(CV_EDAMAGED, "journal damaged: %s", rep->reason);
}

/* The signature of an entry, against the key its signer had then. */
static int check_sig(cv_archive *a, registry *r, const jrow *e, trust_report *rep)
{
	char name[64];
	reg_user *s = find(r, e->signer, 0);
	if (!s || !s->keyed)
		return bad(rep, e->seq, "signed by '%s', who had no registered key then%s", e->signer, "");
	if (strcmp(e->signer, e->actor))
		return bad(rep, e->seq, "signed by '%s' for an act of '%s'", e->signer, e->actor);
	/* A signature proves who decided; the roles they held then say whether
	 * they could (the access table). */
	const cv_access_rule *rule = cv_access_rule_find(e->action);
	int own = !strcmp(e->action, "user.passwd") && word(e->object, "user:", name, sizeof name) &&
		!strcmp(name, e->signer);
	if (rule && !own && !any_role(s->roles, rule->roles))
		return bad(rep, e->seq, "'%s' signed this %s without holding a role that may", e->signer, e->action);
	cv_buf text = CV_BUF_INIT;
	int rc = cv__journal_signed_text(&text, a->id, e->action, e->object);
	/* only a signature that was checked and failed is damage; out of memory is not (tests/fault) */
	int v = rc ? 0 : cv__sign_verify(s->sign_pub, e->sig, text.data, text.len);
	if (v == CV_EAUTH)
		rc = bad(rep, e->seq, "the signature of '%s' on this %s does not verify", e->signer, e->action);
	else if (v)
		rc = v;
	cv__buf_dispose(&text);
	return rc;
}

/* A registration (user.add, user.reset, user.passwd): who may make it
 * unsigned, and the key it registers. */
static int registration(registry *r, const jrow *e, trust_report *rep)
{
	char name[64], roles[160] = "", hex[80];
	if (!word(e->object, "user:", name, sizeof name))
		return 0;
	int passwd = !strcmp(e->action, "user.passwd");
	reg_user *prev = find(r, name, 0);
	if (!e->signer) {
		if (passwd && prev && prev->keyed)
			return bad(rep, e->seq, "the credential of '%s' changed without the signature of their key%s", name, "");
		if (!passwd && r->admin_keyed)
			return bad(rep, e->seq, "%s of '%s' unsigned after set-up (an admin with keys must sign it)", e->action,
				name);
	} else if (passwd && strcmp(e->signer, name)) {
		return bad(rep, e->seq, "the credential of '%s' changed with the signature of '%s'", name, e->signer);
	}
	reg_user *u = find(r, name, 1);
	if (!u)
		return cv__oom();
	if (word(e->object, "roles:", roles, sizeof roles))
		snprintf(u->roles, sizeof u->roles, "%s", roles);
	if (word(e->object, "seal:", hex, sizeof hex) && cv__unhex(u->seal_pub, 32, hex) != 0)
		memset(u->seal_pub, 0, 32);
	if (word(e->object, "sign:", hex, sizeof hex) && cv__unhex(u->sign_pub, 32, hex) == 0) {
		u->keyed = 1;
		if (strstr(u->roles, "admin"))
			r->admin_keyed = 1;
	}
	return 0;
}

/* Where signed decisions begin (meta signed_from, set when personal keys
 * came to the archive). */
static int signed_from_get(cv_archive *a, uint64_t *from)
{
	char *v = NULL;
	int rc = cv__catalog_meta_get(a->cat, "signed_from", &v);
	if (rc == CV_ENOTFOUND) {
		cv_error_clear();
		*from = 1;
		return 0;
	}
	CV_TRY(rc);
	char *end = NULL;
	*from = strtoull(v, &end, 10);
	rc = end && !*end && *from ? 0 : cv__err(CV_EDAMAGED, "the catalog's signed_from is malformed");
	free(v);
	return rc;
}

static int replay(cv_archive *a, registry *r, trust_report *rep)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st,
		"SELECT seq, actor, action, object, outcome, signer, sig FROM journal ORDER BY seq"));
	uint64_t signed_from = 0;
	int rc = signed_from_get(a, &signed_from), step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		jrow e = { (uint64_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
			(const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5),
			sqlite3_column_bytes(st, 6) == 64 ? sqlite3_column_blob(st, 6) : NULL };
		if (!e.actor || !e.action || !e.object || !e.outcome) {
			/* a column that could not be read is not a row to skip */
			if (sqlite3_errcode(a->cat->db) == SQLITE_NOMEM)
				rc = cv__oom();
			continue;
		}
		if (e.signer && (rc = check_sig(a, r, &e, rep)))
			break;
		if (e.signer && r->want_action && !strcmp(e.outcome, "ok") && !strcmp(e.action, r->want_action) &&
			!strncmp(e.object, r->want_prefix, strlen(r->want_prefix))) {
			r->found->seq = e.seq;
			snprintf(r->found->actor, sizeof r->found->actor, "%s", e.actor);
			snprintf(r->found->object, sizeof r->found->object, "%s", e.object);
			r->nfound++;
		}
		if (!strcmp(e.outcome, "ok") && !strcmp(e.action, "archive.init")) {
			/* init registers its caller as the first admin, without keys */
			reg_user *u = find(r, e.actor, 1);
			if (!u)
				rc = cv__oom();
			else
				snprintf(u->roles, sizeof u->roles, "admin");
		} else if (!strcmp(e.outcome, "ok") && (!strcmp(e.action, "user.add") || !strcmp(e.action, "user.reset") ||
			!strcmp(e.action, "user.passwd")))
			rc = registration(r, &e, rep);
		else if (!e.signer && e.seq >= signed_from && !strcmp(e.outcome, "ok") && is_signed_action(e.action))
			rc = bad(rep, e.seq, "%s by '%s' carries no signature", e.action, e.actor);
	}
	/* a replay cut short (out of memory) would miss registrations */
	if (!rc && step != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "read the journal");
	sqlite3_finalize(st);
	return rc;
}

/* The catalog's public keys are the registered ones: a key swapped into the
 * users table would let its holder pass for that user. */
static int catalog_matches(cv_archive *a, registry *r, trust_report *rep)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT name, sign_pub, seal_pub FROM users WHERE sign_pub IS NOT NULL"));
	int rc = 0, step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!name) {
			rc = sqlite3_errcode(a->cat->db) == SQLITE_NOMEM ? cv__oom()
				: bad(rep, 0, "a user row with keys has no name%s%s", "", "");
			break;
		}
		reg_user *u = find(r, name, 0);
		if (!u || !u->keyed || sqlite3_column_bytes(st, 1) != 32 || memcmp(u->sign_pub, sqlite3_column_blob(st, 1), 32) ||
			sqlite3_column_bytes(st, 2) != 32 || memcmp(u->seal_pub, sqlite3_column_blob(st, 2), 32))
			rc = bad(rep, 0, "the public keys of user '%s' in the catalog are not the ones the journal registered%s",
				name, "");
	}
	if (!rc && step != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "read the users");
	sqlite3_finalize(st);
	return rc;
}

static int run_check(cv_archive *a, registry *r, uint64_t *first_bad, char *reason, size_t reason_len)
{
	trust_report rep = { first_bad, reason, reason_len };
	int rc = replay(a, r, &rep);
	if (!rc)
		rc = catalog_matches(a, r, &rep);
	cv__wipe(r->u, r->cap * sizeof *r->u);
	free(r->u);
	return rc;
}

int cv__signatures_check(cv_archive *a, uint64_t *first_bad, char *reason, size_t reason_len)
{
	registry r = { 0 };
	return run_check(a, &r, first_bad, reason, reason_len);
}

int cv__registered_keys(cv_archive *a, const char *user, unsigned char sign_pub[32], unsigned char seal_pub[32])
{
	registry r = { 0 };
	uint64_t first_bad = 0;
	char reason[256];
	trust_report rep = { &first_bad, reason, sizeof reason };
	int rc = replay(a, &r, &rep);
	if (!rc)
		rc = catalog_matches(a, &r, &rep);
	reg_user *u = rc ? NULL : find(&r, user, 0);
	if (!rc && (!u || !u->keyed))
		rc = cv__err(CV_ENOTFOUND, "user '%s' has no personal keys registered in the journal", user);
	if (!rc) {
		memcpy(sign_pub, u->sign_pub, 32);
		memcpy(seal_pub, u->seal_pub, 32);
	}
	cv__wipe(r.u, r.cap * sizeof *r.u);
	free(r.u);
	return rc;
}

int cv__decision_find(cv_decision *out, cv_archive *a, const char *action, const char *object_prefix)
{
	registry r = { 0 };
	uint64_t first_bad = 0;
	char reason[256];
	memset(out, 0, sizeof *out);
	r.want_action = action;
	r.want_prefix = object_prefix;
	r.found = out;
	CV_TRY(run_check(a, &r, &first_bad, reason, sizeof reason));
	return r.nfound ? 0 : CV_ENOTFOUND;
}
