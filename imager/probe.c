/*
 * probe.c — lb_plan_used: what a backup of a disk must store.
 *
 * Order: the table (untrusted → everything, case C013/C014; a C013 disk
 * by the table the caller chose, lb_plan_used_choice); no table →
 * a filesystem on the whole device (C023) or raw; else the bytes outside
 * data partitions (C020-C022) plus each partition's used blocks.  Extended
 * MBR containers hold no data: their EBRs fall in the outside bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "probe.h"

static int whole_raw(struct lb_disk_plan *plan, uint64_t size, const char *why)
{
	plan->raw = 1;
	snprintf(plan->reason, sizeof(plan->reason), "%s", why);
	return lb_extmap_add(&plan->used, 0, size);
}

static int plan_part(struct lb_ctx *ctx, struct lb_dev *dev,
		     struct lb_disk_plan *plan, uint32_t number,
		     uint64_t start, uint64_t size)
{
	struct lb_part_plan *p = &plan->parts[plan->nparts++];

	p->number = number;
	p->start = start;
	p->size = size;
	return lb_fs_used(ctx, dev, start, size, &plan->used, &p->fs);
}

int lb_plan_used(struct lb_ctx *ctx, struct lb_dev *dev, int raw,
		 struct lb_disk_plan *plan)
{
	return lb_plan_used_choice(ctx, dev, raw, LB_TABLE_AUTO, plan);
}

int lb_plan_used_choice(struct lb_ctx *ctx, struct lb_dev *dev, int raw,
			enum lb_table_choice choice, struct lb_disk_plan *plan)
{
	int r;

	memset(plan, 0, sizeof(*plan));
	lb_extmap_init(&plan->used);
	if ((r = lb_pt_read_choice(ctx, dev, choice, &plan->pt)))
		return r;
	if (raw)
		r = whole_raw(plan, dev->size, "raw mode requested (--raw)");
	else if (plan->pt.raw)
		r = whole_raw(plan, dev->size, plan->pt.notes);
	else if (plan->pt.kind == LB_PT_NONE)
		r = plan_part(ctx, dev, plan, 0, 0, dev->size);
	else
		r = lb_pt_table_areas(&plan->pt, &plan->used);
	for (size_t i = 0; !r && !plan->raw && plan->pt.kind != LB_PT_NONE &&
	     i < plan->pt.nparts; i++) {
		const struct lb_pt_part *p = &plan->pt.parts[i];
		if (!p->is_extended && p->size_lba)
			r = plan_part(ctx, dev, plan, p->number,
				      lb_pt_start(&plan->pt, p),
				      lb_pt_bytes(&plan->pt, p));
	}
	if (!r) {
		lb_extmap_finish(&plan->used);
		lb_extmap_clip(&plan->used, dev->size);
		plan->used_bytes = lb_extmap_bytes(&plan->used);
	}
	return r;
}

void lb_plan_free(struct lb_disk_plan *plan)
{
	lb_extmap_free(&plan->used);
}
