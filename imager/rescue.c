/*
 * rescue.c — the rescue loop: a state machine over the rescue map, after
 * GNU ddrescue's algorithm (ddrescue manual, "Algorithm").
 *
 * The aim is to get the most data off a dying disk with the fewest reads
 * of its bad areas: read the easy parts first, in big reads, and only then
 * come back, in ever smaller reads, for what is left around the errors.
 * Every step only reads blocks in the state it handles and moves them to
 * another, so a step with nothing to do ends at once and a resumed rescue
 * can simply run all steps again:
 *
 *   step          reads blocks   in reads of         a good read  a failed read
 *   DATA_FIRST    '?' used by    RS_CHUNK, forward,  '+'          '*', skip on
 *                 a filesystem   skipping                         (growing)
 *   COPY pass 1   '?'            RS_CHUNK, forward,  '+' (a slow  '*', skip on
 *                                skipping            one skips)   (growing)
 *   COPY pass 2   '?' (skipped)  RS_CHUNK, backward, '+'          '*', skip on
 *                                skipping errors
 *   COPY pass 3   '?'            RS_CHUNK, forward   '+'          '*'
 *   TRIM          '*'            one sector, from    '+'          '-', stop;
 *                                each edge inwards                rest → '/'
 *   SCRAPE        '/'            one sector          '+'          '-'
 *   RETRY × N     '-'            one sector (back-   '+'          '-'
 *                                ward with reverse)
 *
 * Skipping: after a failed (or, in the first passes, slow) read the next
 * read starts SKIP bytes further on; SKIP starts at RS_SKIP0, doubles after
 * each further failure up to s->skip_max, and returns to RS_SKIP0 after a
 * good read.  The skipped bytes stay '?' for the next pass, which comes
 * from the other side, so most bad areas are approached from both ends.
 * After each step the map is checkpointed (lb_rs_tick(force)); during a
 * step every s->ckpt_ms.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rescue_int.h"

#define SKIP_ERR  1     /* skip ahead after a failed read */
#define SKIP_SLOW 2     /* ... and after a slow one */

static uint64_t down(uint64_t x, uint64_t a) { return x - x % a; }
static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Reads [A, Z) and stores it ('+') or marks it FAIL_ST.  Returns RS_OK,
 * RS_BAD or a negative errno. */
static int read_piece(struct rs *s, uint64_t a, uint64_t z, char fail_st)
{
	int r = lb_rs_read(s, a, (size_t)(z - a)), e;

	if (r < 0)
		return r;
	e = r == RS_OK ? lb_rs_store(s, a, (size_t)(z - a))
		       : lb_rs_mark(s, a, z - a, fail_st);
	if (!e)
		e = lb_rs_tick(s, 0);
	return e ? e : r;
}

/* One copy pass over the non-tried blocks of [LO, HI).  State machine of
 * the pass: POS walks forward (or backward with REV); each turn finds the
 * block at POS and either steps over it (not '?') or reads one chunk of
 * it and moves POS past the chunk plus the current skip. */
static int copy_range(struct rs *s, uint64_t lo, uint64_t hi, int rev,
		      int skipping)
{
	uint64_t skip = RS_SKIP0, pos = rev ? hi : lo, a, z, lim, n;
	int done;

	while (rev ? pos > lo : pos < hi) {
		struct lb_rblock b = s->map.v[lb_rmap_find(&s->map,
							    rev ? pos - 1 : pos)];
		int r, trouble;

		if (b.st != LB_RM_NONTRIED) {
			pos = rev ? b.pos : b.pos + b.size;
			continue;
		}
		lim = rev ? max64(b.pos, lo) : min64(b.pos + b.size, hi);
		n = (rev ? pos - lim : lim - pos) / RS_CHUNK;
		if (pos % RS_CHUNK == 0 && n >= 2) {
			/* whole chunks: one batch, which stops where this
			 * loop would (a failed or slow read) */
			n = min64(n, RS_BATCH / RS_CHUNK);
			if ((r = lb_rs_read_chunks(s, pos, (int)n, rev,
						   skipping & SKIP_SLOW,
						   &done, rev ? 0 : lim)) < 0)
				return r;
			if (!done)      /* O_DIRECT went off: again */
				continue;
			if (done > 1)   /* good reads before the last */
				skip = RS_SKIP0;
			a = rev ? pos - (uint64_t)done * RS_CHUNK : pos;
			z = rev ? pos : pos + (uint64_t)done * RS_CHUNK;
		} else {
			a = rev ? max64(lim, down(pos - 1, RS_CHUNK)) : pos;
			z = rev ? pos : min64(lim, down(pos, RS_CHUNK) + RS_CHUNK);
			if ((r = read_piece(s, a, z, LB_RM_NONTRIM)) < 0)
				return r;
		}
		trouble = (r == RS_BAD && (skipping & SKIP_ERR)) ||
			  (r == RS_OK && (skipping & SKIP_SLOW) && s->last_slow);
		if (!trouble) {
			skip = RS_SKIP0;
			pos = rev ? a : z;
			continue;
		}
		pos = rev ? (a > lo + skip ? down(a - skip, s->sec) : lo)
			  : z + skip;
		skip = min64(skip * 2, s->skip_max);
	}
	return 0;
}

static int trim_block(struct rs *s, uint64_t a, uint64_t z);

/* Data first: the first chunk (the partition table) as a copy read, and
 * when it fails, its trim (the reads the trim step would make later), so
 * that the planning is only tried when sector 0 (the MBR or a GPT's
 * protective MBR) is known to read; then the used blocks of the
 * filesystems. */
static int step_data_first(struct rs *s)
{
	uint64_t first = min64(RS_CHUNK, s->map.size);
	int r = 0;

	if (s->o->no_data_first)
		return 0;
	if (lb_rmap_status(&s->map, 0) == LB_RM_NONTRIED &&
	    (r = copy_range(s, 0, first, 0, SKIP_ERR | SKIP_SLOW)))
		return r;
	if (lb_rmap_status(&s->map, 0) == LB_RM_NONTRIM &&
	    s->map.v[lb_rmap_find(&s->map, 0)].size <= first &&
	    (r = trim_block(s, 0, s->map.v[lb_rmap_find(&s->map, 0)].size)))
		return r;
	/* Only sector 0 has to have read: the table reader reads each GPT
	 * structure by its own sectors and names those that fail. */
	lb_rs_plan_used(s, min64(s->sec, s->map.size));

	for (size_t i = 0; s->have_used && i < s->used.n && !r; i++) {
		uint64_t lo = down(s->used.v[i].off, s->sec);
		uint64_t hi = s->used.v[i].off + s->used.v[i].len;

		hi = min64(down(hi + s->sec - 1, s->sec), s->map.size);
		if (lo < hi)
			r = copy_range(s, lo, hi, 0, SKIP_ERR | SKIP_SLOW);
	}
	return r;
}

static int step_copy1(struct rs *s)
{
	return copy_range(s, 0, s->map.size, 0, SKIP_ERR | SKIP_SLOW);
}

static int step_copy2(struct rs *s)
{
	return copy_range(s, 0, s->map.size, 1, SKIP_ERR);
}

static int step_copy3(struct rs *s)
{
	return copy_range(s, 0, s->map.size, 0, 0);
}

/* Trims one non-trimmed block [A, Z): sectors from the leading edge
 * forward until one fails, then from the trailing edge backward until
 * one fails; what lies between the two failures becomes non-scraped. */
static int trim_block(struct rs *s, uint64_t a, uint64_t z)
{
	int r = 0;

	while (a < z && r == 0)         /* forward from the leading edge */
		if ((r = lb_rs_read_run(s, a, z, 0, 1, LB_RM_BAD, &a)) < 0)
			return r;
	r = 0;
	while (z > a && r == 0)         /* backward from the trailing edge */
		if ((r = lb_rs_read_run(s, a, z, 1, 1, LB_RM_BAD, &z)) < 0)
			return r;
	return a < z ? lb_rs_mark(s, a, z - a, LB_RM_NONSCRAPE) : 0;
}

/* Reads every sector of [A, Z) once (scrape and retry), in batches. */
static int sectors(struct rs *s, uint64_t a, uint64_t z, int rev)
{
	int r;

	while (a < z)
		if ((r = lb_rs_read_run(s, a, z, rev, 0, LB_RM_BAD,
					rev ? &z : &a)) < 0)
			return r;
	return 0;
}

/* The one-read-at-a-time paths for lb_rs_read_jobs. */
static int slow_path(struct rs *s, uint64_t a, uint64_t z, int once)
{
	return once ? sectors(s, a, z, 0) : trim_block(s, a, z);
}

static int slow_path_rev(struct rs *s, uint64_t a, uint64_t z, int once)
{
	return sectors(s, a, z, 1);
}

/* Where the job iterators are: the next byte to look at (forward), or
 * the end of what is left (backward). */
struct walk {
	uint64_t pos;
	char st;
	int rev;
};

/* Trim: each non-trimmed block in disk order, one job. */
static int next_trim(struct rs *s, void *it, struct lb_rs_job *j)
{
	struct walk *w = it;

	while (w->pos < s->map.size) {
		struct lb_rblock b = s->map.v[lb_rmap_find(&s->map, w->pos)];
		w->pos = b.pos + b.size;
		if (b.st == LB_RM_NONTRIM) {
			*j = (struct lb_rs_job){ .lo = b.pos, .hi = b.pos + b.size,
				.trim = 1, .fail_st = LB_RM_BAD, .slow = slow_path };
			return 1;
		}
	}
	return 0;
}

/* Scrape and retry: every sector of the blocks of status w->st once, in
 * jobs of up to RS_CHUNK bytes (backward from the end with w->rev). */
static int next_sectors(struct rs *s, void *it, struct lb_rs_job *j)
{
	struct walk *w = it;
	uint64_t max = RS_CHUNK / s->sec * s->sec;

	while (w->rev ? w->pos > 0 : w->pos < s->map.size) {
		struct lb_rblock b = s->map.v[lb_rmap_find(&s->map,
						w->rev ? w->pos - 1 : w->pos)];
		if (b.st != w->st) {
			w->pos = w->rev ? b.pos : b.pos + b.size;
			continue;
		}
		uint64_t lo = w->rev ? max64(b.pos, w->pos > max ? w->pos - max : 0)
				     : w->pos;
		uint64_t hi = w->rev ? w->pos : min64(b.pos + b.size, lo + max);
		*j = (struct lb_rs_job){ .lo = lo, .hi = hi, .rev = w->rev,
			.fail_st = LB_RM_BAD,
			.slow = w->rev ? slow_path_rev : slow_path };
		w->pos = w->rev ? lo : hi;
		return 1;
	}
	return 0;
}

static int step_trim(struct rs *s)
{
	struct walk w = { 0, LB_RM_NONTRIM, 0 };

	return lb_rs_read_jobs(s, next_trim, &w);
}

static int step_scrape(struct rs *s)
{
	struct walk w = { 0, LB_RM_NONSCRAPE, 0 };

	return lb_rs_read_jobs(s, next_sectors, &w);
}

static int step_retry(struct rs *s)
{
	int r = 0;

	for (int k = 1; k <= s->o->retries && !r; k++) {
		s->st->pass = k;
		struct walk w = { s->o->reverse ? s->map.size : 0, LB_RM_BAD,
				  s->o->reverse };
		r = lb_rs_read_jobs(s, next_sectors, &w);
		if (!r)
			r = lb_rs_tick(s, 1);
	}
	return r;
}

static const struct {
	enum lb_phase phase;
	int pass;
	char map_st;            /* ddrescue's status-line character */
	int (*run)(struct rs *s);
	const char *name;       /* for the log */
} steps[] = {
	{ LB_PHASE_RESCUE_COPY, 1, '?', step_data_first, "data first (used blocks)" },
	{ LB_PHASE_RESCUE_COPY, 1, '?', step_copy1, "copy pass 1 (forward)" },
	{ LB_PHASE_RESCUE_COPY, 2, '?', step_copy2, "copy pass 2 (backward)" },
	{ LB_PHASE_RESCUE_COPY, 3, '?', step_copy3, "copy pass 3 (no skipping)" },
	{ LB_PHASE_RESCUE_TRIM, 1, '*', step_trim, "trim" },
	{ LB_PHASE_RESCUE_SCRAPE, 1, '/', step_scrape, "scrape" },
	{ LB_PHASE_RESCUE_RETRY, 1, '-', step_retry, "retry" },
};

/* Runs every step in order, checkpointing at each phase change. */
int lb_rs_run_steps(struct rs *s)
{
	int r = 0;

	for (size_t i = 0; i < sizeof steps / sizeof steps[0] && !r; i++) {
		if (s->st->phase != steps[i].phase)
			lb_prog_begin(&s->prog, s->ctx, steps[i].phase,
				      s->map.size);
		s->st->phase = steps[i].phase;
		s->st->pass = steps[i].pass;
		s->map.cur_st = steps[i].map_st;
		double t0 = lb_rs_now();
		if (!(r = lb_rs_tick(s, 1)))
			r = steps[i].run(s);
		if (!r && s->ctx->log) {
			char line[160];
			snprintf(line, sizeof line, "rescue: %s done in %.2f s, "
				 "%llu reads so far", steps[i].name, lb_rs_now() - t0,
				 (unsigned long long)s->st->reads);
			s->ctx->log(line, s->ctx->user);
		}
	}
	if (!r) {
		s->map.cur_st = LB_RM_FINISHED;
		s->st->phase = LB_PHASE_FINISH;
		r = lb_rs_tick(s, 1);
	}
	return r;
}
