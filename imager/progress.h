/*
 * progress.h — turns "bytes done so far" into the lb_progress reports of
 * lifeboat.h: rate over the last few seconds, average rate, ETA, at most
 * a few calls per second, and the cancel check.  One per job phase.
 */
#ifndef LB_PROGRESS_H
#define LB_PROGRESS_H

#include <stdint.h>
#include "lifeboat.h"

#define LB_PROG_SAMPLES 8

struct lb_prog {
	struct lb_ctx *ctx;
	struct lb_progress p;
	double start, last;             /* seconds, monotonic */
	double t[LB_PROG_SAMPLES];      /* recent report times */
	uint64_t d[LB_PROG_SAMPLES];    /* and bytes done (read) then */
	int n;
	int rmode, rbased;              /* lb_prog_update_read's rates */
	uint64_t rd, rbase;             /* bytes read: last, at the first */
};

/* Starts PHASE with TOTAL bytes to process. */
void lb_prog_begin(struct lb_prog *g, struct lb_ctx *ctx, enum lb_phase phase,
		   uint64_t total);

/* Notes DONE bytes processed and WRITTEN bytes written; calls the callback
 * when 0.25 s have passed (or FORCE).  Returns -ECANCELED when ctx->cancel
 * is set or the callback asked to cancel, else 0. */
int lb_prog_update(struct lb_prog *g, uint64_t done, uint64_t written,
		   int force);

/* The same for a job whose DONE also moves over bytes it did not read
 * (a rescue: skipped areas, bytes finished by an earlier run): the rate
 * and average count only READ, the bytes actually read so far (counted
 * from the first call after lb_prog_begin), and are 0 (unknown) until
 * LB_PROG_MIN_S seconds of the window have passed, so a step with
 * nothing to read never shows a rate like 469 TiB/s. */
#define LB_PROG_MIN_S   1.0
int lb_prog_update_read(struct lb_prog *g, uint64_t done, uint64_t read,
			uint64_t written, int force);

#endif
