/* The one access table (casevault/access.h) and the one function that
 * consults it before an action. Roles are spelled here and nowhere else in
 * the library; docs/cli.md's table is checked against this one by
 * tests/e2e/test_access.py. */
#include "engine/access.h"
#include "engine/users.h"

#include <stdio.h>
#include <string.h>

static const char *const USER_ROLES[] = { "admin", "archivist", "director", "dpo", "maft", "cnaop", "auditor", NULL };

#define READERS "admin,archivist,dpo,maft"

static const cv_access_rule RULES[] = {
	{ "user.add", "user add", "admin", NULL },
	{ "user.passwd", "user passwd", "admin", "any user for their own credential" },
	{ "case.ingest", "ingest", "admin,archivist", NULL },
	{ "case.show", "case show", READERS, NULL },
	{ "case.close", "case close", "admin,archivist", NULL },
	{ "case.hold", "case hold", "admin,archivist", NULL },
	{ "case.release", "case release", "admin,archivist", NULL },
	{ "doc.list", "doc list", READERS, NULL },
	{ "doc.read", "doc cat", READERS, NULL },
	{ "doc.log", "doc log", "admin,archivist,dpo,maft,auditor", NULL },
	{ "person.find", "find", READERS, NULL },
	{ "redact", "redact", READERS, NULL },
	{ "case.export", "export", READERS, NULL },
	{ "key.case", "key case", "admin,auditor", NULL },
	{ "sweep.plan", "sweep plan", "admin,archivist", NULL },
	{ "sweep.approve", "sweep approve", "director", "not the planner; confirmed with the director's own credential" },
	{ "sweep.refuse", "sweep refuse", "director", "not the planner; confirmed with the director's own credential" },
	{ "sweep.run", "sweep run", "admin,archivist", "an approved plan" },
	{ "sweep.slip", "sweep slip", "admin,archivist,director,auditor", NULL },
	{ "sweep.certificate", "sweep certificate", "admin,archivist,director,auditor", NULL },
	{ "stats", "stats", "admin,archivist,director,dpo,auditor", NULL },
	{ "request.open", "request open", "admin,dpo", NULL },
	{ "request.list", "request list", "admin,dpo,auditor", NULL },
	{ "request.show", "request show", "admin,dpo,auditor", NULL },
	{ "request.register", "request register", "admin,dpo,auditor", NULL },
	{ "request.extend", "request extend", "admin,dpo", NULL },
	{ "request.verify_identity", "request verify-identity", "admin,dpo", NULL },
	{ "request.decide", "request decide", "dpo", "confirmed with the DPO's own credential" },
	{ "request.approve", "request approve", "director", "an erasure that reaches archived cases (R.212-14); with "
		"the director's own credential" },
	{ "request.fulfil", "request fulfil", "admin,dpo", "a decided request whose identity check is recorded; "
		"confirmed with one's own credential" },
	{ "request.lift", "request lift", "dpo", NULL },
	{ "origins.setup", "origins setup", "admin", NULL },
	{ "origins.reshare", "origins reshare", "admin,cnaop", NULL },
	{ "origins.rewrap", "origins rewrap", "cnaop", "a holder of the current sealing key" },
	{ "origins.record", "origins record", "admin,cnaop", NULL },
	{ "origins.status", "origins status", "admin,archivist,cnaop,auditor", NULL },
	{ "origins.approve", "origins approve", "cnaop", "a holder of the current sealing key, with their credential" },
	{ "origins.release", "origins release", "cnaop", "a holder; a threshold of distinct holders' approvals" },
	{ "mirror.add", "mirror add", "admin", NULL },
	{ "mirror.remove", "mirror remove", "admin", NULL },
	{ "mirror.configure", "mirror configure", "admin", NULL },
	{ "mirror.list", "mirror list", "admin,archivist,auditor", NULL },
	{ "mirror.push", "mirror push", "admin,archivist", NULL },
	{ "mirror.rotate", "mirror rotate", "admin", "destroys epoch keys: snapshots older than the window become unreadable" },
	{ "archive.restore", "restore", "admin", "an admin of the archive as it was at the snapshot" },
	{ "archive.verify", "verify", "admin,archivist,auditor", NULL },
	{ "journal.verify", "journal verify", "admin,archivist,dpo,auditor", NULL },
	{ "journal.show", "journal show", "admin,archivist,dpo,auditor", NULL },
	{ "journal.anchor", "journal anchor", "admin,archivist,dpo,auditor", NULL },
};

CV_EXTERN(const cv_access_rule *) cv_access_rules(size_t *n)
{
	*n = sizeof RULES / sizeof *RULES;
	return RULES;
}

CV_EXTERN(const cv_access_rule *) cv_access_rule_find(const char *action)
{
	for (size_t i = 0; action && i < sizeof RULES / sizeof *RULES; i++)
		if (!strcmp(RULES[i].action, action))
			return &RULES[i];
	return NULL;
}

CV_EXTERN(const char *const *) cv_user_roles(void)
{
	return USER_ROLES;
}

int cv__role_known(const char *role)
{
	for (size_t i = 0; role && USER_ROLES[i]; i++)
		if (!strcmp(USER_ROLES[i], role))
			return 1;
	return 0;
}

/* Whether the comma-separated `csv` holds `item` exactly. */
int cv__csv_has(const char *csv, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = csv; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, item, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static int holds_one(const cv_archive *a, const char *roles)
{
	if (!*roles)
		return 1;
	for (const char *p = roles; *p;) {
		const char *e = strchr(p, ',');
		char r[32];
		size_t len = e ? (size_t)(e - p) : strlen(p);
		snprintf(r, sizeof r, "%.*s", (int)len, p);
		if (cv__has_role(a, r))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

CV_EXTERN(int) cv_access_allowed(const cv_archive *a, const char *action)
{
	const cv_access_rule *r = cv_access_rule_find(action);
	if (!r)
		return cv__err(CV_ENOTFOUND, "no action '%s' in the access table", action ? action : "");
	return holds_one(a, r->roles);
}

int cv__access_check(cv_archive *a, const char *action, const char *object)
{
	const cv_access_rule *r = cv_access_rule_find(action);
	if (!r) /* a programming error: every gated action is in the table */
		return cv__err(CV_EDENIED, "%s: this action is not in the access table; refused", action);
	if (holds_one(a, r->roles))
		return 0;
	if (!a->read_only)
		cv__journal_record(a->cat, a->actor, action, object ? object : "", "denied");
	return cv__err(CV_EDENIED, "%s: user '%s' (roles: %s) is not allowed; this needs one of: %s", r->command, a->actor,
		a->roles[0] ? a->roles : "none", r->roles);
}

CV_EXTERN(int) cv_access_require(cv_archive *a, const char *action, const char *object)
{
	if (!cv_access_rule_find(action))
		return cv__err(CV_ENOTFOUND, "no action '%s' in the access table", action ? action : "");
	return cv__access_check(a, action, object);
}
