/* The public mirror API: add, remove, list, configure, push, rotate and the
 * date shredded keys are gone by (casevault/mirror.h). */
#include "mirror/mirror.h"
#include "engine/access.h"
#include "util/date.h"
#include "util/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

CV_EXTERN(int) cv_mirror_settings_init(cv_mirror_settings *s, unsigned int version)
{
	if (version != CV_MIRROR_SETTINGS_VERSION)
		return cv__err(CV_EINVAL, "mirror settings version %u is not known", version);
	cv_mirror_settings d = CV_MIRROR_SETTINGS_INIT;
	*s = d;
	return 0;
}

static int name_ok(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	return len > 0 && len < CV_MIRROR_NAME_MAX && strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789._-") == len && n[0] != '-' && n[0] != '.';
}

/* A local mirror: an absolute path outside the archive, a bare repository
 * (created when missing, or in an empty directory). */
static int local_target(char *abs, size_t cap, cv_archive *a, const char *path)
{
	char parent[PATH_MAX], *slash;
	snprintf(parent, sizeof parent, "%s", path);
	while ((slash = strrchr(parent, '/')) && slash[1] == '\0' && slash != parent)
		*slash = '\0';
	const char *base = (slash = strrchr(parent, '/')) ? slash + 1 : parent;
	char rp[PATH_MAX], ra[PATH_MAX];
	if (slash)
		*slash = '\0';
	if (!realpath(slash ? (parent[0] ? parent : "/") : ".", rp))
		return cv__err(CV_EINVAL, "mirror directory %s: its parent does not exist (%s)", path, strerror(errno));
	if ((size_t)snprintf(abs, cap, "%s/%s", strcmp(rp, "/") ? rp : "", base) >= cap)
		return cv__err(CV_EINVAL, "mirror path %s is too long", path);
	if (realpath(a->dir, ra) && !strncmp(abs, ra, strlen(ra)) && (abs[strlen(ra)] == '/' || !abs[strlen(ra)]))
		return cv__err(CV_EINVAL, "a mirror must live outside the archive directory (%s is inside %s)", abs, ra);
	git_repository *r = NULL;
	if (cv__is_dir(abs) && git_repository_open_bare(&r, abs) == 0) {
		git_repository_free(r);
		return 0;
	}
	git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	o.description = "casevault mirror (encrypted; opaque ids only)";
	if (git_repository_init_ext(&r, abs, &o) < 0)
		return cv__err(CV_EINVAL, "cannot make %s a mirror: it must be a new or empty directory or a bare git "
			"repository (%s)", abs, cv__git_reason());
	git_repository_free(r);
	chmod(abs, 0700);
	return 0;
}

CV_EXTERN(int) cv_mirror_add(cv_archive *a, const char *name, const char *url)
{
	CV_TRY(cv__access_check(a, "mirror.add", name));
	if (!name_ok(name))
		return cv__err(CV_EINVAL, "mirror name '%s' is not valid: letters, digits, '.', '_' and '-', up to 63", name ? name : "");
	if (!url || !*url || strlen(url) >= CV_MIRROR_URL_MAX)
		return cv__err(CV_EINVAL, "mirror %s: no URL, or a URL longer than %d characters", name, CV_MIRROR_URL_MAX - 1);
	char *local = NULL, abs[CV_MIRROR_URL_MAX];
	CV_TRY(cv__mirror_local_path(&local, url));
	int rc = 0;
	if (local)
		rc = local_target(abs, sizeof abs, a, local);
	else if (strncmp(url, "ssh://", 6))
		rc = cv__err(CV_EINVAL, "mirror %s: '%s' is neither a directory, a file:// nor an ssh:// URL", name, url);
	else
		snprintf(abs, sizeof abs, "%s", url);
	free(local);
	CV_TRY(rc);
	CV_TRY(cv__lock(a));
	cv_mstate st;
	rc = cv__mstate_load(&st, a);
	if (!rc && cv__mstate_find(&st, name))
		rc = cv__err(CV_EEXISTS, "there is already a mirror named %s", name);
	for (size_t i = 0; !rc && i < st.nmirrors; i++)
		if (!strcmp(st.mirrors[i].url, abs))
			rc = cv__err(CV_EEXISTS, "%s is already the mirror %s", abs, st.mirrors[i].name);
	cv_mentry *m = NULL;
	if (!rc && !(m = realloc(st.mirrors, (st.nmirrors + 1) * sizeof *m)))
		rc = cv__oom();
	if (!rc) {
		st.mirrors = m;
		m = &st.mirrors[st.nmirrors++];
		memset(m, 0, sizeof *m);
		snprintf(m->name, sizeof m->name, "%s", name);
		snprintf(m->url, sizeof m->url, "%s", abs);
		cv__now_iso(m->added);
		rc = cv__mstate_save(&st, a);
	}
	char obj[128];
	snprintf(obj, sizeof obj, "mirror:%s", name);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "mirror.add", obj, "ok");
	cv__mstate_dispose(&st);
	cv__unlock(a);
	return rc;
}

CV_EXTERN(int) cv_mirror_remove(cv_archive *a, const char *name)
{
	CV_TRY(cv__access_check(a, "mirror.remove", name));
	CV_TRY(cv__lock(a));
	cv_mstate st;
	int rc = cv__mstate_load(&st, a);
	cv_mentry *m = rc ? NULL : cv__mstate_find(&st, name);
	if (!rc && !m)
		rc = cv__err(CV_ENOTFOUND, "no mirror named '%s'", name);
	if (!rc) {
		cv_mentry gone = *m;
		size_t i = (size_t)(m - st.mirrors);
		memmove(m, m + 1, (st.nmirrors - i - 1) * sizeof *m);
		st.nmirrors--;
		rc = cv__mstate_save(&st, a);
		st.mirrors[st.nmirrors] = gone; /* freed by dispose */
		st.nmirrors++;
	}
	char obj[128];
	snprintf(obj, sizeof obj, "mirror:%s", name);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "mirror.remove", obj, "ok");
	cv__mstate_dispose(&st);
	cv__unlock(a);
	return rc;
}

CV_EXTERN(int) cv_mirror_list(cv_mirror_info **out, size_t *count, cv_archive *a)
{
	*out = NULL;
	*count = 0;
	CV_TRY(cv__access_check(a, "mirror.list", NULL));
	cv_mstate st;
	CV_TRY(cv__mstate_load(&st, a));
	cv_mirror_info *l = calloc(st.nmirrors + 1, sizeof *l);
	if (!l) {
		cv__mstate_dispose(&st);
		return cv__oom();
	}
	int rc = 0;
	for (size_t i = 0; !rc && i < st.nmirrors; i++) {
		const cv_mentry *m = &st.mirrors[i];
		cv_mpush p;
		snprintf(l[i].name, sizeof l[i].name, "%s", m->name);
		snprintf(l[i].url, sizeof l[i].url, "%s", m->url);
		snprintf(l[i].added, sizeof l[i].added, "%s", m->added);
		if ((rc = cv__mirror_last_push(a, m->name, &p, &l[i].stale)) || !p.seq)
			continue;
		snprintf(l[i].last_push, sizeof l[i].last_push, "%s", p.time);
		l[i].snapshots = p.snapshots;
		l[i].snapshot = p.snapshot;
		l[i].journal_seq = p.journal_seq;
		snprintf(l[i].journal_head, sizeof l[i].journal_head, "%s", p.journal_head);
		snprintf(l[i].commit, sizeof l[i].commit, "%s", p.commit);
	}
	if (rc) {
		free(l);
		cv__mstate_dispose(&st);
		return rc;
	}
	*out = l;
	*count = st.nmirrors;
	cv__mstate_dispose(&st);
	return 0;
}

CV_EXTERN(void) cv_mirror_list_free(cv_mirror_info *list)
{
	free(list);
}

CV_EXTERN(int) cv_mirror_configure(cv_archive *a, const cv_mirror_settings *set, cv_mirror_settings *out)
{
	cv_mstate st;
	if (!set) {
		CV_TRY(cv__access_check(a, "mirror.list", NULL));
		CV_TRY(cv__mstate_load(&st, a));
		out->version = CV_MIRROR_SETTINGS_VERSION;
		out->epoch_days = st.epoch_days;
		out->retention_days = st.retention_days;
		cv__mstate_dispose(&st);
		return 0;
	}
	CV_TRY(cv__options_version(set, set->version, CV_MIRROR_SETTINGS_VERSION, "mirror settings"));
	CV_TRY(cv__access_check(a, "mirror.configure", NULL));
	if (set->epoch_days < 1 || set->epoch_days > 3660 || set->retention_days < 0 || set->retention_days > 36600)
		return cv__err(CV_EINVAL, "an epoch lasts 1 to 3660 days and the retention window 0 to 36600 days");
	CV_TRY(cv__lock(a));
	int rc = cv__mstate_load(&st, a);
	if (!rc) {
		st.epoch_days = set->epoch_days;
		st.retention_days = set->retention_days;
		rc = cv__mstate_save(&st, a);
	}
	char obj[96];
	snprintf(obj, sizeof obj, "epoch_days:%d retention_days:%d", set->epoch_days, set->retention_days);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "mirror.configure", obj, "ok");
	cv__mstate_dispose(&st);
	cv__unlock(a);
	return rc;
}

CV_EXTERN(int) cv_mirror_push(cv_mirror_push_result *out, cv_archive *a, const char *name)
{
	CV_TRY(cv__result_begin(out, sizeof *out, CV_MIRROR_PUSH_RESULT_VERSION, "mirror push result"));
	CV_TRY(cv__access_check(a, "mirror.push", name));
	int fd = -1;
	CV_TRY(cv__mirror_lock(a, &fd));
	int rc = cv__mirror_push_one(out, a, name, 0);
	cv__mirror_unlock(fd);
	return rc;
}

/* A new epoch now; keys of epochs ended `days` ago or more destroyed. */
static int rotate_epochs(cv_archive *a, int days, cv_mirror_rotate_result *out, char ***names, size_t *n)
{
	char now[32];
	cv__now_iso(now);
	CV_TRY(cv__lock(a));
	cv_mstate st;
	int rc = cv__mstate_load(&st, a);
	if (!rc)
		rc = cv__mstate_new_epoch(&st, now);
	if (!rc) {
		cv__mstate_expire(&st, now, days < 0 ? st.retention_days : days, &out->destroyed);
		snprintf(out->epoch, sizeof out->epoch, "%s", cv__mstate_current(&st)->id_hex);
		rc = cv__mstate_save(&st, a);
	}
	char obj[128];
	snprintf(obj, sizeof obj, "epoch:%.16s destroyed:%zu retention_days:%d", out->epoch, out->destroyed,
		days < 0 ? st.retention_days : days);
	if (!rc)
		rc = cv__journal_record(a->cat, a->actor, "mirror.rotate", obj, "ok");
	if (!rc)
		rc = cv__mstate_journal_destroyed(&st, a, now);
	*names = rc ? NULL : calloc(st.nmirrors + 1, sizeof **names);
	if (!rc && !*names)
		rc = cv__oom();
	for (size_t i = 0; !rc && i < st.nmirrors; i++)
		if (!((*names)[i] = strdup(st.mirrors[i].name)))
			rc = cv__oom();
	*n = st.nmirrors;
	cv__mstate_dispose(&st);
	cv__unlock(a);
	return rc;
}

CV_EXTERN(int) cv_mirror_rotate(cv_mirror_rotate_result *out, cv_archive *a, int retention_days)
{
	CV_TRY(cv__result_begin(out, sizeof *out, CV_MIRROR_ROTATE_RESULT_VERSION, "mirror rotate result"));
	CV_TRY(cv__access_check(a, "mirror.rotate", NULL));
	int fd = -1;
	CV_TRY(cv__mirror_lock(a, &fd));
	char **names = NULL;
	size_t n = 0;
	int rc = rotate_epochs(a, retention_days, out, &names, &n), first = 0;
	char failed[512] = "";
	for (size_t i = 0; !rc && i < n; i++) {
		cv_mirror_push_result pr = CV_MIRROR_PUSH_RESULT_INIT;
		int r = cv__mirror_push_one(&pr, a, names[i], 1);
		if (!r) {
			out->pushed++;
			continue;
		}
		out->failed++;
		if (!first)
			first = r;
		size_t l = strlen(failed);
		snprintf(failed + l, sizeof failed - l, "%s%s (%s)", l ? "; " : "", names[i], cv_error_last()->message);
	}
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	cv__mirror_unlock(fd);
	if (!rc && first)
		rc = cv__err(first, "the epoch keys were destroyed but %zu mirror(s) could not be rewritten and still hold "
			"them: %s; push them again", out->failed, failed);
	return rc;
}

CV_EXTERN(int) cv_mirror_keys_gone_by(char out[11], cv_archive *a)
{
	cv_mstate st;
	CV_TRY(cv__mstate_load(&st, a));
	int rc = 0;
	cv_epoch *cur = cv__mstate_current(&st);
	if (!st.nmirrors)
		rc = CV_ENOTFOUND;
	else {
		char d[11];
		if (cur)
			snprintf(d, sizeof d, "%.10s", cur->created);
		else
			cv__date_today(d);
		rc = cv__date_add_days(out, d, st.epoch_days + st.retention_days);
	}
	cv__mstate_dispose(&st);
	return rc;
}
