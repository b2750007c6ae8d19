/* A team of threads for one pass of a verification: the calling thread and
 * up to `helpers` more, each with a repository handle of its own (libgit2's
 * handles are not shared between threads), all running `fn` until it finds
 * no work left. A helper whose repository cannot be opened does nothing;
 * the others take its share. */
#include "verify/vctx.h"

#include <pthread.h>
#include <stdlib.h>

#define TEAM_MAX 8

typedef struct member {
	cv_team_fn fn;
	void *ctx;
	const char *gitdir;
	pthread_t th;
} member;

static void *member_main(void *p)
{
	member *m = p;
	cv_store *s = NULL;
	if (cv__store_open(&s, m->gitdir) == 0)
		m->fn(m->ctx, s);
	cv__store_free(s);
	return NULL;
}

struct cv_team {
	member m[TEAM_MAX];
	size_t started;
	cv_team_fn fn;
	void *ctx;
};

cv_team *cv__verify_team_begin(size_t helpers, const char *gitdir, cv_team_fn fn, void *ctx)
{
	cv_team *t = calloc(1, sizeof *t);
	if (!t)
		return NULL; /* the caller does all the work in cv__verify_team_end */
	t->fn = fn;
	t->ctx = ctx;
	for (; t->started < helpers && t->started < TEAM_MAX; t->started++) {
		t->m[t->started] = (member){ fn, ctx, gitdir, 0 };
		if (pthread_create(&t->m[t->started].th, NULL, member_main, &t->m[t->started]) != 0)
			break;
	}
	return t;
}

void cv__verify_team_end(cv_team *t, cv_store *own, cv_team_fn fn, void *ctx)
{
	fn(ctx, own);
	for (size_t i = 0; t && i < t->started; i++)
		pthread_join(t->m[i].th, NULL);
	free(t);
}

void cv__verify_team(size_t helpers, const char *gitdir, cv_store *own, cv_team_fn fn, void *ctx)
{
	cv__verify_team_end(cv__verify_team_begin(helpers, gitdir, fn, ctx), own, fn, ctx);
}
