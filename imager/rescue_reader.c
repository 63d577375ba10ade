/*
 * rescue_reader.c — source reads with a deadline.
 *
 * A failing disk may take a read and never answer (a USB bridge that
 * hangs, a disk whose firmware loops).  pread() cannot be given a timeout,
 * so the rescue hands each read to one reader thread and waits for it on a
 * condition variable with a deadline.  When the deadline passes, the
 * rescue reports the device as not answering (the map is already saved
 * up to the last checkpoint) instead of waiting forever; the reader thread
 * is left behind, detached, still owning the buffer and the device, which
 * are then deliberately not freed (the process ends soon after; a thread
 * stuck in the kernel cannot be cancelled).
 *
 * Handing one read to another thread costs two wake-ups; for the phases
 * that read sector by sector (trim, scrape, retry) that was a third of
 * their time, so the thread also takes a batch: up to 64 KiB of
 * one-sector reads in a row, optionally stopping at the first failure;
 * the copy passes give it up to RS_BATCH bytes of RS_CHUNK reads, which
 * also stop after a slow one.
 * The deadline is per read: it counts from the start of the read under
 * way, which the thread notes under the lock before each one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rescue_int.h"

struct lb_rs_reader {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int has_job, done, quit;
	struct lb_dev *src;
	void *buf;
	size_t len;
	uint64_t pos;
	int64_t n;
	/* a batch: PIECES reads of LEN bytes, forward from POS or backward
	 * from it (POS is then the last piece); BUF holds them at their
	 * offsets from the lowest piece */
	int pieces, rev, stop, did;
	double slow_s;          /* with STOP: also end after a read this slow */
	int64_t res[RS_PIECES];         /* its own: a stuck read may write late */
	unsigned char slow[RS_PIECES];  /* the read took longer than slow_s */
	double started;         /* CLOCK_MONOTONIC s when the current read began */
	uint64_t at;            /* byte where the current read began */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs the job in R (the lock is not held); returns pieces done. */
static int run_job(struct lb_rs_reader *r)
{
	uint64_t lo = r->rev ? r->pos - (uint64_t)(r->pieces - 1) * r->len : r->pos;
	int i;

	for (i = 0; i < r->pieces; i++) {
		uint64_t p = r->rev ? r->pos - (uint64_t)i * r->len
				    : r->pos + (uint64_t)i * r->len;
		double t0 = now_s();
		pthread_mutex_lock(&r->mu);
		r->started = t0;
		r->at = p;
		pthread_mutex_unlock(&r->mu);
		r->res[i] = lb_dev_pread(r->src, (char *)r->buf + (p - lo),
					 r->len, p);
		r->slow[i] = r->slow_s > 0 && now_s() - t0 > r->slow_s;
		if (r->stop && (r->res[i] != (int64_t)r->len || r->slow[i])) {
			i++;
			break;
		}
	}
	return i;
}

static void *reader_main(void *arg)
{
	struct lb_rs_reader *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->has_job && !r->quit)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->quit)
			break;
		pthread_mutex_unlock(&r->mu);
		int did = run_job(r);
		pthread_mutex_lock(&r->mu);
		r->did = did;
		r->n = r->res[0];
		r->has_job = 0;
		r->done = 1;
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int lb_rs_reader_start(struct lb_rs_reader **out, struct lb_dev *src)
{
	struct lb_rs_reader *r = calloc(1, sizeof *r);
	pthread_condattr_t ca;

	if (!r)
		return -ENOMEM;
	r->src = src;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->th, NULL, reader_main, r)) {
		free(r);
		return -EAGAIN;
	}
	*out = r;
	return 0;
}

static struct timespec deadline(double start, unsigned timeout_ms)
{
	double t = start + timeout_ms / 1000.0;
	struct timespec dl = { (time_t)t, (long)((t - (double)(time_t)t) * 1e9) };

	return dl;
}

int lb_rs_reader_batch(struct lb_rs_reader *r, void *buf, uint64_t pos,
		       size_t len, int pieces, int rev, int stop, int64_t *res,
		       unsigned timeout_ms)
{
	return lb_rs_reader_run(r, &(struct lb_rs_batch){
		.buf = buf, .pos = pos, .len = len, .pieces = pieces,
		.rev = rev, .stop = stop, .res = res }, timeout_ms);
}

int lb_rs_reader_run(struct lb_rs_reader *r, const struct lb_rs_batch *b,
		     unsigned timeout_ms)
{
	struct timespec dl;
	int did, e = 0;

	if (b->pieces < 1 || b->pieces > (int)RS_PIECES)
		return -EINVAL;
	pthread_mutex_lock(&r->mu);
	r->buf = b->buf;
	r->len = b->len;
	r->pos = b->pos;
	r->pieces = b->pieces;
	r->rev = b->rev;
	r->stop = b->stop;
	r->slow_s = b->slow_ms ? b->slow_ms / 1000.0 : 0;
	r->done = 0;
	r->started = now_s();
	r->at = b->pos;
	r->has_job = 1;
	pthread_cond_broadcast(&r->cv);
	/* the deadline counts from the start of the read under way, so a
	 * long batch of quick reads never times out, one stuck read does */
	while (!r->done) {
		dl = deadline(r->started, timeout_ms);
		e = pthread_cond_timedwait(&r->cv, &r->mu, &dl);
		if (e == ETIMEDOUT && !r->done &&
		    now_s() - r->started >= timeout_ms / 1000.0)
			break;
	}
	did = r->done ? r->did : -ETIMEDOUT;
	if (did == -ETIMEDOUT && b->at)
		*b->at = r->at;
	if (did > 0)
		memcpy(b->res, r->res, (size_t)did * sizeof *b->res);
	if (did > 0 && b->slow)
		memcpy(b->slow, r->slow, (size_t)did);
	pthread_mutex_unlock(&r->mu);
	return did;
}

int64_t lb_rs_reader_pread(struct lb_rs_reader *r, void *buf, size_t len,
			   uint64_t pos, unsigned timeout_ms)
{
	int64_t res;
	int did = lb_rs_reader_batch(r, buf, pos, len, 1, 0, 0, &res,
				     timeout_ms);

	return did < 0 ? did : res;
}

int lb_rs_reader_stop(struct lb_rs_reader *r)
{
	int stuck;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->mu);
	stuck = r->has_job;
	r->quit = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (stuck) {
		pthread_detach(r->th);  /* it owns r, the buffer and the device */
		return 1;
	}
	pthread_join(r->th, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
	return 0;
}
