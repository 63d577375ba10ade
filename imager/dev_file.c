/*
 * dev_file.c — the regular-file backend of lb_dev (see dev.h).
 *
 * Sources are opened O_RDONLY.  Targets are opened O_RDWR; LB_DEV_CREATE
 * also creates a missing file and extends a short one with ftruncate, so a
 * new target is sparse from the start (case C006).  Zeroing punches holes
 * (fallocate FALLOC_FL_PUNCH_HOLE), so zero areas of an image or a source
 * cost no space in a file target; filesystems without hole punching fall
 * back to FALLOC_FL_ZERO_RANGE, then to writing zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_backend.h"

static int file_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{
	if (d->mode == LB_DEV_READ)
		return -EBADF;
	if (off > d->size || len > d->size - off)
		return -ENOSPC;
	if (len == 0)
		return 0;
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(d->base + off), (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	if (fallocate(d->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(d->base + off), (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	return lb_dev_write_zeros(d, off, len);
}

static int file_flush(struct lb_dev *d)
{
	if (d->mode == LB_DEV_READ)
		return 0;
	return fdatasync(d->fd) < 0 ? -errno : 0;
}

static int file_close(struct lb_dev *d)
{
	int r = 0;

	if (d->fd >= 0 && close(d->fd) < 0)
		r = -errno;
	free(d);
	return r;
}

static const struct lb_dev_ops file_ops = {
	.pread = lb_dev_fd_pread,
	.pwrite = lb_dev_fd_pwrite,
	.zero = file_zero,
	.flush = file_flush,
	.close = file_close,
};

int lb_dev_data_extent(struct lb_dev *d, uint64_t off, uint64_t *data,
		       uint64_t *end)
{
	off_t a, b;

	if (d->ops != &file_ops)
		return -EOPNOTSUPP;
	if (off >= d->size) {
		*data = *end = d->size;
		return 0;
	}
	a = lseek(d->fd, (off_t)(d->base + off), SEEK_DATA);
	if (a < 0 && errno == ENXIO) {          /* only a hole follows */
		*data = *end = d->size;
		return 0;
	}
	if (a < 0 || (b = lseek(d->fd, a, SEEK_HOLE)) < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	*data = (uint64_t)a - d->base < d->size ? (uint64_t)a - d->base : d->size;
	*end = (uint64_t)b - d->base < d->size ? (uint64_t)b - d->base : d->size;
	return 0;
}

/* Extends the file to WANT bytes if it is shorter (sparse). */
static int extend(struct lb_ctx *ctx, struct lb_dev *d, struct stat *st,
		  uint64_t want)
{
	if ((uint64_t)st->st_size >= want)
		return 0;
	if (ftruncate(d->fd, (off_t)want) < 0) {
		int e = errno;
		snprintf(ctx->msg, sizeof ctx->msg, "%s: cannot extend the "
			 "target file to %llu bytes: %s", d->path,
			 (unsigned long long)want, strerror(e));
		return -e;
	}
	st->st_size = (off_t)want;
	return 0;
}

/* SIZE: for LB_DEV_CREATE, the byte length the file must have at least. */
int lb_dev_file_open(struct lb_ctx *ctx, struct lb_dev *d, uint64_t size)
{
	static const int flags[] = {
		[LB_DEV_READ] = O_RDONLY,
		[LB_DEV_WRITE] = O_RDWR,
		[LB_DEV_CREATE] = O_RDWR | O_CREAT,
	};
	struct stat st;
	int r;

	d->fd = open(d->path, flags[d->mode] | O_CLOEXEC, 0644);
	if (d->fd < 0) {
		int e = errno;
		snprintf(ctx->msg, sizeof ctx->msg, "%s: cannot open %s: %s",
			 d->path, d->mode == LB_DEV_READ ? "for reading" :
			 "for writing", strerror(e));
		return -e;
	}
	d->ops = &file_ops;
	if (fstat(d->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s: not a regular file "
			 "or block device", d->path);
		return -EINVAL;
	}
	if (d->mode == LB_DEV_CREATE && (r = extend(ctx, d, &st, size)) < 0)
		return r;
	d->size = (uint64_t)st.st_size;
	d->logical_sector = 512;
	d->physical_sector = st.st_blksize > 0 ? (uint32_t)st.st_blksize : 4096;
	return 0;
}
