/* The chunk pipeline of an ingest. The thread that feeds the ingest copies
 * the document's bytes once, into a ring, and cuts chunks there (FastCDC,
 * cv__chunker_next) computing each one's keyed hash; one worker takes the
 * chunks in the order they were cut, recognises those already stored (by
 * this ingest, or by an earlier version of the case) and seals and packs the
 * others. On two cores this runs reading, chunking and the catalog rows
 * beside the cryptography instead of before it (docs/performance.md).
 *
 * The ring holds, in order, the chunks queued for the worker and, after
 * them, the bytes not cut yet ("pending", at most a chunk's maximum). When
 * the pending bytes would run past the end of the ring they move to its
 * start, once the worker is done with what was there. Each chunk's bytes
 * are wiped as soon as the worker is done with them, the whole ring when
 * the ingest ends. The first error the worker meets is kept (with its
 * message, since errors are thread-local), later chunks are dropped, and the
 * feeding thread reports it at its next write or at the drain. Without a
 * thread (or the ring's memory) the chunker's own buffer is used and the
 * chunks are processed inline. */
#include "ingest/ingest_model.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dedup (this transaction, then the case's earlier versions), else seal
 * and pack. Runs on the worker. */
static int store_chunk(cv_ingest *t, const unsigned char hash[32], const unsigned char *data, size_t len)
{
	cv_ingest_pipe *p = &t->pipe;
	CV_TRY(cv__grow((void **)&p->out, &p->cap_out, p->nout, sizeof *p->out));
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
		CV_TRY(cv__txn_put_sealed(&t->txn, &t->key, data, len, &c->oid, c->tag));
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

/* Room for `take` more pending bytes after the ones there. Jobs lie before
 * the pending bytes in ring order: from the oldest (lo) up to them, or, once
 * the pending bytes have moved to the start, from lo to the end and then
 * from the start up to them. */
/* Once the pending bytes have moved to the start, they stay strictly
 * before the oldest queued chunk: were they to reach it, its offset would
 * equal theirs and the ring would look unwrapped (the model in
 * tests/unit/test_ring.c found exactly that). */
int cv__ring_fit(size_t size, long long lo, size_t ps, size_t plen, size_t take)
{
	size_t end = ps + plen;
	if (lo < 0 || (size_t)lo <= ps) {
		if (end + take <= size)
			return 1;
		return lo < 0 || plen + take < (size_t)lo ? 2 : 0;
	}
	return end + take < (size_t)lo ? 1 : 0;
}

static int ring_room(cv_ingest *t, size_t take)
{
	cv_ingest_pipe *p = &t->pipe;
	int rc = 0, fit = 0;
	pthread_mutex_lock(&p->mu);
	while (!(rc = p->rc ? worker_error(p) : 0) && !(fit = cv__ring_fit(p->ring_size, ring_lo(p), p->ps, p->plen, take)))
		pthread_cond_wait(&p->room, &p->mu);
	int move = fit == 2;
	pthread_mutex_unlock(&p->mu);
	/* Outside the lock: the worker reads only queued chunks, none of which
	 * lies in the pending bytes or where they go. */
	if (move) {
		memmove(p->ring, p->ring + p->ps, p->plen);
		p->ps = 0;
	}
	return rc;
}

/* One chunk cut at the start of the pending bytes: hashed here, queued for
 * the worker. */
static int emit(cv_ingest *t, size_t n)
{
	cv_ingest_pipe *p = &t->pipe;
	unsigned char hash[32];
	CV_TRY(keyed_hash(t, p->ring + p->ps, n, hash));
	CV_TRY(cv__ingest_account(t, n, hash));
	cv_chunk_job *j = malloc(sizeof *j);
	if (!j)
		return cv__oom();
	j->next = NULL;
	j->off = p->ps;
	j->len = n;
	memcpy(j->hash, hash, 32);
	p->ps += n;
	p->plen -= n;
	cv__chunker_restart(&t->chunker);
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Cut what can be cut; at the end of a document, the rest too. */
static int cut_ready(cv_ingest *t, int last)
{
	cv_ingest_pipe *p = &t->pipe;
	for (;;) {
		size_t n = cv__chunker_next(&t->chunker, p->ring + p->ps, p->plen);
		if (!n && last)
			n = p->plen;
		if (!n)
			return 0;
		CV_TRY(emit(t, n));
	}
}

/* Inline processing (no worker): the chunker's own buffer, hashed and
 * stored on this thread. */
static int inline_chunk(const unsigned char *data, size_t len, void *payload)
{
	cv_ingest *t = payload;
	unsigned char hash[32];
	CV_TRY(keyed_hash(t, data, len, hash));
	CV_TRY(cv__ingest_account(t, len, hash));
	return store_chunk(t, hash, data, len);
}

int cv__ipipe_feed(cv_ingest *t, const unsigned char *data, size_t len)
{
	cv_ingest_pipe *p = &t->pipe;
	if (!p->inited)
		CV_TRY(start(t));
	if (!p->started)
		return cv__chunker_feed(&t->chunker, data, len, inline_chunk, t);
	while (len) {
		/* at most a chunk's maximum pending: the chunker cuts there */
		size_t take = t->chunker.max - p->plen;
		take = len < take ? len : take;
		CV_TRY(ring_room(t, take));
		memcpy(p->ring + p->ps + p->plen, data, take);
		p->plen += take;
		data += take;
		len -= take;
		CV_TRY(cut_ready(t, 0));
	}
	return 0;
}

int cv__ipipe_finish(cv_ingest *t, int empty)
{
	cv_ingest_pipe *p = &t->pipe;
	if (!p->inited)
		CV_TRY(start(t));
	if (!p->started) {
		CV_TRY(cv__chunker_finish(&t->chunker, inline_chunk, t));
		return empty && !t->docs[t->ndocs - 1].nchunks ? inline_chunk((const unsigned char *)"", 0, t) : 0;
	}
	CV_TRY(cut_ready(t, 1));
	cv__chunker_restart(&t->chunker);
	/* An empty document is one empty chunk (see cv_ingest_doc_end). */
	if (empty && !t->docs[t->ndocs - 1].nchunks)
		CV_TRY(emit(t, 0));
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
	p->ring_size = p->ps = p->plen = 0;
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
