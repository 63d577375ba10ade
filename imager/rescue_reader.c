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
};

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
		int64_t n = lb_dev_pread(r->src, r->buf, r->len, r->pos);
		pthread_mutex_lock(&r->mu);
		r->n = n;
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

int64_t lb_rs_reader_pread(struct lb_rs_reader *r, void *buf, size_t len,
			   uint64_t pos, unsigned timeout_ms)
{
	struct timespec dl;
	int64_t n;
	int e = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	r->buf = buf;
	r->len = len;
	r->pos = pos;
	r->done = 0;
	r->has_job = 1;
	pthread_cond_broadcast(&r->cv);
	while (!r->done && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&r->cv, &r->mu, &dl);
	n = r->done ? r->n : -ETIMEDOUT;
	pthread_mutex_unlock(&r->mu);
	return n;
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
