/* casevault serve — the MAFT officer's reviews in progress (review_store.h).
 *
 * Owned by the MAFT pages (page_maft.c). A singly linked list under one
 * mutex: a handful of reviews at a time, each looked up by a 128-bit random
 * id and its owner. Expired entries are dropped (wiped) by the next call of
 * any function: no timer thread, so an expired review may stay in memory
 * until the store is next used, never longer than that, and never readable.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero, getrandom */
#endif
#include "review_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Bounds on memory: an officer rarely has more than a couple of copies in
 * review; the oldest of theirs is dropped beyond that. */
#define RS_MAX_PER_USER 8
#define RS_MAX_ALL 256

typedef struct rs_entry {
	struct rs_entry *next;
	char id[33];
	char user[64];
	rs_meta meta;
	char *doc, *persons, *refusal;
	time_t made;          /* CLOCK_MONOTONIC seconds: a clock change does not extend a review */
} rs_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static rs_entry *head;

void rs_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void entry_free(rs_entry *e)
{
	rs_free(e->doc);
	rs_free(e->persons);
	rs_free(e->refusal);
	explicit_bzero(e, sizeof *e);
	free(e);
}

/* Ids compared in constant time: a review id is a bearer of third parties' names. */
static int id_equal(const char *a, const char *b)
{
	if (strlen(a) != 32 || strlen(b) != 32)
		return 0;
	unsigned char d = 0;
	for (size_t i = 0; i < 32; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* With the lock held: drop expired entries; returns how many remain. */
static size_t purge_locked(void)
{
	time_t now = now_s();
	size_t n = 0;
	for (rs_entry **p = &head; *p;) {
		if (now - (*p)->made >= RS_TTL_S) {
			rs_entry *dead = *p;
			*p = dead->next;
			entry_free(dead);
		} else {
			n++;
			p = &(*p)->next;
		}
	}
	return n;
}

/* With the lock held: drop the oldest entry of `user` (NULL: of anyone). */
static void drop_oldest_locked(const char *user)
{
	rs_entry **oldest = NULL;
	for (rs_entry **p = &head; *p; p = &(*p)->next)
		if ((!user || !strcmp((*p)->user, user)) && (!oldest || (*p)->made <= (*oldest)->made))
			oldest = p;
	if (oldest) {
		rs_entry *dead = *oldest;
		*oldest = dead->next;
		entry_free(dead);
	}
}

static size_t count_user_locked(const char *user)
{
	size_t n = 0;
	for (rs_entry *e = head; e; e = e->next)
		n += !strcmp(e->user, user);
	return n;
}

static rs_entry *find_locked(const char *id, const char *user)
{
	purge_locked();
	for (rs_entry *e = head; id && user && e; e = e->next)
		if (id_equal(e->id, id) && !strcmp(e->user, user))
			return e;
	return NULL;
}

static int random_id(char out[33])
{
	unsigned char raw[16];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof raw);
	return 0;
}

/* Reviews are wiped when the service exits normally, like its sessions. */
static pthread_once_t at_exit_once = PTHREAD_ONCE_INIT;

static void register_clear(void)
{
	atexit(rs_clear);
}

int rs_put(char id_out[33], const char *user, const rs_meta *meta, const char *doc, const char *persons)
{
	pthread_once(&at_exit_once, register_clear);
	if (!user || strlen(user) >= sizeof ((rs_entry *)0)->user || !doc)
		return -1;
	rs_entry *e = calloc(1, sizeof *e);
	if (!e || random_id(e->id)) {
		free(e);
		return -1;
	}
	snprintf(e->user, sizeof e->user, "%s", user);
	e->meta = *meta;
	e->doc = strdup(doc);
	e->persons = dup_or_null(persons ? persons : "[]");
	e->made = now_s();
	if (!e->doc || !e->persons) {
		entry_free(e);
		return -1;
	}
	memcpy(id_out, e->id, 33);
	pthread_mutex_lock(&lock);
	if (purge_locked() >= RS_MAX_ALL)
		drop_oldest_locked(NULL);
	if (count_user_locked(user) >= RS_MAX_PER_USER)
		drop_oldest_locked(user);
	e->next = head;
	head = e;
	pthread_mutex_unlock(&lock);
	return 0;
}

int rs_get(rs_view *out, const char *id, const char *user)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&lock);
	rs_entry *e = find_locked(id, user);
	int rc = -1;
	if (e) {
		out->meta = e->meta;
		out->doc = strdup(e->doc);
		out->persons = dup_or_null(e->persons);
		out->refusal = dup_or_null(e->refusal);
		rc = out->doc && (out->persons || !e->persons) && (out->refusal || !e->refusal) ? 0 : -1;
	}
	pthread_mutex_unlock(&lock);
	if (rc)
		rs_view_free(out);
	return rc;
}

int rs_update(const char *id, const char *user, const char *doc)
{
	char *copy = doc ? strdup(doc) : NULL;
	if (!copy)
		return -1;
	pthread_mutex_lock(&lock);
	rs_entry *e = find_locked(id, user);
	if (e) {
		char *old = e->doc;
		e->doc = copy;
		copy = old;
	}
	pthread_mutex_unlock(&lock);
	rs_free(copy);
	return e ? 0 : -1;
}

void rs_set_refusal(const char *id, const char *user, const char *reason)
{
	char *copy = dup_or_null(reason);
	pthread_mutex_lock(&lock);
	rs_entry *e = find_locked(id, user);
	if (e) {
		char *old = e->refusal;
		e->refusal = copy;
		copy = old;
	}
	pthread_mutex_unlock(&lock);
	rs_free(copy);
}

void rs_clear(void)
{
	pthread_mutex_lock(&lock);
	while (head) {
		rs_entry *dead = head;
		head = dead->next;
		entry_free(dead);
	}
	pthread_mutex_unlock(&lock);
}

void rs_view_free(rs_view *v)
{
	rs_free(v->doc);
	rs_free(v->persons);
	rs_free(v->refusal);
	explicit_bzero(v, sizeof *v);
}
