/*
 * target_fit.c — lb_image_target_fit(): the restore's own pre-write fit
 * check, asked for one image and one whole-disk target before anything is
 * written, so a front-end can list a disk the restore would refuse as
 * unusable (trial 2 F11: a 4096-byte-sector disk for a 512-byte table).
 *
 * It holds no rule of its own: the verdict is pt_image.c's
 * lb_pt_restore_fit (partitions fit, the table's sector size and the
 * NTFS/FAT/exFAT volumes' sector size against the target's logical sector
 * size, cases C001, C025, C026), the same call lb_restore() makes.  It
 * only adds which sector size the image's table (or disk) uses, for short
 * words beside the disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image.h"
#include "pt.h"

/* The sector size IMAGE's trusted table uses (HAS_TABLE 1), else the one
 * its source disk had (512 when not recorded).  Keeps ctx->msg. */
static void image_sector(struct lb_ctx *ctx, struct lb_imgr *r,
			 struct lb_target_fit *out)
{
	char keep[sizeof(ctx->msg)];
	struct lb_pt *pt = malloc(sizeof(*pt));

	memcpy(keep, ctx->msg, sizeof(keep));
	out->image_sector = r->has_meta && r->meta.logical_sector ?
			    r->meta.logical_sector : 512;
	if (pt && !lb_pt_read_image(ctx, r, pt) && pt->kind != LB_PT_NONE &&
	    !pt->raw) {
		out->image_sector = pt->sector;
		out->has_table = 1;
	}
	free(pt);
	memcpy(ctx->msg, keep, sizeof(keep));
}

int lb_image_target_fit(struct lb_ctx *ctx, const char *image,
			const char *target, struct lb_target_fit *out)
{
	struct lb_span t = { .path = target };
	struct lb_imgr *r = NULL;
	int e;

	memset(out, 0, sizeof(*out));
	ctx->msg[0] = 0;
	if ((e = lb_imgr_open(ctx, image, 0, &r)) ||
	    (e = lb_imgr_check_tables(ctx, r, NULL, NULL)))
		goto done;
	out->need = r->data_size;
	e = lb_pt_restore_fit(ctx, r, &t, &out->need);
	image_sector(ctx, r, out);
done:
	if (r)
		lb_imgr_close(r);
	return e;
}
