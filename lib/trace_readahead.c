// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Read-ahead for the trace reader (hmm_trace_reader__readahead(), trace.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "kmap.h"
#include "trace_internal.h"

/*
 * With read-ahead a worker thread does everything next() does above (read, CRC, inflate, delta
 * decoding, record checks, the warnings, the stats) one chunk at a time, and hands each chunk
 * over decoded: its records and the offsets of those next() returns. The consumer only walks
 * the offsets. The worker owns every field of the reader but ra while it runs; the two share
 * only struct readahead, under its lock. Each batch carries the stats as of its end, and
 * hmm_trace_reader__stats() shows those of the batch being walked: at the end, the same as
 * without read-ahead, as are the records and the warnings, in the same order.
 *
 * RA_BATCHES batches are in flight. A side that has to wait is woken only once the other has
 * gone RA_WAKE batches further (or the file ended), not after each one: a wakeup crosses CPUs,
 * tens of microseconds in a VM, and a 10-million-event file has thousands of chunks.
 */
#define RA_BATCHES 8
#define RA_WAKE	   (RA_BATCHES / 2)

struct ra_batch {
	unsigned char *raw; /* the chunk's records (the reader's raw, swapped) */
	size_t raw_cap;
	__u32 *recs; /* offsets in raw of the records next() returns */
	size_t recs_cap, n;
	struct hmm_trace_read_stats st;
	bool end; /* the last batch: next() returns err once its records are walked */
	int err;
	struct hmm_log_buf log; /* the warnings reading it gave: printed when it is taken */
};

struct readahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ra_batch b[RA_BATCHES];
	/* Batches the worker filled, the consumer took and gave back; b[i % RA_BATCHES] is the
	 * i-th. Taken and not given back: the one being walked (cur). */
	__u64 filled, taken, released;
	bool stop, worker_waits, consumer_waits;
	struct ra_batch *cur;
	struct hmm_trace_read_stats st;
};

/* Fill one batch with the next chunk, as next() would walk it; at the end of the file, or where
 * memory runs out (-ENOMEM), the last batch. */
static void ra_fill(struct hmm_trace_reader *r, struct ra_batch *b)
{
	const struct hmm_rec_hdr *rec;
	unsigned char *t;
	size_t cap;
	int err;

	b->n = 0;
	b->end = false;
	/* A new chunk, unless read-ahead started in the middle of one: the rest of it first. */
	if (r->pos >= r->raw_len) {
		err = r->done ? 0 : trace_next_chunk(r);
		if (err <= 0)
			goto last;
	}
	while (trace_chunk_next(r, &rec)) {
		if (grow_array(&b->recs, &b->recs_cap, b->n + 1, sizeof(*b->recs))) {
			b->n = 0;
			err = -ENOMEM;
			goto last;
		}
		b->recs[b->n++] = (__u32)((const unsigned char *)rec - r->raw);
	}
	/* The chunk goes to the batch; the batch's old buffer, which the consumer is done with,
	 * takes the next chunk. */
	t = b->raw, b->raw = r->raw, r->raw = t;
	cap = b->raw_cap, b->raw_cap = r->raw_cap, r->raw_cap = cap;
	r->raw_len = r->pos = 0;
	b->st = r->st;
	return;
last:
	b->end = true;
	b->err = err;
	b->st = r->st;
}

static void *ra_worker(void *arg)
{
	struct hmm_trace_reader *r = arg;
	struct readahead *ra = r->ra;
	struct ra_batch *b;
	bool end;

	do {
		pthread_mutex_lock(&ra->lock);
		while (ra->filled - ra->released == RA_BATCHES && !ra->stop) {
			ra->worker_waits = true;
			pthread_cond_wait(&ra->cond, &ra->lock);
		}
		ra->worker_waits = false;
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			break;
		}
		b = &ra->b[ra->filled % RA_BATCHES];
		pthread_mutex_unlock(&ra->lock);

		hmm_log_capture(&b->log);
		ra_fill(r, b);
		hmm_log_capture(NULL);
		end = b->end;

		pthread_mutex_lock(&ra->lock);
		ra->filled++;
		if (ra->consumer_waits && (ra->filled - ra->taken >= RA_WAKE || end))
			pthread_cond_broadcast(&ra->cond);
		pthread_mutex_unlock(&ra->lock);
	} while (!end);
	return NULL;
}

int trace_ra_next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec)
{
	struct readahead *ra = r->ra;
	struct ra_batch *b;

	for (;;) {
		b = ra->cur;
		if (b && r->rac.i < r->rac.n) {
			*rec = (const void *)(r->rac.raw + r->rac.recs[r->rac.i++]);
			return 1;
		}
		if (b && b->end)
			return b->err;
		/* Give the walked batch back (the record returned last from it is no longer in
		 * use: the caller asked for the next) and take the next one. */
		pthread_mutex_lock(&ra->lock);
		if (b) {
			ra->released++;
			if (ra->worker_waits && ra->filled - ra->released <= RA_BATCHES - RA_WAKE)
				pthread_cond_broadcast(&ra->cond);
		}
		while (ra->filled == ra->taken) {
			ra->consumer_waits = true;
			pthread_cond_wait(&ra->cond, &ra->lock);
		}
		ra->consumer_waits = false;
		b = &ra->b[ra->taken++ % RA_BATCHES];
		pthread_mutex_unlock(&ra->lock);
		ra->cur = b;
		ra->st = b->st;
		hmm_log_flush(&b->log);
		r->rac = (struct ra_cursor){ .raw = b->raw, .recs = b->recs, .n = b->n };
	}
}

/* Stop the worker, wherever it is, and forget what it read ahead. */
void trace_ra_stop(struct hmm_trace_reader *r)
{
	struct readahead *ra = r->ra;

	pthread_mutex_lock(&ra->lock);
	ra->stop = true;
	pthread_cond_broadcast(&ra->cond);
	pthread_mutex_unlock(&ra->lock);
	pthread_join(ra->thread, NULL);
	ra->stop = false;
	ra->filled = ra->taken = ra->released = 0;
	for (size_t i = 0; i < RA_BATCHES; i++) /* what it read ahead is read again */
		hmm_log_buf_free(&ra->b[i].log);
	ra->cur = NULL;
	memset(&r->rac, 0, sizeof(r->rac));
	memset(&ra->st, 0, sizeof(ra->st));
}

const struct hmm_trace_read_stats *trace_ra_stats(const struct readahead *ra)
{
	return &ra->st;
}

int trace_ra_start(struct hmm_trace_reader *r)
{
	return -pthread_create(&r->ra->thread, NULL, ra_worker, r);
}

void trace_ra_free(struct readahead *ra)
{
	size_t i;

	for (i = 0; i < RA_BATCHES; i++) {
		free(ra->b[i].raw);
		free(ra->b[i].recs);
		hmm_log_buf_free(&ra->b[i].log);
	}
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->cond);
	free(ra);
}

int hmm_trace_reader__readahead(struct hmm_trace_reader *r)
{
	struct readahead *ra;
	int err;

	if (r->ra)
		return 0;
	ra = calloc(1, sizeof(*ra));
	if (!ra)
		return -ENOMEM;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->cond, NULL);
	/* From where the caller is: records of the current chunk not yet returned come first. */
	ra->st = r->st;
	r->ra = ra;
	err = trace_ra_start(r);
	if (err) {
		r->ra = NULL;
		trace_ra_free(ra);
	}
	return err;
}
