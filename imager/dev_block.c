/*
 * dev_block.c — the block-device backend of lb_dev, and the only file in
 * Lifeboat that knows Linux block ioctls (linux/fs.h): BLKGETSIZE64,
 * BLKSSZGET, BLKPBSZGET, BLKROGET/BLKROSET, BLKZEROOUT, BLKDISCARD,
 * BLKRRPART (re-reading a written disk's partition table, C005).
 *
 * A source (LB_DEV_READ) is opened O_RDONLY and marked read-only in the
 * kernel with BLKROSET for as long as it is open; close restores the flag
 * it found.  A target is opened O_RDWR|O_EXCL, which the kernel refuses
 * with EBUSY while the device or one of its partitions is mounted, used by
 * swap, md, dm, or opened exclusively by anyone else — the last and most
 * reliable of the in-use checks (safety.c runs the others first so that
 * the message can say why).  Zeroing uses BLKZEROOUT, which the kernel
 * turns into WRITE ZEROES/unmap where the device supports it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_backend.h"
#include "devices_sys.h"

static int block_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{
	uint64_t sec = d->logical_sector ? d->logical_sector : 512;
	uint64_t a = (off + sec - 1) / sec * sec, b = (off + len) / sec * sec;
	uint64_t range[2];
	int r;

	if (d->mode == LB_DEV_READ)
		return -EBADF;
	if (off > d->size || len > d->size - off)
		return -ENOSPC;
	if (len == 0)
		return 0;
	if (((d->base + a) % sec) || b <= a)    /* unaligned span: plain writes */
		return lb_dev_write_zeros(d, off, len);
	if (a > off && (r = lb_dev_write_zeros(d, off, a - off)) < 0)
		return r;
	if (off + len > b && (r = lb_dev_write_zeros(d, b, off + len - b)) < 0)
		return r;
	range[0] = d->base + a;
	range[1] = b - a;
	if (ioctl(d->fd, BLKZEROOUT, range) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOTTY && errno != EINVAL)
		return -errno;
	return lb_dev_write_zeros(d, a, b - a);
}

static int block_flush(struct lb_dev *d)
{
	if (d->mode == LB_DEV_READ)
		return 0;
	return fsync(d->fd) < 0 ? -errno : 0;
}

static int block_close(struct lb_dev *d)
{
	int r = 0, ro = 0;

	if (d->fd >= 0 && d->ro_was_set) {
		/* We set the read-only flag; give the device back as found. */
		if (ioctl(d->fd, BLKROSET, &ro) < 0)
			r = -errno;
	}
	if (d->fd >= 0 && close(d->fd) < 0 && r == 0)
		r = -errno;
	free(d);
	return r;
}

static const struct lb_dev_ops block_ops = {
	.pread = lb_dev_fd_pread,
	.pwrite = lb_dev_fd_pwrite,
	.zero = block_zero,
	.flush = block_flush,
	.close = block_close,
};

/* Marks a source read-only in the kernel for the job (rule 1).  Without
 * CAP_SYS_ADMIN the ioctl fails; O_RDONLY still keeps us from writing.
 * A source that a filesystem mounted read-write, swap or dm/md still
 * writes through (a backup with --force) is left alone: the flag would
 * make the kernel's own writes fail under a running system. */
static void set_readonly(struct lb_dev *d)
{
	int ro = 0, one = 1;
	struct stat st;

	if (ioctl(d->fd, BLKROGET, &ro) < 0 || ro)
		return;
	if (fstat(d->fd, &st) == 0 && lb_sys_written_by_kernel(st.st_rdev))
		return;
	if (ioctl(d->fd, BLKROSET, &one) == 0)
		d->ro_was_set = 1;
}

static int open_error(struct lb_ctx *ctx, struct lb_dev *d, int e)
{
	if (e == EBUSY)
		snprintf(ctx->msg, sizeof ctx->msg, "%s: device is in use "
			 "(mounted, swap, part of md/dm, or opened exclusively "
			 "by another program): %s", d->path, strerror(e));
	else
		snprintf(ctx->msg, sizeof ctx->msg, "%s: cannot open %s: %s",
			 d->path, d->mode == LB_DEV_READ ? "for reading" :
			 "for writing", strerror(e));
	return -e;
}

int lb_dev_block_open(struct lb_ctx *ctx, struct lb_dev *d)
{
	int flags = d->mode == LB_DEV_READ ? O_RDONLY : O_RDWR | O_EXCL;
	int lss = 512, pss = 0, ro = 0;
	uint64_t size = 0;

	d->fd = open(d->path, flags | O_CLOEXEC);
	if (d->fd < 0)
		return open_error(ctx, d, errno);
	d->ops = &block_ops;
	d->is_block = 1;
	if (ioctl(d->fd, BLKGETSIZE64, &size) < 0) {
		int e = errno;
		snprintf(ctx->msg, sizeof ctx->msg, "%s: cannot read the device "
			 "size: %s", d->path, strerror(e));
		return -e;
	}
	ioctl(d->fd, BLKSSZGET, &lss);
	if (ioctl(d->fd, BLKPBSZGET, &pss) < 0 || pss <= 0)
		pss = lss;
	d->size = size;
	d->logical_sector = (uint32_t)lss;
	d->physical_sector = (uint32_t)pss;
	if (d->mode == LB_DEV_READ) {
		set_readonly(d);
	} else if (ioctl(d->fd, BLKROGET, &ro) == 0 && ro) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s: the device is "
			 "read-only (write-protected or marked read-only)",
			 d->path);
		return -EROFS;
	}
	return 0;
}

/* Discards [off, off+len) of a block device (BLKDISCARD).  Not used for
 * zeroing, since discarded blocks need not read back as zeros. */
int lb_dev_block_discard(struct lb_dev *d, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { d->base + off, len };

	if (!d->is_block || d->mode == LB_DEV_READ)
		return -EOPNOTSUPP;
	return ioctl(d->fd, BLKDISCARD, range) < 0 ? -errno : 0;
}

/* ---- Loop devices over a byte range ------------------------------------- */

#include <linux/loop.h>

/* Binds a free loop device to FD; a race with another process taking the
 * same device gives EBUSY, so try again a bounded number of times. */
static int loop_bind(int fd, char *out, size_t outlen)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (ctl < 0)
		return -errno;
	for (int tries = 0; tries < 8; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE), lfd;

		if (n < 0)
			break;
		snprintf(out, outlen, "/dev/loop%d", n);
		if ((lfd = open(out, O_RDWR | O_CLOEXEC)) < 0)
			break;
		if (ioctl(lfd, LOOP_SET_FD, fd) == 0) {
			close(ctl);
			return lfd;
		}
		close(lfd);
		if (errno != EBUSY)
			break;
	}
	int e = errno ? errno : EBUSY;
	close(ctl);
	return -e;
}

int lb_loop_attach(struct lb_ctx *ctx, const char *path, uint64_t offset,
		   uint64_t length, int read_only, char *out, size_t outlen)
{
	struct loop_info64 info = { 0 };
	int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC), lfd;

	if (fd < 0) {
		snprintf(ctx->msg, sizeof ctx->msg, "cannot open %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	lfd = loop_bind(fd, out, outlen);
	close(fd);
	if (lfd < 0) {
		snprintf(ctx->msg, sizeof ctx->msg, "no loop device for %s "
			 "(is the loop driver loaded?): %s", path,
			 strerror(-lfd));
		return lfd;
	}
	info.lo_offset = offset;
	info.lo_sizelimit = length;
	info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0);
	if (ioctl(lfd, LOOP_SET_STATUS64, &info) < 0) {
		int e = errno;
		ioctl(lfd, LOOP_CLR_FD, 0);
		close(lfd);
		snprintf(ctx->msg, sizeof ctx->msg, "cannot set %s to bytes "
			 "%llu+%llu of %s: %s", out, (unsigned long long)offset,
			 (unsigned long long)length, path, strerror(e));
		return -e;
	}
	/* With auto-clear the kernel detaches the device at its last close:
	 * the caller keeps LFD open until the mount holds the device. */
	return lfd;
}

/* ---- Re-reading the partition table after a whole-disk write (C005) ---- */

#include <dirent.h>
#include <time.h>

/* 1 when every partition that /sys/block/NAME lists has a /dev node. */
static int part_nodes_ready(const char *name)
{
	char dir[128], node[320];
	struct dirent *e;
	struct stat st;
	int ok = 1;
	DIR *d;

	snprintf(dir, sizeof dir, "/sys/block/%s", name);
	if (!(d = opendir(dir)))
		return 1;
	while (ok && (e = readdir(d)))
		if (!strncmp(e->d_name, name, strlen(name)) && e->d_name[strlen(name)]) {
			snprintf(node, sizeof node, "/dev/%s", e->d_name);
			ok = stat(node, &st) == 0 && S_ISBLK(st.st_mode);
		}
	closedir(d);
	return ok;
}

int lb_dev_reread_table(struct lb_ctx *ctx, struct lb_dev *d)
{
	char name[64], disk[64], line[400];
	struct stat st;

	if (!d->is_block || d->base || d->mode == LB_DEV_READ ||
	    fstat(d->fd, &st) < 0 || lb_sys_name(st.st_rdev, name) < 0 ||
	    lb_sys_disk_of(name, disk) < 0 || strcmp(name, disk))
		return 0;       /* a file, a range, or a partition node */
	fsync(d->fd);
	if (ioctl(d->fd, BLKRRPART) < 0) {
		int e = errno;
		snprintf(line, sizeof line, "the kernel did not re-read the "
			 "partition table of %.100s (%s): it will see the new "
			 "partitions after a reboot (or after re-plugging the "
			 "disk)", d->path, strerror(e));
		if (ctx->log)
			ctx->log(line, ctx->user);
		return 1;
	}
	/* udev (or devtmpfs) makes the nodes: wait a bounded while. */
	for (int i = 0; i < 40 && !part_nodes_ready(name); i++)
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	return 0;
}
