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
	char reason[1024];      /* why, when raw */
};

/* Builds PLAN for DEV (whole disk, partition or file).  With RAW set, or
 * when the table is untrusted, the map covers the whole device.  PLAN is
 * large: allocate it on the heap.  Free with lb_plan_free().  Returns 0 or
 * a negative errno (device unreadable at sector 0, -ENOMEM). */
int lb_plan_used(struct lb_ctx *ctx, struct lb_dev *dev, int raw,
		 struct lb_disk_plan *plan);
/* The same with the table read by CHOICE (pt.h lb_pt_read_choice, C013). */
int lb_plan_used_choice(struct lb_ctx *ctx, struct lb_dev *dev, int raw,
			enum lb_table_choice choice, struct lb_disk_plan *plan);
void lb_plan_free(struct lb_disk_plan *plan);

#endif

/* For lb_backup: opens SRC read-only, plans it (lb_plan_used), closes it.
 * *OUT is malloc'd; free with lb_plan_free() and free().  */
int lb_plan_source(struct lb_ctx *ctx, const struct lb_span *src,
		   struct lb_disk_plan **out);
/* The same with the table read by CHOICE (C013). */
int lb_plan_source_choice(struct lb_ctx *ctx, const struct lb_span *src,
			  enum lb_table_choice choice,
			  struct lb_disk_plan **out);

/* The per-partition records of PLAN (a single whole-disk record when the
 * disk is raw or holds one filesystem).  Returns how many were written to
 * V (at most CAP). */
uint32_t lb_plan_modes(const struct lb_disk_plan *plan,
		       struct lb_part_mode *v, uint32_t cap);

/* For lb_verify --against: when the image's LBPT records (EXT, EXT_LEN;
 * may be NULL) say some partition was imaged by used blocks, plans
 * AGAINST the same way, so that the compare can mask the bytes that were
 * not stored (lb_extmap_mask).  *OUT stays NULL when nothing needs it. */
int lb_plan_for_verify(struct lb_ctx *ctx, const uint8_t *ext, size_t ext_len,
		       struct lb_dev *against, struct lb_disk_plan **out);

/* The "LBPT" qcow2 header extension that keeps those records (format in
 * docs/partitions.md; big-endian like qcow2): u32 version (1), u32 count,
 * then per record u32 number, u64 start, u64 size, u64 used, u32 raw,
 * char fstype[32], char reason[192] (NUL-terminated) — 264 bytes.
 * encode returns the bytes written (0 when CAP is too small); decode
 * returns 0 or -EBADMSG with MSG naming the problem. */
#define LB_QCOW2_EXT_PARTS 0x4c425054u  /* "LBPT" */
#define LB_PART_MODE_BYTES 264u
size_t lb_part_modes_encode(const struct lb_part_mode *v, uint32_t n,
			    uint8_t *buf, size_t cap);
/* The records of PLAN encoded as above, followed, when a table choice
 * decided the plan (C013), by the trailer u32 "TBLC", u32 choice (1 gpt,
 * 2 mbr), which readers of version 1 skip (they read COUNT records).
 * Returns the bytes written, 0 when CAP is too small. */
size_t lb_plan_encode(const struct lb_disk_plan *plan, uint8_t *buf,
		      size_t cap);
/* The choice recorded in an LBPT extension's trailer; AUTO without one or
 * for a malformed extension. */
enum lb_table_choice lb_part_modes_choice(const uint8_t *buf, size_t len);
int lb_part_modes_decode(const uint8_t *buf, size_t len,
			 struct lb_part_mode *v, uint32_t cap, uint32_t *n,
			 char *msg, size_t msgsz);
