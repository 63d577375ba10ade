/*
 * pt_mbr.c — the legacy MBR and its chain of extended boot records.
 *
 * UEFI spec 5.2.1 describes the MBR; the EBR chain is the DOS convention
 * libblkid and libfdisk follow: each EBR's first record is a logical
 * partition relative to that EBR, its second points at the next EBR
 * relative to the start of the extended partition.  The walk is bounded
 * (LB_PT_MAX_EBR) and refuses loops and EBRs outside the container.
 * Missing logicals are safe for imaging: bytes outside known data
 * partitions are always stored (lb_pt_table_areas).  So an EBR that does
 * not read ends the walk with a note (LB_PTF_EBR_BAD), not the backup.
 */
#include <errno.h>
#include <string.h>
#include "pt.h"
#include "pt_disk.h"

static int is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

static struct lb_pt_part *add_part(struct lb_pt *pt)
{
	if (pt->nparts >= LB_PT_MAX) {
		lb_pt_note(pt, "more than %d partitions; the rest are ignored",
			   LB_PT_MAX);
		return NULL;
	}
	memset(&pt->parts[pt->nparts], 0, sizeof(pt->parts[0]));
	return &pt->parts[pt->nparts++];
}

/* Walks the EBR chain of the extended partition at [start, start+size). */
static int walk_ebrs(struct lb_ctx *ctx, struct lb_dev *dev, struct lb_pt *pt,
		     uint64_t start, uint64_t size)
{
	uint64_t seen[LB_PT_MAX_EBR], cur = start;
	uint32_t number = 5;
	uint8_t s[512];

	for (int i = 0; i < LB_PT_MAX_EBR; i++) {
		for (int j = 0; j < i; j++)
			if (seen[j] == cur) {
				pt->flags |= LB_PTF_EBR_BAD;
				lb_pt_note(pt, "EBR chain loops back to LBA %llu",
					   (unsigned long long)cur);
				return 0;
			}
		seen[i] = cur;
		if (cur < start || cur >= start + size ||
		    (cur + 1) * pt->sector > pt->disk_size) {
			pt->flags |= LB_PTF_EBR_BAD;
			lb_pt_note(pt, "EBR at LBA %llu lies outside the extended partition or the disk",
				   (unsigned long long)cur);
			return 0;
		}
		uint64_t bad;
		int r = lb_pt_read_sectors(ctx, dev, s, sizeof(s), cur * pt->sector,
					   &bad);
		if (r == 1) {
			pt->flags |= LB_PTF_EBR_BAD | LB_PTF_IO;
			lb_pt_note(pt, "EBR at LBA %llu unreadable (I/O error): the logical partitions from there on are not known, so their sectors are imaged raw",
				   (unsigned long long)cur);
			return 0;
		}
		if (r < 0)
			return r;
		if (s[MBR_SIG] != 0x55 || s[MBR_SIG + 1] != 0xaa) {
			pt->flags |= LB_PTF_EBR_BAD;
			lb_pt_note(pt, "EBR at LBA %llu has no 55AA signature",
				   (unsigned long long)cur);
			return 0;
		}
		const uint8_t *r0 = s + MBR_TABLE, *r1 = r0 + 16;
		if (r0[MBR_REC_TYPE] && lb_le32(r0 + MBR_REC_SIZE)) {
			struct lb_pt_part *p = add_part(pt);
			if (!p)
				return 0;
			p->number = number;
			p->start_lba = cur + lb_le32(r0 + MBR_REC_START);
			p->size_lba = lb_le32(r0 + MBR_REC_SIZE);
			p->mbr_type = r0[MBR_REC_TYPE];
			p->is_logical = 1;
		}
		number++;
		if (!is_extended(r1[MBR_REC_TYPE]) || !lb_le32(r1 + MBR_REC_SIZE))
			return 0;
		cur = start + lb_le32(r1 + MBR_REC_START);
	}
	pt->flags |= LB_PTF_EBR_BAD;
	lb_pt_note(pt, "EBR chain longer than %d links; stopped there",
		   LB_PT_MAX_EBR);
	return 0;
}

int lb_pt_read_mbr(struct lb_ctx *ctx, struct lb_dev *dev, const uint8_t *s0,
		   struct lb_pt *pt)
{
	int next = 0;

	pt->kind = LB_PT_MBR;
	pt->mbr_signature = lb_le32(s0 + MBR_DISK_SIG);
	for (int i = 0; i < 4; i++) {
		const uint8_t *rec = s0 + MBR_TABLE + 16 * i;
		if (!rec[MBR_REC_TYPE] || !lb_le32(rec + MBR_REC_SIZE))
			continue;
		struct lb_pt_part *p = add_part(pt);
		if (!p)
			break;
		p->number = (uint32_t)i + 1;
		p->start_lba = lb_le32(rec + MBR_REC_START);
		p->size_lba = lb_le32(rec + MBR_REC_SIZE);
		p->mbr_type = rec[MBR_REC_TYPE];
		p->is_extended = is_extended(p->mbr_type);
		if (p->is_extended) {
			if (next++) {
				lb_pt_note(pt, "more than one extended partition; only the first is walked");
				continue;
			}
			int r = walk_ebrs(ctx, dev, pt, p->start_lba, p->size_lba);
			if (r)
				return r;
		}
	}
	return 0;
}
