/*
 * pt_image.c — reading the partition table inside an image, before a
 * restore writes anything.
 *
 * A restore onto a smaller disk must know whether every partition fits
 * (cases C001, C003) before its first write; the table is in the image's
 * first clusters (and, for an MBR, in EBRs anywhere).  This file puts a
 * read-only lb_dev over an open image reader: each pread maps the guest
 * clusters it touches (lb_imgr_map) and reads them as stored — zero,
 * raw or compressed — keeping the last cluster decoded.  The restore's own
 * pipeline verifies every checksum later; these reads only plan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image.h"
#include "qcow2.h"
#include "qcow2_codec.h"
#include "pt.h"
#include "pt_disk.h"
#include "probe.h"      /* lb_part_modes_choice: the LBPT trailer (C013) */

struct imgdev {
	struct lb_ctx *ctx;
	struct lb_imgr *r;
	struct lb_codec codec;
	uint8_t *cl, *pk;       /* one decoded cluster; stored bytes */
	uint64_t cached;        /* guest cluster in cl, or UINT64_MAX */
};

static int load(struct imgdev *x, uint64_t idx)
{
	struct lb_cluster_map m;
	int r;

	if (x->cached == idx)
		return 0;
	x->cached = UINT64_MAX;
	if ((r = lb_imgr_map(x->ctx, x->r, idx, &m)))
		return r;
	if (m.kind == LB_CL_ZERO)
		memset(x->cl, 0, x->r->cs);
	else if (m.kind == LB_CL_RAW)
		r = lb_pieces_pread(x->ctx, &x->r->io, x->cl, x->r->cs, m.off);
	else if (m.len > 2 * x->r->cs)
		r = -EBADMSG;
	else if (!(r = lb_pieces_pread(x->ctx, &x->r->io, x->pk, m.len, m.off)))
		r = lb_codec_decompress(&x->codec, x->pk, m.len, x->cl, x->r->cs);
	if (!r)
		x->cached = idx;
	return r;
}

static int64_t img_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	struct imgdev *x = d->priv;
	size_t done = 0;

	if (off >= d->size)
		return 0;
	if (len > d->size - off)
		len = d->size - off;
	while (done < len) {
		uint64_t at = off + done, in = at % x->r->cs;
		size_t n = x->r->cs - in < len - done ? x->r->cs - in : len - done;
		int r = load(x, at / x->r->cs);
		if (r)
			return r;
		memcpy((uint8_t *)buf + done, x->cl + in, n);
		done += n;
	}
	return (int64_t)done;
}

static int64_t img_pwrite(struct lb_dev *d, const void *b, size_t n, uint64_t o)
{
	return -EROFS;
}
static int img_zero(struct lb_dev *d, uint64_t o, uint64_t n) { return -EROFS; }
static int img_flush(struct lb_dev *d) { return 0; }
static int img_close(struct lb_dev *d) { return 0; }

static const struct lb_dev_ops img_ops = {
	img_pread, img_pwrite, img_zero, img_flush, img_close,
};

enum lb_table_choice lb_pt_image_choice(const struct lb_imgr *r)
{
	return lb_part_modes_choice(r->pt_ext, r->pt_ext_len);
}

/* A read-only lb_dev D over image R (X holds its state); imgdev_close
 * frees it.  Its logical sector size is the one the image recorded. */
static int imgdev_open(struct lb_ctx *ctx, struct lb_imgr *r,
		       struct imgdev *x, struct lb_dev *d)
{
	enum lb_compress c = r->h.compression_type == QCOW2_COMPRESS_ZSTD ?
			     LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB;

	*x = (struct imgdev){ .ctx = ctx, .r = r, .cached = UINT64_MAX };
	*d = (struct lb_dev){ .ops = &img_ops, .fd = -1, .priv = x };
	snprintf(d->path, sizeof(d->path), "%.200s (image)", r->io.base);
	d->size = r->h.size;
	d->logical_sector = r->has_meta && r->meta.logical_sector ?
			    r->meta.logical_sector : 512;
	x->cl = malloc(r->cs);
	x->pk = malloc(2 * r->cs);
	if (!x->cl || !x->pk || lb_codec_init(&x->codec, c, 0)) {
		free(x->cl);
		free(x->pk);
		return -ENOMEM;
	}
	return 0;
}

static void imgdev_close(struct imgdev *x)
{
	lb_codec_free(&x->codec);
	free(x->cl);
	free(x->pk);
}

int lb_pt_read_image(struct lb_ctx *ctx, struct lb_imgr *r, struct lb_pt *pt)
{
	struct imgdev x;
	struct lb_dev d;
	int e;

	if ((e = imgdev_open(ctx, r, &x, &d)))
		return e;
	e = lb_pt_read_choice(ctx, &d, lb_pt_image_choice(r), pt);
	imgdev_close(&x);
	return e;
}

static void say(struct lb_ctx *ctx, const char *text)
{
	if (ctx->log)
		ctx->log(text, ctx->user);
}

/* Bytes a whole-disk TARGET holds (UINT64_MAX for a file that grows, 0
 * for a partition: offset != 0, no table to check) and, for a block
 * device (also under a partition range), its logical sector size in
 * *SECTOR (0 otherwise). */
static uint64_t target_have(struct lb_ctx *ctx, const struct lb_span *target,
			    uint32_t *sector)
{
	struct lb_span whole = { .path = target->path };
	struct lb_dev *d = NULL;
	uint64_t have = UINT64_MAX;

	*sector = 0;
	if (lb_dev_open(ctx, &whole, LB_DEV_READ, 0, &d)) {
		ctx->msg[0] = 0;        /* a new file: it grows */
	} else {
		if (d->is_block) {
			have = d->size;
			*sector = d->logical_sector;
		}
		lb_dev_close(d);
	}
	if (target->offset)
		return 0;
	return target->length ? target->length : have;
}

/* The fit decision once PT (of a source of TOTAL bytes) is known. */
static int fit(struct lb_ctx *ctx, const struct lb_pt *pt, const char *path,
	       uint64_t have, uint32_t sector, uint64_t total, uint64_t *need)
{
	char line[512];

	if (pt->kind == LB_PT_NONE || pt->raw)
		return 0;               /* the caller refuses by size alone */
	if (sector && sector != pt->sector) {
		snprintf(ctx->msg, sizeof(ctx->msg), "refusing to write %.80s, nothing was written: the partition table uses %u-byte sectors but the target has %u-byte logical sectors, so its partitions would not be found there (no conversion is done)",
			 path, pt->sector, sector);
		return -LB_EREFUSED;
	}
	if (have >= *need)
		return 0;
	if (lb_pt_check_fit(ctx, pt, have)) {
		snprintf(line, sizeof(line), "%s", ctx->msg);
		snprintf(ctx->msg, sizeof(ctx->msg), "refusing to write %.80s, nothing was written: %.360s",
			 path, line);
		return -LB_EREFUSED;
	}
	*need = have / pt->sector * pt->sector;
	snprintf(line, sizeof(line), "target is smaller than the source (%llu < %llu bytes) but every partition fits: writing the first %llu bytes%s",
		 (unsigned long long)have, (unsigned long long)total,
		 (unsigned long long)*need,
		 pt->kind == LB_PT_GPT ? ", then a new GPT backup at the end" : "");
	say(ctx, line);
	return 0;
}

/* The table a fit check reads: the image's (restore) or the source
 * disk's (clone). */
struct pt_source {
	struct lb_imgr *image;
	struct lb_dev *dev;
	enum lb_table_choice choice;    /* for DEV (C013) */
};

/* The table of SRC (image or device) in PT, and the device to read its
 * volumes' boot sectors through (*D; X backs it for an image). */
static int read_source(struct lb_ctx *ctx, const struct pt_source *src,
		       struct lb_pt *pt, struct imgdev *x, struct lb_dev *img,
		       struct lb_dev **d)
{
	int e;

	if (!src->image) {
		*d = src->dev;
		return lb_pt_read_choice(ctx, src->dev, src->choice, pt);
	}
	if ((e = imgdev_open(ctx, src->image, x, img)))
		return e;
	*d = img;
	if ((e = lb_pt_read_choice(ctx, img, lb_pt_image_choice(src->image), pt)))
		imgdev_close(x);
	return e;
}

/* Checks that the source's partitions fit TARGET (reading the table only
 * when the target is smaller than *NEED or is a block device), and, on a
 * block device whose logical sector size differs from the source's, that
 * no NTFS/FAT/exFAT volume was made for another one (C025, C026). */
static int fit_target(struct lb_ctx *ctx, const struct pt_source *src,
		      const struct lb_span *target, uint64_t *need)
{
	uint32_t sector, from;
	uint64_t have = target_have(ctx, target, &sector);
	struct lb_dev img, *d = NULL;
	struct imgdev x;
	struct lb_pt *pt;
	int e;

	if (!sector && (!have || have >= *need))
		return 0;
	if (!(pt = malloc(sizeof(*pt))))
		return -ENOMEM;
	if (!(e = read_source(ctx, src, pt, &x, &img, &d))) {
		from = d->logical_sector ? d->logical_sector : 512;
		if (have)
			e = fit(ctx, pt, target->path, have, sector, *need, need);
		if (!e && sector != from)
			e = lb_pt_sector_check(ctx, d, pt, sector, target->path);
		if (src->image)
			imgdev_close(&x);
	}
	free(pt);
	return e;
}

int lb_pt_restore_fit(struct lb_ctx *ctx, struct lb_imgr *r,
		      const struct lb_span *target, uint64_t *need)
{
	struct pt_source src = { .image = r };

	return fit_target(ctx, &src, target, need);
}

int lb_pt_clone_fit(struct lb_ctx *ctx, struct lb_dev *src,
		    const struct lb_span *target, uint64_t *need)
{
	return lb_pt_clone_fit_choice(ctx, src, target, need, LB_TABLE_AUTO);
}

int lb_pt_clone_fit_choice(struct lb_ctx *ctx, struct lb_dev *src,
			   const struct lb_span *target, uint64_t *need,
			   enum lb_table_choice choice)
{
	struct pt_source from = { .dev = src, .choice = choice };

	return fit_target(ctx, &from, target, need);
}

int lb_pt_after_write(struct lb_ctx *ctx, struct lb_dev *dev, int grow_last,
		      int new_ids)
{
	return lb_pt_after_write_choice(ctx, dev, grow_last, new_ids,
					LB_TABLE_AUTO);
}

int lb_pt_after_write_choice(struct lb_ctx *ctx, struct lb_dev *dev,
			     int grow_last, int new_ids,
			     enum lb_table_choice choice)
{
	struct lb_pt_fixup_opts fo = { .grow_last = grow_last, .new_ids = new_ids,
				       .table = choice };
	struct lb_pt_fixup_report rep;
	int r = lb_pt_fixup_for_target(ctx, dev, dev->size, &fo, &rep);

	if (!r && (rep.changed || rep.warn))
		say(ctx, rep.text);
	if (!r && grow_last && !rep.grew_part) {    /* trial finding 5 */
		char line[400];
		if (rep.untrusted)      /* trial 2 F2: the real reason */
			snprintf(line, sizeof(line), "warning: --grow-last grew "
				 "nothing: the partition table on %.120s is not "
				 "trusted (%s), so no entry was changed",
				 dev->path, rep.pt_flags & LB_PTF_CONFLICT ?
				 "its GPT and MBR disagree; back up or clone "
				 "with --table gpt|mbr to choose one" :
				 "see the line above");
		else
			snprintf(line, sizeof(line), "warning: --grow-last grew "
				 "nothing: %.120s (%llu bytes) has no room after "
				 "the last partition, or that partition cannot be "
				 "grown", dev->path,
				 (unsigned long long)dev->size);
		say(ctx, line);
	}
	return r;
}

int lb_pt_identity_note(struct lb_ctx *ctx, struct lb_dev *dev)
{
	return lb_pt_identity_note_choice(ctx, dev, LB_TABLE_AUTO);
}

int lb_pt_identity_note_choice(struct lb_ctx *ctx, struct lb_dev *dev,
			       enum lb_table_choice choice)
{
	struct lb_pt *pt = malloc(sizeof(*pt));
	char line[256];
	int r;

	if (!pt)
		return -ENOMEM;
	if (!(r = lb_pt_read_choice(ctx, dev, choice, pt)) &&
	    pt->kind != LB_PT_NONE) {
		const uint8_t *g = pt->disk_guid;
		if (pt->kind == LB_PT_GPT)
			snprintf(line, sizeof(line), "the copy has the same disk GUID %08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x and partition GUIDs as the source: do not attach both to one machine (--new-ids gives the copy its own)",
				 lb_le32(g), lb_le16(g + 4), lb_le16(g + 6), g[8], g[9],
				 g[10], g[11], g[12], g[13], g[14], g[15]);
		else
			snprintf(line, sizeof(line), "the copy has the same MBR disk signature %08x as the source: do not attach both to one machine (--new-ids gives the copy its own)",
				 pt->mbr_signature);
		say(ctx, line);
	}
	free(pt);
	return r;
}

int lb_table_conflict(struct lb_ctx *ctx, const struct lb_span *source,
		      char *gpt, char *mbr, size_t n)
{
	struct lb_pt *pt = malloc(sizeof(*pt));
	struct lb_dev *d = NULL;
	int r;

	if (!pt)
		return -ENOMEM;
	if ((r = lb_dev_open(ctx, source, LB_DEV_READ, 0, &d))) {
		free(pt);
		return r;
	}
	if (!(r = lb_pt_read(ctx, d, pt)) && (pt->flags & LB_PTF_CONFLICT)) {
		snprintf(gpt, n, "%s", pt->gpt_list);
		snprintf(mbr, n, "%s", pt->mbr_list);
		r = 1;
	}
	lb_dev_close(d);
	free(pt);
	return r;
}
