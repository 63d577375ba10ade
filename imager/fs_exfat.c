/*
 * fs_exfat.c — used clusters of exFAT from its allocation bitmap.
 *
 * Layout from Microsoft's exFAT specification: the main and backup boot
 * regions (24 sectors), the FAT and the cluster heap.  The allocation
 * bitmap is a file named by an entry of type 0x81 in the root directory;
 * bit N stands for cluster N + 2.  Everything before the cluster heap is
 * always stored; in the heap, the clusters the bitmap marks.  Chains are
 * followed through the FAT with a bound of ClusterCount links.  Refused
 * (raw): a dirty volume, TexFAT (two FATs), fields out of range, a boot
 * checksum that does not match (computed over 11 sectors of the volume's
 * own sector size, case C026), a bitmap too small or not marking its own
 * clusters and the root directory's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "pt_disk.h"

struct exfat {
	uint64_t off, vol_len, heap, count;
	uint32_t fat_off, fat_len, root;
	unsigned bps_shift, spc_shift;
	uint64_t cbytes;
	struct lb_dev *dev;
};

static int parse_boot(const uint8_t *s, uint64_t len, struct exfat *x,
		      struct lb_fs_info *info)
{
	static const uint8_t zero[53];

	if (memcmp(s + 3, "EXFAT   ", 8) || memcmp(s + 11, zero, 53))
		return lb_fs_raw(info, "exFAT: boot sector signature or MustBeZero area invalid");
	x->vol_len = lb_le64(s + 72);
	x->fat_off = lb_le32(s + 80);
	x->fat_len = lb_le32(s + 84);
	x->heap = lb_le32(s + 88);
	x->count = lb_le32(s + 92);
	x->root = lb_le32(s + 96);
	x->bps_shift = s[108];
	x->spc_shift = s[109];
	if (x->bps_shift < 9 || x->bps_shift > 12 || x->bps_shift + x->spc_shift > 25)
		return lb_fs_raw(info, "exFAT: sector or cluster size out of range");
	x->cbytes = 1ull << (x->bps_shift + x->spc_shift);
	if (s[110] != 1)
		return lb_fs_raw(info, "exFAT: %u FATs (TexFAT) not supported", s[110]);
	if (lb_le16(s + 106) & 2)
		return lb_fs_raw(info, "exFAT: volume marked dirty (not cleanly unmounted)");
	if (x->vol_len << x->bps_shift > len || x->vol_len >> (64 - x->bps_shift))
		return lb_fs_raw(info, "exFAT: volume larger than its partition");
	info->fs_bytes = x->vol_len << x->bps_shift;
	if (x->fat_off < 24 || (uint64_t)x->fat_off + x->fat_len > x->heap ||
	    x->heap + (x->count << x->spc_shift) > x->vol_len ||
	    (uint64_t)x->fat_len << x->bps_shift < (x->count + 2) * 4 ||
	    x->root < 2 || x->root >= x->count + 2)
		return lb_fs_raw(info, "exFAT: FAT, heap or root directory out of range");
	return 0;
}

static uint64_t cl_off(const struct exfat *x, uint64_t c)
{
	return x->off + (x->heap << x->bps_shift) + (c - 2) * x->cbytes;
}

static int next_cluster(const struct exfat *x, uint32_t c, uint32_t *next)
{
	uint8_t e[4];
	int r = lb_fs_read(x->dev, e, 4, x->off + ((uint64_t)x->fat_off << x->bps_shift) + 4ull * c);
	*next = lb_le32(e);
	return r;
}

/* Finds the allocation bitmap entry in the root directory. */
static int find_bitmap(struct exfat *x, uint32_t *first, uint64_t *bytes,
		       struct lb_fs_info *info)
{
	uint8_t *buf = malloc(x->cbytes);
	uint32_t c = x->root;
	int r = 1;

	if (!buf)
		return -ENOMEM;
	for (uint64_t links = 0; r == 1 && links <= x->count; links++) {
		if (c < 2 || c >= x->count + 2 || (r = lb_fs_read(x->dev, buf, x->cbytes, cl_off(x, c))))
			break;
		r = 1;
		for (uint64_t i = 0; i < x->cbytes && r == 1; i += 32) {
			if (buf[i] == 0x00)
				r = 2;  /* end of directory */
			else if (buf[i] == 0x81 && !(buf[i + 1] & 1)) {
				*first = lb_le32(buf + i + 20);
				*bytes = lb_le64(buf + i + 24);
				r = 0;
			}
		}
		if (r == 1 && next_cluster(x, c, &c))
			break;
	}
	free(buf);
	return r == 0 ? 0 : r < 0 ? r : lb_fs_raw(info, "exFAT: no allocation bitmap in the root directory");
}

/* Reads the bitmap's chain into BITS (bytes long). */
static int read_bitmap(struct exfat *x, uint32_t c, uint8_t *bits, uint64_t bytes)
{
	uint64_t done = 0;

	for (uint64_t links = 0; done < bytes && links <= x->count; links++) {
		uint64_t n = bytes - done < x->cbytes ? bytes - done : x->cbytes;
		int r;
		if (c < 2 || c >= x->count + 2)
			return -EUCLEAN;
		if ((r = lb_fs_read(x->dev, bits + done, n, cl_off(x, c))) ||
		    (r = next_cluster(x, c, &c)))
			return r;
		done += n;
	}
	return done == bytes ? 0 : -EUCLEAN;
}

static int bit(const uint8_t *b, uint64_t c)
{
	return b[(c - 2) / 8] >> ((c - 2) % 8) & 1;
}

/* The main boot region's checksum (exFAT spec 3.4): over sectors 0-10 of
 * the volume's own sector size (2^BytesPerSectorShift bytes, not 512:
 * case C026), skipping VolumeFlags (106, 107) and PercentInUse (112);
 * sector 11 repeats it.  0 when it matches, else a raw fallback. */
static int check_boot_sum(const struct exfat *x, struct lb_fs_info *info)
{
	size_t bps = (size_t)1 << x->bps_shift;
	uint8_t *b = malloc(12 * bps);
	uint32_t sum = 0, bad = 0;
	int r;

	if (!b)
		return -ENOMEM;
	if ((r = lb_fs_read(x->dev, b, 12 * bps, x->off))) {
		free(b);
		return r;
	}
	for (size_t i = 0; i < 11 * bps; i++)
		if (i != 106 && i != 107 && i != 112)
			sum = ((sum & 1) ? 0x80000000u : 0) + (sum >> 1) + b[i];
	for (size_t i = 11 * bps; i < 12 * bps && !bad; i += 4)
		bad = lb_le32(b + i) != sum;
	if (bad)
		r = lb_fs_raw(info, "exFAT: boot checksum over 11 sectors of %zu bytes is %08x but sector 11 holds %08x",
			      bps, sum, lb_le32(b + 11 * bps));
	free(b);
	return r;
}

int lb_fs_exfat_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		     uint64_t len, struct lb_extmap *map, struct lb_fs_info *info)
{
	struct exfat x = { .off = off, .dev = dev };
	uint8_t s[512], *bits;
	uint32_t first = 0;
	uint64_t bytes = 0;
	int r;

	if ((r = lb_fs_read(dev, s, sizeof(s), off)) || (r = parse_boot(s, len, &x, info)) ||
	    (r = check_boot_sum(&x, info)) || (r = find_bitmap(&x, &first, &bytes, info)))
		return r;
	if (bytes < (x.count + 7) / 8 || bytes > x.count / 8 + x.cbytes ||
	    first < 2 || first >= x.count + 2)
		return lb_fs_raw(info, "exFAT: allocation bitmap size or position invalid");
	if (!(bits = malloc(bytes)))
		return -ENOMEM;
	r = read_bitmap(&x, first, bits, bytes);
	if (r == -EUCLEAN || (!r && (!bit(bits, first) || !bit(bits, x.root))))
		r = lb_fs_raw(info, "exFAT: allocation bitmap unreadable or not marking itself and the root directory");
	if (!r)
		r = lb_extmap_add(map, off, x.heap << x.bps_shift);
	if (!r)
		r = lb_extmap_add_bitmap(map, bits, x.count, cl_off(&x, 2), x.cbytes);
	if (!r)
		snprintf(info->reason, sizeof(info->reason),
			 "used clusters from the exFAT allocation bitmap (%llu clusters of %llu bytes)",
			 (unsigned long long)x.count, (unsigned long long)x.cbytes);
	free(bits);
	return r;
}
