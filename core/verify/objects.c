/* Every object of the repository not checked with its case (trees,
 * commits, older manifests and documents' earlier chunks): each read and
 * hashed again (libgit2's SHA-1), never cached — a hundred thousand cases
 * make a million of them, and libgit2's cache would keep 256 MiB of what is
 * read once — by a team of threads (team.c), damage reported in a fixed
 * order whatever the team. */
#include "verify/vctx.h"

#include <git2/sys/odb_backend.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJ_BLOCK 256 /* at most, objects per grab */

typedef struct oteam {
	const git_oid *ids;
	size_t n, block;
	atomic_size_t next;
	char **why;         /* per object: NULL when sound */
	unsigned char *bad; /* per object, even when its reason could not be kept */
} oteam;

static void run(void *ctx, cv_store *store)
{
	oteam *t = ctx;
	for (;;) {
		size_t i = atomic_fetch_add(&t->next, t->block);
		if (i >= t->n)
			break;
		size_t end = i + t->block < t->n ? i + t->block : t->n;
		for (; i < end; i++) {
			if (cv__store_read_verified(store, &t->ids[i]) == 0 ||
				cv__store_read_verified(store, &t->ids[i]) == 0) /* re-read once */
				continue;
			t->bad[i] = 1;
			t->why[i] = strdup(cv_error_last()->message);
		}
	}
}

static int collect(const git_oid *id, void *payload)
{
	vctx *v = payload;
	return cv__verify_seen(v, id) ? -1 : 0;
}

int cv__verify_objects(vctx *v)
{
	cv_archive *a = v->a;
	size_t already = v->nseen;
	if (already)
		qsort(v->seen, already, sizeof *v->seen, cv__verify_oid_cmp);
	/* git_odb_foreach would call the mempack backend, which has no foreach
	 * in libgit2 1.5; walk the on-disk backends ourselves. */
	size_t nb = git_odb_num_backends(a->store->odb);
	for (size_t b = 0; b < nb; b++) {
		git_odb_backend *be = NULL;
		if (git_odb_get_backend(&be, a->store->odb, b) < 0 || !be->foreach || be == a->store->mempack)
			continue;
		if (be->foreach(be, collect, v) < 0)
			return cv__err(cv__git_code(CV_EDAMAGED), "cannot list git objects: %s", cv__git_reason());
	}
	/* the ones left to check, kept at the end of `seen` */
	size_t n = already;
	for (size_t i = already; i < v->nseen; i++) {
		const git_oid *id = &v->seen[i];
		if ((already && bsearch(id, v->seen, already, sizeof *id, cv__verify_oid_cmp)) || !cv__verify_in_subset(v, id))
			continue;
		git_oid_cpy(&v->seen[n++], id);
	}
	oteam t = { .ids = v->seen + already, .n = n - already };
	atomic_init(&t.next, 0);
	t.why = calloc(t.n ? t.n : 1, sizeof *t.why);
	t.bad = calloc(t.n ? t.n : 1, 1);
	if (!t.why || !t.bad) {
		free(t.why);
		free(t.bad);
		return cv__oom();
	}
	/* blocks small enough that every thread gets several */
	t.block = t.n / (v->threads * 4);
	t.block = t.block < 1 ? 1 : t.block > OBJ_BLOCK ? OBJ_BLOCK : t.block;
	cv__verify_team(v->threads > 1 && t.n > 1 ? v->threads - 1 : 0, a->gitdir, a->store, run, &t);
	for (size_t i = 0; i < t.n; i++) {
		v->rep->objects++;
		if (t.bad[i]) {
			char obj[96], hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof hex, &t.ids[i]);
			snprintf(obj, sizeof obj, "git object %s", hex);
			cv__verify_damage(v, obj, t.why[i] ? t.why[i] : "cannot be read");
		}
		free(t.why[i]);
	}
	free(t.why);
	free(t.bad);
	v->nseen = n;
	return 0;
}
