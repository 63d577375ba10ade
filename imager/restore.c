/*
 * restore.c — lb_restore: an image back onto a disk, partition or file.
 *
 * Nothing touches the target until the image has been checked: header,
 * Lifeboat metadata (complete marker, split pieces), L1, every L2 table
 * and checksum block (image_reader.c), then the target safety checks
 * (lb_check_target).  The clusters then flow through the decode pipeline
 * (pipeline.c): workers decompress and check each cluster's XXH3, and the
 * writer thread here writes runs of data and turns runs of zero clusters
 * into lb_dev_zero calls (a hole in a file, BLKZEROOUT on a device), never
 * buffers of zeros.  It hashes what it writes; the SHA-256 must match the
 * image's, and with verify_after the target is read back and hashed again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "dev.h"
#include "image.h"
#include "pipeline.h"
#include "pt.h"
#include "fs.h"

struct rs {
	struct lb_imgr *img;
	struct lb_dev *t;
	uint64_t size, cs;
	uint64_t zero_off, zero_len;    /* pending run of zeros */
	const uint8_t *zeros;           /* one cluster of zeros, for hashing */
	struct sha256_ctx sha;
	/* pt.h: bytes written; < size when the image's partitions all fit a
	 * smaller target (the tail is only hashed), and their hash */
	uint64_t limit;
	struct sha256_ctx sha_lim;
};

static uint64_t below_limit(const struct rs *s, uint64_t off, uint64_t len)
{
	return off >= s->limit ? 0 : len < s->limit - off ? len : s->limit - off;
}

static int target_err(struct lb_dev *t, uint64_t off, int64_t r, char *msg)
{
	snprintf(msg, 512, "writing %s at byte %" PRIu64 " failed: %s", t->path,
		 off, strerror((int)-r));
	return r == -ENOSPC || r == -EFBIG || r == -EDQUOT ? (int)r : -LB_ETARGET;
}

static int flush_zeros(struct rs *s, char *msg)
{
	int r;

	if (!s->zero_len)
		return 0;
	r = lb_dev_zero(s->t, s->zero_off, s->zero_len);
	if (r < 0)
		return target_err(s->t, s->zero_off, r, msg);
	s->zero_len = 0;
	return 0;
}

#define UNIT (64u << 10)   /* zero detection inside clusters: keeps files sparse */

static int put_zeros(struct rs *s, uint64_t off, uint64_t len, char *msg)
{
	uint64_t w = below_limit(s, off, len);
	int r;

	if (w && s->zero_len && s->zero_off + s->zero_len != off &&
	    (r = flush_zeros(s, msg)))
		return r;
	if (w && !s->zero_len)
		s->zero_off = off;
	s->zero_len += w;
	for (uint64_t h = 0; h < len; h += s->cs)
		sha256_update(&s->sha, len - h < s->cs ? len - h : s->cs, s->zeros);
	for (uint64_t h = 0; s->limit < s->size && h < w; h += s->cs)
		sha256_update(&s->sha_lim, w - h < s->cs ? w - h : s->cs, s->zeros);
	return 0;
}

static int put_data(struct rs *s, const uint8_t *d, uint64_t off, uint64_t len,
		    char *msg)
{
	int r;

	uint64_t wl = below_limit(s, off, len);

	if ((r = flush_zeros(s, msg)))
		return r;
	int64_t w = wl ? lb_dev_pwrite(s->t, d, wl, off) : 0;
	if (w != (int64_t)wl)
		return target_err(s->t, off, w < 0 ? w : -EIO, msg);
	sha256_update(&s->sha, len, d);
	if (s->limit < s->size && wl)
		sha256_update(&s->sha_lim, wl, d);
	return 0;
}

/* 1 when unit U (UNIT bytes, or the cluster if smaller) of J reads as zeros. */
static int unit_zero(struct rs *s, struct lb_xjob *j, uint64_t u, uint64_t unit)
{
	uint64_t i = u * unit / s->cs;

	return j->kind[i] == LB_CL_ZERO || lb_is_zero(j->raw + u * unit, unit);
}

/* Writer thread: write runs of data, gather runs of zeros (whole zero
 * clusters and all-zero 64 KiB units inside stored ones). */
static int restore_sink(struct lb_xjob *j, void *arg, char *msg)
{
	struct rs *s = arg;
	uint64_t unit = s->cs < UNIT ? s->cs : UNIT;
	uint64_t base = j->first * s->cs, n = (uint64_t)j->n * s->cs / unit;
	int r;

	for (uint64_t u = 0; u < n;) {
		uint64_t off = base + u * unit, k = u;
		int z = unit_zero(s, j, u, unit);
		if (off >= s->size)
			break;
		while (k < n && unit_zero(s, j, k, unit) == z)
			k++;
		uint64_t len = (k - u) * unit;
		if (off + len > s->size)
			len = s->size - off;
		r = z ? put_zeros(s, off, len, msg)
		      : put_data(s, j->raw + u * unit, off, len, msg);
		if (r)
			return r;
		u = k;
	}
	return 0;
}

static int open_target(struct lb_ctx *ctx, const struct lb_restore_opts *o,
		       uint64_t need, struct lb_dev **t)
{
	const struct lb_span *ts = &o->target;
	int r;

	if (!o->confirmed && !o->check_only) {
		lb_imsg(ctx, "refusing to write %s: not confirmed (type the "
			"device name when asked, or give --yes)", ts->path);
		return -LB_EREFUSED;
	}
	if (ts->length && ts->length < need) {
		lb_imsg(ctx, "refusing to write %s: the target span holds %" PRIu64
			" bytes, the image needs %" PRIu64, ts->path, ts->length, need);
		return -LB_EREFUSED;
	}
	if ((r = lb_check_target(ctx, ts->path, ts->offset + need, o->image)) < 0)
		return r;
	if (o->check_only)
		return 0;       /* every refusal was checked; nothing opened */
	if ((r = lb_dev_open(ctx, ts, LB_DEV_CREATE, need, t)) < 0)
		return r == -EIO ? -LB_ETARGET : r;
	if ((*t)->size < need) {
		lb_imsg(ctx, "refusing to write %s: it holds %" PRIu64 " bytes, "
			"the image needs %" PRIu64, ts->path, (*t)->size, need);
		lb_dev_close(*t);
		*t = NULL;
		return -LB_EREFUSED;
	}
	if (!(*t)->is_block && !ts->offset && !ts->length && (*t)->size > need &&
	    ftruncate((*t)->fd, (off_t)need) == 0)
		(*t)->size = need;
	return 0;
}

/* Reads the target back and compares its SHA-256 with WANT. */
static int read_back(struct lb_ctx *ctx, struct rs *s, const uint8_t *want)
{
	enum { CHUNK = 4 << 20 };
	struct sha256_ctx sha;
	uint8_t got[32], *buf = malloc(CHUNK);
	struct lb_prog prog;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	sha256_init(&sha);
	lb_prog_begin(&prog, ctx, LB_PHASE_VERIFY, s->size);
	for (uint64_t off = 0; off < s->size && !r; off += CHUNK) {
		size_t n = s->size - off < CHUNK ? (size_t)(s->size - off) : CHUNK;
		int64_t g = lb_dev_pread(s->t, buf, n, off);
		if (g != (int64_t)n) {
			lb_imsg(ctx, "reading back %s at byte %" PRIu64 " failed",
				s->t->path, off);
			r = -LB_ETARGET;
			break;
		}
		sha256_update(&sha, n, buf);
		r = lb_prog_update(&prog, off + n, 0, 0);
	}
	free(buf);
	sha256_digest(&sha, 32, got);
	if (!r && memcmp(got, want, 32)) {
		lb_imsg(ctx, "%s reads back differently from what was written "
			"(SHA-256 mismatch): the target does not keep its data",
			s->t->path);
		r = -LB_EMISMATCH;
	}
	return r;
}

static int do_restore(struct lb_ctx *ctx, const struct lb_restore_opts *o,
		      struct rs *s)
{
	uint8_t got[32];
	int r;

	sha256_init(&s->sha);
	sha256_init(&s->sha_lim);
	r = lb_decode_image(ctx, s->img, o->threads, LB_PHASE_COPY, restore_sink, s);
	if (!r && (r = flush_zeros(s, ctx->msg)) == 0 && (r = lb_dev_flush(s->t)) < 0)
		lb_imsg(ctx, "flushing %s failed: %s", s->t->path, strerror(-r));
	if (r)
		return r == -EIO ? -LB_ETARGET : r;
	sha256_digest(&s->sha, 32, got);
	if (s->img->has_meta && memcmp(got, s->img->meta.sha256, 32)) {
		lb_imsg(ctx, "the restored data does not match the SHA-256 stored "
			"in %s: the image is corrupt", o->image);
		return -EBADMSG;
	}
	if (o->verify_after && s->limit < s->size) {
		sha256_digest(&s->sha_lim, 32, got);    /* what was written */
		s->size = s->limit;
	}
	return o->verify_after ? read_back(ctx, s, got) : 0;
}

int lb_restore(struct lb_ctx *ctx, const struct lb_restore_opts *o)
{
	struct rs s = { 0 };
	int r;

	ctx->msg[0] = 0;
	if ((r = lb_imgr_open(ctx, o->image, 0, &s.img)) ||
	    (r = lb_imgr_check_tables(ctx, s.img, NULL, NULL)))
		goto out;
	s.size = s.img->data_size;
	s.cs = s.img->cs;
	if (!(s.zeros = calloc(1, s.cs))) {
		r = -ENOMEM;
		goto out;
	}
	/* pt.h: a smaller target is fine when every partition fits (C001) */
	s.limit = s.size;
	if ((r = lb_pt_restore_fit(ctx, s.img, &o->target, &s.limit)) ||
	    (r = open_target(ctx, o, s.limit, &s.t)) || o->check_only)
		goto out;
	r = do_restore(ctx, o, &s);
	if (!r && !o->target.offset)    /* GPT backup at the end, PMBR (pt.h) */
		r = lb_pt_after_write(ctx, s.t, o->grow_last, o->new_ids);
	if (!r)                         /* NTFS backup boot sector (fs.h) */
		r = lb_fs_after_write(ctx, s.t, s.limit);
	if (r == -ECANCELED)
		lb_imsg(ctx, "restore cancelled: %s is only partly written",
			o->target.path);
out:
	if (s.t)
		lb_dev_close(s.t);
	free((void *)s.zeros);
	lb_imgr_close(s.img);
	return r;
}
