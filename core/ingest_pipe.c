/* The chunk pipeline of an ingest: the thread that reads the input cuts
 * chunks, computes their keyed hashes and queues copies; one worker
 * recognises chunks already stored (by this transaction or by an earlier
 * version of the case), and seals and packs the others, in the order they
 * were cut. On two cores this runs reading, chunking and catalog work
 * beside the cryptography instead of after it (docs/performance.md).
 *
 * Plaintext copies wait in a ring of CV_IPIPE_RING bytes (allocated once)
 * and are wiped as soon as the worker is done with them. The first error the worker meets is kept
 * (with its message, since errors are thread-local), later chunks are
 * dropped, and the feeding thread reports it at its next push or at the
 * drain. When no thread can be started the chunks are processed inline. */
#include "ingest_model.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow_out(cv_ingest_pipe *p)
{
	if (p->nout < p->cap_out)
		return 0;
	size_t cap = p->cap_out ? p->cap_out * 2 : 64;
	cv_ingest_chunk *o = realloc(p->out, cap * sizeof *o);
	if (!o)
		return cv__oom();
	p->out = o;
	p->cap_out = cap;
	return 0;
}

/* Dedup (this transaction, then the case's earlier versions), else seal
 * and pack. Runs on the worker. */
static int store_chunk(cv_ingest *t, const unsigned char hash[32], const unsigned char *data, size_t len)
{
	cv_ingest_pipe *p = &t->pipe;
	CV_TRY(grow_out(p));
	cv_ingest_chunk *c = &p->out[p->nout];
	memset(c, 0, sizeof *c);
	c->size = len;
	memcpy(c->hash, hash, 32);
	size_t k = cv__chunkset_find(&t->set, c->hash);
	if (k != (size_t)-1) {
		git_oid_cpy(&c->oid, &t->set.oids[k]);
		t->res.chunks_reused++;
	} else if ((k = cv__chunkset_find(&t->known, c->hash)) != (size_t)-1) {
		git_oid_cpy(&c->oid, &t->known.oids[k]);
		c->known = 1;
		t->res.chunks_reused++;
	} else {
		CV_TRY(cv__txn_put_sealed(&t->txn, &t->key, data, len, &c->oid));
		CV_TRY(cv__chunkset_add(&t->set, c->hash, &c->oid));
		c->fresh = 1;
		t->res.chunks_new++;
		t->res.bytes_stored += len;
	}
	p->nout++;
	return 0;
}

/* The keyed hash, on the feeding thread: it balances the two cores (the
 * worker seals and hashes for git), and a chunk that is already stored is
 * recognised without being encrypted. */
static int keyed_hash(cv_ingest *t, const unsigned char *data, size_t len, unsigned char out[32])
{
	cv_ingest_pipe *p = &t->pipe;
	if (!p->hmac)
		CV_TRY(cv__hmac_new(&p->hmac, t->key.k_hash, sizeof t->key.k_hash));
	else
		CV_TRY(cv__hmac_reset(p->hmac));
	CV_TRY(cv__hmac_update(p->hmac, data, len));
	return cv__hmac_final(p->hmac, out);
}

/* Where the oldest bytes still needed start, or -1 when the ring is empty.
 * Caller holds `mu`. */
static long long ring_lo(const cv_ingest_pipe *p)
{
	if (p->doing)
		return (long long)p->doing->off;
	return p->head ? (long long)p->head->off : -1;
}

/* A place for `len` contiguous bytes: after the newest ones, or at the
 * start once the oldest have moved on; -1 when there is no room yet.
 * Strict inequalities keep a full ring distinct from an empty one. */
static long long ring_place(cv_ingest_pipe *p, size_t len)
{
	long long lo = ring_lo(p);
	if (lo < 0)
		return 0;
	size_t l = (size_t)lo;
	if (p->wpos > l) {
		if (p->wpos + len <= p->ring_size)
			return (long long)p->wpos;
		return len < l ? 0 : -1;
	}
	return p->wpos < l && p->wpos + len < l ? (long long)p->wpos : -1;
}

static void *worker_main(void *arg)
{
	cv_ingest *t = arg;
	cv_ingest_pipe *p = &t->pipe;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (!p->head)
			break;
		cv_chunk_job *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->doing = j;
		int failed = p->rc != 0;
		pthread_mutex_unlock(&p->mu);
		unsigned char *data = p->ring + j->off;
		int rc = failed ? 0 : store_chunk(t, j->hash, data, j->len);
		cv__wipe(data, j->len);
		pthread_mutex_lock(&p->mu);
		if (rc && !p->rc) {
			p->rc = rc;
			snprintf(p->msg, sizeof p->msg, "%s", cv_error_last()->message);
		}
		p->doing = NULL;
		free(j);
		pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int start(cv_ingest *t)
{
	cv_ingest_pipe *p = &t->pipe;
	if (pthread_mutex_init(&p->mu, NULL))
		return cv__err(CV_ERROR, "cannot create a mutex");
	if (pthread_cond_init(&p->work, NULL)) {
		pthread_mutex_destroy(&p->mu);
		return cv__err(CV_ERROR, "cannot create a condition variable");
	}
	if (pthread_cond_init(&p->room, NULL)) {
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		return cv__err(CV_ERROR, "cannot create a condition variable");
	}
	p->inited = 1;
	/* Without a ring or a thread the chunks are processed inline. */
	if ((p->ring = malloc(CV_IPIPE_RING)) != NULL) {
		p->ring_size = CV_IPIPE_RING;
		p->started = pthread_create(&p->thread, NULL, worker_main, t) == 0;
	}
	return 0;
}

/* The worker's error, raised again on this thread. Caller holds `mu`. */
static int worker_error(cv_ingest_pipe *p)
{
	return cv__err(p->rc, "%s", p->msg);
}

/* Wait until the worker has nothing left. Caller holds `mu`. */
static void wait_idle(cv_ingest_pipe *p)
{
	while (p->head || p->doing)
		pthread_cond_wait(&p->room, &p->mu);
}

int cv__ipipe_push(cv_ingest *t, const unsigned char *data, size_t len, unsigned char hash[32])
{
	cv_ingest_pipe *p = &t->pipe;
	if (!p->inited)
		CV_TRY(start(t));
	CV_TRY(keyed_hash(t, data, len, hash));
	if (!p->started)
		return store_chunk(t, hash, data, len);
	cv_chunk_job *j = malloc(sizeof *j);
	if (!j)
		return cv__oom();
	j->next = NULL;
	j->len = len;
	memcpy(j->hash, hash, 32);
	pthread_mutex_lock(&p->mu);
	long long off = -1;
	if (len >= p->ring_size) {
		/* Larger than the ring (never with the default chunk sizes): in
		 * order, on this thread, once the worker is idle. */
		wait_idle(p);
		int rc = p->rc ? worker_error(p) : 0;
		pthread_mutex_unlock(&p->mu);
		free(j);
		return rc ? rc : store_chunk(t, hash, data, len);
	}
	while (!p->rc && (off = ring_place(p, len)) < 0)
		pthread_cond_wait(&p->room, &p->mu);
	if (p->rc) {
		int rc = worker_error(p);
		pthread_mutex_unlock(&p->mu);
		free(j);
		return rc;
	}
	pthread_mutex_unlock(&p->mu);
	/* The region is ours: the worker reads only queued jobs' bytes. */
	j->off = (size_t)off;
	memcpy(p->ring + j->off, data, len);
	pthread_mutex_lock(&p->mu);
	p->wpos = j->off + len;
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int cv__ipipe_drain(cv_ingest *t)
{
	cv_ingest_pipe *p = &t->pipe;
	int rc = 0;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		wait_idle(p);
		if (p->rc)
			rc = worker_error(p);
		pthread_mutex_unlock(&p->mu);
	}
	if (rc)
		return rc;
	/* The last chunks go to disk while the catalog rows and trees are
	 * made; a small remainder waits for the commit's single pack. */
	CV_TRY(cv__packw_kick(&t->txn.pack, 1u << 20));
	if (p->nout != t->nchunks)
		return cv__err(CV_ERROR, "%s: internal error: %zu chunks cut but %zu stored", t->source, t->nchunks, p->nout);
	return 0;
}

void cv__ipipe_dispose(cv_ingest *t)
{
	cv_ingest_pipe *p = &t->pipe;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		/* Nothing queued is stored any more: the operation is ending. */
		if (!p->rc)
			p->rc = CV_ESTATE;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
		p->started = 0;
	}
	while (p->head) {
		cv_chunk_job *j = p->head;
		p->head = j->next;
		free(j);
	}
	p->tail = NULL;
	cv__wipe_free(p->ring, p->ring_size);
	p->ring = NULL;
	p->ring_size = p->wpos = 0;
	if (p->inited) {
		pthread_cond_destroy(&p->room);
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		p->inited = 0;
	}
	cv__hmac_free(p->hmac);
	p->hmac = NULL;
	free(p->out);
	p->out = NULL;
	p->nout = p->cap_out = 0;
}
