/*
 * dev.c — lb_dev_open: picks the backend for a path and applies the span.
 *
 * A path naming a block device goes to dev_block.c, anything else to
 * dev_file.c.  A path written "fault:PATH" opens PATH and wraps it in the
 * test-only fault injector (dev_fault.c) using the ddrescue-style map named
 * by the environment variable LIFEBOAT_FAULT_MAP and/or the fake capacity
 * LIFEBOAT_FAULT_ALIAS; it exists so that tests can make a device fail at
 * chosen byte ranges, and is documented as test-only in docs/cli.md.
 *
 * The span (offset, length) turns a whole disk into a partition addressed
 * by its byte offset, so partitions work without kernel partition nodes.
 * This file also holds the pread/pwrite loops the fd backends share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_backend.h"

#define FAULT_PREFIX "fault:"

int64_t lb_dev_fd_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	if (off >= d->size)
		return 0;
	if (len > d->size - off)
		len = d->size - off;
	while (done < len) {
		ssize_t n = pread(d->fd, (char *)buf + done, len - done,
				  (off_t)(d->base + off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;          /* the file shrank under us */
		done += (size_t)n;
	}
	return (int64_t)done;
}

int64_t lb_dev_fd_pwrite(struct lb_dev *d, const void *buf, size_t len,
			 uint64_t off)
{
	size_t done = 0;

	if (off > d->size || len > d->size - off)
		return -ENOSPC;
	while (done < len) {
		ssize_t n = pwrite(d->fd, (const char *)buf + done, len - done,
				   (off_t)(d->base + off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOSPC;
		done += (size_t)n;
	}
	return (int64_t)done;
}

int lb_dev_write_zeros(struct lb_dev *d, uint64_t off, uint64_t len)
{
	enum { CHUNK = 1 << 20 };
	void *z = calloc(1, CHUNK);

	if (!z)
		return -ENOMEM;
	while (len) {
		size_t n = len < CHUNK ? (size_t)len : CHUNK;
		int64_t r = d->ops->pwrite(d, z, n, off);
		if (r < 0) {
			free(z);
			return (int)r;
		}
		off += n;
		len -= n;
	}
	free(z);
	return 0;
}

/* Checks the span against the device size and narrows d to it. */
static int apply_span(struct lb_ctx *ctx, struct lb_dev *d,
		      const struct lb_span *span)
{
	uint64_t total = d->size;

	if (span->offset > total ||
	    (span->length && span->length > total - span->offset)) {
		snprintf(ctx->msg, sizeof ctx->msg,
			 "%s: range %llu+%llu bytes lies outside the device "
			 "(%llu bytes)", d->path,
			 (unsigned long long)span->offset,
			 (unsigned long long)span->length,
			 (unsigned long long)total);
		return -ERANGE;
	}
	d->base = span->offset;
	d->size = span->length ? span->length : total - span->offset;
	return 0;
}

static int open_plain(struct lb_ctx *ctx, const char *path,
		      const struct lb_span *span, enum lb_dev_mode mode,
		      uint64_t size, struct lb_dev **out)
{
	struct lb_dev *d = calloc(1, sizeof *d);
	struct stat st;
	int r;

	if (!d)
		return -ENOMEM;
	snprintf(d->path, sizeof d->path, "%s", path);
	d->mode = mode;
	d->fd = -1;
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		r = lb_dev_block_open(ctx, d);
	else
		r = lb_dev_file_open(ctx, d, mode == LB_DEV_CREATE ?
				     span->offset + size : 0);
	if (r == 0)
		r = apply_span(ctx, d, span);
	if (r < 0) {
		if (d->ops)
			d->ops->close(d);
		else
			free(d);
		return r;
	}
	*out = d;
	return 0;
}

int lb_dev_open(struct lb_ctx *ctx, const struct lb_span *span,
		enum lb_dev_mode mode, uint64_t size, struct lb_dev **out)
{
	const char *path = span->path;
	struct lb_dev *inner;
	const char *map, *alias;
	int r;

	*out = NULL;
	if (strncmp(path, FAULT_PREFIX, strlen(FAULT_PREFIX)) != 0)
		return open_plain(ctx, path, span, mode, size, out);
	path += strlen(FAULT_PREFIX);
	map = getenv("LIFEBOAT_FAULT_MAP");
	alias = getenv("LIFEBOAT_FAULT_ALIAS");
	if (map && !*map)
		map = NULL;
	if (!map && !(alias && *alias)) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s: the fault: prefix "
			 "needs LIFEBOAT_FAULT_MAP (a ddrescue map) or "
			 "LIFEBOAT_FAULT_ALIAS (bytes)", span->path);
		return -EINVAL;
	}
	r = open_plain(ctx, path, span, mode, size, &inner);
	if (r < 0)
		return r;
	return lb_dev_fault_wrap(ctx, map, alias ? strtoull(alias, NULL, 0) : 0,
				 inner, out);
}

int lb_dev_drop_cache(struct lb_dev *d)
{
	int r = posix_fadvise(d->fd, (off_t)d->base, (off_t)d->size,
			      POSIX_FADV_DONTNEED);

	return -r;
}

int lb_dev_close(struct lb_dev *d)
{
	if (!d)
		return 0;
	return d->ops->close(d);
}
