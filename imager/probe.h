/*
 * probe.h — the used-block plan of a whole disk (or a single partition).
 *
 * lb_plan_used() reads the partition table (pt.h), asks each data
 * partition's filesystem for its used blocks (fs.h) and returns one map of
 * the bytes a backup must store: the table areas and every byte outside
 * the partitions, plus per partition either its used blocks or, in raw
 * mode, all of it.  The per-partition records (number, start, size, type,
 * mode, reason) are what the image keeps so that `lifeboat info` can say
 * which mode each partition got and why.
 */
#ifndef LB_PROBE_H
#define LB_PROBE_H

#include "lifeboat.h"
#include "dev.h"
#include "extmap.h"
#include "fs.h"
#include "pt.h"

struct lb_part_plan {
	uint32_t number;        /* partition number, 0 for a whole-disk fs */
	uint64_t start, size;   /* bytes */
	struct lb_fs_info fs;   /* type, label, uuid, mode, reason, used */
};

struct lb_disk_plan {
	struct lb_pt pt;
	size_t nparts;
	struct lb_part_plan parts[LB_PT_MAX];
	struct lb_extmap used;  /* bytes to store, finished */
	uint64_t used_bytes;
	int raw;                /* whole disk raw */
	char reason[256];       /* why, when raw */
};

/* Builds PLAN for DEV (whole disk, partition or file).  With RAW set, or
 * when the table is untrusted, the map covers the whole device.  PLAN is
 * large: allocate it on the heap.  Free with lb_plan_free().  Returns 0 or
 * a negative errno (device unreadable at sector 0, -ENOMEM). */
int lb_plan_used(struct lb_ctx *ctx, struct lb_dev *dev, int raw,
		 struct lb_disk_plan *plan);
void lb_plan_free(struct lb_disk_plan *plan);

#endif
