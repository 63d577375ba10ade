/*
 * dev.h — block I/O behind a small ops table (after e2fsprogs' io_manager).
 *
 * Every byte Lifeboat reads from a disk or writes to one goes through an
 * lb_dev.  Backends: a block device (dev_block.c, the only file that knows
 * Linux ioctls), a regular file (dev_file.c), and a fault-injecting wrapper
 * for tests (dev_fault.c) that fails the ranges of a GNU ddrescue-style map.
 *
 * Offsets and lengths are uint64_t bytes counted from the start of the
 * span the device was opened on (a partition opened by offset starts at 0).
 * Functions return 0 or a byte count on success, a negative errno on
 * failure; a short read or write is retried inside until done or failed.
 */
#ifndef LB_DEV_H
#define LB_DEV_H

#include <stdint.h>
#include <stddef.h>
#include "lifeboat.h"

enum lb_dev_mode {
	LB_DEV_READ = 0,        /* source: O_RDONLY, BLKROSET while open */
	LB_DEV_WRITE = 1,       /* target: O_RDWR|O_EXCL on block devices */
	LB_DEV_CREATE = 2,      /* target file: create or extend (sparse) */
};

struct lb_dev;

struct lb_dev_ops {
	int64_t (*pread)(struct lb_dev *d, void *buf, size_t len, uint64_t off);
	int64_t (*pwrite)(struct lb_dev *d, const void *buf, size_t len,
			  uint64_t off);
	/* Makes [off, off+len) read as zeros by the cheapest correct means:
	 * BLKZEROOUT on a device, a hole (FALLOC_FL_PUNCH_HOLE) in a file. */
	int (*zero)(struct lb_dev *d, uint64_t off, uint64_t len);
	int (*flush)(struct lb_dev *d);
	int (*close)(struct lb_dev *d);
};

struct lb_dev {
	const struct lb_dev_ops *ops;
	char path[256];
	int fd;
	enum lb_dev_mode mode;
	int is_block;
	uint64_t base;          /* byte offset of the span inside the file */
	uint64_t size;          /* bytes of the span */
	uint32_t logical_sector, physical_sector;   /* bytes */
	int ro_was_set;         /* BLKROSET state to restore on close */
	void *priv;
};

/* Opens SPAN in MODE.  For LB_DEV_CREATE, SIZE is the size to extend a
 * regular-file target to (ignored otherwise).  *out is malloc'd and freed
 * by lb_dev_close().  Errors name the path in ctx->msg. */
int lb_dev_open(struct lb_ctx *ctx, const struct lb_span *span,
		enum lb_dev_mode mode, uint64_t size, struct lb_dev **out);
int lb_dev_close(struct lb_dev *d);

static inline int64_t lb_dev_pread(struct lb_dev *d, void *b, size_t n,
				   uint64_t off)
{ return d->ops->pread(d, b, n, off); }
static inline int64_t lb_dev_pwrite(struct lb_dev *d, const void *b, size_t n,
				    uint64_t off)
{ return d->ops->pwrite(d, b, n, off); }
static inline int lb_dev_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{ return d->ops->zero(d, off, len); }
static inline int lb_dev_flush(struct lb_dev *d)
{ return d->ops->flush(d); }

/* Added by the device layer (dev_capacity.c), additive: before a restore
 * or clone writes D (opened for writing, confirmed for overwrite), checks
 * that it keeps data near the end of the NEED bytes it will get: writes a
 * unique marker in the last sector below NEED, drops the cache, reads it
 * back, and reads the sectors where a device that wraps around at a power
 * of two (a counterfeit-capacity card, case C007) would have put it.
 * Returns 0, or -LB_ETARGET with the byte offset, LBA and the likely real
 * capacity in ctx->msg.  Costs one write and a few dozen sector reads. */
int lb_dev_check_capacity(struct lb_ctx *ctx, struct lb_dev *d, uint64_t need);

/* Added by engineer G (dev_file.c), additive: the next data extent of a
 * regular-file device at or after OFF (bytes from the start of the span),
 * found with lseek(SEEK_DATA / SEEK_HOLE) as qemu-img does: *DATA is its
 * first byte (d->size when only a hole follows) and *END the byte after it,
 * both within the span.  Bytes outside data extents read as zeros and need
 * not be read.  Returns 0, or -EOPNOTSUPP for block devices and wrappers
 * (the test-only fault device), or another negative errno. */
int lb_dev_data_extent(struct lb_dev *d, uint64_t off, uint64_t *data,
		       uint64_t *end);

/* Added by engineer L1 (dev_block.c), additive: after a restore or clone
 * wrote the whole block device D (opened for writing, flushed), asks the
 * kernel to re-read its partition table (BLKRRPART) and waits up to about
 * 2 s, polling /sys/block/NAME/, for every partition it lists to have its
 * /dev node, so that a following job can use them (case C005).  When the
 * kernel refuses (EBUSY, EINVAL: e.g. a loop device without partition
 * scanning) a line through ctx->log says the new table will be seen after
 * a reboot.  Never fails the job: returns 0 when re-read, 1 when not, and
 * does nothing (0) for files and byte ranges inside a device. */
int lb_dev_reread_table(struct lb_ctx *ctx, struct lb_dev *d);

#endif
