/*
 * rescue_files.c — after a rescue, which files lost data: for every
 * ext2/3/4 filesystem in the rescued disk (a sparse raw copy, read with
 * e2fsprogs' libext2fs through its unix I/O manager and an "offset="
 * option, so partitions need no device node), walk the directory tree
 * from the root and report each inode whose blocks (data and extent/
 * indirect blocks) touch a byte the rescue map does not call finished.
 *
 * Bounded: at most WALK_MAX directory entries and DEPTH_MAX levels; each
 * inode is checked once (a seen-bitmap), so hard links and loops cost
 * nothing.  Filesystems whose span holds no unreadable byte are skipped
 * without being opened.  Lost metadata is listed too, per block group
 * (superblock/descriptors, bitmaps, inode table blocks as inode ranges,
 * and the journal); a path whose inode lies in a lost inode-table block
 * is named from its readable folder.  A lost primary superblock or group
 * 0 descriptors: opened from the first backup superblock (ext4 disk
 * layout, "Block Groups"; as e2fsck -b).  A filesystem that cannot be
 * opened at all is named in the log and by one line.  Each partition's
 * lines are bounded by rescue_badlist.c (lb_bad_list_begin/end).
 * FAT12/16/32 is walked by rescue_files_fat.c, NTFS by
 * rescue_files_ntfs.c, exFAT by rescue_files_exfat.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ext2fs/ext2fs.h>

#include "dev.h"
#include "probe.h"
#include "rescue_files.h"

#define WALK_MAX  (10u << 20)
#define DEPTH_MAX 64

struct walk {
	ext2_filsys fs;
	const struct lb_rmap *m;
	uint64_t base, bad;     /* partition start; bad bytes of this inode */
	uint64_t len;           /* partition bytes */
	uint32_t part;
	const char *fstype;
	uint8_t *seen;
	size_t entries;
	struct lb_bad_list out;
	int err;
};

static int blk_cb(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t cnt, blk64_t ref,
		  int off, void *priv)
{
	struct walk *w = priv;
	uint64_t bs = fs->blocksize;

	w->bad += lb_rmap_unfinished(w->m, w->base + *blk * bs, bs);
	return 0;
}

/* 1 when the inode table block holding inode INO was not rescued. */
static int inode_lost(struct walk *w, ext2_ino_t ino)
{
	ext2_filsys fs = w->fs;
	uint32_t ipg = fs->super->s_inodes_per_group;
	uint32_t ipb = fs->blocksize / EXT2_INODE_SIZE(fs->super);
	dgrp_t g = (ino - 1) / ipg;
	blk64_t b;

	if (!ino || g >= fs->group_desc_count || !ipb)
		return 0;
	b = ext2fs_inode_table_loc(fs, g) + ((ino - 1) % ipg) / ipb;
	return lb_rmap_unfinished(w->m, w->base + b * fs->blocksize,
				  fs->blocksize) != 0;
}

static void add(struct walk *w, const char *what, uint64_t bad)
{
	if (bad && !w->err &&
	    lb_bad_list_add(&w->out, w->part, w->fstype, what, bad))
		w->err = -ENOMEM;
}

/* Checks inode INO once; reports it under PATH when it lost bytes, or
 * when the inode itself was in a lost inode table block. */
static void check_inode(struct walk *w, ext2_ino_t ino, const char *path)
{
	char line[600];

	if (ino >= w->fs->super->s_inodes_count + 1 || w->seen[ino / 8] &
	    (1 << (ino % 8)))
		return;
	w->seen[ino / 8] |= (uint8_t)(1 << (ino % 8));
	if (inode_lost(w, ino)) {
		snprintf(line, sizeof line, "%s (inode %u, lost with its inode "
			 "table block)", path, ino);
		add(w, line, EXT2_INODE_SIZE(w->fs->super));
		return;
	}
	w->bad = 0;
	ext2fs_block_iterate3(w->fs, ino, BLOCK_FLAG_READ_ONLY, NULL, blk_cb, w);
	add(w, path, w->bad);
}

struct child { ext2_ino_t ino; char name[256]; };
struct kids { struct walk *w; const char *dir; struct child *v; size_t n, cap; };

static int dir_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
		  int offset, int blocksize, char *buf, void *priv)
{
	struct kids *k = priv;
	int len = ext2fs_dirent_name_len(de);
	char path[4096];

	if (de->inode == 0 || (len == 1 && de->name[0] == '.') ||
	    (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return 0;
	if (++k->w->entries > WALK_MAX || k->w->err)
		return DIRENT_ABORT;
	snprintf(path, sizeof path, "%s/%.*s", k->dir, len, de->name);
	if (ext2fs_dirent_file_type(de) == EXT2_FT_DIR) {
		if (k->n == k->cap) {
			size_t cap = k->cap ? k->cap * 2 : 16;
			struct child *v = realloc(k->v, cap * sizeof *v);
			if (!v)
				return k->w->err = -ENOMEM, DIRENT_ABORT;
			k->v = v;
			k->cap = cap;
		}
		k->v[k->n].ino = de->inode;
		snprintf(k->v[k->n++].name, 256, "%.*s", len, de->name);
	}
	check_inode(k->w, de->inode, path);
	return 0;
}

static void walk_dir(struct walk *w, ext2_ino_t dir, const char *path,
		     int depth)
{
	struct kids k = { .w = w, .dir = path };
	char sub[4096];

	if (depth > DEPTH_MAX)
		return;
	ext2fs_dir_iterate2(w->fs, dir, 0, NULL, dir_cb, &k);
	for (size_t i = 0; i < k.n && !w->err; i++) {
		snprintf(sub, sizeof sub, "%s/%s", path, k.v[i].name);
		walk_dir(w, k.v[i].ino, sub, depth + 1);
	}
	free(k.v);
}

static void log_line(struct lb_ctx *ctx, const char *fmt, uint32_t part,
		     const char *why)
{
	char line[512];

	if (ctx->log) {
		snprintf(line, sizeof line, fmt, part, why);
		ctx->log(line, ctx->user);
	}
}

/* Unfinished bytes of N blocks from block B. */
static uint64_t blk_bad(struct walk *w, blk64_t b, blk64_t n)
{
	return lb_rmap_unfinished(w->m, w->base + b * w->fs->blocksize,
				  n * w->fs->blocksize);
}

/* Lost runs of inode table blocks of group G, as inode numbers. */
static void ext_itable(struct walk *w, dgrp_t g)
{
	ext2_filsys fs = w->fs;
	uint32_t ipg = fs->super->s_inodes_per_group;
	uint32_t ipb = fs->blocksize / EXT2_INODE_SIZE(fs->super);
	blk64_t t = ext2fs_inode_table_loc(fs, g);
	uint64_t bad;
	char line[200];

	for (blk64_t i = 0; i < fs->inode_blocks_per_group && !w->err; i++) {
		blk64_t j = i;
		for (bad = 0; j < fs->inode_blocks_per_group; j++) {
			uint64_t b = blk_bad(w, t + j, 1);
			if (!b)
				break;
			bad += b;
		}
		if (j == i)
			continue;
		uint64_t first = (uint64_t)g * ipg + i * ipb + 1;
		uint64_t last = (uint64_t)g * ipg + j * ipb;
		if (last > (uint64_t)(g + 1) * ipg)
			last = (uint64_t)(g + 1) * ipg;
		snprintf(line, sizeof line, "inode table of group %u (inodes "
			 "%llu-%llu): the files with these inodes are lost",
			 g, (unsigned long long)first, (unsigned long long)last);
		add(w, line, bad);
		i = j;
	}
}

/* Superblock copy, descriptors and bitmaps of group G. */
static void ext_group(struct walk *w, dgrp_t g, blk64_t backup)
{
	ext2_filsys fs = w->fs;
	blk64_t sb, od, nd;
	blk_t used;
	uint64_t bad;
	char line[300];

	ext2fs_super_and_bgd_loc2(fs, g, &sb, &od, &nd, &used);
	bad = g == 0 ? lb_rmap_unfinished(w->m, w->base + 1024, 1024) :
	      sb ? blk_bad(w, sb, 1) : 0;
	bad += od ? blk_bad(w, od, fs->desc_blocks) : nd ? blk_bad(w, nd, 1) : 0;
	if (g == 0 && bad && blk_bad(w, backup, 1 + fs->desc_blocks))
		snprintf(line, sizeof line, "superblock / group descriptors "
			 "(the backup at block %llu was lost too)",
			 (unsigned long long)backup);
	else if (g == 0)
		snprintf(line, sizeof line, "superblock / group descriptors: "
			 "the backup at block %llu is intact (e2fsck -b %llu "
			 "can restore them)", (unsigned long long)backup,
			 (unsigned long long)backup);
	else
		snprintf(line, sizeof line, "backup superblock / group "
			 "descriptors of group %u", g);
	add(w, line, bad);
	snprintf(line, sizeof line, "block bitmap of group %u (e2fsck "
		 "rebuilds it)", g);
	add(w, line, blk_bad(w, ext2fs_block_bitmap_loc(fs, g), 1));
	snprintf(line, sizeof line, "inode bitmap of group %u (e2fsck "
		 "rebuilds it)", g);
	add(w, line, blk_bad(w, ext2fs_inode_bitmap_loc(fs, g), 1));
	ext_itable(w, g);
}

/* The metadata that lost bytes, group by group, then the journal. */
static void ext_meta(struct walk *w, blk64_t backup)
{
	ext2_ino_t j = w->fs->super->s_journal_inum;
	char line[64];

	for (dgrp_t g = 0; g < w->fs->group_desc_count && !w->err; g++)
		if (blk_bad(w, ext2fs_group_first_block2(w->fs, g),
			    ext2fs_group_blocks_count(w->fs, g)))
			ext_group(w, g, backup);
	if (j && j <= w->fs->super->s_inodes_count) {
		snprintf(line, sizeof line, "journal");
		check_inode(w, j, line);
	}
}

/* Opens the ext filesystem; when its primary superblock or group 0's
 * descriptors were not rescued, from the first backup superblock (as
 * e2fsck -b does).  *BACKUP: the backup superblock's block. */
static errcode_t open_ext(struct walk *w, const char *data, blk64_t *backup)
{
	char opt[64];
	int flags = EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS;
	errcode_t e = EXT2_ET_BAD_MAGIC;

	snprintf(opt, sizeof opt, "offset=%llu", (unsigned long long)w->base);
	*backup = 32768;
	if (!lb_rmap_unfinished(w->m, w->base + 1024, 1024) &&
	    !(e = ext2fs_open2(data, opt, flags, 0, 0, unix_io_manager, &w->fs))) {
		*backup = w->fs->super->s_first_data_block +
			  w->fs->super->s_blocks_per_group;
		if (!blk_bad(w, w->fs->super->s_first_data_block + 1,
			     w->fs->desc_blocks))
			return 0;
		ext2fs_close_free(&w->fs);
	}
	for (unsigned bs = 1024; bs <= 65536; bs *= 2) {
		blk64_t sb = bs == 1024 ? 8193 : bs * 8;
		if ((uint64_t)(sb + 1) * bs > w->len)
			break;          /* only backups inside the partition */
		if (ext2fs_open2(data, opt, flags, (int)sb, bs, unix_io_manager,
				 &w->fs))
			continue;
		if (w->fs->super->s_first_data_block +
		    w->fs->super->s_blocks_per_group == sb) {
			*backup = sb;   /* group 1's copy of a filesystem here */
			return 0;
		}
		ext2fs_close_free(&w->fs);
	}
	return e;
}

static int scan_ext(struct lb_ctx *ctx, struct walk *w, const char *data)
{
	blk64_t backup;
	errcode_t e = open_ext(w, data, &backup);

	if (e) {
		log_line(ctx, "rescue: partition %u: the ext filesystem cannot "
			 "be opened (%s): its files are not listed", w->part,
			 error_message(e));
		add(w, "superblock: lost, and no backup superblock could be "
		    "read: the files are not listed", lb_rmap_unfinished(w->m,
		    w->base, 65536));
		return w->err;
	}
	w->seen = calloc(w->fs->super->s_inodes_count / 8 + 2, 1);
	if (w->seen) {
		ext_meta(w, backup);
		check_inode(w, EXT2_ROOT_INO, "/");
		walk_dir(w, EXT2_ROOT_INO, "", 0);
	}
	free(w->seen);
	ext2fs_close_free(&w->fs);
	return w->seen ? w->err : -ENOMEM;
}

/* A partition whose start was lost, so nothing was recognised in it: an
 * ext filesystem whose backup superblock opens is walked (as e2fsck -b
 * would), else one line says the start was lost. */
static int scan_unknown(struct lb_ctx *ctx, struct walk *w, const char *data)
{
	blk64_t backup;

	if (!open_ext(w, data, &backup)) {
		w->fstype = ext2fs_has_feature_extents(w->fs->super) ? "ext4" :
			    ext2fs_has_feature_journal(w->fs->super) ? "ext3" :
			    "ext2";
		ext2fs_close_free(&w->fs);
		return scan_ext(ctx, w, data);
	}
	w->fstype = "?";
	add(w, "start of the partition (superblock / boot sector): lost, "
	    "no filesystem recognised, its files are not listed",
	    lb_rmap_unfinished(w->m, w->base, 65536));
	return w->err;
}

/* One partition's filesystem, by type; others are not walked. */
static int scan_fs(struct lb_ctx *ctx, struct walk *w, const char *data,
		     int fd, const struct lb_part_plan *p)
{
	w->base = p->start;
	w->len = p->size;
	w->part = p->number;
	w->fstype = p->fs.type;
	if (!strncmp(p->fs.type, "ext", 3))
		return scan_ext(ctx, w, data);
	if (!p->fs.type[0] && lb_rmap_unfinished(w->m, p->start, 65536))
		return scan_unknown(ctx, w, data);
	if (!strcmp(p->fs.type, "ntfs") && fd >= 0 &&
	    lb_rescue_ntfs_files(fd, p->start, p->size, p->number, w->m,
				 &w->out) == -EINVAL)
		log_line(ctx, "rescue: partition %u: the NTFS filesystem cannot "
			 "be read (%s): its files are not listed", p->number,
			 "damaged boot sector or $MFT");
	int r = !strcmp(p->fs.type, "vfat") && fd >= 0 ?
		lb_rescue_fat_files(fd, p->start, p->size, p->number, w->m,
				    &w->out) : 0;
	if (r == -EINVAL)
		log_line(ctx, "rescue: partition %u: the FAT filesystem cannot "
			 "be read (%s): its files are not listed", p->number,
			 "damaged boot sector");
	else if (r == -EUCLEAN)
		log_line(ctx, "rescue: partition %u: the FAT has %s: the list "
			 "of damaged files is incomplete", p->number,
			 "cross-linked or looping cluster chains");
	r = !strcmp(p->fs.type, "exfat") && fd >= 0 ?
		lb_rescue_exfat_files(fd, p->start, p->size, p->number, w->m,
				      &w->out) : 0;
	if (r == -EINVAL || r == -EUCLEAN)
		log_line(ctx, "rescue: partition %u: the exFAT filesystem %s: "
			 "its files are not all listed", p->number, r == -EINVAL ?
			 "cannot be read (damaged boot sector)" :
			 "has cross-linked or looping cluster chains");
	return 0;
}

/* One partition: its lines bounded (count, bytes) by rescue_badlist.c. */
static int scan_part(struct lb_ctx *ctx, struct walk *w, const char *data,
		     int fd, const struct lb_part_plan *p)
{
	int r;

	lb_bad_list_begin(&w->out, p->size);
	r = scan_fs(ctx, w, data, fd, p);
	if (w->out.cut)
		log_line(ctx, "rescue: partition %u: the list of damaged files "
			 "was %s", p->number, "cut short (too many lines)");
	return lb_bad_list_end(&w->out, p->number, p->fs.type) ?: r;
}

int lb_rescue_bad_files(struct lb_ctx *ctx, const char *data,
			const struct lb_rmap *m, struct lb_bad_file **out)
{
	struct lb_span span = { .path = data };
	struct walk w = { .m = m };
	struct lb_disk_plan plan;
	struct lb_ctx pctx = { 0 };
	struct lb_dev *dev;
	int r, fd;

	*out = NULL;
	if ((r = lb_dev_open(ctx, &span, LB_DEV_READ, 0, &dev)))
		return r;
	r = lb_plan_used(&pctx, dev, 0, &plan);
	lb_dev_close(dev);
	if (r)
		return 0;       /* no readable table: nothing to walk */
	fd = open(data, O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < plan.nparts && !r; i++)
		if (lb_rmap_unfinished(m, plan.parts[i].start, plan.parts[i].size))
			r = scan_part(ctx, &w, data, fd, &plan.parts[i]);
	if (fd >= 0)
		close(fd);
	lb_plan_free(&plan);
	if (r) {
		free(w.out.v);
		return r;
	}
	*out = w.out.v;
	return (int)w.out.n;
}
