/*
 * fs_ext.c — used blocks of ext2/3/4 through e2fsprogs' libext2fs.
 *
 * libext2fs reads the group descriptors and block bitmaps and handles
 * flex_bg, meta_bg, 64bit, bigalloc (the bitmap counts clusters) and
 * BLOCK_UNINIT groups (bitmaps computed from the layout).  Opened
 * read-only through the unix I/O manager with an "offset=" option, so a
 * partition needs no kernel node.  We refuse to trust, and image raw:
 * a journal that needs recovery (replay would write blocks the bitmap
 * calls free, case C044), an unclean or error-marked state (C045 says a
 * damaged fs must still be saveable: raw saves everything), a bitmap that
 * fails its checksum, and a bitmap whose used count disagrees with the
 * group descriptors' free counts (C042).  Block 0 and the superblock
 * area are always stored.  A block bitmap that does not read (a failing
 * disk) makes this filesystem raw with the byte of the failed read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>
#include "fs.h"

/* Where libext2fs's reads failed (its I/O channel's read_error hook), so
 * that a filesystem imaged raw for an unreadable sector says where. */
struct ext_ioerr {
	int seen;
	unsigned long long block;       /* in the channel's blocks, fs-relative */
	long long bytes;                /* length of the failed read */
	int block_size;
};

static errcode_t on_read_error(io_channel ch, unsigned long block, int count,
			       void *data, size_t size, int actual,
			       errcode_t error)
{
	ext2_filsys fs = ch->app_data;          /* libext2fs sets it so */
	struct ext_ioerr *e = fs && fs->magic == EXT2_ET_MAGIC_EXT2FS_FILSYS ?
			      fs->priv_data : NULL;

	if (e && !e->seen) {
		e->seen = 1;
		e->block = block;
		e->block_size = ch->block_size;
		e->bytes = count < 0 ? -(long long)count :
			   (long long)count * ch->block_size;
	}
	return error;
}

/* The raw reason for a failed metadata read: the byte when the hook saw
 * the failed read, else libext2fs's words. */
static int io_raw(struct lb_fs_info *info, const struct ext_ioerr *x,
		  uint64_t base, const char *what, errcode_t e)
{
	if (x->seen)
		return lb_fs_raw(info, "ext: I/O error at byte %llu (a %lld-byte read) while reading its %s: imaged raw",
				 (unsigned long long)(base + x->block * (uint64_t)x->block_size),
				 x->bytes, what);
	return lb_fs_raw(info, "ext: %s unreadable or failing its checksum: %s",
			 what, error_message(e));
}

static int check_state(ext2_filsys fs, struct lb_fs_info *info)
{
	struct ext2_super_block *sb = fs->super;

	if (ext2fs_has_feature_journal_needs_recovery(sb))
		return lb_fs_raw(info, "ext: journal needs recovery (not cleanly unmounted): imaged raw");
	if (sb->s_state & EXT2_ERROR_FS)
		return lb_fs_raw(info, "ext: filesystem is marked as having errors: imaged raw");
	if (!(sb->s_state & EXT2_VALID_FS))
		return lb_fs_raw(info, "ext: not cleanly unmounted: imaged raw");
	if (ext2fs_has_feature_journal_dev(sb))
		return lb_fs_raw(info, "ext: external journal device: imaged raw");
	return 0;
}

/* Used clusters from the bitmap against the descriptors' free counts. */
static int check_counts(ext2_filsys fs, struct lb_fs_info *info)
{
	blk64_t used = 0, free_gd = 0;
	blk64_t first = fs->super->s_first_data_block;
	blk64_t last = ext2fs_blocks_count(fs->super) - 1;
	blk64_t total = EXT2FS_NUM_B2C(fs, last - first + 1);
	errcode_t e = ext2fs_count_used_clusters(fs, first, last, &used);

	if (e)
		return lb_fs_raw(info, "ext: counting the block bitmap failed: %s",
				 error_message(e));
	for (dgrp_t g = 0; g < fs->group_desc_count; g++)
		free_gd += ext2fs_bg_free_blocks_count(fs, g);
	if (used + free_gd != total)
		return lb_fs_raw(info, "ext: block bitmap (%llu clusters used) disagrees with the group descriptors (%llu free of %llu): imaged raw",
				 (unsigned long long)used,
				 (unsigned long long)free_gd,
				 (unsigned long long)total);
	return 0;
}

static int add_runs(ext2_filsys fs, uint64_t off, struct lb_extmap *map)
{
	ext2fs_block_bitmap bm = fs->block_map;
	blk64_t end = ext2fs_blocks_count(fs->super) - 1;
	blk64_t b = fs->super->s_first_data_block, s, z;
	uint64_t bs = fs->blocksize;
	int r = lb_extmap_add(map, off, 4096);     /* boot block, superblock */

	while (!r && b <= end) {
		if (ext2fs_find_first_set_block_bitmap2(bm, b, end, &s))
			break;
		if (ext2fs_find_first_zero_block_bitmap2(bm, s, end, &z))
			z = end + 1;
		r = lb_extmap_add(map, off + s * bs, (z - s) * bs);
		b = z;
	}
	return r;
}

int lb_fs_ext_used(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t off,
		   uint64_t len, struct lb_extmap *map, struct lb_fs_info *info)
{
	char opts[64];
	struct ext_ioerr iox = { 0 };
	ext2_filsys fs = NULL;
	errcode_t e;
	int r;

	snprintf(opts, sizeof(opts), "offset=%llu",
		 (unsigned long long)(dev->base + off));
	e = ext2fs_open2(dev->path, opts, EXT2_FLAG_64BITS, 0, 0,
			 unix_io_manager, &fs);
	if (e)
		return lb_fs_raw(info, "ext: libext2fs cannot open it: %s",
				 error_message(e));
	if ((uint64_t)ext2fs_blocks_count(fs->super) * fs->blocksize > len) {
		r = lb_fs_raw(info, "ext: filesystem (%llu blocks) is larger than its partition",
			      (unsigned long long)ext2fs_blocks_count(fs->super));
		goto out;
	}
	info->fs_bytes = (uint64_t)ext2fs_blocks_count(fs->super) * fs->blocksize;
	if ((r = check_state(fs, info)))
		goto out;
	fs->priv_data = &iox;
	if (fs->io)
		fs->io->read_error = on_read_error;
	if ((e = ext2fs_read_block_bitmap(fs))) {
		r = io_raw(info, &iox, dev->base + off, "block bitmap", e);
		goto out;
	}
	if ((r = check_counts(fs, info)) || (r = add_runs(fs, off, map)))
		goto out;
	snprintf(info->reason, sizeof(info->reason),
		 "used blocks from the %s block bitmaps (%u-byte blocks%s)",
		 info->type, fs->blocksize,
		 ext2fs_has_feature_bigalloc(fs->super) ? ", bigalloc" : "");
out:
	ext2fs_close_free(&fs);
	return r;
}
