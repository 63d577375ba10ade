/*
 * job.c — runs one engine job (lb_backup, lb_restore, lb_clone,
 * lb_verify, lb_rescue) on a worker thread while the screen thread redraws the
 * progress screen from what the engine's callbacks reported: ctx->progress
 * (counts and rates), ctx->region (the strip map) and ctx->log (the log
 * screen).  Esc asks before cancelling; cancelling sets ctx->cancel and the
 * callback's return value, then waits for the engine to wind down so that
 * it can leave the image marked incomplete.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "tui_int.h"

enum { NSTATES = LB_REGION_BAD + 1 };

struct run {
	struct tui_job *j;
	struct lb_ctx ctx;
	pthread_mutex_t mu;
	struct lb_progress p;
	int have_p, have_region, finished, rc;
	uint64_t cell_bytes;
	uint64_t bytes[TUI_MAP_CELLS][NSTATES];
	struct lb_rescue_stats rs;
};

static int on_progress(const struct lb_progress *p, void *user)
{
	struct run *r = user;

	pthread_mutex_lock(&r->mu);
	r->p = *p;
	r->have_p = 1;
	/* The rescue engine updates its stats on this same thread. */
	if (r->j->kind == TJ_RESCUE && r->j->o.rescue.stats)
		r->rs = *r->j->o.rescue.stats;
	pthread_mutex_unlock(&r->mu);
	return r->ctx.cancel;
}

static void on_region(uint64_t off, uint64_t len, enum lb_region_state st,
		      void *user)
{
	struct run *r = user;
	uint64_t cs = r->cell_bytes;

	if (!cs || (unsigned)st >= NSTATES || st == LB_REGION_PENDING)
		return;
	pthread_mutex_lock(&r->mu);
	r->have_region = 1;
	for (uint64_t c = off / cs; c < TUI_MAP_CELLS && c * cs < off + len;
	     c++) {
		uint64_t a = c * cs > off ? c * cs : off;
		uint64_t b = (c + 1) * cs < off + len ? (c + 1) * cs : off + len;
		r->bytes[c][st] += b - a;
	}
	pthread_mutex_unlock(&r->mu);
}

static void on_log(const char *line, void *user)
{
	tui_log("%s", line);
}

static int call_engine(struct run *r)
{
	struct tui_job *j = r->j;

	switch (j->kind) {
	case TJ_BACKUP: return lb_backup(&r->ctx, &j->o.backup);
	case TJ_RESTORE: return lb_restore(&r->ctx, &j->o.restore);
	case TJ_CLONE: return lb_clone(&r->ctx, &j->o.clone);
	case TJ_VERIFY: return lb_verify(&r->ctx, &j->o.verify);
	case TJ_RESCUE: return lb_rescue(&r->ctx, &j->o.rescue);
	}
	return -EINVAL;
}

static void *worker(void *arg)
{
	struct run *r = arg;
	int rc = call_engine(r);

	pthread_mutex_lock(&r->mu);
	r->rc = rc;
	r->finished = 1;
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* One cell's state for the strip map: bad wins, then "not all done yet",
 * then whichever of copied, zero, unused covers most of it. */
static unsigned char cell_state(const struct run *r, int c, uint64_t size)
{
	const uint64_t *b = r->bytes[c];
	uint64_t start = (uint64_t)c * r->cell_bytes, want, sum = 0;
	int best = LB_REGION_COPIED;

	if (start >= size)
		return LB_REGION_UNUSED;
	want = size - start < r->cell_bytes ? size - start : r->cell_bytes;
	if (!r->have_region)
		return start + want <= r->p.done && r->have_p ?
			LB_REGION_COPIED : LB_REGION_PENDING;
	if (b[LB_REGION_BAD])
		return LB_REGION_BAD;
	for (int s = LB_REGION_COPIED; s <= LB_REGION_ZERO; s++) {
		sum += b[s];
		if (b[s] > b[best])
			best = s;
	}
	return sum >= want ? (unsigned char)best : LB_REGION_PENDING;
}

static void snapshot(struct run *r, struct tui_snap *s, struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&r->mu);
	s->p = r->p;
	s->have_p = r->have_p;
	s->finished = r->finished;
	s->cancelling = r->ctx.cancel;
	s->cell_bytes = r->cell_bytes;
	s->is_rescue = r->j->kind == TJ_RESCUE;
	s->rs = r->rs;
	for (int c = 0; c < TUI_MAP_CELLS; c++)
		s->map[c] = cell_state(r, c, r->j->map_size);
	pthread_mutex_unlock(&r->mu);
	s->now = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	s->elapsed = (double)(now.tv_sec - t0->tv_sec) +
		     (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The screen loop: redraw five times a second until the worker ends. */
static void watch(struct run *r, struct tui_snap *s)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	timeout(200);
	for (;;) {
		snapshot(r, s, &t0);
		if (s->finished)
			break;
		tui_progress_draw(r->j, s);
		int k = getch();
		if (tui_stopping() && !s->cancelling) {
			r->ctx.cancel = 1;
			tui_log("cancelled: Lifeboat was asked to stop (signal %d)",
				tui_stopping());
		} else if (k == 27 && !s->cancelling &&
		    tui_ask("Cancel?", "Stop this job now? The source stays "
			    "untouched; what was written so far is not a "
			    "complete image or copy.")) {
			r->ctx.cancel = 1;
			tui_log("cancel requested by the person at the screen");
		} else if (k == 'l' || k == 'L') {
			timeout(-1);
			tui_log_screen();
			timeout(200);
		}
	}
	timeout(-1);
	r->j->seconds = s->elapsed;
}

int tui_job_run(struct tui_job *j)
{
	static struct run r;    /* large; one job runs at a time */
	static struct tui_snap s;
	pthread_t th;

	memset(&r, 0, sizeof r);
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&r.mu, NULL);
	r.j = j;
	r.ctx = (struct lb_ctx){ .progress = on_progress, .region = on_region,
				 .log = on_log, .user = &r };
	r.cell_bytes = (j->map_size + TUI_MAP_CELLS - 1) / TUI_MAP_CELLS;
	tui_log("start: %s", j->title);
	if (pthread_create(&th, NULL, worker, &r) != 0) {
		j->rc = -EAGAIN;
		snprintf(j->msg, sizeof j->msg, "could not start a thread");
		return j->rc;
	}
	watch(&r, &s);
	pthread_join(th, NULL);
	j->rc = r.rc;
	j->cancelled = r.ctx.cancel && r.rc < 0;
	j->last = r.p;
	snprintf(j->msg, sizeof j->msg, "%s", r.ctx.msg);
	tui_log("end: %s: %s%s%s", j->title, r.rc < 0 ? "FAILED" : "ok",
		r.ctx.msg[0] ? ": " : "", r.ctx.msg);
	pthread_mutex_destroy(&r.mu);
	return j->rc;
}
