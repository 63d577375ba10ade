/*
 * fs_ntfs.c — used clusters of NTFS from $Bitmap, with a careful reader.
 *
 * NTFS structures as documented by the Linux-NTFS project (and used by
 * ntfs-3g): the boot sector gives the cluster size, the $MFT's first LCN
 * and the MFT record size.  Records carry update-sequence fixups that are
 * checked and applied before any field is read.  Record 0 ($MFT) gives the
 * runlist that locates every other record; record 6 ($Bitmap) holds the
 * cluster bitmap; record 3 ($Volume) the dirty flag.  A volume that is
 * dirty or hibernated (hiberfil.sys starting "hibr", case C038) is imaged
 * raw, as is anything that fails a check.  Runlists and attribute walks
 * are bounded.  The boot sector and its backup (last sector) are always
 * stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include "fs.h"
#include "pt_disk.h"

#define MAX_RUNS 4096

struct run { uint64_t vcn, len; int64_t lcn; };   /* lcn -1: sparse */

struct ntfs {
	struct lb_dev *dev;
	uint64_t off, csize, clusters;
	uint32_t bps, rsize;
	struct run mft[MAX_RUNS];
	int nmft;
};

static int parse_boot(const uint8_t *s, uint64_t len, struct ntfs *n,
		      uint64_t *mft_lcn, struct lb_fs_info *info)
{
	uint32_t spc = s[13];
	int8_t cpr = (int8_t)s[64];

	n->bps = lb_le16(s + 11);
	if (memcmp(s + 3, "NTFS    ", 8) || n->bps < 256 || n->bps > 4096 ||
	    (n->bps & (n->bps - 1)))
		return lb_fs_raw(info, "NTFS: boot sector invalid");
	if (spc > 0x80)
		spc = spc < 0xf4 ? 0 : 1u << (256 - spc);
	if (!spc || (spc & (spc - 1)))
		return lb_fs_raw(info, "NTFS: cluster size invalid");
	n->csize = (uint64_t)spc * n->bps;
	uint64_t tot = lb_le64(s + 40);
	if (tot > len / n->bps)
		return lb_fs_raw(info, "NTFS: volume (%llu sectors) larger than its partition",
				 (unsigned long long)tot);
	info->fs_bytes = tot * n->bps;
	n->clusters = tot * n->bps / n->csize;
	*mft_lcn = lb_le64(s + 48);
	n->rsize = cpr > 0 ? (uint32_t)(cpr * n->csize) : cpr > -31 && cpr < 0 ? 1u << -cpr : 0;
	if (n->rsize < 256 || n->rsize > 65536 || *mft_lcn >= n->clusters)
		return lb_fs_raw(info, "NTFS: MFT position or record size invalid");
	return 0;
}

/* Checks the FILE magic and applies the update-sequence fixups. */
static int fixup(uint8_t *rec, uint32_t size)
{
	uint16_t uo = lb_le16(rec + 4), uc = lb_le16(rec + 6);

	if (memcmp(rec, "FILE", 4) || uc != size / 512 + 1 || uo < 8 ||
	    uo + 2u * uc > size)
		return -1;
	for (uint16_t i = 1; i < uc; i++) {
		uint8_t *end = rec + i * 512 - 2;
		if (memcmp(end, rec + uo, 2))
			return -1;
		memcpy(end, rec + uo + 2 * i, 2);
	}
	return 0;
}

/* Finds the first attribute TYPE with an empty name; NULL if none. */
static const uint8_t *find_attr(const uint8_t *rec, uint32_t size, uint32_t type)
{
	uint32_t o = lb_le16(rec + 20);

	for (int i = 0; i < 256 && o + 16 <= size; i++) {
		uint32_t t = lb_le32(rec + o), l = lb_le32(rec + o + 4);
		if (t == 0xffffffff || l < 16 || o + l > size)
			return NULL;
		if (t == type && rec[o + 9] == 0)
			return rec + o;
		o += l;
	}
	return NULL;
}

/* Decodes a non-resident attribute's runlist (bounded by ALEN bytes). */
static int runlist(const uint8_t *a, uint32_t alen, struct run *runs, int max,
		   uint64_t clusters)
{
	uint32_t o = lb_le16(a + 32);
	uint64_t vcn = lb_le64(a + 16);
	int64_t lcn = 0;
	int n = 0;

	while (o < alen && a[o] && n < max) {
		unsigned ls = a[o] & 15, os = a[o] >> 4;
		if (!ls || ls > 8 || os > 8 || o + 1 + ls + os > alen)
			return -1;
		uint64_t len = 0;
		int64_t d = 0;
		for (unsigned i = 0; i < ls; i++)
			len |= (uint64_t)a[o + 1 + i] << (8 * i);
		for (unsigned i = 0; i < os; i++)
			d |= (int64_t)((uint64_t)a[o + 1 + ls + i] << (8 * i));
		if (os && os < 8 && (a[o + ls + os] & 0x80))
			d -= (int64_t)1 << (8 * os);     /* sign-extend */
		lcn += d;
		if (!len || (os && (lcn < 0 || (uint64_t)lcn + len > clusters)))
			return -1;
		runs[n++] = (struct run){ vcn, len, os ? lcn : -1 };
		vcn += len;
		o += 1 + ls + os;
	}
	return n < max ? n : -1;
}

/* Reads BYTES at byte POS of a stream described by RUNS. */
static int read_stream(struct ntfs *n, const struct run *runs, int nr,
		       uint64_t pos, uint8_t *buf, uint64_t bytes)
{
	while (bytes) {
		uint64_t vcn = pos / n->csize, in = pos % n->csize;
		int i = 0;
		while (i < nr && !(vcn >= runs[i].vcn && vcn < runs[i].vcn + runs[i].len))
			i++;
		if (i == nr)
			return -EUCLEAN;
		uint64_t avail = (runs[i].vcn + runs[i].len - vcn) * n->csize - in;
		uint64_t k = bytes < avail ? bytes : avail;
		if (runs[i].lcn < 0)
			memset(buf, 0, k);
		else {
			int r = lb_fs_read(n->dev, buf, k, n->off +
				(uint64_t)(runs[i].lcn + (int64_t)(vcn - runs[i].vcn)) * n->csize + in);
			if (r)
				return r;
		}
		buf += k, pos += k, bytes -= k;
	}
	return 0;
}

static int read_record(struct ntfs *n, uint64_t num, uint8_t *rec)
{
	int r = read_stream(n, n->mft, n->nmft, num * n->rsize, rec, n->rsize);
	return r ? r : fixup(rec, n->rsize) ? -EUCLEAN : 0;
}

/* Record 0's $DATA runlist: where every MFT record lives. */
static int load_mft_runs(struct ntfs *n, uint8_t *rec, uint64_t *mft_bytes)
{
	const uint8_t *a;
	int r;

	if ((r = read_record(n, 0, rec)))
		return r;
	a = find_attr(rec, n->rsize, 0x80);
	if (!a || !a[8] || lb_le64(a + 16) != 0)
		return -EUCLEAN;
	int nr = runlist(a, lb_le32(a + 4), n->mft, MAX_RUNS, n->clusters);
	if (nr <= 0)
		return -EUCLEAN;
	n->nmft = nr;
	*mft_bytes = lb_le64(a + 48);
	return *mft_bytes < 16ull * n->rsize ? -EUCLEAN : 0;
}

/* 1 when REC is an in-use record of a file named hiberfil.sys in the root
 * directory (MFT record 5); its first bytes then go to *MAGIC. */
static int hiberfil_magic(struct ntfs *n, const uint8_t *rec, char magic[4])
{
	static const char want[] = "hiberfil.sys";
	const uint8_t *fn = find_attr(rec, n->rsize, 0x30), *d;
	uint32_t vo;

	if (!(lb_le16(rec + 22) & 1) || !fn || fn[8])
		return 0;
	vo = lb_le16(fn + 20);
	if (vo + 66 + 24 > lb_le32(fn + 4) || (lb_le64(fn + vo) & 0xffffffffffffull) != 5 ||
	    fn[vo + 64] != 12)
		return 0;
	for (int i = 0; i < 12; i++)
		if (lb_le16(fn + vo + 66 + 2 * i) > 127 ||
		    tolower(lb_le16(fn + vo + 66 + 2 * i)) != want[i])
			return 0;
	memset(magic, 0, 4);
	if (!(d = find_attr(rec, n->rsize, 0x80)))
		return 1;
	if (!d[8]) {
		vo = lb_le16(d + 20);
		if (lb_le32(d + 16) >= 4 && vo + 4 <= lb_le32(d + 4))
			memcpy(magic, d + vo, 4);
		return 1;
	}
	struct run *run = malloc(MAX_RUNS * sizeof(*run));
	if (run && lb_le64(d + 48) >= 4 &&
	    runlist(d, lb_le32(d + 4), run, MAX_RUNS, n->clusters) >= 1 &&
	    run[0].lcn >= 0)
		lb_fs_read(n->dev, magic, 4, n->off + (uint64_t)run[0].lcn * n->csize);
	free(run);
	return 1;
}

/* Scans the MFT, 64 records at a time, for a hibernation file. */
static int scan_hiber(struct ntfs *n, uint64_t mft_bytes, struct lb_fs_info *info)
{
	uint64_t nrec = mft_bytes / n->rsize;
	uint8_t *buf = malloc(64ull * n->rsize);
	char magic[4];
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t i = 16; !r && i < nrec; i += 64) {
		uint64_t k = nrec - i < 64 ? nrec - i : 64;
		if ((r = read_stream(n, n->mft, n->nmft, i * n->rsize, buf, k * n->rsize)))
			break;
		for (uint64_t j = 0; j < k && !r; j++) {
			uint8_t *rec = buf + j * n->rsize;
			if (fixup(rec, n->rsize) || !hiberfil_magic(n, rec, magic))
				continue;
			if (!strncasecmp(magic, "hibr", 4))
				r = lb_fs_raw(info, "NTFS: Windows is hibernated (hiberfil.sys starts with \"hibr\"; Fast Startup): imaged raw — boot Windows and shut it down fully for a used-block image");
		}
	}
	free(buf);
	return r;
}

/* $Volume's dirty flag, then the hibernation file. */
static int check_state(struct ntfs *n, uint8_t *rec, uint64_t mft_bytes,
		       struct lb_fs_info *info)
{
	const uint8_t *a;
	int r;

	if ((r = read_record(n, 3, rec)))
		return r;
	a = find_attr(rec, n->rsize, 0x70);
	if (!a || a[8] || lb_le32(a + 16) < 12 ||
	    lb_le16(a + 20) + 12u > lb_le32(a + 4))
		return -EUCLEAN;
	if (lb_le16(a + lb_le16(a + 20) + 10) & 0x0001)
		return lb_fs_raw(info, "NTFS: volume marked dirty (not cleanly unmounted or scheduled for chkdsk): imaged raw");
	return scan_hiber(n, mft_bytes, info);
}

/* Record 6 ($Bitmap): one bit per cluster, read whole. */
static int load_bitmap(struct ntfs *n, uint8_t *rec, uint8_t **bits)
{
	struct run *runs = malloc(MAX_RUNS * sizeof(*runs));
	const uint8_t *a;
	int r = -EUCLEAN, nr;

	if (!runs)
		return -ENOMEM;
	if ((r = read_record(n, 6, rec)))
		goto out;
	r = -EUCLEAN;
	a = find_attr(rec, n->rsize, 0x80);
	if (!a || !a[8] || lb_le64(a + 16) != 0)
		goto out;
	uint64_t bytes = lb_le64(a + 48);
	if (bytes < (n->clusters + 7) / 8 || bytes > n->clusters / 8 + 65536)
		goto out;
	if ((nr = runlist(a, lb_le32(a + 4), runs, MAX_RUNS, n->clusters)) <= 0)
		goto out;
	if (!(*bits = malloc(bytes))) {
		r = -ENOMEM;
		goto out;
	}
	r = read_stream(n, runs, nr, 0, *bits, bytes);
	if (!r && !((*bits)[0] & 1))
		r = -EUCLEAN;           /* the boot sector's cluster is free? */
	for (int i = 0; !r && i < n->nmft; i++)  /* and every $MFT cluster used */
		for (uint64_t c = 0; n->mft[i].lcn >= 0 && c < n->mft[i].len; c++) {
			uint64_t l = (uint64_t)n->mft[i].lcn + c;
			if (!((*bits)[l / 8] >> (l % 8) & 1)) {
				r = -EUCLEAN;
				break;
			}
		}
out:
	free(runs);
	return r;
}

int lb_fs_ntfs_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		    uint64_t len, struct lb_extmap *map, struct lb_fs_info *info)
{
	struct ntfs *n = calloc(1, sizeof(*n));
	uint8_t s[512], *rec = NULL, *bits = NULL;
	uint64_t mft_lcn = 0, mft_bytes = 0;
	int r;

	if (!n)
		return -ENOMEM;
	n->dev = dev, n->off = off;
	if ((r = lb_fs_read(dev, s, sizeof(s), off)) ||
	    (r = parse_boot(s, len, n, &mft_lcn, info)))
		goto out;
	if (!(rec = malloc(n->rsize))) {
		r = -ENOMEM;
		goto out;
	}
	n->mft[0] = (struct run){ 0, (n->rsize + n->csize - 1) / n->csize, (int64_t)mft_lcn };
	n->nmft = 1;
	if ((r = load_mft_runs(n, rec, &mft_bytes)) ||
	    (r = check_state(n, rec, mft_bytes, info)) ||
	    (r = load_bitmap(n, rec, &bits)))
		goto out;
	r = lb_extmap_add(map, off, n->csize > 8192 ? n->csize : 8192);
	if (!r)
		r = lb_extmap_add(map, off + len - n->bps, n->bps);   /* backup boot */
	if (!r)
		r = lb_extmap_add_bitmap(map, bits, n->clusters, off, n->csize);
	if (!r)
		snprintf(info->reason, sizeof(info->reason),
			 "used clusters from the NTFS $Bitmap (%llu clusters of %llu bytes)",
			 (unsigned long long)n->clusters, (unsigned long long)n->csize);
out:
	if (r == -EUCLEAN)
		r = lb_fs_raw(info, "NTFS: metadata failed a consistency check (MFT record, runlist or $Bitmap)");
	free(bits);
	free(rec);
	free(n);
	return r;
}
