/*
 * pt.c — lb_pt_read: finds which table a disk carries and validates it.
 *
 * Order: a GPT (at the device's logical sector size, then at the other of
 * 512/4096), classified against sector 0 (protective, hybrid, conflicting
 * MBR); else an MBR, unless sector 0 is really a filesystem boot sector
 * (FAT/NTFS/exFAT on a whole disk, case C023).  Then the checks that make
 * a table untrustworthy for used-block imaging (pt->raw): entries past the
 * disk's end (C014), overlapping entries, an MBR and a GPT that disagree
 * (C013), a protective MBR whose GPT is gone.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pt.h"
#include "pt_disk.h"

void lb_pt_note(struct lb_pt *pt, const char *fmt, ...)
{
	size_t n = strlen(pt->notes);
	va_list ap;

	if (n && n + 2 < sizeof(pt->notes)) {
		strcpy(pt->notes + n, "; ");
		n += 2;
	}
	if (n + 1 >= sizeof(pt->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(pt->notes + n, sizeof(pt->notes) - n, fmt, ap);
	va_end(ap);
}

int lb_pt_pread(struct lb_ctx *ctx, struct lb_dev *dev, void *buf,
		size_t len, uint64_t off)
{
	int64_t n = lb_dev_pread(dev, buf, len, off);

	if (n == (int64_t)len)
		return 0;
	snprintf(ctx->msg, sizeof(ctx->msg),
		 "%s: cannot read %zu bytes at byte offset %llu: %s", dev->path,
		 len, (unsigned long long)off,
		 n < 0 ? strerror((int)-n) : "short read (end of device)");
	return n < 0 ? (int)n : -EIO;
}

const char *lb_pt_kind_name(enum lb_pt_kind k)
{
	return k == LB_PT_GPT ? "gpt" : k == LB_PT_MBR ? "dos" : "none";
}

/* A FAT, NTFS or exFAT boot sector: jump instruction and a sane BPB. */
static int looks_like_vbr(const uint8_t *s)
{
	uint16_t bps = lb_le16(s + 11);

	if (!memcmp(s + 3, "NTFS    ", 8) || !memcmp(s + 3, "EXFAT   ", 8))
		return 1;
	if (s[0] != 0xeb && s[0] != 0xe9)
		return 0;
	return (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) &&
	       s[13] && !(s[13] & (s[13] - 1)) && lb_le16(s + 14) &&
	       (!memcmp(s + 54, "FAT", 3) || !memcmp(s + 82, "FAT", 3));
}

/* Sector 0 holds a plausible MBR: 55AA, status bytes 0x00/0x80, and, on a
 * sector that could be a boot sector, entries that make sense. */
static int looks_like_mbr(const uint8_t *s, uint64_t disk_lbas)
{
	int used = 0;

	if (s[MBR_SIG] != 0x55 || s[MBR_SIG + 1] != 0xaa)
		return 0;
	for (int i = 0; i < 4; i++) {
		const uint8_t *r = s + MBR_TABLE + 16 * i;
		if (r[MBR_REC_STATUS] != 0 && r[MBR_REC_STATUS] != 0x80)
			return 0;
		if (!r[MBR_REC_TYPE])
			continue;
		used++;
		if (looks_like_vbr(s) && (lb_le32(r + MBR_REC_START) == 0 ||
		    lb_le32(r + MBR_REC_START) >= disk_lbas))
			return 0;
	}
	return used > 0 || !looks_like_vbr(s);
}

/* How sector 0 relates to a valid GPT (UEFI 5.2.3 protective MBR). */
static void classify_pmbr(struct lb_pt *pt, const uint8_t *s)
{
	uint64_t lbas = pt->disk_size / pt->sector;
	uint64_t want = lbas - 1 > 0xffffffffu ? 0xffffffffu : lbas - 1;
	int ee = -1, other = 0;

	if (s[MBR_SIG] != 0x55 || s[MBR_SIG + 1] != 0xaa) {
		pt->flags |= LB_PTF_NO_PMBR;
		lb_pt_note(pt, "no protective MBR in sector 0 (GPT used anyway)");
		return;
	}
	for (int i = 0; i < 4; i++) {
		const uint8_t *r = s + MBR_TABLE + 16 * i;
		if (r[MBR_REC_TYPE] == 0xee && ee < 0)
			ee = i;
		else if (r[MBR_REC_TYPE])
			other++;
	}
	if (ee < 0 && other) {
		pt->flags |= LB_PTF_CONFLICT;
		pt->raw = 1;
		lb_pt_note(pt, "sector 0 holds an MBR with %d partition(s) and no 0xEE record, and a valid GPT follows: the two tables disagree, so the disk is imaged raw",
			   other);
		return;
	}
	if (ee < 0) {
		pt->flags |= LB_PTF_NO_PMBR;
		lb_pt_note(pt, "sector 0 has no 0xEE protective record (GPT used anyway)");
		return;
	}
	const uint8_t *r = s + MBR_TABLE + 16 * ee;
	pt->pmbr = other ? LB_PMBR_HYBRID : LB_PMBR_PROTECTIVE;
	if (other) {
		pt->flags |= LB_PTF_HYBRID;
		lb_pt_note(pt, "hybrid MBR: 0xEE record plus %d MBR partition(s); sector 0 is kept verbatim", other);
	}
	if (lb_le32(r + MBR_REC_START) != 1 ||
	    (!other && lb_le32(r + MBR_REC_SIZE) != want)) {
		pt->flags |= LB_PTF_PMBR_ODD;
		lb_pt_note(pt, "protective MBR record starts at LBA %u with size %u; UEFI wants start 1, size %llu",
			   lb_le32(r + MBR_REC_START), lb_le32(r + MBR_REC_SIZE),
			   (unsigned long long)want);
	}
}

/* Entries that run past the disk or overlap make the table untrusted. */
static void check_extents(struct lb_pt *pt)
{
	uint64_t lbas = pt->disk_size / pt->sector;

	for (size_t i = 0; i < pt->nparts; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		if (p->start_lba + p->size_lba > lbas) {
			pt->flags |= LB_PTF_BEYOND_END;
			pt->raw = 1;
			lb_pt_note(pt, "partition %u (LBA %llu-%llu) extends beyond the device end (LBA %llu) by %llu sectors",
				   p->number, (unsigned long long)p->start_lba,
				   (unsigned long long)(p->start_lba + p->size_lba - 1),
				   (unsigned long long)(lbas - 1),
				   (unsigned long long)(p->start_lba + p->size_lba - lbas));
		}
		for (size_t j = i + 1; j < pt->nparts; j++) {
			const struct lb_pt_part *q = &pt->parts[j];
			if (p->is_extended != q->is_extended)
				continue;       /* logicals live inside it */
			if (p->start_lba < q->start_lba + q->size_lba &&
			    q->start_lba < p->start_lba + p->size_lba) {
				pt->flags |= LB_PTF_OVERLAP;
				pt->raw = 1;
				lb_pt_note(pt, "partitions %u and %u overlap", p->number, q->number);
			}
		}
	}
}

static int try_gpt(struct lb_ctx *ctx, struct lb_dev *dev, struct lb_pt *pt)
{
	uint32_t first = pt->sector, other = first == 4096 ? 512 : 4096;
	int r = lb_pt_read_gpt(ctx, dev, first, pt);

	if (r == 1) {
		r = lb_pt_read_gpt(ctx, dev, other, pt);
		if (r == 0)
			pt->sector = other;
	}
	return r;
}

int lb_pt_read(struct lb_ctx *ctx, struct lb_dev *dev, struct lb_pt *pt)
{
	uint8_t s0[512];
	int r;

	memset(pt, 0, sizeof(*pt));
	pt->disk_size = dev->size;
	pt->sector = dev->logical_sector;
	if (pt->sector != 512 && pt->sector != 1024 && pt->sector != 2048 &&
	    pt->sector != 4096)
		pt->sector = 512;
	if (dev->size < 512)
		return 0;
	if ((r = lb_pt_pread(ctx, dev, s0, sizeof(s0), 0)))
		return r;
	if ((r = try_gpt(ctx, dev, pt)) < 0)
		return r;
	if (r == 0) {
		classify_pmbr(pt, s0);
	} else if (looks_like_mbr(s0, dev->size / pt->sector)) {
		if ((r = lb_pt_read_mbr(ctx, dev, s0, pt)))
			return r;
		for (size_t i = 0; i < pt->nparts; i++)
			if (pt->parts[i].mbr_type == 0xee) {
				pt->raw = 1;
				lb_pt_note(pt, "protective MBR (0xEE) but no valid GPT header at LBA 1 or at the end: imaged raw");
				break;
			}
	}
	check_extents(pt);
	return 0;
}
