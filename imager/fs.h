/*
 * fs.h — which blocks of a filesystem are in use.
 *
 * lb_fs_used() probes the filesystem in a byte range of a device with
 * libblkid and asks the reader for its type for the used blocks:
 *   ext2/3/4   fs_ext.c    block bitmaps through e2fsprogs' libext2fs
 *   FAT12/16/32 fs_fat.c   the FAT itself (non-zero entry = used)
 *   exFAT      fs_exfat.c  the allocation bitmap found in the root dir
 *   NTFS       fs_ntfs.c   $Bitmap, read through $MFT record 6's runlist
 *   swap       fs.c        the header page only
 * Anything else — unknown, encrypted (LUKS, BitLocker), LVM, md RAID, a
 * filesystem that was not cleanly unmounted, a hibernated NTFS, a bitmap
 * that fails its own checks — is imaged raw: the whole range (the image
 * writer then stores every non-zero cluster).  Every fallback says why in
 * info->reason, and no reader ever guesses.
 *
 * Readers return 0 (map filled, mode used-blocks), 1 (fall back to raw,
 * reason set) or a negative errno (only for -ENOMEM: I/O errors while
 * reading metadata are a reason to go raw, not to fail the backup).
 * Offsets in maps are bytes from the start of the device, not the range.
 */
#ifndef LB_FS_H
#define LB_FS_H

#include <stdint.h>
#include "lifeboat.h"
#include "dev.h"
#include "extmap.h"

enum lb_fs_mode { LB_FS_USED = 0, LB_FS_RAW = 1 };

struct lb_fs_info {
	char type[32];          /* libblkid's name: "ext4", "vfat", "ntfs", ... */
	char version[16];       /* "FAT32", "1.0", ... */
	char label[64];
	char uuid[64];
	enum lb_fs_mode mode;
	char reason[192];       /* why this mode, in words */
	uint64_t used_bytes;    /* bytes marked used (the whole range if raw) */
	/* Added by engineer L1, additive: bytes the filesystem itself spans
	 * from its start (its superblock's size), set by each reader; bytes
	 * of the range after it are kept raw by lb_fs_used.  0: the range. */
	uint64_t fs_bytes;
};

/* Fills MAP with the used bytes of the filesystem in [off, off+len) of
 * DEV (offsets in MAP are from DEV's start) and INFO with what was found
 * and which mode it got.  Returns 0 (also when falling back to raw) or
 * -ENOMEM. */
int lb_fs_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
	       uint64_t len, struct lb_extmap *map, struct lb_fs_info *info);

/* Probes type, version, label and UUID only (libblkid), no used map.
 * Returns 0 when something was found, 1 when nothing, -EINVAL when
 * libblkid found more than one signature (reason in info->reason). */
int lb_fs_probe(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		uint64_t len, struct lb_fs_info *info);

/* The same for a later session of a multi-session optical image: SESSION
 * is the session's byte offset (libblkid's "session_offset" hint). */
int lb_fs_probe_session(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
			uint64_t len, uint64_t session, struct lb_fs_info *info);

/* The per-filesystem readers (same arguments and returns as lb_fs_used,
 * minus the fallback, which lb_fs_used applies). */
int lb_fs_ext_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		   uint64_t len, struct lb_extmap *map, struct lb_fs_info *info);
int lb_fs_fat_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		   uint64_t len, struct lb_extmap *map, struct lb_fs_info *info);
int lb_fs_exfat_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		     uint64_t len, struct lb_extmap *map, struct lb_fs_info *info);
int lb_fs_ntfs_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		    uint64_t len, struct lb_extmap *map, struct lb_fs_info *info);

/* For the readers' metadata reads (issue 6: a failing disk): lb_fs_read,
 * and when it fails, finds the first 512-byte piece of [OFF, OFF+N) that
 * does not read, sets raw mode with "I/O error at byte B while reading its
 * WHAT" in INFO and returns 1 (that filesystem is imaged raw; the others
 * keep their maps).  0 when all read; -ENOMEM as is.  fs.c. */
int lb_fs_read_meta(struct lb_dev *dev, void *buf, size_t n, uint64_t off,
		    struct lb_fs_info *info, const char *what);

/* After a restore or clone wrote WRITTEN bytes of a filesystem into a
 * larger DEV (a bigger partition): NTFS expects its backup boot sector in
 * the partition's last sector, so a copy of the boot sector goes there
 * (case C053; the volume is not grown).  Anything else: nothing.  Returns
 * 0 or the write error. */
int lb_fs_after_write(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t written);

/* Reads exactly N bytes at byte OFF of DEV; 0, -EIO on a short read, or
 * the device's negative errno.  Never writes ctx->msg (readers turn read
 * failures into a raw fallback with a reason). */
int lb_fs_read(struct lb_dev *dev, void *buf, size_t n, uint64_t off);

/* Sets info->mode raw and info->reason; returns 1 for "fall back". */
int lb_fs_raw(struct lb_fs_info *info, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
