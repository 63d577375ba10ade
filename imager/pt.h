/*
 * pt.h — reading, validating and fixing up partition tables (MBR, GPT).
 *
 * lb_pt_read() parses the table of a disk (an lb_dev) into struct lb_pt and
 * says in flags/notes what is wrong with it: CRC errors, a missing or
 * misplaced backup GPT, a non-conformant or hybrid protective MBR, entries
 * that run past the disk's end or overlap, a bad EBR chain.  A table that
 * cannot be trusted for used-block imaging sets pt->raw (the whole disk is
 * then imaged sector by sector).  The parsers are our own (pt_mbr.c,
 * pt_gpt.c) because each of these findings must be reported by name with
 * its LBA; libblkid's partition prober, which is what the reference
 * images' expected results come from, is the referee in the probe tests.
 *
 * lb_pt_check_fit() decides before anything is written whether a table
 * fits a target of a given size; lb_pt_fixup_for_target() repairs the
 * table on a target after a restore or clone (GPT backup header and entry
 * array moved to the new last LBA, CRCs, protective MBR size; optionally
 * the last partition grown, new disk identifiers).
 *
 * Units: *_lba fields count logical sectors of pt->sector bytes; every
 * other size or offset is bytes.
 */
#ifndef LB_PT_H
#define LB_PT_H

#include <stdint.h>
#include "lifeboat.h"
#include "dev.h"
#include "extmap.h"

#define LB_PT_MAX 256           /* partitions we keep (GPT and logicals) */
#define LB_PT_MAX_EBR 128       /* bound on the EBR chain (libblkid: 100) */

enum lb_pt_kind { LB_PT_NONE = 0, LB_PT_MBR, LB_PT_GPT };
enum lb_pmbr { LB_PMBR_NONE = 0, LB_PMBR_PROTECTIVE, LB_PMBR_HYBRID };

/* Findings (pt->flags). */
enum {
	LB_PTF_GPT_PRIMARY_BAD = 1 << 0,  /* primary header/array bad: backup used */
	LB_PTF_GPT_BACKUP_BAD = 1 << 1,   /* backup header/array bad or missing */
	LB_PTF_GPT_BACKUP_MOVED = 1 << 2, /* backup not at the last LBA */
	LB_PTF_PMBR_ODD = 1 << 3,         /* 0xEE record not (1, disk-1) */
	LB_PTF_HYBRID = 1 << 4,           /* 0xEE plus real MBR records */
	LB_PTF_CONFLICT = 1 << 5,         /* valid GPT, MBR without 0xEE */
	LB_PTF_BEYOND_END = 1 << 6,       /* a partition ends past the disk */
	LB_PTF_OVERLAP = 1 << 7,          /* two partitions share sectors */
	LB_PTF_EBR_BAD = 1 << 8,          /* EBR chain loops, too long, outside */
	LB_PTF_NO_PMBR = 1 << 9,          /* valid GPT, sector 0 not an MBR */
	LB_PTF_IO = 1 << 10,              /* a table sector did not read (notes) */
};

struct lb_pt_part {
	uint32_t number;        /* GPT entry index + 1; MBR 1-4, logicals 5.. */
	uint64_t start_lba;     /* first sector */
	uint64_t size_lba;      /* sectors */
	uint8_t mbr_type;       /* MBR OSType, 0 on GPT */
	uint8_t type_guid[16];  /* GPT PartitionTypeGUID (as stored) */
	uint8_t guid[16];       /* GPT UniquePartitionGUID (as stored) */
	uint64_t attrs;         /* GPT attributes */
	char name[80];          /* GPT name as UTF-8 */
	int is_extended;        /* MBR extended container, holds no data */
	int is_logical;
};

struct lb_pt {
	enum lb_pt_kind kind;
	uint32_t sector;        /* bytes per logical sector the table uses */
	uint64_t disk_size;     /* bytes of the device read */
	size_t nparts;
	struct lb_pt_part parts[LB_PT_MAX];
	uint32_t mbr_signature; /* MBR disk signature (0 on none) */
	enum lb_pmbr pmbr;
	/* GPT header fields as read from the trusted header */
	uint8_t disk_guid[16];
	uint64_t first_usable, last_usable;
	uint64_t alternate_lba; /* where the trusted header says the other is */
	uint32_t nentries, entry_size;
	unsigned flags;         /* LB_PTF_* */
	int raw;                /* table not trusted: image every sector */
	char notes[1024];       /* findings in words, "; "-separated */
	/* C013: the table a caller's choice made trusted (LB_TABLE_AUTO: no
	 * choice decided anything), and byte ranges of the other table that
	 * must be stored although they may lie inside a chosen partition
	 * (the stale GPT's headers and entry arrays under --table mbr). */
	enum lb_table_choice chosen;
	unsigned nkeep;
	struct { uint64_t off, len; } keep[3];
	/* C013, set when the tables disagree: what each lists, in words
	 * ("#1 LBA 20480+16384, ..."), for the note and lb_table_conflict. */
	char gpt_list[200], mbr_list[200];
	/* Where looking for a GPT met an unreadable sector although no GPT
	 * was found ("LBA 16383 (...) unreadable (I/O error)"), for the note
	 * the table actually used gets; empty when every read worked. */
	char gpt_io[200];
};

/* Reads and validates the partition table of DEV.  The logical sector size
 * is DEV's (512 for files) unless a GPT header is found only at byte 4096
 * (then 4096) or only at 512.  A disk without a table gives kind
 * LB_PT_NONE and 0.  Damage is not an error: it is reported in flags,
 * notes and raw.  Nor is an unreadable sector (a media error, see
 * lb_pt_media_error; issue 6): sector 0 unreadable gives no table and raw;
 * an unreadable GPT header or entry array counts as a missing copy (the
 * other copy is used, the notes name the LBA); an MBR disk does not need
 * the last sector; an unreadable EBR ends the chain (LB_PTF_EBR_BAD).
 * Returns 0, or a negative errno for other failures (-ENOMEM, a read
 * error that is not the medium's; ctx->msg names the byte offset).
 * UEFI spec 5.2, 5.3. */
int lb_pt_read(struct lb_ctx *ctx, struct lb_dev *dev, struct lb_pt *pt);

/* lb_pt_read with a choice for a disk whose valid GPT and MBR (real
 * records, no 0xEE) disagree (case C013): LB_TABLE_AUTO leaves it
 * untrusted (raw) with a note naming both tables' partitions and the
 * --table flag; LB_TABLE_GPT trusts the GPT (sector 0 stays a table area);
 * LB_TABLE_MBR reads the MBR instead and keeps the GPT's areas in
 * pt->keep.  On any other disk the choice is noted as unused. */
int lb_pt_read_choice(struct lb_ctx *ctx, struct lb_dev *dev,
		      enum lb_table_choice choice, struct lb_pt *pt);

/* Internal entry points of pt_mbr.c and pt_gpt.c, called by lb_pt_read. */
int lb_pt_read_mbr(struct lb_ctx *ctx, struct lb_dev *dev, const uint8_t *s0,
		   struct lb_pt *pt);
int lb_pt_read_gpt(struct lb_ctx *ctx, struct lb_dev *dev, uint32_t sector,
		   struct lb_pt *pt);
void lb_pt_note(struct lb_pt *pt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 1 when R (a negative errno from a read) says the medium could not be
 * read there (EIO, ENODATA, EILSEQ, EREMOTEIO, EBADMSG, ETIMEDOUT): the
 * table reader then goes on without those sectors instead of failing. */
int lb_pt_media_error(int r);
/* Reads LEN bytes at byte OFF; when that fails with a media error, reads
 * them again 512 bytes at a time up to the first unreadable piece, whose
 * byte offset goes to *BAD (the rest of BUF is zeroed) and returns 1, with
 * ctx->msg cleared.  On a block device those sector reads use O_DIRECT
 * (a page-cache read fails with its whole 4 KiB page), so *BAD is the
 * sector that failed, not a neighbour.  0 when all read; other errors
 * negative (ctx->msg). */
int lb_pt_read_sectors(struct lb_ctx *ctx, struct lb_dev *dev, void *buf,
		       size_t len, uint64_t off, uint64_t *bad);
/* Reads exactly LEN bytes at OFF; -EIO with ctx->msg on a short read. */
int lb_pt_pread(struct lb_ctx *ctx, struct lb_dev *dev, void *buf,
		size_t len, uint64_t off);

/* Reads the table inside an open image (image.h's reader), as it would be
 * on the restored disk; the sector size is the one the image recorded.
 * pt_image.c.  Returns like lb_pt_read. */
struct lb_imgr;
int lb_pt_read_image(struct lb_ctx *ctx, struct lb_imgr *r, struct lb_pt *pt);

/* For lb_restore, before it opens the target: when TARGET (a whole disk,
 * offset 0) is smaller than *NEED bytes and the image's table fits it,
 * lowers *NEED to the target's size (the tail holds only the old GPT
 * backup and free space) and logs so; when a partition does not fit,
 * returns -LB_EREFUSED with the partition, its last LBA and the target's
 * size in ctx->msg, before anything is written.  A block-device target
 * whose logical sector size differs from the table's is refused the same
 * way (its partitions would not be found; case C025/SECTOR).  0 otherwise. */
struct lb_span;
int lb_pt_restore_fit(struct lb_ctx *ctx, struct lb_imgr *r,
		      const struct lb_span *target, uint64_t *need);

/* The same for lb_clone, with the table read from the source device. */
int lb_pt_clone_fit(struct lb_ctx *ctx, struct lb_dev *src,
		    const struct lb_span *target, uint64_t *need);

/* For restore and clone, after writing a whole disk: lb_pt_fixup_for_target
 * with these options; what was done goes to ctx->log. */
int lb_pt_after_write(struct lb_ctx *ctx, struct lb_dev *dev, int grow_last,
		      int new_ids);
/* The same, reading the target's table with CHOICE (C013): a GPT chosen
 * over a stale MBR gets its backup moved; sector 0 is never rewritten. */
int lb_pt_after_write_choice(struct lb_ctx *ctx, struct lb_dev *dev,
			     int grow_last, int new_ids,
			     enum lb_table_choice choice);
/* lb_pt_clone_fit / lb_pt_restore_fit with the table read by CHOICE. */
int lb_pt_clone_fit_choice(struct lb_ctx *ctx, struct lb_dev *src,
			   const struct lb_span *target, uint64_t *need,
			   enum lb_table_choice choice);
/* The choice a backup recorded in image R (its LBPT extension), or AUTO. */
enum lb_table_choice lb_pt_image_choice(const struct lb_imgr *r);

/* After a clone that kept the identifiers: logs (ctx->log) that the copy
 * has the source's disk GUID / MBR signature and must not be attached to
 * the same machine (cases C072, C074).  Returns 0 or a read error. */
int lb_pt_identity_note(struct lb_ctx *ctx, struct lb_dev *dev);
/* The same with the target's table read by CHOICE (C013): under --table
 * mbr it names the MBR disk signature, not the unused GPT's GUIDs. */
int lb_pt_identity_note_choice(struct lb_ctx *ctx, struct lb_dev *dev,
			       enum lb_table_choice choice);

/* Byte offset and length of partition P of PT. */
static inline uint64_t lb_pt_start(const struct lb_pt *pt,
				   const struct lb_pt_part *p)
{ return p->start_lba * pt->sector; }
static inline uint64_t lb_pt_bytes(const struct lb_pt *pt,
				   const struct lb_pt_part *p)
{ return p->size_lba * pt->sector; }

/* Adds to MAP every byte of [0, pt->disk_size) that lies outside all data
 * partitions: sector 0, the post-MBR gap up to the lowest partition start,
 * gaps between partitions, EBRs, both GPT areas, the tail.  (The writer
 * drops all-zero clusters, so empty gaps cost nothing.) */
int lb_pt_table_areas(const struct lb_pt *pt, struct lb_extmap *map);

/* Smallest target size in bytes that holds every partition of PT (for a
 * GPT, plus the backup entry array and header after the last one). */
uint64_t lb_pt_min_size(const struct lb_pt *pt);

/* 0 when a target of TARGET_SIZE bytes holds every partition of PT;
 * otherwise -ENOSPC with ctx->msg naming the first partition that does
 * not fit, its last LBA and the target's size.  Call before writing. */
int lb_pt_check_fit(struct lb_ctx *ctx, const struct lb_pt *pt,
		    uint64_t target_size);

struct lb_pt_fixup_opts {
	int grow_last;          /* extend the last partition's entry to the end */
	enum lb_table_choice table;     /* read the target's table so (C013) */
	int new_ids;            /* new disk/partition GUIDs, new MBR signature */
	int keep_pmbr;          /* leave a non-conformant protective MBR as is */
};

struct lb_pt_fixup_report {
	int changed;            /* anything written */
	int moved_backup;       /* GPT backup header+array (re)written at end */
	int fixed_pmbr;
	int grew_part;          /* number of the partition grown, 0: none */
	uint64_t grew_from_lba, grew_to_lba;   /* its old and new last LBA */
	int new_ids;
	int warn;               /* something could not be fixed: see text */
	char text[1400];        /* what was done, in words (the table's
				 * notes whole: trial 2 F2) */
	int untrusted;          /* the table was not trusted: nothing done */
	unsigned pt_flags;      /* LB_PTF_* of the table read */
};

/* After a restore or clone wrote a disk onto DEV (TARGET_SIZE bytes):
 * re-reads the table there and, for a GPT, writes the backup entry array
 * and header at the new last LBA with LastUsableLBA, AlternateLBA and both
 * CRCs updated, zeroes a stale backup header, and sets a protective MBR's
 * record to (1, min(disk-1, 0xFFFFFFFF)) (UEFI 5.2.3, 5.3.1-5.3.2).  An
 * MBR only changes with opts->grow_last or opts->new_ids.  The filesystem
 * inside a grown partition is not grown (REPORT says so).  REPORT may be
 * NULL.  Returns 0 or a negative errno (ctx->msg). */
int lb_pt_fixup_for_target(struct lb_ctx *ctx, struct lb_dev *dev,
			   uint64_t target_size,
			   const struct lb_pt_fixup_opts *opts,
			   struct lb_pt_fixup_report *report);

/* Before a restore or clone writes SRC (whose table PT was read; kind
 * LB_PT_NONE for a single volume) onto a target PATH with logical sectors
 * of SECTOR bytes (0: not a block device, nothing to check): refuses
 * (-LB_EREFUSED, ctx->msg naming the partition, the filesystem, both
 * sector sizes and why) when an NTFS, FAT or exFAT volume's boot sector
 * says another sector size (NTFS/FAT BPB byte 0x0B, exFAT
 * BytesPerSectorShift; cases C025, C026).  No conversion is done.
 * pt_sector.c. */
int lb_pt_sector_check(struct lb_ctx *ctx, struct lb_dev *src,
		       const struct lb_pt *pt, uint32_t sector,
		       const char *path);

/* Describes PT in a few lines of text for `lifeboat probe`/`info`. */
void lb_pt_describe(const struct lb_pt *pt, char *buf, size_t len);

const char *lb_pt_kind_name(enum lb_pt_kind k);

#endif
