/*
 * threads.c — the ordered pipeline of threads.h.
 *
 * State under one mutex: a stack of free job indexes, a FIFO of submitted
 * ones, and a table of finished ones keyed by sequence number modulo the
 * pool size (at most njobs are in flight, so keys never collide).  Each
 * kind of waiter has its own condition variable and is signalled, not
 * broadcast, so a 1 MiB job costs a handful of wake-ups (a thundering herd
 * of broadcasts cost more system time than the work on a sparse disk).
 * Errors and the close broadcast to everyone.  After an error,
 * jobs still flow to the writer, which drops them, so nothing waits forever.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "threads.h"

struct lb_pipe {
	struct lb_pipe_cfg c;
	pthread_mutex_t mu;
	pthread_cond_t cv_work;         /* workers: a job was submitted */
	pthread_cond_t cv_write;        /* writer: a job was finished */
	pthread_cond_t cv_free;         /* producer: a job was freed */
	int *freev, nfree;
	int *todo, todo_head, todo_n;
	int *done;              /* by seq % njobs: job index or -1 */
	uint64_t *seq;          /* by job index */
	uint64_t next_seq, next_write;
	int closing, err, nthreads;
	char msg[512];
	pthread_t *th;
};

int lb_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static void wake_all(struct lb_pipe *p)
{
	pthread_cond_broadcast(&p->cv_work);
	pthread_cond_broadcast(&p->cv_write);
	pthread_cond_broadcast(&p->cv_free);
}

static void fail_locked(struct lb_pipe *p, int err, const char *msg)
{
	if (!p->err) {
		p->err = err;
		snprintf(p->msg, sizeof p->msg, "%s", msg);
	}
	wake_all(p);
}

void lb_pipe_fail(struct lb_pipe *p, int err, const char *msg)
{
	pthread_mutex_lock(&p->mu);
	fail_locked(p, err, msg);
	pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *arg)
{
	struct lb_pipe *p = arg;
	void *ws = p->c.wstate_new ? p->c.wstate_new(p->c.arg) : NULL;
	char msg[512];

	pthread_mutex_lock(&p->mu);
	if (p->c.wstate_new && !ws)
		fail_locked(p, -ENOMEM, "out of memory");
	for (;;) {
		while (!p->todo_n && !p->closing)
			pthread_cond_wait(&p->cv_work, &p->mu);
		if (!p->todo_n)
			break;
		int j = p->todo[p->todo_head];
		p->todo_head = (p->todo_head + 1) % p->c.njobs;
		p->todo_n--;
		int skip = p->err != 0;
		pthread_mutex_unlock(&p->mu);
		int r = skip ? 0 : p->c.work(p->c.jobs[j], ws, p->c.arg, msg);
		pthread_mutex_lock(&p->mu);
		if (r)
			fail_locked(p, r, msg);
		p->done[p->seq[j] % (uint64_t)p->c.njobs] = j;
		if (p->seq[j] == p->next_write)
			pthread_cond_signal(&p->cv_write);
	}
	pthread_mutex_unlock(&p->mu);
	if (ws && p->c.wstate_free)
		p->c.wstate_free(ws);
	return NULL;
}

static void *writer_main(void *arg)
{
	struct lb_pipe *p = arg;
	char msg[512];

	pthread_mutex_lock(&p->mu);
	for (;;) {
		int *slot = &p->done[p->next_write % (uint64_t)p->c.njobs];
		while (*slot < 0 && !(p->closing && p->next_write == p->next_seq))
			pthread_cond_wait(&p->cv_write, &p->mu);
		if (*slot < 0)
			break;
		int j = *slot, skip = p->err != 0;
		*slot = -1;
		pthread_mutex_unlock(&p->mu);
		int r = skip ? 0 : p->c.write(p->c.jobs[j], p->c.arg, msg);
		pthread_mutex_lock(&p->mu);
		if (r)
			fail_locked(p, r, msg);
		p->next_write++;
		p->freev[p->nfree++] = j;
		pthread_cond_signal(&p->cv_free);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int alloc_pipe(struct lb_pipe *p)
{
	int n = p->c.njobs;

	p->freev = malloc(n * sizeof *p->freev);
	p->todo = malloc(n * sizeof *p->todo);
	p->done = malloc(n * sizeof *p->done);
	p->seq = calloc(n, sizeof *p->seq);
	p->th = calloc(p->c.workers + 1, sizeof *p->th);
	if (!p->freev || !p->todo || !p->done || !p->seq || !p->th)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		p->freev[i] = n - 1 - i;
		p->done[i] = -1;
	}
	p->nfree = n;
	return 0;
}

static void free_pipe(struct lb_pipe *p)
{
	free(p->freev); free(p->todo); free(p->done); free(p->seq); free(p->th);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_work);
	pthread_cond_destroy(&p->cv_write);
	pthread_cond_destroy(&p->cv_free);
	free(p);
}

int lb_pipe_start(const struct lb_pipe_cfg *cfg, struct lb_pipe **out)
{
	struct lb_pipe *p = calloc(1, sizeof *p);

	if (!p)
		return -ENOMEM;
	p->c = *cfg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_work, NULL);
	pthread_cond_init(&p->cv_write, NULL);
	pthread_cond_init(&p->cv_free, NULL);
	if (alloc_pipe(p)) {
		free_pipe(p);
		return -ENOMEM;
	}
	if (pthread_create(&p->th[0], NULL, writer_main, p)) {
		free_pipe(p);
		return -EAGAIN;
	}
	p->nthreads = 1;
	for (int i = 0; i < cfg->workers; i++) {
		if (pthread_create(&p->th[i + 1], NULL, worker_main, p))
			break;
		p->nthreads++;
	}
	if (p->nthreads == 1)
		lb_pipe_fail(p, -EAGAIN, "cannot start worker threads");
	*out = p;
	return 0;
}

void *lb_pipe_get(struct lb_pipe *p)
{
	void *job = NULL;

	pthread_mutex_lock(&p->mu);
	while (!p->nfree && !p->err)
		pthread_cond_wait(&p->cv_free, &p->mu);
	if (!p->err)
		job = p->c.jobs[p->freev[--p->nfree]];
	pthread_mutex_unlock(&p->mu);
	return job;
}

void lb_pipe_submit(struct lb_pipe *p, void *job)
{
	int j = 0;

	while (j < p->c.njobs && p->c.jobs[j] != job)
		j++;
	pthread_mutex_lock(&p->mu);
	p->seq[j] = p->next_seq++;
	p->todo[(p->todo_head + p->todo_n) % p->c.njobs] = j;
	p->todo_n++;
	pthread_cond_signal(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
}

int lb_pipe_drain(struct lb_pipe *p, char *msg, size_t msgsz)
{
	int err;

	/* the writer signals cv_free after each job; the producer (the only
	 * caller) is its only waiter.  After an error jobs still flow to
	 * the writer, which drops them, so this ends. */
	pthread_mutex_lock(&p->mu);
	while (p->next_write != p->next_seq)
		pthread_cond_wait(&p->cv_free, &p->mu);
	err = p->err;
	if (err && msg)
		snprintf(msg, msgsz, "%s", p->msg);
	pthread_mutex_unlock(&p->mu);
	return err;
}

int lb_pipe_finish(struct lb_pipe *p, char *msg, size_t msgsz)
{
	int err;

	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	wake_all(p);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	err = p->err;
	if (err && msg)
		snprintf(msg, msgsz, "%s", p->msg);
	free_pipe(p);
	return err;
}
