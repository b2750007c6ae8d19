/* The case walk of a verification: every case with a key, checked on as
 * many threads as there are cores (each with its own catalog connection
 * and repository), blocks of consecutive cases per grab so that pack
 * windows are reused; damage is delivered afterwards in case order, so the
 * report does not depend on the number of threads. Quick mode checks
 * structure (objects exist, revision tags, the case tree's id against the
 * catalog's, sealed identities); full mode also decrypts and authenticates
 * every live chunk and manifest. */
#include "verify/vctx.h"
#include "util/buf.h"
#include "util/wipe.h"
#include "catalog/rowmac.h"
#include "records/sealed.h"
#include "records/revtag.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cv__verify_damage(vctx *v, const char *object, const char *reason)
{
	v->rep->damaged++;
	if (!v->keep) {
		if (v->cb)
			v->cb(object, reason, v->payload);
		return;
	}
	char *o = strdup(object), *r = strdup(reason);
	if (!o || !r || cv__grow((void **)&v->found, &v->capfound, v->nfound, sizeof *v->found)) {
		free(o); /* out of memory: counted, not described */
		free(r);
		return;
	}
	v->found[v->nfound] = (vfound){ v->at, v->nfound, o, r };
	v->nfound++;
}

int cv__verify_in_subset(const vctx *v, const git_oid *oid)
{
	if (!v->o->subset_t)
		return 1;
	unsigned x = (unsigned)oid->id[0] << 8 | oid->id[1];
	return x % v->o->subset_t == v->o->subset_n - 1;
}

int cv__verify_oid_cmp(const void *x, const void *y)
{
	return git_oid_cmp(x, y);
}

#define damage cv__verify_damage
#define in_subset cv__verify_in_subset

int cv__verify_seen(vctx *v, const git_oid *oid)
{
	CV_TRY(cv__grow((void **)&v->seen, &v->capseen, v->nseen, sizeof *v->seen));
	git_oid_cpy(&v->seen[v->nseen++], oid);
	return 0;
}

/* Every revision's chunk list against its tag: rows removed, added,
 * reordered or edited are damage even when every object is sound. */
static int check_revision_tags(vctx *v, const char *case_id, const cv_case_key *k)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(v->a->cat, &st, "SELECT doc_id, rev FROM revisions WHERE case_id=? ORDER BY doc_id, rev"));
	cv__bind_text(st, 1, case_id);
	int step;
	while ((step = cv__catalog_step(v->a->cat, st, "list the case's revisions")) == 1) {
		const char *doc = (const char *)sqlite3_column_text(st, 0);
		unsigned rev = (unsigned)sqlite3_column_int(st, 1);
		if (cv__rev_check(v->a, case_id, k, doc, rev)) {
			char obj[160];
			snprintf(obj, sizeof obj, "case %s document %s revision %u", case_id, doc, rev);
			const char *why = cv_error_last()->message;
			size_t ol = strlen(obj);
			if (!strncmp(why, obj, ol) && !strncmp(why + ol, ": ", 2))
				why += ol + 2; /* the object is named once */
			damage(v, obj, why);
		}
	}
	cv__stmt_done(st);
	if (step < 0)
		return step;
	CV_TRY(cv__catalog_stmt(v->a->cat, &st,
		"SELECT rc.doc_id, rc.rev, rc.seq FROM rev_chunks rc LEFT JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash"
		" WHERE rc.case_id=? AND c.hash IS NULL"));
	cv__bind_text(st, 1, case_id);
	while ((step = cv__catalog_step(v->a->cat, st, "list the case's chunk records")) == 1) {
		char obj[160];
		snprintf(obj, sizeof obj, "case %s document %s revision %d chunk %d", case_id,
			(const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1), sqlite3_column_int(st, 2));
		damage(v, obj, "the chunk's record is missing from the catalog");
	}
	cv__stmt_done(st);
	return step < 0 ? step : 0;
}

static int verify_case(vctx *v, vcase *c, const git_oid *root, int has_root)
{
	cv_archive *a = v->a;
	const char *id = c->id;
	int whole = !v->o->subset_t || v->o->subset_n == 1;
	cv_case_key k;
	if ((v->rows_sound ? cv__case_key_unwrap(a, id, &k) : cv__case_key_load(a, id, &k)) < 0) {
		char obj[96];
		snprintf(obj, sizeof obj, "case %s key", id);
		damage(v, obj, cv_error_last()->message);
		return 0;
	}
	if (c->manifest[0]) {
		git_oid m;
		char label[96];
		snprintf(label, sizeof label, "case %s manifest", id);
		if (git_oid_fromstr(&m, c->manifest) == 0 && in_subset(v, &m))
			cv__verify_object(v, &m, label, &k, NULL, 0);
	}
	/* The chunks of a large case are decrypted by helper threads while this
	 * one checks the revision tags and builds the expected tree, then joins
	 * them. */
	cv_chunk_pass *cp = NULL;
	int rc = cv__verify_case_chunks_begin(&cp, v, id, &k);
	if (!rc && whole)
		rc = check_revision_tags(v, id, &k);
	/* the case tree the catalog describes; compared with the branch's all
	 * at once after the walk (cv__verify_branch_cases) */
	if (!rc && has_root && whole && c->manifest[0]) {
		c->has_tree = cv__verify_expected_tree(v, id, c->manifest, c->sealed, &c->tree) == 0;
		cv_error_clear();
	}
	if (cp)
		cv__verify_case_chunks_end(v, cp);
	cv__case_key_wipe(&k);
	char why[256]; /* the sealed identity: hash and structure, never decrypted */
	int sealed = !rc && whole ? cv__sealed_verify(a, id, has_root ? root : NULL, v->o->quick, why, sizeof why) : 0;
	if (sealed == CV_EDAMAGED) {
		char obj[96];
		snprintf(obj, sizeof obj, "case %s sealed identity", id);
		damage(v, obj, why);
	} else if (sealed < 0) {
		rc = sealed; /* the check could not run: verify fails, it does not pass */
	}
	return rc;
}

/* ---- the walk, on several threads ---------------------------------- */

#define WALK_BLOCK 64   /* at most, consecutive cases per grab: their objects share pack windows */

typedef struct vshared {
	vcase *cases;
	size_t n;
	size_t block;
	atomic_size_t next, done;
	atomic_int stop;
	const git_oid *root;
	int has_root;
	cv_archive *caller; /* progress is reported on the caller's thread only */
	char *head;         /* the catalog's head in the caller's snapshot */
} vshared;

typedef struct vworker {
	vctx v;
	cv_verify_report rep;
	cv_archive arch; /* the caller's keys, its own catalog connection and repository */
	vshared *sh;
	int is_caller, rc;
	char err[512];
	pthread_t th;
} vworker;

static void *walk(void *p)
{
	vworker *w = p;
	vshared *sh = w->sh;
	while (!w->rc && !atomic_load(&sh->stop)) {
		size_t i = atomic_fetch_add(&sh->next, sh->block);
		if (i >= sh->n)
			break;
		size_t end = i + sh->block < sh->n ? i + sh->block : sh->n, from = i;
		for (; i < end && !w->rc; i++) {
			w->v.at = i;
			w->rc = verify_case(&w->v, &sh->cases[i], sh->root, sh->has_root);
		}
		size_t done = atomic_fetch_add(&sh->done, i - from) + (i - from);
		if (w->rc) {
			snprintf(w->err, sizeof w->err, "%s", cv_error_last()->message);
			atomic_store(&sh->stop, 1);
		} else if (w->is_caller) {
			cv__progress(sh->caller, "verify", done, sh->n);
		}
	}
	return NULL;
}

/* A helper thread's handle: the caller's (keys, paths, options) with a
 * catalog connection and a repository of its own, since neither may be
 * shared between threads. Read-only use. */
static int worker_open(vworker *w, const vctx *v, vshared *sh)
{
	cv_archive *a = v->a;
	w->arch = *a;
	w->arch.cat = NULL;
	w->arch.store = NULL;
	w->arch.progress = NULL;
	w->arch.credential = NULL;
	w->arch.lock_fd = -1;
	if (cv__catalog_open(&w->arch.cat, a->catalog_path, 0, a->lock_timeout_ms) ||
		cv__rowmac_start(w->arch.cat, a->k_rows) || cv__store_open(&w->arch.store, a->gitdir) ||
		cv__catalog_read_begin(w->arch.cat))
		return -1;
	cv__journal_use_key(w->arch.cat, a->k_journal);
	/* The same snapshot as the caller's, or none: a commit in between
	 * would make this thread see cases the branch's root does not have. */
	char *head = NULL;
	int got = cv__catalog_meta_get(w->arch.cat, "head", &head) == 0;
	int same = got ? sh->head && !strcmp(head, sh->head) : !sh->head;
	free(head);
	if (!same)
		return -1;
	w->v.a = &w->arch;
	w->sh = sh;
	return 0;
}

static void worker_close(vworker *w)
{
	if (w->arch.cat)
		cv__catalog_read_end(w->arch.cat);
	cv__catalog_close(w->arch.cat);
	cv__store_free(w->arch.store);
	cv__wipe(&w->arch, sizeof w->arch); /* copies of the derived keys */
}

static int load_cases(cv_archive *a, vcase **out, size_t *n)
{
	sqlite3_stmt *cs = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	/* In the order the cases were stored: their objects lie together in the
	 * packs, so the pack windows mapped for one case serve the next. */
	CV_TRY(cv__catalog_prepare(a->cat, &cs, "SELECT c.id, c.manifest, c.sealed FROM cases c JOIN case_keys k ON "
		"k.case_id=c.id ORDER BY c.rowid"));
	int rc = 0, r;
	while (!rc && (r = sqlite3_step(cs)) == SQLITE_ROW) {
		if ((rc = cv__grow((void **)out, &cap, *n, sizeof **out)))
			break;
		vcase *c = &(*out)[(*n)++];
		cv__col_text(cs, 0, c->id, sizeof c->id);
		cv__col_text(cs, 1, c->manifest, sizeof c->manifest);
		cv__col_text(cs, 2, c->sealed, sizeof c->sealed);
	}
	if (!rc && r != SQLITE_DONE)
		rc = cv__catalog_fail(a->cat, "list cases");
	sqlite3_finalize(cs);
	return rc;
}

static int found_cmp(const void *x, const void *y)
{
	const vfound *a = x, *b = y;
	return a->at != b->at ? (a->at < b->at ? -1 : 1) : (a->seq > b->seq) - (a->seq < b->seq);
}

/* What the threads found, merged into the caller's context: counts, the
 * objects they checked, and damage in case order. */
static int merge(vctx *v, vworker *w, size_t nw)
{
	size_t total = 0;
	int rc = 0;
	for (size_t i = 0; i < nw; i++) {
		v->rep->objects += w[i].rep.objects;
		v->rep->bytes += w[i].rep.bytes;
		v->rep->damaged += w[i].rep.damaged - w[i].v.nfound; /* any not described (out of memory) */
		total += w[i].v.nfound;
		for (size_t j = 0; !rc && j < w[i].v.nseen; j++)
			rc = cv__verify_seen(v, &w[i].v.seen[j]);
	}
	vfound *all = total ? malloc(total * sizeof *all) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < nw; i++)
		for (size_t j = 0; j < w[i].v.nfound; j++) {
			if (all)
				all[k++] = w[i].v.found[j];
			else
				v->rep->damaged++; /* out of memory: counted, not described */
		}
	if (all)
		qsort(all, k, sizeof *all, found_cmp);
	for (size_t j = 0; j < k; j++)
		damage(v, all[j].object, all[j].reason);
	for (size_t i = 0; i < nw; i++) {
		for (size_t j = 0; j < w[i].v.nfound; j++) {
			free(w[i].v.found[j].object);
			free(w[i].v.found[j].reason);
		}
		free(w[i].v.found);
		free(w[i].v.seen);
	}
	free(all);
	return rc;
}

/* One per core unless the caller says (version 3 options); never more
 * threads than cases. */
static size_t walk_threads(const vctx *v, size_t ncases)
{
	size_t t = v->threads;
	return t < ncases ? t : ncases ? ncases : 1;
}

int cv__verify_cases(vctx *v, const git_oid *root, int has_root)
{
	vcase *cases = NULL;
	size_t n = 0;
	CV_TRY(load_cases(v->a, &cases, &n));
	vshared sh = { .cases = cases, .n = n, .root = root, .has_root = has_root, .caller = v->a };
	if (cv__catalog_meta_get(v->a->cat, "head", &sh.head) != 0)
		cv_error_clear();
	atomic_init(&sh.next, 0);
	atomic_init(&sh.done, 0);
	atomic_init(&sh.stop, 0);
	size_t want = walk_threads(v, n), nw = 0;
	/* blocks small enough that every thread gets several */
	sh.block = n / (want * 4);
	sh.block = sh.block < 1 ? 1 : sh.block > WALK_BLOCK ? WALK_BLOCK : sh.block;
	vworker *w = calloc(want, sizeof *w);
	if (!w) {
		free(cases);
		return cv__oom();
	}
	for (size_t i = 0; i < want; i++) {
		vworker *x = &w[nw];
		x->v = *v;
		x->v.rep = &x->rep;
		x->v.seen = NULL;
		x->v.nseen = x->v.capseen = 0;
		x->v.keep = 1;
		x->sh = &sh;
		x->is_caller = i == 0;
		if (i > 0 && worker_open(x, v, &sh) < 0) {
			worker_close(x);
			cv_error_clear();
			break; /* fewer threads, same result */
		}
		if (i > 0 && pthread_create(&x->th, NULL, walk, x) != 0) {
			worker_close(x);
			break;
		}
		nw++;
	}
	walk(&w[0]);
	for (size_t i = 1; i < nw; i++)
		pthread_join(w[i].th, NULL);
	int rc = 0;
	char err[512] = "";
	for (size_t i = 0; i < nw && !rc; i++)
		if (w[i].rc) {
			rc = w[i].rc;
			snprintf(err, sizeof err, "%s", w[i].err);
		}
	for (size_t i = 1; i < nw; i++)
		worker_close(&w[i]);
	int mr = merge(v, w, nw);
	v->rep->cases = n;
	if (!rc && !mr && has_root && (!v->o->subset_t || v->o->subset_n == 1))
		mr = cv__verify_branch_cases(v, root, cases, n);
	free(w);
	free(cases);
	free(sh.head);
	if (rc)
		return cv__err(rc, "%s", err);
	return mr;
}
