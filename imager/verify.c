/*
 * verify.c — lb_verify: reads a whole image back and checks it.
 *
 * Every stored cluster is decompressed and its XXH3 compared with the
 * checksum table (pipeline.c names the first bad cluster, its guest
 * offset and where it is stored); the SHA-256 of the whole virtual disk is
 * compared with the one stored at backup.  With `against`, the disk or file
 * is read alongside and compared byte for byte, naming the first
 * difference.  Images from other tools have no checksums: for them verify
 * proves that every cluster decodes (and matches `against`).  An `against`
 * longer than the image (a restore onto a larger disk) is compared over
 * the image's length only, and on success ctx->msg says so.
 *
 * A rescue image (it stores a rescue map, rescue_image.c) holds zeros
 * where the source could not be read: verify logs how many bytes in how
 * many areas, and with `against` a difference inside those areas is
 * expected (counted and reported as such); any difference outside them
 * is still a mismatch (trial 2 F14).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "dev.h"
#include "image.h"
#include "pipeline.h"
#include "probe.h"
#include "rescue.h"

struct vf {
	struct lb_imgr *img;
	struct lb_dev *dev;     /* `against`, or NULL */
	uint64_t size, cs;
	uint8_t *buf;           /* one batch read from `against` */
	size_t buf_cap;
	const uint8_t *zeros;
	struct sha256_ctx sha;
	struct lb_disk_plan *plan;      /* used-block image: what was stored */
	int larger;             /* `against` is longer than the image */
	struct lb_rmap map;     /* a rescue image's map (map.v: one) */
	uint64_t known_diff;    /* bytes that differ inside its bad areas */
	uint64_t first_known;   /* the first of them */
};

/* The end of the not-finished block holding byte AT, or AT when AT was
 * rescued (or the image is no rescue). */
static uint64_t unreadable_end(const struct vf *v, uint64_t at)
{
	if (!v->map.v || at >= v->map.size)
		return at;
	const struct lb_rblock *b = &v->map.v[lb_rmap_find(&v->map, at)];
	return b->st == LB_RM_FINISHED ? at : b->pos + b->size;
}

static int compare(struct vf *v, const uint8_t *img, const uint8_t *dev,
		   uint64_t off, uint64_t len, char *msg)
{
	uint64_t i = 0, end;

	if (!memcmp(img, dev, len))
		return 0;
	for (;;) {
		while (i < len && img[i] == dev[i])
			i++;
		if (i == len)
			return 0;
		if ((end = unreadable_end(v, off + i)) == off + i)
			break;
		if (!v->known_diff)
			v->first_known = off + i;
		end = end - off < len ? end - off : len;
		for (; i < end; i++)
			v->known_diff += img[i] != dev[i];
	}
	snprintf(msg, 512, "%.200s differs from %.200s at byte %" PRIu64 " (guest "
		 "cluster %" PRIu64 ")", v->img->io.base, v->dev->path, off + i,
		 (off + i) / v->cs);
	return -LB_EMISMATCH;
}

static int verify_sink(struct lb_xjob *j, void *arg, char *msg)
{
	struct vf *v = arg;
	uint64_t base = j->first * v->cs, total = (uint64_t)j->n * v->cs;
	int r;

	if (base + total > v->size)
		total = v->size - base;
	if (v->dev) {
		int64_t g = lb_dev_pread(v->dev, v->buf, total, base);
		if (g != (int64_t)total) {
			snprintf(msg, 512, "reading %s at byte %" PRIu64 " failed%s",
				 v->dev->path, base, g >= 0 ? ": it is shorter than "
				 "the image" : "");
			return g >= 0 ? -LB_EMISMATCH : -EIO;
		}
		if (v->plan)    /* bytes a used-block backup did not store */
			lb_extmap_mask(&v->plan->used, v->buf, base, total);
	}
	for (uint32_t i = 0; i < j->n; i++) {
		uint64_t off = base + (uint64_t)i * v->cs;
		if (off >= v->size)
			break;
		uint64_t len = v->size - off < v->cs ? v->size - off : v->cs;
		const uint8_t *d = j->kind[i] == LB_CL_ZERO ? v->zeros : j->raw + i * v->cs;
		sha256_update(&v->sha, len, d);
		if (v->dev && (r = compare(v, d, v->buf + i * v->cs, off, len, msg)))
			return r;
	}
	return 0;
}

static int open_against(struct lb_ctx *ctx, const struct lb_verify_opts *o,
			struct vf *v)
{
	struct lb_span sp = { .path = o->against };
	int r;

	if (!o->against)
		return 0;
	if ((r = lb_dev_open(ctx, &sp, LB_DEV_READ, 0, &v->dev)))
		return r;
	if (v->dev->size < v->size) {
		lb_imsg(ctx, "%s holds %" PRIu64 " bytes, the image %" PRIu64
			": they differ in size", o->against, v->dev->size, v->size);
		return -LB_EMISMATCH;
	}
	if (v->dev->size > v->size) {   /* e.g. restored onto a larger disk */
		lb_imsg(ctx, "%s holds %" PRIu64 " bytes, more than the image's %"
			PRIu64 ": only its first %" PRIu64 " bytes are compared",
			o->against, v->dev->size, v->size, v->size);
		v->dev->size = v->size;
		v->larger = 1;
	}
	return lb_plan_for_verify(ctx, v->img->pt_ext, v->img->pt_ext_len,
				  v->dev, &v->plan);
}

/* A rescue image: its map into v->map, and a line saying what it holds
 * as zeros (the areas its rescue could not read). */
static void rescue_map(struct lb_ctx *ctx, struct vf *v)
{
	char keep[sizeof ctx->msg], line[256];
	uint64_t bad;

	if (!v->img->has_meta || !v->img->meta.rescue_map_length)
		return;
	memcpy(keep, ctx->msg, sizeof keep);
	if (lb_rescue_map_from_image(ctx, v->img->io.base, &v->map))
		memset(&v->map, 0, sizeof v->map);
	memcpy(ctx->msg, keep, sizeof keep);
	if (!v->map.v || !(bad = v->map.size -
			   lb_rmap_bytes(&v->map, LB_RM_FINISHED)))
		return;
	snprintf(line, sizeof line, "this image is a rescue: %" PRIu64 " bytes "
		 "in %zu areas were unreadable and are zeros in it (`lifeboat "
		 "info` lists them and the files they touch)", bad,
		 v->map.n - lb_rmap_count(&v->map, LB_RM_FINISHED));
	if (ctx->log)
		ctx->log(line, ctx->user);
}

/* With `against`: the differences found inside the unreadable areas,
 * after the note already in ctx->msg (if any). */
static void known_note(struct lb_ctx *ctx, const struct vf *v,
		       const char *against)
{
	size_t n = strlen(ctx->msg);

	snprintf(ctx->msg + n, sizeof ctx->msg - n, "%s%" PRIu64 " bytes differ "
		 "from %.200s inside the areas the rescue could not read (the "
		 "first at byte %" PRIu64 "): expected, the image holds zeros "
		 "there; every other byte matches", n ? "; " : "", v->known_diff,
		 against, v->first_known);
}

int lb_verify(struct lb_ctx *ctx, const struct lb_verify_opts *o)
{
	struct vf v = { 0 };
	uint8_t got[32];
	int r;

	ctx->msg[0] = 0;
	if ((r = lb_imgr_open(ctx, o->image, 0, &v.img)) ||
	    (r = lb_imgr_check_tables(ctx, v.img, NULL, NULL)))
		goto out;
	v.size = v.img->data_size;
	v.cs = v.img->cs;
	v.buf_cap = (1u << 20) > v.cs ? (1u << 20) : v.cs;
	v.zeros = calloc(1, v.cs);
	v.buf = malloc(v.buf_cap);
	if (!v.zeros || !v.buf) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = open_against(ctx, o, &v)))
		goto out;
	rescue_map(ctx, &v);
	sha256_init(&v.sha);
	if ((r = lb_decode_image(ctx, v.img, o->threads, LB_PHASE_VERIFY,
				 verify_sink, &v, NULL)))
		goto out;
	sha256_digest(&v.sha, 32, got);
	if (v.img->has_meta && memcmp(got, v.img->meta.sha256, 32)) {
		lb_imsg(ctx, "%s: the SHA-256 of the virtual disk does not match "
			"the one stored at backup: the image is corrupt", o->image);
		r = -EBADMSG;
	} else if (v.larger)    /* say it again: the job's note to show */
		lb_imsg(ctx, "%s is longer than the image: only its first %"
			PRIu64 " bytes were compared", o->against, v.size);
	if (!r && v.known_diff)
		known_note(ctx, &v, o->against);
out:
	lb_rmap_free(&v.map);
	if (v.dev)
		lb_dev_close(v.dev);
	if (v.plan) {
		lb_plan_free(v.plan);
		free(v.plan);
	}
	free((void *)v.zeros);
	free(v.buf);
	lb_imgr_close(v.img);
	return r;
}
