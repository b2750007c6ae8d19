/* casevault serve — per-user pools of cv_archive handles.
 *
 * Ownership: a pool owns its template (the handle cv_user_login gave) and
 * its idle handles; a checked-out handle is the request's until returned.
 * A pool lives while the user has a session or a request holds a
 * reference (sv__pool_get / sv__pool_put).
 * Thread-safety: one mutex over the list and every pool's counters; the
 * template has its own mutex since cloning reads it and may take a while. */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sv_pool {
	char user[64];
	cv_archive *tmpl;
	pthread_mutex_t tmpl_lock;
	cv_archive *idle[SV_POOL_HARD_MAX];
	unsigned nidle, total, max;
	unsigned refs;
	int dead;
	pthread_cond_t cond;
	struct sv_pool *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sv_pool *pools;

static sv_pool *find(const char *user)
{
	for (sv_pool *p = pools; p; p = p->next)
		if (!strcmp(p->user, user))
			return p;
	return NULL;
}

static void unlink_pool(sv_pool *p)
{
	for (sv_pool **pp = &pools; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

/* Lock held by the caller; only called once nobody references p. */
static void pool_free(sv_pool *p)
{
	for (unsigned i = 0; i < p->nidle; i++)
		cv_archive_free(p->idle[i]);
	cv_archive_free(p->tmpl);
	pthread_mutex_destroy(&p->tmpl_lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

static void drop_idle(sv_pool *p)
{
	for (unsigned i = 0; i < p->nidle; i++)
		cv_archive_free(p->idle[i]);
	p->total -= p->nidle;
	p->nidle = 0;
}

int sv__pool_attach(sv_server *s, const char *user, cv_archive *login)
{
	if (strlen(user) >= 64) {
		cv_archive_free(login);
		return CV_EINVAL;
	}
	pthread_mutex_lock(&lock);
	sv_pool *p = find(user);
	if (p) {
		/* A fresh login: its roles are the current ones; idle clones of the
		 * old template go, busy ones go when returned... or stay till then. */
		pthread_mutex_lock(&p->tmpl_lock);
		cv_archive *old = p->tmpl;
		p->tmpl = login;
		pthread_mutex_unlock(&p->tmpl_lock);
		drop_idle(p);
		pthread_mutex_unlock(&lock);
		cv_archive_free(old);
		return 0;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		pthread_mutex_unlock(&lock);
		cv_archive_free(login);
		return CV_ENOMEM;
	}
	snprintf(p->user, sizeof p->user, "%s", user);
	p->tmpl = login;
	p->max = s->pool_max < SV_POOL_HARD_MAX ? s->pool_max : SV_POOL_HARD_MAX;
	pthread_mutex_init(&p->tmpl_lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->next = pools;
	pools = p;
	pthread_mutex_unlock(&lock);
	return 0;
}

sv_pool *sv__pool_get(const char *user)
{
	pthread_mutex_lock(&lock);
	sv_pool *p = find(user);
	if (p)
		p->refs++;
	pthread_mutex_unlock(&lock);
	return p;
}

void sv__pool_put(sv_pool *p)
{
	pthread_mutex_lock(&lock);
	if (--p->refs == 0 && p->dead)
		pool_free(p);
	pthread_mutex_unlock(&lock);
}

static cv_archive *clone_one(sv_pool *p)
{
	cv_archive *h = NULL;
	pthread_mutex_lock(&p->tmpl_lock);
	int rc = cv_archive_clone(&h, p->tmpl);
	pthread_mutex_unlock(&p->tmpl_lock);
	if (rc) {
		cv_archive_free(h);
		return NULL;
	}
	return h;
}

cv_archive *sv__pool_checkout(sv_pool *p)
{
	pthread_mutex_lock(&lock);
	for (;;) {
		if (p->nidle) {
			cv_archive *h = p->idle[--p->nidle];
			pthread_mutex_unlock(&lock);
			return h;
		}
		if (p->total < p->max) {
			p->total++;
			pthread_mutex_unlock(&lock);
			cv_archive *h = clone_one(p);
			if (!h) {
				pthread_mutex_lock(&lock);
				p->total--;
				pthread_cond_signal(&p->cond);
				pthread_mutex_unlock(&lock);
			}
			return h;
		}
		pthread_cond_wait(&p->cond, &lock);
	}
}

void sv__pool_return(sv_pool *p, cv_archive *a)
{
	pthread_mutex_lock(&lock);
	if (p->dead || p->nidle >= SV_POOL_HARD_MAX) {
		p->total--;
		cv_archive_free(a);
	} else {
		p->idle[p->nidle++] = a;
	}
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&lock);
}

/* Out of the table (under the lock): its idle handles go now, the rest when
 * the last request using it returns its handle. */
static void retire(sv_pool *p)
{
	unlink_pool(p);
	p->dead = 1;
	drop_idle(p);
	if (p->refs == 0)
		pool_free(p);
}

void sv__pool_drop(const char *user)
{
	pthread_mutex_lock(&lock);
	sv_pool *p = find(user);
	if (p)
		retire(p);
	pthread_mutex_unlock(&lock);
}

void sv__pools_clear(void)
{
	pthread_mutex_lock(&lock);
	while (pools)
		retire(pools);
	pthread_mutex_unlock(&lock);
}
