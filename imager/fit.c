/*
 * fit.c — lb_image_min_target(): the smallest whole disk a restore of an
 * image accepts, for front-ends that list target disks before anything is
 * written (the TUI's "which disk?" screen).
 *
 * The rule is the restore's own (pt_image.c lb_pt_restore_fit, built on
 * pt_areas.c lb_pt_min_size): a disk smaller than the image is accepted
 * when every partition of the image's table, plus the room a GPT backup
 * needs after them, fits.  This file only asks that code; it holds no fit
 * rule of its own, so the list and the restore can never disagree.
 */
#include <errno.h>
#include <stdlib.h>
#include "image.h"
#include "pt.h"

int lb_image_min_target(struct lb_ctx *ctx, const char *image,
			uint64_t *bytes)
{
	struct lb_imgr *r = NULL;
	struct lb_pt *pt;
	int e;

	ctx->msg[0] = 0;
	if ((e = lb_imgr_open(ctx, image, 0, &r)) ||
	    (e = lb_imgr_check_tables(ctx, r, NULL, NULL)))
		goto out;
	*bytes = r->data_size;
	if (!(pt = malloc(sizeof(*pt)))) {
		e = -ENOMEM;
		goto out;
	}
	e = lb_pt_read_image(ctx, r, pt);
	if (!e && pt->kind != LB_PT_NONE && !pt->raw &&
	    lb_pt_min_size(pt) < *bytes)
		*bytes = lb_pt_min_size(pt);
	free(pt);
out:
	if (r)
		lb_imgr_close(r);
	return e;
}
