/*
 * threads.h — an ordered worker pipeline, after pigz's "parallel
 * compression" design: one producer (the caller's thread) fills jobs and
 * submits them with increasing sequence numbers, N workers process jobs in
 * any order, and one writer thread consumes them strictly in sequence
 * order.  Jobs come from a fixed pool, so memory is bounded and a slow
 * writer stalls the producer instead of queueing without end.  Because the
 * writer sees jobs in order and workers never share state, the output does
 * not depend on the number of workers.
 *
 * This is the only file that knows about pthreads.
 */
#ifndef LB_THREADS_H
#define LB_THREADS_H

#include <stddef.h>

/* Runs in a worker thread; WSTATE is that worker's own state (from
 * wstate_new).  Returns 0 or a negative errno with detail in MSG (512). */
typedef int (*lb_work_fn)(void *job, void *wstate, void *arg, char *msg);
/* Runs in the writer thread, in submission order. */
typedef int (*lb_write_fn)(void *job, void *arg, char *msg);

struct lb_pipe_cfg {
	int workers;            /* >= 1 */
	int njobs;              /* jobs in JOBS, >= 2 */
	void **jobs;            /* caller-owned job objects */
	lb_work_fn work;
	lb_write_fn write;
	void *arg;
	void *(*wstate_new)(void *arg);         /* may be NULL */
	void (*wstate_free)(void *wstate);
};

struct lb_pipe;

/* Starts workers and writer.  Returns 0 or -ENOMEM/-EAGAIN. */
int lb_pipe_start(const struct lb_pipe_cfg *cfg, struct lb_pipe **out);

/* A free job to fill (blocks while all are busy), or NULL once any stage
 * failed: stop producing and call lb_pipe_finish. */
void *lb_pipe_get(struct lb_pipe *p);

/* Hands a filled job (from lb_pipe_get) to the workers. */
void lb_pipe_submit(struct lb_pipe *p, void *job);

/* Records an error from the producer so that the stages stop. */
void lb_pipe_fail(struct lb_pipe *p, int err, const char *msg);

/* Waits until every job submitted so far is written (or dropped after
 * an error); the threads keep running, so the producer may go on.  Only
 * the producer's thread may call it.  Returns 0 or the first error (its
 * message copied into MSG, MSGSZ bytes). */
int lb_pipe_drain(struct lb_pipe *p, char *msg, size_t msgsz);

/* Waits until every submitted job is written (or dropped after an
 * error), stops the threads and frees the pipe.  Returns the first error
 * and copies its message into MSG (MSGSZ bytes). */
int lb_pipe_finish(struct lb_pipe *p, char *msg, size_t msgsz);

/* The number of online processors, at least 1. */
int lb_cpu_count(void);

#endif
