/*
 * rescue_io.c — the rescue's contact with the outside: reading the failing
 * source, storing what was read in the image, and checkpoints.
 *
 * Reads use O_DIRECT with a 4096-byte-aligned buffer, so the page cache
 * neither hides an error (a cached page from an earlier read) nor widens
 * it (readahead failing a whole window): a failed one-sector read means
 * that sector is bad.  O_DIRECT is switched on with fcntl() on the
 * descriptor lb_dev_open made (which also set BLKROSET); where the
 * filesystem refuses it (tmpfs on old kernels, some FUSE mounts) the
 * rescue goes on with cached reads and says so in the log.
 *
 * Rescued bytes go into the image (rescue_store.c).  A checkpoint
 * (lb_rs_tick) stores them and the map in the image, synced, before the
 * header points at them, then replaces the copy of the map beside the
 * image: a crash at any moment leaves an image --resume may trust.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rescue_int.h"

double lb_rs_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void __attribute__((format(printf, 2, 3)))
rs_log(struct rs *s, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (!s->ctx->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	s->ctx->log(line, s->ctx->user);
}

void lb_rs_plan_used(struct rs *s, uint64_t first)
{
	char why[600];
	const struct lb_rblock *b = &s->map.v[lb_rmap_find(&s->map, 0)];

	if (b->st != LB_RM_FINISHED || b->size < first) {
		rs_log(s, "rescue: no used-block map (the first %" PRIu64 " bytes "
		       "of %s, where the partition table starts, did not "
		       "read); rescuing in disk order", first, s->src->path);
		return;
	}
	s->have_used = lb_rs_plan(s, why, sizeof why);
	if (!s->have_used)
		rs_log(s, "rescue: no used-block map (%s); rescuing in disk "
		       "order", why);
}

int lb_rs_open_source(struct rs *s)
{
	int fl, r;

	if ((r = lb_dev_open(s->ctx, &s->o->source, LB_DEV_READ, 0, &s->src)))
		return r;
	s->sec = s->src->logical_sector ? s->src->logical_sector : 512;
	if (s->sec > RS_CHUNK || s->sec & (s->sec - 1))
		s->sec = 512;
	fl = fcntl(s->src->fd, F_GETFL);
	if (fl >= 0 && fcntl(s->src->fd, F_SETFL, fl | O_DIRECT) == 0) {
		s->direct = 1;
	} else {
		rs_log(s, "rescue: warning: %s refuses O_DIRECT (%s); reads go "
		       "through the page cache, so a bad area may look larger",
		       s->src->path, strerror(errno));
	}
	return 0;
}

/* Turns O_DIRECT off after the kernel refused an aligned direct read. */
static void direct_off(struct rs *s)
{
	int fl = fcntl(s->src->fd, F_GETFL);

	if (fl >= 0)
		fcntl(s->src->fd, F_SETFL, fl & ~O_DIRECT);
	s->direct = 0;
	rs_log(s, "rescue: warning: %s fails direct reads (EINVAL); going "
	       "on with cached reads", s->src->path);
}

/* A read that O_DIRECT cannot do (a file whose size is not a multiple of
 * the sector: its last piece) is done through the cache, once. */
static int64_t tail_read(struct rs *s, uint64_t pos, size_t len)
{
	int fl = fcntl(s->src->fd, F_GETFL);
	int64_t n;

	if (fl < 0 || fcntl(s->src->fd, F_SETFL, fl & ~O_DIRECT) < 0)
		return -EINVAL;
	n = lb_rs_reader_pread(s->reader, s->buf, len, pos, s->read_timeout_ms);
	fcntl(s->src->fd, F_SETFL, fl);
	return n;
}

static int gone(int e)
{
	return e == ENODEV || e == ENXIO || e == ENOMEDIUM || e == ESHUTDOWN ||
	       e == ENOTCONN || e == EBADF;
}

/* Counts read N of LEN bytes at POS: RS_OK, RS_BAD (a media error), or
 * -ENODEV for a device that went away or did not answer (msg set). */
static int judge(struct rs *s, int64_t n, size_t len, uint64_t pos)
{
	s->st->reads++;
	s->st->pos = pos;
	if (n >= 0 && (size_t)n == len) {
		s->st->last_good = lb_rs_now();
		return RS_OK;
	}
	s->st->failed_reads++;
	if (n == -ETIMEDOUT) {
		s->reader_stuck = 1;
		snprintf(s->ctx->msg, sizeof s->ctx->msg, "%s did not answer a "
			 "read at byte %" PRIu64 " (LBA %" PRIu64 ") within %u s; "
			 "the map is saved, reconnect it (or let it cool) and go "
			 "on with --resume", s->src->path, pos, pos / s->sec,
			 (s->read_timeout_ms + 999) / 1000);
		return -ENODEV;
	}
	if (n < 0 && gone((int)-n)) {
		snprintf(s->ctx->msg, sizeof s->ctx->msg, "%s stopped answering "
			 "at byte %" PRIu64 " (LBA %" PRIu64 "): %s; the map is "
			 "saved, reconnect it and go on with --resume",
			 s->src->path, pos, pos / s->sec, strerror((int)-n));
		return -ENODEV;
	}
	return RS_BAD;          /* EIO, EILSEQ, ENODATA, short read: media */
}

static int drop_ahead(struct rs *s);

int lb_rs_read(struct rs *s, uint64_t pos, size_t len)
{
	double t0 = lb_rs_now(), dt;
	int64_t n;
	int r;

	if ((r = drop_ahead(s)) < 0)    /* room in the reader's queue */
		return r;
	if (s->ctx->cancel)
		return -ECANCELED;
	if (s->direct && (len % s->sec || pos % s->sec))
		n = tail_read(s, pos, len);     /* the short end of a file */
	else
		n = lb_rs_reader_pread(s->reader, s->buf, len, pos,
				       s->read_timeout_ms);
	if (n == -EINVAL && s->direct) {
		direct_off(s);
		n = lb_rs_reader_pread(s->reader, s->buf, len, pos,
				       s->read_timeout_ms);
	}
	dt = lb_rs_now() - t0;
	r = judge(s, n, len, pos);
	if (r == RS_OK) {
		s->last_slow = dt * 1000.0 > (double)s->slow_ms;
		s->st->slow_reads += (uint64_t)s->last_slow;
	}
	return r;
}

static int store_at(struct rs *s, const uint8_t *data, uint64_t pos,
		    size_t len)
{
	int r = lb_rs_img_put(s, data, pos, len);

	return r ? r : lb_rs_mark(s, pos, len, LB_RM_FINISHED);
}

int lb_rs_store(struct rs *s, uint64_t pos, size_t len)
{
	return store_at(s, s->buf, pos, len);
}

/* One piece [A, Z) through the single-read path (a short or unaligned
 * piece); returns RS_OK, RS_BAD or a negative errno. */
static int one_piece(struct rs *s, uint64_t a, uint64_t z, char fail_st)
{
	int r = lb_rs_read(s, a, (size_t)(z - a)), e;

	if (r < 0)
		return r;
	e = r == RS_OK ? lb_rs_store(s, a, (size_t)(z - a))
		       : lb_rs_mark(s, a, z - a, fail_st);
	return e ? e : r;
}

/* Applies the results of a batch (pieces in the order read) to the map
 * and the image; good neighbours are stored with one write.  Returns
 * RS_BAD when the last piece failed, RS_OK, or a negative errno; *DONE is
 * the number of pieces applied (fewer when O_DIRECT turned out to be
 * refused: those are read again). */
static int apply(struct rs *s, const uint8_t *buf, const int64_t *res,
		 int did, uint64_t top, uint64_t low, int rev, char fail_st,
		 int *done)
{
	uint64_t ra = 0, rz = 0;        /* the run of good pieces, or empty */
	int last = RS_OK, e = 0, i;

	for (i = 0; i < did && !e; i++) {
		uint64_t p = rev ? top - (uint64_t)i * s->sec
				 : low + (uint64_t)i * s->sec;
		if (res[i] == -EINVAL && s->direct) {
			direct_off(s);
			break;
		}
		if ((last = judge(s, res[i], s->sec, p)) < 0) {
			e = last;
			break;
		}
		if (last == RS_OK) {
			if (rz == ra)
				ra = p, rz = p + s->sec;
			else if (rev)
				ra = p;
			else
				rz = p + s->sec;
			continue;
		}
		if (rz > ra && (e = store_at(s, buf + (ra - low), ra, rz - ra)))
			break;
		ra = rz = 0;
		e = lb_rs_mark(s, p, s->sec, fail_st);
	}
	if (!e && rz > ra)
		e = store_at(s, buf + (ra - low), ra, rz - ra);
	*done = i;
	return e ? e : last;
}

int lb_rs_read_run(struct rs *s, uint64_t lo, uint64_t hi, int rev, int stop,
		   char fail_st, uint64_t *edge)
{
	uint64_t sec = s->sec, n = (hi - lo) / sec, low, top, at;
	int64_t res[RS_CHUNK / 512];
	int did, done, r, bad;

	if ((r = drop_ahead(s)) < 0)    /* room in the reader's queue */
		return r;
	if (s->ctx->cancel)
		return -ECANCELED;
	if (lo % sec || n == 0 || (rev && hi % sec)) {
		/* a short or unaligned piece at the end: one read */
		uint64_t a = rev ? (hi - 1) / sec * sec : lo;
		uint64_t z = rev ? hi : (lo + sec < hi ? lo + sec : hi);
		if (a < lo)
			a = lo;
		r = one_piece(s, a, z, fail_st);
		*edge = rev ? a : z;
	} else {
		if (n > RS_CHUNK / sec)
			n = RS_CHUNK / sec;
		low = rev ? hi - n * sec : lo;
		top = hi - sec;
		at = rev ? top : lo;
		did = lb_rs_reader_run(s->reader, &(struct lb_rs_batch){
			.buf = s->buf, .pos = at, .len = sec, .pieces = (int)n,
			.rev = rev, .stop = stop, .res = res, .at = &at },
			s->read_timeout_ms);
		if (did < 0)    /* AT: the read that hung */
			return did == -ETIMEDOUT ? judge(s, did, sec, at) : did;
		r = apply(s, s->buf, res, did, top, low, rev, fail_st, &done);
		*edge = rev ? hi - (uint64_t)done * sec : lo + (uint64_t)done * sec;
	}
	if (r < 0)
		return r;
	bad = r == RS_BAD;
	if ((r = lb_rs_tick(s, 0)) < 0)
		return r;
	return stop && bad;
}

/* Queues the copy batch of N chunks at POS (forward) into BUF, to be
 * read only if the batch before ends without trouble. */
static void queue_ahead(struct rs *s, uint64_t pos, int n, int slow,
			uint8_t *buf)
{
	struct lb_rs_batch b = {
		.buf = buf, .pos = pos, .len = RS_CHUNK, .pieces = n,
		.stop = 1, .slow_ms = slow ? s->slow_ms : 0, .cond = 1,
	};
	int t = lb_rs_reader_submit(s->reader, &b);

	if (t < 0)
		return;         /* then it is read when asked for */
	s->ahead.on = 1;
	s->ahead.ticket = t;
	s->ahead.pos = pos;
	s->ahead.n = n;
	s->ahead.slow = slow;
	s->ahead.buf = buf;
}

/* Takes back the batch queued ahead, if any (after trouble it is not
 * read; read or not, its bytes are not applied: they stay non-tried and
 * are read again when asked for).  Every path that gives the reader a
 * job, other than the copy batch that takes the one ahead over, calls
 * this first: the batch ahead holds a place in the reader's queue until
 * it is waited for, and the other paths count on RS_QUEUE free places
 * (lb_rs_read_jobs fills them all; lb_rs_reader_submit refuses a job
 * when none is free).  Returns 0, or -ENODEV (msg set) when the reader
 * is stuck in one of its reads. */
static int drop_ahead(struct rs *s)
{
	uint64_t at = s->ahead.pos;
	struct lb_rs_batch b = { .res = s->ahead.res, .slow = s->ahead.sl,
				 .at = &at };
	int did;

	if (!s->ahead.on)
		return 0;
	s->ahead.on = 0;
	did = lb_rs_reader_wait(s->reader, s->ahead.ticket, &b,
				s->read_timeout_ms);
	return did == -ETIMEDOUT ? judge(s, did, RS_CHUNK, at) : 0;
}

/* Applies DID chunk reads of batch B (from POS, backward with b->rev;
 * LOW: the lowest byte in b->buf): stores good ones, marks failed ones
 * non-trimmed.  *APPLIED: how many (fewer when O_DIRECT went off). */
static int apply_chunks(struct rs *s, const struct lb_rs_batch *b, int did,
			uint64_t pos, uint64_t low, int *applied)
{
	int i, e, r = RS_OK;

	for (i = 0; i < did && r >= 0; i++) {
		uint64_t p = b->rev ? pos - (uint64_t)(i + 1) * RS_CHUNK
				    : pos + (uint64_t)i * RS_CHUNK;
		if (b->res[i] == -EINVAL && s->direct) {
			direct_off(s);  /* this chunk and on: read again */
			break;
		}
		if ((r = judge(s, b->res[i], RS_CHUNK, p)) < 0)
			break;
		s->last_slow = r == RS_OK && b->slow[i];
		s->st->slow_reads += (uint64_t)s->last_slow;
		e = r == RS_OK ? store_at(s, (const uint8_t *)b->buf + (p - low),
					  p, RS_CHUNK)
			       : lb_rs_mark(s, p, RS_CHUNK, LB_RM_NONTRIM);
		if (e)
			r = e;
	}
	*applied = i;
	return r;
}

int lb_rs_read_chunks(struct rs *s, uint64_t pos, int n, int rev, int slow,
		      int *done, uint64_t lim)
{
	uint64_t low = rev ? pos - (uint64_t)n * RS_CHUNK : pos;
	uint64_t at = rev ? pos - RS_CHUNK : pos, next = pos + (uint64_t)n * RS_CHUNK;
	int64_t res[RS_BATCH / RS_CHUNK];
	unsigned char sl[RS_BATCH / RS_CHUNK];
	struct lb_rs_batch b = {
		.pos = at, .len = RS_CHUNK, .pieces = n, .rev = rev, .stop = 1,
		.slow_ms = slow ? s->slow_ms : 0, .res = res, .slow = sl,
		.at = &at };
	int did, i, t, r = RS_OK;

	*done = 0;
	s->last_slow = 0;
	if (n < 1 || n > (int)(RS_BATCH / RS_CHUNK))
		return -EINVAL;
	if (s->ahead.on && !rev && s->ahead.pos == pos && s->ahead.n == n &&
	    s->ahead.slow == slow) {    /* read already, or being read */
		t = s->ahead.ticket;
		b.buf = s->ahead.buf;
		s->ahead.on = 0;
	} else {
		if ((r = drop_ahead(s)) < 0)
			return r;
		if (s->ctx->cancel)
			return -ECANCELED;
		b.buf = s->ahead.buf == s->buf ? s->buf + RS_BATCH : s->buf;
		if ((t = lb_rs_reader_submit(s->reader, &b)) < 0)
			return t;
	}
	/* the next batch, when the copy pass will ask for one there: it
	 * reads a batch only of two chunks or more (one, or a piece, it
	 * reads through lb_rs_read, which drops what is queued ahead) */
	if (!rev && lim && n == (int)(RS_BATCH / RS_CHUNK) &&
	    next + 2 * RS_CHUNK <= lim && !s->ctx->cancel)
		queue_ahead(s, next, (int)((lim - next) / RS_CHUNK <
			    RS_BATCH / RS_CHUNK ? (lim - next) / RS_CHUNK :
			    RS_BATCH / RS_CHUNK), slow,
			    (uint8_t *)(b.buf == s->buf ? s->buf + RS_BATCH : s->buf));
	did = lb_rs_reader_wait(s->reader, t, &b, s->read_timeout_ms);
	if (did < 0)
		return did == -ETIMEDOUT ? judge(s, did, RS_CHUNK, at) : did;
	r = apply_chunks(s, &b, did, pos, low, &i);
	*done = r < 0 ? 0 : i;
	if ((r != RS_OK || s->last_slow || i < n) && (i = drop_ahead(s)) < 0)
		r = i;          /* trouble: it is not read */
	if (r >= 0 && (i = lb_rs_tick(s, 0)) < 0)
		r = i;
	return r;
}

/* One job in the reader's queue (lb_rs_read_jobs). */
struct rs_inflight {
	struct lb_rs_job j;
	struct lb_rs_batch b;
	int ticket;
	int64_t res[RS_JOB];
};

/* Applies a finished trim of [A, Z): the forward reads, the backward
 * ones, the rest non-scraped.  O_DIRECT going off midway: the rest is
 * trimmed again through the one-job path. */
static int apply_trim(struct rs *s, struct rs_inflight *q, int did)
{
	uint64_t sec = s->sec, a = q->j.lo, z = q->j.hi, n = (z - a) / sec;
	const uint8_t *buf = q->b.buf;
	int f = q->b.nfwd, k = did - f, done, r;
	/* each side ends at a failed read or where the other ended; else
	 * the job was cut short (cancelled) and the middle stays untrimmed */
	int whole = ((uint64_t)f == n || q->res[f - 1] != (int64_t)sec) &&
		    ((uint64_t)(f + k) == n ||
		     (k > 0 && q->res[f + k - 1] != (int64_t)sec));

	if (f < 1)
		return s->ctx->cancel ? -ECANCELED : 0;
	if ((r = apply(s, buf, q->res, f, 0, a, 0, LB_RM_BAD, &done)) < 0)
		return r;
	if (done < f)
		return q->j.slow(s, a + (uint64_t)done * sec, z, 0);
	a += (uint64_t)f * sec;
	if (k > 0) {
		uint64_t low = z - (uint64_t)k * sec;
		if ((r = apply(s, buf + (low - q->j.lo), q->res + f, k, z - sec,
			       low, 1, LB_RM_BAD, &done)) < 0)
			return r;
		if (done < k)
			return q->j.slow(s, a, z - (uint64_t)done * sec, 0);
		z = low;
	}
	if (!whole)
		return -ECANCELED;
	return a < z ? lb_rs_mark(s, a, z - a, LB_RM_NONSCRAPE) : 0;
}

/* Applies a finished batch of one-sector reads of [lo, hi). */
static int apply_batch(struct rs *s, struct rs_inflight *q, int did)
{
	uint64_t sec = s->sec, lo = q->j.lo, hi = q->j.hi;
	int done, r;

	r = apply(s, q->b.buf, q->res, did, hi - sec, lo, q->j.rev,
		  q->j.fail_st, &done);
	if (r < 0 || done == (int)((hi - lo) / sec))
		return r < 0 ? r : 0;
	if (s->ctx->cancel)
		return -ECANCELED;
	/* cut short (O_DIRECT went off, or cancelled): the rest one by one */
	return q->j.rev ? q->j.slow(s, lo, hi - (uint64_t)done * sec, 1)
			: q->j.slow(s, lo + (uint64_t)done * sec, hi, 1);
}

/* Waits for the oldest job of the queue and applies it. */
static int finish_one(struct rs *s, struct rs_inflight *q)
{
	uint64_t at = q->b.pos;
	int did, r;

	q->b.at = &at;
	q->b.res = q->res;
	did = lb_rs_reader_wait(s->reader, q->ticket, &q->b,
				s->read_timeout_ms);
	if (did < 0)
		return did == -ETIMEDOUT ? judge(s, did, s->sec, at) : did;
	r = q->j.trim ? apply_trim(s, q, did) : apply_batch(s, q, did);
	if (r >= 0 && (r = lb_rs_tick(s, 0)) > 0)
		r = 0;
	return r;
}

/* Whether job J can go to the reader thread whole. */
static int fits(struct rs *s, const struct lb_rs_job *j)
{
	uint64_t n = (j->hi - j->lo) / s->sec;

	return j->lo % s->sec == 0 && j->hi % s->sec == 0 && n >= 1 &&
	       n <= (j->trim ? RS_JOB : RS_PIECES);
}

/* The reader's queue of lb_rs_read_jobs: N jobs from HEAD on. */
struct rs_queue {
	struct rs_inflight q[RS_QUEUE];
	int head, n;
};

/* Waits for the oldest job and applies it. */
static int pop(struct rs *s, struct rs_queue *k)
{
	int r = finish_one(s, &k->q[k->head]);

	k->head = (k->head + 1) % RS_QUEUE;
	k->n--;
	return r;
}

/* Gives job J to the reader, behind the others. */
static int push(struct rs *s, struct rs_queue *k, const struct lb_rs_job *j)
{
	int slot = (k->head + k->n) % RS_QUEUE;
	struct rs_inflight *x = &k->q[slot];

	if (s->ctx->cancel)
		return -ECANCELED;
	x->j = *j;
	x->b = (struct lb_rs_batch){
		.buf = s->buf + (size_t)slot * RS_BATCH,
		.pos = j->trim || !j->rev ? j->lo : j->hi - s->sec,
		.len = s->sec, .pieces = (int)((j->hi - j->lo) / s->sec),
		.rev = j->rev, .trim = j->trim, .res = x->res,
		.cancel = &s->ctx->cancel,
	};
	if ((x->ticket = lb_rs_reader_submit(s->reader, &x->b)) < 0)
		return x->ticket;
	k->n++;
	return 0;
}

/* Fills the queue from NEXT; a job the reader cannot take whole is done
 * the slow way once the queue is empty.  *MORE: NEXT may give more. */
static int fill(struct rs *s, struct rs_queue *k, int *more,
		int (*next)(struct rs *, void *, struct lb_rs_job *), void *it)
{
	struct lb_rs_job j;
	int r = 0;

	while (!r && *more && k->n < RS_QUEUE) {
		if ((r = next(s, it, &j)) <= 0) {
			*more = 0;
			break;
		}
		r = 0;
		if (fits(s, &j)) {
			r = push(s, k, &j);
			continue;
		}
		while (!r && k->n)
			r = pop(s, k);
		if (!r && (r = j.slow(s, j.lo, j.hi, j.trim ? 0 : 1)) > 0)
			r = 0;
	}
	return r;
}

int lb_rs_read_jobs(struct rs *s, int (*next)(struct rs *, void *,
					      struct lb_rs_job *), void *it)
{
	struct rs_queue k = { .head = 0, .n = 0 };
	int more = 1, r, e;

	/* the queue is all ours: a copy batch still queued ahead (the copy
	 * pass ended with it) would leave no room for the second job */
	if ((r = drop_ahead(s)) < 0)
		return r;
	while (!r && (more || k.n)) {
		r = fill(s, &k, &more, next, it);
		if (k.n && (r == 0 || r == -ECANCELED)) {
			e = pop(s, &k);         /* the reader reads the next */
			r = r ? r : e;
		}
	}
	/* after an error or a cancel, what is still queued is waited for
	 * and dropped (not applied): it is read again on --resume; a
	 * reader stuck in a read (-ENODEV) is not waited for */
	while (k.n && r != -ENODEV) {
		lb_rs_reader_wait(s->reader, k.q[k.head].ticket, &k.q[k.head].b,
				  s->read_timeout_ms);
		k.head = (k.head + 1) % RS_QUEUE;
		k.n--;
	}
	return r;
}

static enum lb_region_state region_of(char st)
{
	return st == LB_RM_FINISHED ? LB_REGION_COPIED :
	       st == LB_RM_BAD ? LB_REGION_BAD : LB_REGION_PENDING;
}

int lb_rs_mark(struct rs *s, uint64_t pos, uint64_t len, char st)
{
	int r = lb_rmap_set(&s->map, pos, len, st);

	s->map_changes++;
	if (r)
		snprintf(s->ctx->msg, sizeof s->ctx->msg, "rescue map: %s",
			 r == -E2BIG ? "too many separate areas" :
			 strerror(-r));
	else if (s->ctx->region)
		s->ctx->region(pos, len, region_of(st), s->ctx->user);
	return r ? r : lb_rs_img_settle(s, pos, len);
}

void lb_rs_stats(struct rs *s)
{
	struct lb_rescue_stats *t = s->st;

	t->size = s->map.size;
	t->finished = lb_rmap_bytes(&s->map, LB_RM_FINISHED);
	t->bad = lb_rmap_bytes(&s->map, LB_RM_BAD);
	t->nontried = lb_rmap_bytes(&s->map, LB_RM_NONTRIED);
	t->nontrimmed = lb_rmap_bytes(&s->map, LB_RM_NONTRIM);
	t->nonscraped = lb_rmap_bytes(&s->map, LB_RM_NONSCRAPE);
	t->bad_areas = lb_rmap_count(&s->map, LB_RM_BAD);
	t->direct = s->direct;
	t->sector = s->sec;
}

/* The image first (the map in it calls finished only what is stored),
 * then the copy of the map beside it: both by the writer thread, after
 * the clusters handed over so far (rescue_store.c), while reads go on.
 * Nothing marked since the last checkpoint (a step with nothing to do):
 * that one stands. */
static int checkpoint(struct rs *s)
{
	char note[160];
	int r;

	if (s->map_changes == s->ckpt_changes) {
		s->last_ckpt = lb_rs_now();     /* the last one holds it all */
		return 0;
	}
	s->ckpt_changes = s->map_changes;
	s->map.cur_pos = s->st->pos;
	s->map.pass = s->st->pass > 0 ? s->st->pass : 1;
	snprintf(note, sizeof note, "Source: %.120s\nPhase: %s, pass %d",
		 s->o->source.path, lb_phase_name(s->st->phase), s->map.pass);
	if ((r = lb_rs_img_checkpoint(s, note, 0)))
		return r == -ENOSPC ? r : -LB_ETARGET;
	s->last_ckpt = lb_rs_now();
	return 0;
}

int lb_rs_tick(struct rs *s, int force)
{
	double now = lb_rs_now();
	int r = 0;

	if (force || (now - s->last_ckpt) * 1000.0 >= s->ckpt_ms)
		if ((r = checkpoint(s)))
			return r;
	if (force || now - s->last_prog >= 0.2) {
		if ((r = lb_rs_img_publish(s)))
			return r;
		lb_rs_stats(s);
		s->last_prog = now;
		s->prog.p.errors = s->st->bad / s->sec;
		s->prog.p.phase = s->st->phase;
		r = lb_prog_update_read(&s->prog, s->st->finished + s->st->bad,
					s->st->finished, s->st->finished, force);
	}
	return s->ctx->cancel ? -ECANCELED : r;
}
