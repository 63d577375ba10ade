/*
 * pt_gpt.c — GUID partition tables: both headers, both entry arrays.
 *
 * UEFI spec 5.3.2 lists the checks a header must pass; we make them all
 * (signature, HeaderSize, HeaderCRC32 with the field zeroed, MyLBA, the
 * usable range, the entry geometry, the entry array's CRC).  The primary
 * at LBA 1 is trusted when valid, else the backup (found through the
 * primary's AlternateLBA, or at the last LBA).  Every one of
 * NumberOfPartitionEntries entries is looked at, so an unused entry in the
 * middle hides nothing (case C017), and entry numbers stay index + 1.
 * A failing disk (issue 6): each header and array is read by the sectors
 * it lies in, so a bad neighbour costs nothing; an unreadable backup is a
 * missing backup, an unreadable primary with a valid backup gives the
 * backup, and either is said with the LBA that did not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pt.h"
#include "pt_disk.h"

#define GPT_MAX_ENTRIES 65536u
#define GPT_MAX_ARRAY (16u << 20)   /* bytes; real tables use 16 KiB */

struct gpt_hdr {
	uint8_t raw[4096];
	uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
	uint32_t nentries, entry_size, entries_crc;
	uint8_t *entries;       /* nentries * entry_size bytes, malloc'd */
	char why[128];          /* an unreadable sector, in words */
};

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

/* Checks the header fields; returns NULL when fine, else the reason.
 * AVAIL: bytes of the header's sector that could be read (HeaderSize
 * must lie inside them). */
static const char *check_header(struct gpt_hdr *h, uint32_t ss, uint64_t lba,
				uint64_t disk_lbas, uint32_t avail)
{
	uint8_t tmp[4096];
	uint32_t hsize = lb_le32(h->raw + GPT_HEADER_SIZE);

	if (memcmp(h->raw + GPT_SIGNATURE, "EFI PART", 8))
		return "no EFI PART signature";
	if (hsize < GPT_HEADER_MIN || hsize > ss)
		return "HeaderSize out of range";
	if (hsize > avail)
		return NULL;    /* the caller says which sector did not read */
	memcpy(tmp, h->raw, hsize);
	memset(tmp + GPT_HEADER_CRC, 0, 4);
	if (crc32_of(tmp, hsize) != lb_le32(h->raw + GPT_HEADER_CRC))
		return "header CRC32 mismatch";
	h->my_lba = lb_le64(h->raw + GPT_MY_LBA);
	h->alt_lba = lb_le64(h->raw + GPT_ALTERNATE_LBA);
	h->first_usable = lb_le64(h->raw + GPT_FIRST_USABLE);
	h->last_usable = lb_le64(h->raw + GPT_LAST_USABLE);
	h->entries_lba = lb_le64(h->raw + GPT_ENTRIES_LBA);
	h->nentries = lb_le32(h->raw + GPT_NUM_ENTRIES);
	h->entry_size = lb_le32(h->raw + GPT_ENTRY_SIZE);
	h->entries_crc = lb_le32(h->raw + GPT_ENTRIES_CRC);
	if (h->my_lba != lba)
		return "MyLBA does not match the header's position";
	if (h->first_usable > h->last_usable)
		return "FirstUsableLBA after LastUsableLBA";
	if (h->entry_size < 128 || h->entry_size % 8 || h->entry_size > 4096)
		return "SizeOfPartitionEntry invalid";
	if (h->nentries == 0 || h->nentries > GPT_MAX_ENTRIES ||
	    (uint64_t)h->nentries * h->entry_size > GPT_MAX_ARRAY)
		return "NumberOfPartitionEntries out of range";
	uint64_t arr = ((uint64_t)h->nentries * h->entry_size + ss - 1) / ss;
	if (h->entries_lba < 2 || h->entries_lba + arr > disk_lbas)
		return "entry array outside the disk";
	return NULL;
}

/* H->why for an unreadable sector: WHAT, its LBA (of SS-byte sectors) and,
 * when that is not a whole 512-byte sector of its own, the byte. */
static int unreadable(struct gpt_hdr *h, const char *what, uint64_t bad,
		      uint32_t ss, const char **why)
{
	if (ss == 512)
		snprintf(h->why, sizeof(h->why), "%s unreadable (I/O error at LBA %llu)",
			 what, (unsigned long long)(bad / ss));
	else
		snprintf(h->why, sizeof(h->why), "%s unreadable (I/O error at byte %llu, in LBA %llu of %u-byte sectors)",
			 what, (unsigned long long)bad,
			 (unsigned long long)(bad / ss), ss);
	*why = h->why;
	return 2;
}

/* Reads and checks the header at LBA and its entry array, each by the
 * sectors it lies in (a bad neighbour fails nothing).  Returns 0 when
 * valid, 1 when not (reason in *why), 2 when a sector it needs did not
 * read (*why says which), negative errno on other failures. */
static int read_gpt(struct lb_ctx *ctx, struct lb_dev *dev, uint32_t ss,
		    uint64_t lba, struct gpt_hdr *h, const char **why)
{
	uint64_t disk_lbas = dev->size / ss, bad = 0;
	uint32_t avail = ss;
	int r;

	h->entries = NULL;
	if (lba >= disk_lbas) {
		*why = "outside the disk";
		return 1;
	}
	if ((r = lb_pt_read_sectors(ctx, dev, h->raw, ss, lba * ss, &bad)) < 0)
		return r;
	if (r == 1)
		avail = (uint32_t)(bad - lba * ss);
	if (r == 1 && avail < GPT_HEADER_MIN)
		return unreadable(h, "header", bad, ss, why);
	if ((*why = check_header(h, ss, lba, disk_lbas, avail)))
		return 1;
	if (lb_le32(h->raw + GPT_HEADER_SIZE) > avail)
		return unreadable(h, "header", bad, ss, why);
	size_t n = (size_t)h->nentries * h->entry_size;
	if (!(h->entries = malloc(n)))
		return -ENOMEM;
	r = lb_pt_read_sectors(ctx, dev, h->entries, n, h->entries_lba * ss, &bad);
	if (r == 0 && crc32_of(h->entries, n) != h->entries_crc) {
		*why = "entry array CRC32 mismatch";
		r = -1;
	}
	if (r) {
		free(h->entries);
		h->entries = NULL;
	}
	return r == 1 ? unreadable(h, "entry array", bad, ss, why) :
	       r == -1 ? 1 : r;
}

static void utf16_name(const uint8_t *p, char *out, size_t outlen)
{
	size_t o = 0;
	for (int i = 0; i < 36; i++) {
		unsigned c = lb_le16(p + 2 * i);
		if (!c)
			break;
		if (c < 0x80 && o + 1 < outlen)
			out[o++] = (char)c;
		else if (c < 0x800 && o + 2 < outlen) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c >= 0x800 && o + 3 < outlen) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = 0;
}

static void take_entries(struct lb_pt *pt, const struct gpt_hdr *h)
{
	static const uint8_t zero[16];

	for (uint32_t i = 0; i < h->nentries; i++) {
		const uint8_t *e = h->entries + (size_t)i * h->entry_size;
		if (!memcmp(e + GPTE_TYPE, zero, 16))
			continue;
		if (pt->nparts >= LB_PT_MAX) {
			lb_pt_note(pt, "more than %d GPT entries in use; the rest are ignored",
				   LB_PT_MAX);
			pt->raw = 1;
			return;
		}
		struct lb_pt_part *p = &pt->parts[pt->nparts++];
		memset(p, 0, sizeof(*p));
		uint64_t first = lb_le64(e + GPTE_FIRST), last = lb_le64(e + GPTE_LAST);
		p->number = i + 1;
		p->start_lba = first;
		p->size_lba = last >= first ? last - first + 1 : 0;
		memcpy(p->type_guid, e + GPTE_TYPE, 16);
		memcpy(p->guid, e + GPTE_GUID, 16);
		p->attrs = lb_le64(e + GPTE_ATTRS);
		utf16_name(e + GPTE_NAME, p->name, sizeof(p->name));
		if (last < first) {
			lb_pt_note(pt, "GPT entry %u ends (LBA %llu) before it starts (LBA %llu)",
				   i + 1, (unsigned long long)last,
				   (unsigned long long)first);
			pt->raw = 1;
		} else if (first < h->first_usable || last > h->last_usable) {
			lb_pt_note(pt, "GPT entry %u (LBA %llu-%llu) lies outside the usable range %llu-%llu",
				   i + 1, (unsigned long long)first,
				   (unsigned long long)last,
				   (unsigned long long)h->first_usable,
				   (unsigned long long)h->last_usable);
		}
	}
}

static void take_header(struct lb_pt *pt, const struct gpt_hdr *h, uint32_t ss)
{
	pt->kind = LB_PT_GPT;
	pt->sector = ss;
	memcpy(pt->disk_guid, h->raw + GPT_DISK_GUID, 16);
	pt->first_usable = h->first_usable;
	pt->last_usable = h->last_usable;
	pt->alternate_lba = h->alt_lba;
	pt->nentries = h->nentries;
	pt->entry_size = h->entry_size;
	take_entries(pt, h);
}

/* Compares what both valid copies say; a difference is reported. */
static void compare_copies(struct lb_pt *pt, const struct gpt_hdr *p,
			   const struct gpt_hdr *b)
{
	if (memcmp(p->raw + GPT_DISK_GUID, b->raw + GPT_DISK_GUID, 16) ||
	    p->entries_crc != b->entries_crc || p->nentries != b->nentries ||
	    p->first_usable != b->first_usable ||
	    p->last_usable != b->last_usable)
		lb_pt_note(pt, "primary and backup GPT differ; the primary is used");
}

/* Where a GPT was looked for and a sector did not read, though no GPT
 * was found: kept for the note of the table that is used (pt.c). */
static void no_gpt_io(struct lb_pt *pt, int rp, const char *pwhy, int rb,
		      const char *bwhy, uint64_t last)
{
	if (pt->gpt_io[0] || (rp != 2 && rb != 2))
		return;
	if (rp == 2)
		snprintf(pt->gpt_io, sizeof(pt->gpt_io), "primary GPT %.90s", pwhy);
	else
		snprintf(pt->gpt_io, sizeof(pt->gpt_io), "backup GPT %.100s, in the disk's last sector (LBA %llu)",
			 bwhy, (unsigned long long)last);
}

/* The backup: at the primary's AlternateLBA when valid and not the last
 * LBA, else (or when that fails) at the last LBA.  Returns like read_gpt;
 * an unreadable AlternateLBA with nothing valid at the end stays 2. */
static int read_backup(struct lb_ctx *ctx, struct lb_dev *dev, uint32_t ss,
		       const struct gpt_hdr *p, int rp, struct gpt_hdr *b,
		       const char **why)
{
	uint64_t last = dev->size / ss - 1;
	char first[128] = "";
	int rb = 1, r0;

	if (rp == 0 && p->alt_lba != last)
		rb = read_gpt(ctx, dev, ss, p->alt_lba, b, why);
	if (rb != 1 && rb != 2)
		return rb;
	r0 = rb;
	if (rb == 2)
		snprintf(first, sizeof(first), "%s", *why);
	rb = read_gpt(ctx, dev, ss, last, b, why);
	if (rb == 1 && r0 == 2) {
		snprintf(b->why, sizeof(b->why), "%s", first);
		*why = b->why;
		rb = 2;
	}
	return rb;
}

int lb_pt_read_gpt(struct lb_ctx *ctx, struct lb_dev *dev, uint32_t ss,
		   struct lb_pt *pt)
{
	struct gpt_hdr *p = calloc(2, sizeof(*p)), *b = p + 1;
	uint64_t last = dev->size / ss - 1;
	const char *pwhy = NULL, *bwhy = NULL;
	int rp, rb;

	if (!p)
		return -ENOMEM;
	if (dev->size / ss < 3) {
		free(p);
		return 1;
	}
	rp = read_gpt(ctx, dev, ss, 1, p, &pwhy);
	if (rp < 0)
		goto out;
	rb = read_backup(ctx, dev, ss, p, rp, b, &bwhy);
	if (rb < 0) {
		rp = rb;
		goto out;
	}
	if (rp && rb) {
		no_gpt_io(pt, rp, pwhy, rb, bwhy, last);
		rp = 1;         /* no valid GPT at this sector size */
		goto out;
	}
	if (rp == 0) {
		take_header(pt, p, ss);
		if (rb == 0)
			compare_copies(pt, p, b);
	} else {
		pt->flags |= LB_PTF_GPT_PRIMARY_BAD;
		if (rp == 2)
			lb_pt_note(pt, "primary GPT %s; using the backup at LBA %llu",
				   pwhy, (unsigned long long)b->my_lba);
		else
			lb_pt_note(pt, "primary GPT at LBA 1 is invalid (%s); using the backup at LBA %llu",
				   pwhy, (unsigned long long)b->my_lba);
		take_header(pt, b, ss);
	}
	if (rp == 2 || rb == 2)
		pt->flags |= LB_PTF_IO;
	if (rb == 2) {
		pt->flags |= LB_PTF_GPT_BACKUP_BAD;
		lb_pt_note(pt, "backup GPT %s; the primary is used (as with a missing backup)",
			   bwhy);
	} else if (rb) {
		pt->flags |= LB_PTF_GPT_BACKUP_BAD;
		lb_pt_note(pt, "backup GPT missing or invalid (%s; header says LBA %llu, disk ends at LBA %llu)",
			   bwhy, (unsigned long long)p->alt_lba,
			   (unsigned long long)last);
	} else if (b->my_lba != last) {
		pt->flags |= LB_PTF_GPT_BACKUP_MOVED;
		lb_pt_note(pt, "backup GPT at LBA %llu, not at the last LBA %llu",
			   (unsigned long long)b->my_lba,
			   (unsigned long long)last);
	}
	rp = 0;
out:
	free(p->entries);
	free(b->entries);
	free(p);
	return rp;
}
