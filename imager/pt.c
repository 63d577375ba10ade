/*
 * pt.c — lb_pt_read: finds which table a disk carries and validates it.
 *
 * Order: a GPT (at the device's logical sector size, then at the other of
 * 512/4096), classified against sector 0 (protective, hybrid, conflicting
 * MBR); else an MBR, unless sector 0 is really a filesystem boot sector
 * (FAT/NTFS/exFAT on a whole disk, case C023).  Then the checks that make
 * a table untrustworthy for used-block imaging (pt->raw): entries past the
 * disk's end (C014), overlapping entries, an MBR and a GPT that disagree
 * (C013: raw unless the caller chose one, lb_pt_read_choice), a protective
 * MBR whose GPT is gone.  On a failing disk a sector the table does not
 * need never costs the table (issue 6): sector 0 unreadable means no table
 * (raw, said so); the GPT reader treats an unreadable copy as a missing
 * one (pt_gpt.c); an MBR disk never needs the last sector.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

int lb_pt_media_error(int r)
{
	return r == -EIO || r == -ENODATA || r == -EILSEQ || r == -EREMOTEIO ||
	       r == -EBADMSG || r == -ETIMEDOUT;
}

/* On a block device, a second descriptor on DEV with O_DIRECT, so that a
 * 512-byte read is not failed by a bad neighbour in its 4 KiB page-cache
 * page; -1 elsewhere or when the kernel refuses. */
static int direct_fd(const struct lb_dev *dev, uint8_t **al)
{
	char p[64];
	int fd;

	*al = NULL;
	if (!dev->is_block || dev->fd < 0 || dev->base % 4096)
		return -1;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", dev->fd);
	if ((fd = open(p, O_RDONLY | O_DIRECT | O_CLOEXEC)) < 0)
		return -1;
	if (posix_memalign((void **)al, 4096, 4096)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* N <= 512 bytes at OFF (a multiple of 512): through DFD (O_DIRECT, the
 * logical sector holding them) when there is one, else as usual. */
static int read_piece(struct lb_ctx *ctx, struct lb_dev *dev, int dfd,
		      uint8_t *al, void *buf, size_t n, uint64_t off)
{
	uint32_t ls = dev->logical_sector;
	uint64_t at = dev->base + off, a;
	ssize_t got;

	if (dfd < 0 || ls < 512 || ls > 4096 || (ls & (ls - 1)))
		return lb_pt_pread(ctx, dev, buf, n, off);
	a = at / ls * ls;
	if (a + ls > dev->base + dev->size)
		return lb_pt_pread(ctx, dev, buf, n, off);
	got = pread(dfd, al, ls, (off_t)a);
	if (got != (ssize_t)ls)
		return got < 0 ? -errno : -EIO;
	memcpy(buf, al + (at - a), n);
	return 0;
}

int lb_pt_read_sectors(struct lb_ctx *ctx, struct lb_dev *dev, void *buf,
		       size_t len, uint64_t off, uint64_t *bad)
{
	int r = lb_pt_pread(ctx, dev, buf, len, off), dfd, e = 0;
	uint8_t *al;

	if (r == 0 || !lb_pt_media_error(r))
		return r;
	ctx->msg[0] = 0;
	memset(buf, 0, len);
	dfd = direct_fd(dev, &al);
	r = 0;          /* every piece read (O_DIRECT past a bad neighbour) */
	for (size_t done = 0; done < len; done += 512) {
		size_t n = len - done < 512 ? len - done : 512;
		e = read_piece(ctx, dev, dfd, al, (uint8_t *)buf + done, n,
			       off + done);
		if (e == 0)
			continue;
		if (lb_pt_media_error(e)) {
			ctx->msg[0] = 0;
			memset((uint8_t *)buf + done, 0, len - done);
			*bad = off + done;
			r = 1;
		} else {
			r = e;
		}
		break;
	}
	if (dfd >= 0)
		close(dfd);
	free(al);
	return r;
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

/* "#1 LBA 2048+4096 type 0x83, ..." for the MBR records of sector 0 S. */
static void list_mbr(const uint8_t *s, char *out, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < 4 && o < n; i++) {
		const uint8_t *r = s + MBR_TABLE + 16 * i;
		if (r[MBR_REC_TYPE])
			o += (size_t)snprintf(out + o, n - o, "%s#%d LBA %u+%u type 0x%02x",
					      o ? ", " : "", i + 1,
					      lb_le32(r + MBR_REC_START),
					      lb_le32(r + MBR_REC_SIZE), r[MBR_REC_TYPE]);
	}
}

/* The same for the partitions of a GPT just read into PT. */
static void list_gpt(const struct lb_pt *pt, char *out, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < pt->nparts && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s#%u LBA %llu+%llu",
				      o ? ", " : "", pt->parts[i].number,
				      (unsigned long long)pt->parts[i].start_lba,
				      (unsigned long long)pt->parts[i].size_lba);
	if (!pt->nparts)
		snprintf(out, n, "no partitions");
}

/* Case C013: a valid GPT and an MBR with real records and no 0xEE.  The
 * rule: a GPT wins only behind a protective MBR; otherwise the person
 * chooses (--table); until then the disk is imaged raw. */
static void conflict(struct lb_pt *pt, const uint8_t *s0, int other)
{
	const char *g = pt->gpt_list, *m = pt->mbr_list;

	pt->flags |= LB_PTF_CONFLICT;
	list_gpt(pt, pt->gpt_list, sizeof(pt->gpt_list));
	list_mbr(s0, pt->mbr_list, sizeof(pt->mbr_list));
	if (pt->chosen == LB_TABLE_GPT) {
		lb_pt_note(pt, "GPT and MBR disagree; the GPT (%.150s) is trusted as chosen with --table gpt; the MBR in sector 0 (%.150s) is kept verbatim",
			   g, m);
		return;
	}
	if (pt->chosen == LB_TABLE_MBR)
		return;                 /* take_mbr() says it */
	pt->raw = 1;
	lb_pt_note(pt, "GPT and MBR disagree, so the whole disk is imaged raw; to image by one table give --table gpt (GPT lists %.150s) or --table mbr (MBR lists %.150s); sector 0 holds %d MBR partition(s) and no 0xEE record",
		   g, m, other);
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
		conflict(pt, s, other);
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
		/* Compared without adding: an EndingLBA of 2^64-1 must not wrap. */
		if (p->start_lba > lbas || p->size_lba > lbas - p->start_lba) {
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

/* --table mbr on a C013 disk: the MBR replaces the GPT just read, whose
 * headers and entry arrays (LBA 1 up to FirstUsableLBA, LastUsableLBA+1 to
 * the end, the AlternateLBA sector) are kept for the backup to store. */
static int take_mbr(struct lb_ctx *ctx, struct lb_dev *dev, const uint8_t *s0,
		    struct lb_pt *pt)
{
	uint64_t ss = pt->sector, end = pt->disk_size / ss;
	uint64_t fu = pt->first_usable, lu = pt->last_usable, alt = pt->alternate_lba;

	pt->kind = LB_PT_NONE;
	pt->nparts = 0;
	pt->pmbr = LB_PMBR_NONE;
	memset(pt->disk_guid, 0, sizeof(pt->disk_guid));
	pt->first_usable = pt->last_usable = pt->alternate_lba = 0;
	pt->nentries = pt->entry_size = 0;
	pt->keep[pt->nkeep].off = ss;
	pt->keep[pt->nkeep++].len = (fu > 1 && fu < end ? fu - 1 : 1) * ss;
	if (lu + 1 < end) {
		pt->keep[pt->nkeep].off = (lu + 1) * ss;
		pt->keep[pt->nkeep++].len = (end - lu - 1) * ss;
	}
	if (alt && alt < end) {
		pt->keep[pt->nkeep].off = alt * ss;
		pt->keep[pt->nkeep++].len = ss;
	}
	lb_pt_note(pt, "GPT and MBR disagree; the MBR is trusted as chosen with --table mbr; the GPT (%.150s) is kept as stored bytes, not used",
		   pt->gpt_list);
	return lb_pt_read_mbr(ctx, dev, s0, pt);
}

/* A choice that decided nothing is said, so that nobody believes it did. */
static void choice_unused(struct lb_pt *pt, enum lb_table_choice choice)
{
	if (choice != LB_TABLE_AUTO && !(pt->flags & LB_PTF_CONFLICT))
		lb_pt_note(pt, "--table %s changes nothing here: the disk's GPT and MBR do not disagree",
			   choice == LB_TABLE_GPT ? "gpt" : "mbr");
}

int lb_pt_read(struct lb_ctx *ctx, struct lb_dev *dev, struct lb_pt *pt)
{
	return lb_pt_read_choice(ctx, dev, LB_TABLE_AUTO, pt);
}

int lb_pt_read_choice(struct lb_ctx *ctx, struct lb_dev *dev,
		      enum lb_table_choice choice, struct lb_pt *pt)
{
	uint8_t s0[512];
	uint64_t bad;
	int r;

	memset(pt, 0, sizeof(*pt));
	pt->chosen = choice;
	pt->disk_size = dev->size;
	pt->sector = dev->logical_sector;
	if (pt->sector != 512 && pt->sector != 1024 && pt->sector != 2048 &&
	    pt->sector != 4096)
		pt->sector = 512;
	if (dev->size < 512)
		return 0;
	if ((r = lb_pt_read_sectors(ctx, dev, s0, sizeof(s0), 0, &bad)) < 0)
		return r;
	if (r) {
		pt->raw = 1;
		pt->flags |= LB_PTF_IO;
		pt->chosen = LB_TABLE_AUTO;
		lb_pt_note(pt, "sector 0 unreadable (I/O error at LBA 0): no partition table can be read, so the whole disk is imaged raw");
		return 0;
	}
	if ((r = try_gpt(ctx, dev, pt)) < 0)
		return r;
	if (r == 0) {
		classify_pmbr(pt, s0);
		if ((pt->flags & LB_PTF_CONFLICT) && choice == LB_TABLE_MBR) {
			if ((r = take_mbr(ctx, dev, s0, pt)))
				return r;
		}
	} else if (looks_like_mbr(s0, dev->size / pt->sector)) {
		if ((r = lb_pt_read_mbr(ctx, dev, s0, pt)))
			return r;
		for (size_t i = 0; i < pt->nparts; i++)
			if (pt->parts[i].mbr_type == 0xee) {
				pt->raw = 1;
				lb_pt_note(pt, "protective MBR (0xEE) but no valid GPT header at LBA 1 or at the end%s%s: imaged raw",
					   pt->gpt_io[0] ? "; " : "", pt->gpt_io);
				break;
			}
		if (pt->gpt_io[0])
			pt->flags |= LB_PTF_IO;
		if (!pt->raw && pt->gpt_io[0])
			lb_pt_note(pt, "%s; an MBR disk does not need it: the MBR in sector 0 is used",
				   pt->gpt_io);
	} else if (pt->gpt_io[0]) {
		pt->flags |= LB_PTF_IO;
		lb_pt_note(pt, "no partition table found; %s", pt->gpt_io);
	}
	if (!(pt->flags & LB_PTF_CONFLICT))
		pt->chosen = LB_TABLE_AUTO;
	choice_unused(pt, choice);
	check_extents(pt);
	return 0;
}
