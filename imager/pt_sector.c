/*
 * pt_sector.c — a filesystem's own sector size against the target's
 * (cases C025, C026), checked by restore and clone before any write.
 *
 * NTFS, FAT and exFAT record the sector size they were made for in their
 * boot sector: NTFS and FAT in the BPB's BytesPerSector (byte 0x0B), exFAT
 * as BytesPerSectorShift (byte 108).  Written onto a disk whose logical
 * sector size differs, the volume is unusable: Windows shows it as RAW,
 * Linux's exFAT driver refuses a volume sector smaller than the device's,
 * and every LBA-based field would have to be rescaled.  Lifeboat does not
 * convert filesystems between sector sizes, so such a restore or clone is
 * refused with the partition, the filesystem and both sizes.  The table
 * itself (pt_image.c) is checked separately.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pt.h"
#include "pt_disk.h"

struct vbr_sector {
	const char *fs;         /* "NTFS", "exFAT", "FAT" */
	uint32_t bps;           /* bytes per sector the volume says */
	const char *field;      /* where it says so */
};

/* What the boot sector S says; 0 when it is none of the three. */
static int vbr_sector(const uint8_t *s, struct vbr_sector *v)
{
	uint16_t bps = lb_le16(s + 11);

	if (!memcmp(s + 3, "NTFS    ", 8)) {
		*v = (struct vbr_sector){ "NTFS", bps, "BPB BytesPerSector at byte 0x0B" };
		return bps >= 256 && bps <= 4096 && !(bps & (bps - 1));
	}
	if (!memcmp(s + 3, "EXFAT   ", 8)) {
		*v = (struct vbr_sector){ "exFAT", 0, "BytesPerSectorShift at byte 108" };
		if (s[108] < 9 || s[108] > 12)
			return 0;
		v->bps = 1u << s[108];
		return 1;
	}
	if ((s[0] == 0xeb || s[0] == 0xe9) &&
	    (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) &&
	    s[13] && !(s[13] & (s[13] - 1)) && lb_le16(s + 14) &&
	    (!memcmp(s + 54, "FAT", 3) || !memcmp(s + 82, "FAT", 3))) {
		*v = (struct vbr_sector){ "FAT", bps, "BPB BytesPerSector at byte 0x0B" };
		return 1;
	}
	return 0;
}

/* Refuses when the volume at byte OFF of SRC was made for another sector
 * size than SECTOR.  NUMBER 0: the source as a whole. */
static int check_one(struct lb_ctx *ctx, struct lb_dev *src, uint64_t off,
		     uint32_t number, uint32_t sector, const char *path)
{
	struct vbr_sector v;
	uint8_t s[512];
	char where[48];

	if (off + sizeof(s) > src->size ||
	    lb_dev_pread(src, s, sizeof(s), off) != (int64_t)sizeof(s) ||
	    !vbr_sector(s, &v) || v.bps == sector)
		return 0;
	if (number)
		snprintf(where, sizeof(where), "partition %u holds", number);
	else
		snprintf(where, sizeof(where), "the source holds");
	snprintf(ctx->msg, sizeof(ctx->msg), "refusing to write %.80s, nothing was written: %s %s made for %u-byte sectors (%s), but the target has %u-byte logical sectors; written there the volume would not be usable (Windows shows it as RAW, Linux refuses or misreads it), and Lifeboat does not convert filesystems between sector sizes: use a target with %u-byte sectors",
		 path, where, v.fs, v.bps, v.field, sector, v.bps);
	return -LB_EREFUSED;
}

int lb_pt_sector_check(struct lb_ctx *ctx, struct lb_dev *src,
		       const struct lb_pt *pt, uint32_t sector,
		       const char *path)
{
	int r = 0;

	if (!sector)
		return 0;
	if (pt->kind == LB_PT_NONE)
		return check_one(ctx, src, 0, 0, sector, path);
	for (size_t i = 0; !r && i < pt->nparts; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		if (!p->is_extended && p->size_lba)
			r = check_one(ctx, src, lb_pt_start(pt, p), p->number,
				      sector, path);
	}
	return r;
}
