/*
 * pt_fixup.c — making a written table right for the disk it landed on.
 *
 * A restore or clone copies the source's sectors; on a target of another
 * size the GPT backup header and entry array then sit in the middle (or
 * are cut off), LastUsableLBA is wrong and the protective MBR's size is
 * stale.  lb_pt_fixup_for_target() rewrites, per UEFI spec 5.3.1-5.3.2:
 * the backup entry array at LastLBA - ceil(max(N*size, 16 KiB)/sector)
 * and the backup header at LastLBA (MyLBA/AlternateLBA/PartitionEntryLBA
 * swapped), the primary's AlternateLBA and LastUsableLBA, both CRCs, and
 * the 0xEE record (UEFI 5.2.3).  A hybrid MBR is left byte for byte.
 * Options grow the last partition's entry (never the filesystem) and give
 * the disk new identifiers (GUIDs, MBR signature) for clones.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zlib.h>
#include "pt.h"
#include "pt_disk.h"

struct gpt_fix {
	uint32_t ss;
	uint64_t lbas;
	uint8_t hdr[4096];
	uint8_t *ent;
	size_t ent_bytes;
};

static void report(struct lb_pt_fixup_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct lb_pt_fixup_report *rep, const char *fmt, ...)
{
	size_t n = strlen(rep->text);
	va_list ap;

	if (n + 3 >= sizeof(rep->text))
		return;
	if (n)
		strcpy(rep->text + n, "; "), n += 2;
	va_start(ap, fmt);
	vsnprintf(rep->text + n, sizeof(rep->text) - n, fmt, ap);
	va_end(ap);
}

static int pwrite_all(struct lb_ctx *ctx, struct lb_dev *dev, const void *b,
		      size_t n, uint64_t off)
{
	int64_t r = lb_dev_pwrite(dev, b, n, off);

	if (r == (int64_t)n)
		return 0;
	snprintf(ctx->msg, sizeof(ctx->msg),
		 "%s: writing %zu bytes of the partition table at byte offset %llu failed: %s",
		 dev->path, n, (unsigned long long)off,
		 r < 0 ? strerror((int)-r) : "short write");
	return r < 0 ? (int)r : -EIO;
}

static void random_guid(uint8_t *g)
{
	if (getrandom(g, 16, 0) != 16)
		for (int i = 0; i < 16; i++)
			g[i] = (uint8_t)rand();
	g[7] = (uint8_t)((g[7] & 0x0f) | 0x40);   /* version 4, stored LE */
	g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
}

static void set_crcs(struct gpt_fix *f)
{
	uint32_t hs = lb_le32(f->hdr + GPT_HEADER_SIZE);

	lb_put_le32(f->hdr + GPT_ENTRIES_CRC,
		    (uint32_t)crc32(0L, f->ent, (uInt)f->ent_bytes));
	memset(f->hdr + GPT_HEADER_CRC, 0, 4);
	lb_put_le32(f->hdr + GPT_HEADER_CRC, (uint32_t)crc32(0L, f->hdr, hs));
}

/* Loads the trusted header (primary, else backup) and its entries. */
static int load_gpt(struct lb_ctx *ctx, struct lb_dev *dev,
		    const struct lb_pt *pt, struct gpt_fix *f)
{
	uint64_t at = pt->flags & LB_PTF_GPT_PRIMARY_BAD ? 0 : 1;
	int r;

	if (!at) {
		snprintf(ctx->msg, sizeof(ctx->msg),
			 "%s: the primary GPT on the target is invalid; not repairing it (%.150s)",
			 dev->path, pt->notes);
		return -EBADMSG;
	}
	if ((r = lb_pt_pread(ctx, dev, f->hdr, f->ss, at * f->ss)))
		return r;
	f->ent_bytes = (size_t)pt->nentries * pt->entry_size;
	if (!(f->ent = malloc(f->ent_bytes)))
		return -ENOMEM;
	return lb_pt_pread(ctx, dev, f->ent, f->ent_bytes,
			   lb_le64(f->hdr + GPT_ENTRIES_LBA) * f->ss);
}

/* Grows the entry with the highest last LBA to NEW_LAST. */
static void gpt_grow(struct gpt_fix *f, const struct lb_pt *pt,
		     uint64_t new_last, struct lb_pt_fixup_report *rep)
{
	uint8_t *best = NULL;
	uint32_t num = 0;

	for (uint32_t i = 0; i < pt->nentries; i++) {
		uint8_t *e = f->ent + (size_t)i * pt->entry_size;
		static const uint8_t zero[16];
		if (memcmp(e + GPTE_TYPE, zero, 16) &&
		    (!best || lb_le64(e + GPTE_LAST) > lb_le64(best + GPTE_LAST)))
			best = e, num = i + 1;
	}
	if (!best || lb_le64(best + GPTE_LAST) >= new_last)
		return;
	rep->grew_part = (int)num;
	rep->grew_from_lba = lb_le64(best + GPTE_LAST);
	rep->grew_to_lba = new_last;
	lb_put_le64(best + GPTE_LAST, new_last);
	report(rep, "partition %u: table entry grown from last LBA %llu to %llu",
	       num, (unsigned long long)rep->grew_from_lba,
	       (unsigned long long)new_last);
}

static void gpt_new_ids(struct gpt_fix *f, const struct lb_pt *pt,
			struct lb_pt_fixup_report *rep)
{
	static const uint8_t zero[16];

	random_guid(f->hdr + GPT_DISK_GUID);
	for (uint32_t i = 0; i < pt->nentries; i++) {
		uint8_t *e = f->ent + (size_t)i * pt->entry_size;
		if (memcmp(e + GPTE_TYPE, zero, 16))
			random_guid(e + GPTE_GUID);
	}
	rep->new_ids = 1;
	report(rep, "new disk and partition GUIDs");
}

/* Writes primary header+array, backup array+header; zeroes a stale one. */
static int gpt_write(struct lb_ctx *ctx, struct lb_dev *dev,
		     struct gpt_fix *f, uint64_t barr, uint64_t old_alt)
{
	uint64_t last = f->lbas - 1;
	int r;

	set_crcs(f);
	if ((r = pwrite_all(ctx, dev, f->ent, f->ent_bytes,
			    lb_le64(f->hdr + GPT_ENTRIES_LBA) * f->ss)) ||
	    (r = pwrite_all(ctx, dev, f->hdr, f->ss, f->ss)))
		return r;
	lb_put_le64(f->hdr + GPT_MY_LBA, last);
	lb_put_le64(f->hdr + GPT_ALTERNATE_LBA, 1);
	lb_put_le64(f->hdr + GPT_ENTRIES_LBA, barr);
	set_crcs(f);
	if ((r = pwrite_all(ctx, dev, f->ent, f->ent_bytes, barr * f->ss)) ||
	    (r = pwrite_all(ctx, dev, f->hdr, f->ss, last * f->ss)))
		return r;
	if (old_alt != last && old_alt > 1 && old_alt < f->lbas) {
		uint8_t z[4096] = {0};
		uint8_t cur[4096];
		if (!lb_pt_pread(ctx, dev, cur, f->ss, old_alt * f->ss) &&
		    !memcmp(cur, "EFI PART", 8))
			return pwrite_all(ctx, dev, z, f->ss, old_alt * f->ss);
	}
	return 0;
}

static int fix_gpt(struct lb_ctx *ctx, struct lb_dev *dev, const struct lb_pt *pt,
		   const struct lb_pt_fixup_opts *o, struct lb_pt_fixup_report *rep)
{
	struct gpt_fix f = { .ss = pt->sector, .lbas = dev->size / pt->sector };
	uint64_t arr = (uint64_t)pt->nentries * pt->entry_size;
	int r;

	if (arr < GPT_MIN_ARRAY_BYTES)
		arr = GPT_MIN_ARRAY_BYTES;
	if ((pt->flags & LB_PTF_GPT_PRIMARY_BAD) ||
	    f.lbas < pt->first_usable + 2 + (arr + f.ss - 1) / f.ss) {
		report(rep, "%s; table left as written",
		       pt->flags & LB_PTF_GPT_PRIMARY_BAD ?
		       "the primary GPT is damaged (only the backup is valid)" :
		       "the disk is too small for a GPT backup");
		rep->warn = 1;
		return 0;
	}
	uint64_t barr = f.lbas - 1 - (arr + f.ss - 1) / f.ss;
	uint64_t new_last = barr - 1;
	if (lb_pt_check_fit(ctx, pt, dev->size)) {
		/* e.g. an image cut right after its last partition (C009)
		 * restored onto a disk of that size: nothing to put where */
		report(rep, "no room for a backup GPT after the last partition (%.200s); table left as written",
		       ctx->msg);
		rep->warn = 1;
		ctx->msg[0] = 0;
		return 0;
	}
	if ((r = load_gpt(ctx, dev, pt, &f)))
		goto out;
	uint64_t old_alt = lb_le64(f.hdr + GPT_ALTERNATE_LBA);
	int need = old_alt != f.lbas - 1 || pt->last_usable != new_last ||
		   (pt->flags & (LB_PTF_GPT_BACKUP_BAD | LB_PTF_GPT_BACKUP_MOVED));
	if (o && o->grow_last)
		gpt_grow(&f, pt, new_last, rep);
	if (o && o->new_ids)
		gpt_new_ids(&f, pt, rep);
	if (!need && !rep->grew_part && !rep->new_ids)
		goto out;
	lb_put_le64(f.hdr + GPT_ALTERNATE_LBA, f.lbas - 1);
	lb_put_le64(f.hdr + GPT_LAST_USABLE, new_last);
	if ((r = gpt_write(ctx, dev, &f, barr, old_alt)))
		goto out;
	rep->changed = rep->moved_backup = 1;
	report(rep, "GPT backup header written at LBA %llu and entry array at LBA %llu; LastUsableLBA %llu",
	       (unsigned long long)(f.lbas - 1), (unsigned long long)barr,
	       (unsigned long long)new_last);
out:
	free(f.ent);
	return r;
}

/* Rewrites a protective MBR's 0xEE record as UEFI 5.2.3 asks. */
static int fix_pmbr(struct lb_ctx *ctx, struct lb_dev *dev, const struct lb_pt *pt,
		    const struct lb_pt_fixup_opts *o, struct lb_pt_fixup_report *rep)
{
	uint64_t lbas = dev->size / pt->sector;
	uint32_t size = lbas - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(lbas - 1);
	uint8_t s[512];
	int r;

	if (pt->pmbr != LB_PMBR_PROTECTIVE || (o && o->keep_pmbr))
		return 0;
	if ((r = lb_pt_pread(ctx, dev, s, sizeof(s), 0)))
		return r;
	for (int i = 0; i < 4; i++) {
		uint8_t *rec = s + MBR_TABLE + 16 * i;
		if (rec[MBR_REC_TYPE] != 0xee)
			continue;
		if (lb_le32(rec + MBR_REC_START) == 1 &&
		    lb_le32(rec + MBR_REC_SIZE) == size)
			return 0;
		static const uint8_t good[8] = { 0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff };
		memcpy(rec, good, 8);
		lb_put_le32(rec + MBR_REC_START, 1);
		lb_put_le32(rec + MBR_REC_SIZE, size);
		if ((r = pwrite_all(ctx, dev, s, sizeof(s), 0)))
			return r;
		rep->changed = rep->fixed_pmbr = 1;
		report(rep, "protective MBR set to LBA 1, %u sectors", size);
		return 0;
	}
	return 0;
}

/* MBR: grow the last primary partition, new disk signature. */
static int fix_mbr(struct lb_ctx *ctx, struct lb_dev *dev, const struct lb_pt *pt,
		   const struct lb_pt_fixup_opts *o, struct lb_pt_fixup_report *rep)
{
	uint64_t lbas = dev->size / pt->sector, end = 0;
	uint8_t s[512], *best = NULL;
	int r, num = 0;

	if (!o || (!o->grow_last && !o->new_ids))
		return 0;
	if ((r = lb_pt_pread(ctx, dev, s, sizeof(s), 0)))
		return r;
	for (size_t i = 0; i < pt->nparts; i++)
		if (pt->parts[i].start_lba + pt->parts[i].size_lba > end)
			end = pt->parts[i].start_lba + pt->parts[i].size_lba;
	for (int i = 0; o->grow_last && i < 4; i++) {
		uint8_t *rec = s + MBR_TABLE + 16 * i;
		if (rec[MBR_REC_TYPE] && lb_le32(rec + MBR_REC_START) +
		    (uint64_t)lb_le32(rec + MBR_REC_SIZE) == end)
			best = rec, num = i + 1;
	}
	if (o->grow_last && best && (best[MBR_REC_TYPE] == 0x05 ||
	    best[MBR_REC_TYPE] == 0x0f || best[MBR_REC_TYPE] == 0x85))
		report(rep, "the last partition is a logical one; not grown"), best = NULL;
	if (best) {
		uint64_t st = lb_le32(best + MBR_REC_START);
		uint64_t nsz = (lbas > 0xffffffffu ? 0xffffffffu : lbas) - st;
		rep->grew_part = num;
		rep->grew_from_lba = end - 1;
		rep->grew_to_lba = st + nsz - 1;
		lb_put_le32(best + MBR_REC_SIZE, (uint32_t)nsz);
		report(rep, "partition %d: table entry grown from last LBA %llu to %llu",
		       num, (unsigned long long)(end - 1),
		       (unsigned long long)(st + nsz - 1));
	}
	if (o->new_ids) {
		uint32_t sig = 0;
		while (!sig && getrandom(&sig, 4, 0) == 4)
			;
		lb_put_le32(s + MBR_DISK_SIG, sig ? sig : 0x4c424f41);
		rep->new_ids = 1;
		report(rep, "new MBR disk signature %08x", lb_le32(s + MBR_DISK_SIG));
	}
	rep->changed = 1;
	return pwrite_all(ctx, dev, s, sizeof(s), 0);
}

int lb_pt_fixup_for_target(struct lb_ctx *ctx, struct lb_dev *dev,
			   uint64_t target_size,
			   const struct lb_pt_fixup_opts *opts,
			   struct lb_pt_fixup_report *report_out)
{
	struct lb_pt_fixup_report tmp, *rep = report_out ? report_out : &tmp;
	struct lb_pt *pt = malloc(sizeof(*pt));
	int r;

	memset(rep, 0, sizeof(*rep));
	if (!pt)
		return -ENOMEM;
	uint64_t dev_size = dev->size;
	if (target_size && target_size < dev->size)
		dev->size = target_size;   /* honour a caller's smaller size */
	if ((r = lb_pt_read_choice(ctx, dev, opts ? opts->table : LB_TABLE_AUTO,
				   pt)))
		goto out;
	if (pt->raw) {
		report(rep, "partition table not trusted (%.1000s); left as written", pt->notes);
		rep->warn = 1;
		rep->untrusted = 1;     /* --grow-last says why (trial 2 F2) */
		rep->pt_flags = pt->flags;
		goto out;
	}
	if (pt->kind == LB_PT_GPT) {
		if (!(r = fix_gpt(ctx, dev, pt, opts, rep)))
			r = fix_pmbr(ctx, dev, pt, opts, rep);
	} else if (pt->kind == LB_PT_MBR) {
		r = fix_mbr(ctx, dev, pt, opts, rep);
	}
	if (!r && !rep->changed && !rep->warn)
		report(rep, "partition table already right for this disk");
	if (!r && rep->changed)
		r = lb_dev_flush(dev);
out:
	dev->size = dev_size;
	free(pt);
	return r;
}
