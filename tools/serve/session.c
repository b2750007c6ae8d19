/* casevault serve — the server-side session table: 256-bit random ids,
 * a CSRF token each, idle and absolute timeouts. The cookie only carries
 * the id; who the user is and what they may do stays here.
 *
 * Ownership: the table owns its sessions; lookups hand out copies
 * (sv_session_view) so that a session may end while a request runs.
 * Ids and tokens are wiped when a session ends.
 * Thread-safety: one mutex over the table; pool drops happen after it is
 * released (pool.c has its own lock). */
#include "session.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sv_session {
	sv_session_view v;
	time_t created, last;
	struct sv_session *next;
} sv_session;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sv_session *head;
static unsigned count;

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int sv__sessions_init(void)
{
	return 0;
}

static int expired(const sv_server *s, const sv_session *x, time_t now)
{
	return now - x->last >= (time_t)s->idle_s || now - x->created >= (time_t)s->absolute_s;
}

static int user_has_session(const char *user)
{
	for (sv_session *x = head; x; x = x->next)
		if (!strcmp(x->v.user, user))
			return 1;
	return 0;
}

/* Unlink and wipe one session (lock held). Returns 1 when it was the
 * user's last, copying the name out so the pool can go once unlocked. */
static int unlink_session(sv_session **pp, char user_out[64])
{
	sv_session *x = *pp;
	*pp = x->next;
	count--;
	memcpy(user_out, x->v.user, 64);
	OPENSSL_cleanse(x, sizeof *x);
	free(x);
	return !user_has_session(user_out);
}

int sv__session_find(sv_server *s, const char *sid, sv_session_view *out)
{
	char gone[64];
	int drop = 0, found = 0;
	time_t now = now_s();
	if (strlen(sid) != 64)
		return CV_ENOTFOUND;
	pthread_mutex_lock(&lock);
	for (sv_session **pp = &head; *pp; pp = &(*pp)->next) {
		/* Every entry compared in constant time, no early exit on a prefix. */
		if (CRYPTO_memcmp((*pp)->v.sid, sid, 64) != 0)
			continue;
		if (expired(s, *pp, now)) {
			drop = unlink_session(pp, gone);
		} else {
			(*pp)->last = now;
			*out = (*pp)->v;
			found = 1;
		}
		break;
	}
	pthread_mutex_unlock(&lock);
	if (drop)
		sv__pool_drop(gone);
	return found ? 0 : CV_ENOTFOUND;
}

int sv__session_create(sv_server *s, const char *user, const char *roles, sv_session_view *out)
{
	sv__sessions_sweep(s);
	sv_session *x = calloc(1, sizeof *x);
	if (!x)
		return CV_ENOMEM;
	if (strlen(user) >= sizeof x->v.user || sv__random_hex(x->v.sid, 32) || sv__random_hex(x->v.csrf, 32)) {
		OPENSSL_cleanse(x, sizeof *x);
		free(x);
		return CV_ERROR;
	}
	snprintf(x->v.user, sizeof x->v.user, "%s", user);
	snprintf(x->v.roles, sizeof x->v.roles, "%s", roles ? roles : "");
	x->created = x->last = now_s();
	pthread_mutex_lock(&lock);
	if (count >= SV_SESSIONS_MAX) {
		pthread_mutex_unlock(&lock);
		OPENSSL_cleanse(x, sizeof *x);
		free(x);
		return CV_EBUSY;
	}
	x->next = head;
	head = x;
	count++;
	*out = x->v;
	pthread_mutex_unlock(&lock);
	return 0;
}

void sv__session_destroy(sv_server *s, const char *sid)
{
	char gone[64];
	int drop = 0;
	(void)s;
	if (!sid || strlen(sid) != 64)
		return;
	pthread_mutex_lock(&lock);
	for (sv_session **pp = &head; *pp; pp = &(*pp)->next)
		if (CRYPTO_memcmp((*pp)->v.sid, sid, 64) == 0) {
			drop = unlink_session(pp, gone);
			break;
		}
	pthread_mutex_unlock(&lock);
	if (drop)
		sv__pool_drop(gone);
}

/* At most one user's pool dropped per pass under the lock; loop until clean. */
static void sweep(sv_server *s, int all)
{
	for (;;) {
		char gone[64];
		int drop = 0, any = 0;
		time_t now = now_s();
		pthread_mutex_lock(&lock);
		for (sv_session **pp = &head; *pp; pp = &(*pp)->next)
			if (all || expired(s, *pp, now)) {
				drop = unlink_session(pp, gone);
				any = 1;
				break;
			}
		pthread_mutex_unlock(&lock);
		if (drop)
			sv__pool_drop(gone);
		if (!any)
			return;
	}
}

void sv__sessions_sweep(sv_server *s)
{
	sweep(s, 0);
}

void sv__sessions_clear(sv_server *s)
{
	sweep(s, 1);
}
