/*
 * t_threads.c — the ordered pipeline (threads.h): jobs finished out of
 * order by workers (random delays) reach the writer strictly in submission
 * order, with any number of workers; an error in a worker or the writer
 * stops the producer and is returned with its message; no deadlock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "threads.h"
#include "unit.h"

struct job { int value, squared; };
struct run { int next, bad_order, fail_at, fail_in_writer; };

static int work(void *j, void *ws, void *arg, char *msg)
{
	struct job *job = j;
	struct run *r = arg;
	struct timespec ts = { 0, (rand() % 200) * 1000 };

	nanosleep(&ts, NULL);
	if (!r->fail_in_writer && job->value == r->fail_at) {
		snprintf(msg, 512, "worker failed at %d", job->value);
		return -EIO;
	}
	job->squared = job->value * job->value;
	return 0;
}

static int write_job(void *j, void *arg, char *msg)
{
	struct job *job = j;
	struct run *r = arg;

	if (r->fail_in_writer && job->value == r->fail_at) {
		snprintf(msg, 512, "writer failed at %d", job->value);
		return -ENOSPC;
	}
	if (job->value != r->next || job->squared != job->value * job->value)
		r->bad_order++;
	r->next++;
	return 0;
}

/* Runs N jobs through WORKERS workers; returns the pipe's result. */
static int run(int workers, int n, struct run *r, char *msg, int *produced)
{
	struct job jobs[6];
	void *ptrs[6];
	struct lb_pipe_cfg cfg = { .workers = workers, .njobs = 6, .jobs = ptrs,
				   .work = work, .write = write_job, .arg = r };
	struct lb_pipe *p;

	for (int i = 0; i < 6; i++)
		ptrs[i] = &jobs[i];
	if (lb_pipe_start(&cfg, &p))
		return -999;
	for (*produced = 0; *produced < n; (*produced)++) {
		struct job *j = lb_pipe_get(p);
		if (!j)
			break;
		j->value = *produced;
		j->squared = -1;
		lb_pipe_submit(p, j);
	}
	return lb_pipe_finish(p, msg, 512);
}

int main(void)
{
	char msg[512], name[128];
	int produced;

	srand(7);
	for (int w = 1; w <= 8; w *= 2) {
		struct run r = { .fail_at = -1 };
		int e = run(w, 3000, &r, msg, &produced);
		snprintf(name, sizeof name, "pipeline: %d workers deliver 3000 jobs in order", w);
		CHECK(name, e == 0 && r.next == 3000 && r.bad_order == 0);
	}
	struct run r = { .fail_at = 500 };
	int e = run(4, 3000, &r, msg, &produced);
	CHECK("pipeline: a worker error stops the producer and is returned",
	      e == -EIO && strstr(msg, "worker failed at 500") && produced < 3000 &&
	      r.next <= 500 && r.bad_order == 0);
	struct run r2 = { .fail_at = 700, .fail_in_writer = 1 };
	e = run(3, 3000, &r2, msg, &produced);
	CHECK("pipeline: a writer error stops the producer and is returned",
	      e == -ENOSPC && strstr(msg, "writer failed at 700") && produced < 3000);
	CHECK("pipeline: lb_cpu_count is at least 1", lb_cpu_count() >= 1);
	UNIT_EXIT();
}
