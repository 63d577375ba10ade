/*
 * fs_fat.c — used clusters of FAT12/16/32, read from the FAT itself.
 *
 * Layout from Microsoft's FAT specification (fatgen103): reserved sectors,
 * NumFATs copies of the FAT, the fixed root directory (FAT12/16), then the
 * data area.  The FAT type follows from the cluster count alone.  A
 * cluster whose FAT entry is non-zero is in use (allocated, end of chain
 * or marked bad); everything before the data area is always stored.  Every
 * BPB field is bounds-checked before use (crafted boot sectors, case
 * C050); a volume marked dirty, or whose FAT[0] does not carry the media
 * byte, is imaged raw.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "pt_disk.h"

struct fat {
	uint32_t bps, spc, reserved, nfats, fatsz, root_secs;
	uint64_t tot, data_start, clusters;
	int bits;               /* 12, 16, 32 */
	uint8_t media;
	uint8_t state;          /* boot sector "dirty" byte */
	uint32_t root;          /* FAT32 root directory cluster */
};

static int parse_bpb(const uint8_t *s, uint64_t len, struct fat *f,
		     struct lb_fs_info *info)
{
	f->bps = lb_le16(s + 11);
	f->spc = s[13];
	f->reserved = lb_le16(s + 14);
	f->nfats = s[16];
	f->tot = lb_le16(s + 19) ? lb_le16(s + 19) : lb_le32(s + 32);
	f->fatsz = lb_le16(s + 22) ? lb_le16(s + 22) : lb_le32(s + 36);
	f->media = s[21];
	if ((f->bps != 512 && f->bps != 1024 && f->bps != 2048 && f->bps != 4096) ||
	    !f->spc || (f->spc & (f->spc - 1)) || !f->reserved ||
	    !f->nfats || f->nfats > 4 || !f->fatsz || !f->tot)
		return lb_fs_raw(info, "FAT: boot sector parameters out of range");
	f->root_secs = (lb_le16(s + 17) * 32u + f->bps - 1) / f->bps;
	f->data_start = f->reserved + (uint64_t)f->nfats * f->fatsz + f->root_secs;
	if (f->tot * f->bps > len)
		return lb_fs_raw(info, "FAT: volume (%llu sectors) larger than its partition",
				 (unsigned long long)f->tot);
	info->fs_bytes = f->tot * f->bps;
	if (f->data_start >= f->tot)
		return lb_fs_raw(info, "FAT: no data area after the FATs");
	f->clusters = (f->tot - f->data_start) / f->spc;
	/* FAT32 has BPB_FATSz16 == 0; Linux and dosfstools decide by that,
	 * the count decides between FAT12 and FAT16 (fatgen103 section 3.5) */
	f->bits = !lb_le16(s + 22) ? 32 : f->clusters < 4085 ? 12 : 16;
	f->state = s[f->bits == 32 ? 65 : 37];
	f->root = lb_le32(s + 44);
	if ((uint64_t)f->fatsz * f->bps * 8 / f->bits < f->clusters + 2)
		return lb_fs_raw(info, "FAT: the FAT is too small for %llu clusters",
				 (unsigned long long)f->clusters);
	return 0;
}

static uint32_t entry(const uint8_t *fat, int bits, uint64_t c)
{
	if (bits == 12) {
		uint16_t v = lb_le16(fat + c + c / 2);
		return c & 1 ? v >> 4 : v & 0xfff;
	}
	return bits == 16 ? lb_le16(fat + 2 * c) : lb_le32(fat + 4 * c) & 0x0fffffff;
}

/* FAT[0] carries the media byte; FAT[1]'s clean bit (FAT16/32). */
static int check_head(const uint8_t *fat, const struct fat *f,
		      struct lb_fs_info *info)
{
	if ((entry(fat, f->bits, 0) & 0xff) != f->media)
		return lb_fs_raw(info, "FAT: FAT[0] does not match the media byte 0x%02x", f->media);
	if ((f->bits == 16 && !(entry(fat, 16, 1) & 0x8000)) ||
	    (f->bits == 32 && !(entry(fat, 32, 1) & 0x08000000)) ||
	    (f->state & 1))
		return lb_fs_raw(info, "FAT: volume marked dirty (not cleanly unmounted)");
	return 0;
}

/* Reads the first FAT in chunks and adds clusters with non-zero entries. */
static int walk_fat(struct lb_dev *dev, uint64_t off, const struct fat *f,
		    struct lb_extmap *map, struct lb_fs_info *info)
{
	uint64_t ebytes = f->bits == 12 ? 0 : f->bits / 8;
	uint64_t fat_bytes = (f->clusters + 2) * f->bits / 8 + 2;
	uint64_t chunk = f->bits == 12 ? fat_bytes : (1u << 20);
	uint64_t cbytes = (uint64_t)f->spc * f->bps, data = off + f->data_start * f->bps;
	uint8_t *buf = malloc(chunk);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t c0 = 0; !r && c0 < f->clusters + 2; c0 += ebytes ? chunk / ebytes : chunk) {
		uint64_t n = ebytes ? chunk / ebytes : f->clusters + 2;
		if (c0 + n > f->clusters + 2)
			n = f->clusters + 2 - c0;
		uint64_t nb = ebytes ? n * ebytes : fat_bytes;
		if (nb > (uint64_t)f->fatsz * f->bps)
			nb = (uint64_t)f->fatsz * f->bps;
		memset(buf, 0, chunk);
		if ((r = lb_fs_read_meta(dev, buf, nb, off + (uint64_t)f->reserved * f->bps + c0 * ebytes,
					 info, "FAT")))
			break;
		if (c0 == 0 && (r = check_head(buf, f, info)))
			break;
		if (c0 == 0 && f->bits == 32 && (f->root < 2 || f->root >= f->clusters + 2 ||
		    (f->root < n && !entry(buf, 32, f->root))))
			r = lb_fs_raw(info, "FAT: the FAT32 root directory cluster %u is not allocated", f->root);
		for (uint64_t i = c0 ? 0 : 2; !r && i < n; i++)
			if (entry(buf, f->bits, i))
				r = lb_extmap_add(map, data + (c0 + i - 2) * cbytes, cbytes);
	}
	free(buf);
	return r;
}

int lb_fs_fat_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		   uint64_t len, struct lb_extmap *map, struct lb_fs_info *info)
{
	uint8_t s[512];
	struct fat f = {0};
	int r;

	if ((r = lb_fs_read_meta(dev, s, sizeof(s), off, info, "boot sector")))
		return r;
	if ((r = parse_bpb(s, len, &f, info)))
		return r;
	if ((r = lb_extmap_add(map, off, f.data_start * f.bps)))
		return r;
	if ((r = walk_fat(dev, off, &f, map, info)))
		return r;
	snprintf(info->reason, sizeof(info->reason),
		 "used clusters from the FAT%d table (%llu clusters of %u bytes)",
		 f.bits, (unsigned long long)f.clusters, f.spc * f.bps);
	return 0;
}
