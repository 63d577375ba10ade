/*
 * clone.c — lb_clone: copies a disk, partition or file straight onto
 * another, byte for byte.
 *
 * Order of work: open the source read-only (a block device is also
 * marked read-only in the kernel, dev_block.c); refuse a source mounted
 * read-write unless forced (C035); refuse unless the person confirmed;
 * run lb_check_target (mounted, in use, the Lifeboat medium, holds the
 * source, too small); open the target (O_EXCL on a block device; a file
 * is created sparse at the source's size, C006).  Then a reader thread
 * fills a bounded ring of 4 MiB buffers (copy_pipe.c) while this thread
 * writes them, so reading and writing overlap.  Each buffer is cut into
 * 64 KiB blocks: runs of zero blocks become lb_dev_zero (a hole in a file,
 * BLKZEROOUT on a device) instead of writes.  Before copying, a marker
 * near the end of the target catches power-of-two fake-capacity media
 * (dev_capacity.c, C007).  After fdatasync, the
 * optional verify pass drops the target's cached pages, reads it back and
 * compares an XXH3 hash per buffer with the hash taken while copying; a
 * mismatch names the first differing byte (C007: fake-capacity media).
 *
 * Errors name the device, the byte offset and the cause: a failed read
 * returns -EIO & co (exit 4), a failed write -ENOSPC/-EFBIG (exit 5) or
 * -LB_ETARGET (exit 5), a refusal -LB_EREFUSED (exit 3), a difference
 * -LB_EMISMATCH (exit 7).  A failed job never reports success (C066).
 * A target file this clone created (it did not exist before) is removed
 * again when the clone fails, as restore does: no half-written copy is
 * left to look like a good one (never a file that existed, never a
 * device).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "copy_pipe.h"
#include "dev_backend.h"
#include "lifeboat.h"
#include "pt.h"
#include "fs.h"
#include "fs_grow.h"
#include "safety_part.h"

#define ZERO_BLOCK (64u << 10)

struct meter {
	struct lb_ctx *ctx;
	struct lb_progress p;
	double start, last, mark_t;
	uint64_t mark_done;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void meter_begin(struct meter *m, enum lb_phase phase, uint64_t total)
{
	m->p = (struct lb_progress){ .phase = phase, .total = total, .eta = -1 };
	m->start = m->mark_t = now();
	m->last = 0;            /* report the first tick at once */
	m->mark_done = 0;
}

/* Reports progress at most 4 times a second (always when FORCE); returns
 * -ECANCELED when the callback or ctx->cancel asks to stop. */
static int meter_tick(struct meter *m, int force)
{
	double t = now();

	if (m->ctx->cancel)
		return -ECANCELED;
	if (!m->ctx->progress || (!force && t - m->last < 0.25))
		return 0;
	if (t - m->mark_t >= 2.0 || m->mark_done == 0) {
		if (t > m->mark_t)
			m->p.rate = (double)(m->p.done - m->mark_done) / (t - m->mark_t);
		m->mark_t = t;
		m->mark_done = m->p.done;
	}
	m->p.avg_rate = t > m->start ? (double)m->p.done / (t - m->start) : 0;
	m->p.eta = m->p.avg_rate > 0 ?
		   (double)(m->p.total - m->p.done) / m->p.avg_rate : -1;
	m->last = t;
	return m->ctx->progress(&m->p, m->ctx->user) ? -ECANCELED : 0;
}

static int is_zero(const uint8_t *b, size_t n)
{
	return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

/* Names a target write failure; EIO & co become -LB_ETARGET (exit 5). */
static int write_error(struct lb_ctx *ctx, struct lb_dev *t, uint64_t off,
		       int err)
{
	snprintf(ctx->msg, sizeof ctx->msg, "writing %s at byte %llu: %s",
		 t->path, (unsigned long long)(t->base + off), strerror(-err));
	if (err == -ENOSPC || err == -EFBIG || err == -EDQUOT || err == -EROFS)
		return err;
	return -LB_ETARGET;
}

/* Narrows a failed read of [OFF, OFF+LEN) down to the first unreadable
 * logical sector: 64 KiB steps, then sectors.  Returns its span offset. */
static uint64_t first_bad(struct lb_dev *s, uint64_t off, size_t len)
{
	static const size_t steps[] = { ZERO_BLOCK, 0 };
	uint8_t *buf = malloc(ZERO_BLOCK);
	uint64_t end = off + len;

	if (!buf)
		return off;
	for (int i = 0; i < 2; i++) {
		size_t step = steps[i] ? steps[i] : s->logical_sector;
		uint64_t at = off;
		while (at < end) {
			size_t n = end - at < step ? (size_t)(end - at) : step;
			if (lb_dev_pread(s, buf, n, at) != (int64_t)n)
				break;
			at += n;
		}
		if (at >= end)
			break;          /* all readable now: keep the chunk start */
		off = at;
		end = at + (end - at < step ? end - at : step);
	}
	free(buf);
	return off;
}

static int read_error(struct lb_ctx *ctx, struct lb_dev *s, uint64_t off,
		      size_t len, int err)
{
	uint64_t at = s->base + first_bad(s, off, len);

	snprintf(ctx->msg, sizeof ctx->msg, "reading %s at byte %llu (LBA %llu"
		 " of %u-byte sectors): %s", s->path, (unsigned long long)at,
		 (unsigned long long)(at / s->logical_sector), s->logical_sector,
		 strerror(-err));
	return err == -ECANCELED ? -EIO : err;
}

/* Writes one buffer: data runs with pwrite, zero runs with lb_dev_zero. */
static int put_slot(struct lb_ctx *ctx, struct lb_dev *t,
		    const struct copy_slot *s, uint64_t *written)
{
	size_t i = 0;

	while (i < s->len) {
		size_t blk = s->len - i < ZERO_BLOCK ? s->len - i : ZERO_BLOCK;
		int zero = is_zero(s->buf + i, blk);
		size_t j = i + blk;
		int64_t r;

		while (j < s->len) {
			size_t b = s->len - j < ZERO_BLOCK ? s->len - j : ZERO_BLOCK;
			if (is_zero(s->buf + j, b) != zero)
				break;
			j += b;
		}
		if (zero)
			r = lb_dev_zero(t, s->off + i, j - i);
		else if ((r = lb_dev_pwrite(t, s->buf + i, j - i, s->off + i)) >= 0)
			*written += j - i;
		if (r < 0)
			return write_error(ctx, t, s->off + i, (int)r);
		i = j;
	}
	return 0;
}

static void mark_region(struct lb_ctx *ctx, const struct copy_slot *s,
			enum lb_region_state st)
{
	if (ctx->region)
		ctx->region(s->off, s->len, st, ctx->user);
}

/* Copies the whole source, hashing each buffer into HASH (may be NULL). */
static int copy_all(struct lb_ctx *ctx, struct lb_dev *s, struct lb_dev *t,
		    uint64_t *hash, struct meter *m)
{
	struct copy_pipe pipe;
	struct copy_slot *sl;
	size_t idx = 0;
	int r = copy_pipe_start(&pipe, s);

	if (r < 0) {
		snprintf(ctx->msg, sizeof ctx->msg, "cannot start the reader: %s",
			 strerror(-r));
		return r;
	}
	meter_begin(m, LB_PHASE_COPY, s->size);
	while (r == 0 && (sl = copy_pipe_next(&pipe))) {
		if (sl->err) {
			mark_region(ctx, sl, LB_REGION_BAD);
			r = read_error(ctx, s, sl->off, sl->len, sl->err);
		} else {
			if (hash)
				hash[idx++] = XXH3_64bits(sl->buf, sl->len);
			r = put_slot(ctx, t, sl, &m->p.written);
			mark_region(ctx, sl, is_zero(sl->buf, sl->len) ?
				    LB_REGION_ZERO : LB_REGION_COPIED);
			m->p.done += sl->len;
			if (r == 0 && (r = meter_tick(m, 0)) < 0)
				snprintf(ctx->msg, sizeof ctx->msg, "cancelled "
					 "at byte %llu of %llu; the target is "
					 "incomplete", (unsigned long long)m->p.done,
					 (unsigned long long)s->size);
		}
		copy_pipe_release(&pipe);
	}
	copy_pipe_stop(&pipe);
	return r;
}

/* Finds the first byte where the target differs from the source inside
 * the buffer at OFF (LEN bytes); TBUF holds the target's bytes. */
static uint64_t first_diff(struct lb_dev *s, const uint8_t *tbuf, size_t len,
			   uint64_t off)
{
	uint8_t *sbuf = malloc(len);
	uint64_t at = off;

	if (sbuf && lb_dev_pread(s, sbuf, len, off) == (int64_t)len) {
		size_t i = 0;
		while (i < len && sbuf[i] == tbuf[i])
			i++;
		at = off + i;
	}
	free(sbuf);
	return at;
}

static int mismatch(struct lb_ctx *ctx, struct lb_dev *s, struct lb_dev *t,
		    uint64_t at)
{
	snprintf(ctx->msg, sizeof ctx->msg, "verify: %.150s differs from %.150s at "
		 "byte %llu (LBA %llu): the target does not hold what was "
		 "written — a failing or fake-capacity device?", t->path,
		 s->path, (unsigned long long)(t->base + at),
		 (unsigned long long)((t->base + at) / t->logical_sector));
	return -LB_EMISMATCH;
}

static int readback_error(struct lb_ctx *ctx, struct lb_dev *t, uint64_t off,
			  int err)
{
	snprintf(ctx->msg, sizeof ctx->msg, "verify: reading back %s at byte "
		 "%llu: %s", t->path, (unsigned long long)(t->base + off),
		 strerror(-err));
	return -LB_ETARGET;
}

/* Reads the target back from the medium and compares buffer hashes. */
static int verify_all(struct lb_ctx *ctx, struct lb_dev *s, struct lb_dev *t,
		      const uint64_t *hash, struct meter *m)
{
	uint8_t *buf;
	uint64_t off = 0, size = s->size;
	int r = 0;

	lb_dev_drop_cache(t);
	if (posix_memalign((void **)&buf, 4096, COPY_CHUNK))
		return -ENOMEM;
	meter_begin(m, LB_PHASE_VERIFY, size);
	for (size_t idx = 0; r == 0 && off < size; idx++) {
		size_t len = size - off < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;
		int64_t n = lb_dev_pread(t, buf, len, off);

		if (n != (int64_t)len)
			r = readback_error(ctx, t, off, n < 0 ? (int)n : -EIO);
		else if (XXH3_64bits(buf, len) != hash[idx])
			r = mismatch(ctx, s, t, first_diff(s, buf, len, off));
		off += len;
		m->p.done = off;
		if (r == 0)
			r = meter_tick(m, 0);
	}
	free(buf);
	return r;
}

static int refuse_small(struct lb_ctx *ctx, const char *path, uint64_t have,
			uint64_t need)
{
	snprintf(ctx->msg, sizeof ctx->msg, "refusing to write %s: it is too "
		 "small: the range holds %llu bytes (%.1f MiB) but %llu bytes "
		 "(%.1f MiB) are needed", path, (unsigned long long)have,
		 have / 1048576.0, (unsigned long long)need, need / 1048576.0);
	return -LB_EREFUSED;
}

/* Runs the safety checks and opens the target for NEED bytes. */
static int open_target(struct lb_ctx *ctx, const struct lb_clone_opts *o,
		       uint64_t need, struct lb_dev **t)
{
	const struct lb_span *ts = &o->target;
	int r;

	if (!o->confirmed && !o->check_only) {
		snprintf(ctx->msg, sizeof ctx->msg, "refusing to write %s: "
			 "not confirmed (type the device name when asked, or "
			 "give --yes)", ts->path);
		return -LB_EREFUSED;
	}
	if (ts->length && ts->length < need)
		return refuse_small(ctx, ts->path, ts->length, need);
	r = lb_check_target(ctx, ts->path, ts->offset + need, o->source.path);
	if (r < 0 || o->check_only)
		return r;       /* check_only: every refusal checked, none open */
	if ((r = lb_dev_open(ctx, ts, LB_DEV_CREATE, need, t)) < 0)
		return r == -EIO ? -LB_ETARGET : r;
	if ((*t)->size < need) {
		r = refuse_small(ctx, ts->path, (*t)->size, need);
		lb_dev_close(*t);
		*t = NULL;
		return r;
	}
	/* A larger existing file is treated as a disk of that size: the
	 * source is written, the rest is left (never shrunk; --grow-last
	 * uses its size).  A new file was created at NEED bytes. */
	return 0;
}

static int open_source(struct lb_ctx *ctx, const struct lb_clone_opts *o,
		       struct lb_dev **s)
{
	int r = lb_check_source(ctx, o->source.path, o->force);

	if (r < 0)
		return r;
	if (r == 1 && ctx->log)
		ctx->log(ctx->msg, ctx->user);
	ctx->msg[0] = 0;
	return lb_dev_open(ctx, &o->source, LB_DEV_READ, 0, s);
}

static int finish(struct lb_ctx *ctx, struct lb_dev *t, struct meter *m)
{
	int r;

	m->p.phase = LB_PHASE_FINISH;
	meter_tick(m, 1);
	if ((r = lb_dev_flush(t)) < 0)
		return write_error(ctx, t, 0, r);
	return 0;
}

/* After a failed clone: removes PATH when this clone created it (a
 * regular file that did not exist when the clone began: TARGET.part) and
 * says so in ctx->msg, naming the TARGET the person asked for. */
static void remove_created(struct lb_ctx *ctx, const char *path,
			   const char *target, int created)
{
	struct stat st;
	size_t k = strlen(ctx->msg);

	if (!created || lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    unlink(path) < 0)
		return;
	snprintf(ctx->msg + k, sizeof ctx->msg - k, "%s%.200s was removed "
		 "(this clone had created it)", k ? "; " : "", target);
}

/* Closes the target; a failed close (the last write-back) fails a job
 * that had succeeded so far.  Returns the job's result R. */
static int close_target(struct lb_ctx *ctx, struct lb_dev *t, int r)
{
	char path[256];
	int c;

	memcpy(path, t->path, sizeof path);
	if ((c = lb_dev_close(t)) < 0 && r == 0) {
		snprintf(ctx->msg, sizeof ctx->msg, "closing %.200s: %s", path,
			 strerror(-c));
		r = -LB_ETARGET;
	}
	return r;
}

int lb_clone(struct lb_ctx *ctx, const struct lb_clone_opts *o)
{
	struct lb_dev *s = NULL, *t = NULL;
	struct meter m = { .ctx = ctx };
	struct lb_fs_grow grow = { 0 };
	uint64_t *hash = NULL, need;
	struct stat tst;
	int r;
	/* A target file that does not exist yet is Lifeboat's own. */
	int created = !o->check_only && stat(o->target.path, &tst) < 0 &&
		      errno == ENOENT;
	/* ... written as TARGET.part, renamed at the end (rule 3, trial 2
	 * F13: a killed clone leaves no finished-looking file) */
	struct lb_clone_opts po = *o;
	char part[PATH_MAX];
	int kept = 0;

	ctx->msg[0] = 0;
	if (created && (r = lb_part_prepare(ctx, o->target.path,
					    o->source.path, part, sizeof part))) {
		if (r < 0)
			return r;
		created = 0;    /* it exists: written in place */
	}
	if (created)
		po.target.path = part;
	if ((r = open_source(ctx, o, &s)) < 0)
		return r;
	/* pt.h: a smaller target is fine when every partition fits (C001);
	 * then only the bytes it holds are copied and compared */
	need = s->size;
	/* mounted / in use before "too small" (trial 2 F7) */
	if ((r = lb_check_target(ctx, o->target.path, 0, o->source.path)) < 0)
		goto out;
	if ((r = lb_pt_clone_fit_choice(ctx, s, &o->target, &need, o->table)) < 0)
		goto out;
	s->size = need;
	if ((r = open_target(ctx, &po, s->size, &t)) < 0 || o->check_only ||
	    (r = lb_dev_check_capacity(ctx, t, s->size)) < 0)      /* C007 */
		goto out;
	if (o->verify_after &&
	    !(hash = calloc(s->size / COPY_CHUNK + 1, sizeof *hash))) {
		r = -ENOMEM;
		goto out;
	}
	r = copy_all(ctx, s, t, hash, &m);
	if (r == 0)
		r = finish(ctx, t, &m);
	if (r == 0 && hash)
		r = verify_all(ctx, s, t, hash, &m);
	if (r == 0 && !o->target.offset && o->grow_last &&  /* fs_grow.h */
	    lb_fs_grow_prepare(ctx, t, o->table, &grow))
		ctx->msg[0] = 0;           /* no table: the fix-up says so */
	if (r == 0 && !o->target.offset)   /* GPT backup at the end (pt.h) */
		r = lb_pt_after_write_choice(ctx, t, o->grow_last, o->new_ids,
					     o->table);     /* C013 */
	if (r == 0 && !o->target.offset && !o->new_ids)   /* C072, C074 */
		lb_pt_identity_note_choice(ctx, t, o->table);  /* C013 */
	if (r == 0)                        /* NTFS backup boot sector (fs.h) */
		r = lb_fs_after_write(ctx, t, s->size);
	if (r == 0 && grow.part)           /* its ext2/3/4 filesystem too */
		lb_fs_grow_last(ctx, t, &grow, o->grow_note,
				o->grow_note_len);
	if (r == 0 && !o->target.offset)   /* the kernel sees the new table (C005) */
		lb_dev_reread_table(ctx, t);
	if (r == 0) {
		m.p.phase = LB_PHASE_DONE;
		m.p.done = m.p.total;
		meter_tick(&m, 1);
	}
out:
	free(hash);
	if (t)
		r = close_target(ctx, t, r);
	if (!r && created && t)
		kept = (r = lb_part_commit(ctx, part, o->target.path)) != 0;
	if (r && !kept)
		remove_created(ctx, po.target.path, o->target.path, created);
	lb_dev_close(s);
	return r;
}
