/*
 * pt_disk.h — on-disk layouts of the MBR and GPT, and the little-endian
 * accessors that partition-table and filesystem readers share.
 *
 * Offsets are bytes inside the named structure.  Sources: UEFI spec 2.10
 * section 5.2 (legacy MBR, protective MBR) and 5.3 (GPT header, entries).
 * Never borrowed from kernel or library headers: a reader names each field
 * it trusts, with its width, here.
 */
#ifndef LB_PT_DISK_H
#define LB_PT_DISK_H

#include <stdint.h>

static inline uint16_t lb_le16(const uint8_t *p)
{ return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t lb_le32(const uint8_t *p)
{ return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	 (uint32_t)p[3] << 24; }
static inline uint64_t lb_le64(const uint8_t *p)
{ return (uint64_t)lb_le32(p) | (uint64_t)lb_le32(p + 4) << 32; }
static inline void lb_put_le32(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24); }
static inline void lb_put_le64(uint8_t *p, uint64_t v)
{ lb_put_le32(p, (uint32_t)v); lb_put_le32(p + 4, (uint32_t)(v >> 32)); }

/* Legacy MBR (UEFI 5.2.1): four 16-byte records at 446, signature 55 AA. */
enum {
	MBR_DISK_SIG = 440,     /* u32 UniqueMBRDiskSignature */
	MBR_TABLE = 446,        /* 4 x 16-byte partition records */
	MBR_SIG = 510,          /* 0x55 0xAA */
	MBR_REC_STATUS = 0,     /* u8 0x00 or 0x80 (boot indicator) */
	MBR_REC_CHS_START = 1,  /* 3 bytes */
	MBR_REC_TYPE = 4,       /* u8 OSType; 0xEE GPT protective */
	MBR_REC_CHS_END = 5,
	MBR_REC_START = 8,      /* u32 StartingLBA */
	MBR_REC_SIZE = 12,      /* u32 SizeInLBA */
};

/* GPT header (UEFI 5.3.2), at LBA 1 and at the disk's last LBA. */
enum {
	GPT_SIGNATURE = 0,      /* "EFI PART" */
	GPT_REVISION = 8,       /* u32, 0x00010000 */
	GPT_HEADER_SIZE = 12,   /* u32, 92 <= size <= logical block size */
	GPT_HEADER_CRC = 16,    /* u32 CRC32 of HeaderSize bytes, this zeroed */
	GPT_MY_LBA = 24,        /* u64 */
	GPT_ALTERNATE_LBA = 32, /* u64 */
	GPT_FIRST_USABLE = 40,  /* u64 */
	GPT_LAST_USABLE = 48,   /* u64 */
	GPT_DISK_GUID = 56,     /* 16 bytes */
	GPT_ENTRIES_LBA = 72,   /* u64 PartitionEntryLBA */
	GPT_NUM_ENTRIES = 80,   /* u32 NumberOfPartitionEntries */
	GPT_ENTRY_SIZE = 84,    /* u32 SizeOfPartitionEntry, 128 * 2^n */
	GPT_ENTRIES_CRC = 88,   /* u32 PartitionEntryArrayCRC32 */
	GPT_HEADER_MIN = 92,
};

/* GPT partition entry (UEFI 5.3.3). */
enum {
	GPTE_TYPE = 0,          /* 16-byte PartitionTypeGUID, zero = unused */
	GPTE_GUID = 16,         /* UniquePartitionGUID */
	GPTE_FIRST = 32,        /* u64 StartingLBA */
	GPTE_LAST = 40,         /* u64 EndingLBA, inclusive */
	GPTE_ATTRS = 48,        /* u64 */
	GPTE_NAME = 56,         /* 36 UTF-16LE code units */
};

/* The spec reserves at least 16 KiB for each entry array (5.3.1). */
#define GPT_MIN_ARRAY_BYTES 16384u

#endif
