/* A team of threads for one pass of a verification: the calling thread and
 * up to `helpers` more, each with a repository handle of its own (libgit2's
 * handles are not shared between threads), all running `fn` until it finds
 * no work left. A helper whose repository cannot be opened does nothing;
 * the others take its share. */
#include "verify/vctx.h"

#include <pthread.h>

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

void cv__verify_team(size_t helpers, const char *gitdir, cv_store *own, cv_team_fn fn, void *ctx)
{
	member m[TEAM_MAX];
	size_t started = 0;
	for (; started < helpers && started < TEAM_MAX; started++) {
		m[started] = (member){ fn, ctx, gitdir, 0 };
		if (pthread_create(&m[started].th, NULL, member_main, &m[started]) != 0)
			break;
	}
	fn(ctx, own);
	for (size_t i = 0; i < started; i++)
		pthread_join(m[i].th, NULL);
}
