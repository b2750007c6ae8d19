/* Pushing to a mirror (mirror.h): a snapshot of the catalog under the
 * writer lock, sealed under the current epoch, staged with the archive's
 * header and the live keyring in a scratch repository, then one push that
 * moves the mirror's two refs last. */
#include "util/json.h"
#include "mirror/mirror.h"
#include "mirror/snapshot.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <errno.h>
#include <jansson.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_NEWEST 7

typedef struct snapinfo {
	cv_msnap snap;
	git_oid commit;
} snapinfo;

/* Under the writer lock: epochs up to date, the snapshot and what it
 * describes. The snapshot's number is spent even if the push fails, so
 * numbers are never reused. */
static int take(cv_archive *a, cv_mstate *st, const char *now, cv_buf *image, snapinfo *si, size_t *destroyed)
{
	CV_TRY(cv__lock(a));
	cv__mstate_dispose(st);
	int rc = cv__mstate_load(st, a);
	cv_epoch *cur = rc ? NULL : cv__mstate_current(st);
	if (!rc && (!cur || cv__mirror_days(cur->created, now) >= st->epoch_days))
		rc = cv__mstate_new_epoch(st, now);
	if (!rc)
		cv__mstate_expire(st, now, st->retention_days, destroyed);
	char *head = NULL;
	uint64_t seq = 0;
	unsigned char jh[32];
	if (!rc)
		rc = cv__catalog_meta_get(a->cat, "head", &head);
	if (!rc && (!head || git_oid_fromstr(&si->commit, head) < 0))
		rc = cv__err(CV_ESTATE, "the archive has no commit to mirror yet");
	if (!rc)
		rc = cv__journal_head(a->cat, &seq, jh);
	if (!rc)
		rc = cv__snapshot_take(image, a);
	if (!rc) {
		cur = cv__mstate_current(st);
		si->snap.seq = st->next_snapshot++;
		si->snap.journal_seq = seq;
		cv__hex(si->snap.journal_head, jh, 32);
		snprintf(si->snap.commit, sizeof si->snap.commit, "%s", head);
		snprintf(si->snap.epoch, sizeof si->snap.epoch, "%s", cur->id_hex);
		snprintf(si->snap.taken, sizeof si->snap.taken, "%s", now);
		rc = cv__mstate_save(st, a);
	}
	if (!rc && *destroyed)
		rc = cv__mstate_journal_destroyed(st, a, now);
	free(head);
	cv__unlock(a);
	return rc;
}

/* The snapshots the new mirror commit keeps, from what the mirror holds now
 * (its manifest, fetched as refs/casevault/prev): those of live epochs whose
 * blob is there, the newest of each epoch and the KEEP_NEWEST newest. */
static int kept_snaps(cv_msnap **out, size_t *n, cv_mstate *st, git_repository *stage)
{
	*out = NULL;
	*n = 0;
	git_oid prev;
	cv_msnap *all = NULL, newest;
	size_t nall = 0;
	if (git_reference_name_to_id(&prev, stage, "refs/casevault/prev") < 0) {
		*out = calloc(1, sizeof **out);
		return *out ? 0 : cv__oom();
	}
	cv_buf b = CV_BUF_INIT;
	json_t *man = NULL;
	int rc = cv__mirror_read(&b, stage, &prev, "manifest.json");
	if (!rc)
		rc = cv__json_parse(&man, b.data, b.len, 0, "the mirror's manifest");
	if (!rc)
		rc = cv__manifest_pick(man, 0, &newest, &all, &nall);
	json_decref(man);
	cv__buf_dispose(&b);
	git_odb *odb = NULL;
	if (!rc && git_repository_odb(&odb, stage) < 0)
		rc = cv__err(CV_ERROR, "cannot read the scratch repository: %s", cv__git_reason());
	if (!rc && !(*out = calloc(nall + 1, sizeof **out)))
		rc = cv__oom();
	for (size_t i = 0; !rc && i < nall; i++) {
		const cv_msnap *p = &all[i];
		cv_epoch *e = cv__mstate_epoch(st, p->epoch);
		git_oid oid;
		if (!e || !e->has_key || git_oid_fromstr(&oid, p->oid) < 0 || !git_odb_exists(odb, &oid))
			continue;
		int newest_of_epoch = 1;
		for (size_t j = i + 1; j < nall; j++)
			if (!strcmp(all[j].epoch, p->epoch))
				newest_of_epoch = 0;
		if (newest_of_epoch || i + KEEP_NEWEST >= nall)
			(*out)[(*n)++] = *p;
	}
	git_odb_free(odb);
	free(all);
	return rc;
}

static int blob(git_oid *oid, git_repository *r, const void *p, size_t n)
{
	if (git_blob_create_from_buffer(oid, r, p, n) < 0)
		return cv__err(CV_ERROR, "cannot stage the mirror's files: %s", cv__git_reason());
	return 0;
}

static int manifest_text(char **out, cv_archive *a, const char *name, const char *now, const cv_msnap *s, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		char file[64];
		snprintf(file, sizeof file, "snapshots/%012llu.cms", (unsigned long long)s[i].seq);
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "seq", (json_int_t)s[i].seq,
			"file", file, "epoch", s[i].epoch, "taken", s[i].taken, "oid", s[i].oid, "commit", s[i].commit,
			"journal_seq", (json_int_t)s[i].journal_seq, "journal_head", s[i].journal_head));
	}
	json_t *root = json_pack("{s:s,s:i,s:s,s:s,s:s,s:o}", "format", "casevault-mirror", "version", 1, "archive", a->id,
		"name", name, "pushed", now, "snapshots", arr);
	*out = root ? cv__json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	return *out ? 0 : cv__oom();
}

/* The tree also names the archive commit's root tree ("archive"): libgit2's
 * pack builder marks uninteresting only the trees of the commits the mirror
 * already has, so without it a push would send the whole archive again. */
static int build_tree(git_oid *out, git_repository *r, const git_oid ids[3], const git_oid *archive_tree,
	const cv_msnap *s, size_t n)
{
	git_treebuilder *tb = NULL, *sb = NULL;
	git_oid sub, oid;
	int ok = git_treebuilder_new(&sb, r, NULL) == 0;
	for (size_t i = 0; ok && i < n; i++) {
		char file[32];
		snprintf(file, sizeof file, "%012llu.cms", (unsigned long long)s[i].seq);
		ok = git_oid_fromstr(&oid, s[i].oid) == 0 && git_treebuilder_insert(NULL, sb, file, &oid, GIT_FILEMODE_BLOB) == 0;
	}
	ok = ok && git_treebuilder_write(&sub, sb) == 0 && git_treebuilder_new(&tb, r, NULL) == 0 &&
	     git_treebuilder_insert(NULL, tb, "archive.json", &ids[0], GIT_FILEMODE_BLOB) == 0 &&
	     git_treebuilder_insert(NULL, tb, "keyring.json", &ids[1], GIT_FILEMODE_BLOB) == 0 &&
	     git_treebuilder_insert(NULL, tb, "manifest.json", &ids[2], GIT_FILEMODE_BLOB) == 0 &&
	     git_treebuilder_insert(NULL, tb, "snapshots", &sub, GIT_FILEMODE_TREE) == 0 &&
	     git_treebuilder_insert(NULL, tb, "archive", archive_tree, GIT_FILEMODE_TREE) == 0 &&
	     git_treebuilder_write(out, tb) == 0;
	git_treebuilder_free(sb);
	git_treebuilder_free(tb);
	return ok ? 0 : cv__err(CV_ERROR, "cannot stage the mirror's tree: %s", cv__git_reason());
}

/* Stage the mirror commit and point the scratch refs at what to send. */
static int stage_commit(git_oid *mc, cv_archive *a, cv_mstate *st, const char *name, git_repository *r,
	const snapinfo *si, const cv_msnap *kept, size_t nkept, const char *now)
{
	cv_buf hdr = CV_BUF_INIT;
	char *ring = NULL, *man = NULL;
	git_oid ids[3], tree;
	git_commit *parent = NULL;
	git_tree *t = NULL;
	git_signature *sig = NULL;
	int rc = cv__read_file(&hdr, a->config_path, 65536);
	if (!rc)
		rc = cv__mstate_keyring(&ring, st, a);
	if (!rc)
		rc = manifest_text(&man, a, name, now, kept, nkept);
	if (!rc)
		rc = blob(&ids[0], r, hdr.data, hdr.len);
	if (!rc)
		rc = blob(&ids[1], r, ring, strlen(ring));
	if (!rc)
		rc = blob(&ids[2], r, man, strlen(man));
	git_commit *ac = NULL;
	if (!rc && git_commit_lookup(&ac, r, &si->commit) < 0)
		rc = cv__err(CV_ERROR, "cannot read the archive's commit: %s", cv__git_reason());
	if (!rc)
		rc = build_tree(&tree, r, ids, git_commit_tree_id(ac), kept, nkept);
	git_commit_free(ac);
	char msg[512];
	snprintf(msg, sizeof msg, "casevault mirror snapshot %llu\n\nArchive: %s\nJournal-Seq: %llu\nJournal-Head: %s\n",
		(unsigned long long)si->snap.seq, a->id, (unsigned long long)si->snap.journal_seq, si->snap.journal_head);
	if (!rc && (git_commit_lookup(&parent, r, &si->commit) < 0 || git_tree_lookup(&t, r, &tree) < 0 ||
		       git_signature_now(&sig, "casevault", "casevault@localhost") < 0 ||
		       git_commit_create(mc, r, NULL, sig, sig, NULL, msg, t, 1, (const git_commit **)&parent) < 0))
		rc = cv__err(CV_ERROR, "cannot stage the mirror's commit: %s", cv__git_reason());
	git_reference *ref = NULL;
	if (!rc && git_reference_create(&ref, r, CV_MIRROR_REF, mc, 1, NULL) < 0)
		rc = cv__err(CV_ERROR, "cannot stage the mirror's ref: %s", cv__git_reason());
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(t);
	git_commit_free(parent);
	free(ring);
	free(man);
	cv__buf_dispose(&hdr);
	return rc;
}

static int on_update(const char *refname, const char *status, void *data)
{
	cv_remote_ctx *x = data;
	if (status && !x->rejected[0])
		snprintf(x->rejected, sizeof x->rejected, "%s: %s", refname, status);
	return 0;
}

/* What the mirror holds now: nothing, or one ref, a mirror commit of this
 * archive whose parent this archive's history contains. That commit is
 * fetched into the scratch repository (its snapshots stay in the new tree,
 * and the push sends only what it lacks). */
static int check_remote(git_remote *rem, git_repository *r, cv_archive *a, const cv_mentry *m)
{
	git_remote_callbacks cb;
	cv_remote_ctx x = { m->url };
	cv__mirror_callbacks(&cb, &x);
	if (git_remote_connect(rem, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0)
		return cv__err(CV_ERROR, "cannot reach mirror %s at %s: %s", m->name, m->url, cv__mirror_reason(&x));
	const git_remote_head **heads = NULL;
	size_t n = 0;
	int has_mirror = 0, others = 0;
	if (git_remote_ls(&heads, &n, rem) < 0) {
		git_remote_disconnect(rem);
		return cv__err(CV_ERROR, "cannot list mirror %s at %s: %s", m->name, m->url, cv__git_reason());
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(heads[i]->name, CV_MIRROR_REF))
			has_mirror = 1;
		else if (strcmp(heads[i]->name, "HEAD"))
			others = 1;
	}
	git_remote_disconnect(rem);
	if (others)
		return cv__err(CV_EREFUSED, "%s at %s is not a casevault mirror (it holds other refs); give an empty "
			"repository", m->name, m->url);
	if (!has_mirror)
		return 0;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	cv_remote_ctx y = { m->url };
	cv__mirror_callbacks(&fo.callbacks, &y);
	char *spec = "+" CV_MIRROR_REF ":refs/casevault/prev";
	git_strarray specs = { &spec, 1 };
	git_oid prev, head;
	/* libgit2 1.5 can report a fetch done whose ref update failed for want
	 * of memory: the ref missing after a fetch is fetched once more */
	for (int attempt = 0; attempt < 2; attempt++) {
		/* and a refspec it could not allocate for as "not a valid
		 * reference name": a failed fetch is made once more too */
		if (git_remote_fetch(rem, &specs, &fo, NULL) < 0 && git_remote_fetch(rem, &specs, &fo, NULL) < 0)
			return cv__err(CV_ERROR, "cannot fetch what mirror %s at %s holds now: %s", m->name, m->url,
				cv__mirror_reason(&y));
		if (git_reference_name_to_id(&prev, r, "refs/casevault/prev") == 0)
			break;
	}
	git_commit *pc = NULL;
	cv_buf hdr = CV_BUF_INIT;
	int rc = git_reference_name_to_id(&prev, r, "refs/casevault/prev") < 0
		? cv__err(CV_ERROR, "mirror %s: its state was not fetched (%s)", m->name, cv__git_reason())
		: cv__mirror_read(&hdr, r, &prev, "archive.json");
	json_t *h = NULL;
	if (!rc && cv__json_parse(&h, hdr.data, hdr.len, 0, "the mirror's archive.json") == CV_ENOMEM)
		rc = CV_ENOMEM;
	const char *hid = json_string_value(json_object_get(h, "id"));
	if (!rc && (!hid || strcmp(hid, a->id)))
		rc = cv__err(CV_EREFUSED, "mirror %s at %s is a mirror of another archive", m->name, m->url);
	json_decref(h);
	cv__buf_dispose(&hdr);
	/* its archive commit must be in this archive's history (else: an archive
	 * restored from an older copy would overwrite newer data) */
	if (!rc && git_commit_lookup(&pc, r, &prev) < 0)
		rc = cv__err(cv__git_code(CV_EDAMAGED), "mirror %s at %s: its commit cannot be read: %s", m->name, m->url,
			cv__git_reason());
	else if (!rc && git_commit_parentcount(pc) != 1)
		rc = cv__err(CV_EDAMAGED, "mirror %s at %s: its commit is not a mirror commit", m->name, m->url);
	int hr = rc ? rc : cv__store_head(a->store, &head), has_head = !rc && hr == 0;
	if (!rc && hr == CV_ENOTFOUND)
		cv_error_clear(); /* an archive without a commit: nothing to compare */
	else if (!rc && hr)
		rc = hr;
	int desc = 1;
	if (has_head) {
		const git_oid *c = git_commit_parent_id(pc, 0);
		desc = git_oid_equal(c, &head) ? 1 : git_graph_descendant_of(r, &head, c);
		if (desc < 0)
			rc = cv__err(cv__git_code(CV_ERROR), "mirror %s: cannot compare its history with the archive's: %s", m->name,
				cv__git_reason());
		else if (desc != 1)
			rc = cv__err(CV_EREFUSED, "mirror %s at %s holds a history this archive does not have (an archive "
				"restored from an older copy?); give it a new mirror", m->name, m->url);
	}
	git_commit_free(pc);
	return rc;
}

/* A push killed while the mirror's ref was being updated leaves its lock
 * file, and every later push would fail on it. Only this archive pushes to
 * its mirrors (another archive's or an older history is refused above) and
 * DIR/mirror.lock is held: on a local mirror the lock is stale and goes.
 * (An ssh:// mirror's server keeps it until someone removes it there.) */
static int clear_stale_lock(const cv_mentry *m)
{
	char *local = NULL;
	CV_TRY(cv__mirror_local_path(&local, m->url));
	if (!local)
		return 0;
	char *lock = cv__path_join(local, CV_MIRROR_REF ".lock");
	int rc = 0;
	if (!lock)
		rc = cv__oom();
	else if (unlink(lock) < 0 && errno != ENOENT)
		rc = cv__err(CV_ERROR, "mirror %s: cannot remove the stale lock %s: %s", m->name, lock, strerror(errno));
	free(lock);
	free(local);
	return rc;
}

/* How many objects a push of the staged mirror commit must send: the walk
 * libgit2's push makes (from the commit, the mirror's current commit
 * hidden), made again on our side. libgit2 1.5 can lose part of that walk
 * to one failed allocation and still send the shorter pack; its local
 * transport then moves the mirror's ref onto a commit whose objects are not
 * all there (tests/fault found `git fsck` failing on such a mirror after a
 * push that exited 0). */
static int objects_to_send_once(unsigned *n, git_repository *r)
{
	git_oid mine, prev;
	git_revwalk *w = NULL;
	git_packbuilder *pb = NULL;
	int has_prev = git_reference_name_to_id(&prev, r, "refs/casevault/prev") == 0;
	git_error_clear();
	int e = git_reference_name_to_id(&mine, r, CV_MIRROR_REF);
	if (!e && has_prev && git_oid_equal(&mine, &prev)) {
		*n = 0; /* up to date: nothing is sent */
		return 0;
	}
	if (!e)
		e = git_revwalk_new(&w, r);
	if (!e)
		e = git_revwalk_sorting(w, GIT_SORT_TIME);
	if (!e)
		e = git_revwalk_push(w, &mine);
	if (!e && has_prev)
		e = git_revwalk_hide(w, &prev);
	if (!e)
		e = git_packbuilder_new(&pb, r);
	if (!e)
		e = git_packbuilder_insert_walk(pb, w);
	if (!e)
		*n = (unsigned)git_packbuilder_object_count(pb);
	git_packbuilder_free(pb);
	git_revwalk_free(w);
	return e < 0 ? cv__err(cv__git_code(CV_ERROR), "cannot count what to send to the mirror: %s", cv__git_reason())
		     : 0;
}

/* libgit2 1.5 reads an object it could not allocate for as "not found":
 * a walk that failed is made once more before it is believed. */
static int objects_to_send(unsigned *n, git_repository *r)
{
	int rc = objects_to_send_once(n, r);
	return rc && rc != CV_ENOMEM ? objects_to_send_once(n, r) : rc;
}

typedef struct push_ctx {
	cv_remote_ctx x; /* first: the remote callbacks' payload */
	unsigned expect;
	int short_pack;
} push_ctx;

/* As the pack goes out: a pack whose count differs from the walk above is
 * never completed (a non-zero return cancels the push before any ref
 * moves: a local mirror's indexer stops, a server's receive-pack gets a
 * cut pack and refuses it). */
static int on_transfer(unsigned current, unsigned total, size_t bytes, void *data)
{
	push_ctx *p = data;
	(void)current;
	(void)bytes;
	if (total == p->expect)
		return 0;
	p->short_pack = 1;
	snprintf(p->x.refused, sizeof p->x.refused, "the pack built for it holds %u objects where %u are due "
		"(a walk cut short for want of memory); the push was cancelled before the mirror's ref moved", total,
		p->expect);
	return -1;
}

static int send(git_remote *rem, git_repository *r, const cv_mentry *m)
{
	push_ctx p = { { m->url }, 0, 0 };
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	cv__mirror_callbacks(&po.callbacks, &p.x);
	po.callbacks.push_update_reference = on_update;
	po.callbacks.push_transfer_progress = on_transfer;
	/* one ref: the mirror moves from one whole state to the next at once */
	char *specs_s[] = { "+" CV_MIRROR_REF ":" CV_MIRROR_REF };
	git_strarray specs = { specs_s, 1 };
	/* libgit2 1.5 loses the out-of-memory class inside a push ("no such
	 * reference", "error reading from the zlib stream", a forced ref update
	 * refused because the mirror's ref was not seen): a push that failed or
	 * was refused is made once more before it is believed (it is
	 * idempotent: the mirror's one ref moves to the same commit or stays) */
	int rc = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		memset(p.x.refused, 0, sizeof p.x.refused);
		memset(p.x.rejected, 0, sizeof p.x.rejected);
		p.short_pack = 0;
		CV_TRY(objects_to_send(&p.expect, r));
		rc = git_remote_push(rem, &specs, &po);
		if (rc == 0 && !p.x.rejected[0])
			return 0;
	}
	if (rc < 0)
		return cv__err(p.short_pack ? CV_ENOMEM : cv__git_code(CV_ERROR), "cannot push to mirror %s at %s: %s",
			m->name, m->url, cv__mirror_reason(&p.x));
	return cv__err(CV_EREFUSED, "mirror %s at %s refused the update (%s)", m->name, m->url, p.x.rejected);
}

/* Keys shredded after the oldest snapshot any mirror still holds (in a live
 * epoch) was taken: those snapshots hold them until that epoch goes. Told by
 * journal sequence, not by time, so that a shredding and a snapshot in the
 * same second are told apart. */
static int shredded_after(cv_archive *a, uint64_t seq, size_t *n)
{
	sqlite3_stmt *q = NULL;
	*n = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &q, "SELECT count(*) FROM journal WHERE action IN ('case.anonymise',"
		"'case.destroy','case.erase') AND outcome='ok' AND seq > ?"));
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	int step = cv__catalog_step(a->cat, q, "count the shreddings");
	if (step > 0)
		*n = (size_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return step < 0 ? step : 0;
}

/* The push's one record in the archive, once the mirror's ref has moved:
 * a journal entry (one transaction), so the archive is before or after. */
static int record(cv_archive *a, const char *name, const snapinfo *si, const cv_msnap *kept, size_t nkept)
{
	cv_mpush p;
	memset(&p, 0, sizeof p);
	p.snapshot = si->snap.seq;
	snprintf(p.commit, sizeof p.commit, "%s", si->snap.commit);
	p.journal_seq = si->snap.journal_seq;
	snprintf(p.journal_head, sizeof p.journal_head, "%s", si->snap.journal_head);
	p.snapshots = nkept;
	p.oldest = si->snap.journal_seq;
	for (size_t i = 0; i < nkept; i++)
		if (kept[i].journal_seq < p.oldest)
			p.oldest = kept[i].journal_seq;
	return cv__mirror_record_push(a, name, &p);
}

static void result_fill(cv_mirror_push_result *out, cv_archive *a, cv_mstate *st, const snapinfo *si,
	const git_oid *mc, const cv_msnap *kept, size_t nkept, const char *name)
{
	snprintf(out->name, sizeof out->name, "%s", name);
	out->snapshot = si->snap.seq;
	snprintf(out->epoch, sizeof out->epoch, "%s", si->snap.epoch);
	snprintf(out->commit, sizeof out->commit, "%s", si->snap.commit);
	git_oid_tostr(out->mirror_commit, sizeof out->mirror_commit, mc);
	out->journal_seq = si->snap.journal_seq;
	snprintf(out->journal_head, sizeof out->journal_head, "%s", si->snap.journal_head);
	out->snapshots = nkept;
	uint64_t oldest = UINT64_MAX;
	for (size_t i = 0; i < nkept; i++)
		if (kept[i].journal_seq < oldest)
			oldest = kept[i].journal_seq;
	for (size_t j = 0; j < st->nmirrors; j++) {
		cv_mpush lp;
		int stale = 0;
		if (!strcmp(st->mirrors[j].name, name) || cv__mirror_last_push(a, st->mirrors[j].name, &lp, &stale) || !lp.seq)
			continue;
		if (lp.oldest < oldest)
			oldest = lp.oldest;
	}
	cv_epoch *cur = cv__mstate_current(st);
	if (cur && !shredded_after(a, oldest, &out->shredded) && out->shredded) {
		char d[11];
		snprintf(d, sizeof d, "%.10s", cur->created);
		cv__date_add_days(out->keys_gone_by, d, st->epoch_days + st->retention_days);
	}
	cv_error_clear();
}

int cv__mirror_push_one(cv_mirror_push_result *out, cv_archive *a, const char *name, int prune)
{
	char now[32];
	cv__now_iso(now);
	cv_mstate st = { 0 };
	CV_TRY(cv__mstate_load(&st, a));
	cv_mentry *m = cv__mstate_find(&st, name);
	if (!m) {
		cv__mstate_dispose(&st);
		return cv__err(CV_ENOTFOUND, "no mirror named '%s'", name);
	}
	cv_mentry ment = *m; /* name and url: the state is reloaded under the lock */
	char *stage_dir = cv__path_join(a->dir, "mirror-stage"), *objs = cv__path_join(a->gitdir, "objects");
	git_repository *r = NULL;
	git_remote *rem = NULL;
	cv_buf image = CV_BUF_INIT, sealed = CV_BUF_INIT;
	snapinfo si;
	memset(&si, 0, sizeof si);
	cv_msnap *kept = NULL;
	size_t nkept = 0, destroyed = 0;
	git_oid mc, soid;
	/* What the mirror already has, as a ref of the scratch repository: a
	 * local fetch hides only the commits the mirror holds itself, so the
	 * archive commit of the last push (from the journal) is the one that
	 * keeps the fetch of the mirror's state to the mirror's own files. */
	git_oid have;
	cv_mpush last;
	int stale = 0;
	int has_have = cv__mirror_last_push(a, name, &last, &stale) == 0 && last.seq &&
		git_oid_fromstr(&have, last.commit) == 0 && cv__store_exists(a->store, &have);
	if (!has_have)
		has_have = cv__store_head(a->store, &have) == 0;
	cv_error_clear();
	int rc = stage_dir && objs ? cv__mirror_stage(&r, stage_dir, objs, has_have ? &have : NULL) : cv__oom();
	/* a URL `mirror add` accepted: libgit2 1.5 says a failed allocation in
	 * its URL parser as a bad argument ("'path && *path'"), so a refusal is
	 * asked once more before it is believed */
	if (!rc && git_remote_create_anonymous(&rem, r, ment.url) < 0 &&
		git_remote_create_anonymous(&rem, r, ment.url) < 0)
		rc = cv__err(CV_EINVAL, "mirror %s: '%s' is not a URL git can use: %s", name, ment.url, cv__git_reason());
	if (!rc)
		rc = check_remote(rem, r, a, &ment);
	if (!rc)
		rc = take(a, &st, now, &image, &si, &destroyed);
	m = rc ? NULL : cv__mstate_find(&st, name);
	if (!rc && !m)
		rc = cv__err(CV_ENOTFOUND, "mirror %s was removed", name);
	cv_epoch *cur = rc ? NULL : cv__mstate_current(&st);
	if (!rc)
		rc = cv__snapshot_seal(&sealed, cur, image.data, image.len);
	cv__buf_wipe_dispose(&image);
	if (!rc)
		rc = blob(&soid, r, sealed.data, sealed.len);
	if (!rc) {
		git_oid_tostr(si.snap.oid, sizeof si.snap.oid, &soid);
		rc = kept_snaps(&kept, &nkept, &st, r);
	}
	if (!rc) {
		kept[nkept++] = si.snap;
		rc = stage_commit(&mc, a, &st, name, r, &si, kept, nkept, now);
	}
	if (!rc)
		rc = clear_stale_lock(&ment);
	if (!rc)
		rc = send(rem, r, &ment);
	if (!rc)
		rc = record(a, name, &si, kept, nkept);
	char *local = NULL;
	if (!rc && prune && !(rc = cv__mirror_local_path(&local, ment.url)) && local) {
		rc = cv__mirror_prune(local);
		out->pruned = !rc;
	}
	if (!rc)
		result_fill(out, a, &st, &si, &mc, kept, nkept, name);
	free(local);
	free(kept);
	cv__buf_dispose(&sealed);
	git_remote_free(rem);
	git_repository_free(r);
	if (stage_dir)
		cv__rmtree_quiet(stage_dir);
	free(stage_dir);
	free(objs);
	cv__mstate_dispose(&st);
	return rc;
}
