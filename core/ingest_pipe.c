/* The chunk pipeline of an ingest: the thread that reads the input cuts
 * chunks, computes their keyed hashes and queues copies; one worker
 * recognises chunks already stored (by this transaction or by an earlier
 * version of the case), and seals and packs the others, in the order they
 * were cut. On two cores this runs reading, chunking and catalog work
 * beside the cryptography instead of after it (docs/performance.md).
 *
 * Plaintext copies are wiped before they are freed; at most CV_IPIPE_MAX
 * bytes of them wait at any time. The first error the worker meets is kept
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
		cv__buf_clear(&p->sealed);
		CV_TRY(cv__cms_seal(&p->sealed, t->key.key, t->key.id, data, len));
		CV_TRY(cv__txn_put_blob(&t->txn, p->sealed.data, p->sealed.len, &c->oid));
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

static void drop_job(cv_chunk_job *j)
{
	cv__wipe_free(j, sizeof *j + j->len);
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
		p->busy = 1;
		int failed = p->rc != 0;
		pthread_mutex_unlock(&p->mu);
		int rc = failed ? 0 : store_chunk(t, j->hash, j->data, j->len);
		size_t len = j->len;
		drop_job(j);
		pthread_mutex_lock(&p->mu);
		if (rc && !p->rc) {
			p->rc = rc;
			snprintf(p->msg, sizeof p->msg, "%s", cv_error_last()->message);
		}
		p->queued -= len;
		p->busy = 0;
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
	p->started = pthread_create(&p->thread, NULL, worker_main, t) == 0;
	return 0;
}

/* The worker's error, raised again on this thread. Caller holds `mu`. */
static int worker_error(cv_ingest_pipe *p)
{
	return cv__err(p->rc, "%s", p->msg);
}

int cv__ipipe_push(cv_ingest *t, const unsigned char *data, size_t len)
{
	cv_ingest_pipe *p = &t->pipe;
	if (!p->inited)
		CV_TRY(start(t));
	unsigned char hash[32];
	CV_TRY(keyed_hash(t, data, len, hash));
	if (!p->started)
		return store_chunk(t, hash, data, len);
	cv_chunk_job *j = malloc(sizeof *j + len);
	if (!j)
		return cv__oom();
	j->next = NULL;
	j->len = len;
	memcpy(j->hash, hash, 32);
	memcpy(j->data, data, len);
	pthread_mutex_lock(&p->mu);
	while (!p->rc && p->queued && p->queued + len > CV_IPIPE_MAX)
		pthread_cond_wait(&p->room, &p->mu);
	if (p->rc) {
		int rc = worker_error(p);
		pthread_mutex_unlock(&p->mu);
		drop_job(j);
		return rc;
	}
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued += len;
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
		while (p->head || p->busy)
			pthread_cond_wait(&p->room, &p->mu);
		if (p->rc)
			rc = worker_error(p);
		pthread_mutex_unlock(&p->mu);
	}
	if (rc)
		return rc;
	if (p->nout != t->nchunks)
		return cv__err(CV_ERROR, "%s: internal error: %zu chunks cut but %zu stored", t->source, t->nchunks, p->nout);
	for (size_t i = 0; i < t->ndocs; i++)
		t->docs[i].chunks = p->out + t->docs[i].first;
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
		drop_job(j);
	}
	p->tail = NULL;
	if (p->inited) {
		pthread_cond_destroy(&p->room);
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		p->inited = 0;
	}
	cv__hmac_free(p->hmac);
	p->hmac = NULL;
	cv__buf_wipe_dispose(&p->sealed);
	free(p->out);
	p->out = NULL;
	p->nout = p->cap_out = 0;
}
