/*
 * rescue_plan.c — data first, with a deadline: the used-block map of the
 * partitions and filesystems (probe.h, lb_plan_used) is read on a thread
 * of its own, through a second read-only handle on the source, and waited
 * for at most the read timeout.  A disk that hangs on its partition table
 * or superblock then costs that long once, and the rescue goes on in
 * disk order; the planning thread is left to finish (or hang) alone and
 * frees its own state when it ends.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe.h"
#include "rescue_int.h"

struct plan_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lb_span span;
	enum lb_table_choice table;     /* --table (C013) */
	char path[4200];
	int done, abandoned, ok;
	struct lb_extmap used;
	char msg[1024];
};

/* issue 6 (table reader on a failing disk), a separate small addition:
 * what data first will follow, per partition, for the rescue's log —
 * "partition 1 (vfat): raw (I/O error at byte ...); partition 2 (ext4):
 * used blocks". */
static void plan_summary(const struct lb_disk_plan *p, char *out, size_t n)
{
	size_t o = (size_t)snprintf(out, n, "data first by the used-block map:");

	for (size_t i = 0; i < p->nparts && o < n; i++) {
		const struct lb_part_plan *q = &p->parts[i];
		if (q->fs.mode == LB_FS_USED)
			o += (size_t)snprintf(out + o, n - o, "%s %s %u (%s): used blocks",
					      i ? ";" : "", q->number ? "partition" : "whole disk",
					      q->number, q->fs.type[0] ? q->fs.type : "unknown");
		else
			o += (size_t)snprintf(out + o, n - o, "%s %s %u (%s): raw (%.150s)",
					      i ? ";" : "", q->number ? "partition" : "whole disk",
					      q->number, q->fs.type[0] ? q->fs.type : "unknown",
					      q->fs.reason);
	}
	if (o < n && p->pt.notes[0])
		snprintf(out + o, n - o, "; table: %.300s", p->pt.notes);
}

static void job_free(struct plan_job *j)
{
	lb_extmap_free(&j->used);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void *plan_main(void *arg)
{
	struct plan_job *j = arg;
	struct lb_ctx c = { 0 };
	/* On the heap, as probe.h asks: it is larger than musl's 128 KiB
	 * thread stack (on the ISO this thread crashed on entry). */
	struct lb_disk_plan *plan = calloc(1, sizeof *plan);
	struct lb_dev *d;
	int ok = 0, gone;

	if (!plan)
		snprintf(c.msg, sizeof c.msg, "no memory for the plan");
	else if (lb_dev_open(&c, &j->span, LB_DEV_READ, 0, &d) == 0) {
		if (lb_plan_used_choice(&c, d, 0, j->table, plan) == 0 && !plan->raw &&
		    lb_extmap_finish(&plan->used) == 0 && plan->used.n) {
			j->used = plan->used;
			lb_extmap_init(&plan->used);
			ok = 1;
			plan_summary(plan, c.msg, sizeof c.msg);
		} else if (plan->raw && !c.msg[0]) {    /* C013: how to choose */
			snprintf(c.msg, sizeof c.msg, "whole disk raw: %.480s",
				 plan->reason);
		}
		lb_plan_free(plan);
		lb_dev_close(d);
	}
	free(plan);
	pthread_mutex_lock(&j->mu);
	j->ok = ok;
	snprintf(j->msg, sizeof j->msg, "%s", c.msg[0] ? c.msg :
		 "whole disk raw");
	j->done = 1;
	gone = j->abandoned;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	if (gone)
		job_free(j);
	return NULL;
}

static struct plan_job *job_new(const struct lb_span *span)
{
	struct plan_job *j = calloc(1, sizeof *j);
	pthread_condattr_t ca;

	if (!j)
		return NULL;
	snprintf(j->path, sizeof j->path, "%s", span->path);
	j->span = *span;
	j->span.path = j->path;
	lb_extmap_init(&j->used);
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	return j;
}

/* Waits for J until TIMEOUT_MS; returns 1 when it finished. */
static int wait_done(struct plan_job *j, unsigned timeout_ms)
{
	struct timespec dl;
	int e = 0, done;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mu);
	while (!j->done && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&j->cv, &j->mu, &dl);
	done = j->done;
	if (!done)
		j->abandoned = 1;       /* the thread frees J when it ends */
	pthread_mutex_unlock(&j->mu);
	return done;
}

int lb_rs_plan(struct rs *s, char *why, size_t whysz)
{
	struct plan_job *j = job_new(&s->o->source);
	pthread_attr_t at;
	pthread_t th;
	int e = 1;

	if (j)
		j->table = s->o->table;         /* C013 */

	/* Probing walks libblkid/libfdisk/libext2fs: give it the stack glibc
	 * gives every thread (musl's default is 128 KiB). */
	if (j && pthread_attr_init(&at) == 0) {
		pthread_attr_setstacksize(&at, 8u << 20);
		e = pthread_create(&th, &at, plan_main, j);
		pthread_attr_destroy(&at);
	}
	if (e) {
		if (j)
			job_free(j);
		snprintf(why, whysz, "could not start the planning thread");
		return 0;
	}
	pthread_detach(th);
	if (!wait_done(j, s->read_timeout_ms)) {
		snprintf(why, whysz, "reading the partition table and "
			 "filesystems took longer than %u ms",
			 s->read_timeout_ms);
		return 0;
	}
	snprintf(why, whysz, "%s", j->msg);
	if (j->ok && s->ctx->log) {     /* issue 6: say what data first follows */
		char line[1100];
		snprintf(line, sizeof line, "rescue: %s", j->msg);
		s->ctx->log(line, s->ctx->user);
	}
	if (j->ok) {
		s->used = j->used;
		lb_extmap_init(&j->used);
	}
	int ok = j->ok;
	job_free(j);
	return ok;
}
