/*
 * dev_backend.h — private glue between lb_dev_open (dev.c) and the
 * backends: block device (dev_block.c), regular file (dev_file.c) and the
 * test-only fault injector (dev_fault.c).  Not part of the public API.
 *
 * A backend's open function fills an lb_dev that dev.c has allocated and
 * whose path, mode, base and requested span are already set; it sets fd,
 * ops, is_block, size (of the whole device or file, before the span is
 * applied by dev.c) and the sector sizes.
 */
#ifndef LB_DEV_BACKEND_H
#define LB_DEV_BACKEND_H

#include "dev.h"

int lb_dev_block_open(struct lb_ctx *ctx, struct lb_dev *d);
int lb_dev_file_open(struct lb_ctx *ctx, struct lb_dev *d, uint64_t size);
/* Wraps INNER so that reads and writes touching a bad range of the
 * ddrescue-style map MAP (may be NULL) fail with -EIO, and, when ALIAS is
 * non-zero, positions past ALIAS bytes wrap around like a fake-capacity
 * card.  Takes ownership of INNER. */
int lb_dev_fault_wrap(struct lb_ctx *ctx, const char *map, uint64_t alias,
		      struct lb_dev *inner, struct lb_dev **out);

/* Discards [off, off+len) of a block device (BLKDISCARD); -EOPNOTSUPP
 * on anything else.  Discarded blocks need not read back as zeros. */
int lb_dev_block_discard(struct lb_dev *d, uint64_t off, uint64_t len);

/* Shared by the fd-based backends: full pread/pwrite of the span with
 * retries on EINTR and short transfers, bounded by d->size.  pread returns
 * the bytes read (short only at the end of the span). */
int64_t lb_dev_fd_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off);
int64_t lb_dev_fd_pwrite(struct lb_dev *d, const void *buf, size_t len,
			 uint64_t off);
/* Writes LEN zero bytes at OFF with ordinary writes (the fallback when no
 * cheaper way exists). */
int lb_dev_write_zeros(struct lb_dev *d, uint64_t off, uint64_t len);

/* Drops the page-cache pages of the span (after a flush) so that a later
 * read comes from the medium, not from memory: verify-after-write. */
int lb_dev_drop_cache(struct lb_dev *d);

#endif
