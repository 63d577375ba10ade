/*
 * rescue_reader.c — source reads with a deadline.
 *
 * A failing disk may take a read and never answer (a USB bridge that
 * hangs, a disk whose firmware loops).  pread() cannot be given a timeout,
 * so the rescue hands each read to one reader thread and waits for it on a
 * condition variable with a deadline.  When the deadline passes, the
 * rescue reports the device as not answering (the map is already saved
 * up to the last checkpoint) instead of waiting forever; the reader thread
 * is left behind, detached, still owning the buffers and the device, which
 * are then deliberately not freed (the process ends soon after; a thread
 * stuck in the kernel cannot be cancelled).
 *
 * Handing one read to another thread costs two wake-ups; for the phases
 * that read sector by sector (trim, scrape, retry) that was a third of
 * their time, so the thread takes jobs of many reads: a batch of up to
 * RS_JOB one-sector reads in a row (optionally stopping at the first
 * failure), RS_CHUNK reads for the copy passes (also stopping after a slow
 * one), or the trim of one block (forward until a read fails, then
 * backward until one fails).  Up to RS_QUEUE jobs wait in line, so that
 * the thread goes on reading while the rescue applies the results of the
 * job before (lb_rs_reader_submit, lb_rs_reader_wait); the reads happen in
 * the order the jobs were given, as they would one by one.
 * The deadline is per read: it counts from the start of the read under
 * way, which the thread notes under the lock before each one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rescue_int.h"

struct rs_rjob {
	struct lb_rs_batch b;   /* what to read (b.res, b.slow: the caller's) */
	uint64_t seq;
	int state;              /* 0 free, 1 waiting or being read, 2 done */
	int did;
	int64_t res[RS_JOB];    /* its own: a stuck read may write late */
	unsigned char slow[RS_JOB];
};

struct lb_rs_reader {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
	struct lb_dev *src;
	struct rs_rjob job[RS_QUEUE];
	uint64_t next_seq, next_run;
	double started;         /* CLOCK_MONOTONIC s when the current read began */
	uint64_t at;            /* byte where the current read began */
	int busy;               /* a read is under way */
	int stopped;            /* the last job ended before its end, or
				 * with a failed or slow read */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One read of job J at P into BUF: result I.  Returns 1 when it ends the
 * job (STOP and not whole or slow). */
static int one(struct lb_rs_reader *r, struct rs_rjob *j, int i, uint64_t p,
	       char *buf)
{
	const struct lb_rs_batch *b = &j->b;
	double t0 = now_s();

	pthread_mutex_lock(&r->mu);
	r->started = t0;
	r->at = p;
	r->busy = 1;
	pthread_mutex_unlock(&r->mu);
	j->res[i] = lb_dev_pread(r->src, buf, b->len, p);
	j->slow[i] = b->slow_ms && (now_s() - t0) * 1000.0 > b->slow_ms;
	return j->res[i] != (int64_t)b->len || j->slow[i];
}

/* A trim: forward from b.pos over b.pieces pieces until one fails, then
 * backward from the end down to it until one fails.  res holds the
 * forward reads, then the backward ones; b.nfwd says how many forward. */
static int run_trim(struct lb_rs_reader *r, struct rs_rjob *j)
{
	struct lb_rs_batch *b = &j->b;
	uint64_t lo = b->pos;
	int f, k, n = b->pieces;

	int end = 0;

	for (f = 0; f < n && !end && !(b->cancel && *b->cancel); f++)
		end = one(r, j, f, lo + (uint64_t)f * b->len,
			  (char *)b->buf + (uint64_t)f * b->len);
	b->nfwd = f;
	for (k = 0, end = 0; f + k < n && !end && !(b->cancel && *b->cancel);
	     k++) {
		uint64_t p = lo + (uint64_t)(n - 1 - k) * b->len;
		end = one(r, j, f + k, p, (char *)b->buf + (p - lo));
	}
	return f + k;
}

/* Runs job J (the lock is not held); returns pieces done. */
static int run_job(struct lb_rs_reader *r, struct rs_rjob *j)
{
	const struct lb_rs_batch *b = &j->b;
	uint64_t lo = b->rev ? b->pos - (uint64_t)(b->pieces - 1) * b->len : b->pos;
	int i;

	if (b->trim)
		return run_trim(r, j);
	for (i = 0; i < b->pieces && !(b->cancel && *b->cancel); i++) {
		uint64_t p = b->rev ? b->pos - (uint64_t)i * b->len
				    : b->pos + (uint64_t)i * b->len;
		if (one(r, j, i, p, (char *)b->buf + (p - lo)) && b->stop) {
			i++;
			break;
		}
	}
	return i;
}

static struct rs_rjob *job_of(struct lb_rs_reader *r, uint64_t seq)
{
	for (int i = 0; i < RS_QUEUE; i++)
		if (r->job[i].state && r->job[i].seq == seq)
			return &r->job[i];
	return NULL;
}

static void *reader_main(void *arg)
{
	struct lb_rs_reader *r = arg;
	struct rs_rjob *j;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!(j = job_of(r, r->next_run)) && !r->quit)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->quit)
			break;
		int skip = j->b.cond && r->stopped;
		pthread_mutex_unlock(&r->mu);
		int did = skip ? 0 : run_job(r, j);
		pthread_mutex_lock(&r->mu);
		r->stopped = did < j->b.pieces ||
			     j->res[did - 1] != (int64_t)j->b.len || j->slow[did - 1];
		j->did = did;
		j->state = 2;
		r->busy = 0;
		r->next_run++;
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

int lb_rs_reader_submit(struct lb_rs_reader *r, const struct lb_rs_batch *b)
{
	struct rs_rjob *j = NULL;
	int seq;

	if (b->pieces < 1 || b->pieces > (int)RS_JOB)
		return -EINVAL;
	pthread_mutex_lock(&r->mu);
	for (int i = 0; i < RS_QUEUE && !j; i++)
		if (!r->job[i].state)
			j = &r->job[i];
	if (!j) {       /* a caller's bug: every caller makes room first
			 * (rescue_io.c: drop_ahead, lb_rs_read_jobs'
			 * count); waiting here could wait for a job its
			 * owner never waits for */
		pthread_mutex_unlock(&r->mu);
		return -EBUSY;
	}
	j->b = *b;
	j->state = 1;
	j->seq = r->next_seq++;
	seq = (int)(j->seq & 0x3fffffff);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return seq;
}

int lb_rs_reader_wait(struct lb_rs_reader *r, int ticket, struct lb_rs_batch *b,
		      unsigned timeout_ms)
{
	struct rs_rjob *j = NULL;
	struct timespec dl;
	int did, e;

	pthread_mutex_lock(&r->mu);
	for (int i = 0; i < RS_QUEUE && !j; i++)
		if (r->job[i].state &&
		    (int)(r->job[i].seq & 0x3fffffff) == ticket)
			j = &r->job[i];
	if (!j) {
		pthread_mutex_unlock(&r->mu);
		return -EINVAL;
	}
	/* the deadline counts from the start of the read under way, so a
	 * long batch of quick reads never times out, one stuck read does */
	while (j->state != 2) {
		double t0 = r->busy ? r->started : now_s();
		dl = deadline(t0, timeout_ms);
		e = pthread_cond_timedwait(&r->cv, &r->mu, &dl);
		if (e == ETIMEDOUT && j->state != 2 && r->busy &&
		    now_s() - r->started >= timeout_ms / 1000.0)
			break;
	}
	did = j->state == 2 ? j->did : -ETIMEDOUT;
	if (did == -ETIMEDOUT && b->at)
		*b->at = r->at;
	if (did > 0)
		memcpy(b->res, j->res, (size_t)did * sizeof *b->res);
	if (did > 0 && b->slow)
		memcpy(b->slow, j->slow, (size_t)did);
	b->nfwd = j->b.nfwd;
	if (did != -ETIMEDOUT)
		j->state = 0;
	pthread_mutex_unlock(&r->mu);
	return did;
}

int lb_rs_reader_run(struct lb_rs_reader *r, const struct lb_rs_batch *b,
		     unsigned timeout_ms)
{
	struct lb_rs_batch out = *b;
	int t = lb_rs_reader_submit(r, b);

	return t < 0 ? t : lb_rs_reader_wait(r, t, &out, timeout_ms);
}

int lb_rs_reader_batch(struct lb_rs_reader *r, void *buf, uint64_t pos,
		       size_t len, int pieces, int rev, int stop, int64_t *res,
		       unsigned timeout_ms)
{
	return lb_rs_reader_run(r, &(struct lb_rs_batch){
		.buf = buf, .pos = pos, .len = len, .pieces = pieces,
		.rev = rev, .stop = stop, .res = res }, timeout_ms);
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
	int stuck = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->mu);
	stuck = r->busy;        /* a read under way may never come back */
	r->quit = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (stuck) {
		pthread_detach(r->th);  /* it owns r, the buffers and the device */
		return 1;
	}
	pthread_join(r->th, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
	return 0;
}
