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
 * without being opened.  A filesystem libext2fs cannot open (its
 * superblock was in a bad area) is named in the log and skipped.
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

/* Checks inode INO once; reports it under PATH when it lost bytes. */
static void check_inode(struct walk *w, ext2_ino_t ino, const char *path)
{
	if (ino >= w->fs->super->s_inodes_count + 1 || w->seen[ino / 8] &
	    (1 << (ino % 8)))
		return;
	w->seen[ino / 8] |= (uint8_t)(1 << (ino % 8));
	w->bad = 0;
	ext2fs_block_iterate3(w->fs, ino, BLOCK_FLAG_READ_ONLY, NULL, blk_cb, w);
	if (w->bad && lb_bad_list_add(&w->out, w->part, w->fstype, path, w->bad))
		w->err = -ENOMEM;
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

static int scan_ext(struct lb_ctx *ctx, struct walk *w, const char *data)
{
	char opt[64];
	errcode_t e;

	snprintf(opt, sizeof opt, "offset=%llu", (unsigned long long)w->base);
	e = ext2fs_open2(data, opt, EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			 &w->fs);
	if (e) {
		log_line(ctx, "rescue: partition %u: the ext filesystem cannot "
			 "be opened (%s): its files are not listed", w->part,
			 error_message(e));
		return 0;
	}
	w->seen = calloc(w->fs->super->s_inodes_count / 8 + 2, 1);
	if (w->seen) {
		check_inode(w, EXT2_ROOT_INO, "/");
		walk_dir(w, EXT2_ROOT_INO, "", 0);
	}
	free(w->seen);
	ext2fs_close_free(&w->fs);
	return w->seen ? w->err : -ENOMEM;
}

/* One partition's filesystem, by type; others are not walked. */
static int scan_part(struct lb_ctx *ctx, struct walk *w, const char *data,
		     int fd, const struct lb_part_plan *p)
{
	w->base = p->start;
	w->part = p->number;
	w->fstype = p->fs.type;
	if (!strncmp(p->fs.type, "ext", 3))
		return scan_ext(ctx, w, data);
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
