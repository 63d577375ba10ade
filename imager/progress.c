/*
 * progress.c — rate, average and ETA for progress reports (progress.h).
 * The "rate" is measured over the last LB_PROG_SAMPLES reports (about two
 * seconds), so it follows changes; the ETA uses the average rate, which is
 * steadier over a disk whose content varies.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "progress.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void lb_prog_begin(struct lb_prog *g, struct lb_ctx *ctx, enum lb_phase phase,
		   uint64_t total)
{
	memset(g, 0, sizeof *g);
	g->ctx = ctx;
	g->p.phase = phase;
	g->p.total = total;
	g->p.eta = -1;
	g->start = g->last = now();
	g->t[0] = g->start;
	g->n = 1;
}

static void compute(struct lb_prog *g, double t)
{
	int old = g->n < LB_PROG_SAMPLES ? 0 : g->n % LB_PROG_SAMPLES;
	double span = t - g->t[old], el = t - g->start;
	double min = g->rmode ? LB_PROG_MIN_S : 0;
	uint64_t x = g->rmode ? g->rd - g->rbase : g->p.done;

	g->t[g->n % LB_PROG_SAMPLES] = t;
	g->d[g->n % LB_PROG_SAMPLES] = x;
	g->n++;
	g->p.rate = span > min && x >= g->d[old] ?
		    (double)(x - g->d[old]) / span : 0;
	g->p.avg_rate = el > min ? (double)x / el : 0;
	g->p.eta = g->p.avg_rate > 0 && g->p.total >= g->p.done ?
		   (double)(g->p.total - g->p.done) / g->p.avg_rate : -1;
}

int lb_prog_update(struct lb_prog *g, uint64_t done, uint64_t written,
		   int force)
{
	struct lb_ctx *ctx = g->ctx;
	double t;

	g->p.done = done;
	g->p.written = written;
	if (ctx->cancel)
		return -ECANCELED;
	if (!ctx->progress)
		return 0;
	t = now();
	if (!force && t - g->last < 0.25)
		return 0;
	g->last = t;
	compute(g, t);
	return ctx->progress(&g->p, ctx->user) ? -ECANCELED : 0;
}

int lb_prog_update_read(struct lb_prog *g, uint64_t done, uint64_t read,
			uint64_t written, int force)
{
	if (!g->rbased || read < g->rbase) {
		g->rbase = read;
		g->rbased = 1;
	}
	g->rmode = 1;
	g->rd = read;
	return lb_prog_update(g, done, written, force);
}
